//! `spawn_app()`: a real server on 127.0.0.1:0 over a fresh temporary database holding the
//! default dataset, and a client with helpers for JSON and error bodies.

use atlas::server::{self, RunningServer};
use atlas_core::{Site, SiteFilter};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Once;

/// A running test server and its client.
pub struct TestApp {
    pub server: RunningServer,
    pub client: reqwest::Client,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    _dir: tempfile::TempDir,
}

fn init_log() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter("info,tower_http=info")
                .with_test_writer()
                .try_init();
        }
    });
}

/// The date the test databases are stamped with.
pub fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

/// The test servers' clock: fixed at noon (China time) of [`today`], so that what a handler
/// stamps ("verified today", an export's time) is known to the test and no test depends on
/// the machine's date.
pub fn clock() -> atlas_core::clock::Clock {
    let noon = today().and_hms_opt(4, 0, 0).unwrap().and_utc();
    atlas_core::clock::Clock::fixed(noon)
}

/// Starts a server with a new database holding the default dataset, on port 0 (the bound
/// address is read back from the running server), with the fixed [`clock`].
pub async fn spawn_app() -> TestApp {
    spawn_app_with(server::ServerConfig::default()).await
}

/// [`spawn_app`] with settings (short connection limits, …).
pub async fn spawn_app_with(config: server::ServerConfig) -> TestApp {
    init_log();
    let dir = tempfile::tempdir().unwrap();
    let server = server::start_with(
        &dir.path().join("atlas.db"),
        "127.0.0.1:0".parse().unwrap(),
        today(),
        clock(),
        config,
    )
    .await
    .unwrap();
    let base = server.url();
    TestApp {
        server,
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
        base,
        _dir: dir,
    }
}

/// Starts a server whose database also holds `n` synthetic sites (with townships, links,
/// levels and statuses the default dataset lacks).
pub async fn spawn_app_with_synthetic(n: usize) -> TestApp {
    let app = spawn_app().await;
    app.import(atlas_store::synth::sites(n, 7)).await;
    app
}

