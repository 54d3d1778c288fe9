//! Reading and writing vCard files (2.1, 3.0 and 4.0).
//!
//! Reading goes in two steps. A pre-pass here splits the file into cards, unfolds lines
//! and turns every value we read into clean UTF-8, because calcard only takes `&str`,
//! decodes quoted-printable without a CHARSET as ISO-8859-1 (phones write UTF-8), falls
//! back to lossy UTF-8 where we must refuse the card instead, ignores the bare 2.1
//! `;QUOTED-PRINTABLE` flag, and accepts a card cut before END:VCARD without a word.
//! calcard then parses each cleaned card: property names, groups, TYPE and PREF
//! parameters in all their spellings, escapes and structured values (N, ADR, ORG,
//! CATEGORIES). Writing builds a calcard `VCard` and lets its writer escape and fold.

use std::borrow::Cow;

use calcard::common::IanaString;
use calcard::vcard::{
    VCard, VCardEntry, VCardParameter, VCardParameterName, VCardParameterValue, VCardProperty,
    VCardType, VCardValue, VCardValueType, VCardVersion,
};

use super::raw::{RawAddress, RawContact};
use relais_domain::{Code, Msg};

/// Why one card of a file could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("card {card}: {reason}")]
pub struct CardError {
    /// 1-based position of the card in the file.
    pub card: u64,
    pub reason: Msg,
}

/// Reads every card of a .vcf file, one result per BEGIN:VCARD, in file order.
pub fn parse_vcards(input: &[u8]) -> Vec<Result<RawContact, CardError>> {
    let text = match without_bom(input) {
        Ok(text) => text,
        Err(reason) => return vec![Err(CardError { card: 1, reason })],
    };
    let cards = split_cards(&physical_lines(&text));
    if cards.is_empty() {
        return not_a_vcard_file(&text);
    }
    cards.iter().map(read_card).collect()
}

/// Writes one contact as a vCard 4.0, CRLF line endings, lines folded at 75 octets.
pub fn write_vcard(contact: &RawContact) -> String {
    let card = VCard {
        entries: card_entries(contact),
    };
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = card.write_to(&mut out, VCardVersion::V4_0);
    out
}

// ---------------------------------------------------------------------------------------
// Reading: splitting the file into cards
// ---------------------------------------------------------------------------------------

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The lines between one BEGIN:VCARD and its END:VCARD.
struct CardLines<'a> {
    number: u64,
    lines: Vec<&'a [u8]>,
    complete: bool,
}

enum Marker {
    Begin,
    End,
}

/// Windows tools sometimes save contacts as UTF-16: it is turned into UTF-8 so the rest
/// of the reader only deals with one byte-oriented form.
fn without_bom(input: &[u8]) -> Result<Cow<'_, [u8]>, Msg> {
    if let Some(rest) = input.strip_prefix(UTF8_BOM) {
        return Ok(Cow::Borrowed(rest));
    }
    let utf16 = if let Some(rest) = input.strip_prefix(b"\xFF\xFE") {
        Some((encoding_rs::UTF_16LE, rest))
    } else {
        input
            .strip_prefix(b"\xFE\xFF")
            .map(|rest| (encoding_rs::UTF_16BE, rest))
    };
    match utf16 {
        None => Ok(Cow::Borrowed(input)),
        Some((encoding, rest)) => encoding
            .decode_without_bom_handling_and_without_replacement(rest)
            .map(|text| Cow::Owned(text.into_owned().into_bytes()))
            .ok_or_else(|| Code::VcardUtf16Invalid.into()),
    }
}

/// Empty input is an empty import; anything else without a card is the wrong file.
fn not_a_vcard_file(text: &[u8]) -> Vec<Result<RawContact, CardError>> {
    if text.trim_ascii().is_empty() {
        return Vec::new();
    }
    vec![Err(CardError {
        card: 1,
        reason: Code::NotAVcard.into(),
    })]
}

/// Lines end with CRLF or LF; files from old Macs end them with CR alone.
fn physical_lines(text: &[u8]) -> Vec<&[u8]> {
    let separator = if text.contains(&b'\n') { b'\n' } else { b'\r' };
    text.split(|byte| *byte == separator)
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .collect()
}

fn split_cards<'a>(lines: &[&'a [u8]]) -> Vec<CardLines<'a>> {
    let mut cards = Vec::new();
    let mut open: Option<CardLines<'a>> = None;
    let mut number = 0;
    for &line in lines {
        match marker(line) {
            Some(Marker::Begin) => {
                // A BEGIN inside a card means that card was cut off: it stays incomplete.
                cards.extend(open.take());
                number += 1;
                open = Some(CardLines {
                    number,
                    lines: Vec::new(),
                    complete: false,
                });
            }
            Some(Marker::End) => {
                if let Some(mut card) = open.take() {
                    card.complete = true;
                    cards.push(card);
                }
            }
            None => {
                if let Some(card) = open.as_mut() {
                    card.lines.push(line);
                }
            }
        }
    }
    cards.extend(open);
    cards
}

