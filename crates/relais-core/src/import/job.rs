//! An import as a durable job: the file is kept with the job (`job_files`), so that any
//! worker can run it. The run writes in short batches, each logged under the job's id
//! (`import::apply::Writer`): a cancelled run is undone, a run interrupted by a crash is
//! undone and started over by the next worker, and a finished one can be undone as a whole
//! (`start_undo`, `UndoJob`). Its rejected rows are kept with the job as `rejected.csv`.
use super::file::{self, FileImport, FileKind, Progress};
use super::undo;
use super::{OnDuplicate, Options};
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::jobs::{self, BoxFuture, Handler, InputFile, JobRun, JobView};
use relais_domain::{Action, Invalid, Resource};
use relais_domain::{Code, Msg};
use relais_store::Db;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The name of import jobs in the registry and in `jobs.kind`.
pub const KIND: &str = "import";

/// The name of the rejected rows' file of an import job.
pub const REJECTED: &str = "rejected.csv";

/// What to import and how: the same choices as `relais import`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImportSettings {
    /// `people`, `companies`, `vcard`, or another kind that can be imported.
    pub file_kind: String,
    /// The file's name as uploaded, for people to recognise it.
    pub filename: String,
    /// Columns mapped by hand: (header as in the file, field), overriding the detection.
    #[serde(default)]
    pub mapping: Vec<(String, String)>,
    #[serde(default)]
    pub dry_run: bool,
    /// `skip` (the default) or `update`.
    #[serde(default)]
    pub on_duplicate: String,
}

impl ImportSettings {
    /// Reads the parameters of an import; an unknown or repeated one is refused by name.
    pub fn from_params(params: &[(String, String)]) -> Result<ImportSettings, Invalid> {
        let mut s = ImportSettings {
            file_kind: String::new(),
            filename: "import".into(),
            mapping: vec![],
            dry_run: false,
            on_duplicate: String::new(),
        };
        let mut seen = Vec::new();
        for (k, v) in params {
            if k != "map" {
                if seen.contains(k) {
                    return Err(Invalid::one(k.clone(), relais_domain::Code::GivenTwice));
                }
                seen.push(k.clone());
            }
            match k.as_str() {
                "kind" => s.file_kind = v.clone(),
                "filename" => {
                    s.filename = v.chars().filter(|c| !c.is_control()).take(255).collect()
                }
                "dry_run" => {
                    s.dry_run = match v.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(Invalid::one("dry_run", relais_domain::Code::TrueOrFalse)),
                    }
                }
                "on_duplicate" => s.on_duplicate = v.clone(),
                "map" => {
                    let (header, field) = v.split_once('=').ok_or_else(|| {
                        Invalid::one("map", Msg::new(Code::NotAMapping).with("value", v))
                    })?;
                    s.mapping.push((header.to_string(), field.to_string()));
                }
                other => {
                    return Err(Invalid::one(
                        other,
                        Msg::new(Code::UnknownParameter)
                            .with("allowed", "kind, filename, dry_run, on_duplicate, map"),
                    ));
                }
            }
        }
        if s.file_kind.is_empty() {
            return Err(Invalid::one("kind", Code::ImportKindRequired));
        }
        Ok(s)
    }

    fn check(&self) -> Result<(FileKind, Options), Invalid> {
        let kind = FileKind::parse(&self.file_kind).ok_or_else(|| {
            Invalid::one(
                "kind",
                Msg::new(Code::ImportKind)
                    .with("value", &self.file_kind)
                    .with("kinds", FileKind::names().join(", ")),
            )
        })?;
        let on_duplicate = match self.on_duplicate.as_str() {
            "" | "skip" => OnDuplicate::Skip,
            "update" => OnDuplicate::Update,
            other => {
                return Err(Invalid::one(
                    "on_duplicate",
                    relais_domain::message::not_one_of(other, &["skip", "update"]),
                ));
            }
        };
        Ok((
            kind,
            Options {
                dry_run: self.dry_run,
                on_duplicate,
                log: None,
            },
        ))
    }
}

fn require(actor: &Actor, kind: FileKind) -> Result<()> {
    actor.require(Action::Create, Resource::TRANSFER)?;
    actor.require(Action::Create, kind.resource())
}

/// Queues the import of `data` with the settings read from an API request's parameters
/// (`kind`, `dry_run`, `on_duplicate`, `map`, `filename`): the rights first, then the
/// parameters, so that a role without them learns nothing else.
pub async fn start_from_params(
    db: &Db,
    actor: &Actor,
    params: &[(String, String)],
    data: Vec<u8>,
) -> Result<JobView> {
    actor.require(Action::Create, Resource::TRANSFER)?;
    let settings = ImportSettings::from_params(params)?;
    start(db, actor, &settings, data).await
}

/// Queues the import of `data` (the file's bytes) with these settings.
pub async fn start(
    db: &Db,
    actor: &Actor,
    settings: &ImportSettings,
    data: Vec<u8>,
) -> Result<JobView> {
    let (kind, _) = settings.check()?;
    require(actor, kind)?;
    if data.is_empty() {
        return Err(Invalid::one("file", relais_domain::Code::Empty).into());
    }
    let content_type = match kind {
        FileKind::Vcard => "text/vcard",
        _ => "text/csv",
    };
    let input = InputFile {
        name: "input",
        content_type,
        data,
    };
    jobs::enqueue(db, actor, KIND, settings, vec![input]).await
}

