//! The segment language as text, read into the filter tree and written back:
//!
//! ```text
//! stage = customer and city = "Lyon" and not tag = vip
//! stage in (lead, prospect) or created_at >= 2026-01-01
//! first_name starts with "emi" and email is not empty
//! interactions(kind = call, occurred_at > 90 days ago).count >= 3
//! no interactions(occurred_at > 180 days ago)
//! interactions.sum(duration_minutes) > 60
//! interactions(kind = meeting).max(occurred_at) < 1 year ago
//! ```
//!
//! `and` binds tighter than `or`; `not` applies to what follows; parentheses group. Inside a
//! relation's parentheses, commas mean `and`. A value is a word, a quoted text ("..." or
//! '...'), a number, `true`/`false`/`yes`/`no`, a date (`2026-03-31`), a time (RFC 3339),
//! `today`, or `N days|weeks|months|years ago|from now`. Keywords are case-insensitive.
//! A mistake is reported with its position (in characters, from 1) and what was expected.
use super::{Aggregate, Cond, Filter, Literal, Measure, Op, Related, Relative, Unit};
use std::fmt;

/// A filter text that does not read: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// In characters, from 1.
    pub position: usize,
    pub expected: String,
    pub found: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at position {}: expected {}, found {}",
            self.position, self.expected, self.found
        )
    }
}

impl std::error::Error for SyntaxError {}

impl From<SyntaxError> for crate::message::Msg {
    fn from(e: SyntaxError) -> Self {
        crate::message::Msg::new(crate::message::Code::FilterSyntax)
            .with("at", e.position)
            .with("expected", e.expected)
            .with("found", e.found)
    }
}

/// Long enough for any filter a person writes; beyond, a text is refused before it is read
/// (and nesting is bounded too, so no input can exhaust the stack).
pub const MAX_LEN: usize = 4_000;
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(f64),
    Date(chrono::NaiveDate),
    Time(chrono::DateTime<chrono::Utc>),
    Sign(Op),
    Open,
    Close,
    Comma,
    Dot,
    End,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Word(w) => write!(f, "'{w}'"),
            Tok::Str(s) => write!(f, "\"{s}\""),
            Tok::Num(n) => write!(f, "'{n}'"),
            Tok::Date(d) => write!(f, "'{d}'"),
            Tok::Time(t) => write!(f, "'{}'", t.to_rfc3339()),
            Tok::Sign(op) => write!(f, "'{}'", op.sign().unwrap_or("?")),
            Tok::Open => f.write_str("'('"),
            Tok::Close => f.write_str("')'"),
            Tok::Comma => f.write_str("','"),
            Tok::Dot => f.write_str("'.'"),
            Tok::End => f.write_str("the end"),
        }
    }
}

/// Reads a filter text into the tree. The tree is not yet checked against a kind's fields
/// (see `check`).
pub fn parse(text: &str) -> Result<Filter, SyntaxError> {
    let count = text.chars().count();
    if count > MAX_LEN {
        return Err(SyntaxError {
            position: MAX_LEN + 1,
            expected: format!("at most {MAX_LEN} characters"),
            found: format!("{count}"),
        });
    }
    if text.trim().is_empty() {
        return Ok(Filter::all());
    }
    let toks = lex(text)?;
    let mut p = Parser {
        toks,
        at: 0,
        depth: 0,
    };
    let f = p.or()?;
    match p.peek() {
        Tok::End => Ok(f),
        _ => Err(p.error("'and', 'or' or the end")),
    }
}

