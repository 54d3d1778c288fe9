//! The permission matrix, route by route: every role calls every route, and gets 403
//! exactly when `Role::may` says no. Ids are random (nothing is found, nothing is changed),
//! since the role is checked before anything is looked up.
use crate::helpers::{TestApp, bearer};
use axum::http::{Method, StatusCode};
use relais_domain::{Action, Resource, Role};
use serde_json::json;
use std::collections::BTreeSet;

/// What a route asks of the caller.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// Nothing: no credentials needed.
    Public,
    /// Any signed-in user (their own profile and tokens).
    SignedIn,
    /// A right of the matrix.
    May(Action, Resource),
}

use Action::*;
use Need::*;
use Resource::*;

/// Every route of the API. In paths, `{id}` and `{token}` are random ids, `{me}` the
/// caller's own user id, `{other}` another user's id.
pub const ROUTES: &[(&str, &str, Need)] = &[
    ("GET", "/healthz", Public),
    ("GET", "/api/v1/openapi.json", Public),
    ("POST", "/api/v1/session", Public),
    ("DELETE", "/api/v1/session", Public),
    // People
    ("GET", "/api/v1/people", May(Read, People)),
    ("POST", "/api/v1/people", May(Create, People)),
    ("GET", "/api/v1/people/{id}", May(Read, People)),
    ("PATCH", "/api/v1/people/{id}", May(Update, People)),
    ("DELETE", "/api/v1/people/{id}", May(Delete, People)),
    ("POST", "/api/v1/people/{id}/restore", May(Delete, People)),
    ("POST", "/api/v1/people/{id}/purge", May(Purge, People)),
    ("GET", "/api/v1/people/{id}/overview", May(Read, People)),
    ("GET", "/api/v1/people/{id}/audit", May(Read, People)),
    ("GET", "/api/v1/people/{id}/consents", May(Read, People)),
    ("POST", "/api/v1/people/{id}/consents", May(Update, People)),
    ("GET", "/api/v1/people/{id}/stages", May(Read, People)),
    ("GET", "/api/v1/people/duplicates", May(Read, People)),
    ("POST", "/api/v1/people/merge", May(Delete, People)),
    // Companies
    ("GET", "/api/v1/companies", May(Read, Companies)),
    ("POST", "/api/v1/companies", May(Create, Companies)),
    ("GET", "/api/v1/companies/{id}", May(Read, Companies)),
    ("PATCH", "/api/v1/companies/{id}", May(Update, Companies)),
    ("DELETE", "/api/v1/companies/{id}", May(Delete, Companies)),
    (
        "POST",
        "/api/v1/companies/{id}/restore",
        May(Delete, Companies),
    ),
    (
        "POST",
        "/api/v1/companies/{id}/purge",
        May(Purge, Companies),
    ),
    (
        "GET",
        "/api/v1/companies/{id}/overview",
        May(Read, Companies),
    ),
    ("GET", "/api/v1/companies/{id}/audit", May(Read, Companies)),
    ("GET", "/api/v1/companies/duplicates", May(Read, Companies)),
    ("POST", "/api/v1/companies/merge", May(Delete, Companies)),
    // Interactions
    ("GET", "/api/v1/interactions", May(Read, Interactions)),
    ("POST", "/api/v1/interactions", May(Create, Interactions)),
    ("GET", "/api/v1/interactions/{id}", May(Read, Interactions)),
    (
        "PATCH",
        "/api/v1/interactions/{id}",
        May(Update, Interactions),
    ),
    (
        "DELETE",
        "/api/v1/interactions/{id}",
        May(Delete, Interactions),
    ),
    (
        "POST",
        "/api/v1/interactions/{id}/restore",
        May(Delete, Interactions),
    ),
    (
        "POST",
        "/api/v1/interactions/{id}/purge",
        May(Purge, Interactions),
    ),
    (
        "GET",
        "/api/v1/interactions/{id}/audit",
        May(Read, Interactions),
    ),
    // Attachments: reading follows reading the interaction, adding or removing one is
    // updating it.
    (
        "GET",
        "/api/v1/interactions/{id}/attachments",
        May(Read, Interactions),
    ),
    (
        "POST",
        "/api/v1/interactions/{id}/attachments",
        May(Update, Interactions),
    ),
    ("GET", "/api/v1/attachments/{id}", May(Read, Interactions)),
    (
        "DELETE",
        "/api/v1/attachments/{id}",
        May(Update, Interactions),
    ),
    // Tasks: whoever may update them may also throw one away.
    ("GET", "/api/v1/tasks", May(Read, Tasks)),
    ("POST", "/api/v1/tasks", May(Create, Tasks)),
    ("GET", "/api/v1/tasks/{id}", May(Read, Tasks)),
    ("PATCH", "/api/v1/tasks/{id}", May(Update, Tasks)),
    ("DELETE", "/api/v1/tasks/{id}", May(Delete, Tasks)),
    ("POST", "/api/v1/tasks/{id}/restore", May(Delete, Tasks)),
    ("POST", "/api/v1/tasks/{id}/purge", May(Purge, Tasks)),
    ("GET", "/api/v1/tasks/{id}/audit", May(Read, Tasks)),
    // Users, tokens, teams
    ("GET", "/api/v1/me", SignedIn),
    ("GET", "/api/v1/users", May(Read, Users)),
    ("POST", "/api/v1/users", May(Create, Users)),
    ("GET", "/api/v1/users/{id}", May(Read, Users)),
    ("PATCH", "/api/v1/users/{id}", May(Update, Users)),
    ("GET", "/api/v1/users/{me}/tokens", SignedIn),
    ("POST", "/api/v1/users/{me}/tokens", SignedIn),
    ("DELETE", "/api/v1/users/{me}/tokens/{token}", SignedIn),
    ("GET", "/api/v1/users/{other}/tokens", May(Update, Users)),
    ("POST", "/api/v1/users/{other}/tokens", May(Update, Users)),
    (
        "DELETE",
        "/api/v1/users/{other}/tokens/{token}",
        May(Update, Users),
    ),
    ("GET", "/api/v1/teams", May(Read, Users)),
    ("POST", "/api/v1/teams", May(Create, Users)),
    // Custom fields
    ("GET", "/api/v1/custom-fields", May(Read, CustomFields)),
    ("POST", "/api/v1/custom-fields", May(Create, CustomFields)),
    ("GET", "/api/v1/custom-fields/{id}", May(Read, CustomFields)),
    (
        "PATCH",
        "/api/v1/custom-fields/{id}",
        May(Update, CustomFields),
    ),
    (
        "DELETE",
        "/api/v1/custom-fields/{id}",
        May(Delete, CustomFields),
    ),
    // Jobs: everyone follows their own (others' are not found).
    ("GET", "/api/v1/jobs", SignedIn),
    ("GET", "/api/v1/jobs/{id}", SignedIn),
    ("POST", "/api/v1/jobs/{id}/cancel", SignedIn),
    ("POST", "/api/v1/jobs/{id}/undo", May(Create, Transfer)),
    ("GET", "/api/v1/jobs/{id}/files/{name}", SignedIn),
    ("POST", "/api/v1/imports", May(Create, Transfer)),
    ("POST", "/api/v1/exports", May(Read, Transfer)),
];

