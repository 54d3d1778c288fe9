//! Companies: the list, the 360° page (facts, group, people, timeline, tasks), the create and
//! edit forms, the trash.
use super::edit::{self, Edited, Posted, Refused, Shown, UsersAndFields};
use super::facts::{Fact, custom_facts};
use super::form::FormErrors;
use super::i18n::Tr;
use super::list_page::{self, Cell, Column, FilterField, Input, Listed, Row, Texts};
use super::record_form::Choice;
use super::record_form::{self, Spec, Values, Widget, shared};
use super::session::Signed;
use super::timeline::{self, LogForm, TaskForm, Timelined};
use super::{Ctx, UiError, UiResult, render_with};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::routing::get;
use relais_core::companies::{self, Companies, CompanyView};
use relais_core::overview;
use relais_core::records;
use relais_domain::CompanyId;
use relais_domain::company::{CompanyDraft, SIZES};
use relais_domain::custom::Entity;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    list_page::routes::<Companies>()
        .merge(edit::routes::<Companies>())
        .merge(timeline::routes::<Companies>())
        .route("/companies/{id}", get(show))
}

fn parse_company(raw: &str) -> UiResult<CompanyId> {
    CompanyId::parse(raw).map_err(|_| UiError::NotFound)
}

fn all_params(parts: &Parts) -> Vec<(String, String)> {
    form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The size brackets, as a select lists them: (value, message key).
fn sizes() -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("", "size.unknown")];
    v.extend(SIZES.iter().map(|s| {
        (
            *s,
            match *s {
                "1-9" => "size.1_9",
                "10-49" => "size.10_49",
                "50-249" => "size.50_249",
                "250-999" => "size.250_999",
                "1000-4999" => "size.1000_4999",
                _ => "size.5000",
            },
        )
    }));
    v
}

impl Listed for Companies {
    const PLURAL: &'static str = "companies";
    const TEXTS: Texts = Texts {
        title: "companies.title",
        trash: "companies.trash",
        new: "company.new",
        none: "companies.none",
        search_hint: "companies.search_hint",
        filter_hint: "filter.text_hint_companies",
        actions: "bulk.title_companies",
        done: "bulk.done_companies",
    };
    const CUSTOM: Option<Entity> = Some(Entity::COMPANY);

    fn filters() -> Vec<FilterField> {
        let sizes = sizes()
            .into_iter()
            .filter(|(v, _)| !v.is_empty())
            .map(|(v, k)| Choice::key(v, k))
            .collect();
        let mut filters = vec![
            FilterField {
                name: "industry",
                label: "company.industry",
                input: Input::Text,
            },
            FilterField {
                name: "size",
                label: "company.size",
                input: Input::Choice(sizes),
            },
        ];
        filters.extend(list_page::owner_tag_city());
        // The subsidiaries of a group, reached from its page; not asked in the form.
        filters.push(FilterField {
            name: "parent_id",
            label: "company.parent",
            input: Input::Hidden,
        });
        filters
    }

    fn columns() -> Vec<Column> {
        vec![
            Column {
                label: "company.industry",
                optional: false,
            },
            Column {
                label: "company.size",
                optional: true,
            },
            Column {
                label: "person.city",
                optional: false,
            },
            Column {
                label: "company.website",
                optional: true,
            },
        ]
    }

    async fn rows(_s: &AppState, _me: &Signed, items: &[CompanyView]) -> UiResult<Vec<Row>> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Ok(items
            .iter()
            .map(|c| Row {
                id: c.id.0,
                name: c.data.name.clone(),
                cells: vec![
                    Cell::Text(text(&c.data.industry)),
                    Cell::Text(text(&c.data.size)),
                    Cell::Text(text(&c.data.addresses.iter().find_map(|a| a.city.clone()))),
                    Cell::Web(text(&c.data.website)),
                ],
            })
            .collect())
    }
}

fn specs(x: &UsersAndFields) -> Vec<Spec> {
    let mut s = vec![
        Spec::new("name", "company.name", Widget::Text),
        Spec::new("industry", "company.industry", Widget::Text),
        Spec::new("size", "company.size", record_form::options(sizes())),
        Spec::new("parent", "company.parent", Widget::Text),
        Spec::new("siren", "company.siren", Widget::Text),
        Spec::new("siret", "company.siret", Widget::Text),
        Spec::new("vat_number", "company.vat_number", Widget::Text),
        Spec::new("website", "company.website", Widget::Text),
        Spec::new("email", "company.email", Widget::Email),
        Spec::new("phone", "company.phone", Widget::Tel),
    ];
    s.extend(shared::address());
    s.extend([
        shared::owner(&x.users, "person.owner"),
        Spec::new("tags", "person.tags", Widget::Text),
    ]);
    s.extend(shared::custom(&x.defs, Entity::COMPANY));
    s.push(Spec::new("notes", "person.notes", Widget::Textarea));
    s
}

