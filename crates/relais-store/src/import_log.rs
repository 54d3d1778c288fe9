//! The log of an import's changes: what each batch created or updated, written in the
//! batch's own transaction, so that the log and the data always agree. Read backwards to
//! undo the import.
use crate::bulk::Rows;
use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

/// One change of an import.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LoggedChange {
    pub seq: i64,
    /// `person` or `company`.
    pub entity: String,
    pub record_id: Uuid,
    /// `created` or `updated`.
    pub action: String,
    /// The record's data before an update (JSON).
    pub before: Option<String>,
    /// The version the import left the record at: undo leaves alone a record changed since.
    pub version_after: i64,
}

/// The columns of a `LoggedChange`.
const CHANGE: [&str; 6] = [
    "seq",
    "entity",
    "record_id",
    "action",
    "before",
    "version_after",
];

pub async fn append(
    tx: &mut Tx,
    import: Uuid,
    changes: &[LoggedChange],
    at: DateTime<Utc>,
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut columns = vec!["import_id"];
    columns.extend(CHANGE);
    columns.push("at");
    let mut rows = Rows::new("import_changes", &columns);
    for c in changes {
        rows.push([
            import.into(),
            c.seq.into(),
            c.entity.clone().into(),
            c.record_id.into(),
            c.action.clone().into(),
            c.before.clone().into(),
            c.version_after.into(),
            at.into(),
        ]);
    }
    rows.write(tx).await
}

/// The last `limit` changes of an import, newest first.
pub async fn last(tx: &mut Tx, import: Uuid, limit: u64) -> Result<Vec<LoggedChange>> {
    tx.fetch_all(
        Query::select()
            .columns(CHANGE)
            .from("import_changes")
            .and_where(Expr::col("import_id").eq(import))
            .order_by("seq", Order::Desc)
            .limit(limit),
    )
    .await
}

/// Forgets changes of an import from `seq` on (those just undone).
pub async fn forget_from(tx: &mut Tx, import: Uuid, seq: i64) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table("import_changes")
            .and_where(Expr::col("import_id").eq(import))
            .and_where(Expr::col("seq").gte(seq)),
    )
    .await?;
    Ok(())
}

/// How many changes of an import are logged, and when the first was.
pub async fn summary(tx: &mut Tx, import: Uuid) -> Result<(i64, Option<DateTime<Utc>>)> {
    #[derive(sqlx::FromRow)]
    struct Summary {
        n: i64,
        first: Option<DateTime<Utc>>,
    }
    let s: Summary = tx
        .fetch_one(
            Query::select()
                .expr_as(Expr::col("seq").count(), "n")
                .expr_as(Expr::col("at").min(), "first")
                .from("import_changes")
                .and_where(Expr::col("import_id").eq(import)),
        )
        .await?;
    Ok((s.n, s.first))
}

/// Forgets the logs of imports older than `before`: past the retention, they can no longer be
/// undone.
pub async fn expire(tx: &mut Tx, before: DateTime<Utc>) -> Result<u64> {
    tx.execute(
        Query::delete()
            .from_table("import_changes")
            .and_where(Expr::col("at").lt(before)),
    )
    .await
}
