//! What the store does the same way for every kind of record: the versioned row, what it
//! owns (addresses, tags, custom values, the kind's own child rows), its search terms, the
//! trash, and reading lists and searches in pages.
//!
//! A kind says once how its data maps to its row (`Stored`); these functions do the rest.
//! People and companies are kinds; deals, quotes or tickets become kinds the same way.
use crate::filter::{self, Page};
use crate::owned::{self, CustomWrite, Owned, OwnedRows};
use crate::search::{self, Hit, Index, TermRows};
use crate::{Result, Row, StoreError, Tx};
use chrono::{DateTime, Utc};
use relais_domain::UserId;
use relais_domain::filter::schema::KindSpec;
use relais_domain::filter::{Filter, Sort};
use relais_domain::person::Address;
use relais_domain::search::SearchQuery;
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::future::Future;
use std::hash::Hash;
use uuid::Uuid;

/// A kind of record as the store keeps it: one row in `SPEC.table` with the columns every
/// kind has (`id`, `created_by`, `created_at`, `updated_at`, `deleted_at`, `version`, and
/// `sort_key` when it is listed by name), the kind's own columns, and the rows it owns.
pub trait Stored: Sized + Send + Sync + 'static {
    type Id: Copy + Eq + Hash + Debug + From<Uuid> + Into<Uuid> + Send + Sync;
    type Data: Clone + PartialEq + Debug + Send + Sync;
    /// The kind's own columns, as read (`READ`).
    type Row: Row;
    /// Its table, fields and relations, for filters; with `Search::Index`, `q` searches its
    /// terms.
    const SPEC: &'static KindSpec;
    /// The columns of `Row`.
    const READ: &'static [&'static str];
    /// Tables of rows only this kind owns, by (table, owner column): rewritten with the
    /// record, erased with it.
    const CHILDREN: &'static [(&'static str, &'static str)] = &[];
    /// The order of its lists.
    const ORDER: ListOrder = ListOrder::Name;

    /// The kind's columns and their values for this data, `sort_key` included.
    fn written(d: &Self::Data) -> Vec<(&'static str, Value)>;
    /// The value lists sort by name on (folded, so "émile" sorts with "emile"); also what its
    /// search terms are kept with.
    fn sort_key(d: &Self::Data) -> String;
    /// A record's value in the `ListOrder::Time` column (RFC 3339), for the next page's
    /// cursor.
    fn time_value(r: &Record<Self>) -> String {
        r.created_at.to_rfc3339()
    }
    /// Its addresses and tags (kept in the tables every kind shares).
    fn owned(d: &Self::Data) -> (&[Address], &[String]) {
        let _ = d;
        (&[], &[])
    }
    /// Builds the data of each row, in order, from the row, what it owns, and its child rows
    /// (read here, a fixed number of queries for a whole page).
    fn hydrate(
        tx: &mut Tx,
        rows: Vec<(Uuid, Self::Row)>,
        owned: Owned,
    ) -> impl Future<Output = Result<Vec<Self::Data>>> + Send;
    /// Writes the child rows of these records (`CHILDREN`).
    fn write_children(
        tx: &mut Tx,
        records: &[(Uuid, &Self::Data)],
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = (tx, records);
        async { Ok(()) }
    }
    /// After these records were inserted by `by`: what the kind keeps besides (a person's
    /// first stage).
    fn inserted(
        tx: &mut Tx,
        records: &[(Uuid, &Self::Data)],
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = (tx, records, by, now);
        async { Ok(()) }
    }
    /// After a record's data changed from `before` to `after` (a person's stage history,
    /// the terms of a company's people when it was renamed).
    fn updated(
        tx: &mut Tx,
        id: Uuid,
        before: &Self::Data,
        after: &Self::Data,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = (tx, id, before, after, by, now);
        async { Ok(()) }
    }
    /// After a record went to the trash (`deleted`) or came back: what repeats that.
    fn trashed(
        tx: &mut Tx,
        id: Uuid,
        deleted: bool,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = (tx, id, deleted, now);
        async { Ok(()) }
    }
    /// Before a record is erased for good: what other records keep of it.
    fn purging(tx: &mut Tx, id: Uuid) -> impl Future<Output = Result<()>> + Send {
        let _ = (tx, id);
        async { Ok(()) }
    }
    /// The words each of these records is found by, in order (when the kind has an index).
    fn terms(
        tx: &mut Tx,
        records: &[(Uuid, &Self::Data)],
    ) -> impl Future<Output = Result<Vec<Vec<String>>>> + Send;
}

