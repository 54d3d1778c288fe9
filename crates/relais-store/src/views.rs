//! Saved views of lists: per user, a name and a query string.
use crate::{Result, StoreError, Tx};
use chrono::{DateTime, Utc};
use relais_domain::UserId;
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SavedView {
    pub id: Uuid,
    pub list: String,
    pub name: String,
    pub query: String,
    /// The view's filter as the segment language's tree (JSON); absent on views saved
    /// before it was kept.
    pub filter: Option<String>,
}

/// A view to save.
pub struct NewView<'a> {
    pub list: &'a str,
    pub name: &'a str,
    pub query: &'a str,
    pub filter: &'a str,
}

pub async fn insert(
    tx: &mut Tx,
    user: UserId,
    view: NewView<'_>,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    tx.execute(
        Query::insert()
            .into_table("saved_views")
            .columns([
                "id",
                "user_id",
                "list",
                "name",
                "query",
                "filter",
                "created_at",
            ])
            .values_panic([
                id.into(),
                user.0.into(),
                view.list.into(),
                view.name.into(),
                view.query.into(),
                view.filter.into(),
                now.into(),
            ]),
    )
    .await?;
    Ok(id)
}

/// A user's views of a list, by name.
pub async fn list(tx: &mut Tx, user: UserId, list: &str) -> Result<Vec<SavedView>> {
    tx.fetch_all(
        Query::select()
            .columns(["id", "list", "name", "query", "filter"])
            .from("saved_views")
            .and_where(Expr::col("user_id").eq(user.0))
            .and_where(Expr::col("list").eq(list))
            .order_by("name", Order::Asc),
    )
    .await
}

/// Deletes one of a user's views; another user's is not found.
pub async fn delete(tx: &mut Tx, user: UserId, id: Uuid) -> Result<()> {
    let n = tx
        .execute(
            Query::delete()
                .from_table("saved_views")
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("user_id").eq(user.0)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
