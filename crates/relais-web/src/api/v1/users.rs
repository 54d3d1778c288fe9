use super::tagged;
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, IfMatch, JsonBody, MergePatch, parse_id};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use relais_core::record::parse_draft;
use relais_core::users::{self, UserDraft, UserView};
use relais_domain::{TokenId, UserId};
use relais_store::users::{Team, TokenInfo};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list).post(create))
        .route("/api/v1/users/{id}", get(read).patch(update))
        .route("/api/v1/users/{id}/tokens", get(tokens).post(create_token))
        .route("/api/v1/users/{id}/tokens/{token}", delete(revoke_token))
        .route("/api/v1/teams", get(teams).post(create_team))
}

fn id(raw: &str) -> ApiResult<UserId> {
    parse_id(raw, UserId::parse, "user")
}

#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = UserView), (status = 401, body = Problem)))]
pub async fn me(State(s): State<AppState>, Caller(a): Caller) -> ApiResult<Response> {
    let Some(uid) = a.user else {
        return Err(relais_core::CoreError::Unauthenticated.into());
    };
    // Everyone may read themselves, whatever their role.
    let u = users::get(&s.db, &relais_core::Actor::SYSTEM, uid).await?;
    Ok(tagged(StatusCode::OK, u.version, &u))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = [UserView])))]
pub async fn list(State(s): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(users::list(&s.db, &a).await?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserDraft, responses((status = 201, body = UserView), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    // The role is checked before the body, so a refused caller learns nothing from errors.
    a.require(
        relais_domain::Action::Create,
        relais_domain::Resource::USERS,
    )?;
    let draft: UserDraft = parse_draft(b)?;
    let u = users::create(&s.db, &a, draft).await?;
    Ok(tagged(StatusCode::CREATED, u.version, &u))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)), responses((status = 200, body = UserView)))]
pub async fn read(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let u = users::get(&s.db, &a, id(&raw)?).await?;
    Ok(tagged(StatusCode::OK, u.version, &u))
}

/// Merge patch over name, role, team_id, active (false signs the user out everywhere), password.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = relais_core::users::UserPatch, content_type = "application/merge-patch+json"), responses((status = 200, body = UserView)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    IfMatch(m): IfMatch,
    MergePatch(b): MergePatch,
) -> ApiResult<Response> {
    let u = users::update(&s.db, &a, id(&raw)?, b, m.as_deref()).await?;
    Ok(tagged(StatusCode::OK, u.version, &u))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenInfoView {
    pub id: uuid::Uuid,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<TokenInfo> for TokenInfoView {
    fn from(t: TokenInfo) -> Self {
        TokenInfoView {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", tag = "users", params(("id" = String, Path)), responses((status = 200, body = [TokenInfoView])))]
pub async fn tokens(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<Vec<TokenInfoView>>> {
    Ok(Json(
        users::tokens(&s.db, &a, id(&raw)?)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[serde(default)]
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NewToken {
    pub id: uuid::Uuid,
    /// Shown this once: only its hash is kept.
    pub token: String,
}

#[utoipa::path(post, path = "/api/v1/users/{id}/tokens", tag = "users", params(("id" = String, Path)), request_body = TokenRequest, responses((status = 201, body = NewToken)))]
pub async fn create_token(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(raw): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult<impl IntoResponse> {
    let r: TokenRequest = parse_draft(b)?;
    let (tid, token) = users::create_token(&s.db, &a, id(&raw)?, &r.name).await?;
    Ok((StatusCode::CREATED, Json(NewToken { id: tid.0, token })))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}/tokens/{token}", tag = "users", params(("id" = String, Path), ("token" = String, Path)), responses((status = 204)))]
pub async fn revoke_token(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path((raw, token)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let tid = parse_id(&token, TokenId::parse, "token")?;
    users::revoke_token(&s.db, &a, id(&raw)?, tid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TeamView {
    pub id: uuid::Uuid,
    pub name: String,
}

impl From<Team> for TeamView {
    fn from(t: Team) -> Self {
        TeamView {
            id: t.id,
            name: t.name,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/teams", tag = "users", responses((status = 200, body = [TeamView])))]
pub async fn teams(State(s): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Vec<TeamView>>> {
    Ok(Json(
        users::teams(&s.db, &a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRequest {
    #[schema(min_length = 1)]
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/teams", tag = "users", request_body = TeamRequest, responses((status = 201, body = TeamView)))]
pub async fn create_team(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody,
) -> ApiResult<impl IntoResponse> {
    a.require(
        relais_domain::Action::Create,
        relais_domain::Resource::USERS,
    )?;
    let r: TeamRequest = parse_draft(b)?;
    Ok((
        StatusCode::CREATED,
        Json(TeamView::from(
            users::create_team(&s.db, &a, &r.name).await?,
        )),
    ))
}
