//! Interactions: the timeline of a person and of a company.
use crate::helpers::{TestApp, assert_invalid, assert_problem, header_str, ids, qs};
use axum::http::{StatusCode, header};
use serde_json::{Value, json};

async fn interaction(app: &TestApp, body: Value) -> Value {
    let (status, _, i) = app.post("/api/v1/interactions", body, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{i}");
    i
}

fn subjects(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["subject"].as_str().unwrap_or_default().to_string())
        .collect()
}

both!(
    a_meeting_with_a_long_report_is_kept_whole_and_heads_the_timeline_newest_first,
    long_meeting
);
async fn long_meeting(app: TestApp) {
    let person = app
        .person(json!({"first_name": "Amélie", "last_name": "Poulain"}))
        .await;
    let company = app.company(json!({"name": "Café des Deux Moulins"})).await;
    let line = "Compte rendu de la réunion : les nains de jardin voyagent. ";
    // Optional texts are trimmed: the report ends with a full stop, not a space.
    let report: String = line.repeat(100_000 / line.len() + 1).trim_end().to_string();
    assert!(report.len() > 100_000);

    let (status, headers, m) = app
        .post(
            "/api/v1/interactions",
            json!({
                "kind": "meeting", "direction": "internal", "occurred_at": "2024-03-31T14:00:00+02:00",
                "duration_minutes": 90, "subject": "Réunion de printemps", "body": report,
                "person_ids": [person["id"]], "company_id": company["id"]
            }),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_eq!(header_str(&headers, header::ETAG), Some("\"1\""));
    assert_eq!(m["kind"], "meeting");
    assert!(
        m["body"].as_str() == Some(report.as_str()),
        "the report is kept whole ({} bytes sent, {} back)",
        report.len(),
        m["body"].as_str().map_or(0, str::len)
    );
    assert_eq!(m["person_ids"], json!([person["id"]]));
    assert_eq!(m["company_id"], company["id"]);
    assert_eq!(
        m["user_ids"],
        json!([app.admin_id]),
        "whoever logs it took part"
    );
    assert_eq!(m["created_by"], json!(app.admin_id));
    let at: chrono::DateTime<chrono::Utc> = m["occurred_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(at.to_rfc3339(), "2024-03-31T12:00:00+00:00");
    let (status, _, read) = app
        .get(
            &format!("/api/v1/interactions/{}", m["id"].as_str().unwrap()),
            (),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, m);

    for (kind, at, subject) in [
        ("email", "2024-01-15T09:00:00Z", "Devis"),
        ("call", "2024-04-02T16:30:00Z", "Rappel"),
        ("note", "2024-05-01T08:00:00Z", "Muguet"),
        ("call", "2024-04-20T10:00:00Z", "Relance"),
    ] {
        interaction(
            &app,
            json!({"kind": kind, "occurred_at": at, "subject": subject, "person_ids": [person["id"]]}),
        )
        .await;
    }
    let (status, _, o) = app
        .get(
            &format!("/api/v1/people/{}/overview", person["id"].as_str().unwrap()),
            (),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(
        subjects(&o["timeline"]),
        [
            "Muguet",
            "Relance",
            "Rappel",
            "Réunion de printemps",
            "Devis"
        ],
        "newest first"
    );
    assert_eq!(o["timeline"]["next_cursor"], Value::Null);
    assert_eq!(o["counts"]["interactions"], 5);
    assert_eq!(
        o["counts"]["interactions_by_kind"],
        json!({"call": 2, "email": 1, "meeting": 1, "note": 1})
    );
    assert_eq!(o["person"]["id"], person["id"]);
    assert_eq!(
        o["timeline"]["items"][3]["body"].as_str().unwrap().len(),
        report.len()
    );

    // On the company: the meeting, filed on it.
    let (_, _, co) = app
        .get(
            &format!(
                "/api/v1/companies/{}/overview",
                company["id"].as_str().unwrap()
            ),
            (),
            &[],
        )
        .await;
    assert_eq!(subjects(&co["timeline"]), ["Réunion de printemps"]);

    // The interaction list filters by person and kind.
    let (_, _, calls) = app
        .get(
            &format!(
                "/api/v1/interactions{}",
                qs(&[
                    ("person_id", person["id"].as_str().unwrap()),
                    ("kind", "call")
                ])
            ),
            (),
            &[],
        )
        .await;
    assert_eq!(subjects(&calls), ["Relance", "Rappel"]);
    let (_, _, q) = app.get("/api/v1/interactions?q=printemps", (), &[]).await;
    assert_eq!(subjects(&q), ["Réunion de printemps"]);
}

both!(
    the_timeline_of_a_person_pages_with_limit_and_cursor,
    timeline_paging
);
async fn timeline_paging(app: TestApp) {
    let person = app.person(json!({"first_name": "Nino"})).await;
    let other = app.person(json!({"first_name": "Raphaël"})).await;
    // Two at the same instant: the id breaks the tie.
    for (day, subject) in [
        (1, "un"),
        (2, "deux"),
        (3, "trois"),
        (3, "trois bis"),
        (5, "cinq"),
    ] {
        interaction(
            &app,
            json!({"kind": "call", "occurred_at": format!("2024-06-0{day}T12:00:00Z"), "subject": subject, "person_ids": [person["id"]]}),
        )
        .await;
    }
    interaction(
        &app,
        json!({"kind": "sms", "subject": "ailleurs", "person_ids": [other["id"]]}),
    )
    .await;
    let base = format!("/api/v1/people/{}/overview", person["id"].as_str().unwrap());
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let (status, _, o) = app
            .get(
                &format!("{base}{}", qs(&[("limit", "2"), ("cursor", &cursor)])),
                (),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{o}");
        pages += 1;
        assert!(o["timeline"]["items"].as_array().unwrap().len() <= 2);
        assert_eq!(o["counts"]["interactions"], 5, "counts are of everything");
        seen.extend(subjects(&o["timeline"]));
        match o["timeline"]["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
        assert!(pages < 10);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(seen[0], "cinq");
    let mut threes = vec![seen[1].clone(), seen[2].clone()];
    threes.sort();
    assert_eq!(threes, ["trois", "trois bis"]);
    assert_eq!(seen[3..], ["deux", "un"]);

    let answer = app.get(&format!("{base}?cursor=nonsense"), (), &[]).await;
    assert_invalid(&answer, "cursor");
}

both!(
    an_interaction_needs_an_existing_person_or_company,
    interaction_checks
);
async fn interaction_checks(app: TestApp) {
    let answer = app
        .post(
            "/api/v1/interactions",
            json!({"kind": "call", "subject": "Personne"}),
            &[],
        )
        .await;
    assert_invalid(&answer, "person_ids");

    let person = app.person(json!({"first_name": "Nino"})).await;
    let ghost = uuid::Uuid::now_v7();
    let answer = app
        .post(
            "/api/v1/interactions",
            json!({"kind": "call", "person_ids": [ghost]}),
            &[],
        )
        .await;
    assert_invalid(&answer, "person_ids[0]");
    let answer = app
        .post(
            "/api/v1/interactions",
            json!({"kind": "call", "person_ids": [person["id"], ghost]}),
            &[],
        )
        .await;
    assert_invalid(&answer, "person_ids[1]");
    let answer = app
        .post(
            "/api/v1/interactions",
            json!({"kind": "call", "company_id": ghost}),
            &[],
        )
        .await;
    assert_invalid(&answer, "company_id");
    for (body, field) in [
        (
            json!({"kind": "pigeon", "person_ids": [person["id"]]}),
            "kind",
        ),
        (json!({"person_ids": [person["id"]]}), "kind"),
        (
            json!({"kind": "call", "occurred_at": "hier", "person_ids": [person["id"]]}),
            "occurred_at",
        ),
        (
            json!({"kind": "call", "duration_minutes": 5000, "person_ids": [person["id"]]}),
            "duration_minutes",
        ),
        (
            json!({"kind": "call", "direction": "sideways", "person_ids": [person["id"]]}),
            "direction",
        ),
        (
            json!({"kind": "call", "user_ids": [ghost], "person_ids": [person["id"]]}),
            "user_ids[0]",
        ),
    ] {
        let answer = app.post("/api/v1/interactions", body, &[]).await;
        assert_invalid(&answer, field);
    }
    // A person in the trash can't get new interactions.
    app.delete(
        &format!("/api/v1/people/{}", person["id"].as_str().unwrap()),
        (),
        &[],
    )
    .await;
    let answer = app
        .post(
            "/api/v1/interactions",
            json!({"kind": "call", "person_ids": [person["id"]]}),
            &[],
        )
        .await;
    assert_invalid(&answer, "person_ids[0]");
}

both!(
    interactions_are_patched_trashed_restored_and_purged,
    interaction_life
);
async fn interaction_life(app: TestApp) {
    let person = app.person(json!({"first_name": "Nino"})).await;
    let i = interaction(
        &app,
        json!({"kind": "call", "subject": "Appel", "person_ids": [person["id"]]}),
    )
    .await;
    let url = format!("/api/v1/interactions/{}", i["id"].as_str().unwrap());
    let overview = format!("/api/v1/people/{}/overview", person["id"].as_str().unwrap());
    let (status, headers, j) = app
        .patch(
            &url,
            json!({"subject": "Appel manqué", "direction": "inbound"}),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{j}");
    assert_eq!(header_str(&headers, header::ETAG), Some("\"2\""));
    assert_eq!(j["subject"], "Appel manqué");
    assert_eq!(j["direction"], "inbound");
    assert_eq!(j["occurred_at"], i["occurred_at"]);
    assert_eq!(j["person_ids"], i["person_ids"]);
    let answer = app
        .patch(&url, json!({"subject": "x"}), &[("if-match", "\"1\"")])
        .await;
    assert_problem(&answer, StatusCode::PRECONDITION_FAILED);
    assert_eq!(answer.2["current"]["subject"], "Appel manqué");

    assert_problem(
        &app.post(&format!("{url}/purge"), (), &[]).await,
        StatusCode::CONFLICT,
    );
    assert_eq!(app.delete(&url, (), &[]).await.0, StatusCode::NO_CONTENT);
    let (_, _, o) = app.get(&overview, (), &[]).await;
    assert_eq!(o["timeline"]["items"], json!([]));
    assert_eq!(o["counts"]["interactions"], 0);
    let (_, _, trash) = app.get("/api/v1/interactions?trash=true", (), &[]).await;
    assert_eq!(ids(&trash), [i["id"].as_str().unwrap()]);
    let (status, _, back) = app.post(&format!("{url}/restore"), (), &[]).await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(back["deleted_at"], Value::Null);
    let (_, _, o) = app.get(&overview, (), &[]).await;
    assert_eq!(o["counts"]["interactions"], 1);
    app.delete(&url, (), &[]).await;
    assert_eq!(
        app.post(&format!("{url}/purge"), (), &[]).await.0,
        StatusCode::NO_CONTENT
    );
    assert_problem(&app.get(&url, (), &[]).await, StatusCode::NOT_FOUND);
}

both!(
    a_company_overview_counts_all_its_interactions_whatever_the_page,
    company_counts
);
async fn company_counts(app: TestApp) {
    let company = app.company(json!({"name": "Les Deux Moulins"})).await;
    for day in 1..=3 {
        interaction(
            &app,
            json!({"kind": "call", "occurred_at": format!("2024-06-0{day}T12:00:00Z"), "company_id": company["id"]}),
        )
        .await;
    }
    let url = format!(
        "/api/v1/companies/{}/overview?limit=1",
        company["id"].as_str().unwrap()
    );
    let (status, _, o) = app.get(&url, (), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(o["timeline"]["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        o["counts"]["interactions"], 3,
        "as on a person's overview, the count is of every interaction: {}",
        o["counts"]
    );
}
