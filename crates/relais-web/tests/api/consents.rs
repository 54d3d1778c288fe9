//! Consent per channel: the history is kept, the latest counts.
use crate::helpers::{TestApp, assert_invalid, assert_problem};
use axum::http::StatusCode;
use serde_json::json;

both!(
    a_withdrawn_consent_is_current_and_the_grant_stays_in_the_history,
    consent_history
);
async fn consent_history(app: TestApp) {
    let p = app
        .person(json!({"first_name": "Amélie", "emails": [{"address": "amelie@example.fr"}]}))
        .await;
    let url = format!("/api/v1/people/{}/consents", p["id"].as_str().unwrap());
    let (status, _, c) = app.get(&url, (), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c, json!({"current": [], "history": []}));

    let (status, _, c) = app
        .post(
            &url,
            json!({"channel": "email", "status": "granted", "source": "web form"}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["current"][0]["status"], "granted");
    assert_eq!(c["current"][0]["source"], "web form");
    assert_eq!(c["current"][0]["recorded_by"], json!(app.admin_id));

    let (status, _, c) = app
        .post(
            &url,
            json!({"channel": "EMAIL", "status": "withdrawn", "source": "unsubscribe link"}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let history = c["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{c}");
    assert_eq!(history[0]["status"], "withdrawn", "newest first");
    assert_eq!(history[1]["status"], "granted");
    assert!(history[0]["recorded_at"].as_str() >= history[1]["recorded_at"].as_str());
    let current = c["current"].as_array().unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["channel"], "email");
    assert_eq!(current[0]["status"], "withdrawn");

    // Another channel is its own.
    app.post(&url, json!({"channel": "sms", "status": "granted"}), &[])
        .await;
    let (_, _, c) = app.get(&url, (), &[]).await;
    assert_eq!(c["history"].as_array().unwrap().len(), 3);
    let mut current: Vec<(String, String)> = c["current"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["channel"].as_str().unwrap().to_string(),
                x["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    current.sort();
    assert_eq!(
        current,
        [
            ("email".to_string(), "withdrawn".to_string()),
            ("sms".to_string(), "granted".to_string())
        ]
    );

    // The overview shows the current consent per channel.
    let (_, _, o) = app
        .get(
            &format!("/api/v1/people/{}/overview", p["id"].as_str().unwrap()),
            (),
            &[],
        )
        .await;
    assert_eq!(o["consents"], c["current"]);

    // And the audit trail has each.
    let (_, _, audit) = app
        .get(
            &format!("/api/v1/people/{}/audit", p["id"].as_str().unwrap()),
            (),
            &[],
        )
        .await;
    let consents: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "consent")
        .map(|e| {
            (
                e["field"].as_str().unwrap(),
                e["new_value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        consents,
        [
            ("consent.sms", "granted"),
            ("consent.email", "withdrawn"),
            ("consent.email", "granted")
        ]
    );
}

both!(a_consent_names_a_known_channel_and_status, consent_checks);
async fn consent_checks(app: TestApp) {
    let p = app.person(json!({"first_name": "Amélie"})).await;
    let url = format!("/api/v1/people/{}/consents", p["id"].as_str().unwrap());
    for (body, field) in [
        (json!({"channel": "pigeon", "status": "granted"}), "channel"),
        (json!({"channel": "email", "status": "maybe"}), "status"),
        (json!({"channel": "email"}), "body"),
        (
            json!({"channel": "email", "status": "granted", "when": "now"}),
            "when",
        ),
    ] {
        let answer = app.post(&url, body.clone(), &[]).await;
        assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY);
        let text = answer.2.to_string();
        assert!(
            crate::helpers::error_fields(&answer.2)
                .iter()
                .any(|f| f == field)
                || text.contains(field),
            "{body}: {text}"
        );
    }
    let answer = app
        .post(
            &format!("/api/v1/people/{}/consents", uuid::Uuid::now_v7()),
            json!({"channel": "email", "status": "granted"}),
            &[],
        )
        .await;
    assert_problem(&answer, StatusCode::NOT_FOUND);
    let answer = app
        .post(
            &url,
            json!({"channel": "post", "status": "granted", "source": "x".repeat(201)}),
            &[],
        )
        .await;
    assert_invalid(&answer, "source");
}
