//! The routes every kind of record has, written once: list, create, read, update (a merge
//! patch checked against `If-Match`), delete to the trash, restore, purge and the audit
//! trail; and their description in the OpenAPI document.
use super::tagged;
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, IfMatch, JsonBody, MergePatch, Params, parse_id};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use relais_core::overview;
use relais_core::record::{ListPage, parse_draft};
use relais_core::records::{self, Kind, RecordView};
use relais_domain::{Code, Msg};
use relais_store::audit::AuditEntry;
use relais_store::records::ListOrder;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, ParameterBuilder};
use utoipa::openapi::path::{ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Content, HeaderBuilder, Ref, RefOr, Required, ResponseBuilder};
use utoipa::openapi::{OpenApi, Response as ApiResponse};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

/// A kind of record served at `/api/v1/{PATH}`.
pub trait Served: Kind<View: ToSchema + RecordView, Draft: ToSchema> {
    /// Its path under `/api/v1`, also its tag in the OpenAPI document (`companies`).
    const PATH: &'static str;
    /// What its list's `q` and filters find, for the OpenAPI document.
    const LIST_DOC: &'static str;
}

pub fn routes<K: Served>() -> Router<AppState> {
    let base = format!("/api/v1/{}", K::PATH);
    Router::new()
        .route(&base, get(list::<K>).post(create::<K>))
        .route(
            &format!("{base}/{{id}}"),
            get(read::<K>).patch(update::<K>).delete(delete::<K>),
        )
        .route(&format!("{base}/{{id}}/restore"), post(restore::<K>))
        .route(&format!("{base}/{{id}}/purge"), post(purge::<K>))
        .route(&format!("{base}/{{id}}/audit"), get(audit::<K>))
}

/// The id in a path; one that is not an id names nothing, so it is a 404.
pub fn id<K: Kind>(raw: &str) -> ApiResult<K::Id> {
    parse_id(
        raw,
        |s| {
            Uuid::parse_str(s.trim())
                .map(K::Id::from)
                .map_err(|_| Msg::new(Code::NotAnId).with("value", s))
        },
        K::NOUN,
    )
}

async fn list<K: Served>(
    State(s): State<AppState>,
    Caller(a): Caller,
    Params(p): Params,
) -> ApiResult<Json<ListPage<K::View>>> {
    Ok(Json(records::list::<K>(&s.db, &a, &p).await?))
}

async fn create<K: Served>(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let draft: K::Draft = parse_draft(b).map_err(relais_core::CoreError::from)?;
    let v = records::create::<K>(&s.db, &a, &draft).await?;
    Ok(tagged(StatusCode::CREATED, v.version(), &v))
}

async fn read<K: Served>(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let v = records::get::<K>(&s.db, &a, id::<K>(&raw)?).await?;
    Ok(tagged(StatusCode::OK, v.version(), &v))
}

async fn update<K: Served>(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    IfMatch(m): IfMatch,
    MergePatch(b): MergePatch,
) -> ApiResult<Response> {
    let v = records::update::<K>(&s.db, &a, id::<K>(&raw)?, &b, m.as_deref()).await?;
    Ok(tagged(StatusCode::OK, v.version(), &v))
}

