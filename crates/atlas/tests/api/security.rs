//! Security headers on every response (200, 304, 4xx, 5xx), CORS off; path parameters against
//! traversal and odd bytes, `/tiles` and `/ogc` against absurd parameters, and no token taken
//! from a query string.

use crate::helpers::{spawn_app, TestApp};
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// A raw request of `target` exactly as written (an HTTP client would resolve its dot segments
/// and escapes first): status, head (lower-cased) and body (de-chunked).
async fn raw(app: &TestApp, method: &str, target: &str, headers: &str) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(app.server.addr)
        .await
        .unwrap();
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{headers}\r\n",
        app.server.addr
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).await.unwrap();
    let text = String::from_utf8_lossy(&got).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let head = head.to_ascii_lowercase();
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, head, body)
}

/// The data of a chunked body.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// The error code of a raw answer that must be a 4xx with the JSON error body.
fn client_error(target: &str, (status, head, body): &(u16, String, String)) -> String {
    assert!((400..500).contains(status), "{target}: {status} {body}");
    assert!(
        head.contains("content-type: application/json"),
        "{target}: {head}"
    );
    for leak in ["root:", "[workspace]", "[package]"] {
        assert!(!body.contains(leak), "{target}: {body}");
    }
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{target}: {e}: {body}"));
    v["error"]["code"].as_str().unwrap().to_string()
}

