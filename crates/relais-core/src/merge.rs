//! Likely duplicates, and the merge of two records into one. A merge is one transaction:
//! the survivor gets the chosen fields and every list of both, every interaction, task,
//! consent, stage change and audit entry of the other; the discarded values stay in the
//! audit trail. Nothing is lost.
use crate::auth::Actor;
use crate::companies::{Companies, CompanyView};
use crate::error::{CoreError, Result};
use crate::people::{People, PersonView};
use crate::record;
use crate::records::{self};
use relais_domain::company::CompanyDraft;
use relais_domain::custom::Entity;
use relais_domain::person::PersonDraft;
use relais_domain::{Action, CompanyId, Invalid, PersonId, Resource};
use relais_store::audit::{self, Change};
use relais_store::{Db, Tx, duplicates};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

/// How alike two names must be (Jaro-Winkler on folded names) to be shown as duplicates.
const SIMILAR: f64 = 0.92;
const SCAN: u64 = 200_000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonPair {
    pub a: PersonView,
    pub b: PersonView,
    /// Why they look alike: "same e-mail", "same phone", "similar name at the same company".
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CompanyPair {
    pub a: CompanyView,
    pub b: CompanyView,
    pub reasons: Vec<String>,
}

fn add(pairs: &mut BTreeMap<(Uuid, Uuid), Vec<String>>, a: Uuid, b: Uuid, reason: &str) {
    let key = if a < b { (a, b) } else { (b, a) };
    let reasons = pairs.entry(key).or_default();
    if !reasons.iter().any(|r| r == reason) {
        reasons.push(reason.to_string());
    }
}

/// Likely duplicate people: same e-mail, same phone, or similar names at the same company.
pub async fn people_duplicates(db: &Db, actor: &Actor, limit: usize) -> Result<Vec<PersonPair>> {
    actor.require(Action::Read, Resource::People)?;
    let mut tx = db.read().await?;
    let mut pairs = BTreeMap::new();
    for p in duplicates::people_sharing_email(&mut tx, SCAN).await? {
        add(&mut pairs, p.a, p.b, "same e-mail");
    }
    for p in duplicates::people_sharing_phone(&mut tx, SCAN).await? {
        add(&mut pairs, p.a, p.b, "same phone");
    }
    let named = duplicates::people_by_company(&mut tx, SCAN).await?;
    for group in named.chunk_by(|x, y| x.group_id == y.group_id) {
        for (i, x) in group.iter().enumerate() {
            for y in group.iter().skip(i + 1).take(20) {
                if x.id != y.id && strsim::jaro_winkler(&x.sort_key, &y.sort_key) >= SIMILAR {
                    add(&mut pairs, x.id, y.id, "similar name at the same company");
                }
            }
        }
    }
    let mut out = Vec::new();
    for ((a, b), reasons) in pairs.into_iter().take(limit) {
        let (Some(a), Some(b)) = (
            relais_store::records::get::<relais_store::people::People>(&mut tx, PersonId(a), false)
                .await?,
            relais_store::records::get::<relais_store::people::People>(&mut tx, PersonId(b), false)
                .await?,
        ) else {
            continue;
        };
        out.push(PersonPair {
            a: a.into(),
            b: b.into(),
            reasons,
        });
    }
    Ok(out)
}

/// Likely duplicate companies: same SIREN, or similar names.
pub async fn company_duplicates(db: &Db, actor: &Actor, limit: usize) -> Result<Vec<CompanyPair>> {
    actor.require(Action::Read, Resource::Companies)?;
    let mut tx = db.read().await?;
    let mut pairs = BTreeMap::new();
    let all = duplicates::companies_by_name(&mut tx, SCAN).await?;
    // Sorted by name, so similar names are neighbours; a window keeps this linear.
    for (i, x) in all.iter().enumerate() {
        for y in all.iter().skip(i + 1).take(5) {
            if strsim::jaro_winkler(&x.sort_key, &y.sort_key) >= SIMILAR {
                add(&mut pairs, x.id, y.id, "similar name");
            }
        }
    }
    let mut by_siren: Vec<&duplicates::CompanyKey> =
        all.iter().filter(|c| c.siren.is_some()).collect();
    by_siren.sort_by(|x, y| x.siren.cmp(&y.siren));
    for w in by_siren.windows(2) {
        if w[0].siren == w[1].siren {
            add(&mut pairs, w[0].id, w[1].id, "same SIREN");
        }
    }
    let mut out = Vec::new();
    for ((a, b), reasons) in pairs.into_iter().take(limit) {
        let (Some(a), Some(b)) = (
            relais_store::records::get::<relais_store::companies::Companies>(
                &mut tx,
                CompanyId(a),
                false,
            )
            .await?,
            relais_store::records::get::<relais_store::companies::Companies>(
                &mut tx,
                CompanyId(b),
                false,
            )
            .await?,
        ) else {
            continue;
        };
        out.push(CompanyPair {
            a: a.into(),
            b: b.into(),
            reasons,
        });
    }
    Ok(out)
}

/// Which record survives, which is merged into it, and the fields whose value is taken from
/// the discarded one (the others keep the survivor's). Lists (e-mails, phones, addresses,
/// tags, companies) always keep the values of both.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub survivor_id: Uuid,
    pub discarded_id: Uuid,
    /// Field names (`first_name`, `birthday`, `custom.<key>`, ...) to take from the discarded record.
    #[serde(default)]
    pub take: Vec<String>,
    /// The version of the discarded record the choice was made on: a newer one is refused
    /// with 412, as a stale `If-Match` is for the survivor.
    #[serde(default)]
    pub discarded_version: Option<i64>,
}