async fn delete<K: Served>(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    records::delete::<K>(&s.db, &a, id::<K>(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn restore<K: Served>(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let v = records::restore::<K>(&s.db, &a, id::<K>(&raw)?).await?;
    Ok(tagged(StatusCode::OK, v.version(), &v))
}

async fn purge<K: Served>(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    records::purge::<K>(&s.db, &a, id::<K>(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn audit<K: Served>(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    Params(p): Params,
) -> ApiResult<Json<ListPage<AuditEntry>>> {
    let id: Uuid = id::<K>(&raw)?.into();
    Ok(Json(
        overview::audit(&s.db, &a, K::SPEC.resource, id, &p).await?,
    ))
}

/// Adds the kind's routes and schemas to the OpenAPI document.
pub fn document<K: Served>(api: &mut OpenApi) {
    let view = K::View::name().to_string();
    let draft = K::Draft::name().to_string();
    let page = format!("ListPage_{view}");
    let patch = format!("{draft}Patch");
    let components = api.components.get_or_insert_with(Default::default);
    let mut schemas = vec![
        (view.clone(), K::View::schema()),
        (draft.clone(), K::Draft::schema()),
        (page.clone(), list_page(&view)),
        (patch.clone(), patch_schema(K::Draft::schema())),
    ];
    K::View::schemas(&mut schemas);
    K::Draft::schemas(&mut schemas);
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
    let base = format!("/api/v1/{}", K::PATH);
    let op = |name: &str, summary: String| {
        OperationBuilder::new()
            .tag(K::PATH)
            .operation_id(Some(format!("{}_{name}", K::PATH)))
            .summary(Some(summary))
    };
    let noun = K::NOUN;
    let paths = &mut api.paths;
    paths.add_path_operation(
        &base,
        vec![HttpMethod::Get],
        op("list", format!("List {}", K::PATH))
            .description(Some(K::LIST_DOC))
            .parameters(Some(list_params(K::ORDER == ListOrder::Name)))
            .response("200", json(&page, "a page of records"))
            .response("422", problem())
            .build(),
    );
    paths.add_path_operation(
        &base,
        vec![HttpMethod::Post],
        op("create", format!("Create a {noun}"))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name(&draft))),
                    )
                    .required(Some(Required::True))
                    .build(),
            ))
            .response("201", created::<K>(&view))
            .response("400", problem())
            .response("403", problem())
            .response("422", problem())
            .build(),
    );
    let one = format!("{base}/{{id}}");
    let with_id = |o: Operation| -> Operation {
        let mut o = o;
        o.parameters
            .get_or_insert_with(Vec::new)
            .insert(0, RefOr::T(path_id()));
        o
    };
    let mut item = PathItem::new(
        HttpMethod::Get,
        with_id(
            op("read", format!("Read a {noun}, from the trash too"))
                .response("200", tagged_json(&view))
                .response("404", problem())
                .build(),
        ),
    );
    item.patch = Some(with_id(
        op("update", format!("Change a {noun} (JSON merge patch)"))
            .parameter(
                ParameterBuilder::new()
                    .name("If-Match")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some("the ETag read; a stale one is refused with 412"))
                    .schema(Some(String::schema())),
            )
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/merge-patch+json",
                        Content::new(Some(Ref::from_schema_name(&patch))),
                    )
                    .required(Some(Required::True))
                    .build(),
            ))
            .response("200", tagged_json(&view))
            .response("400", problem())
            .response("404", problem())
            .response("412", problem())
            .response("422", problem())
            .build(),
    ));
    item.delete = Some(with_id(
        op("delete", format!("Move a {noun} to the trash"))
            .response(
                "204",
                ResponseBuilder::new().description("in the trash").build(),
            )
            .response("404", problem())
            .build(),
    ));
    paths.paths.insert(one.clone(), item);
    for (action, summary, ok) in [
        (
            "restore",
            format!("Take a {noun} back from the trash"),
            tagged_json(&view),
        ),
        (
            "purge",
            format!("Erase a {noun} in the trash for good"),
            ResponseBuilder::new().description("erased").build(),
        ),
    ] {
        let status = if action == "purge" { "204" } else { "200" };
        paths.add_path_operation(
            format!("{one}/{action}"),
            vec![HttpMethod::Post],
            with_id(
                op(action, summary)
                    .response(status, ok)
                    .response("404", problem())
                    .response("409", problem())
                    .build(),
            ),
        );
    }
    paths.add_path_operation(
        format!("{one}/audit"),
        vec![HttpMethod::Get],
        with_id(
            op(
                "audit",
                format!("The audit trail of a {noun}, newest first"),
            )
            .parameters(Some(page_params()))
            .response(
                "200",
                ResponseBuilder::new().description("audit entries").build(),
            )
            .build(),
        ),
    );
}

