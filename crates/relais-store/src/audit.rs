//! The audit trail: who changed which field from what to what, and when. Append-only.
use crate::filter::{Page, keyset_on};
use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use relais_domain::UserId;
use sea_query::{Expr, ExprTrait, Query};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub entity: String,
    pub entity_id: Uuid,
    /// created, updated, deleted, restored, merged, consent, ...
    pub action: String,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// One line of the trail, before it is written.
#[derive(Debug, Clone)]
pub struct Change {
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

pub async fn append(
    tx: &mut Tx,
    actor: Option<UserId>,
    entity: &str,
    entity_id: Uuid,
    action: &str,
    changes: &[Change],
    at: DateTime<Utc>,
) -> Result<()> {
    let mut q = Query::insert();
    q.into_table("audit_log").columns([
        "id",
        "at",
        "actor_id",
        "entity",
        "entity_id",
        "action",
        "field",
        "old_value",
        "new_value",
    ]);
    let none = [Change {
        field: None,
        old_value: None,
        new_value: None,
    }];
    let rows = if changes.is_empty() {
        &none[..]
    } else {
        changes
    };
    for c in rows {
        q.values_panic([
            Uuid::now_v7().into(),
            at.into(),
            actor.map(|a| a.0).into(),
            entity.into(),
            entity_id.into(),
            action.into(),
            c.field.clone().into(),
            c.old_value.clone().into(),
            c.new_value.clone().into(),
        ]);
    }
    tx.execute(&q).await?;
    Ok(())
}

/// The same action on many records at once, with no field detail ("created" by an import).
pub async fn append_many(
    tx: &mut Tx,
    actor: Option<UserId>,
    entity: &str,
    action: &str,
    ids: impl IntoIterator<Item = Uuid>,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut rows = crate::bulk::Rows::new(
        "audit_log",
        &["id", "at", "actor_id", "entity", "entity_id", "action"],
    );
    for id in ids {
        rows.push([
            Uuid::now_v7().into(),
            at.into(),
            actor.map(|a| a.0).into(),
            entity.into(),
            id.into(),
            action.into(),
        ]);
    }
    rows.write(tx).await
}

/// The trail of one record, newest first.
pub async fn for_record(tx: &mut Tx, entity_id: Uuid, page: &Page) -> Result<Vec<AuditEntry>> {
    let mut q = Query::select();
    q.columns([
        "id",
        "at",
        "actor_id",
        "entity",
        "entity_id",
        "action",
        "field",
        "old_value",
        "new_value",
    ])
    .from("audit_log")
    .and_where(Expr::col("entity_id").eq(entity_id));
    keyset_on(
        &mut q,
        ("audit_log", "at"),
        ("audit_log", "id"),
        true,
        true,
        page,
    )?;
    tx.fetch_all(&q).await
}

/// Moves the trail of a merged record to the survivor: nothing of its history is lost.
pub async fn reassign(tx: &mut Tx, from: Uuid, to: Uuid) -> Result<()> {
    tx.execute(
        Query::update()
            .table("audit_log")
            .value("entity_id", to)
            .and_where(Expr::col("entity_id").eq(from)),
    )
    .await?;
    Ok(())
}
