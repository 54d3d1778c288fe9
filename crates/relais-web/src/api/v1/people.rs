//! People in the API: the routes every kind has (`records`), their 360° view, consents and
//! stage history.
use super::records::{self, Served};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Caller, JsonBody, Params};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use relais_core::overview::{self, PersonOverview};
use relais_core::people::{self, Consents, People};
use relais_domain::PersonId;
use relais_store::people::StageChange;

impl Served for People {
    const PATH: &'static str = "people";
    const LIST_DOC: &'static str = "`q`: prefix of a name, e-mail, phone or company (case and \
        accent insensitive; several words must all match; in relevance order unless `sort` \
        names another). Filters on any field: `stage=customer`, `stage=lead,prospect`, \
        `tag=vip`, `city=Paris`, `owner_id=…`, `created_at[gte]=2024-01-01`, `custom.<key>=…`, \
        or `filter=`.";
}

pub fn router() -> Router<AppState> {
    records::routes::<People>()
        .merge(super::duplicates::routes::<People>())
        .route("/api/v1/people/{id}/overview", get(overview))
        .route(
            "/api/v1/people/{id}/consents",
            get(consents).post(record_consent),
        )
        .route("/api/v1/people/{id}/stages", get(stages))
}

fn id(raw: &str) -> ApiResult<PersonId> {
    records::id::<People>(raw)
}

/// The 360° view: the person, their companies, a timeline page (`limit`, `cursor`), open
/// tasks, consent per channel, stage history and counts.
#[utoipa::path(get, path = "/api/v1/people/{id}/overview", tag = "people", params(("id" = String, Path), ("limit" = Option<u64>, Query, minimum = 1, maximum = 200), ("cursor" = Option<String>, Query), ("kind" = Option<String>, Query, description = "only interactions of this kind (call, email, meeting, ...)")),
    responses((status = 200, body = PersonOverview)))]
pub async fn overview(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    Params(p): Params,
) -> ApiResult<Json<PersonOverview>> {
    Ok(Json(overview::person(&s.db, &a, id(&raw)?, &p).await?))
}

#[utoipa::path(get, path = "/api/v1/people/{id}/consents", tag = "people", params(("id" = String, Path)), responses((status = 200, body = Consents)))]
pub async fn consents(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<Consents>> {
    Ok(Json(people::consents(&s.db, &a, id(&raw)?).await?))
}

/// Records a consent (or its withdrawal) on a channel; the history is kept.
#[utoipa::path(post, path = "/api/v1/people/{id}/consents", tag = "people", params(("id" = String, Path)),
    request_body = relais_domain::interaction::ConsentDraft, responses((status = 201, body = Consents)))]
pub async fn record_consent(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(people::record_consent(&s.db, &a, id(&raw)?, b).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/people/{id}/stages", tag = "people", params(("id" = String, Path)), responses((status = 200, body = [StageChange])))]
pub async fn stages(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<Vec<StageChange>>> {
    Ok(Json(people::stage_history(&s.db, &a, id(&raw)?).await?))
}
