//! Editing sites over HTTP: create, change (If-Match), delete, restore, revert, verify, and the
//! history of each; body limits and media types.

use crate::helpers::{item_where, spawn_app, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn feature(app: &TestApp, id: &str) -> (Value, String) {
    let a = app.fetch(&format!("/api/v1/sites/{id}")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    (a.json(), a.header("etag").unwrap())
}

async fn history(app: &TestApp, id: &str) -> Value {
    app.json(&format!("/api/v1/sites/{id}/history")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_creates_a_site_from_a_feature_like_get_returns() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let list_etag = crate::helpers::etag_of(&app, "/api/v1/sites?limit=5").await;
    let (mut f, _) = feature(&app, "gdupt").await;
    f["id"] = json!("gdupt-new-campus");
    f["properties"]["id"] = json!("gdupt-new-campus");
    f["properties"]["name_zh"] = json!("广东石油化工学院（新校区）");
    let a = app.post_json("/api/v1/sites", Some(&token), &f).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.header("etag").as_deref(), Some("\"1\""));
    assert!(a
        .header("location")
        .unwrap()
        .ends_with("/api/v1/sites/gdupt-new-campus"));
    assert_eq!(a.header("cache-control").as_deref(), Some("no-store"));
    assert!(a
        .header("content-type")
        .unwrap()
        .starts_with("application/geo+json"));
    let body = a.json();
    assert_eq!(body["properties"]["name_zh"], "广东石油化工学院（新校区）");
    let (back, etag) = feature(&app, "gdupt-new-campus").await;
    assert_eq!(back, body);
    assert_eq!(etag, "\"1\"");
    assert_ne!(
        crate::helpers::etag_of(&app, "/api/v1/sites?limit=5").await,
        list_etag,
        "list ETags change with every write"
    );
    let h = history(&app, "gdupt-new-campus").await;
    assert_eq!(h["revisions"][0]["action"], "create");
    assert_eq!(h["revisions"][0]["who"], "editor");
    assert!(h["revisions"][0]["before"].is_null());

    // The same id again: 409. A site missing required fields: 422 naming them.
    let a = app.post_json("/api/v1/sites", Some(&token), &f).await;
    a.expect_error(StatusCode::CONFLICT, "conflict");
    let a = app
        .post_json(
            "/api/v1/sites",
            Some(&token),
            &json!({"type": "Feature", "properties": {"id": "x-1", "kind": "factory"}}),
        )
        .await;
    let msg = a.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_site");
    for field in ["name_zh", "kind", "source"] {
        assert!(msg.contains(&format!("'{field}'")), "{msg}");
    }
    let details = a.json()["error"].clone();
    assert!(details["details"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["column"] == "name_zh" && d["reason"].is_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_changes_only_what_it_names_and_a_stale_version_is_412() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let (before, etag) = feature(&app, "gdupt").await;
    assert_eq!(etag, "\"1\"");
    let a = app
        .patch(
            "gdupt",
            &token,
            Some("\"1\""),
            &json!({"properties": {"name_en": "GDUPT (renamed)", "notes": null}}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.header("etag").as_deref(), Some("\"2\""));
    let after = a.json();
    assert_eq!(after["properties"]["name_en"], "GDUPT (renamed)");
    assert!(after["properties"]["notes"].is_null());
    assert_eq!(
        after["properties"]["name_zh"],
        before["properties"]["name_zh"]
    );
    assert_eq!(after["geometry"], before["geometry"]);
    assert_eq!(
        feature(&app, "gdupt").await,
        (after.clone(), "\"2\"".into())
    );

    // Another editor working from version 1: 412, nothing written.
    let a = app
        .patch(
            "gdupt",
            &token,
            Some("\"1\""),
            &json!({"properties": {"phone": "123"}}),
        )
        .await;
    let msg = a.expect_error(StatusCode::PRECONDITION_FAILED, "version_mismatch");
    assert!(msg.contains("version 2"), "{msg}");
    assert_eq!(a.json()["error"]["details"]["current_version"], 2);
    assert_eq!(feature(&app, "gdupt").await.1, "\"2\"");
    // Without If-Match the write is unconditional; `*` matches any version. A patch that
    // changes nothing keeps the version and writes no revision.
    for (if_match, patch, etag) in [
        (
            None,
            json!({"properties": {"phone": "+86 668 1234567"}}),
            "\"3\"",
        ),
        (Some("*"), json!({"properties": {"phone": null}}), "\"4\""),
        (
            Some("\"4\""),
            json!({"properties": {"phone": null}}),
            "\"4\"",
        ),
    ] {
        let a = app.patch("gdupt", &token, if_match, &patch).await;
        assert_eq!(
            a.header("etag").as_deref(),
            Some(etag),
            "{if_match:?}: {}",
            a.text
        );
    }
    assert_eq!(
        history(&app, "gdupt").await["revisions"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let h = history(&app, "gdupt").await;
    let first_change = &h["revisions"][2];
    assert_eq!(first_change["action"], "update");
    let changed: Vec<&str> = first_change["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(changed.starts_with(&["name_en", "notes"]), "{changed:?}");
    assert!(changed.len() <= 3, "only updated_at besides: {changed:?}");
    assert_eq!(
        first_change["before"]["properties"]["name_en"],
        before["properties"]["name_en"]
    );
    assert_eq!(
        first_change["after"]["properties"]["name_en"],
        "GDUPT (renamed)"
    );

    // Errors: bad values (422 naming the field), unknown site, bad If-Match.
    for (patch, field) in [
        (json!({"properties": {"kind": "factory"}}), "kind"),
        (json!({"properties": {"name_zh": null}}), "name_zh"),
        (json!({"properties": {"colour": "red"}}), "colour"),
        (json!({"properties": {"id": "renamed"}}), "id"),
        (
            json!({"geometry": {"type": "Point", "coordinates": [181, 21]}}),
            "lon",
        ),
    ] {
        let a = app.patch("gdupt", &token, None, &patch).await;
        let msg = a.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_site");
        assert!(msg.contains(&format!("'{field}'")), "{patch}: {msg}");
    }
    let a = app.patch("no-such-site", &token, None, &json!({})).await;
    a.expect_error(StatusCode::NOT_FOUND, "not_found");
    let a = app.patch("gdupt", &token, Some("4"), &json!({})).await;
    let msg = a.expect_error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(msg.contains("If-Match"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dragging_a_marker_makes_the_location_surveyed_and_says_who_corrected_it() {
    let app = spawn_app().await;
    let token = app.user("zhang_san", atlas_store::Role::Editor).await;
    let a = app
        .patch(
            "gdupt-science-park",
            &token,
            Some("\"1\""),
            &json!({"geometry": {"type": "Point", "coordinates": [110.9301, 21.6702]}}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let p = &a.json()["properties"];
    assert_eq!(p["location_precision"], "surveyed");
    assert_eq!(p["approximate"], false);
    // The server's clock is the test's (helpers::clock): "today" is known.
    let today = crate::helpers::today().format("%Y-%m-%d").to_string();
    assert_eq!(
        p["location_source"],
        format!("corrected on the map by zhang_san, {today}")
    );
    assert_eq!(
        (p["lon"].as_f64(), p["lat"].as_f64()),
        (Some(110.9301), Some(21.6702))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_list_restore_and_history_round_trip() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let total = app.json("/api/v1/sites?limit=1").await["numberMatched"]
        .as_u64()
        .unwrap();
    let a = app
        .delete(
            "/api/v1/sites/gdupt",
            Some(&token),
            &[("if-match", "\"9\"")],
        )
        .await;
    a.expect_error(StatusCode::PRECONDITION_FAILED, "version_mismatch");
    let a = app
        .delete(
            "/api/v1/sites/gdupt",
            Some(&token),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text);
    assert!(a.text.is_empty());
    app.fetch("/api/v1/sites/gdupt")
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        app.json("/api/v1/sites?limit=1").await["numberMatched"],
        total - 1
    );
    assert!(!app
        .site_ids("q=石油化工学院")
        .await
        .contains(&"gdupt".to_string()));
    let facets = app.json("/api/v1/facets").await;
    assert_eq!(facets["total"], total - 1);
    let csv = app
        .get("/api/v1/export?format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("\ngdupt,"));

    let deleted = app.json("/api/v1/deleted").await;
    let d = &deleted["sites"][0];
    assert_eq!(d["id"], "gdupt");
    assert_eq!(d["name_zh"], "广东石油化工学院");
    assert_eq!(d["category"], "innovation_resource");
    assert_eq!(d["deleted_by"], "editor");
    assert!(d["deleted_at"].as_str().unwrap().ends_with('Z'));
    assert!(d["rev"].as_u64().unwrap() > 0);
    assert!(d["name_en"].is_string());

    // The history of a deleted site is still there.
    let h = history(&app, "gdupt").await;
    assert_eq!(h["revisions"][0]["action"], "delete");
    assert!(h["revisions"][0]["after"].is_null());
    assert_eq!(h["revisions"][0]["before"]["id"], "gdupt");

    // Deleting again: 404. Restoring: back as it was, version continuing.
    app.delete("/api/v1/sites/gdupt", Some(&token), &[])
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    let a = app.post("/api/v1/sites/gdupt/restore", Some(&token)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(a.json()["properties"]["name_zh"], "广东石油化工学院");
    assert_eq!(
        app.json("/api/v1/sites?limit=1").await["numberMatched"],
        total
    );
    assert_eq!(app.json("/api/v1/deleted").await["sites"], json!([]));
    app.post("/api/v1/sites/gdupt/restore", Some(&token))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    app.post("/api/v1/sites/never-was/restore", Some(&token))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    let actions: Vec<Value> = history(&app, "gdupt").await["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].clone())
        .collect();
    assert_eq!(
        actions,
        [json!("restore"), json!("delete"), json!("import")]
    );
    app.fetch("/api/v1/sites/never-was/history")
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revert_undoes_a_mistake_and_verify_confirms_a_record() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let (original, _) = feature(&app, "gdupt").await;
    app.patch(
        "gdupt",
        &token,
        None,
        &json!({"properties": {"name_zh": "错误的名称"}}),
    )
    .await;
    app.patch(
        "gdupt",
        &token,
        None,
        &json!({"properties": {"address": "错误的地址"}}),
    )
    .await;
    let h = history(&app, "gdupt").await;
    let import_rev = h["revisions"][2]["rev"].as_u64().unwrap();
    assert_eq!(h["revisions"][2]["action"], "import");
    // A stale If-Match is refused; the right one goes through.
    let a = app
        .send_json(
            Method::POST,
            "/api/v1/sites/gdupt/revert",
            Some(&token),
            &[("if-match", "\"2\"")],
            &json!({"rev": import_rev}),
        )
        .await;
    a.expect_error(StatusCode::PRECONDITION_FAILED, "version_mismatch");
    let a = app
        .send_json(
            Method::POST,
            "/api/v1/sites/gdupt/revert",
            Some(&token),
            &[("if-match", "\"3\"")],
            &json!({"rev": import_rev}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.header("etag").as_deref(), Some("\"4\""));
    let reverted = a.json();
    assert_eq!(reverted["properties"], original["properties"]);
    let h = history(&app, "gdupt").await;
    assert_eq!(h["revisions"][0]["action"], "revert");
    let changed = h["revisions"][0]["changed"].as_array().unwrap().clone();
    assert_eq!(changed[..2], [json!("name_zh"), json!("address")]);
    for (body, status, code) in [
        (json!({"rev": 999_999}), StatusCode::NOT_FOUND, "not_found"),
        (json!({"rev": "x"}), StatusCode::BAD_REQUEST, "invalid_json"),
        (json!({}), StatusCode::BAD_REQUEST, "invalid_json"),
    ] {
        app.post_json("/api/v1/sites/gdupt/revert", Some(&token), &body)
            .await
            .expect_error(status, code);
    }

    let a = app.post("/api/v1/sites/gdupt/verify", Some(&token)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    // The server's clock is the test's (helpers::clock): "today" is known.
    let today = crate::helpers::today().format("%Y-%m-%d").to_string();
    assert_eq!(a.json()["properties"]["verified_at"], today);
    assert_eq!(a.header("etag").as_deref(), Some("\"5\""));
    let h = history(&app, "gdupt").await;
    assert_eq!(h["revisions"][0]["action"], "verify");
    assert_eq!(h["revisions"][0]["changed"], json!(["verified_at"]));
    app.post("/api/v1/sites/nope/verify", Some(&token))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_json_of_at_most_64_kib() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let big = json!({"properties": {"notes": "字".repeat(30_000)}});
    let a = app.patch("gdupt", &token, None, &big).await;
    let msg = a.expect_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert!(msg.contains("64 KiB"), "{msg}");
    // Without a length (chunked), the same.
    let answer = chunked_patch(&app, &token, 70 * 1024).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");

    for ct in ["text/plain", "application/x-www-form-urlencoded"] {
        let a = app
            .send(
                Method::PATCH,
                "/api/v1/sites/gdupt",
                Some(&token),
                &[],
                Some((ct, b"{}".to_vec())),
            )
            .await;
        a.expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    }
    let a = app
        .send(Method::POST, "/api/v1/sites", Some(&token), &[], None)
        .await;
    a.expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let a = app
        .send(
            Method::PATCH,
            "/api/v1/sites/gdupt",
            Some(&token),
            &[],
            Some(("application/geo+json", b"{not json".to_vec())),
        )
        .await;
    a.expect_error(StatusCode::BAD_REQUEST, "invalid_json");
    // Nothing was changed by any of them.
    assert_eq!(feature(&app, "gdupt").await.1, "\"1\"");
}

/// `PATCH /api/v1/sites/gdupt` with a chunked body of `n` bytes (no Content-Length), over a
/// raw connection; returns the response head and body as text.
async fn chunked_patch(app: &TestApp, token: &str, n: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(app.server.addr)
        .await
        .unwrap();
    let head = format!(
        "PATCH /api/v1/sites/gdupt HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.server.addr
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 1024];
    for _ in 0..n / 1024 {
        let mut c = format!("{:x}\r\n", chunk.len()).into_bytes();
        c.extend_from_slice(&chunk);
        c.extend_from_slice(b"\r\n");
        // The server may answer and close before the whole body is sent.
        if s.write_all(&c).await.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_lists_records_not_verified_within_the_period() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let all = app.json("/api/v1/stale").await;
    assert_eq!(all["older_than_days"], 365);
    let total = all["total"].as_u64().unwrap();
    assert!(total > 0);
    let first = &all["sites"][0];
    assert!(first["id"].is_string() && first["name_zh"].is_string());
    assert!(all["sites"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "gdupt" && s["verified_at"].is_null() && s["age_days"].is_null()));
    app.post("/api/v1/sites/gdupt/verify", Some(&token)).await;
    let after = app.json("/api/v1/stale?older_than=365d").await;
    assert_eq!(after["total"].as_u64().unwrap(), total - 1);
    assert!(!after["sites"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "gdupt"));
    // A verification two years old is stale after a year, not after three.
    app.patch(
        "gdupt",
        &token,
        None,
        &json!({"properties": {"verified_at": "2020-01-01"}}),
    )
    .await;
    let year = app.json("/api/v1/stale?older_than=1y").await;
    let g = item_where(&year["sites"], "id", "gdupt").clone();
    assert_eq!(g["verified_at"], "2020-01-01");
    assert!(g["age_days"].as_i64().unwrap() > 365);
    let decade = app.json("/api/v1/stale?older_than=120m").await;
    assert!(decade["older_than_days"].as_i64().unwrap() >= 3650);
    assert!(!decade["sites"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "gdupt"));
    assert_eq!(
        app.json("/api/v1/stale?older_than=30d&limit=2").await["sites"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    for (q, code) in [
        ("older_than=soon", "invalid_parameter"),
        ("older_than=0d", "invalid_parameter"),
        ("older_than=5w", "invalid_parameter"),
        ("limit=0", "invalid_limit"),
        ("token=abc", "unknown_parameter"),
    ] {
        let msg = app
            .assert_error(&format!("/api/v1/stale?{q}"), StatusCode::BAD_REQUEST, code)
            .await;
        let key = q.split('=').next().unwrap();
        assert!(msg.contains(&format!("'{key}'")), "{q}: {msg}");
    }
}
