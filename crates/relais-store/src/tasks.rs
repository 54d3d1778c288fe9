//! Tasks and reminders.
use crate::filter::{self, Page};
use crate::{Result, StoreError, Tx};
use chrono::{DateTime, Utc};
use relais_domain::filter::Filter;
use relais_domain::filter::schema::TASKS;
use relais_domain::interaction::TaskData;
use relais_domain::{CompanyId, PersonId, TaskId, UserId};
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub id: TaskId,
    pub data: TaskData,
    pub done_at: Option<DateTime<Utc>>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    title: String,
    notes: Option<String>,
    due_at: Option<DateTime<Utc>>,
    assignee_id: Option<Uuid>,
    person_id: Option<Uuid>,
    company_id: Option<Uuid>,
    done_at: Option<DateTime<Utc>>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    version: i64,
}

impl From<Row> for TaskRecord {
    fn from(r: Row) -> Self {
        TaskRecord {
            id: TaskId(r.id),
            data: TaskData {
                title: r.title,
                notes: r.notes,
                due_at: r.due_at,
                assignee_id: r.assignee_id.map(UserId),
                person_id: r.person_id.map(PersonId),
                company_id: r.company_id.map(CompanyId),
                done: r.done_at.is_some(),
            },
            done_at: r.done_at,
            created_by: r.created_by.map(UserId),
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            version: r.version,
        }
    }
}

const COLUMNS: [&str; 13] = [
    "id",
    "title",
    "notes",
    "due_at",
    "assignee_id",
    "person_id",
    "company_id",
    "done_at",
    "created_by",
    "created_at",
    "updated_at",
    "deleted_at",
    "version",
];

pub async fn insert(
    tx: &mut Tx,
    id: TaskId,
    d: &TaskData,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table("tasks")
            .columns(COLUMNS)
            .values_panic([
                id.0.into(),
                d.title.clone().into(),
                d.notes.clone().into(),
                d.due_at.into(),
                d.assignee_id.map(|u| u.0).into(),
                d.person_id.map(|p| p.0).into(),
                d.company_id.map(|c| c.0).into(),
                d.done.then_some(now).into(),
                by.map(|u| u.0).into(),
                now.into(),
                now.into(),
                None::<DateTime<Utc>>.into(),
                1i64.into(),
            ]),
    )
    .await?;
    Ok(())
}

/// `done_at` keeps the moment a task was first marked done.
pub async fn update(
    tx: &mut Tx,
    id: TaskId,
    expected: i64,
    d: &TaskData,
    done_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let q = Query::update()
        .table("tasks")
        .value("title", d.title.clone())
        .value("notes", d.notes.clone())
        .value("due_at", d.due_at)
        .value("assignee_id", d.assignee_id.map(|u| u.0))
        .value("person_id", d.person_id.map(|p| p.0))
        .value("company_id", d.company_id.map(|c| c.0))
        .value("done_at", done_at)
        .value("updated_at", now)
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(id.0))
        .and_where(Expr::col("version").eq(expected))
        .and_where(Expr::col("deleted_at").is_null())
        .to_owned();
    if tx.execute(&q).await? == 0 {
        return Err(match get(tx, id, true).await? {
            Some(t) if t.deleted_at.is_none() => StoreError::Conflict,
            _ => StoreError::NotFound,
        });
    }
    Ok(expected + 1)
}

pub async fn set_deleted(tx: &mut Tx, id: TaskId, deleted: bool, now: DateTime<Utc>) -> Result<()> {
    let q = Query::update()
        .table("tasks")
        .value("deleted_at", if deleted { Some(now) } else { None })
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(id.0))
        .and_where(if deleted {
            Expr::col("deleted_at").is_null()
        } else {
            Expr::col("deleted_at").is_not_null()
        })
        .to_owned();
    if tx.execute(&q).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn purge(tx: &mut Tx, id: TaskId) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table("audit_log")
            .and_where(Expr::col("entity_id").eq(id.0)),
    )
    .await?;
    if tx
        .execute(
            Query::delete()
                .from_table("tasks")
                .and_where(Expr::col("id").eq(id.0)),
        )
        .await?
        == 0
    {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(tx: &mut Tx, id: TaskId, include_deleted: bool) -> Result<Option<TaskRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS)
        .from("tasks")
        .and_where(Expr::col("id").eq(id.0));
    if !include_deleted {
        q.and_where(Expr::col("deleted_at").is_null());
    }
    Ok(tx.fetch_optional::<Row>(&q).await?.map(TaskRecord::from))
}

/// Tasks matching `f`, by due date (undated last... as the engines sort NULLs differently,
/// by creation instead when asked). `done=true|false` filters on completion.
pub async fn list(tx: &mut Tx, f: &Filter, page: &Page) -> Result<Vec<TaskRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS.map(|c| ("tasks", c))).from("tasks");
    q.and_where(if page.trash {
        Expr::col(("tasks", "deleted_at")).is_not_null()
    } else {
        Expr::col(("tasks", "deleted_at")).is_null()
    });
    q.cond_where(filter::condition(&TASKS, f, &filter::Context::default())?);
    filter::keyset_on(
        &mut q,
        ("tasks", "created_at"),
        ("tasks", "id"),
        true,
        false,
        page,
    )?;
    Ok(tx
        .fetch_all::<Row>(&q)
        .await?
        .into_iter()
        .map(TaskRecord::from)
        .collect())
}

/// Open tasks on a person or a company, soonest due first.
pub async fn open_for(
    tx: &mut Tx,
    column: &'static str,
    id: Uuid,
    limit: u64,
) -> Result<Vec<TaskRecord>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from("tasks")
        .and_where(Expr::col(column).eq(id))
        .and_where(Expr::col("done_at").is_null())
        .and_where(Expr::col("deleted_at").is_null())
        .order_by("due_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(limit)
        .to_owned();
    Ok(tx
        .fetch_all::<Row>(&q)
        .await?
        .into_iter()
        .map(TaskRecord::from)
        .collect())
}

pub async fn reassign_person(tx: &mut Tx, from: PersonId, to: PersonId) -> Result<()> {
    tx.execute(
        Query::update()
            .table("tasks")
            .value("person_id", to.0)
            .and_where(Expr::col("person_id").eq(from.0)),
    )
    .await?;
    Ok(())
}
