//! Durable jobs: a row per job, claimed by a worker under a lease it renews while it runs.
//! A worker that dies (kill -9, a crash, a lost machine) stops renewing; once its lease has
//! run out, the job is claimed again. On PostgreSQL the claim skips rows another worker is
//! claiming (`FOR UPDATE SKIP LOCKED`), so many workers never take the same job; on SQLite
//! the claim is one write transaction, which the engine already runs one at a time.
use crate::{Result, Tx};
use chrono::{DateTime, Duration, Utc};
use relais_domain::UserId;
use sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use uuid::Uuid;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for a worker (first time, or to retry after `run_after`).
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    /// A stored status; an unknown word (written by a newer version) reads as failed rather
    /// than as something that could run again.
    pub fn parse(s: &str) -> Status {
        match s {
            "queued" => Status::Queued,
            "running" => Status::Running,
            "succeeded" => Status::Succeeded,
            "cancelled" => Status::Cancelled,
            _ => Status::Failed,
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::Cancelled)
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct JobRow {
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub payload: String,
    pub result: Option<String>,
    pub error: Option<String>,
    pub progress_done: i64,
    pub progress_total: i64,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_after: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub cancel_requested: bool,
    pub created_by: Option<Uuid>,
    pub created_role: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: [&str; 20] = [
    "id",
    "kind",
    "status",
    "payload",
    "result",
    "error",
    "progress_done",
    "progress_total",
    "attempts",
    "max_attempts",
    "run_after",
    "lease_owner",
    "lease_until",
    "cancel_requested",
    "created_by",
    "created_role",
    "created_at",
    "started_at",
    "finished_at",
    "updated_at",
];

/// A job to queue.
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: &'a str,
    pub max_attempts: i32,
    pub created_by: Option<UserId>,
    pub created_role: &'a str,
}

pub async fn insert(tx: &mut Tx, job: NewJob<'_>, now: DateTime<Utc>) -> Result<Uuid> {
    let id = Uuid::now_v7();
    tx.execute(
        Query::insert()
            .into_table("jobs")
            .columns([
                "id",
                "kind",
                "status",
                "payload",
                "progress_done",
                "progress_total",
                "attempts",
                "max_attempts",
                "run_after",
                "cancel_requested",
                "created_by",
                "created_role",
                "created_at",
                "updated_at",
            ])
            .values_panic([
                id.into(),
                job.kind.into(),
                Status::Queued.as_str().into(),
                job.payload.into(),
                0i64.into(),
                0i64.into(),
                0i32.into(),
                job.max_attempts.into(),
                now.into(),
                false.into(),
                job.created_by.map(|u| u.0).into(),
                job.created_role.into(),
                now.into(),
                now.into(),
            ]),
    )
    .await?;
    Ok(id)
}

/// Takes the next job that is due (queued and past `run_after`, or running under a lease
/// that has run out) for `owner` until `now + lease`. One statement: a row is claimed by one
/// worker only.
pub async fn claim(
    tx: &mut Tx,
    owner: &str,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Option<JobRow>> {
    let due = Query::select()
        .column("id")
        .from("jobs")
        .cond_where(
            sea_query::Condition::any()
                .add(
                    Expr::col("status")
                        .eq(Status::Queued.as_str())
                        .and(Expr::col("run_after").lte(now)),
                )
                .add(
                    Expr::col("status")
                        .eq(Status::Running.as_str())
                        .and(Expr::col("lease_until").lt(now)),
                ),
        )
        .order_by("run_after", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    tx.fetch_optional(
        Query::update()
            .table("jobs")
            .value("status", Status::Running.as_str())
            .value("lease_owner", owner)
            .value("lease_until", now + lease)
            .value("attempts", Expr::col("attempts").add(1))
            .value(
                "started_at",
                sea_query::Func::coalesce([Expr::col("started_at"), Expr::val(now)]),
            )
            .value("updated_at", now)
            .and_where(Expr::col("id").in_subquery(due))
            .returning(Query::returning().columns(COLUMNS)),
    )
    .await
}

/// Renews a lease and records progress. Returns whether cancellation was asked, or `None`
/// when the lease is no longer this worker's (it ran out and another worker took the job).
pub async fn heartbeat(
    tx: &mut Tx,
    id: Uuid,
    owner: &str,
    progress: (i64, i64),
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Option<bool>> {
    #[derive(sqlx::FromRow)]
    struct Cancel {
        cancel_requested: bool,
    }
    let row: Option<Cancel> = tx
        .fetch_optional(
            Query::update()
                .table("jobs")
                .value("lease_until", now + lease)
                .value("progress_done", progress.0)
                .value("progress_total", progress.1)
                .value("updated_at", now)
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("lease_owner").eq(owner))
                .and_where(Expr::col("status").eq(Status::Running.as_str()))
                .returning(Query::returning().column("cancel_requested")),
        )
        .await?;
    Ok(row.map(|r| r.cancel_requested))
}

/// How a run ended, as the worker records it.
pub enum Outcome<'a> {
    Succeeded {
        result: &'a str,
    },
    Cancelled,
    /// Failed; queued again after `retry_at` when there are attempts left.
    /// `detail`: the failure as JSON (`{"errors": [{field, code, params, message}]}`), kept
    /// as the job's result.
    Failed {
        error: &'a str,
        detail: &'a str,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// Records the end of a run, if the lease is still this worker's. Returns whether it was.
pub async fn finish(
    tx: &mut Tx,
    id: Uuid,
    owner: &str,
    progress: (i64, i64),
    outcome: Outcome<'_>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut q = Query::update();
    q.table("jobs")
        .value("lease_owner", None::<String>)
        .value("lease_until", None::<DateTime<Utc>>)
        .value("progress_done", progress.0)
        .value("progress_total", progress.1)
        .value("updated_at", now)
        .and_where(Expr::col("id").eq(id))
        .and_where(Expr::col("lease_owner").eq(owner))
        .and_where(Expr::col("status").eq(Status::Running.as_str()));
    match outcome {
        Outcome::Succeeded { result } => {
            q.value("status", Status::Succeeded.as_str())
                .value("result", result)
                .value("error", None::<String>)
                .value("finished_at", now);
        }
        Outcome::Cancelled => {
            q.value("status", Status::Cancelled.as_str())
                .value("finished_at", now);
        }
        Outcome::Failed {
            error,
            detail,
            retry_at: Some(at),
        } => {
            q.value("status", Status::Queued.as_str())
                .value("error", error)
                .value("result", detail)
                .value("run_after", at);
        }
        Outcome::Failed {
            error,
            detail,
            retry_at: None,
        } => {
            q.value("status", Status::Failed.as_str())
                .value("error", error)
                .value("result", detail)
                .value("finished_at", now);
        }
    }
    Ok(tx.execute(&q).await? == 1)
}

/// Asks a job to stop: a queued one is cancelled at once, a running one when its worker next
/// renews its lease. Returns the job as it is after, or `None` when there is no such job.
pub async fn cancel(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<Option<JobRow>> {
    tx.execute(
        Query::update()
            .table("jobs")
            .value("status", Status::Cancelled.as_str())
            .value("finished_at", now)
            .value("updated_at", now)
            .and_where(Expr::col("id").eq(id))
            .and_where(Expr::col("status").eq(Status::Queued.as_str())),
    )
    .await?;
    tx.execute(
        Query::update()
            .table("jobs")
            .value("cancel_requested", true)
            .value("updated_at", now)
            .and_where(Expr::col("id").eq(id))
            .and_where(Expr::col("status").eq(Status::Running.as_str())),
    )
    .await?;
    get(tx, id).await
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<Option<JobRow>> {
    tx.fetch_optional(
        Query::select()
            .columns(COLUMNS)
            .from("jobs")
            .and_where(Expr::col("id").eq(id)),
    )
    .await
}

/// A page of jobs, newest first; only `owner`'s when given. `before`: the cursor, the
/// (created_at, id) of the last job of the previous page.
pub async fn list(
    tx: &mut Tx,
    owner: Option<UserId>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> Result<Vec<JobRow>> {
    let mut q = Query::select();
    q.columns(COLUMNS).from("jobs");
    if let Some(u) = owner {
        q.and_where(Expr::col("created_by").eq(u.0));
    }
    if let Some((at, id)) = before {
        q.and_where(
            Expr::tuple([Expr::col("created_at"), Expr::col("id")])
                .lt(Expr::tuple([Expr::value(at), Expr::value(id)])),
        );
    }
    q.order_by("created_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(limit);
    tx.fetch_all(&q).await
}

/// Stores a file of a job (its input, or what it produced), replacing one of the same name.
pub async fn put_file(
    tx: &mut Tx,
    job: Uuid,
    name: &str,
    content_type: &str,
    data: Vec<u8>,
) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table("job_files")
            .and_where(Expr::col("job_id").eq(job))
            .and_where(Expr::col("name").eq(name)),
    )
    .await?;
    tx.execute(
        Query::insert()
            .into_table("job_files")
            .columns(["job_id", "name", "content_type", "data"])
            .values_panic([job.into(), name.into(), content_type.into(), data.into()]),
    )
    .await?;
    Ok(())
}

/// A file of a job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobFile {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

pub async fn file(tx: &mut Tx, job: Uuid, name: &str) -> Result<Option<JobFile>> {
    tx.fetch_optional(
        Query::select()
            .columns(["name", "content_type", "data"])
            .from("job_files")
            .and_where(Expr::col("job_id").eq(job))
            .and_where(Expr::col("name").eq(name)),
    )
    .await
}

/// The names of a job's files.
pub async fn file_names(tx: &mut Tx, job: Uuid) -> Result<Vec<String>> {
    #[derive(sqlx::FromRow)]
    struct Name {
        name: String,
    }
    let rows: Vec<Name> = tx
        .fetch_all(
            Query::select()
                .column("name")
                .from("job_files")
                .and_where(Expr::col("job_id").eq(job))
                .order_by("name", Order::Asc),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// The names of the files of many jobs, in one query (a page of the jobs list).
pub async fn file_names_of(
    tx: &mut Tx,
    jobs: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<String>>> {
    #[derive(sqlx::FromRow)]
    struct Name {
        job_id: Uuid,
        name: String,
    }
    let mut out: std::collections::HashMap<Uuid, Vec<String>> = Default::default();
    if jobs.is_empty() {
        return Ok(out);
    }
    let rows: Vec<Name> = tx
        .fetch_all(
            Query::select()
                .columns(["job_id", "name"])
                .from("job_files")
                .and_where(Expr::col("job_id").is_in(jobs.iter().copied()))
                .order_by("name", Order::Asc),
        )
        .await?;
    for r in rows {
        out.entry(r.job_id).or_default().push(r.name);
    }
    Ok(out)
}

/// Forgets the files of jobs of `kind` that finished before `before` (an export's file:
/// personal data kept no longer than needed to download it). Returns how many went.
pub async fn expire_files(tx: &mut Tx, kind: &str, before: DateTime<Utc>) -> Result<u64> {
    let old = Query::select()
        .column("id")
        .from("jobs")
        .and_where(Expr::col("kind").eq(kind))
        .and_where(Expr::col("finished_at").lt(before))
        .to_owned();
    tx.execute(
        Query::delete()
            .from_table("job_files")
            .and_where(Expr::col("job_id").in_subquery(old)),
    )
    .await
}
