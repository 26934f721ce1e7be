//! Who may write: bearer tokens, roles, revocation, failed-attempt limits. Reading stays public.

use crate::helpers::{item_where, spawn_app, strs, Answer, Body, TestApp};
use atlas_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Every write route, with a body it would accept.
fn write_routes() -> Vec<(Method, &'static str, Body)> {
    let json = |v: serde_json::Value| Some(("application/json", serde_json::to_vec(&v).unwrap()));
    vec![
        (
            Method::POST,
            "/api/v1/sites",
            json(json!({"type": "Feature"})),
        ),
        (
            Method::PATCH,
            "/api/v1/sites/gdupt",
            json(json!({"properties": {}})),
        ),
        (Method::DELETE, "/api/v1/sites/gdupt", None),
        (Method::POST, "/api/v1/sites/gdupt/restore", None),
        (
            Method::POST,
            "/api/v1/sites/gdupt/revert",
            json(json!({"rev": 1})),
        ),
        (Method::POST, "/api/v1/sites/gdupt/verify", None),
        (
            Method::POST,
            "/api/v1/import",
            Some(("text/csv", b"id\n".to_vec())),
        ),
        (
            Method::POST,
            "/api/v1/chains/import",
            Some(("text/csv", b"x\n".to_vec())),
        ),
        (
            Method::POST,
            "/api/v1/indicators/import",
            Some(("text/csv", b"x\n".to_vec())),
        ),
        (Method::GET, "/api/v1/users", None),
        (
            Method::POST,
            "/api/v1/users",
            json(json!({"name": "x", "role": "editor"})),
        ),
        (Method::DELETE, "/api/v1/users/editor", None),
        (Method::GET, "/api/v1/auth/me", None),
    ]
}

