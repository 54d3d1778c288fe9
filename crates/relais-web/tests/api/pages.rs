//! The web app, page by page, through the real router: sessions, CSRF, forms and their
//! errors, escaping, roles, languages, the timeline, edit conflicts.
use crate::helpers::{Browser, TestApp, location};
use axum::http::{Method, StatusCode, header};
use relais_domain::Role;
use serde_json::json;

/// The id in a `/people/<id>` address.
fn person_id(path: &str) -> String {
    path.trim_start_matches("/people/")
        .split(['/', '#', '?'])
        .next()
        .unwrap()
        .to_string()
}

both!(pages_send_strangers_to_the_sign_in_page, strangers);
async fn strangers(app: TestApp) {
    let (status, headers, _) = app.page(Method::GET, "/people?q=elo", None, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/login?next=%2Fpeople%3Fq%3Delo");
    let (status, _, html) = app
        .page(
            Method::GET,
            "/login",
            None,
            &[("accept-language", "fr-FR,fr;q=0.9")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Mot de passe"), "{html}");
    let (_, headers, _) = app.page(Method::GET, "/login", None, &[]).await;
    assert_eq!(
        headers[header::X_FRAME_OPTIONS],
        "DENY",
        "never framed by another site"
    );
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"),
        "a strict content security policy: {csp}"
    );
    // A forged session is no session.
    let (status, _, _) = app
        .page(
            Method::GET,
            "/",
            None,
            &[("cookie", "relais_session=forged")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

/// The sign-in form's token and cookie.
async fn login_form(app: &TestApp) -> (String, String) {
    let (_, headers, html) = app.page(Method::GET, "/login", None, &[]).await;
    let cookie = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("relais_login="))
        .expect("sign-in cookie");
    let cookie = cookie.split(';').next().unwrap().to_string();
    let token = html
        .split("name=\"_login\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("sign-in token")
        .to_string();
    (cookie, token)
}

both!(
    signing_in_by_the_form_opens_a_session_and_failures_are_throttled,
    sign_in
);
async fn sign_in(app: TestApp) {
    let draft = relais_core::users::UserDraft {
        email: "claire@relais.example".into(),
        name: "Claire Dumas".into(),
        role: "sales".into(),
        team_id: None,
        password: Some("a long enough passphrase".into()),
    };
    relais_core::users::create(&app.db, &relais_core::Actor::SYSTEM, draft)
        .await
        .unwrap();
    let (cookie, token) = login_form(&app).await;
    let attempt = |password: &'static str, token: String, cookie: String| {
        let app = &app;
        async move {
            app.page(
                Method::POST,
                "/login",
                Some(&[
                    ("_login", token.as_str()),
                    ("next", "/people"),
                    ("email", "claire@relais.example"),
                    ("password", password),
                ]),
                &[("cookie", &cookie), ("accept-language", "en")],
            )
            .await
        }
    };
    // Without the form's own token: refused (a login forged from another site).
    let (status, _, _) = attempt("a long enough passphrase", "forged".into(), cookie.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, html) = attempt("wrong", token.clone(), cookie.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("Wrong e-mail or password"), "{html}");
    assert!(html.contains("claire@relais.example"), "the e-mail is kept");
    let (status, headers, _) =
        attempt("a long enough passphrase", token.clone(), cookie.clone()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/people");
    let session = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("relais_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let session = session.split(';').next().unwrap().to_string();
    let (status, _, html) = app
        .page(
            Method::GET,
            "/",
            None,
            &[("cookie", &session), ("accept-language", "en")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Claire Dumas"));
    // Five failures shut the door for a while, even to the right password.
    for _ in 0..5 {
        attempt("wrong", token.clone(), cookie.clone()).await;
    }
    let (status, _, html) =
        attempt("a long enough passphrase", token.clone(), cookie.clone()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("Too many failed attempts"), "{html}");
    // Signing out ends the session.
    let csrf = relais_core::users::session(&app.db, session.trim_start_matches("relais_session="))
        .await
        .unwrap()
        .csrf_token;
    let (status, _, _) = app
        .page(
            Method::POST,
            "/logout",
            Some(&[("_csrf", csrf.as_str())]),
            &[("cookie", &session)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = app
        .page(Method::GET, "/", None, &[("cookie", &session)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the session is over");
}

both!(a_form_without_the_csrf_token_changes_nothing, csrf);
async fn csrf(app: TestApp) {
    let b = app.browser(Role::Sales).await;
    let (status, _, _) = b
        .post_raw("/people", &[("first_name", "Mallory"), ("stage", "lead")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = b
        .post_raw(
            "/people",
            &[
                ("_csrf", "guessed"),
                ("first_name", "Mallory"),
                ("stage", "lead"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, page) = app.get("/api/v1/people", (), &[]).await;
    assert_eq!(page["items"], json!([]), "nobody was created");
}

both!(
    a_person_created_by_the_form_is_shown_with_user_text_escaped,
    create_and_show
);
async fn create_and_show(app: TestApp) {
    let b = app.browser(Role::Sales).await;
    let (status, headers, _) = b
        .post(
            "/people",
            &[
                ("first_name", "<script>alert(1)</script>"),
                ("last_name", "Poulain & Fils"),
                ("company", "Café des Deux Moulins"),
                ("emails[0].address", "amelie@deuxmoulins.example"),
                ("phones[0].number", "06 40 50 60 70"),
                ("birthday", "03/09/1973"),
                ("stage", "customer"),
                ("tags", "vip, paris"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let path = location(&headers);
    let (status, _, html) = b.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
    assert!(
        !html.contains("<script>alert(1)"),
        "user text is never markup"
    );
    assert!(html.contains("Poulain &#38; Fils"));
    assert!(html.contains("Café des Deux Moulins"));
    assert!(html.contains("+33640506070"));
    assert!(html.contains("3 Sep 1973"), "the birthday in English");
    // The company was created and linked, and the list finds her by it.
    let (_, _, list) = b.get("/people?q=moulins").await;
    assert!(
        list.contains(&format!("/people/{}", person_id(&path))),
        "{list}"
    );
    let (_, _, list) = b.get("/people?q=zorglub").await;
    assert!(list.contains("Nobody matches"));
}

both!(form_errors_are_shown_next_to_their_field, form_errors);
async fn form_errors(app: TestApp) {
    let b = app.browser(Role::Sales).await;
    let (status, _, html) = b
        .post(
            "/people",
            &[
                ("first_name", "Zoé"),
                ("emails[0].address", "not-an-email"),
                ("phones[0].number", "12"),
                ("birthday", "32/13/2000"),
                ("stage", "lead"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for input in ["emails[0].address", "phones[0].number", "birthday"] {
        let tag = html
            .split(&format!("name=\"{input}\""))
            .nth(1)
            .and_then(|r| r.split('>').next())
            .unwrap_or_else(|| panic!("input {input} in {html}"));
        assert!(tag.contains("aria-invalid=\"true\""), "{input}: {tag}");
        assert!(html.contains(&format!("id=\"{input}-error\"")), "{input}");
    }
    assert!(html.contains("value=\"Zoé\""), "what was typed is kept");
    let (_, _, page) = app.get("/api/v1/people", (), &[]).await;
    assert_eq!(page["items"], json!([]), "nothing half-written");
}

both!(
    a_meeting_logged_with_its_report_is_on_the_timeline,
    log_meeting
);
async fn log_meeting(app: TestApp) {
    let b = app.browser(Role::Support).await;
    let p = app
        .person(json!({"first_name": "Ada", "last_name": "Lovelace"}))
        .await;
    let path = format!("/people/{}", p["id"].as_str().unwrap());
    let report = "Compte rendu :\n- besoin d'un devis\n- rappeler en janvier";
    let (status, headers, _) = b
        .post(
            &format!("{path}/interactions"),
            &[
                ("kind", "meeting"),
                ("direction", "outbound"),
                ("occurred_at", "2026-11-30T14:05"),
                ("tz_offset", "-60"),
                ("duration_minutes", "45"),
                ("subject", "Rendez-vous annuel"),
                ("body", report),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("{path}#timeline"));
    let (_, _, html) = b.get(&path).await;
    assert!(html.contains("Rendez-vous annuel"));
    assert!(
        html.contains("besoin d&#x27;un devis") || html.contains("besoin d&#39;un devis"),
        "{html}"
    );
    assert!(
        html.contains("2026-11-30T13:05:00+00:00"),
        "read in the user's zone"
    );
    assert!(html.contains("45 min"));
    // The kind filter: no call on record.
    let (_, _, calls) = b.get(&format!("{path}?kind=call")).await;
    assert!(!calls.contains("Rendez-vous annuel"));
    let (_, _, meetings) = b.get(&format!("{path}?kind=meeting")).await;
    assert!(meetings.contains("Rendez-vous annuel"));
    // A bad time is a form error, and nothing is logged.
    let (status, _, html) = b
        .post(
            &format!("{path}/interactions"),
            &[
                ("kind", "call"),
                ("occurred_at", "yesterday"),
                ("subject", "Oops"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("occurred_at-error"));
    let (_, _, again) = b.get(&path).await;
    assert!(!again.contains("Oops"));
}

both!(tasks_are_added_and_ticked_off, tasks);
async fn tasks(app: TestApp) {
    let b = app.browser(Role::Sales).await;
    let p = app.person(json!({"first_name": "Grace"})).await;
    let path = format!("/people/{}", p["id"].as_str().unwrap());
    let (status, _, _) = b
        .post(
            &format!("{path}/tasks"),
            &[("title", "Envoyer le devis"), ("due", "2020-01-02")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = b.get(&path).await;
    assert!(html.contains("Envoyer le devis"));
    assert!(
        html.contains("class=\"overdue\""),
        "a past due date shows as overdue"
    );
    let (_, _, home) = b.get("/").await;
    assert!(home.contains("Envoyer le devis"), "on my day too");
    let task = html
        .split("action=\"/tasks/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    let (status, _, _) = b.post(&format!("/tasks/{task}/done"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = b.get(&path).await;
    assert!(!html.contains("Envoyer le devis"));
}

both!(
    an_edit_that_meets_a_change_made_meanwhile_shows_both_versions,
    edit_conflict
);
async fn edit_conflict(app: TestApp) {
    let b = app.browser(Role::Sales).await;
    let p = app
        .person(json!({"first_name": "Jean", "last_name": "Moulin", "job_title": "Préfet"}))
        .await;
    let id = p["id"].as_str().unwrap();
    let (_, _, form) = b.get(&format!("/people/{id}/edit")).await;
    assert!(form.contains("name=\"version\" value=\"1\""), "{form}");
    // Meanwhile, someone else changes the job title and the notes.
    let (status, _, _) = app
        .patch(
            &format!("/api/v1/people/{id}"),
            json!({"job_title": "Résistant", "notes": "Appeler le mardi"}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mine = [
        ("version", "1"),
        ("first_name", "Jean"),
        ("last_name", "Moulin"),
        ("job_title", "Président du CNR"),
        ("stage", "lead"),
        ("notes", ""),
        ("base.first_name", "Jean"),
        ("base.last_name", "Moulin"),
        ("base.job_title", "Préfet"),
        ("base.stage", "lead"),
        ("base.notes", ""),
    ];
    let (status, _, html) = b.post(&format!("/people/{id}/edit"), &mine).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("Someone changed this person meanwhile"));
    assert!(
        html.contains("Président du CNR") && html.contains("Résistant"),
        "both versions"
    );
    assert!(html.contains("name=\"choose.job_title\""));
    assert!(
        html.contains("Appeler le mardi"),
        "what only they changed is kept"
    );
    assert!(html.contains("name=\"version\" value=\"2\""));
    let (_, _, now) = app.get(&format!("/api/v1/people/{id}"), (), &[]).await;
    assert_eq!(now["job_title"], "Résistant", "nothing overwritten");
    // The user keeps their title; the other person's notes stay.
    let (status, _, _) = b
        .post(
            &format!("/people/{id}/edit"),
            &[
                ("version", "2"),
                ("first_name", "Jean"),
                ("last_name", "Moulin"),
                ("job_title", "Président du CNR"),
                ("stage", "lead"),
                ("notes", "Appeler le mardi"),
                ("choose.job_title", "mine"),
                ("base.job_title", "Résistant"),
                ("base.notes", "Appeler le mardi"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, now) = app.get(&format!("/api/v1/people/{id}"), (), &[]).await;
    assert_eq!(now["job_title"], "Président du CNR");
    assert_eq!(now["notes"], "Appeler le mardi");
    // Choosing theirs takes the stored value.
    let (status, _, _) = b
        .post(
            &format!("/people/{id}/edit"),
            &[
                ("version", "3"),
                ("first_name", "Jean"),
                ("last_name", "Moulin"),
                ("job_title", "Anything"),
                ("stage", "lead"),
                ("choose.job_title", "theirs"),
                ("base.job_title", "Président du CNR"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, now) = app.get(&format!("/api/v1/people/{id}"), (), &[]).await;
    assert_eq!(now["job_title"], "Président du CNR");
}

both!(what_a_role_may_not_do_it_does_not_see, roles);
async fn roles(app: TestApp) {
    let p = app.person(json!({"first_name": "Noé"})).await;
    let path = format!("/people/{}", p["id"].as_str().unwrap());
    let reader = app.browser(Role::ReadOnly).await;
    let (_, _, list) = reader.get("/people").await;
    assert!(!list.contains("href=\"/people/new\""));
    let (_, _, page) = reader.get(&path).await;
    assert!(!page.contains("/edit\""), "no edit button");
    assert!(!page.contains("/interactions\""), "no quick log");
    assert!(!page.contains("/delete\""));
    let (status, _, _) = reader
        .post("/people", &[("first_name", "Intrus"), ("stage", "lead")])
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "and the server refuses anyway"
    );
    let sales = app.browser(Role::Sales).await;
    let (_, _, page) = sales.get(&path).await;
    assert!(page.contains("/edit\""));
    assert!(!page.contains("/delete\""), "sales may not trash");
    let manager = app.browser(Role::Manager).await;
    let (_, _, page) = manager.get(&path).await;
    assert!(page.contains("/delete\""));
    let (status, _, _) = manager.post(&format!("{path}/delete"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = manager.get(&path).await;
    assert!(
        page.contains("/restore\""),
        "a trashed person can be restored"
    );
}

both!(
    pages_speak_the_browser_language_until_the_user_chooses,
    languages
);
async fn languages(app: TestApp) {
    let mut b = app.browser(Role::Sales).await;
    b.language = "fr-FR,fr;q=0.9,en;q=0.8";
    let (_, _, html) = b.get("/people").await;
    assert!(html.contains("<html lang=\"fr\">") && html.contains("Nouvelle personne"));
    b.language = "en-GB";
    let (_, _, html) = b.get("/people").await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("New person"));
    let (status, headers, _) = b.post("/settings/language", &[("language", "fr")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/settings?saved=language");
    let (_, _, html) = b.get("/settings?saved=language").await;
    assert!(
        html.contains("Langue enregistrée"),
        "the choice wins over the browser"
    );
    let (status, _, html) = b
        .post("/settings/language", &[("language", "klingon")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("language-error"), "{html}");
}

both!(assets_are_small_and_cached, assets);
async fn assets(app: TestApp) {
    let mut total = 0;
    for path in ["/assets/app.css", "/assets/app.js"] {
        let (status, headers, body) = app.page(Method::GET, path, None, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        total += body.len();
    }
    assert!(total < 100 * 1024, "CSS and JS together: {total} bytes");
}

both!(
    companies_are_created_listed_and_shown_with_their_people,
    companies
);
async fn companies(app: TestApp) {
    let b = app.browser(Role::Sales).await;
    // Errors first: a SIREN whose checksum fails, a group that does not exist.
    let (status, _, html) = b
        .post(
            "/companies",
            &[
                ("name", "Danone"),
                ("siren", "123456789"),
                ("parent", "Nulle Part"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"parent-error\""), "{html}");
    let (status, _, html) = b
        .post("/companies", &[("name", "Danone"), ("siren", "123456789")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"siren-error\""), "{html}");
    let (status, headers, _) = b
        .post(
            "/companies",
            &[
                ("name", "Danone"),
                ("siret", "73282932000074"),
                ("industry", "Agroalimentaire"),
                ("size", "5000+"),
                ("website", "danone.com"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let group = location(&headers);
    let (status, headers, _) = b
        .post(
            "/companies",
            &[("name", "Danone Eaux France"), ("parent", "danone")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the group is found by its name"
    );
    let subsidiary = location(&headers);
    let (_, _, html) = b.get(&group).await;
    assert!(html.contains("732829320"), "the SIREN comes from the SIRET");
    assert!(html.contains("https://danone.com"));
    assert!(html.contains("Danone Eaux France"), "its subsidiary");
    // A person at the subsidiary is listed on its page.
    b.post(
        "/people",
        &[
            ("first_name", "Zoé"),
            ("last_name", "Eau"),
            ("company", "Danone Eaux France"),
            ("stage", "lead"),
        ],
    )
    .await;
    let (_, _, html) = b.get(&subsidiary).await;
    assert!(html.contains("Zoé Eau"), "{html}");
    assert!(html.contains("href=\"/companies/"), "its group is a link");
    // A call logged on the company is on its timeline.
    let (status, _, _) = b
        .post(
            &format!("{subsidiary}/interactions"),
            &[("kind", "call"), ("subject", "Appel standard")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = b.get(&subsidiary).await;
    assert!(html.contains("Appel standard"));
    let (_, _, list) = b.get("/companies?q=eaux").await;
    assert!(
        list.contains("Danone Eaux France") && !list.contains(">Danone<"),
        "{list}"
    );
    // An edit through the form.
    let (_, _, form) = b.get(&format!("{subsidiary}/edit")).await;
    assert!(
        form.contains("value=\"Danone\""),
        "the group by name: {form}"
    );
    let (status, _, _) = b
        .post(
            &format!("{subsidiary}/edit"),
            &[
                ("version", "1"),
                ("name", "Danone Eaux de France"),
                ("parent", "Danone"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = b.get(&subsidiary).await;
    assert!(html.contains("Danone Eaux de France"));
}

both!(two_duplicates_are_merged_field_by_field, merge);
async fn merge(app: TestApp) {
    let a = app
        .person(
            json!({"first_name": "Jean", "last_name": "Dupond", "job_title": "Gérant",
                       "emails": [{"address": "jean.dupont@example.fr"}]}),
        )
        .await;
    let b = app
        .person(json!({"first_name": "Jean", "last_name": "Dupont", "job_title": "Directeur",
                       "emails": [{"address": "jean.dupont@example.fr"}], "phones": [{"number": "06 11 22 33 44"}]}))
        .await;
    let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let sales = app.browser(Role::Sales).await;
    let (_, _, list) = sales.get("/duplicates").await;
    assert!(
        !list.contains("/duplicates/review"),
        "sales may not merge: {list}"
    );
    let manager = app.browser(Role::Manager).await;
    let (_, _, list) = manager.get("/duplicates").await;
    assert!(list.contains("same e-mail"), "{list}");
    let (status, _, page) = manager
        .get(&format!("/duplicates/review?kind=people&a={a_id}&b={b_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Dupond") && page.contains("Dupont"));
    assert!(page.contains("name=\"keep.last_name\""));
    assert!(
        !page.contains("name=\"keep.first_name\""),
        "equal values need no choice"
    );
    // A keeps its record and job title, takes B's spelling of the last name.
    let (status, headers, _) = manager
        .post(
            "/duplicates/merge",
            &[
                ("kind", "people"),
                ("a", a_id),
                ("b", b_id),
                ("version_a", "1"),
                ("version_b", "1"),
                ("survivor", "a"),
                ("keep.last_name", "b"),
                ("keep.job_title", "a"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("/people/{a_id}"));
    let (_, _, now) = app.get(&format!("/api/v1/people/{a_id}"), (), &[]).await;
    assert_eq!(now["last_name"], "Dupont");
    assert_eq!(now["job_title"], "Gérant");
    assert_eq!(
        now["phones"][0]["number"], "+33611223344",
        "B's phone is kept"
    );
    let (status, _, _) = app.get(&format!("/api/v1/people/{b_id}"), (), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "B is merged away");
    // A stale version is shown again, not merged blindly.
    let c = app
        .person(json!({"first_name": "Ana", "emails": [{"address": "ana@example.fr"}]}))
        .await;
    let d = app
        .person(json!({"first_name": "Anna", "emails": [{"address": "ana@example.fr"}]}))
        .await;
    let (status, _, page) = manager
        .post(
            "/duplicates/merge",
            &[
                ("kind", "people"),
                ("a", c["id"].as_str().unwrap()),
                ("b", d["id"].as_str().unwrap()),
                ("version_a", "7"),
                ("version_b", "1"),
                ("survivor", "a"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
}

/// A multipart body with one file and plain fields.
fn multipart(file: &[u8], filename: &str, fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "relais-test-boundary-7f3a";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Waits for an import job's page to stop refreshing itself, and returns it.
async fn finished(b: &crate::helpers::Browser<'_>, job: &str) -> String {
    for _ in 0..200 {
        let (_, _, html) = b.get(job).await;
        if !html.contains("http-equiv=\"refresh\"") {
            return html;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the job never ended");
}

both!(
    the_import_wizard_shows_the_columns_checks_imports_and_hands_back_rejected_rows,
    import_wizard
);
async fn import_wizard(app: TestApp) {
    let csv = "Prénom;Nom;E-mail;Téléphone portable;Ville;Note\n\
               Élodie;Martin;elodie@example.fr;06 12 34 56 78;Lyon;=1+1\n\
               Hugo;Bernard;hugo@example.fr;;Paris;\n\
               Cassé;Ligne;pas-un-email;12;Nantes;=HYPERLINK(\"x\")\n"
        .as_bytes();
    let b = app.browser(Role::Sales).await;
    let (ct, body) = multipart(
        csv,
        "contacts.csv",
        &[("kind", "people"), ("on_duplicate", "skip")],
    );
    // Without the token in the address, the upload is refused.
    let (status, _, _) = app
        .page_raw(
            Method::POST,
            "/import",
            &ct,
            body.clone(),
            &[("cookie", &b.cookie)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, html) = app
        .page_raw(
            Method::POST,
            &format!("/import?_csrf={}", b.csrf),
            &ct,
            body,
            &[("cookie", &b.cookie)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let wizard = location(&headers);
    let (status, _, html) = b.get(&wizard).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Téléphone portable"), "{html}");
    assert!(
        html.contains("<option value=\"phone.mobile\" selected>"),
        "detected: {html}"
    );
    assert!(html.contains("Read as UTF-8"));
    // Someone else can't see it.
    let other = app.browser(Role::Sales).await;
    let (status, _, _) = other.get(&wizard).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The user leaves the city out, and checks first.
    let header = |i: &str| {
        html.split(&format!("name=\"header.{i}\" value=\""))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string()
    };
    let headers: Vec<String> = (0..6).map(|i| header(&i.to_string())).collect();
    let maps = [
        "first_name",
        "last_name",
        "email",
        "phone.mobile",
        "",
        "notes",
    ];
    let mut form: Vec<(String, String)> = vec![
        ("columns".into(), "1".into()),
        ("mode".into(), "check".into()),
    ];
    for (i, (h, m)) in headers.iter().zip(maps).enumerate() {
        form.push((format!("header.{i}"), h.clone()));
        form.push((format!("map.{i}"), m.to_string()));
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, headers_, _) = b.post(&format!("{wizard}/start"), &pairs).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let job = location(&headers_);
    let report = finished(&b, &job).await;
    assert!(report.contains("<dd id=\"created\">2</dd>"), "{report}");
    assert!(report.contains("<dd id=\"rejected\">1</dd>"));
    let (_, _, page) = app.get("/api/v1/people", (), &[]).await;
    assert_eq!(page["items"], json!([]), "a check writes nothing");
    // Then imports.
    let (status, _, _) = b
        .post(&format!("{wizard}/start"), &[("mode", "import")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let report = finished(&b, &job).await;
    assert!(report.contains("<dd id=\"created\">2</dd>"), "{report}");
    let (_, _, page) = app.get("/api/v1/people?q=elodie", (), &[]).await;
    assert_eq!(page["items"][0]["phones"][0]["number"], "+33612345678");
    // Sending the import again (a double click, a reload) does not import twice.
    let (status, headers_again, _) = b
        .post(&format!("{wizard}/start"), &[("mode", "import")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers_again), job);
    let (_, _, again) = b.get(&job).await;
    assert!(
        again.contains("<dd id=\"created\">2</dd>") && !again.contains("http-equiv"),
        "the finished import is shown, not run again: {again}"
    );
    let (_, _, everyone) = app.get("/api/v1/people", (), &[]).await;
    assert_eq!(everyone["items"].as_array().unwrap().len(), 2, "{everyone}");
    assert_eq!(
        page["items"][0]["addresses"],
        json!([]),
        "the city was left out"
    );
    // The rejected row, with its reason, cells made harmless for spreadsheets.
    let (status, headers_, csv) = b.get(&format!("{wizard}/rejected.csv")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers_[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert!(csv.contains("pas-un-email"), "{csv}");
    assert!(csv.contains("'=HYPERLINK"), "formula neutralised: {csv}");
    assert!(!csv.contains(",=HYPERLINK"));
    assert!(
        csv.starts_with("line,reason,Prénom,"),
        "no column of codes: {csv}"
    );
    assert!(
        csv.contains("emails[0].address: 'pas-un-email' is not a valid e-mail address"),
        "{csv}"
    );
    // In French, the reasons are French; the API keeps them by code.
    let fr = Browser {
        app: b.app,
        cookie: b.cookie.clone(),
        csrf: b.csrf.clone(),
        language: "fr-FR",
    };
    let (_, _, csv) = fr.get(&format!("{wizard}/rejected.csv")).await;
    assert!(csv.starts_with("ligne,motif,Prénom,"), "{csv}");
    assert!(
        csv.contains("emails[0].address: « pas-un-email » n’est pas une adresse e-mail valide"),
        "{csv}"
    );
    // The jobs page lists the check and the import, finished, with their counts and files.
    let (status, _, jobs) = b.get("/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(jobs.matches("<tr id=\"job-").count(), 2, "{jobs}");
    assert!(!jobs.contains("http-equiv"), "nothing runs: no refresh");
    assert!(jobs.contains("rejected.csv"), "{jobs}");
    assert!(!jobs.contains("/cancel"), "nothing to stop");
    // Another user sees none of them.
    let other = app.browser(Role::Sales).await;
    let (_, _, theirs) = other.get("/jobs").await;
    assert_eq!(theirs.matches("<tr id=\"job-").count(), 0, "{theirs}");
    // A role without imports does not see the wizard.
    let delivery = app.browser(Role::Delivery).await;
    let (status, _, _) = delivery.get("/import").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

both!(
    an_admin_manages_users_teams_and_custom_fields_and_others_may_not,
    admin
);
async fn admin(app: TestApp) {
    let sales = app.browser(Role::Sales).await;
    let (status, _, _) = sales.get("/admin/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, home) = sales.get("/").await;
    assert!(!home.contains("/admin/users"), "no admin link for sales");
    let admin = app.browser(Role::Admin).await;
    let (status, _, html) = admin
        .post(
            "/admin/users",
            &[
                ("name", "Paul"),
                ("email", "not-an-email"),
                ("role", "sales"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"new-email-error\""), "{html}");
    assert!(html.contains("value=\"Paul\""), "what was typed stays");
    let (status, _, _) = admin
        .post(
            "/admin/users",
            &[
                ("name", "Paul Durand"),
                ("email", "paul@relais.example"),
                ("role", "support"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = admin.post("/admin/teams", &[("team_name", "Lyon")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = admin.get("/admin/users").await;
    assert!(
        html.contains("Paul Durand") && html.contains("Lyon"),
        "{html}"
    );
    let (_, _, users) = app.get("/api/v1/users", (), &[]).await;
    let paul = users
        .as_array()
        .or_else(|| users["items"].as_array())
        .unwrap()
        .iter()
        .find(|u| u["email"] == "paul@relais.example")
        .unwrap()
        .clone();
    let (_, _, teams) = app.get("/api/v1/teams", (), &[]).await;
    let lyon = teams
        .as_array()
        .or_else(|| teams["items"].as_array())
        .and_then(|t| t.iter().find(|t| t["name"] == "Lyon").cloned());
    let mut change = vec![
        ("version", "1".to_string()),
        ("role", "manager".to_string()),
        ("active", "true".to_string()),
    ];
    if let Some(t) = &lyon {
        change.push(("team_id", t["id"].as_str().unwrap().to_string()));
    }
    let pairs: Vec<(&str, &str)> = change.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = admin
        .post(
            &format!("/admin/users/{}", paul["id"].as_str().unwrap()),
            &pairs,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, now) = app
        .get(
            &format!("/api/v1/users/{}", paul["id"].as_str().unwrap()),
            (),
            &[],
        )
        .await;
    assert_eq!(now["role"], "manager");
    // Custom fields.
    let field = [
        ("entity", "person"),
        ("label", "Client VIP"),
        ("key", "vip"),
        ("kind", "boolean"),
    ];
    let (status, _, _) = admin.post("/admin/custom-fields", &field).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, html) = admin.post("/admin/custom-fields", &field).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"key-error\""), "{html}");
    let (_, _, html) = admin.get("/admin/custom-fields").await;
    assert!(html.contains("custom.vip") && html.contains("Yes / no"));
    let (status, _, _) = admin
        .post(
            "/admin/custom-fields",
            &[
                ("entity", "company"),
                ("label", "Secteur"),
                ("key", "sector"),
                ("kind", "choice"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a choice field needs choices"
    );
}

both!(
    a_user_makes_an_api_token_sees_it_once_and_revokes_it,
    tokens
);
async fn tokens(app: TestApp) {
    let b = app.browser(Role::Support).await;
    let (status, _, html) = b.post("/settings/tokens", &[("name", "Site web")]).await;
    assert_eq!(status, StatusCode::OK);
    let token = html
        .split("<code id=\"new-token\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the new token is shown")
        .to_string();
    let bearer = format!("Bearer {token}");
    let (status, _, _) = app
        .get("/api/v1/people", (), &[("authorization", &bearer)])
        .await;
    assert_eq!(status, StatusCode::OK, "the token works");
    let (_, _, list) = b.get("/settings/tokens").await;
    assert!(list.contains("Site web"));
    assert!(!list.contains(&token), "shown once only");
    // The row of this token (the test user has another one, made by the harness).
    let id = list
        .split("Site web")
        .nth(1)
        .and_then(|r| r.split("action=\"/settings/tokens/").nth(1))
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    let (status, headers, _) = b.post(&format!("/settings/tokens/{id}/revoke"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/settings/tokens");
    let (status, _, _) = app
        .get("/api/v1/people", (), &[("authorization", &bearer)])
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked token no longer works"
    );
}

both!(
    the_person_form_sets_the_advisor_and_the_custom_fields,
    advisor_and_custom_fields
);
async fn advisor_and_custom_fields(app: TestApp) {
    let admin = app.browser(Role::Admin).await;
    for field in [
        [
            ("entity", "person"),
            ("label", "Client VIP"),
            ("key", "vip"),
            ("kind", "boolean"),
            ("choices", ""),
        ],
        [
            ("entity", "person"),
            ("label", "Fin de contrat"),
            ("key", "contract_end"),
            ("kind", "date"),
            ("choices", ""),
        ],
        [
            ("entity", "person"),
            ("label", "Segment"),
            ("key", "segment"),
            ("kind", "choice"),
            ("choices", "PME, ETI"),
        ],
    ] {
        let (status, _, html) = admin.post("/admin/custom-fields", &field).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    }
    let b = app.browser(Role::Sales).await;
    let (_, _, form) = b.get("/people/new").await;
    assert!(
        form.contains("name=\"custom.vip\"") && form.contains("Fin de contrat"),
        "{form}"
    );
    assert!(
        form.contains("<option value=\"ETI\""),
        "the choices of the field"
    );
    let advisor = form
        .split("name=\"owner_id\"")
        .nth(1)
        .and_then(|r| r.split("<option value=\"").nth(2))
        .and_then(|r| r.split('"').next())
        .expect("a user to choose as advisor")
        .to_string();
    let (status, _, html) = b
        .post(
            "/people",
            &[
                ("first_name", "Chloé"),
                ("stage", "customer"),
                ("owner_id", &advisor),
                ("custom.vip", "true"),
                ("custom.contract_end", "31 février"),
                ("custom.segment", "ETI"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"custom.contract_end-error\""), "{html}");
    let (status, headers, _) = b
        .post(
            "/people",
            &[
                ("first_name", "Chloé"),
                ("stage", "customer"),
                ("owner_id", &advisor),
                ("custom.vip", "true"),
                ("custom.contract_end", "2027-03-31"),
                ("custom.segment", "ETI"),
                ("preferred_channel", "sms"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let path = location(&headers);
    let (_, _, html) = b.get(&path).await;
    assert!(html.contains("<dt>Client VIP</dt><dd>Yes</dd>"), "{html}");
    assert!(html.contains("<dt>Segment</dt><dd>ETI</dd>"));
    assert!(html.contains("Advisor"), "the advisor is shown");
    let (_, _, person) = app.get(&format!("/api/v1{path}"), (), &[]).await;
    assert_eq!(person["owner_id"], advisor.as_str());
    assert_eq!(person["custom"]["contract_end"], "2027-03-31");
    assert_eq!(person["preferred_channel"], "sms");
    // Cleared in the form, cleared in the record.
    let (_, _, form) = b.get(&format!("{path}/edit")).await;
    assert!(form.contains("<option value=\"true\" selected>"), "{form}");
    let (status, _, _) = b
        .post(
            &format!("{path}/edit"),
            &[
                ("version", "1"),
                ("first_name", "Chloé"),
                ("stage", "customer"),
                ("custom.vip", ""),
                ("custom.segment", "ETI"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, person) = app.get(&format!("/api/v1{path}"), (), &[]).await;
    assert_eq!(person["custom"].get("vip"), None, "{person}");
    assert_eq!(person["owner_id"], serde_json::Value::Null);
}

both!(
    consent_is_recorded_and_every_change_is_in_the_history,
    consent_and_history
);
async fn consent_and_history(app: TestApp) {
    let b = app.browser(Role::Marketing).await;
    let p = app
        .person(json!({"first_name": "Léa", "last_name": "Roux", "job_title": "Gérante"}))
        .await;
    let path = format!("/people/{}", p["id"].as_str().unwrap());
    let (status, _, _) = b
        .post(
            &format!("{path}/consents"),
            &[
                ("channel", "sms"),
                ("status", "granted"),
                ("source", "en boutique"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = b.get(&path).await;
    assert!(html.contains("<dt>SMS</dt><dd>Granted</dd>"), "{html}");
    let (status, _, _) = b
        .post(
            &format!("{path}/consents"),
            &[("channel", "fax"), ("status", "granted")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a forged channel is refused");
    let (_, _, consents) = app.get(&format!("/api/v1{path}/consents"), (), &[]).await;
    assert_eq!(
        consents["history"].as_array().unwrap().len(),
        1,
        "{consents}"
    );
    // An edit, then the history shows who changed what from what to what.
    app.patch(
        &format!("/api/v1{path}"),
        json!({"job_title": "Directrice"}),
        &[],
    )
    .await;
    let (status, _, html) = b.get(&format!("{path}/history")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Job title") && html.contains("Gérante") && html.contains("Directrice"),
        "{html}"
    );
    assert!(html.contains("Created"));
    let c = app.company(json!({"name": "Roux SARL"})).await;
    let (status, _, html) = b
        .get(&format!("/companies/{}/history", c["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Roux SARL"));
}

both!(
    people_ticked_in_the_list_get_an_advisor_a_stage_a_tag_or_are_exported,
    bulk
);
async fn bulk(app: TestApp) {
    let mut ids = Vec::new();
    for name in ["Ana", "Bea", "Cleo"] {
        let p = app
            .person(json!({"first_name": name, "stage": "lead"}))
            .await;
        ids.push(p["id"].as_str().unwrap().to_string());
    }
    let b = app.browser(Role::Manager).await;
    let (_, _, list) = b.get("/people").await;
    assert!(list.contains("form=\"bulk\""), "{list}");
    let me = list
        .split("<option value=\"")
        .find(|o| o.contains(">Me<"))
        .and_then(|o| o.split('"').next())
        .expect("the 'me' option")
        .to_string();
    let pick = [("id", ids[0].as_str()), ("id", ids[1].as_str())];
    let post = |extra: Vec<(&'static str, String)>| {
        let mut f: Vec<(String, String)> = pick
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        f.push(("back".into(), "/people?stage=lead".into()));
        f.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
        f
    };
    for extra in [
        vec![("action", "owner".to_string()), ("owner", me.clone())],
        vec![
            ("action", "tag".to_string()),
            ("tag", "salon 2026".to_string()),
        ],
        vec![
            ("action", "stage".to_string()),
            ("stage", "prospect".to_string()),
        ],
    ] {
        let f = post(extra);
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, headers, _) = b.post("/people/bulk", &pairs).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location(&headers), "/people?stage=lead&changed=2");
    }
    let (_, _, mine) = b.get(&format!("/people?owner_id={me}")).await;
    assert!(
        mine.contains("Ana") && mine.contains("Bea") && !mine.contains("Cleo"),
        "{mine}"
    );
    let (_, _, ana) = app
        .get(&format!("/api/v1/people/{}", ids[0]), (), &[])
        .await;
    assert_eq!(ana["stage"], "prospect");
    assert_eq!(ana["tags"], json!(["salon 2026"]));
    let (_, _, history) = app
        .get(&format!("/api/v1/people/{}/stages", ids[0]), (), &[])
        .await;
    assert!(
        history.to_string().contains("prospect"),
        "the stage change is in its history: {history}"
    );
    // The export of the ticked people only: a job, whose file holds them.
    let f = post(vec![("action", "export".to_string())]);
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, headers, _) = b.post("/people/bulk", &pairs).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/jobs");
    let csv = exported_file(&app, "people.csv").await;
    assert!(
        csv.contains("Ana") && csv.contains("Bea") && !csv.contains("Cleo"),
        "{csv}"
    );
    // With nothing ticked, the whole list as it is filtered: the people still leads.
    let whole = [("action", "export"), ("back", "/people?stage=lead")];
    let (status, _, _) = b.post("/people/bulk", &whole).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let csv = exported_file(&app, "people.csv").await;
    assert!(
        csv.contains("Cleo") && !csv.contains("Ana") && !csv.contains("Bea"),
        "{csv}"
    );
    // Sales may change people but not export them in bulk.
    let sales = app.browser(Role::Sales).await;
    let (status, _, _) = sales.post("/people/bulk", &pairs).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

both!(
    a_filtered_list_is_saved_as_a_view_and_consent_filters_it,
    views
);
async fn views(app: TestApp) {
    let a = app
        .person(json!({"first_name": "Ines", "stage": "customer"}))
        .await;
    app.person(json!({"first_name": "Hugo", "stage": "customer"}))
        .await;
    app.post(
        &format!("/api/v1/people/{}/consents", a["id"].as_str().unwrap()),
        json!({"channel": "email", "status": "granted", "source": "site"}),
        &[],
    )
    .await;
    let b = app.browser(Role::Marketing).await;
    let (_, _, list) = b.get("/people?stage=customer&consent_email=granted").await;
    assert!(list.contains("Ines") && !list.contains("Hugo"), "{list}");
    let (_, _, list) = b.get("/people?consent_email=unknown").await;
    assert!(list.contains("Hugo") && !list.contains("Ines"), "{list}");
    let (status, headers, _) = b
        .post(
            "/people/views",
            &[
                ("view_name", "Clients opt-in"),
                ("query", "stage=customer&consent_email=granted"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location(&headers),
        "/people?stage=customer&consent_email=granted"
    );
    let (_, _, list) = b.get("/people").await;
    assert!(list.contains("Clients opt-in"), "{list}");
    // The view keeps its filter as the segment language's tree.
    let stored = crate::helpers::sql_strings(&app.db, "SELECT filter FROM saved_views").await;
    let tree: relais_domain::filter::Filter = serde_json::from_str(&stored[0]).unwrap();
    assert_eq!(
        tree.to_string(),
        "stage = \"customer\" and consent_email = \"granted\""
    );
    // A filter written in the language is a filter of the list page too, and a mistake in
    // it is shown on the page.
    let (_, _, list) = b
        .get("/people?filter=stage%20%3D%20customer%20and%20consent_email%20%3D%20granted")
        .await;
    assert!(list.contains("Ines") && !list.contains("Hugo"), "{list}");
    let (status, _, list) = b.get("/people?filter=stage%20%3D%3D").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("at position 8: expected a value"), "{list}");
    // A view with an unknown filter, or a name taken, is refused with the reason.
    let (_, headers, _) = b
        .post(
            "/people/views",
            &[("view_name", "Clients opt-in"), ("query", "stage=lead")],
        )
        .await;
    assert!(
        location(&headers).contains("view_error="),
        "{}",
        location(&headers)
    );
    let (_, headers, _) = b
        .post(
            "/people/views",
            &[("view_name", "Bad"), ("query", "colour=red")],
        )
        .await;
    assert!(location(&headers).contains("view_error="));
    // Views are one's own.
    let other = app.browser(Role::Marketing).await;
    let (_, _, list) = other.get("/people").await;
    assert!(!list.contains("Clients opt-in"));
}

both!(field_errors_speak_the_users_language, french_errors);
async fn french_errors(app: TestApp) {
    let mut b = app.browser(Role::Sales).await;
    b.language = "fr-FR";
    let (status, _, html) = b
        .post(
            "/people",
            &[
                ("first_name", "Zoé"),
                ("phones[0].number", "12"),
                ("stage", "lead"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("« 12 » n’est pas un numéro de téléphone valide"),
        "{html}"
    );
    let one = "x".repeat(101);
    let (_, _, html) = b
        .post(
            "/people",
            &[("first_name", one.as_str()), ("stage", "lead")],
        )
        .await;
    assert!(html.contains("dépasse 100 caractères"), "{html}");
}

both!(
    the_company_list_filters_saves_views_and_acts_on_the_companies_ticked,
    company_list
);
async fn company_list(app: TestApp) {
    let a = app
        .company(json!({"name": "Alpha SA", "size": "10-49", "tags": ["client"]}))
        .await;
    let b_ = app
        .company(json!({"name": "Beta SARL", "size": "1-9"}))
        .await;
    app.company(json!({"name": "Gamma SAS", "size": "10-49"}))
        .await;
    let m = app.browser(Role::Manager).await;
    let (_, _, list) = m.get("/companies?size=10-49").await;
    assert!(
        list.contains("Alpha SA") && list.contains("Gamma SAS") && !list.contains("Beta SARL"),
        "{list}"
    );
    let (_, _, list) = m.get("/companies?tag=client").await;
    assert!(list.contains("Alpha SA") && !list.contains("Gamma SAS"));
    let ids = [a["id"].as_str().unwrap(), b_["id"].as_str().unwrap()];
    let (status, headers, _) = m
        .post(
            "/companies/bulk",
            &[
                ("id", ids[0]),
                ("id", ids[1]),
                ("action", "tag"),
                ("tag", "salon"),
                ("back", "/companies"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/companies?changed=2");
    let (_, _, list) = m.get("/companies?tag=salon").await;
    assert!(list.contains("Alpha SA") && list.contains("Beta SARL") && !list.contains("Gamma"));
    let (status, _, _) = m
        .post("/companies/bulk", &[("id", ids[1]), ("action", "export")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let csv = exported_file(&app, "companies.csv").await;
    assert!(
        csv.contains("Beta SARL") && !csv.contains("Alpha SA"),
        "{csv}"
    );
    let (status, _, _) = m
        .post(
            "/companies/views",
            &[("view_name", "PME"), ("query", "size=10-49")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, list) = m.get("/companies").await;
    assert!(list.contains(">PME</a>"), "{list}");
}

both!(
    timelines_filter_by_kind_and_stages_are_dated,
    kinds_and_stages
);
async fn kinds_and_stages(app: TestApp) {
    let c = app.company(json!({"name": "Atelier Roux"})).await;
    let p = app
        .person(json!({"first_name": "Noé", "stage": "lead",
                       "companies": [{"company_id": c["id"], "primary": true}]}))
        .await;
    let b = app.browser(Role::Sales).await;
    let person = format!("/people/{}", p["id"].as_str().unwrap());
    let company = format!("/companies/{}", c["id"].as_str().unwrap());
    b.post(
        &format!("{person}/interactions"),
        &[("kind", "visit"), ("subject", "Visite en boutique")],
    )
    .await;
    b.post(
        &format!("{company}/interactions"),
        &[("kind", "call"), ("subject", "Appel au standard")],
    )
    .await;
    let (_, _, all) = b.get(&company).await;
    assert!(
        all.contains("Visite en boutique") && all.contains("Appel au standard"),
        "{all}"
    );
    let (_, _, calls) = b.get(&format!("{company}?kind=call")).await;
    assert!(calls.contains("Appel au standard") && !calls.contains("Visite en boutique"));
    let (_, _, visits) = b.get(&format!("{company}?kind=visit")).await;
    assert!(visits.contains("Visite en boutique") && !visits.contains("Appel au standard"));
    app.patch(
        &format!("/api/v1{person}"),
        json!({"stage": "customer"}),
        &[],
    )
    .await;
    let (_, _, page) = b.get(&person).await;
    let stages = page.split("id=\"stages-h\"").nth(1).unwrap();
    let (customer, lead) = (
        stages.find("Customer").unwrap(),
        stages.find("Lead").unwrap(),
    );
    assert!(customer < lead, "newest first: {stages}");
}

/// The file of the latest export job, once it is done.
async fn exported_file(app: &TestApp, name: &str) -> String {
    let (_, _, jobs) = app.get("/api/v1/jobs", (), &[]).await;
    let id = jobs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["kind"] == "export")
        .and_then(|j| j["id"].as_str())
        .unwrap_or_else(|| panic!("an export job: {jobs}"))
        .to_string();
    for _ in 0..500 {
        let (_, _, job) = app.get(&format!("/api/v1/jobs/{id}"), (), &[]).await;
        if job["status"] == "succeeded" {
            let (status, _, file) = app
                .get(&format!("/api/v1/jobs/{id}/files/{name}"), (), &[])
                .await;
            assert_eq!(status, StatusCode::OK);
            return file.as_str().unwrap_or_default().to_string();
        }
        assert!(
            matches!(job["status"].as_str(), Some("queued" | "running")),
            "{job}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the export never ended")
}
