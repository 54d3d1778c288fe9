//! Users, teams, API tokens and sign-in.
use crate::auth::{self, Actor};
use crate::error::{CoreError, Result};
use crate::record;
use chrono::{DateTime, Duration, Utc};
use relais_domain::error::{Errors, optional_text};
use relais_domain::{Action, Email, Invalid, Resource, Role, TeamId, TokenId, UserId};
use relais_store::Db;
use relais_store::users::{self as store, NewUser, TokenInfo, User, UserChange};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub team_id: Option<TeamId>,
    pub active: bool,
    /// The language of the web app for this user (`fr`, `en`); none: the browser's.
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            team_id: u.team_id,
            active: u.active,
            language: u.language,
            created_at: u.created_at,
            updated_at: u.updated_at,
            version: u.version,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserDraft {
    pub email: String,
    #[schema(min_length = 1)]
    pub name: String,
    #[schema(value_type = relais_domain::role::Role)]
    pub role: String,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub team_id: Option<TeamId>,
    /// At least 12 characters. Without one, the user signs in with API tokens only.
    #[serde(default)]
    pub password: Option<String>,
}

/// Adds a user. `password` is hashed with argon2 before it reaches the store.
pub async fn create(db: &Db, actor: &Actor, draft: UserDraft) -> Result<UserView> {
    actor.require(Action::Create, Resource::USERS)?;
    let mut e = Errors::default();
    let email = e.check("email", Email::parse(&draft.email));
    let name = e
        .check("name", optional_text(Some(&draft.name), 100))
        .flatten();
    if name.is_none() && e.is_empty() {
        e.add("name", relais_domain::Code::Required);
    }
    let role = e.check("role", Role::parse(&draft.role));
    let hash = match draft.password.as_deref() {
        Some(p) => match auth::hash_password(p) {
            Ok(h) => Some(h),
            Err(CoreError::Invalid(i)) => {
                for err in i.0 {
                    e.add("password", err.msg());
                }
                None
            }
            Err(other) => return Err(other),
        },
        None => None,
    };
    e.finish(|| ())?;
    let (Some(email), Some(name), Some(role)) = (email, name, role) else {
        return Err(Invalid::one("email", relais_domain::Code::Required).into());
    };
    let mut tx = db.write().await?;
    let id = UserId::new();
    let now = record::now();
    let new = NewUser {
        email: email.as_str(),
        name: &name,
        role,
        team_id: draft.team_id,
        password_hash: hash.as_deref(),
    };
    store::insert(&mut tx, id, &new, now)
        .await
        .map_err(|err| match err {
            relais_store::StoreError::Duplicate(_) => {
                Invalid::one("email", relais_domain::Code::EmailTaken).into()
            }
            relais_store::StoreError::MissingReference => {
                Invalid::one("team_id", relais_domain::Code::NoSuchTeam).into()
            }
            other => CoreError::from(other),
        })?;
    relais_store::audit::append(&mut tx, actor.user, "user", id.0, "created", &[], now).await?;
    let user = store::get(&mut tx, id)
        .await?
        .ok_or(CoreError::NotFound("user"))?;
    tx.commit().await?;
    Ok(user.into())
}

pub async fn get(db: &Db, actor: &Actor, id: UserId) -> Result<UserView> {
    actor.require(Action::Read, Resource::USERS)?;
    let mut tx = db.read().await?;
    Ok(store::get(&mut tx, id)
        .await?
        .ok_or(CoreError::NotFound("user"))?
        .into())
}

pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<UserView>> {
    actor.require(Action::Read, Resource::USERS)?;
    let mut tx = db.read().await?;
    Ok(store::list(&mut tx)
        .await?
        .into_iter()
        .map(UserView::from)
        .collect())
}

/// The fields of a user a merge patch may change.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct UserPatch {
    #[schema(min_length = 1)]
    name: Option<String>,
    #[schema(value_type = Option<relais_domain::role::Role>)]
    role: Option<String>,
    #[schema(value_type = Option<String>, format = Uuid)]
    team_id: Option<TeamId>,
    active: Option<bool>,
    /// At least 12 characters.
    password: Option<String>,
}

