//! A filter tree against a kind of record: every field and relation exists, every operator
//! suits its field's type, every value reads as that type. `coerce` turns a written value
//! into the typed value the store compares with; the checker and the store call the same
//! function, so what passes the check compiles.
use super::schema::{self, FieldType, KindSpec, Search};
use super::{Filter, Literal, Measure, Op};
use crate::custom::CustomFieldKind;
use crate::message::{Code, Msg, not_one_of};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// The custom fields defined by admins, per entity (`person`, `company`).
pub trait CustomFields {
    fn kind_of(&self, entity: &str, key: &str) -> Option<CustomFieldKind>;
}

/// No custom fields at all.
pub struct NoCustom;

impl CustomFields for NoCustom {
    fn kind_of(&self, _: &str, _: &str) -> Option<CustomFieldKind> {
        None
    }
}

/// (entity, key, kind) triples.
impl<E: AsRef<str>, K: AsRef<str>, const N: usize> CustomFields for [(E, K, CustomFieldKind); N] {
    fn kind_of(&self, entity: &str, key: &str) -> Option<CustomFieldKind> {
        self.iter()
            .find(|(e, k, _)| e.as_ref() == entity && k.as_ref() == key)
            .map(|(_, _, kind)| *kind)
    }
}

/// The type of a custom field's values.
pub fn custom_type(kind: CustomFieldKind) -> FieldType {
    match kind {
        CustomFieldKind::Text | CustomFieldKind::Choice => FieldType::Text,
        CustomFieldKind::Number => FieldType::Number,
        CustomFieldKind::Date => FieldType::Day,
        CustomFieldKind::Boolean => FieldType::Bool,
        CustomFieldKind::Money => FieldType::Money,
    }
}

/// The type of a field of `kind`: built-in, or `custom.<key>`.
pub fn field_type(
    kind: &KindSpec,
    custom: &dyn CustomFields,
    name: &str,
) -> Result<FieldType, Msg> {
    if let Some(key) = name.strip_prefix("custom.") {
        let entity = kind
            .custom
            .ok_or_else(|| Msg::new(Code::FilterNoCustomFields).with("kind", kind.name))?;
        return custom.kind_of(entity, key).map(custom_type).ok_or_else(|| {
            Msg::new(Code::FilterNoSuchCustomField)
                .with("key", key)
                .with("kind", kind.name)
        });
    }
    kind.field(name).map(|f| f.ty).ok_or_else(|| {
        let mut allowed = kind.field_names();
        if kind.custom.is_some() {
            allowed.push("custom.<key>");
        }
        Msg::new(Code::FilterUnknownField)
            .with("field", name)
            .with("kind", kind.name)
            .with("allowed", allowed.join(", "))
    })
}

/// Checks a whole tree against `kind`. The message names the field or relation at fault.
pub fn check(kind: &KindSpec, custom: &dyn CustomFields, f: &Filter) -> Result<(), Msg> {
    walk(kind, custom, f, true)
}

fn walk(kind: &KindSpec, custom: &dyn CustomFields, f: &Filter, top: bool) -> Result<(), Msg> {
    match f {
        Filter::And(list) | Filter::Or(list) => {
            list.iter().try_for_each(|f| walk(kind, custom, f, top))
        }
        Filter::Not(inner) => walk(kind, custom, inner, top),
        Filter::Search(_) => match kind.search {
            Search::Index { .. } if !top => {
                Err(Msg::new(Code::FilterSearchNested).with("kind", kind.name))
            }
            _ => Ok(()),
        },
        Filter::Cond(c) => {
            let ty = field_type(kind, custom, &c.field)?;
            coerce(ty, c.op, &c.value, Utc::now())
                .map(|_| ())
                .map_err(|m| m.within(&c.field))
        }
        Filter::Related(r) => {
            let rel = kind.relation(&r.relation).ok_or_else(|| {
                let names: Vec<_> = kind.relations.iter().map(|r| r.name).collect();
                Msg::new(Code::FilterUnknownRelation)
                    .with("relation", &r.relation)
                    .with("kind", kind.name)
                    .with("allowed", names.join(", "))
            })?;
            let target = schema::kind(rel.kind)
                .ok_or_else(|| Msg::new(Code::FilterNoKind).with("relation", &r.relation))?;
            walk(target, custom, &r.filter, false)?;
            measure(target, custom, &r.relation, &r.measure)
        }
    }
}

