//! The health check and the OpenAPI document.
use crate::helpers::{TestApp, header_str};
use axum::http::{StatusCode, header};
use std::collections::BTreeSet;

/// Every path the routers register under /api/v1 (besides the document itself).
const API_PATHS: &[&str] = &[
    "/api/v1/people",
    "/api/v1/people/{id}",
    "/api/v1/people/{id}/restore",
    "/api/v1/people/{id}/purge",
    "/api/v1/people/{id}/overview",
    "/api/v1/people/{id}/audit",
    "/api/v1/people/{id}/consents",
    "/api/v1/people/{id}/stages",
    "/api/v1/people/duplicates",
    "/api/v1/people/merge",
    "/api/v1/companies",
    "/api/v1/companies/{id}",
    "/api/v1/companies/{id}/restore",
    "/api/v1/companies/{id}/purge",
    "/api/v1/companies/{id}/overview",
    "/api/v1/companies/{id}/audit",
    "/api/v1/companies/duplicates",
    "/api/v1/companies/merge",
    "/api/v1/interactions",
    "/api/v1/interactions/{id}",
    "/api/v1/interactions/{id}/restore",
    "/api/v1/interactions/{id}/purge",
    "/api/v1/interactions/{id}/audit",
    "/api/v1/interactions/{id}/attachments",
    "/api/v1/attachments/{id}",
    "/api/v1/tasks",
    "/api/v1/tasks/{id}",
    "/api/v1/tasks/{id}/restore",
    "/api/v1/tasks/{id}/purge",
    "/api/v1/tasks/{id}/audit",
    "/api/v1/me",
    "/api/v1/users",
    "/api/v1/users/{id}",
    "/api/v1/users/{id}/tokens",
    "/api/v1/users/{id}/tokens/{token}",
    "/api/v1/teams",
    "/api/v1/custom-fields",
    "/api/v1/custom-fields/{id}",
    "/api/v1/session",
    "/api/v1/jobs",
    "/api/v1/jobs/{id}",
    "/api/v1/jobs/{id}/cancel",
    "/api/v1/jobs/{id}/undo",
    "/api/v1/jobs/{id}/files/{name}",
    "/api/v1/imports",
    "/api/v1/exports",
    "/api/v1/settings",
];

both!(the_health_check_answers_ok_without_credentials, healthz);
async fn healthz(app: TestApp) {
    let (status, headers, body) = app.get("/healthz", (), &[("authorization", "")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");
    assert!(
        header_str(&headers, header::CONTENT_TYPE).is_some_and(|c| c.starts_with("text/plain"))
    );
}

both!(the_openapi_document_describes_every_route_path, openapi);
async fn openapi(app: TestApp) {
    let (status, headers, doc) = app
        .get("/api/v1/openapi.json", (), &[("authorization", "")])
        .await;
    assert_eq!(status, StatusCode::OK, "served without credentials");
    assert_eq!(
        header_str(&headers, header::CONTENT_TYPE),
        Some("application/json")
    );
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["title"], "Relais API");
    let documented: BTreeSet<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = API_PATHS.iter().copied().collect();
    let missing: Vec<_> = expected.difference(&documented).collect();
    assert!(missing.is_empty(), "undocumented paths: {missing:?}");
    let unknown: Vec<_> = documented.difference(&expected).collect();
    assert!(
        unknown.is_empty(),
        "documented paths the test does not know: {unknown:?}"
    );
    // Both ways of signing in are described.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "relais_session");
    // Every operation says what it answers.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "patch", "delete"].contains(&method.as_str()) {
                assert!(
                    op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                    "{method} {path} documents no response"
                );
            }
        }
    }
}
