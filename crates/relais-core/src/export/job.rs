//! An export as a durable job: a list's filters in, a file out, kept with the job
//! (`job_files`) for its owner to download. A run writes nothing but its file, so one
//! interrupted is simply run again.
use super::{Exported, Format};
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::jobs::{self, BoxFuture, Handler, JobRun, JobView};
use crate::record;
use relais_domain::filter::schema::KindSpec;
use relais_domain::{Action, Invalid, Resource};
use relais_domain::{Code, Msg};
use relais_store::Db;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::io::Write;

/// The name of export jobs in the registry and in `jobs.kind`.
pub const KIND: &str = "export";

/// What to export: which records (a list's parameters) and how.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExportSettings {
    /// The kind of record (`people`, `companies`, `interactions`...).
    pub kind: String,
    /// `csv` or `vcard` (people only).
    pub format: String,
    /// The list's filters, as the list takes them (`stage=customer`, `filter=...`,
    /// `id=<id>,<id>`).
    #[serde(default)]
    pub filters: Vec<(String, String)>,
}

impl ExportSettings {
    /// Reads an export's parameters: `kind`, `format` (csv by default), and the filters.
    pub fn from_params(params: &[(String, String)]) -> Result<ExportSettings, Invalid> {
        let mut s = ExportSettings {
            kind: String::new(),
            format: "csv".into(),
            filters: vec![],
        };
        for (k, v) in params {
            let once = |name: &str| params.iter().filter(|(k, _)| k == name).count() > 1;
            match k.as_str() {
                "kind" | "format" if once(k) => {
                    return Err(Invalid::one(k.clone(), relais_domain::Code::GivenTwice));
                }
                "kind" => s.kind = v.clone(),
                "format" => s.format = v.clone(),
                // A page of a list means nothing to an export of all its records.
                "limit" | "cursor" | "sort" => {
                    return Err(Invalid::one(k.clone(), Code::ExportEverything));
                }
                _ => s.filters.push((k.clone(), v.clone())),
            }
        }
        Ok(s)
    }

    fn check(&self) -> Result<(Exporter, Format), Invalid> {
        let kinds = || {
            exporters()
                .iter()
                .map(|e| e.kind)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let exporter = match self.kind.as_str() {
            "" => {
                return Err(Invalid::one(
                    "kind",
                    Msg::new(Code::ExportKindRequired).with("kinds", kinds()),
                ));
            }
            name => exporter(name).ok_or_else(|| {
                Invalid::one(
                    "kind",
                    Msg::new(Code::ExportKind)
                        .with("value", name)
                        .with("kinds", kinds()),
                )
            })?,
        };
        let format = match self.format.as_str() {
            "csv" => Format::Csv,
            "vcard" if exporter.vcard => Format::Vcard,
            "vcard" => {
                return Err(Invalid::one(
                    "format",
                    Msg::new(Code::CsvOnly).with("kind", &self.kind),
                ));
            }
            other => {
                return Err(Invalid::one(
                    "format",
                    relais_domain::message::not_one_of(other, &["csv", "vcard"]),
                ));
            }
        };
        Ok((exporter, format))
    }

    /// The file's name and media type.
    fn file(&self, format: Format) -> (String, &'static str) {
        match format {
            Format::Csv => (format!("{}.csv", self.kind), "text/csv; charset=utf-8"),
            Format::Vcard => (format!("{}.vcf", self.kind), "text/vcard; charset=utf-8"),
        }
    }
}

/// Queues an export. What it selects is checked now, so a wrong filter is answered at once
/// and no job is queued.
pub async fn start(db: &Db, actor: &Actor, settings: ExportSettings) -> Result<JobView> {
    actor.require(Action::Read, Resource::TRANSFER)?;
    let (exporter, _) = settings.check()?;
    {
        let mut tx = db.read().await?;
        let ctx = record::context(&mut tx).await?;
        record::filter_of(&settings.filters, exporter.spec, &ctx)?;
    }
    jobs::enqueue(db, actor, KIND, &settings, vec![]).await
}

pub async fn start_from_params(
    db: &Db,
    actor: &Actor,
    params: &[(String, String)],
) -> Result<JobView> {
    actor.require(Action::Read, Resource::TRANSFER)?;
    start(db, actor, ExportSettings::from_params(params)?).await
}

pub struct ExportJob;

impl Handler for ExportJob {
    fn run<'a>(&'a self, job: JobRun<'a>) -> BoxFuture<'a, Result<Value>> {
        Box::pin(run(job))
    }
}

async fn run(job: JobRun<'_>) -> Result<Value> {
    let settings: ExportSettings = serde_json::from_value(job.payload.clone())
        .map_err(|e| CoreError::Internal(format!("export settings: {e}")))?;
    let (exporter, format) = settings.check()?;
    let mut out = Vec::new();
    let progress = |done, total| job.progress.set(done, total);
    let count = exporter
        .write(
            job.db,
            &job.actor,
            format,
            &settings.filters,
            &mut out,
            &progress,
        )
        .await?;
    let (name, content_type) = settings.file(format);
    let mut tx = job.db.write().await?;
    relais_store::jobs::put_file(&mut tx, job.id, &name, content_type, out).await?;
    tx.commit().await?;
    Ok(json!({"count": count, "file": name}))
}

/// Exports a kind's records: counts what the filters select, then writes it, telling
/// `progress` (done, total) as it goes.
type Run = for<'a> fn(
    &'a Db,
    &'a Actor,
    Format,
    &'a [(String, String)],
    &'a mut (dyn Write + Send),
    &'a (dyn Fn(u64, u64) + Send + Sync),
) -> BoxFuture<'a, Result<u64>>;