/// A merge patch of a kind: the fields of its draft, each optional, `null` clearing it.
fn patch_schema(draft: RefOr<Schema>) -> RefOr<Schema> {
    match draft {
        RefOr::T(Schema::Object(mut o)) => {
            o.required.clear();
            o.description = Some("the fields to change; null clears one (RFC 7396)".into());
            for field in o.properties.values_mut() {
                let given = std::mem::replace(field, RefOr::T(Schema::default()));
                *field = AnyOfBuilder::new()
                    .item(given)
                    .item(ObjectBuilder::new().schema_type(Type::Null))
                    .into();
            }
            RefOr::T(Schema::Object(o))
        }
        other => other,
    }
}

fn list_page(view: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .property(
            "items",
            ArrayBuilder::new().items(Ref::from_schema_name(view)),
        )
        .required("items")
        .property(
            "next_cursor",
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::String,
                    Type::Null,
                ]))
                .description(Some(
                    "pass as `cursor` to get the next page; absent on the last",
                )),
        )
        .into()
}

fn path_id() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(String::schema()))
        .build()
}

pub(super) fn query(
    name: &str,
    description: &str,
    schema: RefOr<Schema>,
) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn page_params() -> Vec<utoipa::openapi::path::Parameter> {
    vec![
        query(
            "limit",
            "how many, from 1 to 200 (default 50)",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(relais_core::record::MAX_LIMIT))
                .into(),
        ),
        query(
            "cursor",
            "the next_cursor of the previous page",
            String::schema(),
        ),
    ]
}

/// A list's parameters; `sortable`: its order can be chosen (a timeline's is fixed).
fn list_params(sortable: bool) -> Vec<utoipa::openapi::path::Parameter> {
    let mut params = vec![
        query(
            "q",
            "search: prefixes of the words records are found by",
            String::schema(),
        ),
        query(
            "filter",
            "a filter in the segment language, e.g. stage = customer and no \
             interactions(occurred_at > 180 days ago); see the README",
            String::schema(),
        ),
        query("trash", "true: list the trash", bool::schema()),
    ];
    if sortable {
        params.push(query(
            "sort",
            "by name (the default), creation or change; `-` first for descending; relevance \
             is the default with q",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([
                    "name",
                    "-name",
                    "created_at",
                    "-created_at",
                    "updated_at",
                    "-updated_at",
                    "relevance",
                ]))
                .into(),
        ));
    }
    params.extend(page_params());
    params
}

pub(super) fn json(schema: &str, description: &str) -> ApiResponse {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name(schema))),
        )
        .build()
}

/// A record just created, with links to what can be done with it next (by its id).
fn created<K: Served>(view: &str) -> ApiResponse {
    let mut r = tagged_json(view);
    for action in ["read", "update", "delete", "restore", "purge", "audit"] {
        let link = LinkBuilder::new()
            .operation_id(format!("{}_{action}", K::PATH))
            .parameter("id", "$response.body#/id")
            .build();
        r.links.insert(action.to_string(), RefOr::T(link));
    }
    r
}

/// A record with its ETag, to send back as `If-Match`.
pub(super) fn tagged_json(schema: &str) -> ApiResponse {
    let mut r = json(schema, "the record, with its ETag");
    r.headers.insert(
        "ETag".to_string(),
        RefOr::T(HeaderBuilder::new().schema(Some(String::schema())).build()),
    );
    r
}

pub(super) fn problem() -> ApiResponse {
    ResponseBuilder::new()
        .description("an RFC 9457 problem")
        .content(
            "application/problem+json",
            Content::new(Some(Ref::from_schema_name(Problem::name()))),
        )
        .build()
}
