//! The JSON API, version 1. Each resource module exports its `router()`.
pub mod attachments;
pub mod companies;
pub mod custom_fields;
pub mod duplicates;
pub mod exports;
pub mod imports;
pub mod interactions;
pub mod jobs;
pub mod openapi;
pub mod people;
pub mod records;
pub mod session;
pub mod settings;
pub mod tasks;
pub mod users;

use crate::AppState;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(people::router())
        .merge(companies::router())
        .merge(interactions::router())
        .merge(attachments::router())
        .merge(tasks::router())
        .merge(users::router())
        .merge(custom_fields::router())
        .merge(jobs::router())
        .merge(imports::router())
        .merge(exports::router())
        .merge(session::router())
        .merge(settings::router())
        .merge(openapi::router())
}

/// A record with its ETag (the version), so a client can send `If-Match` on its next write.
pub fn tagged<T: Serialize>(status: StatusCode, version: i64, body: &T) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&relais_core::record::etag(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}