fn measure(
    target: &KindSpec,
    custom: &dyn CustomFields,
    relation: &str,
    m: &Measure,
) -> Result<(), Msg> {
    match m {
        Measure::Has | Measure::None => Ok(()),
        Measure::Count { op, value } => {
            if op.sign().is_none() {
                return Err(Msg::new(Code::FilterCompared).within(format!("{relation}.count")));
            }
            if *value < 0.0 || value.fract() != 0.0 {
                return Err(Msg::new(Code::FilterCountWhole).within(format!("{relation}.count")));
            }
            Ok(())
        }
        Measure::Aggregate {
            aggregate,
            field,
            op,
            value,
        } => {
            let ty = field_type(target, custom, field)?;
            let name = format!("{relation}.{}({field})", aggregate.as_str());
            if *aggregate == super::Aggregate::Sum && ty != FieldType::Number {
                return Err(Msg::new(Code::FilterSumNumbers).within(name));
            }
            if op.sign().is_none() {
                return Err(Msg::new(Code::FilterCompared).within(name));
            }
            coerce(ty, *op, value, Utc::now())
                .map(|_| ())
                .map_err(|m| m.within(name))
        }
    }
}

/// A value in the type its field holds, ready to be compared.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    Text(String),
    Number(f64),
    Time(DateTime<Utc>),
    Day(NaiveDate),
    Bool(bool),
    Id(Uuid),
    Money(crate::money::Money),
    List(Vec<Typed>),
}

/// Reads `value` as the type `ty` for the operator `op`; relative dates count from `now`.
pub fn coerce(ty: FieldType, op: Op, value: &Literal, now: DateTime<Utc>) -> Result<Typed, Msg> {
    match op {
        Op::Exists => match value {
            Literal::Bool(b) => Ok(Typed::Bool(*b)),
            Literal::Text(t) if t == "true" || t == "false" => Ok(Typed::Bool(t == "true")),
            _ => Err(Code::FilterExists.into()),
        },
        Op::In => {
            let values: &[Literal] = match value {
                Literal::List(l) => l,
                one => std::slice::from_ref(one),
            };
            if values.is_empty() {
                return Err(Code::FilterInNeedsValues.into());
            }
            values
                .iter()
                .map(|v| one(ty, v, now))
                .collect::<Result<_, _>>()
                .map(Typed::List)
        }
        Op::Prefix => match ty {
            FieldType::Text => one(ty, value, now),
            _ => Err(Code::FilterStartsWithText.into()),
        },
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => match ty {
            FieldType::Choice(_) | FieldType::Bool | FieldType::Id => {
                Err(Code::FilterNotOrdered.into())
            }
            _ => one(ty, value, now),
        },
        Op::Eq | Op::Ne => one(ty, value, now),
    }
}

