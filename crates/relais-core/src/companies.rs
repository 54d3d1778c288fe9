//! Use cases on companies: the same life as people (create, patch, trash, restore, purge, list).
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::record::{self, ListPage};
use chrono::{DateTime, Utc};
use relais_domain::company::{CompanyData, CompanyDraft};
use relais_domain::custom::Entity;
use relais_domain::filter::{SortKey, schema};
use relais_domain::{Action, CompanyId, FieldError, Invalid, Resource};
use relais_store::companies::{self as store, CompanyRecord};
use relais_store::filter::split_search;
use relais_store::owned::CustomWrite;
use relais_store::{Db, Tx};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompanyView {
    #[schema(value_type = String, format = Uuid)]
    pub id: CompanyId,
    #[serde(flatten)]
    pub data: CompanyData,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i64,
}

impl From<CompanyRecord> for CompanyView {
    fn from(r: CompanyRecord) -> Self {
        CompanyView {
            id: r.id,
            data: r.data,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            version: r.version,
        }
    }
}

pub async fn check(
    tx: &mut Tx,
    draft: &CompanyDraft,
    own_id: Option<CompanyId>,
) -> Result<(CompanyData, Vec<CustomWrite>)> {
    let mut data = draft.validate()?;
    let (writes, normal) = record::resolve_custom(tx, Entity::Company, &data.custom).await?;
    data.custom = normal;
    let mut errors = Vec::new();
    if let Some(owner) = data.owner_id
        && relais_store::users::get(tx, owner).await?.is_none()
    {
        errors.push(FieldError {
            field: "owner_id".into(),
            message: format!("there is no user {owner}"),
        });
    }
    if let Some(parent) = data.parent_id {
        if Some(parent) == own_id || is_descendant(tx, parent, own_id).await? {
            errors.push(FieldError {
                field: "parent_id".into(),
                message: "a company cannot be its own parent, even through its subsidiaries".into(),
            });
        } else if store::get(tx, parent, false).await?.is_none() {
            errors.push(FieldError {
                field: "parent_id".into(),
                message: format!("there is no company {parent}"),
            });
        }
    }
    if errors.is_empty() {
        Ok((data, writes))
    } else {
        Err(Invalid(errors).into())
    }
}

/// Whether `candidate` sits below `company` in its group: then it can't become its parent.
async fn is_descendant(
    tx: &mut Tx,
    candidate: CompanyId,
    company: Option<CompanyId>,
) -> Result<bool> {
    let Some(company) = company else {
        return Ok(false);
    };
    let mut frontier = vec![company];
    let mut seen = 0;
    while let Some(c) = frontier.pop() {
        for child in store::children(tx, c).await? {
            if child == candidate {
                return Ok(true);
            }
            frontier.push(child);
        }
        seen += 1;
        if seen > 10_000 {
            break;
        }
    }
    Ok(false)
}

pub async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    data: &CompanyData,
    custom: &[CustomWrite],
) -> Result<CompanyId> {
    let id = CompanyId::new();
    let now = record::now();
    store::insert(tx, id, data, custom, now).await?;
    relais_store::audit::append(tx, actor.user, "company", id.0, "created", &[], now).await?;
    Ok(id)
}

/// The company a user or a file names: the one of that name (folded), or a new one. The
/// bool says whether it was created. A name that is not a valid company name is an
/// `Invalid` on `name`.
pub async fn find_or_create(tx: &mut Tx, actor: &Actor, name: &str) -> Result<(CompanyId, bool)> {
    let draft = CompanyDraft {
        name: Some(name.to_string()),
        ..Default::default()
    };
    let data = draft.validate()?;
    if let Some(id) = store::find_matches(tx, &data).await?.first() {
        return Ok((*id, false));
    }
    actor.require(Action::Create, Resource::Companies)?;
    Ok((insert(tx, actor, &data, &[]).await?, true))
}

/// The live company of this name (folded: "societe generale" finds "Société Générale").
pub async fn find_by_name(db: &Db, actor: &Actor, name: &str) -> Result<Option<CompanyId>> {
    actor.require(Action::Read, Resource::Companies)?;
    let draft = CompanyDraft {
        name: Some(name.to_string()),
        ..Default::default()
    };
    let Ok(data) = draft.validate() else {
        return Ok(None);
    };
    let mut tx = db.read().await?;
    Ok(store::find_matches(&mut tx, &data).await?.first().copied())
}

/// The names of these companies (those not in the trash), by id: what lists of people show.
pub async fn names(
    db: &Db,
    actor: &Actor,
    ids: &[CompanyId],
) -> Result<std::collections::HashMap<CompanyId, String>> {
    actor.require(Action::Read, Resource::Companies)?;
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut tx = db.read().await?;
    Ok(store::get_many(&mut tx, ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c.data.name))
        .collect())
}

