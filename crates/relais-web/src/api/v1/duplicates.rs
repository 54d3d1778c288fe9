//! Likely duplicates and merges, for every kind that can be merged: written once, served at
//! `/api/v1/{kind}/duplicates` and `/api/v1/{kind}/merge`, and described in the OpenAPI
//! document by `document`.
use super::records::{Served, problem, query, tagged_json};
use super::tagged;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Caller, IfMatch, JsonBody, Params};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use relais_core::merge::{self, MergeRequest, Mergeable, Pair};
use relais_domain::{Code, Invalid, Msg};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{Content, OpenApi, Ref, Required, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

pub fn routes<K: Served + Mergeable>() -> Router<AppState> {
    let base = format!("/api/v1/{}", K::PATH);
    Router::new()
        .route(&format!("{base}/duplicates"), get(duplicates::<K>))
        .route(&format!("{base}/merge"), post(merge::<K>))
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
                .filter(|n| (1..=MAX).contains(n))
                .ok_or_else(|| {
                    Invalid::one(
                        "limit",
                        Msg::new(Code::OutOfRange).with("min", 1).with("max", MAX),
                    )
                })?,
        );
    }
    Ok(limit.unwrap_or(50))
}

const MAX: usize = 500;

async fn duplicates<K: Served + Mergeable>(
    State(s): State<AppState>,
    Caller(a): Caller,
    Params(p): Params,
) -> ApiResult<Json<Vec<Pair<K::View>>>> {
    Ok(Json(merge::duplicates::<K>(&s.db, &a, limit(&p)?).await?))
}

async fn merge<K: Served + Mergeable>(
    State(s): State<AppState>,
    Caller(a): Caller,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let v = merge::merge::<K>(&s.db, &a, b, m.as_deref()).await?;
    Ok(tagged(
        StatusCode::OK,
        relais_core::records::RecordView::version(&v),
        &v,
    ))
}

/// Adds the kind's duplicates and merge routes, and their schemas, to the OpenAPI document.
pub fn document<K: Served + Mergeable>(api: &mut OpenApi) {
    let view = K::View::name().to_string();
    let pair = format!("{}Pair", view.trim_end_matches("View"));
    let request = MergeRequest::name().to_string();
    let components = api.components.get_or_insert_with(Default::default);
    components.schemas.entry(pair.clone()).or_insert(
        ObjectBuilder::new()
            .property("a", Ref::from_schema_name(&view))
            .property("b", Ref::from_schema_name(&view))
            .property(
                "reasons",
                ArrayBuilder::new()
                    .items(String::schema())
                    .description(Some(
                        "why they look alike: \"same e-mail\", \"same phone\", \"similar name\"…",
                    )),
            )
            .required("a")
            .required("b")
            .required("reasons")
            .into(),
    );
    components
        .schemas
        .entry(request.clone())
        .or_insert(MergeRequest::schema());
    let base = format!("/api/v1/{}", K::PATH);
    let noun = K::NOUN;
    api.paths.add_path_operation(
        format!("{base}/duplicates"),
        vec![HttpMethod::Get],
        OperationBuilder::new()
            .tag("duplicates")
            .operation_id(Some(format!("{}_duplicates", K::PATH)))
            .summary(Some(format!(
                "Pairs of {} that look alike, with the reasons",
                K::PATH
            )))
            .parameter(query(
                "limit",
                "how many pairs, from 1 to 500 (default 50)",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(MAX))
                    .into(),
            ))
            .response(
                "200",
                ResponseBuilder::new()
                    .description("the pairs")
                    .content(
                        "application/json",
                        Content::new(Some(
                            ArrayBuilder::new().items(Ref::from_schema_name(&pair)),
                        )),
                    )
                    .build(),
            )
            .response("403", problem())
            .response("422", problem())
            .build(),
    );
    api.paths.add_path_operation(
        format!("{base}/merge"),
        vec![HttpMethod::Post],
        OperationBuilder::new()
            .tag("duplicates")
            .operation_id(Some(format!("{}_merge", K::PATH)))
            .summary(Some(format!("Merge two of {}", K::PATH)))
            .description(Some(format!(
                "Merges `discarded_id` into `survivor_id`, taking the fields listed in `take` \
                 from the discarded {noun}. Atomic; the discarded values stay in the \
                 survivor's audit trail. `If-Match` applies to the survivor."
            )))
            .parameter(
                ParameterBuilder::new()
                    .name("If-Match")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .schema(Some(String::schema())),
            )
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name(&request))),
                    )
                    .required(Some(Required::True))
                    .build(),
            ))
            .response("200", tagged_json(&view))
            .response("400", problem())
            .response("403", problem())
            .response("404", problem())
            .response("412", problem())
            .response("422", problem())
            .build(),
    );
}
