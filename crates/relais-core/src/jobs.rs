//! Durable background jobs: imports now, and what comes later (campaign sending, survey
//! sending, SLA timers, birthday messages, webhooks). A job is a row (`relais_store::jobs`):
//! queued by a service, run by a worker inside `relais serve` or in `relais worker`
//! processes, with its progress, its result or error, retries with back-off, and
//! cancellation. A worker holds a lease on the job it runs and renews it; a worker killed
//! mid-job stops renewing and, once the lease has run out, another worker (or the same after
//! a restart) runs the job again from the start. A kind of job is a `Handler` registered
//! under its name; a handler must be safe to run again after an interruption: its effects
//! are one transaction, or are skipped when already done.
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::record::{self, ListPage};
use chrono::{DateTime, Duration, Utc};
use relais_domain::{Code, FieldError, Msg};
use relais_domain::{Invalid, Role, UserId};
use relais_store::Db;
pub use relais_store::jobs::Status;
use relais_store::jobs::{self as store, JobFile, JobRow, NewJob, Outcome};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// A job as clients see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: Uuid,
    /// What it does: `import`...
    pub kind: String,
    pub status: Status,
    pub progress: JobProgress,
    /// What it produced (for an import: the counts of its report).
    pub result: Option<Value>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub cancel_requested: bool,
    /// The files it holds (`input`, `rejected.csv`...), at `/api/v1/jobs/{id}/files/{name}`.
    pub files: Vec<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct JobProgress {
    pub done: u64,
    /// 0 while unknown.
    pub total: u64,
}

/// The progress of the jobs this process runs, as they report it. On SQLite a job that holds
/// the write lock (an import is one transaction) can't record its progress in its row until
/// it commits; a reader in the same process still sees it move.
static LIVE: Mutex<Option<HashMap<Uuid, Arc<Progress>>>> = Mutex::new(None);

fn live(id: Uuid) -> Option<JobProgress> {
    let map = LIVE.lock().ok()?;
    let p = map.as_ref()?.get(&id)?;
    let (done, total) = p.get();
    Some(JobProgress {
        done: done.max(0) as u64,
        total: total.max(0) as u64,
    })
}

fn set_live(id: Uuid, progress: Option<Arc<Progress>>) {
    if let Ok(mut map) = LIVE.lock() {
        let map = map.get_or_insert_with(HashMap::new);
        match progress {
            Some(p) => map.insert(id, p),
            None => map.remove(&id),
        };
    }
}

impl JobView {
    fn of(row: JobRow, files: Vec<String>) -> JobView {
        let stored = JobProgress {
            done: row.progress_done.max(0) as u64,
            total: row.progress_total.max(0) as u64,
        };
        let status = Status::parse(&row.status);
        let progress = match (status, live(row.id)) {
            (Status::Running, Some(p)) if p.done >= stored.done => p,
            _ => stored,
        };
        JobView {
            id: row.id,
            kind: row.kind,
            status,
            progress,
            result: row.result.and_then(|r| serde_json::from_str(&r).ok()),
            error: row.error,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            cancel_requested: row.cancel_requested,
            files,
            created_by: row.created_by,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
        }
    }

    /// Why a failed job failed, by code (kept in its result), for a reader that shows it in
    /// another language; empty for a job that has not failed.
    pub fn errors(&self) -> Vec<relais_domain::FieldError> {
        if self.status != Status::Failed {
            return Vec::new();
        }
        self.result
            .as_ref()
            .and_then(|r| r.get("errors"))
            .and_then(|e| serde_json::from_value(e.clone()).ok())
            .unwrap_or_default()
    }

    /// Out of 100, for a progress bar; 100 once finished.
    pub fn percent(&self) -> u64 {
        match (self.status.is_finished(), self.progress.total) {
            (true, _) => 100,
            (false, 0) => 0,
            (false, t) => (self.progress.done * 100 / t).min(99),
        }
    }
}

/// A file a job starts with.
pub struct InputFile {
    pub name: &'static str,
    pub content_type: &'static str,
    pub data: Vec<u8>,
}

