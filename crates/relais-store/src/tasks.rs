//! Tasks and reminders as a kind of record (`records`), and the open ones of a customer.
use crate::owned::Owned;
use crate::records::{self, ListOrder, Record, Stored};
use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use relais_domain::filter::schema::{self, KindSpec};
use relais_domain::interaction::TaskData;
use relais_domain::{CompanyId, PersonId, TaskId, UserId};
use sea_query::{Expr, ExprTrait, Order, Query, Value};
use uuid::Uuid;

/// Tasks, as a kind of record.
pub struct Tasks;

pub type TaskRecord = Record<Tasks>;

#[derive(sqlx::FromRow)]
pub struct TaskRow {
    title: String,
    notes: Option<String>,
    due_at: Option<DateTime<Utc>>,
    assignee_id: Option<Uuid>,
    person_id: Option<Uuid>,
    company_id: Option<Uuid>,
    done_at: Option<DateTime<Utc>>,
    about_kind: Option<String>,
    about_id: Option<Uuid>,
}

impl Stored for Tasks {
    type Id = TaskId;
    type Data = TaskData;
    type Row = TaskRow;
    const SPEC: &'static KindSpec = &schema::TASKS;
    const READ: &'static [&'static str] = &[
        "title",
        "notes",
        "due_at",
        "assignee_id",
        "person_id",
        "company_id",
        "done_at",
        "about_kind",
        "about_id",
    ];
    // By due date would put undated tasks first on one engine and last on the other.
    const ORDER: ListOrder = ListOrder::Time {
        column: "created_at",
        newest_first: false,
    };

    fn written(d: &TaskData) -> Vec<(&'static str, Value)> {
        vec![
            ("title", d.title.clone().into()),
            ("notes", d.notes.clone().into()),
            ("due_at", d.due_at.into()),
            ("assignee_id", d.assignee_id.map(|u| u.0).into()),
            ("person_id", d.person_id.map(|p| p.0).into()),
            ("company_id", d.company_id.map(|c| c.0).into()),
            ("done_at", d.done_at.into()),
            (
                "about_kind",
                d.about.as_ref().map(|a| a.kind.clone()).into(),
            ),
            ("about_id", d.about.as_ref().map(|a| a.id).into()),
        ]
    }

    fn sort_key(d: &TaskData) -> String {
        relais_domain::text::fold(&d.title)
    }

    async fn hydrate(
        _tx: &mut Tx,
        rows: Vec<(Uuid, TaskRow)>,
        _owned: Owned,
    ) -> Result<Vec<TaskData>> {
        Ok(rows
            .into_iter()
            .map(|(_, r)| TaskData {
                title: r.title,
                notes: r.notes,
                due_at: r.due_at,
                assignee_id: r.assignee_id.map(UserId),
                person_id: r.person_id.map(PersonId),
                company_id: r.company_id.map(CompanyId),
                about: records::about(r.about_kind, r.about_id),
                done: r.done_at.is_some(),
                done_at: r.done_at,
            })
            .collect())
    }

    async fn terms(_tx: &mut Tx, records: &[(Uuid, &TaskData)]) -> Result<Vec<Vec<String>>> {
        Ok(vec![vec![]; records.len()])
    }
}

/// Open tasks on a person or a company, soonest due first.
pub async fn open_for(
    tx: &mut Tx,
    column: &'static str,
    id: Uuid,
    limit: u64,
) -> Result<Vec<TaskRecord>> {
    let mut q = records::select::<Tasks>();
    q.and_where(Expr::col(("tasks", column)).eq(id))
        .and_where(Expr::col(("tasks", "done_at")).is_null())
        .and_where(Expr::col(("tasks", "deleted_at")).is_null())
        .order_by(("tasks", "due_at"), Order::Asc)
        .order_by(("tasks", "id"), Order::Asc)
        .limit(limit);
    records::fetch::<Tasks>(tx, &q).await
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