/// Concatenated exports keep a BOM in front of each card.
fn marker(line: &[u8]) -> Option<Marker> {
    let line = line.strip_prefix(UTF8_BOM).unwrap_or(line).trim_ascii_end();
    if line.eq_ignore_ascii_case(b"BEGIN:VCARD") {
        Some(Marker::Begin)
    } else if line.eq_ignore_ascii_case(b"END:VCARD") {
        Some(Marker::End)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------
// Reading: one card
// ---------------------------------------------------------------------------------------

fn read_card(card: &CardLines<'_>) -> Result<RawContact, CardError> {
    let fail = |reason: Msg| CardError {
        card: card.number,
        reason,
    };
    if !card.complete {
        return Err(fail(Code::CardTruncated.into()));
    }
    let mut properties = Vec::new();
    for line in unfold(&card.lines) {
        properties.extend(read_property(&line).map_err(fail)?);
    }
    let vcard =
        VCard::parse(calcard_input(&properties)).map_err(|_| fail(Code::CardUnreadable.into()))?;
    let mut contact = contact_from(&vcard, card.number);
    contact.birthday = birthday(&properties);
    ensure_identifiable(&contact).map_err(fail)?;
    Ok(contact)
}

fn ensure_identifiable(contact: &RawContact) -> Result<(), Msg> {
    let named = [&contact.full_name, &contact.first_name, &contact.last_name]
        .iter()
        .any(|name| name.is_some());
    if named || !contact.emails.is_empty() || !contact.phones.is_empty() {
        Ok(())
    } else {
        Err(Code::CardAnonymous.into())
    }
}

/// Joins folded lines (a line starting with a space or tab continues the previous one)
/// and quoted-printable soft line breaks (a value ending with `=` continues on the next
/// line, which does not start with a space).
fn unfold(lines: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut logical: Vec<Vec<u8>> = Vec::new();
    let mut soft_break = false;
    for &line in lines {
        match logical.last_mut() {
            Some(last) if soft_break => last.extend_from_slice(line),
            Some(last) if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') => {
                last.extend_from_slice(line.get(1..).unwrap_or_default());
            }
            // Blank lines end 2.1 base64 blocks; they carry nothing.
            _ if line.trim_ascii().is_empty() => continue,
            _ => logical.push(line.to_vec()),
        }
        soft_break = logical.last_mut().is_some_and(take_soft_break);
    }
    logical
}

/// Removes a trailing soft line break `=` from a quoted-printable line, saying whether
/// there was one.
fn take_soft_break(line: &mut Vec<u8>) -> bool {
    let Some((header, value)) = split_header(line) else {
        return false;
    };
    let value = value.trim_ascii_end();
    if !value.ends_with(b"=") || !is_quoted_printable(&parse_header(header).params) {
        return false;
    }
    let end = line.trim_ascii_end().len().saturating_sub(1);
    line.truncate(end);
    true
}

// ---------------------------------------------------------------------------------------
// Reading: one property line
// ---------------------------------------------------------------------------------------

/// `[group.]NAME;params` of a content line.
struct Header {
    group: Option<String>,
    name: String,
    params: Vec<Param>,
}

/// One parameter as written: `TYPE=cell,voice`, `type="work,voice"`, or 2.1's bare `CELL`.
struct Param {
    /// Upper-cased; `None` for a bare 2.1 parameter.
    name: Option<String>,
    value: String,
    raw: String,
}

/// A property we read, its value decoded to UTF-8 but still escaped as in the file.
struct Property {
    header: Header,
    value: String,
}

enum TransferEncoding {
    None,
    QuotedPrintable,
    Binary,
}

/// Properties that end up in a `RawContact`; the others (photos, X- fields) are skipped
/// before decoding, so their bytes can never fail a card.
fn is_read(name: &str) -> bool {
    matches!(
        name,
        "VERSION"
            | "N"
            | "FN"
            | "ORG"
            | "TITLE"
            | "EMAIL"
            | "TEL"
            | "ADR"
            | "BDAY"
            | "LANG"
            | "NOTE"
            | "URL"
            | "CATEGORIES"
            | "UID"
            | "X-ABLABEL"
    )
}

fn read_property(line: &[u8]) -> Result<Option<Property>, Msg> {
    // Lines without a colon are base64 continuations of 2.1 photos, or noise.
    let Some((header, value)) = split_header(line) else {
        return Ok(None);
    };
    let header = parse_header(header);
    if !is_read(&header.name) {
        return Ok(None);
    }
    let bytes = match transfer_encoding(&header.params) {
        TransferEncoding::Binary => return Ok(None),
        TransferEncoding::QuotedPrintable => Cow::Owned(decode_quoted_printable(value)),
        TransferEncoding::None => Cow::Borrowed(value),
    };
    let value = decode_charset(&bytes, charset(&header.params), &header.name)?;
    Ok(Some(Property { header, value }))
}

/// Splits at the first colon outside double quotes (4.0 quotes parameter values that
/// hold colons, such as ADR's LABEL).
fn split_header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut quoted = false;
    for (i, byte) in line.iter().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b':' if !quoted => return Some((&line[..i], &line[i + 1..])),
            _ => {}
        }
    }
    // An unbalanced quote must not cost the whole property.
    let colon = line.iter().position(|b| *b == b':')?;
    Some((&line[..colon], &line[colon + 1..]))
}

fn parse_header(header: &[u8]) -> Header {
    let mut parts = split_unquoted(header, b';').into_iter();
    let full_name = parts.next().map(lossy_trimmed).unwrap_or_default();
    let (group, name) = match full_name.rsplit_once('.') {
        Some((group, name)) => (Some(group.trim().to_string()), name),
        None => (None, full_name.as_str()),
    };
    Header {
        group,
        name: name.trim().to_ascii_uppercase(),
        params: parts
            .map(parse_param)
            .filter(|p| !p.raw.is_empty())
            .collect(),
    }
}

fn parse_param(raw: &[u8]) -> Param {
    let raw = lossy_trimmed(raw);
    let (name, value) = match raw.split_once('=') {
        Some((name, value)) => (Some(name.trim().to_ascii_uppercase()), value.trim()),
        None => (None, raw.as_str()),
    };
    let value = value.trim_matches('"').to_string();
    Param { name, value, raw }
}

fn split_unquoted(bytes: &[u8], separator: u8) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, byte) in bytes.iter().enumerate() {
        if *byte == b'"' {
            quoted = !quoted;
        } else if *byte == separator && !quoted {
            parts.push(&bytes[start..i]);
            start = i + 1;
        }
    }
    parts.push(&bytes[start..]);
    parts
}

/// Parameter names and values are ASCII in every real file; a stray byte only spoils
/// that parameter, so lossy decoding is enough there.
fn lossy_trimmed(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes.trim_ascii()).into_owned()
}

/// 2.1 writes `ENCODING=QUOTED-PRINTABLE` or just `QUOTED-PRINTABLE`; 3.0 writes `ENCODING=b`.
fn transfer_encoding(params: &[Param]) -> TransferEncoding {
    if is_quoted_printable(params) {
        return TransferEncoding::QuotedPrintable;
    }
    let binary = params.iter().any(|p| {
        is_encoding_slot(p)
            && ["BASE64", "B"]
                .iter()
                .any(|e| p.value.eq_ignore_ascii_case(e))
    });
    if binary {
        TransferEncoding::Binary
    } else {
        TransferEncoding::None
    }
}

fn is_quoted_printable(params: &[Param]) -> bool {
    params.iter().any(|p| {
        is_encoding_slot(p)
            && ["QUOTED-PRINTABLE", "QP"]
                .iter()
                .any(|e| p.value.eq_ignore_ascii_case(e))
    })
}

fn is_encoding_slot(param: &Param) -> bool {
    param.name.as_deref().is_none_or(|name| name == "ENCODING")
}

/// Parameters already applied by the pre-pass, which calcard must not apply again.
fn is_transfer_param(param: &Param) -> bool {
    match param.name.as_deref() {
        Some(name) => name == "ENCODING" || name == "CHARSET",
        None => ["QUOTED-PRINTABLE", "QP", "BASE64", "8BIT", "7BIT"]
            .iter()
            .any(|e| param.value.eq_ignore_ascii_case(e)),
    }
}

fn charset(params: &[Param]) -> Option<&str> {
    params
        .iter()
        .find(|p| p.name.as_deref() == Some("CHARSET"))
        .map(|p| p.value.as_str())
}

/// `=XX` becomes the byte XX; an `=` not followed by two hex digits is kept as written.
fn decode_quoted_printable(encoded: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some((&byte, tail)) = rest.split_first() {
        let escaped = match (byte, tail) {
            (b'=', [high, low, ..]) => hex_value(*high).zip(hex_value(*low)),
            _ => None,
        };
        match escaped {
            Some((high, low)) => {
                decoded.push(high << 4 | low);
                rest = tail.get(2..).unwrap_or_default();
            }
            None => {
                decoded.push(byte);
                rest = tail;
            }
        }
    }
    decoded
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|v| u8::try_from(v).ok())
}

/// Only a CHARSET parameter may make us read bytes as anything but UTF-8: guessing
/// Windows-1252 for a broken UTF-8 file would import mojibake without a warning.
fn decode_charset(bytes: &[u8], charset: Option<&str>, property: &str) -> Result<String, Msg> {
    let Some(label) = charset else {
        return String::from_utf8(bytes.to_vec())
            .map_err(|_| Msg::new(Code::CardNotUtf8).with("property", property));
    };
    match encoding_rs::Encoding::for_label(label.trim().as_bytes()) {
        Some(encoding) => encoding
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(Cow::into_owned)
            .ok_or_else(|| {
                Msg::new(Code::CardBadCharsetText)
                    .with("property", property)
                    .with("charset", label)
            }),
        None => String::from_utf8(bytes.to_vec()).map_err(|_| {
            Msg::new(Code::CardUnknownCharset)
                .with("property", property)
                .with("charset", label)
        }),
    }
}

// ---------------------------------------------------------------------------------------
// Reading: handing the cleaned card to calcard
// ---------------------------------------------------------------------------------------

