//! Likely duplicates and merges of people and companies.
use super::tagged;
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, IfMatch, JsonBody, Params};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use relais_core::companies::{Companies, CompanyView};
use relais_core::merge::{self, CompanyPair, PersonPair};
use relais_core::people::{People, PersonView};
use relais_domain::Invalid;
use relais_domain::{Code, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/people/duplicates", get(people_duplicates))
        .route("/api/v1/people/merge", post(merge_people))
        .route("/api/v1/companies/duplicates", get(company_duplicates))
        .route("/api/v1/companies/merge", post(merge_companies))
}

/// `limit`, from 1 to 500 (50 when absent); anything else is refused by name.
fn limit(p: &[(String, String)]) -> ApiResult<usize> {
    let mut limit = None;
    for (k, v) in p {
        if k != "limit" {
            return Err(Invalid::one(
                k.clone(),
                Msg::new(Code::UnknownParameter).with("allowed", "limit"),
            )
            .into());
        }
        if limit.is_some() {
            return Err(Invalid::one("limit", Code::GivenTwice).into());
        }
        limit = Some(
            v.parse::<usize>()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .ok_or_else(|| {
                    Invalid::one(
                        "limit",
                        Msg::new(Code::OutOfRange).with("min", 1).with("max", 500),
                    )
                })?,
        );
    }
    Ok(limit.unwrap_or(50))
}

/// Pairs of people that look like the same person, with the reasons.
#[utoipa::path(get, path = "/api/v1/people/duplicates", tag = "duplicates", params(("limit" = Option<u64>, Query, minimum = 1, maximum = 500)), responses((status = 200, body = [PersonPair])))]
pub async fn people_duplicates(
    State(s): State<AppState>,
    Caller(a): Caller,
    Params(p): Params,
) -> ApiResult<Json<Vec<PersonPair>>> {
    Ok(Json(merge::people_duplicates(&s.db, &a, limit(&p)?).await?))
}

/// Merges `discarded_id` into `survivor_id`, taking the fields listed in `take` from the
/// discarded person. Atomic; the discarded values stay in the survivor's audit trail.
/// `If-Match` applies to the survivor.
#[utoipa::path(post, path = "/api/v1/people/merge", tag = "duplicates", request_body = merge::MergeRequest,
    params(("If-Match" = Option<String>, Header)),
    responses((status = 200, body = PersonView), (status = 404, description = "a record named in the body does not exist"), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn merge_people(
    State(s): State<AppState>,
    Caller(a): Caller,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let p = merge::merge::<People>(&s.db, &a, b, m.as_deref()).await?;
    Ok(tagged(StatusCode::OK, p.version, &p))
}

#[utoipa::path(get, path = "/api/v1/companies/duplicates", tag = "duplicates", params(("limit" = Option<u64>, Query, minimum = 1, maximum = 500)), responses((status = 200, body = [CompanyPair])))]
pub async fn company_duplicates(
    State(s): State<AppState>,
    Caller(a): Caller,
    Params(p): Params,
) -> ApiResult<Json<Vec<CompanyPair>>> {
    Ok(Json(
        merge::company_duplicates(&s.db, &a, limit(&p)?).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/companies/merge", tag = "duplicates", request_body = merge::MergeRequest,
    params(("If-Match" = Option<String>, Header)),
    responses((status = 200, body = CompanyView), (status = 404, description = "a record named in the body does not exist"), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn merge_companies(
    State(s): State<AppState>,
    Caller(a): Caller,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let c = merge::merge::<Companies>(&s.db, &a, b, m.as_deref()).await?;
    Ok(tagged(StatusCode::OK, c.version, &c))
}
