//! Filters are data: one tree, the segment language, that serves list filters, saved views,
//! and later segments and campaign audiences. It is built from query parameters
//! (`stage=customer`), read from text (`stage = customer and not tag = vip`, see `text`),
//! saved as JSON (serde), checked against the fields a kind of record declares (`schema`,
//! `check`), and turned into SQL by the store, the same for both engines.
pub mod check;
pub mod schema;
pub mod text;

use crate::message::{Code, Msg};
use serde::{Deserialize, Serialize};

/// What a list can be narrowed by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// A field of the record compared to a value.
    Cond(Cond),
    /// A condition on the related records of another kind (`interactions(kind = call)`).
    Related(Related),
    /// `q`: a case- and accent-insensitive prefix of a name, e-mail, phone or company.
    Search(String),
}

impl Filter {
    /// Everything: the filter of no condition.
    pub fn all() -> Filter {
        Filter::And(vec![])
    }

    pub fn cond(field: impl Into<String>, op: Op, value: Literal) -> Filter {
        Filter::Cond(Cond {
            field: field.into(),
            op,
            value,
        })
    }

    /// Both filters; an empty side is left out.
    pub fn and(self, other: Filter) -> Filter {
        let mut parts = match self {
            Filter::And(list) => list,
            f => vec![f],
        };
        match other {
            Filter::And(list) => parts.extend(list),
            f => parts.push(f),
        }
        Filter::And(parts)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cond {
    /// A field's name as the kind declares it, or `custom.<key>`.
    pub field: String,
    pub op: Op,
    pub value: Literal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    /// Case- and accent-insensitive prefix.
    Prefix,
    /// One of a list.
    In,
    /// `true`: the field has a value; `false`: it has none.
    Exists,
}

impl Op {
    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "prefix" => Op::Prefix,
            "in" => Op::In,
            "exists" => Op::Exists,
            _ => return None,
        })
    }

    /// The comparison sign of the text form, for the ordering operators.
    pub fn sign(self) -> Option<&'static str> {
        Some(match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Lte => "<=",
            Op::Gt => ">",
            Op::Gte => ">=",
            _ => return None,
        })
    }

    /// Whether `a op b` holds, for numbers (counts and sums compared in Rust when needed).
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Lte => a <= b,
            Op::Gt => a > b,
            Op::Gte => a >= b,
            Op::Prefix | Op::In | Op::Exists => false,
        }
    }
}

/// A value as written, before it meets the type of its field (`check::coerce`): a bare word
/// or a quoted text, a number, yes/no, a date, a time, or a date relative to now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Literal {
    Text(String),
    Number(f64),
    Bool(bool),
    /// `2026-03-31`
    Date(chrono::NaiveDate),
    /// `2026-03-31T09:00:00Z`
    Time(chrono::DateTime<chrono::Utc>),
    /// `90 days ago`, `2 weeks from now`, `today` (0 days ago).
    Relative(Relative),
    List(Vec<Literal>),
}

/// A date counted from the moment the filter runs: a saved segment stays "the last 90 days".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relative {
    /// Negative in the past (`90 days ago` is -90).
    pub amount: i64,
    pub unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

impl Relative {
    /// The moment this stands for, counted from `now` (months and years by the calendar; the
    /// 31st of a shorter month is its last day).
    pub fn at(self, now: chrono::DateTime<chrono::Utc>) -> Option<chrono::DateTime<chrono::Utc>> {
        use chrono::{Duration, Months};
        let months = |n: i64| -> Option<chrono::DateTime<chrono::Utc>> {
            let m = Months::new(u32::try_from(n.unsigned_abs()).ok()?);
            if n < 0 {
                now.checked_sub_months(m)
            } else {
                now.checked_add_months(m)
            }
        };
        match self.unit {
            Unit::Days => now.checked_add_signed(Duration::try_days(self.amount)?),
            Unit::Weeks => now.checked_add_signed(Duration::try_weeks(self.amount)?),
            Unit::Months => months(self.amount),
            Unit::Years => months(self.amount.checked_mul(12)?),
        }
    }
}

