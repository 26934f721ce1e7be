//! Security headers on every response, CORS off.

use crate::helpers::spawn_app;
use reqwest::{Method, StatusCode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let editor = app.editor().await;
    let cases: Vec<(Method, String, Option<&str>, crate::helpers::Body)> = vec![
        (Method::GET, "/".into(), None, None),
        (Method::GET, "/js/main.js".into(), None, None),
        (Method::GET, "/config.json".into(), None, None),
        (Method::GET, "/healthz".into(), None, None),
        (Method::GET, "/api/v1/sites?limit=2".into(), None, None),
        (Method::GET, "/api/v1/sites/gdupt".into(), None, None),
        (Method::GET, "/api/v1/sites/nope".into(), None, None),
        (Method::GET, "/api/v1/sites?colour=red".into(), None, None),
        (
            Method::GET,
            "/api/v1/export?format=csv&limit=1".into(),
            None,
            None,
        ),
        (Method::GET, "/ogc/collections".into(), None, None),
        (Method::GET, "/no/such/path".into(), None, None),
        (Method::PUT, "/api/v1/sites".into(), None, None),
        (Method::POST, "/api/v1/sites".into(), None, None),
        (
            Method::POST,
            "/api/v1/sites/gdupt/verify".into(),
            Some(editor.as_str()),
            None,
        ),
        (
            Method::POST,
            "/api/v1/sites".into(),
            None,
            Some(("application/json", vec![b' '; 100 * 1024])),
        ),
    ];
    for (m, path, token, body) in cases {
        let a = app.send(m.clone(), &path, token, &[], body).await;
        let csp = a
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{m} {path} ({}): no CSP", a.status));
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        let script = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!script.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{path}: {csp}");
        assert_eq!(
            a.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{m} {path}"
        );
        assert_eq!(
            a.header("referrer-policy").as_deref(),
            Some("no-referrer"),
            "{m} {path}"
        );
        assert_eq!(
            a.header("x-frame-options").as_deref(),
            Some("DENY"),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_requests_get_no_cors_permission() {
    let app = spawn_app().await;
    let editor = app.editor().await;
    let preflight = app
        .send(
            Method::OPTIONS,
            "/api/v1/sites/gdupt",
            None,
            &[
                ("origin", "https://evil.example"),
                ("access-control-request-method", "PATCH"),
                (
                    "access-control-request-headers",
                    "authorization, content-type",
                ),
            ],
            None,
        )
        .await;
    assert!(preflight.header("access-control-allow-origin").is_none());
    assert!(preflight.header("access-control-allow-methods").is_none());
    assert_ne!(preflight.status, StatusCode::OK);
    for (m, path, token) in [
        (Method::GET, "/api/v1/sites/gdupt", None),
        (
            Method::POST,
            "/api/v1/sites/gdupt/verify",
            Some(editor.as_str()),
        ),
    ] {
        let a = app
            .send(m, path, token, &[("origin", "https://evil.example")], None)
            .await;
        assert!(a.header("access-control-allow-origin").is_none(), "{path}");
        assert!(a.header("access-control-allow-credentials").is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_named_like_markup_is_served_as_json_text() {
    let app = spawn_app().await;
    let editor = app.editor().await;
    let a = app
        .patch(
            "gdupt",
            &editor,
            None,
            &serde_json::json!({"properties": {"name_zh": "<img src=x onerror=alert(1)>"}}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let got = app.fetch("/api/v1/sites/gdupt").await;
    assert!(got
        .header("content-type")
        .unwrap()
        .starts_with("application/geo+json"));
    assert_eq!(
        got.json()["properties"]["name_zh"],
        "<img src=x onerror=alert(1)>"
    );
}
