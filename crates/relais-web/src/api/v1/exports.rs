//! Exports through the API: a list's filters as parameters; the export runs as a job whose
//! file is downloaded from `/api/v1/jobs/{id}/files/{name}` once it is done.
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Params};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use relais_core::export::job;
use relais_core::jobs::JobView;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/exports", post(start))
}

/// Exports every record a list's filters select (`stage=customer`, `filter=...`,
/// `id=<id>,<id>`; none: all) as a job: answers 202 with the job at once. When it is done,
/// its result names the file (`people.csv`, `people.vcf`, `companies.csv`, `tasks.csv`...).
#[utoipa::path(post, path = "/api/v1/exports", tag = "jobs",
    params(("kind" = String, Query, description = "the kind of record: people, companies, interactions, tasks"),
        ("format" = Option<String>, Query, description = "csv (the default) or vcard (people)"),
        ("filter" = Option<String>, Query, description = "a filter in the segment language; any filter of the kind's list is taken too")),
    responses((status = 202, body = JobView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn start(
    State(s): State<AppState>,
    Caller(a): Caller,
    Params(p): Params,
) -> ApiResult<Response> {
    let job = job::start_from_params(&s.db, &a, &p).await?;
    let mut res = (StatusCode::ACCEPTED, Json(&job)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/jobs/{}", job.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}
