//! Requests no page of Relais makes but an attacker or a stale browser can: forged form
//! shapes, redirects elsewhere, repeated posts, parameters out of range.
use crate::helpers::{TestApp, location, qs};
use axum::http::{Method, StatusCode, header};
use relais_domain::Role;
use serde_json::json;

both!(
    a_forged_form_with_huge_indices_is_answered_at_once,
    huge_indices
);
async fn huge_indices(app: TestApp) {
    let b = app.browser(Role::Sales).await;
    let started = std::time::Instant::now();
    let (status, _, _) = b
        .post(
            "/people",
            &[
                ("first_name", "Zoé"),
                ("stage", "lead"),
                ("emails[100000000].address", "z@x.example"),
            ],
        )
        .await;
    assert!(
        status.is_redirection() || status.is_client_error(),
        "{status}"
    );
    assert!(started.elapsed().as_secs() < 5, "no allocation per index");
}

both!(
    sign_in_never_sends_the_user_to_another_site,
    no_open_redirect
);
async fn no_open_redirect(app: TestApp) {
    for next in [
        "//evil.example",
        "/\t/evil.example",
        "/\\evil.example",
        "https://evil.example",
    ] {
        let (_, _, html) = app
            .page(
                Method::GET,
                &format!("/login{}", qs(&[("next", next)])),
                None,
                &[],
            )
            .await;
        assert!(
            html.contains("name=\"next\" value=\"/\""),
            "next={next:?}: {html}"
        );
    }
}

both!(the_api_sign_in_is_throttled_like_the_page, api_throttle);
async fn api_throttle(app: TestApp) {
    let draft = relais_core::users::UserDraft {
        email: "eve@relais.example".into(),
        name: "Eve".into(),
        role: "sales".into(),
        team_id: None,
        password: Some("a long enough passphrase".into()),
    };
    relais_core::users::create(&app.db, &relais_core::Actor::SYSTEM, draft)
        .await
        .unwrap();
    let attempt = |password: &'static str| {
        app.call(
            Method::POST,
            "/api/v1/session",
            json!({"email": "eve@relais.example", "password": password}),
            &[("authorization", "")],
        )
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong").await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, headers, body) = attempt("a long enough passphrase").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("problem+json")
    );
}

