use super::tagged;
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, IfMatch, JsonBody, Params, parse_id};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use relais_core::overview::{self, PersonOverview};
use relais_core::people::{self, Consents, PersonView};
use relais_core::record::ListPage;
use relais_domain::{PersonId, Resource};
use relais_store::audit::AuditEntry;
use relais_store::people::StageChange;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/people", get(list).post(create))
        .route(
            "/api/v1/people/{id}",
            get(read).patch(update).delete(delete),
        )
        .route("/api/v1/people/{id}/restore", post(restore))
        .route("/api/v1/people/{id}/purge", post(purge))
        .route("/api/v1/people/{id}/overview", get(overview))
        .route("/api/v1/people/{id}/audit", get(audit))
        .route(
            "/api/v1/people/{id}/consents",
            get(consents).post(record_consent),
        )
        .route("/api/v1/people/{id}/stages", get(stages))
}

fn id(raw: &str) -> ApiResult<PersonId> {
    parse_id(raw, PersonId::parse, "person")
}

/// List people: `q` (prefix of a name, e-mail, phone or company; case and accent
/// insensitive; several words must all match), `sort` (name, -name, created_at, updated_at,
/// relevance: the order of a search that names none, by the word found then by name),
/// `limit` (≤ 200), `cursor`,
/// `trash=true`, and filters on any field: `stage=customer`, `stage=lead,prospect`,
/// `tag=vip`, `city=Paris`, `owner_id=…`, `created_at[gte]=2024-01-01`, `custom.<key>=…`.
#[utoipa::path(get, path = "/api/v1/people", tag = "people",
    params(("q" = Option<String>, Query, description = "search prefixes"), ("filter" = Option<String>, Query, description = "a filter in the segment language, e.g. stage = customer and no interactions(occurred_at > 180 days ago); see the README"), ("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query), ("sort" = Option<String>, Query, description = "name, -name, created_at, -created_at, updated_at, -updated_at, relevance (the default with q)")),
    responses((status = 200, body = ListPage<PersonView>), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    Params(p): Params,
) -> ApiResult<Json<ListPage<PersonView>>> {
    Ok(Json(people::list(&s.db, &a, &p).await?))
}

#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = relais_domain::person::PersonDraft,
    responses((status = 201, body = PersonView), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let p = people::create(&s.db, &a, b).await?;
    Ok(tagged(StatusCode::CREATED, p.version, &p))
}

#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", params(("id" = String, Path)),
    responses((status = 200, body = PersonView, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn read(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let p = people::get(&s.db, &a, id(&raw)?).await?;
    Ok(tagged(StatusCode::OK, p.version, &p))
}

/// JSON merge patch (RFC 7396). With `If-Match`, a stale ETag gets 412 and the current state.
#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = Object, content_type = "application/merge-patch+json"),
    responses((status = 200, body = PersonView), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let p = people::update(&s.db, &a, id(&raw)?, b, m.as_deref()).await?;
    Ok(tagged(StatusCode::OK, p.version, &p))
}

/// Moves the person to the trash (restorable).
#[utoipa::path(delete, path = "/api/v1/people/{id}", tag = "people", params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    people::delete(&s.db, &a, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/people/{id}/restore", tag = "people", params(("id" = String, Path)), responses((status = 200, body = PersonView)))]
pub async fn restore(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let p = people::restore(&s.db, &a, id(&raw)?).await?;
    Ok(tagged(StatusCode::OK, p.version, &p))
}

/// Erases a person in the trash for good, with their history (GDPR erasure).
#[utoipa::path(post, path = "/api/v1/people/{id}/purge", tag = "people", params(("id" = String, Path)), responses((status = 204), (status = 409, body = Problem)))]
pub async fn purge(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    people::purge(&s.db, &a, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The 360° view: the person, their companies, a timeline page (`limit`, `cursor`), open
/// tasks, consent per channel, stage history and counts.
#[utoipa::path(get, path = "/api/v1/people/{id}/overview", tag = "people", params(("id" = String, Path), ("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query), ("kind" = Option<String>, Query, description = "only interactions of this kind (call, email, meeting, ...)")),
    responses((status = 200, body = PersonOverview)))]
pub async fn overview(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    Params(p): Params,
) -> ApiResult<Json<PersonOverview>> {
    Ok(Json(overview::person(&s.db, &a, id(&raw)?, &p).await?))
}

#[utoipa::path(get, path = "/api/v1/people/{id}/audit", tag = "people", params(("id" = String, Path)), responses((status = 200, description = "audit entries, newest first")))]
pub async fn audit(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    Params(p): Params,
) -> ApiResult<Json<ListPage<AuditEntry>>> {
    Ok(Json(
        overview::audit(&s.db, &a, Resource::People, id(&raw)?.0, &p).await?,
    ))
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