/// Queues a job of `kind` for `actor`, with its files, in one transaction. The service that
/// calls this has checked the actor's rights for what the job will do.
pub async fn enqueue(
    db: &Db,
    actor: &Actor,
    kind: &str,
    payload: &impl Serialize,
    files: Vec<InputFile>,
) -> Result<JobView> {
    let payload = serde_json::to_string(payload).map_err(|e| CoreError::Internal(e.to_string()))?;
    let mut tx = db.write().await?;
    let job = NewJob {
        kind,
        payload: &payload,
        max_attempts: 3,
        created_by: actor.user,
        created_role: actor.role.as_str(),
    };
    let id = store::insert(&mut tx, job, record::now()).await?;
    for f in files {
        store::put_file(&mut tx, id, f.name, f.content_type, f.data).await?;
    }
    let view = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(view)
}

async fn load(tx: &mut relais_store::Tx, id: Uuid) -> Result<JobView> {
    let row = store::get(tx, id)
        .await?
        .ok_or(CoreError::NotFound("job"))?;
    let files = store::file_names(tx, id).await?;
    Ok(JobView::of(row, files))
}

/// Everyone sees the jobs they started; administrators see every job.
fn may_see(actor: &Actor, row: &JobRow) -> bool {
    actor.role == Role::Admin || (actor.user.is_some() && row.created_by == actor.user.map(|u| u.0))
}

/// The job `id`, if the actor may see it; another user's job is not found.
async fn visible(tx: &mut relais_store::Tx, actor: &Actor, id: Uuid) -> Result<JobRow> {
    store::get(tx, id)
        .await?
        .filter(|row| may_see(actor, row))
        .ok_or(CoreError::NotFound("job"))
}

pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<JobView> {
    let mut tx = db.read().await?;
    let row = visible(&mut tx, actor, id).await?;
    let files = store::file_names(&mut tx, id).await?;
    Ok(JobView::of(row, files))
}

/// Jobs, newest first: the actor's own, or every job for an administrator. Parameters:
/// `limit`, `cursor`.
pub async fn list(
    db: &Db,
    actor: &Actor,
    params: &[(String, String)],
) -> Result<ListPage<JobView>> {
    for (k, _) in params {
        if !matches!(k.as_str(), "limit" | "cursor") {
            let m = relais_domain::Msg::new(relais_domain::Code::UnknownParameter)
                .with("allowed", "limit, cursor");
            return Err(Invalid::one(k.clone(), m).into());
        }
    }
    let page = record::page_of(params)?;
    let before = match &page.after {
        Some((at, id)) => Some((
            DateTime::parse_from_rfc3339(at)
                .map_err(|_| Invalid::one("cursor", relais_domain::Code::NotACursor))?
                .to_utc(),
            *id,
        )),
        None => None,
    };
    let owner = if actor.role == Role::Admin {
        None
    } else {
        Some(actor.user.ok_or(CoreError::Unauthenticated)?)
    };
    let mut tx = db.read().await?;
    let rows = store::list(&mut tx, owner, before, page.limit + 1).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut files = store::file_names_of(&mut tx, &ids).await?;
    let views: Vec<JobView> = rows
        .into_iter()
        .map(|row| {
            let names = files.remove(&row.id).unwrap_or_default();
            JobView::of(row, names)
        })
        .collect();
    Ok(record::finish_page(
        views,
        page.limit,
        |v| (v.created_at.to_rfc3339(), v.id),
        |v| v,
    ))
}

/// Asks a job to stop (see `relais_store::jobs::cancel`).
pub async fn cancel(db: &Db, actor: &Actor, id: Uuid) -> Result<JobView> {
    let mut tx = db.write().await?;
    let row = visible(&mut tx, actor, id).await?;
    if Status::parse(&row.status).is_finished() {
        return Err(CoreError::Conflict(
            Msg::new(Code::JobEnded).with("status", &row.status),
        ));
    }
    store::cancel(&mut tx, id, record::now()).await?;
    let view = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(view)
}

