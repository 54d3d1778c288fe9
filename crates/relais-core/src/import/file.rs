//! A file imported whole: a CSV of people, companies or records of another kind, or a vCard
//! file. What the command
//! line and the web app's import wizard share: the preview of the columns, the run with its
//! progress, and the rejected rows written to a CSV with their reason.
use super::csv_source::{ColumnMapping, CsvError, CsvSource, Target};
use super::records::Importer;
use super::{Event, Options, Rejected, Report};
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use relais_domain::Invalid;
use relais_store::Db;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

/// What a file holds.
#[derive(Clone, Copy)]
pub enum FileKind {
    /// A CSV of people.
    People,
    /// A CSV of companies.
    Companies,
    /// People as vCards (.vcf).
    Vcard,
    /// A CSV of records of another kind, whose columns are named by its fields.
    Records(Importer),
}

impl PartialEq for FileKind {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for FileKind {}

impl std::fmt::Debug for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FileKind {
    pub fn parse(s: &str) -> Option<FileKind> {
        match s {
            "people" => Some(FileKind::People),
            "companies" => Some(FileKind::Companies),
            "vcard" => Some(FileKind::Vcard),
            other => super::records::importers()
                .into_iter()
                .find(|i| i.kind == other && !i.fields.is_empty())
                .map(FileKind::Records),
        }
    }

    /// The names `parse` reads, for messages.
    pub fn names() -> Vec<&'static str> {
        let mut names = vec!["people", "companies", "vcard"];
        names.extend(
            super::records::importers()
                .iter()
                .filter(|i| !i.fields.is_empty())
                .map(|i| i.kind),
        );
        names
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::People => "people",
            FileKind::Companies => "companies",
            FileKind::Vcard => "vcard",
            FileKind::Records(i) => i.kind,
        }
    }

    /// The resource whose records the file creates.
    pub fn resource(self) -> relais_domain::Resource {
        match self {
            FileKind::Companies => relais_domain::Resource::COMPANIES,
            FileKind::People | FileKind::Vcard => relais_domain::Resource::PEOPLE,
            FileKind::Records(i) => i.resource,
        }
    }

    /// The fields a column can be mapped to, for the import wizard.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            FileKind::Companies => super::csv_source::company_fields(),
            FileKind::People | FileKind::Vcard => super::csv_source::person_fields(),
            FileKind::Records(i) => i.fields,
        }
    }

    fn target(self) -> Target {
        match self {
            FileKind::Companies => Target::Companies,
            FileKind::Records(i) => Target::Fields(i.fields),
            _ => Target::People,
        }
    }
}

/// A file that can't be read at all, named on the `file` field.
fn unreadable(e: impl std::fmt::Display) -> CoreError {
    let m = relais_domain::Msg::new(relais_domain::Code::Unreadable).with("reason", e);
    Invalid::one("file", m).into()
}

/// A CSV file that can't be imported at all, named on the `file` field.
fn bad_csv(e: CsvError) -> CoreError {
    Invalid::one("file", relais_domain::Msg::from(&e)).into()
}

/// How a file will be read, before anything is imported.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    pub encoding: &'static str,
    pub delimiter: char,
    /// Each column and the field it goes to (none: not imported).
    pub mapping: ColumnMapping,
    /// The first rows, cell by cell.
    pub rows: Vec<Vec<String>>,
    /// For a vCard file: how many cards it holds.
    pub cards: usize,
}

/// Rows shown in a preview.
const PREVIEW_ROWS: usize = 5;

pub fn preview(path: &Path, kind: FileKind, explicit: &[(String, String)]) -> Result<Preview> {
    let file = File::open(path).map_err(unreadable)?;
    if kind == FileKind::Vcard {
        let mut bytes = Vec::new();
        BufReader::new(file)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        return Ok(Preview {
            encoding: "UTF-8",
            cards: super::vcard::parse_vcards(&bytes).len(),
            ..Preview::default()
        });
    }
    let mut src =
        CsvSource::open(BufReader::new(file), kind.target(), explicit).map_err(bad_csv)?;
    let mut rows = Vec::new();
    while rows.len() < PREVIEW_ROWS {
        let read = match kind {
            FileKind::Companies => src.next_company().map(|r| r.map(|_| ())),
            FileKind::Records(_) => src.next_record().map(|r| r.map(|_| ())),
            _ => src.next_person().map(|r| r.map(|_| ())),
        };
        match read {
            None => break,
            Some(Ok(())) => rows.push(src.current_raw()),
            Some(Err(e)) => rows.push(e.raw),
        }
    }
    Ok(Preview {
        encoding: src.encoding_name(),
        delimiter: src.delimiter() as char,
        mapping: src.mapping().clone(),
        rows,
        cards: 0,
    })
}

