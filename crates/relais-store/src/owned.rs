//! Rows people and companies both own: addresses, tags, custom values.
//! Written by replacing the owner's whole set, read in batches for a page of owners.
use crate::bulk::Rows;
use crate::{Result, Tx};
use relais_domain::CustomFieldId;
use relais_domain::custom::{CustomFieldKind, CustomValue};
use relais_domain::person::Address;
use relais_domain::text::fold;
use sea_query::{Expr, ExprTrait, Query};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// A custom value resolved against its field's definition, ready to store.
#[derive(Debug, Clone)]
pub struct CustomWrite {
    pub field_id: CustomFieldId,
    pub value: CustomValue,
}

pub(crate) async fn delete_all(tx: &mut Tx, owners: &[Uuid]) -> Result<()> {
    for table in ["addresses", "tags", "custom_values"] {
        tx.execute(
            Query::delete()
                .from_table(table)
                .and_where(Expr::col("owner_id").is_in(owners.iter().copied())),
        )
        .await?;
    }
    Ok(())
}

/// What many owners own, gathered to be written in a few statements.
pub(crate) struct OwnedRows {
    addresses: Rows,
    tags: Rows,
    custom: Rows,
}

impl OwnedRows {
    pub(crate) fn new() -> Self {
        OwnedRows {
            addresses: Rows::new(
                "addresses",
                &[
                    "owner_id",
                    "position",
                    "kind",
                    "street",
                    "postal_code",
                    "city",
                    "city_key",
                    "region",
                    "country",
                ],
            ),
            tags: Rows::new("tags", &["owner_id", "tag", "tag_key"]),
            custom: Rows::new(
                "custom_values",
                &[
                    "owner_id",
                    "field_id",
                    "value_text",
                    "value_number",
                    "value_date",
                    "value_bool",
                ],
            ),
        }
    }

    pub(crate) fn addresses(&mut self, owner: Uuid, list: &[Address]) {
        for (i, a) in list.iter().enumerate() {
            self.addresses.push([
                owner.into(),
                (i as i16).into(),
                a.kind.clone().into(),
                a.street.clone().into(),
                a.postal_code.clone().into(),
                a.city.clone().into(),
                a.city.as_deref().map(fold).into(),
                a.region.clone().into(),
                a.country.clone().into(),
            ]);
        }
    }

    /// Tags that fold to the same key are one tag: the first spelling is kept.
    pub(crate) fn tags(&mut self, owner: Uuid, tags: &[String]) {
        let mut seen: Vec<String> = Vec::with_capacity(tags.len());
        for t in tags {
            let key = fold(t);
            if !seen.contains(&key) {
                self.tags
                    .push([owner.into(), t.clone().into(), key.clone().into()]);
                seen.push(key);
            }
        }
    }

    pub(crate) fn custom(&mut self, owner: Uuid, values: &[CustomWrite]) {
        for v in values {
            let (text, number, date, boolean) = match &v.value {
                CustomValue::Text(s) => (Some(s.clone()), None, None, None),
                CustomValue::Number(n) => (None, Some(*n), None, None),
                CustomValue::Date(d) => (None, None, Some(*d), None),
                CustomValue::Boolean(b) => (None, None, None, Some(*b)),
                // Minor units as a number (exact up to 2^53: ninety thousand billion euros),
                // the currency beside it.
                CustomValue::Money(m) => (
                    Some(m.currency.code().to_string()),
                    Some(m.minor as f64),
                    None,
                    None,
                ),
            };
            self.custom.push([
                owner.into(),
                v.field_id.0.into(),
                text.into(),
                number.into(),
                date.into(),
                boolean.into(),
            ]);
        }
    }

    pub(crate) async fn write(self, tx: &mut Tx) -> Result<()> {
        self.addresses.write(tx).await?;
        self.tags.write(tx).await?;
        self.custom.write(tx).await
    }
}

#[derive(sqlx::FromRow)]
struct AddressRow {
    owner_id: Uuid,
    kind: String,
    street: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    region: Option<String>,
    country: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TagRow {
    owner_id: Uuid,
    tag: String,
}

#[derive(sqlx::FromRow)]
struct CustomRow {
    owner_id: Uuid,
    field_key: String,
    kind: String,
    value_text: Option<String>,
    value_number: Option<f64>,
    value_date: Option<chrono::NaiveDate>,
    value_bool: Option<bool>,
}

/// What a page of owners owns, by owner.
#[derive(Default)]
pub struct Owned {
    pub(crate) addresses: HashMap<Uuid, Vec<Address>>,
    pub(crate) tags: HashMap<Uuid, Vec<String>>,
    pub(crate) custom: HashMap<Uuid, BTreeMap<String, serde_json::Value>>,
}

pub(crate) async fn load(tx: &mut Tx, owners: &[Uuid]) -> Result<Owned> {
    let mut out = Owned::default();
    if owners.is_empty() {
        return Ok(out);
    }
    let ids = || owners.iter().copied();
    let rows: Vec<AddressRow> = tx
        .fetch_all(
            Query::select()
                .columns([
                    "owner_id",
                    "kind",
                    "street",
                    "postal_code",
                    "city",
                    "region",
                    "country",
                ])
                .from("addresses")
                .and_where(Expr::col("owner_id").is_in(ids()))
                .order_by("owner_id", sea_query::Order::Asc)
                .order_by("position", sea_query::Order::Asc),
        )
        .await?;
    for r in rows {
        let a = Address {
            kind: r.kind,
            street: r.street,
            postal_code: r.postal_code,
            city: r.city,
            region: r.region,
            country: r.country,
        };
        out.addresses.entry(r.owner_id).or_default().push(a);
    }
    let rows: Vec<TagRow> = tx
        .fetch_all(
            Query::select()
                .columns(["owner_id", "tag"])
                .from("tags")
                .and_where(Expr::col("owner_id").is_in(ids()))
                .order_by("tag_key", sea_query::Order::Asc),
        )
        .await?;
    for r in rows {
        out.tags.entry(r.owner_id).or_default().push(r.tag);
    }
    let rows: Vec<CustomRow> = tx
        .fetch_all(
            Query::select()
                .columns([
                    ("v", "owner_id"),
                    ("f", "field_key"),
                    ("f", "kind"),
                    ("v", "value_text"),
                    ("v", "value_number"),
                    ("v", "value_date"),
                    ("v", "value_bool"),
                ])
                .from_as("custom_values", "v")
                .join_as(
                    sea_query::JoinType::InnerJoin,
                    "custom_fields",
                    "f",
                    Expr::col(("f", "id")).equals(("v", "field_id")),
                )
                .and_where(Expr::col(("v", "owner_id")).is_in(ids())),
        )
        .await?;
    for r in rows {
        let value = match CustomFieldKind::parse(&r.kind) {
            Ok(CustomFieldKind::Number) => r.value_number.map(CustomValue::Number),
            Ok(CustomFieldKind::Date) => r.value_date.map(CustomValue::Date),
            Ok(CustomFieldKind::Boolean) => r.value_bool.map(CustomValue::Boolean),
            Ok(CustomFieldKind::Money) => r.value_number.map(|minor| {
                let currency = r
                    .value_text
                    .as_deref()
                    .and_then(|c| relais_domain::money::Currency::parse(c).ok())
                    .unwrap_or_default();
                CustomValue::Money(relais_domain::money::Money::new(minor as i64, currency))
            }),
            _ => r.value_text.map(CustomValue::Text),
        };
        if let Some(v) = value {
            out.custom
                .entry(r.owner_id)
                .or_default()
                .insert(r.field_key, v.to_json());
        }
    }
    Ok(out)
}
