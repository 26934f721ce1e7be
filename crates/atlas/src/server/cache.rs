//! The one cache of the server, kept in [`super::AppState`] and keyed by the store's
//! [`Store::data_version`] (a counter every import, edit and reference change bumps in its own
//! transaction): the reference data (chains, townships, district, indicators), the spatial
//! extent of each OGC collection, and the `ETag` of every data GET of `/api/v1` and `/ogc`.
//!
//! # `ETag`, `304`, `Cache-Control`
//! Data GETs carry a weak `ETag` made of the data version, a per-process nonce (so a restart, a
//! new build or another database file never reuses a tag), the generation of the server's
//! database file (a file renamed into its path under the running server starts a new one, see
//! [`super::db::Db::generation`]) and a hash of the route with its
//! *normalised* query (the parsed filter written back in canonical form, the effective limit
//! and offset, the link base). A request whose `If-None-Match` holds the current tag gets `304
//! Not Modified` after one indexed lookup, without running its query (see
//! [`super::extractors::Req::cached`]). The version is read *before* the data, so a concurrent
//! write can at worst label newer data with the older tag (refreshed on the next request),
//! never the reverse. Tags are weak because the bytes differ with the content coding
//! (gzip/brotli) while the data is the same.
//!
//! Vector tiles that are costly to make (the dense low-zoom ones every map view starts from)
//! are kept too, per data version, within a small budget ([`Cache::tile`]).
//!
//! `Cache-Control: public, max-age=60, must-revalidate`: the catalogue changes a few times a
//! year, by import, and is public; a minute of reuse without asking keeps a map's repeated
//! panning free, and after that a revalidation is a cheap `304`, so an import shows everywhere
//! within a minute.

use crate::server::error::ApiResult;
use atlas_core::dataset::Reference;
use atlas_core::{BBox, Category, Labelled, SiteFilter};
use atlas_store::{Store, StoreError};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// `Cache-Control` of data GETs (see the module documentation).
pub const CACHE_CONTROL_DATA: &str = "public, max-age=60, must-revalidate";

/// Exports that may run at the same time; the pool keeps its other readers for the API.
pub const MAX_CONCURRENT_EXPORTS: usize = 2;

/// Spatial extent of all sites (`[0]`) and of each category (in [`Category::ALL`] order);
/// `None` where there is no site.
pub type Extents = [Option<BBox>; 4];

/// Vector tiles that took at least this long to make are kept (per data version), so the
/// few dense low-zoom tiles every map starts from are made once per change of the data.
pub const TILE_KEEP_AFTER: std::time::Duration = std::time::Duration::from_millis(2);

/// At most this many bytes of kept tiles; past it, the kept tiles are dropped.
const TILE_BYTES: usize = 8 << 20;

/// A data version within one generation of the database file: equal stamps, equal data.
type Stamp = (u64, u64);

/// What is kept for one data version.
#[derive(Debug, Default)]
struct Entry {
    stamp: Stamp,
    reference: Option<Arc<Reference>>,
    extents: Option<Arc<Extents>>,
    /// Costly vector tiles by route key (tile and canonical filter), with their total size.
    tiles: std::collections::HashMap<String, Arc<Vec<u8>>>,
    tile_bytes: usize,
}

/// The cache (one per server, shared by every handler).
#[derive(Debug)]
pub struct Cache {
    nonce: u64,
    /// The generation of the database file ([`super::db::Db::generation`]).
    generation: Arc<AtomicU64>,
    entry: Mutex<Entry>,
    /// Exports running at once (each holds a database reader for its whole duration).
    pub(crate) exports: Arc<tokio::sync::Semaphore>,
}

