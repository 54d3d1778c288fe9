//! Multi-row INSERTs: the rows of one table gathered, then written in as few statements as
//! the engines' parameter limits allow. Each statement is a round trip to the engine; an
//! import of a million people written row by row spends its time in those round trips.
use crate::{Result, Tx};
use sea_query::{Expr, Query, Value};

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
