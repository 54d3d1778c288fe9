//! Attachments of interactions (a signed quote, a contract, a photo of a delivery): a file
//! name that is safe to store and to send back, and a content type from an allowlist that
//! the file's own bytes confirm. Pure: the caller hands the bytes over; nothing is read or
//! written here.
mod magic;

use crate::error::{Errors, Invalid};
use crate::message::{Code, Msg};
use magic::{Format, Office};

/// The largest attachment accepted unless the configuration says otherwise: 10 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The longest file name kept, in bytes of UTF-8 (what most file systems allow).
pub const MAX_FILENAME_BYTES: usize = 255;

/// An upload as a client sent it. The name comes as bytes: an HTTP header may carry any.
#[derive(Debug, Clone, Copy)]
pub struct AttachmentDraft<'a> {
    pub filename: Option<&'a [u8]>,
    pub content_type: Option<&'a str>,
    pub data: &'a [u8],
}

/// What an accepted upload is called and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentData {
    pub filename: Filename,
    pub content_type: ContentType,
}

/// A file name without any path, control character or direction mark, at most
/// [`MAX_FILENAME_BYTES`] long, and not the name of a program or script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filename(String);

/// A media type of the allowlist, as stored and served: the canonical name
/// (`image/jpeg` for `image/jpg`), with the charset for text (`text/csv; charset=utf-8`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType(String);

/// Extensions that Windows, macOS or a shell would run when the file is opened.
const PROGRAM_EXTENSIONS: &[&str] = &[
    "app", "apk", "appimage", "bash", "bat", "cmd", "com", "cpl", "deb", "dll", "dmg", "exe",
    "hta", "inf", "jar", "js", "jse", "lnk", "msc", "msi", "msp", "pif", "pkg", "ps1", "psd1",
    "psm1", "reg", "rpm", "run", "scf", "scr", "sh", "url", "vb", "vbe", "vbs", "ws", "wsc", "wsf",
    "wsh",
];

impl Filename {
    /// Keeps the last part of a path (`C:\Users\me\devis.pdf` → `devis.pdf`), trimmed, and
    /// without the trailing dots and spaces that Windows ignores (so `x.exe.` is `x.exe`).
    pub fn parse(raw: &[u8]) -> Result<Filename, Msg> {
        let s = std::str::from_utf8(raw)
            .map_err(|e| Msg::new(Code::FilenameNotUtf8).with("byte", e.valid_up_to() + 1))?;
        let base = s.rsplit(['/', '\\']).next().unwrap_or(s);
        let name = base.trim().trim_end_matches(['.', ' ']);
        if name.is_empty() {
            return Err(Code::FilenameEmpty.into());
        }
        if name.chars().any(char::is_control) {
            return Err(Code::ControlCharacters.into());
        }
        if name.chars().any(is_direction_mark) {
            return Err(Code::DirectionMarks.into());
        }
        if name.len() > MAX_FILENAME_BYTES {
            return Err(Msg::new(Code::TooLongBytes).with("max", MAX_FILENAME_BYTES));
        }
        let name = Filename(name.to_string());
        if let Some(ext) = name.extension()
            && PROGRAM_EXTENSIONS.contains(&ext.as_str())
        {
            return Err(Msg::new(Code::ProgramExtension).with("ext", ext));
        }
        Ok(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The extension, lowercase, without the dot.
    pub fn extension(&self) -> Option<String> {
        self.0
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
    }
}

impl std::fmt::Display for Filename {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Marks that reorder what is shown: U+202E before `fdp.exe` shows `invoice` + `exe.pdf`.
fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

impl ContentType {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ContentType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the bytes of a type are checked: text, or a binary format with a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Text,
    Binary(Format),
}

struct Kind {
    mime: &'static str,
    form: Form,
}

const fn kind(mime: &'static str, form: Form) -> Kind {
    Kind { mime, form }
}

/// The allowlist: what a customer file holds (documents, images, tables, e-mails).
const KINDS: &[Kind] = &[
    kind("application/pdf", Form::Binary(Format::Pdf)),
    kind("image/png", Form::Binary(Format::Png)),
    kind("image/jpeg", Form::Binary(Format::Jpeg)),
    kind("image/gif", Form::Binary(Format::Gif)),
    kind("image/webp", Form::Binary(Format::Webp)),
    kind("text/plain", Form::Text),
    kind("text/csv", Form::Text),
    kind("message/rfc822", Form::Text),
    kind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Form::Binary(Format::Zip(Office::Docx)),
    ),
    kind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Form::Binary(Format::Zip(Office::Xlsx)),
    ),
    kind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        Form::Binary(Format::Zip(Office::Pptx)),
    ),
    kind(
        "application/vnd.oasis.opendocument.text",
        Form::Binary(Format::Zip(Office::Odt)),
    ),
    kind(
        "application/vnd.oasis.opendocument.spreadsheet",
        Form::Binary(Format::Zip(Office::Ods)),
    ),
    kind(
        "application/vnd.oasis.opendocument.presentation",
        Form::Binary(Format::Zip(Office::Odp)),
    ),
    kind("application/zip", Form::Binary(Format::Zip(Office::Plain))),
    kind("application/msword", Form::Binary(Format::Ole2)),
    kind("application/vnd.ms-excel", Form::Binary(Format::Ole2)),
    kind("application/vnd.ms-powerpoint", Form::Binary(Format::Ole2)),
    kind("application/vnd.ms-outlook", Form::Binary(Format::Ole2)),
];

