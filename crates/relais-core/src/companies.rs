//! Companies as a kind of record (`records`): their rules, and finding one by name.
use crate::auth::Actor;
use crate::error::Result;
use crate::records::{self, Kind};
use chrono::{DateTime, Utc};
use relais_domain::company::{CompanyData, CompanyDraft};
use relais_domain::{Action, CompanyId, FieldError, Invalid, Resource, UserId};
use relais_domain::{Code, Msg};
use relais_store::companies;
use relais_store::records::{self as store, Record};
use relais_store::{Db, Tx};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub use relais_store::companies::Companies;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompanyView {
    #[schema(value_type = String, format = Uuid)]
    pub id: CompanyId,
    #[serde(flatten)]
    pub data: CompanyData,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i64,
}

crate::record_view!(CompanyView);

impl From<Record<Companies>> for CompanyView {
    fn from(r: Record<Companies>) -> Self {
        CompanyView {
            id: r.id,
            data: r.data,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            version: r.version,
        }
    }
}

impl Kind for Companies {
    type Draft = CompanyDraft;
    type View = CompanyView;
    const NOUN: &'static str = "company";

    async fn validate(
        tx: &mut Tx,
        _actor: &Actor,
        draft: &CompanyDraft,
        current: Option<&Record<Companies>>,
    ) -> Result<CompanyData> {
        let own = current.map(|c| c.id);
        let data = draft.validate()?;
        let mut errors = Vec::new();
        if let Some(owner) = data.owner_id
            && relais_store::users::get(tx, owner).await?.is_none()
        {
            errors.push(FieldError::new(
                "owner_id",
                Msg::new(Code::NoSuchUser).with("id", owner),
            ));
        }
        if let Some(parent) = data.parent_id {
            if Some(parent) == own || is_descendant(tx, parent, own).await? {
                errors.push(FieldError::new("parent_id", Code::OwnParent));
            } else if store::get::<Companies>(tx, parent, false).await?.is_none() {
                let m = Msg::new(Code::NoSuchCompany).with("id", parent);
                errors.push(FieldError::new("parent_id", m));
            }
        }
        if errors.is_empty() {
            Ok(data)
        } else {
            Err(Invalid(errors).into())
        }
    }

    fn custom_mut(d: &mut CompanyData) -> Option<&mut BTreeMap<String, Value>> {
        Some(&mut d.custom)
    }

    fn tags_mut(d: &mut CompanyData) -> Option<&mut Vec<String>> {
        Some(&mut d.tags)
    }

    fn owner_mut(d: &mut CompanyData) -> Option<&mut Option<UserId>> {
        Some(&mut d.owner_id)
    }
}

/// Whether `candidate` sits below `company` in its group: then it can't become its parent.
async fn is_descendant(
    tx: &mut Tx,
    candidate: CompanyId,
    company: Option<CompanyId>,
) -> Result<bool> {
    let Some(company) = company else {
        return Ok(false);
    };
    let mut frontier = vec![company];
    let mut seen = 0;
    while let Some(c) = frontier.pop() {
        for child in companies::children(tx, c).await? {
            if child == candidate {
                return Ok(true);
            }
            frontier.push(child);
        }
        seen += 1;
        if seen > 10_000 {
            break;
        }
    }
    Ok(false)
}

/// The company a user or a file names: the one of that name (folded), or a new one. The
/// bool says whether it was created. A name that is not a valid company name is an
/// `Invalid` on `name`.
pub async fn find_or_create(tx: &mut Tx, actor: &Actor, name: &str) -> Result<(CompanyId, bool)> {
    let draft = CompanyDraft {
        name: Some(name.to_string()),
        ..Default::default()
    };
    let data = draft.validate()?;
    if let Some(id) = companies::find_matches(tx, &data).await?.first() {
        return Ok((*id, false));
    }
    actor.require(Action::Create, Resource::COMPANIES)?;
    Ok((
        records::insert::<Companies>(tx, actor, &data, &[]).await?,
        true,
    ))
}

/// The live company of this name (folded: "societe generale" finds "Société Générale").
pub async fn find_by_name(db: &Db, actor: &Actor, name: &str) -> Result<Option<CompanyId>> {
    actor.require(Action::Read, Resource::COMPANIES)?;
    let draft = CompanyDraft {
        name: Some(name.to_string()),
        ..Default::default()
    };
    let Ok(data) = draft.validate() else {
        return Ok(None);
    };
    let mut tx = db.read().await?;
    Ok(companies::find_matches(&mut tx, &data)
        .await?
        .first()
        .copied())
}

/// The names of these companies (those not in the trash), by id: what lists of people show.
pub async fn names(
    db: &Db,
    actor: &Actor,
    ids: &[CompanyId],
) -> Result<std::collections::HashMap<CompanyId, String>> {
    actor.require(Action::Read, Resource::COMPANIES)?;
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut tx = db.read().await?;
    Ok(store::get_many::<Companies>(&mut tx, ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c.data.name))
        .collect())
}

/// Companies are read by their own reader (`import::csv_source`).
impl crate::import::records::Imported for Companies {
    /// People came to work there since (not by this import): it stays.
    async fn kept_on_undo(tx: &mut relais_store::Tx, id: CompanyId) -> Result<bool> {
        Ok(!relais_store::people::ids_in_company(tx, id)
            .await?
            .is_empty())
    }
}
