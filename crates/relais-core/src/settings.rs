//! The settings an administrator changes from the app. The config file gives the defaults
//! (`Settings` handed in by the caller); a setting changed here wins over it, for every
//! process that shares the database.
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::record;
use relais_domain::settings::{Settings, SettingsPatch};
use relais_domain::{Action, Resource};
use relais_store::audit::{self, Change};
use relais_store::{Db, Tx};
use serde_json::Value;

const IMPORT_UNDO_DAYS: &str = "import_undo_days";

/// The settings in force.
pub async fn get(db: &Db, actor: &Actor, defaults: Settings) -> Result<Settings> {
    actor.require(Action::Read, Resource::SETTINGS)?;
    let mut tx = db.read().await?;
    current(&mut tx, defaults).await
}

/// The settings in force, for the services that follow them.
pub async fn current(tx: &mut Tx, defaults: Settings) -> Result<Settings> {
    let mut s = defaults;
    if let Some(v) = relais_store::settings::get(tx, IMPORT_UNDO_DAYS).await? {
        // A stored value that no longer reads is an internal failure, not a silent default.
        s.import_undo_days = v.parse().map_err(|_| {
            CoreError::Internal(format!("the setting {IMPORT_UNDO_DAYS} reads \"{v}\""))
        })?;
    }
    Ok(s)
}

/// For how long a finished import can be undone.
pub async fn import_undo(tx: &mut Tx, defaults: Settings) -> Result<chrono::Duration> {
    let s = current(tx, defaults).await?;
    Ok(chrono::Duration::days(i64::from(s.import_undo_days)))
}

/// Changes the settings a merge patch names; the change is kept in the audit trail.
pub async fn update(db: &Db, actor: &Actor, defaults: Settings, patch: Value) -> Result<Settings> {
    actor.require(Action::Update, Resource::SETTINGS)?;
    let patch: SettingsPatch = record::parse_draft(patch)?;
    let mut tx = db.write().await?;
    let before = current(&mut tx, defaults).await?;
    let after = patch.apply(before)?;
    let now = record::now();
    if after.import_undo_days != before.import_undo_days {
        let days = after.import_undo_days.to_string();
        relais_store::settings::put(&mut tx, IMPORT_UNDO_DAYS, &days, actor.user, now).await?;
        let change = Change {
            field: Some(IMPORT_UNDO_DAYS.into()),
            old_value: Some(before.import_undo_days.to_string()),
            new_value: Some(days),
        };
        audit::append(
            &mut tx,
            actor.user,
            "settings",
            uuid::Uuid::nil(),
            "updated",
            &[change],
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after)
}
