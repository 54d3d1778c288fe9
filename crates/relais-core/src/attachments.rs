//! Use cases on the files attached to interactions. Reading them is reading the interaction;
//! adding or removing one is updating it. Each change is a line of the interaction's audit
//! trail. An interaction in the trash keeps its attachments (readable, not changeable); a
//! purge erases them with it.
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::record;
use chrono::{DateTime, Utc};
use relais_domain::attachment::AttachmentDraft;
use relais_domain::{Action, AttachmentId, InteractionId, Resource, UserId};
use relais_store::attachments::{self as store, AttachmentRecord, NewAttachment};
use relais_store::audit::Change;
use relais_store::{Db, Tx};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// An attachment as the API shows it: what it is, never its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    #[schema(value_type = String, format = Uuid)]
    pub id: AttachmentId,
    #[schema(value_type = String, format = Uuid)]
    pub interaction_id: InteractionId,
    pub filename: String,
    /// The media type it is served with, e.g. `application/pdf`, `text/csv; charset=utf-8`.
    pub content_type: String,
    pub size_bytes: i64,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl From<AttachmentRecord> for AttachmentView {
    fn from(r: AttachmentRecord) -> Self {
        AttachmentView {
            id: r.id,
            interaction_id: r.interaction_id,
            filename: r.filename,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// An attachment with its bytes, for a download.
#[derive(Debug, Clone)]
pub struct AttachmentFile {
    pub view: AttachmentView,
    pub data: Vec<u8>,
}

/// Attaches a file to an interaction that is not in the trash. `max_bytes` is the
/// configured limit; the name, the type and the bytes are checked before anything is written.
pub async fn add(
    db: &Db,
    actor: &Actor,
    interaction: InteractionId,
    draft: AttachmentDraft<'_>,
    max_bytes: u64,
) -> Result<AttachmentView> {
    actor.require(Action::Update, Resource::INTERACTIONS)?;
    if draft.data.len() as u64 > max_bytes {
        return Err(CoreError::TooLarge { limit: max_bytes });
    }
    let checked = draft.validate()?;
    let sha256 = format!("{:x}", Sha256::digest(draft.data));
    let mut tx = db.write().await?;
    if relais_store::records::get::<relais_store::interactions::Interactions>(
        &mut tx,
        interaction,
        false,
    )
    .await?
    .is_none()
    {
        return Err(CoreError::NotFound("interaction"));
    }
    let new = NewAttachment {
        id: AttachmentId::new(),
        interaction_id: interaction,
        filename: checked.filename.as_str(),
        content_type: checked.content_type.as_str(),
        sha256: &sha256,
        data: draft.data,
        created_by: actor.user,
        created_at: record::now(),
    };
    store::insert(&mut tx, &new).await?;
    let change = Change {
        field: Some("attachments".into()),
        old_value: None,
        new_value: Some(new.filename.to_string()),
    };
    relais_store::audit::append(
        &mut tx,
        actor.user,
        "interaction",
        interaction.0,
        "attachment_added",
        &[change],
        new.created_at,
    )
    .await?;
    let view = store::get(&mut tx, new.id)
        .await?
        .map(AttachmentView::from)
        .ok_or(CoreError::NotFound("attachment"))?;
    tx.commit().await?;
    Ok(view)
}

/// The attachments of an interaction (in the trash too, as the interaction itself reads),
/// oldest first.
pub async fn list(
    db: &Db,
    actor: &Actor,
    interaction: InteractionId,
) -> Result<Vec<AttachmentView>> {
    actor.require(Action::Read, Resource::INTERACTIONS)?;
    let mut tx = db.read().await?;
    if relais_store::records::get::<relais_store::interactions::Interactions>(
        &mut tx,
        interaction,
        true,
    )
    .await?
    .is_none()
    {
        return Err(CoreError::NotFound("interaction"));
    }
    of_interaction(&mut tx, interaction).await
}

/// The attachments of an interaction known to exist, for its view.
pub(crate) async fn of_interaction(
    tx: &mut Tx,
    interaction: InteractionId,
) -> Result<Vec<AttachmentView>> {
    Ok(store::list(tx, interaction)
        .await?
        .into_iter()
        .map(AttachmentView::from)
        .collect())
}

/// One attachment and its bytes.
pub async fn get(db: &Db, actor: &Actor, id: AttachmentId) -> Result<AttachmentFile> {
    actor.require(Action::Read, Resource::INTERACTIONS)?;
    let mut tx = db.read().await?;
    let view = store::get(&mut tx, id)
        .await?
        .map(AttachmentView::from)
        .ok_or(CoreError::NotFound("attachment"))?;
    let data = store::data(&mut tx, id).await?;
    Ok(AttachmentFile { view, data })
}

/// Deletes an attachment for good (a file has no trash of its own: the interaction's is
/// the place to undo). Refused while its interaction is in the trash.
pub async fn delete(db: &Db, actor: &Actor, id: AttachmentId) -> Result<()> {
    actor.require(Action::Update, Resource::INTERACTIONS)?;
    let mut tx = db.write().await?;
    let a = store::get(&mut tx, id)
        .await?
        .ok_or(CoreError::NotFound("attachment"))?;
    if relais_store::records::get::<relais_store::interactions::Interactions>(
        &mut tx,
        a.interaction_id,
        false,
    )
    .await?
    .is_none()
    {
        return Err(CoreError::Conflict(
            relais_domain::Code::InteractionInTrash.into(),
        ));
    }
    store::delete(&mut tx, id).await?;
    let change = Change {
        field: Some("attachments".into()),
        old_value: Some(a.filename),
        new_value: None,
    };
    relais_store::audit::append(
        &mut tx,
        actor.user,
        "interaction",
        a.interaction_id.0,
        "attachment_deleted",
        &[change],
        record::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
