//! Admin-defined custom fields.
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::record;
use chrono::{DateTime, Utc};
use relais_domain::custom::{CustomFieldKind, Entity, parse_key};
use relais_domain::error::{Errors, optional_text};
use relais_domain::{Action, CustomFieldId, Invalid, Resource};
use relais_domain::{Code, Msg};
use relais_store::Db;
use relais_store::custom_fields::{self as store, CustomField};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomFieldView {
    #[schema(value_type = String, format = Uuid)]
    pub id: CustomFieldId,
    pub entity: Entity,
    pub key: String,
    pub label: String,
    pub kind: CustomFieldKind,
    pub choices: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<CustomField> for CustomFieldView {
    fn from(f: CustomField) -> Self {
        CustomFieldView {
            id: f.id,
            entity: f.entity,
            key: f.key,
            label: f.label,
            kind: f.kind,
            choices: f.choices,
            created_at: f.created_at,
            updated_at: f.updated_at,
            version: f.version,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldDraft {
    /// The kind of record: `person`, `company`, or a kind added since.
    pub entity: String,
    /// Lowercase letters, digits and `_`: used in filters as `custom.<key>`.
    pub key: String,
    pub label: String,
    /// text, number, date, choice, boolean or money.
    #[schema(value_type = CustomFieldKind)]
    pub kind: String,
    #[serde(default)]
    pub choices: Vec<String>,
}

fn check_choices(e: &mut Errors, kind: Option<CustomFieldKind>, choices: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, c) in choices.iter().enumerate() {
        match optional_text(Some(c), 100) {
            Ok(Some(c)) if !out.contains(&c) => out.push(c),
            Ok(_) => {}
            Err(m) => e.add(format!("choices[{i}]"), m),
        }
    }
    if kind == Some(CustomFieldKind::Choice) && out.is_empty() {
        e.add("choices", relais_domain::Code::ChoiceNeedsChoices);
    }
    out
}

pub async fn create(db: &Db, actor: &Actor, body: Value) -> Result<CustomFieldView> {
    actor.require(Action::Create, Resource::CUSTOM_FIELDS)?;
    let d: CustomFieldDraft = record::parse_draft(body)?;
    let mut e = Errors::default();
    let entity = e.check("entity", Entity::parse(&d.entity));
    let key = e.check("key", parse_key(&d.key));
    let label = e
        .check("label", optional_text(Some(&d.label), 100))
        .flatten();
    if label.is_none() && e.is_empty() {
        e.add("label", relais_domain::Code::Required);
    }
    let kind = e.check("kind", CustomFieldKind::parse(&d.kind));
    let choices = check_choices(&mut e, kind, &d.choices);
    e.finish(|| ())?;
    let (Some(entity), Some(key), Some(label), Some(kind)) = (entity, key, label, kind) else {
        return Err(Invalid::one("body", relais_domain::Code::IncompleteField).into());
    };
    let now = record::now();
    let f = CustomField {
        id: CustomFieldId::new(),
        entity,
        key,
        label,
        kind,
        choices,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let mut tx = db.write().await?;
    store::insert(&mut tx, &f).await.map_err(|err| match err {
        relais_store::StoreError::Duplicate(_) => {
            let m = Msg::new(Code::FieldKeyTaken)
                .with("kind", f.entity.as_str())
                .with("key", &f.key);
            Invalid::one("key", m).into()
        }
        other => CoreError::from(other),
    })?;
    relais_store::audit::append(
        &mut tx,
        actor.user,
        "custom_field",
        f.id.0,
        "created",
        &[],
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(f.into())
}

pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<CustomFieldView>> {
    actor.require(Action::Read, Resource::CUSTOM_FIELDS)?;
    let mut tx = db.read().await?;
    Ok(store::list(&mut tx, None)
        .await?
        .into_iter()
        .map(CustomFieldView::from)
        .collect())
}

pub async fn get(db: &Db, actor: &Actor, id: CustomFieldId) -> Result<CustomFieldView> {
    actor.require(Action::Read, Resource::CUSTOM_FIELDS)?;
    let mut tx = db.read().await?;
    Ok(store::get(&mut tx, id)
        .await?
        .ok_or(CoreError::NotFound("custom field"))?
        .into())
}

/// What a merge patch may change of a custom field.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CustomFieldPatch {
    label: Option<String>,
    choices: Vec<String>,
}

/// Changes the label or the choices. The key, entity and type stay: values are stored by them.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: CustomFieldId,
    patch: Value,
    if_match: Option<&str>,
) -> Result<CustomFieldView> {
    actor.require(Action::Update, Resource::CUSTOM_FIELDS)?;
    for fixed in ["key", "entity", "kind"] {
        if patch.get(fixed).is_some() {
            return Err(Invalid::one(fixed, relais_domain::Code::CannotChange).into());
        }
    }
    let mut tx = db.write().await?;
    let mut f = store::get(&mut tx, id)
        .await?
        .ok_or(CoreError::NotFound("custom field"))?;
    let current = CustomFieldView::from(f.clone());
    let doc = serde_json::json!({"label": f.label, "choices": f.choices});
    let p: CustomFieldPatch = record::parse_draft(record::apply_patch(&doc, &patch)?)?;
    let mut e = Errors::default();
    let label = e
        .check("label", optional_text(p.label.as_deref(), 100))
        .flatten();
    if label.is_none() && e.is_empty() {
        e.add("label", relais_domain::Code::Required);
    }
    let choices = check_choices(&mut e, Some(f.kind), &p.choices);
    e.finish(|| ())?;
    // Wrong input is refused as such, whatever version it names; then a stale one is.
    record::check_if_match(if_match, f.version, &current)?;
    let changes = record::diff(
        &doc,
        &serde_json::json!({"label": label, "choices": choices}),
    );
    f.label = label.unwrap_or_default();
    f.choices = choices;
    let now = record::now();
    if let Err(e) = store::update(&mut tx, &f, f.version, now).await {
        let reread = async || get(db, actor, id).await;
        return Err(record::lost_race(e.into(), tx, reread).await);
    }
    relais_store::audit::append(
        &mut tx,
        actor.user,
        "custom_field",
        id.0,
        "updated",
        &changes,
        now,
    )
    .await?;
    let f = store::get(&mut tx, id)
        .await?
        .ok_or(CoreError::NotFound("custom field"))?;
    tx.commit().await?;
    Ok(f.into())
}

/// Deletes a field and every value of it.
pub async fn delete(db: &Db, actor: &Actor, id: CustomFieldId) -> Result<()> {
    actor.require(Action::Delete, Resource::CUSTOM_FIELDS)?;
    let mut tx = db.write().await?;
    store::delete(&mut tx, id)
        .await
        .map_err(|_| CoreError::NotFound("custom field"))?;
    relais_store::audit::append(
        &mut tx,
        actor.user,
        "custom_field",
        id.0,
        "deleted",
        &[],
        record::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
