//! Tasks and reminders as a kind of record (`records`).
use crate::auth::Actor;
use crate::companies::Companies;
use crate::error::Result;
use crate::people::People;
use crate::record;
use crate::records::{self, Kind};
use chrono::{DateTime, Utc};
use relais_domain::interaction::{TaskData, TaskDraft};
use relais_domain::{Code, Msg};
use relais_domain::{FieldError, Invalid, TaskId, UserId};
use relais_store::Tx;
use relais_store::records::{self as store, Record};
use serde::Serialize;

pub use relais_store::tasks::Tasks;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    #[schema(value_type = String, format = Uuid)]
    pub id: TaskId,
    #[serde(flatten)]
    pub data: TaskData,
    pub done_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i64,
}

impl From<Record<Tasks>> for TaskView {
    fn from(r: Record<Tasks>) -> Self {
        TaskView {
            id: r.id,
            done_at: r.data.done_at,
            data: r.data,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            version: r.version,
        }
    }
}

crate::record_view!(TaskView);

impl Kind for Tasks {
    type Draft = TaskDraft;
    type View = TaskView;
    const NOUN: &'static str = "task";

    /// The references of a task as stored stand even if their record went to the trash
    /// since (its task can still be marked done); a new or changed one must be live.
    async fn validate(
        tx: &mut Tx,
        actor: &Actor,
        draft: &TaskDraft,
        current: Option<&Record<Tasks>>,
    ) -> Result<TaskData> {
        let mut data = draft.validate()?;
        let current = current.map(|c| &c.data);
        let mut errors = Vec::new();
        let stored = current.and_then(|c| c.about.as_ref());
        records::check_about(tx, actor, data.about.as_ref(), stored, &mut errors).await?;
        if let Some(u) = data.assignee_id
            && relais_store::users::get(tx, u).await?.is_none()
        {
            errors.push(FieldError::new(
                "assignee_id",
                Msg::new(Code::NoSuchUser).with("id", u),
            ));
        }
        if let Some(p) = data.person_id
            && current.and_then(|c| c.person_id) != Some(p)
            && store::get::<People>(tx, p, false).await?.is_none()
        {
            errors.push(FieldError::new(
                "person_id",
                Msg::new(Code::NoSuchPerson).with("id", p),
            ));
        }
        if let Some(c) = data.company_id
            && current.and_then(|t| t.company_id) != Some(c)
            && store::get::<Companies>(tx, c, false).await?.is_none()
        {
            errors.push(FieldError::new(
                "company_id",
                Msg::new(Code::NoSuchCompany).with("id", c),
            ));
        }
        if !errors.is_empty() {
            return Err(Invalid(errors).into());
        }
        // The moment it was first marked done stays while it is done.
        data.done_at = match data.done {
            true => current.and_then(|c| c.done_at).or(Some(record::now())),
            false => None,
        };
        Ok(data)
    }

    /// A task is the creator's own unless given to someone.
    fn on_create(d: &mut TaskData, actor: &Actor) {
        if d.assignee_id.is_none() {
            d.assignee_id = actor.user;
        }
    }
}

impl crate::export::Exported for Tasks {
    const COLUMNS: &'static [&'static str] = &[
        "title",
        "notes",
        "due_at",
        "done",
        "assignee_id",
        "person_id",
        "company_id",
    ];
}
