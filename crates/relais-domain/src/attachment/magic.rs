//! What a file's bytes say it is: the signatures of the accepted binary formats, programs
//! (refused whatever they are called), and whether a file reaches its own end (an upload cut
//! short is refused rather than stored).
//!
//! Written by hand rather than with a sniffing crate: the generic detectors match two-byte
//! prefixes such as `MZ` or `BC` that ordinary text starts with, and the formats a CRM keeps
//! are few. Every check here reads the structure, never guesses from a file name.

/// A binary format of the allowlist, as its first bytes show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
    /// A ZIP container, and what its entries make of it.
    Zip(Office),
    /// An OLE2 compound file: Word 97-2003, Excel 97-2003, PowerPoint 97-2003, Outlook .msg.
    Ole2,
}

/// What a ZIP container holds: an office document, or anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Office {
    /// A plain archive, or one whose entries could not be read.
    Plain,
    Docx,
    Xlsx,
    Pptx,
    Odt,
    Ods,
    Odp,
}

impl Format {
    /// The media type the bytes show, for messages ("the file is application/pdf").
    pub fn mime(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Gif => "image/gif",
            Format::Webp => "image/webp",
            Format::Zip(Office::Plain) => "application/zip",
            Format::Zip(Office::Docx) => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Zip(Office::Xlsx) => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            Format::Zip(Office::Pptx) => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Format::Zip(Office::Odt) => "application/vnd.oasis.opendocument.text",
            Format::Zip(Office::Ods) => "application/vnd.oasis.opendocument.spreadsheet",
            Format::Zip(Office::Odp) => "application/vnd.oasis.opendocument.presentation",
            Format::Ole2 => "an OLE2 compound file (Office 97-2003 or Outlook .msg)",
        }
    }

    /// A name for messages ("does not start like a PNG image").
    pub fn name(self) -> &'static str {
        match self {
            Format::Pdf => "a PDF document",
            Format::Png => "a PNG image",
            Format::Jpeg => "a JPEG image",
            Format::Gif => "a GIF image",
            Format::Webp => "a WebP image",
            Format::Zip(Office::Plain) => "a ZIP archive",
            Format::Zip(Office::Docx) => "a Word document",
            Format::Zip(Office::Xlsx) => "an Excel workbook",
            Format::Zip(Office::Pptx) => "a PowerPoint presentation",
            Format::Zip(Office::Odt) => "an OpenDocument text",
            Format::Zip(Office::Ods) => "an OpenDocument spreadsheet",
            Format::Zip(Office::Odp) => "an OpenDocument presentation",
            Format::Ole2 => "an Office 97-2003 or Outlook file",
        }
    }
}

/// A program or a script, by its signature. Only precise signatures: a text that happens to
/// start with `MZ` is not a Windows program unless a PE header follows.
pub fn program(data: &[u8]) -> Option<&'static str> {
    let head = |n: usize| data.get(..n);
    if data.starts_with(b"#!") {
        return Some("a script (#!)");
    }
    if data.starts_with(b"\x7fELF") {
        return Some("an ELF program");
    }
    if is_pe(data) {
        return Some("a Windows program");
    }
    match head(4) {
        Some([0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe]) => {
            Some("a macOS program")
        }
        Some([0xca, 0xfe, 0xba, 0xbe]) => Some("a macOS or Java program"),
        Some(b"\0asm") => Some("a WebAssembly program"),
        Some(b"dex\n") => Some("an Android program"),
        _ => None,
    }
}

/// `MZ`, then at the offset stored at 0x3C, `PE\0\0`.
fn is_pe(data: &[u8]) -> bool {
    if !data.starts_with(b"MZ") {
        return false;
    }
    let Some(offset) = u32_le(data, 0x3c) else {
        return false;
    };
    let at = offset as usize;
    data.get(at..at.saturating_add(4)) == Some(b"PE\0\0")
}

/// The accepted binary format the bytes start like, if any.
pub fn identify(data: &[u8]) -> Option<Format> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    const OLE2: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";
    if data.starts_with(b"%PDF-") {
        Some(Format::Pdf)
    } else if data.starts_with(PNG) {
        Some(Format::Png)
    } else if data.starts_with(b"\xff\xd8\xff") {
        Some(Format::Jpeg)
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some(Format::Gif)
    } else if data.len() >= 12 && data.starts_with(b"RIFF") && &data[8..12] == b"WEBP" {
        Some(Format::Webp)
    } else if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        Some(Format::Zip(office(data)))
    } else if data.starts_with(OLE2) {
        Some(Format::Ole2)
    } else {
        None
    }
}

