//! Slow and hostile clients over real sockets: the limits of `server::config::Limits`, each set
//! short in its test. Raw TCP, since an HTTP client would never send half a request.

use crate::helpers::{spawn_app_with, TestApp};
use atlas::server::config::Limits;
use atlas::server::ServerConfig;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LONG: Duration = Duration::from_secs(600);
const SHORT: Duration = Duration::from_millis(500);
/// A fence against a hung test only: every wait below ends long before it when the server works.
const FENCE: Duration = Duration::from_secs(60);

/// Limits long enough never to matter, for a test to shorten one of them.
fn long() -> Limits {
    Limits {
        header_timeout: LONG,
        request_timeout: LONG,
        body_timeout: LONG,
        idle_timeout: LONG,
        max_connections: 512,
    }
}

async fn app_with(limits: Limits) -> TestApp {
    spawn_app_with(ServerConfig {
        limits,
        ..ServerConfig::default()
    })
    .await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.server.addr).await.unwrap()
}

/// Everything the server sends until it closes the connection.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(FENCE, stream.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&got).into_owned()
}

/// The headers of a POST of `len` body bytes to `path`, with `token`.
fn post_head(app: &TestApp, path: &str, token: &str, content_type: &str, len: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {len}\r\n\r\n",
        app.server.addr
    )
}

