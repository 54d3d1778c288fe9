//! Storage of the customer record. One code path for SQLite and PostgreSQL: queries are built
//! with sea-query and rendered for the engine at hand; the few statements that differ live in
//! `dialect`. Store functions take a transaction, which the services own.
// A bad input must never panic a worker: no unwrap or expect outside tests, no string
// slicing by byte index (a char boundary panics), in every crate of Relais.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)
)]

pub mod attachments;
pub mod audit;
mod bulk;
mod coded;
pub mod companies;
pub mod consents;
pub mod custom_fields;
pub mod dialect;
pub mod duplicates;
pub mod filter;
pub mod import_log;
pub mod interactions;
pub mod jobs;
pub mod migrate;
pub mod owned;
pub mod people;
pub mod records;
pub mod search;
pub mod settings;
pub mod synthetic;
pub mod tasks;
pub mod users;
pub mod views;

use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::{SqlxBinder, SqlxValues};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, Postgres, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

pub use sea_query;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Holds the scheme alone: the rest of the URL may carry a password.
    #[error("unknown database URL scheme '{0}' (use sqlite://PATH or postgres://...)")]
    UnknownScheme(String),
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; the value names the constraint's column.
    #[error("already exists: {0}")]
    Duplicate(String),
    /// The record refers to one that does not exist (or the reverse, on delete).
    #[error("refers to a record that does not exist")]
    MissingReference,
    /// A filter or cursor the store could not read.
    #[error("{0}")]
    Invalid(#[from] relais_domain::Invalid),
    #[error("the record was changed meanwhile")]
    Conflict,
    #[error("database migration {version} failed: {source}")]
    Migration { version: i64, source: sqlx::Error },
    /// Another writer held the database longer than the busy timeout (SQLite's lock, a
    /// PostgreSQL lock timeout): worth trying again in a moment.
    #[error("the database is busy: {0}")]
    Busy(sqlx::Error),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            use sqlx::error::ErrorKind::*;
            match db.kind() {
                UniqueViolation => {
                    return StoreError::Duplicate(unique_column(db.message(), db.constraint()));
                }
                ForeignKeyViolation => return StoreError::MissingReference,
                _ => {}
            }
            // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes; PostgreSQL's
            // lock_not_available (55P03).
            let code = db.code();
            let busy = match code.as_deref() {
                Some("55P03") => true,
                Some(c) => c.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6)),
                None => false,
            };
            if busy {
                return StoreError::Busy(e);
            }
        }
        StoreError::Database(e)
    }
}

/// SQLite says "UNIQUE constraint failed: users.email_key"; PostgreSQL names the constraint
/// ("users_email_key_key"). Either way, keep the column.
fn unique_column(message: &str, constraint: Option<&str>) -> String {
    if let Some(cols) = message.strip_prefix("UNIQUE constraint failed: ") {
        return cols
            .split(", ")
            .map(|c| c.rsplit('.').next().unwrap_or(c))
            .collect::<Vec<_>>()
            .join(",");
    }
    constraint.unwrap_or("unknown").to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to either engine. On SQLite, writers of this process also queue at a
/// gate, first come first served: SQLite's own busy wait polls, and a writer that commits
/// and begins again at once (an import's next batch) would take the lock back before a
/// waiting save wakes up.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, WriteGate),
    Postgres(PgPool),
}

/// The queue of this process's SQLite writers (see `Db`).
pub type WriteGate = std::sync::Arc<tokio::sync::Mutex<()>>;

/// As long as SQLite's busy timeout: a writer waits no longer at the gate than at the lock.
const GATE_WAIT: Duration = Duration::from_secs(10);

/// Opens the database named by `url`, creating a SQLite file on first run, and applies
/// pending migrations. An unknown scheme is an error: never a new empty database by surprise.
pub async fn connect(url: &str) -> Result<Db> {
    let db = open(url).await?;
    migrate::run(&db).await?;
    Ok(db)
}

async fn open(url: &str) -> Result<Db> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        return Ok(Db::Sqlite(pool, WriteGate::default()));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // No JIT: Relais's queries are short, and compiling a plan costs more (150 ms and up)
        // than running it.
        let opts = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(opts)
            .await?;
        return Ok(Db::Postgres(pool));
    }
    let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
    Err(StoreError::UnknownScheme(scheme.to_string()))
}

impl Db {
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so that two writers queue on the busy timeout instead of one
    /// failing when it upgrades from reading to writing.
    pub async fn write(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p, gate) => {
                let turn = tokio::time::timeout(GATE_WAIT, gate.clone().lock_owned())
                    .await
                    .map_err(|_| StoreError::Busy(sqlx::Error::PoolTimedOut))?;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A transaction that only reads: a consistent snapshot.
    pub async fn read(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p, _) => Tx::Sqlite(p.begin().await?, None),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, _) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

/// A row type that decodes from both engines.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// A transaction on either engine. Dropped without `commit`, it rolls back. A SQLite
/// writer holds its turn at the gate until it ends.
pub enum Tx {
    Sqlite(
        Transaction<'static, Sqlite>,
        Option<tokio::sync::OwnedMutexGuard<()>>,
    ),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    fn build(&self, stmt: &impl SqlxBinder) -> (String, SqlxValues) {
        match self {
            Tx::Sqlite(..) => stmt.build_sqlx(SqliteQueryBuilder),
            Tx::Postgres(_) => stmt.build_sqlx(PostgresQueryBuilder),
        }
    }

    /// Runs a statement; returns the number of rows it touched.
    pub async fn execute(&mut self, stmt: &impl SqlxBinder) -> Result<u64> {
        let (sql, values) = self.build(stmt);
        Ok(match self {
            Tx::Sqlite(tx, _) => sqlx::query_with(AssertSqlSafe(sql), values)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            Tx::Postgres(tx) => sqlx::query_with(AssertSqlSafe(sql), values)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        })
    }

    pub async fn fetch_all<T: Row>(&mut self, stmt: &impl SqlxBinder) -> Result<Vec<T>> {
        let (sql, values) = self.build(stmt);
        Ok(match self {
            Tx::Sqlite(tx, _) => {
                sqlx::query_as_with(AssertSqlSafe(sql), values)
                    .fetch_all(&mut **tx)
                    .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_as_with(AssertSqlSafe(sql), values)
                    .fetch_all(&mut **tx)
                    .await?
            }
        })
    }

    pub async fn fetch_optional<T: Row>(&mut self, stmt: &impl SqlxBinder) -> Result<Option<T>> {
        let (sql, values) = self.build(stmt);
        Ok(match self {
            Tx::Sqlite(tx, _) => {
                sqlx::query_as_with(AssertSqlSafe(sql), values)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_as_with(AssertSqlSafe(sql), values)
                    .fetch_optional(&mut **tx)
                    .await?
            }
        })
    }

    pub async fn fetch_one<T: Row>(&mut self, stmt: &impl SqlxBinder) -> Result<T> {
        self.fetch_optional(stmt).await?.ok_or(StoreError::NotFound)
    }

    /// A whole SQL script without parameters (migrations, engine-specific statements).
    pub(crate) async fn script(&mut self, sql: &str) -> Result<()> {
        match self {
            Tx::Sqlite(tx, _) => {
                sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                    .execute(&mut **tx)
                    .await?;
            }
            Tx::Postgres(tx) => {
                sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx, _) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Ends the transaction without writing anything, now rather than when the connection is
    /// next used (as dropping it would).
    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx, _) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// A row holding one count.
#[derive(sqlx::FromRow)]
pub struct Count {
    pub n: i64,
}