fn allowed(role: Role, need: Need) -> bool {
    match need {
        Public | SignedIn => true,
        May(action, resource) => role.may(action, resource),
    }
}

both!(
    every_route_answers_403_exactly_when_the_role_may_not,
    matrix
);
async fn matrix(app: TestApp) {
    let other = app.admin_id.to_string();
    let mut checked = 0;
    let mut failures = Vec::new();
    for role in Role::ALL {
        let (me, token) = app.user(role).await;
        let me = me.to_string();
        let auth = bearer(&token);
        for (method, template, need) in ROUTES {
            let path = template
                .replace("{id}", &uuid::Uuid::now_v7().to_string())
                .replace("{token}", &uuid::Uuid::now_v7().to_string())
                .replace("{me}", &me)
                .replace("{other}", &other);
            let method: Method = method.parse().unwrap();
            let body = matches!(method, Method::POST | Method::PATCH).then(|| json!({}));
            let (status, _, answer) = app
                .call(method.clone(), &path, body, &[("authorization", &auth)])
                .await;
            let expect_forbidden = !allowed(role, *need);
            let ok = if expect_forbidden {
                status == StatusCode::FORBIDDEN
            } else {
                status != StatusCode::FORBIDDEN
                    && status != StatusCode::UNAUTHORIZED
                    && status != StatusCode::METHOD_NOT_ALLOWED
                    && !status.is_server_error()
                    && answer["detail"] != "no such route"
            };
            if !ok {
                failures.push(format!(
                    "{} {method} {template} ({need:?}): expected {}, got {status} {answer}",
                    role.as_str(),
                    if expect_forbidden { "403" } else { "not 403" }
                ));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(checked, Role::ALL.len() * ROUTES.len());
}

both!(
    the_route_table_of_the_matrix_test_covers_every_documented_route,
    table_covers_openapi
);
async fn table_covers_openapi(app: TestApp) {
    let (status, _, doc) = app.get("/api/v1/openapi.json", (), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| {
            (
                m.to_string(),
                p.replace("{me}", "{id}").replace("{other}", "{id}"),
            )
        })
        .collect();
    let missing: Vec<_> = documented.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the matrix test: {missing:?}"
    );
    let undocumented: Vec<_> = table
        .difference(&documented)
        .filter(|(_, p)| p != "/healthz" && p != "/api/v1/openapi.json")
        .collect();
    assert!(
        undocumented.is_empty(),
        "routes of the table not in the OpenAPI document: {undocumented:?}"
    );
}