/// A condition on the records of another kind related to this one: whether there are any
/// (matching the inner filter), how many, or an aggregate of one of their fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Related {
    /// The relation's name as the kind declares it (`interactions`, `tasks`, `people`...).
    pub relation: String,
    /// Which related records count; `And([])` for all of them.
    pub filter: Box<Filter>,
    pub measure: Measure,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// At least one.
    Has,
    /// None at all.
    None,
    /// `.count >= 3`
    Count { op: Op, value: f64 },
    /// `.sum(duration_minutes) > 60`, `.max(occurred_at) < 90 days ago`,
    /// `.latest(kind) = meeting` (the field of the most recent one).
    Aggregate {
        aggregate: Aggregate,
        field: String,
        op: Op,
        value: Literal,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    Sum,
    Min,
    Max,
    Latest,
}

impl Aggregate {
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregate::Sum => "sum",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
            Aggregate::Latest => "latest",
        }
    }
}

/// Sort order of a list. Every order ends with the id, so keyset paging is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    CreatedAt,
    UpdatedAt,
    /// With a search (`q`): by the word the search matched, then by name; the order of a
    /// search that asks for none. Without a search it is the name order.
    Relevance,
}

impl Sort {
    pub fn parse(s: &str) -> Result<Sort, Msg> {
        let (descending, name) = match s.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, s),
        };
        let key = match name {
            "name" => SortKey::Name,
            "created_at" => SortKey::CreatedAt,
            "updated_at" => SortKey::UpdatedAt,
            "relevance" if !descending => SortKey::Relevance,
            _ => {
                return Err(Msg::new(Code::CannotSortBy)
                    .with("value", s)
                    .with("allowed", "name, created_at, updated_at, relevance"));
            }
        };
        Ok(Sort { key, descending })
    }
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            key: SortKey::Name,
            descending: false,
        }
    }
}

/// Parameters every list takes besides filters.
pub const LIST_PARAMS: [&str; 5] = ["q", "limit", "cursor", "sort", "filter"];

/// A filter's error, named by the query parameter it came from (`stage`, `filter`...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub param: String,
    pub message: Msg,
}

/// Builds the filter of a list from query parameters: `stage=customer`,
/// `stage=lead,prospect` (any of), `created_at[gte]=2024-01-01`, `custom.vip=true`,
/// `email[exists]=false`, and `filter=<text>` in the segment language. Each part is checked
/// against the kind's fields (`schema`) and the custom fields in `custom`; an error names
/// the parameter it came from.
pub fn from_query(
    params: &[(String, String)],
    kind: &schema::KindSpec,
    custom: &dyn check::CustomFields,
) -> Result<Filter, ParamError> {
    let mut all = Vec::new();
    let mut seen_filter = false;
    for (key, value) in params {
        // No stored text holds control characters (inputs refuse them), and PostgreSQL
        // refuses a NUL in a parameter: they can only be noise.
        let value = &value
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>();
        let err = |message: Msg| ParamError {
            param: key.clone(),
            message,
        };
        match key.as_str() {
            "q" => {
                if !value.trim().is_empty() {
                    all.push(Filter::Search(value.clone()));
                }
            }
            "filter" => {
                if std::mem::replace(&mut seen_filter, true) {
                    return Err(err(Code::GivenTwice.into()));
                }
                if value.trim().is_empty() {
                    continue;
                }
                let f = text::parse(value).map_err(|e| err(e.into()))?;
                check::check(kind, custom, &f).map_err(err)?;
                // Its top-level conditions join the others, so that a `q` in it can still
                // lead the list in relevance order.
                match f {
                    Filter::And(parts) => all.extend(parts),
                    f => all.push(f),
                }
            }
            k if LIST_PARAMS.contains(&k) => {}
            _ => {
                let f = condition(key, value).map_err(&err)?;
                // Named by its field (`created_at`, not `created_at[gte]`), as a form names
                // its input.
                let field = key.split('[').next().unwrap_or(key);
                check::check(kind, custom, &f).map_err(|m| ParamError {
                    param: field.to_string(),
                    message: m.outside(field),
                })?;
                all.push(f);
            }
        }
    }
    Ok(Filter::And(all))
}

