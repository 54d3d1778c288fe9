//! Users, teams, API tokens and sessions. Secrets are stored hashed, never in clear.
use crate::{Result, StoreError, Tx};
use chrono::{DateTime, Utc};
use relais_domain::{Role, TeamId, TokenId, UserId};
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub active: bool,
    /// The language chosen for the web app (`fr`, `en`); none: the browser's.
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    role: String,
    team_id: Option<Uuid>,
    active: bool,
    language: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: UserId(r.id),
            email: r.email,
            name: r.name,
            // A role written by an older version and since removed reads as the least powerful.
            role: crate::coded::read(&r.role, Role::parse, "users", "role", r.id)
                .unwrap_or(Role::ReadOnly),
            team_id: r.team_id.map(TeamId),
            active: r.active,
            language: r.language,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

const COLUMNS: [(&str, &str); 10] = [
    ("users", "id"),
    ("users", "email"),
    ("users", "name"),
    ("users", "role"),
    ("users", "team_id"),
    ("users", "active"),
    ("users", "language"),
    ("users", "created_at"),
    ("users", "updated_at"),
    ("users", "version"),
];

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub password_hash: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, id: UserId, u: &NewUser<'_>, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table("users")
            .columns([
                "id",
                "email",
                "email_key",
                "name",
                "role",
                "team_id",
                "password_hash",
                "active",
                "created_at",
                "updated_at",
                "version",
            ])
            .values_panic([
                id.0.into(),
                u.email.into(),
                u.email.to_lowercase().into(),
                u.name.into(),
                u.role.as_str().into(),
                u.team_id.map(|t| t.0).into(),
                u.password_hash.map(str::to_string).into(),
                true.into(),
                now.into(),
                now.into(),
                1i64.into(),
            ]),
    )
    .await?;
    Ok(())
}

pub struct UserChange {
    pub name: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub active: bool,
}

pub async fn update(
    tx: &mut Tx,
    id: UserId,
    expected: i64,
    c: &UserChange,
    now: DateTime<Utc>,
) -> Result<i64> {
    let q = Query::update()
        .table("users")
        .value("name", c.name.clone())
        .value("role", c.role.as_str())
        .value("team_id", c.team_id.map(|t| t.0))
        .value("active", c.active)
        .value("updated_at", now)
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(id.0))
        .and_where(Expr::col("version").eq(expected))
        .to_owned();
    if tx.execute(&q).await? == 0 {
        return Err(if get(tx, id).await?.is_some() {
            StoreError::Conflict
        } else {
            StoreError::NotFound
        });
    }
    if !c.active {
        // A deactivated user is signed out everywhere at once.
        tx.execute(
            Query::delete()
                .from_table("sessions")
                .and_where(Expr::col("user_id").eq(id.0)),
        )
        .await?;
        tx.execute(
            Query::delete()
                .from_table("api_tokens")
                .and_where(Expr::col("user_id").eq(id.0)),
        )
        .await?;
    }
    Ok(expected + 1)
}

pub async fn set_password(tx: &mut Tx, id: UserId, hash: &str) -> Result<()> {
    let q = Query::update()
        .table("users")
        .value("password_hash", hash)
        .and_where(Expr::col("id").eq(id.0))
        .to_owned();
    if tx.execute(&q).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(tx: &mut Tx, id: UserId) -> Result<Option<User>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from("users")
        .and_where(Expr::col(("users", "id")).eq(id.0))
        .to_owned();
    Ok(tx.fetch_optional::<UserRow>(&q).await?.map(User::from))
}

pub async fn by_email(tx: &mut Tx, email: &str) -> Result<Option<User>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from("users")
        .and_where(Expr::col(("users", "email_key")).eq(email.trim().to_lowercase()))
        .to_owned();
    Ok(tx.fetch_optional::<UserRow>(&q).await?.map(User::from))
}

#[derive(sqlx::FromRow)]
struct HashRow {
    password_hash: Option<String>,
}

pub async fn password_hash(tx: &mut Tx, id: UserId) -> Result<Option<String>> {
    let q = Query::select()
        .column("password_hash")
        .from("users")
        .and_where(Expr::col("id").eq(id.0))
        .to_owned();
    Ok(tx
        .fetch_optional::<HashRow>(&q)
        .await?
        .and_then(|r| r.password_hash))
}

pub async fn list(tx: &mut Tx) -> Result<Vec<User>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from("users")
        .order_by(("users", "name"), Order::Asc)
        .to_owned();
    Ok(tx
        .fetch_all::<UserRow>(&q)
        .await?
        .into_iter()
        .map(User::from)
        .collect())
}

