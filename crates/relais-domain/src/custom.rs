//! Custom fields defined by an admin on people and companies.
use crate::message::{Code, Msg, not_one_of};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldKind {
    Text,
    Number,
    Date,
    Choice,
    Boolean,
    /// An amount of money (`crate::money::Money`): minor units and currency, EUR unless
    /// the value says otherwise.
    Money,
}

/// What custom fields are defined on: a kind of record, by the name its custom fields go by
/// (`person`, `company`). Any kind whose filter spec names one has custom fields
/// (`filter::schema::KindSpec::custom`), those of Relais and those registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entity(&'static str);

impl Entity {
    pub const PERSON: Entity = Entity("person");
    pub const COMPANY: Entity = Entity("company");

    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The entity of that name, if a kind of record has custom fields under it.
    pub fn parse(s: &str) -> Result<Entity, Msg> {
        crate::filter::schema::custom_entity(s)
            .map(Entity)
            .ok_or_else(|| not_one_of(s, &crate::filter::schema::custom_entities()))
    }
}

impl Serialize for Entity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Entity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Entity::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Entity {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "the kind of record the field is on: person, company, or a kind added since",
            ))
            .examples(["person", "company"])
            .into()
    }
}

impl utoipa::ToSchema for Entity {}

impl CustomFieldKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomFieldKind::Text => "text",
            CustomFieldKind::Number => "number",
            CustomFieldKind::Date => "date",
            CustomFieldKind::Choice => "choice",
            CustomFieldKind::Boolean => "boolean",
            CustomFieldKind::Money => "money",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Msg> {
        serde_json::from_value(serde_json::Value::String(s.to_string()))
            .map_err(|_| not_one_of(s, &["text", "number", "date", "choice", "boolean", "money"]))
    }
}

/// A value of a custom field, typed by its definition, stored in the column of its type
/// so that filters compare numbers as numbers and dates as dates.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomValue {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Boolean(bool),
    Money(crate::money::Money),
}

impl CustomValue {
    /// Reads a JSON value (or a string from a CSV cell) for a field of `kind`.
    pub fn parse(
        kind: CustomFieldKind,
        choices: &[String],
        v: &serde_json::Value,
    ) -> Result<Option<Self>, Msg> {
        use serde_json::Value as J;
        let text = match v {
            J::Null => return Ok(None),
            J::String(s) if s.trim().is_empty() => return Ok(None),
            J::String(s) => s.trim().to_string(),
            J::Number(n) if kind == CustomFieldKind::Money => n.to_string().replace('.', ","),
            J::Number(n) if kind == CustomFieldKind::Number => {
                return n
                    .as_f64()
                    .map(|f| Some(CustomValue::Number(f)))
                    .ok_or_else(|| Code::NotANumberHere.into());
            }
            J::Bool(b) if kind == CustomFieldKind::Boolean => {
                return Ok(Some(CustomValue::Boolean(*b)));
            }
            // {"minor": 123450, "currency": "EUR"}, as money is written back.
            J::Object(_) if kind == CustomFieldKind::Money => {
                return serde_json::from_value::<crate::money::Money>(v.clone())
                    .map(|m| Some(CustomValue::Money(m)))
                    .map_err(|_| Code::NotAnAmountObject.into());
            }
            other => other.to_string(),
        };
        let value = match kind {
            CustomFieldKind::Text if text.chars().count() > 1000 => {
                return Err(Msg::new(Code::TooLong).with("max", 1000));
            }
            CustomFieldKind::Text => CustomValue::Text(text),
            CustomFieldKind::Number => CustomValue::Number(
                text.replace(',', ".")
                    .replace([' ', '\u{a0}'], "")
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| Msg::new(Code::NotANumber).with("value", &text))?,
            ),
            CustomFieldKind::Date => CustomValue::Date(parse_date(&text)?),
            CustomFieldKind::Money => CustomValue::Money(parse_money(&text)?),
            CustomFieldKind::Boolean => CustomValue::Boolean(parse_bool(&text)?),
            CustomFieldKind::Choice => CustomValue::Text(
                choices
                    .iter()
                    .find(|c| c.eq_ignore_ascii_case(&text))
                    .cloned()
                    .ok_or_else(|| {
                        let allowed: Vec<&str> = choices.iter().map(String::as_str).collect();
                        not_one_of(&text, &allowed)
                    })?,
            ),
        };
        Ok(Some(value))
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            CustomValue::Text(s) => s.clone().into(),
            CustomValue::Number(n) => serde_json::Number::from_f64(*n)
                .map(Into::into)
                .unwrap_or_default(),
            CustomValue::Date(d) => d.to_string().into(),
            CustomValue::Boolean(b) => (*b).into(),
            CustomValue::Money(m) => serde_json::to_value(m).unwrap_or_default(),
        }
    }
}

