//! The list page every kind of record has, written once: search, the kind's filters and
//! those of its custom fields, the filter text, order, pages, saved views, the trash, and
//! actions on the records ticked (assign, tag, export, and the kind's own).
//!
//! A kind says what it shows (`Listed`): its filters, its columns and a row per record.
use super::form::{Fields, Form};
use super::lists::{self, CustomFilter, query_of};
use super::record_form::Choice;
use super::session::Signed;
use super::{Ctx, UiError, UiResult, render, see_other};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use relais_core::export::job::ExportSettings;
use relais_core::records::{self, BulkChange, Kind};
use relais_core::{Actor, CoreError, Db, custom_fields, users, views};
use relais_domain::custom::Entity;
use relais_store::records::ListOrder;
use std::collections::HashMap;
use std::future::Future;
use uuid::Uuid;

/// A kind of record with a list page at `/{PLURAL}`.
pub trait Listed: Kind {
    /// Its pages' path, the resource name of its rights in templates, the list name of its
    /// saved views (`people`).
    const PLURAL: &'static str;
    /// The messages of its list.
    const TEXTS: Texts;
    /// The entity of its custom fields, whose filters the list offers.
    const CUSTOM: Option<Entity> = None;
    /// Whether its records have an advisor and tags (actions on the records ticked).
    const OWNED_AND_TAGGED: bool = true;

    /// The kind's own filters, in order (besides the search, the filter text and the
    /// custom fields').
    fn filters() -> Vec<FilterField>;
    /// Its columns after the name.
    fn columns() -> Vec<Column>;
    /// A line per record: its name and its cells, one per column.
    fn rows(
        s: &AppState,
        me: &Signed,
        items: &[Self::View],
    ) -> impl Future<Output = UiResult<Vec<Row>>> + Send;
    /// Actions of its own on the records ticked (a person's stage).
    fn actions() -> Vec<Action> {
        vec![]
    }
    /// Runs one of `actions` with the value chosen; returns how many changed.
    fn act(
        db: &Db,
        actor: &Actor,
        ids: &[Self::Id],
        action: &str,
        value: &str,
    ) -> impl Future<Output = Result<usize, ActError>> + Send {
        let _ = (db, actor, ids, value);
        let action = action.to_string();
        async move { Err(ActError::Unknown(action)) }
    }
}

/// Why an action of a kind's own did not run.
pub enum ActError {
    Unknown(String),
    Core(CoreError),
}

impl From<CoreError> for ActError {
    fn from(e: CoreError) -> Self {
        ActError::Core(e)
    }
}

/// The message keys of a kind's list.
pub struct Texts {
    pub title: &'static str,
    pub trash: &'static str,
    pub new: &'static str,
    pub none: &'static str,
    pub search_hint: &'static str,
    pub filter_hint: &'static str,
    pub actions: &'static str,
    /// "{n} people changed."
    pub done: &'static str,
}

/// A filter of the list: a parameter of the service's list, and how it is asked.
pub struct FilterField {
    pub name: &'static str,
    pub label: &'static str,
    pub input: Input,
}

pub enum Input {
    Text,
    /// One of these, or any.
    Choice(Vec<Choice>),
    /// An advisor: any, me, or a user.
    Owner,
    /// Not asked, but kept when given (the people of one company, reached from its page).
    Hidden,
}

impl ShownFilter {
    fn hidden(&self) -> bool {
        matches!(self.input, Input::Hidden)
    }
}

/// The filters of a kind whose records have an advisor, tags and addresses.
pub fn owner_tag_city() -> [FilterField; 3] {
    [
        FilterField {
            name: "owner_id",
            label: "person.owner",
            input: Input::Owner,
        },
        FilterField {
            name: "tag",
            label: "person.tags",
            input: Input::Text,
        },
        FilterField {
            name: "city",
            label: "person.city",
            input: Input::Text,
        },
    ]
}

/// A column: its heading, and whether narrow screens may leave it out.
pub struct Column {
    pub label: &'static str,
    pub optional: bool,
}

/// A line of the list.
pub struct Row {
    pub id: Uuid,
    pub name: String,
    pub cells: Vec<Cell>,
}

/// What a cell shows.
pub enum Cell {
    Text(String),
    /// An address to write to.
    Mail(String),
    /// A number to call.
    Tel(String),
    /// A web address, linked only when it is one.
    Web(String),
    /// A coded value in words, styled by its value (a stage).
    Badge {
        class: &'static str,
        label: &'static str,
    },
}

