//! Signing in and out, the signed-in user's settings (language, password), and the guards
//! every page stands behind: the session, the CSRF token of forms, the sign-in throttle.
use super::form::{Form, FormErrors};
use super::i18n::{Lang, Tr};
use super::{Ctx, UiError, UiResult, render, render_with, see_other};
use crate::AppState;
use crate::extract::{CSRF_HEADER, SESSION_COOKIE, cookie};
use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use relais_core::users::{self, UserView};
use relais_core::{Actor, CoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/settings", get(settings_page))
        .route("/settings/language", post(set_language))
        .route("/settings/password", post(change_password))
}

/// The language of a visitor who is not signed in: their choice (a cookie set from the
/// sign-in page), else their browser's.
pub const LANG_COOKIE: &str = "relais_lang";
/// The anti-forgery value of the sign-in form, before there is a session to hold one.
const LOGIN_COOKIE: &str = "relais_login";

fn visitor_lang(parts: &Parts) -> Lang {
    cookie(parts, LANG_COOKIE)
        .and_then(|c| Lang::parse(&c))
        .unwrap_or_else(|| {
            Lang::from_accept(
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

/// The signed-in user of a page. Without a valid session the page answers with the sign-in
/// page, which brings the user back after.
pub struct Signed {
    pub actor: Actor,
    pub user: UserView,
    pub csrf: String,
    pub secret: String,
    pub tr: Tr,
}

impl Signed {
    pub fn ctx(&self, nav: &'static str) -> Ctx {
        Ctx {
            tr: self.tr,
            user_name: self.user.name.clone(),
            csrf: self.csrf.clone(),
            role: self.actor.role,
            nav,
        }
    }
}

/// A session found by the CSRF guard, handed to the page so it is read once per request.
#[derive(Clone)]
struct Found(Arc<(users::Session, String)>);

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_login = |parts: &Parts| {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next)
                .finish();
            see_other(&format!("/login?{q}"))
        };
        let found = match parts.extensions.get::<Found>() {
            Some(f) => f.0.clone(),
            None => {
                let Some(secret) = cookie(parts, SESSION_COOKIE) else {
                    return Err(to_login(parts));
                };
                match users::session(&state.db, &secret).await {
                    Ok(s) => Arc::new((s, secret)),
                    Err(CoreError::Unauthenticated) => return Err(to_login(parts)),
                    Err(e) => return Err(UiError::from(e).into_response()),
                }
            }
        };
        let (session, secret) = &*found;
        let lang = session
            .user
            .language
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or_else(|| visitor_lang(parts));
        Ok(Signed {
            actor: session.actor,
            user: session.user.clone(),
            csrf: session.csrf_token.clone(),
            secret: secret.clone(),
            tr: Tr::new(lang),
        })
    }
}

/// The largest form body a page takes (a long meeting report fits many times).
const MAX_FORM: usize = 2 * 1024 * 1024;

/// Every request that changes something must carry the session's CSRF token: in the form
/// field `_csrf`, in the `X-CSRF-Token` header (scripts), or in the query string (file
/// uploads, whose body is read by the page). A cross-site form can send the cookie, never
/// the token. The sign-in form has its own token (`LOGIN_COOKIE`).
pub async fn csrf_guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = check_csrf(s, req, next).await;
    protect(&mut res);
    res
}

/// Pages hold personal data and forms: not cached, not framed by another site, no address
/// leaked to other sites.
fn protect(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Only our own script and styles; no plugin, no framing, forms post here only. Inline
    // `style` attributes remain in a few templates, hence styles' 'unsafe-inline' (scripts
    // get no such leave).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                 img-src 'self' data:; object-src 'none'; base-uri 'none'; \
                 form-action 'self'; frame-ancestors 'none'",
            ),
        );
    }
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

