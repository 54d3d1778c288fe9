//! Background jobs: their status, progress, result and files; cancellation.
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Caller, Params};
use crate::{AppState, Limits, disposition};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use relais_core::CoreError;
use relais_core::jobs::{self, JobView};
use relais_core::record::ListPage;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/jobs", get(list))
        .route("/api/v1/jobs/{id}", get(read))
        .route("/api/v1/jobs/{id}/cancel", post(cancel))
        .route("/api/v1/jobs/{id}/undo", post(undo))
        .route("/api/v1/jobs/{id}/files/{name}", get(file))
}

fn id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError(CoreError::NotFound("job")))
}

/// Jobs, newest first: the caller's own; every job for an administrator.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    params(("limit" = Option<u64>, Query, minimum = 1, maximum = 200), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListPage<JobView>), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    Params(p): Params,
) -> ApiResult<Json<ListPage<JobView>>> {
    Ok(Json(jobs::list(&s.db, &a, &p).await?))
}

/// A job: kind, status, progress, result or error, files.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, body = JobView), (status = 404, body = Problem)))]
pub async fn read(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(jobs::get(&s.db, &a, id(&raw)?).await?))
}

/// Stops a job: a queued one at once, a running one within seconds (an import then leaves
/// nothing behind).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, body = JobView), (status = 404, body = Problem),
        (status = 409, description = "the job has already ended", body = Problem)))]
pub async fn cancel(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(jobs::cancel(&s.db, &a, id(&raw)?).await?))
}

/// Undoes a finished import as a whole, as a job of its own (answered 202): the people and
/// companies it created are erased, those it updated get their data from before back; a
/// record changed since is left as it is. Possible for `import_undo_days` days (see
/// `/api/v1/settings`; 30 unless set).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/undo", tag = "jobs", params(("id" = String, Path)),
    responses((status = 202, body = JobView), (status = 404, body = Problem),
        (status = 409, description = "not a finished import, already undone, or too old", body = Problem),
        (status = 422, description = "not an import", body = Problem)))]
pub async fn undo(
    State(s): State<AppState>,
    Extension(limits): Extension<Limits>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let job = relais_core::import::job::start_undo(&s.db, &a, id(&raw)?, limits.settings()).await?;
    let mut res = (axum::http::StatusCode::ACCEPTED, Json(&job)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/jobs/{}", job.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// A file of a job (`rejected.csv` of an import), always as a download.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/files/{name}", tag = "jobs",
    params(("id" = String, Path), ("name" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 404, body = Problem)))]
pub async fn file(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path((raw, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let f = jobs::file(&s.db, &a, id(&raw)?, &name).await?;
    let mut res = f.data.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&f.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CONTENT_DISPOSITION,
        disposition::attachment(&f.name),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}
