//! Turns the domain's filter tree into SQL conditions, and pages with a keyset cursor.
use crate::search::Index;
use crate::{Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::custom::{CustomFieldKind, parse_date};
use relais_domain::filter::{Field, Filter, Op, Sort, SortKey};
use relais_domain::search::SearchQuery;
use relais_domain::text::fold;
use relais_domain::{Invalid, Phone};
use sea_query::{Condition, Expr, ExprTrait, Order, Query, SelectStatement, Value};
use uuid::Uuid;

/// What filters need to know besides the tree: the custom fields of the entity.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// (key, field id, kind)
    pub custom: Vec<(String, Uuid, CustomFieldKind)>,
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The sort value and id of the last record of the previous page.
    pub after: Option<(String, Uuid)>,
    pub limit: u64,
    /// List the trash instead of the live records.
    pub trash: bool,
}

fn invalid(param: &str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(Invalid::one(param.to_string(), message))
}

/// The kind of value a built-in field holds, to parse the filter's value.
#[derive(Clone, Copy)]
enum Ty {
    Text,
    Id,
    Time,
    Bool,
}

fn parse_value(ty: Ty, param: &str, v: &str) -> Result<Value> {
    Ok(match ty {
        Ty::Text => v.to_string().into(),
        Ty::Id => Uuid::parse_str(v.trim())
            .map_err(|_| invalid(param, format!("'{v}' is not a valid id")))?
            .into(),
        Ty::Time => parse_time(v)
            .ok_or_else(|| {
                invalid(
                    param,
                    format!("'{v}' is not a date (2024-03-31 or RFC 3339)"),
                )
            })?
            .into(),
        Ty::Bool => match v {
            "true" => true.into(),
            "false" => false.into(),
            _ => return Err(invalid(param, "takes true or false")),
        },
    })
}

fn parse_time(v: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
}

/// Applies `op` between a column expression and the filter's value(s).
fn compare(col: Expr, op: Op, ty: Ty, param: &str, value: &str) -> Result<Expr> {
    Ok(match op {
        Op::Eq => col.eq(parse_value(ty, param, value)?),
        Op::Ne => col.ne(parse_value(ty, param, value)?),
        Op::Lt => col.lt(parse_value(ty, param, value)?),
        Op::Lte => col.lte(parse_value(ty, param, value)?),
        Op::Gt => col.gt(parse_value(ty, param, value)?),
        Op::Gte => col.gte(parse_value(ty, param, value)?),
        Op::In => {
            let values: Result<Vec<Value>> = value
                .split(',')
                .map(|v| parse_value(ty, param, v.trim()))
                .collect();
            col.is_in(values?)
        }
        Op::Prefix => {
            let p = value.to_lowercase().replace(['%', '_', '\\'], "");
            Expr::from(sea_query::Func::lower(col)).like(format!("{p}%"))
        }
        Op::Exists => {
            if value == "true" {
                col.is_not_null()
            } else {
                col.is_null()
            }
        }
    })
}

/// `owner.id IN (SELECT owner_col FROM table WHERE <cond>)`, negated for `ne` and `exists=false`.
fn via(
    owner: &'static str,
    table: &'static str,
    owner_col: &'static str,
    op: Op,
    value: &str,
    cond: Expr,
) -> Expr {
    let sub = Query::select()
        .column(owner_col)
        .from(table)
        .and_where(cond)
        .to_owned();
    let negate = op == Op::Ne || (op == Op::Exists && value == "false");
    if negate {
        Expr::col((owner, "id")).not_in_subquery(sub)
    } else {
        Expr::col((owner, "id")).in_subquery(sub)
    }
}

/// The comparison inside a child table: `ne` and `exists` are turned around by `via`.
fn inner(op: Op, col: &'static str, ty: Ty, param: &str, value: &str) -> Result<Expr> {
    match op {
        Op::Ne => compare(Expr::col(col), Op::Eq, ty, param, value),
        Op::Exists => Ok(Expr::col(col).is_not_null()),
        _ => compare(Expr::col(col), op, ty, param, value),
    }
}

/// Turns one filter value into the SQL value of a custom field's column.
type ValueParser<'a> = Box<dyn Fn(&str) -> Result<Value> + 'a>;