fn lex(text: &str) -> Result<Vec<(usize, Tok)>, SyntaxError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let pos = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let one = |t: Tok| (pos, t);
        match c {
            '(' => out.push(one(Tok::Open)),
            ')' => out.push(one(Tok::Close)),
            ',' => out.push(one(Tok::Comma)),
            '.' => out.push(one(Tok::Dot)),
            '=' => out.push(one(Tok::Sign(Op::Eq))),
            '!' | '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (op, len) = match (c, next) {
                    ('!', Some('=')) => (Op::Ne, 2),
                    ('<', Some('>')) => (Op::Ne, 2),
                    ('<', Some('=')) => (Op::Lte, 2),
                    ('>', Some('=')) => (Op::Gte, 2),
                    ('<', _) => (Op::Lt, 1),
                    ('>', _) => (Op::Gt, 1),
                    _ => {
                        return Err(SyntaxError {
                            position: pos,
                            expected: "'!='".into(),
                            found: "'!'".into(),
                        });
                    }
                };
                out.push(one(Tok::Sign(op)));
                i += len;
                continue;
            }
            '"' | '\'' => {
                let (s, end) = quoted(&chars, i)?;
                out.push(one(Tok::Str(s)));
                i = end;
                continue;
            }
            c if c.is_ascii_digit() || (c == '-' && next_is_digit(&chars, i)) => {
                let end = scan(&chars, i + 1, |c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '+')
                });
                let word: String = chars[i..end].iter().collect();
                out.push(one(number_or_date(&word).ok_or_else(|| SyntaxError {
                    position: pos,
                    expected: "a number, a date (2026-03-31) or a time (RFC 3339)".into(),
                    found: format!("'{word}'"),
                })?));
                i = end;
                continue;
            }
            c if c.is_alphabetic() || c == '_' => {
                let end = scan(&chars, i + 1, |c| c.is_alphanumeric() || c == '_');
                out.push(one(Tok::Word(chars[i..end].iter().collect())));
                i = end;
                continue;
            }
            other => {
                return Err(SyntaxError {
                    position: pos,
                    expected: "a field, a value or an operator".into(),
                    found: format!("'{other}'"),
                });
            }
        }
        i += 1;
    }
    out.push((chars.len() + 1, Tok::End));
    Ok(out)
}

fn next_is_digit(chars: &[char], i: usize) -> bool {
    chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())
}

fn scan(chars: &[char], from: usize, keep: impl Fn(char) -> bool) -> usize {
    let mut end = from;
    while chars.get(end).is_some_and(|c| keep(*c)) {
        end += 1;
    }
    end
}

/// A quoted text from `start` (its quote); `\` escapes the next character. Returns the text
/// and the index after the closing quote.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize), SyntaxError> {
    let quote = chars[start];
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => {
                return Err(SyntaxError {
                    position: start + 1,
                    expected: format!("a closing {quote}"),
                    found: "the end".into(),
                });
            }
            Some('\\') => {
                if let Some(c) = chars.get(i + 1) {
                    s.push(*c);
                }
                i += 2;
            }
            Some(c) if *c == quote => return Ok((s, i + 1)),
            Some(c) => {
                s.push(*c);
                i += 1;
            }
        }
    }
}