/// An amount as typed in a form or a CSV cell, in euros unless it names its currency:
/// French first ("1 234,50 €"), then English ("1,234.50") when only that reads.
pub fn parse_money(s: &str) -> Result<crate::money::Money, Msg> {
    use crate::money::{Currency, Locale, Money};
    Money::parse(s, Currency::EUR, Locale::Fr)
        .or_else(|e| Money::parse(s, Currency::EUR, Locale::En).map_err(|_| e))
}

/// ISO (`2024-03-31`) or French (`31/03/2024`) dates.
pub fn parse_date(s: &str) -> Result<NaiveDate, Msg> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .map_err(|_| Msg::new(Code::NotADate).with("value", s))
}

fn parse_bool(s: &str) -> Result<bool, Msg> {
    match crate::text::fold(s).as_str() {
        "true" | "yes" | "oui" | "1" | "y" | "o" | "vrai" => Ok(true),
        "false" | "no" | "non" | "0" | "n" | "faux" => Ok(false),
        _ => Err(Msg::new(Code::NotYesOrNo).with("value", s)),
    }
}

/// A field key: lowercase letters, digits and underscores, starting with a letter.
pub fn parse_key(s: &str) -> Result<String, Msg> {
    let ok = !s.is_empty()
        && s.len() <= 50
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(s.to_string())
    } else {
        Err(Msg::new(Code::NotAKey).with("value", s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_typed_by_their_field() {
        use CustomFieldKind::*;
        assert_eq!(
            CustomValue::parse(Number, &[], &json!("1 234,5")).unwrap(),
            Some(CustomValue::Number(1234.5))
        );
        assert_eq!(
            CustomValue::parse(Boolean, &[], &json!("oui")).unwrap(),
            Some(CustomValue::Boolean(true))
        );
        assert_eq!(
            CustomValue::parse(Date, &[], &json!("31/03/2024"))
                .unwrap()
                .unwrap()
                .to_json(),
            json!("2024-03-31")
        );
        let choices = vec!["Gold".to_string(), "Silver".to_string()];
        assert_eq!(
            CustomValue::parse(Choice, &choices, &json!("gold")).unwrap(),
            Some(CustomValue::Text("Gold".into()))
        );
        assert!(CustomValue::parse(Choice, &choices, &json!("bronze")).is_err());
        assert!(CustomValue::parse(Number, &[], &json!("lots")).is_err());
        let eur = |minor| Some(CustomValue::Money(crate::money::Money::eur(minor)));
        assert_eq!(
            CustomValue::parse(Money, &[], &json!("1 234,50 €")).unwrap(),
            eur(123_450)
        );
        assert_eq!(
            CustomValue::parse(Money, &[], &json!("1,234.50")).unwrap(),
            eur(123_450)
        );
        assert_eq!(
            CustomValue::parse(Money, &[], &json!(12.5)).unwrap(),
            eur(1_250)
        );
        let stored = json!({"minor": 99, "currency": "EUR"});
        assert_eq!(CustomValue::parse(Money, &[], &stored).unwrap(), eur(99));
        assert_eq!(eur(99).unwrap().to_json(), stored);
        assert!(CustomValue::parse(Money, &[], &json!("dix euros")).is_err());
        assert_eq!(CustomValue::parse(Text, &[], &json!("")).unwrap(), None);
    }
}
