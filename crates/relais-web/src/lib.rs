//! HTTP: the web app (server-rendered pages, `ui`) and the JSON API under /api/v1. Handlers
//! are thin: extract, call a service of relais-core, answer.
pub mod api;
pub mod disposition;
pub mod error;
pub mod extract;
pub mod ui;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Extension, Router};
use relais_core::Db;
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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            attachment_max_bytes: relais_domain::attachment::DEFAULT_MAX_BYTES,
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
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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
