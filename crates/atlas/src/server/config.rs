//! Settings fixed at start, and the request body limits.

use super::assets;

/// Settings fixed at start.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// The public URL of the server (`https://atlas.example.org`), the root of every absolute
    /// link when set; otherwise links follow the request's `Host` and `X-Forwarded-*` headers
    /// (see [`super::features::base_url`]).
    pub public_base: Option<String>,
    /// The map page's base map (`atlas serve --basemap …`); offline by default.
    pub basemap: assets::Basemap,
}

/// The largest request body of every route but the imports (JSON bodies of writes).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;
/// The largest request body of `POST /api/v1/import`, `/api/v1/chains/import` and
/// `/api/v1/indicators/import`.
pub const IMPORT_LIMIT_BYTES: usize = 20 * 1024 * 1024;