async fn check_csrf(s: AppState, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.uri().path() == "/login"
    {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let Some(secret) = cookie(&parts, SESSION_COOKIE) else {
        return see_other("/login");
    };
    let session = match users::session(&s.db, &secret).await {
        Ok(session) => session,
        Err(CoreError::Unauthenticated) => return see_other("/login"),
        Err(e) => return UiError::from(e).into_response(),
    };
    let header_token = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let query_token = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.into_owned());
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let (body, form_token) = if is_form {
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        };
        let token = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.into_owned());
        (Body::from(bytes), token)
    } else {
        (body, None)
    };
    let sent = header_token.or(form_token).or(query_token);
    if !sent.is_some_and(|t| constant_time_eq(&t, &session.csrf_token)) {
        return UiError::Forbidden.into_response();
    }
    parts.extensions.insert(Found(Arc::new((session, secret))));
    next.run(Request::from_parts(parts, body)).await
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Failed sign-ins, counted three ways, so that guessing is slowed without letting a
/// stranger lock out a user who signs in correctly from their usual browser:
/// - an account from one address: after 5 failures, a delay before the next try, doubling
///   with each failure (1 min, 2, 4... at most 15);
/// - an account from anywhere (guesses spread over many addresses): the same after 20;
/// - an address, whatever the e-mails (a spray of passwords over many accounts): the same
///   after 30.
///
/// A browser that signed in as a user gets a device cookie (`DEVICE_COOKIE`): the account
/// and address delays spare it for that user, so failures by others, however many, don't
/// keep them out; only its own failures from its own address slow it. Counts are forgotten
/// 30 minutes after their last failure. Kept in memory: a restart forgets, which only a
/// local attacker could use (and a known browser then waits once like any other).
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    /// Device cookies given at sign-in: the token → the e-mail it signed in as, and when.
    devices: Mutex<HashMap<String, (String, Instant)>>,
}

/// The cookie that makes a browser known to the throttle once it signed in.
pub const DEVICE_COOKIE: &str = "relais_device";
/// How long a browser stays known after signing in.
pub const DEVICE_DAYS: u64 = 90;

impl Throttle {
    const PER_PAIR: u32 = 5;
    const PER_ACCOUNT: u32 = 20;
    const PER_ADDRESS: u32 = 30;
    const FIRST_DELAY: Duration = Duration::from_secs(60);
    const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
    /// Longer than the longest delay: a count outlives the delay it caused.
    const FORGET: Duration = Duration::from_secs(30 * 60);
    const MAX_DEVICES: usize = 100_000;

    fn pair(ip: &str, email: &str) -> String {
        format!("pair|{ip}|{}", email.trim().to_lowercase())
    }

    fn account(email: &str) -> String {
        format!("account|{}", email.trim().to_lowercase())
    }

    fn address(ip: &str) -> String {
        format!("address|{ip}")
    }

    /// The delay after `n` failures when `free` are let through.
    fn delay(n: u32, free: u32) -> Option<Duration> {
        let over = n.checked_sub(free)?;
        let factor = 2u32.saturating_pow(over.min(10));
        Some(
            Self::FIRST_DELAY
                .saturating_mul(factor)
                .min(Self::MAX_DELAY),
        )
    }

    fn left(map: &HashMap<String, (u32, Instant)>, key: &str, free: u32) -> Option<Duration> {
        let (n, last) = map.get(key)?;
        Self::delay(*n, free)?.checked_sub(last.elapsed())
    }

    /// Whether this browser signed in as this user (recently enough).
    fn knows(&self, device: Option<&str>, email: &str) -> bool {
        let Some(device) = device else {
            return false;
        };
        let devices = self.devices.lock().unwrap_or_else(|p| p.into_inner());
        let max_age = Duration::from_secs(DEVICE_DAYS * 24 * 3600);
        devices.get(device).is_some_and(|(who, since)| {
            *who == email.trim().to_lowercase() && since.elapsed() < max_age
        })
    }

    /// How long until this address (and browser) may try this e-mail again; None: now.
    pub fn wait(&self, ip: &str, email: &str, device: Option<&str>) -> Option<Duration> {
        let known = self.knows(device, email);
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut waits = vec![Self::left(&map, &Self::pair(ip, email), Self::PER_PAIR)];
        if !known {
            waits.push(Self::left(&map, &Self::account(email), Self::PER_ACCOUNT));
            waits.push(Self::left(&map, &Self::address(ip), Self::PER_ADDRESS));
        }
        waits.into_iter().flatten().max()
    }

    pub fn failed(&self, ip: &str, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (_, last)| last.elapsed() < Self::FORGET);
        let now = Instant::now();
        for key in [
            Self::pair(ip, email),
            Self::account(email),
            Self::address(ip),
        ] {
            let e = map.entry(key).or_insert((0, now));
            e.0 += 1;
            e.1 = now;
        }
    }

    /// After a sign-in: this pair starts afresh, and the browser is known for this user
    /// from now on. Returns the device cookie's value to give it.
    pub fn succeeded(&self, ip: &str, email: &str) -> Option<String> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&Self::pair(ip, email));
        drop(map);
        let token = relais_core::auth::new_secret("").ok()?;
        let mut devices = self.devices.lock().unwrap_or_else(|p| p.into_inner());
        if devices.len() >= Self::MAX_DEVICES {
            let max_age = Duration::from_secs(DEVICE_DAYS * 24 * 3600);
            devices.retain(|_, (_, since)| since.elapsed() < max_age);
        }
        if devices.len() < Self::MAX_DEVICES {
            devices.insert(token.clone(), (email.trim().to_lowercase(), Instant::now()));
        }
        Some(token)
    }
}

