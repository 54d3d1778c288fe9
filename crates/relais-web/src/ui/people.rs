//! People: the list, the 360° page, the create and edit forms (an edit that meets a change
//! made meanwhile shows both versions), the trash and the restore.
use super::form::{Fields, Form, FormErrors};
use super::i18n::Tr;
use super::session::Signed;
use super::timeline::{self, LogForm, TaskForm};
use super::{Ctx, UiError, UiResult, render, render_with, see_other};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use relais_core::overview::{self, PersonOverview};
use relais_core::people::{self, PersonView};
use relais_core::{CoreError, companies, interactions, users};
use relais_domain::person::Stage;
use relais_domain::{CompanyId, PersonId, Role, UserId};
use serde_json::{Value, json};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/people", get(list).post(create))
        .route("/people/new", get(new_form))
        .route("/people/{id}", get(show))
        .route("/people/{id}/edit", get(edit_form).post(update))
        .route("/people/{id}/delete", post(delete))
        .route("/people/{id}/restore", post(restore))
}

pub fn role_key(r: &Role) -> &'static str {
    match r {
        Role::Admin => "role.admin",
        Role::Manager => "role.manager",
        Role::Sales => "role.sales",
        Role::Support => "role.support",
        Role::Accounting => "role.accounting",
        Role::Delivery => "role.delivery",
        Role::Marketing => "role.marketing",
        Role::ReadOnly => "role.read_only",
    }
}

pub fn stage_key(s: Stage) -> &'static str {
    match s {
        Stage::Lead => "stage.lead",
        Stage::Prospect => "stage.prospect",
        Stage::Customer => "stage.customer",
        Stage::FormerCustomer => "stage.former_customer",
    }
}

/// The stages, as the select inputs list them: (value, message key).
pub fn stages() -> Vec<(&'static str, &'static str)> {
    Stage::ALL
        .iter()
        .map(|s| (s.as_str(), stage_key(*s)))
        .collect()
}

fn parse_person(raw: &str) -> UiResult<PersonId> {
    PersonId::parse(raw).map_err(|_| UiError::NotFound)
}

/// A query string from pairs, empty values left out.
fn query(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        s.append_pair(k, v);
    }
    s.finish()
}

/// One line of the people list.
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
    q: String,
    stage: String,
    tag: String,
    city: String,
    sort: String,
    rows: Vec<Row>,
    next: Option<String>,
    first: Option<String>,
    stages: Vec<(&'static str, &'static str)>,
    trash: bool,
    error: Option<String>,
}

/// The list parameters this page passes on to the service.
const LIST_PARAMS: [&str; 7] = ["q", "stage", "tag", "city", "sort", "cursor", "trash"];

