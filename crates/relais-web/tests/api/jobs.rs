//! Imports through the API run as jobs: POST /api/v1/imports answers 202 with the job, which
//! `/api/v1/jobs/{id}` follows to its report and rejected rows. Bad parameters are refused
//! by name before anything is queued; a user sees only their own jobs.
use crate::helpers::{TestApp, assert_invalid, assert_problem};
use axum::http::{Method, StatusCode};
use relais_domain::Role;
use serde_json::Value;

const CSV: &str = "Prénom;Nom;E-mail\nÉlodie;Martin;elodie@example.fr\nJean;Dupont;pas-un-email\nZoé;Durand;zoe@example.fr\n";

pub async fn import(
    app: &TestApp,
    query: &str,
    body: &str,
    token: Option<&str>,
) -> crate::helpers::Answer {
    let auth = token.map(crate::helpers::bearer);
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| vec![("authorization", a)])
        .unwrap_or_default();
    app.raw(
        Method::POST,
        &format!("/api/v1/imports{query}"),
        Some("text/csv"),
        body.to_string(),
        &headers,
    )
    .await
}

/// Follows a job until it ends.
pub async fn finished(app: &TestApp, id: &str) -> Value {
    for _ in 0..500 {
        let (status, _, job) = app.get(&format!("/api/v1/jobs/{id}"), (), &[]).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if !matches!(job["status"].as_str(), Some("queued" | "running")) {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("job {id} never ended");
}

both!(
    an_import_posted_to_the_api_runs_as_a_job_with_its_report_and_rejected_rows,
    posted
);
async fn posted(app: TestApp) {
    // A check first: nothing is written.
    let (status, headers, job) = import(
        &app,
        "?kind=people&dry_run=true&filename=clients.csv",
        CSV,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(headers["location"], format!("/api/v1/jobs/{id}"));
    assert_eq!(job["kind"], "import");
    let job = finished(&app, &id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["created"], 2);
    assert_eq!(job["result"]["dry_run"], true);
    let (_, _, people) = app.get("/api/v1/people", (), &[]).await;
    assert_eq!(
        people["items"].as_array().unwrap().len(),
        0,
        "a check writes nothing"
    );

    let (status, _, job) = import(&app, "?kind=people", CSV, None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = job["id"].as_str().unwrap().to_string();
    let job = finished(&app, &id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(
        (
            job["result"]["created"].as_u64(),
            job["result"]["rejected"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(job["progress"]["done"], job["progress"]["total"]);
    assert_eq!(job["files"], serde_json::json!(["input", "rejected.csv"]));
    let (status, headers, rejected) = app
        .get(&format!("/api/v1/jobs/{id}/files/rejected.csv"), (), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let rejected = rejected.as_str().unwrap();
    assert!(
        rejected.contains("Dupont") && rejected.contains("pas-un-email"),
        "{rejected}"
    );
    // The reasons by code, for a program to read or translate.
    let mut rows = csv::Reader::from_reader(rejected.as_bytes());
    let head: Vec<&str> = rows.headers().unwrap().iter().take(3).collect();
    assert_eq!(head, ["line", "reason", "errors"]);
    let row = rows.records().next().unwrap().unwrap();
    let errors: serde_json::Value = serde_json::from_str(&row[2]).unwrap();
    assert_eq!(errors[0]["field"], "emails[0].address", "{errors}");
    assert_eq!(errors[0]["code"], "not_an_email", "{errors}");
    assert_eq!(errors[0]["params"]["value"], "pas-un-email", "{errors}");
    let (_, _, people) = app.get("/api/v1/people?sort=name", (), &[]).await;
    let names: Vec<&str> = people["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["last_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Durand", "Martin"]);
    // The same file again changes nothing.
    let (_, _, again) = import(&app, "?kind=people", CSV, None).await;
    let again = finished(&app, again["id"].as_str().unwrap()).await;
    assert_eq!(
        (
            again["result"]["created"].as_u64(),
            again["result"]["skipped"].as_u64()
        ),
        (Some(0), Some(2))
    );

    let (status, _, list) = app.get("/api/v1/jobs?limit=2", (), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"][0]["id"], again["id"], "newest first");
    assert!(list["next_cursor"].is_string());
    let (_, _, rest) = app
        .get(
            &format!(
                "/api/v1/jobs?limit=2&cursor={}",
                list["next_cursor"].as_str().unwrap()
            ),
            (),
            &[],
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    // An ended job can't be cancelled.
    let answer = app
        .post(&format!("/api/v1/jobs/{id}/cancel"), (), &[])
        .await;
    assert_problem(&answer, StatusCode::CONFLICT);
}

both!(
    bad_import_parameters_are_refused_by_name_and_queue_nothing,
    refused
);
async fn refused(app: TestApp) {
    for (query, field) in [
        ("", "kind"),
        ("?kind=spreadsheet", "kind"),
        ("?kind=people&dry_run=maybe", "dry_run"),
        ("?kind=people&on_duplicate=merge", "on_duplicate"),
        ("?kind=people&map=Nom", "map"),
        ("?kind=people&colour=red", "colour"),
        ("?kind=people&kind=companies", "kind"),
    ] {
        assert_invalid(&import(&app, query, CSV, None).await, field);
    }
    assert_invalid(&import(&app, "?kind=people", "", None).await, "file");
    let (_, _, list) = app.get("/api/v1/jobs", (), &[]).await;
    assert_eq!(list["items"], serde_json::json!([]), "nothing was queued");
    let answer = app.get("/api/v1/jobs?limit=0", (), &[]).await;
    assert_invalid(&answer, "limit");
    let answer = app.get("/api/v1/jobs/not-an-id", (), &[]).await;
    assert_problem(&answer, StatusCode::NOT_FOUND);
}

both!(
    a_user_sees_only_their_own_jobs_and_read_only_users_import_nothing,
    rights
);
async fn rights(app: TestApp) {
    let (_, sales) = app.user(Role::Sales).await;
    let (_, other) = app.user(Role::Sales).await;
    let (_, reader) = app.user(Role::ReadOnly).await;
    let answer = import(&app, "?kind=people", CSV, Some(&reader)).await;
    assert_problem(&answer, StatusCode::FORBIDDEN);
    let (status, _, job) = import(&app, "?kind=people", CSV, Some(&sales)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_str().unwrap();
    finished(&app, id).await;
    let as_other = [("authorization", crate::helpers::bearer(&other))];
    let as_other: Vec<(&str, &str)> = as_other.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = app.get(&format!("/api/v1/jobs/{id}"), (), &as_other).await;
    assert_problem(&answer, StatusCode::NOT_FOUND);
    let answer = app
        .get(&format!("/api/v1/jobs/{id}/files/input"), (), &as_other)
        .await;
    assert_problem(&answer, StatusCode::NOT_FOUND);
    let (_, _, theirs) = app.get("/api/v1/jobs", (), &as_other).await;
    assert_eq!(theirs["items"], serde_json::json!([]));
    // The administrator sees every job.
    let (_, _, all) = app.get("/api/v1/jobs", (), &[]).await;
    assert_eq!(all["items"][0]["id"], id);
}

both!(a_finished_import_is_undone_as_a_whole_and_only_once, undo);
async fn undo(app: TestApp) {
    // Someone already known, whom the file updates.
    let zoe = app
        .person(
            serde_json::json!({"first_name": "Zoé", "last_name": "Durand", "job_title": "Comptable",
            "emails": [{"address": "zoe@example.fr"}]}),
        )
        .await;
    let csv = "Prénom;Nom;E-mail;Fonction\nÉlodie;Martin;elodie@example.fr;Gérante\nZoé;Durand;zoe@example.fr;Directrice\n";
    let (_, _, job) = import(&app, "?kind=people&on_duplicate=update", csv, None).await;
    let id = job["id"].as_str().unwrap().to_string();
    let job = finished(&app, &id).await;
    assert_eq!(
        (
            job["result"]["created"].as_u64(),
            job["result"]["updated"].as_u64()
        ),
        (Some(1), Some(1)),
        "{job}"
    );
    let zoe_url = format!("/api/v1/people/{}", zoe["id"].as_str().unwrap());
    let (_, _, now) = app.get(&zoe_url, (), &[]).await;
    assert_eq!(now["job_title"], "Directrice");

    let (status, headers, undo) = app.post(&format!("/api/v1/jobs/{id}/undo"), (), &[]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{undo}");
    assert_eq!(undo["kind"], "import_undo");
    assert!(
        headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/api/v1/jobs/")
    );
    let undo = finished(&app, undo["id"].as_str().unwrap()).await;
    assert_eq!(undo["status"], "succeeded", "{undo}");
    assert_eq!(
        undo["result"],
        serde_json::json!({"removed": 1, "restored": 1, "kept": 0})
    );
    let (_, _, people) = app.get("/api/v1/people", (), &[]).await;
    let names: Vec<&str> = people["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["first_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Zoé"], "Élodie went, Zoé stayed");
    let (_, _, back) = app.get(&zoe_url, (), &[]).await;
    assert_eq!(back["job_title"], "Comptable", "Zoé is as she was");

    // Only once; a check changed nothing to undo; an undo is not an import.
    let answer = app.post(&format!("/api/v1/jobs/{id}/undo"), (), &[]).await;
    assert_problem(&answer, StatusCode::CONFLICT);
    let (_, _, check) = import(&app, "?kind=people&dry_run=true", CSV, None).await;
    let check = finished(&app, check["id"].as_str().unwrap()).await;
    let answer = app
        .post(
            &format!("/api/v1/jobs/{}/undo", check["id"].as_str().unwrap()),
            (),
            &[],
        )
        .await;
    assert_problem(&answer, StatusCode::CONFLICT);
    let answer = app
        .post(
            &format!("/api/v1/jobs/{}/undo", undo["id"].as_str().unwrap()),
            (),
            &[],
        )
        .await;
    assert_invalid(&answer, "id");
    // Another user can't undo someone else's import.
    let (_, _, job) = import(&app, "?kind=people", CSV, None).await;
    let other_id = finished(&app, job["id"].as_str().unwrap()).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, sales) = app.user(Role::Sales).await;
    let auth = crate::helpers::bearer(&sales);
    let answer = app
        .post(
            &format!("/api/v1/jobs/{other_id}/undo"),
            (),
            &[("authorization", &auth)],
        )
        .await;
    assert_problem(&answer, StatusCode::NOT_FOUND);
}

both!(
    an_export_runs_as_a_job_whose_file_holds_what_the_filters_select,
    exported
);
async fn exported(app: TestApp) {
    for (first, stage) in [
        ("Élodie", "customer"),
        ("Jean", "lead"),
        ("Zoé", "customer"),
    ] {
        let (st, _, _) = app
            .post(
                "/api/v1/people",
                serde_json::json!({"first_name": first, "last_name": "Martin", "stage": stage}),
                &[],
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
    }
    let (status, headers, job) = app
        .post("/api/v1/exports?kind=people&stage=customer", (), &[])
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert!(headers.contains_key("location"));
    let id = job["id"].as_str().unwrap().to_string();
    let done = finished(&app, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["result"]["count"], 2, "{done}");
    assert_eq!(done["result"]["file"], "people.csv");
    let (status, headers, csv) = app
        .get(&format!("/api/v1/jobs/{id}/files/people.csv"), (), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{headers:?}"
    );
    let csv = csv.as_str().expect("CSV text");
    assert!(csv.contains("Élodie") && csv.contains("Zoé"), "{csv}");
    assert!(!csv.contains("Jean"), "a lead is not a customer: {csv}");
    // The file holds personal data: a week after the export, it is forgotten.
    let worker = relais_core::jobs::Worker::new(app.db.clone(), Default::default());
    worker.sweep().await.unwrap();
    let (status, _, _) = app
        .get(&format!("/api/v1/jobs/{id}/files/people.csv"), (), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "kept for its week");
    relais_store::migrate::script(
        &app.db,
        &format!(
            "UPDATE jobs SET finished_at = '{}' WHERE kind = 'export'",
            (chrono::Utc::now() - chrono::Duration::days(8)).format("%Y-%m-%dT%H:%M:%S%.6fZ")
        ),
    )
    .await
    .unwrap();
    assert!(worker.sweep().await.unwrap() >= 1);
    let gone = app
        .get(&format!("/api/v1/jobs/{id}/files/people.csv"), (), &[])
        .await;
    assert_problem(&gone, StatusCode::NOT_FOUND);

    // Bad parameters are refused by name, and nothing is queued.
    let (_, _, before) = app.get("/api/v1/jobs", (), &[]).await;
    assert_invalid(&app.post("/api/v1/exports", (), &[]).await, "kind");
    assert_invalid(
        &app.post("/api/v1/exports?kind=deals", (), &[]).await,
        "kind",
    );
    assert_invalid(
        &app.post("/api/v1/exports?kind=companies&format=vcard", (), &[])
            .await,
        "format",
    );
    assert_invalid(
        &app.post("/api/v1/exports?kind=people&stage=boss", (), &[])
            .await,
        "stage",
    );
    assert_invalid(
        &app.post("/api/v1/exports?kind=people&filter=stage%20%3D", (), &[])
            .await,
        "filter",
    );
    let (_, _, after) = app.get("/api/v1/jobs", (), &[]).await;
    assert_eq!(
        before["items"].as_array().unwrap().len(),
        after["items"].as_array().unwrap().len()
    );

    // Exporting is a right of its own.
    let (_, token) = app.user(Role::Delivery).await;
    let auth = crate::helpers::bearer(&token);
    let denied = app
        .post(
            "/api/v1/exports?kind=people",
            (),
            &[("authorization", &auth)],
        )
        .await;
    if !Role::Delivery.may(
        relais_domain::Action::Read,
        relais_domain::Resource::TRANSFER,
    ) {
        assert_problem(&denied, StatusCode::FORBIDDEN);
    }
}
