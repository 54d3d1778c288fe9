//! Rows of one table gathered, then written at once. Each statement is a round trip to the
//! engine; an import of a million people written row by row spends its time in those round
//! trips. On PostgreSQL, one statement per table whatever the number of rows: each column
//! goes as one array parameter that `unnest` turns back into rows, so the statement's text
//! never changes (parsed and planned once per connection) and nothing is rendered into SQL.
//! (`COPY` would be the other bulk path, but the driver sends its end in a small packet of
//! its own that waits ~40 ms for the server's delayed acknowledgement, for every table of
//! every batch.) On SQLite, multi-row INSERTs in as few statements as its parameter limit
//! allows.
use crate::{Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Expr, Query, Value};
use uuid::Uuid;

/// Below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
const MAX_PARAMS: usize = 30_000;
/// Past a few hundred rows, larger statements stop paying for their parse.
const MAX_ROWS: usize = 1_000;

/// Rows for one table, kept as one flat list of values.
pub(crate) struct Rows {
    table: &'static str,
    columns: Vec<&'static str>,
    values: Vec<Value>,
}

impl Rows {
    pub(crate) fn new(table: &'static str, columns: &[&'static str]) -> Self {
        Rows {
            table,
            columns: columns.to_vec(),
            values: Vec::new(),
        }
    }

    pub(crate) fn push<const N: usize>(&mut self, row: [Value; N]) {
        debug_assert_eq!(N, self.columns.len(), "a row of {}", self.table);
        self.values.extend(row);
    }

    pub(crate) fn push_vec(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len(), "a row of {}", self.table);
        self.values.extend(row);
    }

    pub(crate) async fn write(self, tx: &mut Tx) -> Result<()> {
        if self.values.is_empty() {
            return Ok(());
        }
        if let Tx::Postgres(pg) = tx
            && let Some(columns) = self.arrays()
        {
            return self.unnest(pg, columns).await;
        }
        self.insert(tx).await
    }

    /// The values column by column, each a typed array; `None` when a column mixes types
    /// or holds one that has no array here (the rows then go as multi-row INSERTs).
    fn arrays(&self) -> Option<Vec<Column>> {
        let width = self.columns.len();
        (0..width)
            .map(|j| {
                let mut values = self.values.iter().skip(j).step_by(width);
                let mut column = Column::of(values.next()?, self.values.len() / width)?;
                values.all(|v| column.push(v)).then_some(column)
            })
            .collect()
    }

    async fn unnest(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        columns: Vec<Column>,
    ) -> Result<()> {
        let names = self
            .columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let arrays = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}[]", i + 1, c.sql_type()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO \"{}\" ({names}) SELECT * FROM unnest({arrays})",
            self.table
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for c in columns {
            q = c.bind(q);
        }
        q.execute(&mut **tx).await?;
        Ok(())
    }

    async fn insert(self, tx: &mut Tx) -> Result<()> {
        let width = self.columns.len();
        let per_statement = (MAX_PARAMS / width).min(MAX_ROWS);
        let mut values = self.values.into_iter().peekable();
        while values.peek().is_some() {
            let mut q = Query::insert();
            q.into_table(self.table)
                .columns(self.columns.iter().copied());
            for _ in 0..per_statement {
                if values.peek().is_none() {
                    break;
                }
                q.values_panic(values.by_ref().take(width).map(Expr::value));
            }
            tx.execute(&q).await?;
        }
        Ok(())
    }
}

type PgQuery = sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// One column of rows as a PostgreSQL array.
enum Column {
    Bool(Vec<Option<bool>>),
    SmallInt(Vec<Option<i16>>),
    Int(Vec<Option<i32>>),
    BigInt(Vec<Option<i64>>),
    Double(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
    Uuid(Vec<Option<Uuid>>),
    Date(Vec<Option<NaiveDate>>),
    Time(Vec<Option<DateTime<Utc>>>),
}

impl Column {
    /// An empty column of the first value's type (a NULL has one too), holding that value.
    fn of(first: &Value, rows: usize) -> Option<Column> {
        let mut c = match first {
            Value::Bool(_) => Column::Bool(Vec::with_capacity(rows)),
            Value::SmallInt(_) => Column::SmallInt(Vec::with_capacity(rows)),
            Value::Int(_) => Column::Int(Vec::with_capacity(rows)),
            Value::BigInt(_) => Column::BigInt(Vec::with_capacity(rows)),
            Value::Double(_) => Column::Double(Vec::with_capacity(rows)),
            Value::String(_) => Column::Text(Vec::with_capacity(rows)),
            Value::Uuid(_) => Column::Uuid(Vec::with_capacity(rows)),
            Value::ChronoDate(_) => Column::Date(Vec::with_capacity(rows)),
            Value::ChronoDateTimeUtc(_) => Column::Time(Vec::with_capacity(rows)),
            _ => return None,
        };
        c.push(first).then_some(c)
    }

    /// Adds a value of the column's type; false for any other.
    fn push(&mut self, v: &Value) -> bool {
        match (self, v) {
            (Column::Bool(c), Value::Bool(x)) => c.push(*x),
            (Column::SmallInt(c), Value::SmallInt(x)) => c.push(*x),
            (Column::Int(c), Value::Int(x)) => c.push(*x),
            (Column::BigInt(c), Value::BigInt(x)) => c.push(*x),
            (Column::Double(c), Value::Double(x)) => c.push(*x),
            (Column::Text(c), Value::String(x)) => c.push(x.clone()),
            (Column::Uuid(c), Value::Uuid(x)) => c.push(*x),
            (Column::Date(c), Value::ChronoDate(x)) => c.push(*x),
            (Column::Time(c), Value::ChronoDateTimeUtc(x)) => c.push(*x),
            _ => return false,
        }
        true
    }

    fn sql_type(&self) -> &'static str {
        match self {
            Column::Bool(_) => "bool",
            Column::SmallInt(_) => "int2",
            Column::Int(_) => "int4",
            Column::BigInt(_) => "int8",
            Column::Double(_) => "float8",
            Column::Text(_) => "text",
            Column::Uuid(_) => "uuid",
            Column::Date(_) => "date",
            Column::Time(_) => "timestamptz",
        }
    }

    fn bind(self, q: PgQuery) -> PgQuery {
        match self {
            Column::Bool(c) => q.bind(c),
            Column::SmallInt(c) => q.bind(c),
            Column::Int(c) => q.bind(c),
            Column::BigInt(c) => q.bind(c),
            Column::Double(c) => q.bind(c),
            Column::Text(c) => q.bind(c),
            Column::Uuid(c) => q.bind(c),
            Column::Date(c) => q.bind(c),
            Column::Time(c) => q.bind(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_become_typed_arrays_with_their_nulls() {
        let mut rows = Rows::new("t", &["a", "b"]);
        rows.push([Value::from("x"), Value::Int(Some(1))]);
        rows.push([Value::String(None), Value::Int(None)]);
        let columns = rows.arrays().expect("both columns have one type");
        assert!(matches!(&columns[..], [Column::Text(a), Column::Int(b)]
            if a == &[Some("x".to_string()), None] && b == &[Some(1), None]));
    }

    #[test]
    fn a_column_mixing_types_falls_back_to_inserts() {
        let mut rows = Rows::new("t", &["a"]);
        rows.push([Value::from("x")]);
        rows.push([Value::Int(Some(1))]);
        assert!(rows.arrays().is_none());
        let mut rows = Rows::new("t", &["a"]);
        rows.push([Value::Bytes(Some(vec![1]))]);
        assert!(rows.arrays().is_none(), "no array for bytes here");
    }
}
