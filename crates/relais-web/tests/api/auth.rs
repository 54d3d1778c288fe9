//! Without valid credentials: 401 with `WWW-Authenticate: Bearer`.
use crate::helpers::{TestApp, assert_problem, header_str};
use axum::http::{StatusCode, header};
use serde_json::json;

both!(
    without_credentials_the_api_answers_401_with_www_authenticate,
    no_auth
);
async fn no_auth(app: TestApp) {
    for path in [
        "/api/v1/people",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/custom-fields",
    ] {
        let answer = app.get(path, (), &[("authorization", "")]).await;
        assert_problem(&answer, StatusCode::UNAUTHORIZED);
        assert_eq!(
            header_str(&answer.1, header::WWW_AUTHENTICATE),
            Some("Bearer"),
            "{path}"
        );
    }
    let answer = app
        .post(
            "/api/v1/people",
            json!({"first_name": "Nino"}),
            &[("authorization", "")],
        )
        .await;
    assert_problem(&answer, StatusCode::UNAUTHORIZED);
    let (_, _, list) = app.get("/api/v1/people", (), &[]).await;
    assert_eq!(list["items"], json!([]));
}

both!(a_bad_token_is_401, bad_token);
async fn bad_token(app: TestApp) {
    let truncated = format!("Bearer {}", &app.token[..app.token.len() - 1]);
    let basic = "Basic YWRtaW46YWRtaW4=".to_string();
    for auth in [
        "Bearer relais_not-a-real-token",
        "Bearer ",
        truncated.as_str(),
        basic.as_str(),
        app.token.as_str(),
    ] {
        let answer = app
            .get("/api/v1/people", (), &[("authorization", auth)])
            .await;
        assert_problem(&answer, StatusCode::UNAUTHORIZED);
        assert_eq!(
            header_str(&answer.1, header::WWW_AUTHENTICATE),
            Some("Bearer")
        );
    }
    // A cookie that is no session.
    let answer = app
        .get("/api/v1/people", (), &[("cookie", "relais_session=forged")])
        .await;
    assert_problem(&answer, StatusCode::UNAUTHORIZED);
    // The real one works, surrounding spaces and all.
    let spaced = format!("Bearer  {} ", app.token);
    assert_eq!(
        app.get("/api/v1/people", (), &[("authorization", &spaced)])
            .await
            .0,
        StatusCode::OK
    );
}

both!(the_bearer_scheme_is_case_insensitive, scheme_case);
async fn scheme_case(app: TestApp) {
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let auth = format!("{scheme} {}", app.token);
        let (status, _, body) = app.get("/api/v1/me", (), &[("authorization", &auth)]).await;
        assert_eq!(status, StatusCode::OK, "{scheme}: {body}");
    }
}
