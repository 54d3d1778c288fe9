//! The test harness: a fresh database per test (SQLite always, PostgreSQL when
//! `RELAIS_TEST_POSTGRES_URL` is set), the router over it, an admin token, and requests sent
//! with `tower::ServiceExt::oneshot` (no socket).
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use relais_core::users::{self, UserDraft};
use relais_core::{Actor, Db};
use relais_domain::{Role, UserId};
use relais_web::{AppState, app};
use serde_json::{Value, json};
use sqlx::Connection;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt;

/// What every request answers: the status, the headers and the body (JSON; a body that is
/// not JSON comes as a string, an empty one as `null`).
pub type Answer = (StatusCode, HeaderMap, Value);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub router: Router,
    pub db: Db,
    /// A bearer token of an admin, sent when a request names no other credentials.
    pub token: String,
    pub admin_id: UserId,
    pub engine: Engine,
    /// Keeps the SQLite file alive as long as the app.
    _dir: Option<tempfile::TempDir>,
}

/// A request body: nothing, or a JSON value.
pub trait IntoBody {
    fn into_json(self) -> Option<Value>;
}

impl IntoBody for () {
    fn into_json(self) -> Option<Value> {
        None
    }
}

impl IntoBody for Value {
    fn into_json(self) -> Option<Value> {
        Some(self)
    }
}

impl IntoBody for Option<Value> {
    fn into_json(self) -> Option<Value> {
        self
    }
}

/// `Authorization: Bearer <token>` as a header pair value.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A query string from pairs, percent-encoded (`?a=1&b=%2B33`).
pub fn qs(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    format!("?{}", s.finish())
}

/// The `field` of each entry of a problem's `errors`.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts an RFC 9457 problem answer of `status`.
#[track_caller]
pub fn assert_problem(answer: &Answer, status: StatusCode) {
    let (got, headers, body) = answer;
    assert_eq!(*got, status, "status; body: {body}");
    assert_eq!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "content type of a problem"
    );
    assert_eq!(body["status"], status.as_u16(), "problem status member");
    assert!(
        body["type"].is_string() && body["title"].is_string(),
        "{body}"
    );
}

/// A 422 naming `field` in `errors[].field`.
#[track_caller]
pub fn assert_invalid(answer: &Answer, field: &str) {
    assert_problem(answer, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = error_fields(&answer.2);
    assert!(
        fields.iter().any(|f| f == field),
        "expected an error on '{field}', got {fields:?}: {}",
        answer.2
    );
}

/// The value of a header, as text.
pub fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The ids of a list page's items, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list page: {page}"))
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect()
}

static USERS: AtomicUsize = AtomicUsize::new(0);

impl TestApp {
    async fn start(url: &str, engine: Engine, dir: Option<tempfile::TempDir>) -> TestApp {
        let db = relais_core::connect(url)
            .await
            .unwrap_or_else(|e| panic!("database at {url}: {e}"));
        let router = app(AppState::new(db.clone(), false));
        spawn_worker(&db);
        let mut app = TestApp {
            router,
            db,
            token: String::new(),
            admin_id: UserId::new(),
            engine,
            _dir: dir,
        };
        let (admin_id, token) = app.user(Role::Admin).await;
        app.admin_id = admin_id;
        app.token = token;
        app
    }

    /// A new user of `role` (no password: hashing is slow in debug builds) and a token of theirs.
    pub async fn user(&self, role: Role) -> (UserId, String) {
        let n = USERS.fetch_add(1, Ordering::Relaxed);
        let draft = UserDraft {
            email: format!("{}.{n}@relais.example", role.as_str()),
            name: format!("Test {} {n}", role.as_str()),
            role: role.as_str().into(),
            team_id: None,
            password: None,
        };
        let u = users::create(&self.db, &Actor::SYSTEM, draft)
            .await
            .expect("create user");
        let (_, token) = users::create_token(&self.db, &Actor::SYSTEM, u.id, "tests")
            .await
            .expect("create token");
        (u.id, token)
    }

    pub async fn get(&self, path: &str, body: impl IntoBody, headers: &[(&str, &str)]) -> Answer {
        self.call(Method::GET, path, body, headers).await
    }