fn one(ty: FieldType, value: &Literal, now: DateTime<Utc>) -> Result<Typed, Msg> {
    let shown = value.to_string();
    let shown = shown.trim_matches('"');
    match (ty, value) {
        (_, Literal::List(_)) => Err(Code::FilterListWithIn.into()),
        (FieldType::Text, Literal::Text(s)) => Ok(Typed::Text(s.clone())),
        (FieldType::Text, Literal::Number(_) | Literal::Date(_)) => {
            Ok(Typed::Text(shown.to_string()))
        }
        (FieldType::Choice(choices), Literal::Text(s)) => {
            let folded = crate::text::fold(s);
            choices
                .iter()
                .find(|c| **c == folded)
                .map(|c| Typed::Text(c.to_string()))
                .ok_or_else(|| not_one_of(s, choices))
        }
        (FieldType::Choice(choices), Literal::Number(_)) => choices
            .iter()
            .find(|c| **c == shown)
            .map(|c| Typed::Text(c.to_string()))
            .ok_or_else(|| not_one_of(shown, choices)),
        (FieldType::Number, Literal::Number(n)) => Ok(Typed::Number(*n)),
        (FieldType::Number, Literal::Text(s)) => s
            .trim()
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Typed::Number)
            .ok_or_else(|| Msg::new(Code::NotANumber).with("value", s)),
        (FieldType::Time, _) => time(value, now).map(Typed::Time),
        (FieldType::Day, _) => time(value, now).map(|t| Typed::Day(t.date_naive())),
        (FieldType::Bool, Literal::Bool(b)) => Ok(Typed::Bool(*b)),
        (FieldType::Bool, Literal::Text(s)) => match crate::text::fold(s).as_str() {
            "true" | "yes" | "oui" | "vrai" => Ok(Typed::Bool(true)),
            "false" | "no" | "non" | "faux" => Ok(Typed::Bool(false)),
            _ => Err(Msg::new(Code::FilterNotYesOrNo).with("value", s)),
        },
        (FieldType::Money, Literal::Text(s)) => crate::custom::parse_money(s).map(Typed::Money),
        (FieldType::Money, Literal::Number(_)) => {
            crate::custom::parse_money(&shown.replace('.', ",")).map(Typed::Money)
        }
        (FieldType::Id, Literal::Text(s)) => Uuid::parse_str(s.trim())
            .map(Typed::Id)
            .map_err(|_| Msg::new(Code::NotAnId).with("value", s)),
        (ty, _) => Err(Msg::new(not_a(ty)).with("value", shown)),
    }
}

fn not_a(ty: FieldType) -> Code {
    match ty {
        FieldType::Text => Code::FilterNotText,
        FieldType::Choice(_) => Code::FilterNotAChoice,
        FieldType::Number => Code::FilterNotANumber,
        FieldType::Time | FieldType::Day => Code::FilterNotADay,
        FieldType::Bool => Code::FilterNotYesOrNo,
        FieldType::Id => Code::FilterNotAnId,
        FieldType::Money => Code::FilterNotAnAmount,
    }
}

