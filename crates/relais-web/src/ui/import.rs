//! The import wizard: upload a CSV or vCard file, see how its columns are read and change
//! it, check it (a dry run: what would be created, updated, skipped, rejected), import it
//! with a progress page, and download the rejected rows with their reason.
//!
//! An upload lives in a folder of its own under the system's temporary folder, named by a
//! random id and readable only by the user who sent it; it is deleted a day later. A check
//! or an import runs as a job in the background; its page refreshes itself until the job
//! ends (no script needed).
use super::form::Form;
use super::session::Signed;
use super::{Ctx, UiError, UiResult, render, render_with, see_other};
use crate::{AppState, Limits};
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use relais_core::CoreError;
use relais_core::import::Report;
use relais_core::import::file::{self, FileKind};
use relais_core::import::job::{self as import_job, ImportSettings};
use relais_core::jobs::{self, Status};
use relais_domain::{Action, Resource, UserId};
use relais_domain::{Code, Msg};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/import",
            get(upload_page)
                .post(upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/import/{id}", get(mapping_page))
        .route("/import/{id}/start", post(start))
        .route("/import/{id}/job", get(job_page))
        .route("/import/{id}/undo", post(undo))
        .route("/import/{id}/rejected.csv", get(rejected))
}

/// The largest file the wizard takes (a million contacts is about 100 MB of CSV).
const MAX_UPLOAD: usize = 256 * 1024 * 1024;
/// How long an upload is kept.
const KEEP: Duration = Duration::from_secs(24 * 3600);

/// What the wizard knows of an upload, kept next to the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meta {
    owner: UserId,
    kind: String,
    filename: String,
    on_duplicate: String,
    /// Columns mapped by hand: (header, field; "" = not imported).
    mapping: Vec<(String, String)>,
    /// The last check or import started from this upload.
    #[serde(default)]
    job: Option<Uuid>,
    #[serde(default)]
    last_dry_run: bool,
}

fn root() -> PathBuf {
    std::env::temp_dir().join("relais-imports")
}

/// Creates a folder only this process's user can enter (uploads hold personal data), or
/// checks that the one found is such a folder and not a link planted by someone else.
fn private_dir(path: &std::path::Path) -> UiResult<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let refuse = |why: &str| {
        tracing::error!(path = %path.display(), why, "refusing an upload folder");
        UiError::Internal
    };
    match std::fs::DirBuilder::new().mode(0o700).create(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let meta = std::fs::symlink_metadata(path).map_err(|_| refuse("unreadable"))?;
            if !meta.is_dir() {
                return Err(refuse("not a folder"));
            }
            if meta.permissions().mode() & 0o077 != 0 {
                // Only its owner may change its mode: succeeding proves the folder is ours.
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
                    .map_err(|_| refuse("another user's folder"))?;
            }
            Ok(())
        }
        Err(_) => Err(refuse("cannot be created")),
    }
}

/// The folder of an upload; the id is checked to be one of ours (no path tricks).
fn folder(id: &str) -> UiResult<PathBuf> {
    if id.len() != 43
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(UiError::NotFound);
    }
    Ok(root().join(id))
}

