//! [`AppState`]: what every handler shares.

use super::cache::Cache;
use super::db::Db;
use super::{auth, ServerConfig};
use atlas_core::clock::Clock;
use std::sync::Arc;

/// Shared state of every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database pool.
    pub db: Arc<Db>,
    /// Server settings.
    pub config: Arc<ServerConfig>,
    /// Token checks and failed-authentication counts.
    pub auth: Arc<auth::Guard>,
    /// Reference data, OGC extents and ETags, per data version; the export slots.
    pub cache: Arc<Cache>,
    /// The one clock: what "now" and "today" are for every handler (fixed in tests).
    pub clock: Clock,
}

impl AppState {
    /// The state of a server over `db`.
    pub fn new(db: Arc<Db>, config: ServerConfig, clock: Clock) -> Self {
        let cache = Arc::new(Cache::new(db.generation()));
        Self {
            db,
            config: Arc::new(config),
            auth: Arc::new(auth::Guard::new()),
            cache,
            clock,
        }
    }
}