/// How a kind's lists are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// By name (`sort_key`), or as the list's `sort` asks (name, created_at, updated_at).
    Name,
    /// Always by this time column (a timeline: newest first).
    Time {
        column: &'static str,
        newest_first: bool,
    },
}

/// A stored record of a kind.
pub struct Record<K: Stored> {
    pub id: K::Id,
    pub data: K::Data,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i64,
}

// Written by hand: derived, they would ask the marker type `K` itself to be Clone, Debug...
impl<K: Stored> Clone for Record<K> {
    fn clone(&self) -> Self {
        Record {
            id: self.id,
            data: self.data.clone(),
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted_at: self.deleted_at,
            version: self.version,
        }
    }
}

impl<K: Stored> Debug for Record<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(K::SPEC.name)
            .field("id", &self.id)
            .field("data", &self.data)
            .field("version", &self.version)
            .field("deleted_at", &self.deleted_at)
            .finish()
    }
}

impl<K: Stored> PartialEq for Record<K> {
    fn eq(&self, o: &Self) -> bool {
        self.id == o.id
            && self.data == o.data
            && self.created_by == o.created_by
            && self.created_at == o.created_at
            && self.updated_at == o.updated_at
            && self.deleted_at == o.deleted_at
            && self.version == o.version
    }
}

/// A record to insert, with its custom values resolved.
pub struct New<'a, K: Stored> {
    pub id: K::Id,
    pub data: &'a K::Data,
    pub custom: &'a [CustomWrite],
}

/// The columns every kind has.
#[derive(sqlx::FromRow)]
struct Meta {
    id: Uuid,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    version: i64,
}

const META: [&str; 6] = [
    "id",
    "created_by",
    "created_at",
    "updated_at",
    "deleted_at",
    "version",
];

#[derive(sqlx::FromRow)]
struct Full<T> {
    #[sqlx(flatten)]
    meta: Meta,
    #[sqlx(flatten)]
    row: T,
}

fn table<K: Stored>() -> &'static str {
    K::SPEC.table
}

/// The kind's rows, every column qualified by its table (filters join other tables): the
/// start of a query whose rows `fetch` reads.
pub fn select<K: Stored>() -> SelectStatement {
    let mut q = Query::select();
    columns::<K>(&mut q).from(table::<K>());
    q
}

/// The kind's columns, qualified by its table, for a query that reaches its rows another
/// way (from a link table joined to them).
pub fn columns<K: Stored>(q: &mut SelectStatement) -> &mut SelectStatement {
    let t = table::<K>();
    q.columns(META.iter().chain(K::READ).map(|c| (t, *c)))
}

fn live_or_trash<K: Stored>(trash: bool) -> Expr {
    let col = Expr::col((table::<K>(), "deleted_at"));
    if trash {
        col.is_not_null()
    } else {
        col.is_null()
    }
}

/// The records a `select` reads, with what they own.
pub async fn fetch<K: Stored>(tx: &mut Tx, q: &SelectStatement) -> Result<Vec<Record<K>>> {
    let rows: Vec<Full<K::Row>> = tx.fetch_all(q).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.meta.id).collect();
    let owned = owned::load(tx, &ids).await?;
    let (metas, rows): (Vec<Meta>, Vec<(Uuid, K::Row)>) = rows
        .into_iter()
        .map(|r| {
            let id = r.meta.id;
            (r.meta, (id, r.row))
        })
        .unzip();
    let data = K::hydrate(tx, rows, owned).await?;
    Ok(metas
        .into_iter()
        .zip(data)
        .map(|(m, data)| Record {
            id: m.id.into(),
            data,
            created_by: m.created_by.map(UserId),
            created_at: m.created_at,
            updated_at: m.updated_at,
            deleted_at: m.deleted_at,
            version: m.version,
        })
        .collect())
}