/// The JSON error body of a raw response.
fn error_code(response: &str) -> String {
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not a JSON body ({e}): {response}"));
    v["error"]["code"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_half_sent_request_line_is_closed_after_the_header_timeout() {
    let app = app_with(Limits {
        header_timeout: SHORT,
        ..long()
    })
    .await;
    let mut s = connect(&app).await;
    s.write_all(b"GET /api/v1/sites HT").await.unwrap();
    let answer = until_closed(&mut s).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // The server still answers.
    assert_eq!(app.get("/api/v1/chains").await.status(), 200);
}

#[tokio::test]
async fn a_kept_alive_connection_left_idle_is_closed() {
    let app = app_with(Limits {
        idle_timeout: SHORT,
        ..long()
    })
    .await;
    let mut s = connect(&app).await;
    let request = format!(
        "GET /api/v1/vocabularies HTTP/1.1\r\nHost: {}\r\n\r\n",
        app.server.addr
    );
    s.write_all(request.as_bytes()).await.unwrap();
    // The answer comes, then nothing; the connection is closed once idle.
    let answer = until_closed(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(answer.matches("HTTP/1.1").count(), 1);
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_closed_after_the_header_timeout() {
    // Bytes keep coming (so the connection is never idle), but the headers never end.
    let app = app_with(Limits {
        header_timeout: Duration::from_secs(2),
        idle_timeout: SHORT * 2,
        ..long()
    })
    .await;
    let mut s = connect(&app).await;
    s.write_all(b"GET /api/v1/sites HTTP/1.1\r\n")
        .await
        .unwrap();
    let trickle = async {
        loop {
            if s.write_all(b"X-A: b\r\n").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    assert!(
        tokio::time::timeout(FENCE, trickle).await.is_ok(),
        "the server kept a trickling client"
    );
}

/// The media type of an upload, and the start of its form: the file part, cut short.
const FORM: &str = "multipart/form-data; boundary=XyZ";
const PART: &str = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; \
                    filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n\
                    id,name_zh,category\nstalled-1,停顿的上传,carrier_platform\n";

/// A stalled import gets `408 request_timeout` and writes nothing.
async fn assert_stalled_upload_dropped(app: &TestApp) {
    let token = app.editor().await;
    let before = app.all_sites().await;
    let mut s = connect(app).await;
    let head = post_head(app, "/api/v1/import", &token, FORM, PART.len() + 1000);
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(PART.as_bytes()).await.unwrap();
    let answer = until_closed(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(error_code(&answer), "request_timeout");
    assert_eq!(app.all_sites().await, before, "a stalled upload wrote");
}

#[tokio::test]
async fn an_upload_that_stalls_mid_body_is_dropped_without_writing() {
    let app = app_with(Limits {
        body_timeout: SHORT,
        ..long()
    })
    .await;
    assert_stalled_upload_dropped(&app).await;
}

#[tokio::test]
async fn a_request_past_the_whole_request_timeout_is_dropped_without_writing() {
    let app = app_with(Limits {
        request_timeout: SHORT,
        ..long()
    })
    .await;
    assert_stalled_upload_dropped(&app).await;
}

#[tokio::test]
async fn a_stalled_json_edit_is_dropped_without_writing() {
    let app = app_with(Limits {
        body_timeout: SHORT,
        ..long()
    })
    .await;
    let token = app.editor().await;
    let id = app.all_sites().await[0].id.to_string();
    let path = format!("/api/v1/sites/{id}");
    let before = app.json(&path).await;
    let mut s = connect(&app).await;
    let body = r#"{"properties":{"name_zh":"改了"#;
    let head = post_head(&app, &path, &token, "application/merge-patch+json", 200)
        .replacen("POST", "PATCH", 1)
        .replace("\r\n\r\n", "\r\nIf-Match: \"1\"\r\n\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body.as_bytes()).await.unwrap();
    let answer = until_closed(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(app.json(&path).await, before);
}

#[tokio::test]
async fn three_thousand_half_sent_requests_do_not_lock_a_client_out() {
    let app = app_with(Limits {
        max_connections: 64,
        ..long()
    })
    .await;
    let mut stalled = Vec::new();
    for _ in 0..3000 {
        let mut s = connect(&app).await;
        s.write_all(b"GET /api/v1/sites?q=").await.unwrap();
        stalled.push(s);
    }
    // A normal client is served (the quietest stalled connection makes room) ...
    for _ in 0..5 {
        let r = app.get("/api/v1/sites?limit=1").await;
        assert_eq!(r.status(), 200);
    }
    // ... and the stalled ones were closed: at most the cap are still open on the server.
    let mut open = 0;
    for s in &mut stalled {
        let mut b = [0u8; 1];
        // An evicted one reads its end at once; an open one has nothing to read.
        if tokio::time::timeout(Duration::from_millis(1), s.read(&mut b))
            .await
            .is_err()
        {
            open += 1;
        }
    }
    assert!(open <= 64, "{open} stalled connections still open");
}

#[tokio::test]
async fn a_connection_past_the_cap_when_all_are_busy_gets_a_short_503() {
    let app = app_with(Limits {
        max_connections: 2,
        ..long()
    })
    .await;
    let token = app.editor().await;
    // Two uploads in their handler, reading a body that does not come: the server's
    // `100 Continue` says the handler has started reading.
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut s = connect(&app).await;
        let head = post_head(&app, "/api/v1/import", &token, FORM, PART.len() + 100)
            .replace("\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n");
        s.write_all(head.as_bytes()).await.unwrap();
        let mut got = [0u8; 25];
        tokio::time::timeout(FENCE, s.read_exact(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert!(got.starts_with(b"HTTP/1.1 100 Continue"), "{got:?}");
        s.write_all(PART.as_bytes()).await.unwrap();
        busy.push(s);
    }
    let mut s = connect(&app).await;
    let _ = s
        .write_all(b"GET /api/v1/chains HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    let answer = until_closed(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert_eq!(error_code(&answer), "too_many_connections");
    // The security headers of every other answer.
    let head = answer.split("\r\n\r\n").next().unwrap_or_default();
    crate::security::assert_security_headers("503 too_many_connections", &head.to_lowercase());
    assert!(answer.to_ascii_lowercase().contains("retry-after: 1"));
    // Once the uploads are gone, it is served again.
    drop(busy);
    let mut ok = false;
    for _ in 0..100 {
        if app.get("/api/v1/chains").await.status() == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok);
}
