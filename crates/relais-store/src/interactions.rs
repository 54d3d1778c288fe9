//! Interactions: the timeline of every exchange, on every channel.
use crate::filter::{self, Page};
use crate::{Result, StoreError, Tx};
use chrono::{DateTime, Utc};
use relais_domain::filter::Filter;
use relais_domain::filter::schema::INTERACTIONS;
use relais_domain::interaction::{Direction, InteractionData, InteractionKind};
use relais_domain::{CompanyId, InteractionId, PersonId, UserId};
use sea_query::{Expr, ExprTrait, Order, Query};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct InteractionRecord {
    pub id: InteractionId,
    pub data: InteractionData,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    kind: String,
    direction: Option<String>,
    occurred_at: DateTime<Utc>,
    duration_minutes: Option<i64>,
    subject: Option<String>,
    body: Option<String>,
    company_id: Option<Uuid>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    version: i64,
}

const COLUMNS: [&str; 13] = [
    "id",
    "kind",
    "direction",
    "occurred_at",
    "duration_minutes",
    "subject",
    "body",
    "company_id",
    "created_by",
    "created_at",
    "updated_at",
    "deleted_at",
    "version",
];

pub async fn insert(
    tx: &mut Tx,
    id: InteractionId,
    d: &InteractionData,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table("interactions")
            .columns(COLUMNS)
            .values_panic([
                id.0.into(),
                d.kind.as_str().into(),
                d.direction.map(|x| x.as_str()).into(),
                d.occurred_at.into(),
                d.duration_minutes.into(),
                d.subject.clone().into(),
                d.body.clone().into(),
                d.company_id.map(|c| c.0).into(),
                by.map(|u| u.0).into(),
                now.into(),
                now.into(),
                None::<DateTime<Utc>>.into(),
                1i64.into(),
            ]),
    )
    .await?;
    insert_links(tx, id, d).await
}

async fn insert_links(tx: &mut Tx, id: InteractionId, d: &InteractionData) -> Result<()> {
    if !d.person_ids.is_empty() {
        let mut q = Query::insert();
        // occurred_at and kind are repeated for filters and timelines (migration 8).
        q.into_table("interaction_people").columns([
            "interaction_id",
            "person_id",
            "occurred_at",
            "kind",
        ]);
        for p in &d.person_ids {
            q.values_panic([
                id.0.into(),
                p.0.into(),
                d.occurred_at.into(),
                d.kind.as_str().into(),
            ]);
        }
        tx.execute(&q).await?;
    }
    if !d.user_ids.is_empty() {
        let mut q = Query::insert();
        q.into_table("interaction_users")
            .columns(["interaction_id", "user_id"]);
        for u in &d.user_ids {
            q.values_panic([id.0.into(), u.0.into()]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

pub async fn update(
    tx: &mut Tx,
    id: InteractionId,
    expected: i64,
    d: &InteractionData,
    now: DateTime<Utc>,
) -> Result<i64> {
    let q = Query::update()
        .table("interactions")
        .value("kind", d.kind.as_str())
        .value("direction", d.direction.map(|x| x.as_str()))
        .value("occurred_at", d.occurred_at)
        .value("duration_minutes", d.duration_minutes)
        .value("subject", d.subject.clone())
        .value("body", d.body.clone())
        .value("company_id", d.company_id.map(|c| c.0))
        .value("updated_at", now)
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(id.0))
        .and_where(Expr::col("version").eq(expected))
        .and_where(Expr::col("deleted_at").is_null())
        .to_owned();
    if tx.execute(&q).await? == 0 {
        return Err(match get(tx, id, true).await? {
            Some(i) if i.deleted_at.is_none() => StoreError::Conflict,
            _ => StoreError::NotFound,
        });
    }
    for t in ["interaction_people", "interaction_users"] {
        tx.execute(
            Query::delete()
                .from_table(t)
                .and_where(Expr::col("interaction_id").eq(id.0)),
        )
        .await?;
    }
    insert_links(tx, id, d).await?;
    Ok(expected + 1)
}

pub async fn set_deleted(
    tx: &mut Tx,
    id: InteractionId,
    deleted: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let q = Query::update()
        .table("interactions")
        .value("deleted_at", if deleted { Some(now) } else { None })
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
    // The links repeat whether the interaction is in the trash (migration 8).
    tx.execute(
        Query::update()
            .table("interaction_people")
            .value("deleted_at", if deleted { Some(now) } else { None })
            .and_where(Expr::col("interaction_id").eq(id.0)),
    )
    .await?;
    Ok(())
}

pub async fn purge(tx: &mut Tx, id: InteractionId) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table("audit_log")
            .and_where(Expr::col("entity_id").eq(id.0)),
    )
    .await?;
    if tx
        .execute(
            Query::delete()
                .from_table("interactions")
                .and_where(Expr::col("id").eq(id.0)),
        )
        .await?
        == 0
    {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(
    tx: &mut Tx,
    id: InteractionId,
    include_deleted: bool,
) -> Result<Option<InteractionRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS)
        .from("interactions")
        .and_where(Expr::col("id").eq(id.0));
    if !include_deleted {
        q.and_where(Expr::col("deleted_at").is_null());
    }
    let rows: Vec<Row> = tx.fetch_all(&q).await?;
    Ok(hydrate(tx, rows).await?.pop())
}

/// Interactions matching `f`, newest first. `person_id` and `user_id` filters go through
/// the link tables; the rest are columns.
pub async fn list(tx: &mut Tx, f: &Filter, page: &Page) -> Result<Vec<InteractionRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS.map(|c| ("interactions", c)))
        .from("interactions");
    q.and_where(if page.trash {
        Expr::col(("interactions", "deleted_at")).is_not_null()
    } else {
        Expr::col(("interactions", "deleted_at")).is_null()
    });
    q.cond_where(filter::condition(
        &INTERACTIONS,
        f,
        &filter::Context::default(),
    )?);
    filter::keyset_on(
        &mut q,
        ("interactions", "occurred_at"),
        ("interactions", "id"),
        true,
        true,
        page,
    )?;
    let rows: Vec<Row> = tx.fetch_all(&q).await?;
    hydrate(tx, rows).await
}

