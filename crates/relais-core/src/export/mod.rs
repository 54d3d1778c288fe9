//! Export of any kind of record: CSV (spreadsheet-safe) for every kind, vCard 4.0 for the
//! kinds that have one (people). Records are read page by page with the keyset cursor, so
//! memory stays flat however many there are. A kind says how its records are written
//! (`Exported`); people and companies write the columns contact tools read.
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::records::Kind;
use relais_domain::filter::Sort;
use relais_domain::{Action, Resource};
use relais_store::Db;
use relais_store::filter::Page;
use relais_store::records::Record;
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use uuid::Uuid;

mod companies;
pub mod job;
mod people;

const PAGE: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Vcard,
}

/// The names of the records a page of records points at (a person's company, a company's
/// group), by id.
pub type Names = HashMap<Uuid, String>;

/// A kind whose records can be written to a file.
pub trait Exported: Kind {
    /// The fields of its data written as columns, in order, by their names in the API (a
    /// list is joined with " ::: ").
    const COLUMNS: &'static [&'static str];

    /// Its CSV header, before its custom fields' columns.
    fn headers() -> Vec<String> {
        let mut h = vec!["ID".to_string()];
        h.extend(Self::COLUMNS.iter().map(|c| c.to_string()));
        h.extend(["Created".to_string(), "Updated".to_string()]);
        h
    }

    /// One record's cells, under `headers`.
    fn row(r: &Record<Self>, names: &Names) -> Vec<String> {
        let _ = names;
        let data = serde_json::to_value(&r.data).unwrap_or_default();
        let mut row = vec![Into::<Uuid>::into(r.id).to_string()];
        row.extend(Self::COLUMNS.iter().map(|c| cell(&data[*c])));
        row.extend([r.created_at.to_rfc3339(), r.updated_at.to_rfc3339()]);
        row
    }

    /// The names of what a page of records points at, for `row` and `vcard`.
    fn names(
        tx: &mut relais_store::Tx,
        rows: &[Record<Self>],
    ) -> impl Future<Output = Result<Names>> + Send {
        let _ = (tx, rows);
        async { Ok(Names::new()) }
    }

    /// One record as a vCard, for the kinds that have one.
    fn vcard(r: &Record<Self>, names: &Names) -> Option<String> {
        let _ = (r, names);
        None
    }

    /// Whether its records can be written as vCards.
    const VCARD: bool = false;
}

/// A value of a record as a cell: text as it is, a list joined, an absent value empty.
pub fn cell(v: &Value) -> String {
    crate::record::plain_text(v, " ::: ")
}

/// A spreadsheet runs a cell starting with `=`, `+`, `-`, `@` (or a tab / carriage return
/// before one) as a formula: such cells get a leading apostrophe, which spreadsheets show
/// as text (OWASP's advice against CSV injection).
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Moves what the CSV writer buffered for a page to the output.
fn flush<W: Write + ?Sized>(csv: &mut csv::Writer<Vec<u8>>, out: &mut W) -> Result<()> {
    let page = std::mem::replace(csv, csv::WriterBuilder::new().from_writer(Vec::new()));
    out.write_all(&page.into_inner().map_err(io)?).map_err(io)
}

fn io(e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(format!("cannot write the export: {e}"))
}

/// Writes every record of a kind (not in the trash); `progress` gets the count so far.
/// Returns the count.
pub async fn all<K: Exported, W: Write + ?Sized>(
    db: &Db,
    actor: &Actor,
    format: Format,
    out: &mut W,
    progress: impl FnMut(u64),
) -> Result<u64> {
    selected::<K, W>(db, actor, format, &[], out, progress).await
}

/// The records a list's filters select (`params` as a list takes them: `stage=customer`,
/// `id=<id>,<id>`...), exported as `all` exports every one.
pub async fn selected<K: Exported, W: Write + ?Sized>(
    db: &Db,
    actor: &Actor,
    format: Format,
    params: &[(String, String)],
    out: &mut W,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    actor.require(Action::Read, Resource::TRANSFER)?;
    actor.require(Action::Read, K::SPEC.resource)?;
    if format == Format::Vcard && !K::VCARD {
        return Err(relais_domain::Invalid::one(
            "format",
            relais_domain::Msg::new(relais_domain::Code::CsvOnly).with("kind", K::SPEC.name),
        )
        .into());
    }
    let mut tx = db.read().await?;
    let ctx = crate::record::context(&mut tx).await?;
    let filter = crate::record::filter_of(params, K::SPEC, &ctx)?;
    let custom_keys: Vec<String> = ctx
        .custom
        .iter()
        .filter(|d| Some(d.entity.as_str()) == K::SPEC.custom)
        .map(|d| d.key.clone())
        .collect();
    let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
    if format == Format::Csv {
        // A BOM, so that Excel opens the UTF-8 file with its accents right.
        out.write_all("\u{feff}".as_bytes()).map_err(io)?;
        let mut header = K::headers();
        header.extend(custom_keys.iter().map(|k| format!("custom.{k}")));
        csv.write_record(&header).map_err(io)?;
    }
    let mut page = Page {
        after: None,
        limit: PAGE,
        trash: false,
    };
    let mut count = 0;
    loop {
        let mut rows =
            relais_store::records::list::<K>(&mut tx, &filter, Sort::default(), &page, &ctx)
                .await?;
        let more = rows.len() as u64 > PAGE;
        rows.truncate(PAGE as usize);
        let names = K::names(&mut tx, &rows).await?;
        for r in &rows {
            match format {
                Format::Csv => {
                    let mut cells = K::row(r, &names);
                    if !custom_keys.is_empty() {
                        let data = serde_json::to_value(&r.data).unwrap_or_default();
                        cells.extend(custom_keys.iter().map(|k| cell(&data["custom"][k])));
                    }
                    csv.write_record(cells.iter().map(|c| neutralise(c).into_owned()))
                        .map_err(io)?
                }
                Format::Vcard => {
                    if let Some(card) = K::vcard(r, &names) {
                        out.write_all(card.as_bytes()).map_err(io)?
                    }
                }
            }
        }
        if format == Format::Csv {
            flush(&mut csv, out)?;
        }
        count += rows.len() as u64;
        progress(count);
        match rows.last() {
            Some(last) if more => {
                page.after = Some((crate::records::cursor_value(last), last.id.into()))
            }
            _ => break,
        }
    }
    out.flush().map_err(io)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://evil\")"),
            "'=HYPERLINK(\"http://evil\")"
        );
        assert_eq!(neutralise("+33640506070"), "'+33640506070");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("Ada"), "Ada");
    }
}