    pub async fn post(&self, path: &str, body: impl IntoBody, headers: &[(&str, &str)]) -> Answer {
        self.call(Method::POST, path, body, headers).await
    }

    /// A JSON merge patch (`application/merge-patch+json`).
    pub async fn patch(&self, path: &str, body: impl IntoBody, headers: &[(&str, &str)]) -> Answer {
        self.call(Method::PATCH, path, body, headers).await
    }

    pub async fn delete(
        &self,
        path: &str,
        body: impl IntoBody,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.call(Method::DELETE, path, body, headers).await
    }

    /// Any method, a JSON body or none. The admin's bearer token is sent unless `headers`
    /// name an `authorization` (an empty one sends none) or a `cookie`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: impl IntoBody,
        headers: &[(&str, &str)],
    ) -> Answer {
        let (content_type, bytes) = match body.into_json() {
            Some(v) => {
                let ct = if method == Method::PATCH {
                    "application/merge-patch+json"
                } else {
                    "application/json"
                };
                (Some(ct), serde_json::to_vec(&v).expect("JSON body"))
            }
            None => (None, Vec::new()),
        };
        self.raw(method, path, content_type, bytes, headers).await
    }

    /// A request with any body and content type (malformed JSON, another media type...).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .body(body.into())
            .expect("request");
        let h = req.headers_mut();
        if let Some(ct) = content_type {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        }
        let named = |n: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
        if !named("authorization") && !named("cookie") {
            h.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(&bearer(&self.token)).unwrap(),
            );
        }
        for (k, v) in headers {
            if k.eq_ignore_ascii_case("authorization") && v.is_empty() {
                continue;
            }
            h.append(
                header::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                HeaderValue::from_str(v).expect("header value"),
            );
        }
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        let res = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("the router answers");
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.expect("response body").to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (parts.status, parts.headers, value)
    }

    /// Creates a person as the admin; panics unless 201.
    pub async fn person(&self, body: Value) -> Value {
        let (status, _, p) = self.post("/api/v1/people", body, &[]).await;
        assert_eq!(status, StatusCode::CREATED, "create person: {p}");
        p
    }

    /// Creates a company as the admin; panics unless 201.
    pub async fn company(&self, body: Value) -> Value {
        let (status, _, c) = self.post("/api/v1/companies", body, &[]).await;
        assert_eq!(status, StatusCode::CREATED, "create company: {c}");
        c
    }

    /// Defines a custom field as the admin; panics unless 201.
    pub async fn custom_field(&self, entity: &str, key: &str, kind: &str, choices: &[&str]) {
        let body =
            json!({"entity": entity, "key": key, "label": key, "kind": kind, "choices": choices});
        let (status, _, f) = self.post("/api/v1/custom-fields", body, &[]).await;
        assert_eq!(status, StatusCode::CREATED, "create custom field: {f}");
    }
}

/// A job worker for the app, as `relais serve` runs one; it polls often so that tests wait
/// little. It ends with the test's runtime.
pub fn spawn_worker(db: &Db) {
    let mut worker =
        relais_core::jobs::Worker::new(db.clone(), relais_core::jobs::Registry::standard());
    worker.poll = std::time::Duration::from_millis(20);
    tokio::spawn(worker.run(std::future::pending::<()>()));
}

/// Runs a scenario on a fresh SQLite file.
pub async fn on_sqlite<F, Fut>(scenario: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("relais.db").display());
    let app = TestApp::start(&url, Engine::Sqlite, Some(dir)).await;
    let db = app.db.clone();
    let outcome = tokio::spawn(scenario(app)).await;
    db.close().await;
    finish(outcome);
}

/// Runs a scenario on a new PostgreSQL database, dropped afterwards (see
/// `relais_testkit::postgres_url` for when there is none).
pub async fn on_postgres<F, Fut>(scenario: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(base) = relais_testkit::postgres_url() else {
        return;
    };
    let name = format!("relais_t_{}", uuid::Uuid::new_v4().simple());
    admin_sql(&base, &format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("create database {name} through {base}: {e}"));
    let app = TestApp::start(&database_url(&base, &name), Engine::Postgres, None).await;
    let db = app.db.clone();
    let outcome = tokio::spawn(scenario(app)).await;
    db.close().await;
    if let Err(e) = admin_sql(
        &base,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    )
    .await
    {
        eprintln!("note: could not drop {name}: {e}");
    }
    finish(outcome);
}