#[cfg(test)]
mod throttle_tests {
    use super::Throttle;

    #[test]
    fn failures_slow_an_account_and_spare_its_user_on_their_own_browser() {
        let t = Throttle::default();
        let device = t.succeeded("1.2.3.4", "ada@x.example");
        for _ in 0..5 {
            t.failed("1.2.3.4", "ada@x.example");
        }
        let wait = t.wait("1.2.3.4", "ada@x.example", None).expect("a delay");
        assert!(wait.as_secs() > 50 && wait.as_secs() <= 60, "{wait:?}");
        assert!(
            t.wait("5.6.7.8", "ada@x.example", None).is_none(),
            "another address"
        );
        // Guesses on her account from many addresses: strangers wait, she does not.
        for i in 0..30 {
            t.failed(&format!("10.0.0.{i}"), "ada@x.example");
        }
        assert!(t.wait("9.9.9.9", "ada@x.example", None).is_some());
        assert!(
            t.wait("9.9.9.9", "ada@x.example", device.as_deref())
                .is_none(),
            "her browser is known"
        );
        assert!(
            t.wait("9.9.9.9", "grace@x.example", device.as_deref())
                .is_none(),
            "an account without failures"
        );
    }

    #[test]
    fn a_spray_from_one_address_waits_but_a_known_browser_behind_it_does_not() {
        let t = Throttle::default();
        let grace = t.succeeded("1.2.3.4", "grace@x.example");
        for i in 0..30 {
            t.failed("1.2.3.4", &format!("user{i}@x.example"));
        }
        assert!(
            t.wait("1.2.3.4", "someone@x.example", None).is_some(),
            "past 30 failures the address waits"
        );
        assert!(
            t.wait("1.2.3.4", "grace@x.example", grace.as_deref())
                .is_none()
        );
        assert!(
            t.wait("1.2.3.4", "ada@x.example", grace.as_deref())
                .is_some(),
            "a browser is known for the user who signed in on it only"
        );
    }

    #[test]
    fn the_delay_doubles_and_stops_at_fifteen_minutes() {
        assert_eq!(Throttle::delay(4, 5), None);
        assert_eq!(Throttle::delay(5, 5).unwrap().as_secs(), 60);
        assert_eq!(Throttle::delay(6, 5).unwrap().as_secs(), 120);
        assert_eq!(Throttle::delay(9, 5).unwrap().as_secs(), 900);
        assert_eq!(Throttle::delay(500, 5).unwrap().as_secs(), 900);
    }
}

