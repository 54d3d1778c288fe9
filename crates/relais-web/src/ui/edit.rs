//! The create and edit pages every kind of record has, written once: the form drawn from
//! the kind's inputs, field errors in the user's language, and an edit that meets a newer
//! version reconciled field by field (`record_form`); and the trash and back.
//!
//! A kind says what its form holds (`Edited`): its inputs, a record's values, and how the
//! values are saved.
use super::form::{Fields, Form, FormErrors};
use super::list_page::{Listed, record_id, record_path};
use super::record_form::{self, Clash, Input, Spec, Values};
use super::session::Signed;
use super::{Ctx, UiResult, render, render_with, see_other};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use relais_core::CoreError;
use relais_core::records::{self, RecordView};
use std::future::Future;

/// A kind of record with create and edit pages at `/{PLURAL}/new` and `/{PLURAL}/{id}/edit`.
pub trait Edited: Listed {
    /// What its form offers besides the record (users to choose from, custom fields).
    type Extra: Send + Sync;
    /// The heading of the new record's page, and of an edit ("Edit {name}").
    const NEW: &'static str;
    const EDIT: &'static str;
    /// A line of help under the heading.
    const HINT: Option<&'static str> = None;

    fn extra(s: &AppState, me: &Signed) -> impl Future<Output = UiResult<Self::Extra>> + Send;
    /// Its inputs, for a new record, a stored one or what a form posted (as many inputs for
    /// a list as it has or sent).
    fn specs(x: &Self::Extra, shown: Shown<'_, Self>) -> Vec<Spec>;
    /// The values a new record starts with.
    fn blank(v: &mut Values) {
        let _ = v;
    }
    /// A stored record as its form shows it.
    fn values(
        s: &AppState,
        me: &Signed,
        view: &Self::View,
    ) -> impl Future<Output = UiResult<Values>> + Send;
    /// Its name, for headings.
    fn name(view: &Self::View) -> String;
    /// Saves the values: a new record, or over `current` if it is still at `if_match`.
    fn save(
        s: &AppState,
        me: &Signed,
        form: Posted<'_, Self>,
    ) -> impl Future<Output = UiResult<Result<Self::View, Refused>>> + Send;
}

/// What most forms offer besides the record: the users who can be its advisor, and the
/// custom fields.
pub struct UsersAndFields {
    pub users: Vec<relais_core::users::UserView>,
    pub defs: Vec<relais_core::custom_fields::CustomFieldView>,
}

impl UsersAndFields {
    pub async fn load(s: &AppState, me: &Signed) -> UiResult<UsersAndFields> {
        Ok(UsersAndFields {
            users: relais_core::users::list(&s.db, &me.actor).await?,
            defs: relais_core::custom_fields::list(&s.db, &me.actor).await?,
        })
    }
}

/// Which inputs a form needs.
pub enum Shown<'a, K: Edited> {
    New,
    Stored(&'a K::View),
    Posted(&'a Fields),
}

/// A posted form: its values, the values it started from, its inputs, and the record it
/// edits with the ETag it was read at (none for a new one).
pub struct Posted<'a, K: Edited> {
    pub values: &'a Values,
    pub base: &'a Values,
    pub specs: &'a [Spec],
    pub current: Option<(&'a K::View, &'a str)>,
}

/// Why a form was not saved.
pub enum Refused {
    /// What the form itself says is wrong (a group that does not exist).
    Form(FormErrors),
    Core(CoreError),
}

impl From<CoreError> for Refused {
    fn from(e: CoreError) -> Self {
        Refused::Core(e)
    }
}

pub fn routes<K: Edited>() -> Router<AppState> {
    let base = format!("/{}", K::PLURAL);
    Router::new()
        .route(&base, post(create::<K>))
        .route(&format!("{base}/new"), get(new_form::<K>))
        .route(
            &format!("{base}/{{id}}/edit"),
            get(edit_form::<K>).post(update::<K>),
        )
        .route(&format!("{base}/{{id}}/delete"), post(delete::<K>))
        .route(&format!("{base}/{{id}}/restore"), post(restore::<K>))
}

/// The record form page, for every kind.
#[derive(Template)]
#[template(path = "record_form.html")]
pub struct FormPage {
    pub ctx: Ctx,
    pub heading: String,
    pub action: String,
    pub cancel: String,
    pub inputs: Vec<Input>,
    pub version: Option<i64>,
    pub clashes: Vec<Clash>,
    /// Someone saved meanwhile and their changes were taken into the form.
    pub merged: bool,
    pub has_errors: bool,
    pub others: Vec<String>,
    pub hint: Option<&'static str>,
}

/// What a form page is drawn from: its inputs, their values, the values it started from,
/// and the errors to show.
struct Draft<'a> {
    specs: &'a [Spec],
    v: &'a Values,
    base: &'a Values,
    errors: &'a FormErrors,
}

/// Where a form is: its heading, where it posts, where cancel goes.
struct Place {
    heading: String,
    action: String,
    cancel: String,
}

fn page<K: Edited>(me: &Signed, place: Place, d: Draft<'_>) -> FormPage {
    FormPage {
        ctx: me.ctx(K::PLURAL),
        heading: place.heading,
        action: place.action,
        cancel: place.cancel,
        inputs: record_form::inputs(d.specs, d.v, d.base, d.errors),
        version: None,
        clashes: vec![],
        merged: false,
        has_errors: d.errors.any(),
        others: record_form::unplaced(d.errors, d.specs),
        hint: K::HINT,
    }
}