fn values_of(c: &CompanyView, parent: String) -> Values {
    let d = &c.data;
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut v = Values::default();
    v.set("name", d.name.clone());
    v.set("industry", text(&d.industry));
    v.set("size", text(&d.size));
    v.set("parent", parent);
    v.set(
        "siren",
        d.siren
            .as_ref()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default(),
    );
    v.set(
        "siret",
        d.siret
            .as_ref()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default(),
    );
    v.set(
        "vat_number",
        d.vat_number
            .as_ref()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default(),
    );
    v.set("website", text(&d.website));
    v.set(
        "email",
        d.email
            .as_ref()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default(),
    );
    v.set(
        "phone",
        d.phone
            .as_ref()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default(),
    );
    shared::address_values(&mut v, &d.addresses);
    shared::tags_value(&mut v, &d.tags);
    v.set("notes", text(&d.notes));
    shared::owner_value(&mut v, d.owner_id);
    shared::custom_values(&mut v, &d.custom);
    v
}

/// The company as the services read it; `parent` is the group found by its name. An empty
/// SIREN with a SIRET is the SIRET's (the service derives it).
fn to_draft(
    v: &Values,
    specs: &[Spec],
    parent: Option<CompanyId>,
    current: Option<&relais_domain::company::CompanyData>,
    tr: Tr,
) -> Result<CompanyDraft, FormErrors> {
    let mut errors = FormErrors::default();
    let owner_id = shared::owner_of(v, &mut errors, tr);
    if errors.any() {
        return Err(errors);
    }
    let current_addresses = current.map_or(&[][..], |c| &c.addresses[..]);
    Ok(CompanyDraft {
        name: v.opt("name"),
        siren: v.opt("siren"),
        siret: v.opt("siret"),
        vat_number: v.opt("vat_number"),
        industry: v.opt("industry"),
        size: v.opt("size"),
        website: v.opt("website"),
        email: v.opt("email"),
        phone: v.opt("phone"),
        addresses: shared::addresses(v, current_addresses, "office"),
        parent_id: parent,
        owner_id,
        tags: shared::tags(v),
        notes: v.opt("notes"),
        custom: shared::custom_of(v, specs),
    })
}

/// The group named in the form: none, one found by its name, or an error on `parent`.
async fn parent_of(
    s: &AppState,
    me: &Signed,
    v: &Values,
) -> UiResult<Result<Option<CompanyId>, FormErrors>> {
    let name = v.get("parent");
    if name.is_empty() {
        return Ok(Ok(None));
    }
    Ok(
        match companies::find_by_name(&s.db, &me.actor, name).await? {
            Some(id) => Ok(Some(id)),
            None => {
                let mut e = FormErrors::default();
                e.add("parent", me.tr.t("company.no_such_parent"));
                Err(e)
            }
        },
    )
}

impl Edited for Companies {
    type Extra = UsersAndFields;
    const NEW: &'static str = "company.new";
    const EDIT: &'static str = "company.edit";

    async fn extra(s: &AppState, me: &Signed) -> UiResult<UsersAndFields> {
        UsersAndFields::load(s, me).await
    }

    fn specs(x: &UsersAndFields, _shown: Shown<'_, Companies>) -> Vec<Spec> {
        specs(x)
    }

    async fn values(s: &AppState, me: &Signed, c: &CompanyView) -> UiResult<Values> {
        Ok(values_of(c, parent_name(s, me, c).await?))
    }

    fn name(c: &CompanyView) -> String {
        c.data.name.clone()
    }

    async fn save(
        s: &AppState,
        me: &Signed,
        form: Posted<'_, Companies>,
    ) -> UiResult<Result<CompanyView, Refused>> {
        let parent = match parent_of(s, me, form.values).await? {
            Ok(p) => p,
            Err(errors) => return Ok(Err(Refused::Form(errors))),
        };
        let current = form.current.map(|(c, _)| &c.data);
        let draft = match to_draft(form.values, form.specs, parent, current, me.tr) {
            Ok(draft) => draft,
            Err(errors) => return Ok(Err(Refused::Form(errors))),
        };
        let saved = match form.current {
            None => records::create::<Companies>(&s.db, &me.actor, &draft).await,
            Some((c, etag)) => {
                records::replace::<Companies>(&s.db, &me.actor, c.id, draft, Some(etag)).await
            }
        };
        Ok(saved.map_err(Refused::Core))
    }
}