/// Other names clients give the same types.
const ALIASES: &[(&str, &str)] = &[
    ("image/jpg", "image/jpeg"),
    ("image/pjpeg", "image/jpeg"),
    ("application/csv", "text/csv"),
    ("text/x-csv", "text/csv"),
    ("text/comma-separated-values", "text/csv"),
    ("application/x-zip-compressed", "application/zip"),
    ("application/x-zip", "application/zip"),
];

const ACCEPTED: &str = "accepted: PDF, images (PNG, JPEG, GIF, WebP), plain text and CSV, \
    e-mails (.eml, .msg), Word, Excel, PowerPoint and OpenDocument files, ZIP archives";

/// The charsets a text attachment may declare; without one, text must be UTF-8.
const CHARSETS: &[&str] = &[
    "utf-8",
    "us-ascii",
    "windows-1252",
    "iso-8859-1",
    "iso-8859-15",
];

/// The media types of the allowlist (for documentation).
pub fn accepted_types() -> impl Iterator<Item = &'static str> {
    KINDS.iter().map(|k| k.mime)
}

impl AttachmentDraft<'_> {
    /// Checks the name, the declared type against the bytes, and the bytes themselves;
    /// reports every problem at once, on `filename`, `content_type` or `body`.
    pub fn validate(&self) -> Result<AttachmentData, Invalid> {
        let mut e = Errors::default();
        let filename = match self.filename {
            Some(raw) => e.check("filename", Filename::parse(raw)),
            None => {
                e.add("filename", Code::FilenameMissing);
                None
            }
        };
        let body_ok = if self.data.is_empty() {
            e.add("body", Code::BodyEmpty);
            false
        } else if let Some(what) = magic::program(self.data) {
            e.add("body", Msg::new(Code::ProgramBody).with("what", what));
            false
        } else {
            true
        };
        let declared = self.content_type.map(str::trim).filter(|c| !c.is_empty());
        let content_type = match declared {
            None => {
                e.add("content_type", Code::ContentTypeMissing);
                None
            }
            Some(d) => check_type(
                &Declared::parse(d),
                self.data,
                filename.as_ref(),
                body_ok,
                &mut e,
            ),
        };
        match (filename, content_type) {
            (Some(filename), Some(content_type)) => e.finish(|| AttachmentData {
                filename,
                content_type,
            }),
            // Whatever came out `None` recorded why, so `finish` answers with it.
            _ => {
                e.finish(|| ())?;
                Err(Invalid::one("body", Code::NotChecked))
            }
        }
    }
}

/// A `Content-Type` as declared: the type in lowercase, and its charset if any.
struct Declared {
    essence: String,
    charset: Option<String>,
}

impl Declared {
    fn parse(raw: &str) -> Declared {
        let mut parts = raw.split(';');
        let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let charset = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
            .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase());
        Declared { essence, charset }
    }
}

fn check_type(
    declared: &Declared,
    data: &[u8],
    filename: Option<&Filename>,
    body_ok: bool,
    e: &mut Errors,
) -> Option<ContentType> {
    let kind = match kind_of(declared, data, filename) {
        Ok(k) => k,
        Err(m) => {
            e.add("content_type", m);
            return None;
        }
    };
    if !body_ok {
        return None;
    }
    match kind.form {
        Form::Text => text(kind, declared, data, e),
        Form::Binary(format) => binary(kind, format, data, e),
    }
}

