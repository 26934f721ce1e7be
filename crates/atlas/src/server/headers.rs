//! Security headers on every response (tower-http `SetResponseHeaderLayer`):
//! `Content-Security-Policy` (the page's: its base map's hosts, no inline script,
//! `frame-ancestors 'none'`; JSON and files are covered by it too), `X-Content-Type-Options:
//! nosniff`, `Referrer-Policy: no-referrer` (unless the page set its own: tile hosts of an online
//! base map may check the origin), `X-Frame-Options: DENY`. No CORS layer: browsers refuse
//! cross-origin reads and writes.

use super::assets::{Basemap, STRICT_CSP};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use tower::layer::util::{Identity, Stack};
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer as SetHeader;

/// The four header layers, outermost first.
pub type SecurityHeaders = Stack<
    SetHeader<HeaderValue>,
    Stack<
        SetHeader<HeaderValue>,
        Stack<SetHeader<HeaderValue>, Stack<SetHeader<HeaderValue>, Identity>>,
    >,
>;

/// The security header layers for a server whose page uses `basemap`.
pub fn layers(basemap: &Basemap) -> ServiceBuilder<SecurityHeaders> {
    let csp = HeaderValue::from_str(&basemap.content_security_policy())
        .unwrap_or_else(|_| HeaderValue::from_static(STRICT_CSP));
    ServiceBuilder::new()
        .layer(SetHeader::overriding(CONTENT_SECURITY_POLICY, csp))
        .layer(SetHeader::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetHeader::if_not_present(
            REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetHeader::overriding(
            X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}
