//! Companies: the row and what `owned` keeps.
use crate::filter::{self, Page};
use crate::owned::{self, CustomWrite};
use crate::search::{self, Hit, Index, TermRows};
use crate::{Result, StoreError, Tx};
use chrono::{DateTime, Utc};
use relais_domain::company::CompanyData;
use relais_domain::filter::{Filter, Sort, schema};
use relais_domain::legal::{Siren, Siret, VatNumber};
use relais_domain::search::SearchQuery;
use relais_domain::{CompanyId, Email, Phone, UserId};
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct CompanyRecord {
    pub id: CompanyId,
    pub data: CompanyData,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct CompanyRow {
    id: Uuid,
    name: String,
    siren: Option<String>,
    siret: Option<String>,
    vat_number: Option<String>,
    industry: Option<String>,
    size: Option<String>,
    website: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    parent_id: Option<Uuid>,
    owner_id: Option<Uuid>,
    notes: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    version: i64,
}

const COLUMNS: [&str; 17] = [
    "id",
    "name",
    "siren",
    "siret",
    "vat_number",
    "industry",
    "size",
    "website",
    "email",
    "phone",
    "parent_id",
    "owner_id",
    "notes",
    "created_at",
    "updated_at",
    "deleted_at",
    "version",
];

const SCALAR_COLUMNS: [&str; 14] = [
    "name",
    "sort_key",
    "siren",
    "siret",
    "vat_number",
    "industry",
    "size",
    "website",
    "email",
    "phone",
    "parent_id",
    "owner_id",
    "notes",
    "industry_key",
];

fn scalar_values(d: &CompanyData) -> Vec<sea_query::Value> {
    vec![
        d.name.clone().into(),
        d.sort_key().into(),
        d.siren.as_ref().map(|v| v.as_str().to_string()).into(),
        d.siret.as_ref().map(|v| v.as_str().to_string()).into(),
        d.vat_number.as_ref().map(|v| v.as_str().to_string()).into(),
        d.industry.clone().into(),
        d.size.clone().into(),
        d.website.clone().into(),
        d.email.as_ref().map(|v| v.as_str().to_string()).into(),
        d.phone.as_ref().map(|v| v.as_str().to_string()).into(),
        d.parent_id.map(|v| v.0).into(),
        d.owner_id.map(|v| v.0).into(),
        d.notes.clone().into(),
        crate::people::folded(&d.industry),
    ]
}

/// Fills the folded shadow column of every company's industry (after migration 5).
pub(crate) async fn refold(tx: &mut Tx) -> Result<()> {
    #[derive(sqlx::FromRow)]
    struct Industry {
        id: Uuid,
        industry: Option<String>,
    }
    let rows: Vec<Industry> = tx
        .fetch_all(
            Query::select()
                .columns(["id", "industry"])
                .from("companies")
                .and_where(Expr::col("industry").is_not_null()),
        )
        .await?;
    for r in rows {
        tx.execute(
            Query::update()
                .table("companies")
                .value("industry_key", crate::people::folded(&r.industry))
                .and_where(Expr::col("id").eq(r.id)),
        )
        .await?;
    }
    Ok(())
}

pub async fn insert(
    tx: &mut Tx,
    id: CompanyId,
    d: &CompanyData,
    custom: &[CustomWrite],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut columns = vec!["id"];
    columns.extend(SCALAR_COLUMNS);
    columns.extend(["created_at", "updated_at", "version"]);
    let mut values = vec![id.0.into()];
    values.extend(scalar_values(d));
    values.extend([now.into(), now.into(), 1i64.into()]);
    tx.execute(
        Query::insert()
            .into_table("companies")
            .columns(columns)
            .values_panic(values.into_iter().map(Expr::value)),
    )
    .await?;
    insert_children(tx, id, d, custom).await
}

async fn insert_children(
    tx: &mut Tx,
    id: CompanyId,
    d: &CompanyData,
    custom: &[CustomWrite],
) -> Result<()> {
    let mut owned = owned::OwnedRows::new();
    owned.addresses(id.0, &d.addresses);
    owned.tags(id.0, &d.tags);
    owned.custom(id.0, custom);
    owned.write(tx).await?;
    let mut terms = TermRows::new(Index::Companies);
    terms.add(id.0, &d.sort_key(), d.search_terms());
    terms.write(tx).await
}

/// Computes the search terms of these companies again from what is stored (after a
/// migration).
pub async fn refresh_terms(tx: &mut Tx, ids: &[Uuid]) -> Result<()> {
    let q = Query::select()
        .columns(COLUMNS)
        .from("companies")
        .and_where(Expr::col("id").is_in(ids.iter().copied()))
        .to_owned();
    let rows: Vec<CompanyRow> = tx.fetch_all(&q).await?;
    let companies = hydrate(tx, rows).await?;
    search::delete(tx, Index::Companies, ids).await?;
    let mut terms = TermRows::new(Index::Companies);
    for c in &companies {
        terms.add(c.id.0, &c.data.sort_key(), c.data.search_terms());
    }
    terms.write(tx).await
}

#[derive(sqlx::FromRow)]
struct NameRow {
    name: String,
}

pub async fn update(
    tx: &mut Tx,
    id: CompanyId,
    expected: i64,
    d: &CompanyData,
    custom: &[CustomWrite],
    now: DateTime<Utc>,
) -> Result<i64> {
    let before: Option<NameRow> = tx
        .fetch_optional(
            Query::select()
                .column("name")
                .from("companies")
                .and_where(Expr::col("id").eq(id.0)),
        )
        .await?;
    let mut q = Query::update();
    q.table("companies");
    for (c, v) in SCALAR_COLUMNS.iter().zip(scalar_values(d)) {
        q.value(*c, v);
    }
    q.value("updated_at", now)
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(id.0))
        .and_where(Expr::col("version").eq(expected))
        .and_where(Expr::col("deleted_at").is_null());
    if tx.execute(&q).await? == 0 {
        return Err(match get(tx, id, true).await? {
            Some(c) if c.deleted_at.is_none() => StoreError::Conflict,
            _ => StoreError::NotFound,
        });
    }
    owned::delete_all(tx, id.0).await?;
    search::delete(tx, Index::Companies, &[id.0]).await?;
    insert_children(tx, id, d, custom).await?;
    if before.is_some_and(|b| b.name != d.name) {
        // Its people are found by the words of its name.
        let people = crate::people::ids_in_company(tx, id).await?;
        crate::people::refresh_terms(tx, &people).await?;
    }
    Ok(expected + 1)
}

