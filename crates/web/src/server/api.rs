//! `/api/v1` routes (to be completed in the server issue).

use super::AppState;
use axum::routing::get;
use axum::Router;

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
}

/// Routes at the root: `/healthz` (and the web page in the map issue).
pub fn root_router() -> Router<AppState> {
    Router::new().route("/healthz", get(|| async { "ok" }))
}