/// Changes a user (merge patch over name, role, team_id, active, password).
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: UserId,
    patch: Value,
    if_match: Option<&str>,
) -> Result<UserView> {
    actor.require(Action::Update, Resource::USERS)?;
    let mut tx = db.write().await?;
    let current: UserView = store::get(&mut tx, id)
        .await?
        .ok_or(CoreError::NotFound("user"))?
        .into();
    let doc = serde_json::json!({"name": current.name, "role": current.role, "team_id": current.team_id, "active": current.active});
    let mut merged = record::apply_patch(&doc, &patch)?;
    if let Some(p) = patch.get("password") {
        merged["password"] = p.clone();
    }
    let p: UserPatch = record::parse_draft(merged)?;
    let mut e = Errors::default();
    let name = e
        .check("name", optional_text(p.name.as_deref(), 100))
        .flatten();
    if name.is_none() && e.is_empty() {
        e.add("name", relais_domain::Code::Required);
    }
    let role = p
        .role
        .as_deref()
        .map(|r| e.check("role", Role::parse(r)))
        .unwrap_or(Some(current.role));
    e.finish(|| ())?;
    // Wrong input is refused as such, whatever version it names; then a stale one is.
    record::check_if_match(if_match, current.version, &current)?;
    let change = UserChange {
        name: name.unwrap_or_default(),
        role: role.unwrap_or(current.role),
        team_id: p.team_id,
        active: p.active.unwrap_or(true),
    };
    let now = record::now();
    let after = serde_json::json!({"name": change.name, "role": change.role, "team_id": change.team_id, "active": change.active});
    let changes = record::diff(&doc, &after);
    if !changes.is_empty() {
        if let Err(e) = store::update(&mut tx, id, current.version, &change, now).await {
            let reread = async || get(db, actor, id).await;
            return Err(record::lost_race(e.into(), tx, reread).await);
        }
        relais_store::audit::append(&mut tx, actor.user, "user", id.0, "updated", &changes, now)
            .await?;
    }
    if let Some(pw) = p.password.as_deref() {
        store::set_password(&mut tx, id, &auth::hash_password(pw)?).await?;
        let line = relais_store::audit::Change {
            field: Some("password".into()),
            old_value: None,
            new_value: Some("(changed)".into()),
        };
        relais_store::audit::append(&mut tx, actor.user, "user", id.0, "updated", &[line], now)
            .await?;
    }
    let user = store::get(&mut tx, id)
        .await?
        .ok_or(CoreError::NotFound("user"))?;
    tx.commit().await?;
    Ok(user.into())
}

