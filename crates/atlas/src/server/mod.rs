//! The map server: `atlas serve`. Thin axum handlers over the store.
//!
//! - [`state`], [`config`]: what every handler shares; settings fixed at start.
//! - [`db`]: the connection pool (blocking threads only, per-query time limit).
//! - [`error`]: `ApiError`, the one place library errors become HTTP responses.
//! - [`extractors`]: `Req` (with the conditional data GET), `PathId`, `JsonBody`.
//! - [`cache`]: reference data, OGC extents and `ETag`s per data version.
//! - [`features`]: the one FeatureCollection, link and paging writer, and the base URL of links.
//! - [`headers`]: security headers; [`assets`]: the map page.
//! - [`listen`]: the accept loop and its limits on slow and hostile clients.
//! - [`auth`]: bearer tokens on writes (roles, remembered checks, failures per address).
//! - [`api`]: `/api/v1/…`, one file per URL space.
//! - [`ogc`]: OGC API – Features (Part 1 Core + GeoJSON) under `/ogc`.
//! - [`tiles`]: vector tiles (MVT) with exact clusters and their TileJSON, under `/tiles`.
//! - [`snapshot`]: public GETs answered in-process, for `atlas publish`.

pub mod api;
pub mod assets;
pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod error;
pub mod extractors;
pub mod features;
pub mod headers;
pub mod listen;
pub mod ogc;
pub mod snapshot;
pub mod state;
pub mod tiles;

pub use config::{Limits, ServerConfig, BODY_LIMIT_BYTES, IMPORT_LIMIT_BYTES};
pub use state::AppState;

use atlas_core::clock::Clock;
use axum::extract::Request;
use axum::response::IntoResponse;
use axum::Router;
use db::Db;
use error::ApiError;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Compression level of responses (gzip and brotli): the fastest that still compresses well.
const COMPRESSION: tower_http::CompressionLevel = tower_http::CompressionLevel::Precise(1);

/// Builds the whole application router (tests call this directly).
///
/// Middleware, outermost first:
/// 1. Security headers on every response ([`headers`]).
/// 2. `TraceLayer`: one span per request with the method and the *path* (never the query
///    string or headers, so no token can reach the log) and one `INFO` line per response with
///    its status and latency in milliseconds; `5xx` are logged as errors.
/// 3. `CompressionLayer`: gzip or brotli as the client's `Accept-Encoding` asks, for bodies of
///    32 bytes and more, except images and XLSX (already a zip). Adds `Vary: Accept-Encoding`.
///    Level 1 ([`COMPRESSION`]): a 100-site page (118 KB of JSON) compresses to 13 KB in
///    0.46 ms, against 9.7 KB in 1.0 ms at gzip's default level 6 — more than the page costs to
///    make; on an intranet the time matters more than the last kilobytes.
/// 4. [`error::json_errors`]: every `4xx`/`5xx` made outside a handler (axum's empty `405`, the
///    body limit's `413`, a plain-text rejection) becomes the JSON error body.
/// 5. `TimeoutLayer`: a request whose response head is not ready within
///    [`config::Limits::request_timeout`] gets `408 request_timeout` (a slow upload, a slow
///    handler); the body timeout and the connection limits are [`listen`]'s.
/// 6. Per route group, `RequestBodyLimitLayer`: a request whose body is larger than
///    [`BODY_LIMIT_BYTES`] ([`IMPORT_LIMIT_BYTES`] for the two import routes) gets `413`
///    before any handler runs (see [`api::router`]).
///
/// Unknown paths (any method) get a JSON `404` from [`fallback`]; a known path with another
/// method gets `405` with an `Allow` header.
pub fn app(state: AppState) -> Router {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    use tower_http::trace::DefaultOnResponse;
    let compress_when = DefaultPredicate::new().and(NotForContentType::const_new(
        "application/vnd.openxmlformats",
    ));
    let middleware = tower::ServiceBuilder::new()
        .layer(headers::layers(&state.config.basemap))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                .on_response(
                    DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        )
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(COMPRESSION)
                .compress_when(compress_when),
        )
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            state.config.limits.request_timeout,
        ));
    let small = tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT_BYTES);
    let others = Router::new()
        .nest("/ogc", ogc::router())
        .nest("/tiles", tiles::router())
        .route("/ogc/", axum::routing::get(ogc::landing))
        .merge(api::root_router())
        .merge(assets::router())
        .layer(small);
    Router::new()
        .nest("/api/v1", api::router())
        .merge(others)
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

/// Opens (creating with the default dataset stamped `today` when missing or empty) the
/// database and serves on `addr` in the background; port 0 becomes a free port (read it back
/// from [`RunningServer::addr`]). The clock is the process's ([`crate::app::clock::current`]).
pub async fn start(
    db_path: &Path,
    addr: SocketAddr,
    today: chrono::NaiveDate,
) -> anyhow::Result<RunningServer> {
    let clock = crate::app::clock::current();
    start_with(db_path, addr, today, clock, ServerConfig::default()).await
}

/// [`start`] with a clock and settings.
pub async fn start_with(
    db_path: &Path,
    addr: SocketAddr,
    today: chrono::NaiveDate,
    clock: Clock,
    config: ServerConfig,
) -> anyhow::Result<RunningServer> {
    let db = Db::open(
        db_path,
        db::default_readers(),
        db::DEFAULT_QUERY_TIMEOUT,
        today,
        clock,
    )?;
    let limits = config.limits;
    let state = AppState::new(db, config, clock);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = app(state.clone());
    let db = Arc::clone(&state.db);
    let task = tokio::spawn(async move {
        let served = listen::serve(listener, router, limits, async move {
            tokio::select! {
                _ = rx => {},
                _ = shutdown_signal() => {},
            }
        })
        .await;
        store_list_index(&db).await;
        served
    });
    Ok(RunningServer {
        addr,
        state,
        stop: Some(tx),
        task,
    })
}

/// Opens the database and serves until Ctrl-C or SIGTERM (`atlas serve`), with the process's
/// clock ([`crate::app::clock::current`]).
pub async fn serve(db_path: &Path, addr: SocketAddr, config: ServerConfig) -> anyhow::Result<()> {
    let clock = crate::app::clock::current();
    let server = start_with(db_path, addr, clock.today(), clock, config).await?;
    println!(
        "创新资源布局图 Innovation Atlas: {}/  (database {})",
        server.url(),
        db_path.display()
    );
    let users = server.state.db.read(|s| Ok(s.users()?)).await?;
    if !users
        .iter()
        .any(|u| u.revoked_at.is_none() && u.role == atlas_store::Role::Admin)
    {
        // A hint only: a closed standard output must not stop the server.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stdout(),
            "还没有管理员 no admin yet: reading is public; to edit, create one with \
             `atlas user add NAME --role admin` (the token is printed once)"
        );
    }
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

/// Stores the list index in the database as it is when the server stops, so the next start
/// reads it instead of scanning every site (`atlas_store::Store::store_list_index`; nothing
/// for a small catalogue, or when the stored copy is current). Best effort: a failure only
/// means the next start scans.
async fn store_list_index(db: &Arc<Db>) {
    match db.write(|s| Ok(s.store_list_index()?)).await {
        Ok(true) => tracing::info!("list index stored for the next start"),
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "could not store the list index"),
    }
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