fn kind_of(
    declared: &Declared,
    data: &[u8],
    filename: Option<&Filename>,
) -> Result<&'static Kind, Msg> {
    let essence = ALIASES
        .iter()
        .find(|(alias, _)| *alias == declared.essence)
        .map_or(declared.essence.as_str(), |(_, canonical)| canonical);
    let find = |mime: &str| KINDS.iter().find(|k| k.mime == mime);
    if essence == "application/octet-stream" {
        // "Some bytes" says nothing: trust the bytes when they show one accepted format.
        return match magic::identify(data) {
            Some(f) if f != Format::Ole2 => KINDS.iter().find(|k| k.form == Form::Binary(f)),
            _ => None,
        }
        .ok_or_else(|| Code::OctetStream.into());
    }
    // Windows browsers call a .csv file application/vnd.ms-excel when Excel is installed.
    if essence == "application/vnd.ms-excel"
        && filename.and_then(Filename::extension).as_deref() == Some("csv")
        && magic::identify(data).is_none()
    {
        return find("text/csv").ok_or_else(|| Code::NotChecked.into());
    }
    if essence.starts_with("multipart/") {
        return Err(Msg::new(Code::MultipartRefused).with("type", essence));
    }
    find(essence).ok_or_else(|| {
        let shown: String = essence.chars().take(100).collect();
        Msg::new(Code::TypeNotAccepted)
            .with("value", shown)
            .with("allowed", ACCEPTED)
    })
}

fn binary(kind: &Kind, expected: Format, data: &[u8], e: &mut Errors) -> Option<ContentType> {
    let found = magic::identify(data);
    let fits = match (expected, found) {
        (Format::Zip(Office::Plain), Some(Format::Zip(_))) => true,
        // An office file whose directory cannot be read: the truncation check says why.
        (Format::Zip(_), Some(f @ Format::Zip(Office::Plain))) => magic::complete(f, data).is_err(),
        (expected, Some(f)) => expected == f,
        (_, None) => false,
    };
    let Some(found) = found.filter(|_| fits) else {
        e.add(
            "content_type",
            match found {
                Some(f) => says_but_is(kind, f),
                None => Msg::new(Code::SaysButStarts)
                    .with("declared", kind.mime)
                    .with("expected", expected.name()),
            },
        );
        return None;
    };
    if let Err(why) = magic::complete(found, data) {
        e.add("body", why);
        return None;
    }
    Some(ContentType(kind.mime.to_string()))
}

fn says_but_is(kind: &Kind, f: Format) -> Msg {
    Msg::new(Code::SaysButIs)
        .with("declared", kind.mime)
        .with("found", f.name())
        .with("found_type", f.mime())
}

fn text(kind: &Kind, declared: &Declared, data: &[u8], e: &mut Errors) -> Option<ContentType> {
    if let Some(f) = magic::identify(data) {
        e.add("content_type", says_but_is(kind, f));
        return None;
    }
    let charset = match declared.charset.as_deref() {
        None | Some("utf8") => "utf-8",
        Some("latin1") => "iso-8859-1",
        Some("cp1252") => "windows-1252",
        Some(c) => match CHARSETS.iter().find(|known| **known == c) {
            Some(known) => known,
            None => {
                let shown: String = c.chars().take(40).collect();
                e.add(
                    "content_type",
                    Msg::new(Code::CharsetRefused)
                        .with("value", shown)
                        .with("allowed", CHARSETS.join(", ")),
                );
                return None;
            }
        },
    };
    if data.contains(&0) {
        e.add("body", Code::NotText);
        return None;
    }
    let problem = match charset {
        "utf-8" => std::str::from_utf8(data)
            .err()
            .map(|err| match err.error_len() {
                None => Code::TruncatedUtf8.into(),
                Some(_) => Msg::new(Code::NotUtf8Body)
                    .with("byte", err.valid_up_to() + 1)
                    .with("type", kind.mime),
            }),
        "us-ascii" => data
            .iter()
            .position(|b| !b.is_ascii())
            .map(|i| Msg::new(Code::NotAscii).with("byte", i + 1)),
        _ => None,
    };
    if let Some(problem) = problem {
        e.add("body", problem);
        return None;
    }
    Some(ContentType(format!("{}; charset={charset}", kind.mime)))
}

#[cfg(test)]
mod tests {
    use super::magic::samples;
    use super::*;

