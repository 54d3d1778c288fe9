//! Companies as a kind of record (`records`), and what only companies do: their groups, the
//! duplicate rule of imports.
use crate::owned::Owned;
use crate::people::People;
use crate::records::{self, Record, Stored, folded};
use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use relais_domain::company::CompanyData;
use relais_domain::filter::schema::{self, KindSpec};
use relais_domain::legal::{Siren, Siret, VatNumber};
use relais_domain::person::Address;
use relais_domain::{CompanyId, Email, Phone, UserId};
use sea_query::{Expr, ExprTrait, Order, Query, Value};
use uuid::Uuid;

/// Companies, as a kind of record.
pub struct Companies;

pub type CompanyRecord = Record<Companies>;

#[derive(sqlx::FromRow)]
pub struct CompanyRow {
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
}

impl Stored for Companies {
    type Id = CompanyId;
    type Data = CompanyData;
    type Row = CompanyRow;
    const SPEC: &'static KindSpec = &schema::COMPANIES;
    const READ: &'static [&'static str] = &[
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
    ];

    fn written(d: &CompanyData) -> Vec<(&'static str, Value)> {
        let text = |v: Option<&str>| Value::from(v.map(str::to_string));
        vec![
            ("name", d.name.clone().into()),
            ("sort_key", d.sort_key().into()),
            ("siren", text(d.siren.as_ref().map(|v| v.as_str()))),
            ("siret", text(d.siret.as_ref().map(|v| v.as_str()))),
            (
                "vat_number",
                text(d.vat_number.as_ref().map(|v| v.as_str())),
            ),
            ("industry", d.industry.clone().into()),
            ("size", d.size.clone().into()),
            ("website", d.website.clone().into()),
            ("email", text(d.email.as_ref().map(|v| v.as_str()))),
            ("phone", text(d.phone.as_ref().map(|v| v.as_str()))),
            ("parent_id", d.parent_id.map(|v| v.0).into()),
            ("owner_id", d.owner_id.map(|v| v.0).into()),
            ("notes", d.notes.clone().into()),
            ("industry_key", folded(&d.industry)),
        ]
    }

    fn sort_key(d: &CompanyData) -> String {
        d.sort_key()
    }

    fn owned(d: &CompanyData) -> (&[Address], &[String]) {
        (&d.addresses, &d.tags)
    }

    async fn hydrate(
        _tx: &mut Tx,
        rows: Vec<(Uuid, CompanyRow)>,
        mut owned: Owned,
    ) -> Result<Vec<CompanyData>> {
        Ok(rows
            .into_iter()
            .map(|(id, r)| {
                let o = owned.take(id);
                CompanyData {
                    name: r.name,
                    siren: r.siren.map(Siren::from_store),
                    siret: r.siret.map(Siret::from_store),
                    vat_number: r.vat_number.map(VatNumber::from_store),
                    industry: r.industry,
                    size: r.size,
                    website: r.website,
                    email: r.email.map(Email::from_store),
                    phone: r.phone.map(Phone::from_store),
                    addresses: o.addresses,
                    parent_id: r.parent_id.map(CompanyId),
                    owner_id: r.owner_id.map(UserId),
                    tags: o.tags,
                    notes: r.notes,
                    custom: o.custom,
                }
            })
            .collect())
    }

    async fn terms(_tx: &mut Tx, records: &[(Uuid, &CompanyData)]) -> Result<Vec<Vec<String>>> {
        Ok(records.iter().map(|(_, d)| d.search_terms()).collect())
    }

    /// People are found by the words of their companies' names.
    async fn updated(
        tx: &mut Tx,
        id: Uuid,
        before: &CompanyData,
        after: &CompanyData,
        _by: Option<UserId>,
        _now: DateTime<Utc>,
    ) -> Result<()> {
        if before.name != after.name {
            let people = crate::people::ids_in_company(tx, CompanyId(id)).await?;
            records::refresh_terms::<People>(tx, &people).await?;
        }
        Ok(())
    }

    /// Its people are no longer found by its name once their links to it are gone.
    async fn purging(tx: &mut Tx, id: Uuid) -> Result<()> {
        let people = crate::people::ids_in_company(tx, CompanyId(id)).await?;
        tx.execute(
            Query::delete()
                .from_table("person_companies")
                .and_where(Expr::col("company_id").eq(id)),
        )
        .await?;
        records::refresh_terms::<People>(tx, &people).await
    }
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
                .value("industry_key", folded(&r.industry))
                .and_where(Expr::col("id").eq(r.id)),
        )
        .await?;
    }
    Ok(())
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