/// How a kind of record is exported.
#[derive(Clone, Copy)]
pub struct Exporter {
    pub kind: &'static str,
    spec: &'static KindSpec,
    vcard: bool,
    run: Run,
}

impl Exporter {
    /// Writes the records of its kind the filters select.
    pub async fn write(
        &self,
        db: &Db,
        actor: &Actor,
        format: Format,
        filters: &[(String, String)],
        out: &mut (dyn Write + Send),
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<u64> {
        (self.run)(db, actor, format, filters, out, progress).await
    }

    pub fn of<K: Exported>() -> Exporter {
        Exporter {
            kind: K::SPEC.name,
            spec: K::SPEC,
            vcard: K::VCARD,
            run: |db, actor, format, filters, out, progress| {
                Box::pin(export::<K>(db, actor, format, filters, out, progress))
            },
        }
    }
}

async fn export<K: Exported>(
    db: &Db,
    actor: &Actor,
    format: Format,
    filters: &[(String, String)],
    out: &mut (dyn Write + Send),
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<u64> {
    let total = {
        let mut tx = db.read().await?;
        let ctx = record::context(&mut tx).await?;
        let filter = record::filter_of(filters, K::SPEC, &ctx)?;
        let n = relais_store::records::count::<K>(&mut tx, &filter, &ctx).await?;
        u64::try_from(n).unwrap_or(0)
    };
    progress(0, total);
    super::selected::<K, _>(db, actor, format, filters, out, |n| {
        progress(n, total.max(n))
    })
    .await
}

static REGISTERED: crate::registry::Registered<Exporter> = crate::registry::Registered::new();

/// Makes a kind's records exportable by name (`kind=projects`).
pub fn register<K: Exported>() {
    REGISTERED.add(K::SPEC.name, Exporter::of::<K>());
}

/// Every kind that can be exported.
pub fn exporters() -> Vec<Exporter> {
    use crate::{companies::Companies, interactions::Interactions, people::People, tasks::Tasks};
    REGISTERED.after(vec![
        Exporter::of::<People>(),
        Exporter::of::<Companies>(),
        Exporter::of::<Interactions>(),
        Exporter::of::<Tasks>(),
    ])
}

pub fn exporter(name: &str) -> Option<Exporter> {
    exporters().into_iter().find(|e| e.kind == name)
}
