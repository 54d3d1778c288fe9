//! Companies: their life, legal identifiers, groups, and the 360° overview.
use crate::helpers::{TestApp, assert_invalid, assert_problem, header_str, ids};
use axum::http::{StatusCode, header};
use serde_json::{Value, json};

both!(
    companies_are_created_read_patched_trashed_restored_and_purged,
    company_life
);
async fn company_life(app: TestApp) {
    let (status, headers, c) = app
        .post(
            "/api/v1/companies",
            json!({
                "name": "Danone", "siret": "732 829 320 00074", "website": "danone.com", "size": "5000+",
                "email": "contact@Danone.example", "phone": "01 44 35 20 20", "tags": ["agro"],
                "vat_number": "FR44732829320", "notes": "Siège à Paris"
            }),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(header_str(&headers, header::ETAG), Some("\"1\""));
    assert_eq!(c["siret"], "73282932000074");
    assert_eq!(c["siren"], "732829320", "SIREN taken from the SIRET");
    assert_eq!(c["website"], "https://danone.com");
    assert_eq!(c["phone"], "+33144352020");
    assert_eq!(c["email"], "contact@danone.example");
    assert_eq!(c["deleted_at"], Value::Null);
    let url = format!("/api/v1/companies/{}", c["id"].as_str().unwrap());

    let (status, headers, read) = app.get(&url, (), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_str(&headers, header::ETAG), Some("\"1\""));
    assert_eq!(read, c);

    let (status, headers, d) = app
        .patch(
            &url,
            json!({"industry": "Agroalimentaire", "notes": null}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(header_str(&headers, header::ETAG), Some("\"2\""));
    assert_eq!(d["industry"], "Agroalimentaire");
    assert_eq!(d["notes"], Value::Null);
    for same in [
        "name",
        "siren",
        "siret",
        "website",
        "size",
        "email",
        "phone",
        "tags",
        "vat_number",
    ] {
        assert_eq!(d[same], c[same], "{same}");
    }

    let answer = app.post(&format!("{url}/purge"), (), &[]).await;
    assert_problem(&answer, StatusCode::CONFLICT);
    assert_eq!(app.delete(&url, (), &[]).await.0, StatusCode::NO_CONTENT);
    let (_, _, trashed) = app.get(&url, (), &[]).await;
    assert!(trashed["deleted_at"].is_string());
    let (_, _, live) = app.get("/api/v1/companies", (), &[]).await;
    assert!(ids(&live).is_empty());
    let (_, _, trash) = app.get("/api/v1/companies?trash=true", (), &[]).await;
    assert_eq!(ids(&trash), [c["id"].as_str().unwrap()]);
    let (status, _, restored) = app.post(&format!("{url}/restore"), (), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(restored["deleted_at"], Value::Null);
    assert_eq!(app.delete(&url, (), &[]).await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        app.post(&format!("{url}/purge"), (), &[]).await.0,
        StatusCode::NO_CONTENT
    );
    assert_problem(&app.get(&url, (), &[]).await, StatusCode::NOT_FOUND);
}

both!(
    siren_and_siret_with_a_wrong_check_digit_are_422_naming_the_field,
    legal_ids
);
async fn legal_ids(app: TestApp) {
    for (body, field) in [
        (json!({"name": "X", "siren": "732829321"}), "siren"),
        (json!({"name": "X", "siren": "12345"}), "siren"),
        (json!({"name": "X", "siret": "73282932000075"}), "siret"),
        (
            json!({"name": "X", "siren": "552100554", "siret": "73282932000074"}),
            "siret",
        ),
        (json!({"name": "X", "size": "huge"}), "size"),
        (json!({"name": "X", "website": "not a site"}), "website"),
        (json!({"siren": "732829320"}), "name"),
    ] {
        let answer = app.post("/api/v1/companies", body.clone(), &[]).await;
        assert_invalid(&answer, field);
    }
    // A valid one passes, and a patch is checked the same way.
    let c = app
        .company(json!({"name": "Renault", "siren": "441 639 465"}))
        .await;
    assert_eq!(c["siren"], "441639465");
    let answer = app
        .patch(
            &format!("/api/v1/companies/{}", c["id"].as_str().unwrap()),
            json!({"siren": "441639466"}),
            &[],
        )
        .await;
    assert_invalid(&answer, "siren");
}

both!(a_company_can_belong_to_a_group_but_never_to_itself, groups);
async fn groups(app: TestApp) {
    let group = app.company(json!({"name": "Groupe Moulins"})).await;
    let sub = app
        .company(json!({"name": "Café des Deux Moulins", "parent_id": group["id"]}))
        .await;
    assert_eq!(sub["parent_id"], group["id"]);
    let subsub = app
        .company(json!({"name": "Moulins Express", "parent_id": sub["id"]}))
        .await;
    let group_url = format!("/api/v1/companies/{}", group["id"].as_str().unwrap());

    // The group under its own subsidiary, directly or further down: refused.
    for child in [&sub, &subsub] {
        let answer = app
            .patch(&group_url, json!({"parent_id": child["id"]}), &[])
            .await;
        assert_invalid(&answer, "parent_id");
    }
    let answer = app
        .patch(&group_url, json!({"parent_id": group["id"]}), &[])
        .await;
    assert_invalid(&answer, "parent_id");
    let answer = app
        .post(
            "/api/v1/companies",
            json!({"name": "Fantôme", "parent_id": uuid::Uuid::now_v7()}),
            &[],
        )
        .await;
    assert_invalid(&answer, "parent_id");

    // Filter by parent.
    let (_, _, children) = app
        .get(
            &format!(
                "/api/v1/companies?parent_id={}",
                group["id"].as_str().unwrap()
            ),
            (),
            &[],
        )
        .await;
    assert_eq!(ids(&children), [sub["id"].as_str().unwrap()]);
}

both!(
    a_company_overview_shows_its_people_subsidiaries_and_parent,
    company_overview
);
async fn company_overview(app: TestApp) {
    let group = app.company(json!({"name": "Groupe Moulins"})).await;
    let cafe = app
        .company(json!({"name": "Café des Deux Moulins", "parent_id": group["id"]}))
        .await;
    let express = app
        .company(json!({"name": "Moulins Express", "parent_id": group["id"]}))
        .await;
    let amelie = app
        .person(json!({"first_name": "Amélie", "last_name": "Poulain", "companies": [{"company_id": cafe["id"], "role": "Serveuse"}]}))
        .await;
    let georgette = app
        .person(json!({"first_name": "Georgette", "last_name": "Buraliste", "companies": [{"company_id": cafe["id"]}, {"company_id": express["id"]}]}))
        .await;
    app.person(json!({"first_name": "Nino"})).await;
    assert_eq!(amelie["companies"][0]["role"], "Serveuse");

    let (status, _, o) = app
        .get(
            &format!(
                "/api/v1/companies/{}/overview",
                cafe["id"].as_str().unwrap()
            ),
            (),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["company"]["id"], cafe["id"]);
    assert_eq!(o["parent"]["id"], group["id"]);
    assert_eq!(o["subsidiaries"], json!([]));
    let people: Vec<&Value> = o["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["id"])
        .collect();
    assert_eq!(people, [&georgette["id"], &amelie["id"]], "by name");
    assert_eq!(o["counts"]["people"], 2);

    let (_, _, o) = app
        .get(
            &format!(
                "/api/v1/companies/{}/overview",
                group["id"].as_str().unwrap()
            ),
            (),
            &[],
        )
        .await;
    assert_eq!(o["parent"], Value::Null);
    let mut subs: Vec<&str> = o["subsidiaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    subs.sort();
    assert_eq!(subs, ["Café des Deux Moulins", "Moulins Express"]);
    assert_eq!(o["people"], json!([]));
    assert_eq!(o["counts"]["people"], 0);

    // A person who leaves the company leaves its overview.
    app.patch(
        &format!("/api/v1/people/{}", georgette["id"].as_str().unwrap()),
        json!({"companies": [{"company_id": express["id"]}]}),
        &[],
    )
    .await;
    let (_, _, o) = app
        .get(
            &format!(
                "/api/v1/companies/{}/overview",
                cafe["id"].as_str().unwrap()
            ),
            (),
            &[],
        )
        .await;
    assert_eq!(o["people"].as_array().unwrap().len(), 1);
    assert_eq!(o["people"][0]["id"], amelie["id"]);
}