/// The card rewritten as unfolded UTF-8 lines without ENCODING or CHARSET. BDAY stays
/// out: calcard turns dates into numbers, and the birthday is kept as written.
fn calcard_input(properties: &[Property]) -> String {
    let legacy = properties
        .iter()
        .any(|p| p.header.name == "VERSION" && is_legacy(&p.value));
    let mut text = String::from("BEGIN:VCARD\n");
    for property in properties.iter().filter(|p| p.header.name != "BDAY") {
        push_header(&mut text, &property.header);
        text.push(':');
        let is_list = property.header.name == "CATEGORIES";
        text.push_str(&escape_value(&property.value, legacy, is_list));
        text.push('\n');
    }
    text.push_str("END:VCARD\n");
    text
}

fn is_legacy(version: &str) -> bool {
    let version = version.trim();
    version.starts_with("2.") || version.starts_with("1.")
}

fn push_header(text: &mut String, header: &Header) {
    if let Some(group) = &header.group {
        text.push_str(group);
        text.push('.');
    }
    text.push_str(&header.name);
    for param in header.params.iter().filter(|p| !is_transfer_param(p)) {
        text.push(';');
        text.push_str(&param.raw);
    }
}

/// vCard 2.1 only defines `\;`, so bare commas and lone backslashes are literal there,
/// while calcard reads them the 3.0/4.0 way: they are escaped for it. The escapes 3.0
/// added (`\,` `\\` `\n`) are kept, as many 2.1 writers use them anyway. CATEGORIES keeps
/// its commas, which separate the categories in every version. Line breaks come from
/// decoded quoted-printable and must not end the content line.
fn escape_value(value: &str, legacy: bool, is_list: bool) -> String {
    let mut escaped = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                escaped.push_str("\\n");
            }
            '\n' => escaped.push_str("\\n"),
            '\\' if legacy => {
                match chars.next_if(|next| matches!(next, ';' | ',' | '\\' | 'n' | 'N')) {
                    Some(next) => {
                        escaped.push('\\');
                        escaped.push(next);
                    }
                    None => escaped.push_str("\\\\"),
                }
            }
            ',' if legacy && !is_list => escaped.push_str("\\,"),
            _ => escaped.push(c),
        }
    }
    escaped
}

// ---------------------------------------------------------------------------------------
// Reading: from calcard's VCard to RawContact
// ---------------------------------------------------------------------------------------

/// Values kept with how strongly the card prefers them, to sort preferred ones first.
type Ranked<T> = Vec<(u32, T)>;

fn contact_from(card: &VCard, number: u64) -> RawContact {
    let labels = group_labels(card);
    let mut contact = RawContact {
        line: number,
        ..RawContact::default()
    };
    let mut emails: Ranked<(String, String)> = Vec::new();
    let mut phones: Ranked<(String, String)> = Vec::new();
    let mut addresses: Ranked<RawAddress> = Vec::new();
    for entry in &card.entries {
        let tokens = || kind_tokens(entry, &labels);
        match &entry.name {
            VCardProperty::Fn => fill(&mut contact.full_name, component(entry, 0)),
            VCardProperty::N => read_name(&mut contact, entry),
            VCardProperty::Org => fill(&mut contact.company, component(entry, 0)),
            VCardProperty::Title => fill(&mut contact.job_title, component(entry, 0)),
            VCardProperty::Lang => fill(&mut contact.language, component(entry, 0)),
            VCardProperty::Url => fill(&mut contact.website, component(entry, 0)),
            VCardProperty::Uid => fill(&mut contact.uid, component(entry, 0)),
            VCardProperty::Note => add_note(&mut contact, component(entry, 0)),
            VCardProperty::Categories => add_tags(&mut contact, entry),
            VCardProperty::Email => {
                if let Some(address) = component(entry, 0).map(|a| strip_scheme(a, "mailto:")) {
                    let tokens = tokens();
                    emails.push((pref_rank(entry, &tokens), (place_kind(&tokens), address)));
                }
            }
            VCardProperty::Tel => {
                if let Some(number) = component(entry, 0).map(|n| strip_scheme(n, "tel:")) {
                    let tokens = tokens();
                    phones.push((pref_rank(entry, &tokens), (phone_kind(&tokens), number)));
                }
            }
            VCardProperty::Adr => {
                let tokens = tokens();
                let address = address(entry, place_kind(&tokens));
                if !address.is_empty() {
                    addresses.push((pref_rank(entry, &tokens), address));
                }
            }
            _ => {}
        }
    }
    contact.emails = by_preference(emails);
    contact.phones = by_preference(phones);
    contact.addresses = by_preference(addresses);
    contact
}

/// The first value wins: later ones are alternates (other languages, other scripts).
fn fill(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_none() {
        *slot = value;
    }
}

fn read_name(contact: &mut RawContact, entry: &VCardEntry) {
    fill(&mut contact.last_name, component(entry, 0));
    fill(&mut contact.first_name, component(entry, 1));
    fill(&mut contact.civility, component(entry, 3));
}

fn add_note(contact: &mut RawContact, note: Option<String>) {
    let Some(note) = note else { return };
    match &mut contact.notes {
        Some(notes) => {
            notes.push('\n');
            notes.push_str(&note);
        }
        None => contact.notes = Some(note),
    }
}

fn add_tags(contact: &mut RawContact, entry: &VCardEntry) {
    for index in 0..entry.values.len() {
        if let Some(tag) = component(entry, index)
            && !contact.tags.contains(&tag)
        {
            contact.tags.push(tag);
        }
    }
}

/// ADR is pobox;extended;street;locality;region;code;country. Only one street field
/// exists here, so the box and the extended part (building, floor) join it.
fn address(entry: &VCardEntry, kind: String) -> RawAddress {
    let street: Vec<String> = (0..3).filter_map(|i| component(entry, i)).collect();
    RawAddress {
        kind,
        street: non_empty(&street.join(", ")),
        city: component(entry, 3),
        region: component(entry, 4),
        postal_code: component(entry, 5),
        country: component(entry, 6),
    }
}