fn custom(owner: &'static str, key: &str, op: Op, value: &str, ctx: &Context) -> Result<Expr> {
    let param = format!("custom.{key}");
    let (_, field_id, kind) = ctx
        .custom
        .iter()
        .find(|(k, _, _)| k == key)
        .ok_or_else(|| invalid(&param, format!("there is no custom field '{key}'")))?;
    let (col, values): (&'static str, ValueParser) = match kind {
        CustomFieldKind::Number => (
            "value_number",
            Box::new(|v: &str| {
                v.trim()
                    .parse::<f64>()
                    .map(Value::from)
                    .map_err(|_| invalid(&param, format!("'{v}' is not a number")))
            }),
        ),
        CustomFieldKind::Date => (
            "value_date",
            Box::new(|v: &str| {
                parse_date(v.trim())
                    .map(Value::from)
                    .map_err(|m| invalid(&param, m))
            }),
        ),
        CustomFieldKind::Boolean => (
            "value_bool",
            Box::new(|v: &str| match v {
                "true" | "yes" | "oui" => Ok(true.into()),
                "false" | "no" | "non" => Ok(false.into()),
                _ => Err(invalid(&param, "takes true or false")),
            }),
        ),
        CustomFieldKind::Text | CustomFieldKind::Choice => {
            ("value_text", Box::new(|v: &str| Ok(v.to_string().into())))
        }
    };
    let c = Expr::col(col);
    let cond = match op {
        Op::Eq | Op::Ne => c.eq(values(value)?),
        Op::Lt => c.lt(values(value)?),
        Op::Lte => c.lte(values(value)?),
        Op::Gt => c.gt(values(value)?),
        Op::Gte => c.gte(values(value)?),
        Op::In => c.is_in(
            value
                .split(',')
                .map(|v| values(v.trim()))
                .collect::<Result<Vec<_>>>()?,
        ),
        Op::Prefix => Expr::from(sea_query::Func::lower(c))
            .like(format!("{}%", value.to_lowercase().replace(['%', '_'], ""))),
        Op::Exists => c.is_not_null(),
    };
    let cond = cond.and(Expr::col("field_id").eq(*field_id));
    Ok(via(owner, "custom_values", "owner_id", op, value, cond))
}

/// `q` as a condition: every word starts a term of the record. A query with nothing to
/// search for is no condition.
fn search(index: Index, q: &str) -> Condition {
    match SearchQuery::parse(q) {
        Some(q) => crate::search::condition(index, &q),
        None => Condition::all(),
    }
}

/// Splits the search off a list's filter, when the search can lead: the first `q` of a
/// list's top-level conditions. The rest is returned as the filter of the records found.
pub fn split_search(f: &Filter) -> Option<(SearchQuery, Filter)> {
    let Filter::And(list) = f else {
        return None;
    };
    let at = list.iter().position(|c| matches!(c, Filter::Search(_)))?;
    let Filter::Search(q) = &list[at] else {
        return None;
    };
    let q = SearchQuery::parse(q)?;
    let mut rest = list.clone();
    rest.remove(at);
    Some((q, Filter::And(rest)))
}

pub fn person_condition(f: &Filter, ctx: &Context) -> Result<Condition> {
    Ok(match f {
        Filter::And(list) => list.iter().try_fold(Condition::all(), |c, f| {
            Ok::<_, StoreError>(c.add(person_condition(f, ctx)?))
        })?,
        Filter::Or(list) => list.iter().try_fold(Condition::any(), |c, f| {
            Ok::<_, StoreError>(c.add(person_condition(f, ctx)?))
        })?,
        Filter::Not(f) => person_condition(f, ctx)?.not(),
        Filter::Search(q) => search(Index::People, q),
        Filter::Cond {
            field: Field::Custom(key),
            op,
            value,
        } => Condition::all().add(custom("people", key, *op, value, ctx)?),
        Filter::Cond {
            field: Field::Builtin(name),
            op,
            value,
        } => Condition::all().add(person_field(name, *op, value)?),
    })
}

