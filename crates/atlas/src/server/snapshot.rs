//! The server's public GETs answered without a network, for `atlas publish`: a published
//! document is byte for byte what `/api/v1` answers, made by the same handlers (one writer of
//! each JSON shape and each download). Only reads are asked for; nothing here listens.

use super::db::{self, Db};
use super::{app, AppState, ServerConfig};
use anyhow::Context as _;
use atlas_core::clock::Clock;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
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

/// Answers each of `asks` over the database at `db_path`, in order: answers with a file are
/// streamed into it as the handler writes them (a download of a large catalogue is never held
/// whole), the others are returned, in order. Links in the answers are relative
/// (`./api/v1/…`). Any answer but `200` is an error naming the path.
pub async fn render(db_path: &Path, clock: Clock, asks: &[Ask]) -> anyhow::Result<Vec<Vec<u8>>> {
    let db = Db::open(db_path, 2, db::DEFAULT_QUERY_TIMEOUT, clock.today(), clock)?;
    let config = ServerConfig {
        public_base: Some(".".into()),
        ..ServerConfig::default()
    };
    let router = app(AppState::new(db, config, clock));
    let mut kept = Vec::new();
    for ask in asks {
        let req = Request::get(ask.get.as_str())
            .header(header::HOST, "localhost")
            .body(Body::empty())?;
        let res = router.clone().oneshot(req).await?;
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
            Some(path) => stream_into(body, path)
                .await
                .with_context(|| format!("GET {} into {}", ask.get, path.display()))?,
            None => kept.push(body.collect().await?.to_bytes().to_vec()),
        }
    }
    Ok(kept)
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
