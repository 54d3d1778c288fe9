//! Administration: users and their roles, teams, custom fields. And, for everyone, their own
//! API tokens. The services check the rights; these pages are only offered to whom may use
//! them.
use super::form::{Fields, Form, FormErrors};
use super::people::role_key;
use super::session::Signed;
use super::{Ctx, UiError, UiResult, render, render_with, see_other};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use relais_core::CoreError;
use relais_core::custom_fields::{self, CustomFieldView};
use relais_core::users::{self, UserDraft, UserView};
use relais_domain::{Action, CustomFieldId, Resource, Role, TeamId, TokenId, UserId};
use serde_json::json;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users_page).post(add_user))
        .route("/admin/users/{id}", post(change_user))
        .route("/admin/teams", post(add_team))
        .route("/admin/custom-fields", get(fields_page).post(add_field))
        .route("/admin/custom-fields/{id}/delete", post(delete_field))
        .route("/settings/tokens", get(tokens_page).post(add_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
}

pub fn kind_key(k: &relais_domain::custom::CustomFieldKind) -> &'static str {
    use relais_domain::custom::CustomFieldKind::*;
    match k {
        Text => "admin.kind_text",
        Number => "admin.kind_number",
        Date => "admin.kind_date",
        Choice => "admin.kind_choice",
        Boolean => "admin.kind_boolean",
        Money => "admin.kind_money",
    }
}

/// The roles, as a select lists them: (value, message key).
fn roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str(), role_key(r)))
        .collect()
}

struct UserLine {
    id: String,
    name: String,
    email: String,
    role: String,
    team: String,
    active: bool,
    version: i64,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    ctx: Ctx,
    users: Vec<UserLine>,
    teams: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    form: Fields,
    errors: FormErrors,
    notice: Option<String>,
}

async fn users_view(
    s: &AppState,
    me: &Signed,
    form: Fields,
    errors: FormErrors,
    notice: Option<String>,
) -> UiResult<UsersPage> {
    me.actor
        .require(Action::Update, Resource::USERS)
        .map_err(|_| UiError::Forbidden)?;
    let teams = users::teams(&s.db, &me.actor).await?;
    let team_names: HashMap<TeamId, String> = teams
        .iter()
        .map(|t| (TeamId(t.id), t.name.clone()))
        .collect();
    let list: Vec<UserView> = users::list(&s.db, &me.actor).await?;
    Ok(UsersPage {
        ctx: me.ctx("admin"),
        users: list
            .into_iter()
            .map(|u| UserLine {
                id: u.id.0.to_string(),
                name: u.name,
                email: u.email,
                role: u.role.as_str().to_string(),
                team: u
                    .team_id
                    .and_then(|t| team_names.get(&t).cloned())
                    .unwrap_or_default(),
                active: u.active,
                version: u.version,
            })
            .collect(),
        teams: teams
            .into_iter()
            .map(|t| (t.id.to_string(), t.name))
            .collect(),
        roles: roles(),
        form,
        errors,
        notice,
    })
}

async fn users_page(State(s): State<AppState>, me: Signed) -> UiResult {
    Ok(render(
        &users_view(&s, &me, Fields::default(), FormErrors::default(), None).await?,
    ))
}

fn team_of(f: &Fields) -> Result<Option<TeamId>, FormErrors> {
    match f.opt("team_id") {
        None => Ok(None),
        Some(t) => TeamId::parse(&t).map(Some).map_err(|_| {
            let mut e = FormErrors::default();
            e.add("team_id", "there is no such team");
            e
        }),
    }
}

async fn add_user(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    let invalid = |errors: FormErrors, f: Fields| async {
        let page = users_view(&s, &me, f, errors, None).await?;
        Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
    };
    let team_id = match team_of(&f) {
        Ok(t) => t,
        Err(e) => return invalid(e, f).await,
    };
    let draft = UserDraft {
        email: f.get("email").into(),
        name: f.get("name").into(),
        role: f.get("role").into(),
        team_id,
        password: f.opt("password"),
    };
    match users::create(&s.db, &me.actor, draft).await {
        Ok(u) => Ok(see_other(&format!("/admin/users?added={}", u.id.0))),
        Err(CoreError::Invalid(i)) => invalid(FormErrors::from_invalid(&i, me.tr), f).await,
        Err(e) => Err(e.into()),
    }
}

