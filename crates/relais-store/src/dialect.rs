//! The few statements that differ between SQLite and PostgreSQL.
use crate::{Db, Result, StoreError};
use std::path::Path;

/// A consistent copy of the database while the server runs. SQLite: `VACUUM INTO` writes
/// a snapshot (readers and writers go on). PostgreSQL: `pg_dump` in its custom format,
/// itself a consistent snapshot, restorable with `pg_restore`.
pub async fn backup(db: &Db, url: &str, out: &Path) -> Result<()> {
    match db {
        Db::Sqlite(pool, _) => {
            let target = out.to_string_lossy().replace('\'', "''");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM INTO '{target}'")))
                .execute(pool)
                .await?;
            Ok(())
        }
        Db::Postgres(_) => {
            let status = pg_dump(url, out).await?;
            if status {
                Ok(())
            } else {
                Err(StoreError::Database(sqlx::Error::Protocol(
                    "pg_dump failed".into(),
                )))
            }
        }
    }
}

/// Runs `pg_dump` off the async threads: a dump of a large database takes minutes.
async fn pg_dump(url: &str, out: &Path) -> Result<bool> {
    let out = out.to_path_buf();
    let url = url.to_string();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--file"])
            .arg(&out)
            .arg(&url)
            .status()
    })
    .await
    .map_err(|e| StoreError::Database(sqlx::Error::Io(std::io::Error::other(e))))?
    .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
    Ok(status.success())
}

/// Refreshes the planner's statistics after a bulk load (`ANALYZE` on both engines; on
/// PostgreSQL autovacuum would do it soon after, SQLite has no such thing).
pub async fn analyze(db: &Db) -> Result<()> {
    match db {
        Db::Sqlite(pool, _) => {
            sqlx::raw_sql("ANALYZE").execute(pool).await?;
        }
        // After a bulk load, VACUUM also marks the pages all-visible, which index-only
        // scans need (autovacuum would get there later).
        Db::Postgres(pool) => {
            sqlx::raw_sql("VACUUM ANALYZE").execute(pool).await?;
        }
    }
    Ok(())
}

/// The start of an import's batch on PostgreSQL. Its lookups probe an index by key; the
/// planner, reading statistics taken when the tables were smaller (or a table small enough
/// that a scan looks cheaper on paper), would scan the whole table for each batch instead:
/// a cost that grows with the table. Scans are refused for this transaction, and now and
/// then (`refresh`) the statistics are taken again so that joins are planned on true sizes.
/// SQLite plans from its indexes alone: nothing to do.
pub async fn import_batch(tx: &mut crate::Tx, refresh: bool) -> Result<()> {
    if tx.backend() == crate::Backend::Postgres {
        tx.script("SET LOCAL enable_seqscan = off").await?;
        if refresh {
            tx.script("ANALYZE people, person_emails, person_phones, person_companies, companies")
                .await?;
        }
    }
    Ok(())
}
