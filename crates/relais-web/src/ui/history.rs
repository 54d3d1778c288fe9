//! The history of a record (its audit trail: who changed which field from what to what,
//! when), and the consent of a person, recorded channel by channel.
use super::form::Form;
use super::session::Signed;
use super::timeline::channel_key;
use super::{Ctx, UiError, UiResult, render, see_other};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use relais_core::companies::Companies;
use relais_core::people::{self, People};
use relais_core::records;
use relais_core::{CoreError, overview, users};
use relais_domain::{CompanyId, PersonId, Resource, UserId};
use serde_json::json;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/people/{id}/history", get(person_history))
        .route("/companies/{id}/history", get(company_history))
        .route("/people/{id}/consents", post(record_consent))
}

struct Line {
    when: super::facts::When,
    who: String,
    action: String,
    field: String,
    old: String,
    new: String,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    ctx: Ctx,
    name: String,
    back: String,
    lines: Vec<Line>,
    older: Option<String>,
}

fn action_key(a: &str) -> &'static str {
    match a {
        "created" => "history.created",
        "updated" => "history.updated",
        "deleted" => "history.deleted",
        "restored" => "history.restored",
        "merged" => "history.merged",
        "consent" => "history.consent",
        _ => "history.other",
    }
}

async fn history(
    s: &AppState,
    me: &Signed,
    resource: Resource,
    id: uuid::Uuid,
    name: String,
    back: String,
    parts: &Parts,
) -> UiResult {
    let params: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .filter(|(k, _)| k == "cursor")
            .chain([("limit".to_string(), "50".to_string())])
            .collect();
    let page = overview::audit(&s.db, &me.actor, resource, id, &params).await?;
    let names: HashMap<UserId, String> = users::list(&s.db, &me.actor)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let tr = me.tr;
    let lines = page
        .items
        .iter()
        .map(|e| Line {
            when: super::facts::When::of(tr, &e.at),
            who: e
                .actor_id
                .and_then(|u| names.get(&UserId(u)).cloned())
                .unwrap_or_else(|| tr.t("history.system").into()),
            action: tr.t(action_key(&e.action)).into(),
            field: e.field.as_deref().map(|f| tr.field(f)).unwrap_or_default(),
            old: e.old_value.clone().unwrap_or_default(),
            new: e.new_value.clone().unwrap_or_default(),
        })
        .collect();
    let older = page.next_cursor.map(|c| {
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair("cursor", &c)
            .finish();
        format!("{back}/history?{q}")
    });
    let nav = if resource == Resource::COMPANIES {
        "companies"
    } else {
        "people"
    };
    Ok(render(&HistoryPage {
        ctx: me.ctx(nav),
        name,
        back,
        lines,
        older,
    }))
}

async fn person_history(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    parts: Parts,
) -> UiResult {
    let id = PersonId::parse(&id).map_err(|_| UiError::NotFound)?;
    let p = records::get::<People>(&s.db, &me.actor, id).await?;
    let back = format!("/people/{}", id.0);
    history(
        &s,
        &me,
        Resource::PEOPLE,
        id.0,
        p.display_name,
        back,
        &parts,
    )
    .await
}

async fn company_history(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    parts: Parts,
) -> UiResult {
    let id = CompanyId::parse(&id).map_err(|_| UiError::NotFound)?;
    let c = records::get::<Companies>(&s.db, &me.actor, id).await?;
    let back = format!("/companies/{}", id.0);
    history(
        &s,
        &me,
        Resource::COMPANIES,
        id.0,
        c.data.name,
        back,
        &parts,
    )
    .await
}

/// Records a consent given or withdrawn on a channel; the history keeps every change.
async fn record_consent(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    Form(f): Form,
) -> UiResult {
    let id = PersonId::parse(&id).map_err(|_| UiError::NotFound)?;
    let body =
        json!({"channel": f.get("channel"), "status": f.get("status"), "source": f.opt("source")});
    match people::record_consent(&s.db, &me.actor, id, body).await {
        Ok(_) => Ok(see_other(&format!("/people/{}#consent", id.0))),
        // The form offers only valid channels and statuses: anything else is a forged post.
        Err(CoreError::Invalid(_)) => Err(UiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// The channels a consent form offers: (value, message key).
pub fn consent_channels() -> Vec<(&'static str, &'static str)> {
    ["email", "sms", "phone", "post"]
        .into_iter()
        .map(|c| (c, channel_key(c)))
        .collect()
}
