//! Use cases on interactions (the timeline) and tasks.
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::record::{self, ListPage};
use chrono::{DateTime, Utc};
use relais_domain::filter::schema::{INTERACTIONS, TASKS};
use relais_domain::interaction::{InteractionData, InteractionDraft, TaskData, TaskDraft};
use relais_domain::{Action, FieldError, InteractionId, Invalid, Resource, TaskId, UserId};
use relais_store::interactions::{self as store, InteractionRecord};
use relais_store::tasks::{self as tasks_store, TaskRecord};
use relais_store::{Db, Tx};
use serde::Serialize;
use serde_json::Value;

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

impl From<InteractionRecord> for InteractionView {
    fn from(r: InteractionRecord) -> Self {
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

async fn check_interaction(tx: &mut Tx, draft: &InteractionDraft) -> Result<InteractionData> {
    let data = draft.validate(record::now())?;
    let mut errors = Vec::new();
    for (i, p) in data.person_ids.iter().enumerate() {
        if relais_store::records::get::<relais_store::people::People>(tx, *p, false)
            .await?
            .is_none()
        {
            errors.push(FieldError {
                field: format!("person_ids[{i}]"),
                message: format!("there is no person {p}"),
            });
        }
    }
    if let Some(c) = data.company_id
        && relais_store::records::get::<relais_store::companies::Companies>(tx, c, false)
            .await?
            .is_none()
    {
        errors.push(FieldError {
            field: "company_id".into(),
            message: format!("there is no company {c}"),
        });
    }
    for (i, u) in data.user_ids.iter().enumerate() {
        if relais_store::users::get(tx, *u).await?.is_none() {
            errors.push(FieldError {
                field: format!("user_ids[{i}]"),
                message: format!("there is no user {u}"),
            });
        }
    }
    if errors.is_empty() {
        Ok(data)
    } else {
        Err(Invalid(errors).into())
    }
}

/// Serialises a draft's view of a stored interaction, for merge patches.
#[derive(Serialize)]
struct InteractionDoc<'a> {
    kind: &'a str,
    direction: Option<&'a str>,
    occurred_at: String,
    duration_minutes: Option<i64>,
    subject: &'a Option<String>,
    body: &'a Option<String>,
    person_ids: &'a [relais_domain::PersonId],
    company_id: Option<relais_domain::CompanyId>,
    user_ids: &'a [UserId],
}

fn doc(d: &InteractionData) -> InteractionDoc<'_> {
    InteractionDoc {
        kind: d.kind.as_str(),
        direction: d.direction.map(|x| x.as_str()),
        occurred_at: d.occurred_at.to_rfc3339(),
        duration_minutes: d.duration_minutes,
        subject: &d.subject,
        body: &d.body,
        person_ids: &d.person_ids,
        company_id: d.company_id,
        user_ids: &d.user_ids,
    }
}

