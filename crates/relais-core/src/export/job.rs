//! An export as a durable job: a list's filters in, a file out, kept with the job
//! (`job_files`) for its owner to download. A run writes nothing but its file, so one
//! interrupted is simply run again.
use super::Format;
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::jobs::{self, BoxFuture, Handler, JobRun, JobView};
use crate::record;
use relais_domain::filter::schema::{self, KindSpec};
use relais_domain::{Action, Invalid, Resource};
use relais_domain::{Code, Msg};
use relais_store::Db;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The name of export jobs in the registry and in `jobs.kind`.
pub const KIND: &str = "export";

/// What to export: which records (a list's parameters) and how.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExportSettings {
    /// `people` or `companies`.
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

    fn check(&self) -> Result<(&'static KindSpec, Format), Invalid> {
        let spec = match self.kind.as_str() {
            "people" => &schema::PEOPLE,
            "companies" => &schema::COMPANIES,
            "" => return Err(Invalid::one("kind", Code::ExportKindRequired)),
            other => {
                return Err(Invalid::one(
                    "kind",
                    Msg::new(Code::ExportKind).with("value", other),
                ));
            }
        };
        let format = match (self.format.as_str(), self.kind.as_str()) {
            ("csv", _) => Format::Csv,
            ("vcard", "people") => Format::Vcard,
            ("vcard", _) => {
                return Err(Invalid::one("format", Code::CompaniesAsCsv));
            }
            (other, _) => {
                return Err(Invalid::one(
                    "format",
                    relais_domain::message::not_one_of(other, &["csv", "vcard"]),
                ));
            }
        };
        Ok((spec, format))
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
    actor.require(Action::Read, Resource::Transfer)?;
    let (spec, _) = settings.check()?;
    {
        let mut tx = db.read().await?;
        let ctx = record::context(&mut tx).await?;
        record::filter_of(&settings.filters, spec, &ctx)?;
    }
    jobs::enqueue(db, actor, KIND, &settings, vec![]).await
}

pub async fn start_from_params(
    db: &Db,
    actor: &Actor,
    params: &[(String, String)],
) -> Result<JobView> {
    actor.require(Action::Read, Resource::Transfer)?;
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
    let (spec, format) = settings.check()?;
    let total = {
        let mut tx = job.db.read().await?;
        let ctx = record::context(&mut tx).await?;
        let filter = record::filter_of(&settings.filters, spec, &ctx)?;
        let n = match settings.kind.as_str() {
            "people" => {
                relais_store::records::count::<relais_store::people::People>(&mut tx, &filter, &ctx)
                    .await?
            }
            _ => {
                relais_store::records::count::<relais_store::companies::Companies>(
                    &mut tx, &filter, &ctx,
                )
                .await?
            }
        };
        u64::try_from(n).unwrap_or(0)
    };
    job.progress.set(0, total);
    let mut out = Vec::new();
    let progress = |n| job.progress.set(n, total.max(n));
    let (db, actor, filters) = (job.db, &job.actor, &settings.filters);
    let count = match settings.kind.as_str() {
        "people" => super::people_where(db, actor, format, filters, &mut out, progress).await?,
        _ => super::companies_where(db, actor, format, filters, &mut out, progress).await?,
    };
    let (name, content_type) = settings.file(format);
    let mut tx = job.db.write().await?;
    relais_store::jobs::put_file(&mut tx, job.id, &name, content_type, out).await?;
    tx.commit().await?;
    Ok(json!({"count": count, "file": name}))
}