fn new_place<K: Edited>(me: &Signed) -> Place {
    let list = format!("/{}", K::PLURAL);
    Place {
        heading: me.tr.t(K::NEW).into(),
        action: list.clone(),
        cancel: list,
    }
}

fn edit_place<K: Edited>(me: &Signed, view: &K::View) -> Place {
    let at = record_path::<K>(view.id());
    Place {
        heading: me.tr.fill(K::EDIT, &[("name", &K::name(view))]),
        action: format!("{at}/edit"),
        cancel: at,
    }
}

async fn new_form<K: Edited>(State(s): State<AppState>, me: Signed) -> UiResult {
    let x = K::extra(&s, &me).await?;
    let specs = K::specs(&x, Shown::New);
    let mut v = Values::default();
    K::blank(&mut v);
    let errors = FormErrors::default();
    let d = Draft {
        specs: &specs,
        v: &v,
        base: &v,
        errors: &errors,
    };
    Ok(render(&page::<K>(&me, new_place::<K>(&me), d)))
}

async fn create<K: Edited>(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    let x = K::extra(&s, &me).await?;
    let specs = K::specs(&x, Shown::Posted(&f));
    let v = Values::from_form(&f, &specs, "");
    let posted = Posted {
        values: &v,
        base: &v,
        specs: &specs,
        current: None,
    };
    let errors = match K::save(&s, &me, posted).await? {
        Ok(view) => return Ok(see_other(&record_path::<K>(view.id()))),
        Err(Refused::Form(errors)) => errors,
        Err(Refused::Core(CoreError::Invalid(i))) => FormErrors::from_invalid(&i, me.tr),
        Err(Refused::Core(e)) => return Err(e.into()),
    };
    let d = Draft {
        specs: &specs,
        v: &v,
        base: &v,
        errors: &errors,
    };
    let page = page::<K>(&me, new_place::<K>(&me), d);
    Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

async fn edit_form<K: Edited>(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
) -> UiResult {
    let id = record_id::<K>(&id)?;
    let view = records::get::<K>(&s.db, &me.actor, id).await?;
    let at = record_path::<K>(view.id());
    if view.in_trash() {
        return Ok(see_other(&at));
    }
    let x = K::extra(&s, &me).await?;
    let specs = K::specs(&x, Shown::Stored(&view));
    let v = K::values(&s, &me, &view).await?;
    let errors = FormErrors::default();
    let d = Draft {
        specs: &specs,
        v: &v,
        base: &v,
        errors: &errors,
    };
    let mut page = page::<K>(&me, edit_place::<K>(&me, &view), d);
    page.version = Some(view.version());
    Ok(render(&page))
}

async fn update<K: Edited>(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    Form(f): Form,
) -> UiResult {
    let id = record_id::<K>(&id)?;
    let current = records::get::<K>(&s.db, &me.actor, id).await?;
    let x = K::extra(&s, &me).await?;
    let mut specs = K::specs(&x, Shown::Posted(&f));
    let mut v = Values::from_form(&f, &specs, "");
    let mut base = Values::from_form(&f, &specs, "base.");
    record_form::apply_choices(&f, &mut v, &base);
    let mut version = f.get("version").parse::<i64>().unwrap_or(current.version());
    let etag = relais_core::record::etag(version);
    let posted = Posted {
        values: &v,
        base: &base,
        specs: &specs,
        current: Some((&current, &etag)),
    };
    let (mut errors, mut clashes, mut merged) = (FormErrors::default(), vec![], false);
    match K::save(&s, &me, posted).await? {
        Ok(view) => return Ok(see_other(&record_path::<K>(view.id()))),
        Err(Refused::Form(e)) => errors = e,
        Err(Refused::Core(CoreError::Invalid(i))) => errors = FormErrors::from_invalid(&i, me.tr),
        Err(Refused::Core(CoreError::Stale { version: now, .. })) => {
            // Someone saved meanwhile: their changes are taken where the user left the
            // field alone, and shown side by side where both changed it.
            let theirs = records::get::<K>(&s.db, &me.actor, id).await?;
            let their_specs = K::specs(&x, Shown::Stored(&theirs));
            if their_specs.len() > specs.len() {
                specs = their_specs;
            }
            let their_values = K::values(&s, &me, &theirs).await?;
            (v, clashes) = record_form::reconcile(&specs, &v, &their_values, &base);
            base = their_values;
            merged = true;
            version = now;
        }
        Err(Refused::Core(e)) => return Err(e.into()),
    }
    let status = if merged {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let d = Draft {
        specs: &specs,
        v: &v,
        base: &base,
        errors: &errors,
    };
    let mut page = page::<K>(&me, edit_place::<K>(&me, &current), d);
    page.version = Some(version);
    page.merged = merged && clashes.is_empty();
    page.clashes = clashes;
    Ok(render_with(status, &page))
}

async fn delete<K: Edited>(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
) -> UiResult {
    let id = record_id::<K>(&id)?;
    records::delete::<K>(&s.db, &me.actor, id).await?;
    Ok(see_other(&record_path::<K>(id)))
}

async fn restore<K: Edited>(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
) -> UiResult {
    let id = record_id::<K>(&id)?;
    records::restore::<K>(&s.db, &me.actor, id).await?;
    Ok(see_other(&record_path::<K>(id)))
}