/// One component of a property value, trimmed; comma lists inside it (4.0 allows
/// several street lines or given names) are joined back with ", ".
fn component(entry: &VCardEntry, index: usize) -> Option<String> {
    let text = match entry.values.get(index)? {
        VCardValue::Text(text) => Cow::Borrowed(text.as_str()),
        VCardValue::Component(parts) => {
            let parts: Vec<&str> = parts
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .collect();
            Cow::Owned(parts.join(", "))
        }
        VCardValue::Integer(number) => Cow::Owned(number.to_string()),
        VCardValue::Float(number) => Cow::Owned(number.to_string()),
        _ => return None,
    };
    non_empty(&clean_text(&text))
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn strip_scheme(value: String, scheme: &str) -> String {
    match value.get(..scheme.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(scheme) => value
            .get(scheme.len()..)
            .unwrap_or_default()
            .trim()
            .to_string(),
        _ => value,
    }
}

/// Apple and Google name a value's kind in a sibling property of the same group
/// (`item1.EMAIL` + `item1.X-ABLabel:_$!<Work>!$_`) when TYPE cannot say it.
fn group_labels(card: &VCard) -> Vec<(String, String)> {
    card.entries
        .iter()
        .filter(
            |e| matches!(&e.name, VCardProperty::Other(n) if n.eq_ignore_ascii_case("X-ABLABEL")),
        )
        .filter_map(|e| {
            let group = e.group.as_deref()?.to_ascii_lowercase();
            let label = component(e, 0)?;
            let label = label.trim_start_matches("_$!<").trim_end_matches(">!$_");
            Some((group, label.to_lowercase()))
        })
        .collect()
}

/// Lower-cased TYPE values and group label of an entry.
fn kind_tokens(entry: &VCardEntry, labels: &[(String, String)]) -> Vec<String> {
    let mut tokens: Vec<String> = entry
        .params
        .iter()
        .filter_map(|param| match (&param.name, &param.value) {
            (VCardParameterName::Type, VCardParameterValue::Type(t)) => {
                Some(t.as_str().to_ascii_lowercase())
            }
            (VCardParameterName::Type, VCardParameterValue::Text(t)) => {
                Some(t.to_ascii_lowercase())
            }
            // 2.1 writes types bare (`EMAIL;INTERNET;WORK`); calcard keeps the ones it
            // does not know as value-less parameters named after them.
            (VCardParameterName::Other(name), VCardParameterValue::Null) => {
                Some(name.to_ascii_lowercase())
            }
            _ => None,
        })
        .collect();
    if let Some(group) = &entry.group {
        let group = group.to_ascii_lowercase();
        tokens.extend(
            labels
                .iter()
                .filter(|(g, _)| *g == group)
                .map(|(_, label)| label.clone()),
        );
    }
    tokens
}

/// Kind of an e-mail or postal address.
fn place_kind(tokens: &[String]) -> String {
    let has = |kind: &str| tokens.iter().any(|t| t == kind);
    if has("work") {
        "work".into()
    } else if has("home") {
        "home".into()
    } else {
        "other".into()
    }
}

/// A fax stays a fax even at work, and a mobile stays a mobile.
fn phone_kind(tokens: &[String]) -> String {
    let has = |kind: &str| tokens.iter().any(|t| t == kind);
    if ["cell", "mobile", "iphone"].iter().any(|k| has(k)) {
        "mobile".into()
    } else if tokens.iter().any(|t| t.contains("fax")) {
        "fax".into()
    } else {
        place_kind(tokens)
    }
}

/// 4.0 ranks with PREF=1..100; 3.0 flags with TYPE=pref; 2.1 with a bare PREF.
fn pref_rank(entry: &VCardEntry, tokens: &[String]) -> u32 {
    let explicit = entry
        .params
        .iter()
        .find_map(|param| match (&param.name, &param.value) {
            (VCardParameterName::Pref, VCardParameterValue::Integer(rank)) => Some(*rank),
            (VCardParameterName::Pref, _) => Some(1),
            _ => None,
        });
    explicit
        .or_else(|| tokens.iter().any(|t| t == "pref").then_some(1))
        .unwrap_or(u32::MAX)
}

/// The preferred value comes first, as it is the one a CRM shows; equals keep file order.
fn by_preference<T>(mut ranked: Ranked<T>) -> Vec<T> {
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, value)| value).collect()
}

/// BDAY as written, without a time part. Apple stores a birthday without a year under
/// a placeholder year named by X-APPLE-OMIT-YEAR: it becomes `--MM-DD`.
fn birthday(properties: &[Property]) -> Option<String> {
    properties
        .iter()
        .filter(|p| p.header.name == "BDAY")
        .find_map(|property| {
            let value = property.value.trim();
            let is_date = value.starts_with(|c: char| c.is_ascii_digit() || c == '-');
            let date = if is_date {
                value.split_once('T').map_or(value, |(date, _)| date)
            } else {
                value
            };
            let date = without_placeholder_year(date, &property.header)
                .unwrap_or_else(|| date.to_string());
            non_empty(&clean_text(&date))
        })
}

fn without_placeholder_year(date: &str, header: &Header) -> Option<String> {
    let year = header
        .params
        .iter()
        .find(|p| p.name.as_deref() == Some("X-APPLE-OMIT-YEAR"))?
        .value
        .trim();
    let month_day = date.strip_prefix(year).filter(|_| !year.is_empty())?;
    Some(format!(
        "--{}",
        month_day.strip_prefix('-').unwrap_or(month_day)
    ))
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

fn card_entries(contact: &RawContact) -> Vec<VCardEntry> {
    let mut entries = vec![text_entry(VCardProperty::Fn, &display_name(contact))];
    entries.extend(name_entry(contact));
    entries.extend(optional_entry(VCardProperty::Org, &contact.company));
    entries.extend(optional_entry(VCardProperty::Title, &contact.job_title));
    entries.extend(
        contact
            .emails
            .iter()
            .filter_map(|(kind, address)| email_entry(kind, address)),
    );
    entries.extend(
        contact
            .phones
            .iter()
            .filter_map(|(kind, number)| phone_entry(kind, number)),
    );
    entries.extend(
        contact
            .addresses
            .iter()
            .filter(|a| !a.is_empty())
            .map(address_entry),
    );
    entries.extend(contact.birthday.as_deref().and_then(birthday_entry));
    entries.extend(optional_entry(VCardProperty::Lang, &contact.language));
    entries.extend(optional_entry(VCardProperty::Note, &contact.notes));
    entries.extend(optional_entry(VCardProperty::Url, &contact.website));
    entries.extend(categories_entry(&contact.tags));
    entries.extend(optional_entry(VCardProperty::Uid, &contact.uid));
    entries
}

/// FN is mandatory in 4.0: without a full name, the best thing that names the contact.
fn display_name(contact: &RawContact) -> String {
    let present = |value: &Option<String>| value.as_deref().and_then(non_empty);
    let parts: Vec<String> = [&contact.first_name, &contact.last_name]
        .into_iter()
        .filter_map(present)
        .collect();
    present(&contact.full_name)
        .or_else(|| (!parts.is_empty()).then(|| parts.join(" ")))
        .or_else(|| present(&contact.company))
        .or_else(|| {
            contact
                .emails
                .first()
                .and_then(|(_, address)| non_empty(address))
        })
        .or_else(|| {
            contact
                .phones
                .first()
                .and_then(|(_, number)| non_empty(number))
        })
        .unwrap_or_default()
}

fn name_entry(contact: &RawContact) -> Option<VCardEntry> {
    let parts = [
        &contact.last_name,
        &contact.first_name,
        &None,
        &contact.civility,
        &None,
    ];
    if parts
        .iter()
        .all(|part| part.as_deref().and_then(non_empty).is_none())
    {
        return None;
    }
    let values = parts
        .iter()
        .map(|part| VCardValue::Text(part.as_deref().map(clean_text).unwrap_or_default()));
    Some(VCardEntry::new(VCardProperty::N).with_values(values.collect()))
}

fn email_entry(kind: &str, address: &str) -> Option<VCardEntry> {
    non_empty(address)?;
    let types = match kind.trim().to_ascii_lowercase().as_str() {
        "work" => vec![VCardType::Work],
        "home" => vec![VCardType::Home],
        // 4.0 has no "other" type: no TYPE reads back as "other".
        _ => vec![],
    };
    Some(
        VCardEntry::new(VCardProperty::Email)
            .with_params(type_params(types))
            .with_value(clean_text(address)),
    )
}

fn phone_entry(kind: &str, number: &str) -> Option<VCardEntry> {
    let number = non_empty(number)?;
    let types = match kind.trim().to_ascii_lowercase().as_str() {
        "mobile" => vec![VCardType::Cell],
        "work" => vec![VCardType::Work, VCardType::Voice],
        "home" => vec![VCardType::Home, VCardType::Voice],
        "fax" => vec![VCardType::Fax],
        _ => vec![VCardType::Voice],
    };
    let entry = VCardEntry::new(VCardProperty::Tel).with_params(type_params(types));
    Some(match tel_uri(&number) {
        Some(uri) => entry
            .with_param(VCardParameter::value(VCardParameterValue::ValueType(
                VCardValueType::Uri,
            )))
            .with_value(uri),
        // A number without country code has no tel: URI; 4.0 also accepts free text.
        None => entry.with_value(clean_text(&number)),
    })
}

/// `+33 6 12 34 56 78` becomes `tel:+33612345678`; anything else is not a global number.
fn tel_uri(number: &str) -> Option<String> {
    let rest = number.trim().strip_prefix('+')?;
    let is_separator = |c: char| matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}');
    if !rest.chars().all(|c| c.is_ascii_digit() || is_separator(c)) {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then(|| format!("tel:+{digits}"))
}

fn address_entry(address: &RawAddress) -> VCardEntry {
    let part = |value: &Option<String>| {
        VCardValue::Text(value.as_deref().map(clean_text).unwrap_or_default())
    };
    let values = vec![
        VCardValue::Text(String::new()),
        VCardValue::Text(String::new()),
        part(&address.street),
        part(&address.city),
        part(&address.region),
        part(&address.postal_code),
        part(&address.country),
    ];
    VCardEntry::new(VCardProperty::Adr)
        .with_params(type_params(place_types(&address.kind)))
        .with_values(values)
}

fn place_types(kind: &str) -> Vec<VCardType> {
    match kind.trim().to_ascii_lowercase().as_str() {
        "work" => vec![VCardType::Work],
        "home" => vec![VCardType::Home],
        _ => vec![],
    }
}

fn type_params(types: Vec<VCardType>) -> Vec<VCardParameter> {
    types
        .into_iter()
        .map(|t| VCardParameter::typ(VCardParameterValue::Type(t)))
        .collect()
}

/// A date vCard 4.0 understands is written in its basic form; anything else (`10/12`)
/// is kept as text so nothing is lost.
fn birthday_entry(birthday: &str) -> Option<VCardEntry> {
    let birthday = non_empty(birthday)?;
    let entry = VCardEntry::new(VCardProperty::Bday);
    Some(match vcard_date(&birthday) {
        Some(date) => entry.with_value(date),
        None => entry
            .with_param(VCardParameter::value(VCardParameterValue::ValueType(
                VCardValueType::Text,
            )))
            .with_value(clean_text(&birthday)),
    })
}

/// `1815-12-10` / `18151210` → `18151210`; `--12-10` / `--1210` → `--1210`.
fn vcard_date(birthday: &str) -> Option<String> {
    let date = birthday.split_once('T').map_or(birthday, |(date, _)| date);
    let (year, month_day) = match date.strip_prefix("--") {
        Some(month_day) => (None, month_day),
        None => {
            let (year, month_day) = split_year(date)?;
            (Some(year), month_day)
        }
    };
    let (month, day) = split_month_day(month_day)?;
    let in_range = |text: &str, max: u32| text.parse::<u32>().is_ok_and(|n| (1..=max).contains(&n));
    if !in_range(month, 12) || !in_range(day, 31) {
        return None;
    }
    Some(format!("{}{month}{day}", year.unwrap_or("--")))
}

fn split_year(date: &str) -> Option<(&str, &str)> {
    let year = date
        .get(..4)
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))?;
    let rest = date.get(4..)?;
    let month_day = if date.len() == 10 {
        rest.strip_prefix('-')?
    } else {
        rest
    };
    Some((year, month_day))
}

