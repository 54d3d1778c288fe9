//! Import of any kind of record from a CSV file whose columns are named by the kind's
//! fields: each row becomes the kind's draft (a cell read as its field's type says), checked
//! by the kind's rules, then created, or, when its key names a record already there, skipped
//! or merged into it, in the batches and with the log of `apply`, so that it can be undone.
//! People and companies have their own readers (contact tools' columns, vCards).
use super::apply::{Event, OnDuplicate, Options, Report, Row, Writer};
use super::raw::RawRecord;
use super::rows::{WriteRow, row_by_row};
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::jobs::BoxFuture;
use crate::record;
use crate::records::{self, Kind};
use relais_domain::filter::schema::FieldType;
use relais_domain::{Code, FieldError, Invalid, Msg, Resource};
use relais_store::{Db, Tx};
use serde_json::{Map, Value};
use std::future::Future;

/// A kind whose records an import writes.
pub trait Imported: Kind {
    /// The fields a CSV file fills, by their names in the API. A field of the kind's spec is
    /// read as its type says (a number, yes or no...), one of `LISTS` as a list, any other as
    /// text. Empty for people and companies, which have their own readers.
    const IMPORTED: &'static [&'static str] = &[];
    /// The fields read as lists of words separated by commas or semicolons.
    const LISTS: &'static [&'static str] = &["tags"];
    /// The column of its table whose value names one record (a product's reference): a row
    /// naming a record already there is a duplicate, skipped or merged into it.
    const KEY: Option<&'static str> = None;

    /// Whether a record this import created stays when the import is undone, because other
    /// records came to depend on it since (a company someone now works at).
    fn kept_on_undo(tx: &mut Tx, id: Self::Id) -> impl Future<Output = Result<bool>> + Send {
        let _ = (tx, id);
        async { Ok(false) }
    }
}

/// Imports records of a kind, one row at a time.
pub async fn records<K: Imported>(
    db: &Db,
    actor: &Actor,
    opts: Options,
    next: &mut (dyn FnMut() -> Option<Row<RawRecord>> + Send),
    on: &mut (dyn FnMut(Event<'_>) + Send),
) -> Result<Report> {
    let (w, mut report) = Writer::start(db, actor, opts, K::SPEC.resource).await?;
    let write: WriteRow<RawRecord> =
        |w, actor, opts, raw, report| Box::pin(record_row::<K>(w, actor, opts, raw, report));
    row_by_row(
        (db, actor, opts),
        w,
        &mut report,
        next,
        on,
        |r| r.line,
        write,
    )
    .await?;
    Ok(report)
}

/// The row as the JSON of a draft: each value read as its field's type says; a value that
/// can't be is a field error.
fn draft_of<K: Imported>(raw: &RawRecord) -> std::result::Result<Value, Invalid> {
    let mut doc = Map::new();
    let mut errors = Vec::new();
    for (field, text) in &raw.values {
        let text = text.trim();
        let value = if K::LISTS.contains(field) {
            let items = text
                .split([',', ';'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Value::String(t.to_string()));
            match doc.get_mut(*field) {
                // A second column of the same list adds to it.
                Some(Value::Array(a)) => {
                    a.extend(items);
                    continue;
                }
                _ => Value::Array(items.collect()),
            }
        } else {
            match typed(K::SPEC.field(field).map(|f| f.ty), text) {
                Ok(v) => v,
                Err(m) => {
                    errors.push(FieldError::new(*field, m));
                    continue;
                }
            }
        };
        doc.insert(field.to_string(), value);
    }
    if !raw.custom.is_empty() {
        let custom = raw
            .custom
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        doc.insert("custom".into(), Value::Object(custom));
    }
    if errors.is_empty() {
        Ok(Value::Object(doc))
    } else {
        Err(Invalid(errors))
    }
}

/// A cell as a value of a field of this type: numbers as numbers ("1 234" and "12,5" as
/// people write them), yes and no in French or English, anything else as the text it is.
fn typed(ty: Option<FieldType>, text: &str) -> std::result::Result<Value, Msg> {
    match ty {
        Some(FieldType::Number) => {
            let plain: String = text
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '\u{202f}')
                .collect::<String>()
                .replace(',', ".");
            if let Ok(n) = plain.parse::<i64>() {
                return Ok(Value::from(n));
            }
            plain
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| Msg::new(Code::NotANumber).with("value", text))
        }
        Some(FieldType::Bool) => match text.to_lowercase().as_str() {
            "yes" | "oui" | "true" | "vrai" | "1" | "x" => Ok(Value::Bool(true)),
            "no" | "non" | "false" | "faux" | "0" => Ok(Value::Bool(false)),
            _ => Err(Msg::new(Code::NotYesOrNo).with("value", text)),
        },
        _ => Ok(Value::String(text.to_string())),
    }
}

async fn record_row<K: Imported>(
    w: &mut Writer<'_>,
    actor: &Actor,
    opts: Options,
    raw: &RawRecord,
    report: &mut Report,
) -> Result<std::result::Result<(), Invalid>> {
    let doc = match draft_of::<K>(raw) {
        Ok(doc) => doc,
        Err(i) => return Ok(Err(i)),
    };
    let draft: K::Draft = match record::parse_draft(doc.clone()) {
        Ok(d) => d,
        Err(i) => return Ok(Err(i)),
    };
    let tx = w.tx().await?;
    let (data, custom) = match records::check::<K>(tx, actor, &draft, None).await {
        Ok(v) => v,
        Err(CoreError::Invalid(i)) => return Ok(Err(i)),
        Err(e) => return Err(e),
    };
    let Some(existing) = duplicate_of::<K>(tx, &data).await? else {
        let id = records::insert::<K>(tx, actor, &data, &custom).await?;
        w.created(K::NOUN, id.into());
        report.created += 1;
        return Ok(Ok(()));
    };
    if opts.on_duplicate == OnDuplicate::Skip {
        report.skipped += 1;
        return Ok(Ok(()));
    }
    // What the row gives replaces what is stored; what it leaves out stays.
    let current = records::load::<K>(tx, existing, false).await?;
    let patched = match records::patched(&current, &doc) {
        Ok(d) => d,
        Err(CoreError::Invalid(i)) => return Ok(Err(i)),
        Err(e) => return Err(e),
    };
    let (merged, writes) = match records::check::<K>(tx, actor, &patched, Some(&current)).await {
        Ok(v) => v,
        Err(CoreError::Invalid(i)) => return Ok(Err(i)),
        Err(e) => return Err(e),
    };
    if record::diff(&current.data, &merged).is_empty() {
        report.unchanged += 1;
        return Ok(Ok(()));
    }
    records::save::<K>(tx, actor, &current, merged, &writes).await?;
    w.updated(K::NOUN, existing.into(), &current.data, current.version + 1);
    report.updated += 1;
    Ok(Ok(()))
}

/// The record already there that this data names by the kind's key, if any.
async fn duplicate_of<K: Imported>(tx: &mut Tx, data: &K::Data) -> Result<Option<K::Id>> {
    let Some(key) = K::KEY else {
        return Ok(None);
    };
    let Some((_, value)) = K::written(data).into_iter().find(|(c, _)| *c == key) else {
        return Ok(None);
    };
    Ok(relais_store::records::find_by::<K>(tx, key, value).await?)
}

/// Imports the rows `next` gives (the kind's `Imported::records`, type-erased).
type Run = for<'a> fn(
    &'a Db,
    &'a Actor,
    Options,
    &'a mut (dyn FnMut() -> Option<Row<RawRecord>> + Send),
    &'a mut (dyn FnMut(Event<'_>) + Send),
) -> BoxFuture<'a, Result<Report>>;

