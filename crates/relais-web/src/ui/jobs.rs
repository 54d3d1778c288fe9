//! The background jobs page: each user's own jobs (every job for administrators) with their
//! progress, result or error, and a button to stop one that has not ended. The page
//! refreshes itself while a job runs (no script).
use super::facts::When;
use super::i18n::Tr;
use super::session::Signed;
use super::{Ctx, UiResult, render, see_other};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use relais_core::import::{file::rejects_for_reading, job as import_job};
use relais_core::jobs::{self, JobView, Status};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(page))
        .route("/jobs/{id}/cancel", post(cancel))
        .route("/jobs/{id}/files/{name}", get(file))
}

struct Line {
    id: Uuid,
    kind_key: &'static str,
    status_key: &'static str,
    running: bool,
    percent: u64,
    done: u64,
    total: u64,
    summary: String,
    error: Option<String>,
    created: When,
    files: Vec<String>,
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    ctx: Ctx,
    lines: Vec<Line>,
    running: bool,
}

fn status_key(s: Status) -> &'static str {
    match s {
        Status::Queued => "jobs.queued",
        Status::Running => "jobs.running",
        Status::Succeeded => "jobs.succeeded",
        Status::Failed => "jobs.failed",
        Status::Cancelled => "jobs.cancelled",
    }
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "import" => "jobs.kind_import",
        "import_undo" => "jobs.kind_import_undo",
        _ => "jobs.kind_other",
    }
}

/// A finished job's result in a line: the counts of an import's report.
fn summary(me: &Signed, j: &JobView) -> String {
    let Some(r) = &j.result else {
        return String::new();
    };
    let count = |k: &str| r.get(k).and_then(|v| v.as_u64()).unwrap_or(0).to_string();
    if j.kind == "import_undo" {
        return me.tr.fill(
            "jobs.undo_summary",
            &[
                ("removed", &count("removed")),
                ("restored", &count("restored")),
                ("kept", &count("kept")),
            ],
        );
    }
    me.tr.fill(
        "jobs.import_summary",
        &[
            ("created", &count("created")),
            ("updated", &count("updated")),
            ("skipped", &count("skipped")),
            ("rejected", &count("rejected")),
        ],
    )
}

async fn page(State(s): State<AppState>, me: Signed) -> UiResult {
    let params = vec![("limit".to_string(), "100".to_string())];
    let list = jobs::list(&s.db, &me.actor, &params).await?;
    let lines: Vec<Line> = list
        .items
        .iter()
        .map(|j| Line {
            id: j.id,
            kind_key: kind_key(&j.kind),
            status_key: status_key(j.status),
            running: !j.status.is_finished(),
            percent: j.percent(),
            done: j.progress.done,
            total: j.progress.total,
            summary: summary(&me, j),
            error: failure(me.tr, j),
            created: When::of(me.tr, &j.created_at),
            files: j.files.iter().filter(|f| *f != "input").cloned().collect(),
        })
        .collect();
    let running = lines.iter().any(|l| l.running);
    Ok(render(&JobsPage {
        ctx: me.ctx("jobs"),
        lines,
        running,
    }))
}

/// Why a job failed, in the reader's language: its errors by code, or as the job wrote it
/// when it kept none.
pub fn failure(tr: Tr, job: &JobView) -> Option<String> {
    if job.status != Status::Failed {
        return None;
    }
    let errors = job.errors();
    if errors.is_empty() {
        return Some(job.error.clone().unwrap_or_default());
    }
    let said: Vec<String> = errors
        .iter()
        .map(|e| match e.field.as_str() {
            "job" => tr.field_error(e),
            field => format!("{field}: {}", tr.field_error(e)),
        })
        .collect();
    Some(said.join("; "))
}

async fn cancel(State(s): State<AppState>, me: Signed, Path(id): Path<Uuid>) -> UiResult {
    match jobs::cancel(&s.db, &me.actor, id).await {
        // A job that ended meanwhile: the list shows how.
        Ok(_) | Err(relais_core::CoreError::Conflict(_)) => Ok(see_other("/jobs")),
        Err(e) => Err(e.into()),
    }
}

async fn file(
    State(s): State<AppState>,
    me: Signed,
    Path((id, name)): Path<(Uuid, String)>,
) -> UiResult {
    download(&s, &me, id, &name, &name).await
}

/// A job's file as the user gets it, named `as_name`: a rejected-rows file says its reasons
/// in the user's language (the API gives the file as it is kept, reasons by code).
pub async fn download(
    s: &AppState,
    me: &Signed,
    job: Uuid,
    name: &str,
    as_name: &str,
) -> Result<Response, super::UiError> {
    let f = jobs::file(&s.db, &me.actor, job, name).await?;
    let (content_type, data) = if name == import_job::REJECTED {
        let tr = me.tr;
        let readable = rejects_for_reading(
            &f.data,
            |m| tr.error(m),
            |h| tr.t(&format!("import.rejected_{h}")).to_string(),
        )?;
        ("text/csv; charset=utf-8".to_string(), readable)
    } else {
        (f.content_type, f.data)
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        [(
            header::CONTENT_DISPOSITION,
            crate::disposition::attachment(as_name),
        )],
        data,
    )
        .into_response())
}
