//! Interactions as a kind of record (`records`): every exchange on every channel, with who
//! took part in it.
use crate::auth::Actor;
use crate::companies::Companies;
use crate::error::Result;
use crate::people::People;
use crate::record;
use crate::records::{self, Kind};
use chrono::{DateTime, Utc};
use relais_domain::interaction::{InteractionData, InteractionDraft};
use relais_domain::{Code, Msg};
use relais_domain::{FieldError, InteractionId, Invalid, UserId};
use relais_store::Tx;
use relais_store::records::{self as store, Record};
use serde::Serialize;

pub use relais_store::interactions::Interactions;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InteractionView {
    #[schema(value_type = String, format = Uuid)]
    pub id: InteractionId,
    #[serde(flatten)]
    pub data: InteractionData,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i64,
    /// Its files (names and types, not the bytes): shown when one interaction is read,
    /// left out of lists and timelines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<crate::attachments::AttachmentView>>,
}

impl From<Record<Interactions>> for InteractionView {
    fn from(r: Record<Interactions>) -> Self {
        InteractionView {
            id: r.id,
            data: r.data,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            version: r.version,
            attachments: None,
        }
    }
}

crate::record_view!(InteractionView);

impl Kind for Interactions {
    type Draft = InteractionDraft;
    type View = InteractionView;
    const NOUN: &'static str = "interaction";

    async fn validate(
        tx: &mut Tx,
        actor: &Actor,
        draft: &InteractionDraft,
        current: Option<&Record<Interactions>>,
    ) -> Result<InteractionData> {
        let data = draft.validate(record::now())?;
        let mut errors = Vec::new();
        let stored = current.and_then(|c| c.data.about.as_ref());
        records::check_about(tx, actor, data.about.as_ref(), stored, &mut errors).await?;
        for (i, p) in data.person_ids.iter().enumerate() {
            if store::get::<People>(tx, *p, false).await?.is_none() {
                errors.push(FieldError::new(
                    format!("person_ids[{i}]"),
                    Msg::new(Code::NoSuchPerson).with("id", p),
                ));
            }
        }
        if let Some(c) = data.company_id
            && store::get::<Companies>(tx, c, false).await?.is_none()
        {
            errors.push(FieldError::new(
                "company_id",
                Msg::new(Code::NoSuchCompany).with("id", c),
            ));
        }
        for (i, u) in data.user_ids.iter().enumerate() {
            if relais_store::users::get(tx, *u).await?.is_none() {
                errors.push(FieldError::new(
                    format!("user_ids[{i}]"),
                    Msg::new(Code::NoSuchUser).with("id", u),
                ));
            }
        }
        if errors.is_empty() {
            Ok(data)
        } else {
            Err(Invalid(errors).into())
        }
    }

    /// Whoever logs an interaction took part in it, unless they said who did.
    fn on_create(d: &mut InteractionData, actor: &Actor) {
        if d.user_ids.is_empty() {
            d.user_ids.extend(actor.user);
        }
    }

    async fn detail(tx: &mut Tx, view: &mut InteractionView) -> Result<()> {
        view.attachments = Some(crate::attachments::of_interaction(tx, view.id).await?);
        Ok(())
    }
}

impl crate::export::Exported for Interactions {
    const COLUMNS: &'static [&'static str] = &[
        "kind",
        "direction",
        "occurred_at",
        "duration_minutes",
        "subject",
        "body",
        "person_ids",
        "company_id",
        "user_ids",
    ];
}
