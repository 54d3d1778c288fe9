//! Companies in the API: the routes every kind has (`records`), and their 360° view.
use super::records::{self, Served};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Caller, Params};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use relais_core::companies::Companies;
use relais_core::overview::{self, CompanyOverview};

impl Served for Companies {
    const PATH: &'static str = "companies";
    const LIST_DOC: &'static str = "`q`: prefixes of the name's words, SIREN, e-mail, phone (in \
        relevance order unless `sort` names another). Filters on any field: `industry=…`, \
        `size=10-49`, `parent_id=…`, `city=…`, `tag=…`, `custom.<key>=…`, or `filter=`.";
}

pub fn router() -> Router<AppState> {
    records::routes::<Companies>()
        .merge(super::duplicates::routes::<Companies>())
        .route("/api/v1/companies/{id}/overview", get(overview))
}

/// The 360° view of a company: the record, its group, its people, timeline, open tasks.
#[utoipa::path(get, path = "/api/v1/companies/{id}/overview", tag = "companies", params(("id" = String, Path), ("limit" = Option<u64>, Query, minimum = 1, maximum = 200), ("cursor" = Option<String>, Query), ("kind" = Option<String>, Query, description = "only interactions of this kind (call, email, meeting, ...)")), responses((status = 200, body = CompanyOverview)))]
pub async fn overview(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    Params(p): Params,
) -> ApiResult<Json<CompanyOverview>> {
    Ok(Json(
        overview::company(&s.db, &a, records::id::<Companies>(&raw)?, &p).await?,
    ))
}