/// Where a run is: bytes (CSV) or cards (vCard) read, out of how many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// The column of a rejected-rows file that holds its reasons by code.
pub const ERRORS: &str = "errors";

/// The rejected rows of a run, written as they come to a CSV: the line (or card), the
/// reason in English, the same reasons by code (`errors`: a JSON list of `{field, code,
/// params, message}`, from which the web app writes them in its user's language), then the
/// row's cells as read, each neutralised against spreadsheet formulas.
pub struct Rejects<W: Write> {
    writer: Option<csv::Writer<W>>,
    /// The header row, until it is written (with the first rejected row).
    header: Option<Vec<String>>,
    error: Option<csv::Error>,
    /// Whether the reasons are also written by code (the `errors` column).
    codes: bool,
    pub count: u64,
}

impl<W: Write> Rejects<W> {
    /// `headers`: the file's columns (none for vCards, whose rows are cards).
    pub fn new(out: Option<W>, headers: Vec<String>) -> Self {
        let what = if headers.is_empty() { "card" } else { "line" };
        let mut full = vec![what.to_string(), "reason".to_string(), ERRORS.to_string()];
        full.extend(headers);
        Rejects {
            writer: out.map(csv::Writer::from_writer),
            header: Some(full),
            error: None,
            codes: true,
            count: 0,
        }
    }

    /// The file for a person to read (the command line's `--errors`): reasons in English,
    /// without the column of codes.
    pub fn readable(out: Option<W>, headers: Vec<String>) -> Self {
        let mut r = Self::new(out, headers);
        r.codes = false;
        if let Some(h) = r.header.as_mut() {
            h.retain(|c| c != ERRORS);
        }
        r
    }

    pub fn add(&mut self, r: &Rejected) {
        self.count += 1;
        let Some(w) = self.writer.as_mut() else {
            return;
        };
        let mut result = Ok(());
        if let Some(h) = self.header.take() {
            result = w.write_record(&h);
        }
        // The reason quotes what the file said: made as harmless as the cells.
        let reason = crate::export::neutralise(&r.reason.to_string()).into_owned();
        let mut row = vec![r.line.to_string(), reason];
        if self.codes {
            row.push(serde_json::to_string(&r.reason.0).unwrap_or_default());
        }
        row.extend(
            r.raw
                .iter()
                .map(|c| crate::export::neutralise(c).into_owned()),
        );
        result = result.and_then(|_| w.write_record(&row));
        if let Err(e) = result {
            self.error.get_or_insert(e);
        }
    }

    pub fn finish(self) -> Result<()> {
        let failed = |e: &dyn std::fmt::Display| {
            CoreError::Internal(format!("cannot write the rejected rows: {e}"))
        };
        if let Some(e) = self.error {
            return Err(failed(&e));
        }
        if let Some(mut w) = self.writer {
            w.flush().map_err(|e| failed(&e))?;
        }
        Ok(())
    }
}

/// A rejected-rows file as a person reads it: each reason written by `say` (in their
/// language) from its codes, the column of codes left out, and the first two headers
/// (line or card, reason) named by `label`. A row whose codes can't be read (a file written
/// by another version) keeps its English reason.
pub fn rejects_for_reading(
    stored: &[u8],
    say: impl Fn(&relais_domain::Msg) -> String,
    label: impl Fn(&str) -> String,
) -> Result<Vec<u8>> {
    let failed = |e: csv::Error| CoreError::Internal(format!("a rejected-rows file: {e}"));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(stored);
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut errors_at = None;
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(failed)?;
        let mut cells: Vec<String> = record.iter().map(str::to_string).collect();
        if i == 0 {
            errors_at = cells.iter().position(|c| c == ERRORS);
            for c in cells.iter_mut().take(2) {
                *c = label(c);
            }
        } else if let Some(at) = errors_at {
            let coded = cells
                .get(at)
                .and_then(|e| serde_json::from_str::<Vec<relais_domain::FieldError>>(e).ok())
                .filter(|e| !e.is_empty());
            if let (Some(errors), Some(reason)) = (coded, cells.get_mut(1)) {
                let said = relais_domain::Invalid(errors).render(&say);
                *reason = crate::export::neutralise(&said).into_owned();
            }
        }
        if let Some(at) = errors_at.filter(|at| *at < cells.len()) {
            cells.remove(at);
        }
        out.write_record(&cells).map_err(failed)?;
    }
    out.into_inner()
        .map_err(|e| CoreError::Internal(format!("a rejected-rows file: {e}")))
}

