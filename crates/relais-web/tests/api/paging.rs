//! Keyset paging: pages are disjoint, ordered, complete, and stable under inserts.
use crate::helpers::{TestApp, ids, qs};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;

const LAST_NAMES: [&str; 7] = [
    "Garnier", "Arnaud", "Étienne", "Caron", "Fabre", "Bertin", "Dupont",
];
/// LAST_NAMES by name, accents folded.
const BY_NAME: [&str; 7] = [
    "Arnaud", "Bertin", "Caron", "Dupont", "Étienne", "Fabre", "Garnier",
];

async fn seven(app: &TestApp) -> Vec<String> {
    let mut created = Vec::new();
    for (i, last) in LAST_NAMES.iter().enumerate() {
        let p = app
            .person(json!({"first_name": format!("P{i}"), "last_name": last}))
            .await;
        created.push(p["id"].as_str().unwrap().to_string());
    }
    created
}

async fn page(app: &TestApp, path: &str, params: &[(&str, &str)]) -> Value {
    let url = format!("{path}{}", qs(params));
    let (status, _, page) = app.get(&url, (), &[]).await;
    assert_eq!(status, StatusCode::OK, "{url}: {page}");
    page
}

/// Every page of a list, following `next_cursor`.
async fn all_pages(app: &TestApp, path: &str, sort: &str, limit: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut params = vec![("limit", limit), ("cursor", cursor.as_str())];
        if !sort.is_empty() {
            params.push(("sort", sort));
        }
        let p = page(app, path, &params).await;
        let next = p["next_cursor"].as_str().map(str::to_string);
        pages.push(p);
        match next {
            Some(c) => cursor = c,
            None => break,
        }
        assert!(pages.len() < 20, "paging does not end");
    }
    pages
}

fn last_names(pages: &[Value]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .map(|p| p["last_name"].as_str().unwrap().to_string())
        .collect()
}

#[track_caller]
fn assert_disjoint_and_complete(pages: &[Value], expected: &[String]) {
    let all: Vec<String> = pages.iter().flat_map(ids).collect();
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "pages overlap: {all:?}");
    assert_eq!(all, expected, "pages cover everything, in order");
}

