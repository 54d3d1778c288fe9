//! A write that meets a database another writer holds is `Busy` (answered 503 with
//! Retry-After by the web app), not a generic failure.
use relais_store::StoreError;
use sqlx::{Connection, SqliteConnection};

#[tokio::test]
async fn a_write_blocked_by_another_writer_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("busy.db").display());
    let db = relais_store::connect(&url).await.unwrap();
    let holder = db.write().await.unwrap();
    let mut other = SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("PRAGMA busy_timeout = 0")
        .execute(&mut other)
        .await
        .unwrap();
    let e = sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap_err();
    assert!(
        matches!(StoreError::from(e), StoreError::Busy(_)),
        "SQLITE_BUSY reads as Busy"
    );
    holder.rollback().await.unwrap();
    db.close().await;
}