/// Refuses a merge whose discarded record changed since the user chose what to keep of it.
fn check_discarded(req: &MergeRequest, version: i64, current: &impl Serialize) -> Result<()> {
    match req.discarded_version {
        Some(v) => record::check_if_match(Some(&record::etag(v)), version, current),
        None => Ok(()),
    }
}

/// The fields of a person a merge can take from the discarded record.
pub const PERSON_FIELDS: [&str; 11] = [
    "civility",
    "first_name",
    "last_name",
    "job_title",
    "birthday",
    "language",
    "preferred_channel",
    "stage",
    "source",
    "owner_id",
    "notes",
];
/// The fields of a company a merge can take from the discarded record.
pub const COMPANY_FIELDS: [&str; 12] = [
    "name",
    "siren",
    "siret",
    "vat_number",
    "industry",
    "size",
    "website",
    "email",
    "phone",
    "parent_id",
    "owner_id",
    "notes",
];

/// Copies the chosen fields of `discarded` onto `survivor` (both as JSON drafts).
fn take_fields(
    survivor: &mut Value,
    discarded: &Value,
    take: &[String],
    allowed: &[&str],
) -> Result<()> {
    for (i, field) in take.iter().enumerate() {
        if let Some(key) = field.strip_prefix("custom.") {
            let v = discarded["custom"].get(key).cloned().unwrap_or(Value::Null);
            if let Some(map) = survivor["custom"].as_object_mut() {
                map.insert(key.to_string(), v);
            }
        } else if allowed.contains(&field.as_str()) {
            survivor[field.as_str()] = discarded[field.as_str()].clone();
        } else {
            return Err(Invalid::one(
                format!("take[{i}]"),
                format!(
                    "'{field}' is not a field that can be chosen ({})",
                    allowed.join(", ")
                ),
            )
            .into());
        }
    }
    Ok(())
}

/// Keeps every value of the discarded record in the survivor's audit trail.
async fn record_merge(
    tx: &mut Tx,
    actor: &Actor,
    entity: &str,
    survivor: Uuid,
    discarded: Uuid,
    values: &impl Serialize,
) -> Result<()> {
    let mut lines = vec![Change {
        field: Some("merged_from".into()),
        old_value: None,
        new_value: Some(discarded.to_string()),
    }];
    lines.extend(record::snapshot(values));
    audit::append(
        tx,
        actor.user,
        entity,
        survivor,
        "merged",
        &lines,
        record::now(),
    )
    .await?;
    Ok(())
}

fn check_pair(req: &MergeRequest) -> Result<()> {
    if req.survivor_id == req.discarded_id {
        return Err(Invalid::one("discarded_id", "a record cannot be merged with itself").into());
    }
    Ok(())
}

