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
const PEOPLE: Resource = Resource::PEOPLE;
const COMPANIES: Resource = Resource::COMPANIES;
const INTERACTIONS: Resource = Resource::INTERACTIONS;
const TASKS: Resource = Resource::TASKS;
const USERS: Resource = Resource::USERS;
const CUSTOM_FIELDS: Resource = Resource::CUSTOM_FIELDS;
const TRANSFER: Resource = Resource::TRANSFER;
const SETTINGS: Resource = Resource::SETTINGS;

/// Every route of the API. In paths, `{id}` and `{token}` are random ids, `{me}` the
/// caller's own user id, `{other}` another user's id.
pub const ROUTES: &[(&str, &str, Need)] = &[
    ("GET", "/healthz", Public),
    ("GET", "/api/v1/openapi.json", Public),
    ("POST", "/api/v1/session", Public),
    ("DELETE", "/api/v1/session", Public),
    // People
    ("GET", "/api/v1/people", May(Read, PEOPLE)),
    ("POST", "/api/v1/people", May(Create, PEOPLE)),
    ("GET", "/api/v1/people/{id}", May(Read, PEOPLE)),
    ("PATCH", "/api/v1/people/{id}", May(Update, PEOPLE)),
    ("DELETE", "/api/v1/people/{id}", May(Delete, PEOPLE)),
    ("POST", "/api/v1/people/{id}/restore", May(Delete, PEOPLE)),
    ("POST", "/api/v1/people/{id}/purge", May(Purge, PEOPLE)),
    ("GET", "/api/v1/people/{id}/overview", May(Read, PEOPLE)),
    ("GET", "/api/v1/people/{id}/audit", May(Read, PEOPLE)),
    ("GET", "/api/v1/people/{id}/consents", May(Read, PEOPLE)),
    ("POST", "/api/v1/people/{id}/consents", May(Update, PEOPLE)),
    ("GET", "/api/v1/people/{id}/stages", May(Read, PEOPLE)),
    ("GET", "/api/v1/people/duplicates", May(Read, PEOPLE)),
    ("POST", "/api/v1/people/merge", May(Delete, PEOPLE)),
    // Companies
    ("GET", "/api/v1/companies", May(Read, COMPANIES)),
    ("POST", "/api/v1/companies", May(Create, COMPANIES)),
    ("GET", "/api/v1/companies/{id}", May(Read, COMPANIES)),
    ("PATCH", "/api/v1/companies/{id}", May(Update, COMPANIES)),
    ("DELETE", "/api/v1/companies/{id}", May(Delete, COMPANIES)),
    (
        "POST",
        "/api/v1/companies/{id}/restore",
        May(Delete, COMPANIES),
    ),
    (
        "POST",
        "/api/v1/companies/{id}/purge",
        May(Purge, COMPANIES),
    ),
    (
        "GET",
        "/api/v1/companies/{id}/overview",
        May(Read, COMPANIES),
    ),
    ("GET", "/api/v1/companies/{id}/audit", May(Read, COMPANIES)),
    ("GET", "/api/v1/companies/duplicates", May(Read, COMPANIES)),
    ("POST", "/api/v1/companies/merge", May(Delete, COMPANIES)),
    // Interactions
    ("GET", "/api/v1/interactions", May(Read, INTERACTIONS)),
    ("POST", "/api/v1/interactions", May(Create, INTERACTIONS)),
    ("GET", "/api/v1/interactions/{id}", May(Read, INTERACTIONS)),
    (
        "PATCH",
        "/api/v1/interactions/{id}",
        May(Update, INTERACTIONS),
    ),
    (
        "DELETE",
        "/api/v1/interactions/{id}",
        May(Delete, INTERACTIONS),
    ),
    (
        "POST",
        "/api/v1/interactions/{id}/restore",
        May(Delete, INTERACTIONS),
    ),
    (
        "POST",
        "/api/v1/interactions/{id}/purge",
        May(Purge, INTERACTIONS),
    ),
    (
        "GET",
        "/api/v1/interactions/{id}/audit",
        May(Read, INTERACTIONS),
    ),
    // Attachments: reading follows reading the interaction, adding or removing one is
    // updating it.
    (
        "GET",
        "/api/v1/interactions/{id}/attachments",
        May(Read, INTERACTIONS),
    ),
    (
        "POST",
        "/api/v1/interactions/{id}/attachments",
        May(Update, INTERACTIONS),
    ),
    ("GET", "/api/v1/attachments/{id}", May(Read, INTERACTIONS)),
    (
        "DELETE",
        "/api/v1/attachments/{id}",
        May(Update, INTERACTIONS),
    ),
    // Tasks: whoever may update them may also throw one away.
    ("GET", "/api/v1/tasks", May(Read, TASKS)),
    ("POST", "/api/v1/tasks", May(Create, TASKS)),
    ("GET", "/api/v1/tasks/{id}", May(Read, TASKS)),
    ("PATCH", "/api/v1/tasks/{id}", May(Update, TASKS)),
    ("DELETE", "/api/v1/tasks/{id}", May(Delete, TASKS)),
    ("POST", "/api/v1/tasks/{id}/restore", May(Delete, TASKS)),
    ("POST", "/api/v1/tasks/{id}/purge", May(Purge, TASKS)),
    ("GET", "/api/v1/tasks/{id}/audit", May(Read, TASKS)),
    // Users, tokens, teams
    ("GET", "/api/v1/me", SignedIn),
    ("GET", "/api/v1/users", May(Read, USERS)),
    ("POST", "/api/v1/users", May(Create, USERS)),
    ("GET", "/api/v1/users/{id}", May(Read, USERS)),
    ("PATCH", "/api/v1/users/{id}", May(Update, USERS)),
    ("GET", "/api/v1/users/{me}/tokens", SignedIn),
    ("POST", "/api/v1/users/{me}/tokens", SignedIn),
    ("DELETE", "/api/v1/users/{me}/tokens/{token}", SignedIn),
    ("GET", "/api/v1/users/{other}/tokens", May(Update, USERS)),
    ("POST", "/api/v1/users/{other}/tokens", May(Update, USERS)),
    (
        "DELETE",
        "/api/v1/users/{other}/tokens/{token}",
        May(Update, USERS),
    ),
    ("GET", "/api/v1/teams", May(Read, USERS)),
    ("POST", "/api/v1/teams", May(Create, USERS)),
    // Custom fields
    ("GET", "/api/v1/custom-fields", May(Read, CUSTOM_FIELDS)),
    ("POST", "/api/v1/custom-fields", May(Create, CUSTOM_FIELDS)),
    (
        "GET",
        "/api/v1/custom-fields/{id}",
        May(Read, CUSTOM_FIELDS),
    ),
    (
        "PATCH",
        "/api/v1/custom-fields/{id}",
        May(Update, CUSTOM_FIELDS),
    ),
    (
        "DELETE",
        "/api/v1/custom-fields/{id}",
        May(Delete, CUSTOM_FIELDS),
    ),
    // Jobs: everyone follows their own (others' are not found).
    ("GET", "/api/v1/jobs", SignedIn),
    ("GET", "/api/v1/jobs/{id}", SignedIn),
    ("POST", "/api/v1/jobs/{id}/cancel", SignedIn),
    ("POST", "/api/v1/jobs/{id}/undo", May(Create, TRANSFER)),
    ("GET", "/api/v1/jobs/{id}/files/{name}", SignedIn),
    ("POST", "/api/v1/imports", May(Create, TRANSFER)),
    ("POST", "/api/v1/exports", May(Read, TRANSFER)),
    ("GET", "/api/v1/settings", May(Read, SETTINGS)),
    ("PATCH", "/api/v1/settings", May(Update, SETTINGS)),
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
