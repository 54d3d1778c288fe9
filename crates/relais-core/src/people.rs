//! Use cases on people: create, read, patch, trash, restore, purge, list, the 360° overview,
//! consent and history.
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::record::{self, ListPage};
use chrono::{DateTime, Utc};
use relais_domain::custom::Entity;
use relais_domain::filter::{SortKey, schema};
use relais_domain::interaction::ConsentDraft;
use relais_domain::person::{PersonData, PersonDraft};
use relais_domain::{Action, Invalid, PersonId, Resource};
use relais_store::consents::{self, ConsentRecord};
use relais_store::filter::split_search;
use relais_store::owned::CustomWrite;
use relais_store::people::{self as store, PersonRecord, StageChange};
use relais_store::{Db, Tx};
use serde::Serialize;
use serde_json::Value;

/// A person as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    #[schema(value_type = String, format = Uuid)]
    pub id: PersonId,
    /// Name as shown in lists.
    pub display_name: String,
    #[serde(flatten)]
    pub data: PersonData,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while the person is in the trash.
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i64,
}

impl From<PersonRecord> for PersonView {
    fn from(r: PersonRecord) -> Self {
        PersonView {
            id: r.id,
            display_name: r.data.display_name(),
            data: r.data,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            version: r.version,
        }
    }
}

/// Checks a draft completely: its own rules, its custom values, the records it refers to.
pub async fn check(tx: &mut Tx, draft: &PersonDraft) -> Result<(PersonData, Vec<CustomWrite>)> {
    let mut data = draft.validate()?;
    let (writes, normal) = record::resolve_custom(tx, Entity::Person, &data.custom).await?;
    data.custom = normal;
    check_refs(tx, &data).await?;
    Ok((data, writes))
}

