//! Undoing an import from its log (`relais_store::import_log`), newest change first, in
//! short transactions like the import itself: the records it created are erased, the ones
//! it updated get their data from before back, whatever their kind. A record changed by someone
//! since the import is left as it is and counted: undo never overwrites a later change.
use super::records::{Imported, importer};
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::record;
use crate::records::{self};
use relais_domain::{Action, Resource};
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
    actor.require(Action::Create, Resource::TRANSFER)?;
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
    let Some(kind) = importer(&c.entity) else {
        return Err(CoreError::Internal(format!(
            "an import log names an unknown kind of record: {}",
            c.entity
        )));
    };
    let done = (kind.undo)(tx, actor, c).await?;
    match done {
        Step::Nothing => {}
        Step::Keep => report.kept += 1,
        Step::Remove => report.removed += 1,
        Step::Restore => report.restored += 1,
    }
    Ok(())
}

/// What undoing one change does to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// The record is gone already.
    Nothing,
    /// Someone changed it since the import: it stays as it is.
    Keep,
    /// The import created it: it goes.
    Remove,
    /// The import updated it: its data from before comes back.
    Restore,
}

/// The step for a record now at `version` (`None`: not found), the same for every kind.
fn step(version: Option<i64>, c: &LoggedChange) -> Step {
    match version {
        None => Step::Nothing,
        Some(v) if v != c.version_after => Step::Keep,
        Some(_) if c.action == "created" => Step::Remove,
        Some(_) => Step::Restore,
    }
}

/// A record of any kind, or `None` when it is not found.
fn found<T>(loaded: Result<T>) -> Result<Option<T>> {
    match loaded {
        Ok(r) => Ok(Some(r)),
        Err(CoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Undoes one change to a record of kind `K`.
pub(super) async fn undo_record<K: Imported>(
    tx: &mut Tx,
    actor: &Actor,
    c: &LoggedChange,
) -> Result<Step> {
    let id = K::Id::from(c.record_id);
    let current = found(records::load::<K>(tx, id, true).await)?;
    let step = step(current.as_ref().map(|r| r.version), c);
    match (step, current) {
        (Step::Remove, _) if K::kept_on_undo(tx, id).await? => return Ok(Step::Keep),
        (Step::Remove, _) => relais_store::records::purge::<K>(tx, id).await?,
        (Step::Restore, Some(current)) => {
            let before = before::<K::Draft>(c)?;
            let (data, writes) = records::check::<K>(tx, actor, &before, Some(&current)).await?;
            records::save(tx, actor, &current, data, &writes).await?;
        }
        _ => {}
    }
    Ok(step)
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