/// People whose latest consent on `channel` has one of `statuses`.
fn consent_is(channel: &str, statuses: &[&str]) -> SelectStatement {
    let later = Query::select()
        .expr(Expr::val(1))
        .from_as("consents", "c2")
        .and_where(Expr::col(("c2", "person_id")).equals(("c", "person_id")))
        .and_where(Expr::col(("c2", "channel")).equals(("c", "channel")))
        .and_where(Expr::col(("c2", "recorded_at")).gt(Expr::col(("c", "recorded_at"))))
        .to_owned();
    Query::select()
        .column(("c", "person_id"))
        .from_as("consents", "c")
        .and_where(Expr::col(("c", "channel")).eq(channel.to_string()))
        .and_where(Expr::col(("c", "status")).is_in(statuses.iter().map(|s| s.to_string())))
        .and_where(Expr::not_exists(later))
        .to_owned()
}

/// `consent_<channel>=granted|withdrawn|unknown`: the current consent on a channel, as the
/// latest record says; unknown when there is none (or the latest says so).
fn consent(name: &'static str, op: Op, value: &str) -> Result<Expr> {
    let channel = name.trim_start_matches("consent_");
    if op != Op::Eq {
        return Err(invalid(
            name,
            "takes one status: granted, withdrawn or unknown",
        ));
    }
    let id = Expr::col(("people", "id"));
    Ok(match value {
        "granted" | "withdrawn" => id.in_subquery(consent_is(channel, &[value])),
        "unknown" => id.not_in_subquery(consent_is(channel, &["granted", "withdrawn"])),
        _ => {
            return Err(invalid(
                name,
                format!("'{value}' is not a consent status (granted, withdrawn, unknown)"),
            ));
        }
    })
}

fn person_field(name: &'static str, op: Op, value: &str) -> Result<Expr> {
    let own = |ty| compare(Expr::col(("people", name)), op, ty, name, value);
    match name {
        "owner_id" | "id" => own(Ty::Id),
        "consent_email" | "consent_sms" | "consent_phone" | "consent_post" => {
            consent(name, op, value)
        }
        "created_at" | "updated_at" => own(Ty::Time),
        "email" => {
            let v = value.to_lowercase();
            Ok(via(
                "people",
                "person_emails",
                "person_id",
                op,
                &v,
                inner(op, "address_key", Ty::Text, name, &v)?,
            ))
        }
        "phone" => {
            let v = Phone::parse(value)
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|_| value.to_string());
            Ok(via(
                "people",
                "person_phones",
                "person_id",
                op,
                &v,
                inner(op, "number", Ty::Text, name, &v)?,
            ))
        }
        "city" => Ok(via(
            "people",
            "addresses",
            "owner_id",
            op,
            value,
            inner(op, "city_key", Ty::Text, name, &fold(value))?,
        )),
        "country" => Ok(via(
            "people",
            "addresses",
            "owner_id",
            op,
            value,
            inner(op, "country", Ty::Text, name, value)?,
        )),
        "tag" => Ok(via(
            "people",
            "tags",
            "owner_id",
            op,
            value,
            inner(op, "tag_key", Ty::Text, name, &fold(value))?,
        )),
        "company_id" => Ok(via(
            "people",
            "person_companies",
            "person_id",
            op,
            value,
            inner(op, "company_id", Ty::Id, name, value)?,
        )),
        _ => own(Ty::Text),
    }
}

pub fn company_condition(f: &Filter, ctx: &Context) -> Result<Condition> {
    Ok(match f {
        Filter::And(list) => list.iter().try_fold(Condition::all(), |c, f| {
            Ok::<_, StoreError>(c.add(company_condition(f, ctx)?))
        })?,
        Filter::Or(list) => list.iter().try_fold(Condition::any(), |c, f| {
            Ok::<_, StoreError>(c.add(company_condition(f, ctx)?))
        })?,
        Filter::Not(f) => company_condition(f, ctx)?.not(),
        Filter::Search(q) => search(Index::Companies, q),
        Filter::Cond {
            field: Field::Custom(key),
            op,
            value,
        } => Condition::all().add(custom("companies", key, *op, value, ctx)?),
        Filter::Cond {
            field: Field::Builtin(name),
            op,
            value,
        } => {
            let own = |ty| compare(Expr::col(("companies", *name)), *op, ty, name, value);
            Condition::all().add(match *name {
                "id" | "owner_id" | "parent_id" => own(Ty::Id)?,
                "created_at" | "updated_at" => own(Ty::Time)?,
                "city" => via(
                    "companies",
                    "addresses",
                    "owner_id",
                    *op,
                    value,
                    inner(*op, "city_key", Ty::Text, name, &fold(value))?,
                ),
                "country" => via(
                    "companies",
                    "addresses",
                    "owner_id",
                    *op,
                    value,
                    inner(*op, "country", Ty::Text, name, value)?,
                ),
                "tag" => via(
                    "companies",
                    "tags",
                    "owner_id",
                    *op,
                    value,
                    inner(*op, "tag_key", Ty::Text, name, &fold(value))?,
                ),
                _ => own(Ty::Text)?,
            })
        }
    })
}

