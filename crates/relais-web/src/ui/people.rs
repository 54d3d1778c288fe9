//! People: the list, the 360° page, the create and edit forms (an edit that meets a change
//! made meanwhile shows both versions), the trash and the restore.
use super::edit::{self, Edited, Posted, Refused, Shown, UsersAndFields};
use super::facts::{Fact, When, custom_facts};
use super::form::{Fields, FormErrors};
use super::i18n::Tr;
use super::list_page;
use super::record_form::{self, Spec, Values, Widget, shared};
use super::session::Signed;
use super::timeline::{self, LogForm, TaskForm, Timelined};
use super::{Ctx, UiError, UiResult, render_with};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use relais_core::companies;
use relais_core::overview::{self, PersonOverview};
use relais_core::people::People;
use relais_core::people::{self, PersonView};
use relais_domain::custom::Entity;
use relais_domain::person::{EmailEntry, PersonDraft, PhoneEntry, Stage};
use relais_domain::{PersonId, Role, UserId};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    list_page::routes::<People>()
        .merge(edit::routes::<People>())
        .merge(timeline::routes::<People>())
        .route("/people/{id}", get(show))
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

fn channels() -> Vec<(&'static str, &'static str)> {
    vec![
        ("", "form.unknown"),
        ("email", "channel.email"),
        ("sms", "channel.sms"),
        ("phone", "channel.phone"),
        ("post", "channel.post"),
    ]
}

/// The inputs of the person form, with `emails` and `phones` inputs for those lists.
fn specs(emails: usize, phones: usize, x: &UsersAndFields) -> Vec<Spec> {
    let mut s = vec![
        Spec::new("civility", "person.civility", Widget::Text),
        Spec::new("first_name", "person.first_name", Widget::Text),
        Spec::new("last_name", "person.last_name", Widget::Text),
        Spec::new("job_title", "person.job_title", Widget::Text),
        Spec::new("company", "person.company", Widget::Text),
        Spec::new("birthday", "person.birthday", Widget::Text),
    ];
    s.extend((0..emails).map(|i| {
        Spec::new(
            format!("emails[{i}].address"),
            "person.email",
            Widget::Email,
        )
    }));
    s.extend(
        (0..phones).map(|i| Spec::new(format!("phones[{i}].number"), "person.phone", Widget::Tel)),
    );
    s.extend(shared::address());
    s.extend([
        Spec::new("stage", "person.stage", record_form::options(stages())),
        shared::owner(&x.users, "person.owner"),
        Spec::new(
            "preferred_channel",
            "person.preferred_channel",
            record_form::options(channels()),
        ),
        Spec::new("source", "person.source", Widget::Text),
        Spec::new("language", "person.language", Widget::Text),
        Spec::new("tags", "person.tags", Widget::Text),
    ]);
    s.extend(shared::custom(&x.defs, Entity::PERSON));
    s.push(Spec::new("notes", "person.notes", Widget::Textarea));
    s
}

/// The inputs a posted person form had: as many e-mails and phones as it sent.
fn posted_specs(f: &Fields, x: &UsersAndFields) -> Vec<Spec> {
    let count = |list: &str| {
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
    };
    // A form never shows more than a few; a forged one does not get to allocate millions.
    let count = |list: &str| count(list).clamp(SLOTS, MAX_SLOTS);
    specs(count("emails"), count("phones"), x)
}

/// The most e-mail or phone inputs a form is read with.
const MAX_SLOTS: usize = 20;

/// Inputs shown for e-mails and phones on a new person.
const SLOTS: usize = 2;

