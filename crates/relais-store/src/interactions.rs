//! Interactions as a kind of record (`records`), and the timelines that read them.
use crate::bulk::Rows;
use crate::coded;
use crate::filter::{self, Page};
use crate::owned::Owned;
use crate::records::{self, ListOrder, Record, Stored};
use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use relais_domain::filter::schema::{self, KindSpec};
use relais_domain::interaction::{Direction, InteractionData, InteractionKind};
use relais_domain::{CompanyId, InteractionId, PersonId, UserId};
use sea_query::{Expr, ExprTrait, Order, Query, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// Interactions, as a kind of record: the timeline of every exchange.
pub struct Interactions;

pub type InteractionRecord = Record<Interactions>;

#[derive(sqlx::FromRow)]
pub struct InteractionRow {
    kind: String,
    direction: Option<String>,
    occurred_at: DateTime<Utc>,
    duration_minutes: Option<i64>,
    subject: Option<String>,
    body: Option<String>,
    company_id: Option<Uuid>,
    about_kind: Option<String>,
    about_id: Option<Uuid>,
}

impl Stored for Interactions {
    type Id = InteractionId;
    type Data = InteractionData;
    type Row = InteractionRow;
    const SPEC: &'static KindSpec = &schema::INTERACTIONS;
    const READ: &'static [&'static str] = &[
        "kind",
        "direction",
        "occurred_at",
        "duration_minutes",
        "subject",
        "body",
        "company_id",
        "about_kind",
        "about_id",
    ];
    const CHILDREN: &'static [(&'static str, &'static str)] = &[
        ("interaction_people", "interaction_id"),
        ("interaction_users", "interaction_id"),
    ];
    const ORDER: ListOrder = ListOrder::Time {
        column: "occurred_at",
        newest_first: true,
    };

    fn written(d: &InteractionData) -> Vec<(&'static str, Value)> {
        vec![
            ("kind", d.kind.as_str().into()),
            ("direction", d.direction.map(|x| x.as_str()).into()),
            ("occurred_at", d.occurred_at.into()),
            ("duration_minutes", d.duration_minutes.into()),
            ("subject", d.subject.clone().into()),
            ("body", d.body.clone().into()),
            ("company_id", d.company_id.map(|c| c.0).into()),
            (
                "about_kind",
                d.about.as_ref().map(|a| a.kind.clone()).into(),
            ),
            ("about_id", d.about.as_ref().map(|a| a.id).into()),
        ]
    }

    fn sort_key(d: &InteractionData) -> String {
        d.occurred_at.to_rfc3339()
    }

    fn time_value(r: &Record<Self>) -> String {
        r.data.occurred_at.to_rfc3339()
    }

    async fn hydrate(
        tx: &mut Tx,
        rows: Vec<(Uuid, InteractionRow)>,
        _owned: Owned,
    ) -> Result<Vec<InteractionData>> {
        hydrate(tx, rows).await
    }

    /// Who took part. The people's links repeat the time and kind (migration 8), for
    /// filters and timelines.
    async fn write_children(tx: &mut Tx, records: &[(Uuid, &InteractionData)]) -> Result<()> {
        let mut people = Rows::new(
            "interaction_people",
            &["interaction_id", "person_id", "occurred_at", "kind"],
        );
        let mut users = Rows::new("interaction_users", &["interaction_id", "user_id"]);
        for (id, d) in records {
            for p in &d.person_ids {
                people.push([
                    (*id).into(),
                    p.0.into(),
                    d.occurred_at.into(),
                    d.kind.as_str().into(),
                ]);
            }
            for u in &d.user_ids {
                users.push([(*id).into(), u.0.into()]);
            }
        }
        people.write(tx).await?;
        users.write(tx).await
    }

    /// The people's links repeat whether the interaction is in the trash (migration 8).
    async fn trashed(tx: &mut Tx, id: Uuid, deleted: bool, now: DateTime<Utc>) -> Result<()> {
        tx.execute(
            Query::update()
                .table("interaction_people")
                .value("deleted_at", if deleted { Some(now) } else { None })
                .and_where(Expr::col("interaction_id").eq(id)),
        )
        .await?;
        Ok(())
    }

    async fn terms(_tx: &mut Tx, records: &[(Uuid, &InteractionData)]) -> Result<Vec<Vec<String>>> {
        Ok(vec![vec![]; records.len()])
    }
}

/// A person's timeline, newest first: one index range scan on (person, occurred_at).
pub async fn timeline(
    tx: &mut Tx,
    person: PersonId,
    kind: Option<InteractionKind>,
    page: &Page,
) -> Result<Vec<InteractionRecord>> {
    let mut q = Query::select();
    records::columns::<Interactions>(&mut q)
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
    records::fetch::<Interactions>(tx, &q).await
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
    let mut q = records::select::<Interactions>();
    q.and_where(Expr::col(("interactions", "id")).in_subquery(theirs))
        .and_where(Expr::col(("interactions", "deleted_at")).is_null())
        .order_by(("interactions", "occurred_at"), Order::Desc)
        .order_by(("interactions", "id"), Order::Desc)
        .limit(limit);
    records::fetch::<Interactions>(tx, &q).await
}

/// A company's timeline: interactions filed on it or on any of its people.
pub async fn company_timeline(
    tx: &mut Tx,
    company: CompanyId,
    kind: Option<InteractionKind>,
    page: &Page,
) -> Result<Vec<InteractionRecord>> {
    let mut q = records::select::<Interactions>();
    q.cond_where(of_company(company))
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
    records::fetch::<Interactions>(tx, &q).await
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

async fn hydrate(tx: &mut Tx, rows: Vec<(Uuid, InteractionRow)>) -> Result<Vec<InteractionData>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<Uuid> = rows.iter().map(|(id, _)| *id).collect();
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
        .map(|(id, r)| InteractionData {
            kind: coded::read(&r.kind, InteractionKind::parse, "interactions", "kind", id)
                .unwrap_or(InteractionKind::Note),
            direction: r
                .direction
                .and_then(|d| coded::read(&d, Direction::parse, "interactions", "direction", id)),
            occurred_at: r.occurred_at,
            duration_minutes: r.duration_minutes,
            subject: r.subject,
            body: r.body,
            person_ids: people.remove(&id).unwrap_or_default(),
            company_id: r.company_id.map(CompanyId),
            user_ids: users.remove(&id).unwrap_or_default(),
            about: records::about(r.about_kind, r.about_id),
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