/// Changes a user's role, team or access, or sets a new password.
async fn change_user(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    Form(f): Form,
) -> UiResult {
    let id = UserId::parse(&id).map_err(|_| UiError::NotFound)?;
    let team_id = team_of(&f).ok().flatten();
    let mut patch = json!({
        "role": f.get("role"),
        "team_id": team_id.map(|t| t.0),
        "active": f.get("active") == "true",
    });
    if let Some(p) = f.opt("password") {
        patch["password"] = json!(p);
    }
    let etag = format!("\"{}\"", f.get("version"));
    match users::update(&s.db, &me.actor, id, patch, Some(&etag)).await {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(CoreError::Invalid(i)) => {
            let notice = Some(me.tr.invalid(&i));
            let page =
                users_view(&s, &me, Fields::default(), FormErrors::default(), notice).await?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(CoreError::Stale { .. }) => {
            let notice = Some(me.tr.t("admin.user_changed").to_string());
            let page =
                users_view(&s, &me, Fields::default(), FormErrors::default(), notice).await?;
            Ok(render_with(StatusCode::CONFLICT, &page))
        }
        Err(e) => Err(e.into()),
    }
}

async fn add_team(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    match users::create_team(&s.db, &me.actor, f.get("team_name")).await {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(CoreError::Invalid(i)) => {
            let mut errors = FormErrors::default();
            for e in i.0 {
                errors.add("team_name", &e.message);
            }
            let page = users_view(&s, &me, f, errors, None).await?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(CoreError::Duplicate { .. }) => {
            let mut errors = FormErrors::default();
            errors.add("team_name", me.tr.t("admin.team_exists"));
            let page = users_view(&s, &me, f, errors, None).await?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin_fields.html")]
struct FieldsPage {
    ctx: Ctx,
    fields: Vec<CustomFieldView>,
    form: Fields,
    errors: FormErrors,
}

impl FieldsPage {
    /// The kinds of record fields can be added to.
    fn entities(&self) -> Vec<&'static str> {
        relais_domain::filter::schema::custom_entities()
    }

    /// A kind of record as the page names it: people and companies in the reader's
    /// language, a kind added since by its name.
    fn entity_label(&self, entity: &str) -> String {
        match entity {
            "person" => self.ctx.tr.t("nav.people").into(),
            "company" => self.ctx.tr.t("nav.companies").into(),
            other => other.into(),
        }
    }
}

async fn fields_view(
    s: &AppState,
    me: &Signed,
    form: Fields,
    errors: FormErrors,
) -> UiResult<FieldsPage> {
    me.actor
        .require(Action::Create, Resource::CUSTOM_FIELDS)
        .map_err(|_| UiError::Forbidden)?;
    Ok(FieldsPage {
        ctx: me.ctx("admin"),
        fields: custom_fields::list(&s.db, &me.actor).await?,
        form,
        errors,
    })
}

async fn fields_page(State(s): State<AppState>, me: Signed) -> UiResult {
    Ok(render(
        &fields_view(&s, &me, Fields::default(), FormErrors::default()).await?,
    ))
}

async fn add_field(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    let choices: Vec<String> = f
        .get("choices")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    let body = json!({
        "entity": f.get("entity"), "key": f.get("key"), "label": f.get("label"),
        "kind": f.get("kind"), "choices": choices,
    });
    let errors = match custom_fields::create(&s.db, &me.actor, body).await {
        Ok(_) => return Ok(see_other("/admin/custom-fields")),
        Err(CoreError::Invalid(i)) => FormErrors::from_invalid(&i, me.tr),
        Err(CoreError::Duplicate { .. }) => {
            let mut e = FormErrors::default();
            e.add("key", me.tr.t("admin.key_exists"));
            e
        }
        Err(e) => return Err(e.into()),
    };
    let page = fields_view(&s, &me, f, errors).await?;
    Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

async fn delete_field(State(s): State<AppState>, me: Signed, Path(id): Path<String>) -> UiResult {
    let id = CustomFieldId::parse(&id).map_err(|_| UiError::NotFound)?;
    custom_fields::delete(&s.db, &me.actor, id).await?;
    Ok(see_other("/admin/custom-fields"))
}

struct TokenLine {
    id: String,
    name: String,
    created: String,
    last_used: Option<String>,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    ctx: Ctx,
    tokens: Vec<TokenLine>,
    /// A token just made: shown this once.
    new_token: Option<String>,
    errors: FormErrors,
}

async fn tokens_view(
    s: &AppState,
    me: &Signed,
    new_token: Option<String>,
    errors: FormErrors,
) -> UiResult<TokensPage> {
    let user = me.actor.user.ok_or(UiError::SignIn)?;
    let tokens = users::tokens(&s.db, &me.actor, user)
        .await?
        .into_iter()
        .map(|t| TokenLine {
            id: t.id.to_string(),
            name: t.name,
            created: me.tr.datetime(&t.created_at),
            last_used: t.last_used_at.map(|u| me.tr.datetime(&u)),
        })
        .collect();
    Ok(TokensPage {
        ctx: me.ctx("settings"),
        tokens,
        new_token,
        errors,
    })
}

async fn tokens_page(State(s): State<AppState>, me: Signed) -> UiResult {
    Ok(render(
        &tokens_view(&s, &me, None, FormErrors::default()).await?,
    ))
}

async fn add_token(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    let user = me.actor.user.ok_or(UiError::SignIn)?;
    match users::create_token(&s.db, &me.actor, user, f.get("name")).await {
        // Shown in the answer to this POST only: a reload does not show it again.
        Ok((_, token)) => Ok(render(
            &tokens_view(&s, &me, Some(token), FormErrors::default()).await?,
        )),
        Err(CoreError::Invalid(i)) => {
            let page = tokens_view(&s, &me, None, FormErrors::from_invalid(&i, me.tr)).await?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke_token(State(s): State<AppState>, me: Signed, Path(id): Path<String>) -> UiResult {
    let user = me.actor.user.ok_or(UiError::SignIn)?;
    let id = TokenId::parse(&id).map_err(|_| UiError::NotFound)?;
    users::revoke_token(&s.db, &me.actor, user, id).await?;
    Ok(see_other("/settings/tokens"))
}