fn load(id: &str, me: &Signed) -> UiResult<(PathBuf, Meta)> {
    let dir = folder(id)?;
    let meta: Meta = std::fs::read(dir.join("meta.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(UiError::NotFound)?;
    if Some(meta.owner) != me.actor.user {
        return Err(UiError::NotFound);
    }
    Ok((dir, meta))
}

fn save(dir: &std::path::Path, meta: &Meta) -> UiResult<()> {
    let bytes = serde_json::to_vec(meta).map_err(|_| UiError::Internal)?;
    std::fs::write(dir.join("meta.json"), bytes).map_err(|e| {
        tracing::error!(error = %e, "cannot save an import's settings");
        UiError::Internal
    })
}

/// Removes the uploads older than a day (their jobs stay, with the jobs' files).
fn sweep() {
    let Ok(entries) = std::fs::read_dir(root()) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > KEEP);
        if old {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn require(me: &Signed) -> UiResult<()> {
    me.actor
        .require(Action::Create, Resource::TRANSFER)
        .map_err(|_| UiError::Forbidden)
}

#[derive(Template)]
#[template(path = "import_upload.html")]
struct UploadPage {
    ctx: Ctx,
    error: Option<String>,
}

async fn upload_page(me: Signed) -> UiResult {
    require(&me)?;
    Ok(render(&UploadPage {
        ctx: me.ctx("import"),
        error: None,
    }))
}

/// Takes the uploaded file to disk as it arrives, with the wizard's first answers.
async fn upload(me: Signed, mut form: Multipart) -> UiResult {
    require(&me)?;
    sweep();
    let again = |me: &Signed, key: &str| {
        render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &UploadPage {
                ctx: me.ctx("import"),
                error: Some(me.tr.t(key).to_string()),
            },
        )
    };
    let id = relais_core::auth::new_secret("")?;
    let dir = folder(&id)?;
    private_dir(&root())?;
    private_dir(&dir)?;
    let mut meta = Meta {
        owner: me.actor.user.ok_or(UiError::SignIn)?,
        kind: "people".into(),
        filename: String::new(),
        on_duplicate: "skip".into(),
        mapping: vec![],
        job: None,
        last_dry_run: false,
    };
    let mut size = 0u64;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Ok(again(&me, "import.too_large"));
            }
        };
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                meta.filename = field.file_name().unwrap_or("file").to_string();
                let mut out =
                    std::fs::File::create(dir.join("file")).map_err(|_| UiError::Internal)?;
                let mut field = field;
                loop {
                    match field.chunk().await {
                        Ok(Some(bytes)) => {
                            size += bytes.len() as u64;
                            out.write_all(&bytes).map_err(|_| UiError::Internal)?;
                        }
                        Ok(None) => break,
                        Err(_) => {
                            let _ = std::fs::remove_dir_all(&dir);
                            return Ok(again(&me, "import.too_large"));
                        }
                    }
                }
            }
            "kind" => meta.kind = field.text().await.unwrap_or_default(),
            "on_duplicate" => meta.on_duplicate = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    if size == 0 {
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(again(&me, "import.no_file"));
    }
    if FileKind::parse(&meta.kind).is_none() {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(UiError::NotFound);
    }
    save(&dir, &meta)?;
    Ok(see_other(&format!("/import/{id}")))
}

struct Column {
    index: usize,
    header: String,
    field: String,
    /// Its value on the first row.
    example: String,
}