    fn draft<'a>(name: &'a str, ct: &'a str, data: &'a [u8]) -> AttachmentDraft<'a> {
        AttachmentDraft {
            filename: Some(name.as_bytes()),
            content_type: Some(ct),
            data,
        }
    }

    /// The fields named by the errors of a refused draft.
    fn refused(d: AttachmentDraft<'_>) -> Vec<String> {
        match d.validate() {
            Ok(ok) => panic!("accepted: {ok:?}"),
            Err(Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
        }
    }

    fn message(d: AttachmentDraft<'_>, field: &str) -> String {
        let Err(Invalid(errors)) = d.validate() else {
            panic!("accepted")
        };
        errors
            .into_iter()
            .find(|e| e.field == field)
            .unwrap_or_else(|| panic!("no error on {field}"))
            .message
    }

    #[test]
    fn file_names_lose_their_path_and_trailing_dots() {
        let ok = |raw: &str| Filename::parse(raw.as_bytes()).map(|f| f.0);
        assert_eq!(ok("devis.pdf").unwrap(), "devis.pdf");
        assert_eq!(
            ok("C:\\Users\\élodie\\Devis signé.pdf").unwrap(),
            "Devis signé.pdf"
        );
        assert_eq!(ok("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(ok("  rapport.txt. . ").unwrap(), "rapport.txt");
        assert!(ok("").is_err());
        assert!(ok("   ").is_err());
        assert!(ok("dossier/").is_err());
        assert!(ok("..").is_err());
    }

    #[test]
    fn file_names_refuse_control_characters_direction_marks_and_excess() {
        let err = |raw: &[u8]| Filename::parse(raw).unwrap_err().to_string();
        assert!(err(b"a\nb.txt").contains("control"));
        assert!(err(b"a\x7fb.txt").contains("control"));
        assert!(err("facture\u{202e}fdp.exe".as_bytes()).contains("direction"));
        assert!(err(b"caf\xe9.txt").contains("UTF-8"));
        assert!(err(&[b'a'; 256]).contains("255"));
        assert!(Filename::parse(&[b'a'; 255]).is_ok());
        // 128 two-byte characters: 256 bytes.
        assert!(err("é".repeat(128).as_bytes()).contains("255"));
    }

    #[test]
    fn names_of_programs_are_refused_whatever_their_case() {
        for name in [
            "setup.exe",
            "SETUP.EXE",
            "run.bat",
            "x.ps1",
            "facture.pdf.scr",
            "a.exe.",
        ] {
            assert!(
                Filename::parse(name.as_bytes())
                    .unwrap_err()
                    .to_string()
                    .contains("programs"),
                "{name}"
            );
        }
        assert!(Filename::parse(b"exe").is_ok());
    }

    #[test]
    fn each_accepted_format_passes_under_its_own_type() {
        let docx = samples::docx();
        let xlsx = samples::xlsx();
        let odt = samples::odt();
        let ole2 = samples::ole2();
        let pdf = samples::pdf();
        let jpeg = samples::jpeg();
        let webp = samples::webp();
        let cases: Vec<(&str, &[u8], &str)> = vec![
            ("image/png", samples::PNG, "image/png"),
            ("image/gif", samples::GIF, "image/gif"),
            ("application/pdf", &pdf, "application/pdf"),
            ("image/jpg", &jpeg, "image/jpeg"),
            ("image/webp", &webp, "image/webp"),
            (
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                &docx,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &xlsx,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                "application/vnd.oasis.opendocument.text",
                &odt,
                "application/vnd.oasis.opendocument.text",
            ),
            ("application/x-zip-compressed", &docx, "application/zip"),
            (
                "application/vnd.ms-outlook",
                &ole2,
                "application/vnd.ms-outlook",
            ),
            (
                "text/plain",
                "Bonjour Élodie".as_bytes(),
                "text/plain; charset=utf-8",
            ),
            (
                "text/csv; charset=windows-1252",
                b"nom;ville\nL\xe9a;S\xe8te\n",
                "text/csv; charset=windows-1252",
            ),
            (
                "message/rfc822",
                b"From: a@example.fr\r\nSubject: Devis\r\n\r\nBonjour\r\n",
                "message/rfc822; charset=utf-8",
            ),
        ];
        for (declared, data, stored) in cases {
            let got = draft("fichier", declared, data)
                .validate()
                .unwrap_or_else(|e| panic!("{declared}: {e}"));
            assert_eq!(got.content_type.as_str(), stored);
        }
    }

    #[test]
    fn a_declared_type_the_bytes_contradict_is_refused_on_content_type() {
        let pdf = samples::pdf();
        assert_eq!(refused(draft("x.png", "image/png", &pdf)), ["content_type"]);
        assert!(
            message(draft("x.png", "image/png", &pdf), "content_type").contains("application/pdf")
        );
        assert_eq!(
            refused(draft("x.pdf", "application/pdf", b"%PNG hello")),
            ["content_type"]
        );
        assert_eq!(
            refused(draft("x.txt", "text/plain", samples::PNG)),
            ["content_type"]
        );
        let xlsx = samples::xlsx();
        let docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        assert!(message(draft("x.docx", docx_type, &xlsx), "content_type").contains("Excel"));
        let plain = samples::zip(&[("a.txt", b"hello")]);
        assert_eq!(
            refused(draft("x.docx", docx_type, &plain)),
            ["content_type"]
        );
    }

    #[test]
    fn programs_are_refused_whatever_they_claim() {
        let exe = samples::exe();
        for declared in [
            "application/pdf",
            "text/plain",
            "application/octet-stream",
            "image/png",
        ] {
            let fields = refused(draft("rapport.pdf", declared, &exe));
            assert!(
                fields.contains(&"body".to_string()),
                "{declared}: {fields:?}"
            );
        }
        assert!(
            message(
                draft("notes.txt", "text/plain", b"#!/bin/sh\necho hi\n"),
                "body"
            )
            .contains("script")
        );
        assert_eq!(
            refused(draft("setup.exe", "application/pdf", &samples::pdf())),
            ["filename"]
        );
    }

    #[test]
    fn types_off_the_list_are_refused_with_the_list() {
        let m = message(
            draft("page.html", "text/html", b"<p>hi</p>"),
            "content_type",
        );
        assert!(
            m.contains("'text/html' is not an accepted type") && m.contains("PDF"),
            "{m}"
        );
        let m = message(
            draft("a.txt", "multipart/form-data; boundary=x", b"--x"),
            "content_type",
        );
        assert!(m.contains("send the file itself"), "{m}");
        let m = message(
            draft("a.txt", "text/plain; charset=klingon", b"hi"),
            "content_type",
        );
        assert!(m.contains("charset"), "{m}");
    }

    #[test]
    fn octet_stream_is_read_from_the_bytes_when_they_are_clear() {
        let pdf = samples::pdf();
        let got = draft("x", "application/octet-stream", &pdf)
            .validate()
            .unwrap();
        assert_eq!(got.content_type.as_str(), "application/pdf");
        assert_eq!(
            refused(draft("x", "application/octet-stream", b"a,b\n")),
            ["content_type"]
        );
        assert_eq!(
            refused(draft("x", "application/octet-stream", &samples::ole2())),
            ["content_type"]
        );
    }

    #[test]
    fn a_csv_that_windows_calls_an_excel_file_is_kept_as_csv() {
        let got = draft("contacts.csv", "application/vnd.ms-excel", b"nom;ville\n")
            .validate()
            .unwrap();
        assert_eq!(got.content_type.as_str(), "text/csv; charset=utf-8");
        assert_eq!(
            refused(draft(
                "contacts.xls",
                "application/vnd.ms-excel",
                b"nom;ville\n"
            )),
            ["content_type"]
        );
    }

    #[test]
    fn text_must_be_what_its_charset_says() {
        let m = message(draft("a.csv", "text/csv", b"nom\nL\xe9a\n"), "body");
        assert!(
            m.contains("not valid UTF-8 (byte 6)") && m.contains("charset=windows-1252"),
            "{m}"
        );
        let m = message(
            draft(
                "a.txt",
                "text/plain",
                "café".as_bytes().split_last().unwrap().1,
            ),
            "body",
        );
        assert!(m.contains("truncated"), "{m}");
        assert!(
            message(
                draft("a.txt", "text/plain; charset=us-ascii", "é".as_bytes()),
                "body"
            )
            .contains("US-ASCII")
        );
        assert!(
            message(
                draft("a.txt", "text/plain; charset=windows-1252", b"a\0b"),
                "body"
            )
            .contains("NUL")
        );
    }

    #[test]
    fn truncated_files_are_refused_on_body() {
        let pdf = samples::pdf();
        let cut = &pdf[..pdf.len() - 7];
        assert_eq!(refused(draft("x.pdf", "application/pdf", cut)), ["body"]);
        let png = &samples::PNG[..samples::PNG.len() - 5];
        assert!(message(draft("x.png", "image/png", png), "body").contains("truncated"));
        let docx = samples::docx();
        let docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        assert_eq!(
            refused(draft("x.docx", docx_type, &docx[..docx.len() - 40])),
            ["body"]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let d = AttachmentDraft {
            filename: None,
            content_type: None,
            data: b"",
        };
        assert_eq!(refused(d), ["filename", "body", "content_type"]);
        let mut fields = refused(draft("a\u{0}.txt", "image/bmp", b""));
        fields.sort();
        assert_eq!(fields, ["body", "content_type", "filename"]);
    }
}