/// A person's timeline, newest first: one index range scan on (person, occurred_at).
pub async fn timeline(
    tx: &mut Tx,
    person: PersonId,
    kind: Option<InteractionKind>,
    page: &Page,
) -> Result<Vec<InteractionRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS.map(|c| ("interactions", c)))
        .from("interaction_people")
        .join(
            sea_query::JoinType::InnerJoin,
            "interactions",
            Expr::col(("interactions", "id")).equals(("interaction_people", "interaction_id")),
        )
        .and_where(Expr::col(("interaction_people", "person_id")).eq(person.0))
        .and_where(Expr::col(("interactions", "deleted_at")).is_null());
    if let Some(k) = kind {
        q.and_where(Expr::col(("interactions", "kind")).eq(k.as_str()));
    }
    filter::keyset_on(
        &mut q,
        ("interaction_people", "occurred_at"),
        ("interaction_people", "interaction_id"),
        true,
        true,
        page,
    )?;
    let rows: Vec<Row> = tx.fetch_all(&q).await?;
    hydrate(tx, rows).await
}

/// The latest interactions with the people a user owns, newest first.
pub async fn recent_for_owner(
    tx: &mut Tx,
    owner: relais_domain::UserId,
    limit: u64,
) -> Result<Vec<InteractionRecord>> {
    let theirs = Query::select()
        .column(("ip", "interaction_id"))
        .from_as("interaction_people", "ip")
        .join_as(
            sea_query::JoinType::InnerJoin,
            "people",
            "p",
            Expr::col(("p", "id")).equals(("ip", "person_id")),
        )
        .and_where(Expr::col(("p", "owner_id")).eq(owner.0))
        .to_owned();
    let q = Query::select()
        .columns(COLUMNS.map(|c| ("interactions", c)))
        .from("interactions")
        .and_where(Expr::col(("interactions", "id")).in_subquery(theirs))
        .and_where(Expr::col(("interactions", "deleted_at")).is_null())
        .order_by(("interactions", "occurred_at"), Order::Desc)
        .order_by(("interactions", "id"), Order::Desc)
        .limit(limit)
        .to_owned();
    let rows: Vec<Row> = tx.fetch_all(&q).await?;
    hydrate(tx, rows).await
}

/// A company's timeline: interactions filed on it or on any of its people.
pub async fn company_timeline(
    tx: &mut Tx,
    company: CompanyId,
    kind: Option<InteractionKind>,
    page: &Page,
) -> Result<Vec<InteractionRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS.map(|c| ("interactions", c)))
        .from("interactions")
        .cond_where(of_company(company))
        .and_where(Expr::col(("interactions", "deleted_at")).is_null());
    if let Some(k) = kind {
        q.and_where(Expr::col(("interactions", "kind")).eq(k.as_str()));
    }
    filter::keyset_on(
        &mut q,
        ("interactions", "occurred_at"),
        ("interactions", "id"),
        true,
        true,
        page,
    )?;
    let rows: Vec<Row> = tx.fetch_all(&q).await?;
    hydrate(tx, rows).await
}

