//! The people list: search, filters (stage, advisor, tag, city, consent, custom fields),
//! order, pages, saved views, and actions on the people ticked (assign an advisor, change
//! the stage, add a tag, export them).
use super::form::Form;
use super::lists::{self, CustomFilter, query_of};
use super::people::stages;
use super::session::Signed;
use super::{Ctx, UiError, UiResult, render, see_other};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use relais_core::people::{self, People, PersonView};
use relais_core::records::{self, BulkChange};
use relais_core::{CoreError, companies, custom_fields, users, views};
use relais_domain::custom::Entity;
use relais_domain::person::Stage;
use relais_domain::{CompanyId, PersonId};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/people", get(list))
        .route("/people/bulk", post(bulk))
        .route("/people/views", post(save_view))
        .route("/people/views/{id}/delete", post(delete_view))
}

/// One line of the list.
struct Row {
    id: String,
    name: String,
    companies: String,
    email: String,
    phone: String,
    stage: &'static str,
    stage_key: &'static str,
    city: String,
}

#[derive(Template)]
#[template(path = "people_list.html")]
struct ListPage {
    ctx: Ctx,
    /// The list's parameters as they came, to keep across pages and to save as a view.
    query: String,
    p: HashMap<String, String>,
    rows: Vec<Row>,
    next: Option<String>,
    first: Option<String>,
    stages: Vec<(&'static str, &'static str)>,
    users: Vec<(String, String)>,
    me: String,
    custom: Vec<CustomFilter>,
    views: Vec<(String, String, String)>,
    trash: bool,
    error: Option<String>,
    notice: Option<String>,
    /// Why the view could not be saved.
    view_error: Option<String>,
    /// Where the list is, to come back to after an action.
    here: String,
    list_path: &'static str,
}

impl ListPage {
    /// A parameter of the list as it came ("" when absent).
    fn get(&self, k: &str) -> &str {
        self.p.get(k).map(String::as_str).unwrap_or("")
    }
}

/// The parameters the list passes on to the service: the known filters and any custom one.
fn is_list_param(k: &str) -> bool {
    const KNOWN: [&str; 14] = [
        "q",
        "filter",
        "stage",
        "tag",
        "city",
        "sort",
        "cursor",
        "trash",
        "owner_id",
        "consent_email",
        "consent_sms",
        "consent_phone",
        "consent_post",
        "company_id",
    ];
    KNOWN.contains(&k) || k.starts_with("custom.")
}

async fn list(State(s): State<AppState>, me: Signed, parts: Parts) -> UiResult {
    let raw = lists::params(&parts, is_list_param);
    let notice = lists::param(&parts, "changed")
        .and_then(|n| n.parse::<u32>().ok())
        .map(|n| me.tr.fill("bulk.done", &[("n", &n.to_string())]));
    let error_of_action = lists::param(&parts, "refused").map(|c| lists::refusal(me.tr, &c));
    let view_error = lists::param(&parts, "view_error").map(|code| lists::view_error(me.tr, &code));
    let mut params = raw.clone();
    params.push(("limit".into(), "50".into()));
    let (page, error) = match records::list::<People>(&s.db, &me.actor, &params).await {
        Ok(p) => (p, None),
        // A filter the service refuses (a stale cursor, say) is shown, not an error page.
        Err(CoreError::Invalid(i)) => (
            relais_core::record::ListPage {
                items: vec![],
                next_cursor: None,
            },
            Some(me.tr.invalid(&i)),
        ),
        Err(e) => return Err(e.into()),
    };
    let error = error.or(error_of_action);
    let names = company_names(&s, &me, &page.items).await?;
    let rows = page.items.iter().map(|p| row(p, &names)).collect();
    let p: HashMap<String, String> = raw.iter().cloned().collect();
    let without_cursor: Vec<(String, String)> =
        raw.iter().filter(|(k, _)| k != "cursor").cloned().collect();
    let query = query_of(&without_cursor);
    let next = page.next_cursor.as_deref().map(|c| {
        let mut q = without_cursor.clone();
        q.push(("cursor".into(), c.to_string()));
        format!("/people?{}", query_of(&q))
    });
    let first = p.contains_key("cursor").then(|| format!("/people?{query}"));
    let defs = custom_fields::list(&s.db, &me.actor).await?;
    let users = users::list(&s.db, &me.actor)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| (u.id.0.to_string(), u.name))
        .collect();
    let views = views::list(&s.db, &me.actor, "people")
        .await?
        .into_iter()
        .map(|v| (v.id.to_string(), v.name, v.query))
        .collect();
    Ok(render(&ListPage {
        ctx: me.ctx("people"),
        trash: p.get("trash").is_some_and(|t| t == "true"),
        custom: lists::custom_filters(&defs, Entity::Person, &p),
        query,
        p,
        rows,
        next,
        first,
        stages: stages(),
        users,
        me: me.actor.user.map(|u| u.0.to_string()).unwrap_or_default(),
        views,
        error,
        notice,
        view_error,
        list_path: "/people",
        here: match parts.uri.query() {
            Some(_) => format!("/people?{}", query_of(&raw)),
            None => "/people".into(),
        },
    }))
}

