//! Sign-in with a password: a session cookie, and a CSRF token for every change.
use crate::helpers::{TestApp, assert_problem, header_str};
use axum::http::{StatusCode, header};
use relais_core::Actor;
use relais_core::users::{self, UserDraft};
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

both!(
    a_session_cookie_works_with_its_csrf_token_until_sign_out,
    session_life
);
async fn session_life(app: TestApp) {
    let user = users::create(
        &app.db,
        &Actor::SYSTEM,
        UserDraft {
            email: "amelie@deuxmoulins.example".into(),
            name: "Amélie Poulain".into(),
            role: "sales".into(),
            team_id: None,
            password: Some(PASSWORD.into()),
        },
    )
    .await
    .expect("a user with a password");

    // Wrong password, unknown e-mail: the same 401.
    for (email, password) in [
        ("amelie@deuxmoulins.example", "wrong horse battery staple"),
        ("nobody@deuxmoulins.example", PASSWORD),
    ] {
        let answer = app
            .post(
                "/api/v1/session",
                json!({"email": email, "password": password}),
                &[("authorization", "")],
            )
            .await;
        assert_problem(&answer, StatusCode::UNAUTHORIZED);
        assert!(header_str(&answer.1, header::SET_COOKIE).is_none());
    }

    let (status, headers, session) = app
        .post(
            "/api/v1/session",
            json!({"email": "AMELIE@deuxmoulins.example", "password": PASSWORD}),
            &[("authorization", "")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let set_cookie = header_str(&headers, header::SET_COOKIE).expect("Set-Cookie");
    assert!(set_cookie.starts_with("relais_session="), "{set_cookie}");
    let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).collect();
    for a in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attributes.contains(&a), "{a} in {set_cookie}");
    }
    assert!(
        !attributes.contains(&"Secure"),
        "not Secure when secure_cookies is off"
    );
    let cookie = attributes[0].to_string();
    assert!(cookie.len() > "relais_session=".len() + 20);
    let csrf = session["csrf_token"]
        .as_str()
        .expect("csrf_token")
        .to_string();
    assert!(csrf.len() >= 20);
    assert_eq!(session["user"]["id"], json!(user.id));
    assert_eq!(session["user"]["email"], "amelie@deuxmoulins.example");

    let with_cookie = [("cookie", cookie.as_str())];
    let (status, _, me) = app.get("/api/v1/me", (), &with_cookie).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], json!(user.id));
    let (status, _, _) = app.get("/api/v1/people", (), &with_cookie).await;
    assert_eq!(status, StatusCode::OK);

    // A change by cookie needs the session's CSRF token.
    let person = json!({"first_name": "Nino"});
    let answer = app
        .post("/api/v1/people", person.clone(), &with_cookie)
        .await;
    assert_problem(&answer, StatusCode::FORBIDDEN);
    let answer = app
        .post(
            "/api/v1/people",
            person.clone(),
            &[("cookie", &cookie), ("x-csrf-token", "not-the-token")],
        )
        .await;
    assert_problem(&answer, StatusCode::FORBIDDEN);
    let (_, _, list) = app.get("/api/v1/people", (), &[]).await;
    assert_eq!(
        list["items"],
        json!([]),
        "nothing was created without the token"
    );
    let (status, _, p) = app
        .post(
            "/api/v1/people",
            person,
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    // ...and acts as the user.
    let (_, _, audit) = app
        .get(
            &format!("/api/v1/people/{}/audit", p["id"].as_str().unwrap()),
            (),
            &[],
        )
        .await;
    assert_eq!(audit["items"][0]["actor_id"], json!(user.id));

    // Among other cookies, the session one is found.
    let mixed = format!("theme=dark; {cookie}; lang=fr");
    assert_eq!(
        app.get("/api/v1/me", (), &[("cookie", &mixed)]).await.0,
        StatusCode::OK
    );

    // Sign out: the cookie is cleared and dead.
    let (status, headers, _) = app
        .delete("/api/v1/session", (), &[("cookie", &cookie)])
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let cleared = header_str(&headers, header::SET_COOKIE).expect("a clearing cookie");
    assert!(cleared.starts_with("relais_session=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let answer = app.get("/api/v1/me", (), &with_cookie).await;
    assert_problem(&answer, StatusCode::UNAUTHORIZED);

    // A malformed sign-in body is a 422, not a 401.
    let answer = app
        .post(
            "/api/v1/session",
            json!({"email": "amelie@deuxmoulins.example"}),
            &[("authorization", "")],
        )
        .await;
    assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY);
}
