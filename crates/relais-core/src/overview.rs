//! The 360° view of a person or a company: the record, who and what it is linked to, a page
//! of its timeline, its open tasks, and counts.
use crate::auth::Actor;
use crate::companies::CompanyView;
use crate::error::Result;
use crate::interactions::InteractionView;
use crate::people::{People, PersonView};
use crate::record::{self, ListPage};
use crate::records;
use crate::tasks::TaskView;
use relais_domain::filter::{Filter, Literal, Op, Sort};
use relais_domain::interaction::InteractionKind;
use relais_domain::{Action, CompanyId, PersonId, Resource};
use relais_store::audit::AuditEntry;
use relais_store::companies::Companies;
use relais_store::consents::{self, ConsentRecord};
use relais_store::people::StageChange;
use relais_store::records as store;
use relais_store::{Db, companies, interactions, people, tasks};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

const OPEN_TASKS: u64 = 50;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub interactions: i64,
    pub interactions_by_kind: BTreeMap<String, i64>,
    pub open_tasks: usize,
    pub people: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonOverview {
    pub person: PersonView,
    pub companies: Vec<CompanyView>,
    #[schema(value_type = Object)]
    pub timeline: ListPage<InteractionView>,
    pub open_tasks: Vec<TaskView>,
    /// Current consent per channel.
    pub consents: Vec<ConsentRecord>,
    pub stage_history: Vec<StageChange>,
    pub counts: Counts,
}

/// The kind of interactions a timeline is filtered on (`kind=meeting`), if any.
fn kind_of(params: &[(String, String)]) -> Result<Option<InteractionKind>> {
    match params.iter().find(|(k, _)| k == "kind") {
        None => Ok(None),
        Some((_, v)) if v.is_empty() => Ok(None),
        Some((_, v)) => Ok(Some(
            InteractionKind::parse(v).map_err(|m| relais_domain::Invalid::one("kind", m))?,
        )),
    }
}

/// `params` page the timeline (`limit`, `cursor`) and may filter it (`kind`).
pub async fn person(
    db: &Db,
    actor: &Actor,
    id: PersonId,
    params: &[(String, String)],
) -> Result<PersonOverview> {
    actor.require(Action::Read, Resource::PEOPLE)?;
    let page = record::page_of(params)?;
    let mut tx = db.read().await?;
    let person: PersonView = records::load::<People>(&mut tx, id, true).await?.into();
    let company_ids: Vec<CompanyId> = person.data.companies.iter().map(|c| c.company_id).collect();
    let companies = store::get_many::<Companies>(&mut tx, &company_ids)
        .await?
        .into_iter()
        .map(CompanyView::from)
        .collect();
    let rows = interactions::timeline(&mut tx, id, kind_of(params)?, &page).await?;
    let timeline = record::finish_page(
        rows,
        page.limit,
        |r| (r.data.occurred_at.to_rfc3339(), r.id.0),
        InteractionView::from,
    );
    let open_tasks: Vec<TaskView> = tasks::open_for(&mut tx, "person_id", id.0, OPEN_TASKS)
        .await?
        .into_iter()
        .map(TaskView::from)
        .collect();
    let history = consents::history(&mut tx, id).await?;
    let stage_history = people::stage_history(&mut tx, id).await?;
    let by_kind: BTreeMap<String, i64> = interactions::counts_by_kind(&mut tx, id)
        .await?
        .into_iter()
        .collect();
    let counts = Counts {
        interactions: by_kind.values().sum(),
        interactions_by_kind: by_kind,
        open_tasks: open_tasks.len(),
        people: 1,
    };
    Ok(PersonOverview {
        person,
        companies,
        timeline,
        open_tasks,
        consents: consents::current(&history),
        stage_history,
        counts,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CompanyOverview {
    pub company: CompanyView,
    pub parent: Option<CompanyView>,
    pub subsidiaries: Vec<CompanyView>,
    /// The first page of its people, by name.
    pub people: Vec<PersonView>,
    #[schema(value_type = Object)]
    pub timeline: ListPage<InteractionView>,
    pub open_tasks: Vec<TaskView>,
    pub counts: Counts,
}

pub async fn company(
    db: &Db,
    actor: &Actor,
    id: CompanyId,
    params: &[(String, String)],
) -> Result<CompanyOverview> {
    actor.require(Action::Read, Resource::COMPANIES)?;
    let page = record::page_of(params)?;
    let mut tx = db.read().await?;
    let company: CompanyView = records::load::<Companies>(&mut tx, id, true).await?.into();
    let parent = match company.data.parent_id {
        Some(p) => store::get::<Companies>(&mut tx, p, false)
            .await?
            .map(CompanyView::from),
        None => None,
    };
    let child_ids = companies::children(&mut tx, id).await?;
    let subsidiaries = store::get_many::<Companies>(&mut tx, &child_ids)
        .await?
        .into_iter()
        .map(CompanyView::from)
        .collect();
    let filter = Filter::cond("company_id", Op::Eq, Literal::Text(id.to_string()));
    let ctx = record::context(&mut tx).await?;
    let people_page = relais_store::filter::Page {
        after: None,
        limit: 200,
        trash: false,
    };
    let mut people: Vec<PersonView> =
        store::list::<People>(&mut tx, &filter, Sort::default(), &people_page, &ctx)
            .await?
            .into_iter()
            .map(PersonView::from)
            .collect();
    people.truncate(200);
    let people_count = store::count::<People>(&mut tx, &filter, &ctx).await? as usize;
    let rows = interactions::company_timeline(&mut tx, id, kind_of(params)?, &page).await?;
    let timeline = record::finish_page(
        rows,
        page.limit,
        |r| (r.data.occurred_at.to_rfc3339(), r.id.0),
        InteractionView::from,
    );
    let open_tasks: Vec<TaskView> = tasks::open_for(&mut tx, "company_id", id.0, OPEN_TASKS)
        .await?
        .into_iter()
        .map(TaskView::from)
        .collect();
    let by_kind: BTreeMap<String, i64> = interactions::company_counts_by_kind(&mut tx, id)
        .await?
        .into_iter()
        .collect();
    let counts = Counts {
        interactions: by_kind.values().sum(),
        interactions_by_kind: by_kind,
        open_tasks: open_tasks.len(),
        people: people_count,
    };
    Ok(CompanyOverview {
        company,
        parent,
        subsidiaries,
        people,
        timeline,
        open_tasks,
        counts,
    })
}

/// The audit trail of any record the actor may read, newest first.
pub async fn audit(
    db: &Db,
    actor: &Actor,
    resource: Resource,
    id: Uuid,
    params: &[(String, String)],
) -> Result<ListPage<AuditEntry>> {
    actor.require(Action::Read, resource)?;
    let page = record::page_of(params)?;
    let mut tx = db.read().await?;
    let rows = relais_store::audit::for_record(&mut tx, id, &page).await?;
    Ok(record::finish_page(
        rows,
        page.limit,
        |r| (r.at.to_rfc3339(), r.id),
        |r| r,
    ))
}