#[derive(Template)]
#[template(path = "import_mapping.html")]
struct MappingPage {
    ctx: Ctx,
    id: String,
    filename: String,
    kind: String,
    encoding: &'static str,
    delimiter: String,
    columns: Vec<Column>,
    /// (field, message key of its label)
    fields: Vec<(&'static str, String)>,
    rows: Vec<Vec<String>>,
    cards: usize,
    error: Option<String>,
}

async fn mapping_page(me: Signed, Path(id): Path<String>) -> UiResult {
    require(&me)?;
    let (dir, meta) = load(&id, &me)?;
    let kind = FileKind::parse(&meta.kind).ok_or(UiError::NotFound)?;
    let (preview, error) = match file::preview(&dir.join("file"), kind, &meta.mapping) {
        Ok(p) => (p, None),
        Err(CoreError::Invalid(i)) => (Default::default(), Some(me.tr.invalid(&i))),
        Err(e) => return Err(e.into()),
    };
    let fields = kind
        .fields()
        .iter()
        .map(|f| (*f, format!("field.{f}")))
        .collect();
    let columns = preview
        .mapping
        .columns
        .iter()
        .enumerate()
        .map(|(index, (header, field))| Column {
            index,
            header: header.clone(),
            field: field.clone().unwrap_or_default(),
            example: preview
                .rows
                .first()
                .and_then(|r| r.get(index))
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    Ok(render(&MappingPage {
        ctx: me.ctx("import"),
        id,
        filename: meta.filename,
        kind: meta.kind,
        encoding: preview.encoding,
        delimiter: match preview.delimiter {
            '\t' => "tab".into(),
            c => c.to_string(),
        },
        columns,
        fields,
        rows: preview.rows,
        cards: preview.cards,
        error,
    }))
}

/// One start at a time in this process: the check "is a job running for this upload?" and
/// the queueing of a new one are one step, so a double click starts one job.
static STARTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Starts a check (`mode=check`) or the import (`mode=import`) with the mapping sent, as a
/// durable job (`relais_core::import::job`).
async fn start(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    Form(f): Form,
) -> UiResult {
    require(&me)?;
    let _one = STARTING.lock().await;
    let (dir, mut meta) = load(&id, &me)?;
    FileKind::parse(&meta.kind).ok_or(UiError::NotFound)?;
    if f.has("columns") {
        meta.mapping =
            f.0.iter()
                .filter_map(|(k, v)| {
                    let i: usize = k.strip_prefix("map.")?.parse().ok()?;
                    let header = f.get(&format!("header.{i}")).to_string();
                    Some((
                        header,
                        if v.is_empty() {
                            "ignore".into()
                        } else {
                            v.clone()
                        },
                    ))
                })
                .collect();
    }
    if let Some(job) = meta.job {
        let last = jobs::get(&s.db, &me.actor, job).await?;
        let running = !last.status.is_finished();
        let imported = last.status == Status::Succeeded && !meta.last_dry_run;
        if running || imported {
            return Ok(see_other(&format!("/import/{id}/job")));
        }
    }
    let dry_run = f.get("mode") != "import";
    let settings = ImportSettings {
        file_kind: meta.kind.clone(),
        filename: meta.filename.clone(),
        mapping: meta.mapping.clone(),
        dry_run,
        on_duplicate: meta.on_duplicate.clone(),
    };
    let data = std::fs::read(dir.join("file")).map_err(|e| {
        tracing::error!(error = %e, "cannot read an upload");
        UiError::Internal
    })?;
    let job = import_job::start(&s.db, &me.actor, &settings, data).await?;
    meta.job = Some(job.id);
    meta.last_dry_run = dry_run;
    save(&dir, &meta)?;
    Ok(see_other(&format!("/import/{id}/job")))
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    ctx: Ctx,
    id: String,
    filename: String,
    dry_run: bool,
    percent: u64,
    running: bool,
    report: Option<Report>,
    error: Option<String>,
    /// The job's id, for its page in the jobs' list.
    job: Uuid,
    /// Why an undo was refused.
    refused: Option<String>,
}

async fn job_page(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> UiResult {
    require(&me)?;
    let (_, meta) = load(&id, &me)?;
    let Some(job) = meta.job else {
        return Ok(see_other(&format!("/import/{id}")));
    };
    let job = jobs::get(&s.db, &me.actor, job).await?;
    let report: Option<Report> = match job.status {
        Status::Succeeded => job
            .result
            .clone()
            .and_then(|r| serde_json::from_value(r).ok()),
        _ => None,
    };
    let error = match job.status {
        Status::Failed => super::jobs::failure(me.tr, &job),
        Status::Cancelled => Some(me.tr.t("jobs.cancelled").to_string()),
        _ => None,
    };
    Ok(render(&JobPage {
        ctx: me.ctx("import"),
        id,
        filename: meta.filename,
        dry_run: meta.last_dry_run,
        percent: job.percent(),
        running: !job.status.is_finished(),
        report,
        error,
        job: job.id,
        refused: refused_of(&q).map(|m| me.tr.error(&m)),
    }))
}

/// Undoes the import started from this upload, as a job; the jobs page follows it.
async fn undo(
    State(s): State<AppState>,
    Extension(limits): Extension<Limits>,
    me: Signed,
    Path(id): Path<String>,
) -> UiResult {
    require(&me)?;
    let (_, meta) = load(&id, &me)?;
    let job = meta.job.ok_or(UiError::NotFound)?;
    match import_job::start_undo(&s.db, &me.actor, job, limits.settings()).await {
        Ok(_) => Ok(see_other("/jobs")),
        Err(CoreError::Conflict(m)) => Ok(see_other(&format!(
            "/import/{id}/job?{}",
            refused_query(&m)
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Why an undo was refused, for the job page's address: by code and parameters, so that the
/// page says it in the reader's language and says only what Relais can say.
fn refused_query(m: &Msg) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("refused", m.code.as_str());
    for (k, v) in &m.params {
        q.append_pair(&format!("refused.{k}"), v);
    }
    q.finish()
}

fn refused_of(q: &std::collections::HashMap<String, String>) -> Option<Msg> {
    let code = Code::parse(q.get("refused")?)?;
    let params = q
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("refused.")?.to_string(), v.clone())))
        .collect();
    Some(Msg { code, params })
}

async fn rejected(State(s): State<AppState>, me: Signed, Path(id): Path<String>) -> UiResult {
    require(&me)?;
    let (_, meta) = load(&id, &me)?;
    let job = meta.job.ok_or(UiError::NotFound)?;
    let name = format!(
        "rejected-{}.csv",
        meta.filename
            .trim_end_matches(".csv")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect::<String>()
    );
    super::jobs::download(&s, &me, job, import_job::REJECTED, &name).await
}
