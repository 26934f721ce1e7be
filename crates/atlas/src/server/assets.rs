//! The map page: the files of `web/` (HTML, ES modules, CSS, the style JSON and the vendored
//! MapLibre GL JS) embedded in the binary with `rust-embed`, and `GET /config.json`, the page's
//! settings (which base map the server chose).
//!
//! - One route per embedded file (`/` is `index.html`), so every other path still reaches the
//!   app's JSON `404`.
//! - `Content-Type` from the extension (`.mjs` is `text/javascript`, or browsers refuse to run
//!   the module worker); `X-Content-Type-Options: nosniff` on everything (also set by the app's
//!   middleware on every response).
//! - Caching: a strong `ETag` (the file's SHA-256, computed at build time) and `304` on
//!   `If-None-Match`. A URL with a `v=` query (the vendored library, versioned in its URLs) is
//!   `immutable` for a year; everything else is `no-cache` (always revalidated, so a new binary
//!   shows at once).
//! - The Content-Security-Policy ([`Basemap::content_security_policy`], set on *every*
//!   response by the app's middleware): no inline script, no framing (`frame-ancestors
//!   'none'`); with the offline base map the page may talk to its own origin only; an online
//!   base map adds exactly its tile hosts.

use super::error::ApiError;
use super::AppState;
use crate::app::web::Web;
use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;

/// `Cache-Control` of files whose URL names their version (`?v=…`).
const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of every other file: reuse only after a (cheap, `304`) revalidation.
const CACHE_REVALIDATE: &str = "no-cache";

/// Tianditu (天地图) tile hosts `t0`…`t7`.
const TIANDITU_HOSTS: usize = 8;

/// The base map under the project's own layers (`atlas serve --basemap …`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Basemap {
    /// Offline: the project's own data only (district boundary, Maoming context, township seats).
    #[default]
    Offline,
    /// Tianditu (天地图) Web Mercator layers `vec_w` (roads, water, places) and `cva_w` (Chinese
    /// annotations), the base map government sites in China are expected to use; needs a key.
    Tianditu {
        /// The Tianditu key (`tk`), letters and digits.
        key: String,
    },
    /// An XYZ raster tile URL template with `{z}`, `{x}` and `{y}`.
    Xyz {
        /// The template.
        url: String,
    },
    /// A MapLibre style URL whose layers go under the project's own.
    Style {
        /// The style's URL.
        url: String,
    },
}