fn number_or_date(word: &str) -> Option<Tok> {
    if let Ok(n) = word.parse::<f64>()
        && n.is_finite()
    {
        return Some(Tok::Num(n));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(word, "%Y-%m-%d") {
        return Some(Tok::Date(d));
    }
    chrono::DateTime::parse_from_rfc3339(word)
        .ok()
        .map(|t| Tok::Time(t.to_utc()))
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    at: usize,
    depth: usize,
}

fn is_kw(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.at).map_or(&Tok::End, |(_, t)| t)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.toks.get(self.at + n).map_or(&Tok::End, |(_, t)| t)
    }

    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.at < self.toks.len() {
            self.at += 1;
        }
        t
    }

    fn error(&self, expected: &str) -> SyntaxError {
        let (position, found) = self
            .toks
            .get(self.at)
            .map_or((0, "the end".to_string()), |(p, t)| (*p, t.to_string()));
        SyntaxError {
            position,
            expected: expected.into(),
            found,
        }
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = is_kw(self.peek(), kw);
        if yes {
            self.at += 1;
        }
        yes
    }

    fn expect(&mut self, t: Tok, what: &str) -> Result<(), SyntaxError> {
        if *self.peek() == t {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn or(&mut self) -> Result<Filter, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("at most {MAX_DEPTH} levels of nesting")));
        }
        let mut parts = vec![self.and()?];
        while self.eat_kw("or") {
            parts.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Filter::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Filter, SyntaxError> {
        let mut parts = vec![self.unary()?];
        while self.eat_kw("and") {
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Filter::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Filter, SyntaxError> {
        if self.eat_kw("not") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.error(&format!("at most {MAX_DEPTH} levels of nesting")));
            }
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Filter, SyntaxError> {
        if *self.peek() == Tok::Open {
            self.at += 1;
            let f = self.or()?;
            self.expect(Tok::Close, "')'")?;
            return Ok(f);
        }
        let negated = is_kw(self.peek(), "no") && matches!(self.peek_at(1), Tok::Word(_));
        let has = is_kw(self.peek(), "has") && matches!(self.peek_at(1), Tok::Word(_));
        if negated || has {
            self.at += 1;
            let Tok::Word(relation) = self.next() else {
                return Err(self.error("a relation"));
            };
            let filter = self.related_filter()?;
            let measure = if negated { Measure::None } else { Measure::Has };
            return Ok(related(relation, filter, measure));
        }
        let Tok::Word(name) = self.peek().clone() else {
            return Err(self.error("a field, 'not', or '('"));
        };
        self.at += 1;
        let is_relation = matches!(self.peek(), Tok::Open)
            || (matches!(self.peek(), Tok::Dot) && self.is_measure_next());
        if is_relation {
            let filter = self.related_filter()?;
            let measure = if *self.peek() == Tok::Dot {
                self.at += 1;
                self.measure()?
            } else {
                Measure::Has
            };
            return Ok(related(name, filter, measure));
        }
        let field = self.field_rest(name)?;
        let f = self.condition(field)?;
        // `q = "..."` is the search, written as text.
        Ok(match f {
            Filter::Cond(Cond {
                field,
                op: Op::Eq,
                value: Literal::Text(q),
            }) if field == "q" => Filter::Search(q),
            f => f,
        })
    }

    /// After `relation.`: is a measure coming (`count`, `sum(`...) rather than a field path?
    fn is_measure_next(&self) -> bool {
        match self.peek_at(1) {
            Tok::Word(w) => {
                let w = w.to_ascii_lowercase();
                w == "count"
                    || (matches!(w.as_str(), "sum" | "min" | "max" | "latest")
                        && *self.peek_at(2) == Tok::Open)
            }
            _ => false,
        }
    }

    /// `(cond, cond...)` after a relation's name, or nothing (all related records).
    fn related_filter(&mut self) -> Result<Filter, SyntaxError> {
        if *self.peek() != Tok::Open {
            return Ok(Filter::all());
        }
        self.at += 1;
        if *self.peek() == Tok::Close {
            self.at += 1;
            return Ok(Filter::all());
        }
        let mut parts = vec![self.or()?];
        while *self.peek() == Tok::Comma {
            self.at += 1;
            parts.push(self.or()?);
        }
        self.expect(Tok::Close, "',' or ')'")?;
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Filter::And(parts)
        })
    }

    fn measure(&mut self) -> Result<Measure, SyntaxError> {
        let expected = "count, sum(field), min(field), max(field) or latest(field)";
        let Tok::Word(w) = self.next() else {
            self.at -= 1;
            return Err(self.error(expected));
        };
        let aggregate = match w.to_ascii_lowercase().as_str() {
            "count" => {
                let op = self.sign()?;
                return match self.next() {
                    Tok::Num(n) => Ok(Measure::Count { op, value: n }),
                    _ => {
                        self.at -= 1;
                        Err(self.error("a number"))
                    }
                };
            }
            "sum" => Aggregate::Sum,
            "min" => Aggregate::Min,
            "max" => Aggregate::Max,
            "latest" => Aggregate::Latest,
            _ => {
                self.at -= 1;
                return Err(self.error(expected));
            }
        };
        self.expect(Tok::Open, "'('")?;
        let Tok::Word(name) = self.next() else {
            self.at -= 1;
            return Err(self.error("a field"));
        };
        let field = self.field_rest(name)?;
        self.expect(Tok::Close, "')'")?;
        let op = self.sign()?;
        let value = self.value()?;
        Ok(Measure::Aggregate {
            aggregate,
            field,
            op,
            value,
        })
    }

    fn sign(&mut self) -> Result<Op, SyntaxError> {
        match self.peek() {
            Tok::Sign(op) => {
                let op = *op;
                self.at += 1;
                Ok(op)
            }
            _ => Err(self.error("=, !=, <, <=, > or >=")),
        }
    }

    /// The rest of a dotted field name (`custom.vip`).
    fn field_rest(&mut self, mut name: String) -> Result<String, SyntaxError> {
        while *self.peek() == Tok::Dot {
            self.at += 1;
            match self.next() {
                Tok::Word(w) => {
                    name.push('.');
                    name.push_str(&w);
                }
                _ => {
                    self.at -= 1;
                    return Err(self.error("a field name after '.'"));
                }
            }
        }
        Ok(name)
    }

    fn condition(&mut self, field: String) -> Result<Filter, SyntaxError> {
        if let Tok::Sign(op) = *self.peek() {
            self.at += 1;
            let value = self.value()?;
            return Ok(Filter::cond(field, op, value));
        }
        if self.eat_kw("in") {
            self.expect(Tok::Open, "'(' and a list of values")?;
            let mut values = vec![self.value()?];
            while *self.peek() == Tok::Comma {
                self.at += 1;
                values.push(self.value()?);
            }
            self.expect(Tok::Close, "',' or ')'")?;
            return Ok(Filter::cond(field, Op::In, Literal::List(values)));
        }
        if self.eat_kw("is") {
            let not = self.eat_kw("not");
            if !self.eat_kw("empty") {
                return Err(self.error("'empty'"));
            }
            return Ok(Filter::cond(field, Op::Exists, Literal::Bool(not)));
        }
        if self.eat_kw("starts") {
            if !self.eat_kw("with") {
                return Err(self.error("'with'"));
            }
            let value = self.value()?;
            return Ok(Filter::cond(field, Op::Prefix, value));
        }
        Err(self
            .error("an operator (=, !=, <, <=, >, >=, in, is empty, is not empty, starts with)"))
    }

    fn value(&mut self) -> Result<Literal, SyntaxError> {
        let expected = "a value";
        Ok(match self.next() {
            Tok::Str(s) => Literal::Text(s),
            Tok::Date(d) => Literal::Date(d),
            Tok::Time(t) => Literal::Time(t),
            Tok::Num(n) => match self.unit() {
                Some(unit) => {
                    let Some(amount) = whole(n) else {
                        self.at -= 2;
                        return Err(self.error("a whole number of days, weeks, months or years"));
                    };
                    let sign = if self.eat_kw("ago") {
                        -1
                    } else if self.eat_kw("from") {
                        if !self.eat_kw("now") {
                            return Err(self.error("'now'"));
                        }
                        1
                    } else {
                        return Err(self.error("'ago' or 'from now'"));
                    };
                    Literal::Relative(Relative {
                        amount: sign * amount,
                        unit,
                    })
                }
                // An amount: `100 EUR` reads as the text "100 EUR", for a money field.
                None => match self.peek() {
                    Tok::Word(w) if crate::money::Currency::parse(w).is_ok() => {
                        let amount = format!("{n} {}", w.to_ascii_uppercase());
                        self.at += 1;
                        Literal::Text(amount)
                    }
                    _ => Literal::Number(n),
                },
            },
            Tok::Word(w) => match w.to_ascii_lowercase().as_str() {
                "true" | "yes" => Literal::Bool(true),
                "false" | "no" => Literal::Bool(false),
                "today" => Literal::Relative(Relative {
                    amount: 0,
                    unit: Unit::Days,
                }),
                _ => Literal::Text(w),
            },
            _ => {
                self.at -= 1;
                return Err(self.error(expected));
            }
        })
    }

    fn unit(&mut self) -> Option<Unit> {
        let Tok::Word(w) = self.peek() else {
            return None;
        };
        let unit = match w.to_ascii_lowercase().as_str() {
            "day" | "days" => Unit::Days,
            "week" | "weeks" => Unit::Weeks,
            "month" | "months" => Unit::Months,
            "year" | "years" => Unit::Years,
            _ => return None,
        };
        self.at += 1;
        Some(unit)
    }
}

