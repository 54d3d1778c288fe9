//! Turns the domain's filter tree (the segment language) into SQL conditions for either
//! engine, and pages with a keyset cursor. One compiler for every kind of record: it reads
//! the kind's field specs (`relais_domain::filter::schema`) to know where each value lives,
//! and reaches related records through correlated subqueries (`EXISTS`, `COUNT`, `SUM`...),
//! which the engines answer from the link's index for each candidate record.
use crate::search::Index;
use crate::{Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::custom::CustomFieldKind;
use relais_domain::filter::check::{self, CustomFields, Typed};
use relais_domain::filter::schema::{self, FieldType, KindSpec, Link, Norm, Search, Stored};
use relais_domain::filter::{Aggregate, Cond, Filter, Measure, Op, Related, Sort, SortKey};
use relais_domain::search::SearchQuery;
use relais_domain::text::{fold, prefix_upper_bound};
use relais_domain::{Code, Msg};
use relais_domain::{Invalid, Phone};
use sea_query::{Alias, Condition, Expr, ExprTrait, Func, Order, Query, SelectStatement, Value};
use uuid::Uuid;

/// A custom field as filters need it.
#[derive(Debug, Clone)]
pub struct CustomDef {
    /// `person`, `company`
    pub entity: String,
    pub key: String,
    pub id: Uuid,
    pub kind: CustomFieldKind,
}

/// What filters need to know besides the tree: the custom fields, and the moment relative
/// dates count from.
#[derive(Debug, Clone)]
pub struct Context {
    pub custom: Vec<CustomDef>,
    pub now: DateTime<Utc>,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            custom: vec![],
            now: Utc::now(),
        }
    }
}

impl CustomFields for Context {
    fn kind_of(&self, entity: &str, key: &str) -> Option<CustomFieldKind> {
        self.def(entity, key).map(|d| d.kind)
    }
}

impl Context {
    fn def(&self, entity: &str, key: &str) -> Option<&CustomDef> {
        self.custom
            .iter()
            .find(|d| d.entity == entity && d.key == key)
    }
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

fn invalid(param: &str, message: relais_domain::Msg) -> StoreError {
    StoreError::Invalid(Invalid::one(param.to_string(), message))
}

/// A field or relation the filter's check let through but this kind does not have.
fn unknown(what: &str, name: &str, kind: &str) -> Msg {
    let code = if what == "relation" {
        Code::FilterUnknownRelation
    } else {
        Code::FilterUnknownField
    };
    Msg::new(code)
        .with(
            if what == "relation" {
                "relation"
            } else {
                "field"
            },
            name,
        )
        .with("kind", kind)
        .with("allowed", "")
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

/// The condition of `f` on records of `kind`, its table named as itself.
pub fn condition(kind: &'static KindSpec, f: &Filter, ctx: &Context) -> Result<Condition> {
    let scope = Scope {
        kind,
        alias: kind.table.to_string(),
        depth: 0,
        copied: None,
    };
    scope.condition(f, ctx)
}

/// Records of a kind under a table alias; related records get the next depth's aliases.
struct Scope {
    kind: &'static KindSpec,
    alias: String,
    depth: usize,
    /// Columns read from the pair table that reached these records (its alias, the columns
    /// it repeats), rather than from the records' own table.
    copied: Option<(String, &'static [&'static str])>,
}

impl Scope {
    fn col(&self, column: &'static str) -> Expr {
        match &self.copied {
            Some((link, columns)) if columns.contains(&column) => {
                Expr::col((Alias::new(link.as_str()), column))
            }
            _ => Expr::col((Alias::new(self.alias.as_str()), column)),
        }
    }

