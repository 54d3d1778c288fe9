//! The services every kind of record shares: create, read, update with a version check,
//! trash, restore, purge, lists and counts, changes to many at once. Each checks the
//! actor's right on the kind's resource, owns its transaction and writes the audit trail.
//!
//! A kind gives its rules (`Kind`): how a draft becomes data, what it is called, which
//! resource guards it. People and companies are kinds; so is a kind defined only in tests.
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::record::{self, ListPage};
use relais_domain::custom::Entity;
use relais_domain::filter::SortKey;
use relais_domain::filter::schema::Search;
use relais_domain::interaction::About;
use relais_domain::{Action, FieldError, Invalid, UserId};
use relais_domain::{Code, Msg};
use relais_store::filter::split_search;
use relais_store::owned::CustomWrite;
use relais_store::records::{self as store, ListOrder, New, Record, Stored};
use relais_store::{Db, StoreError, Tx};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;

/// A kind of record's rules, on top of how the store keeps it.
pub trait Kind: Stored<Data: Serialize> {
    /// What a client sends to create or (after a merge patch) to replace one: every field
    /// optional, checked by `check`.
    type Draft: DeserializeOwned + Send + Sync;
    /// What a client reads.
    type View: From<Record<Self>> + Serialize + RecordView + Send + Sync;
    /// Its name in the audit trail and in messages ("company").
    const NOUN: &'static str;

    /// The data a draft stands for, or every field that is wrong: the draft's own rules and
    /// the references that must exist. `current`: the record being edited, as stored.
    fn validate(
        tx: &mut Tx,
        actor: &Actor,
        draft: &Self::Draft,
        current: Option<&Record<Self>>,
    ) -> impl Future<Output = Result<Self::Data>> + Send;

    /// Its custom values, when its spec names an entity of custom fields.
    fn custom_mut(d: &mut Self::Data) -> Option<&mut BTreeMap<String, Value>> {
        let _ = d;
        None
    }

    /// What a new record gets from who creates it (whoever logs a call took part in it).
    fn on_create(d: &mut Self::Data, actor: &Actor) {
        let _ = (d, actor);
    }

    /// Adds to the view of one record what lists leave out (an interaction's files).
    fn detail(tx: &mut Tx, view: &mut Self::View) -> impl Future<Output = Result<()>> + Send {
        let _ = (tx, view);
        async { Ok(()) }
    }

    /// Its tags and owner, for the changes made to many records at once (`None`: it has
    /// none).
    fn tags_mut(d: &mut Self::Data) -> Option<&mut Vec<String>> {
        let _ = d;
        None
    }
    fn owner_mut(d: &mut Self::Data) -> Option<&mut Option<UserId>> {
        let _ = d;
        None
    }
}

/// What a client reads of any record: its id, the version its ETag is made of, whether it
/// is in the trash. `record_view!` implements it for a view with those fields.
pub trait RecordView {
    fn id(&self) -> Uuid;
    fn version(&self) -> i64;
    fn in_trash(&self) -> bool;
}

/// Implements `RecordView` for views with `id`, `version` and `deleted_at` fields.
#[macro_export]
macro_rules! record_view {
    ($($view:ty),* $(,)?) => {$(
        impl $crate::records::RecordView for $view {
            fn id(&self) -> $crate::records::Uuid {
                self.id.into()
            }
            fn version(&self) -> i64 {
                self.version
            }
            fn in_trash(&self) -> bool {
                self.deleted_at.is_some()
            }
        }
    )*};
}

pub use uuid::Uuid;

/// A draft checked as the kind's rules say, with its custom values checked against their
/// fields' definitions: the data to store (custom values as they will read back) and the
/// custom values ready to store.
pub async fn check<K: Kind>(
    tx: &mut Tx,
    actor: &Actor,
    draft: &K::Draft,
    current: Option<&Record<K>>,
) -> Result<(K::Data, Vec<CustomWrite>)> {
    let data = K::validate(tx, actor, draft, current).await?;
    recheck::<K>(tx, data).await
}

/// Checks data made by the services (a merge) as `check` checks a draft's: its custom
/// values against their fields' definitions.
pub async fn recheck<K: Kind>(
    tx: &mut Tx,
    mut data: K::Data,
) -> Result<(K::Data, Vec<CustomWrite>)> {
    let writes = match (K::SPEC.custom, K::custom_mut(&mut data)) {
        (Some(entity), Some(values)) => {
            let entity = Entity::parse(entity).map_err(|m| CoreError::Internal(m.to_string()))?;
            let (writes, normal) = record::resolve_custom(tx, entity, values).await?;
            *values = normal;
            writes
        }
        _ => vec![],
    };
    Ok((data, writes))
}

