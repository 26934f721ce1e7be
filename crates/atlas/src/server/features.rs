//! The one way sites leave the server as a page: a GeoJSON FeatureCollection (RFC 7946, WGS84
//! lon/lat) written feature by feature ([`FeatureWriter`]), its paging members
//! ([`PageTail`]: `numberMatched`, `numberReturned`, `links`), the `self`/`next`/`prev`
//! links ([`page_links`]) and the absolute base of every link ([`base_url`]). `/api/v1/sites`
//! and `/ogc/collections/{id}/items` both write through here, so their pages and links agree.

use super::error::{ApiError, ApiResult};
use super::ServerConfig;
use atlas_core::export::write_feature_axes;
use atlas_core::{Context, Site};
use axum::http::request::Parts;
use serde::Serialize;
use utoipa::ToSchema;

/// Media type of GeoJSON responses.
pub const GEOJSON: &str = "application/geo+json";
/// Media type of JSON responses.
pub const JSON: &str = "application/json";

/// A link of a response (OGC API style), the same type on `/api/v1` and `/ogc`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Link {
    /// Absolute URL (relative when the request had no usable `Host`).
    pub href: String,
    /// `self`, `next`, `prev`, `items`, `collection`, …
    pub rel: &'static str,
    /// Media type of the target.
    #[serde(rename = "type")]
    pub media_type: &'static str,
    /// What the target is.
    pub title: String,
}