/// Runs import jobs.
pub struct ImportJob;

impl Handler for ImportJob {
    fn run<'a>(&'a self, job: JobRun<'a>) -> BoxFuture<'a, Result<Value>> {
        Box::pin(run(job))
    }

    /// A cancelled import leaves nothing: what its batches wrote is undone.
    fn cancelled<'a>(&'a self, job: JobRun<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            undo::undo(job.db, &Actor::SYSTEM, job.id, |_, _| {}).await?;
            Ok(())
        })
    }
}

async fn run(job: JobRun<'_>) -> Result<Value> {
    let settings: ImportSettings = serde_json::from_value(job.payload.clone())
        .map_err(|e| Invalid::one("settings", Msg::new(Code::JobSettings).with("reason", e)))?;
    let (kind, mut opts) = settings.check()?;
    require(&job.actor, kind)?;
    // Taken up again after its worker died: what the first attempt wrote goes first, then
    // the file is imported from its start.
    let leftover = undo::undo(job.db, &Actor::SYSTEM, job.id, |_, _| {}).await?;
    if leftover != undo::UndoReport::default() {
        tracing::info!(
            ?leftover,
            "undid an interrupted attempt before starting over"
        );
    }
    opts.log = (!opts.dry_run).then_some(job.id);
    let input = {
        let mut tx = job.db.read().await?;
        relais_store::jobs::file(&mut tx, job.id, "input")
            .await?
            .ok_or(CoreError::NotFound("the job's file"))?
    };
    let dir = tempfile::tempdir().map_err(internal)?;
    let path = dir.path().join("input");
    std::fs::write(&path, &input.data).map_err(internal)?;
    drop(input);
    let headers = file::headers(&path, kind)?;
    let import = FileImport {
        path: &path,
        kind,
        explicit: &settings.mapping,
        opts,
    };
    let progress = |p: Progress| job.progress.set(p.done, p.total);
    let rejected = std::fs::File::create(dir.path().join(REJECTED)).map_err(internal)?;
    let mut rejects = Some(file::Rejects::new(
        Some(std::io::BufWriter::new(rejected)),
        headers,
    ));
    let report = file::run(job.db, &job.actor, &import, &mut rejects, progress).await?;
    if let Some(r) = rejects {
        r.finish()?;
    }
    if report.rejected > 0 {
        let out = std::fs::read(dir.path().join(REJECTED)).map_err(internal)?;
        let mut tx = job.db.write().await?;
        relais_store::jobs::put_file(&mut tx, job.id, REJECTED, "text/csv; charset=utf-8", out)
            .await?;
        tx.commit().await?;
    }
    serde_json::to_value(&report).map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(e.to_string())
}

/// The name of undo jobs.
pub const UNDO_KIND: &str = "import_undo";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UndoSettings {
    /// The import job whose changes to undo.
    import: uuid::Uuid,
}

/// Queues the undo of a finished import, within the time the settings give (`defaults`:
/// the config file's, unless an administrator set it) from its first change.
pub async fn start_undo(
    db: &Db,
    actor: &Actor,
    import: uuid::Uuid,
    defaults: relais_domain::settings::Settings,
) -> Result<JobView> {
    actor.require(Action::Create, Resource::TRANSFER)?;
    let job = jobs::get(db, actor, import).await?;
    if job.kind != KIND {
        return Err(Invalid::one("id", relais_domain::Code::OnlyImportsUndone).into());
    }
    if job.status != jobs::Status::Succeeded {
        return Err(CoreError::Conflict(
            Msg::new(Code::UndoUnfinished).with("status", job.status.as_str()),
        ));
    }
    let (left, first, retention) = {
        let mut tx = db.read().await?;
        let (left, first) = relais_store::import_log::summary(&mut tx, import).await?;
        (
            left,
            first,
            crate::settings::import_undo(&mut tx, defaults).await?,
        )
    };
    if left == 0 {
        return Err(CoreError::Conflict(Code::NothingToUndo.into()));
    }
    if first.is_some_and(|at| at + retention < crate::record::now()) {
        return Err(CoreError::Conflict(
            Msg::new(Code::UndoTooOld).with("days", retention.num_days()),
        ));
    }
    jobs::enqueue(db, actor, UNDO_KIND, &UndoSettings { import }, vec![]).await
}

/// Runs undo jobs.
pub struct UndoJob;

impl Handler for UndoJob {
    fn run<'a>(&'a self, job: JobRun<'a>) -> BoxFuture<'a, Result<Value>> {
        Box::pin(async move {
            let settings: UndoSettings =
                serde_json::from_value(job.payload.clone()).map_err(|e| {
                    Invalid::one("settings", Msg::new(Code::JobSettings).with("reason", e))
                })?;
            let progress = |done, total| job.progress.set(done, total);
            let report = undo::undo(job.db, &job.actor, settings.import, progress).await?;
            serde_json::to_value(&report).map_err(internal)
        })
    }
}
