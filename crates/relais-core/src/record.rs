//! What every kind of record shares in the services: time, versions, drafts from JSON,
//! merge patches, audit diffs, custom values, list pages.
use crate::error::{CoreError, Result};
use base64::Engine;
use chrono::{DateTime, SubsecRound, Utc};
use relais_domain::custom::{CustomValue, Entity};
use relais_domain::filter::schema::KindSpec;
use relais_domain::filter::{Filter, Sort, SortKey, from_query};
use relais_domain::{Code, Msg};
use relais_domain::{FieldError, Invalid};
use relais_store::audit::Change;
use relais_store::custom_fields::CustomField;
use relais_store::filter::{Context, CustomDef, Page, split_search};
use relais_store::owned::CustomWrite;
use relais_store::{StoreError, Tx};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Now, to the microsecond: what both engines store, so a value read back equals the one written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The strong ETag of a record at a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Reads a draft from JSON; a wrong shape names the field (`emails[0].address`).
pub fn parse_draft<T: DeserializeOwned>(value: Value) -> Result<T, Invalid> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        let m = Msg::new(Code::Malformed).with("reason", e.into_inner());
        Invalid(vec![FieldError::new(field, m)])
    })
}

/// RFC 7396: the patch's members replace the current ones, `null` removes them.
pub fn apply_patch(current: &impl Serialize, patch: &Value) -> Result<Value> {
    if !patch.is_object() {
        return Err(Invalid::one("body", Code::MergePatchObject).into());
    }
    let mut doc = serde_json::to_value(current).map_err(|e| CoreError::Internal(e.to_string()))?;
    json_patch::merge(&mut doc, patch);
    Ok(doc)
}

/// The fields that differ between two versions of a record, for the audit trail.
pub fn diff(old: &impl Serialize, new: &impl Serialize) -> Vec<Change> {
    let (Ok(Value::Object(old)), Ok(Value::Object(new))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return vec![];
    };
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| Change {
            field: Some(k.clone()),
            old_value: old.get(k).and_then(show),
            new_value: new.get(k).and_then(show),
        })
        .collect()
}

/// Every field of a record, as audit lines: what a merge discards, kept for the record.
pub fn snapshot(record: &impl Serialize) -> Vec<Change> {
    let Ok(Value::Object(map)) = serde_json::to_value(record) else {
        return vec![];
    };
    map.into_iter()
        .filter_map(|(k, v)| {
            show(&v).map(|s| Change {
                field: Some(k),
                old_value: Some(s),
                new_value: None,
            })
        })
        .collect()
}

fn show(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Object(o) if o.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Checks custom values against the entity's field definitions; returns what to store and
/// the normalised values (as they will read back).
pub async fn resolve_custom(
    tx: &mut Tx,
    entity: Entity,
    values: &BTreeMap<String, Value>,
) -> Result<(Vec<CustomWrite>, BTreeMap<String, Value>)> {
    if values.is_empty() {
        return Ok((vec![], BTreeMap::new()));
    }
    let defs = relais_store::custom_fields::list(tx, Some(entity)).await?;
    Ok(resolve_custom_with(&defs, entity, values)?)
}

/// `resolve_custom` against definitions already read (an import reads them once).
pub fn resolve_custom_with(
    defs: &[CustomField],
    entity: Entity,
    values: &BTreeMap<String, Value>,
) -> std::result::Result<(Vec<CustomWrite>, BTreeMap<String, Value>), Invalid> {
    let mut errors = Vec::new();
    let mut writes = Vec::new();
    let mut normal = BTreeMap::new();
    for (key, raw) in values {
        let field = format!("custom.{key}");
        let Some(def) = defs.iter().find(|d| &d.key == key && d.entity == entity) else {
            let m = Msg::new(Code::FilterNoSuchCustomField)
                .with("key", key)
                .with("kind", entity.as_str());
            errors.push(FieldError::new(field, m));
            continue;
        };
        match CustomValue::parse(def.kind, &def.choices, raw) {
            Ok(Some(value)) => {
                normal.insert(key.clone(), value.to_json());
                writes.push(CustomWrite {
                    field_id: def.id,
                    value,
                });
            }
            Ok(None) => {}
            Err(message) => errors.push(FieldError::new(field, message)),
        }
    }
    if errors.is_empty() {
        Ok((writes, normal))
    } else {
        Err(Invalid(errors))
    }
}

/// The filter context: every custom field (filters reach related kinds' fields too), and
/// now, for relative dates.
pub async fn context(tx: &mut Tx) -> Result<Context> {
    let defs = relais_store::custom_fields::list(tx, None).await?;
    Ok(Context {
        custom: defs
            .into_iter()
            .map(|d| CustomDef {
                entity: d.entity.as_str().to_string(),
                key: d.key,
                id: d.id.0,
                kind: d.kind,
            })
            .collect(),
        now: now(),
    })
}

/// A list's filter from its query parameters, checked against the kind's fields.
pub fn filter_of(
    params: &[(String, String)],
    kind: &'static KindSpec,
    ctx: &Context,
) -> Result<Filter, Invalid> {
    from_query(params, kind, ctx).map_err(|e| Invalid::one(e.param, e.message))
}

/// A page of a list and the cursor of the next one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// What a list request asks: its filter, its order and its page. A search (`q`) that asks
/// for no order is read in relevance order.
pub fn list_request(
    params: &[(String, String)],
    kind: &'static KindSpec,
    ctx: &Context,
) -> Result<(Filter, Sort, Page)> {
    let mut page = page_of(params)?;
    let mut sort = None;
    let mut rest = Vec::new();
    for (k, v) in params {
        match k.as_str() {
            "sort" => sort = Some(Sort::parse(v).map_err(|m| Invalid::one("sort", m))?),
            "trash" => page.trash = trash(v)?,
            _ => rest.push((k.clone(), v.clone())),
        }
    }
    let filter = filter_of(&rest, kind, ctx)?;
    let sort = sort.unwrap_or(Sort {
        key: if split_search(&filter).is_some() {
            SortKey::Relevance
        } else {
            SortKey::Name
        },
        descending: false,
    });
    Ok((filter, sort, page))
}

/// `trash=true|false`; anything else is refused rather than read as false.
pub fn trash(v: &str) -> Result<bool, Invalid> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Invalid::one("trash", relais_domain::Code::TrueOrFalse)),
    }
}