/// The client's address, when the server knows it (not in router tests).
pub fn client(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<crate::listener::ClientAddr>>()
        .map(|c| c.0.0.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// A page to come back to after signing in: a path of this site, never another site.
fn local_path(next: Option<&String>) -> String {
    next.filter(|n| is_local_path(n))
        .cloned()
        .unwrap_or_else(|| "/".into())
}

/// A path of this site: one slash first, then no second one, no backslash and no control
/// character (browsers drop tabs and newlines, so "/\t/evil.example" is "//evil.example").
pub fn is_local_path(p: &str) -> bool {
    p.strip_prefix('/')
        .is_some_and(|rest| !rest.starts_with('/'))
        && !p.chars().any(|c| c == '\\' || c.is_control())
}

fn set_cookie(res: &mut Response, name: &str, value: &str, max_age: i64, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    email: String,
    next: String,
    token: String,
    error: Option<String>,
}

async fn login_page(State(s): State<AppState>, parts: Parts) -> UiResult {
    let q: HashMap<String, String> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let mut lang = visitor_lang(&parts);
    let chosen = q.get("lang").and_then(|l| Lang::parse(l));
    if let Some(l) = chosen {
        lang = l;
    }
    let token = relais_core::auth::new_secret("")?;
    let page = LoginPage {
        tr: Tr::new(lang),
        email: String::new(),
        next: local_path(q.get("next")),
        token: token.clone(),
        error: None,
    };
    let mut res = render(&page);
    set_cookie(&mut res, LOGIN_COOKIE, &token, 3600, s.secure_cookies);
    if let Some(l) = chosen {
        set_cookie(
            &mut res,
            LANG_COOKIE,
            l.code(),
            365 * 24 * 3600,
            s.secure_cookies,
        );
    }
    Ok(res)
}

async fn login(State(s): State<AppState>, parts: Parts, Form(f): Form) -> UiResult {
    let tr = Tr::new(visitor_lang(&parts));
    let email = f.get("email").trim().to_string();
    let next = local_path(Some(&f.get("next").to_string()));
    let again = |error: String, status: StatusCode| -> UiResult {
        let token = relais_core::auth::new_secret("")?;
        let page = LoginPage {
            tr,
            email: email.clone(),
            next: next.clone(),
            token: token.clone(),
            error: Some(error),
        };
        let mut res = render_with(status, &page);
        set_cookie(&mut res, LOGIN_COOKIE, &token, 3600, s.secure_cookies);
        Ok(res)
    };
    let expected = cookie(&parts, LOGIN_COOKIE);
    if !expected.is_some_and(|t| constant_time_eq(&t, f.get("_login"))) {
        return again(tr.t("login.expired").into(), StatusCode::FORBIDDEN);
    }
    let ip = client(&parts.extensions);
    let device = cookie(&parts, DEVICE_COOKIE);
    if let Some(wait) = s.throttle.wait(&ip, &email, device.as_deref()) {
        let minutes = wait.as_secs().div_ceil(60).to_string();
        return again(
            tr.fill("login.throttled", &[("minutes", &minutes)]),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    match users::sign_in(&s.db, &email, f.get("password")).await {
        Ok((secret, _, _)) => {
            let known = s.throttle.succeeded(&ip, &email);
            let mut res = see_other(&next);
            if let Some(device) = known {
                let max_age = (DEVICE_DAYS * 24 * 3600) as i64;
                set_cookie(&mut res, DEVICE_COOKIE, &device, max_age, s.secure_cookies);
            }
            let max_age = users::SESSION_DAYS * 24 * 3600;
            set_cookie(&mut res, SESSION_COOKIE, &secret, max_age, s.secure_cookies);
            set_cookie(&mut res, LOGIN_COOKIE, "", 0, s.secure_cookies);
            Ok(res)
        }
        Err(CoreError::Unauthenticated) => {
            s.throttle.failed(&ip, &email);
            again(tr.t("login.wrong").into(), StatusCode::UNAUTHORIZED)
        }
        Err(e) => Err(e.into()),
    }
}

async fn logout(State(s): State<AppState>, me: Signed) -> UiResult {
    users::sign_out(&s.db, &me.secret).await?;
    let mut res = see_other("/login");
    set_cookie(&mut res, SESSION_COOKIE, "", 0, s.secure_cookies);
    Ok(res)
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    ctx: Ctx,
    user: UserView,
    language: String,
    errors: FormErrors,
    saved: Option<&'static str>,
}

fn settings(me: &Signed, errors: FormErrors, saved: Option<&'static str>) -> SettingsPage {
    SettingsPage {
        ctx: me.ctx("settings"),
        user: me.user.clone(),
        language: me.user.language.clone().unwrap_or_default(),
        errors,
        saved,
    }
}

async fn settings_page(me: Signed, parts: Parts) -> UiResult {
    let saved = match parts.uri.query() {
        Some("saved=language") => Some("settings.language_saved"),
        Some("saved=password") => Some("settings.password_saved"),
        _ => None,
    };
    Ok(render(&settings(&me, FormErrors::default(), saved)))
}

async fn set_language(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    let lang = Some(f.get("language")).filter(|l| !l.is_empty());
    match users::set_language(&s.db, &me.actor, lang).await {
        Ok(()) => Ok(see_other("/settings?saved=language")),
        Err(CoreError::Invalid(i)) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &settings(&me, FormErrors::from_invalid(&i, me.tr), None),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn change_password(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    // Someone holding a stolen session must not guess the password at will.
    let key = format!("password change by {}", me.user.id.0);
    if let Some(wait) = s.throttle.wait(&key, &key, None) {
        let mut errors = FormErrors::default();
        let minutes = wait.as_secs().div_ceil(60).to_string();
        errors.add(
            "current_password",
            &me.tr.fill("login.throttled", &[("minutes", &minutes)]),
        );
        return Ok(render_with(
            StatusCode::TOO_MANY_REQUESTS,
            &settings(&me, errors, None),
        ));
    }
    let (new, again) = (f.get("new_password"), f.get("new_password_again"));
    if new != again {
        let mut errors = FormErrors::default();
        errors.add("new_password_again", me.tr.t("settings.password_mismatch"));
        return Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &settings(&me, errors, None),
        ));
    }
    let current = f.get("current_password");
    match users::change_password(&s.db, &me.actor, current, new, &me.secret).await {
        Ok(()) => Ok(see_other("/settings?saved=password")),
        Err(CoreError::Invalid(i)) => {
            if i.0.iter().any(|e| e.field == "current_password") {
                s.throttle.failed(&key, &key);
            }
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &settings(&me, FormErrors::from_invalid(&i, me.tr), None),
            ))
        }
        Err(e) => Err(e.into()),
    }
}