fn time(value: &Literal, now: DateTime<Utc>) -> Result<DateTime<Utc>, Msg> {
    let bad = |s: &str| Msg::new(Code::FilterNotADate).with("value", s);
    match value {
        Literal::Time(t) => Ok(*t),
        Literal::Date(d) => Ok(d.and_time(chrono::NaiveTime::MIN).and_utc()),
        Literal::Relative(r) => r.at(now).ok_or_else(|| bad(&value.to_string())),
        Literal::Text(s) => {
            let s = s.trim();
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.to_utc())
                .ok()
                .or_else(|| {
                    NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .ok()
                        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
                })
                .or_else(|| match super::text::parse(&format!("x = {s}")) {
                    Ok(Filter::Cond(c)) if matches!(c.value, Literal::Relative(_)) => {
                        time(&c.value, now).ok()
                    }
                    _ => None,
                })
                .ok_or_else(|| bad(s))
        }
        other => Err(bad(&other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::{COMPANIES, PEOPLE};
    use super::super::text::parse;
    use super::*;

    fn ok(kind: &KindSpec, s: &str) -> Result<(), String> {
        let custom = [
            ("person", "vip", CustomFieldKind::Boolean),
            ("person", "score", CustomFieldKind::Number),
            ("person", "budget", CustomFieldKind::Money),
            ("company", "since", CustomFieldKind::Date),
        ];
        check(kind, &custom, &parse(s).unwrap()).map_err(|m| m.to_string())
    }

    #[test]
    fn fields_values_and_relations_are_checked() {
        for s in [
            "stage = customer and city = Lyon and not tag = vip",
            "stage = CLIENT_NOPE or stage in (lead, prospect)",
            "custom.vip = yes and custom.score >= 3",
            "created_at > 90 days ago and updated_at < 2026-01-01",
            "interactions(kind = call).count >= 3",
            "no interactions(occurred_at > 180 days ago)",
            "interactions.sum(duration_minutes) > 60",
            "interactions.latest(kind) = meeting",
            "companies(custom.since < 2020-01-01, people.count > 2)",
            "tasks(done = no).count = 0",
            "consent_email = granted",
            "custom.budget >= 1500 EUR and custom.budget < \"2 000,50 €\"",
        ] {
            let r = ok(&PEOPLE, s);
            if s.contains("NOPE") {
                let e = r.unwrap_err();
                assert!(e.contains("stage: 'CLIENT_NOPE' is not one of lead"), "{e}");
            } else {
                assert_eq!(r, Ok(()), "{s}");
            }
        }
        for (s, want) in [
            ("colour = red", "unknown field 'colour' of people"),
            ("stage > lead", "stage: can't be compared"),
            ("custom.nope = 1", "no custom field 'nope'"),
            ("custom.score = many", "'many' is not a number"),
            ("created_at > soon", "'soon' is not a date"),
            ("orders.count > 1", "unknown relation 'orders' of people"),
            (
                "interactions(colour = red)",
                "unknown field 'colour' of interactions",
            ),
            ("interactions.sum(kind) > 1", "only numbers can be summed"),
            ("interactions.count > 1.5", "whole number"),
            ("stage starts with le", "starts with applies to text only"),
            (
                "interactions(custom.x = 1)",
                "interactions have no custom fields",
            ),
            (
                "companies(q = \"a\")",
                "q (search) can't be used inside a relation",
            ),
        ] {
            let e = ok(&PEOPLE, s).unwrap_err();
            assert!(e.contains(want), "{s}: {e}");
        }
        assert!(ok(&COMPANIES, "people(stage = customer).count >= 2").is_ok());
        assert!(ok(&COMPANIES, "custom.since >= 2020-01-01").is_ok());
        assert!(ok(&COMPANIES, "custom.vip = true").is_err());
    }

    #[test]
    fn values_are_read_as_their_field_type() {
        let now = "2026-03-31T10:00:00Z".parse().unwrap();
        let lit = |s: &str| Literal::Text(s.into());
        assert_eq!(
            coerce(FieldType::Time, Op::Gt, &lit("30 days ago"), now),
            Ok(Typed::Time("2026-03-01T10:00:00Z".parse().unwrap()))
        );
        assert_eq!(
            coerce(FieldType::Day, Op::Eq, &lit("2026-02-01"), now),
            Ok(Typed::Day(NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()))
        );
        assert_eq!(
            coerce(FieldType::Number, Op::Eq, &lit("2,5"), now),
            Ok(Typed::Number(2.5))
        );
        assert_eq!(
            coerce(FieldType::Bool, Op::Eq, &lit("Oui"), now),
            Ok(Typed::Bool(true))
        );
        assert_eq!(
            coerce(
                FieldType::Choice(&["1-9", "10-49"]),
                Op::Eq,
                &Literal::Number(0.0),
                now
            )
            .unwrap_err()
            .to_string(),
            "'0' is not one of 1-9, 10-49"
        );
        assert!(coerce(FieldType::Id, Op::Eq, &lit("x"), now).is_err());
        let list = Literal::List(vec![Literal::Number(1.0)]);
        assert_eq!(
            coerce(FieldType::Number, Op::Eq, &list, now)
                .unwrap_err()
                .to_string(),
            "a list of values goes with 'in'"
        );
        assert!(coerce(FieldType::Number, Op::Eq, &lit("NaN"), now).is_err());
    }
}