impl TestApp {
    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path` (starting with `/`).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GET `path`, expecting 200 and a JSON body.
    pub async fn json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    /// GET `path` with the request headers `headers` (name, value).
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    /// GET with `If-None-Match: tag` (a revalidation).
    pub async fn get_if_none_match(&self, path: &str, tag: &str) -> reqwest::Response {
        self.get_with(path, &[("if-none-match", tag)]).await
    }

    /// GET `path`, expecting an error status and the JSON error body; returns (status, code,
    /// message).
    pub async fn error(&self, path: &str) -> (StatusCode, String, String) {
        error_of(self.get(path).await).await
    }

    /// GET `path`, expecting `status` and the JSON error `code`; returns the message.
    pub async fn assert_error(&self, path: &str, status: StatusCode, code: &str) -> String {
        let (got, got_code, message) = self.error(path).await;
        assert_eq!(
            (got, got_code.as_str()),
            (status, code),
            "{path}: {message}"
        );
        message
    }

    /// Checks a table of bad requests, one a line: `PATH CODE NEEDLE` (blank lines ignored):
    /// each GET answers 400 with that error code and a message containing the needle.
    pub async fn assert_bad_requests(&self, table: &str) {
        for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let cells: Vec<&str> = line.split_whitespace().collect();
            let [path, code, needle] = cells[..] else {
                panic!("a case is `PATH CODE NEEDLE`: {line}");
            };
            let message = self.assert_error(path, StatusCode::BAD_REQUEST, code).await;
            assert!(
                message.contains(needle),
                "{path}: message {message:?} names {needle}"
            );
        }
    }

    /// Upserts sites through the server's own writer connection.
    pub async fn import(&self, sites: Vec<Site>) {
        self.server
            .state
            .db
            .write(move |s| Ok(s.import_sites(&sites)?))
            .await
            .unwrap();
    }

    /// Every site in the store, in list order (the reference for filter tests).
    pub async fn all_sites(&self) -> Vec<Site> {
        self.server
            .state
            .db
            .read(|s| Ok(s.query(&SiteFilter::default())?))
            .await
            .unwrap()
    }

    /// The stored site `id`.
    pub async fn stored_site(&self, id: &str) -> Site {
        let site_id = atlas_core::SiteId::new(id).unwrap();
        self.server
            .state
            .db
            .read(move |s| Ok(s.get(&site_id)?))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no site {id} is stored"))
    }

    /// The ids of every site matching query string `qs`, as `SiteFilter::matches` decides in
    /// memory (list order).
    pub async fn expected_ids(&self, qs: &str) -> Vec<String> {
        let f = SiteFilter::parse_query(qs).unwrap();
        self.all_sites()
            .await
            .iter()
            .filter(|s| f.matches(s))
            .map(|s| s.id.to_string())
            .collect()
    }

    /// `/api/v1/sites?qs&limit=10000`: the ids of the features, in order.
    pub async fn site_ids(&self, qs: &str) -> Vec<String> {
        let sep = if qs.is_empty() { "" } else { "&" };
        let fc = self
            .json(&format!("/api/v1/sites?{qs}{sep}limit=10000"))
            .await;
        feature_ids(&fc)
    }
}

/// The ids of a FeatureCollection's features.
pub fn feature_ids(fc: &Value) -> Vec<String> {
    features_by_id(fc, |_| ())
        .into_iter()
        .map(|(id, ())| id)
        .collect()
}

/// (id, what `read` takes from it) of each of a FeatureCollection's features.
pub fn features_by_id<T>(fc: &Value, read: impl Fn(&Value) -> T) -> Vec<(String, T)> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_string(), read(f)))
        .collect()
}

/// The `key` string of each item of the JSON array `list`.
pub fn strs<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item[key].as_str().unwrap())
        .collect()
}

/// The item of the JSON array `list` whose `key` is `value`; panics naming it when none is.
pub fn item_where<'a>(list: &'a Value, key: &str, value: impl Into<Value>) -> &'a Value {
    let value = value.into();
    list.as_array()
        .unwrap()
        .iter()
        .find(|item| item[key] == value)
        .unwrap_or_else(|| panic!("no item with {key} = {value} in {list}"))
}

/// The `Content-Disposition` of a download, which must begin `attachment; filename="PREFIX`
/// and contain `also` (e.g. the percent-encoded Chinese name after `filename*=UTF-8''`).
pub fn attachment(r: &reqwest::Response, prefix: &str, also: &str) -> String {
    let cd = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cd.starts_with(&format!("attachment; filename=\"{prefix}")),
        "{cd}"
    );
    assert!(cd.contains(also), "{cd}");
    cd
}

