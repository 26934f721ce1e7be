//! Settings fixed at start, and the request body limits.

use super::assets;
use std::time::Duration;

/// Settings fixed at start.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// The public URL of the server (`https://atlas.example.org`), the root of every absolute
    /// link when set; otherwise links follow the request's `Host` and `X-Forwarded-*` headers
    /// (see [`super::features::base_url`]).
    pub public_base: Option<String>,
    /// The map page's base map (`atlas serve --basemap …`); offline by default.
    pub basemap: assets::Basemap,
    /// How long and how many connections a client may hold ([`super::listen`]).
    pub limits: Limits,
}

/// What keeps slow and hostile clients from holding the server (`atlas serve --header-timeout
/// …`). Every duration is a bound on waiting for the *client*; the database's own time limit
/// per query is separate ([`super::db`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From the first byte a connection waits for a request (a new connection, or the next
    /// request of a kept-alive one) to the end of that request's headers; then it is closed.
    pub header_timeout: Duration,
    /// From the headers to the response's head (reading the body and the handler): past it the
    /// answer is `408 request_timeout`. A response body streamed after its head (an export)
    /// is not bounded by it.
    pub request_timeout: Duration,
    /// The longest wait for the next piece of a request body: an upload that stalls this long
    /// is dropped (`408`) and nothing of it is written.
    pub body_timeout: Duration,
    /// A connection with no request in a handler that neither sent nor received a byte for this
    /// long is closed: idle keep-alive connections, clients that stopped reading a response,
    /// half-sent requests.
    pub idle_timeout: Duration,
    /// Open connections at most. A new one past the cap closes the connection that has been
    /// idle (or waiting for a request's headers) longest; when every connection has a request
    /// in a handler, the new one gets a short `503 too_many_connections` and is closed.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(120),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(20),
            max_connections: 512,
        }
    }
}

/// The largest request body of every route but the imports (JSON bodies of writes).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;
/// The largest request body of `POST /api/v1/import`, `/api/v1/chains/import` and
/// `/api/v1/indicators/import`.
pub const IMPORT_LIMIT_BYTES: usize = 20 * 1024 * 1024;