pub async fn set_deleted(
    tx: &mut Tx,
    id: CompanyId,
    deleted: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let q = Query::update()
        .table("companies")
        .value("deleted_at", if deleted { Some(now) } else { None })
        .value("updated_at", now)
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(id.0))
        .and_where(if deleted {
            Expr::col("deleted_at").is_null()
        } else {
            Expr::col("deleted_at").is_not_null()
        })
        .to_owned();
    if tx.execute(&q).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn purge(tx: &mut Tx, id: CompanyId) -> Result<()> {
    let people = crate::people::ids_in_company(tx, id).await?;
    owned::delete_all(tx, id.0).await?;
    search::delete(tx, Index::Companies, &[id.0]).await?;
    tx.execute(
        Query::delete()
            .from_table("audit_log")
            .and_where(Expr::col("entity_id").eq(id.0)),
    )
    .await?;
    if tx
        .execute(
            Query::delete()
                .from_table("companies")
                .and_where(Expr::col("id").eq(id.0)),
        )
        .await?
        == 0
    {
        return Err(StoreError::NotFound);
    }
    // Its people are no longer found by its name (their links went with it).
    crate::people::refresh_terms(tx, &people).await
}

pub async fn get(
    tx: &mut Tx,
    id: CompanyId,
    include_deleted: bool,
) -> Result<Option<CompanyRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS)
        .from("companies")
        .and_where(Expr::col("id").eq(id.0));
    if !include_deleted {
        q.and_where(Expr::col("deleted_at").is_null());
    }
    let rows: Vec<CompanyRow> = tx.fetch_all(&q).await?;
    Ok(hydrate(tx, rows).await?.pop())
}

pub async fn get_many(tx: &mut Tx, ids: &[CompanyId]) -> Result<Vec<CompanyRecord>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let q = Query::select()
        .columns(COLUMNS)
        .from("companies")
        .and_where(Expr::col("id").is_in(ids.iter().map(|i| i.0)))
        .order_by("sort_key", Order::Asc)
        .to_owned();
    let rows: Vec<CompanyRow> = tx.fetch_all(&q).await?;
    hydrate(tx, rows).await
}