/// Reads a record in a transaction already open; `NotFound` names the kind.
pub async fn load<K: Kind>(tx: &mut Tx, id: K::Id, include_deleted: bool) -> Result<Record<K>> {
    store::get::<K>(tx, id, include_deleted)
        .await?
        .ok_or(CoreError::NotFound(K::NOUN))
}

/// Inserts checked data with its audit line, in the caller's transaction.
pub async fn insert<K: Kind>(
    tx: &mut Tx,
    actor: &Actor,
    data: &K::Data,
    custom: &[CustomWrite],
) -> Result<K::Id> {
    let id = K::Id::from(uuid::Uuid::now_v7());
    let now = record::now();
    store::insert::<K>(tx, New { id, data, custom }, actor.user, now).await?;
    relais_store::audit::append(tx, actor.user, K::NOUN, id.into(), "created", &[], now).await?;
    Ok(id)
}

pub async fn create<K: Kind>(db: &Db, actor: &Actor, draft: &K::Draft) -> Result<K::View> {
    actor.require(Action::Create, K::SPEC.resource)?;
    let mut tx = db.write().await?;
    let (mut data, custom) = check::<K>(&mut tx, actor, draft, None).await?;
    K::on_create(&mut data, actor);
    let id = insert::<K>(&mut tx, actor, &data, &custom).await?;
    let view = view::<K>(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(view)
}

/// One record as a client reads it, with its details.
pub async fn view<K: Kind>(tx: &mut Tx, id: K::Id, include_deleted: bool) -> Result<K::View> {
    let mut view = K::View::from(load::<K>(tx, id, include_deleted).await?);
    K::detail(tx, &mut view).await?;
    Ok(view)
}

/// A record, from the trash too (its page says so).
pub async fn get<K: Kind>(db: &Db, actor: &Actor, id: K::Id) -> Result<K::View> {
    actor.require(Action::Read, K::SPEC.resource)?;
    let mut tx = db.read().await?;
    view::<K>(&mut tx, id, true).await
}

/// A record as stored, from the trash too: for the pages that show its fields one by one.
pub async fn read<K: Kind>(db: &Db, actor: &Actor, id: K::Id) -> Result<Record<K>> {
    actor.require(Action::Read, K::SPEC.resource)?;
    let mut tx = db.read().await?;
    load::<K>(&mut tx, id, true).await
}

/// Applies a JSON merge patch (RFC 7396) if `if_match` still names the current version.
pub async fn update<K: Kind>(
    db: &Db,
    actor: &Actor,
    id: K::Id,
    patch: &Value,
    if_match: Option<&str>,
) -> Result<K::View> {
    write_over::<K>(db, actor, id, if_match, |current| patched(current, patch)).await
}

/// Replaces a record's data with a whole draft (a form's content) if `if_match` still
/// names the current version.
pub async fn replace<K: Kind>(
    db: &Db,
    actor: &Actor,
    id: K::Id,
    draft: K::Draft,
    if_match: Option<&str>,
) -> Result<K::View> {
    write_over::<K>(db, actor, id, if_match, |_| Ok(draft)).await
}

/// Writes the draft `make` makes of the current record over it, in one transaction with
/// the version check.
async fn write_over<K: Kind>(
    db: &Db,
    actor: &Actor,
    id: K::Id,
    if_match: Option<&str>,
    make: impl FnOnce(&Record<K>) -> Result<K::Draft>,
) -> Result<K::View> {
    actor.require(Action::Update, K::SPEC.resource)?;
    let mut tx = db.write().await?;
    let current = load::<K>(&mut tx, id, false).await?;
    // Wrong input is refused as such, whatever version it names; then a stale one is.
    let draft = make(&current)?;
    let (data, custom) = check::<K>(&mut tx, actor, &draft, Some(&current)).await?;
    check_if_match(if_match, &current)?;
    if let Err(e) = save(&mut tx, actor, &current, data, &custom).await {
        return Err(record::lost_race(e, tx, async || get::<K>(db, actor, id).await).await);
    }
    let view = view::<K>(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(view)
}

/// The `If-Match` check against a record read in this transaction.
pub fn check_if_match<K: Kind>(if_match: Option<&str>, current: &Record<K>) -> Result<()> {
    if if_match.is_none() {
        return Ok(());
    }
    let view = K::View::from(current.clone());
    record::check_if_match(if_match, current.version, &view)
}

/// The draft a merge patch makes of a record's data.
pub fn patched<K: Kind>(current: &Record<K>, patch: &Value) -> Result<K::Draft> {
    let doc = record::apply_patch(&current.data, patch)?;
    Ok(record::parse_draft(doc)?)
}

/// Writes checked data over `current` with an audit line of what changed; nothing when
/// nothing did. A write that lost to another since `current` was read is `Stale`.
pub async fn save<K: Kind>(
    tx: &mut Tx,
    actor: &Actor,
    current: &Record<K>,
    data: K::Data,
    custom: &[CustomWrite],
) -> Result<()> {
    let changes = record::diff(&current.data, &data);
    if changes.is_empty() {
        return Ok(());
    }
    let now = record::now();
    store::update::<K>(tx, current, &data, custom, actor.user, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => CoreError::Stale {
                version: current.version + 1,
                current: serde_json::to_value(K::View::from(current.clone())).unwrap_or_default(),
            },
            other => other.into(),
        })?;
    relais_store::audit::append(
        tx,
        actor.user,
        K::NOUN,
        current.id.into(),
        "updated",
        &changes,
        now,
    )
    .await?;
    Ok(())
}

/// One change made to many records at once, from a list.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkChange {
    Owner(Option<UserId>),
    AddTag(String),
}

