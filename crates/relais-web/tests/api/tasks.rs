//! Tasks: the caller's by default, done with a date, on the overview while open.
use crate::helpers::{TestApp, assert_invalid, bearer, ids, qs};
use axum::http::StatusCode;
use relais_domain::Role;
use serde_json::{Value, json};

both!(
    a_task_is_the_callers_by_default_and_done_sets_done_at,
    task_life
);
async fn task_life(app: TestApp) {
    let person = app.person(json!({"first_name": "Amélie"})).await;
    let (status, _, t) = app
        .post(
            "/api/v1/tasks",
            json!({"title": "Rappeler Amélie", "due_at": "2024-07-01T09:00:00+02:00", "person_id": person["id"]}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(
        t["assignee_id"],
        json!(app.admin_id),
        "the caller's by default"
    );
    assert_eq!(t["created_by"], json!(app.admin_id));
    assert_eq!(t["done"], false);
    assert_eq!(t["done_at"], Value::Null);
    assert_eq!(t["person_id"], person["id"]);

    // Someone else's task is theirs.
    let (sales, token) = app.user(Role::Sales).await;
    let (status, _, s) = app
        .post(
            "/api/v1/tasks",
            json!({"title": "Envoyer le devis", "person_id": person["id"]}),
            &[("authorization", &bearer(&token))],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["assignee_id"], json!(sales));
    // ...unless they name someone.
    let (_, _, a) = app
        .post(
            "/api/v1/tasks",
            json!({"title": "Relire", "assignee_id": sales}),
            &[],
        )
        .await;
    assert_eq!(a["assignee_id"], json!(sales));

    let overview = format!("/api/v1/people/{}/overview", person["id"].as_str().unwrap());
    let (_, _, o) = app.get(&overview, (), &[]).await;
    let mut open = ids(&json!({"items": o["open_tasks"]}));
    open.sort();
    let mut expected = vec![
        t["id"].as_str().unwrap().to_string(),
        s["id"].as_str().unwrap().to_string(),
    ];
    expected.sort();
    assert_eq!(open, expected);
    assert_eq!(o["counts"]["open_tasks"], 2);

    let url = format!("/api/v1/tasks/{}", t["id"].as_str().unwrap());
    let (status, _, done) = app.patch(&url, json!({"done": true}), &[]).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["done"], true);
    let done_at: chrono::DateTime<chrono::Utc> = done["done_at"]
        .as_str()
        .expect("done_at set")
        .parse()
        .unwrap();
    assert!(done_at <= chrono::Utc::now());
    assert_eq!(done["title"], t["title"]);
    assert_eq!(done["due_at"], t["due_at"]);

    // Done again keeps the first date; reopening clears it.
    let (_, _, again) = app
        .patch(&url, json!({"done": true, "notes": "fait"}), &[])
        .await;
    assert_eq!(again["done_at"], done["done_at"]);

    let (_, _, o) = app.get(&overview, (), &[]).await;
    assert_eq!(
        ids(&json!({"items": o["open_tasks"]})),
        [s["id"].as_str().unwrap()]
    );
    assert_eq!(o["counts"]["open_tasks"], 1);

    let list = |params: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, _, page) = app
                .get(&format!("/api/v1/tasks{}", qs(&pairs)), (), &[])
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let mut ids = ids(&page);
            ids.sort();
            ids
        }
    };
    let mut open = vec![
        s["id"].as_str().unwrap().to_string(),
        a["id"].as_str().unwrap().to_string(),
    ];
    open.sort();
    assert_eq!(list(vec![("done", "false".into())]).await, open);
    assert_eq!(
        list(vec![("done", "true".into())]).await,
        [t["id"].as_str().unwrap()]
    );
    assert_eq!(
        list(vec![
            ("done", "false".into()),
            ("assignee_id", sales.to_string())
        ])
        .await,
        open
    );
    assert_eq!(
        list(vec![("person_id", person["id"].as_str().unwrap().into())])
            .await
            .len(),
        2
    );

    let (_, _, reopened) = app.patch(&url, json!({"done": false}), &[]).await;
    assert_eq!(reopened["done"], false);
    assert_eq!(reopened["done_at"], Value::Null);

    // Trash and restore.
    assert_eq!(app.delete(&url, (), &[]).await.0, StatusCode::NO_CONTENT);
    let (_, _, o) = app.get(&overview, (), &[]).await;
    assert_eq!(o["counts"]["open_tasks"], 1);
    let (status, _, back) = app.post(&format!("{url}/restore"), (), &[]).await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(back["deleted_at"], Value::Null);
}

both!(a_task_needs_a_title_and_real_references, task_checks);
async fn task_checks(app: TestApp) {
    let ghost = uuid::Uuid::now_v7();
    for (body, field) in [
        (json!({}), "title"),
        (json!({"title": "  "}), "title"),
        (json!({"title": "x", "due_at": "demain"}), "due_at"),
        (json!({"title": "x", "assignee_id": ghost}), "assignee_id"),
        (json!({"title": "x", "person_id": ghost}), "person_id"),
        (json!({"title": "x", "company_id": ghost}), "company_id"),
        (json!({"title": "x", "done": "yes"}), "done"),
    ] {
        let answer = app.post("/api/v1/tasks", body, &[]).await;
        assert_invalid(&answer, field);
    }
}

both!(
    a_task_whose_person_went_to_the_trash_can_still_be_done,
    trashed_person
);
async fn trashed_person(app: TestApp) {
    let p = app
        .person(json!({"first_name": "Ada", "last_name": "Partie"}))
        .await;
    let pid = p["id"].as_str().unwrap();
    let (_, _, task) = app
        .post(
            "/api/v1/tasks",
            json!({"title": "Rappeler", "person_id": pid}),
            &[],
        )
        .await;
    let tid = task["id"].as_str().unwrap();
    let (s, _, _) = app.delete(&format!("/api/v1/people/{pid}"), (), &[]).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, done) = app
        .patch(&format!("/api/v1/tasks/{tid}"), json!({"done": true}), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["done"], true);
    // A new reference to a trashed person is still refused.
    let answer = app
        .post(
            "/api/v1/tasks",
            json!({"title": "Autre", "person_id": pid}),
            &[],
        )
        .await;
    assert_invalid(&answer, "person_id");
}