    fn condition(&self, f: &Filter, ctx: &Context) -> Result<Condition> {
        Ok(match f {
            Filter::And(list) => list.iter().try_fold(Condition::all(), |c, f| {
                Ok::<_, StoreError>(c.add(self.condition(f, ctx)?))
            })?,
            Filter::Or(list) => list.iter().try_fold(Condition::any(), |c, f| {
                Ok::<_, StoreError>(c.add(self.condition(f, ctx)?))
            })?,
            Filter::Not(f) => self.condition(f, ctx)?.not(),
            Filter::Search(q) => self.search(q)?,
            Filter::Cond(c) => Condition::all().add(self.cond(c, ctx)?),
            Filter::Related(r) => Condition::all().add(self.related(r, ctx)?),
        })
    }

    /// `q`: every word starts a term of the record (the search index), or a part of the
    /// kind's text column. A query with nothing to search for is no condition.
    fn search(&self, q: &str) -> Result<Condition> {
        match self.kind.search {
            Search::Index { .. } => {
                let index = match Index::of(self.kind) {
                    Some(index) if self.depth == 0 => index,
                    _ => {
                        let m = Msg::new(Code::FilterSearchNested).with("kind", self.kind.name);
                        return Err(invalid("q", m));
                    }
                };
                Ok(match SearchQuery::parse(q) {
                    Some(q) => crate::search::condition(index, &q),
                    None => Condition::all(),
                })
            }
            Search::Contains(column) => {
                let p = format!("%{}%", q.to_lowercase().replace(['%', '_', '\\'], ""));
                Ok(Condition::all().add(Expr::from(Func::lower(self.col(column))).like(p)))
            }
        }
    }

    fn cond(&self, c: &Cond, ctx: &Context) -> Result<Expr> {
        let ty = check::field_type(self.kind, ctx, &c.field).map_err(|m| invalid(&c.field, m))?;
        let value = check::coerce(ty, c.op, &c.value, ctx.now).map_err(|m| invalid(&c.field, m))?;
        if let Some(key) = c.field.strip_prefix("custom.") {
            return self.custom(key, c.op, &value, ctx);
        }
        let spec = self
            .kind
            .field(&c.field)
            .ok_or_else(|| invalid(&c.field, unknown("field", &c.field, self.kind.name)))?;
        Ok(match spec.stored {
            // Text without a folded shadow: a prefix ignores (ASCII) case.
            Stored::Column(column) if c.op == Op::Prefix => {
                let p = match &value {
                    Typed::Text(s) => s.to_lowercase().replace(['%', '_', '\\'], ""),
                    _ => String::new(),
                };
                Expr::from(Func::lower(self.col(column))).like(format!("{p}%"))
            }
            Stored::Column(column) => compare(self.col(column), c.op, &value),
            Stored::Folded { column, key } => match c.op {
                Op::Exists => compare(self.col(column), c.op, &value),
                op => compare(self.col(key), op, &normalise(&value, Norm::Fold)),
            },
            Stored::Child {
                table,
                owner,
                column,
                norm,
            } => {
                let (op, value, negate) = inside(c.op, &value);
                let cond = compare(Expr::col(column), op, &normalise(&value, norm));
                let sub = Query::select()
                    .column(owner)
                    .from(table)
                    .and_where(cond)
                    .to_owned();
                self.owned_by(sub, negate)
            }
            Stored::Consent(channel) => self.consent(channel, c.op, &value)?,
            Stored::IsSet(column) => {
                let set = match (c.op, &value) {
                    (Op::Eq, Typed::Bool(b)) | (Op::Exists, Typed::Bool(b)) => *b,
                    (Op::Ne, Typed::Bool(b)) => !*b,
                    _ => return Err(invalid(&c.field, Code::TrueOrFalse.into())),
                };
                if set {
                    self.col(column).is_not_null()
                } else {
                    self.col(column).is_null()
                }
            }
        })
    }

    /// `alias.id IN (sub)`, or `NOT IN` when negated.
    fn owned_by(&self, sub: SelectStatement, negate: bool) -> Expr {
        if negate {
            self.col("id").not_in_subquery(sub)
        } else {
            self.col("id").in_subquery(sub)
        }
    }