async fn list(
    State(s): State<AppState>,
    me: Signed,
    parts: axum::http::request::Parts,
) -> UiResult {
    let raw: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .filter(|(k, v)| LIST_PARAMS.contains(&k.as_str()) && !v.trim().is_empty())
            .collect();
    let get = |k: &str| {
        raw.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut params = raw.clone();
    params.push(("limit".into(), "50".into()));
    let (page, error) = match people::list(&s.db, &me.actor, &params).await {
        Ok(p) => (p, None),
        // A filter the service refuses (a stale cursor, say) is shown, not an error page.
        Err(CoreError::Invalid(i)) => (
            relais_core::record::ListPage {
                items: vec![],
                next_cursor: None,
            },
            Some(i.to_string()),
        ),
        Err(e) => return Err(e.into()),
    };
    let names = company_names(&s, &me, &page.items).await?;
    let rows = page.items.iter().map(|p| row(p, &names)).collect();
    let (q, stage, tag, city, sort, trash) = (
        get("q"),
        get("stage"),
        get("tag"),
        get("city"),
        get("sort"),
        get("trash"),
    );
    let base = [
        ("q", q.as_str()),
        ("stage", stage.as_str()),
        ("tag", tag.as_str()),
        ("city", city.as_str()),
        ("sort", sort.as_str()),
        ("trash", trash.as_str()),
    ];
    let next = page.next_cursor.as_deref().map(|c| {
        let mut p = base.to_vec();
        p.push(("cursor", c));
        format!("/people?{}", query(&p))
    });
    let first = (!get("cursor").is_empty()).then(|| format!("/people?{}", query(&base)));
    Ok(render(&ListPage {
        ctx: me.ctx("people"),
        q,
        stage,
        tag,
        city,
        sort,
        rows,
        next,
        first,
        stages: stages(),
        trash: trash == "true",
        error,
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
        email: p
            .data
            .emails
            .first()
            .map(|e| e.address.as_str().to_string())
            .unwrap_or_default(),
        phone: p
            .data
            .phones
            .first()
            .map(|n| n.number.as_str().to_string())
            .unwrap_or_default(),
        stage: p.data.stage.as_str(),
        stage_key: stage_key(p.data.stage),
        city: p
            .data
            .addresses
            .iter()
            .find_map(|a| a.city.clone())
            .unwrap_or_default(),
    }
}

/// What the person form shows: the values as typed, one string per input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Values {
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    pub job_title: String,
    pub company: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub birthday: String,
    pub stage: String,
    pub source: String,
    pub language: String,
    pub tags: String,
    pub notes: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
}

/// Inputs shown for e-mails and phones: the ones known and one empty more.
const SLOTS: usize = 2;

/// How many inputs of a list (`emails[0].address`, `emails[1].address`...) a form sent.
fn slots(f: &Fields, list: &str) -> usize {
    f.0.iter()
        .filter_map(|(k, _)| {
            k.strip_prefix(list)?
                .strip_prefix('[')?
                .split(']')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
        .max(SLOTS)
}

impl Values {
    /// The values of a form; `prefix` reads another copy of them (`base.`: the version the
    /// user started from).
    fn from_form(f: &Fields) -> Values {
        Values::from_form_at(f, "")
    }

    fn from_form_at(f: &Fields, prefix: &str) -> Values {
        let get = |name: &str| f.get(&format!("{prefix}{name}")).to_string();
        Values {
            civility: get("civility"),
            first_name: get("first_name"),
            last_name: get("last_name"),
            job_title: get("job_title"),
            company: get("company"),
            emails: (0..slots(f, &format!("{prefix}emails")))
                .map(|i| get(&format!("emails[{i}].address")))
                .collect(),
            phones: (0..slots(f, &format!("{prefix}phones")))
                .map(|i| get(&format!("phones[{i}].number")))
                .collect(),
            birthday: get("birthday"),
            stage: get("stage"),
            source: get("source"),
            language: get("language"),
            tags: get("tags"),
            notes: get("notes"),
            street: get("addresses[0].street"),
            postal_code: get("addresses[0].postal_code"),
            city: get("addresses[0].city"),
            country: get("addresses[0].country"),
        }
    }

    /// The e-mail inputs: (name, value).
    pub fn email_inputs(&self) -> Vec<(String, String)> {
        self.emails
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("emails[{i}].address"), e.clone()))
            .collect()
    }

    /// The phone inputs: (name, value).
    pub fn phone_inputs(&self) -> Vec<(String, String)> {
        self.phones
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("phones[{i}].number"), p.clone()))
            .collect()
    }

    /// The value the form shows under `name`, for the fields a conflict can name.
    fn slot(&mut self, name: &str) -> Option<&mut String> {
        Some(match name {
            "civility" => &mut self.civility,
            "first_name" => &mut self.first_name,
            "last_name" => &mut self.last_name,
            "job_title" => &mut self.job_title,
            "company" => &mut self.company,
            "birthday" => &mut self.birthday,
            "stage" => &mut self.stage,
            "source" => &mut self.source,
            "language" => &mut self.language,
            "tags" => &mut self.tags,
            "notes" => &mut self.notes,
            "street" => &mut self.street,
            "postal_code" => &mut self.postal_code,
            "city" => &mut self.city,
            "country" => &mut self.country,
            _ => return None,
        })
    }

    /// Takes the other version's value of a field the user chose it for.
    fn take(&mut self, name: &str, from: &Values) {
        match name {
            "emails" => self.emails = from.emails.clone(),
            "phones" => self.phones = from.phones.clone(),
            _ => {
                let mut from = from.clone();
                if let (Some(mine), Some(theirs)) = (self.slot(name), from.slot(name)) {
                    *mine = std::mem::take(theirs);
                }
            }
        }
    }

    fn from_person(p: &PersonView, company: String) -> Values {
        let d = &p.data;
        let mut emails: Vec<String> = d.emails.iter().map(|e| e.address.as_str().into()).collect();
        emails.push(String::new());
        let mut phones: Vec<String> = d.phones.iter().map(|n| n.number.as_str().into()).collect();
        phones.push(String::new());
        let address = d.addresses.first();
        let field = |f: fn(&relais_domain::person::Address) -> &Option<String>| {
            address.and_then(|a| f(a).clone()).unwrap_or_default()
        };
        Values {
            civility: d.civility.clone().unwrap_or_default(),
            first_name: d.first_name.clone().unwrap_or_default(),
            last_name: d.last_name.clone().unwrap_or_default(),
            job_title: d.job_title.clone().unwrap_or_default(),
            company,
            emails,
            phones,
            birthday: d
                .birthday
                .map(|b| match b.year {
                    Some(y) => format!("{:02}/{:02}/{y}", b.day, b.month),
                    None => format!("{:02}/{:02}", b.day, b.month),
                })
                .unwrap_or_default(),
            stage: d.stage.as_str().into(),
            source: d.source.clone().unwrap_or_default(),
            language: d.language.clone().unwrap_or_default(),
            tags: d.tags.join(", "),
            notes: d.notes.clone().unwrap_or_default(),
            street: field(|a| &a.street),
            postal_code: field(|a| &a.postal_code),
            city: field(|a| &a.city),
            country: field(|a| &a.country),
        }
    }

    /// The person as the services read it. Empty inputs are null, so an edit can clear a
    /// field; the first address is the one the form edits, the others are kept.
    fn to_json(&self, others: &[relais_domain::person::Address]) -> Value {
        let opt = |s: &str| {
            if s.trim().is_empty() {
                Value::Null
            } else {
                Value::String(s.trim().to_string())
            }
        };
        let emails: Vec<Value> = self
            .emails
            .iter()
            .filter(|e| !e.trim().is_empty())
            .map(|e| json!({"address": e.trim()}))
            .collect();
        let phones: Vec<Value> = self
            .phones
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| json!({"number": p.trim()}))
            .collect();
        let mut addresses: Vec<Value> = Vec::new();
        if [&self.street, &self.postal_code, &self.city, &self.country]
            .iter()
            .any(|v| !v.trim().is_empty())
        {
            addresses.push(json!({
                "kind": "work", "street": opt(&self.street), "postal_code": opt(&self.postal_code),
                "city": opt(&self.city), "country": opt(&self.country)
            }));
        }
        addresses.extend(others.iter().filter_map(|a| serde_json::to_value(a).ok()));
        let tags: Vec<Value> = self
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| Value::String(t.into()))
            .collect();
        json!({
            "civility": opt(&self.civility), "first_name": opt(&self.first_name),
            "last_name": opt(&self.last_name), "job_title": opt(&self.job_title),
            "emails": emails, "phones": phones, "addresses": addresses,
            "birthday": opt(&self.birthday), "stage": opt(&self.stage), "source": opt(&self.source),
            "language": opt(&self.language), "tags": tags, "notes": opt(&self.notes),
        })
    }
}