impl Basemap {
    /// Builds the base map from the `serve` flags: `--basemap tianditu --tianditu-key KEY`, or
    /// `--basemap-url URL` (an XYZ template when it holds `{z}`, `{x}` and `{y}`, else a style).
    pub fn from_flags(
        tianditu: bool,
        tianditu_key: Option<&str>,
        url: Option<&str>,
    ) -> Result<Self, String> {
        match (tianditu, url) {
            (true, Some(_)) => {
                Err("choose one base map: --basemap tianditu or --basemap-url, not both".into())
            }
            (true, None) => {
                let key = tianditu_key.map(str::trim).unwrap_or_default();
                if key.is_empty() {
                    return Err(
                        "--basemap tianditu needs --tianditu-key KEY (or ATLAS_TIANDITU_KEY)"
                            .into(),
                    );
                }
                if !key.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err("--tianditu-key: a Tianditu key is letters and digits only".into());
                }
                Ok(Self::Tianditu { key: key.into() })
            }
            (false, Some(url)) => {
                let url = url.trim();
                if origin_of(url).is_none() {
                    return Err(format!(
                        "--basemap-url: '{url}' is not an http(s) URL with a host"
                    ));
                }
                if url.contains(['"', '\'', ' ', '<', '>', '\\']) {
                    return Err("--basemap-url: the URL holds characters a URL may not".into());
                }
                if url.contains("{z}") && url.contains("{x}") && url.contains("{y}") {
                    Ok(Self::Xyz { url: url.into() })
                } else {
                    Ok(Self::Style { url: url.into() })
                }
            }
            (false, None) => Ok(Self::Offline),
        }
    }

    /// The `basemap` member of `/config.json` (`null` when offline).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Offline => serde_json::Value::Null,
            Self::Tianditu { key } => {
                let layer = |name: &str| {
                    (0..TIANDITU_HOSTS)
                        .map(|i| {
                            format!(
                                "https://t{i}.tianditu.gov.cn/{name}_w/wmts?SERVICE=WMTS&REQUEST=GetTile\
                                 &VERSION=1.0.0&LAYER={name}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles\
                                 &TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
                            )
                        })
                        .collect::<Vec<_>>()
                };
                json!({
                    "kind": "tianditu",
                    "attribution": "底图 base map © 天地图 Tianditu",
                    "layers": [
                        { "id": "vec", "tiles": layer("vec"), "tileSize": 256, "maxzoom": 18 },
                        { "id": "cva", "tiles": layer("cva"), "tileSize": 256, "maxzoom": 18 },
                    ],
                })
            }
            Self::Xyz { url } => json!({
                "kind": "xyz",
                "attribution": format!("底图 base map: {}", origin_of(url).unwrap_or_default()),
                "layers": [{ "id": "xyz", "tiles": [url], "tileSize": 256, "maxzoom": 19 }],
            }),
            Self::Style { url } => json!({ "kind": "style", "url": url }),
        }
    }

    /// Hosts (CSP source expressions) the page may load tiles and styles from besides its own.
    fn csp_sources(&self) -> String {
        match self {
            Self::Offline => String::new(),
            Self::Tianditu { .. } => (0..TIANDITU_HOSTS)
                .map(|i| format!(" https://t{i}.tianditu.gov.cn"))
                .collect(),
            Self::Xyz { url } => match origin_of(url) {
                Some(o) if !o.contains('{') => format!(" {o}"),
                _ => " https:".into(),
            },
            // A style names sprites, glyphs and tiles on hosts we cannot know in advance.
            Self::Style { .. } => " https: http:".into(),
        }
    }

    /// The Content-Security-Policy of the page.
    pub fn content_security_policy(&self) -> String {
        let extra = self.csp_sources();
        format!(
            "default-src 'self'; script-src 'self'; worker-src 'self' blob:; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{extra}; \
             connect-src 'self'{extra}; font-src 'self' data:; object-src 'none'; \
             base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
    }

    /// The `Referrer-Policy` of the page: `no-referrer` offline; with an online base map
    /// `strict-origin` (the tile hosts see this server's origin, never a path or query: keys of
    /// Tianditu and similar services are often bound to the site's origin).
    pub fn referrer_policy(&self) -> &'static str {
        match self {
            Self::Offline => "no-referrer",
            _ => "strict-origin",
        }
    }
}

/// The policy if the base map's one could not be a header (never expected): same-origin only.
pub const STRICT_CSP: &str = "default-src 'self'; script-src 'self'; object-src 'none'; \
    base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// `scheme://host[:port]` of an http(s) URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{host}"))
}

/// `/`, `/config.json` and one route per file of `web/`.
pub fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route("/", get(page))
        .route("/config.json", get(config));
    for path in Web::iter() {
        let path = path.to_string();
        let route = format!("/{path}");
        router = router.route(
            &route,
            get(
                move |headers: HeaderMap, uri: Uri, state: State<AppState>| {
                    let path = path.clone();
                    async move { file(&path, &headers, &uri, &state.0) }
                },
            ),
        );
    }
    router
}

async fn page(headers: HeaderMap, uri: Uri, State(state): State<AppState>) -> Response {
    file("index.html", &headers, &uri, &state)
}

/// `GET /config.json`: what the page needs to know about this server.
async fn config(State(state): State<AppState>) -> Response {
    let body = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "basemap": state.config.basemap.to_json(),
    });
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (CACHE_CONTROL, HeaderValue::from_static(CACHE_REVALIDATE)),
        ],
        body.to_string(),
    )
        .into_response()
}

