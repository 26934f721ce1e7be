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

/// A server running in the background (tests, benchmarks): its address and a way to stop it.
#[derive(Debug)]
pub struct RunningServer {
    /// The bound address (port 0 becomes a real port).
    pub addr: SocketAddr,
    /// The shared state (e.g. to reach the database in tests).
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// `http://addr` without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task).await???;
        Ok(())
    }
}

/// Opens (creating with the default dataset when missing or empty) the database and starts
/// serving on `addr` in the background.
pub async fn start(db_path: &Path, addr: SocketAddr, today: chrono::NaiveDate) -> anyhow::Result<RunningServer> {
    let db = Db::open(db_path, 4, db::DEFAULT_QUERY_TIMEOUT, today)?;
    let state = AppState { db, config: Arc::new(ServerConfig { public_base: None }) };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = app(state.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                tokio::select! {
                    _ = rx => {},
                    _ = shutdown_signal() => {},
                }
            })
            .await
    });
    Ok(RunningServer { addr, state, stop: Some(tx), task })
}

/// Opens the database and serves until Ctrl-C or SIGTERM (`atlas serve`).
pub async fn serve(db_path: &Path, addr: SocketAddr, today: chrono::NaiveDate) -> anyhow::Result<()> {
    let server = start(db_path, addr, today).await?;
    println!("创新资源布局图 Innovation Atlas: {}/  (database {})", server.url(), db_path.display());
    // Keep the stop sender alive: dropping it would end the server at once.
    let RunningServer { task, stop: _keep_running, .. } = server;
    task.await??;
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