async fn company_names(
    s: &AppState,
    me: &Signed,
    people: &[PersonView],
) -> UiResult<HashMap<CompanyId, String>> {
    let ids: Vec<CompanyId> = people
        .iter()
        .flat_map(|p| p.data.companies.iter().map(|c| c.company_id))
        .collect();
    Ok(companies::names(&s.db, &me.actor, &ids).await?)
}

fn row(p: &PersonView, names: &HashMap<CompanyId, String>) -> Row {
    let first = |v: Option<String>| v.unwrap_or_default();
    Row {
        id: p.id.0.to_string(),
        name: p.display_name.clone(),
        companies: p
            .data
            .companies
            .iter()
            .filter_map(|c| names.get(&c.company_id).cloned())
            .collect::<Vec<_>>()
            .join(", "),
        email: first(
            p.data
                .emails
                .first()
                .map(|e| e.address.as_str().to_string()),
        ),
        phone: first(p.data.phones.first().map(|n| n.number.as_str().to_string())),
        stage: p.data.stage.as_str(),
        stage_key: super::people::stage_key(p.data.stage),
        city: first(p.data.addresses.iter().find_map(|a| a.city.clone())),
    }
}

/// An action on the people ticked in the list.
async fn bulk(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    let ids: Vec<PersonId> = lists::ticked(&f, PersonId::parse)?;
    let to = lists::back(f.get("back"), "/people");
    if ids.is_empty() {
        return Ok(see_other(&to));
    }
    let changed = match f.get("action") {
        "export" => {
            let mut out = Vec::new();
            let selected = lists::ids_filter(ids.iter().map(|i| i.0));
            let csv = relais_core::export::Format::Csv;
            relais_core::export::people_where(&s.db, &me.actor, csv, &selected, &mut out, |_| {})
                .await?;
            return Ok(lists::csv_download(out, "people.csv"));
        }
        "owner" => {
            let change = BulkChange::Owner(lists::owner_of(&f)?);
            records::bulk_update::<People>(&s.db, &me.actor, &ids, &change).await
        }
        "stage" => {
            let stage = Stage::parse(f.get("stage")).map_err(|_| UiError::NotFound)?;
            people::set_stage(&s.db, &me.actor, &ids, stage).await
        }
        "tag" => {
            let change = BulkChange::AddTag(f.get("tag").to_string());
            records::bulk_update::<People>(&s.db, &me.actor, &ids, &change).await
        }
        _ => return Err(UiError::NotFound),
    };
    match changed {
        Ok(n) => Ok(see_other(&lists::with_notice(&to, n))),
        Err(CoreError::Invalid(i)) => Ok(see_other(&lists::with_refusal(&to, &i))),
        Err(e) => Err(e.into()),
    }
}

async fn save_view(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    lists::save_view(&s, &me, "people", "/people", &f).await
}

async fn delete_view(State(s): State<AppState>, me: Signed, Path(id): Path<String>) -> UiResult {
    lists::delete_view(&s, &me, "/people", &id).await
}