/// Undoes one logged change of an import (`undo::undo_record`, type-erased).
pub(super) type Undo = for<'a> fn(
    &'a mut Tx,
    &'a Actor,
    &'a relais_store::import_log::LoggedChange,
) -> BoxFuture<'a, Result<super::undo::Step>>;

/// How the records of one kind are imported, and undone.
#[derive(Clone, Copy)]
pub struct Importer {
    /// The kind's name (`projects`), as `kind=` names it.
    pub kind: &'static str,
    /// Its name in the import log (`project`).
    pub noun: &'static str,
    pub fields: &'static [&'static str],
    pub resource: Resource,
    run: Run,
    pub(super) undo: Undo,
}

impl Importer {
    pub fn of<K: Imported>() -> Importer {
        Importer {
            kind: K::SPEC.name,
            noun: K::NOUN,
            fields: K::IMPORTED,
            resource: K::SPEC.resource,
            run: |db, actor, opts, next, on| Box::pin(records::<K>(db, actor, opts, next, on)),
            undo: |tx, actor, change| Box::pin(super::undo::undo_record::<K>(tx, actor, change)),
        }
    }

    pub async fn run(
        &self,
        db: &Db,
        actor: &Actor,
        opts: Options,
        next: &mut (dyn FnMut() -> Option<Row<RawRecord>> + Send),
        on: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<Report> {
        (self.run)(db, actor, opts, next, on).await
    }
}

static REGISTERED: crate::registry::Registered<Importer> = crate::registry::Registered::new();

/// Makes a kind importable by name (`kind=projects`).
pub fn register<K: Imported>() {
    REGISTERED.add(K::SPEC.name, Importer::of::<K>());
}

/// Every kind an import writes: people and companies (read by their own readers), then
/// those registered.
pub fn importers() -> Vec<Importer> {
    REGISTERED.after(vec![
        Importer::of::<crate::people::People>(),
        Importer::of::<crate::companies::Companies>(),
    ])
}

/// The importer of the kind of this name (`kind=`) or of this noun (an import log's).
pub fn importer(name: &str) -> Option<Importer> {
    importers()
        .into_iter()
        .find(|i| i.kind == name || i.noun == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_read_as_their_fields_types() {
        assert_eq!(
            typed(Some(FieldType::Number), "1 234"),
            Ok(Value::from(1234))
        );
        assert_eq!(
            typed(Some(FieldType::Number), "12,5"),
            Ok(Value::from(12.5))
        );
        assert!(typed(Some(FieldType::Number), "douze").is_err());
        assert_eq!(typed(Some(FieldType::Bool), "Oui"), Ok(Value::Bool(true)));
        assert_eq!(typed(Some(FieldType::Bool), "no"), Ok(Value::Bool(false)));
        assert!(typed(Some(FieldType::Bool), "peut-être").is_err());
        assert_eq!(typed(None, "=1+2"), Ok(Value::String("=1+2".into())));
    }
}
