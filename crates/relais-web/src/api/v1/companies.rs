use super::tagged;
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, IfMatch, JsonBody, Params, parse_id};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use relais_core::companies::{self, CompanyView};
use relais_core::overview::{self, CompanyOverview};
use relais_core::record::ListPage;
use relais_domain::{CompanyId, Resource};
use relais_store::audit::AuditEntry;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/companies", get(list).post(create))
        .route(
            "/api/v1/companies/{id}",
            get(read).patch(update).delete(delete),
        )
        .route("/api/v1/companies/{id}/restore", post(restore))
        .route("/api/v1/companies/{id}/purge", post(purge))
        .route("/api/v1/companies/{id}/overview", get(overview))
        .route("/api/v1/companies/{id}/audit", get(audit))
}

fn id(raw: &str) -> ApiResult<CompanyId> {
    parse_id(raw, CompanyId::parse, "company")
}

/// List companies: `q` (prefixes of the name's words, SIREN, e-mail, phone; in relevance order
/// unless `sort` names another), `sort`, `limit`, `cursor`, `trash=true`, and filters on any field
/// (`industry=…`, `size=10-49`, `parent_id=…`, `city=…`, `tag=…`, `custom.<key>=…`).
#[utoipa::path(get, path = "/api/v1/companies", tag = "companies",
    params(("q" = Option<String>, Query, description = "search prefixes"), ("filter" = Option<String>, Query, description = "a filter in the segment language, e.g. stage = customer and no interactions(occurred_at > 180 days ago); see the README"), ("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query), ("sort" = Option<String>, Query, description = "name, -name, created_at, -created_at, updated_at, -updated_at, relevance (the default with q)")),
    responses((status = 200, body = ListPage<CompanyView>), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    Params(p): Params,
) -> ApiResult<Json<ListPage<CompanyView>>> {
    Ok(Json(companies::list(&s.db, &a, &p).await?))
}

#[utoipa::path(post, path = "/api/v1/companies", tag = "companies", request_body = relais_domain::company::CompanyDraft,
    responses((status = 201, body = CompanyView), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let c = companies::create(&s.db, &a, b).await?;
    Ok(tagged(StatusCode::CREATED, c.version, &c))
}

#[utoipa::path(get, path = "/api/v1/companies/{id}", tag = "companies", params(("id" = String, Path)),
    responses((status = 200, body = CompanyView, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn read(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let c = companies::get(&s.db, &a, id(&raw)?).await?;
    Ok(tagged(StatusCode::OK, c.version, &c))
}

#[utoipa::path(patch, path = "/api/v1/companies/{id}", tag = "companies", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = Object, content_type = "application/merge-patch+json"),
    responses((status = 200, body = CompanyView), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let c = companies::update(&s.db, &a, id(&raw)?, b, m.as_deref()).await?;
    Ok(tagged(StatusCode::OK, c.version, &c))
}

#[utoipa::path(delete, path = "/api/v1/companies/{id}", tag = "companies", params(("id" = String, Path)), responses((status = 204)))]
pub async fn delete(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    companies::delete(&s.db, &a, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/companies/{id}/restore", tag = "companies", params(("id" = String, Path)), responses((status = 200, body = CompanyView)))]
pub async fn restore(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let c = companies::restore(&s.db, &a, id(&raw)?).await?;
    Ok(tagged(StatusCode::OK, c.version, &c))
}

#[utoipa::path(post, path = "/api/v1/companies/{id}/purge", tag = "companies", params(("id" = String, Path)), responses((status = 204), (status = 409, body = Problem)))]
pub async fn purge(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    companies::purge(&s.db, &a, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The 360° view of a company: the record, its group, its people, timeline, open tasks.
#[utoipa::path(get, path = "/api/v1/companies/{id}/overview", tag = "companies", params(("id" = String, Path), ("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query), ("kind" = Option<String>, Query, description = "only interactions of this kind (call, email, meeting, ...)")), responses((status = 200, body = CompanyOverview)))]
pub async fn overview(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    Params(p): Params,
) -> ApiResult<Json<CompanyOverview>> {
    Ok(Json(overview::company(&s.db, &a, id(&raw)?, &p).await?))
}

#[utoipa::path(get, path = "/api/v1/companies/{id}/audit", tag = "companies", params(("id" = String, Path)), responses((status = 200, description = "audit entries, newest first")))]
pub async fn audit(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    Params(p): Params,
) -> ApiResult<Json<ListPage<AuditEntry>>> {
    Ok(Json(
        overview::audit(&s.db, &a, Resource::Companies, id(&raw)?.0, &p).await?,
    ))
}