/// An action of a kind's own on the records ticked: a choice and a button.
pub struct Action {
    pub name: &'static str,
    pub label: &'static str,
    pub button: &'static str,
    pub choices: Vec<Choice>,
}

/// The id of a record in a page's address; one that is not an id names nothing (404).
pub fn record_id<K: Listed>(raw: &str) -> UiResult<K::Id> {
    Uuid::parse_str(raw.trim())
        .map(K::Id::from)
        .map_err(|_| UiError::NotFound)
}

/// The page of a record: `/{PLURAL}/{id}`.
pub fn record_path<K: Listed>(id: impl Into<Uuid>) -> String {
    format!("/{}/{}", K::PLURAL, id.into())
}

pub fn routes<K: Listed>() -> Router<AppState> {
    let base = format!("/{}", K::PLURAL);
    Router::new()
        .route(&base, get(list::<K>))
        .route(&format!("{base}/bulk"), post(bulk::<K>))
        .route(&format!("{base}/views"), post(save_view::<K>))
        .route(
            &format!("{base}/views/{{id}}/delete"),
            post(delete_view::<K>),
        )
}

/// A filter as the page shows it, with the value asked.
struct ShownFilter {
    name: &'static str,
    label: &'static str,
    value: String,
    input: Input,
}

#[derive(Template)]
#[template(path = "record_list.html")]
struct ListPage {
    ctx: Ctx,
    plural: &'static str,
    texts: Texts,
    /// The list's parameters as they came, without the cursor: to keep across pages and to
    /// save as a view.
    query: String,
    q: String,
    filter: String,
    sort: String,
    sortable: bool,
    filters: Vec<ShownFilter>,
    custom: Vec<CustomFilter>,
    columns: Vec<Column>,
    rows: Vec<Row>,
    next: Option<String>,
    first: Option<String>,
    users: Vec<(String, String)>,
    me: String,
    views: Vec<(String, String, String)>,
    trash: bool,
    owned_and_tagged: bool,
    actions: Vec<Action>,
    error: Option<String>,
    notice: Option<String>,
    /// Why the view could not be saved.
    view_error: Option<String>,
    /// Where the list is, to come back to after an action.
    here: String,
    list_path: String,
}

/// The parameters the list passes on to the service.
fn is_list_param<K: Listed>(k: &str) -> bool {
    const ALWAYS: [&str; 5] = ["q", "filter", "sort", "cursor", "trash"];
    ALWAYS.contains(&k) || k.starts_with("custom.") || K::filters().iter().any(|f| f.name == k)
}

async fn list<K: Listed>(State(s): State<AppState>, me: Signed, parts: Parts) -> UiResult {
    let path = format!("/{}", K::PLURAL);
    let raw = lists::params(&parts, is_list_param::<K>);
    let mut params = raw.clone();
    params.push(("limit".into(), "50".into()));
    let (page, error) = match records::list::<K>(&s.db, &me.actor, &params).await {
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
    let error = error.or(lists::param(&parts, "refused").map(|c| lists::refusal(me.tr, &c)));
    let rows = K::rows(&s, &me, &page.items).await?;
    let p: HashMap<String, String> = raw.iter().cloned().collect();
    let get = |k: &str| p.get(k).cloned().unwrap_or_default();
    let without_cursor: Vec<(String, String)> =
        raw.iter().filter(|(k, _)| k != "cursor").cloned().collect();
    let query = query_of(&without_cursor);
    let next = page.next_cursor.as_deref().map(|c| {
        let mut q = without_cursor.clone();
        q.push(("cursor".into(), c.to_string()));
        format!("{path}?{}", query_of(&q))
    });
    let first = p.contains_key("cursor").then(|| format!("{path}?{query}"));
    let custom = match K::CUSTOM {
        Some(entity) => {
            let defs = custom_fields::list(&s.db, &me.actor).await?;
            lists::custom_filters(&defs, entity, &p)
        }
        None => vec![],
    };
    let users = users::list(&s.db, &me.actor)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| (u.id.0.to_string(), u.name))
        .collect();
    let views = views::list(&s.db, &me.actor, K::PLURAL)
        .await?
        .into_iter()
        .map(|v| (v.id.to_string(), v.name, v.query))
        .collect();
    let filters = K::filters()
        .into_iter()
        .map(|f| ShownFilter {
            value: get(f.name),
            name: f.name,
            label: f.label,
            input: f.input,
        })
        .collect();
    Ok(render(&ListPage {
        ctx: me.ctx(K::PLURAL),
        plural: K::PLURAL,
        texts: K::TEXTS,
        trash: p.get("trash").is_some_and(|t| t == "true"),
        q: get("q"),
        filter: get("filter"),
        sort: get("sort"),
        sortable: K::ORDER == ListOrder::Name,
        here: if raw.is_empty() {
            path.clone()
        } else {
            format!("{path}?{}", query_of(&raw))
        },
        notice: lists::param(&parts, "changed")
            .and_then(|n| n.parse::<u32>().ok())
            .map(|n| me.tr.fill(K::TEXTS.done, &[("n", &n.to_string())])),
        view_error: lists::param(&parts, "view_error").map(|code| lists::view_error(me.tr, &code)),
        query,
        filters,
        custom,
        columns: K::columns(),
        rows,
        next,
        first,
        users,
        me: me.actor.user.map(|u| u.0.to_string()).unwrap_or_default(),
        views,
        owned_and_tagged: K::OWNED_AND_TAGGED,
        actions: K::actions(),
        error,
        list_path: path,
    }))
}