/// The interactions on a company's timeline: filed on it, or on any of its people.
fn of_company(company: CompanyId) -> sea_query::Condition {
    let people = Query::select()
        .column("person_id")
        .from("person_companies")
        .and_where(Expr::col("company_id").eq(company.0))
        .to_owned();
    let linked = Query::select()
        .column("interaction_id")
        .from("interaction_people")
        .and_where(Expr::col("person_id").in_subquery(people))
        .to_owned();
    sea_query::Condition::any()
        .add(Expr::col(("interactions", "company_id")).eq(company.0))
        .add(Expr::col(("interactions", "id")).in_subquery(linked))
}

#[derive(sqlx::FromRow)]
struct Link {
    interaction_id: Uuid,
    other: Uuid,
}

async fn hydrate(tx: &mut Tx, rows: Vec<Row>) -> Result<Vec<InteractionRecord>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let links = |table: &'static str, col: &'static str| {
        Query::select()
            .column("interaction_id")
            .expr_as(Expr::col(col), "other")
            .from(table)
            .and_where(Expr::col("interaction_id").is_in(ids.clone()))
            .to_owned()
    };
    let people_q = links("interaction_people", "person_id");
    let users_q = links("interaction_users", "user_id");
    let mut people: HashMap<Uuid, Vec<PersonId>> = HashMap::new();
    for l in tx.fetch_all::<Link>(&people_q).await? {
        people
            .entry(l.interaction_id)
            .or_default()
            .push(PersonId(l.other));
    }
    let mut users: HashMap<Uuid, Vec<UserId>> = HashMap::new();
    for l in tx.fetch_all::<Link>(&users_q).await? {
        users
            .entry(l.interaction_id)
            .or_default()
            .push(UserId(l.other));
    }
    Ok(rows
        .into_iter()
        .map(|r| InteractionRecord {
            id: InteractionId(r.id),
            data: InteractionData {
                kind: InteractionKind::parse(&r.kind).unwrap_or(InteractionKind::Note),
                direction: r.direction.and_then(|d| Direction::parse(&d).ok()),
                occurred_at: r.occurred_at,
                duration_minutes: r.duration_minutes,
                subject: r.subject,
                body: r.body,
                person_ids: people.remove(&r.id).unwrap_or_default(),
                company_id: r.company_id.map(CompanyId),
                user_ids: users.remove(&r.id).unwrap_or_default(),
            },
            created_by: r.created_by.map(UserId),
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            version: r.version,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct KindCount {
    kind: String,
    n: i64,
}

/// Counts of a person's interactions by kind, for the overview.
pub async fn counts_by_kind(tx: &mut Tx, person: PersonId) -> Result<Vec<(String, i64)>> {
    let q = Query::select()
        .column(("interactions", "kind"))
        .expr_as(Expr::col(("interactions", "id")).count(), "n")
        .from("interaction_people")
        .join(
            sea_query::JoinType::InnerJoin,
            "interactions",
            Expr::col(("interactions", "id")).equals(("interaction_people", "interaction_id")),
        )
        .and_where(Expr::col(("interaction_people", "person_id")).eq(person.0))
        .and_where(Expr::col(("interactions", "deleted_at")).is_null())
        .group_by_col(("interactions", "kind"))
        .to_owned();
    kind_counts(tx, &q).await
}

/// Counts by kind of the interactions on a company's timeline, for the overview.
pub async fn company_counts_by_kind(tx: &mut Tx, company: CompanyId) -> Result<Vec<(String, i64)>> {
    let q = Query::select()
        .column(("interactions", "kind"))
        .expr_as(Expr::col(("interactions", "id")).count(), "n")
        .from("interactions")
        .cond_where(of_company(company))
        .and_where(Expr::col(("interactions", "deleted_at")).is_null())
        .group_by_col(("interactions", "kind"))
        .to_owned();
    kind_counts(tx, &q).await
}

async fn kind_counts(tx: &mut Tx, q: &sea_query::SelectStatement) -> Result<Vec<(String, i64)>> {
    Ok(tx
        .fetch_all::<KindCount>(q)
        .await?
        .into_iter()
        .map(|k| (k.kind, k.n))
        .collect())
}

/// Moves a merged person's interactions to the survivor, without linking one twice.
pub async fn reassign_person(tx: &mut Tx, from: PersonId, to: PersonId) -> Result<()> {
    let already = Query::select()
        .column("interaction_id")
        .from("interaction_people")
        .and_where(Expr::col("person_id").eq(to.0))
        .to_owned();
    tx.execute(
        Query::delete()
            .from_table("interaction_people")
            .and_where(Expr::col("person_id").eq(from.0))
            .and_where(Expr::col("interaction_id").in_subquery(already)),
    )
    .await?;
    tx.execute(
        Query::update()
            .table("interaction_people")
            .value("person_id", to.0)
            .and_where(Expr::col("person_id").eq(from.0)),
    )
    .await?;
    Ok(())
}
