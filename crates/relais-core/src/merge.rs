//! Likely duplicates, and the merge of two records into one. A merge is one transaction:
//! the survivor gets the chosen fields and every list of both, every interaction, task,
//! consent, stage change and audit entry of the other; the discarded values stay in the
//! audit trail. Nothing is lost.
use crate::auth::Actor;
use crate::companies::{Companies, CompanyView};
use crate::error::{CoreError, Result};
use crate::people::{People, PersonView};
use crate::record;
use crate::records::{self, Kind};
use relais_domain::company::CompanyData;
use relais_domain::person::PersonData;
use relais_domain::{Action, CompanyId, Invalid, PersonId, Resource};
use relais_store::audit::{self, Change};
use relais_store::{Db, Tx, duplicates};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
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
                relais_domain::Msg::new(relais_domain::Code::NotMergeable)
                    .with("value", field)
                    .with("allowed", allowed.join(", ")),
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
        return Err(Invalid::one("discarded_id", relais_domain::Code::MergeWithItself).into());
    }
    Ok(())
}

/// A kind whose records can be merged: two records of one customer become one.
pub trait Mergeable: Kind {
    /// The fields a merge can take from the discarded record.
    const FIELDS: &'static [&'static str];

    /// Moves to the survivor what the kind's own tables say of the discarded record (a
    /// person's consents and stage history, a company's people and subsidiaries); what is
    /// about it (interactions, tasks) and its audit trail move for every kind.
    fn reassign(
        tx: &mut Tx,
        from: Self::Id,
        to: Self::Id,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Adds to the merged data the values of the discarded record's lists it lacks.
    fn union(data: &mut Self::Data, discarded: &Self::Data);

    /// A last word on the merged draft, as JSON (a company can't become its own group).
    fn settle(doc: &mut Value, survivor: Self::Id, discarded: Self::Id) {
        let _ = (doc, survivor, discarded);
    }
}

impl Mergeable for People {
    const FIELDS: &'static [&'static str] = &PERSON_FIELDS;

    async fn reassign(tx: &mut Tx, from: PersonId, to: PersonId) -> Result<()> {
        relais_store::interactions::reassign_person(tx, from, to).await?;
        relais_store::tasks::reassign_person(tx, from, to).await?;
        relais_store::consents::reassign(tx, from, to).await?;
        relais_store::people::reassign_history(tx, from, to).await?;
        Ok(())
    }

    fn union(data: &mut PersonData, discarded: &PersonData) {
        crate::import::apply::union_lists(data, discarded);
    }
}

impl Mergeable for Companies {
    const FIELDS: &'static [&'static str] = &COMPANY_FIELDS;

    /// Its links move first, so the check of the merged group sees them.
    async fn reassign(tx: &mut Tx, from: CompanyId, to: CompanyId) -> Result<()> {
        Ok(duplicates::reassign_company(tx, from.0, to.0).await?)
    }

    fn union(data: &mut CompanyData, discarded: &CompanyData) {
        for a in &discarded.addresses {
            if !data.addresses.contains(a) {
                data.addresses.push(a.clone());
            }
        }
        for t in &discarded.tags {
            if !data.tags.contains(t) {
                data.tags.push(t.clone());
            }
        }
    }

    fn settle(doc: &mut Value, survivor: CompanyId, discarded: CompanyId) {
        if doc["parent_id"] == serde_json::json!(survivor)
            || doc["parent_id"] == serde_json::json!(discarded)
        {
            doc["parent_id"] = Value::Null;
        }
    }
}

/// Merges the discarded record into the survivor in one transaction: the chosen fields, the
/// lists of both, everything that pointed at the discarded record; its values stay in the
/// survivor's audit trail. `if_match` guards the survivor, `discarded_version` the other.
pub async fn merge<K: Mergeable>(
    db: &Db,
    actor: &Actor,
    body: Value,
    if_match: Option<&str>,
) -> Result<K::View> {
    actor.require(Action::Delete, K::RESOURCE)?;
    let req: MergeRequest = record::parse_draft(body)?;
    check_pair(&req)?;
    let (sid, did) = (K::Id::from(req.survivor_id), K::Id::from(req.discarded_id));
    let mut tx = db.write().await?;
    let survivor = records::load::<K>(&mut tx, sid, false)
        .await
        .map_err(|_| CoreError::NotFound("survivor"))?;
    let discarded = records::load::<K>(&mut tx, did, false)
        .await
        .map_err(|_| CoreError::NotFound("discarded record"))?;
    records::check_if_match(if_match, &survivor)?;
    let gone = K::View::from(discarded.clone());
    check_discarded(&req, discarded.version, &gone)?;
    let mut doc =
        serde_json::to_value(&survivor.data).map_err(|e| CoreError::Internal(e.to_string()))?;
    let other =
        serde_json::to_value(&discarded.data).map_err(|e| CoreError::Internal(e.to_string()))?;
    take_fields(&mut doc, &other, &req.take, K::FIELDS)?;
    K::settle(&mut doc, sid, did);
    let draft: K::Draft = record::parse_draft(doc)?;
    K::reassign(&mut tx, did, sid).await?;
    relais_store::records::reassign_about(&mut tx, K::SPEC.name, did.into(), sid.into()).await?;
    let (mut data, _) = records::check::<K>(&mut tx, &draft, Some(&survivor)).await?;
    K::union(&mut data, &discarded.data);
    let mut theirs = discarded.data.clone();
    if let (Some(mine), Some(theirs)) = (K::custom_mut(&mut data), K::custom_mut(&mut theirs)) {
        for (k, v) in std::mem::take(theirs) {
            mine.entry(k).or_insert(v);
        }
    }
    // The merged custom values are checked and stored as any save's are.
    let (data, writes) = records::recheck::<K>(&mut tx, data).await?;
    if let Err(e) = records::save(&mut tx, actor, &survivor, data, &writes).await {
        let reread = async || records::get::<K>(db, actor, sid).await;
        return Err(record::lost_race(e, tx, reread).await);
    }
    audit::reassign(&mut tx, did.into(), sid.into()).await?;
    relais_store::records::purge::<K>(&mut tx, did).await?;
    record_merge(&mut tx, actor, K::NOUN, sid.into(), did.into(), &gone).await?;
    let view = records::view::<K>(&mut tx, sid, false).await?;
    tx.commit().await?;
    Ok(view)
}