/// One of a job's files, for whoever may see the job.
pub async fn file(db: &Db, actor: &Actor, id: Uuid, name: &str) -> Result<JobFile> {
    let mut tx = db.read().await?;
    visible(&mut tx, actor, id).await?;
    store::file(&mut tx, id, name)
        .await?
        .ok_or(CoreError::NotFound("file"))
}

/// The progress a running job reports, read by its worker's heartbeat.
#[derive(Debug, Default)]
pub struct Progress(Mutex<JobProgress>);

impl Progress {
    pub fn set(&self, done: u64, total: u64) {
        if let Ok(mut p) = self.0.lock() {
            *p = JobProgress { done, total };
        }
    }

    fn get(&self) -> (i64, i64) {
        let p = self.0.lock().map(|p| *p).unwrap_or_default();
        (p.done as i64, p.total as i64)
    }
}

/// What a handler gets to run a job.
pub struct JobRun<'a> {
    pub db: &'a Db,
    pub id: Uuid,
    /// Who queued the job, with the role they had then.
    pub actor: Actor,
    pub payload: Value,
    pub progress: &'a Progress,
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A kind of job. `run` may be stopped at any await (cancellation, a lost lease) and run
/// again from the start after an interruption: what it writes must be one transaction, or
/// skipped when already done.
pub trait Handler: Send + Sync {
    fn run<'a>(&'a self, job: JobRun<'a>) -> BoxFuture<'a, Result<Value>>;

    /// After a run was stopped by cancellation: undo what it had done, if it must.
    fn cancelled<'a>(&'a self, job: JobRun<'a>) -> BoxFuture<'a, Result<()>> {
        let _ = job;
        Box::pin(async { Ok(()) })
    }
}

