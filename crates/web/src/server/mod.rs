//! The map server: `atlas serve`. Thin axum handlers over the store.
//!
//! - [`db`]: the connection pool (blocking threads only, per-query time limit).
//! - [`error`]: `ApiError`, the one place library errors become HTTP responses.
//! - [`api`]: `/api/v1/…` JSON/GeoJSON routes and exports.
//! - [`ogc`]: OGC API – Features (Part 1 Core + GeoJSON) under `/ogc`.

pub mod api;
pub mod db;
pub mod error;
pub mod ogc;

use axum::extract::Request;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::Router;
use db::Db;
use error::ApiError;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Shared state of every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database pool.
    pub db: Arc<Db>,
    /// Server settings.
    pub config: Arc<ServerConfig>,
}

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The address the server listens on (for absolute links when no Host header is given).
    pub public_base: Option<String>,
}

/// Builds the whole application router (tests call this directly).
pub fn app(state: AppState) -> Router {
    Router::new()
        .nest("/api/v1", api::router())
        .nest("/ogc", ogc::router())
        .merge(api::root_router())
        .fallback(fallback)
        .with_state(state)
}

/// Unknown routes: a JSON 404 (or 405 for a known path with the wrong method).
async fn fallback(req: Request) -> impl IntoResponse {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return ApiError::MethodNotAllowed;
    }
    ApiError::NotFound(format!("no route for {}", req.uri().path()))
}

/// Opens the database and serves until Ctrl-C or SIGTERM.
pub async fn serve(
    db_path: &Path,
    addr: SocketAddr,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    let db = Db::open(db_path, 4, db::DEFAULT_QUERY_TIMEOUT, today)?;
    let state = AppState {
        db,
        config: Arc::new(ServerConfig { public_base: None }),
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    println!(
        "创新资源布局图 Innovation Atlas: http://{local}/  (database {})",
        db_path.display()
    );
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("server stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing open requests");
}

/// Grace period tests may wait for a shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
