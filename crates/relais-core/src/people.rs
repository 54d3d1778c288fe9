//! People as a kind of record (`records`), and what only people have: working at a company
//! named in a form, stages, consent and its history.
use crate::auth::Actor;
use crate::companies::Companies;
use crate::error::{CoreError, Result};
use crate::record;
use crate::records::{self, Kind};
use chrono::{DateTime, Utc};
use relais_domain::interaction::ConsentDraft;
use relais_domain::person::{CompanyLink, PersonData, PersonDraft, Stage};
use relais_domain::{Action, Invalid, PersonId, Resource, UserId};
use relais_domain::{Code, Msg};
use relais_store::consents::{self, ConsentRecord};
use relais_store::people::StageChange;
use relais_store::records::{self as store, Record};
use relais_store::{Db, Tx};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub use relais_store::people::People;

/// A person as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    #[schema(value_type = String, format = Uuid)]
    pub id: PersonId,
    /// Name as shown in lists.
    pub display_name: String,
    #[serde(flatten)]
    pub data: PersonData,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while the person is in the trash.
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i64,
}

crate::record_view!(PersonView);

impl From<Record<People>> for PersonView {
    fn from(r: Record<People>) -> Self {
        PersonView {
            id: r.id,
            display_name: r.data.display_name(),
            data: r.data,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            version: r.version,
        }
    }
}

/// Checks a draft completely: its own rules, its custom values, the records it refers to.
impl Kind for People {
    type Draft = PersonDraft;
    type View = PersonView;
    const NOUN: &'static str = "person";

    async fn validate(
        tx: &mut Tx,
        _actor: &Actor,
        draft: &PersonDraft,
        _current: Option<&Record<People>>,
    ) -> Result<PersonData> {
        let data = draft.validate()?;
        check_refs(tx, &data).await?;
        Ok(data)
    }

    fn custom_mut(d: &mut PersonData) -> Option<&mut BTreeMap<String, Value>> {
        Some(&mut d.custom)
    }

    fn tags_mut(d: &mut PersonData) -> Option<&mut Vec<String>> {
        Some(&mut d.tags)
    }

    fn owner_mut(d: &mut PersonData) -> Option<&mut Option<UserId>> {
        Some(&mut d.owner_id)
    }
}

