//! `atlas publish`: the catalogue (or a filter of it) as a static web site that any file server
//! can host — the map page of `web/` in its static mode, reading the files written here instead
//! of `/api/v1`.
//!
//! What a publication holds (all URLs relative, so it works under any base path):
//! - `index.html`, `js/`, `css/`, `style/`, `vendor/`: the page ([`crate::app::web::Web`]), but
//!   for its staff code ([`STAFF_CODE`]);
//! - `config.json`: `{"mode": "static", …}`, which switches the page to its static data source
//!   (`web/js/published.js`);
//! - `data/`: the API's own answers for the reference documents (chains, divisions,
//!   vocabularies, boundaries, indicators, each chain's analysis, the unfiltered facets and
//!   township counts as templates), rendered by the server's handlers
//!   ([`crate::server::snapshot`]), plus [`table`]'s columnar table, detail chunks and search
//!   index, and [`tiles`]' PMTiles archive;
//! - `downloads/`: XLSX, CSV, GeoJSON and KML of the published catalogue, the chain reports and
//!   the progress board, as the API's export routes write them;
//! - `about.html` ([`about`]) and `manifest.json` ([`manifest`]: every file's hash, for `--check`).
//!
//! Nothing internal is written: no users, tokens or revisions are read. Output bytes depend only
//! on the catalogue and the clock (`ATLAS_NOW` fixes it).

pub mod about;
pub mod manifest;
pub mod table;
pub mod tiles;

use atlas_core::{ChainId, SiteFilter};
use atlas_store::{Store, StoreError};
use std::path::{Path, PathBuf};

/// What can go wrong while publishing.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Reading the catalogue.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A document that is not what the API answers.
    #[error("unexpected document {what}: {message}")]
    Document {
        /// Which.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// Encoding a tile or writing the archive.
    #[error("tiles: {0}")]
    Tiles(String),
}

/// A `Result` of publishing.
pub type Result<T> = std::result::Result<T, PublishError>;

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `dir/rel`, creating folders.
pub fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    std::fs::write(&path, bytes).map_err(io_err(&path))
}

/// The settings of one publication.
#[derive(Debug, Clone)]
pub struct Options {
    /// The page's title (defaults to the plan's map title).
    pub title: Option<String>,
    /// Where the folder will be hosted (`/kjcx/atlas/`), for the about page only: every URL
    /// of the publication is relative.
    pub base_path: String,
    /// The filter the catalogue was published with (empty: everything), as its query string.
    pub filter_query: String,
}

/// The chain reports' formats published for each chain.
const REPORT_FORMATS: [&str; 2] = ["xlsx", "csv"];
/// The catalogue's download formats, with their file extensions.
pub const DOWNLOADS: [(&str, &str); 5] = [
    ("xlsx", "xlsx"),
    ("csv", "csv"),
    ("geojson", "geojson"),
    ("kml", "kml"),
    ("gpkg", "gpkg"),
];
/// Sites per page asked of the API (its largest page).
pub const PAGE: u64 = 10_000;

/// One document the API answers, and where the publication keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The GET (`/api/v1/chains`).
    pub get: String,
    /// The file in the publication (`data/chains.json`); `None` for pages of sites, which
    /// [`table`] splits into its own files.
    pub file: Option<String>,
}

fn doc(get: impl Into<String>, file: impl Into<String>) -> Document {
    Document {
        get: get.into(),
        file: Some(file.into()),
    }
}