/// A new API token, shown once: only its hash is kept. Anyone may create tokens for
/// themselves; an admin (or the command line) for anyone.
pub async fn create_token(
    db: &Db,
    actor: &Actor,
    user: UserId,
    name: &str,
) -> Result<(TokenId, String)> {
    if actor.user != Some(user) {
        actor.require(Action::Update, Resource::USERS)?;
    }
    let name = optional_text(Some(name), 100)
        .map_err(|m| Invalid::one("name", m))?
        .unwrap_or_else(|| "API token".into());
    let token = auth::new_secret("relais_")?;
    let mut tx = db.write().await?;
    let u = store::get(&mut tx, user)
        .await?
        .ok_or(CoreError::NotFound("user"))?;
    if !u.active {
        let m =
            relais_domain::Msg::new(relais_domain::Code::UserDeactivated).with("email", &u.email);
        return Err(CoreError::Conflict(m));
    }
    let id = TokenId::new();
    store::insert_token(
        &mut tx,
        id,
        user,
        &name,
        &auth::hash_secret(&token),
        record::now(),
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

pub async fn tokens(db: &Db, actor: &Actor, user: UserId) -> Result<Vec<TokenInfo>> {
    if actor.user != Some(user) {
        actor.require(Action::Update, Resource::USERS)?;
    }
    let mut tx = db.read().await?;
    Ok(store::tokens(&mut tx, user).await?)
}

pub async fn revoke_token(db: &Db, actor: &Actor, user: UserId, id: TokenId) -> Result<()> {
    if actor.user != Some(user) {
        actor.require(Action::Update, Resource::USERS)?;
    }
    let mut tx = db.write().await?;
    store::delete_token(&mut tx, user, id)
        .await
        .map_err(|_| CoreError::NotFound("token"))?;
    tx.commit().await?;
    Ok(())
}

/// The actor behind a bearer token, or `Unauthenticated`.
pub async fn by_token(db: &Db, token: &str) -> Result<Actor> {
    let mut tx = db.read().await?;
    let user = store::by_token(&mut tx, &auth::hash_secret(token))
        .await?
        .ok_or(CoreError::Unauthenticated)?;
    Ok(Actor {
        user: Some(user.id),
        role: user.role,
    })
}

pub const SESSION_DAYS: i64 = 14;

/// Signs in with e-mail and password; returns the session secret (for the cookie), its
/// CSRF token and the user. The same answer for an unknown e-mail and a wrong password.
pub async fn sign_in(db: &Db, email: &str, password: &str) -> Result<(String, String, UserView)> {
    let mut tx = db.write().await?;
    let user = store::by_email(&mut tx, email).await?.filter(|u| u.active);
    let hash = match &user {
        Some(u) => store::password_hash(&mut tx, u.id).await?,
        None => None,
    };
    let ok = hash
        .as_deref()
        .is_some_and(|h| auth::verify_password(password, h));
    let (Some(user), true) = (user, ok) else {
        return Err(CoreError::Unauthenticated);
    };
    let secret = auth::new_secret("")?;
    let csrf = auth::new_secret("")?;
    let now = record::now();
    store::insert_session(
        &mut tx,
        &auth::hash_secret(&secret),
        user.id,
        &csrf,
        now,
        now + Duration::days(SESSION_DAYS),
    )
    .await?;
    tx.commit().await?;
    Ok((secret, csrf, user.into()))
}

/// The actor of a session cookie and the session's CSRF token.
pub async fn by_session(db: &Db, secret: &str) -> Result<(Actor, String)> {
    let s = session(db, secret).await?;
    Ok((s.actor, s.csrf_token))
}

/// A signed-in session: who, with which rights, and the token its forms must carry.
pub struct Session {
    pub actor: Actor,
    pub user: UserView,
    pub csrf_token: String,
}

pub async fn session(db: &Db, secret: &str) -> Result<Session> {
    let mut tx = db.read().await?;
    let (user, csrf_token) = store::by_session(&mut tx, &auth::hash_secret(secret), record::now())
        .await?
        .ok_or(CoreError::Unauthenticated)?;
    Ok(Session {
        actor: Actor {
            user: Some(user.id),
            role: user.role,
        },
        user: user.into(),
        csrf_token,
    })
}

/// Changes the signed-in user's own password; the current one must be given. Their other
/// sessions end: whoever held them no longer knows the password.
pub async fn change_password(
    db: &Db,
    actor: &Actor,
    current: &str,
    new: &str,
    keep_session: &str,
) -> Result<()> {
    let id = actor.user.ok_or(CoreError::Unauthenticated)?;
    let mut tx = db.write().await?;
    let hash = store::password_hash(&mut tx, id).await?;
    if !hash
        .as_deref()
        .is_some_and(|h| auth::verify_password(current, h))
    {
        return Err(Invalid::one("current_password", relais_domain::Code::NotYourPassword).into());
    }
    let new_hash = auth::hash_password(new).map_err(|e| match e {
        CoreError::Invalid(i) => CoreError::Invalid(Invalid(
            i.0.into_iter()
                .map(|mut f| {
                    f.field = "new_password".into();
                    f
                })
                .collect(),
        )),
        other => other,
    })?;
    store::set_password(&mut tx, id, &new_hash).await?;
    store::delete_other_sessions(&mut tx, id, &auth::hash_secret(keep_session)).await?;
    let line = relais_store::audit::Change {
        field: Some("password".into()),
        old_value: None,
        new_value: Some("(changed)".into()),
    };
    relais_store::audit::append(
        &mut tx,
        Some(id),
        "user",
        id.0,
        "updated",
        &[line],
        record::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The languages of the web app.
pub const LANGUAGES: [&str; 2] = ["fr", "en"];

/// Sets the language the signed-in user reads the web app in (none: the browser's).
pub async fn set_language(db: &Db, actor: &Actor, language: Option<&str>) -> Result<()> {
    let id = actor.user.ok_or(CoreError::Unauthenticated)?;
    if let Some(l) = language
        && !LANGUAGES.contains(&l)
    {
        let m = relais_domain::Msg::new(relais_domain::Code::NotAnAppLanguage).with("value", l);
        return Err(Invalid::one("language", m).into());
    }
    let mut tx = db.write().await?;
    store::set_language(&mut tx, id, language).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn sign_out(db: &Db, secret: &str) -> Result<()> {
    let mut tx = db.write().await?;
    store::delete_session(&mut tx, &auth::hash_secret(secret)).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn by_email(db: &Db, email: &str) -> Result<UserView> {
    let mut tx = db.read().await?;
    Ok(store::by_email(&mut tx, email)
        .await?
        .ok_or(CoreError::NotFound("user"))?
        .into())
}

pub async fn create_team(db: &Db, actor: &Actor, name: &str) -> Result<store::Team> {
    actor.require(Action::Create, Resource::USERS)?;
    let name = optional_text(Some(name), 100)
        .map_err(|m| Invalid::one("name", m))?
        .ok_or_else(|| Invalid::one("name", relais_domain::Code::Required))?;
    let mut tx = db.write().await?;
    let id = TeamId::new();
    store::insert_team(&mut tx, id, &name, record::now())
        .await
        .map_err(|e| match e {
            relais_store::StoreError::Duplicate(_) => {
                Invalid::one("name", relais_domain::Code::TeamTaken).into()
            }
            other => CoreError::from(other),
        })?;
    tx.commit().await?;
    Ok(store::Team { id: id.0, name })
}

pub async fn teams(db: &Db, actor: &Actor) -> Result<Vec<store::Team>> {
    actor.require(Action::Read, Resource::USERS)?;
    let mut tx = db.read().await?;
    Ok(store::teams(&mut tx).await?)
}