/// A stored person as the form shows it.
fn values_of(p: &PersonView, company: String) -> Values {
    let d = &p.data;
    let mut v = Values::default();
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    v.set("civility", text(&d.civility));
    v.set("first_name", text(&d.first_name));
    v.set("last_name", text(&d.last_name));
    v.set("job_title", text(&d.job_title));
    v.set("company", company);
    v.set(
        "birthday",
        d.birthday
            .map(|b| match b.year {
                Some(y) => format!("{:02}/{:02}/{y}", b.day, b.month),
                None => format!("{:02}/{:02}", b.day, b.month),
            })
            .unwrap_or_default(),
    );
    for (i, e) in d.emails.iter().enumerate() {
        v.set(&format!("emails[{i}].address"), e.address.as_str());
    }
    for (i, n) in d.phones.iter().enumerate() {
        v.set(&format!("phones[{i}].number"), n.number.as_str());
    }
    shared::address_values(&mut v, &d.addresses);
    v.set("stage", d.stage.as_str());
    v.set("source", text(&d.source));
    v.set("language", text(&d.language));
    shared::tags_value(&mut v, &d.tags);
    v.set("notes", text(&d.notes));
    v.set(
        "preferred_channel",
        d.preferred_channel.map(|c| c.as_str()).unwrap_or_default(),
    );
    shared::owner_value(&mut v, d.owner_id);
    shared::custom_values(&mut v, &d.custom);
    v
}

/// The person as the services read it. Empty inputs are null, so an edit can clear a field.
/// What the form does not show of `current` is kept: the kinds of e-mails and phones (found
/// by value, else by position), the first address's kind and region, the other addresses.
fn to_draft(
    v: &Values,
    specs: &[Spec],
    current: Option<&relais_domain::person::PersonData>,
    tr: Tr,
) -> Result<PersonDraft, FormErrors> {
    let emails = v
        .list("emails", ".address")
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let known = current.and_then(|c| {
                c.emails
                    .iter()
                    .find(|x| x.address.as_str().eq_ignore_ascii_case(&e))
                    .or_else(|| c.emails.get(i))
            });
            EmailEntry {
                kind: known.map_or("other", |k| k.kind.as_str()).to_string(),
                address: e,
            }
        })
        .collect();
    let phones = v
        .list("phones", ".number")
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let parsed = relais_domain::Phone::parse(&p).ok();
            let known = current.and_then(|c| {
                c.phones
                    .iter()
                    .find(|x| Some(&x.number) == parsed.as_ref())
                    .or_else(|| c.phones.get(i))
            });
            PhoneEntry {
                kind: known.map_or("other", |k| k.kind.as_str()).to_string(),
                number: p,
            }
        })
        .collect();
    let mut errors = FormErrors::default();
    let owner_id = shared::owner_of(v, &mut errors, tr);
    if errors.any() {
        return Err(errors);
    }
    let current_addresses = current.map_or(&[][..], |c| &c.addresses[..]);
    Ok(PersonDraft {
        civility: v.opt("civility"),
        first_name: v.opt("first_name"),
        last_name: v.opt("last_name"),
        job_title: v.opt("job_title"),
        // The form shows the primary company only; the other links stay.
        companies: current.map(|c| c.companies.clone()).unwrap_or_default(),
        emails,
        phones,
        addresses: shared::addresses(v, current_addresses, "work"),
        birthday: v.opt("birthday"),
        language: v.opt("language"),
        preferred_channel: v.opt("preferred_channel"),
        stage: v.opt("stage"),
        source: v.opt("source"),
        owner_id,
        tags: shared::tags(v),
        notes: v.opt("notes"),
        custom: shared::custom_of(v, specs),
    })
}

impl Edited for People {
    type Extra = UsersAndFields;
    const NEW: &'static str = "person.new";
    const EDIT: &'static str = "person.edit";
    const HINT: Option<&'static str> = Some("person.birthday_hint");

    async fn extra(s: &AppState, me: &Signed) -> UiResult<UsersAndFields> {
        UsersAndFields::load(s, me).await
    }

    fn specs(x: &UsersAndFields, shown: Shown<'_, People>) -> Vec<Spec> {
        match shown {
            Shown::New => specs(SLOTS, SLOTS, x),
            Shown::Stored(p) => specs(
                record_form::slots(p.data.emails.len(), SLOTS),
                record_form::slots(p.data.phones.len(), SLOTS),
                x,
            ),
            Shown::Posted(f) => posted_specs(f, x),
        }
    }

