//! Saved views: a list as a user filtered, searched and sorted it, kept under a name to come
//! back to. Kept as the list's query string, so a view is exactly what the list reads.
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::record;
use relais_domain::Invalid;
use relais_domain::error::optional_text;
use relais_domain::filter::schema::{self, KindSpec};
use relais_store::Db;
use relais_store::views::{self as store, SavedView};
use uuid::Uuid;

/// The lists a view can be saved of: the kinds with a list page.
fn kind(list: &str) -> Option<&'static KindSpec> {
    match list {
        "people" | "companies" => schema::kind(list),
        _ => None,
    }
}

/// The parameters a view keeps: not the page it was on.
fn kept(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, v)| k != "cursor" && k != "limit" && !v.trim().is_empty())
        .collect()
}

pub async fn save(db: &Db, actor: &Actor, list: &str, name: &str, query: &str) -> Result<()> {
    let user = actor.user.ok_or(CoreError::Unauthenticated)?;
    let kind = kind(list).ok_or(CoreError::NotFound("list"))?;
    let name = optional_text(Some(name), 80)
        .map_err(|m| Invalid::one("view_name", m))?
        .ok_or_else(|| Invalid::one("view_name", relais_domain::Code::Required))?;
    let params = kept(query);
    // A view is checked as the list would read it: an unknown filter is refused now, not
    // each time the view is opened.
    let mut tx = db.write().await?;
    let ctx = record::context(&mut tx).await?;
    let (filter, _, _) = record::list_request(&params, kind, &ctx)?;
    let filter = serde_json::to_string(&filter).map_err(|e| CoreError::Internal(e.to_string()))?;
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    let view = store::NewView {
        list,
        name: &name,
        query: &query,
        filter: &filter,
    };
    store::insert(&mut tx, user, view, record::now())
        .await
        .map_err(|e| match e {
            relais_store::StoreError::Duplicate(_) => {
                Invalid::one("view_name", relais_domain::Code::ViewTaken).into()
            }
            other => CoreError::from(other),
        })?;
    tx.commit().await?;
    Ok(())
}

pub async fn list(db: &Db, actor: &Actor, list: &str) -> Result<Vec<SavedView>> {
    let user = actor.user.ok_or(CoreError::Unauthenticated)?;
    let mut tx = db.read().await?;
    Ok(store::list(&mut tx, user, list).await?)
}

pub async fn delete(db: &Db, actor: &Actor, id: Uuid) -> Result<()> {
    let user = actor.user.ok_or(CoreError::Unauthenticated)?;
    let mut tx = db.write().await?;
    store::delete(&mut tx, user, id)
        .await
        .map_err(|_| CoreError::NotFound("view"))?;
    tx.commit().await?;
    Ok(())
}