/// The kinds of job workers know, by name.
#[derive(Clone, Default)]
pub struct Registry(HashMap<&'static str, Arc<dyn Handler>>);

impl Registry {
    pub fn register(&mut self, kind: &'static str, handler: impl Handler + 'static) {
        self.0.insert(kind, Arc::new(handler));
    }

    /// Every kind of job Relais has.
    pub fn standard() -> Registry {
        let mut r = Registry::default();
        r.register(crate::import::job::KIND, crate::import::job::ImportJob);
        r.register(crate::import::job::UNDO_KIND, crate::import::job::UndoJob);
        r.register(crate::export::job::KIND, crate::export::job::ExportJob);
        r
    }
}

/// Runs jobs, one at a time, until told to stop.
pub struct Worker {
    db: Db,
    registry: Registry,
    /// Unique per worker: the lease's owner.
    pub id: String,
    pub lease: Duration,
    /// How long to wait when no job is due.
    pub poll: std::time::Duration,
    /// How long a finished import can be undone unless an administrator set it in the app
    /// (`settings`): its change log is forgotten after that (`sweep`).
    pub import_undo: Duration,
}

/// How long an export's file is kept for its owner to download: it holds personal data.
pub const EXPORT_KEPT: Duration = Duration::days(7);

/// How often an idle worker forgets what is kept past its time.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

impl Worker {
    pub fn new(db: Db, registry: Registry) -> Worker {
        Worker {
            db,
            registry,
            id: format!("{}-{}", std::process::id(), Uuid::new_v4().simple()),
            lease: Duration::seconds(30),
            poll: std::time::Duration::from_millis(500),
            import_undo: Duration::days(30),
        }
    }

    /// Forgets what is kept past its time: the change logs of the imports that can no longer
    /// be undone, and the files of exports finished more than `EXPORT_KEPT` ago. Returns how
    /// many rows went.
    pub async fn sweep(&self) -> Result<u64> {
        let mut tx = self.db.write().await?;
        let now = record::now();
        // An administrator's setting wins over the worker's default (the config file's).
        let defaults = relais_domain::settings::Settings {
            import_undo_days: u32::try_from(self.import_undo.num_days()).unwrap_or(30),
        };
        let undo = crate::settings::import_undo(&mut tx, defaults).await?;
        let logs = relais_store::import_log::expire(&mut tx, now - undo).await?;
        let kind = crate::export::job::KIND;
        let files = store::expire_files(&mut tx, kind, now - EXPORT_KEPT).await?;
        tx.commit().await?;
        Ok(logs + files)
    }

    /// Runs jobs until `stop` resolves (between jobs; a job under way is abandoned with the
    /// process and taken up again once its lease has run out).
    pub async fn run(self, stop: impl Future<Output = ()>) {
        tracing::info!(worker = %self.id, "job worker started");
        tokio::pin!(stop);
        let mut swept: Option<std::time::Instant> = None;
        loop {
            let ran = tokio::select! {
                _ = &mut stop => break,
                r = self.run_one() => r,
            };
            match ran {
                Ok(true) => {}
                Ok(false) => {
                    if swept.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
                        swept = Some(std::time::Instant::now());
                        match self.sweep().await {
                            Ok(0) => {}
                            Ok(n) => tracing::info!(lines = n, "forgot import logs past undo"),
                            Err(e) => tracing::error!(error = %e, "sweep failed"),
                        }
                    }
                    tokio::select! {
                        _ = &mut stop => break,
                        _ = tokio::time::sleep(self.poll) => {}
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "job worker failed to reach the database");
                    tokio::time::sleep(self.poll * 4).await;
                }
            }
        }
        tracing::info!(worker = %self.id, "job worker stopped");
    }

    /// Claims and runs the next due job. Returns whether there was one.
    pub async fn run_one(&self) -> Result<bool> {
        let mut tx = self.db.write().await?;
        let claimed = store::claim(&mut tx, &self.id, self.lease, record::now()).await?;
        tx.commit().await?;
        let Some(row) = claimed else {
            return Ok(false);
        };
        let span = tracing::info_span!("job", id = %row.id, kind = %row.kind);
        let _enter = span.enter();
        let outcome = self.execute(&row).await;
        set_live(row.id, None);
        drop(_enter);
        self.record(&row, outcome).await?;
        Ok(true)
    }

    /// Runs the job's handler while renewing the lease; stops it when cancellation is asked
    /// or the lease is lost.
    async fn execute(&self, row: &JobRow) -> Ran {
        let stored = (row.progress_done, row.progress_total);
        let Some(handler) = self.registry.0.get(row.kind.as_str()).cloned() else {
            let m = Msg::new(Code::JobUnknownKind).with("kind", &row.kind);
            return Ran::failure(m, false, stored);
        };
        let payload = match serde_json::from_str::<Value>(&row.payload) {
            Ok(p) => p,
            Err(e) => {
                let m = Msg::new(Code::JobSettings).with("reason", e);
                return Ran::failure(m, false, stored);
            }
        };
        let actor = Actor {
            user: row.created_by.map(UserId),
            role: Role::parse(&row.created_role).unwrap_or(Role::ReadOnly),
        };
        let progress = Arc::new(Progress::default());
        progress.set(
            row.progress_done.max(0) as u64,
            row.progress_total.max(0) as u64,
        );
        set_live(row.id, Some(progress.clone()));
        let (db, id, shared) = (self.db.clone(), row.id, progress.clone());
        let handler_again = handler.clone();
        // Its own task, so that a panic ends this job only, as a failure.
        let mut task = tokio::spawn(async move {
            let job = JobRun {
                db: &db,
                id,
                actor,
                payload,
                progress: &shared,
            };
            handler.run(job).await
        });
        let beat = (self.lease / 3)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(10));
        loop {
            tokio::select! {
                done = &mut task => {
                    return match done {
                        Ok(Ok(result)) => Ran::Succeeded(result, progress.get()),
                        Ok(Err(e)) => Ran::failed(e, progress.get()),
                        Err(e) => {
                            tracing::error!(error = %e, "job task ended abnormally");
                            Ran::failure(Code::JobStopped.into(), true, progress.get())
                        }
                    };
                }
                _ = tokio::time::sleep(beat) => {
                    match self.heartbeat(row.id, &progress).await {
                        Ok(Some(false)) => {}
                        Ok(Some(true)) => {
                            task.abort();
                            let _ = (&mut task).await;
                            let job = JobRun {
                                db: &self.db,
                                id: row.id,
                                actor,
                                payload: serde_json::from_str(&row.payload).unwrap_or_default(),
                                progress: &progress,
                            };
                            if let Err(e) = handler_again.cancelled(job).await {
                                tracing::error!(error = %e, "could not undo a cancelled job");
                            }
                            return Ran::Cancelled(progress.get());
                        }
                        Ok(None) => {
                            task.abort();
                            return Ran::LeaseLost;
                        }
                        Err(e) => tracing::warn!(error = %e, "could not renew a job's lease"),
                    }
                }
            }
        }
    }

    async fn heartbeat(&self, id: Uuid, progress: &Progress) -> Result<Option<bool>> {
        let mut tx = self.db.write().await?;
        let r = store::heartbeat(
            &mut tx,
            id,
            &self.id,
            progress.get(),
            self.lease,
            record::now(),
        )
        .await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn record(&self, row: &JobRow, ran: Ran) -> Result<()> {
        let now = record::now();
        let (progress, outcome_result, error, detail);
        let outcome = match &ran {
            Ran::LeaseLost => {
                tracing::warn!("lost the job's lease: another worker runs it");
                return Ok(());
            }
            Ran::Succeeded(result, p) => {
                progress = *p;
                outcome_result = result.to_string();
                Outcome::Succeeded {
                    result: &outcome_result,
                }
            }
            Ran::Cancelled(p) => {
                progress = *p;
                Outcome::Cancelled
            }
            Ran::Failed(errors, retry, p) => {
                progress = *p;
                error = errors
                    .iter()
                    .map(|e| match e.field.as_str() {
                        "job" => e.message.clone(),
                        field => format!("{field}: {}", e.message),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                // The codes, for a reader that shows the failure in another language.
                detail = serde_json::json!({ "errors": errors }).to_string();
                let retry_at = (*retry && row.attempts < row.max_attempts)
                    .then(|| now + backoff(row.attempts));
                tracing::warn!(error = %error, retry = retry_at.is_some(), "job failed");
                Outcome::Failed {
                    error: &error,
                    detail: &detail,
                    retry_at,
                }
            }
        };
        let mut tx = self.db.write().await?;
        store::finish(&mut tx, row.id, &self.id, progress, outcome, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// How a run ended, before it is recorded.
enum Ran {
    Succeeded(Value, (i64, i64)),
    Cancelled((i64, i64)),
    /// What went wrong, whether another attempt may succeed, and the progress reached.
    Failed(Vec<FieldError>, bool, (i64, i64)),
    LeaseLost,
}

impl Ran {
    /// A failure of the job as a whole (not of one field of its settings).
    fn failure(m: Msg, retry: bool, progress: (i64, i64)) -> Ran {
        Ran::Failed(vec![FieldError::new("job", m)], retry, progress)
    }

    /// A handler's error: bad input fails for good, with its message; anything else (the
    /// database gone, a full disk) may pass, and is retried.
    fn failed(e: CoreError, progress: (i64, i64)) -> Ran {
        match e {
            CoreError::Invalid(i) => Ran::Failed(i.0, false, progress),
            CoreError::Forbidden(m) => {
                Ran::failure(Msg::new(Code::Forbidden).with("what", m), false, progress)
            }
            CoreError::NotFound(what) => {
                Ran::failure(Msg::new(Code::NotFound).with("what", what), false, progress)
            }
            other => {
                tracing::error!(error = %other, "job attempt failed");
                Ran::failure(Code::JobFailed.into(), true, progress)
            }
        }
    }
}

/// 10 s, 40 s, 160 s... after the first, second, third attempt.
fn backoff(attempts: i32) -> Duration {
    Duration::seconds(10 * 4i64.pow(attempts.clamp(1, 6) as u32 - 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_wait_longer_each_time() {
        assert_eq!(super::backoff(1).num_seconds(), 10);
        assert_eq!(super::backoff(2).num_seconds(), 40);
        assert_eq!(super::backoff(3).num_seconds(), 160);
        assert_eq!(super::backoff(99).num_seconds(), 10240);
    }
}
