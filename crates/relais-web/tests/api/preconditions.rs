//! Optimistic concurrency: ETags, `If-Match`, 412 with the current state.
use crate::helpers::{Engine, TestApp, assert_problem, header_str};
use axum::http::{StatusCode, header};
use serde_json::json;

both!(
    a_stale_if_match_gets_412_with_the_current_record_and_its_etag,
    stale_if_match
);
async fn stale_if_match(app: TestApp) {
    let p = app
        .person(json!({"first_name": "Élodie", "last_name": "Martin", "job_title": "Graphiste"}))
        .await;
    let url = format!("/api/v1/people/{}", p["id"].as_str().unwrap());
    // Someone else changes the record (version 2)...
    let (status, _, _) = app
        .patch(&url, json!({"job_title": "Directrice artistique"}), &[])
        .await;
    assert_eq!(status, StatusCode::OK);

    // ...so an edit based on version 1 is refused, with what the record is now.
    let answer = app
        .patch(
            &url,
            json!({"job_title": "Illustratrice"}),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_problem(&answer, StatusCode::PRECONDITION_FAILED);
    let (_, headers, problem) = &answer;
    assert_eq!(header_str(headers, header::ETAG), Some("\"2\""));
    assert_eq!(problem["current"]["version"], 2);
    assert_eq!(problem["current"]["job_title"], "Directrice artistique");
    assert_eq!(problem["current"]["id"], p["id"]);
    let (_, _, now) = app.get(&url, (), &[]).await;
    assert_eq!(now["job_title"], "Directrice artistique", "nothing written");
    assert_eq!(
        problem["current"], now,
        "current is the record as a GET shows it"
    );

    // The ETag just received makes the edit go through.
    let (status, headers, q) = app
        .patch(
            &url,
            json!({"job_title": "Illustratrice"}),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!(q["job_title"], "Illustratrice");
    assert_eq!(header_str(&headers, header::ETAG), Some("\"3\""));

    // A weak form of the right tag, a list holding it, and `*` match too.
    for (version, tag) in [(3, "W/\"3\""), (4, "\"1\", \"4\""), (5, "*")] {
        let (status, _, q) = app
            .patch(&url, json!({"notes": tag}), &[("if-match", tag)])
            .await;
        assert_eq!(status, StatusCode::OK, "If-Match: {tag}: {q}");
        assert_eq!(q["version"], version + 1);
    }

    // The same on companies.
    let c = app.company(json!({"name": "Les Deux Moulins"})).await;
    let curl = format!("/api/v1/companies/{}", c["id"].as_str().unwrap());
    app.patch(&curl, json!({"industry": "Restauration"}), &[])
        .await;
    let answer = app
        .patch(
            &curl,
            json!({"industry": "Cinéma"}),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_problem(&answer, StatusCode::PRECONDITION_FAILED);
    assert_eq!(answer.2["current"]["industry"], "Restauration");
    assert_eq!(header_str(&answer.1, header::ETAG), Some("\"2\""));
}

both!(
    of_two_concurrent_edits_with_the_same_etag_the_second_gets_412,
    concurrent_edits
);
async fn concurrent_edits(app: TestApp) {
    let p = app
        .person(json!({"first_name": "Nino", "last_name": "Quincampoix"}))
        .await;
    let url = format!("/api/v1/people/{}", p["id"].as_str().unwrap());
    let if_match = [("if-match", "\"1\"")];
    let (a, b) = tokio::join!(
        app.patch(&url, json!({"job_title": "Collectionneur"}), &if_match),
        app.patch(&url, json!({"notes": "Fête foraine"}), &if_match),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::PRECONDITION_FAILED],
        "{} / {}",
        a.2,
        b.2
    );
    let (won, lost) = if a.0 == StatusCode::OK {
        (a, b)
    } else {
        (b, a)
    };
    assert_problem(&lost, StatusCode::PRECONDITION_FAILED);
    assert_eq!(header_str(&lost.1, header::ETAG), Some("\"2\""));
    let (_, _, now) = app.get(&url, (), &[]).await;
    assert_eq!(now["version"], 2);
    assert_eq!(now, won.2, "only the winner's change is stored");
}

both!(
    a_412_lost_to_a_concurrent_write_carries_the_winning_record,
    lost_race_current
);
/// A write that commits between the read and the write of a PATCH (the race of two clients
/// with the same ETag). SQLite serialises writers, so the PATCH reads after the commit; on
/// PostgreSQL it reads before, and its versioned UPDATE finds nothing to change.
async fn lost_race_current(app: TestApp) {
    let p = app
        .person(json!({"first_name": "Nino", "last_name": "Quincampoix"}))
        .await;
    let id = uuid::Uuid::parse_str(p["id"].as_str().unwrap()).unwrap();
    let url = format!("/api/v1/people/{id}");
    let relais_core::Db::Postgres(pool) = &app.db else {
        // The race cannot happen on SQLite (writers queue), nothing to check there.
        assert_eq!(app.engine, Engine::Sqlite);
        return;
    };
    // The other client's write, open: it holds the row lock until it commits.
    let mut other = pool.begin().await.unwrap();
    sqlx::query(
        "UPDATE people SET job_title = 'Collectionneur', version = version + 1 WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *other)
    .await
    .unwrap();
    let patch = {
        let router = app.router.clone();
        let token = app.token.clone();
        let url = url.clone();
        tokio::spawn(async move {
            let req = axum::http::Request::patch(&url)
                .header("content-type", "application/merge-patch+json")
                .header("authorization", format!("Bearer {token}"))
                .header("if-match", "\"1\"")
                .body(axum::body::Body::from(r#"{"notes": "Fête foraine"}"#))
                .unwrap();
            tower::ServiceExt::oneshot(router, req).await.unwrap()
        })
    };
    // Let the PATCH read version 1 and block on the row lock.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    other.commit().await.unwrap();
    let res = patch.await.unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let etag = header_str(res.headers(), header::ETAG).map(str::to_string);
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let (_, _, now) = app.get(&url, (), &[]).await;
    assert_eq!(etag.as_deref(), Some("\"2\""));
    assert_eq!(
        problem["current"]["job_title"], "Collectionneur",
        "current must show the change that won: {problem}"
    );
    assert_eq!(problem["current"]["version"], now["version"]);
}