impl Cache {
    /// An empty cache with a fresh nonce, over the database file generations `generation`.
    pub fn new(generation: Arc<AtomicU64>) -> Self {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Self {
            nonce: fnv1a(
                format!("{t}-{}-{}", std::process::id(), env!("CARGO_PKG_VERSION")).as_bytes(),
            ),
            generation,
            entry: Mutex::new(Entry::default()),
            exports: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_EXPORTS)),
        }
    }

    /// The weak ETag of `key` at data version `version`.
    pub fn etag(&self, version: u64, key: &str) -> String {
        let (generation, version) = self.stamp(version);
        format!(
            "W/\"{:08x}-{generation}.{version}-{:016x}\"",
            self.nonce & 0xffff_ffff,
            fnv1a(key.as_bytes())
        )
    }

    /// `version` within the current generation of the database file (read under the
    /// database's lock, so it is the generation of the connection that read `version`).
    fn stamp(&self, version: u64) -> Stamp {
        (self.generation.load(Ordering::SeqCst), version)
    }

    /// Returns what `pick` finds for `version`, or computes it with `make` and keeps it
    /// (dropping everything kept for another version). A poisoned lock only means computing
    /// again: the cache is an optimisation.
    fn kept<T>(
        &self,
        version: u64,
        pick: impl Fn(&Entry) -> Option<Arc<T>>,
        put: impl FnOnce(&mut Entry, Arc<T>),
        make: impl FnOnce() -> ApiResult<T>,
    ) -> ApiResult<Arc<T>> {
        let stamp = self.stamp(version);
        if let Ok(entry) = self.entry.lock() {
            if entry.stamp == stamp {
                if let Some(hit) = pick(&entry) {
                    return Ok(hit);
                }
            }
        }
        let value = Arc::new(make()?);
        if let Ok(mut entry) = self.entry.lock() {
            if entry.stamp != stamp {
                *entry = Entry {
                    stamp,
                    ..Entry::default()
                };
            }
            put(&mut entry, Arc::clone(&value));
        }
        Ok(value)
    }

    /// The reference data (chains, townships, district, indicators) at `version`, read from
    /// `store` only when the version changed since the last call.
    pub fn reference(&self, store: &Store, version: u64) -> ApiResult<Arc<Reference>> {
        self.kept(
            version,
            |e| e.reference.clone(),
            |e, v| e.reference = Some(v),
            || Ok(store.reference()?),
        )
    }

    /// The extent of all sites and of each category at `version` (one pass over all sites the
    /// first time, e.g. ~0.3 s at 100 000 sites; kept afterwards).
    pub fn extents(&self, store: &Store, version: u64) -> ApiResult<Arc<Extents>> {
        self.kept(
            version,
            |e| e.extents.clone(),
            |e, v| e.extents = Some(v),
            || {
                let mut out: Extents = [None; 4];
                store.for_each(&SiteFilter::default(), |site| {
                    // A site without location has no extent.
                    let Some(b) = site.bbox() else {
                        return Ok(());
                    };
                    let own = Category::ALL
                        .iter()
                        .position(|c| *c == site.category)
                        .map(|i| i + 1);
                    for i in std::iter::once(0).chain(own) {
                        out[i] = Some(out[i].map_or(b, |o| o.union(&b)));
                    }
                    Ok::<(), StoreError>(())
                })?;
                Ok(out)
            },
        )
    }
}

impl Cache {
    /// The vector tile of route key `key` at `version`: kept, or made by `make` (and kept when
    /// making it took [`TILE_KEEP_AFTER`] or more).
    pub fn tile(
        &self,
        version: u64,
        key: &str,
        make: impl FnOnce() -> ApiResult<Vec<u8>>,
    ) -> ApiResult<Arc<Vec<u8>>> {
        let stamp = self.stamp(version);
        if let Ok(entry) = self.entry.lock() {
            if entry.stamp == stamp {
                if let Some(hit) = entry.tiles.get(key) {
                    return Ok(Arc::clone(hit));
                }
            }
        }
        let started = std::time::Instant::now();
        let bytes = Arc::new(make()?);
        if started.elapsed() >= TILE_KEEP_AFTER {
            if let Ok(mut entry) = self.entry.lock() {
                if entry.stamp != stamp {
                    *entry = Entry {
                        stamp,
                        ..Entry::default()
                    };
                }
                if entry.tile_bytes + bytes.len() > TILE_BYTES {
                    entry.tiles.clear();
                    entry.tile_bytes = 0;
                }
                entry.tile_bytes += bytes.len();
                entry.tiles.insert(key.to_string(), Arc::clone(&bytes));
            }
        }
        Ok(bytes)
    }
}

/// FNV-1a, 64 bit: a stable hash for ETags (not for security).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// True when an `If-None-Match` header value names `etag` (weak comparison, RFC 9110 §13.1.2).
pub fn etag_matches(header: &str, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let want = opaque(etag);
    header
        .split(',')
        .any(|t| t.trim() == "*" || opaque(t) == want)
}

/// `304 Not Modified` with its `ETag` and `Cache-Control`.
pub fn not_modified(etag: &str) -> Response {
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    set_cache_headers(&mut r, etag);
    r
}

/// `200 OK` with a body, its media type, `ETag` and `Cache-Control`.
pub fn with_etag(content_type: &'static str, etag: &str, body: Vec<u8>) -> Response {
    let mut r = ([(CONTENT_TYPE, content_type)], body).into_response();
    set_cache_headers(&mut r, etag);
    r
}

fn set_cache_headers(r: &mut Response, etag: &str) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        r.headers_mut().insert(ETAG, v);
    }
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL_DATA));
}
