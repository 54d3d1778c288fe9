//! `q`: a prefix of a name, e-mail, phone or company; case and accent insensitive.
use crate::helpers::{TestApp, qs};
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn names(app: &TestApp, q: &str) -> Vec<String> {
    let (status, _, page) = app
        .get(&format!("/api/v1/people{}", qs(&[("q", q)])), (), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "q={q}: {page}");
    let mut names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["display_name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

async fn people(app: &TestApp) -> Value {
    let moulins = app.company(json!({"name": "Café des Deux Moulins"})).await;
    app.person(json!({
        "first_name": "Élodie", "last_name": "Martin",
        "emails": [{"address": "elodie.martin@exemple.fr"}]
    }))
    .await;
    app.person(json!({
        "first_name": "Amélie", "last_name": "Poulain",
        "phones": [{"number": "06 40 50 60 70"}],
        "companies": [{"company_id": moulins["id"], "role": "Serveuse", "primary": true}]
    }))
    .await;
    app.person(json!({
        "first_name": "Bob", "last_name": "Smith",
        "emails": [{"address": "bob@acme.test"}],
        "phones": [{"number": "+44 20 7946 0958"}]
    }))
    .await;
    app.person(json!({"first_name": "Jean-Pierre", "last_name": "Léaud"}))
        .await;
    moulins
}

both!(
    search_finds_names_by_prefix_whatever_the_case_and_accents,
    by_name
);
async fn by_name(app: TestApp) {
    people(&app).await;
    for q in ["elo", "ELO", "Élo", "élodie", "  elo  ", "mart", "MARTIN"] {
        assert_eq!(names(&app, q).await, ["Élodie Martin"], "q={q:?}");
    }
    assert_eq!(names(&app, "pierre").await, ["Jean-Pierre Léaud"]);
    assert_eq!(names(&app, "jean-p").await, ["Jean-Pierre Léaud"]);
    assert_eq!(names(&app, "leau").await, ["Jean-Pierre Léaud"]);
    // A prefix, not a substring.
    assert!(names(&app, "lodie").await.is_empty());
    assert!(names(&app, "zorglub").await.is_empty());
    // An empty query is no filter.
    assert_eq!(names(&app, "").await.len(), 4);
}

both!(search_finds_people_by_email_prefix, by_email);
async fn by_email(app: TestApp) {
    people(&app).await;
    assert_eq!(names(&app, "elodie.mar").await, ["Élodie Martin"]);
    assert_eq!(
        names(&app, "elodie.martin@exemple.fr").await,
        ["Élodie Martin"]
    );
    assert_eq!(names(&app, "BOB@ACME").await, ["Bob Smith"]);
    assert!(names(&app, "bob@other").await.is_empty());
}

both!(search_finds_people_by_phone_digits, by_phone);
async fn by_phone(app: TestApp) {
    people(&app).await;
    for q in ["0640", "+3364", "06 40 50", "06.40.50.60.70", "33640506070"] {
        assert_eq!(names(&app, q).await, ["Amélie Poulain"], "q={q:?}");
    }
    assert_eq!(names(&app, "+44 20 79").await, ["Bob Smith"]);
    assert!(names(&app, "0799").await.is_empty());
}

both!(search_finds_people_by_the_name_of_their_company, by_company);
async fn by_company(app: TestApp) {
    people(&app).await;
    assert_eq!(names(&app, "cafe").await, ["Amélie Poulain"]);
    assert_eq!(names(&app, "Moul").await, ["Amélie Poulain"]);
    assert_eq!(names(&app, "deux moul").await, ["Amélie Poulain"]);
    // The company list is searched by the same rules.
    let (_, _, page) = app
        .get(
            &format!("/api/v1/companies{}", qs(&[("q", "CAFÉ DES")])),
            (),
            &[],
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
}

both!(every_word_of_a_multi_word_search_must_match, multi_word);
async fn multi_word(app: TestApp) {
    people(&app).await;
    assert_eq!(names(&app, "amel pou").await, ["Amélie Poulain"]);
    assert_eq!(names(&app, "POU amél").await, ["Amélie Poulain"]);
    assert_eq!(names(&app, "amel moulins").await, ["Amélie Poulain"]);
    assert!(names(&app, "amel smi").await.is_empty());
    // Search combines with filters.
    let (_, _, page) = app
        .get(
            &format!(
                "/api/v1/people{}",
                qs(&[("q", "amel"), ("stage", "customer")])
            ),
            (),
            &[],
        )
        .await;
    assert_eq!(page["items"], json!([]));
}

both!(search_follows_changes_and_the_trash, search_follows_changes);
async fn search_follows_changes(app: TestApp) {
    people(&app).await;
    let (_, _, page) = app.get("/api/v1/people?q=pierre", (), &[]).await;
    let url = format!(
        "/api/v1/people/{}",
        page["items"][0]["id"].as_str().unwrap()
    );
    app.patch(&url, json!({"first_name": "Jean-Paul"}), &[])
        .await;
    assert_eq!(names(&app, "paul").await, ["Jean-Paul Léaud"]);
    assert!(names(&app, "pierre").await.is_empty(), "old terms are gone");
    assert_eq!(names(&app, "jean").await, ["Jean-Paul Léaud"]);
    app.delete(&url, (), &[]).await;
    assert!(
        names(&app, "paul").await.is_empty(),
        "the trash is not searched"
    );
    let (_, _, trash) = app.get("/api/v1/people?q=paul&trash=true", (), &[]).await;
    assert_eq!(trash["items"].as_array().unwrap().len(), 1);
}

/// Every page of a search, following `next_cursor`: (display name, matched in order).
async fn all_pages(app: &TestApp, params: &[(&str, &str)]) -> Vec<String> {
    let mut names = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut p = params.to_vec();
        if !cursor.is_empty() {
            p.push(("cursor", &cursor));
        }
        let (status, _, page) = app.get(&format!("/api/v1/people{}", qs(&p)), (), &[]).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        names.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["display_name"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return names,
        }
    }
}

both!(
    a_search_lists_by_the_word_found_then_by_name_and_pages_without_gaps,
    relevance_order
);
async fn relevance_order(app: TestApp) {
    for (first, last) in [
        ("Martine", "Zola"),
        ("Marc", "Dupont"),
        ("Marc", "Marchand"),
        ("Marie", "Curie"),
        ("Anne", "Martin"),
        ("Marc", "Aubert"),
        ("Lucie", "Bernard"),
    ] {
        app.person(json!({"first_name": first, "last_name": last}))
            .await;
    }
    let expected = [
        // "marc": the three Marcs by name; Marc Marchand once, at his first word found.
        "Marc Aubert",
        "Marc Dupont",
        "Marc Marchand",
        "Marie Curie",
        "Anne Martin",
        "Martine Zola",
    ];
    for limit in ["1", "2", "50"] {
        assert_eq!(
            all_pages(&app, &[("q", "mar"), ("limit", limit)]).await,
            expected,
            "limit {limit}"
        );
    }
    // Another word narrows the search; the rarer word leads the order, page after page.
    assert_eq!(
        all_pages(&app, &[("q", "marc d"), ("limit", "1")]).await,
        ["Marc Dupont"]
    );
    assert_eq!(
        all_pages(&app, &[("q", "mar marc"), ("limit", "1")]).await,
        ["Marc Aubert", "Marc Dupont", "Marc Marchand"]
    );
    // Asked for, the name order still applies to a search.
    assert_eq!(
        all_pages(&app, &[("q", "mar"), ("sort", "name"), ("limit", "2")]).await,
        [
            "Marc Aubert",
            "Marie Curie",
            "Marc Dupont",
            "Marc Marchand",
            "Anne Martin",
            "Martine Zola"
        ]
    );
    // A cursor of another list is refused by name.
    let (status, _, problem) = app
        .get(
            &format!(
                "/api/v1/people{}",
                qs(&[("q", "mar"), ("cursor", "bm90LWEtY3Vyc29y")])
            ),
            (),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(crate::helpers::error_fields(&problem), ["cursor"]);
}

both!(
    people_follow_their_company_when_it_is_renamed_merged_or_purged,
    company_changes
);
async fn company_changes(app: TestApp) {
    let moulins = people(&app).await;
    let url = format!("/api/v1/companies/{}", moulins["id"].as_str().unwrap());
    app.patch(&url, json!({"name": "Le Tabac des Moulins"}), &[])
        .await;
    assert_eq!(names(&app, "tabac").await, ["Amélie Poulain"]);
    assert!(names(&app, "cafe").await.is_empty(), "the old name is gone");
    // A merge moves her to the survivor, and she is found by its name.
    let other = app.company(json!({"name": "Brasserie Lipp"})).await;
    let (status, _, body) = app
        .post(
            "/api/v1/companies/merge",
            json!({"survivor_id": other["id"], "discarded_id": moulins["id"]}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(&app, "lipp").await, ["Amélie Poulain"]);
    assert!(names(&app, "tabac").await.is_empty());
    // Purged, the company no longer finds her; her own name still does.
    let url = format!("/api/v1/companies/{}", other["id"].as_str().unwrap());
    app.delete(&url, (), &[]).await;
    let (status, _, body) = app.post(&format!("{url}/purge"), (), &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(names(&app, "lipp").await.is_empty());
    assert_eq!(names(&app, "amelie").await, ["Amélie Poulain"]);
}

both!(
    the_company_list_searches_in_relevance_order_too,
    company_order
);
async fn company_order(app: TestApp) {
    for name in [
        "Moulin Rouge",
        "Les Deux Moulins",
        "Boulangerie du Moulin",
        "Mouton",
    ] {
        app.company(json!({"name": name})).await;
    }
    let mut got = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut p = vec![("q", "moul"), ("limit", "1")];
        if !cursor.is_empty() {
            p.push(("cursor", &cursor));
        }
        let (_, _, page) = app
            .get(&format!("/api/v1/companies{}", qs(&p)), (), &[])
            .await;
        got.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    // "moulin" (two companies, by name), then "moulins".
    assert_eq!(
        got,
        ["Boulangerie du Moulin", "Moulin Rouge", "Les Deux Moulins"]
    );
}
