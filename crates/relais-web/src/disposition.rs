//! File names in HTTP: read from an upload's `Content-Disposition` (RFC 6266) or `?filename=`,
//! and written into a download's `Content-Disposition`. Names travel as bytes until the
//! domain checks them, so that invalid UTF-8 is reported rather than silently replaced.
use axum::http::HeaderValue;

/// The file name of a `Content-Disposition` header: `filename*` (RFC 8187: charset, language,
/// percent-encoded bytes) wins over `filename` (a token or a quoted string).
pub fn filename(header: &[u8]) -> Option<Vec<u8>> {
    let params = params(header);
    let extended = params.iter().find(|(k, _)| k == "filename*").map(|(_, v)| {
        let mut parts = v.splitn(3, |b| *b == b'\'');
        let (charset, _lang, value) = (parts.next(), parts.next(), parts.next());
        match (charset, value) {
            (Some(charset), Some(value)) => {
                let bytes = percent_decode(value);
                if charset.eq_ignore_ascii_case(b"iso-8859-1") {
                    // Each byte is the code point of the same number.
                    bytes
                        .iter()
                        .map(|&b| char::from(b))
                        .collect::<String>()
                        .into_bytes()
                } else {
                    bytes
                }
            }
            _ => percent_decode(v),
        }
    });
    extended.or_else(|| {
        params
            .into_iter()
            .find(|(k, _)| k == "filename")
            .map(|(_, v)| v)
    })
}

/// The `filename` of a raw query string (`?filename=Devis%20sign%C3%A9.pdf`).
pub fn query_filename(query: &str) -> Option<Vec<u8>> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (form_decode(k.as_bytes()) == b"filename").then(|| form_decode(v.as_bytes()))
    })
}

/// `attachment; filename="devis_sign_.pdf"; filename*=UTF-8''devis%20sign%C3%A9.pdf`: the
/// ASCII fallback for old clients, the exact name for the others. Never `inline`: a user's
/// file is never shown by the browser as a page of this site.
pub fn attachment(name: &str) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            '"' | '\\' | '%' => '_',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// The parameters after the disposition type, names in lowercase, values unquoted.
fn params(header: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = match header.iter().position(|b| *b == b';') {
        Some(i) => &header[i + 1..],
        None => return out,
    };
    while !rest.is_empty() {
        let name_end = rest
            .iter()
            .position(|b| *b == b'=' || *b == b';')
            .unwrap_or(rest.len());
        let name = String::from_utf8_lossy(rest[..name_end].trim_ascii()).to_ascii_lowercase();
        if rest.get(name_end) != Some(&b'=') {
            rest = rest.get(name_end + 1..).unwrap_or_default();
            continue;
        }
        let value = rest[name_end + 1..].trim_ascii_start();
        let (value, after) = if value.first() == Some(&b'"') {
            quoted(&value[1..])
        } else {
            let end = value.iter().position(|b| *b == b';').unwrap_or(value.len());
            (value[..end].trim_ascii_end().to_vec(), &value[end..])
        };
        out.push((name, value));
        rest = match after.iter().position(|b| *b == b';') {
            Some(i) => &after[i + 1..],
            None => &[],
        };
    }
    out
}

/// A quoted string's content (after the opening quote), with `\x` escapes undone; and what
/// follows the closing quote.
fn quoted(s: &[u8]) -> (Vec<u8>, &[u8]) {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\\' if i + 1 < s.len() => {
                out.push(s[i + 1]);
                i += 2;
            }
            b'"' => return (out, &s[i + 1..]),
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    (out, &[])
}

/// `%XX` to the byte it stands for; a `%` not followed by two hex digits stays as it is.
fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && let (Some(h), Some(l)) = (
                s.get(i + 1).and_then(|b| hex(*b)),
                s.get(i + 2).and_then(|b| hex(*b)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Form encoding: `+` is a space, then percent-decoding.
fn form_decode(s: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = s
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(header: &str) -> Option<String> {
        filename(header.as_bytes()).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn names_come_from_either_parameter() {
        assert_eq!(name("attachment; filename=devis.pdf").unwrap(), "devis.pdf");
        assert_eq!(
            name("attachment; filename=\"Devis \\\"final\\\"; v2.pdf\"").unwrap(),
            "Devis \"final\"; v2.pdf"
        );
        assert_eq!(
            name("attachment; filename=\"devis.pdf\"; filename*=UTF-8''Devis%20sign%C3%A9.pdf")
                .unwrap(),
            "Devis signé.pdf"
        );
        assert_eq!(
            name("attachment; FILENAME*=iso-8859-1'fr'L%E9a.txt").unwrap(),
            "Léa.txt"
        );
        assert_eq!(
            name("form-data; name=\"file\"; filename=\"a.png\"").unwrap(),
            "a.png"
        );
        assert_eq!(name("attachment"), None);
        assert_eq!(name("attachment; size=12"), None);
    }

    #[test]
    fn raw_bytes_pass_through_for_the_domain_to_judge() {
        assert_eq!(
            filename(b"attachment; filename=\"caf\xe9.txt\"").unwrap(),
            b"caf\xe9.txt"
        );
        assert_eq!(
            filename(b"attachment; filename*=UTF-8''caf%E9.txt").unwrap(),
            b"caf\xe9.txt"
        );
    }

    #[test]
    fn query_names_are_form_decoded() {
        assert_eq!(
            query_filename("x=1&filename=Devis+sign%C3%A9.pdf").unwrap(),
            "Devis signé.pdf".as_bytes()
        );
        assert_eq!(query_filename("x=1"), None);
    }

    #[test]
    fn downloads_carry_an_ascii_fallback_and_the_exact_name() {
        assert_eq!(
            attachment("Devis signé \"v2\".pdf").to_str().unwrap(),
            "attachment; filename=\"Devis sign_ _v2_.pdf\"; \
             filename*=UTF-8''Devis%20sign%C3%A9%20%22v2%22.pdf"
        );
    }
}
