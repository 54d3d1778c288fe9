use super::tagged;
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, IfMatch, JsonBody, Params, parse_id};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use relais_core::interactions::{self as svc, TaskView};
use relais_core::record::ListPage;
use relais_domain::TaskId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tasks", get(list).post(create))
        .route("/api/v1/tasks/{id}", get(read).patch(update).delete(delete))
        .route("/api/v1/tasks/{id}/restore", post(restore))
        .route("/api/v1/tasks/{id}/purge", post(purge))
}

fn id(raw: &str) -> ApiResult<TaskId> {
    parse_id(raw, TaskId::parse, "task")
}

/// Tasks and reminders. Filters: assignee_id, person_id, company_id, done=true|false, due_at[lt|gte].
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query), ("assignee_id" = Option<String>, Query), ("done" = Option<bool>, Query), ("filter" = Option<String>, Query, description = "a filter in the segment language, e.g. done = no and due_at < today")),
    responses((status = 200, body = ListPage<TaskView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    Params(p): Params,
) -> ApiResult<Json<ListPage<TaskView>>> {
    Ok(Json(svc::list_tasks(&s.db, &a, &p).await?))
}

#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks", request_body = relais_domain::interaction::TaskDraft,
    responses((status = 201, body = TaskView), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let t = svc::create_task(&s.db, &a, b).await?;
    Ok(tagged(StatusCode::CREATED, t.version, &t))
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = String, Path)), responses((status = 200, body = TaskView)))]
pub async fn read(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let t = svc::get_task(&s.db, &a, id(&raw)?).await?;
    Ok(tagged(StatusCode::OK, t.version, &t))
}

#[utoipa::path(patch, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = Object, content_type = "application/merge-patch+json"),
    responses((status = 200, body = TaskView), (status = 412, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let t = svc::update_task(&s.db, &a, id(&raw)?, b, m.as_deref()).await?;
    Ok(tagged(StatusCode::OK, t.version, &t))
}

#[utoipa::path(delete, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = String, Path)), responses((status = 204)))]
pub async fn delete(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    svc::delete_task(&s.db, &a, id(&raw)?, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/tasks/{id}/restore", tag = "tasks", params(("id" = String, Path)), responses((status = 200, body = TaskView)))]
pub async fn restore(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let id = id(&raw)?;
    svc::delete_task(&s.db, &a, id, false).await?;
    let t = svc::get_task(&s.db, &a, id).await?;
    Ok(tagged(StatusCode::OK, t.version, &t))
}

#[utoipa::path(post, path = "/api/v1/tasks/{id}/purge", tag = "tasks", params(("id" = String, Path)), responses((status = 204)))]
pub async fn purge(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    svc::purge_task(&s.db, &a, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