/// Every GET a publication of `store` needs, in a fixed order: the reference documents, each
/// chain's analysis and reports, the progress board's downloads, the catalogue's downloads,
/// then the pages of sites.
pub fn documents(store: &Store) -> Result<Vec<Document>> {
    let mut out = vec![
        doc("/api/v1/chains", "data/chains.json"),
        doc("/api/v1/divisions", "data/divisions.json"),
        doc("/api/v1/vocabularies", "data/vocabularies.json"),
        doc("/api/v1/boundary", "data/boundary.geojson"),
        doc("/api/v1/boundary/context", "data/context.geojson"),
        doc("/api/v1/indicators", "data/indicators.json"),
        doc("/api/v1/facets", "data/facets.json"),
        doc("/api/v1/divisions/counts", "data/town-counts.json"),
        doc(
            "/api/v1/indicators/export?format=xlsx",
            "downloads/indicators.xlsx",
        ),
        doc(
            "/api/v1/indicators/export?format=csv",
            "downloads/indicators.csv",
        ),
    ];
    let chains: Vec<ChainId> = store
        .chains()?
        .chains
        .iter()
        .map(|c| c.id.clone())
        .collect();
    for id in &chains {
        out.push(doc(
            format!("/api/v1/chains/{id}/analysis"),
            format!("data/analysis/{id}.json"),
        ));
        for f in REPORT_FORMATS {
            out.push(doc(
                format!("/api/v1/chains/{id}/report?format={f}"),
                format!("downloads/chains/{id}.{f}"),
            ));
        }
    }
    for (format, ext) in DOWNLOADS {
        out.push(doc(
            format!("/api/v1/export?format={format}"),
            format!("downloads/atlas-sites.{ext}"),
        ));
    }
    let total = store.count(&SiteFilter::default())?;
    let mut offset = 0;
    while offset < total {
        out.push(Document {
            get: format!("/api/v1/sites?limit={PAGE}&offset={offset}"),
            file: None,
        });
        offset += PAGE;
    }
    Ok(out)
}

/// What a publication holds, for the command's report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Sites published.
    pub sites: u64,
    /// Of them with a location (drawn on the map).
    pub located: u64,
    /// Tiles in the archive.
    pub tiles: u64,
    /// Files written.
    pub files: usize,
}

/// Writes the rest of the publication of `store` into the folder `out`, which already holds the
/// answers to the [`documents`] that have a file; `pages` are the answers to the others (the
/// pages of sites), in order.
pub fn write(
    store: &Store,
    out: &Path,
    opts: &Options,
    pages: &[Vec<u8>],
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<Summary> {
    write_page(out)?;
    let built = table::write(store, out, pages)?;
    let tiles = tiles::write(store, out)?;
    let config = config_json(opts, &built, now);
    write_file(out, "config.json", &pretty(&config)?)?;
    let about = about::html(store, opts, now)?;
    write_file(out, "about.html", about.as_bytes())?;
    let files = manifest::write(out, built.sites)?;
    Ok(Summary {
        sites: built.sites,
        located: built.located,
        tiles,
        files,
    })
}

/// The folder of the page's staff code (signing in, editing, importing, the 待定位 worklist): the
/// page loads it on demand where a server can take writes, and a publication leaves it out.
pub const STAFF_CODE: &str = "js/edit/";

/// The page's files, as the server serves them, but for the staff's code.
fn write_page(out: &Path) -> Result<()> {
    for path in crate::app::web::Web::iter() {
        if path.starts_with(STAFF_CODE) {
            continue;
        }
        if let Some(f) = crate::app::web::Web::get(&path) {
            write_file(out, &path, &f.data)?;
        }
    }
    Ok(())
}

/// `config.json`: the page's switch to its static data source, and what it needs to know.
fn config_json(
    opts: &Options,
    built: &table::Built,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> serde_json::Value {
    serde_json::json!({
        "mode": "static",
        "version": env!("CARGO_PKG_VERSION"),
        "basemap": null,
        "title": opts.title,
        "published": now.format("%Y-%m-%d").to_string(),
        "filter": opts.filter_query,
        "total": built.sites,
        "chunk": table::CHUNK,
        "tiles": { "url": tiles::FILE, "minzoom": 0, "maxzoom": atlas_core::tiles::ADVERTISED_MAX_ZOOM },
        "base_path": opts.base_path,
        "downloads": DOWNLOADS
            .iter()
            .map(|(f, e)| ((*f).to_string(), serde_json::Value::from(format!("downloads/atlas-sites.{e}"))))
            .collect::<serde_json::Map<_, _>>(),
    })
}

/// Pretty JSON with a final newline (diffs of two publications stay readable).
pub fn pretty(v: &serde_json::Value) -> Result<Vec<u8>> {
    let mut b = serde_json::to_vec_pretty(v).map_err(|e| PublishError::Document {
        what: "config.json".into(),
        message: e.to_string(),
    })?;
    b.push(b'\n');
    Ok(b)
}