/// A field that changed meanwhile: what the user typed and what is now stored.
pub struct Clash {
    pub name: &'static str,
    pub label: &'static str,
    pub mine: String,
    pub theirs: String,
}

#[derive(Template)]
#[template(path = "person_form.html")]
struct FormPage {
    ctx: Ctx,
    heading: String,
    action: String,
    cancel: String,
    v: Values,
    /// The version the user started from, sent back with the form: what they changed is
    /// what differs from it.
    base: Values,
    errors: FormErrors,
    others: Vec<String>,
    version: Option<i64>,
    clashes: Vec<Clash>,
    stages: Vec<(&'static str, &'static str)>,
}

/// The inputs of the form, by the names the services give their errors.
const INPUTS: [&str; 15] = [
    "civility",
    "first_name",
    "last_name",
    "job_title",
    "company",
    "birthday",
    "stage",
    "source",
    "language",
    "tags",
    "notes",
    "addresses[0].street",
    "addresses[0].postal_code",
    "addresses[0].city",
    "addresses[0].country",
];

impl FormPage {
    fn shown(errors: &FormErrors, v: &Values) -> Vec<String> {
        let mut shown: Vec<String> = INPUTS.iter().map(|s| s.to_string()).collect();
        shown.extend((0..v.emails.len()).map(|i| format!("emails[{i}].address")));
        shown.extend((0..v.phones.len()).map(|i| format!("phones[{i}].number")));
        let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
        errors.others(&shown)
    }
}

