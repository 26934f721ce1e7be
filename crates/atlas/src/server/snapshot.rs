//! The server's public GETs answered without a network, for `atlas publish`: a published
//! document is byte for byte what `/api/v1` answers, made by the same handlers (one writer of
//! each JSON shape and each download). Only reads are asked for; nothing here listens.

use super::db::{self, Db};
use super::{app, AppState, ServerConfig};
use anyhow::Context as _;
use atlas_core::clock::Clock;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use futures_util::{StreamExt as _, TryStreamExt as _};
use http_body_util::BodyExt as _;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt as _;
use tower::ServiceExt as _;

/// One GET to answer (`/api/v1/chains`, `/api/v1/export?format=csv`, …) and where its answer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    /// The path and query.
    pub get: String,
    /// The file the answer is streamed into (its folders are created); `None`: kept in memory.
    pub file: Option<PathBuf>,
}

/// How many answers are made at once (one a core on a small machine: an export is mostly one
/// thread's work).
const AT_ONCE: usize = 2;

/// Answers each of `asks` over the database at `db_path`, [`AT_ONCE`] at a time: answers with a
/// file are streamed into it as the handler writes them (a download of a large catalogue is
/// never held whole), the others are returned, in the order asked. Links in the answers are
/// relative (`./api/v1/…`). Any answer but `200` is an error naming the path.
pub async fn render(db_path: &Path, clock: Clock, asks: &[Ask]) -> anyhow::Result<Vec<Vec<u8>>> {
    let db = Db::open(
        db_path,
        AT_ONCE,
        db::DEFAULT_QUERY_TIMEOUT,
        clock.today(),
        clock,
    )?;
    let config = ServerConfig {
        public_base: Some(".".into()),
        ..ServerConfig::default()
    };
    let router = app(AppState::new(db, config, clock));
    let answers: Vec<Option<Vec<u8>>> = futures_util::stream::iter(asks)
        .map(|ask| answer(router.clone(), ask))
        .buffered(AT_ONCE)
        .try_collect()
        .await?;
    Ok(answers.into_iter().flatten().collect())
}

/// The answer to `ask`: written into its file (`None`), or returned.
async fn answer(router: axum::Router, ask: &Ask) -> anyhow::Result<Option<Vec<u8>>> {
    let req = Request::get(ask.get.as_str())
        .header(header::HOST, "localhost")
        .body(Body::empty())?;
    let res = router.oneshot(req).await?;
    let status = res.status();
    let body = res.into_body();
    if status != StatusCode::OK {
        let text = body.collect().await?.to_bytes();
        anyhow::bail!(
            "GET {}: {status}: {}",
            ask.get,
            String::from_utf8_lossy(&text)
                .chars()
                .take(300)
                .collect::<String>()
        );
    }
    match &ask.file {
        Some(path) => {
            stream_into(body, path)
                .await
                .with_context(|| format!("GET {} into {}", ask.get, path.display()))?;
            Ok(None)
        }
        None => Ok(Some(body.collect().await?.to_bytes().to_vec())),
    }
}

/// Writes `body` into the file at `path` frame by frame.
async fn stream_into(mut body: Body, path: &Path) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let mut file = tokio::io::BufWriter::new(tokio::fs::File::create(path).await?);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            file.write_all(&data).await?;
        }
    }
    file.flush().await?;
    Ok(())
}
