//! One forward-only migration set for both engines. Each migration is written once in the
//! SQL both engines share; the few column types that differ are named by a token that is
//! replaced per engine (`{uuid}`, `{ts}`, ...). Applied migrations are recorded, never edited.
use crate::{Backend, Db, Result, StoreError};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_customer_record.sql")),
    (2, include_str!("../migrations/0002_search_order.sql")),
    (3, include_str!("../migrations/0003_user_language.sql")),
    (4, include_str!("../migrations/0004_saved_views.sql")),
    (5, include_str!("../migrations/0005_folded_filters.sql")),
    (6, include_str!("../migrations/0006_jobs.sql")),
    (7, include_str!("../migrations/0007_import_log.sql")),
    (8, include_str!("../migrations/0008_timeline_copies.sql")),
    (
        9,
        include_str!("../migrations/0009_covering_owner_indexes.sql"),
    ),
    (10, include_str!("../migrations/0010_name_at_company.sql")),
    (11, include_str!("../migrations/0011_created_by.sql")),
    (12, include_str!("../migrations/0012_about.sql")),
    (13, include_str!("../migrations/0013_settings.sql")),
];

/// Migrations after which the search terms are computed again from the records: the terms
/// are derived by Rust rules (folding, word cuts) that SQL alone can't reproduce.
const REINDEX_AFTER: &[i64] = &[2];

/// Migrations after which the folded shadow columns are filled from the records (the same
/// Rust folding as every write).
const REFOLD_AFTER: &[i64] = &[5];

fn render(sql: &str, backend: Backend) -> String {
    let types: &[(&str, &str)] = match backend {
        Backend::Sqlite => &[
            ("{uuid}", "BLOB"),
            ("{ts}", "TEXT"),
            ("{date}", "TEXT"),
            ("{bool}", "INTEGER"),
            ("{float}", "REAL"),
            ("{blob}", "BLOB"),
            ("{key}", "TEXT"),
            // Small rows looked up by their composite key: stored in the key's B-tree
            // itself, one B-tree fewer to write per row.
            ("{without_rowid}", "WITHOUT ROWID"),
        ],
        // Search keys compare byte-wise, so a prefix range scan works whatever the
        // database's collation is.
        Backend::Postgres => &[
            ("{uuid}", "UUID"),
            ("{ts}", "TIMESTAMPTZ"),
            ("{date}", "DATE"),
            ("{bool}", "BOOLEAN"),
            ("{float}", "DOUBLE PRECISION"),
            ("{blob}", "BYTEA"),
            ("{key}", "TEXT COLLATE \"C\""),
            ("{without_rowid}", ""),
        ],
    };
    types
        .iter()
        .fold(sql.to_string(), |s, (token, ty)| s.replace(token, ty))
}

/// Runs SQL written as the migrations are (with their `{uuid}`, `{ts}`... tokens) outside of
/// the migration set, in one transaction: how a kind of record defined only in tests gets
/// its table.
pub async fn script(db: &Db, sql: &str) -> Result<()> {
    let mut tx = db.write().await?;
    tx.script(&render(sql, tx.backend())).await?;
    tx.commit().await
}

pub(crate) async fn run(db: &Db) -> Result<()> {
    let mut tx = db.write().await?;
    tx.script("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")
        .await?;
    let applied: Vec<crate::Count> = tx
        .fetch_all(
            sea_query::Query::select()
                .expr_as(sea_query::Expr::col("version"), "n")
                .from("schema_migrations"),
        )
        .await?;
    let mut reindex = false;
    let mut refold = false;
    for (version, sql) in MIGRATIONS {
        if applied.iter().any(|a| a.n == *version) {
            continue;
        }
        reindex |= REINDEX_AFTER.contains(version);
        refold |= REFOLD_AFTER.contains(version);
        tx.script(&render(sql, db.backend()))
            .await
            .map_err(|e| match e {
                StoreError::Database(source) => StoreError::Migration {
                    version: *version,
                    source,
                },
                other => other,
            })?;
        tx.execute(
            sea_query::Query::insert()
                .into_table("schema_migrations")
                .columns(["version", "applied_at"])
                .values_panic([(*version).into(), chrono::Utc::now().to_rfc3339().into()]),
        )
        .await?;
    }
    if reindex {
        // Companies first: people are found by their companies' names.
        crate::records::rebuild_terms::<crate::companies::Companies>(&mut tx).await?;
        crate::records::rebuild_terms::<crate::people::People>(&mut tx).await?;
    }
    if refold {
        crate::people::refold(&mut tx).await?;
        crate::companies::refold(&mut tx).await?;
    }
    tx.commit().await
}