/// Applies one change to each of these records in one transaction: all or none. `edit`
/// makes the change on one record's data (a kind's own changes, like a person's stage).
/// Returns how many changed.
pub async fn bulk_edit<K: Kind>(
    db: &Db,
    actor: &Actor,
    ids: &[K::Id],
    edit: impl Fn(&mut K::Data) -> Result<(), Invalid> + Send + Sync,
) -> Result<usize> {
    actor.require(Action::Update, K::SPEC.resource)?;
    let mut tx = db.write().await?;
    let mut changed = 0;
    for id in ids {
        let current = load::<K>(&mut tx, *id, false).await?;
        let mut data = current.data.clone();
        edit(&mut data)?;
        if data == current.data {
            continue;
        }
        // Checked as any other save: a tag's length and characters, an owner that exists.
        let doc = serde_json::to_value(&data).map_err(|e| CoreError::Internal(e.to_string()))?;
        let draft: K::Draft = record::parse_draft(doc)?;
        let (data, custom) = check::<K>(&mut tx, actor, &draft, Some(&current)).await?;
        save(&mut tx, actor, &current, data, &custom).await?;
        changed += 1;
    }
    tx.commit().await?;
    Ok(changed)
}

/// `bulk_edit` with a change every kind with tags and an owner understands.
pub async fn bulk_update<K: Kind>(
    db: &Db,
    actor: &Actor,
    ids: &[K::Id],
    change: &BulkChange,
) -> Result<usize> {
    if let BulkChange::AddTag(t) = change
        && (t.trim().is_empty() || t.contains(','))
    {
        return Err(Invalid::one("tags", relais_domain::Code::TagWithComma).into());
    }
    if let BulkChange::Owner(Some(owner)) = change {
        let mut tx = db.read().await?;
        let user = relais_store::users::get(&mut tx, *owner).await?;
        if !user.is_some_and(|u| u.active) {
            let m = Msg::new(Code::NoSuchUser).with("id", owner);
            return Err(Invalid::one("owner_id", m).into());
        }
    }
    bulk_edit::<K>(db, actor, ids, |d| apply::<K>(d, change)).await
}

fn apply<K: Kind>(d: &mut K::Data, change: &BulkChange) -> Result<(), Invalid> {
    match change {
        BulkChange::Owner(o) => {
            let owner = K::owner_mut(d).ok_or_else(|| {
                Invalid::one(
                    "owner_id",
                    Msg::new(Code::KindHasNoOwner).with("kind", K::NOUN),
                )
            })?;
            *owner = *o;
        }
        BulkChange::AddTag(t) => {
            let tags = K::tags_mut(d).ok_or_else(|| {
                Invalid::one("tags", Msg::new(Code::KindHasNoTags).with("kind", K::NOUN))
            })?;
            let key = relais_domain::text::fold(t);
            if !tags.iter().any(|x| relais_domain::text::fold(x) == key) {
                tags.push(t.trim().to_string());
            }
        }
    }
    Ok(())
}

pub async fn delete<K: Kind>(db: &Db, actor: &Actor, id: K::Id) -> Result<()> {
    actor.require(Action::Delete, K::SPEC.resource)?;
    set_deleted::<K>(db, actor, id, true).await
}

pub async fn restore<K: Kind>(db: &Db, actor: &Actor, id: K::Id) -> Result<K::View> {
    actor.require(Action::Delete, K::SPEC.resource)?;
    set_deleted::<K>(db, actor, id, false).await?;
    let mut tx = db.read().await?;
    view::<K>(&mut tx, id, false).await
}

async fn set_deleted<K: Kind>(db: &Db, actor: &Actor, id: K::Id, deleted: bool) -> Result<()> {
    let mut tx = db.write().await?;
    let now = record::now();
    store::set_deleted::<K>(&mut tx, id, deleted, now)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => CoreError::NotFound(K::NOUN),
            other => other.into(),
        })?;
    let action = if deleted { "deleted" } else { "restored" };
    relais_store::audit::append(&mut tx, actor.user, K::NOUN, id.into(), action, &[], now).await?;
    tx.commit().await?;
    Ok(())
}