fn whole(n: f64) -> Option<i64> {
    (n.fract() == 0.0 && n.abs() < 1e9).then_some(n as i64)
}

fn related(relation: String, filter: Filter, measure: Measure) -> Filter {
    Filter::Related(Related {
        relation,
        filter: Box::new(filter),
        measure,
    })
}

/// The text form of a tree: what `parse` reads back into the same tree.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Everything: the empty text. (An empty `Or`, nothing, has no text form; the
            // parser never makes one.)
            Filter::And(list) if list.is_empty() => Ok(()),
            Filter::And(list) => join(f, list, " and "),
            Filter::Or(list) if list.is_empty() => f.write_str("()"),
            Filter::Or(list) => join(f, list, " or "),
            Filter::Not(inner) => {
                f.write_str("not ")?;
                grouped(f, inner)
            }
            Filter::Cond(c) => write!(f, "{c}"),
            Filter::Related(r) => write!(f, "{r}"),
            Filter::Search(q) => write!(f, "q = {}", Literal::Text(q.clone())),
        }
    }
}

fn join(f: &mut fmt::Formatter<'_>, list: &[Filter], sep: &str) -> fmt::Result {
    for (i, part) in list.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        grouped(f, part)?;
    }
    Ok(())
}

/// A part inside `and`, `or` or `not`, in parentheses when it is itself a combination.
fn grouped(f: &mut fmt::Formatter<'_>, part: &Filter) -> fmt::Result {
    match part {
        Filter::And(l) | Filter::Or(l) if !l.is_empty() => write!(f, "({part})"),
        _ => write!(f, "{part}"),
    }
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = &self.field;
        match (self.op, &self.value) {
            (Op::Exists, Literal::Bool(true)) => write!(f, "{field} is not empty"),
            (Op::Exists, _) => write!(f, "{field} is empty"),
            (Op::Prefix, v) => write!(f, "{field} starts with {v}"),
            (Op::In, v) => write!(f, "{field} in {v}"),
            (op, v) => write!(f, "{field} {} {v}", op.sign().unwrap_or("=")),
        }
    }
}