async fn call(app: &TestApp, m: &Method, path: &str, token: Option<&str>, body: &Body) -> Answer {
    app.send(m.clone(), path, token, &[], body.clone()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_needs_a_valid_token_and_reading_stays_public() {
    let app = spawn_app().await;
    let editor = app.editor().await;
    let revoked = app.user("gone", Role::Admin).await;
    app.server
        .state
        .db
        .write(|s| Ok(s.revoke_user("gone")?))
        .await
        .unwrap();
    let (_, secret) = editor.split_once('.').unwrap();
    let bad_tokens = [
        "not-a-token".to_string(),
        format!("editor.{}x", secret),
        format!("nobody.{secret}"),
        revoked.clone(),
    ];
    for (m, path, body) in write_routes() {
        let a = call(&app, &m, path, None, &body).await;
        let msg = a.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(msg.contains("Bearer"), "{m} {path}: {msg}");
        assert_eq!(
            a.header("www-authenticate").as_deref(),
            Some("Bearer realm=\"atlas\""),
            "{m} {path}"
        );
    }
    // Malformed, wrong, unknown and revoked tokens (8 attempts: under the limit of 10).
    let patch = write_routes().swap_remove(1);
    for t in &bad_tokens {
        for (m, path, body) in [(Method::GET, "/api/v1/auth/me", None), patch.clone()] {
            let a = call(&app, &m, path, Some(t), &body).await;
            let msg = a.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
            assert!(!msg.contains(secret), "the message never repeats the token");
            assert!(a.header("www-authenticate").is_some());
        }
    }
    // Reading needs nothing; nothing was changed by the refused writes.
    let site = app.fetch("/api/v1/sites/gdupt").await;
    assert_eq!(site.status, StatusCode::OK);
    assert_eq!(site.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(
        app.fetch("/api/v1/sites?limit=1").await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_may_not_manage_users_or_chains() {
    let app = spawn_app().await;
    let editor = app.editor().await;
    for (m, path, body) in write_routes() {
        let admin_only = path.contains("/users")
            || path.contains("/chains/import")
            || path.contains("/indicators/import");
        let a = call(&app, &m, path, Some(&editor), &body).await;
        if admin_only {
            let msg = a.expect_error(StatusCode::FORBIDDEN, "forbidden");
            assert!(msg.contains("admin"), "{msg}");
        } else {
            assert_ne!(a.status, StatusCode::UNAUTHORIZED, "{m} {path}: {}", a.text);
            assert_ne!(a.status, StatusCode::FORBIDDEN, "{m} {path}: {}", a.text);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_me_names_the_tokens_user_and_role() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = app.get_as("/api/v1/auth/me", &admin).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json(), json!({"name": "admin", "role": "admin"}));
    assert_eq!(a.header("cache-control").as_deref(), Some("no-store"));
    // Again (the remembered check) and with a lower-case scheme.
    let a = app
        .send(
            Method::GET,
            "/api/v1/auth/me",
            None,
            &[("authorization", &format!("bearer {admin}"))],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    // A token in the query string is never read.
    let a = app
        .fetch(&format!("/api/v1/auth/me?access_token={admin}"))
        .await;
    a.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_from_one_address_are_refused_for_a_while() {
    let app = spawn_app().await;
    let editor = app.editor().await;
    // Requests without any token are not attempts.
    for _ in 0..12 {
        app.fetch("/api/v1/auth/me")
            .await
            .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    for i in 0..10 {
        let a = app.get_as("/api/v1/auth/me", "editor.wrong").await;
        assert_eq!(
            a.status,
            StatusCode::UNAUTHORIZED,
            "attempt {i}: {}",
            a.text
        );
    }
    let a = app.get_as("/api/v1/auth/me", "editor.wrong").await;
    let msg = a.expect_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let retry: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(msg.contains("try again"), "{msg}");
    // Even the right token waits: the address is blocked, not the token.
    let a = app.get_as("/api/v1/auth/me", &editor).await;
    a.expect_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let a = app
        .post_json("/api/v1/sites", Some(&editor), &json!({}))
        .await;
    a.expect_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    // Reading is not affected.
    assert_eq!(
        app.fetch("/api/v1/sites/gdupt").await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_add_list_and_revoke_users_and_a_revoked_token_stops_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            &json!({"name": "li_si", "role": "editor"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.header("cache-control").as_deref(), Some("no-store"));
    let body = a.json();
    assert_eq!(
        (body["name"].as_str(), body["role"].as_str()),
        (Some("li_si"), Some("editor"))
    );
    let token = body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("li_si.") && token.len() >= 40, "{token}");
    let me = app.get_as("/api/v1/auth/me", &token).await;
    assert_eq!(me.json()["role"], "editor");
    // The new editor can write.
    let v = app.post("/api/v1/sites/gdupt/verify", Some(&token)).await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.text);

    let list = app.get_as("/api/v1/users", &admin).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        !list.text.contains("argon2") && !list.text.contains("hash"),
        "{}",
        list.text
    );
    assert!(!list.text.contains(token.split_once('.').unwrap().1));
    let listed = list.json();
    let names: Vec<&str> = strs(&listed["users"], "name");
    assert_eq!(names, ["admin", "li_si"]);

    for (body, status, code) in [
        (
            json!({"name": "li_si", "role": "editor"}),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            json!({"name": "bad name", "role": "editor"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_user",
        ),
        (
            json!({"name": "ok", "role": "root"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_user",
        ),
        (
            json!({"name": "ok"}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            json!({"name": "ok", "role": "editor", "x": 1}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
    ] {
        let a = app.post_json("/api/v1/users", Some(&admin), &body).await;
        a.expect_error(status, code);
    }

    let r = app.delete("/api/v1/users/li_si", Some(&admin), &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let me = app.get_as("/api/v1/auth/me", &token).await;
    me.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let r = app.delete("/api/v1/users/nobody", Some(&admin), &[]).await;
    r.expect_error(StatusCode::NOT_FOUND, "not_found");
    let list = app.get_as("/api/v1/users", &admin).await;
    let users = list.json();
    let li = item_where(&users["users"], "name", "li_si").clone();
    assert!(li["revoked_at"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_revoked_in_the_store_is_refused_even_while_remembered() {
    let app = spawn_app().await;
    let editor = app.editor().await;
    let ok = app.get_as("/api/v1/auth/me", &editor).await;
    assert_eq!(ok.status, StatusCode::OK);
    // As `atlas user revoke` in another process would: straight in the database.
    app.server
        .state
        .db
        .write(|s| Ok(s.revoke_user("editor")?))
        .await
        .unwrap();
    let a = app.get_as("/api/v1/auth/me", &editor).await;
    a.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
}