async fn parent_name(s: &AppState, me: &Signed, c: &CompanyView) -> UiResult<String> {
    let Some(p) = c.data.parent_id else {
        return Ok(String::new());
    };
    Ok(companies::names(&s.db, &me.actor, &[p])
        .await?
        .remove(&p)
        .unwrap_or_default())
}

struct Member {
    id: String,
    name: String,
    job_title: String,
    email: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "company.html")]
struct CompanyPage {
    ctx: Ctx,
    c: CompanyView,
    facts: Vec<Fact>,
    parent: Option<(String, String)>,
    subsidiaries: Vec<(String, String)>,
    people: Vec<Member>,
    people_count: String,
    panel: timeline::Panel,
}

impl Timelined for Companies {
    fn link(id: CompanyId, body: &mut Value, _interaction: bool) {
        body["company_id"] = json!(id.0);
    }

    async fn page(
        s: &AppState,
        me: &Signed,
        id: CompanyId,
        log: LogForm,
        task: TaskForm,
    ) -> UiResult {
        company_page(s, me, id, &[], log, task).await
    }
}

async fn company_page(
    s: &AppState,
    me: &Signed,
    id: CompanyId,
    params: &[(String, String)],
    log: LogForm,
    task: TaskForm,
) -> UiResult {
    let (kind, asked) = timeline::Panel::params(params);
    let o = overview::company(&s.db, &me.actor, id, &asked).await?;
    let users = timeline::user_names(s, me).await?;
    let tr = me.tr;
    let panel = timeline::Panel::new(
        tr,
        &users,
        (format!("/companies/{}", id.0), kind),
        (log, task),
        timeline::Read {
            timeline: &o.timeline,
            tasks: &o.open_tasks,
            interactions: o.counts.interactions,
            created_at: &o.company.created_at,
            in_trash: o.company.deleted_at.is_some(),
        },
    );
    let d = &o.company.data;
    let mut facts: Vec<Fact> = Vec::new();
    let mut add = |label: &'static str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            facts.push(Fact {
                label: record_form::Label::Key(label),
                value: v,
            });
        }
    };
    add("company.industry", d.industry.clone());
    add("company.size", d.size.clone());
    add(
        "company.siren",
        d.siren.as_ref().map(|x| x.as_str().to_string()),
    );
    add(
        "company.siret",
        d.siret.as_ref().map(|x| x.as_str().to_string()),
    );
    add(
        "company.vat_number",
        d.vat_number.as_ref().map(|x| x.as_str().to_string()),
    );
    add(
        "company.email",
        d.email.as_ref().map(|x| x.as_str().to_string()),
    );
    add(
        "company.phone",
        d.phone.as_ref().map(|x| x.as_str().to_string()),
    );
    for a in &d.addresses {
        add(
            "person.address",
            Some(
                [&a.street, &a.postal_code, &a.city, &a.country]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        );
    }
    add(
        "person.owner",
        d.owner_id.and_then(|u| users.get(&u).cloned()),
    );
    let defs = relais_core::custom_fields::list(&s.db, &me.actor).await?;
    facts.extend(custom_facts(tr, &defs, Entity::COMPANY, &d.custom));
    let page = CompanyPage {
        ctx: me.ctx("companies"),
        facts,
        parent: o
            .parent
            .as_ref()
            .map(|p| (p.id.0.to_string(), p.data.name.clone())),
        subsidiaries: o
            .subsidiaries
            .iter()
            .map(|c| (c.id.0.to_string(), c.data.name.clone()))
            .collect(),
        people: o
            .people
            .iter()
            .map(|p| Member {
                id: p.id.0.to_string(),
                name: p.display_name.clone(),
                job_title: p.data.job_title.clone().unwrap_or_default(),
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
            })
            .collect(),
        people_count: tr.number(o.counts.people as i64),
        panel,
        c: o.company,
    };
    Ok(render_with(page.panel.status(), &page))
}

async fn show(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    parts: Parts,
) -> UiResult {
    let id = parse_company(&id)?;
    company_page(
        &s,
        &me,
        id,
        &all_params(&parts),
        LogForm::new(),
        TaskForm::default(),
    )
    .await
}
