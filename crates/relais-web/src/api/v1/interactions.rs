use super::tagged;
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, IfMatch, JsonBody, Params, parse_id};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use relais_core::interactions::{self, InteractionView};
use relais_core::overview;
use relais_core::record::ListPage;
use relais_domain::{InteractionId, Resource};
use relais_store::audit::AuditEntry;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/interactions", get(list).post(create))
        .route(
            "/api/v1/interactions/{id}",
            get(read).patch(update).delete(delete),
        )
        .route("/api/v1/interactions/{id}/restore", post(restore))
        .route("/api/v1/interactions/{id}/purge", post(purge))
        .route("/api/v1/interactions/{id}/audit", get(audit))
}

fn id(raw: &str) -> ApiResult<InteractionId> {
    parse_id(raw, InteractionId::parse, "interaction")
}

/// Interactions, newest first. Filters: kind, direction, person_id, company_id, user_id,
/// occurred_at[gte|lt]; `q` searches the subject.
#[utoipa::path(get, path = "/api/v1/interactions", tag = "interactions",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query), ("person_id" = Option<String>, Query), ("kind" = Option<String>, Query), ("filter" = Option<String>, Query, description = "a filter in the segment language, e.g. kind = call and occurred_at > 90 days ago")),
    responses((status = 200, body = ListPage<InteractionView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    Params(p): Params,
) -> ApiResult<Json<ListPage<InteractionView>>> {
    Ok(Json(interactions::list(&s.db, &a, &p).await?))
}

/// Logs a call, e-mail, meeting (with its report), SMS, chat, visit, social message, letter or note.
#[utoipa::path(post, path = "/api/v1/interactions", tag = "interactions", request_body = relais_domain::interaction::InteractionDraft,
    responses((status = 201, body = InteractionView), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let i = interactions::create(&s.db, &a, b).await?;
    Ok(tagged(StatusCode::CREATED, i.version, &i))
}

#[utoipa::path(get, path = "/api/v1/interactions/{id}", tag = "interactions", params(("id" = String, Path)), responses((status = 200, body = InteractionView)))]
pub async fn read(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let i = interactions::get(&s.db, &a, id(&raw)?).await?;
    Ok(tagged(StatusCode::OK, i.version, &i))
}

#[utoipa::path(patch, path = "/api/v1/interactions/{id}", tag = "interactions", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = Object, content_type = "application/merge-patch+json"),
    responses((status = 200, body = InteractionView), (status = 412, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let i = interactions::update(&s.db, &a, id(&raw)?, b, m.as_deref()).await?;
    Ok(tagged(StatusCode::OK, i.version, &i))
}

#[utoipa::path(delete, path = "/api/v1/interactions/{id}", tag = "interactions", params(("id" = String, Path)), responses((status = 204)))]
pub async fn delete(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    interactions::delete(&s.db, &a, id(&raw)?, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/interactions/{id}/restore", tag = "interactions", params(("id" = String, Path)), responses((status = 200, body = InteractionView)))]
pub async fn restore(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let id = id(&raw)?;
    interactions::delete(&s.db, &a, id, false).await?;
    let i = interactions::get(&s.db, &a, id).await?;
    Ok(tagged(StatusCode::OK, i.version, &i))
}

#[utoipa::path(post, path = "/api/v1/interactions/{id}/purge", tag = "interactions", params(("id" = String, Path)), responses((status = 204)))]
pub async fn purge(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    interactions::purge(&s.db, &a, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/interactions/{id}/audit", tag = "interactions", params(("id" = String, Path)), responses((status = 200, description = "audit entries")))]
pub async fn audit(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    Params(p): Params,
) -> ApiResult<Json<ListPage<AuditEntry>>> {
    Ok(Json(
        overview::audit(&s.db, &a, Resource::Interactions, id(&raw)?.0, &p).await?,
    ))
}
