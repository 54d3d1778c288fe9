//! A fresh, migrated database per test: a SQLite file in a temporary folder, and, when
//! `RELAIS_TEST_POSTGRES_URL` is set, a new PostgreSQL database created through that URL.
use relais_store::Db;
use sqlx::Connection;

pub struct TestDb {
    pub db: Db,
    pub url: String,
    pub engine: &'static str,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("relais.db").display());
    let db = relais_store::connect(&url).await.expect("SQLite database");
    TestDb {
        db,
        url,
        engine: "sqlite",
        _dir: Some(dir),
    }
}

/// The PostgreSQL server the PostgreSQL half of the tests runs on. Without
/// `RELAIS_TEST_POSTGRES_URL` that half fails, unless `RELAIS_TEST_POSTGRES=skip` says to skip
/// it knowingly (scripts/test does, and says so): a test that did not run never passes in
/// silence.
pub fn postgres_url() -> Option<String> {
    if let Some(url) = std::env::var("RELAIS_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Some(url);
    }
    if std::env::var("RELAIS_TEST_POSTGRES").as_deref() == Ok("skip") {
        eprintln!("SKIPPED: the PostgreSQL run of this test (RELAIS_TEST_POSTGRES=skip)");
        return None;
    }
    panic!(
        "the PostgreSQL run of this test can't run: set RELAIS_TEST_POSTGRES_URL \
         (postgres://postgres@127.0.0.1:5432/test, as CI does), or RELAIS_TEST_POSTGRES=skip \
         to skip it knowingly"
    )
}

/// A new PostgreSQL database, or `None` when the PostgreSQL half is skipped knowingly.
pub async fn postgres() -> Option<TestDb> {
    let base = postgres_url()?;
    let name = format!("relais_t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("PostgreSQL at RELAIS_TEST_POSTGRES_URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let _ = admin.close().await;
    let url = match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("RELAIS_TEST_POSTGRES_URL has no database name: {base}"),
    };
    let db = relais_store::connect(&url)
        .await
        .expect("PostgreSQL test database");
    Some(TestDb {
        db,
        url,
        engine: "postgres",
        _dir: None,
    })
}

/// The engines a storage test runs on: SQLite always, PostgreSQL when configured.
pub async fn engines() -> Vec<TestDb> {
    let mut all = vec![sqlite().await];
    all.extend(postgres().await);
    all
}

/// Runs SQL on the database at `url` outside of Relais: to put a database in a state that
/// only an older Relais or another program could have left.
pub async fn execute(url: &str, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("SQLite");
        sqlx::raw_sql(sql).execute(&mut c).await.expect("SQL runs");
        let _ = c.close().await;
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
        sqlx::raw_sql(sql).execute(&mut c).await.expect("SQL runs");
        let _ = c.close().await;
    }
}
