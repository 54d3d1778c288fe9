use super::tagged;
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, IfMatch, JsonBody, MergePatch, parse_id};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use relais_core::custom_fields::{self as svc, CustomFieldView};
use relais_domain::CustomFieldId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/custom-fields", get(list).post(create))
        .route(
            "/api/v1/custom-fields/{id}",
            get(read).patch(update).delete(delete),
        )
}

fn id(raw: &str) -> ApiResult<CustomFieldId> {
    parse_id(raw, CustomFieldId::parse, "custom field")
}

#[utoipa::path(get, path = "/api/v1/custom-fields", tag = "custom fields", responses((status = 200, body = [CustomFieldView])))]
pub async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
) -> ApiResult<Json<Vec<CustomFieldView>>> {
    Ok(Json(svc::list(&s.db, &a).await?))
}

/// Defines a field on people or companies: text, number, date, choice (with `choices`) or boolean.
#[utoipa::path(post, path = "/api/v1/custom-fields", tag = "custom fields", request_body = relais_core::custom_fields::CustomFieldDraft,
    responses((status = 201, body = CustomFieldView), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let f = svc::create(&s.db, &a, b).await?;
    Ok(tagged(StatusCode::CREATED, f.version, &f))
}

#[utoipa::path(get, path = "/api/v1/custom-fields/{id}", tag = "custom fields", params(("id" = String, Path)), responses((status = 200, body = CustomFieldView)))]
pub async fn read(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let f = svc::get(&s.db, &a, id(&raw)?).await?;
    Ok(tagged(StatusCode::OK, f.version, &f))
}

/// Changes the label or the choices; key, entity and type are fixed.
#[utoipa::path(patch, path = "/api/v1/custom-fields/{id}", tag = "custom fields", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = relais_core::custom_fields::CustomFieldPatch, content_type = "application/merge-patch+json"), responses((status = 200, body = CustomFieldView)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    IfMatch(m): IfMatch,
    MergePatch(b): MergePatch,
) -> ApiResult<Response> {
    let f = svc::update(&s.db, &a, id(&raw)?, b, m.as_deref()).await?;
    Ok(tagged(StatusCode::OK, f.version, &f))
}

/// Deletes the field and all its values.
#[utoipa::path(delete, path = "/api/v1/custom-fields/{id}", tag = "custom fields", params(("id" = String, Path)), responses((status = 204)))]
pub async fn delete(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    svc::delete(&s.db, &a, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
