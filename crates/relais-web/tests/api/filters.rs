//! List filters on built-in fields and on custom fields of every type.
use crate::helpers::{TestApp, assert_invalid, qs};
use axum::http::StatusCode;
use relais_domain::Role;
use serde_json::{Value, json};

/// The first names of the people a filtered list answers, sorted.
async fn first_names(app: &TestApp, params: &[(&str, &str)]) -> Vec<String> {
    let url = format!("/api/v1/people{}", qs(params));
    let (status, _, page) = app.get(&url, (), &[]).await;
    assert_eq!(status, StatusCode::OK, "{url}: {page}");
    let mut names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["first_name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

both!(
    people_filter_on_stage_tag_city_owner_company_dates_and_missing_email,
    builtin_filters
);
async fn builtin_filters(app: TestApp) {
    let (owner, _) = app.user(Role::Sales).await;
    let acme = app.company(json!({"name": "Acme"})).await;
    let alice = app
        .person(json!({
            "first_name": "Alice", "last_name": "Client", "stage": "customer", "tags": ["VIP"],
            "addresses": [{"city": "Paris"}], "owner_id": owner, "emails": [{"address": "alice@acme.test"}],
            "companies": [{"company_id": acme["id"]}], "source": "salon", "language": "FR"
        }))
        .await;
    assert_eq!(alice["owner_id"], owner.to_string());
    let _bruno = app
        .person(json!({
            "first_name": "Bruno", "last_name": "Piste", "stage": "lead",
            "addresses": [{"city": "Lyon"}]
        }))
        .await;
    let chloe = app
        .person(json!({
            "first_name": "Chloé", "last_name": "Prospect", "stage": "prospect", "tags": ["vip", "presse"],
            "addresses": [{"city": "PARIS"}, {"kind": "work", "city": "Nantes"}],
            "emails": [{"address": "chloe@presse.test"}]
        }))
        .await;
    let _denis = app
        .person(json!({"first_name": "Denis", "last_name": "Ancien", "stage": "former_customer"}))
        .await;

    assert_eq!(first_names(&app, &[("stage", "customer")]).await, ["Alice"]);
    assert_eq!(
        first_names(&app, &[("stage", "lead,prospect")]).await,
        ["Bruno", "Chloé"]
    );
    assert_eq!(
        first_names(&app, &[("stage[in]", "lead,prospect")]).await,
        ["Bruno", "Chloé"]
    );
    assert_eq!(
        first_names(&app, &[("stage[ne]", "customer")]).await,
        ["Bruno", "Chloé", "Denis"]
    );
    assert_eq!(
        first_names(&app, &[("tag", "vip")]).await,
        ["Alice", "Chloé"]
    );
    assert_eq!(
        first_names(&app, &[("tag", "VIP")]).await,
        ["Alice", "Chloé"]
    );
    assert_eq!(
        first_names(&app, &[("city", "paris")]).await,
        ["Alice", "Chloé"]
    );
    assert_eq!(
        first_names(&app, &[("city", "PARIS")]).await,
        ["Alice", "Chloé"]
    );
    assert_eq!(first_names(&app, &[("city", "nantes")]).await, ["Chloé"]);
    assert_eq!(
        first_names(&app, &[("city[exists]", "false")]).await,
        ["Denis"]
    );
    assert_eq!(
        first_names(&app, &[("email[exists]", "false")]).await,
        ["Bruno", "Denis"]
    );
    assert_eq!(
        first_names(&app, &[("email[exists]", "true")]).await,
        ["Alice", "Chloé"]
    );
    assert_eq!(
        first_names(&app, &[("email", "ALICE@acme.test")]).await,
        ["Alice"]
    );
    assert_eq!(
        first_names(&app, &[("last_name[prefix]", "pro")]).await,
        ["Chloé"]
    );
    assert_eq!(first_names(&app, &[("source", "salon")]).await, ["Alice"]);
    assert_eq!(first_names(&app, &[("language", "fr")]).await, ["Alice"]);
    assert_eq!(
        first_names(&app, &[("stage", "customer"), ("tag", "vip")]).await,
        ["Alice"]
    );
    assert!(
        first_names(&app, &[("stage", "lead"), ("tag", "vip")])
            .await
            .is_empty()
    );

    let owner = owner.to_string();
    assert_eq!(first_names(&app, &[("owner_id", &owner)]).await, ["Alice"]);
    assert_eq!(
        first_names(&app, &[("owner_id[exists]", "false")]).await,
        ["Bruno", "Chloé", "Denis"]
    );
    let acme_id = acme["id"].as_str().unwrap();
    assert_eq!(
        first_names(&app, &[("company_id", acme_id)]).await,
        ["Alice"]
    );

    let since = chloe["created_at"].as_str().unwrap();
    assert_eq!(
        first_names(&app, &[("created_at[gte]", since)]).await,
        ["Chloé", "Denis"]
    );
    assert_eq!(
        first_names(&app, &[("created_at[lt]", since)]).await,
        ["Alice", "Bruno"]
    );
    assert_eq!(
        first_names(&app, &[("created_at[gte]", "2000-01-01")])
            .await
            .len(),
        4,
        "a plain date is read as midnight UTC"
    );
    assert!(
        first_names(&app, &[("created_at[lt]", "2000-01-01")])
            .await
            .is_empty()
    );
}

both!(people_filter_on_custom_fields_of_every_type, custom_filters);
async fn custom_filters(app: TestApp) {
    app.custom_field("person", "note", "text", &[]).await;
    app.custom_field("person", "revenue", "number", &[]).await;
    app.custom_field("person", "contract_end", "date", &[])
        .await;
    app.custom_field("person", "newsletter", "boolean", &[])
        .await;
    app.custom_field("person", "tier", "choice", &["Gold", "Silver"])
        .await;

    let xavier = app
        .person(json!({"first_name": "Xavier", "custom": {
            "note": "alpha", "revenue": 1500, "contract_end": "2024-06-30", "newsletter": true, "tier": "gold"
        }}))
        .await;
    assert_eq!(
        xavier["custom"],
        json!({"note": "alpha", "revenue": 1500.0, "contract_end": "2024-06-30", "newsletter": true, "tier": "Gold"}),
        "values are normalised by their type"
    );
    let yvonne = app
        .person(json!({"first_name": "Yvonne", "custom": {
            "note": "beta", "revenue": "800,5", "contract_end": "31/03/2026", "newsletter": "non", "tier": "Silver"
        }}))
        .await;
    assert_eq!(yvonne["custom"]["revenue"], json!(800.5));
    assert_eq!(yvonne["custom"]["contract_end"], "2026-03-31");
    assert_eq!(yvonne["custom"]["newsletter"], false);
    app.person(json!({"first_name": "Zoé"})).await;

    // (query parameters, first names expected)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: &[Case] = &[
        (&[("custom.note", "alpha")], &["Xavier"]),
        (&[("custom.note[ne]", "alpha")], &["Yvonne", "Zoé"]),
        (&[("custom.note[prefix]", "BE")], &["Yvonne"]),
        (&[("custom.revenue[gte]", "1000")], &["Xavier"]),
        (&[("custom.revenue[lt]", "1000")], &["Yvonne"]),
        (&[("custom.revenue", "800.5")], &["Yvonne"]),
        (&[("custom.revenue[gte]", "500")], &["Xavier", "Yvonne"]),
        (&[("custom.contract_end[lt]", "2025-01-01")], &["Xavier"]),
        (&[("custom.contract_end[gte]", "2025-01-01")], &["Yvonne"]),
        (&[("custom.newsletter", "true")], &["Xavier"]),
        (&[("custom.newsletter", "false")], &["Yvonne"]),
        (&[("custom.tier", "Gold")], &["Xavier"]),
        (&[("custom.tier", "Gold,Silver")], &["Xavier", "Yvonne"]),
        (&[("custom.tier[exists]", "false")], &["Zoé"]),
        (&[("custom.tier[exists]", "true")], &["Xavier", "Yvonne"]),
        (
            &[
                ("custom.newsletter", "false"),
                ("custom.revenue[gte]", "1000"),
            ],
            &[],
        ),
    ];
    for (params, expected) in cases {
        assert_eq!(first_names(&app, params).await, *expected, "{params:?}");
    }

    // A merge patch on `custom` removes a value with null, and the filters follow.
    let url = format!("/api/v1/people/{}", xavier["id"].as_str().unwrap());
    let (status, _, x) = app
        .patch(
            &url,
            json!({"custom": {"revenue": null, "note": "gamma"}}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{x}");
    assert_eq!(
        x["custom"],
        json!({"note": "gamma", "contract_end": "2024-06-30", "newsletter": true, "tier": "Gold"})
    );
    assert!(
        first_names(&app, &[("custom.revenue[gte]", "1000")])
            .await
            .is_empty()
    );
    assert!(
        first_names(&app, &[("custom.note", "alpha")])
            .await
            .is_empty()
    );
    assert_eq!(
        first_names(&app, &[("custom.note", "gamma")]).await,
        ["Xavier"]
    );

    // Companies have their own fields.
    app.custom_field("company", "employees", "number", &[])
        .await;
    app.company(json!({"name": "Grande", "custom": {"employees": 5000}}))
        .await;
    app.company(json!({"name": "Petite", "custom": {"employees": 3}}))
        .await;
    let (_, _, page) = app
        .get(
            &format!(
                "/api/v1/companies{}",
                qs(&[("custom.employees[gt]", "100")])
            ),
            (),
            &[],
        )
        .await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Grande"]);
    // A person field is not a company field.
    let answer = app
        .post(
            "/api/v1/people",
            json!({"first_name": "Walter", "custom": {"employees": 3}}),
            &[],
        )
        .await;
    assert_invalid(&answer, "custom.employees");
}

both!(
    invalid_or_unknown_custom_values_and_filters_are_422_naming_the_key,
    custom_errors
);
async fn custom_errors(app: TestApp) {
    app.custom_field("person", "revenue", "number", &[]).await;
    app.custom_field("person", "contract_end", "date", &[])
        .await;
    app.custom_field("person", "newsletter", "boolean", &[])
        .await;
    app.custom_field("person", "tier", "choice", &["Gold", "Silver"])
        .await;
    let bad: &[(Value, &str)] = &[
        (json!({"revenue": "lots"}), "custom.revenue"),
        (json!({"revenue": true}), "custom.revenue"),
        (json!({"contract_end": "someday"}), "custom.contract_end"),
        (json!({"newsletter": "peut-être"}), "custom.newsletter"),
        (json!({"tier": "Bronze"}), "custom.tier"),
        (json!({"nope": 1}), "custom.nope"),
    ];
    for (custom, field) in bad {
        let answer = app
            .post(
                "/api/v1/people",
                json!({"first_name": "Walter", "custom": custom}),
                &[],
            )
            .await;
        assert_invalid(&answer, field);
    }
    let (_, _, list) = app.get("/api/v1/people", (), &[]).await;
    assert_eq!(list["items"], json!([]), "nothing was created");

    let p = app
        .person(json!({"first_name": "Walter", "custom": {"revenue": 10}}))
        .await;
    let answer = app
        .patch(
            &format!("/api/v1/people/{}", p["id"].as_str().unwrap()),
            json!({"custom": {"revenue": "beaucoup"}}),
            &[],
        )
        .await;
    assert_invalid(&answer, "custom.revenue");

    for (params, field) in [
        (qs(&[("custom.nope", "1")]), "custom.nope"),
        (qs(&[("custom.revenue[gte]", "lots")]), "custom.revenue"),
        (
            qs(&[("custom.contract_end[lt]", "someday")]),
            "custom.contract_end",
        ),
        (qs(&[("custom.newsletter", "maybe")]), "custom.newsletter"),
    ] {
        let answer = app.get(&format!("/api/v1/people{params}"), (), &[]).await;
        assert_invalid(&answer, field);
    }

    // Definitions are checked too.
    for (body, field) in [
        (
            json!({"entity": "person", "key": "Bad Key", "label": "x", "kind": "text"}),
            "key",
        ),
        (
            json!({"entity": "deal", "key": "k", "label": "x", "kind": "text"}),
            "entity",
        ),
        (
            json!({"entity": "person", "key": "k", "label": "x", "kind": "colour"}),
            "kind",
        ),
        (
            json!({"entity": "person", "key": "k", "label": "x", "kind": "choice"}),
            "choices",
        ),
        (
            json!({"entity": "person", "key": "revenue", "label": "x", "kind": "text"}),
            "key",
        ),
    ] {
        let answer = app.post("/api/v1/custom-fields", body, &[]).await;
        assert_invalid(&answer, field);
    }
}