/// Whether a file of `format` reaches its own end; if not, that it looks cut short.
pub fn complete(format: Format, data: &[u8]) -> Result<(), crate::Msg> {
    let ok = match format {
        // Readers look for the end marker in the last 1024 bytes.
        Format::Pdf => {
            let tail = &data[data.len().saturating_sub(1024)..];
            tail.windows(5).any(|w| w == b"%%EOF")
        }
        Format::Png => png_complete(data),
        Format::Jpeg => jpeg_complete(data),
        Format::Gif => gif_complete(data),
        Format::Webp => u32_le(data, 4).is_some_and(|n| data.len() as u64 >= u64::from(n) + 8),
        Format::Zip(_) => zip_directory(data).is_some(),
        Format::Ole2 => ole2_complete(data),
    };
    if ok {
        return Ok(());
    }
    Err(crate::Msg::new(crate::Code::Truncated).with("format", format.name()))
}

fn u16_le(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn u32_le(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn u32_be(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// Chunk by chunk (length, type, data, CRC) up to `IEND`.
fn png_complete(data: &[u8]) -> bool {
    let mut at = 8usize;
    while let Some(len) = u32_be(data, at) {
        let Some(end) = at.checked_add(12 + len as usize) else {
            return false;
        };
        if end > data.len() {
            return false;
        }
        if &data[at + 4..at + 8] == b"IEND" {
            return true;
        }
        at = end;
    }
    false
}

/// Marker by marker up to EOI (`FF D9`); segments are skipped by their length (so an EXIF
/// thumbnail's own EOI does not count), entropy-coded data is scanned for the next marker.
fn jpeg_complete(data: &[u8]) -> bool {
    let mut at = 2usize;
    loop {
        // Fill bytes (FF) may pad before a marker.
        while data.get(at) == Some(&0xff) && data.get(at + 1) == Some(&0xff) {
            at += 1;
        }
        if data.get(at) != Some(&0xff) {
            return false;
        }
        let Some(&marker) = data.get(at + 1) else {
            return false;
        };
        at += 2;
        match marker {
            0xd9 => return true,
            0x01 | 0xd0..=0xd7 => continue,
            _ => {}
        }
        let Some(len) = data
            .get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
        else {
            return false;
        };
        at += len as usize;
        if len < 2 || at > data.len() {
            return false;
        }
        if marker == 0xda {
            // Start of scan: the image data runs to the next marker that is not a stuffed
            // byte (FF 00) or a restart marker.
            loop {
                match (data.get(at), data.get(at + 1)) {
                    (Some(0xff), Some(0x00 | 0xd0..=0xd7)) => at += 2,
                    (Some(0xff), Some(_)) => break,
                    (Some(_), _) => at += 1,
                    (None, _) => return false,
                }
            }
        }
    }
}

/// Header, colour table, then blocks (extensions, images) up to the trailer `;`.
fn gif_complete(data: &[u8]) -> bool {
    let Some(&flags) = data.get(10) else {
        return false;
    };
    let mut at = 13 + colour_table(flags);
    // Data sub-blocks: a length byte, that many bytes, until a zero length.
    let sub_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let n = *data.get(at)? as usize;
            at += 1 + n;
            if n == 0 {
                return Some(at);
            }
        }
    };
    loop {
        let next = match data.get(at) {
            Some(0x3b) => return true,
            Some(0x21) => sub_blocks(at + 2),
            Some(0x2c) => match data.get(at + 9) {
                Some(&flags) => sub_blocks(at + 10 + colour_table(flags) + 1),
                None => None,
            },
            _ => None,
        };
        match next {
            Some(n) if n <= data.len() => at = n,
            _ => return false,
        }
    }
}

/// The size of a GIF colour table announced by a flags byte.
fn colour_table(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 0x07) + 1)
    }
}

/// The names of a ZIP's entries, read from the central directory that the end record
/// points to; `None` when there is no such record (a file cut short). A ZIP64 archive
/// counts as complete with its names unread.
fn zip_directory(data: &[u8]) -> Option<Vec<&[u8]>> {
    const END: &[u8] = b"PK\x05\x06";
    let last = data.len().checked_sub(22)?;
    let first = last.saturating_sub(u16::MAX as usize);
    let eocd = (first..=last).rev().find(|&i| &data[i..i + 4] == END)?;
    let size = u32_le(data, eocd + 12)? as usize;
    let offset = u32_le(data, eocd + 16)?;
    if offset == u32::MAX {
        return Some(vec![]);
    }
    let offset = offset as usize;
    if offset.checked_add(size)? > eocd {
        return None;
    }
    let mut names = Vec::new();
    let mut at = offset;
    while at + 46 <= offset + size && &data[at..at + 4] == b"PK\x01\x02" {
        let name = u16_le(data, at + 28)? as usize;
        let extra = u16_le(data, at + 30)? as usize;
        let comment = u16_le(data, at + 32)? as usize;
        names.push(data.get(at + 46..at + 46 + name)?);
        at += 46 + name + extra + comment;
    }
    Some(names)
}

