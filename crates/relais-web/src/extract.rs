//! Extractors: who is calling, the JSON body, the query parameters.
use crate::AppState;
use crate::error::{ApiError, Problem, problem};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use relais_core::{Actor, CoreError};
use relais_domain::{Code, Msg};

pub const SESSION_COOKIE: &str = "relais_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in caller: by `Authorization: Bearer <token>`, or by the session cookie. A
/// cookie-authenticated request that changes something must carry the session's CSRF token
/// in `X-CSRF-Token` (a cross-site form can send the cookie, not the header).
pub struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(bearer)
                .ok_or(CoreError::Unauthenticated)?;
            return Ok(Caller(
                relais_core::users::by_token(&state.db, token).await?,
            ));
        }
        let secret = cookie(parts, SESSION_COOKIE).ok_or(CoreError::Unauthenticated)?;
        let (actor, csrf) = relais_core::users::by_session(&state.db, &secret).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if !safe && sent != Some(csrf.as_str()) {
            return Err(CoreError::Forbidden(
                "change data without the CSRF token of the session (X-CSRF-Token)".into(),
            )
            .into());
        }
        Ok(Caller(actor))
    }
}

/// The token of `Bearer <token>`; the scheme is case-insensitive (RFC 7235 §2.1).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

/// A JSON body (`application/json` or `application/merge-patch+json`). Malformed JSON or
/// another content type is a problem answer, never axum's plain-text rejection.
pub struct JsonBody(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mime = ct.split(';').next().unwrap_or("").trim();
        if mime != "application/json" && mime != "application/merge-patch+json" {
            return Err(problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "media-type",
                "Unsupported media type",
                "send application/json (or application/merge-patch+json for PATCH)".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-large",
                    "Body too large",
                    e.body_text(),
                )
            })?;
        let value = serde_json::from_slice(&bytes).map_err(|e| {
            let mut p = problem(
                StatusCode::BAD_REQUEST,
                "malformed-json",
                "Malformed JSON",
                format!("the body is not valid JSON: {e}"),
            );
            p.errors = vec![relais_domain::FieldError::new(
                "body",
                Msg::new(Code::NotJson).with("reason", &e),
            )];
            p
        })?;
        Ok(JsonBody(value))
    }
}

/// A JSON merge patch (RFC 7396) that changes fields: a JSON object. Refused before the
/// record is read, so that a body of the wrong shape is named as such rather than as a stale
/// `If-Match`.
pub struct MergePatch(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for MergePatch {
    type Rejection = axum::response::Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let JsonBody(value) = JsonBody::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if !value.is_object() {
            return Err(ApiError(CoreError::Invalid(relais_domain::Invalid::one(
                "body",
                Code::MergePatchObject,
            )))
            .into_response());
        }
        Ok(MergePatch(value))
    }
}

/// The query string as ordered pairs: list filters are open-ended (`custom.<key>`).
pub struct Params(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let q = parts.uri.query().unwrap_or("");
        Ok(Params(
            form_urlencoded::parse(q.as_bytes()).into_owned().collect(),
        ))
    }
}

/// The `If-Match` header, if any.
pub struct IfMatch(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        Ok(IfMatch(
            parts
                .headers
                .get(header::IF_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        ))
    }
}

/// A path id of a given kind; a malformed one is a 404 (no such record), not a 400.
pub fn parse_id<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, Msg>,
    what: &'static str,
) -> Result<T, ApiError> {
    parse(raw).map_err(|_| ApiError(CoreError::NotFound(what)))
}
