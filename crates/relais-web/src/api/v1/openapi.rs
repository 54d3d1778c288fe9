//! The OpenAPI document of /api/v1, built from the handlers' annotations.
use super::{
    attachments, companies, custom_fields, duplicates, exports, imports, jobs, people, records,
    session, users,
};
use crate::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
        session::sign_in, session::sign_out,
        duplicates::people_duplicates, duplicates::merge_people, duplicates::company_duplicates, duplicates::merge_companies,
        jobs::list, jobs::read, jobs::cancel, jobs::undo, jobs::file, imports::start, exports::start,
    ),
    modifiers(&Security, &Kinds),
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

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/openapi.json",
        get(|| async { Json(ApiDoc::openapi()) }),
    )
}