/// A file to import and how.
pub struct FileImport<'a> {
    pub path: &'a Path,
    pub kind: FileKind,
    /// Columns mapped by hand: (header as in the file, field), overriding the detection.
    pub explicit: &'a [(String, String)],
    pub opts: Options,
}

/// Imports a whole file in one transaction (see `people` and `companies`). `progress` is
/// told how far the run is; `rejects` receives the refused rows.
pub async fn run<W: Write + Send>(
    db: &Db,
    actor: &Actor,
    job: &FileImport<'_>,
    rejects: &mut Option<Rejects<W>>,
    mut progress: impl FnMut(Progress) + Send,
) -> Result<Report> {
    let (path, kind, explicit, opts) = (job.path, job.kind, job.explicit, job.opts);
    let file = File::open(path).map_err(unreadable)?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    if kind == FileKind::Vcard {
        let mut bytes = Vec::new();
        BufReader::new(file)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        let cards = super::vcard::parse_vcards(&bytes);
        let total = cards.len() as u64;
        let mut cards = cards.into_iter();
        let next = || {
            cards.next().map(|c| match c {
                Ok(contact) => Ok((contact, vec![])),
                Err(e) => Err(Rejected::from(e)),
            })
        };
        let on = |e: Event<'_>| match e {
            Event::Rejected(r) => {
                if let Some(x) = rejects.as_mut() {
                    x.add(r)
                }
            }
            Event::Progress(n) => progress(Progress { done: n, total }),
        };
        return super::people(db, actor, opts, next, on).await;
    }
    let mut src = CsvSource::open(
        BufReader::with_capacity(1 << 20, file),
        kind.target(),
        explicit,
    )
    .map_err(bad_csv)?;
    // Both closures read the source; a mutex rather than a RefCell keeps the run `Send`,
    // so that the web app can run it as a background job.
    let src = std::sync::Mutex::new(&mut src);
    let lock = || src.lock().unwrap_or_else(|p| p.into_inner());
    let on = |e: Event<'_>| match e {
        Event::Rejected(r) => {
            if let Some(x) = rejects.as_mut() {
                x.add(r)
            }
        }
        Event::Progress(_) => progress(Progress {
            done: lock().bytes_read(),
            total,
        }),
    };
    if let FileKind::Records(importer) = kind {
        let mut next = || {
            let mut s = lock();
            s.next_record()
                .map(|r| r.map(|c| (c, s.current_raw())).map_err(Rejected::from))
        };
        let mut on = on;
        importer.run(db, actor, opts, &mut next, &mut on).await
    } else if kind == FileKind::Companies {
        let next = || {
            let mut s = lock();
            s.next_company()
                .map(|r| r.map(|c| (c, s.current_raw())).map_err(Rejected::from))
        };
        super::companies(db, actor, opts, next, on).await
    } else {
        let next = || {
            let mut s = lock();
            s.next_person()
                .map(|r| r.map(|c| (c, s.current_raw())).map_err(Rejected::from))
        };
        super::people(db, actor, opts, next, on).await
    }
}

/// The columns of a CSV file, to start its rejected-rows file with.
pub fn headers(path: &Path, kind: FileKind) -> Result<Vec<String>> {
    if kind == FileKind::Vcard {
        return Ok(vec![]);
    }
    let file = File::open(path).map_err(unreadable)?;
    let src = CsvSource::open(BufReader::new(file), kind.target(), &[]).map_err(bad_csv)?;
    Ok(src.headers().to_vec())
}