pub async fn list(
    tx: &mut Tx,
    f: &Filter,
    sort: Sort,
    page: &Page,
    ctx: &filter::Context,
) -> Result<Vec<CompanyRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS.map(|c| ("companies", c)))
        .from("companies");
    q.and_where(if page.trash {
        Expr::col(("companies", "deleted_at")).is_not_null()
    } else {
        Expr::col(("companies", "deleted_at")).is_null()
    });
    q.cond_where(filter::condition(&schema::COMPANIES, f, ctx)?);
    filter::keyset(&mut q, "companies", sort, page)?;
    let rows: Vec<CompanyRow> = tx.fetch_all(&q).await?;
    hydrate(tx, rows).await
}

/// A page of companies matching `q` and `f`, in relevance order (see `search::page`), each
/// with the hit that places it.
pub async fn search(
    tx: &mut Tx,
    q: &SearchQuery,
    f: &Filter,
    page: &Page,
    ctx: &filter::Context,
) -> Result<Vec<(Hit, CompanyRecord)>> {
    let cond = sea_query::Condition::all()
        .add(if page.trash {
            Expr::col(("companies", "deleted_at")).is_not_null()
        } else {
            Expr::col(("companies", "deleted_at")).is_null()
        })
        .add(filter::condition(&schema::COMPANIES, f, ctx)?);
    let hits = search::page(
        tx,
        Index::Companies,
        q,
        cond,
        page.after.as_ref(),
        page.limit + 1,
    )
    .await?;
    let q = Query::select()
        .columns(COLUMNS)
        .from("companies")
        .and_where(Expr::col("id").is_in(hits.iter().map(|h| h.id)))
        .to_owned();
    let rows: Vec<CompanyRow> = tx.fetch_all(&q).await?;
    let mut found: std::collections::HashMap<Uuid, CompanyRecord> = hydrate(tx, rows)
        .await?
        .into_iter()
        .map(|c| (c.id.0, c))
        .collect();
    Ok(hits
        .into_iter()
        .filter_map(|h| found.remove(&h.id).map(|c| (h, c)))
        .collect())
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: Uuid,
}

/// Live companies with this exact folded name, or this SIREN: the duplicate rule of imports.
pub async fn find_matches(tx: &mut Tx, d: &CompanyData) -> Result<Vec<CompanyId>> {
    let mut any = sea_query::Condition::any().add(Expr::col("sort_key").eq(d.sort_key()));
    if let Some(siren) = &d.siren {
        any = any.add(Expr::col("siren").eq(siren.as_str()));
    }
    let q = Query::select()
        .column("id")
        .from("companies")
        .cond_where(any)
        .and_where(Expr::col("deleted_at").is_null())
        .order_by("created_at", Order::Asc)
        .limit(10)
        .to_owned();
    Ok(tx
        .fetch_all::<IdRow>(&q)
        .await?
        .into_iter()
        .map(|r| CompanyId(r.id))
        .collect())
}

/// The subsidiaries of a group.
pub async fn children(tx: &mut Tx, parent: CompanyId) -> Result<Vec<CompanyId>> {
    let q = Query::select()
        .column("id")
        .from("companies")
        .and_where(Expr::col("parent_id").eq(parent.0))
        .and_where(Expr::col("deleted_at").is_null())
        .order_by("sort_key", Order::Asc)
        .to_owned();
    Ok(tx
        .fetch_all::<IdRow>(&q)
        .await?
        .into_iter()
        .map(|r| CompanyId(r.id))
        .collect())
}

async fn hydrate(tx: &mut Tx, rows: Vec<CompanyRow>) -> Result<Vec<CompanyRecord>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut owned = owned::load(tx, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| CompanyRecord {
            id: CompanyId(r.id),
            data: CompanyData {
                name: r.name,
                siren: r.siren.and_then(|v| Siren::parse(&v).ok()),
                siret: r.siret.and_then(|v| Siret::parse(&v).ok()),
                vat_number: r.vat_number.and_then(|v| VatNumber::parse(&v).ok()),
                industry: r.industry,
                size: r.size,
                website: r.website,
                email: r.email.and_then(|v| Email::parse(&v).ok()),
                phone: r.phone.and_then(|v| Phone::parse(&v).ok()),
                addresses: owned.addresses.remove(&r.id).unwrap_or_default(),
                parent_id: r.parent_id.map(CompanyId),
                owner_id: r.owner_id.map(UserId),
                tags: owned.tags.remove(&r.id).unwrap_or_default(),
                notes: r.notes,
                custom: owned.custom.remove(&r.id).unwrap_or_default(),
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            version: r.version,
        })
        .collect())
}
