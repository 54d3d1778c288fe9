//! The segment language through `filter=`: And/Or/Not, every operator, related records
//! (has, none, count, sum, min, max, latest) with relative dates, accents, custom fields,
//! and mistakes named by position. Every scenario runs on both engines with the same
//! expectations: the same filter selects the same people.
use crate::helpers::{TestApp, assert_invalid, qs};
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

/// The last names a `filter=` selects among people, sorted.
async fn people(app: &TestApp, filter: &str) -> Vec<String> {
    names(app, "people", "last_name", filter).await
}

async fn names(app: &TestApp, list: &str, field: &str, filter: &str) -> Vec<String> {
    let url = format!(
        "/api/v1/{list}{}",
        qs(&[("filter", filter), ("limit", "200")])
    );
    let (status, _, page) = app.get(&url, (), &[]).await;
    assert_eq!(status, StatusCode::OK, "{filter}: {page}");
    let mut names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[field].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

async fn interaction(app: &TestApp, person: &Value, kind: &str, days_ago: i64, minutes: i64) {
    let at = (Utc::now() - Duration::days(days_ago)).to_rfc3339();
    let body = json!({"kind": kind, "occurred_at": at, "duration_minutes": minutes,
                      "subject": format!("{kind} {days_ago}"), "person_ids": [person["id"]]});
    let (status, _, b) = app.post("/api/v1/interactions", body, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
}

/// Curie: customer in Lyon, 3 calls (10, 200 and 400 days ago) and a meeting 5 days ago.
/// Lefèvre: customer in Lyon, VIP, one call 300 days ago. Lovelace: lead in Paris, nothing.
/// Zola (Émile): prospect in Lyon, two calls long ago, an open task. Élodie Dupré: former
/// customer, no address, a done task, works at Acme with Curie.
async fn cast(app: &TestApp) -> Vec<Value> {
    app.custom_field("person", "score", "number", &[]).await;
    let acme = app
        .company(json!({"name": "Acme", "industry": "Métallurgie"}))
        .await;
    let mut out = vec![];
    for (first, last, city, stage, tags, score) in [
        ("Amélie", "Curie", Some("Lyon"), "customer", vec![], 12),
        (
            "Pierre",
            "Lefèvre",
            Some("Lyon"),
            "customer",
            vec!["VIP"],
            3,
        ),
        ("Ada", "Lovelace", Some("Paris"), "lead", vec![], 8),
        ("Émile", "Zola", Some("Lyon"), "prospect", vec![], 0),
        (
            "Élodie",
            "Dupré",
            None,
            "former_customer",
            vec!["presse"],
            5,
        ),
    ] {
        let mut body = json!({"first_name": first, "last_name": last, "stage": stage, "tags": tags,
                              "custom": {"score": score}, "job_title": "Directrice générale"});
        if let Some(city) = city {
            body["addresses"] = json!([{"city": city, "country": "FR"}]);
        }
        if last == "Curie" || last == "Dupré" {
            body["companies"] = json!([{"company_id": acme["id"]}]);
        }
        out.push(app.person(body).await);
    }
    let [curie, lefevre, _, zola, dupre] = &out[..] else {
        unreachable!()
    };
    for days in [10, 200, 400] {
        interaction(app, curie, "call", days, 10).await;
    }
    interaction(app, curie, "meeting", 5, 60).await;
    interaction(app, lefevre, "call", 300, 25).await;
    interaction(app, zola, "call", 500, 5).await;
    interaction(app, zola, "call", 600, 5).await;
    let (s, _, _) = app
        .post(
            "/api/v1/tasks",
            json!({"title": "Rappeler", "person_id": zola["id"]}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _, _) = app
        .post(
            "/api/v1/tasks",
            json!({"title": "Fait", "person_id": dupre["id"], "done": true}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    out
}

both!(filters_combine_with_and_or_not_and_every_operator, combine);
async fn combine(app: TestApp) {
    cast(&app).await;
    assert_eq!(
        people(
            &app,
            r#"stage = customer and city = "Lyon" and not tag = vip"#
        )
        .await,
        ["Curie"]
    );
    assert_eq!(
        people(&app, "stage = lead or tag = presse").await,
        ["Dupré", "Lovelace"]
    );
    assert_eq!(
        people(&app, "(stage = lead or stage = prospect) and city = lyon").await,
        ["Zola"]
    );
    assert_eq!(
        people(
            &app,
            "stage in (customer, prospect) and not (city = LYON and tag = VIP)"
        )
        .await,
        ["Curie", "Zola"]
    );
    assert_eq!(
        people(&app, "stage != customer and city is not empty").await,
        ["Lovelace", "Zola"]
    );
    assert_eq!(people(&app, "city is empty").await, ["Dupré"]);
    assert_eq!(
        people(&app, "custom.score >= 8").await,
        ["Curie", "Lovelace"]
    );
    assert_eq!(people(&app, "custom.score < 3").await, ["Zola"]);
    assert_eq!(
        people(&app, "custom.score > 3 and custom.score <= 8").await,
        ["Dupré", "Lovelace"]
    );
    assert_eq!(people(&app, "created_at > 1 day ago").await.len(), 5);
    assert_eq!(people(&app, "created_at < 1 day ago").await.len(), 0);
    assert_eq!(
        people(&app, "companies(name = acme)").await,
        ["Curie", "Dupré"]
    );
    // The query parameters and the text add up.
    let url = format!(
        "/api/v1/people{}",
        qs(&[("stage", "customer"), ("filter", "tag = vip")])
    );
    let (_, _, page) = app.get(&url, (), &[]).await;
    assert_eq!(page["items"][0]["last_name"], "Lefèvre");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

both!(
    accents_and_case_are_folded_the_same_on_both_engines,
    accents
);
async fn accents(app: TestApp) {
    cast(&app).await;
    for (param, value, want) in [
        ("first_name[prefix]", "emi", vec!["Zola"]),
        ("first_name[prefix]", "ÉMI", vec!["Zola"]),
        ("last_name[prefix]", "lef", vec!["Lefèvre"]),
        ("last_name[prefix]", "lefè", vec!["Lefèvre"]),
        ("first_name", "elodie", vec!["Dupré"]),
        ("last_name", "DUPRE", vec!["Dupré"]),
        (
            "job_title[prefix]",
            "directrice gen",
            vec!["Curie", "Dupré", "Lefèvre", "Lovelace", "Zola"],
        ),
    ] {
        let url = format!("/api/v1/people{}", qs(&[(param, value)]));
        let (status, _, page) = app.get(&url, (), &[]).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let mut got: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["last_name"].as_str().unwrap())
            .collect();
        got.sort();
        assert_eq!(got, want, "{param}={value}");
    }
    assert_eq!(
        people(&app, r#"first_name starts with "Émi""#).await,
        ["Zola"]
    );
    assert_eq!(people(&app, "last_name = lefevre").await, ["Lefèvre"]);
    let companies = names(&app, "companies", "name", "industry starts with metal").await;
    assert_eq!(companies, ["Acme"]);
}

both!(related_records_are_counted_summed_and_ruled_out, related);
async fn related(app: TestApp) {
    cast(&app).await;
    assert_eq!(
        people(&app, "interactions(kind = call).count >= 3").await,
        ["Curie"]
    );
    assert_eq!(
        people(&app, "no interactions(kind = call)").await,
        ["Dupré", "Lovelace"]
    );
    assert_eq!(
        people(&app, "interactions(kind = call).count = 2").await,
        ["Zola"]
    );
    // A count that zero satisfies includes those with none.
    assert_eq!(
        people(&app, "interactions.count < 1").await,
        ["Dupré", "Lovelace"]
    );
    assert_eq!(
        people(&app, "no interactions(occurred_at > 180 days ago)").await,
        ["Dupré", "Lefèvre", "Lovelace", "Zola"]
    );
    assert_eq!(
        people(
            &app,
            "has interactions(occurred_at > 180 days ago, kind = meeting)"
        )
        .await,
        ["Curie"]
    );
    assert_eq!(
        people(&app, "interactions.sum(duration_minutes) >= 25").await,
        ["Curie", "Lefèvre"]
    );
    assert_eq!(
        people(&app, "interactions.sum(duration_minutes) = 0").await,
        ["Dupré", "Lovelace"]
    );
    assert_eq!(
        people(&app, "interactions.max(occurred_at) < 1 year ago").await,
        ["Zola"]
    );
    assert_eq!(
        people(&app, "interactions.min(occurred_at) < 450 days ago").await,
        ["Zola"]
    );
    assert_eq!(
        people(&app, "interactions.latest(kind) = meeting").await,
        ["Curie"]
    );
    assert_eq!(
        people(&app, "interactions.latest(kind) = call").await,
        ["Lefèvre", "Zola"]
    );
    assert_eq!(people(&app, "tasks(done = no)").await, ["Zola"]);
    assert_eq!(
        people(&app, "has tasks and no tasks(done = false)").await,
        ["Dupré"]
    );
    // The benchmark's question.
    assert_eq!(
        people(
            &app,
            r#"stage = customer and city = "Lyon" and no interactions(occurred_at > 180 days ago) and interactions(kind = call).count >= 1"#
        )
        .await,
        ["Lefèvre"]
    );
    // From companies, through their people.
    assert_eq!(
        names(
            &app,
            "companies",
            "name",
            "people(stage = customer).count >= 1"
        )
        .await,
        ["Acme"]
    );
    assert!(
        names(&app, "companies", "name", "people(stage = lead)")
            .await
            .is_empty()
    );
    // A trashed interaction no longer counts.
    let (_, _, page) = app
        .get(
            &format!(
                "/api/v1/interactions{}",
                qs(&[("filter", "kind = meeting")])
            ),
            (),
            &[],
        )
        .await;
    let meeting = page["items"][0]["id"].as_str().unwrap().to_string();
    let (s, _, _) = app
        .delete(&format!("/api/v1/interactions/{meeting}"), (), &[])
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(
        people(&app, "interactions(kind = meeting)")
            .await
            .is_empty()
    );
}

both!(
    mistakes_are_named_with_their_position_and_nothing_runs,
    mistakes
);
async fn mistakes(app: TestApp) {
    cast(&app).await;
    for (filter, says) in [
        (
            "stage = = customer",
            "at position 9: expected a value, found '='",
        ),
        ("stage customer", "at position 7: expected an operator"),
        ("(stage = lead", "at position 14: expected ')'"),
        ("colour = red", "unknown field 'colour' of people"),
        (
            "stage = boss",
            "stage: 'boss' is not one of lead, prospect, customer, former_customer",
        ),
        ("orders.count > 1", "unknown relation 'orders' of people"),
        (
            "interactions(kind = lunch)",
            "kind: 'lunch' is not one of call",
        ),
        ("created_at > soon", "'soon' is not a date"),
    ] {
        let url = format!("/api/v1/people{}", qs(&[("filter", filter)]));
        let answer = app.get(&url, (), &[]).await;
        assert_invalid(&answer, "filter");
        let body = answer.2.to_string();
        assert!(body.contains(says), "{filter}: {body}");
    }
    let url = format!("/api/v1/people{}", qs(&[("stage", "boss")]));
    assert_invalid(&app.get(&url, (), &[]).await, "stage");
    let url = format!(
        "/api/v1/people{}",
        qs(&[("filter", "a = 1"), ("filter", "b = 2")])
    );
    assert_invalid(&app.get(&url, (), &[]).await, "filter");
}

both!(
    amounts_are_money_kept_exactly_and_filtered_in_their_currency,
    money
);
async fn money(app: TestApp) {
    app.custom_field("person", "budget", "money", &[]).await;
    let a = app
        .person(json!({"last_name": "Riche", "custom": {"budget": "1 234,50 €"}}))
        .await;
    assert_eq!(
        a["custom"]["budget"],
        json!({"minor": 123450, "currency": "EUR"})
    );
    app.person(json!({"last_name": "Modeste", "custom": {"budget": 99.9}}))
        .await;
    app.person(json!({"last_name": "Suisse", "custom": {"budget": "5000 CHF"}}))
        .await;
    assert_eq!(people(&app, "custom.budget >= 1000 EUR").await, ["Riche"]);
    assert_eq!(
        people(&app, "custom.budget < \"1 000 €\"").await,
        ["Modeste"]
    );
    assert_eq!(people(&app, "custom.budget > 1000 CHF").await, ["Suisse"]);
    assert_eq!(people(&app, "custom.budget = 99.90 EUR").await, ["Modeste"]);
    let url = format!("/api/v1/people{}", qs(&[("custom.budget[gte]", "1234,50")]));
    let (_, _, page) = app.get(&url, (), &[]).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    let answer = app
        .post(
            "/api/v1/people",
            json!({"last_name": "X", "custom": {"budget": "beaucoup"}}),
            &[],
        )
        .await;
    assert_invalid(&answer, "custom.budget");
    let answer = app
        .get(
            &format!(
                "/api/v1/people{}",
                qs(&[("filter", "custom.budget > lots")])
            ),
            (),
            &[],
        )
        .await;
    assert_invalid(&answer, "filter");
    // The 360° page writes it as the reader's language writes money; the form gives it back
    // in a form both languages read.
    let b = app.browser(relais_domain::Role::Admin).await;
    let id = a["id"].as_str().unwrap();
    let (_, _, html) = b.get(&format!("/people/{id}")).await;
    assert!(html.contains("€1,234.50"), "{html}");
    let (_, _, form) = b.get(&format!("/people/{id}/edit")).await;
    assert!(form.contains("value=\"1234.50 EUR\""), "{form}");
}
