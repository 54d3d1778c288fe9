//! The settings an administrator changes from the app: read by everyone, changed by
//! administrators only, checked, and followed (an import too old to undo is refused).
use crate::helpers::{TestApp, assert_invalid, assert_problem, bearer};
use crate::jobs::{finished, import};
use axum::http::StatusCode;
use relais_domain::Role;
use serde_json::json;

both!(
    an_administrator_sets_how_long_an_import_can_be_undone,
    undo_time
);
async fn undo_time(app: TestApp) {
    let (_, _, now) = app.get("/api/v1/settings", (), &[]).await;
    assert_eq!(now, json!({"import_undo_days": 30}), "the default");
    let (_, sales) = app.user(Role::Sales).await;
    let sales = bearer(&sales);
    let (st, _, read) = app
        .get("/api/v1/settings", (), &[("authorization", &sales)])
        .await;
    assert_eq!(st, StatusCode::OK, "everyone reads them: {read}");
    let denied = app
        .patch(
            "/api/v1/settings",
            json!({"import_undo_days": 7}),
            &[("authorization", &sales)],
        )
        .await;
    assert_problem(&denied, StatusCode::FORBIDDEN);
    for bad in [json!(0), json!(3651), json!("sept")] {
        let refused = app
            .patch("/api/v1/settings", json!({"import_undo_days": bad}), &[])
            .await;
        assert_invalid(&refused, "import_undo_days");
    }
    let unknown = app.patch("/api/v1/settings", json!({"undo": 7}), &[]).await;
    assert_invalid(&unknown, "undo");
    let (_, _, still) = app.get("/api/v1/settings", (), &[]).await;
    assert_eq!(still["import_undo_days"], 30, "nothing written");

    // An import whose first change is 8 days old: undoable under 30 days, not under 7.
    let csv = "Prénom;Nom\nÉlodie;Martin\n";
    let (_, _, job) = import(&app, "?kind=people", csv, None).await;
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(finished(&app, &id).await["status"], "succeeded");
    relais_store::migrate::script(
        &app.db,
        &format!(
            "UPDATE import_changes SET at = '{}'",
            (chrono::Utc::now() - chrono::Duration::days(8)).format("%Y-%m-%dT%H:%M:%S%.6fZ")
        ),
    )
    .await
    .unwrap();
    let (st, _, set) = app
        .patch("/api/v1/settings", json!({"import_undo_days": 7}), &[])
        .await;
    assert_eq!(st, StatusCode::OK, "{set}");
    assert_eq!(set["import_undo_days"], 7);
    let too_old = app.post(&format!("/api/v1/jobs/{id}/undo"), (), &[]).await;
    assert_problem(&too_old, StatusCode::CONFLICT);
    assert!(too_old.2.to_string().contains('7'), "{}", too_old.2);
    let (st, _, _) = app
        .patch("/api/v1/settings", json!({"import_undo_days": 30}), &[])
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _, undo) = app.post(&format!("/api/v1/jobs/{id}/undo"), (), &[]).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{undo}");

    // The same from the administrators' page; other roles don't get it.
    let admin = app.browser(Role::Admin).await;
    let (st, _, html) = admin.get("/admin/settings").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("value=\"30\""), "{html}");
    let (st, _, html) = admin
        .post("/admin/settings", &[("import_undo_days", "0")])
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"import_undo_days-error\"") && html.contains("value=\"0\""),
        "the error beside the field, what was typed kept: {html}"
    );
    let (st, _, _) = admin
        .post("/admin/settings", &[("import_undo_days", "14")])
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, _, html) = admin.get("/admin/settings?saved").await;
    assert!(
        html.contains("value=\"14\"") && html.contains("role=\"status\""),
        "{html}"
    );
    let (_, _, now) = app.get("/api/v1/settings", (), &[]).await;
    assert_eq!(now["import_undo_days"], 14);
    let manager = app.browser(Role::Manager).await;
    let (st, _, _) = manager.get("/admin/settings").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = manager
        .post("/admin/settings", &[("import_undo_days", "1")])
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, _, now) = app.get("/api/v1/settings", (), &[]).await;
    assert_eq!(now["import_undo_days"], 14, "unchanged by a manager");
}
