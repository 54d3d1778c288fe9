//! Every error is an RFC 9457 problem that names what is wrong.
use crate::helpers::{TestApp, assert_invalid, assert_problem, error_fields, qs};
use axum::http::{Method, StatusCode};
use serde_json::json;

both!(malformed_json_is_a_400_problem, malformed_json);
async fn malformed_json(app: TestApp) {
    for body in [r#"{"first_name": "#, "not json", ""] {
        let answer = app
            .raw(
                Method::POST,
                "/api/v1/people",
                Some("application/json"),
                body,
                &[],
            )
            .await;
        assert_problem(&answer, StatusCode::BAD_REQUEST);
        assert_eq!(error_fields(&answer.2), ["body"], "{body:?}");
    }
    // The same on a patch.
    let p = app.person(json!({"first_name": "Élodie"})).await;
    let answer = app
        .raw(
            Method::PATCH,
            &format!("/api/v1/people/{}", p["id"].as_str().unwrap()),
            Some("application/merge-patch+json"),
            "{,}",
            &[],
        )
        .await;
    assert_problem(&answer, StatusCode::BAD_REQUEST);
}

both!(
    a_field_error_carries_a_stable_code_and_its_parameters,
    coded_errors
);
async fn coded_errors(app: TestApp) {
    let answer = app
        .post(
            "/api/v1/people",
            json!({"first_name": "é".repeat(101), "phones": [{"number": "12"}]}),
            &[],
        )
        .await;
    assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = answer.2["errors"].as_array().unwrap();
    let of = |field: &str| errors.iter().find(|e| e["field"] == field).unwrap();
    assert_eq!(
        of("first_name"),
        &json!({
            "field": "first_name",
            "code": "too_long",
            "params": {"max": "100"},
            "message": "is longer than 100 characters"
        })
    );
    assert_eq!(of("phones[0].number")["code"], "not_a_phone");
    assert_eq!(of("phones[0].number")["params"], json!({"value": "12"}));
}

both!(an_unknown_field_is_a_422_naming_it, unknown_field);
async fn unknown_field(app: TestApp) {
    let answer = app
        .post(
            "/api/v1/people",
            json!({"frist_name": "Élodie", "last_name": "Martin"}),
            &[],
        )
        .await;
    assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY);
    let named = answer.2["errors"].as_array().unwrap().iter().any(|e| {
        e["field"] == "frist_name" || e["message"].as_str().unwrap().contains("frist_name")
    });
    assert!(named, "{}", answer.2);

    // Nested: an unknown member of an e-mail entry.
    let answer = app
        .post(
            "/api/v1/people",
            json!({"first_name": "Élodie", "emails": [{"adress": "e@example.fr"}]}),
            &[],
        )
        .await;
    assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer.2.to_string().contains("adress"),
        "names the unknown member: {}",
        answer.2
    );

    // And on a patch.
    let p = app.person(json!({"first_name": "Élodie"})).await;
    let answer = app
        .patch(
            &format!("/api/v1/people/{}", p["id"].as_str().unwrap()),
            json!({"jobtitle": "x"}),
            &[],
        )
        .await;
    assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.2.to_string().contains("jobtitle"), "{}", answer.2);
}

both!(an_invalid_email_is_a_422_naming_its_path, invalid_email);
async fn invalid_email(app: TestApp) {
    let answer = app
        .post(
            "/api/v1/people",
            json!({"first_name": "Élodie", "emails": [{"address": "elodie-at-example"}]}),
            &[],
        )
        .await;
    assert_invalid(&answer, "emails[0].address");

    // Several wrong fields are all named at once.
    let answer = app
        .post(
            "/api/v1/people",
            json!({
                "first_name": "Élodie",
                "emails": [{"address": "ok@example.fr"}, {"address": "x@localhost"}],
                "phones": [{"number": "12"}],
                "birthday": "32/13/2000",
                "language": "french"
            }),
            &[],
        )
        .await;
    assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = error_fields(&answer.2);
    for f in [
        "emails[1].address",
        "phones[0].number",
        "birthday",
        "language",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
    }
    // Nothing was created.
    let (_, _, list) = app.get("/api/v1/people", (), &[]).await;
    assert_eq!(list["items"], json!([]));
}