/// One `name[op]=value` parameter as a condition. The value stays text: `check` reads it
/// as the field's type.
fn condition(key: &str, value: &str) -> Result<Filter, Msg> {
    let (name, op) = match key.split_once('[') {
        Some((name, rest)) => {
            let op = rest
                .strip_suffix(']')
                .and_then(Op::parse)
                .ok_or_else(|| Msg::new(Code::FilterUnknownOperator).with("value", key))?;
            (name, op)
        }
        None if value.contains(',') => (key, Op::In),
        None => (key, Op::Eq),
    };
    let value = match op {
        Op::In => Literal::List(
            value
                .split(',')
                .map(|v| Literal::Text(v.trim().to_string()))
                .collect(),
        ),
        Op::Exists => match value {
            "true" => Literal::Bool(true),
            "false" => Literal::Bool(false),
            _ => return Err(Code::TrueOrFalse.into()),
        },
        _ => Literal::Text(value.to_string()),
    };
    Ok(Filter::cond(name, op, value))
}

#[cfg(test)]
mod tests {
    use super::schema::PEOPLE;
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn query_parameters_become_a_tree() {
        let custom = [("person", "vip", crate::custom::CustomFieldKind::Boolean)];
        let f = from_query(
            &p(&[
                ("stage", "lead,prospect"),
                ("custom.vip", "true"),
                ("q", "elo"),
                ("limit", "5"),
                ("filter", "tag = vip"),
            ]),
            &PEOPLE,
            &custom,
        )
        .unwrap();
        assert_eq!(
            f,
            Filter::And(vec![
                Filter::cond(
                    "stage",
                    Op::In,
                    Literal::List(vec![
                        Literal::Text("lead".into()),
                        Literal::Text("prospect".into())
                    ])
                ),
                Filter::cond("custom.vip", Op::Eq, Literal::Text("true".into())),
                Filter::Search("elo".into()),
                Filter::cond("tag", Op::Eq, Literal::Text("vip".into())),
            ])
        );
    }

    #[test]
    fn errors_name_the_parameter() {
        let none = check::NoCustom;
        let e = from_query(&p(&[("colour", "red")]), &PEOPLE, &none).unwrap_err();
        assert_eq!(e.param, "colour");
        let e = from_query(&p(&[("stage", "boss")]), &PEOPLE, &none).unwrap_err();
        assert_eq!(e.param, "stage");
        assert!(e.message.to_string().contains("'boss'"), "{}", e.message);
        let e = from_query(&p(&[("filter", "stage = = lead")]), &PEOPLE, &none).unwrap_err();
        assert_eq!(e.param, "filter");
        assert!(
            e.message.to_string().contains("position 9"),
            "{}",
            e.message
        );
        assert!(from_query(&p(&[("stage[like]", "x")]), &PEOPLE, &none).is_err());
        let twice = p(&[("filter", "stage = lead"), ("filter", "tag = a")]);
        assert_eq!(
            from_query(&twice, &PEOPLE, &none).unwrap_err().param,
            "filter"
        );
    }

    #[test]
    fn sort_parses_direction() {
        assert_eq!(
            Sort::parse("-updated_at").unwrap(),
            Sort {
                key: SortKey::UpdatedAt,
                descending: true
            }
        );
        assert!(Sort::parse("shoe_size").is_err());
    }

    #[test]
    fn relative_dates_count_from_now() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-31T10:00:00Z")
            .unwrap()
            .to_utc();
        let r = |amount, unit| Relative { amount, unit }.at(now).unwrap().to_rfc3339();
        assert_eq!(r(-90, Unit::Days), "2025-12-31T10:00:00+00:00");
        assert_eq!(r(-1, Unit::Months), "2026-02-28T10:00:00+00:00");
        assert_eq!(r(2, Unit::Weeks), "2026-04-14T10:00:00+00:00");
        assert_eq!(r(-1, Unit::Years), "2025-03-31T10:00:00+00:00");
        assert!(
            Relative {
                amount: i64::MAX,
                unit: Unit::Years
            }
            .at(now)
            .is_none()
        );
    }
}