/// Inserts new records with everything they own, in a few statements per table whatever
/// their number (the import's path).
pub async fn insert_many<K: Stored>(
    tx: &mut Tx,
    records: &[New<'_, K>],
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(first) = records.first() else {
        return Ok(());
    };
    let mut columns = vec!["id"];
    columns.extend(K::written(first.data).into_iter().map(|(c, _)| c));
    columns.extend(["created_by", "created_at", "updated_at", "version"]);
    let mut rows = crate::bulk::Rows::new(table::<K>(), &columns);
    for r in records {
        let mut values = vec![Value::from(r.id.into())];
        values.extend(K::written(r.data).into_iter().map(|(_, v)| v));
        values.extend([by.map(|u| u.0).into(), now.into(), now.into(), 1i64.into()]);
        rows.push_vec(values);
    }
    rows.write(tx).await?;
    let mut owned = OwnedRows::new();
    for r in records {
        let (addresses, tags) = K::owned(r.data);
        let id: Uuid = r.id.into();
        owned.addresses(id, addresses);
        owned.tags(id, tags);
        owned.custom(id, r.custom);
    }
    owned.write(tx).await?;
    let written: Vec<(Uuid, &K::Data)> = records.iter().map(|r| (r.id.into(), r.data)).collect();
    K::write_children(tx, &written).await?;
    write_terms::<K>(tx, &written).await?;
    K::inserted(tx, &written, by, now).await
}

/// Inserts one new record.
pub async fn insert<K: Stored>(
    tx: &mut Tx,
    new: New<'_, K>,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    insert_many::<K>(tx, &[new], by, now).await
}

async fn write_terms<K: Stored>(tx: &mut Tx, records: &[(Uuid, &K::Data)]) -> Result<()> {
    let Some(index) = Index::of(K::SPEC) else {
        return Ok(());
    };
    let terms = K::terms(tx, records).await?;
    let mut rows = TermRows::new(index);
    for ((id, d), terms) in records.iter().zip(terms) {
        rows.add(*id, &K::sort_key(d), terms);
    }
    rows.write(tx).await
}

/// Erases what these records own (not their rows).
async fn clear<K: Stored>(tx: &mut Tx, ids: &[Uuid]) -> Result<()> {
    for (child, owner) in K::CHILDREN {
        tx.execute(
            Query::delete()
                .from_table(*child)
                .and_where(Expr::col(*owner).is_in(ids.iter().copied())),
        )
        .await?;
    }
    owned::delete_all(tx, ids).await?;
    if let Some(index) = Index::of(K::SPEC) {
        search::delete(tx, index, ids).await?;
    }
    Ok(())
}

/// Replaces a record's data if its version is still the one read (`current`): the version
/// check and the write are one statement, so two concurrent edits can't both win. Returns
/// the new version.
pub async fn update<K: Stored>(
    tx: &mut Tx,
    current: &Record<K>,
    d: &K::Data,
    custom: &[CustomWrite],
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let (id, expected) = (current.id, current.version);
    let uuid: Uuid = id.into();
    let mut q = Query::update();
    q.table(table::<K>());
    // Only what changed is written: a stored value this version can't read (shown as its
    // default, see `coded`) stays as stored unless the user changes that field.
    let before = K::written(&current.data);
    for (c, v) in K::written(d) {
        if !before.contains(&(c, v.clone())) {
            q.value(c, v);
        }
    }
    q.value("updated_at", now)
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(uuid))
        .and_where(Expr::col("version").eq(expected))
        .and_where(Expr::col("deleted_at").is_null());
    if tx.execute(&q).await? == 0 {
        return Err(match get::<K>(tx, id, true).await? {
            Some(r) if r.deleted_at.is_none() => StoreError::Conflict,
            _ => StoreError::NotFound,
        });
    }
    clear::<K>(tx, &[uuid]).await?;
    let mut owned = OwnedRows::new();
    let (addresses, tags) = K::owned(d);
    owned.addresses(uuid, addresses);
    owned.tags(uuid, tags);
    owned.custom(uuid, custom);
    owned.write(tx).await?;
    K::write_children(tx, &[(uuid, d)]).await?;
    write_terms::<K>(tx, &[(uuid, d)]).await?;
    K::updated(tx, uuid, &current.data, d, by, now).await?;
    Ok(expected + 1)
}

/// Moves to the trash (`deleted = true`) or back; `NotFound` if it is not where it would
/// move from.
pub async fn set_deleted<K: Stored>(
    tx: &mut Tx,
    id: K::Id,
    deleted: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let q = Query::update()
        .table(table::<K>())
        .value("deleted_at", if deleted { Some(now) } else { None })
        .value("updated_at", now)
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(id.into()))
        .and_where(if deleted {
            Expr::col("deleted_at").is_null()
        } else {
            Expr::col("deleted_at").is_not_null()
        })
        .to_owned();
    if tx.execute(&q).await? == 0 {
        return Err(StoreError::NotFound);
    }
    K::trashed(tx, id.into(), deleted, now).await
}

