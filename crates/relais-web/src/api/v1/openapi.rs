//! The OpenAPI document of /api/v1, built from the handlers' annotations.
use super::{
    attachments, companies, custom_fields, duplicates, exports, imports, jobs, people, records,
    session, settings, users,
};
use crate::AppState;
use crate::error::Problem;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::path::{Operation, Parameter, ParameterIn, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(title = "Relais API", description = "The customer record of Relais: people, companies, interactions (with their attachments), tasks. \
        Authenticate with `Authorization: Bearer <token>` (create one with `relais token create`) or a session cookie \
        from POST /api/v1/session plus `X-CSRF-Token` on writes. Updates are JSON merge patches; send `If-Match` with \
        the ETag you read to be refused (412) rather than overwrite a change made meanwhile. Errors are RFC 9457 problems."),
    paths(
        people::overview, people::consents, people::record_consent, people::stages,
        companies::overview,
        attachments::upload, attachments::list, attachments::download, attachments::delete,
        users::me, users::list, users::create, users::read, users::update, users::tokens, users::create_token,
        users::revoke_token, users::teams, users::create_team,
        custom_fields::list, custom_fields::create, custom_fields::read, custom_fields::update, custom_fields::delete,
        session::sign_in, session::sign_out, settings::read, settings::update,
        jobs::list, jobs::read, jobs::cancel, jobs::undo, jobs::file, imports::start, exports::start,
    ),
    modifiers(&Security, &Kinds, &Problems),
    security(("bearer" = []), ("session" = []))
)]
pub struct ApiDoc;

struct Security;

/// The routes every kind of record has, described once (`records::document`).
struct Kinds;

impl Modify for Kinds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        records::document::<relais_core::people::People>(openapi);
        records::document::<relais_core::companies::Companies>(openapi);
        records::document::<relais_core::interactions::Interactions>(openapi);
        records::document::<relais_core::tasks::Tasks>(openapi);
        duplicates::document::<relais_core::people::People>(openapi);
        duplicates::document::<relais_core::companies::Companies>(openapi);
    }
}

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::extract::SESSION_COOKIE,
            ))),
        );
    }
}

/// Makes every operation say the errors it can answer, each as an RFC 9457 problem
/// (`application/problem+json`), by rules that hold for every handler: runs last.
struct Problems;

impl Modify for Problems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for op in operations(item) {
                document_problems(path, op);
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Why each status can come, so that the document lists exactly those an operation can meet.
fn document_problems(path: &str, op: &mut Operation) {
    let public = op.security.as_ref().is_some_and(|s| {
        s.iter()
            .any(|r| *r == utoipa::openapi::security::SecurityRequirement::default())
    });
    let params: Vec<&Parameter> = op
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(p),
            RefOr::Ref(_) => None,
        })
        .collect();
    let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
    let if_match = params
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Header && p.name == "If-Match");
    let mut statuses: Vec<(&str, &str)> = vec![
        (
            "500",
            "an internal failure, logged; the body says nothing of it",
        ),
        (
            "503",
            "the database is busy: try again after Retry-After seconds",
        ),
    ];
    if !public {
        statuses.push(("401", "no valid token or session"));
        statuses.push(("403", "the caller's role may not do this"));
    }
    if path.contains('{') || has(ParameterIn::Path) {
        statuses.push(("404", "no such record (or not one the caller may see)"));
    }
    if has(ParameterIn::Query) || op.request_body.is_some() {
        statuses.push(("422", "a parameter or field is wrong; `errors` names each"));
    }
    if op.request_body.is_some() {
        statuses.push(("400", "the body is not well-formed JSON"));
        statuses.push(("413", "the body is too large"));
        statuses.push(("415", "the body is not of a type this operation reads"));
    }
    if if_match {
        statuses.push((
            "412",
            "If-Match names an older version; `current` is the record now",
        ));
    }
    for (status, why) in statuses {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(problem_response(why)));
    }
    for (status, response) in op.responses.responses.iter_mut() {
        if status.as_str() >= "400"
            && let RefOr::T(r) = response
        {
            r.content.clear();
            r.content.insert(
                "application/problem+json".to_string(),
                RefOr::T(Content::new(Some(Ref::from_schema_name(Problem::name())))),
            );
        }
    }
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new().description(description).build()
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/openapi.json",
        get(|| async { Json(ApiDoc::openapi()) }),
    )
}