impl Link {
    /// A link.
    pub fn new(href: String, rel: &'static str, media_type: &'static str, title: &str) -> Self {
        Self {
            href,
            rel,
            media_type,
            title: title.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Base URL
// ---------------------------------------------------------------------------------------------

/// A host name (with port) as it may appear in a link: letters, digits and `.-_:[]`, at most
/// 255 bytes. Anything else (a path, markup, spaces) is never echoed.
pub fn clean_host(h: &str) -> Option<&str> {
    let h = h.trim();
    let ok = !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:[]".contains(&b));
    ok.then_some(h)
}

/// The absolute root of links for a request, without a trailing slash: the configured public
/// URL ([`ServerConfig::public_base`]) when there is one; else `proto://host` where `proto` is
/// `https` when the first `X-Forwarded-Proto` value says so (`http` otherwise) and `host` is the
/// first `X-Forwarded-Host` value, else `Host`, else the request URI's authority, when it is
/// a clean host name ([`clean_host`]); else empty (links are then relative).
pub fn base_url(parts: &Parts, config: &ServerConfig) -> String {
    if let Some(b) = &config.public_base {
        return b.trim_end_matches('/').to_string();
    }
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let proto = match header("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    let host = header("x-forwarded-host")
        .or_else(|| header("host"))
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .and_then(clean_host);
    host.map(|h| format!("{proto}://{h}")).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The FeatureCollection writer
// ---------------------------------------------------------------------------------------------

/// Writes a FeatureCollection one feature at a time as the rows arrive: a 10 000-site page
/// holds its JSON bytes, not 10 000 feature trees as well.
#[derive(Debug)]
pub struct FeatureWriter {
    out: Vec<u8>,
    returned: u64,
    /// Geometries as (lat, lon) (`/ogc` in EPSG:4326 or EPSG:4490).
    lat_lon: bool,
}

impl FeatureWriter {
    /// Starts a collection (`{"type":"FeatureCollection","features":[`).
    pub fn with_capacity(bytes: usize) -> Self {
        let mut out = Vec::with_capacity(bytes.max(64));
        out.extend_from_slice(br#"{"type":"FeatureCollection","features":["#);
        Self {
            out,
            returned: 0,
            lat_lon: false,
        }
    }

    /// Writes geometries as (lat, lon) when `lat_lon`.
    pub fn lat_lon(mut self, lat_lon: bool) -> Self {
        self.lat_lon = lat_lon;
        self
    }

    /// Adds a site as a Feature (properties as in `atlas_core::export::site_to_feature`).
    pub fn push(&mut self, site: &Site, ctx: &Context<'_>) {
        if self.returned > 0 {
            self.out.push(b',');
        }
        write_feature_axes(&mut self.out, site, ctx, self.lat_lon);
        self.returned += 1;
    }

    /// Features written so far.
    pub fn returned(&self) -> u64 {
        self.returned
    }

    /// Ends the features and writes `tail`'s members after them.
    pub fn finish(mut self, tail: &PageTail) -> ApiResult<Vec<u8>> {
        let tail = serde_json::to_vec(tail)
            .map_err(|e| ApiError::internal(format!("serialising a page: {e}")))?;
        // `tail` is `{…}`: continue the object after the features array.
        self.out.extend_from_slice(b"],");
        self.out
            .extend_from_slice(tail.get(1..).unwrap_or_default());
        Ok(self.out)
    }
}

/// The members of a page after `features`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageTail {
    /// Sites matching the filter (all pages).
    pub number_matched: u64,
    /// Sites in this page.
    pub number_returned: u64,
    /// When the page was made (OGC API – Features asks for it; RFC 3339, seconds, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_stamp: Option<String>,
    /// `self`, `next`, `prev` and whatever else the route adds.
    pub links: Vec<Link>,
}

/// Where a page stands: its first row, its size, and the rows matched and returned.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    /// Rows skipped before this page.
    pub offset: u64,
    /// Page size.
    pub limit: u64,
    /// Rows matching the filter (all pages).
    pub matched: u64,
    /// Rows in this page.
    pub returned: u64,
}

/// `self`, then `next` when rows follow, then `prev` when rows precede; `href(offset)` is the
/// URL of the page starting at `offset` (same filter and limit).
pub fn page_links(p: Paging, href: impl Fn(u64) -> String) -> Vec<Link> {
    let mut links = vec![Link::new(href(p.offset), "self", GEOJSON, "This page")];
    let end = p.offset.saturating_add(p.returned);
    if end < p.matched && p.returned > 0 {
        links.push(Link::new(href(end), "next", GEOJSON, "Next page"));
    }
    if p.offset > 0 {
        let prev = p.offset.saturating_sub(p.limit);
        links.push(Link::new(href(prev), "prev", GEOJSON, "Previous page"));
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut b = axum::http::Request::builder().uri("/api/v1/sites");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn hosts_with_unexpected_characters_are_not_echoed() {
        assert_eq!(clean_host("127.0.0.1:8080"), Some("127.0.0.1:8080"));
        assert_eq!(clean_host("[::1]:80"), Some("[::1]:80"));
        assert_eq!(clean_host("evil.com/<script>"), None);
        assert_eq!(clean_host(""), None);
    }

    #[test]
    fn the_base_honours_forwarded_proto_and_host() {
        let c = ServerConfig::default();
        assert_eq!(base_url(&parts(&[("host", "a:1")]), &c), "http://a:1");
        let behind = parts(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-proto", "https, http"),
            ("x-forwarded-host", "atlas.example.org"),
        ]);
        assert_eq!(base_url(&behind, &c), "https://atlas.example.org");
        let dirty = parts(&[("host", "a:1"), ("x-forwarded-host", "evil/<x>")]);
        assert_eq!(base_url(&dirty, &c), "");
        assert_eq!(base_url(&parts(&[]), &c), "");
        let fixed = ServerConfig {
            public_base: Some("https://atlas.example.org/".into()),
            ..ServerConfig::default()
        };
        assert_eq!(base_url(&behind, &fixed), "https://atlas.example.org");
    }

    #[test]
    fn next_and_prev_links_follow_the_page() {
        let p = Paging {
            offset: 10,
            limit: 10,
            matched: 25,
            returned: 10,
        };
        let rels: Vec<_> = page_links(p, |o| format!("?offset={o}"))
            .into_iter()
            .map(|l| (l.rel, l.href))
            .collect();
        assert_eq!(
            rels,
            [
                ("self", "?offset=10".to_string()),
                ("next", "?offset=20".to_string()),
                ("prev", "?offset=0".to_string())
            ]
        );
    }
}
