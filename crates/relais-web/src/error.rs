//! One error type for HTTP, answered as RFC 9457 problem JSON.
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use relais_core::CoreError;
use relais_domain::FieldError;
use relais_domain::{Code, Msg};
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError(pub CoreError);

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        ApiError(e)
    }
}

impl From<relais_domain::Invalid> for ApiError {
    fn from(e: relais_domain::Invalid) -> Self {
        ApiError(CoreError::Invalid(e))
    }
}

/// An RFC 9457 problem. `errors` names each field that is wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// On 412: the record as it is now, so the client can show both versions.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
}

pub fn problem(status: StatusCode, slug: &str, title: &str, detail: String) -> Problem {
    Problem {
        kind: format!("/problems/{slug}"),
        title: title.into(),
        status: status.as_u16(),
        detail,
        errors: vec![],
        current: None,
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, serde_json::to_vec(&self).unwrap_or_default()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use StatusCode as S;
        let p = match self.0 {
            CoreError::Unauthenticated => {
                let mut res = problem(
                    S::UNAUTHORIZED,
                    "unauthenticated",
                    "Sign-in required",
                    "send a bearer token or a session cookie".into(),
                )
                .into_response();
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return res;
            }
            CoreError::Forbidden(what) => problem(
                S::FORBIDDEN,
                "forbidden",
                "Not allowed",
                format!("your role may not {what}"),
            ),
            CoreError::NotFound(what) => problem(
                S::NOT_FOUND,
                "not-found",
                "Not found",
                format!("{what} not found"),
            ),
            CoreError::Invalid(i) => {
                let mut p = problem(
                    S::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Invalid input",
                    i.to_string(),
                );
                p.errors = i.0;
                p
            }
            CoreError::Stale { version, current } => {
                let mut p = problem(
                    S::PRECONDITION_FAILED,
                    "stale",
                    "Changed meanwhile",
                    format!("the record was changed meanwhile; it is now at version {version}"),
                );
                p.current = Some(current);
                let mut res = p.into_response();
                if let Ok(v) = HeaderValue::from_str(&relais_core::record::etag(version)) {
                    res.headers_mut().insert(header::ETAG, v);
                }
                return res;
            }
            CoreError::Duplicate { field } => {
                let mut p = problem(
                    S::CONFLICT,
                    "duplicate",
                    "Already exists",
                    format!("{field} is already used"),
                );
                p.errors = vec![FieldError::new(field, Code::AlreadyUsed)];
                p
            }
            CoreError::Conflict(m) => problem(S::CONFLICT, "conflict", "Conflict", m.to_string()),
            CoreError::TooLarge { limit } => {
                let error = FieldError::new(
                    "body",
                    Msg::new(Code::LargerThanLimit)
                        .with("limit", human_bytes(limit))
                        .with("bytes", limit),
                );
                let mut p = problem(
                    S::PAYLOAD_TOO_LARGE,
                    "too-large",
                    "File too large",
                    format!("the file {}", error.message),
                );
                p.errors = vec![error];
                p
            }
            CoreError::Internal(e) => {
                tracing::error!(error = %e, "internal failure");
                problem(
                    S::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "the server could not complete the request; it has been logged".into(),
                )
            }
            CoreError::Store(relais_store::StoreError::Busy(e)) => {
                tracing::warn!(error = %e, "the database was busy");
                let mut res = problem(
                    S::SERVICE_UNAVAILABLE,
                    "busy",
                    "Busy",
                    "the database is busy; try again in a moment".into(),
                )
                .into_response();
                res.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("1"),
                );
                return res;
            }
            CoreError::Store(e) => {
                tracing::error!(error = %e, "storage failure");
                problem(
                    S::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "the server could not complete the request; it has been logged".into(),
                )
            }
        };
        p.into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// `10 MiB`, `512 KiB`, `1000 bytes`: a limit as an operator wrote it.
fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    match n {
        0 => "0 bytes".into(),
        n if n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n % KIB == 0 => format!("{} KiB", n / KIB),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn limits_read_as_an_operator_wrote_them() {
        assert_eq!(super::human_bytes(10 * 1024 * 1024), "10 MiB");
        assert_eq!(super::human_bytes(2048), "2 KiB");
        assert_eq!(super::human_bytes(1536), "1536 bytes");
    }
}
