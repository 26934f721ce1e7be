//! The map server: `atlas serve`. Thin axum handlers over the store.
//!
//! - [`db`]: the connection pool (blocking threads only, per-query time limit).
//! - [`error`]: `ApiError`, the one place library errors become HTTP responses.
//! - [`api`]: `/api/v1/…` JSON/GeoJSON routes and exports.
//! - [`ogc`]: OGC API – Features (Part 1 Core + GeoJSON) under `/ogc`.

pub mod api;
pub mod assets;
pub mod db;
pub mod error;
pub mod ogc;

use axum::extract::Request;
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
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// The address the server listens on (for absolute links when no Host header is given).
    pub public_base: Option<String>,
    /// The map page's base map (`atlas serve --basemap …`); offline by default.
    pub basemap: assets::Basemap,
}

/// The largest request body the server reads (no route takes a body yet).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// Builds the whole application router (tests call this directly).
///
/// Middleware, outermost first:
/// 1. `TraceLayer`: one span per request (method, URI) and one `INFO` line per response with
///    its status and latency in milliseconds; `5xx` are logged as errors.
/// 2. `CompressionLayer`: gzip or brotli as the client's `Accept-Encoding` asks, for bodies of
///    32 bytes and more, except images and XLSX (already a zip). Adds `Vary: Accept-Encoding`.
/// 3. [`error::json_errors`]: every `4xx`/`5xx` made outside a handler (axum's empty `405`, the
///    body limit's `413`, a plain-text rejection) becomes the JSON error body.
/// 4. `RequestBodyLimitLayer`: a request whose body is larger than [`BODY_LIMIT_BYTES`] gets
///    `413` before any handler runs.
///
/// Unknown paths (any method) get a JSON `404` from [`fallback`]; a known path with another
/// method gets `405` with an `Allow` header.
pub fn app(state: AppState) -> Router {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse};
    let compress_when = DefaultPredicate::new().and(NotForContentType::const_new(
        "application/vnd.openxmlformats",
    ));
    let middleware = tower::ServiceBuilder::new()
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(
                    DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        )
        .layer(tower_http::compression::CompressionLayer::new().compress_when(compress_when))
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            BODY_LIMIT_BYTES,
        ));
    Router::new()
        .nest("/api/v1", api::router())
        .nest("/ogc", ogc::router())
        .route("/ogc/", axum::routing::get(ogc::landing))
        .merge(api::root_router())
        .merge(assets::router())
        .fallback(fallback)
        .layer(middleware)
        .with_state(state)
}

/// Unknown routes, whatever the method: a JSON 404.
async fn fallback(req: Request) -> impl IntoResponse {
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
pub async fn start(
    db_path: &Path,
    addr: SocketAddr,
    today: chrono::NaiveDate,
) -> anyhow::Result<RunningServer> {
    start_with(db_path, addr, today, ServerConfig::default()).await
}

/// [`start`] with settings.
pub async fn start_with(
    db_path: &Path,
    addr: SocketAddr,
    today: chrono::NaiveDate,
    config: ServerConfig,
) -> anyhow::Result<RunningServer> {
    let db = Db::open(db_path, 4, db::DEFAULT_QUERY_TIMEOUT, today)?;
    let state = AppState {
        db,
        config: Arc::new(config),
    };
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
    Ok(RunningServer {
        addr,
        state,
        stop: Some(tx),
        task,
    })
}

/// Opens the database and serves until Ctrl-C or SIGTERM (`atlas serve`).
pub async fn serve(
    db_path: &Path,
    addr: SocketAddr,
    today: chrono::NaiveDate,
    config: ServerConfig,
) -> anyhow::Result<()> {
    let server = start_with(db_path, addr, today, config).await?;
    println!(
        "创新资源布局图 Innovation Atlas: {}/  (database {})",
        server.url(),
        db_path.display()
    );
    // Keep the stop sender alive: dropping it would end the server at once.
    let RunningServer {
        task,
        stop: _keep_running,
        ..
    } = server;
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
