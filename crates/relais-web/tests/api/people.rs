//! People: create, read, merge-patch, trash, restore, purge; stage history.
use crate::helpers::{TestApp, assert_problem, header_str, ids};
use axum::http::{StatusCode, header};
use serde_json::{Value, json};

fn amelie() -> Value {
    json!({
        "civility": "Mme",
        "first_name": " Amélie ",
        "last_name": "Poulain",
        "job_title": "Serveuse",
        "emails": [{"kind": "WORK", "address": "amelie@DeuxMoulins.example"}],
        "phones": [{"kind": "cell", "number": "06 40 50 60 70"}],
        "addresses": [{"kind": "home", "street": "15 rue Lepic", "postal_code": "75018", "city": "Paris", "country": "fr"}],
        "birthday": "03/09/1973",
        "stage": "client",
        "tags": ["vip", "vip", "cinéma"],
        "notes": "Aime les ricochets."
    })
}

both!(
    creating_a_person_answers_201_with_an_etag_and_normalised_values,
    creating_a_person
);
async fn creating_a_person(app: TestApp) {
    let (status, headers, p) = app.post("/api/v1/people", amelie(), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(header_str(&headers, header::ETAG), Some("\"1\""));
    assert_eq!(
        header_str(&headers, header::CONTENT_TYPE),
        Some("application/json")
    );
    assert_eq!(p["version"], 1);
    assert_eq!(p["first_name"], "Amélie", "trimmed");
    assert_eq!(p["display_name"], "Amélie Poulain");
    assert_eq!(
        p["phones"],
        json!([{"kind": "mobile", "number": "+33640506070"}])
    );
    assert_eq!(p["birthday"], "1973-09-03");
    assert_eq!(
        p["emails"],
        json!([{"kind": "work", "address": "amelie@deuxmoulins.example"}]),
        "kind and domain lowercased"
    );
    assert_eq!(p["addresses"][0]["country"], "FR");
    assert_eq!(p["stage"], "customer", "French stage names are read");
    let mut tags: Vec<&str> = p["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    tags.sort();
    assert_eq!(tags, ["cinéma", "vip"], "duplicate tags dropped");
    assert_eq!(p["deleted_at"], Value::Null);
    assert!(p["created_at"].is_string() && p["updated_at"].is_string());
    assert!(uuid::Uuid::parse_str(p["id"].as_str().unwrap()).is_ok());

    let (status, headers, read) = app
        .get(
            &format!("/api/v1/people/{}", p["id"].as_str().unwrap()),
            (),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_str(&headers, header::ETAG), Some("\"1\""));
    assert_eq!(read, p, "reads back exactly what was answered on create");
}

both!(
    a_merge_patch_changes_only_the_given_fields_and_null_removes,
    merge_patch
);
async fn merge_patch(app: TestApp) {
    let p = app.person(amelie()).await;
    let url = format!("/api/v1/people/{}", p["id"].as_str().unwrap());
    let (status, headers, q) = app
        .patch(
            &url,
            json!({"job_title": "Patronne du café", "notes": null, "tags": ["vip"]}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!(header_str(&headers, header::ETAG), Some("\"2\""));
    assert_eq!(q["version"], 2);
    assert_eq!(q["job_title"], "Patronne du café");
    assert_eq!(q["notes"], Value::Null, "null removes");
    assert_eq!(q["tags"], json!(["vip"]), "an array is replaced whole");
    for unchanged in [
        "civility",
        "first_name",
        "last_name",
        "emails",
        "phones",
        "addresses",
        "birthday",
        "stage",
        "created_at",
        "id",
    ] {
        assert_eq!(q[unchanged], p[unchanged], "{unchanged} must not change");
    }
    let (_, _, read) = app.get(&url, (), &[]).await;
    assert_eq!(read, q);

    // A patch that changes nothing keeps the version.
    let (status, headers, same) = app
        .patch(&url, json!({"job_title": "Patronne du café"}), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_str(&headers, header::ETAG), Some("\"2\""));
    assert_eq!(same["version"], 2);

    // Removing a required name when there is nothing else to go by is refused.
    let (status, _, _) = app
        .patch(
            &url,
            json!({"first_name": null, "last_name": null, "emails": null}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

both!(
    trash_restore_and_purge_follow_the_life_of_a_record,
    trash_restore_purge
);
async fn trash_restore_purge(app: TestApp) {
    let p = app.person(amelie()).await;
    let id = p["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/people/{id}");

    // Purge is only from the trash.
    let answer = app.post(&format!("{url}/purge"), (), &[]).await;
    assert_problem(&answer, StatusCode::CONFLICT);
    assert_eq!(app.get(&url, (), &[]).await.0, StatusCode::OK);

    let (status, _, body) = app.delete(&url, (), &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(body, Value::Null, "204 has no body");

    // A trashed person still reads, with deleted_at set.
    let (status, _, trashed) = app.get(&url, (), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(trashed["deleted_at"].is_string(), "{trashed}");

    // ...but is out of the list, and in the trash list.
    let (_, _, live) = app.get("/api/v1/people", (), &[]).await;
    assert!(!ids(&live).contains(&id));
    let (_, _, trash) = app.get("/api/v1/people?trash=true", (), &[]).await;
    assert_eq!(ids(&trash), vec![id.clone()]);

    // It can't be edited nor trashed twice.
    let answer = app.patch(&url, json!({"job_title": "x"}), &[]).await;
    assert_problem(&answer, StatusCode::NOT_FOUND);
    let answer = app.delete(&url, (), &[]).await;
    assert_problem(&answer, StatusCode::NOT_FOUND);

    let (status, headers, restored) = app.post(&format!("{url}/restore"), (), &[]).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["deleted_at"], Value::Null);
    assert_eq!(
        header_str(&headers, header::ETAG),
        Some(format!("\"{}\"", restored["version"]).as_str())
    );
    let (_, _, live) = app.get("/api/v1/people", (), &[]).await;
    assert_eq!(ids(&live), vec![id.clone()]);
    let (_, _, trash) = app.get("/api/v1/people?trash=true", (), &[]).await;
    assert!(ids(&trash).is_empty());

    // Trash again, then purge: gone for good, with its history.
    assert_eq!(app.delete(&url, (), &[]).await.0, StatusCode::NO_CONTENT);
    let (status, _, body) = app.post(&format!("{url}/purge"), (), &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_problem(&app.get(&url, (), &[]).await, StatusCode::NOT_FOUND);
    assert_problem(
        &app.post(&format!("{url}/restore"), (), &[]).await,
        StatusCode::NOT_FOUND,
    );
    assert_problem(
        &app.get(&format!("{url}/overview"), (), &[]).await,
        StatusCode::NOT_FOUND,
    );
    let (_, _, trash) = app.get("/api/v1/people?trash=true", (), &[]).await;
    assert!(ids(&trash).is_empty());
    let (status, _, audit) = app.get(&format!("{url}/audit"), (), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        audit["items"],
        json!([]),
        "erasure takes the audit trail along"
    );
}

both!(
    a_stage_change_is_kept_in_the_stage_history_in_order,
    stage_history
);
async fn stage_history(app: TestApp) {
    let p = app
        .person(json!({"first_name": "Élodie", "last_name": "Martin"}))
        .await;
    assert_eq!(p["stage"], "lead", "lead by default");
    let url = format!("/api/v1/people/{}", p["id"].as_str().unwrap());
    let (status, _, q) = app.patch(&url, json!({"stage": "customer"}), &[]).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!(q["stage"], "customer");

    let (status, _, stages) = app.get(&format!("{url}/stages"), (), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let stages = stages.as_array().expect("a list").clone();
    assert_eq!(stages.len(), 2, "{stages:?}");
    assert_eq!(stages[0]["from_stage"], Value::Null);
    assert_eq!(stages[0]["to_stage"], "lead");
    assert_eq!(stages[1]["from_stage"], "lead");
    assert_eq!(stages[1]["to_stage"], "customer");
    assert_eq!(stages[1]["changed_by"], app.admin_id.to_string());
    assert!(stages[0]["changed_at"].as_str() <= stages[1]["changed_at"].as_str());

    // A patch that does not touch the stage adds nothing.
    app.patch(&url, json!({"job_title": "Graphiste"}), &[])
        .await;
    let (_, _, stages) = app.get(&format!("{url}/stages"), (), &[]).await;
    assert_eq!(stages.as_array().unwrap().len(), 2);

    let (_, _, overview) = app.get(&format!("{url}/overview"), (), &[]).await;
    assert_eq!(overview["stage_history"], stages);
}