pub async fn create(db: &Db, actor: &Actor, body: Value) -> Result<InteractionView> {
    actor.require(Action::Create, Resource::Interactions)?;
    let draft: InteractionDraft = record::parse_draft(body)?;
    let mut tx = db.write().await?;
    let mut data = check_interaction(&mut tx, &draft).await?;
    // Whoever logs an interaction took part in it, unless they said who did.
    if data.user_ids.is_empty() {
        data.user_ids.extend(actor.user);
    }
    let id = InteractionId::new();
    let now = record::now();
    store::insert(&mut tx, id, &data, actor.user, now).await?;
    relais_store::audit::append(
        &mut tx,
        actor.user,
        "interaction",
        id.0,
        "created",
        &[],
        now,
    )
    .await?;
    let view = load(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(view)
}

async fn load(tx: &mut Tx, id: InteractionId, include_deleted: bool) -> Result<InteractionView> {
    let mut view = store::get(tx, id, include_deleted)
        .await?
        .map(InteractionView::from)
        .ok_or(CoreError::NotFound("interaction"))?;
    view.attachments = Some(crate::attachments::of_interaction(tx, id).await?);
    Ok(view)
}

pub async fn get(db: &Db, actor: &Actor, id: InteractionId) -> Result<InteractionView> {
    actor.require(Action::Read, Resource::Interactions)?;
    let mut tx = db.read().await?;
    load(&mut tx, id, true).await
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: InteractionId,
    patch: Value,
    if_match: Option<&str>,
) -> Result<InteractionView> {
    actor.require(Action::Update, Resource::Interactions)?;
    let mut tx = db.write().await?;
    let current = load(&mut tx, id, false).await?;
    record::check_if_match(if_match, current.version, &current)?;
    let patched = record::apply_patch(&doc(&current.data), &patch)?;
    let draft: InteractionDraft = record::parse_draft(patched)?;
    let data = check_interaction(&mut tx, &draft).await?;
    let changes = record::diff(&doc(&current.data), &doc(&data));
    if !changes.is_empty() {
        let now = record::now();
        if let Err(e) = store::update(&mut tx, id, current.version, &data, now).await {
            let reread = async || get(db, actor, id).await;
            return Err(record::lost_race(e.into(), tx, reread).await);
        }
        relais_store::audit::append(
            &mut tx,
            actor.user,
            "interaction",
            id.0,
            "updated",
            &changes,
            now,
        )
        .await?;
    }
    let view = load(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn delete(db: &Db, actor: &Actor, id: InteractionId, deleted: bool) -> Result<()> {
    actor.require(Action::Delete, Resource::Interactions)?;
    let mut tx = db.write().await?;
    let now = record::now();
    store::set_deleted(&mut tx, id, deleted, now)
        .await
        .map_err(|_| CoreError::NotFound("interaction"))?;
    relais_store::audit::append(
        &mut tx,
        actor.user,
        "interaction",
        id.0,
        if deleted { "deleted" } else { "restored" },
        &[],
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn purge(db: &Db, actor: &Actor, id: InteractionId) -> Result<()> {
    actor.require(Action::Purge, Resource::Interactions)?;
    let mut tx = db.write().await?;
    let i = store::get(&mut tx, id, true)
        .await?
        .ok_or(CoreError::NotFound("interaction"))?;
    if i.deleted_at.is_none() {
        return Err(CoreError::Conflict(
            "move the interaction to the trash before purging".into(),
        ));
    }
    store::purge(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

fn split_params(
    params: &[(String, String)],
) -> Result<(Vec<(String, String)>, relais_store::filter::Page)> {
    let mut page = record::page_of(params)?;
    let mut rest = Vec::new();
    for (k, v) in params {
        match k.as_str() {
            "trash" => page.trash = record::trash(v)?,
            "sort" => return Err(Invalid::one("sort", "this list has a fixed order").into()),
            _ => rest.push((k.clone(), v.clone())),
        }
    }
    Ok((rest, page))
}

/// Interactions, newest first; filters: kind, direction, person_id, company_id, user_id,
/// occurred_at[gte|lt]; `q` searches the subject.
pub async fn list(
    db: &Db,
    actor: &Actor,
    params: &[(String, String)],
) -> Result<ListPage<InteractionView>> {
    actor.require(Action::Read, Resource::Interactions)?;
    let (rest, page) = split_params(params)?;
    let filter = record::filter_of(&rest, &INTERACTIONS, &Default::default())?;
    let mut tx = db.read().await?;
    let rows = store::list(&mut tx, &filter, &page).await?;
    Ok(record::finish_page(
        rows,
        page.limit,
        |r| (r.data.occurred_at.to_rfc3339(), r.id.0),
        InteractionView::from,
    ))
}

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

impl From<TaskRecord> for TaskView {
    fn from(r: TaskRecord) -> Self {
        TaskView {
            id: r.id,
            data: r.data,
            done_at: r.done_at,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            version: r.version,
        }
    }
}

/// A task's draft checked, its references included. `current`: the task as stored, whose
/// references stand even if their record went to the trash since (its task can still be
/// marked done); a new or changed reference must be to a live record.
async fn check_task(
    tx: &mut Tx,
    draft: &TaskDraft,
    current: Option<&TaskData>,
) -> Result<TaskData> {
    let data = draft.validate()?;
    let mut errors = Vec::new();
    if let Some(u) = data.assignee_id
        && relais_store::users::get(tx, u).await?.is_none()
    {
        errors.push(FieldError {
            field: "assignee_id".into(),
            message: format!("there is no user {u}"),
        });
    }
    if let Some(p) = data.person_id
        && current.and_then(|c| c.person_id) != Some(p)
        && relais_store::records::get::<relais_store::people::People>(tx, p, false)
            .await?
            .is_none()
    {
        errors.push(FieldError {
            field: "person_id".into(),
            message: format!("there is no person {p}"),
        });
    }
    if let Some(c) = data.company_id
        && current.and_then(|t| t.company_id) != Some(c)
        && relais_store::records::get::<relais_store::companies::Companies>(tx, c, false)
            .await?
            .is_none()
    {
        errors.push(FieldError {
            field: "company_id".into(),
            message: format!("there is no company {c}"),
        });
    }
    if errors.is_empty() {
        Ok(data)
    } else {
        Err(Invalid(errors).into())
    }
}

#[derive(Serialize)]
struct TaskDoc<'a> {
    title: &'a str,
    notes: &'a Option<String>,
    due_at: Option<String>,
    assignee_id: Option<UserId>,
    person_id: Option<relais_domain::PersonId>,
    company_id: Option<relais_domain::CompanyId>,
    done: bool,
}

fn task_doc(d: &TaskData) -> TaskDoc<'_> {
    TaskDoc {
        title: &d.title,
        notes: &d.notes,
        due_at: d.due_at.map(|t| t.to_rfc3339()),
        assignee_id: d.assignee_id,
        person_id: d.person_id,
        company_id: d.company_id,
        done: d.done,
    }
}

pub async fn create_task(db: &Db, actor: &Actor, body: Value) -> Result<TaskView> {
    actor.require(Action::Create, Resource::Tasks)?;
    let draft: TaskDraft = record::parse_draft(body)?;
    let mut tx = db.write().await?;
    let mut data = check_task(&mut tx, &draft, None).await?;
    if data.assignee_id.is_none() {
        data.assignee_id = actor.user;
    }
    let id = TaskId::new();
    let now = record::now();
    tasks_store::insert(&mut tx, id, &data, actor.user, now).await?;
    relais_store::audit::append(&mut tx, actor.user, "task", id.0, "created", &[], now).await?;
    let view = load_task(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(view)
}

async fn load_task(tx: &mut Tx, id: TaskId, include_deleted: bool) -> Result<TaskView> {
    tasks_store::get(tx, id, include_deleted)
        .await?
        .map(TaskView::from)
        .ok_or(CoreError::NotFound("task"))
}

pub async fn get_task(db: &Db, actor: &Actor, id: TaskId) -> Result<TaskView> {
    actor.require(Action::Read, Resource::Tasks)?;
    let mut tx = db.read().await?;
    load_task(&mut tx, id, true).await
}

pub async fn update_task(
    db: &Db,
    actor: &Actor,
    id: TaskId,
    patch: Value,
    if_match: Option<&str>,
) -> Result<TaskView> {
    actor.require(Action::Update, Resource::Tasks)?;
    let mut tx = db.write().await?;
    let current = load_task(&mut tx, id, false).await?;
    record::check_if_match(if_match, current.version, &current)?;
    let patched = record::apply_patch(&task_doc(&current.data), &patch)?;
    let draft: TaskDraft = record::parse_draft(patched)?;
    let data = check_task(&mut tx, &draft, Some(&current.data)).await?;
    let changes = record::diff(&task_doc(&current.data), &task_doc(&data));
    if !changes.is_empty() {
        let now = record::now();
        let done_at = if data.done {
            current.done_at.or(Some(now))
        } else {
            None
        };
        if let Err(e) = tasks_store::update(&mut tx, id, current.version, &data, done_at, now).await
        {
            let reread = async || get_task(db, actor, id).await;
            return Err(record::lost_race(e.into(), tx, reread).await);
        }
        relais_store::audit::append(&mut tx, actor.user, "task", id.0, "updated", &changes, now)
            .await?;
    }
    let view = load_task(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn delete_task(db: &Db, actor: &Actor, id: TaskId, deleted: bool) -> Result<()> {
    actor.require(Action::Delete, Resource::Tasks)?;
    let mut tx = db.write().await?;
    let now = record::now();
    tasks_store::set_deleted(&mut tx, id, deleted, now)
        .await
        .map_err(|_| CoreError::NotFound("task"))?;
    relais_store::audit::append(
        &mut tx,
        actor.user,
        "task",
        id.0,
        if deleted { "deleted" } else { "restored" },
        &[],
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn purge_task(db: &Db, actor: &Actor, id: TaskId) -> Result<()> {
    actor.require(Action::Purge, Resource::Tasks)?;
    let mut tx = db.write().await?;
    tasks_store::purge(&mut tx, id)
        .await
        .map_err(|_| CoreError::NotFound("task"))?;
    tx.commit().await?;
    Ok(())
}

/// Tasks in creation order; filters: assignee_id, person_id, company_id, done, due_at[lt|gte].
pub async fn list_tasks(
    db: &Db,
    actor: &Actor,
    params: &[(String, String)],
) -> Result<ListPage<TaskView>> {
    actor.require(Action::Read, Resource::Tasks)?;
    let (rest, page) = split_params(params)?;
    let filter = record::filter_of(&rest, &TASKS, &Default::default())?;
    let mut tx = db.read().await?;
    let rows = tasks_store::list(&mut tx, &filter, &page).await?;
    Ok(record::finish_page(
        rows,
        page.limit,
        |r| (r.created_at.to_rfc3339(), r.id.0),
        TaskView::from,
    ))
}