    fn blank(v: &mut Values) {
        v.set("stage", "lead");
    }

    async fn values(s: &AppState, me: &Signed, p: &PersonView) -> UiResult<Values> {
        Ok(values_of(p, primary_company(s, me, p).await?))
    }

    fn name(p: &PersonView) -> String {
        p.display_name.clone()
    }

    async fn save(
        s: &AppState,
        me: &Signed,
        form: Posted<'_, People>,
    ) -> UiResult<Result<PersonView, Refused>> {
        let v = form.values;
        let draft = match to_draft(v, form.specs, form.current.map(|(c, _)| &c.data), me.tr) {
            Ok(draft) => draft,
            Err(errors) => return Ok(Err(Refused::Form(errors))),
        };
        let saved = match form.current {
            None => people::create_at(&s.db, &me.actor, draft, Some(v.get("company"))).await,
            Some((current, etag)) => {
                // The company is looked up by name only when the user changed it: two
                // companies may share a name, and the one linked must stay.
                let moved =
                    (v.get("company") != form.base.get("company")).then(|| v.get("company"));
                people::replace_at(&s.db, &me.actor, current.id, draft, Some(etag), moved).await
            }
        };
        Ok(saved.map_err(Refused::Core))
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
    consent_channels: Vec<(&'static str, &'static str)>,
    /// The stages the person went through, newest first: (stage's message key, when, by whom).
    stages: Vec<(&'static str, When, Option<String>)>,
    panel: timeline::Panel,
}

impl Timelined for People {
    /// An interaction lists the people who took part; a task is on one person.
    fn link(id: PersonId, body: &mut Value, interaction: bool) {
        match interaction {
            true => body["person_ids"] = json!([id.0]),
            false => body["person_id"] = json!(id.0),
        }
    }

    async fn page(
        s: &AppState,
        me: &Signed,
        id: PersonId,
        log: LogForm,
        task: TaskForm,
    ) -> UiResult {
        person_page(s, me, id, &[], log, task).await
    }
}

async fn person_page(
    s: &AppState,
    me: &Signed,
    id: PersonId,
    params: &[(String, String)],
    log: LogForm,
    task: TaskForm,
) -> UiResult<axum::response::Response> {
    let (kind, asked) = timeline::Panel::params(params);
    let o: PersonOverview = overview::person(&s.db, &me.actor, id, &asked).await?;
    let users = timeline::user_names(s, me).await?;
    let tr = me.tr;
    let panel = timeline::Panel::new(
        tr,
        &users,
        (format!("/people/{}", id.0), kind),
        (log, task),
        timeline::Read {
            timeline: &o.timeline,
            tasks: &o.open_tasks,
            interactions: o.counts.interactions,
            created_at: &o.person.created_at,
            in_trash: o.person.deleted_at.is_some(),
        },
    );
    let d = &o.person.data;
    let mut facts = Vec::new();
    let mut add = |label: &'static str, value: String| {
        if !value.is_empty() {
            facts.push(Fact {
                label: record_form::Label::Key(label),
                value,
            });
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
    let defs = relais_core::custom_fields::list(&s.db, &me.actor).await?;
    facts.extend(custom_facts(tr, &defs, Entity::PERSON, &d.custom));
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
        consent_channels: super::history::consent_channels(),
        stages: o
            .stage_history
            .iter()
            .rev()
            .map(|c| {
                let key = Stage::parse(&c.to_stage)
                    .map(stage_key)
                    .unwrap_or("stage.lead");
                let by = c.changed_by.and_then(|u| users.get(&UserId(u)).cloned());
                (key, When::of(tr, &c.changed_at), by)
            })
            .collect(),
        panel,
        p: o.person,
    };
    Ok(render_with(page.panel.status(), &page))
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