pub async fn merge_people(
    db: &Db,
    actor: &Actor,
    body: Value,
    if_match: Option<&str>,
) -> Result<PersonView> {
    actor.require(Action::Delete, Resource::People)?;
    let req: MergeRequest = record::parse_draft(body)?;
    check_pair(&req)?;
    let (sid, did) = (PersonId(req.survivor_id), PersonId(req.discarded_id));
    let mut tx = db.write().await?;
    let survivor = records::load::<People>(&mut tx, sid, false)
        .await
        .map_err(|_| CoreError::NotFound("survivor"))?;
    let discarded = records::load::<People>(&mut tx, did, false)
        .await
        .map_err(|_| CoreError::NotFound("discarded person"))?;
    records::check_if_match(if_match, &survivor)?;
    let discarded = PersonView::from(discarded);
    check_discarded(&req, discarded.version, &discarded)?;
    let mut doc =
        serde_json::to_value(&survivor.data).map_err(|e| CoreError::Internal(e.to_string()))?;
    let other =
        serde_json::to_value(&discarded.data).map_err(|e| CoreError::Internal(e.to_string()))?;
    take_fields(&mut doc, &other, &req.take, &PERSON_FIELDS)?;
    let draft: PersonDraft = record::parse_draft(doc)?;
    let (mut data, _) = records::check::<People>(&mut tx, &draft, Some(&survivor)).await?;
    crate::import::apply::union_lists(&mut data, &discarded.data);
    for (k, v) in &discarded.data.custom {
        data.custom.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let (writes, _) = record::resolve_custom(&mut tx, Entity::PERSON, &data.custom).await?;
    if let Err(e) = records::save(&mut tx, actor, &survivor, data, &writes).await {
        let reread = async || records::get::<People>(db, actor, sid).await;
        return Err(record::lost_race(e, tx, reread).await);
    }
    relais_store::interactions::reassign_person(&mut tx, did, sid).await?;
    relais_store::tasks::reassign_person(&mut tx, did, sid).await?;
    relais_store::consents::reassign(&mut tx, did, sid).await?;
    relais_store::people::reassign_history(&mut tx, did, sid).await?;
    audit::reassign(&mut tx, did.0, sid.0).await?;
    relais_store::records::purge::<People>(&mut tx, did).await?;
    record_merge(&mut tx, actor, "person", sid.0, did.0, &discarded).await?;
    let view = records::load::<People>(&mut tx, sid, false).await?.into();
    tx.commit().await?;
    Ok(view)
}

pub async fn merge_companies(
    db: &Db,
    actor: &Actor,
    body: Value,
    if_match: Option<&str>,
) -> Result<CompanyView> {
    actor.require(Action::Delete, Resource::Companies)?;
    let req: MergeRequest = record::parse_draft(body)?;
    check_pair(&req)?;
    let (sid, did) = (CompanyId(req.survivor_id), CompanyId(req.discarded_id));
    let mut tx = db.write().await?;
    let survivor = records::load::<Companies>(&mut tx, sid, false)
        .await
        .map_err(|_| CoreError::NotFound("survivor"))?;
    let discarded = records::load::<Companies>(&mut tx, did, false)
        .await
        .map_err(|_| CoreError::NotFound("discarded company"))?;
    records::check_if_match(if_match, &survivor)?;
    let discarded = CompanyView::from(discarded);
    check_discarded(&req, discarded.version, &discarded)?;
    let mut doc =
        serde_json::to_value(&survivor.data).map_err(|e| CoreError::Internal(e.to_string()))?;
    let other =
        serde_json::to_value(&discarded.data).map_err(|e| CoreError::Internal(e.to_string()))?;
    take_fields(&mut doc, &other, &req.take, &COMPANY_FIELDS)?;
    if doc["parent_id"] == serde_json::json!(sid) || doc["parent_id"] == serde_json::json!(did) {
        doc["parent_id"] = Value::Null;
    }
    let draft: CompanyDraft = record::parse_draft(doc)?;
    // The discarded company's links move first, so a subsidiary check sees the merged group.
    duplicates::reassign_company(&mut tx, did.0, sid.0).await?;
    let (mut data, _) = records::check::<Companies>(&mut tx, &draft, Some(&survivor)).await?;
    for a in &discarded.data.addresses {
        if !data.addresses.contains(a) {
            data.addresses.push(a.clone());
        }
    }
    for t in &discarded.data.tags {
        if !data.tags.contains(t) {
            data.tags.push(t.clone());
        }
    }
    for (k, v) in &discarded.data.custom {
        data.custom.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let (writes, _) = record::resolve_custom(&mut tx, Entity::COMPANY, &data.custom).await?;
    if let Err(e) = records::save(&mut tx, actor, &survivor, data, &writes).await {
        let reread = async || records::get::<Companies>(db, actor, sid).await;
        return Err(record::lost_race(e, tx, reread).await);
    }
    audit::reassign(&mut tx, did.0, sid.0).await?;
    relais_store::records::purge::<Companies>(&mut tx, did).await?;
    record_merge(&mut tx, actor, "company", sid.0, did.0, &discarded).await?;
    let view = records::load::<Companies>(&mut tx, sid, false)
        .await?
        .into();
    tx.commit().await?;
    Ok(view)
}
