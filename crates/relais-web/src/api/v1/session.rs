//! Sign-in by e-mail and password: a session cookie (Secure, HttpOnly, SameSite=Lax) and
//! the CSRF token that must accompany every change made with it.
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{JsonBody, SESSION_COOKIE, cookie};
use crate::ui::session::{DEVICE_COOKIE, DEVICE_DAYS};
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use relais_core::record::parse_draft;
use relais_core::users::{self, UserView};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/session", post(sign_in).delete(sign_out))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Session {
    pub user: UserView,
    /// Send as `X-CSRF-Token` with every request that changes data.
    pub csrf_token: String,
}

fn cookie_header(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Credentials, security(()),
    responses((status = 200, body = Session), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_in(
    State(s): State<AppState>,
    parts: Parts,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let c: Credentials = parse_draft(b)?;
    // The same throttle as the sign-in page (`Throttle`): failures slow the next tries,
    // except from a client that signed in as this user before (its device cookie).
    let ip = crate::ui::session::client(&parts.extensions);
    let device = cookie(&parts, DEVICE_COOKIE);
    if let Some(wait) = s.throttle.wait(&ip, &c.email, device.as_deref()) {
        return Ok(too_many(wait));
    }
    let signed = users::sign_in(&s.db, &c.email, &c.password).await;
    let mut known = None;
    match &signed {
        Ok(_) => known = s.throttle.succeeded(&ip, &c.email),
        Err(relais_core::CoreError::Unauthenticated) => s.throttle.failed(&ip, &c.email),
        Err(_) => {}
    }
    let (secret, csrf_token, user) = signed?;
    let mut res = Json(Session { user, csrf_token }).into_response();
    let max_age = users::SESSION_DAYS * 24 * 3600;
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(SESSION_COOKIE, &secret, max_age, s.secure_cookies),
    );
    if let Some(device) = known {
        let max_age = (DEVICE_DAYS * 24 * 3600) as i64;
        res.headers_mut().append(
            header::SET_COOKIE,
            cookie_header(DEVICE_COOKIE, &device, max_age, s.secure_cookies),
        );
    }
    Ok(res)
}

fn too_many(wait: std::time::Duration) -> Response {
    crate::error::problem(
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-attempts",
        "Too many failed sign-ins",
        match wait.as_secs().div_ceil(60) {
            1 => "try again in 1 minute".to_string(),
            n => format!("try again in {n} minutes"),
        },
    )
    .into_response()
}

/// Needs no session: signing out without one is already done.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", security(()), responses((status = 204)))]
pub async fn sign_out(State(s): State<AppState>, parts: Parts) -> ApiResult<Response> {
    if let Some(secret) = cookie(&parts, SESSION_COOKIE) {
        users::sign_out(&s.db, &secret).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie_header(SESSION_COOKIE, "", 0, s.secure_cookies),
    );
    Ok(res)
}