/// Erases a record in the trash for good.
pub async fn purge<K: Kind>(db: &Db, actor: &Actor, id: K::Id) -> Result<()> {
    actor.require(Action::Purge, K::SPEC.resource)?;
    let mut tx = db.write().await?;
    let r = load::<K>(&mut tx, id, true).await?;
    if r.deleted_at.is_none() {
        return Err(CoreError::Conflict(
            Msg::new(Code::TrashBeforePurge).with("kind", K::NOUN),
        ));
    }
    store::purge::<K>(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// A page of a list: its filter, order and cursor from the query parameters.
pub async fn list<K: Kind>(
    db: &Db,
    actor: &Actor,
    params: &[(String, String)],
) -> Result<ListPage<K::View>> {
    actor.require(Action::Read, K::SPEC.resource)?;
    if matches!(K::ORDER, ListOrder::Time { .. }) && params.iter().any(|(k, _)| k == "sort") {
        return Err(Invalid::one("sort", relais_domain::Code::FixedOrder).into());
    }
    let mut tx = db.read().await?;
    let ctx = record::context(&mut tx).await?;
    let (filter, sort, page) = record::list_request(params, K::SPEC, &ctx)?;
    // Relevance is the order of a search index; a kind without one finds `q` as a plain
    // condition, in name order.
    let indexed = matches!(K::SPEC.search, Search::Index { .. });
    if sort.key == SortKey::Relevance
        && indexed
        && let Some((q, rest)) = split_search(&filter)
    {
        let rows = store::search::<K>(&mut tx, &q, &rest, &page, &ctx).await?;
        return Ok(record::finish_page(
            rows,
            page.limit,
            |(hit, r)| (hit.cursor_value(), r.id.into()),
            |(_, r)| K::View::from(r),
        ));
    }
    let rows = store::list::<K>(&mut tx, &filter, sort, &page, &ctx).await?;
    Ok(record::finish_page(
        rows,
        page.limit,
        |r| (sort_value(r, sort.key), r.id.into()),
        K::View::from,
    ))
}

/// How many live records a list's filter matches.
pub async fn count<K: Kind>(db: &Db, actor: &Actor, params: &[(String, String)]) -> Result<i64> {
    actor.require(Action::Read, K::SPEC.resource)?;
    let mut tx = db.read().await?;
    let ctx = record::context(&mut tx).await?;
    let filter = record::filter_of(params, K::SPEC, &ctx)?;
    Ok(store::count::<K>(&mut tx, &filter, &ctx).await?)
}

/// Checks the record an interaction or a task says it is about: a known kind whose records
/// the actor may read, and a live record of it, unless it is the one already stored (which
/// may have gone to the trash since).
pub async fn check_about(
    tx: &mut Tx,
    actor: &Actor,
    about: Option<&About>,
    stored: Option<&About>,
    errors: &mut Vec<FieldError>,
) -> Result<()> {
    let Some(about) = about.filter(|a| Some(*a) != stored) else {
        return Ok(());
    };
    let own_fields = ["people", "companies", "interactions", "tasks"];
    match relais_domain::filter::schema::kind(&about.kind) {
        // People and companies are named by their own fields (`person_ids`, `company_id`),
        // which their timelines read; an interaction is not about another one.
        Some(spec) if own_fields.contains(&spec.name) => errors.push(FieldError::new(
            "about.kind",
            Msg::new(Code::AboutBuiltIn).with("kind", &about.kind),
        )),
        None => errors.push(FieldError::new(
            "about.kind",
            Msg::new(Code::NoSuchKind).with("kind", &about.kind),
        )),
        // Linking a call to a record says it exists: only for those who may read it.
        Some(spec) => {
            actor.require(Action::Read, spec.resource)?;
            if !store::is_live(tx, spec.table, about.id).await? {
                errors.push(FieldError::new(
                    "about.id",
                    Msg::new(Code::NoSuchRecordOfKind)
                        .with("id", about.id)
                        .with("kind", &about.kind),
                ))
            }
        }
    }
    Ok(())
}

/// A record's place in a list in its default order, for the next page's cursor.
pub fn cursor_value<K: Kind>(r: &Record<K>) -> String {
    sort_value(r, relais_domain::filter::Sort::default().key)
}

/// The value a record's place in a list is kept by, for the next page's cursor.
fn sort_value<K: Kind>(r: &Record<K>, key: SortKey) -> String {
    if let ListOrder::Time { .. } = K::ORDER {
        return K::time_value(r);
    }
    match key {
        SortKey::Name | SortKey::Relevance => K::sort_key(&r.data),
        SortKey::CreatedAt => r.created_at.to_rfc3339(),
        SortKey::UpdatedAt => r.updated_at.to_rfc3339(),
    }
}
