//! HTTP: the web app (server-rendered pages, `ui`) and the JSON API under /api/v1. Handlers
//! are thin: extract, call a service of relais-core, answer.
// A bad input must never panic a worker: no unwrap or expect outside tests, no string
// slicing by byte index (a char boundary panics), in every crate of Relais.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)
)]
pub mod api;
pub mod disposition;
pub mod error;
pub mod extract;
pub mod listener;
pub mod ui;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Extension, Router};
use relais_core::Db;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// Mark cookies `Secure` (off only for plain-HTTP local use and tests).
    pub secure_cookies: bool,
    /// Failed sign-ins, to slow down password guessing (pages and API alike).
    pub throttle: std::sync::Arc<ui::session::Throttle>,
}

impl AppState {
    pub fn new(db: Db, secure_cookies: bool) -> AppState {
        AppState {
            db,
            secure_cookies,
            throttle: Default::default(),
        }
    }
}

/// Limits an operator may configure, handed to the handlers as a request extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest attachment accepted, in bytes (`attachment_max_bytes` in the config).
    pub attachment_max_bytes: u64,
    /// For how many days a finished import can be undone (`import_undo_days`), unless an
    /// administrator set it in the app.
    pub import_undo_days: u32,
}

impl Limits {
    /// The settings an administrator has not changed in the app, as the config file gives
    /// them.
    pub fn settings(&self) -> relais_domain::settings::Settings {
        relais_domain::settings::Settings {
            import_undo_days: self.import_undo_days,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            attachment_max_bytes: relais_domain::attachment::DEFAULT_MAX_BYTES,
            import_undo_days: 30,
        }
    }
}

/// Large enough for a long meeting report, small enough that nobody fills the disk by POST.
/// Attachments have their own, configurable limit ([`Limits`]).
pub const MAX_JSON_BODY: usize = 2 * 1024 * 1024;

/// The application with the default limits.
pub fn app(state: AppState) -> Router {
    app_with(state, Limits::default())
}

pub fn app_with(state: AppState, limits: Limits) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(api::v1::router())
        .merge(ui::router(state.clone()))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(Extension(limits))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A bug met by one request: logged, answered 500 with a generic problem, and the server
/// goes on serving everyone else.
fn panicked(err: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let what = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = what, "a request panicked");
    axum::response::IntoResponse::into_response(error::problem(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal error",
        "the server could not complete the request; it has been logged".into(),
    ))
}

async fn healthz(
    axum::extract::State(s): axum::extract::State<AppState>,
) -> Result<&'static str, error::Problem> {
    match s.db.read().await {
        Ok(_) => Ok("ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            Err(error::problem(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Database unavailable",
                "the database does not answer".into(),
            ))
        }
    }
}

async fn not_found() -> error::Problem {
    error::problem(
        axum::http::StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "no such route".into(),
    )
}

#[cfg(test)]
mod panics {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_request_that_panics_is_a_500_problem_and_the_router_serves_on() {
        let app = axum::Router::new()
            .route(
                "/boom",
                axum::routing::get(|| async {
                    let v: Vec<u8> = vec![];
                    #[allow(clippy::indexing_slicing)]
                    let b = v[1];
                    b.to_string()
                }),
            )
            .route("/fine", axum::routing::get(|| async { "ok" }))
            .layer(super::CatchPanicLayer::custom(super::panicked));
        let req = |p: &str| Request::get(p).body(Body::empty()).unwrap();
        let res = app.clone().oneshot(req("/boom")).await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let res = app.oneshot(req("/fine")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}
