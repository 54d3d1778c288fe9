//! Consent per channel, kept as a history: the current status is the latest record.
use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use relais_domain::interaction::ConsentData;
use relais_domain::{PersonId, UserId};
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ConsentRecord {
    pub id: Uuid,
    pub person_id: Uuid,
    pub channel: String,
    pub status: String,
    pub source: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<Uuid>,
}

pub async fn insert(
    tx: &mut Tx,
    person: PersonId,
    c: &ConsentData,
    by: Option<UserId>,
    at: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    tx.execute(
        Query::insert()
            .into_table("consents")
            .columns([
                "id",
                "person_id",
                "channel",
                "status",
                "source",
                "recorded_at",
                "recorded_by",
            ])
            .values_panic([
                id.into(),
                person.0.into(),
                c.channel.as_str().into(),
                c.status.as_str().into(),
                c.source.clone().into(),
                at.into(),
                by.map(|u| u.0).into(),
            ]),
    )
    .await?;
    Ok(id)
}

/// Every consent record of a person, newest first.
pub async fn history(tx: &mut Tx, person: PersonId) -> Result<Vec<ConsentRecord>> {
    tx.fetch_all(
        Query::select()
            .columns([
                "id",
                "person_id",
                "channel",
                "status",
                "source",
                "recorded_at",
                "recorded_by",
            ])
            .from("consents")
            .and_where(Expr::col("person_id").eq(person.0))
            .order_by("recorded_at", Order::Desc)
            .order_by("id", Order::Desc),
    )
    .await
}

/// The current consent per channel: the latest record of each.
pub fn current(history: &[ConsentRecord]) -> Vec<ConsentRecord> {
    let mut out: Vec<ConsentRecord> = Vec::new();
    for c in history {
        if !out.iter().any(|o| o.channel == c.channel) {
            out.push(c.clone());
        }
    }
    out
}

pub async fn reassign(tx: &mut Tx, from: PersonId, to: PersonId) -> Result<()> {
    tx.execute(
        Query::update()
            .table("consents")
            .value("person_id", to.0)
            .and_where(Expr::col("person_id").eq(from.0)),
    )
    .await?;
    Ok(())
}
