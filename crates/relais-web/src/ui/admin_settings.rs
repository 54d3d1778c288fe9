//! The settings page of administrators: how long an import can be undone.
use super::form::{Fields, Form, FormErrors};
use super::session::Signed;
use super::{Ctx, UiError, UiResult, render, render_with, see_other};
use crate::{AppState, Limits};
use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::routing::get;
use relais_core::{CoreError, settings};
use relais_domain::{Action, Resource};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/settings", get(page).post(save))
}

#[derive(Template)]
#[template(path = "admin_settings.html")]
struct Page {
    ctx: Ctx,
    form: Fields,
    errors: FormErrors,
    saved: bool,
}

fn require(me: &Signed) -> UiResult<()> {
    me.actor
        .require(Action::Update, Resource::SETTINGS)
        .map_err(|_| UiError::Forbidden)
}

async fn page(
    State(s): State<AppState>,
    Extension(limits): Extension<Limits>,
    me: Signed,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> UiResult {
    require(&me)?;
    let now = settings::get(&s.db, &me.actor, limits.settings()).await?;
    let mut form = Fields::default();
    form.0
        .push(("import_undo_days".into(), now.import_undo_days.to_string()));
    Ok(render(&Page {
        ctx: me.ctx("admin"),
        form,
        errors: FormErrors::default(),
        saved: q.iter().any(|(k, _)| k == "saved"),
    }))
}

async fn save(
    State(s): State<AppState>,
    Extension(limits): Extension<Limits>,
    me: Signed,
    Form(f): Form,
) -> UiResult {
    require(&me)?;
    let typed = f.get("import_undo_days").trim();
    // What was typed goes to the service as a number when it is one, else as it is, so that
    // the service's own message says what is wrong.
    let days = typed.parse::<i64>().map_or(json!(typed), Value::from);
    let body = json!({ "import_undo_days": days });
    let errors = match settings::update(&s.db, &me.actor, limits.settings(), body).await {
        Ok(_) => return Ok(see_other("/admin/settings?saved")),
        Err(CoreError::Invalid(i)) => FormErrors::from_invalid(&i, me.tr),
        Err(e) => return Err(e.into()),
    };
    let page = Page {
        ctx: me.ctx("admin"),
        form: f,
        errors,
        saved: false,
    };
    Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
}