/// Path segments a hostile client sends: traversal (escaped, doubly escaped, backslashed),
/// NUL, overlong and broken UTF-8, CR LF, a very long segment.
fn hostile_segments() -> Vec<String> {
    let mut v: Vec<String> = [
        "..%2f..%2f..%2fetc%2fpasswd",
        "..%2F..%2F..%2FCargo.toml",
        "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "%252e%252e%252fetc%252fpasswd",
        "..%5c..%5c..%5cetc%5cpasswd",
        "%00",
        "gdupt%00.json",
        "%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
        "%ff%fe%fd",
        "%e4%b8",
        "%0d%0aset-cookie:%20a=1",
        "%20",
        "..",
    ]
    .map(String::from)
    .to_vec();
    v.push("a".repeat(8 * 1024));
    v.push("%e4%b8%ad".repeat(2 * 1024));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_path_parameter_refuses_traversal_and_odd_bytes_with_json() {
    let app = spawn_app().await;
    let editor = app.editor().await;
    let admin = app.admin().await;
    let history = app.json("/api/v1/sites/gdupt/history").await;
    let (as_editor, as_admin) = (
        format!("Authorization: Bearer {editor}\r\n"),
        format!("Authorization: Bearer {admin}\r\n"),
    );
    // Every route of the router with a path parameter (`{}` is where it goes), and the files
    // of web/ (one route per file: anything else is no route).
    let routes: Vec<(&str, &str, &str)> = vec![
        ("GET", "/api/v1/sites/{}", ""),
        ("PATCH", "/api/v1/sites/{}", &as_editor),
        ("DELETE", "/api/v1/sites/{}", &as_editor),
        ("GET", "/api/v1/sites/{}/history", ""),
        ("POST", "/api/v1/sites/{}/restore", &as_editor),
        ("POST", "/api/v1/sites/{}/revert", &as_editor),
        ("POST", "/api/v1/sites/{}/verify", &as_editor),
        ("DELETE", "/api/v1/users/{}", &as_admin),
        ("GET", "/api/v1/chains/{}", ""),
        ("GET", "/api/v1/chains/{}/analysis", ""),
        ("GET", "/api/v1/chains/{}/report", ""),
        ("GET", "/ogc/collections/{}", ""),
        ("GET", "/ogc/collections/{}/items", ""),
        ("GET", "/ogc/collections/{}/items/gdupt", ""),
        ("GET", "/ogc/collections/sites/items/{}", ""),
        ("GET", "/tiles/sites/{}/0/0.mvt", ""),
        ("GET", "/tiles/sites/0/{}/0.mvt", ""),
        ("GET", "/tiles/sites/0/0/{}", ""),
        ("GET", "/{}", ""),
        ("GET", "/js/{}", ""),
        ("GET", "/vendor/{}", ""),
    ];
    for (method, route, auth) in &routes {
        for segment in hostile_segments() {
            let target = route.replace("{}", &segment);
            let headers = format!("{auth}Content-Type: application/json\r\nContent-Length: 0\r\n");
            let answer = raw(&app, method, &target, &headers).await;
            client_error(&format!("{method} {target}"), &answer);
        }
    }
    // Dot segments as they are, which no route matches.
    for target in [
        "/js/../../Cargo.toml",
        "/../../../../etc/passwd",
        "/api/v1/sites/../../../etc/passwd",
        "/tiles/sites/../../../etc/passwd",
        "//etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
    ] {
        let answer = raw(&app, "GET", target, "").await;
        assert_eq!(client_error(target, &answer), "not_found", "{target}");
    }
    // And nothing was changed by any of it.
    assert_eq!(app.json("/api/v1/sites/gdupt/history").await, history);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiles_and_ogc_refuse_absurd_zooms_limits_and_boxes_with_a_code() {
    let app = spawn_app().await;
    for (path, code) in [
        ("/tiles/sites/99/0/0.mvt", "invalid_tile"),
        ("/tiles/sites/31/0/0.mvt", "invalid_tile"),
        ("/tiles/sites/-1/0/0.mvt", "invalid_tile"),
        ("/tiles/sites/3/8/0.mvt", "invalid_tile"),
        (
            "/tiles/sites/3/0/99999999999999999999999.mvt",
            "invalid_tile",
        ),
        ("/tiles/sites/NaN/0/0.mvt", "invalid_tile"),
        ("/tiles/sites/3/0/0.png", "invalid_tile"),
        ("/tiles/sites/3/0/0.mvt?bbox=0,0,1,1", "unknown_parameter"),
        (
            "/tiles/sites/3/0/0.mvt?limit=99999999999",
            "unknown_parameter",
        ),
    ] {
        let (status, got, message) = app.error(path).await;
        assert_eq!(
            (status, got.as_str()),
            (StatusCode::BAD_REQUEST, code),
            "{path}: {message}"
        );
    }
    for bbox in [
        "112,23,111,22",
        "111,23,112,22",
        "NaN,22,112,23",
        "111,22,inf,23",
        "-inf,22,112,23",
        "111,22,1e999,23",
        "111,22,112",
        "111,22,112,23,1",
        "0x1,22,112,23",
        "111,-91,112,23",
        "181,22,182,23",
    ] {
        for path in [
            format!("/ogc/collections/sites/items?bbox={bbox}"),
            format!("/api/v1/sites?bbox={bbox}"),
            format!("/api/v1/export?format=csv&bbox={bbox}"),
            format!("/tiles/sites.json?bbox={bbox}"),
        ] {
            let (status, code, message) = app.error(&path).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {message}");
            assert!(
                ["invalid_bbox", "unknown_parameter"].contains(&code.as_str()),
                "{path}: {code} {message}"
            );
        }
    }
    // A huge OGC limit is served as the largest page; zero, negative or not a number is 400.
    let page = app
        .json("/ogc/collections/sites/items?limit=99999999999999999999999")
        .await;
    assert_eq!(page["numberReturned"], page["numberMatched"]);
    for limit in ["0", "-1", "1e9", "NaN", "%00"] {
        for path in [
            format!("/ogc/collections/sites/items?limit={limit}"),
            format!("/api/v1/sites?limit={limit}"),
        ] {
            let (status, _, message) = app.error(&path).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {message}");
        }
    }
    let (status, code, _) = app
        .error("/api/v1/sites?limit=99999999999999999999999")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        code.starts_with("limit") || code == "invalid_limit",
        "{code}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_in_the_query_string_is_never_taken() {
    let app = spawn_app().await;
    let editor = app.editor().await;
    let note = serde_json::json!({"properties": {"notes": "from a query token"}});
    let history = app.json("/api/v1/sites/gdupt/history").await;
    for key in ["token", "access_token", "auth", "authorization", "bearer"] {
        let query = format!("?{key}={editor}");
        let me = app.fetch(&format!("/api/v1/auth/me{query}")).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{key}: {}", me.text);
        let verify = app
            .post(&format!("/api/v1/sites/gdupt/verify{query}"), None)
            .await;
        assert_eq!(
            verify.status,
            StatusCode::UNAUTHORIZED,
            "{key}: {}",
            verify.text
        );
        let patch = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/sites/gdupt{query}"),
                None,
                &[],
                &note,
            )
            .await;
        assert_eq!(
            patch.status,
            StatusCode::UNAUTHORIZED,
            "{key}: {}",
            patch.text
        );
    }
    // Nothing was written; the same token in its header is taken.
    assert_eq!(app.json("/api/v1/sites/gdupt/history").await, history);
    assert_eq!(
        app.get_as("/api/v1/auth/me", &editor).await.status,
        StatusCode::OK
    );
}

/// The security headers of a raw answer (lower-cased head).
pub fn assert_security_headers(what: &str, head: &str) {
    for header in [
        "content-security-policy: default-src 'self'",
        "x-content-type-options: nosniff",
        "x-frame-options: deny",
        "referrer-policy: no-referrer",
    ] {
        assert!(head.contains(header), "{what}: no {header} in {head}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_headers_are_on_200_304_4xx_and_5xx_alike() {
    let app = spawn_app().await;
    let tag = crate::helpers::etag_of(&app, "/api/v1/sites?limit=2").await;
    let tile = crate::helpers::etag_of(&app, "/tiles/sites/10/831/447.mvt").await;
    let mut cases = vec![
        (200, "/api/v1/sites?limit=2".to_string(), String::new()),
        (
            304,
            "/api/v1/sites?limit=2".into(),
            format!("If-None-Match: {tag}\r\n"),
        ),
        (
            304,
            "/tiles/sites/10/831/447.mvt".into(),
            format!("If-None-Match: {tile}\r\n"),
        ),
        (400, "/tiles/sites/99/0/0.mvt".into(), String::new()),
        (404, "/api/v1/sites/nope".into(), String::new()),
        (405, "/api/v1/facets".into(), String::new()),
    ];
    let js = crate::helpers::etag_of(&app, "/js/main.js").await;
    cases.push((
        304,
        "/js/main.js".into(),
        format!("If-None-Match: {js}\r\n"),
    ));
    for (status, target, headers) in &cases {
        let method = if *status == 405 { "DELETE" } else { "GET" };
        let (got, head, body) = raw(&app, method, target, headers).await;
        assert_eq!(got, *status, "{target}: {body}");
        assert_security_headers(target, &head);
    }
    // A 5xx: the database file gone from under the server.
    let path = app.server.state.db.path().to_path_buf();
    let away = path.with_extension("away");
    std::fs::rename(&path, &away).unwrap();
    let (got, head, body) = raw(&app, "GET", "/api/v1/sites?limit=2", "").await;
    std::fs::rename(&away, &path).unwrap();
    assert_eq!(got, 503, "{body}");
    assert_security_headers("503", &head);
}