async fn check_refs(tx: &mut Tx, d: &PersonData) -> Result<()> {
    let mut errors = Vec::new();
    if let Some(owner) = d.owner_id
        && relais_store::users::get(tx, owner).await?.is_none()
    {
        errors.push(relais_domain::FieldError::new(
            "owner_id",
            Msg::new(Code::NoSuchUser).with("id", owner),
        ));
    }
    for (i, c) in d.companies.iter().enumerate() {
        if store::get::<Companies>(tx, c.company_id, false)
            .await?
            .is_none()
        {
            errors.push(relais_domain::FieldError::new(
                format!("companies[{i}].company_id"),
                Msg::new(Code::NoSuchCompany).with("id", c.company_id),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Invalid(errors).into())
    }
}

/// The person now works at the company of that name (created if there is none), as their
/// primary company, in the job the draft gives; an empty name: at no primary company.
async fn work_at(tx: &mut Tx, actor: &Actor, draft: &mut PersonDraft, company: &str) -> Result<()> {
    draft.companies.retain(|l| !l.primary);
    if company.trim().is_empty() {
        return Ok(());
    }
    let (id, _) = crate::companies::find_or_create(tx, actor, company.trim())
        .await
        .map_err(|e| match e {
            CoreError::Invalid(_) => Invalid::one("company", Code::NotACompanyName).into(),
            other => other,
        })?;
    draft.companies.retain(|l| l.company_id != id);
    let link = CompanyLink {
        company_id: id,
        role: draft.job_title.clone(),
        primary: true,
    };
    draft.companies.insert(0, link);
    Ok(())
}

/// Creates a person; with `company`, at that company (see `work_at`), all in one transaction.
pub async fn create_at(
    db: &Db,
    actor: &Actor,
    mut draft: PersonDraft,
    company: Option<&str>,
) -> Result<PersonView> {
    actor.require(Action::Create, Resource::PEOPLE)?;
    let mut tx = db.write().await?;
    if let Some(name) = company {
        work_at(&mut tx, actor, &mut draft, name).await?;
    }
    let (data, custom) = records::check::<People>(&mut tx, actor, &draft, None).await?;
    let id = records::insert::<People>(&mut tx, actor, &data, &custom).await?;
    let view = records::view::<People>(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(view)
}

/// `records::replace`, and with `company`, the person now works there (see `work_at`): the
/// company found or created and the save are one transaction, all or nothing.
pub async fn replace_at(
    db: &Db,
    actor: &Actor,
    id: PersonId,
    mut draft: PersonDraft,
    if_match: Option<&str>,
    company: Option<&str>,
) -> Result<PersonView> {
    let Some(name) = company else {
        return records::replace::<People>(db, actor, id, draft, if_match).await;
    };
    actor.require(Action::Update, Resource::PEOPLE)?;
    let mut tx = db.write().await?;
    let current = records::load::<People>(&mut tx, id, false).await?;
    records::check_if_match(if_match, &current)?;
    work_at(&mut tx, actor, &mut draft, name).await?;
    let (data, custom) = records::check::<People>(&mut tx, actor, &draft, Some(&current)).await?;
    if let Err(e) = records::save(&mut tx, actor, &current, data, &custom).await {
        let reread = async || records::get::<People>(db, actor, id).await;
        return Err(record::lost_race(e, tx, reread).await);
    }
    let view = records::view::<People>(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(view)
}

/// Moves these people to a stage (from a list): all or none. Returns how many changed.
pub async fn set_stage(db: &Db, actor: &Actor, ids: &[PersonId], stage: Stage) -> Result<usize> {
    records::bulk_edit::<People>(db, actor, ids, |d| {
        d.stage = stage;
        Ok(())
    })
    .await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Consents {
    pub current: Vec<ConsentRecord>,
    pub history: Vec<ConsentRecord>,
}

pub async fn consents(db: &Db, actor: &Actor, id: PersonId) -> Result<Consents> {
    actor.require(Action::Read, Resource::PEOPLE)?;
    let mut tx = db.read().await?;
    records::load::<People>(&mut tx, id, true).await?;
    let history = consents::history(&mut tx, id).await?;
    Ok(Consents {
        current: consents::current(&history),
        history,
    })
}

pub async fn record_consent(db: &Db, actor: &Actor, id: PersonId, body: Value) -> Result<Consents> {
    actor.require(Action::Update, Resource::PEOPLE)?;
    let draft: ConsentDraft = record::parse_draft(body)?;
    let data = draft.validate()?;
    let mut tx = db.write().await?;
    records::load::<People>(&mut tx, id, false).await?;
    let now = record::now();
    consents::insert(&mut tx, id, &data, actor.user, now).await?;
    let change = relais_store::audit::Change {
        field: Some(format!("consent.{}", data.channel.as_str())),
        old_value: None,
        new_value: Some(data.status.as_str().to_string()),
    };
    relais_store::audit::append(
        &mut tx,
        actor.user,
        "person",
        id.0,
        "consent",
        &[change],
        now,
    )
    .await?;
    tx.commit().await?;
    consents(db, actor, id).await
}

pub async fn stage_history(db: &Db, actor: &Actor, id: PersonId) -> Result<Vec<StageChange>> {
    actor.require(Action::Read, Resource::PEOPLE)?;
    let mut tx = db.read().await?;
    records::load::<People>(&mut tx, id, true).await?;
    Ok(relais_store::people::stage_history(&mut tx, id).await?)
}

/// People are read by their own readers (`import::csv_source`, `import::vcard`).
impl crate::import::records::Imported for People {}
