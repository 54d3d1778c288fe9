//! The audit trail: who changed which field from what to what.
use crate::helpers::{TestApp, bearer};
use axum::http::StatusCode;
use relais_domain::Role;
use serde_json::{Value, json};

fn entries<'a>(audit: &'a Value, action: &str) -> Vec<&'a Value> {
    audit["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not an audit page: {audit}"))
        .iter()
        .filter(|e| e["action"] == action)
        .collect()
}

both!(
    a_patch_leaves_an_audit_entry_with_the_field_old_and_new_values_and_the_actor,
    audit_trail
);
async fn audit_trail(app: TestApp) {
    let p = app
        .person(json!({"first_name": "Élodie", "last_name": "Martin", "job_title": "Graphiste"}))
        .await;
    let id = p["id"].as_str().unwrap();
    let url = format!("/api/v1/people/{id}");
    let (status, _, _) = app
        .patch(&url, json!({"job_title": "Directrice artistique"}), &[])
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, audit) = app.get(&format!("{url}/audit"), (), &[]).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items[0]["action"], "updated", "newest first: {audit}");
    let updated = entries(&audit, "updated");
    assert_eq!(updated.len(), 1, "only the field that changed: {audit}");
    let u = updated[0];
    assert_eq!(u["field"], "job_title");
    assert_eq!(u["old_value"], "Graphiste");
    assert_eq!(u["new_value"], "Directrice artistique");
    assert_eq!(u["actor_id"], json!(app.admin_id));
    assert_eq!(u["entity"], "person");
    assert_eq!(u["entity_id"], id);
    let created = entries(&audit, "created");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["actor_id"], json!(app.admin_id));

    // Another user's change is theirs; a trash and a restore are recorded too.
    let (support, token) = app.user(Role::Support).await;
    let (status, _, _) = app
        .patch(
            &url,
            json!({"job_title": null, "tags": ["presse"]}),
            &[("authorization", &bearer(&token))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.delete(&url, (), &[]).await;
    app.post(&format!("{url}/restore"), (), &[]).await;
    let (_, _, audit) = app.get(&format!("{url}/audit"), (), &[]).await;
    let updated = entries(&audit, "updated");
    let by_support: Vec<(&str, &Value, &Value)> = updated
        .iter()
        .filter(|e| e["actor_id"] == json!(support))
        .map(|e| {
            (
                e["field"].as_str().unwrap(),
                &e["old_value"],
                &e["new_value"],
            )
        })
        .collect();
    assert!(
        by_support.contains(&("job_title", &json!("Directrice artistique"), &Value::Null)),
        "{by_support:?}"
    );
    assert!(
        by_support.contains(&("tags", &Value::Null, &json!("[\"presse\"]"))),
        "{by_support:?}"
    );
    assert_eq!(entries(&audit, "deleted").len(), 1);
    assert_eq!(entries(&audit, "restored").len(), 1);
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.first(), Some(&"restored"), "{actions:?}");
    assert_eq!(actions.last(), Some(&"created"), "{actions:?}");

    // The trail pages like any list.
    let (_, _, first) = app.get(&format!("{url}/audit?limit=2"), (), &[]).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().expect("more entries");
    let (_, _, rest) = app
        .get(&format!("{url}/audit?limit=50&cursor={cursor}"), (), &[])
        .await;
    assert_eq!(
        first["items"].as_array().unwrap().len() + rest["items"].as_array().unwrap().len(),
        audit["items"].as_array().unwrap().len()
    );

    // Companies and interactions have theirs.
    let c = app.company(json!({"name": "Acme"})).await;
    let curl = format!("/api/v1/companies/{}", c["id"].as_str().unwrap());
    app.patch(&curl, json!({"name": "Acme SA"}), &[]).await;
    let (_, _, audit) = app.get(&format!("{curl}/audit"), (), &[]).await;
    let u = entries(&audit, "updated");
    assert_eq!(u.len(), 1);
    assert_eq!(
        (&u[0]["old_value"], &u[0]["new_value"]),
        (&json!("Acme"), &json!("Acme SA"))
    );
    let (_, _, i) = app
        .post(
            "/api/v1/interactions",
            json!({"kind": "note", "subject": "a", "company_id": c["id"]}),
            &[],
        )
        .await;
    let iurl = format!("/api/v1/interactions/{}", i["id"].as_str().unwrap());
    app.patch(&iurl, json!({"subject": "b"}), &[]).await;
    let (_, _, audit) = app.get(&format!("{iurl}/audit"), (), &[]).await;
    let u = entries(&audit, "updated");
    assert_eq!(u.len(), 1, "{audit}");
    assert_eq!(u[0]["field"], "subject");
}