    fn custom(&self, key: &str, op: Op, value: &Typed, ctx: &Context) -> Result<Expr> {
        let param = format!("custom.{key}");
        let def = self
            .kind
            .custom
            .and_then(|entity| ctx.def(entity, key))
            .ok_or_else(|| {
                let m = Msg::new(Code::FilterNoSuchCustomField)
                    .with("key", key)
                    .with("kind", self.kind.name);
                invalid(&param, m)
            })?;
        let column = match def.kind {
            CustomFieldKind::Number | CustomFieldKind::Money => "value_number",
            CustomFieldKind::Date => "value_date",
            CustomFieldKind::Boolean => "value_bool",
            CustomFieldKind::Text | CustomFieldKind::Choice => "value_text",
        };
        let (op, value, negate) = inside(op, value);
        let cond = match (op, &value) {
            // Custom text has no folded shadow: a prefix ignores (ASCII) case.
            (Op::Prefix, Typed::Text(p)) => Expr::from(Func::lower(Expr::col(column))).like(
                format!("{}%", p.to_lowercase().replace(['%', '_', '\\'], "")),
            ),
            _ => compare(Expr::col(column), op, &value),
        };
        // An amount compares with amounts of its own currency only.
        let cond = match &value {
            Typed::Money(m) => cond.and(Expr::col("value_text").eq(m.currency.code())),
            Typed::List(l) => match l.first() {
                Some(Typed::Money(m)) => cond.and(Expr::col("value_text").eq(m.currency.code())),
                _ => cond,
            },
            _ => cond,
        };
        let cond = cond.and(Expr::col("field_id").eq(def.id));
        let sub = Query::select()
            .column("owner_id")
            .from("custom_values")
            .and_where(cond)
            .to_owned();
        Ok(self.owned_by(sub, negate))
    }

