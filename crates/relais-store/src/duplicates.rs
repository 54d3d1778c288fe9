//! Candidates for duplicate detection: records sharing an exact key (found by the index),
//! and names to compare, grouped, for the similarity test done in the service.
use crate::{Result, Tx};
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Pair {
    pub a: Uuid,
    pub b: Uuid,
    pub key: String,
}

/// Pairs of live people sharing a value of `column` in `table` (e-mail key, phone number).
async fn people_sharing(
    tx: &mut Tx,
    table: &'static str,
    column: &'static str,
    limit: u64,
) -> Result<Vec<Pair>> {
    let q = Query::select()
        .expr_as(Expr::col(("x", "person_id")), "a")
        .expr_as(Expr::col(("y", "person_id")), "b")
        .expr_as(Expr::col(("x", column)), "key")
        .from_as(table, "x")
        .join_as(
            sea_query::JoinType::InnerJoin,
            table,
            "y",
            Expr::col(("y", column))
                .equals(("x", column))
                .and(Expr::col(("x", "person_id")).lt(Expr::col(("y", "person_id")))),
        )
        .join_as(
            sea_query::JoinType::InnerJoin,
            "people",
            "pa",
            Expr::col(("pa", "id")).equals(("x", "person_id")),
        )
        .join_as(
            sea_query::JoinType::InnerJoin,
            "people",
            "pb",
            Expr::col(("pb", "id")).equals(("y", "person_id")),
        )
        .and_where(Expr::col(("pa", "deleted_at")).is_null())
        .and_where(Expr::col(("pb", "deleted_at")).is_null())
        .order_by(("x", column), Order::Asc)
        .limit(limit)
        .to_owned();
    tx.fetch_all(&q).await
}

pub async fn people_sharing_email(tx: &mut Tx, limit: u64) -> Result<Vec<Pair>> {
    people_sharing(tx, "person_emails", "address_key", limit).await
}

pub async fn people_sharing_phone(tx: &mut Tx, limit: u64) -> Result<Vec<Pair>> {
    people_sharing(tx, "person_phones", "number", limit).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Named {
    pub group_id: Uuid,
    pub id: Uuid,
    pub sort_key: String,
}

/// Live people with their company, grouped by company: names are compared within a company.
pub async fn people_by_company(tx: &mut Tx, limit: u64) -> Result<Vec<Named>> {
    let q = Query::select()
        .expr_as(Expr::col(("pc", "company_id")), "group_id")
        .expr_as(Expr::col(("p", "id")), "id")
        .expr_as(Expr::col(("p", "sort_key")), "sort_key")
        .from_as("person_companies", "pc")
        .join_as(
            sea_query::JoinType::InnerJoin,
            "people",
            "p",
            Expr::col(("p", "id")).equals(("pc", "person_id")),
        )
        .and_where(Expr::col(("p", "deleted_at")).is_null())
        .order_by(("pc", "company_id"), Order::Asc)
        .order_by(("p", "sort_key"), Order::Asc)
        .limit(limit)
        .to_owned();
    tx.fetch_all(&q).await
}

/// Live records of `table` by folded name (`sort_key`): neighbours in this order are
/// compared.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ByName {
    pub id: Uuid,
    pub sort_key: String,
}

pub async fn by_name(tx: &mut Tx, table: &'static str, limit: u64) -> Result<Vec<ByName>> {
    let q = Query::select()
        .columns(["id", "sort_key"])
        .from(table)
        .and_where(Expr::col("deleted_at").is_null())
        .order_by("sort_key", Order::Asc)
        .limit(limit)
        .to_owned();
    tx.fetch_all(&q).await
}

/// Live companies by folded name (neighbours in this order are compared), with their SIREN.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompanyKey {
    pub id: Uuid,
    pub sort_key: String,
    pub siren: Option<String>,
}

pub async fn companies_by_name(tx: &mut Tx, limit: u64) -> Result<Vec<CompanyKey>> {
    let q = Query::select()
        .columns(["id", "sort_key", "siren"])
        .from("companies")
        .and_where(Expr::col("deleted_at").is_null())
        .order_by("sort_key", Order::Asc)
        .limit(limit)
        .to_owned();
    tx.fetch_all(&q).await
}

/// Moves everything that points at company `from` to `to`: people links (without linking
/// one person twice), interactions, tasks, subsidiaries.
pub async fn reassign_company(tx: &mut Tx, from: Uuid, to: Uuid) -> Result<()> {
    let moved = crate::people::ids_in_company(tx, relais_domain::CompanyId(from)).await?;
    let already = Query::select()
        .column("person_id")
        .from("person_companies")
        .and_where(Expr::col("company_id").eq(to))
        .to_owned();
    tx.execute(
        Query::delete()
            .from_table("person_companies")
            .and_where(Expr::col("company_id").eq(from))
            .and_where(Expr::col("person_id").in_subquery(already)),
    )
    .await?;
    for (table, col) in [
        ("person_companies", "company_id"),
        ("interactions", "company_id"),
        ("tasks", "company_id"),
        ("companies", "parent_id"),
    ] {
        tx.execute(
            Query::update()
                .table(table)
                .value(col, to)
                .and_where(Expr::col(col).eq(from)),
        )
        .await?;
    }
    // A subsidiary of the discarded company that was the survivor itself must not become its own parent.
    tx.execute(
        Query::update()
            .table("companies")
            .value("parent_id", None::<Uuid>)
            .and_where(Expr::col("id").eq(to))
            .and_where(Expr::col("parent_id").eq(to)),
    )
    .await?;
    // Its people are now found by the survivor's name.
    crate::records::refresh_terms::<crate::people::People>(tx, &moved).await
}