/// An action on the records ticked in the list.
async fn bulk<K: Listed>(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    let path = format!("/{}", K::PLURAL);
    let ids: Vec<K::Id> = f
        .all("id")
        .iter()
        .map(|i| record_id::<K>(i))
        .collect::<UiResult<_>>()?;
    let to = lists::back(f.get("back"), &path);
    if f.get("action") == "export" {
        return export::<K>(&s, &me, &ids, &to).await;
    }
    if ids.is_empty() {
        return Ok(see_other(&to));
    }
    let changed = match f.get("action") {
        "owner" if K::OWNED_AND_TAGGED => {
            let change = BulkChange::Owner(lists::owner_of(&f)?);
            records::bulk_update::<K>(&s.db, &me.actor, &ids, &change).await
        }
        "tag" if K::OWNED_AND_TAGGED => {
            let change = BulkChange::AddTag(f.get("tag").to_string());
            records::bulk_update::<K>(&s.db, &me.actor, &ids, &change).await
        }
        other => own_action::<K>(&s, &me, &ids, other, &f).await?,
    };
    match changed {
        Ok(n) => Ok(see_other(&lists::with_notice(&to, n))),
        Err(CoreError::Invalid(i)) => Ok(see_other(&lists::with_refusal(&to, &i))),
        Err(e) => Err(e.into()),
    }
}

/// Exports the records ticked, or with none ticked the whole list as it is filtered, as a
/// job: its page shows the progress and then the file.
async fn export<K: Listed>(s: &AppState, me: &Signed, ids: &[K::Id], list: &str) -> UiResult {
    let filters = if ids.is_empty() {
        let query = list.split_once('?').map_or("", |(_, q)| q);
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .filter(|(k, _)| !matches!(k.as_str(), "cursor" | "sort" | "limit" | "changed"))
            .collect()
    } else {
        lists::ids_filter(ids.iter().map(|i| (*i).into()))
    };
    let settings = ExportSettings {
        kind: K::PLURAL.into(),
        format: "csv".into(),
        filters,
    };
    match relais_core::export::job::start(&s.db, &me.actor, settings).await {
        Ok(_) => Ok(see_other("/jobs")),
        Err(CoreError::Invalid(i)) => Ok(see_other(&lists::with_refusal(list, &i))),
        Err(e) => Err(e.into()),
    }
}

/// One of the kind's own actions; an action the kind does not have names nothing.
async fn own_action<K: Listed>(
    s: &AppState,
    me: &Signed,
    ids: &[K::Id],
    action: &str,
    f: &Fields,
) -> UiResult<Result<usize, CoreError>> {
    match K::act(&s.db, &me.actor, ids, action, f.get(action)).await {
        Ok(n) => Ok(Ok(n)),
        Err(ActError::Core(e)) => Ok(Err(e)),
        Err(ActError::Unknown(_)) => Err(UiError::NotFound),
    }
}

async fn save_view<K: Listed>(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    let path = format!("/{}", K::PLURAL);
    lists::save_view(&s, &me, K::PLURAL, &path, &f).await
}

async fn delete_view<K: Listed>(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
) -> UiResult {
    lists::delete_view(&s, &me, &format!("/{}", K::PLURAL), &id).await
}
