//! Every error code, always as `{"error":{"code","message"}}` naming the parameter.

use crate::helpers::{error_of, spawn_app};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_parameter_gets_its_own_code_and_a_message_naming_it() {
    let app = spawn_app().await;
    app.assert_bad_requests(
        "
        /api/v1/sites?bbox=1,2                             invalid_bbox        'bbox'
        /api/v1/sites?bbox=111,22,110,21                   invalid_bbox        'bbox'
        /api/v1/sites?bbox=a,b,c,d                         invalid_bbox        'bbox'
        /api/v1/sites?limit=0                              invalid_limit       'limit'
        /api/v1/sites?limit=ten                            invalid_limit       'limit'
        /api/v1/sites?limit=-5                             invalid_limit       'limit'
        /api/v1/sites?offset=-1                            invalid_offset      'offset'
        /api/v1/sites?limit=10001                          limit_out_of_range  /api/v1/export
        /api/v1/sites?kind=factory                         unknown_value       'kind'
        /api/v1/sites?category=shops                       unknown_value       'category'
        /api/v1/sites?level=galactic                       unknown_value       provincial
        /api/v1/sites?status=dreaming                      unknown_value       'status'
        /api/v1/sites?scope=abroad                         unknown_value       'scope'
        /api/v1/sites?chain=no_such_chain                  unknown_chain       'chain'
        /api/v1/sites?chain=Bad%20Chain                    invalid_id          'chain'
        /api/v1/sites?link=petrochemical.nope              unknown_link        petrochemical.refining
        /api/v1/sites?town=440902999                       unknown_town        'town'
        /api/v1/sites?town=12                              invalid_id          'town'
        /api/v1/sites?colour=red                           unknown_parameter   'colour'
        /api/v1/sites?format=csv                           unknown_parameter   'format'
        /api/v1/facets?chain=no_such_chain                 unknown_chain       'chain'
        /api/v1/facets?town=440902999                      unknown_town        'town'
        /api/v1/facets?bbox=1                              invalid_bbox        'bbox'
        /api/v1/facets?sort=name                           unknown_parameter   'sort'
        /api/v1/chains?link=health.nope                    unknown_link        'link'
        /api/v1/divisions?x=1                              unknown_parameter   'x'
        /api/v1/vocabularies?lang=zh                       unknown_parameter   'lang'
        /api/v1/sites/gdupt?full=1                         unknown_parameter   'full'
        /api/v1/export?format=pdf                          unknown_format      'format'
        /api/v1/export?format=csv&lang=fr                  unknown_value       'lang'
        /api/v1/export?format=csv&chain=no_such_chain      unknown_chain       'chain'
        /api/v1/export?format=csv&link=petrochemical.nope  unknown_link        'link'
        /api/v1/export?format=kml&town=440902999           unknown_town        'town'
        /api/v1/export?format=csv&bbox=1,2,3               invalid_bbox        'bbox'
        /api/v1/export?format=csv&download=1               unknown_parameter   'download'
        /api/v1/sites/Not%20An%20Id                        invalid_id          'id'
        ",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_sites_and_routes_are_json_404s() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/sites/no-such-site",
        "/api/v1/nothing-here",
        "/api/v1/sites/gdupt/extra",
        "/api/v2/sites",
        "/api",
        "/no/such/page",
    ] {
        let message = app
            .assert_error(path, StatusCode::NOT_FOUND, "not_found")
            .await;
        assert!(!message.contains("panic"), "{message}");
    }
    let (_, _, message) = app.error("/api/v1/sites/no-such-site").await;
    assert!(message.contains("no-such-site"), "{message}");
    // Unknown routes are 404 whatever the method.
    let r = app
        .client
        .post(app.url("/api/v1/nothing"))
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_methods_are_json_405s_with_an_allow_header() {
    let app = spawn_app().await;
    for (method, path) in [
        (reqwest::Method::PUT, "/api/v1/sites"),
        (reqwest::Method::PUT, "/api/v1/sites/gdupt"),
        (reqwest::Method::DELETE, "/api/v1/facets"),
        (reqwest::Method::PUT, "/api/v1/facets"),
        (reqwest::Method::PATCH, "/api/v1/export?format=csv"),
        (reqwest::Method::POST, "/healthz"),
    ] {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        let allow = r
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_string());
        let (status, code, message) = error_of(r).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(code, "method_not_allowed");
        assert!(message.contains(method.as_str()), "{message}");
        assert!(allow.unwrap().contains("GET"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_too_large_request_body_is_a_json_413() {
    let app = spawn_app().await;
    let body = vec![b'x'; 100 * 1024];
    for method in [reqwest::Method::POST, reqwest::Method::GET] {
        let r = app
            .client
            .request(method.clone(), app.url("/api/v1/sites"))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let (status, code, message) = error_of(r).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{method}");
        assert_eq!(code, "payload_too_large");
        assert!(message.contains("64 KiB"), "{message}");
    }
    // A small body on a GET is accepted and ignored.
    let r = app
        .client
        .get(app.url("/api/v1/sites?limit=1"))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_query_strings_are_json_errors_or_ignored_never_panics() {
    let app = spawn_app().await;
    for qs in [
        "q=%",
        "q=%E7%9F",
        "q=%ZZ",
        "%=%",
        "&&&",
        "q=%FF%FE",
        "=",
        "==&=",
        "kind",
        "limit=1&limit=2",
        "q=a+b",
    ] {
        let r = app.get(&format!("/api/v1/sites?{qs}")).await;
        let status = r.status();
        if status.is_success() {
            let _: serde_json::Value = r.json().await.unwrap();
        } else {
            let (status, _, _) = error_of(r).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{qs}");
        }
    }
    let (_, code, message) = app.error("/api/v1/sites?=x").await;
    assert_eq!(code, "unknown_parameter");
    assert!(message.contains("''"), "{message}");
    let long_q = "q=".to_string() + &"字".repeat(201);
    let (_, code, message) = app.error(&format!("/api/v1/sites?{long_q}")).await;
    assert_eq!(code, "invalid_parameter");
    assert!(message.contains("'q'"));
}