/// Erases a record for good, with everything only it owns and its audit trail.
pub async fn purge<K: Stored>(tx: &mut Tx, id: K::Id) -> Result<()> {
    let uuid: Uuid = id.into();
    K::purging(tx, uuid).await?;
    clear::<K>(tx, &[uuid]).await?;
    // What was about it stays, about nothing (as a company's interactions do).
    for table in ["interactions", "tasks"] {
        tx.execute(
            Query::update()
                .table(table)
                .value("about_kind", None::<String>)
                .value("about_id", None::<Uuid>)
                .and_where(Expr::col("about_kind").eq(K::SPEC.name))
                .and_where(Expr::col("about_id").eq(uuid)),
        )
        .await?;
    }
    tx.execute(
        Query::delete()
            .from_table("audit_log")
            .and_where(Expr::col("entity_id").eq(uuid)),
    )
    .await?;
    let q = Query::delete()
        .from_table(table::<K>())
        .and_where(Expr::col("id").eq(uuid))
        .to_owned();
    if tx.execute(&q).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get<K: Stored>(
    tx: &mut Tx,
    id: K::Id,
    include_deleted: bool,
) -> Result<Option<Record<K>>> {
    let mut q = select::<K>();
    q.and_where(Expr::col((table::<K>(), "id")).eq(id.into()));
    if !include_deleted {
        q.and_where(live_or_trash::<K>(false));
    }
    Ok(fetch::<K>(tx, &q).await?.pop())
}

/// These records, trashed or not, in no particular order.
pub async fn by_ids<K: Stored>(tx: &mut Tx, ids: &[Uuid]) -> Result<Vec<Record<K>>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut q = select::<K>();
    q.and_where(Expr::col((table::<K>(), "id")).is_in(ids.iter().copied()));
    fetch::<K>(tx, &q).await
}

/// These records (those not in the trash), in the kind's order.
pub async fn get_many<K: Stored>(tx: &mut Tx, ids: &[K::Id]) -> Result<Vec<Record<K>>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut q = select::<K>();
    q.and_where(Expr::col((table::<K>(), "id")).is_in(ids.iter().map(|i| (*i).into())))
        .and_where(live_or_trash::<K>(false));
    match K::ORDER {
        ListOrder::Name => q.order_by((table::<K>(), "sort_key"), Order::Asc),
        ListOrder::Time {
            column,
            newest_first,
        } => q.order_by(
            (table::<K>(), column),
            if newest_first {
                Order::Desc
            } else {
                Order::Asc
            },
        ),
    };
    fetch::<K>(tx, &q).await
}

/// A page of records matching `f`, in `sort` order (or the kind's fixed order), after the
/// page's cursor.
pub async fn list<K: Stored>(
    tx: &mut Tx,
    f: &Filter,
    sort: Sort,
    page: &Page,
    ctx: &filter::Context,
) -> Result<Vec<Record<K>>> {
    let mut q = select::<K>();
    q.and_where(live_or_trash::<K>(page.trash));
    q.cond_where(filter::condition(K::SPEC, f, ctx)?);
    let t = table::<K>();
    match K::ORDER {
        ListOrder::Name => filter::keyset(&mut q, t, sort, page)?,
        ListOrder::Time {
            column,
            newest_first,
        } => filter::keyset_on(&mut q, (t, column), (t, "id"), true, newest_first, page)?,
    }
    fetch::<K>(tx, &q).await
}

/// How many live records match `f`.
pub async fn count<K: Stored>(tx: &mut Tx, f: &Filter, ctx: &filter::Context) -> Result<i64> {
    let t = table::<K>();
    let mut q = Query::select();
    q.expr_as(Expr::col((t, "id")).count(), "n").from(t);
    q.and_where(live_or_trash::<K>(false));
    q.cond_where(filter::condition(K::SPEC, f, ctx)?);
    Ok(tx.fetch_one::<crate::Count>(&q).await?.n)
}

/// A page of records matching `q` and `f`, in relevance order (see `search::page`), each
/// with the hit that places it. A kind without a search index finds nothing this way.
pub async fn search<K: Stored>(
    tx: &mut Tx,
    q: &SearchQuery,
    f: &Filter,
    page: &Page,
    ctx: &filter::Context,
) -> Result<Vec<(Hit, Record<K>)>> {
    let Some(index) = Index::of(K::SPEC) else {
        return Ok(vec![]);
    };
    let cond = sea_query::Condition::all()
        .add(live_or_trash::<K>(page.trash))
        .add(filter::condition(K::SPEC, f, ctx)?);
    let hits = search::page(tx, index, q, cond, page.after.as_ref(), page.limit + 1).await?;
    let ids: Vec<Uuid> = hits.iter().map(|h| h.id).collect();
    let mut found: HashMap<Uuid, Record<K>> = by_ids::<K>(tx, &ids)
        .await?
        .into_iter()
        .map(|r| (r.id.into(), r))
        .collect();
    Ok(hits
        .into_iter()
        .filter_map(|h| found.remove(&h.id).map(|r| (h, r)))
        .collect())
}