both!(
    a_web_edit_keeps_what_the_form_does_not_show,
    keeps_hidden_parts
);
async fn keeps_hidden_parts(app: TestApp) {
    let old = app.company(json!({"name": "Boulangerie Martin"})).await;
    let p = app
        .person(json!({
            "first_name": "Léa",
            "emails": [{"kind": "work", "address": "lea@martin.example"}],
            "phones": [{"kind": "mobile", "number": "06 11 22 33 44"}],
            "addresses": [{"kind": "home", "city": "Lyon", "region": "Auvergne-Rhône-Alpes"}],
            "companies": [{"company_id": old["id"], "primary": true, "role": "Gérante"}]
        }))
        .await;
    // A second company of the same name, created later.
    app.company(json!({"name": "Boulangerie Martin", "siren": "732829320"}))
        .await;
    let id = p["id"].as_str().unwrap();
    let b = app.browser(Role::Sales).await;
    let (_, _, form) = b.get(&format!("/people/{id}/edit")).await;
    assert!(form.contains("value=\"Boulangerie Martin\""));
    let (status, _, _) = b
        .post(
            &format!("/people/{id}/edit"),
            &[
                ("version", "1"),
                ("first_name", "Léa"),
                ("stage", "lead"),
                ("company", "Boulangerie Martin"),
                ("base.company", "Boulangerie Martin"),
                ("emails[0].address", "lea@martin.example"),
                ("phones[0].number", "06 11 22 33 44"),
                ("addresses[0].city", "Lyon"),
                ("notes", "Rappeler"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, now) = app.get(&format!("/api/v1/people/{id}"), (), &[]).await;
    assert_eq!(now["notes"], "Rappeler");
    assert_eq!(now["emails"][0]["kind"], "work", "{now}");
    assert_eq!(now["phones"][0]["kind"], "mobile");
    assert_eq!(now["addresses"][0]["kind"], "home");
    assert_eq!(now["addresses"][0]["region"], "Auvergne-Rhône-Alpes");
    assert_eq!(
        now["companies"][0]["company_id"], old["id"],
        "still the same company"
    );
    assert_eq!(now["companies"][0]["role"], "Gérante");
}

both!(
    a_refused_bulk_action_says_why_and_changes_nothing,
    bulk_refused
);
async fn bulk_refused(app: TestApp) {
    let p = app.person(json!({"first_name": "Ana"})).await;
    let id = p["id"].as_str().unwrap();
    let b = app.browser(Role::Manager).await;
    let long_tag = "x".repeat(200);
    let (status, headers, _) = b
        .post(
            "/people/bulk",
            &[
                ("id", id),
                ("action", "tag"),
                ("tag", &long_tag),
                ("back", "/people"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = location(&headers);
    assert_eq!(to, "/people?refused=tag");
    let (_, _, list) = b.get(&to).await;
    assert!(list.contains("This tag cannot be added"), "{list}");
    let (_, _, now) = app.get(&format!("/api/v1/people/{id}"), (), &[]).await;
    assert_eq!(now["tags"], json!([]));
    // The address carries codes, never text to show.
    let (_, _, list) = b.get("/people?view_error=Call%20us&changed=lots").await;
    assert!(!list.contains("Call us") && !list.contains("lots"));
}

both!(
    parameters_out_of_range_are_bad_requests_not_errors,
    bad_parameters
);
async fn bad_parameters(app: TestApp) {
    let p = app.person(json!({"first_name": "Ana"})).await;
    let b = app.browser(Role::Sales).await;
    let (status, _, _) = b
        .get(&format!("/people/{}?kind=bogus", p["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A NUL in a search is noise, on either engine.
    let (status, _, _) = app.get("/api/v1/people?q=%00elo", (), &[]).await;
    assert_eq!(status, StatusCode::OK);
    // sort=relevance without a search pages by name.
    for name in ["A", "B", "C"] {
        app.person(json!({"first_name": name})).await;
    }
    let (_, _, page) = app
        .get("/api/v1/people?sort=relevance&limit=2", (), &[])
        .await;
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let (status, _, next) = app
        .get(
            &format!(
                "/api/v1/people{}",
                qs(&[("sort", "relevance"), ("limit", "2"), ("cursor", &cursor)])
            ),
            (),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{next}");
}

both!(
    a_merge_refuses_a_discarded_record_changed_since_the_review,
    stale_discarded
);
async fn stale_discarded(app: TestApp) {
    let a = app
        .person(json!({"first_name": "Ana", "emails": [{"address": "ana@x.example"}]}))
        .await;
    let d = app
        .person(json!({"first_name": "Anna", "emails": [{"address": "ana@x.example"}]}))
        .await;
    let (d_id, a_id) = (d["id"].as_str().unwrap(), a["id"].as_str().unwrap());
    app.patch(
        &format!("/api/v1/people/{d_id}"),
        json!({"job_title": "CEO"}),
        &[],
    )
    .await;
    let m = app.browser(Role::Manager).await;
    let (status, _, _) = m
        .post(
            "/duplicates/merge",
            &[
                ("kind", "people"),
                ("a", a_id),
                ("b", d_id),
                ("version_a", "1"),
                ("version_b", "1"),
                ("survivor", "a"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _, _) = app.get(&format!("/api/v1/people/{d_id}"), (), &[]).await;
    assert_eq!(status, StatusCode::OK, "nothing merged");
}

both!(
    a_spray_of_failed_sign_ins_from_one_address_locks_out_no_one_on_their_own_browser,
    sprayed_sign_ins
);
async fn sprayed_sign_ins(app: TestApp) {
    for email in ["admin.office@relais.example", "new.hire@relais.example"] {
        let draft = relais_core::users::UserDraft {
            email: email.into(),
            name: "Office".into(),
            role: "admin".into(),
            team_id: None,
            password: Some("a long enough passphrase".into()),
        };
        relais_core::users::create(&app.db, &relais_core::Actor::SYSTEM, draft)
            .await
            .unwrap();
    }
    let app = &app;
    let attempt = |email: String, password: &'static str, cookie: Option<String>| {
        let cookie = cookie.unwrap_or_default();
        async move {
            app.call(
                Method::POST,
                "/api/v1/session",
                json!({"email": email, "password": password}),
                &[("authorization", ""), ("cookie", &cookie)],
            )
            .await
        }
    };
    // The administrator signed in on this browser before: it is known from then on.
    let (status, headers, _) = attempt(
        "admin.office@relais.example".into(),
        "a long enough passphrase",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let device = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("relais_device="))
        .and_then(|c| c.split(';').next())
        .expect("a device cookie")
        .to_string();
    // Someone behind the office's address tries one password on 35 e-mails.
    let mut statuses = Vec::new();
    for i in 0..35 {
        statuses.push(
            attempt(format!("guess{i}@relais.example"), "x", None)
                .await
                .0,
        );
    }
    assert!(
        statuses[..30]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED)
    );
    assert!(
        statuses[30..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "past 30 failures the address waits before a try: {statuses:?}"
    );
    // The administrator, on their browser, still gets in; a first sign-in from the
    // sprayed address waits like the spray.
    let (status, _, body) = attempt(
        "admin.office@relais.example".into(),
        "a long enough passphrase",
        Some(device),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, _) = attempt(
        "new.hire@relais.example".into(),
        "a long enough passphrase",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

both!(
    a_stored_value_that_todays_rules_refuse_is_kept_not_dropped,
    stored_values_kept
);
async fn stored_values_kept(app: TestApp) {
    let (_, _, p) = app
        .post(
            "/api/v1/people",
            json!({"last_name": "Lovelace", "emails": [{"address": "ada@example.org"}],
                   "phones": [{"number": "+33640506070"}]}),
            &[],
        )
        .await;
    let path = format!("/api/v1/people/{}", p["id"].as_str().unwrap());
    // Values an older version accepted and today's rules refuse.
    relais_store::migrate::script(
        &app.db,
        "UPDATE person_emails SET address = 'ada@localhost'; \
         UPDATE person_phones SET number = '+33400000000'",
    )
    .await
    .unwrap();
    let (_, _, read) = app.get(&path, (), &[]).await;
    assert_eq!(read["emails"][0]["address"], "ada@localhost", "{read}");
    assert_eq!(read["phones"][0]["number"], "+33400000000", "{read}");
    // The next save says what to correct rather than erase them.
    let refused = app.patch(&path, json!({"job_title": "Analyst"}), &[]).await;
    crate::helpers::assert_invalid(&refused, "emails[0].address");
    let (_, _, again) = app.get(&path, (), &[]).await;
    assert_eq!(again["emails"][0]["address"], "ada@localhost");
    let fixed = app
        .patch(
            &path,
            json!({"emails": [{"address": "ada@example.org"}], "phones": []}),
            &[],
        )
        .await;
    assert_eq!(fixed.0, StatusCode::OK, "{}", fixed.2);
}

both!(
    a_coded_value_this_version_does_not_know_stays_stored_until_changed,
    unknown_coded_values_kept
);
async fn unknown_coded_values_kept(app: TestApp) {
    let (_, _, p) = app
        .post(
            "/api/v1/people",
            json!({"last_name": "Lovelace", "stage": "customer", "preferred_channel": "email"}),
            &[],
        )
        .await;
    let id = p["id"].as_str().unwrap().to_string();
    let (_, _, call) = app
        .post(
            "/api/v1/interactions",
            json!({"kind": "call", "direction": "inbound", "person_ids": [id]}),
            &[],
        )
        .await;
    // Values another version wrote (or a hand in the database).
    relais_store::migrate::script(
        &app.db,
        "UPDATE people SET stage = 'partner', preferred_channel = 'pigeon'; \
         UPDATE interactions SET kind = 'fax', direction = 'sideways'",
    )
    .await
    .unwrap();
    let person = format!("/api/v1/people/{id}");
    let (status, _, read) = app.get(&person, (), &[]).await;
    assert_eq!(status, StatusCode::OK, "the record stays readable: {read}");
    // Another field changed: the unknown ones stay as stored.
    let saved = app
        .patch(&person, json!({"job_title": "Analyst"}), &[])
        .await;
    assert_eq!(saved.0, StatusCode::OK, "{}", saved.2);
    let stored = |sql: &'static str| crate::helpers::sql_strings(&app.db, sql);
    assert_eq!(
        stored("SELECT stage || '/' || preferred_channel FROM people").await,
        ["partner/pigeon"]
    );
    let interaction = format!("/api/v1/interactions/{}", call["id"].as_str().unwrap());
    let saved = app
        .patch(&interaction, json!({"subject": "Renewal"}), &[])
        .await;
    assert_eq!(saved.0, StatusCode::OK, "{}", saved.2);
    assert_eq!(
        stored("SELECT kind || '/' || direction FROM interactions").await,
        ["fax/sideways"]
    );
    // Changing the field itself writes the new value.
    let saved = app.patch(&person, json!({"stage": "lead"}), &[]).await;
    assert_eq!(saved.0, StatusCode::OK, "{}", saved.2);
    let saved = app.patch(&person, json!({"stage": "customer"}), &[]).await;
    assert_eq!(saved.0, StatusCode::OK, "{}", saved.2);
    assert_eq!(stored("SELECT stage FROM people").await, ["customer"]);
}