fn split_month_day(month_day: &str) -> Option<(&str, &str)> {
    let (month, day) = match month_day.len() {
        4 => (month_day.get(..2)?, month_day.get(2..)?),
        5 => month_day.split_once('-')?,
        _ => return None,
    };
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    (two_digits(month) && two_digits(day)).then_some((month, day))
}

fn categories_entry(tags: &[String]) -> Option<VCardEntry> {
    let values: Vec<VCardValue> = tags
        .iter()
        .filter_map(|tag| non_empty(tag))
        .map(|tag| VCardValue::Text(clean_text(&tag)))
        .collect();
    (!values.is_empty()).then(|| VCardEntry::new(VCardProperty::Categories).with_values(values))
}

fn optional_entry(property: VCardProperty, value: &Option<String>) -> Option<VCardEntry> {
    value.as_deref().and_then(non_empty)?;
    value.as_deref().map(|value| text_entry(property, value))
}

fn text_entry(property: VCardProperty, value: &str) -> VCardEntry {
    VCardEntry::new(property).with_value(clean_text(value))
}

/// vCard text knows one line break, written `\n`: CR LF and lone CR become LF (calcard
/// would write CR as `\r`, which 4.0 does not define). Other control characters are not
/// allowed in a value, and on import they only come from broken encodings (`=00` in
/// quoted-printable), so they are dropped both ways.
fn clean_text(value: &str) -> String {
    let value = value.replace("\r\n", "\n").replace('\r', "\n");
    value
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(input: &[u8]) -> RawContact {
        let mut cards = parse_vcards(input);
        assert_eq!(cards.len(), 1, "{cards:?}");
        match cards.remove(0) {
            Ok(contact) => contact,
            Err(error) => panic!("unexpected error: {error}"),
        }
    }

    fn pairs(values: &[(&str, &str)]) -> Vec<(String, String)> {
        values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn text(value: &str) -> Option<String> {
        Some(value.to_string())
    }

    #[test]
    fn reads_android_21_quoted_printable_with_soft_line_breaks() {
        // Android's exporter: CHARSET=UTF-8 on every QP value, soft breaks even inside
        // a multi-byte character (=C3= / =A9), CRLF line endings.
        let input = b"BEGIN:VCARD\r\n\
VERSION:2.1\r\n\
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Dupr=C3=A9;=C3=89lodie;;Mme;\r\n\
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=89lodie Dupr=C3=A9\r\n\
TEL;CELL:06 12 34 56 78\r\n\
TEL;HOME:01 23 45 67 89\r\n\
EMAIL;HOME:elodie@example.fr\r\n\
ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Caf=C3=A9 du Port, SARL\r\n\
NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Rencontr=C3=A9e au salon de Lyon, tr=C3=\r\n\
=A8s int=C3=A9ress=C3=A9e=0D=0ARappeler en janvier\r\n\
X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Lolo;1;;;;;;;;;;;;;\r\n\
END:VCARD\r\n";
        let contact = parse_one(input);
        assert_eq!(contact.line, 1);
        assert_eq!(contact.last_name, text("Dupré"));
        assert_eq!(contact.first_name, text("Élodie"));
        assert_eq!(contact.civility, text("Mme"));
        assert_eq!(contact.full_name, text("Élodie Dupré"));
        assert_eq!(contact.company, text("Café du Port, SARL"));
        assert_eq!(
            contact.phones,
            pairs(&[("mobile", "06 12 34 56 78"), ("home", "01 23 45 67 89")])
        );
        assert_eq!(contact.emails, pairs(&[("home", "elodie@example.fr")]));
        assert_eq!(
            contact.notes,
            text("Rencontrée au salon de Lyon, très intéressée\nRappeler en janvier")
        );
    }

    #[test]
    fn reads_21_quoted_printable_without_charset_as_utf8_and_30_escapes() {
        let input = "BEGIN:VCARD\nVERSION:2.1\nN;QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen\n\
NOTE:Tarifs 2024\\, remise 5%\\nA revoir, vite\nEND:VCARD\n";
        let contact = parse_one(input.as_bytes());
        assert_eq!(contact.last_name, text("Müller"));
        assert_eq!(contact.first_name, text("Jürgen"));
        // 3.0-style escapes written in a 2.1 card are understood; bare commas are literal.
        assert_eq!(
            contact.notes,
            text("Tarifs 2024, remise 5%\nA revoir, vite")
        );
    }

    #[test]
    fn reads_google_30_export() {
        let input = "BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
FN:Ada Lovelace\r\n\
N:Lovelace;Ada;;;\r\n\
EMAIL;TYPE=INTERNET;TYPE=WORK:ada@analytical.example\r\n\
item1.EMAIL;TYPE=INTERNET:ada.home@example.org\r\n\
item1.X-ABLabel:Home\r\n\
TEL;TYPE=CELL:+44 7700 900123\r\n\
TEL;TYPE=WORK;TYPE=FAX:+44 20 7946 0000\r\n\
ADR;TYPE=HOME:;;12 St James's Square;London;;SW1Y 4JH;United Kingdom\r\n\
ORG:Analytical Engine Ltd\r\n\
TITLE:Mathematician\r\n\
BDAY:1815-12-10\r\n\
item2.URL:https\\://ada.example.org\r\n\
item2.X-ABLabel:\r\n\
NOTE:First programmer\\, poet's daughter\\nLondon\r\n\
CATEGORIES:myContacts,Friends\r\n\
END:VCARD\r\n";
        let contact = parse_one(input.as_bytes());
        assert_eq!(contact.full_name, text("Ada Lovelace"));
        assert_eq!(contact.last_name, text("Lovelace"));
        assert_eq!(contact.first_name, text("Ada"));
        assert_eq!(contact.civility, None);
        assert_eq!(
            contact.emails,
            pairs(&[
                ("work", "ada@analytical.example"),
                ("home", "ada.home@example.org")
            ])
        );
        assert_eq!(
            contact.phones,
            pairs(&[("mobile", "+44 7700 900123"), ("fax", "+44 20 7946 0000")])
        );
        assert_eq!(
            contact.addresses,
            vec![RawAddress {
                kind: "home".into(),
                street: text("12 St James's Square"),
                postal_code: text("SW1Y 4JH"),
                city: text("London"),
                region: None,
                country: text("United Kingdom"),
            }]
        );
        assert_eq!(contact.company, text("Analytical Engine Ltd"));
        assert_eq!(contact.job_title, text("Mathematician"));
        assert_eq!(contact.birthday, text("1815-12-10"));
        assert_eq!(contact.website, text("https://ada.example.org"));
        assert_eq!(
            contact.notes,
            text("First programmer, poet's daughter\nLondon")
        );
        assert_eq!(
            contact.tags,
            vec!["myContacts".to_string(), "Friends".to_string()]
        );
    }

    #[test]
    fn reads_apple_grouped_properties_and_pref() {
        let input = "BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
PRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n\
N:Curie;Marie;Salomea;Dr;\r\n\
FN:Dr Marie Curie\r\n\
ORG:Institut du Radium;Laboratoire Curie\r\n\
TITLE:Directrice\r\n\
EMAIL;type=INTERNET;type=WORK:marie@radium.example\r\n\
item1.EMAIL;type=INTERNET;type=pref:marie@curie.example\r\n\
item1.X-ABLabel:_$!<Other>!$_\r\n\
TEL;type=HOME;type=VOICE:+33 1 44 27 00 00\r\n\
TEL;type=CELL;type=VOICE;type=pref:+33 6 12 34 56 78\r\n\
item2.TEL:+33 1 40 00 00 00\r\n\
item2.X-ABLabel:_$!<HomeFAX>!$_\r\n\
item3.ADR;type=WORK;type=pref:;Pavillon Curie;1 rue Pierre et Marie Curie;Paris;;75005;France\r\n\
item3.X-ABADR:fr\r\n\
BDAY;X-APPLE-OMIT-YEAR=1604:1604-11-07\r\n\
item4.URL;type=pref:https\\://curie.example\r\n\
item4.X-ABLabel:_$!<HomePage>!$_\r\n\
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8M\r\n\
END:VCARD\r\n";
        let contact = parse_one(input.as_bytes());
        assert_eq!(contact.civility, text("Dr"));
        assert_eq!(contact.first_name, text("Marie"));
        assert_eq!(contact.last_name, text("Curie"));
        assert_eq!(contact.company, text("Institut du Radium"));
        // The preferred e-mail and phone come first.
        assert_eq!(
            contact.emails,
            pairs(&[
                ("other", "marie@curie.example"),
                ("work", "marie@radium.example")
            ])
        );
        assert_eq!(
            contact.phones,
            pairs(&[
                ("mobile", "+33 6 12 34 56 78"),
                ("home", "+33 1 44 27 00 00"),
                ("fax", "+33 1 40 00 00 00"),
            ])
        );
        assert_eq!(contact.addresses.len(), 1);
        assert_eq!(contact.addresses[0].kind, "work");
        assert_eq!(
            contact.addresses[0].street,
            text("Pavillon Curie, 1 rue Pierre et Marie Curie")
        );
        assert_eq!(contact.addresses[0].postal_code, text("75005"));
        assert_eq!(contact.birthday, text("--11-07"));
        assert_eq!(contact.website, text("https://curie.example"));
    }

    #[test]
    fn reads_outlook_21_bare_types_and_windows_1252() {
        // Outlook writes bare 2.1 types and raw Windows-1252 bytes named by CHARSET.
        let mut input = b"BEGIN:VCARD\r\nVERSION:2.1\r\n".to_vec();
        input.extend_from_slice(b"N;LANGUAGE=fr-fr;CHARSET=Windows-1252:Dupont;J\xe9r\xf4me\r\n");
        input.extend_from_slice(b"FN;CHARSET=Windows-1252:J\xe9r\xf4me Dupont\r\n");
        input.extend_from_slice(
            b"ORG:Dupont, Fils & Cie;Ventes\r\n\
TITLE:Directeur commercial\r\n\
TEL;WORK;VOICE:01 23 45 67 89\r\n\
TEL;CELL;VOICE:06 12 34 56 78\r\n\
TEL;WORK;FAX:01 23 45 67 90\r\n\
ADR;WORK;PREF:;;12 rue de la Paix;Paris;;75002;France\r\n\
LABEL;WORK;PREF;ENCODING=QUOTED-PRINTABLE:12 rue de la Paix=0D=0AParis 75002\r\n\
EMAIL;PREF;INTERNET:jerome.dupont@example.fr\r\n\
NOTE:Dossier C:\\clients\\dupont\r\n\
REV:20240115T093000Z\r\n\
END:VCARD\r\n",
        );
        let contact = parse_one(&input);
        assert_eq!(contact.first_name, text("Jérôme"));
        assert_eq!(contact.full_name, text("Jérôme Dupont"));
        assert_eq!(contact.company, text("Dupont, Fils & Cie"));
        assert_eq!(contact.job_title, text("Directeur commercial"));
        assert_eq!(
            contact.phones,
            pairs(&[
                ("work", "01 23 45 67 89"),
                ("mobile", "06 12 34 56 78"),
                ("fax", "01 23 45 67 90")
            ])
        );
        assert_eq!(
            contact.emails,
            pairs(&[("other", "jerome.dupont@example.fr")])
        );
        assert_eq!(contact.addresses[0].kind, "work");
        assert_eq!(contact.addresses[0].city, text("Paris"));
        // 2.1 backslashes are literal.
        assert_eq!(contact.notes, text("Dossier C:\\clients\\dupont"));
    }

    #[test]
    fn reads_40_with_yearless_birthday() {
        let input = "BEGIN:VCARD\r\n\
VERSION:4.0\r\n\
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\r\n\
FN:Jean Dupont\r\n\
N:Dupont;Jean;;M.;\r\n\
EMAIL;TYPE=work;PREF=2:jean@acme.example\r\n\
EMAIL;TYPE=home;PREF=1:jean@maison.example\r\n\
TEL;VALUE=uri;TYPE=\"cell,voice\":tel:+33612345678\r\n\
TEL;VALUE=uri;TYPE=work:tel:+33123456789\r\n\
ADR;TYPE=home;LABEL=\"3 rue Victor Hugo\\n69002 Lyon\":;;3 rue Victor Hugo;Lyon;;69002;France\r\n\
BDAY:--1210\r\n\
LANG;PREF=1:fr\r\n\
URL:https://dupont.example\r\n\
CATEGORIES:client,VIP\r\n\
END:VCARD\r\n";
        let contact = parse_one(input.as_bytes());
        assert_eq!(
            contact.uid,
            text("urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1")
        );
        assert_eq!(contact.civility, text("M."));
        assert_eq!(contact.birthday, text("--1210"));
        assert_eq!(
            contact.emails,
            pairs(&[
                ("home", "jean@maison.example"),
                ("work", "jean@acme.example")
            ])
        );
        assert_eq!(
            contact.phones,
            pairs(&[("mobile", "+33612345678"), ("work", "+33123456789")])
        );
        assert_eq!(contact.addresses[0].city, text("Lyon"));
        assert_eq!(contact.language, text("fr"));
        assert_eq!(contact.website, text("https://dupont.example"));
        assert_eq!(contact.tags, vec!["client".to_string(), "VIP".to_string()]);
    }

    #[test]
    fn birthday_is_kept_as_written_without_its_time() {
        for (written, expected) in [
            ("1815-12-10", "1815-12-10"),
            ("18151210", "18151210"),
            ("--1210", "--1210"),
            ("--12-10", "--12-10"),
            ("1815-12-10T00:00:00Z", "1815-12-10"),
            ("18151210T120000", "18151210"),
        ] {
            let input = format!("BEGIN:VCARD\nVERSION:3.0\nFN:Ada\nBDAY:{written}\nEND:VCARD\n");
            assert_eq!(
                parse_one(input.as_bytes()).birthday,
                text(expected),
                "{written}"
            );
        }
    }

    #[test]
    fn unfolds_folded_lines() {
        // Folds with a space and with a tab, mixed LF and CRLF, a fold inside an
        // escape and inside a multi-byte character.
        let input = "BEGIN:VCARD\n\
VERSION:3.0\r\n\
FN:Jean-Baptiste Poquelin dit \n Molière\n\
N:Poquelin;Jean-Baptiste;;;\n\
NOTE:Auteur du Misanthrope\\\r\n\t, du Tartuffe\\, et de l'Avare. Troupe de l\n  'Illustre Théâtre.\n\
EMAIL;TYPE=WORK:moliere@\n comedie-francaise.example\n\
END:VCARD\n";
        let contact = parse_one(input.as_bytes());
        assert_eq!(
            contact.full_name,
            text("Jean-Baptiste Poquelin dit Molière")
        );
        assert_eq!(
            contact.notes,
            text(
                "Auteur du Misanthrope, du Tartuffe, et de l'Avare. Troupe de l 'Illustre Théâtre."
            )
        );
        assert_eq!(
            contact.emails,
            pairs(&[("work", "moliere@comedie-francaise.example")])
        );
    }

    #[test]
    fn truncated_card_is_reported() {
        let input = "BEGIN:VCARD\nVERSION:3.0\nFN:One\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:3.0\nFN:Two\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:3.0\nFN:Three\nTEL:+33612345678\n";
        let cards = parse_vcards(input.as_bytes());
        assert_eq!(cards.len(), 3);
        assert!(cards[0].is_ok() && cards[1].is_ok());
        let error = cards[2].clone().unwrap_err();
        assert_eq!(
            error,
            CardError {
                card: 3,
                reason: Code::CardTruncated.into()
            }
        );
        assert_eq!(error.to_string(), "card 3: truncated, no END:VCARD");
    }

    #[test]
    fn card_cut_off_by_the_next_begin_is_truncated() {
        let input = "BEGIN:VCARD\nFN:One\nBEGIN:VCARD\nFN:Two\nEND:VCARD\n";
        let cards = parse_vcards(input.as_bytes());
        assert_eq!(cards[0].clone().unwrap_err().card, 1);
        assert_eq!(cards[1].clone().map(|c| c.full_name), Ok(text("Two")));
    }

    #[test]
    fn card_without_name_email_or_phone_is_an_error() {
        let input = "BEGIN:VCARD\nVERSION:3.0\nFN:Ada\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:3.0\nORG:Acme\nNOTE:only a note\nN:;;;;\nFN: \nEND:VCARD\n";
        let cards = parse_vcards(input.as_bytes());
        assert!(cards[0].is_ok());
        let error = cards[1].clone().unwrap_err();
        assert_eq!(error.card, 2);
        assert_eq!(error.reason.code, Code::CardAnonymous, "{error}");
    }

    #[test]
    fn invalid_utf8_is_an_error_unless_charset_names_the_encoding() {
        let mut input = b"BEGIN:VCARD\nVERSION:3.0\nFN:Caf\xe9\nEND:VCARD\n".to_vec();
        input.extend_from_slice(
            b"BEGIN:VCARD\nVERSION:2.1\nNOTE;ENCODING=QUOTED-PRINTABLE:caf=E9\nFN:B\nEND:VCARD\n",
        );
        input.extend_from_slice(
            b"BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:caf=E9\nEND:VCARD\n",
        );
        input.extend_from_slice(
            b"BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Caf=E9\nEND:VCARD\n",
        );
        // Bytes in properties we do not read cannot fail a card.
        input.extend_from_slice(b"BEGIN:VCARD\nVERSION:3.0\nFN:Ok\nX-JUNK:\xff\xfe\nEND:VCARD\n");
        let cards = parse_vcards(&input);
        assert_eq!(cards.len(), 5);
        let reason = |i: usize| cards[i].clone().unwrap_err().reason.to_string();
        assert_eq!(
            reason(0),
            "FN is not valid UTF-8 and has no CHARSET parameter"
        );
        assert_eq!(
            reason(1),
            "NOTE is not valid UTF-8 and has no CHARSET parameter"
        );
        assert!(reason(2).contains("not valid UTF-8"), "{}", reason(2));
        assert_eq!(cards[3].clone().map(|c| c.full_name), Ok(text("Café")));
        assert_eq!(cards[4].clone().map(|c| c.full_name), Ok(text("Ok")));
    }

    #[test]
    fn reads_every_card_of_a_multi_card_file() {
        let mut input = UTF8_BOM.to_vec();
        input.extend_from_slice(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEMAIL:ada@example.org\r\nEND:VCARD\r\n\
\r\n\
begin:vcard\r\nversion:4.0\r\nfn:Alan Turing\r\ntel;type=cell:+44 7700 900000\r\nend:vcard\r\n\
BEGIN:VCARD\r\nVERSION:2.1\r\nN:Hopper;Grace\r\nEND:VCARD\r\n"
                .as_bytes(),
        );
        let cards: Vec<RawContact> = parse_vcards(&input)
            .into_iter()
            .map(|c| c.unwrap())
            .collect();
        assert_eq!(cards.len(), 3);
        assert_eq!(
            cards.iter().map(|c| c.line).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(cards[0].full_name, text("Ada Lovelace"));
        assert_eq!(cards[0].emails, pairs(&[("other", "ada@example.org")]));
        assert_eq!(cards[1].phones, pairs(&[("mobile", "+44 7700 900000")]));
        assert_eq!(cards[2].last_name, text("Hopper"));
        assert_eq!(cards[2].first_name, text("Grace"));
    }

    #[test]
    fn empty_input_gives_no_cards_and_other_files_are_refused() {
        assert!(parse_vcards(b"").is_empty());
        assert!(parse_vcards(b"\r\n  \n").is_empty());
        assert!(parse_vcards(UTF8_BOM).is_empty());
        let cards = parse_vcards(b"first_name,last_name\nAda,Lovelace\n");
        assert_eq!(cards.len(), 1);
        assert!(cards[0].clone().unwrap_err().reason.code == Code::NotAVcard);
    }

    #[test]
    fn reads_utf16_files() {
        let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoé\r\nEND:VCARD\r\n";
        let mut input = vec![0xFF, 0xFE];
        input.extend(card.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(parse_one(&input).full_name, text("Zoé"));
    }

    fn sample_contact() -> RawContact {
        let note = "Première rencontre au salon « Vivatech », stand B12; \
            intéressée par l'offre Pro, budget à confirmer.\n\
            Rappeler après le 15, côté achats (Mme Lefèvre) \\ voir aussi le devis n°42; \
            relance prévue fin du mois, avec l'équipe commerciale au complet.";
        RawContact {
            line: 1,
            uid: text("urn:uuid:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
            civility: text("Mme"),
            first_name: text("Élodie; Marie"),
            last_name: text("Dupré, de la Tour"),
            full_name: text("Élodie Dupré, de la Tour"),
            job_title: text("Directrice R&D \\ Innovation"),
            company: text("Société Générale; Paris, siège"),
            emails: pairs(&[
                ("work", "elodie.dupre@example.fr"),
                ("home", "élodie@exemple.fr"),
                ("other", "e.dupre@example.org"),
            ]),
            phones: pairs(&[
                ("mobile", "+33612345678"),
                ("work", "01 23 45 67 89"),
                ("home", "+33145678901"),
                ("fax", "+33145678902"),
                ("other", "3615"),
            ]),
            addresses: vec![RawAddress {
                kind: "work".into(),
                street: text("12, rue de la Paix; bât. B"),
                postal_code: text("75002"),
                city: text("Paris"),
                region: text("Île-de-France"),
                country: text("France"),
            }],
            birthday: text("--12-10"),
            language: text("fr"),
            tags: vec!["clients, VIP".into(), "Lyon; Rhône".into(), "été".into()],
            notes: Some(note.chars().take(200).collect()),
            website: text("https://example.fr/équipe?a=1,b=2;c"),
            ..RawContact::default()
        }
    }

    #[test]
    fn write_then_read_round_trip() {
        let contact = sample_contact();
        assert_eq!(
            contact.notes.as_deref().map(|n| n.chars().count()),
            Some(200)
        );
        let written = write_vcard(&contact);
        let read = parse_one(written.as_bytes());
        // vCard 4.0 writes a yearless birthday in its basic form.
        let expected = RawContact {
            birthday: text("--1210"),
            ..contact.clone()
        };
        assert_eq!(read, expected, "written:\n{written}");

        let with_year = RawContact {
            birthday: text("1815-12-10"),
            ..contact
        };
        let read = parse_one(write_vcard(&with_year).as_bytes());
        assert_eq!(read.birthday, text("18151210"));
    }

    #[test]
    fn writes_vcard_40_lines() {
        let contact = RawContact {
            first_name: text("Jean"),
            last_name: text("Dupont"),
            civility: text("M."),
            phones: pairs(&[("mobile", "+33 6 12 34 56 78"), ("work", "01 23 45 67 89")]),
            emails: pairs(&[("work", "jean@acme.example")]),
            birthday: text("--12-10"),
            ..RawContact::default()
        };
        let written = write_vcard(&contact);
        let lines: Vec<&str> = written.split("\r\n").collect();
        assert_eq!(lines.first(), Some(&"BEGIN:VCARD"));
        assert_eq!(lines.get(1), Some(&"VERSION:4.0"));
        for line in [
            "FN:Jean Dupont",
            "N:Dupont;Jean;;M.;",
            "EMAIL;TYPE=WORK:jean@acme.example",
            "TEL;TYPE=CELL;VALUE=URI:tel:+33612345678",
            "TEL;TYPE=WORK,VOICE:01 23 45 67 89",
            "BDAY:--1210",
        ] {
            assert!(lines.contains(&line), "{line} missing from:\n{written}");
        }
        assert!(written.ends_with("END:VCARD\r\n"));
        assert!(
            !written.replace("\r\n", "").contains('\n'),
            "bare LF in:\n{written}"
        );
    }

    #[test]
    fn written_lines_are_folded_at_75_octets() {
        let written = write_vcard(&sample_contact());
        let lines: Vec<&str> = written.split("\r\n").collect();
        assert!(lines.iter().all(|line| line.len() <= 75), "{written}");
        assert!(
            lines.iter().any(|line| line.starts_with(' ')),
            "nothing folded:\n{written}"
        );
        // Folding inside a word of accented letters never splits a character: a String
        // could not hold the halves, and each physical line is valid on its own.
        let accents = RawContact {
            full_name: Some("é".repeat(120)),
            ..RawContact::default()
        };
        let written = write_vcard(&accents);
        assert!(written.split("\r\n").all(|line| line.len() <= 75));
        assert_eq!(parse_one(written.as_bytes()).full_name, accents.full_name);
    }

    #[test]
    fn unusual_birthdays_are_written_as_text() {
        for (birthday, line, read_back) in [
            ("1815-12-10", "BDAY:18151210", "18151210"),
            ("18151210", "BDAY:18151210", "18151210"),
            ("--1210", "BDAY:--1210", "--1210"),
            ("10/12/1815", "BDAY;VALUE=TEXT:10/12/1815", "10/12/1815"),
            ("1815-13-10", "BDAY;VALUE=TEXT:1815-13-10", "1815-13-10"),
        ] {
            let contact = RawContact {
                full_name: text("Ada"),
                birthday: text(birthday),
                ..RawContact::default()
            };
            let written = write_vcard(&contact);
            assert!(
                written.split("\r\n").any(|l| l == line),
                "{birthday}: {written}"
            );
            assert_eq!(parse_one(written.as_bytes()).birthday, text(read_back));
        }
    }

    #[test]
    fn garbage_never_panics() {
        // Pieces of vCard syntax, separated by '|', glued at random.
        const PIECES: &[u8] = b"BEGIN:VCARD|END:VCARD|\r\n|\n|\r|\x20|\t|;|:|,|=|\\|\"|.|N|FN|TEL|\
            EMAIL|ADR|BDAY|NOTE|CATEGORIES|item1.|X-ABLabel|TYPE=|CELL|pref|PREF=|\
            ENCODING=QUOTED-PRINTABLE|QUOTED-PRINTABLE|CHARSET=|UTF-8|Windows-1252|\
            x-unknown|=C3|=A9|=\r\n|\xff|\xc3|\xef\xbb\xbf|--|1815|T|VERSION:2.1|\
            VERSION:4.0|X-APPLE-OMIT-YEAR=|VALUE=uri|tel:|\0|\x7f|\xe2\x82\xac";
        let pieces: Vec<&[u8]> = PIECES.split(|b| *b == b'|').collect();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let len = next() % 80;
            let mut input = Vec::new();
            for _ in 0..len {
                let index = usize::try_from(next() % pieces.len() as u64).unwrap_or(0);
                input.extend_from_slice(pieces[index]);
            }
            for contact in parse_vcards(&input).into_iter().flatten() {
                let again = parse_vcards(write_vcard(&contact).as_bytes());
                assert_eq!(again.len(), 1);
            }
        }
    }
}