/// What a ZIP container holds: OpenDocument names itself in a first, uncompressed
/// `mimetype` entry; Office Open XML has `[Content_Types].xml` and a `word/`, `xl/` or
/// `ppt/` folder.
fn office(data: &[u8]) -> Office {
    if data.get(30..38) == Some(b"mimetype") {
        let extra = u16_le(data, 28).unwrap_or(0) as usize;
        let size = u32_le(data, 18).unwrap_or(0) as usize;
        let start = 38 + extra;
        let mime = data.get(start..start + size).unwrap_or_default();
        match mime {
            b"application/vnd.oasis.opendocument.text" => return Office::Odt,
            b"application/vnd.oasis.opendocument.spreadsheet" => return Office::Ods,
            b"application/vnd.oasis.opendocument.presentation" => return Office::Odp,
            _ => {}
        }
    }
    let Some(names) = zip_directory(data) else {
        return Office::Plain;
    };
    if !names.contains(&&b"[Content_Types].xml"[..]) {
        return Office::Plain;
    }
    let has = |folder: &[u8]| names.iter().any(|n| n.starts_with(folder));
    if has(b"word/") {
        Office::Docx
    } else if has(b"xl/") {
        Office::Xlsx
    } else if has(b"ppt/") {
        Office::Pptx
    } else {
        Office::Plain
    }
}

/// A sane header (byte order, sector size) and a first directory sector inside the file.
/// Deeper truncation of these legacy files is not detected.
fn ole2_complete(data: &[u8]) -> bool {
    let (Some(order), Some(shift), Some(dir)) =
        (u16_le(data, 0x1c), u16_le(data, 0x1e), u32_le(data, 0x30))
    else {
        return false;
    };
    if order != 0xfffe || !(shift == 9 || shift == 12) {
        return false;
    }
    let sector = 1usize << shift;
    (dir as usize)
        .checked_add(2)
        .and_then(|n| n.checked_mul(sector))
        .is_some_and(|end| end <= data.len())
}

#[cfg(test)]
pub mod samples {
    //! Small files of each format, built by hand, for the tests.

