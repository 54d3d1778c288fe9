//! Attachments of interactions: the file is the request body, its name in
//! `Content-Disposition` (or `?filename=`); it comes back byte for byte, always as a download.
use crate::helpers::{
    Answer, TestApp, assert_invalid, assert_problem, bearer, header_str, sql_strings,
};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use relais_domain::Role;
use relais_web::{AppState, Limits, app_with};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

/// A real 1×1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\nIDAT\x78\x9c\x63\0\x01\0\0\x05\0\x01\x0d\x0a\x2d\xb4\0\0\0\0IEND\xaeB`\x82";

/// A small PDF: header, a catalog, the end marker.
const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// The head of a Windows program: `MZ`, a DOS stub, `PE\0\0` where 0x3C points.
fn exe() -> Vec<u8> {
    let mut e = vec![0u8; 0x100];
    e[..2].copy_from_slice(b"MZ");
    e[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    e[0x80..0x84].copy_from_slice(b"PE\0\0");
    e
}

fn sha256(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

async fn interaction(app: &TestApp) -> String {
    let company = app.company(json!({"name": "Menuiserie Leroux"})).await;
    let (status, _, i) = app
        .post(
            "/api/v1/interactions",
            json!({"kind": "meeting", "subject": "Signature du devis", "company_id": company["id"]}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{i}");
    i["id"].as_str().unwrap().to_string()
}

fn attachments_of(interaction: &str) -> String {
    format!("/api/v1/interactions/{interaction}/attachments")
}

/// Uploads `data` as `content_type`, named by `Content-Disposition: attachment; filename=...`.
async fn upload(
    app: &TestApp,
    interaction: &str,
    name: &str,
    content_type: &str,
    data: &[u8],
) -> Answer {
    let disposition = format!("attachment; filename=\"{name}\"");
    app.raw(
        Method::POST,
        &attachments_of(interaction),
        Some(content_type),
        data.to_vec(),
        &[("content-disposition", &disposition)],
    )
    .await
}

/// A GET whose answer is kept as bytes (a download is not JSON).
async fn download(app: &TestApp, path: &str, token: &str) -> (StatusCode, HeaderMap, Bytes) {
    let req = Request::builder()
        .uri(path)
        .header(header::AUTHORIZATION, bearer(token))
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

/// The names of every stored attachment, straight from the table.
async fn stored(app: &TestApp) -> Vec<String> {
    sql_strings(&app.db, "SELECT filename FROM attachments").await
}

/// The audit entries of an interaction with `action`.
async fn audit(app: &TestApp, interaction: &str, action: &str) -> Vec<Value> {
    let (status, _, page) = app
        .get(
            &format!("/api/v1/interactions/{interaction}/audit"),
            (),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

both!(
    files_come_back_byte_for_byte_with_their_name_type_size_and_sha256,
    round_trip
);
async fn round_trip(app: TestApp) {
    let i = interaction(&app).await;
    let (status, headers, png) = upload(&app, &i, "photo livraison.png", "image/png", PNG).await;
    assert_eq!(status, StatusCode::CREATED, "{png}");
    assert_eq!(png["filename"], "photo livraison.png");
    assert_eq!(png["content_type"], "image/png");
    assert_eq!(png["size_bytes"], PNG.len());
    assert_eq!(png["sha256"], sha256(PNG));
    assert_eq!(png["interaction_id"], i.as_str());
    assert_eq!(png["created_by"], json!(app.admin_id));
    assert!(png["created_at"].is_string());
    let png_url = format!("/api/v1/attachments/{}", png["id"].as_str().unwrap());
    assert_eq!(
        header_str(&headers, header::LOCATION),
        Some(png_url.as_str())
    );

    // The name may also come as a query parameter, percent-encoded.
    let (status, _, pdf) = app
        .raw(
            Method::POST,
            &format!("{}?filename=Devis%20sign%C3%A9.pdf", attachments_of(&i)),
            Some("application/pdf"),
            PDF.to_vec(),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pdf}");
    assert_eq!(pdf["filename"], "Devis signé.pdf");
    assert_eq!(pdf["sha256"], sha256(PDF));

    let (status, _, list) = app.get(&attachments_of(&i), (), &[]).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list, json!([png, pdf]), "metadata only, oldest first");
    assert!(list[0].get("data").is_none());

    for (url, data, ct) in [
        (png_url, PNG, "image/png"),
        (
            format!("/api/v1/attachments/{}", pdf["id"].as_str().unwrap()),
            PDF,
            "application/pdf",
        ),
    ] {
        let (status, headers, body) = download(&app, &url, &app.token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&body[..], data, "byte for byte");
        assert_eq!(header_str(&headers, header::CONTENT_TYPE), Some(ct));
        assert_eq!(
            header_str(&headers, header::CONTENT_LENGTH),
            Some(data.len().to_string().as_str())
        );
    }

    // The interaction shows its files, not their bytes.
    let (_, _, read) = app.get(&format!("/api/v1/interactions/{i}"), (), &[]).await;
    assert_eq!(read["attachments"], list);
    let added = audit(&app, &i, "attachment_added").await;
    assert_eq!(added.len(), 2);
    assert!(
        added
            .iter()
            .any(|e| e["field"] == "attachments" && e["new_value"] == "Devis signé.pdf")
    );
}

both!(
    downloads_are_attachments_the_browser_may_not_sniff_or_render,
    download_headers
);
async fn download_headers(app: TestApp) {
    let i = interaction(&app).await;
    let html = b"<html><script>alert(document.cookie)</script></html>";
    let (status, _, a) = app
        .raw(
            Method::POST,
            &attachments_of(&i),
            Some("text/plain"),
            html.to_vec(),
            &[(
                "content-disposition",
                "attachment; filename*=UTF-8''notes%20%22r%C3%A9union%22.txt",
            )],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["filename"], "notes \"réunion\".txt");
    assert_eq!(a["content_type"], "text/plain; charset=utf-8");
    let url = format!("/api/v1/attachments/{}", a["id"].as_str().unwrap());
    let (status, headers, body) = download(&app, &url, &app.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&body[..], html);
    assert_eq!(
        header_str(&headers, header::CONTENT_TYPE),
        Some("text/plain; charset=utf-8"),
        "the stored type, never text/html"
    );
    assert_eq!(
        header_str(&headers, header::X_CONTENT_TYPE_OPTIONS),
        Some("nosniff")
    );
    assert_eq!(
        header_str(&headers, header::CONTENT_DISPOSITION),
        Some(
            "attachment; filename=\"notes _r_union_.txt\"; \
             filename*=UTF-8''notes%20%22r%C3%A9union%22.txt"
        )
    );
    let csp = header_str(&headers, header::CONTENT_SECURITY_POLICY).unwrap_or_default();
    assert!(csp.contains("sandbox"), "{csp}");
    assert_eq!(
        header_str(&headers, header::ETAG),
        Some(format!("\"{}\"", sha256(html)).as_str())
    );
}

both!(
    an_upload_over_the_limit_is_refused_with_413_naming_it_and_nothing_is_stored,
    oversized
);
async fn oversized(app: TestApp) {
    let mut app = app;
    app.router = app_with(
        AppState::new(app.db.clone(), false),
        Limits {
            attachment_max_bytes: 1024,
            ..Limits::default()
        },
    );
    let i = interaction(&app).await;
    let text = vec![b'a'; 1025];
    let answer = upload(&app, &i, "long.txt", "text/plain", &text).await;
    assert_problem(&answer, StatusCode::PAYLOAD_TOO_LARGE);
    let detail = answer.2["detail"].as_str().unwrap();
    assert!(detail.contains("1 KiB (1024 bytes)"), "{detail}");
    assert_eq!(answer.2["errors"][0]["field"], "body");

    // Announced by Content-Length, it is refused before it is read.
    let announced = app
        .raw(
            Method::POST,
            &format!("{}?filename=long.txt", attachments_of(&i)),
            Some("text/plain"),
            text.clone(),
            &[("content-length", "1025")],
        )
        .await;
    assert_problem(&announced, StatusCode::PAYLOAD_TOO_LARGE);

    assert!(stored(&app).await.is_empty(), "nothing stored");
    assert!(audit(&app, &i, "attachment_added").await.is_empty());
    let (_, _, list) = app.get(&attachments_of(&i), (), &[]).await;
    assert_eq!(list, json!([]));

    // Exactly at the limit is fine.
    let (status, _, a) = upload(&app, &i, "long.txt", "text/plain", &text[..1024]).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
}

both!(
    the_json_body_limit_does_not_cut_an_attachment_short_of_its_own_limit,
    above_json_limit
);
async fn above_json_limit(app: TestApp) {
    let i = interaction(&app).await;
    let big = vec![b'x'; relais_web::MAX_JSON_BODY + 1024 * 1024];
    let (status, _, a) = upload(&app, &i, "export.csv", "text/csv", &big).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["size_bytes"], big.len());
    let (_, _, body) = download(
        &app,
        &format!("/api/v1/attachments/{}", a["id"].as_str().unwrap()),
        &app.token,
    )
    .await;
    assert_eq!(body.len(), big.len());
}

both!(
    a_type_that_the_bytes_contradict_is_refused_on_content_type,
    mismatched
);
async fn mismatched(app: TestApp) {
    let i = interaction(&app).await;
    let answer = upload(&app, &i, "photo.png", "image/png", PDF).await;
    assert_invalid(&answer, "content_type");
    let message = &answer.2["errors"][0]["message"];
    assert!(
        message.as_str().unwrap().contains("application/pdf"),
        "{message}"
    );
    assert_invalid(
        &upload(&app, &i, "devis.pdf", "application/pdf", PNG).await,
        "content_type",
    );
    assert_invalid(
        &upload(&app, &i, "page.html", "text/html", b"<p>hi</p>").await,
        "content_type",
    );
    let missing = app
        .raw(
            Method::POST,
            &format!("{}?filename=a.png", attachments_of(&i)),
            None,
            PNG.to_vec(),
            &[],
        )
        .await;
    assert_invalid(&missing, "content_type");
    assert!(stored(&app).await.is_empty());
}

both!(programs_are_refused_whatever_they_claim_to_be, programs);
async fn programs(app: TestApp) {
    let i = interaction(&app).await;
    for declared in ["application/pdf", "text/plain", "application/octet-stream"] {
        let answer = upload(&app, &i, "rapport.pdf", declared, &exe()).await;
        assert_invalid(&answer, "body");
        assert!(
            answer.2["errors"].to_string().contains("program"),
            "{}",
            answer.2
        );
    }
    // A real PDF under the name of a program.
    assert_invalid(
        &upload(&app, &i, "setup.exe", "application/pdf", PDF).await,
        "filename",
    );
    assert!(stored(&app).await.is_empty());
}

both!(
    bad_names_empty_bodies_and_truncated_files_are_refused_naming_the_field,
    malformed
);
async fn malformed(app: TestApp) {
    let i = interaction(&app).await;
    let url = attachments_of(&i);
    let post = |ct: &'static str, data: Vec<u8>, headers: Vec<(&'static str, &'static str)>| {
        let app = &app;
        let url = url.clone();
        async move { app.raw(Method::POST, &url, Some(ct), data, &headers).await }
    };
    // No name at all.
    assert_invalid(&post("image/png", PNG.to_vec(), vec![]).await, "filename");
    // A control character, invalid UTF-8, only a folder.
    for disposition in [
        "attachment; filename*=UTF-8''a%0Ab.png",
        "attachment; filename*=UTF-8''caf%E9.png",
        "attachment; filename=\"photos/\"",
    ] {
        let answer = post(
            "image/png",
            PNG.to_vec(),
            vec![("content-disposition", disposition)],
        )
        .await;
        assert_invalid(&answer, "filename");
    }
    let named = || vec![("content-disposition", "attachment; filename=\"f\"")];
    // Nothing sent.
    assert_invalid(&post("image/png", vec![], named()).await, "body");
    // A PNG cut short, a PDF without its end, text that is not UTF-8.
    let answer = post("image/png", PNG[..PNG.len() - 8].to_vec(), named()).await;
    assert_invalid(&answer, "body");
    assert!(answer.2["detail"].as_str().unwrap().contains("truncated"));
    assert_invalid(
        &post("application/pdf", PDF[..PDF.len() - 7].to_vec(), named()).await,
        "body",
    );
    let answer = post("text/csv", b"nom\nL\xe9a\n".to_vec(), named()).await;
    assert_invalid(&answer, "body");
    assert!(answer.2["detail"].as_str().unwrap().contains("UTF-8"));
    // Declared in its own charset, the same file is fine.
    let (status, _, a) = post(
        "text/csv; charset=windows-1252",
        b"nom\nL\xe9a\n".to_vec(),
        named(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(stored(&app).await, ["f"], "only the good one");
}

both!(unknown_interactions_and_attachments_answer_404, unknown);
async fn unknown(app: TestApp) {
    let nobody = uuid::Uuid::now_v7();
    let answer = upload(&app, &nobody.to_string(), "a.png", "image/png", PNG).await;
    assert_problem(&answer, StatusCode::NOT_FOUND);
    assert!(answer.2["detail"].as_str().unwrap().contains("interaction"));
    assert_problem(
        &app.get(&attachments_of(&nobody.to_string()), (), &[]).await,
        StatusCode::NOT_FOUND,
    );
    assert_problem(
        &upload(&app, "not-an-id", "a.png", "image/png", PNG).await,
        StatusCode::NOT_FOUND,
    );
    let (status, _, _) = download(&app, &format!("/api/v1/attachments/{nobody}"), &app.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let answer = app
        .delete(&format!("/api/v1/attachments/{nobody}"), (), &[])
        .await;
    assert_problem(&answer, StatusCode::NOT_FOUND);
    assert!(answer.2["detail"].as_str().unwrap().contains("attachment"));
    assert!(stored(&app).await.is_empty());
}

both!(
    a_read_only_user_may_list_and_download_but_not_upload_or_delete,
    roles
);
async fn roles(app: TestApp) {
    let i = interaction(&app).await;
    let (_, _, a) = upload(&app, &i, "devis.pdf", "application/pdf", PDF).await;
    let url = format!("/api/v1/attachments/{}", a["id"].as_str().unwrap());
    let (_, reader) = app.user(Role::ReadOnly).await;
    let as_reader = bearer(&reader);
    let auth = [("authorization", as_reader.as_str())];

    let (status, _, list) = app.get(&attachments_of(&i), (), &auth).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _, body) = download(&app, &url, &reader).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&body[..], PDF);

    let refused = app
        .raw(
            Method::POST,
            &format!("{}?filename=b.png", attachments_of(&i)),
            Some("image/png"),
            PNG.to_vec(),
            &auth,
        )
        .await;
    assert_problem(&refused, StatusCode::FORBIDDEN);
    assert_problem(&app.delete(&url, (), &auth).await, StatusCode::FORBIDDEN);
    assert_eq!(stored(&app).await, ["devis.pdf"]);

    // Delivery people log interactions: they may attach and remove files.
    let (_, delivery) = app.user(Role::Delivery).await;
    let as_delivery = bearer(&delivery);
    let auth = [("authorization", as_delivery.as_str())];
    let (status, _, b) = app
        .raw(
            Method::POST,
            &format!("{}?filename=bon.png", attachments_of(&i)),
            Some("image/png"),
            PNG.to_vec(),
            &auth,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (status, _, _) = app.delete(&url, (), &auth).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(stored(&app).await, ["bon.png"]);
}

both!(
    deleting_an_attachment_removes_its_bytes_and_leaves_its_name_in_the_audit_trail,
    deletion
);
async fn deletion(app: TestApp) {
    let i = interaction(&app).await;
    let (_, _, a) = upload(&app, &i, "devis.pdf", "application/pdf", PDF).await;
    let url = format!("/api/v1/attachments/{}", a["id"].as_str().unwrap());
    let (status, _, body) = app.delete(&url, (), &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _, _) = download(&app, &url, &app.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_problem(&app.delete(&url, (), &[]).await, StatusCode::NOT_FOUND);
    let (_, _, list) = app.get(&attachments_of(&i), (), &[]).await;
    assert_eq!(list, json!([]));
    assert!(stored(&app).await.is_empty());
    let deleted = audit(&app, &i, "attachment_deleted").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["old_value"], "devis.pdf");
    assert_eq!(deleted[0]["actor_id"], json!(app.admin_id));
}

both!(
    an_interaction_in_the_trash_keeps_its_files_readable_and_a_purge_erases_them,
    trash
);
async fn trash(app: TestApp) {
    let i = interaction(&app).await;
    let (_, _, a) = upload(&app, &i, "devis.pdf", "application/pdf", PDF).await;
    let url = format!("/api/v1/attachments/{}", a["id"].as_str().unwrap());
    let (status, _, _) = app
        .delete(&format!("/api/v1/interactions/{i}"), (), &[])
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, _, list) = app.get(&attachments_of(&i), (), &[]).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _, body) = download(&app, &url, &app.token).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, PDF));
    assert_problem(
        &upload(&app, &i, "b.png", "image/png", PNG).await,
        StatusCode::NOT_FOUND,
    );
    assert_problem(&app.delete(&url, (), &[]).await, StatusCode::CONFLICT);

    let (status, _, _) = app
        .post(&format!("/api/v1/interactions/{i}/purge"), (), &[])
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(stored(&app).await.is_empty(), "erased with the interaction");
    let (status, _, _) = download(&app, &url, &app.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