/// Computes the search terms of these records again from what is stored (after what they
/// are found by changed elsewhere, or after a migration).
pub async fn refresh_terms<K: Stored>(tx: &mut Tx, ids: &[Uuid]) -> Result<()> {
    let Some(index) = Index::of(K::SPEC) else {
        return Ok(());
    };
    for chunk in ids.chunks(500) {
        let records = by_ids::<K>(tx, chunk).await?;
        search::delete(tx, index, chunk).await?;
        let written: Vec<(Uuid, &K::Data)> =
            records.iter().map(|r| (r.id.into(), &r.data)).collect();
        write_terms::<K>(tx, &written).await?;
    }
    Ok(())
}

/// The live record of the kind whose `column` holds `value` (a product's reference), if any.
pub async fn find_by<K: Stored>(
    tx: &mut Tx,
    column: &'static str,
    value: Value,
) -> Result<Option<K::Id>> {
    #[derive(sqlx::FromRow)]
    struct IdRow {
        id: Uuid,
    }
    let q = Query::select()
        .column("id")
        .from(table::<K>())
        .and_where(Expr::col(column).eq(value))
        .and_where(Expr::col("deleted_at").is_null())
        .order_by("id", Order::Asc)
        .limit(1)
        .to_owned();
    Ok(tx.fetch_optional::<IdRow>(&q).await?.map(|r| r.id.into()))
}

/// Computes every term of the kind again (after a migration changed how terms are made).
pub async fn rebuild_terms<K: Stored>(tx: &mut Tx) -> Result<()> {
    #[derive(sqlx::FromRow)]
    struct IdRow {
        id: Uuid,
    }
    let q = Query::select()
        .column("id")
        .from(table::<K>())
        .order_by("id", Order::Asc)
        .to_owned();
    let ids: Vec<Uuid> = tx
        .fetch_all::<IdRow>(&q)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    refresh_terms::<K>(tx, &ids).await
}

/// What an interaction or a task is about, from its two columns.
pub fn about(kind: Option<String>, id: Option<Uuid>) -> Option<relais_domain::interaction::About> {
    Some(relais_domain::interaction::About {
        kind: kind?,
        id: id?,
    })
}

/// Whether a live record of the kind stored in `table` has this id: what a link to a record
/// of any kind checks.
pub async fn is_live(tx: &mut Tx, table: &'static str, id: Uuid) -> Result<bool> {
    let q = Query::select()
        .expr_as(Expr::col("id").count(), "n")
        .from(table)
        .and_where(Expr::col("id").eq(id))
        .and_where(Expr::col("deleted_at").is_null())
        .to_owned();
    Ok(tx.fetch_one::<crate::Count>(&q).await?.n > 0)
}

/// Moves what is about one record (interactions, tasks) to another of its kind (a merge).
pub async fn reassign_about(tx: &mut Tx, kind: &str, from: Uuid, to: Uuid) -> Result<()> {
    for table in ["interactions", "tasks"] {
        tx.execute(
            Query::update()
                .table(table)
                .value("about_id", to)
                .and_where(Expr::col("about_kind").eq(kind))
                .and_where(Expr::col("about_id").eq(from)),
        )
        .await?;
    }
    Ok(())
}

/// The folded shadow of an optional text (see migration 5), for the columns filters compare.
pub fn folded(v: &Option<String>) -> Value {
    v.as_deref().map(relais_domain::text::fold).into()
}

/// What one record owns in the shared tables, taken out of a page's `Owned`.
pub struct OwnedOf {
    pub addresses: Vec<Address>,
    pub tags: Vec<String>,
    pub custom: BTreeMap<String, serde_json::Value>,
}

impl Owned {
    pub fn take(&mut self, id: Uuid) -> OwnedOf {
        OwnedOf {
            addresses: self.addresses.remove(&id).unwrap_or_default(),
            tags: self.tags.remove(&id).unwrap_or_default(),
            custom: self.custom.remove(&id).unwrap_or_default(),
        }
    }
}