async fn check_refs(tx: &mut Tx, d: &PersonData) -> Result<()> {
    let mut errors = Vec::new();
    if let Some(owner) = d.owner_id
        && relais_store::users::get(tx, owner).await?.is_none()
    {
        errors.push(relais_domain::FieldError {
            field: "owner_id".into(),
            message: format!("there is no user {owner}"),
        });
    }
    for (i, c) in d.companies.iter().enumerate() {
        if relais_store::companies::get(tx, c.company_id, false)
            .await?
            .is_none()
        {
            errors.push(relais_domain::FieldError {
                field: format!("companies[{i}].company_id"),
                message: format!("there is no company {}", c.company_id),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Invalid(errors).into())
    }
}

/// Inserts a checked person inside the caller's transaction, with its first stage and audit line.
pub async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    data: &PersonData,
    custom: &[CustomWrite],
) -> Result<PersonId> {
    let id = PersonId::new();
    let now = record::now();
    let person = store::NewPerson { id, data, custom };
    store::insert(tx, person, actor.user, now).await?;
    relais_store::audit::append(tx, actor.user, "person", id.0, "created", &[], now).await?;
    Ok(id)
}

pub async fn create(db: &Db, actor: &Actor, body: Value) -> Result<PersonView> {
    create_at(db, actor, body, None).await
}

/// Puts a company, named as a user typed it, first among a person's companies (found by
/// name, or created in the caller's transaction); an empty name takes the first one away.
async fn work_at(tx: &mut Tx, actor: &Actor, doc: &mut Value, company: &str) -> Result<()> {
    let mut links: Vec<Value> = doc
        .get("companies")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    links.retain(|l| l.get("primary") != Some(&Value::Bool(true)));
    if !company.trim().is_empty() {
        let (id, _) = crate::companies::find_or_create(tx, actor, company.trim())
            .await
            .map_err(|e| match e {
                CoreError::Invalid(_) => {
                    Invalid::one("company", "is not a valid company name").into()
                }
                other => other,
            })?;
        let id = serde_json::to_value(id).unwrap_or_default();
        links.retain(|l| l.get("company_id") != Some(&id));
        let role = doc.get("job_title").cloned().unwrap_or(Value::Null);
        links.insert(
            0,
            serde_json::json!({"company_id": id, "role": role, "primary": true}),
        );
    }
    doc["companies"] = Value::Array(links);
    Ok(())
}

/// Creates a person; with `company`, at that company (see `work_at`), all in one transaction.
pub async fn create_at(
    db: &Db,
    actor: &Actor,
    mut body: Value,
    company: Option<&str>,
) -> Result<PersonView> {
    actor.require(Action::Create, Resource::People)?;
    let mut tx = db.write().await?;
    if let Some(name) = company {
        work_at(&mut tx, actor, &mut body, name).await?;
    }
    let draft: PersonDraft = record::parse_draft(body)?;
    let (data, custom) = check(&mut tx, &draft).await?;
    let id = insert(&mut tx, actor, &data, &custom).await?;
    let view = load(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(view)
}

pub(crate) async fn load(tx: &mut Tx, id: PersonId, include_deleted: bool) -> Result<PersonView> {
    store::get(tx, id, include_deleted)
        .await?
        .map(PersonView::from)
        .ok_or(CoreError::NotFound("person"))
}

pub async fn get(db: &Db, actor: &Actor, id: PersonId) -> Result<PersonView> {
    actor.require(Action::Read, Resource::People)?;
    let mut tx = db.read().await?;
    load(&mut tx, id, true).await
}

/// Applies a JSON merge patch. With `If-Match`, a stale version is refused with the current
/// state; without it, the patch still applies to the state read in this transaction and
/// the write checks that version, so no concurrent change is overwritten.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: PersonId,
    patch: Value,
    if_match: Option<&str>,
) -> Result<PersonView> {
    update_at(db, actor, id, patch, if_match, None).await
}

/// `update`; with `company`, that company becomes the person's first (see `work_at`).
pub async fn update_at(
    db: &Db,
    actor: &Actor,
    id: PersonId,
    patch: Value,
    if_match: Option<&str>,
    company: Option<&str>,
) -> Result<PersonView> {
    actor.require(Action::Update, Resource::People)?;
    let mut tx = db.write().await?;
    let current = load(&mut tx, id, false).await?;
    record::check_if_match(if_match, current.version, &current)?;
    let mut doc = record::apply_patch(&current.data, &patch)?;
    if let Some(name) = company {
        work_at(&mut tx, actor, &mut doc, name).await?;
    }
    let draft: PersonDraft = record::parse_draft(doc)?;
    let (data, custom) = check(&mut tx, &draft).await?;
    if let Err(e) = save(&mut tx, actor, &current, data, &custom).await {
        return Err(record::lost_race(e, tx, async || get(db, actor, id).await).await);
    }
    let view = load(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(view)
}

/// Writes a new version of a person with its audit lines and stage history.
pub async fn save(
    tx: &mut Tx,
    actor: &Actor,
    current: &PersonView,
    data: PersonData,
    custom: &[CustomWrite],
) -> Result<()> {
    let changes = record::diff(&current.data, &data);
    if changes.is_empty() {
        return Ok(());
    }
    let now = record::now();
    store::update(tx, current.id, current.version, &data, custom, now)
        .await
        .map_err(|e| stale(e, current))?;
    if data.stage != current.data.stage {
        store::record_stage(
            tx,
            current.id,
            Some(current.data.stage),
            data.stage,
            actor.user,
            now,
        )
        .await?;
    }
    relais_store::audit::append(
        tx,
        actor.user,
        "person",
        current.id.0,
        "updated",
        &changes,
        now,
    )
    .await?;
    Ok(())
}

fn stale(e: relais_store::StoreError, current: &PersonView) -> CoreError {
    match e {
        relais_store::StoreError::Conflict => CoreError::Stale {
            version: current.version + 1,
            current: serde_json::to_value(current).unwrap_or_default(),
        },
        other => other.into(),
    }
}

/// One change made to many people at once, from a list.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkChange {
    Owner(Option<relais_domain::UserId>),
    Stage(relais_domain::person::Stage),
    AddTag(String),
}

/// Applies one change to each of these people in one transaction: all of them or, on any
/// error, none. Each keeps its own history (audit lines, stage changes). Returns how many
/// people changed.
pub async fn bulk_update(
    db: &Db,
    actor: &Actor,
    ids: &[PersonId],
    change: &BulkChange,
) -> Result<usize> {
    actor.require(Action::Update, Resource::People)?;
    if let BulkChange::AddTag(t) = change
        && (t.trim().is_empty() || t.contains(','))
    {
        return Err(Invalid::one("tags", "is empty or holds a comma").into());
    }
    let mut tx = db.write().await?;
    if let BulkChange::Owner(Some(owner)) = change {
        let user = relais_store::users::get(&mut tx, *owner).await?;
        if !user.is_some_and(|u| u.active) {
            return Err(Invalid::one("owner_id", format!("there is no user {owner}")).into());
        }
    }
    let mut changed = 0;
    for id in ids {
        let current = load(&mut tx, *id, false).await?;
        let mut data = current.data.clone();
        match change {
            BulkChange::Owner(o) => data.owner_id = *o,
            BulkChange::Stage(st) => data.stage = *st,
            BulkChange::AddTag(t) => {
                let key = relais_domain::text::fold(t);
                if !data
                    .tags
                    .iter()
                    .any(|x| relais_domain::text::fold(x) == key)
                {
                    data.tags.push(t.trim().to_string());
                }
            }
        }
        if data == current.data {
            continue;
        }
        // Checked as any other save: the tag's length and characters, the advisor's existence.
        let doc = serde_json::to_value(&data).map_err(|e| CoreError::Internal(e.to_string()))?;
        let draft: PersonDraft = record::parse_draft(doc)?;
        let (data, custom) = check(&mut tx, &draft).await?;
        save(&mut tx, actor, &current, data, &custom).await?;
        changed += 1;
    }
    tx.commit().await?;
    Ok(changed)
}

pub async fn delete(db: &Db, actor: &Actor, id: PersonId) -> Result<()> {
    actor.require(Action::Delete, Resource::People)?;
    set_deleted(db, actor, id, true).await
}

pub async fn restore(db: &Db, actor: &Actor, id: PersonId) -> Result<PersonView> {
    actor.require(Action::Delete, Resource::People)?;
    set_deleted(db, actor, id, false).await?;
    let mut tx = db.read().await?;
    load(&mut tx, id, false).await
}

async fn set_deleted(db: &Db, actor: &Actor, id: PersonId, deleted: bool) -> Result<()> {
    let mut tx = db.write().await?;
    let now = record::now();
    store::set_deleted(&mut tx, id, deleted, now)
        .await
        .map_err(|_| CoreError::NotFound("person"))?;
    let action = if deleted { "deleted" } else { "restored" };
    relais_store::audit::append(&mut tx, actor.user, "person", id.0, action, &[], now).await?;
    tx.commit().await?;
    Ok(())
}

/// Erases a person for good (GDPR erasure): only from the trash, so it is never one click away.
pub async fn purge(db: &Db, actor: &Actor, id: PersonId) -> Result<()> {
    actor.require(Action::Purge, Resource::People)?;
    let mut tx = db.write().await?;
    let p = store::get(&mut tx, id, true)
        .await?
        .ok_or(CoreError::NotFound("person"))?;
    if p.deleted_at.is_none() {
        return Err(CoreError::Conflict(
            "move the person to the trash before purging".into(),
        ));
    }
    store::purge(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// A page of people. `params` are the query parameters: `q`, `sort`, `limit`, `cursor`,
/// `trash=true`, and filters on any field (see `filter::schema::PEOPLE`) or `custom.<key>`, and
/// `filter=` in the segment language.
pub async fn list(
    db: &Db,
    actor: &Actor,
    params: &[(String, String)],
) -> Result<ListPage<PersonView>> {
    actor.require(Action::Read, Resource::People)?;
    let mut tx = db.read().await?;
    let ctx = record::context(&mut tx).await?;
    let (filter, sort, page) = record::list_request(params, &schema::PEOPLE, &ctx)?;
    if sort.key == SortKey::Relevance
        && let Some((q, rest)) = split_search(&filter)
    {
        let rows = store::search(&mut tx, &q, &rest, &page, &ctx).await?;
        return Ok(record::finish_page(
            rows,
            page.limit,
            |(hit, r)| (hit.cursor_value(), r.id.0),
            |(_, r)| PersonView::from(r),
        ));
    }
    let rows = store::list(&mut tx, &filter, sort, &page, &ctx).await?;
    Ok(record::finish_page(
        rows,
        page.limit,
        |r| (sort_value(r, sort.key), r.id.0),
        PersonView::from,
    ))
}

/// How many people a list's filters select (the same parameters as `list`; `limit`,
/// `cursor` and `sort` mean nothing here).
pub async fn count(db: &Db, actor: &Actor, params: &[(String, String)]) -> Result<i64> {
    actor.require(Action::Read, Resource::People)?;
    let mut tx = db.read().await?;
    let ctx = record::context(&mut tx).await?;
    let filter = record::filter_of(params, &schema::PEOPLE, &ctx)?;
    Ok(store::count(&mut tx, &filter, &ctx).await?)
}

fn sort_value(r: &PersonRecord, key: SortKey) -> String {
    match key {
        SortKey::Name | SortKey::Relevance => r.data.sort_key(),
        SortKey::CreatedAt => r.created_at.to_rfc3339(),
        SortKey::UpdatedAt => r.updated_at.to_rfc3339(),
    }
}

/// The consent history of a person and the current status per channel.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Consents {
    pub current: Vec<ConsentRecord>,
    pub history: Vec<ConsentRecord>,
}

pub async fn consents(db: &Db, actor: &Actor, id: PersonId) -> Result<Consents> {
    actor.require(Action::Read, Resource::People)?;
    let mut tx = db.read().await?;
    load(&mut tx, id, true).await?;
    let history = consents::history(&mut tx, id).await?;
    Ok(Consents {
        current: consents::current(&history),
        history,
    })
}

pub async fn record_consent(db: &Db, actor: &Actor, id: PersonId, body: Value) -> Result<Consents> {
    actor.require(Action::Update, Resource::People)?;
    let draft: ConsentDraft = record::parse_draft(body)?;
    let data = draft.validate()?;
    let mut tx = db.write().await?;
    load(&mut tx, id, false).await?;
    let now = record::now();
    consents::insert(&mut tx, id, &data, actor.user, now).await?;
    let change = relais_store::audit::Change {
        field: Some(format!("consent.{}", data.channel.as_str())),
        old_value: None,
        new_value: Some(data.status.as_str().to_string()),
    };
    relais_store::audit::append(
        &mut tx,
        actor.user,
        "person",
        id.0,
        "consent",
        &[change],
        now,
    )
    .await?;
    tx.commit().await?;
    consents(db, actor, id).await
}

pub async fn stage_history(db: &Db, actor: &Actor, id: PersonId) -> Result<Vec<StageChange>> {
    actor.require(Action::Read, Resource::People)?;
    let mut tx = db.read().await?;
    load(&mut tx, id, true).await?;
    Ok(store::stage_history(&mut tx, id).await?)
}