both!(another_content_type_is_a_415_problem, wrong_content_type);
async fn wrong_content_type(app: TestApp) {
    let body = r#"{"first_name": "Élodie"}"#;
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let answer = app.raw(Method::POST, "/api/v1/people", ct, body, &[]).await;
        assert_problem(&answer, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    // With parameters, JSON is still JSON.
    let (status, _, p) = app
        .raw(
            Method::POST,
            "/api/v1/people",
            Some("application/json; charset=utf-8"),
            body,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
}

both!(
    unknown_and_malformed_ids_and_routes_are_404_problems,
    not_found
);
async fn not_found(app: TestApp) {
    let unknown = uuid::Uuid::now_v7();
    for path in [
        format!("/api/v1/people/{unknown}"),
        format!("/api/v1/companies/{unknown}"),
        format!("/api/v1/interactions/{unknown}"),
        format!("/api/v1/tasks/{unknown}"),
        format!("/api/v1/users/{unknown}"),
        format!("/api/v1/custom-fields/{unknown}"),
        format!("/api/v1/people/{unknown}/overview"),
        format!("/api/v1/companies/{unknown}/overview"),
        format!("/api/v1/people/{unknown}/stages"),
        format!("/api/v1/people/{unknown}/consents"),
        "/api/v1/people/not-an-id".to_string(),
        "/api/v1/people/123".to_string(),
        "/api/v1/companies/%20".to_string(),
        "/api/v1/tasks/zzz".to_string(),
        "/api/v1/nothing-here".to_string(),
        "/nothing".to_string(),
    ] {
        let answer = app.get(&path, (), &[]).await;
        assert_problem(&answer, StatusCode::NOT_FOUND);
        assert!(!answer.2["detail"].as_str().unwrap().is_empty(), "{path}");
    }
    let answer = app
        .patch(
            &format!("/api/v1/people/{unknown}"),
            json!({"job_title": "x"}),
            &[],
        )
        .await;
    assert_problem(&answer, StatusCode::NOT_FOUND);
    let answer = app.delete("/api/v1/people/not-an-id", (), &[]).await;
    assert_problem(&answer, StatusCode::NOT_FOUND);
}

both!(
    unknown_filters_bad_cursors_limits_and_sorts_are_422_naming_the_parameter,
    bad_list_parameters
);
async fn bad_list_parameters(app: TestApp) {
    // (list, query parameters, the parameter the problem names)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        ("/api/v1/people", &[("colour", "red")], "colour"),
        ("/api/v1/people", &[("stage[like]", "lead")], "stage[like]"),
        (
            "/api/v1/people",
            &[("email[exists]", "maybe")],
            "email[exists]",
        ),
        ("/api/v1/people", &[("cursor", "not-a-cursor")], "cursor"),
        ("/api/v1/people", &[("cursor", "bm9wZQ")], "cursor"),
        ("/api/v1/people", &[("limit", "0")], "limit"),
        ("/api/v1/people", &[("limit", "201")], "limit"),
        ("/api/v1/people", &[("limit", "ten")], "limit"),
        ("/api/v1/people", &[("sort", "shoe_size")], "sort"),
        ("/api/v1/people", &[("stage", "boss")], "stage"),
        ("/api/v1/people", &[("trash", "maybe")], "trash"),
        ("/api/v1/people", &[("limit", "5"), ("limit", "7")], "limit"),
        ("/api/v1/people", &[("filter", "stage = = lead")], "filter"),
        ("/api/v1/tasks", &[("trash", "yes")], "trash"),
        ("/api/v1/people/duplicates", &[("limit", "-1")], "limit"),
        ("/api/v1/people/duplicates", &[("limit", "abc")], "limit"),
        (
            "/api/v1/companies/duplicates",
            &[("colour", "red")],
            "colour",
        ),
        ("/api/v1/people", &[("owner_id", "nobody")], "owner_id"),
        (
            "/api/v1/people",
            &[("created_at[gte]", "yesterday")],
            "created_at",
        ),
        ("/api/v1/companies", &[("colour", "red")], "colour"),
        ("/api/v1/companies", &[("cursor", "%%%")], "cursor"),
        ("/api/v1/interactions", &[("colour", "red")], "colour"),
        ("/api/v1/interactions", &[("cursor", "xyz")], "cursor"),
        ("/api/v1/tasks", &[("colour", "red")], "colour"),
        ("/api/v1/tasks", &[("done", "perhaps")], "done"),
    ];
    for (path, params, field) in cases {
        let url = format!("{path}{}", qs(params));
        let answer = app.get(&url, (), &[]).await;
        assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY);
        let fields = error_fields(&answer.2);
        assert!(
            fields.iter().any(|f| f == field),
            "{url}: expected an error on {field}, got {}",
            answer.2
        );
    }
    // A cursor of one sort order is not accepted by another.
    for i in 0..3 {
        app.person(json!({"first_name": format!("P{i}")})).await;
    }
    let (_, _, page) = app.get("/api/v1/people?limit=1&sort=name", (), &[]).await;
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let answer = app
        .get(
            &format!(
                "/api/v1/people{}",
                qs(&[("limit", "1"), ("sort", "created_at"), ("cursor", &cursor)])
            ),
            (),
            &[],
        )
        .await;
    assert_invalid(&answer, "cursor");
}