fn finish(outcome: Result<(), tokio::task::JoinError>) {
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("scenario did not finish: {e}"),
        }
    }
}

async fn admin_sql(base: &str, sql: &str) -> Result<(), sqlx::Error> {
    let mut conn = sqlx::PgConnection::connect(base).await?;
    let res = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    res.map(drop)
}

/// `base` with its database name replaced by `name` (query string kept).
fn database_url(base: &str, name: &str) -> String {
    let (url, query) = match base.split_once('?') {
        Some((u, q)) => (u, Some(q)),
        None => (base, None),
    };
    let scheme_end = url.find("://").map(|i| i + 3).unwrap_or(0);
    let server = match url[scheme_end..].find('/') {
        Some(slash) => &url[..scheme_end + slash],
        None => url,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// Runs raw SQL on the test's database (for what the API does not show: stored hashes, a
/// concurrent writer).
pub async fn sql_strings(db: &Db, sql: &str) -> Vec<String> {
    match db {
        Db::Sqlite(pool, _) => {
            sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.to_string()))
                .fetch_all(pool)
                .await
                .expect("SQLite query")
        }
        Db::Postgres(pool) => sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(pool)
            .await
            .expect("PostgreSQL query"),
    }
}

#[test]
fn database_urls_swap_the_name_only() {
    assert_eq!(
        database_url("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        database_url("postgres://u:p@h/test?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        database_url("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}

/// A signed-in browser on the web app: its session cookie and the CSRF token its forms carry.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookie: String,
    pub csrf: String,
    /// Sent as `Accept-Language`.
    pub language: &'static str,
}

/// What a page answers: the status, the headers, the HTML.
pub type PageAnswer = (StatusCode, HeaderMap, String);

impl TestApp {
    /// A new user of `role`, signed in through a session made directly in the store (a
    /// password hash per test would be slow in debug builds; signing in by the form has
    /// its own tests).
    pub async fn browser(&self, role: Role) -> Browser<'_> {
        let (user, _) = self.user(role).await;
        let secret = relais_core::auth::new_secret("").unwrap();
        let csrf = relais_core::auth::new_secret("").unwrap();
        let now = chrono::Utc::now();
        let mut tx = self.db.write().await.unwrap();
        relais_store::users::insert_session(
            &mut tx,
            &relais_core::auth::hash_secret(&secret),
            user,
            &csrf,
            now,
            now + chrono::Duration::days(1),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        Browser {
            app: self,
            cookie: format!("relais_session={secret}"),
            csrf,
            language: "en",
        }
    }

    /// A page request: no bearer token, the given headers only.
    pub async fn page(
        &self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
        headers: &[(&str, &str)],
    ) -> PageAnswer {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = match form {
            Some(pairs) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                let mut s = form_urlencoded::Serializer::new(String::new());
                for (k, v) in pairs {
                    s.append_pair(k, v);
                }
                Body::from(s.finish())
            }
            None => Body::empty(),
        };
        let res = self
            .router
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .expect("the router answers");
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.expect("response body").to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }
}

impl TestApp {
    /// A page request with a body of any type (a file upload).
    pub async fn page_raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> PageAnswer {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .expect("the router answers");
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.expect("response body").to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }
}

impl Browser<'_> {
    pub async fn get(&self, path: &str) -> PageAnswer {
        self.app
            .page(
                Method::GET,
                path,
                None,
                &[("cookie", &self.cookie), ("accept-language", self.language)],
            )
            .await
    }

    /// Posts a form with the session's CSRF token.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> PageAnswer {
        let mut pairs = vec![("_csrf", self.csrf.as_str())];
        pairs.extend_from_slice(form);
        self.post_raw(path, &pairs).await
    }

    /// Posts a form as given (no token added).
    pub async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> PageAnswer {
        self.app
            .page(
                Method::POST,
                path,
                Some(form),
                &[("cookie", &self.cookie), ("accept-language", self.language)],
            )
            .await
    }
}

/// Where a redirect points.
pub fn location(headers: &HeaderMap) -> String {
    headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}