async fn new_form(me: Signed) -> UiResult {
    let v = Values {
        emails: vec![String::new(); SLOTS],
        phones: vec![String::new(); SLOTS],
        stage: "lead".into(),
        ..Values::default()
    };
    Ok(render(&FormPage {
        heading: me.tr.t("person.new").into(),
        ctx: me.ctx("people"),
        action: "/people".into(),
        cancel: "/people".into(),
        base: v.clone(),
        v,
        errors: FormErrors::default(),
        others: vec![],
        version: None,
        clashes: vec![],
        stages: stages(),
    }))
}

async fn create(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    let v = Values::from_form(&f);
    let company = Some(v.company.as_str());
    match people::create_at(&s.db, &me.actor, v.to_json(&[]), company).await {
        Ok(p) => Ok(see_other(&format!("/people/{}", p.id.0))),
        Err(CoreError::Invalid(i)) => {
            let errors = FormErrors::from_invalid(&i);
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &FormPage {
                    heading: me.tr.t("person.new").into(),
                    ctx: me.ctx("people"),
                    action: "/people".into(),
                    cancel: "/people".into(),
                    others: FormPage::shown(&errors, &v),
                    base: v.clone(),
                    v,
                    errors,
                    version: None,
                    clashes: vec![],
                    stages: stages(),
                },
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn primary_company(s: &AppState, me: &Signed, p: &PersonView) -> UiResult<String> {
    let Some(link) = p.data.companies.iter().find(|c| c.primary) else {
        return Ok(String::new());
    };
    Ok(companies::names(&s.db, &me.actor, &[link.company_id])
        .await?
        .remove(&link.company_id)
        .unwrap_or_default())
}

async fn edit_form(State(s): State<AppState>, me: Signed, Path(id): Path<String>) -> UiResult {
    let id = parse_person(&id)?;
    let p = people::get(&s.db, &me.actor, id).await?;
    if p.deleted_at.is_some() {
        return Ok(see_other(&format!("/people/{}", id.0)));
    }
    let company = primary_company(&s, &me, &p).await?;
    let v = Values::from_person(&p, company);
    Ok(render(&FormPage {
        heading: me.tr.fill("person.edit", &[("name", &p.display_name)]),
        ctx: me.ctx("people"),
        action: format!("/people/{}/edit", id.0),
        cancel: format!("/people/{}", id.0),
        base: v.clone(),
        v,
        errors: FormErrors::default(),
        others: vec![],
        version: Some(p.version),
        clashes: vec![],
        stages: stages(),
    }))
}

/// The fields of the form a user can see differ between two versions, with their labels.
fn clashes(mine: &Values, theirs: &Values, base: &Values) -> Vec<Clash> {
    // (input, label, its value in a version)
    type Field = (&'static str, &'static str, fn(&Values) -> String);
    let pairs: [Field; 16] = [
        ("civility", "person.civility", |v| v.civility.clone()),
        ("first_name", "person.first_name", |v| v.first_name.clone()),
        ("last_name", "person.last_name", |v| v.last_name.clone()),
        ("job_title", "person.job_title", |v| v.job_title.clone()),
        ("company", "person.company", |v| v.company.clone()),
        ("emails", "person.emails", |v| join(&v.emails)),
        ("phones", "person.phones", |v| join(&v.phones)),
        ("birthday", "person.birthday", |v| v.birthday.clone()),
        ("stage", "person.stage", |v| v.stage.clone()),
        ("source", "person.source", |v| v.source.clone()),
        ("language", "person.language", |v| v.language.clone()),
        ("tags", "person.tags", |v| v.tags.clone()),
        ("notes", "person.notes", |v| v.notes.clone()),
        ("street", "person.street", |v| v.street.clone()),
        ("postal_code", "person.postal_code", |v| {
            v.postal_code.clone()
        }),
        ("city", "person.city", |v| v.city.clone()),
    ];
    pairs
        .into_iter()
        // Only what both changed differently: a field the other person left alone keeps
        // the user's value silently, a field only they changed keeps theirs.
        .filter(|(_, _, get)| {
            get(mine) != get(theirs) && get(theirs) != get(base) && get(mine) != get(base)
        })
        .map(|(name, label, get)| Clash {
            name,
            label,
            mine: get(mine),
            theirs: get(theirs),
        })
        .collect()
}

fn join(list: &[String]) -> String {
    list.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn update(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    Form(f): Form,
) -> UiResult {
    let id = parse_person(&id)?;
    let current = people::get(&s.db, &me.actor, id).await?;
    let others: Vec<_> = current.data.addresses.iter().skip(1).cloned().collect();
    let mut v = Values::from_form(&f);
    let mut base = Values::from_form_at(&f, "base.");
    // After a conflict the user chose, field by field, which version to keep.
    for (k, choice) in &f.0 {
        if let Some(name) = k.strip_prefix("choose.")
            && choice == "theirs"
        {
            v.take(name, &base);
        }
    }
    let version = f.get("version").parse::<i64>().unwrap_or(current.version);
    let if_match = relais_core::record::etag(version);
    let company = Some(v.company.as_str());
    let result = people::update_at(
        &s.db,
        &me.actor,
        id,
        v.to_json(&others),
        Some(&if_match),
        company,
    )
    .await;
    let (errors, clashes, version) = match result {
        Ok(_) => return Ok(see_other(&format!("/people/{}", id.0))),
        Err(CoreError::Invalid(i)) => (FormErrors::from_invalid(&i), vec![], version),
        Err(CoreError::Stale { version: now, .. }) => {
            // Someone saved meanwhile. What only they changed is taken; what both changed
            // differently is shown side by side for the user to choose; nothing is lost.
            let theirs = people::get(&s.db, &me.actor, id).await?;
            let their_company = primary_company(&s, &me, &theirs).await?;
            let theirs = Values::from_person(&theirs, their_company);
            let clashes = clashes(&v, &theirs, &base);
            v = merge_untouched(&v, &theirs, &base);
            base = theirs;
            (FormErrors::default(), clashes, now)
        }
        Err(e) => return Err(e.into()),
    };
    let others_list = FormPage::shown(&errors, &v);
    let status = if clashes.is_empty() && errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::CONFLICT
    };
    Ok(render_with(
        status,
        &FormPage {
            heading: me
                .tr
                .fill("person.edit", &[("name", &current.display_name)]),
            ctx: me.ctx("people"),
            action: format!("/people/{}/edit", id.0),
            cancel: format!("/people/{}", id.0),
            v,
            base,
            errors,
            others: others_list,
            version: Some(version),
            clashes,
            stages: stages(),
        },
    ))
}

/// The user's values, except where they left the field as it was and the other person
/// changed it: there the other person's value stands.
fn merge_untouched(mine: &Values, theirs: &Values, base: &Values) -> Values {
    macro_rules! pick {
        ($($f:ident),*) => { Values { $($f: if mine.$f == base.$f { theirs.$f.clone() } else { mine.$f.clone() },)* } };
    }
    pick!(
        civility,
        first_name,
        last_name,
        job_title,
        company,
        emails,
        phones,
        birthday,
        stage,
        source,
        language,
        tags,
        notes,
        street,
        postal_code,
        city,
        country
    )
}

/// A moment as the page shows it.
pub struct When {
    pub iso: String,
    pub text: String,
}

impl When {
    pub fn of(tr: Tr, t: &chrono::DateTime<chrono::Utc>) -> When {
        When {
            iso: t.to_rfc3339(),
            text: tr.datetime(t),
        }
    }
}

/// A line of the person's facts: a label and a value.
pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    ctx: Ctx,
    p: PersonView,
    stage_key: &'static str,
    companies: Vec<(String, String)>,
    owner: Option<String>,
    facts: Vec<Fact>,
    consents: Vec<(&'static str, &'static str)>,
    timeline: Vec<timeline::Item>,
    older: Option<String>,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    tasks: Vec<timeline::TaskLine>,
    log: LogForm,
    task: TaskForm,
    created: When,
    counts: String,
}

pub(crate) async fn person_page(
    s: &AppState,
    me: &Signed,
    id: PersonId,
    params: &[(String, String)],
    log: LogForm,
    task: TaskForm,
) -> UiResult<axum::response::Response> {
    let kind = params
        .iter()
        .find(|(k, _)| k == "kind")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let cursor: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k == "cursor")
        .cloned()
        .collect();
    let mut page_params = cursor.clone();
    page_params.push(("limit".into(), "20".into()));
    let o: PersonOverview = overview::person(&s.db, &me.actor, id, &page_params).await?;
    let (items, next) = if kind.is_empty() {
        (o.timeline.items, o.timeline.next_cursor)
    } else {
        let mut p = page_params.clone();
        p.push(("person_id".into(), id.0.to_string()));
        p.push(("kind".into(), kind.clone()));
        let page = interactions::list(&s.db, &me.actor, &p).await?;
        (page.items, page.next_cursor)
    };
    let users: HashMap<UserId, String> = users::list(&s.db, &me.actor)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let tr = me.tr;
    let older = next.map(|c| {
        format!(
            "/people/{}?{}#timeline",
            id.0,
            query(&[("kind", &kind), ("cursor", &c)])
        )
    });
    let d = &o.person.data;
    let mut facts = Vec::new();
    let mut add = |label: &'static str, value: String| {
        if !value.is_empty() {
            facts.push(Fact { label, value });
        }
    };
    add("person.job_title", d.job_title.clone().unwrap_or_default());
    add(
        "person.emails",
        d.emails
            .iter()
            .map(|e| e.address.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    );
    add(
        "person.phones",
        d.phones
            .iter()
            .map(|n| n.number.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    );
    add(
        "person.birthday",
        d.birthday
            .map(|b| match b.year {
                Some(y) => format!("{} {y}", tr.day_month(b.day.into(), b.month.into())),
                None => tr.day_month(b.day.into(), b.month.into()),
            })
            .unwrap_or_default(),
    );
    for a in &d.addresses {
        add(
            "person.address",
            [&a.street, &a.postal_code, &a.city, &a.country]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    add("person.language", d.language.clone().unwrap_or_default());
    add("person.source", d.source.clone().unwrap_or_default());
    for (k, v) in &d.custom {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Bool(true) => tr.t("form.yes").into(),
            Value::Bool(false) => tr.t("form.no").into(),
            other => other.to_string(),
        };
        facts.push(Fact {
            label: "",
            value: format!("{k}: {text}"),
        });
    }
    let consents = o
        .consents
        .iter()
        .map(|c| {
            (
                timeline::channel_key(c.channel.as_str()),
                timeline::consent_key(c.status.as_str()),
            )
        })
        .collect();
    let total = o.counts.interactions;
    let page = PersonPage {
        ctx: me.ctx("people"),
        stage_key: stage_key(d.stage),
        companies: o
            .companies
            .iter()
            .map(|c| (c.id.0.to_string(), c.data.name.clone()))
            .collect(),
        owner: d.owner_id.and_then(|u| users.get(&u).cloned()),
        facts,
        consents,
        timeline: items
            .iter()
            .map(|i| timeline::Item::of(tr, i, &users))
            .collect(),
        older,
        kinds: timeline::kinds(),
        kind,
        tasks: o
            .open_tasks
            .iter()
            .map(|t| timeline::TaskLine::of(tr, t, &users))
            .collect(),
        log,
        task,
        created: When::of(tr, &o.person.created_at),
        counts: tr.fill("person.interaction_count", &[("n", &tr.number(total))]),
        p: o.person,
    };
    let status = if page.log.errors.any() || page.task.errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render_with(status, &page))
}

async fn show(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    parts: axum::http::request::Parts,
) -> UiResult {
    let id = parse_person(&id)?;
    let params: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    person_page(&s, &me, id, &params, LogForm::new(), TaskForm::default()).await
}

async fn delete(State(s): State<AppState>, me: Signed, Path(id): Path<String>) -> UiResult {
    let id = parse_person(&id)?;
    people::delete(&s.db, &me.actor, id).await?;
    Ok(see_other(&format!("/people/{}", id.0)))
}

async fn restore(State(s): State<AppState>, me: Signed, Path(id): Path<String>) -> UiResult {
    let id = parse_person(&id)?;
    people::restore(&s.db, &me.actor, id).await?;
    Ok(see_other(&format!("/people/{}", id.0)))
}
