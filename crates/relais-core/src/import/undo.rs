//! Undoing an import from its log (`relais_store::import_log`), newest change first, in
//! short transactions like the import itself: the people and companies it created are
//! erased, the ones it updated get their data from before back. A record changed by someone
//! since the import is left as it is and counted: undo never overwrites a later change.
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::record;
use relais_domain::company::CompanyDraft;
use relais_domain::person::PersonDraft;
use relais_domain::{Action, CompanyId, PersonId, Resource};
use relais_store::import_log::{self, LoggedChange};
use relais_store::{Db, Tx};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an undo did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UndoReport {
    /// Records the import created, erased.
    pub removed: u64,
    /// Records the import updated, back to their data from before.
    pub restored: u64,
    /// Records changed by someone since the import, left as they are.
    pub kept: u64,
}

/// Changes undone per transaction.
const CHUNK: u64 = 200;

/// Undoes every change logged under `import`, newest first. `progress` gets the changes
/// undone so far and the total.
pub async fn undo(
    db: &Db,
    actor: &Actor,
    import: Uuid,
    mut progress: impl FnMut(u64, u64),
) -> Result<UndoReport> {
    actor.require(Action::Create, Resource::Transfer)?;
    let total = {
        let mut tx = db.read().await?;
        import_log::summary(&mut tx, import).await?.0.max(0) as u64
    };
    let mut report = UndoReport::default();
    let mut done = 0;
    loop {
        let mut tx = db.write().await?;
        let changes = import_log::last(&mut tx, import, CHUNK).await?;
        let Some(oldest) = changes.last().map(|c| c.seq) else {
            break;
        };
        for c in &changes {
            undo_one(&mut tx, actor, c, &mut report).await?;
        }
        import_log::forget_from(&mut tx, import, oldest).await?;
        tx.commit().await?;
        done += changes.len() as u64;
        progress(done, total);
    }
    Ok(report)
}

async fn undo_one(
    tx: &mut Tx,
    actor: &Actor,
    c: &LoggedChange,
    report: &mut UndoReport,
) -> Result<()> {
    match (c.entity.as_str(), c.action.as_str()) {
        ("person", action) => {
            let id = PersonId(c.record_id);
            let current = match crate::people::load(tx, id, true).await {
                Ok(p) => p,
                Err(CoreError::NotFound(_)) => return Ok(()),
                Err(e) => return Err(e),
            };
            if current.version != c.version_after {
                report.kept += 1;
                return Ok(());
            }
            if action == "created" {
                relais_store::people::purge(tx, id).await?;
                report.removed += 1;
                return Ok(());
            }
            let before: PersonDraft = before(c)?;
            let (data, writes) = crate::people::check(tx, &before).await?;
            crate::people::save(tx, actor, &current, data, &writes).await?;
            report.restored += 1;
        }
        ("company", action) => {
            let id = CompanyId(c.record_id);
            let current = match crate::companies::load(tx, id, true).await {
                Ok(c) => c,
                Err(CoreError::NotFound(_)) => return Ok(()),
                Err(e) => return Err(e),
            };
            if current.version != c.version_after {
                report.kept += 1;
                return Ok(());
            }
            if action == "created" {
                // People came to work there since (not by this import): it stays.
                if !relais_store::people::ids_in_company(tx, id)
                    .await?
                    .is_empty()
                {
                    report.kept += 1;
                    return Ok(());
                }
                relais_store::companies::purge(tx, id).await?;
                report.removed += 1;
                return Ok(());
            }
            let before: CompanyDraft = before(c)?;
            let (data, writes) = crate::companies::check(tx, &before, Some(id)).await?;
            crate::companies::save(tx, actor, &current, data, &writes).await?;
            report.restored += 1;
        }
        (entity, _) => {
            return Err(CoreError::Internal(format!(
                "an import log names an unknown kind of record: {entity}"
            )));
        }
    }
    Ok(())
}

/// The data logged before an update, read as the draft it was written as.
fn before<T: serde::de::DeserializeOwned>(c: &LoggedChange) -> Result<T> {
    let json: serde_json::Value = c
        .before
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok())
        .ok_or_else(|| CoreError::Internal(format!("import log {}: no data before", c.seq)))?;
    record::parse_draft(json).map_err(|e| CoreError::Internal(e.to_string()))
}