impl fmt::Display for Related {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = match &*self.filter {
            Filter::And(l) if l.is_empty() => String::new(),
            other => format!("({other})"),
        };
        let name = &self.relation;
        match &self.measure {
            Measure::Has => write!(f, "has {name}{inner}"),
            Measure::None => write!(f, "no {name}{inner}"),
            Measure::Count { op, value } => {
                let inner = if inner.is_empty() { "()" } else { &inner };
                write!(f, "{name}{inner}.count {} {value}", sign(*op))
            }
            Measure::Aggregate {
                aggregate,
                field,
                op,
                value,
            } => {
                let inner = if inner.is_empty() { "()" } else { &inner };
                let agg = aggregate.as_str();
                write!(f, "{name}{inner}.{agg}({field}) {} {value}", sign(*op))
            }
        }
    }
}

fn sign(op: Op) -> &'static str {
    op.sign().unwrap_or("=")
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Text(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    if matches!(c, '"' | '\\') {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("\"")
            }
            Literal::Number(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Date(d) => write!(f, "{d}"),
            Literal::Time(t) => f.write_str(&t.to_rfc3339()),
            Literal::Relative(Relative { amount: 0, .. }) => f.write_str("today"),
            Literal::Relative(r) => {
                let unit = match r.unit {
                    Unit::Days => "days",
                    Unit::Weeks => "weeks",
                    Unit::Months => "months",
                    Unit::Years => "years",
                };
                let when = if r.amount < 0 { "ago" } else { "from now" };
                write!(f, "{} {unit} {when}", r.amount.unsigned_abs())
            }
            Literal::List(values) => {
                f.write_str("(")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
        }
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