pub async fn create(db: &Db, actor: &Actor, body: Value) -> Result<CompanyView> {
    actor.require(Action::Create, Resource::Companies)?;
    let draft: CompanyDraft = record::parse_draft(body)?;
    let mut tx = db.write().await?;
    let (data, custom) = check(&mut tx, &draft, None).await?;
    let id = insert(&mut tx, actor, &data, &custom).await?;
    let view = load(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(view)
}

pub(crate) async fn load(tx: &mut Tx, id: CompanyId, include_deleted: bool) -> Result<CompanyView> {
    store::get(tx, id, include_deleted)
        .await?
        .map(CompanyView::from)
        .ok_or(CoreError::NotFound("company"))
}

pub async fn get(db: &Db, actor: &Actor, id: CompanyId) -> Result<CompanyView> {
    actor.require(Action::Read, Resource::Companies)?;
    let mut tx = db.read().await?;
    load(&mut tx, id, true).await
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: CompanyId,
    patch: Value,
    if_match: Option<&str>,
) -> Result<CompanyView> {
    actor.require(Action::Update, Resource::Companies)?;
    let mut tx = db.write().await?;
    let current = load(&mut tx, id, false).await?;
    record::check_if_match(if_match, current.version, &current)?;
    let doc = record::apply_patch(&current.data, &patch)?;
    let draft: CompanyDraft = record::parse_draft(doc)?;
    let (data, custom) = check(&mut tx, &draft, Some(id)).await?;
    if let Err(e) = save(&mut tx, actor, &current, data, &custom).await {
        return Err(record::lost_race(e, tx, async || get(db, actor, id).await).await);
    }
    let view = load(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn save(
    tx: &mut Tx,
    actor: &Actor,
    current: &CompanyView,
    data: CompanyData,
    custom: &[CustomWrite],
) -> Result<()> {
    let changes = record::diff(&current.data, &data);
    if changes.is_empty() {
        return Ok(());
    }
    let now = record::now();
    store::update(tx, current.id, current.version, &data, custom, now)
        .await
        .map_err(|e| match e {
            relais_store::StoreError::Conflict => CoreError::Stale {
                version: current.version + 1,
                current: serde_json::to_value(current).unwrap_or_default(),
            },
            other => other.into(),
        })?;
    relais_store::audit::append(
        tx,
        actor.user,
        "company",
        current.id.0,
        "updated",
        &changes,
        now,
    )
    .await?;
    Ok(())
}

/// One change made to many companies at once, from a list.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkChange {
    Owner(Option<relais_domain::UserId>),
    AddTag(String),
}

/// Applies one change to each of these companies in one transaction: all or none. Returns
/// how many changed.
pub async fn bulk_update(
    db: &Db,
    actor: &Actor,
    ids: &[CompanyId],
    change: &BulkChange,
) -> Result<usize> {
    actor.require(Action::Update, Resource::Companies)?;
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
        // Checked as any other save: the tag's length and characters.
        let doc = serde_json::to_value(&data).map_err(|e| CoreError::Internal(e.to_string()))?;
        let draft: CompanyDraft = record::parse_draft(doc)?;
        let (data, custom) = check(&mut tx, &draft, Some(*id)).await?;
        save(&mut tx, actor, &current, data, &custom).await?;
        changed += 1;
    }
    tx.commit().await?;
    Ok(changed)
}

pub async fn delete(db: &Db, actor: &Actor, id: CompanyId) -> Result<()> {
    actor.require(Action::Delete, Resource::Companies)?;
    set_deleted(db, actor, id, true).await
}

pub async fn restore(db: &Db, actor: &Actor, id: CompanyId) -> Result<CompanyView> {
    actor.require(Action::Delete, Resource::Companies)?;
    set_deleted(db, actor, id, false).await?;
    let mut tx = db.read().await?;
    load(&mut tx, id, false).await
}

async fn set_deleted(db: &Db, actor: &Actor, id: CompanyId, deleted: bool) -> Result<()> {
    let mut tx = db.write().await?;
    let now = record::now();
    store::set_deleted(&mut tx, id, deleted, now)
        .await
        .map_err(|_| CoreError::NotFound("company"))?;
    relais_store::audit::append(
        &mut tx,
        actor.user,
        "company",
        id.0,
        if deleted { "deleted" } else { "restored" },
        &[],
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn purge(db: &Db, actor: &Actor, id: CompanyId) -> Result<()> {
    actor.require(Action::Purge, Resource::Companies)?;
    let mut tx = db.write().await?;
    let c = store::get(&mut tx, id, true)
        .await?
        .ok_or(CoreError::NotFound("company"))?;
    if c.deleted_at.is_none() {
        return Err(CoreError::Conflict(
            "move the company to the trash before purging".into(),
        ));
    }
    store::purge(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list(
    db: &Db,
    actor: &Actor,
    params: &[(String, String)],
) -> Result<ListPage<CompanyView>> {
    actor.require(Action::Read, Resource::Companies)?;
    let mut tx = db.read().await?;
    let ctx = record::context(&mut tx).await?;
    let (filter, sort, page) = record::list_request(params, &schema::COMPANIES, &ctx)?;
    if sort.key == SortKey::Relevance
        && let Some((q, rest)) = split_search(&filter)
    {
        let rows = store::search(&mut tx, &q, &rest, &page, &ctx).await?;
        return Ok(record::finish_page(
            rows,
            page.limit,
            |(hit, r)| (hit.cursor_value(), r.id.0),
            |(_, r)| CompanyView::from(r),
        ));
    }
    let rows = store::list(&mut tx, &filter, sort, &page, &ctx).await?;
    let key = move |r: &CompanyRecord| {
        let v = match sort.key {
            SortKey::Name | SortKey::Relevance => r.data.sort_key(),
            SortKey::CreatedAt => r.created_at.to_rfc3339(),
            SortKey::UpdatedAt => r.updated_at.to_rfc3339(),
        };
        (v, r.id.0)
    };
    Ok(record::finish_page(
        rows,
        page.limit,
        key,
        CompanyView::from,
    ))
}
