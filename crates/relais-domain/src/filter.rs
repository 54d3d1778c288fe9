//! Filters are data: a tree the store turns into SQL for either engine. The same tree will
//! serve list filters, saved views, segments and campaign audiences.

/// What a list can be narrowed by.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Cond {
        field: Field,
        op: Op,
        value: String,
    },
    /// `q`: a case- and accent-insensitive prefix of a name, e-mail, phone or company.
    Search(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// A built-in field, by its API name (checked against the entity's list).
    Builtin(&'static str),
    /// An admin-defined custom field, by its key.
    Custom(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    /// Case- and accent-insensitive prefix.
    Prefix,
    /// One of a comma-separated list.
    In,
    /// `true`: the field has a value; `false`: it has none.
    Exists,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
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
    pub fn parse(s: &str) -> Result<Sort, String> {
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
                return Err(format!(
                    "cannot sort by '{s}' (name, created_at, updated_at, relevance; '-' first for descending)"
                ));
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
pub const LIST_PARAMS: [&str; 4] = ["q", "limit", "cursor", "sort"];

/// Builds the filter of a list from query parameters: `stage=customer`,
/// `stage=lead,prospect` (any of), `created_at[gte]=2024-01-01`, `custom.vip=true`,
/// `email[exists]=false`. `fields` are the built-in fields of the entity; an unknown
/// field or operator is an error naming the parameter.
pub fn from_query(
    params: &[(String, String)],
    fields: &[&'static str],
) -> Result<Filter, (String, String)> {
    let mut all = Vec::new();
    for (key, value) in params {
        // No stored text holds control characters (inputs refuse them), and PostgreSQL
        // refuses a NUL in a parameter: they can only be noise.
        let value = &value
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>();
        if key == "q" {
            if !value.trim().is_empty() {
                all.push(Filter::Search(value.clone()));
            }
            continue;
        }
        if LIST_PARAMS.contains(&key.as_str()) {
            continue;
        }
        all.push(condition(key, value, fields).map_err(|m| (key.clone(), m))?);
    }
    Ok(Filter::And(all))
}

fn condition(key: &str, value: &str, fields: &[&'static str]) -> Result<Filter, String> {
    let (name, op) = match key.split_once('[') {
        Some((name, rest)) => {
            let op = rest.strip_suffix(']').and_then(Op::parse).ok_or_else(|| {
                format!(
                    "unknown operator in '{key}' (eq, ne, lt, lte, gt, gte, prefix, in, exists)"
                )
            })?;
            (name, op)
        }
        None if value.contains(',') => (key, Op::In),
        None => (key, Op::Eq),
    };
    let field = match name.strip_prefix("custom.") {
        Some(custom) if !custom.is_empty() => Field::Custom(custom.to_string()),
        _ => Field::Builtin(
            fields
                .iter()
                .find(|f| **f == name)
                .copied()
                .ok_or_else(|| {
                    format!(
                        "unknown filter '{name}' (one of {}, or custom.<key>)",
                        fields.join(", ")
                    )
                })?,
        ),
    };
    if op == Op::Exists && !matches!(value, "true" | "false") {
        return Err("exists takes true or false".into());
    }
    Ok(Filter::Cond {
        field,
        op,
        value: value.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn query_parameters_become_a_tree() {
        let f = from_query(
            &p(&[
                ("stage", "lead,prospect"),
                ("custom.vip", "true"),
                ("q", "elo"),
                ("limit", "5"),
            ]),
            &["stage"],
        )
        .unwrap();
        assert_eq!(
            f,
            Filter::And(vec![
                Filter::Cond {
                    field: Field::Builtin("stage"),
                    op: Op::In,
                    value: "lead,prospect".into()
                },
                Filter::Cond {
                    field: Field::Custom("vip".into()),
                    op: Op::Eq,
                    value: "true".into()
                },
                Filter::Search("elo".into()),
            ])
        );
    }

    #[test]
    fn unknown_fields_and_operators_name_the_parameter() {
        assert_eq!(
            from_query(&p(&[("colour", "red")]), &["stage"])
                .unwrap_err()
                .0,
            "colour"
        );
        assert!(from_query(&p(&[("stage[like]", "x")]), &["stage"]).is_err());
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
}
