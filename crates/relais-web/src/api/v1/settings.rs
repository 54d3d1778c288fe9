//! The settings an administrator changes from the app.
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, MergePatch};
use crate::{AppState, Limits};
use axum::extract::{Extension, State};
use axum::routing::get;
use axum::{Json, Router};
use relais_core::settings as svc;
use relais_domain::settings::Settings;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/settings", get(read).patch(update))
}

/// The settings in force: those an administrator set, else the config file's.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, body = Settings)))]
pub async fn read(
    State(s): State<AppState>,
    Extension(limits): Extension<Limits>,
    Caller(a): Caller,
) -> ApiResult<Json<Settings>> {
    Ok(Json(svc::get(&s.db, &a, limits.settings()).await?))
}

/// Changes the settings given (a JSON merge patch); administrators only.
#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings",
    request_body(content = relais_domain::settings::SettingsPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = Settings), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    Extension(limits): Extension<Limits>,
    Caller(a): Caller,
    MergePatch(b): MergePatch,
) -> ApiResult<Json<Settings>> {
    Ok(Json(svc::update(&s.db, &a, limits.settings(), b).await?))
}
