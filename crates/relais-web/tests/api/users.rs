//! Users and API tokens.
use crate::helpers::{TestApp, assert_invalid, assert_problem, bearer, sql_strings};
use axum::http::StatusCode;
use relais_domain::Role;
use serde_json::json;

both!(
    an_admin_creates_users_and_duplicate_emails_or_weak_passwords_are_422,
    create_users
);
async fn create_users(app: TestApp) {
    let (status, headers, u) = app
        .post(
            "/api/v1/users",
            json!({"email": "Marie@Example.FR", "name": "Marie Curie", "role": "sales"}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    assert!(headers.contains_key("etag"));
    assert_eq!(u["email"], "Marie@example.fr", "domain lowercased");
    assert_eq!(u["name"], "Marie Curie");
    assert_eq!(u["role"], "sales");
    assert_eq!(u["active"], true);
    let object = u.as_object().unwrap();
    assert!(
        !object.keys().any(|k| k.contains("password")),
        "no password (hash) shown: {u}"
    );
    let (status, _, read) = app
        .get(
            &format!("/api/v1/users/{}", u["id"].as_str().unwrap()),
            (),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, u);
    let (_, _, all) = app.get("/api/v1/users", (), &[]).await;
    assert!(all.as_array().unwrap().iter().any(|x| x["id"] == u["id"]));

    for email in ["Marie@Example.FR", "marie@example.fr", " MARIE@EXAMPLE.FR "] {
        let answer = app
            .post(
                "/api/v1/users",
                json!({"email": email, "name": "Autre Marie", "role": "support"}),
                &[],
            )
            .await;
        assert_invalid(&answer, "email");
    }
    for (body, field) in [
        (
            json!({"email": "p@example.fr", "name": "P", "role": "sales", "password": "court"}),
            "password",
        ),
        (
            json!({"email": "p@example.fr", "name": "P", "role": "boss"}),
            "role",
        ),
        (
            json!({"email": "not-an-email", "name": "P", "role": "sales"}),
            "email",
        ),
        (
            json!({"email": "p@example.fr", "name": " ", "role": "sales"}),
            "name",
        ),
    ] {
        let answer = app.post("/api/v1/users", body, &[]).await;
        assert_invalid(&answer, field);
    }

    // Teams.
    let (status, _, team) = app
        .post("/api/v1/teams", json!({"name": "Ventes"}), &[])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let answer = app
        .post("/api/v1/teams", json!({"name": "Ventes"}), &[])
        .await;
    assert_invalid(&answer, "name");
    let (status, _, moved) = app
        .patch(
            &format!("/api/v1/users/{}", u["id"].as_str().unwrap()),
            json!({"team_id": team["id"], "role": "manager"}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["team_id"], team["id"]);
    assert_eq!(moved["role"], "manager");
    assert_eq!(moved["name"], "Marie Curie");
}

both!(
    users_create_their_own_tokens_which_work_until_revoked,
    own_tokens
);
async fn own_tokens(app: TestApp) {
    let (me, token) = app.user(Role::Support).await;
    let auth = bearer(&token);
    let (status, _, new) = app
        .post(
            &format!("/api/v1/users/{me}/tokens"),
            json!({"name": "script de synchro"}),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{new}");
    let second = new["token"].as_str().unwrap().to_string();
    assert!(second.starts_with("relais_"), "{second}");
    let second_auth = bearer(&second);

    let (status, _, who) = app
        .get("/api/v1/me", (), &[("authorization", &second_auth)])
        .await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(who["id"], json!(me));
    assert_eq!(who["role"], "support");
    // It acts with the user's role: support may create people, not users.
    let (status, _, _) = app
        .post(
            "/api/v1/people",
            json!({"first_name": "Client"}),
            &[("authorization", &second_auth)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let answer = app
        .post(
            "/api/v1/users",
            json!({"email": "x@example.fr", "name": "X", "role": "admin"}),
            &[("authorization", &second_auth)],
        )
        .await;
    assert_problem(&answer, StatusCode::FORBIDDEN);

    let (status, _, list) = app
        .get(
            &format!("/api/v1/users/{me}/tokens"),
            (),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["tests", "script de synchro"]);
    assert!(
        !list.to_string().contains(&second) && !list.to_string().contains(&token),
        "secrets are never listed"
    );

    // Revoked, the token no longer opens anything; the other one still does.
    let (status, _, _) = app
        .delete(
            &format!("/api/v1/users/{me}/tokens/{}", new["id"].as_str().unwrap()),
            (),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let answer = app
        .get("/api/v1/me", (), &[("authorization", &second_auth)])
        .await;
    assert_problem(&answer, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/me", (), &[("authorization", &auth)])
            .await
            .0,
        StatusCode::OK
    );
    // Revoking twice: not found.
    let answer = app
        .delete(
            &format!("/api/v1/users/{me}/tokens/{}", new["id"].as_str().unwrap()),
            (),
            &[("authorization", &auth)],
        )
        .await;
    assert_problem(&answer, StatusCode::NOT_FOUND);
}

both!(
    a_non_admin_cannot_create_list_or_revoke_tokens_of_others,
    others_tokens
);
async fn others_tokens(app: TestApp) {
    let (_, token) = app.user(Role::Manager).await;
    let auth = bearer(&token);
    let (victim, _) = app.user(Role::Sales).await;
    let answer = app
        .post(
            &format!("/api/v1/users/{victim}/tokens"),
            json!({"name": "x"}),
            &[("authorization", &auth)],
        )
        .await;
    assert_problem(&answer, StatusCode::FORBIDDEN);
    let answer = app
        .get(
            &format!("/api/v1/users/{victim}/tokens"),
            (),
            &[("authorization", &auth)],
        )
        .await;
    assert_problem(&answer, StatusCode::FORBIDDEN);
    let answer = app
        .delete(
            &format!("/api/v1/users/{victim}/tokens/{}", uuid::Uuid::now_v7()),
            (),
            &[("authorization", &auth)],
        )
        .await;
    assert_problem(&answer, StatusCode::FORBIDDEN);
    // An admin may.
    let (status, _, t) = app
        .post(&format!("/api/v1/users/{victim}/tokens"), json!({}), &[])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let (status, _, who) = app
        .get(
            "/api/v1/me",
            (),
            &[("authorization", &bearer(t["token"].as_str().unwrap()))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(who["id"], json!(victim));
}

both!(
    a_deactivated_user_loses_their_tokens_and_may_be_reactivated,
    deactivation
);
async fn deactivation(app: TestApp) {
    let (user, token) = app.user(Role::Sales).await;
    let auth = bearer(&token);
    assert_eq!(
        app.get("/api/v1/me", (), &[("authorization", &auth)])
            .await
            .0,
        StatusCode::OK
    );
    let url = format!("/api/v1/users/{user}");
    let (status, _, u) = app.patch(&url, json!({"active": false}), &[]).await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["active"], false);
    let answer = app
        .get("/api/v1/people", (), &[("authorization", &auth)])
        .await;
    assert_problem(&answer, StatusCode::UNAUTHORIZED);
    // No new token for a deactivated user.
    let answer = app
        .post(&format!("{url}/tokens"), json!({"name": "again"}), &[])
        .await;
    assert_problem(&answer, StatusCode::CONFLICT);

    let (status, _, u) = app.patch(&url, json!({"active": true}), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(u["active"], true);
    // The old token stays dead: deactivation revoked it.
    let answer = app
        .get("/api/v1/people", (), &[("authorization", &auth)])
        .await;
    assert_problem(&answer, StatusCode::UNAUTHORIZED);
    let (status, _, _) = app
        .post(&format!("{url}/tokens"), json!({"name": "again"}), &[])
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // A patch keeps what it does not name.
    let (_, _, u2) = app.patch(&url, json!({"name": "Renommé"}), &[]).await;
    assert_eq!(u2["active"], true);
    assert_eq!(u2["role"], "sales");
    let answer = app.patch(&url, json!({"email": "x@example.fr"}), &[]).await;
    assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY);
}

both!(tokens_are_stored_hashed_never_in_clear, hashed_tokens);
async fn hashed_tokens(app: TestApp) {
    let (me, token) = app.user(Role::Sales).await;
    let (_, _, new) = app
        .post(
            &format!("/api/v1/users/{me}/tokens"),
            json!({"name": "cli"}),
            &[("authorization", &bearer(&token))],
        )
        .await;
    let clear = [
        token.clone(),
        app.token.clone(),
        new["token"].as_str().unwrap().to_string(),
    ];
    let stored = sql_strings(&app.db, "SELECT token_hash FROM api_tokens").await;
    assert_eq!(stored.len(), 3);
    let columns = sql_strings(&app.db, "SELECT name || '|' || token_hash FROM api_tokens")
        .await
        .join("\n");
    for secret in &clear {
        assert!(
            !columns.contains(secret.as_str()),
            "a token is stored in clear"
        );
        assert!(
            stored.contains(&relais_core::auth::hash_secret(secret)),
            "stored as its SHA-256"
        );
    }
    assert!(stored.iter().all(|h| h.len() == 64));
}
