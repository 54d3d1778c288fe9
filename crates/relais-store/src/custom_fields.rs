//! Definitions of admin-defined custom fields.
use crate::{Result, StoreError, Tx};
use chrono::{DateTime, Utc};
use relais_domain::CustomFieldId;
use relais_domain::custom::{CustomFieldKind, Entity};
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct CustomField {
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

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    entity: String,
    field_key: String,
    label: String,
    kind: String,
    choices: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl CustomField {
    /// A stored definition; `None` for one on a kind of record this Relais does not know (a
    /// kind registered by another build): it stays stored, unused.
    fn of(r: Row) -> Option<Self> {
        Some(CustomField {
            id: CustomFieldId(r.id),
            entity: Entity::parse(&r.entity).ok()?,
            key: r.field_key,
            label: r.label,
            kind: crate::coded::read(
                &r.kind,
                CustomFieldKind::parse,
                "custom_fields",
                "kind",
                r.id,
            )
            .unwrap_or(CustomFieldKind::Text),
            choices: serde_json::from_str(&r.choices).unwrap_or_default(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        })
    }
}

const COLUMNS: [&str; 9] = [
    "id",
    "entity",
    "field_key",
    "label",
    "kind",
    "choices",
    "created_at",
    "updated_at",
    "version",
];

pub async fn insert(tx: &mut Tx, f: &CustomField) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table("custom_fields")
            .columns(COLUMNS)
            .values_panic([
                f.id.0.into(),
                f.entity.as_str().into(),
                f.key.clone().into(),
                f.label.clone().into(),
                f.kind.as_str().into(),
                serde_json::to_string(&f.choices).unwrap_or_default().into(),
                f.created_at.into(),
                f.updated_at.into(),
                1i64.into(),
            ]),
    )
    .await?;
    Ok(())
}

/// Changes the label and the choices (key, entity and type are fixed once values exist).
pub async fn update(
    tx: &mut Tx,
    f: &CustomField,
    expected: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    let q = Query::update()
        .table("custom_fields")
        .value("label", f.label.clone())
        .value(
            "choices",
            serde_json::to_string(&f.choices).unwrap_or_default(),
        )
        .value("updated_at", now)
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(f.id.0))
        .and_where(Expr::col("version").eq(expected))
        .to_owned();
    if tx.execute(&q).await? == 0 {
        return Err(if get(tx, f.id).await?.is_some() {
            StoreError::Conflict
        } else {
            StoreError::NotFound
        });
    }
    Ok(expected + 1)
}

pub async fn delete(tx: &mut Tx, id: CustomFieldId) -> Result<()> {
    if tx
        .execute(
            Query::delete()
                .from_table("custom_fields")
                .and_where(Expr::col("id").eq(id.0)),
        )
        .await?
        == 0
    {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(tx: &mut Tx, id: CustomFieldId) -> Result<Option<CustomField>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from("custom_fields")
        .and_where(Expr::col("id").eq(id.0))
        .to_owned();
    Ok(tx
        .fetch_optional::<Row>(&q)
        .await?
        .and_then(CustomField::of))
}

pub async fn list(tx: &mut Tx, entity: Option<Entity>) -> Result<Vec<CustomField>> {
    let mut q = Query::select();
    q.columns(COLUMNS)
        .from("custom_fields")
        .order_by("entity", Order::Asc)
        .order_by("field_key", Order::Asc);
    if let Some(e) = entity {
        q.and_where(Expr::col("entity").eq(e.as_str()));
    }
    Ok(tx
        .fetch_all::<Row>(&q)
        .await?
        .into_iter()
        .filter_map(CustomField::of)
        .collect())
}
