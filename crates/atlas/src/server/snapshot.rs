//! The server's public GETs answered without a network, for `atlas publish`: a published
//! document is byte for byte what `/api/v1` answers, made by the same handlers (one writer of
//! each JSON shape and each download). Only reads are asked for; nothing here listens.

use super::db::{self, Db};
use super::{app, AppState, ServerConfig};
use atlas_core::clock::Clock;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt as _;
use std::path::Path;
use tower::ServiceExt as _;

/// Answers each GET of `paths` (`/api/v1/chains`, `/api/v1/export?format=csv`, …) over the
/// database at `db_path`, in order. Links in the answers are relative (`./api/v1/…`). Any
/// answer but `200` is an error naming the path.
pub async fn render(
    db_path: &Path,
    clock: Clock,
    paths: &[String],
) -> anyhow::Result<Vec<Vec<u8>>> {
    let db = Db::open(db_path, 2, db::DEFAULT_QUERY_TIMEOUT, clock.today(), clock)?;
    let config = ServerConfig {
        public_base: Some(".".into()),
        ..ServerConfig::default()
    };
    let router = app(AppState::new(db, config, clock));
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let req = Request::get(path.as_str())
            .header(header::HOST, "localhost")
            .body(Body::empty())?;
        let res = router.clone().oneshot(req).await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes().to_vec();
        if status != StatusCode::OK {
            anyhow::bail!(
                "GET {path}: {status}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
        }
        out.push(body);
    }
    Ok(out)
}
