//! The web app: server-rendered pages that work without JavaScript. Each page module exports
//! its `router()`; handlers extract, call a service of relais-core, render a template.
//! Forms post `application/x-www-form-urlencoded` with the session's CSRF token in `_csrf`,
//! checked for every change by `session::csrf_guard` before any handler runs.
pub mod admin;
pub mod admin_settings;
pub mod assets;
pub mod companies;
pub mod duplicates;
pub mod edit;
pub mod facts;
pub mod form;
pub mod history;
pub mod home;
pub mod i18n;
pub mod import;
pub mod jobs;
pub mod list_page;
pub mod lists;
pub mod people;
pub mod people_list;
pub mod record_form;
pub mod session;
pub mod timeline;

use crate::AppState;
use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use i18n::Tr;
use relais_core::{Actor, CoreError};
use relais_domain::{Action, Resource, Role};

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(session::router())
        .merge(home::router())
        .merge(people::router())
        .merge(companies::router())
        .merge(duplicates::router())
        .merge(import::router())
        .merge(jobs::router())
        .merge(admin::router())
        .merge(admin_settings::router())
        .merge(history::router())
        .merge(timeline::router())
        .layer(axum::middleware::from_fn_with_state(
            state,
            session::csrf_guard,
        ))
        .merge(assets::router())
}

/// What every page of a signed-in user shows around its content.
pub struct Ctx {
    pub tr: Tr,
    pub user_name: String,
    pub csrf: String,
    pub role: Role,
    /// The menu entry of the page.
    pub nav: &'static str,
}

impl Ctx {
    /// Whether the user's role may do `action` on `resource` (as the services will check):
    /// what a role may not do, its pages do not offer.
    pub fn can(&self, action: &str, resource: &str) -> bool {
        let action = match action {
            "create" => Action::Create,
            "update" => Action::Update,
            "delete" => Action::Delete,
            "purge" => Action::Purge,
            _ => Action::Read,
        };
        // A name no resource has offers nothing.
        Resource::named(resource).is_some_and(|resource| self.role.may(action, resource))
    }

    pub fn actor(&self, user: relais_domain::UserId) -> Actor {
        Actor {
            user: Some(user),
            role: self.role,
        }
    }
}

/// A rendered page.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page template failed");
            UiError::Internal.into_response()
        }
    }
}

/// A page rendered with a status other than 200 (a form sent back with its errors: 422).
pub fn render_with(status: StatusCode, t: &impl Template) -> Response {
    let mut res = render(t);
    if res.status() == StatusCode::OK {
        *res.status_mut() = status;
    }
    res
}

/// After a change, the page to show next (POST, then redirect, then GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Why a page could not be shown. The error pages are bilingual: they are reached before or
/// without knowing the reader's language.
#[derive(Debug)]
pub enum UiError {
    SignIn,
    /// A request no page of Relais makes (a parameter out of its range).
    BadRequest,
    NotFound,
    Forbidden,
    Gone,
    Internal,
}

impl From<CoreError> for UiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Unauthenticated => UiError::SignIn,
            CoreError::Forbidden(_) => UiError::Forbidden,
            CoreError::NotFound(_) => UiError::NotFound,
            CoreError::Stale { .. } => UiError::Gone,
            CoreError::Invalid(_) => UiError::BadRequest,
            other => {
                tracing::error!(error = %other, "page failed");
                UiError::Internal
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    fr: &'static str,
    en: &'static str,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, fr, en) = match self {
            UiError::SignIn => return see_other("/login"),
            UiError::BadRequest => (
                StatusCode::BAD_REQUEST,
                "Cette adresse n’est pas valide.",
                "This address is not valid.",
            ),
            UiError::NotFound => (
                StatusCode::NOT_FOUND,
                "Cette page n’existe pas, ou plus.",
                "This page does not exist, or no longer.",
            ),
            UiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Votre rôle ne permet pas cette action.",
                "Your role does not allow this.",
            ),
            UiError::Gone => (
                StatusCode::CONFLICT,
                "La fiche a changé entre-temps : rechargez la page.",
                "The record changed meanwhile: reload the page.",
            ),
            UiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Une erreur est survenue ; elle a été enregistrée.",
                "Something went wrong; it has been logged.",
            ),
        };
        let html = ErrorPage { fr, en }
            .render()
            .unwrap_or_else(|_| en.to_string());
        (status, Html(html)).into_response()
    }
}

pub type UiResult<T = Response> = Result<T, UiError>;