pub async fn count(tx: &mut Tx) -> Result<i64> {
    let q = Query::select()
        .expr_as(Expr::col("id").count(), "n")
        .from("users")
        .to_owned();
    Ok(tx.fetch_one::<crate::Count>(&q).await?.n)
}

pub async fn insert_team(tx: &mut Tx, id: TeamId, name: &str, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table("teams")
            .columns(["id", "name", "created_at"])
            .values_panic([id.0.into(), name.into(), now.into()]),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
}

pub async fn teams(tx: &mut Tx) -> Result<Vec<Team>> {
    tx.fetch_all(
        Query::select()
            .columns(["id", "name"])
            .from("teams")
            .order_by("name", Order::Asc),
    )
    .await
}

pub async fn insert_token(
    tx: &mut Tx,
    id: TokenId,
    user: UserId,
    name: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table("api_tokens")
            .columns(["id", "user_id", "name", "token_hash", "created_at"])
            .values_panic([
                id.0.into(),
                user.0.into(),
                name.into(),
                hash.into(),
                now.into(),
            ]),
    )
    .await?;
    Ok(())
}

/// The active user a token hash belongs to.
pub async fn by_token(tx: &mut Tx, hash: &str) -> Result<Option<User>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from("users")
        .join(
            sea_query::JoinType::InnerJoin,
            "api_tokens",
            Expr::col(("api_tokens", "user_id")).equals(("users", "id")),
        )
        .and_where(Expr::col(("api_tokens", "token_hash")).eq(hash))
        .and_where(Expr::col(("users", "active")).eq(true))
        .to_owned();
    Ok(tx.fetch_optional::<UserRow>(&q).await?.map(User::from))
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn tokens(tx: &mut Tx, user: UserId) -> Result<Vec<TokenInfo>> {
    tx.fetch_all(
        Query::select()
            .columns(["id", "name", "created_at", "last_used_at"])
            .from("api_tokens")
            .and_where(Expr::col("user_id").eq(user.0))
            .order_by("created_at", Order::Asc),
    )
    .await
}

pub async fn delete_token(tx: &mut Tx, user: UserId, id: TokenId) -> Result<()> {
    let q = Query::delete()
        .from_table("api_tokens")
        .and_where(Expr::col("id").eq(id.0))
        .and_where(Expr::col("user_id").eq(user.0))
        .to_owned();
    if tx.execute(&q).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn insert_session(
    tx: &mut Tx,
    hash: &str,
    user: UserId,
    csrf: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table("sessions")
            .columns([
                "id_hash",
                "user_id",
                "csrf_token",
                "created_at",
                "expires_at",
            ])
            .values_panic([
                hash.into(),
                user.0.into(),
                csrf.into(),
                now.into(),
                expires.into(),
            ]),
    )
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: Uuid,
    csrf_token: String,
}

/// The active user of a live session, and the session's CSRF token.
pub async fn by_session(
    tx: &mut Tx,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(User, String)>> {
    let q = Query::select()
        .columns(["user_id", "csrf_token"])
        .from("sessions")
        .and_where(Expr::col("id_hash").eq(hash))
        .and_where(Expr::col("expires_at").gt(now))
        .to_owned();
    let Some(s) = tx.fetch_optional::<SessionRow>(&q).await? else {
        return Ok(None);
    };
    Ok(get(tx, UserId(s.user_id))
        .await?
        .filter(|u| u.active)
        .map(|u| (u, s.csrf_token)))
}

/// Sets the language a user reads the web app in. A preference, not part of the record: no
/// new version, no audit line.
pub async fn set_language(tx: &mut Tx, id: UserId, language: Option<&str>) -> Result<()> {
    let n = tx
        .execute(
            Query::update()
                .table("users")
                .value("language", language.map(str::to_string))
                .and_where(Expr::col("id").eq(id.0)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Ends every session of a user but one (after a password change).
pub async fn delete_other_sessions(tx: &mut Tx, user: UserId, keep_hash: &str) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table("sessions")
            .and_where(Expr::col("user_id").eq(user.0))
            .and_where(Expr::col("id_hash").ne(keep_hash)),
    )
    .await?;
    Ok(())
}

pub async fn delete_session(tx: &mut Tx, hash: &str) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table("sessions")
            .and_where(Expr::col("id_hash").eq(hash)),
    )
    .await?;
    Ok(())
}