/// Filters of lists whose fields are all columns of one table (interactions, tasks).
pub fn column_condition(
    table: &'static str,
    f: &Filter,
    id_fields: &[&str],
    time_fields: &[&str],
    bool_fields: &[&str],
) -> Result<Condition> {
    let rec = |f: &Filter| column_condition(table, f, id_fields, time_fields, bool_fields);
    Ok(match f {
        Filter::And(list) => list
            .iter()
            .try_fold(Condition::all(), |c, f| Ok::<_, StoreError>(c.add(rec(f)?)))?,
        Filter::Or(list) => list
            .iter()
            .try_fold(Condition::any(), |c, f| Ok::<_, StoreError>(c.add(rec(f)?)))?,
        Filter::Not(f) => rec(f)?.not(),
        Filter::Search(q) => {
            let p = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
            Condition::all()
                .add(Expr::from(sea_query::Func::lower(Expr::col((table, "subject")))).like(p))
        }
        Filter::Cond {
            field: Field::Custom(k),
            ..
        } => {
            return Err(invalid(
                &format!("custom.{k}"),
                "this list has no custom fields",
            ));
        }
        Filter::Cond {
            field: Field::Builtin(name),
            op,
            value,
        } => {
            let ty = if id_fields.contains(name) {
                Ty::Id
            } else if time_fields.contains(name) {
                Ty::Time
            } else if bool_fields.contains(name) {
                Ty::Bool
            } else {
                Ty::Text
            };
            Condition::all().add(compare(Expr::col((table, *name)), *op, ty, name, value)?)
        }
    })
}

/// The sort column of `key` in `table`.
pub fn sort_column(table: &'static str, key: SortKey) -> (&'static str, &'static str) {
    match key {
        SortKey::Name | SortKey::Relevance => (table, "sort_key"),
        SortKey::CreatedAt => (table, "created_at"),
        SortKey::UpdatedAt => (table, "updated_at"),
    }
}

/// Orders by the sort column then the id, and starts after the cursor: a keyset page, as
/// fast on the last page as on the first (no OFFSET).
pub fn keyset(q: &mut SelectStatement, table: &'static str, sort: Sort, page: &Page) -> Result<()> {
    keyset_on(
        q,
        sort_column(table, sort.key),
        (table, "id"),
        !matches!(sort.key, SortKey::Name | SortKey::Relevance),
        sort.descending,
        page,
    )
}

pub fn keyset_on(
    q: &mut SelectStatement,
    col: (&'static str, &'static str),
    id: (&'static str, &'static str),
    is_time: bool,
    descending: bool,
    page: &Page,
) -> Result<()> {
    if let Some((value, after_id)) = &page.after {
        let value: Value = if is_time {
            parse_time(value)
                .ok_or_else(|| invalid("cursor", "is not a cursor of this list"))?
                .into()
        } else {
            value.clone().into()
        };
        let left = Expr::tuple([Expr::col(col), Expr::col(id)]);
        let right = Expr::tuple([Expr::value(value), Expr::value(*after_id)]);
        q.and_where(if descending {
            left.lt(right)
        } else {
            left.gt(right)
        });
    }
    let order = if descending { Order::Desc } else { Order::Asc };
    q.order_by(col, order.clone())
        .order_by(id, order)
        .limit(page.limit + 1);
    Ok(())
}
