//! OGC API – Features under `/ogc` (to be completed in the server issue).

use super::AppState;
use axum::Router;

/// Routes under `/ogc`.
pub fn router() -> Router<AppState> {
    Router::new()
}
