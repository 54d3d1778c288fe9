//! Imports through the API: the file as the request body, the same choices as the command
//! line as parameters; the import runs as a job (`/api/v1/jobs/{id}`).
use crate::AppState;
use crate::api::v1::attachments::read_body;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Params};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use relais_core::import::job;
use relais_core::jobs::JobView;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/imports",
        post(start).layer(DefaultBodyLimit::disable()),
    )
}

/// The largest file an import takes (a million contacts is about 100 MB of CSV).
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Imports a file as a job: answers 202 with the job at once; follow it at
/// `/api/v1/jobs/{id}`. The body is the file (CSV in UTF-8 or Windows-1252, `,` `;` or tab,
/// or vCards); `kind` says what it holds.
#[utoipa::path(post, path = "/api/v1/imports", tag = "jobs",
    params(("kind" = String, Query, description = "people, companies or vcard"),
        ("dry_run" = Option<bool>, Query, description = "check only: what would be created, updated, skipped, rejected"),
        ("on_duplicate" = Option<String>, Query, description = "skip (the default) or update"),
        ("map" = Option<Vec<String>>, Query, description = "a column read as a field: Portable=phone.mobile (repeat for more)"),
        ("filename" = Option<String>, Query)),
    request_body(description = "The file's bytes.", content(("text/csv"), ("text/vcard"), ("application/octet-stream"))),
    responses((status = 202, body = JobView), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn start(
    State(s): State<AppState>,
    Caller(a): Caller,
    Params(p): Params,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let data = read_body(&headers, body, MAX_BYTES).await?;
    let job = job::start_from_params(&s.db, &a, &p, data.to_vec()).await?;
    let mut res = (StatusCode::ACCEPTED, Json(&job)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/jobs/{}", job.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}
