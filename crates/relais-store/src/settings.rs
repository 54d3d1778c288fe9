//! Settings an administrator changes from the app, stored by name as text.
use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use relais_domain::UserId;
use sea_query::{Expr, ExprTrait, OnConflict, Query};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
}

/// Every setting stored (those never set are not).
pub async fn all(tx: &mut Tx) -> Result<Vec<Setting>> {
    let q = Query::select()
        .columns(["key", "value", "updated_at", "updated_by"])
        .from("settings")
        .to_owned();
    tx.fetch_all(&q).await
}

/// The value of one setting, if it was ever set.
pub async fn get(tx: &mut Tx, key: &str) -> Result<Option<String>> {
    let q = Query::select()
        .columns(["key", "value", "updated_at", "updated_by"])
        .from("settings")
        .and_where(Expr::col("key").eq(key))
        .to_owned();
    Ok(tx.fetch_optional::<Setting>(&q).await?.map(|s| s.value))
}

/// Sets one setting, whether or not it was set before.
pub async fn put(
    tx: &mut Tx,
    key: &str,
    value: &str,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let q = Query::insert()
        .into_table("settings")
        .columns(["key", "value", "updated_at", "updated_by"])
        .values_panic([key.into(), value.into(), now.into(), by.map(|u| u.0).into()])
        .on_conflict(
            OnConflict::column("key")
                .update_columns(["value", "updated_at", "updated_by"])
                .to_owned(),
        )
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}