/// Checks that a response is an error with the JSON error shape; returns (status, code, message).
pub async fn error_of(r: reqwest::Response) -> (StatusCode, String, String) {
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    assert!(
        status.is_client_error() || status.is_server_error(),
        "expected an error, got {status}: {text}"
    );
    assert!(
        ct.starts_with("application/json"),
        "error content type {ct:?}: {text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let code = v["error"]["code"].as_str().expect("error.code").to_string();
    let message = v["error"]["message"]
        .as_str()
        .expect("error.message")
        .to_string();
    assert!(!message.is_empty());
    assert_eq!(
        v.as_object().unwrap().len(),
        1,
        "only `error` at the top: {text}"
    );
    (status, code, message)
}

/// Runs `ogrinfo` with `args`; returns its standard output.
pub fn ogrinfo(args: &[&str]) -> String {
    let out = std::process::Command::new("ogrinfo")
        .args(args)
        .output()
        .expect("ogrinfo (Debian gdal-bin) must be installed; tests/run-all.sh installs it");
    assert!(
        out.status.success(),
        "ogrinfo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Sites parsed from a CSV fixture (English headers) against the embedded reference data; every
/// row must be valid.
pub fn fixture_sites(csv: &str) -> Vec<Site> {
    let r = atlas_core::dataset::Reference::embedded().unwrap();
    let parsed = atlas_core::import::parse_sites(
        csv.as_bytes(),
        atlas_core::import::FileFormat::Csv,
        &r.context(today()),
        None,
    )
    .unwrap();
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed.sites.into_iter().map(|(_, s)| s).collect()
}

/// The `ETag` of a GET.
pub async fn etag_of(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.headers()["etag"].to_str().unwrap().to_string()
}

/// A request body: media type and bytes.
pub type Body = Option<(&'static str, Vec<u8>)>;

/// A request's answer: status, headers and body text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }

    /// The error code and message of an error answer (checking the shape).
    pub fn error(&self) -> (String, String) {
        assert!(
            self.status.is_client_error() || self.status.is_server_error(),
            "expected an error, got {}: {}",
            self.status,
            self.text
        );
        let ct = self.header("content-type").unwrap_or_default();
        assert!(ct.starts_with("application/json"), "{ct}: {}", self.text);
        let v = self.json();
        assert_eq!(
            v.as_object().unwrap().len(),
            1,
            "only `error`: {}",
            self.text
        );
        (
            v["error"]["code"].as_str().unwrap().to_string(),
            v["error"]["message"].as_str().unwrap().to_string(),
        )
    }

    /// Asserts the status and error code; returns the message.
    pub fn expect_error(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.text);
        let (c, m) = self.error();
        assert_eq!(c, code, "{m}");
        m
    }
}

impl TestApp {
    /// Adds a user directly in the store; returns their token.
    pub async fn user(&self, name: &str, role: atlas_store::Role) -> String {
        let (token, hash) = atlas::app::tokens::new_token(name).unwrap();
        let name = name.to_string();
        self.server
            .state
            .db
            .write(move |s| Ok(s.add_user(&name, role, &hash)?))
            .await
            .unwrap();
        token
    }

    /// An editor's token (user `editor`).
    pub async fn editor(&self) -> String {
        self.user("editor", atlas_store::Role::Editor).await
    }

    /// An admin's token (user `admin`).
    pub async fn admin(&self) -> String {
        self.user("admin", atlas_store::Role::Admin).await
    }

    /// Sends `method path` with an optional token, extra headers and body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Answer {
        let mut rb = self.client.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some((ct, bytes)) = body {
            rb = rb.header("content-type", ct).body(bytes);
        }
        let r = rb.send().await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        Answer {
            status,
            headers,
            text,
        }
    }

    /// Sends JSON.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Answer {
        let bytes = serde_json::to_vec(body).unwrap();
        self.send(
            method,
            path,
            token,
            headers,
            Some(("application/json", bytes)),
        )
        .await
    }

    /// GET with a token.
    pub async fn get_as(&self, path: &str, token: &str) -> Answer {
        self.send(reqwest::Method::GET, path, Some(token), &[], None)
            .await
    }

    /// GET with the answer's headers.
    pub async fn fetch(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None, &[], None).await
    }

    /// `PATCH /api/v1/sites/{id}` with `If-Match` when given.
    pub async fn patch(
        &self,
        id: &str,
        token: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Answer {
        let path = format!("/api/v1/sites/{id}");
        match if_match {
            Some(m) => {
                self.send_json(
                    reqwest::Method::PATCH,
                    &path,
                    Some(token),
                    &[("if-match", m)],
                    body,
                )
                .await
            }
            None => {
                self.send_json(reqwest::Method::PATCH, &path, Some(token), &[], body)
                    .await
            }
        }
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.send_json(reqwest::Method::POST, path, token, &[], body)
            .await
    }

    /// `POST path` with a body of the given content type.
    pub async fn post_body(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        self.send(
            reqwest::Method::POST,
            path,
            token,
            &[],
            Some((content_type, body)),
        )
        .await
    }

    /// `POST path` without a body.
    pub async fn post(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(reqwest::Method::POST, path, token, &[], None)
            .await
    }

    /// `DELETE path`.
    pub async fn delete(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.send(reqwest::Method::DELETE, path, token, headers, None)
            .await
    }

    /// `POST /api/v1/import…` with a multipart form: `file` and text fields.
    pub async fn upload(
        &self,
        path: &str,
        token: Option<&str>,
        file_name: &str,
        file: &[u8],
        fields: &[(&str, &str)],
    ) -> Answer {
        let (ct, body) = multipart(file_name, file, fields);
        self.post_body(path, token, &ct, body).await
    }
}

/// A multipart/form-data body with `file` and text fields: (content type, bytes).
pub fn multipart(file_name: &str, file: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "atlas-test-boundary-7d1f0c";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