/// Reads `limit` and `cursor` from list parameters. A parameter a list reads once (`limit`,
/// `cursor`, `sort`, `q`, `trash`) given twice is refused: which one was meant?
pub fn page_of(params: &[(String, String)]) -> Result<Page> {
    for once in ["limit", "cursor", "sort", "q", "trash"] {
        if params.iter().filter(|(k, _)| k == once).count() > 1 {
            return Err(Invalid::one(once, relais_domain::Code::GivenTwice).into());
        }
    }
    let mut page = Page {
        after: None,
        limit: DEFAULT_LIMIT,
        trash: false,
    };
    for (k, v) in params {
        match k.as_str() {
            "limit" => {
                page.limit = v
                    .parse::<u64>()
                    .ok()
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .ok_or_else(|| {
                        let m = Msg::new(Code::OutOfRange)
                            .with("min", 1)
                            .with("max", MAX_LIMIT);
                        Invalid::one("limit", m)
                    })?;
            }
            "cursor" if !v.is_empty() => page.after = Some(decode_cursor(v)?),
            _ => {}
        }
    }
    Ok(page)
}

fn decode_cursor(c: &str) -> Result<(String, Uuid), Invalid> {
    let bad = || Invalid::one("cursor", relais_domain::Code::NotACursor);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    serde_json::from_slice::<(String, Uuid)>(&bytes).map_err(|_| bad())
}

pub fn encode_cursor(sort_value: &str, id: Uuid) -> String {
    let json = serde_json::to_vec(&(sort_value, id)).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// Cuts the extra row the store fetched (limit + 1) and makes the next cursor from the last kept.
pub fn finish_page<R, T>(
    mut rows: Vec<R>,
    limit: u64,
    key: impl Fn(&R) -> (String, Uuid),
    view: impl Fn(R) -> T,
) -> ListPage<T> {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| {
            let (v, id) = key(r);
            encode_cursor(&v, id)
        })
    } else {
        None
    };
    ListPage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    }
}

/// The `If-Match` check: a stale ETag gets the current state back, never a silent overwrite.
pub fn check_if_match(
    if_match: Option<&str>,
    version: i64,
    current: &impl Serialize,
) -> Result<()> {
    match if_match.map(str::trim) {
        None | Some("*") => Ok(()),
        Some(tags)
            if tags
                .split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag(version)) =>
        {
            Ok(())
        }
        Some(_) => Err(CoreError::Stale {
            version,
            current: serde_json::to_value(current).unwrap_or_default(),
        }),
    }
}

/// A versioned write (`... WHERE version = ?`) that found nothing to change lost to a write
/// committed meanwhile: answer `Stale` with the record as it is now. The losing transaction is
/// rolled back first and `reread` reads in a new one: on PostgreSQL the losing transaction read
/// the record before the winner committed, so what it holds is the stale state. Other errors
/// pass through.
pub async fn lost_race<V: Serialize>(
    e: CoreError,
    tx: Tx,
    reread: impl AsyncFnOnce() -> Result<V>,
) -> CoreError {
    if !matches!(
        e,
        CoreError::Stale { .. } | CoreError::Store(StoreError::Conflict)
    ) {
        return e;
    }
    if let Err(e) = tx.rollback().await {
        return e.into();
    }
    match reread().await {
        Ok(now) => {
            let current = serde_json::to_value(&now).unwrap_or_default();
            let version = current["version"].as_i64().unwrap_or_default();
            CoreError::Stale { version, current }
        }
        Err(e) => e,
    }
}

/// A value of a record's JSON as plain text: text as it is, a list's items joined with
/// `separator`, an object's values with a space, an absent value empty.
pub fn plain_text(v: &Value, separator: &str) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| plain_text(i, separator))
            .collect::<Vec<_>>()
            .join(separator),
        Value::Object(o) => o
            .values()
            .map(|i| plain_text(i, separator))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}
