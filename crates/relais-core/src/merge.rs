//! Likely duplicates, and the merge of two records into one. A merge is one transaction:
//! the survivor gets the chosen fields and every list of both, every interaction, task,
//! consent, stage change and audit entry of the other; the discarded values stay in the
//! audit trail. Nothing is lost.
use crate::auth::Actor;
use crate::companies::Companies;
use crate::error::{CoreError, Result};
use crate::people::People;
use crate::record;
use crate::records::{self, Kind};
use relais_domain::company::CompanyData;
use relais_domain::person::PersonData;
use relais_domain::{Action, CompanyId, Invalid, PersonId};
use relais_store::audit::{self, Change};
use relais_store::records::Record;
use relais_store::{Db, Tx, duplicates};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use uuid::Uuid;

/// How alike two names must be (Jaro-Winkler on folded names) to be shown as duplicates.
const SIMILAR: f64 = 0.92;
const SCAN: u64 = 200_000;

/// Two records that look like the same one, and why.
#[derive(Debug, Serialize)]
pub struct Pair<V> {
    pub a: V,
    pub b: V,
    /// Why they look alike: "same e-mail", "same phone", "similar name"...
    pub reasons: Vec<String>,
}

/// Pairs of records found alike, each with its reasons, in the order of their ids.
#[derive(Debug, Default)]
pub struct Alike(BTreeMap<(Uuid, Uuid), Vec<String>>);

impl Alike {
    pub fn add(&mut self, a: Uuid, b: Uuid, reason: &str) {
        if a == b {
            return;
        }
        let key = if a < b { (a, b) } else { (b, a) };
        let reasons = self.0.entry(key).or_default();
        if !reasons.iter().any(|r| r == reason) {
            reasons.push(reason.to_string());
        }
    }

    /// Compares each name with the few that follow it in folded order, where nearly equal
    /// names are neighbours: a window keeps this linear.
    pub fn similar_names<'a>(
        &mut self,
        sorted: impl IntoIterator<Item = (Uuid, &'a str)>,
        window: usize,
        reason: &str,
    ) {
        let sorted: Vec<_> = sorted.into_iter().collect();
        for (i, (x, xk)) in sorted.iter().enumerate() {
            for (y, yk) in sorted.iter().skip(i + 1).take(window) {
                if strsim::jaro_winkler(xk, yk) >= SIMILAR {
                    self.add(*x, *y, reason);
                }
            }
        }
    }
}

/// Likely duplicates of a kind, as the kind finds them (`Mergeable::alike`), at most
/// `limit` pairs of live records.
pub async fn duplicates<K: Mergeable>(
    db: &Db,
    actor: &Actor,
    limit: usize,
) -> Result<Vec<Pair<K::View>>> {
    Ok(duplicate_records::<K>(db, actor, limit)
        .await?
        .into_iter()
        .map(|p| Pair {
            a: p.a.into(),
            b: p.b.into(),
            reasons: p.reasons,
        })
        .collect())
}

/// The same pairs, as the records are stored.
pub async fn duplicate_records<K: Mergeable>(
    db: &Db,
    actor: &Actor,
    limit: usize,
) -> Result<Vec<Pair<Record<K>>>> {
    actor.require(Action::Read, K::SPEC.resource)?;
    let mut tx = db.read().await?;
    let alike = K::alike(&mut tx).await?;
    let mut out = Vec::new();
    for ((a, b), reasons) in alike.0.into_iter().take(limit) {
        let (Some(a), Some(b)) = (
            relais_store::records::get::<K>(&mut tx, a.into(), false).await?,
            relais_store::records::get::<K>(&mut tx, b.into(), false).await?,
        ) else {
            continue;
        };
        out.push(Pair { a, b, reasons });
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
    /// The lists a merge keeps whole, with the values of both records.
    const LISTS: &'static [&'static str] = &["tags"];

    /// What a record is called where two are shown side by side.
    fn title(d: &Self::Data) -> String;

    /// Pairs of live records that look alike, and why. By default: nearly the same name.
    fn alike(tx: &mut Tx) -> impl Future<Output = Result<Alike>> + Send {
        async {
            let named = duplicates::by_name(tx, Self::SPEC.table, SCAN).await?;
            let mut alike = Alike::default();
            alike.similar_names(
                named.iter().map(|n| (n.id, n.sort_key.as_str())),
                5,
                "similar name",
            );
            Ok(alike)
        }
    }

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
    const LISTS: &'static [&'static str] = &["emails", "phones", "addresses", "tags"];

    fn title(d: &PersonData) -> String {
        d.display_name()
    }

    /// Same e-mail, same phone, or similar names at the same company.
    async fn alike(tx: &mut Tx) -> Result<Alike> {
        let mut alike = Alike::default();
        for p in duplicates::people_sharing_email(tx, SCAN).await? {
            alike.add(p.a, p.b, "same e-mail");
        }
        for p in duplicates::people_sharing_phone(tx, SCAN).await? {
            alike.add(p.a, p.b, "same phone");
        }
        let named = duplicates::people_by_company(tx, SCAN).await?;
        for group in named.chunk_by(|x, y| x.group_id == y.group_id) {
            alike.similar_names(
                group.iter().map(|n| (n.id, n.sort_key.as_str())),
                20,
                "similar name at the same company",
            );
        }
        Ok(alike)
    }

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
    const LISTS: &'static [&'static str] = &["addresses", "tags"];

    fn title(d: &CompanyData) -> String {
        d.name.clone()
    }

    /// Similar names, or the same SIREN.
    async fn alike(tx: &mut Tx) -> Result<Alike> {
        let all = duplicates::companies_by_name(tx, SCAN).await?;
        let mut alike = Alike::default();
        alike.similar_names(
            all.iter().map(|c| (c.id, c.sort_key.as_str())),
            5,
            "similar name",
        );
        let mut by_siren: Vec<&duplicates::CompanyKey> =
            all.iter().filter(|c| c.siren.is_some()).collect();
        by_siren.sort_by(|x, y| x.siren.cmp(&y.siren));
        for w in by_siren.windows(2) {
            if let [x, y] = w
                && x.siren == y.siren
            {
                alike.add(x.id, y.id, "same SIREN");
            }
        }
        Ok(alike)
    }

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
    actor.require(Action::Delete, K::SPEC.resource)?;
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
    let (mut data, _) = records::check::<K>(&mut tx, actor, &draft, Some(&survivor)).await?;
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