/// The media type of a file name.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn file(path: &str, headers: &HeaderMap, uri: &Uri, state: &AppState) -> Response {
    let Some(f) = Web::get(path) else {
        return ApiError::NotFound(format!("no file {path}")).into_response();
    };
    let hash = f.metadata.sha256_hash();
    let etag = format!(
        "\"{}\"",
        hash[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let versioned = uri
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("v=")));
    let cache = if versioned {
        CACHE_IMMUTABLE
    } else {
        CACHE_REVALIDATE
    };
    let mut out = HeaderMap::new();
    out.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        out.insert(ETAG, v);
    }
    if path.ends_with(".html") {
        // The Content-Security-Policy (every response's) is set by the app's middleware.
        out.insert(
            REFERRER_POLICY,
            HeaderValue::from_static(state.config.basemap.referrer_policy()),
        );
    }
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|h| {
            h.split(',')
                .any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag)
        });
    if fresh {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    out.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    (out, f.data.into_owned()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_scripts_are_javascript() {
        assert_eq!(
            content_type("vendor/maplibre-gl/maplibre-gl-worker.mjs"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("js/main.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("style/atlas-style.json"), "application/json");
    }

    #[test]
    fn every_page_file_is_embedded() {
        for p in [
            "index.html",
            "js/main.js",
            "css/atlas.css",
            "css/print.css",
            "style/atlas-style.json",
            "vendor/maplibre-gl/maplibre-gl.mjs",
            "vendor/maplibre-gl/maplibre-gl-worker.mjs",
            "vendor/maplibre-gl/maplibre-gl.css",
            "vendor/maplibre-gl/LICENSE.txt",
        ] {
            assert!(Web::get(p).is_some(), "{p} is embedded");
        }
    }

    #[test]
    fn the_style_is_one_valid_json_file_on_same_origin_sources() {
        let f = Web::get("style/atlas-style.json").expect("style embedded");
        let v: serde_json::Value = serde_json::from_slice(&f.data).expect("style is JSON");
        assert_eq!(v["version"], 8);
        for (name, src) in v["sources"].as_object().expect("sources") {
            if let Some(url) = src["data"].as_str() {
                assert!(
                    url.starts_with("/api/v1/"),
                    "source {name} is same-origin: {url}"
                );
            }
        }
        assert!(
            v.get("glyphs").is_none() && v.get("sprite").is_none(),
            "no glyph or sprite server"
        );
    }

    #[test]
    fn the_vendored_library_is_loaded_under_its_own_version() {
        let lib = Web::get("vendor/maplibre-gl/maplibre-gl.mjs").expect("vendored");
        let head = String::from_utf8_lossy(&lib.data[..400]).to_string();
        let version = head
            .split("/blob/v")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .expect("version in the licence comment");
        let want = format!("?v={version}");
        for page in ["index.html", "js/map.js"] {
            let f = Web::get(page).expect("page file");
            assert!(
                String::from_utf8_lossy(&f.data).contains(&want),
                "{page} loads MapLibre as …{want} (immutable caching needs a new URL per version)"
            );
        }
    }

    #[test]
    fn basemap_flags_are_checked() {
        assert_eq!(Basemap::from_flags(false, None, None), Ok(Basemap::Offline));
        assert!(Basemap::from_flags(true, None, None).is_err());
        assert!(Basemap::from_flags(true, Some("a b"), None).is_err());
        assert_eq!(
            Basemap::from_flags(true, Some("abc123"), None),
            Ok(Basemap::Tianditu {
                key: "abc123".into()
            })
        );
        assert!(Basemap::from_flags(true, Some("k"), Some("https://x/{z}/{x}/{y}.png")).is_err());
        assert_eq!(
            Basemap::from_flags(false, None, Some("https://tiles.example/{z}/{x}/{y}.png")),
            Ok(Basemap::Xyz {
                url: "https://tiles.example/{z}/{x}/{y}.png".into()
            })
        );
        assert_eq!(
            Basemap::from_flags(false, None, Some("https://maps.example/style.json")),
            Ok(Basemap::Style {
                url: "https://maps.example/style.json".into()
            })
        );
        assert!(Basemap::from_flags(false, None, Some("file:///etc/passwd")).is_err());
    }

    #[test]
    fn the_offline_page_may_only_talk_to_its_own_origin() {
        let csp = Basemap::Offline.content_security_policy();
        assert!(csp.contains("connect-src 'self';"), "{csp}");
        assert!(csp.contains("img-src 'self' data: blob:;"), "{csp}");
        let t = Basemap::Tianditu { key: "k".into() }.content_security_policy();
        assert!(t.contains("https://t7.tianditu.gov.cn"), "{t}");
        let url = &Basemap::Tianditu { key: "k1".into() }.to_json()["layers"][0]["tiles"][0];
        assert!(url
            .as_str()
            .is_some_and(|u| u.contains("vec_w") && u.ends_with("tk=k1")));
    }
}
