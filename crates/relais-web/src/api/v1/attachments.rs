//! Files attached to interactions. An upload is the file itself as the request body, with
//! its own `Content-Type` and its name in `Content-Disposition` (or `?filename=`); a download
//! is always an attachment, never shown inline.
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Caller, parse_id};
use crate::{AppState, Limits, disposition};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use relais_core::CoreError;
use relais_core::attachments::{self, AttachmentView};
use relais_domain::attachment::AttachmentDraft;
use relais_domain::{AttachmentId, Invalid};
use relais_domain::{Code, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/interactions/{id}/attachments",
            // The handler reads the body against the configured limit itself; the app's
            // limit for JSON bodies must not cut an attachment short of it.
            get(list).post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/v1/attachments/{id}", get(download).delete(delete))
}

fn interaction_id(raw: &str) -> ApiResult<relais_domain::InteractionId> {
    parse_id(raw, relais_domain::InteractionId::parse, "interaction")
}

fn id(raw: &str) -> ApiResult<AttachmentId> {
    parse_id(raw, AttachmentId::parse, "attachment")
}

/// Attaches a file: the body is the file, `Content-Type` its type, and its name comes from
/// `Content-Disposition: attachment; filename="..."` (or `filename*=UTF-8''...`), or else
/// from `?filename=`. Refused: a type off the list or that the bytes contradict, a program
/// under any name, an empty, truncated or oversized file, a name with control characters.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/attachments", tag = "attachments",
    params(("id" = String, Path),
        ("Content-Disposition" = Option<String>, Header, description = "attachment; filename=\"devis.pdf\""),
        ("filename" = Option<String>, Query, description = "the file's name, when there is no Content-Disposition")),
    request_body(description = "The file's bytes, sent with their own Content-Type.",
        content(("application/pdf"), ("image/png"), ("image/jpeg"), ("image/gif"), ("image/webp"),
            ("text/plain"), ("text/csv"), ("message/rfc822"),
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
            ("application/vnd.oasis.opendocument.text"), ("application/vnd.oasis.opendocument.spreadsheet"),
            ("application/vnd.oasis.opendocument.presentation"), ("application/zip"),
            ("application/msword"), ("application/vnd.ms-excel"), ("application/vnd.ms-powerpoint"),
            ("application/vnd.ms-outlook"))),
    responses((status = 201, body = AttachmentView), (status = 404, body = Problem),
        (status = 413, description = "larger than the configured limit", body = Problem),
        (status = 422, description = "names `filename`, `content_type` or `body`", body = Problem)))]
pub async fn upload(
    State(s): State<AppState>,
    Extension(limits): Extension<Limits>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let interaction = interaction_id(&raw)?;
    let max = limits.attachment_max_bytes;
    let data = read_body(&headers, body, max).await?;
    let filename = headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| disposition::filename(v.as_bytes()))
        .or_else(|| query.as_deref().and_then(disposition::query_filename));
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let draft = AttachmentDraft {
        filename: filename.as_deref(),
        content_type: content_type.as_deref(),
        data: &data,
    };
    let view = attachments::add(&s.db, &a, interaction, draft, max).await?;
    let mut res = (StatusCode::CREATED, Json(&view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/attachments/{}", view.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// The body, up to `max` bytes: a larger one is refused as soon as it is announced
/// (`Content-Length`) or read past the limit, never held whole in memory.
pub(crate) async fn read_body(headers: &HeaderMap, body: Body, max: u64) -> ApiResult<Bytes> {
    let too_large = || ApiError(CoreError::TooLarge { limit: max });
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(e) => Err(Invalid::one("body", Msg::new(Code::CutShort).with("reason", e)).into()),
    }
}

/// The attachments of an interaction (no bytes), oldest first.
#[utoipa::path(get, path = "/api/v1/interactions/{id}/attachments", tag = "attachments",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<Vec<AttachmentView>>> {
    Ok(Json(
        attachments::list(&s.db, &a, interaction_id(&raw)?).await?,
    ))
}

/// Downloads a file, byte for byte, with the type it was stored with. Always as an
/// attachment with `X-Content-Type-Options: nosniff`: a browser never renders it as a page.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = String, Path)),
    responses((status = 200, description = "The file's bytes, with its stored Content-Type and \
        Content-Disposition: attachment; filename*=UTF-8''...", content_type = "application/octet-stream", body = [u8]),
        (status = 404, body = Problem)))]
pub async fn download(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let file = attachments::get(&s.db, &a, id(&raw)?).await?;
    let content_type = HeaderValue::from_str(&file.view.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let mut res = file.data.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type);
    h.insert(
        header::CONTENT_DISPOSITION,
        disposition::attachment(&file.view.filename),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Should a browser open it anyway, it runs nothing and reaches nothing.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", file.view.sha256)) {
        h.insert(header::ETAG, etag);
    }
    Ok(res)
}

/// Deletes a file for good; the interaction's audit trail keeps its name.
#[utoipa::path(delete, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem),
        (status = 409, description = "the interaction is in the trash", body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    attachments::delete(&s.db, &a, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