both!(
    keyset_pages_by_name_are_disjoint_ordered_and_complete,
    pages_by_name
);
async fn pages_by_name(app: TestApp) {
    let created = seven(&app).await;
    let pages = all_pages(&app, "/api/v1/people", "name", "3").await;
    let sizes: Vec<usize> = pages
        .iter()
        .map(|p| p["items"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [3, 3, 1]);
    assert!(pages[..2].iter().all(|p| p["next_cursor"].is_string()));
    assert_eq!(
        pages[2]["next_cursor"],
        Value::Null,
        "the last page has no cursor"
    );
    assert_eq!(last_names(&pages), BY_NAME);
    let by_name: Vec<String> = BY_NAME
        .iter()
        .map(|n| created[LAST_NAMES.iter().position(|x| x == n).unwrap()].clone())
        .collect();
    assert_disjoint_and_complete(&pages, &by_name);

    // Descending.
    let pages = all_pages(&app, "/api/v1/people", "-name", "3").await;
    let mut reversed = BY_NAME.to_vec();
    reversed.reverse();
    assert_eq!(last_names(&pages), reversed);

    // A page exactly as long as what is left has no next cursor.
    let p = page(&app, "/api/v1/people", &[("limit", "7")]).await;
    assert_eq!(p["items"].as_array().unwrap().len(), 7);
    assert_eq!(p["next_cursor"], Value::Null);
    // The default order is by name.
    assert_eq!(last_names(&[p]), BY_NAME);
}

both!(
    keyset_pages_by_newest_first_are_disjoint_ordered_and_complete,
    pages_by_creation
);
async fn pages_by_creation(app: TestApp) {
    let created = seven(&app).await;
    let pages = all_pages(&app, "/api/v1/people", "-created_at", "3").await;
    let mut newest_first = created.clone();
    newest_first.reverse();
    assert_disjoint_and_complete(&pages, &newest_first);
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[2]["next_cursor"], Value::Null);
    let times: Vec<chrono::DateTime<chrono::Utc>> = pages
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .map(|p| p["created_at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    let pages = all_pages(&app, "/api/v1/people", "created_at", "2").await;
    assert_eq!(pages.len(), 4);
    assert_disjoint_and_complete(&pages, &created);

    let pages = all_pages(&app, "/api/v1/people", "updated_at", "4").await;
    assert_disjoint_and_complete(&pages, &created);
}

both!(
    a_person_created_between_two_page_fetches_causes_no_duplicates,
    insert_while_paging
);
async fn insert_while_paging(app: TestApp) {
    let created = seven(&app).await;
    for sort in ["name", "-created_at"] {
        let first = page(&app, "/api/v1/people", &[("limit", "3"), ("sort", sort)]).await;
        let cursor = first["next_cursor"].as_str().unwrap().to_string();
        // One sorting before the cursor, one after (by name); both newest (by creation).
        let aaron = app
            .person(json!({"first_name": "Nouveau", "last_name": format!("Aaron {sort}")}))
            .await;
        let zola = app
            .person(json!({"first_name": "Nouveau", "last_name": format!("Zola {sort}")}))
            .await;
        let mut seen: Vec<String> = ids(&first);
        let mut cursor = Some(cursor);
        while let Some(c) = cursor {
            let p = page(
                &app,
                "/api/v1/people",
                &[("limit", "3"), ("sort", sort), ("cursor", &c)],
            )
            .await;
            seen.extend(ids(&p));
            cursor = p["next_cursor"].as_str().map(str::to_string);
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "{sort}: a record came twice");
        for id in &created {
            assert!(seen.contains(id), "{sort}: {id} was skipped");
        }
        let (aaron, zola) = (aaron["id"].as_str().unwrap(), zola["id"].as_str().unwrap());
        if sort == "name" {
            assert!(!seen.iter().any(|i| i == aaron), "sorts before the cursor");
            assert!(seen.iter().any(|i| i == zola), "sorts after the cursor");
        } else {
            assert!(!seen.iter().any(|i| i == aaron || i == zola));
        }
        // Clean up for the next order.
        for id in [aaron, zola] {
            app.delete(&format!("/api/v1/people/{id}"), (), &[]).await;
        }
    }
}

both!(
    companies_interactions_and_tasks_page_with_cursors_too,
    other_lists
);
async fn other_lists(app: TestApp) {
    let mut companies = Vec::new();
    for name in ["Delta", "Alpha", "Écho", "Charlie", "Bravo"] {
        let c = app.company(json!({"name": name})).await;
        companies.push(c);
    }
    let pages = all_pages(&app, "/api/v1/companies", "name", "2").await;
    let names: Vec<String> = pages
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["Alpha", "Bravo", "Charlie", "Delta", "Écho"]);
    assert_eq!(pages.len(), 3);

    let person = app.person(json!({"first_name": "Paul"})).await;
    let mut interactions = Vec::new();
    for day in 1..=5 {
        let (status, _, i) = app
            .post(
                "/api/v1/interactions",
                json!({
                    "kind": "call", "occurred_at": format!("2024-05-0{day}T10:00:00+02:00"),
                    "subject": format!("Appel {day}"), "person_ids": [person["id"]]
                }),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{i}");
        interactions.push(i["id"].as_str().unwrap().to_string());
    }
    let pages = all_pages(&app, "/api/v1/interactions", "", "2").await;
    interactions.reverse();
    assert_disjoint_and_complete(&pages, &interactions);

    let mut tasks = Vec::new();
    for i in 0..5 {
        let (status, _, t) = app
            .post("/api/v1/tasks", json!({"title": format!("Tâche {i}")}), &[])
            .await;
        assert_eq!(status, StatusCode::CREATED, "{t}");
        tasks.push(t["id"].as_str().unwrap().to_string());
    }
    let pages = all_pages(&app, "/api/v1/tasks", "", "2").await;
    assert_disjoint_and_complete(&pages, &tasks);
}