    /// A real 1×1 PNG (valid CRCs).
    pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\nIDAT\x78\x9c\x63\0\x01\0\0\x05\0\x01\x0d\x0a\x2d\xb4\0\0\0\0IEND\xaeB`\x82";

    /// A real 1×1 GIF.
    pub const GIF: &[u8] = b"GIF89a\x01\0\x01\0\x80\0\0\xff\xff\xff\0\0\0!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;";

    pub fn pdf() -> Vec<u8> {
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
    }

    /// SOI, an APP1 segment holding a thumbnail's own EOI, a scan with a stuffed byte and a
    /// restart marker, then EOI.
    pub fn jpeg() -> Vec<u8> {
        let mut j = b"\xff\xd8".to_vec();
        j.extend(b"\xff\xe1\x00\x06\xff\xd9\x00\x00");
        j.extend(b"\xff\xda\x00\x04\x01\x02");
        j.extend(b"\x12\xff\x00\x34\xff\xd0\x56");
        j.extend(b"\xff\xd9");
        j
    }

    pub fn webp() -> Vec<u8> {
        let mut w = b"RIFF\x0c\0\0\0WEBPVP8L".to_vec();
        w.extend([0, 0, 0, 0]);
        w
    }

    /// A ZIP of stored entries (CRCs left at zero: nothing here checks them).
    pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut directory = Vec::new();
        for (name, body) in entries {
            let offset = out.len() as u32;
            let mut local = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
            local.extend((body.len() as u32).to_le_bytes());
            local.extend((body.len() as u32).to_le_bytes());
            local.extend((name.len() as u16).to_le_bytes());
            local.extend(0u16.to_le_bytes());
            local.extend(name.as_bytes());
            local.extend(*body);
            out.extend(local);
            let mut central = b"PK\x01\x02\x14\0\x14\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
            central.extend((body.len() as u32).to_le_bytes());
            central.extend((body.len() as u32).to_le_bytes());
            central.extend((name.len() as u16).to_le_bytes());
            central.extend([0u8; 12]);
            central.extend(offset.to_le_bytes());
            central.extend(name.as_bytes());
            directory.extend(central);
        }
        let offset = out.len() as u32;
        out.extend(&directory);
        out.extend(b"PK\x05\x06\0\0\0\0");
        out.extend((entries.len() as u16).to_le_bytes());
        out.extend((entries.len() as u16).to_le_bytes());
        out.extend((directory.len() as u32).to_le_bytes());
        out.extend(offset.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out
    }

    pub fn docx() -> Vec<u8> {
        zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("_rels/.rels", b"<Relationships/>"),
            ("word/document.xml", b"<w:document/>"),
        ])
    }

    pub fn xlsx() -> Vec<u8> {
        zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.xml", b"<workbook/>"),
        ])
    }

    pub fn odt() -> Vec<u8> {
        zip(&[
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", b"<office:document-content/>"),
        ])
    }

    /// An OLE2 header (512-byte sectors, directory in sector 0) and one sector.
    pub fn ole2() -> Vec<u8> {
        let mut o = vec![0u8; 1024];
        o[..8].copy_from_slice(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1");
        o[0x1c..0x1e].copy_from_slice(&0xfffeu16.to_le_bytes());
        o[0x1e..0x20].copy_from_slice(&9u16.to_le_bytes());
        o
    }

    /// The head of a Windows program: `MZ`, a DOS stub, `PE\0\0` at 0x80.
    pub fn exe() -> Vec<u8> {
        let mut e = vec![0u8; 0x100];
        e[..2].copy_from_slice(b"MZ");
        e[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        e[0x80..0x84].copy_from_slice(b"PE\0\0");
        e
    }
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;

    #[test]
    fn each_sample_is_identified_and_complete() {
        let all: Vec<(Vec<u8>, Format)> = vec![
            (PNG.to_vec(), Format::Png),
            (GIF.to_vec(), Format::Gif),
            (pdf(), Format::Pdf),
            (jpeg(), Format::Jpeg),
            (webp(), Format::Webp),
            (docx(), Format::Zip(Office::Docx)),
            (xlsx(), Format::Zip(Office::Xlsx)),
            (odt(), Format::Zip(Office::Odt)),
            (zip(&[("a.txt", b"hello")]), Format::Zip(Office::Plain)),
            (ole2(), Format::Ole2),
        ];
        for (data, format) in all {
            assert_eq!(identify(&data), Some(format));
            assert_eq!(complete(format, &data), Ok(()), "{format:?}");
        }
    }

    #[test]
    fn a_file_cut_short_is_not_complete() {
        let cut = |d: &[u8], n: usize| d[..d.len() - n].to_vec();
        assert!(complete(Format::Png, &cut(PNG, 1)).is_err());
        assert!(complete(Format::Png, &cut(PNG, 12)).is_err());
        assert!(complete(Format::Gif, &cut(GIF, 1)).is_err());
        assert!(complete(Format::Gif, &cut(GIF, 6)).is_err());
        assert!(complete(Format::Pdf, &cut(&pdf(), 7)).is_err());
        assert!(complete(Format::Jpeg, &cut(&jpeg(), 2)).is_err());
        assert!(complete(Format::Jpeg, &cut(&jpeg(), 5)).is_err());
        assert!(complete(Format::Webp, &cut(&webp(), 1)).is_err());
        assert!(complete(Format::Zip(Office::Docx), &cut(&docx(), 30)).is_err());
        assert!(complete(Format::Ole2, &cut(&ole2(), 1)).is_err());
    }

    #[test]
    fn the_thumbnail_eoi_inside_an_exif_segment_does_not_end_a_jpeg() {
        let j = jpeg();
        // Cut right after the scan header: the APP1 segment's FF D9 must not count.
        assert!(!jpeg_complete(&j[..16]));
    }

    #[test]
    fn programs_are_recognised_by_precise_signatures_only() {
        assert_eq!(program(&exe()), Some("a Windows program"));
        assert!(program(b"\x7fELF\x02\x01\x01").is_some());
        assert!(program(b"#!/bin/sh\nrm -rf /\n").is_some());
        assert!(program(b"\xcf\xfa\xed\xfe\x07").is_some());
        assert!(program(b"\0asm\x01\0\0\0").is_some());
        // Text that merely starts like a program.
        assert_eq!(program(b"MZ Logistique;Lyon;69003\n"), None);
        assert_eq!(program(b"BC Conseil;Paris\n"), None);
        assert_eq!(identify(b"MZ Logistique;Lyon"), None);
    }

    #[test]
    fn a_zip_without_content_types_is_a_plain_archive() {
        let z = zip(&[("word/notes.txt", b"x")]);
        assert_eq!(identify(&z), Some(Format::Zip(Office::Plain)));
    }
}