    /// `consent_<channel> = granted|withdrawn|unknown`: the current consent on a channel, as
    /// the latest record says; unknown when there is none (or the latest says so).
    fn consent(&self, channel: &'static str, op: Op, value: &Typed) -> Result<Expr> {
        let statuses: Vec<String> = match value {
            Typed::Text(s) => vec![s.clone()],
            Typed::List(l) => l
                .iter()
                .filter_map(|v| match v {
                    Typed::Text(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        };
        if !matches!(op, Op::Eq | Op::Ne | Op::In) || statuses.is_empty() {
            return Err(invalid(
                &format!("consent_{channel}"),
                Code::FilterConsentStatus.into(),
            ));
        }
        // Those whose latest record says granted or withdrawn; everyone else is unknown.
        let known: Vec<&str> = statuses
            .iter()
            .map(String::as_str)
            .filter(|s| *s != "unknown")
            .collect();
        let unknown = statuses.iter().any(|s| s == "unknown");
        let id = self.col("id");
        let is = match (known.is_empty(), unknown) {
            (false, false) => id.in_subquery(consent_is(channel, &known)),
            (true, true) => id.not_in_subquery(consent_is(channel, &["granted", "withdrawn"])),
            (false, true) => {
                let other: Vec<&str> = ["granted", "withdrawn"]
                    .into_iter()
                    .filter(|s| !known.contains(s))
                    .collect();
                if other.is_empty() {
                    Expr::val(true)
                } else {
                    id.not_in_subquery(consent_is(channel, &other))
                }
            }
            (true, false) => Expr::val(false),
        };
        Ok(if op == Op::Ne { is.not() } else { is })
    }

    /// A condition on related records: a correlated subquery over the link, the trashed
    /// ones left out.
    fn related(&self, r: &Related, ctx: &Context) -> Result<Expr> {
        let param = r.relation.as_str();
        let rel = self
            .kind
            .relation(param)
            .ok_or_else(|| invalid(param, unknown("relation", param, self.kind.name)))?;
        let target = schema::kind(rel.kind)
            .ok_or_else(|| invalid(param, Msg::new(Code::FilterNoKind).with("relation", param)))?;
        let link_alias = format!("l{}", self.depth + 1);
        let inner = Scope {
            kind: target,
            alias: format!("r{}", self.depth + 1),
            depth: self.depth + 1,
            copied: match rel.link {
                Link::Pairs { copied, .. } => Some((link_alias.clone(), copied)),
                Link::Column(_) | Link::About => None,
            },
        };
        let mut sub = Query::select();
        let target_alias = Alias::new(inner.alias.as_str());
        match rel.link {
            Link::Pairs {
                table,
                this,
                other,
                copied,
            } => {
                let link = Alias::new(link_alias);
                sub.from_as(table, link.clone());
                // The related records themselves are read only when the condition needs
                // more than the pair table repeats.
                if !answered_by(target, &r.filter, &r.measure, copied) {
                    sub.join_as(
                        sea_query::JoinType::InnerJoin,
                        target.table,
                        target_alias,
                        inner.col("id").equals((link.clone(), other)),
                    );
                }
                sub.and_where(Expr::col((link, this)).equals(self.id_ref()));
            }
            Link::Column(column) => {
                sub.from_as(target.table, target_alias);
                sub.and_where(inner.col(column).equals(self.id_ref()));
            }
            Link::About => {
                sub.from_as(target.table, target_alias);
                sub.and_where(inner.col("about_id").equals(self.id_ref()));
                sub.and_where(inner.col("about_kind").eq(self.kind.name));
            }
        }
        sub.and_where(inner.col("deleted_at").is_null());
        sub.cond_where(inner.condition(&r.filter, ctx)?);
        Ok(match &r.measure {
            Measure::Has => Expr::exists(sub.expr(Expr::val(1)).to_owned()),
            Measure::None => Expr::exists(sub.expr(Expr::val(1)).to_owned()).not(),
            Measure::Count { op, value } => {
                let n = value.round() as i64;
                let count = sub.expr(Expr::col(sea_query::Asterisk).count()).to_owned();
                compare(
                    Expr::SubQuery(None, Box::new(count.into())),
                    *op,
                    &Typed::Number(n as f64),
                )
            }
            Measure::Aggregate {
                aggregate,
                field,
                op,
                value,
            } => {
                let name = format!("{param}.{}({field})", aggregate.as_str());
                let ty = check::field_type(target, ctx, field).map_err(|m| invalid(&name, m))?;
                let value =
                    check::coerce(ty, *op, value, ctx.now).map_err(|m| invalid(&name, m))?;
                let column = match target.field(field).map(|f| f.stored) {
                    Some(Stored::Column(c)) | Some(Stored::Folded { column: c, .. }) => c,
                    _ => return Err(invalid(&name, Code::FilterOwnFieldOnly.into())),
                };
                let col = inner.col(column);
                let measured = match aggregate {
                    Aggregate::Sum => sub
                        .expr(Func::coalesce([Expr::from(Func::sum(col)), Expr::val(0)]))
                        .to_owned(),
                    Aggregate::Min => sub.expr(Func::min(col)).to_owned(),
                    Aggregate::Max => sub.expr(Func::max(col)).to_owned(),
                    Aggregate::Latest => sub
                        .expr(col)
                        .order_by(
                            (Alias::new(inner.alias.as_str()), target.latest_by),
                            Order::Desc,
                        )
                        .order_by((Alias::new(inner.alias.as_str()), "id"), Order::Desc)
                        .limit(1)
                        .to_owned(),
                };
                let value = match (ty, value) {
                    (FieldType::Number, Typed::Number(n)) => Typed::Number(n),
                    (_, v) => v,
                };
                compare(Expr::SubQuery(None, Box::new(measured.into())), *op, &value)
            }
        })
    }

    fn id_ref(&self) -> (Alias, &'static str) {
        (Alias::new(self.alias.as_str()), "id")
    }
}

/// Whether a condition on related records needs only columns a pair table repeats (the
/// trash's `deleted_at` among them), so that the pair table alone answers it.
fn answered_by(target: &KindSpec, f: &Filter, measure: &Measure, copied: &[&str]) -> bool {
    let column = |field: &str| match target.field(field).map(|s| s.stored) {
        Some(Stored::Column(c)) => copied.contains(&c),
        _ => false,
    };
    fn walk(f: &Filter, column: &dyn Fn(&str) -> bool) -> bool {
        match f {
            Filter::And(l) | Filter::Or(l) => l.iter().all(|f| walk(f, column)),
            Filter::Not(f) => walk(f, column),
            Filter::Cond(c) => column(&c.field),
            Filter::Related(_) | Filter::Search(_) => false,
        }
    }
    let measured = match measure {
        Measure::Has | Measure::None | Measure::Count { .. } => true,
        Measure::Aggregate {
            aggregate: Aggregate::Latest,
            ..
        } => false,
        Measure::Aggregate { field, .. } => column(field),
    };
    copied.contains(&"deleted_at") && measured && walk(f, &column)
}

/// How a condition on one of several child rows is asked: "has none equal" and "has none"
/// are the negation of "has one equal" and "has one". Returns the operator and value to ask
/// of the rows, and whether to negate.
fn inside(op: Op, value: &Typed) -> (Op, Typed, bool) {
    match (op, value) {
        (Op::Ne, v) => (Op::Eq, v.clone(), true),
        (Op::Exists, Typed::Bool(false)) => (Op::Exists, Typed::Bool(true), true),
        (op, v) => (op, v.clone(), false),
    }
}

/// Text made comparable with a column that stores it normalised.
fn normalise(value: &Typed, norm: Norm) -> Typed {
    match value {
        Typed::Text(s) => Typed::Text(match norm {
            Norm::Exact => s.clone(),
            Norm::Fold => fold(s),
            Norm::Lower => s.trim().to_lowercase(),
            Norm::Phone => Phone::parse(s)
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|_| s.clone()),
        }),
        Typed::List(l) => Typed::List(l.iter().map(|v| normalise(v, norm)).collect()),
        other => other.clone(),
    }
}

fn sql_value(v: &Typed) -> Value {
    match v {
        Typed::Text(s) => s.clone().into(),
        Typed::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 => (*n as i64).into(),
        Typed::Number(n) => (*n).into(),
        Typed::Time(t) => (*t).into(),
        Typed::Day(d) => (*d).into(),
        Typed::Bool(b) => (*b).into(),
        Typed::Id(id) => (*id).into(),
        Typed::Money(m) => m.minor.into(),
        // Lists only go with `in`, which spreads them.
        Typed::List(_) => Value::String(None),
    }
}

/// `col op value`. A prefix is a range on the column (folded columns hold lowercase text
/// without accents, so the range serves "emi" → "émile" on both engines, from the index).
fn compare(col: Expr, op: Op, value: &Typed) -> Expr {
    match op {
        Op::Eq => col.eq(sql_value(value)),
        Op::Ne => col.ne(sql_value(value)),
        Op::Lt => col.lt(sql_value(value)),
        Op::Lte => col.lte(sql_value(value)),
        Op::Gt => col.gt(sql_value(value)),
        Op::Gte => col.gte(sql_value(value)),
        Op::In => {
            let values: Vec<Value> = match value {
                Typed::List(l) => l.iter().map(sql_value).collect(),
                one => vec![sql_value(one)],
            };
            col.is_in(values)
        }
        Op::Prefix => {
            let p = match value {
                Typed::Text(s) => s.clone(),
                other => format!("{other:?}"),
            };
            col.clone()
                .gte(p.clone())
                .and(col.lt(prefix_upper_bound(&p)))
        }
        Op::Exists => match value {
            Typed::Bool(false) => col.is_null(),
            _ => col.is_not_null(),
        },
    }
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
                .ok_or_else(|| invalid("cursor", Code::NotACursor.into()))?
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
