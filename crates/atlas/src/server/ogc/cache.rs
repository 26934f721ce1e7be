//! What every OGC request would otherwise re-read: the reference data (township names for the
//! features' `town_name`) and each collection's spatial extent, which costs a pass over all
//! sites. Both are kept per database file and [`Store::data_version`], which every import and
//! reference change bumps in its own transaction, so a change is visible at the next request.

use super::Coll;
use crate::server::error::ApiError;
use atlas_core::dataset::Reference;
use atlas_core::{BBox, SiteFilter};
use atlas_store::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Spatial extent of each collection, in [`Coll::ALL`] order; `None` for an empty collection.
pub type Extents = [Option<BBox>; 4];

#[derive(Default)]
struct Entry {
    path: PathBuf,
    version: u64,
    reference: Option<Arc<Reference>>,
    extents: Option<Arc<Extents>>,
}

static CACHE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// Returns the cached value `pick` finds for `path` at the store's data version, or computes it
/// with `make` and keeps it. The version is read before `make` reads (both in the caller's
/// connection), so a write racing with it only makes the next request compute again.
fn cached<T>(
    store: &Store,
    path: &Path,
    pick: impl Fn(&Entry) -> Option<Arc<T>>,
    put: impl FnOnce(&mut Entry, Arc<T>),
    make: impl FnOnce() -> Result<T, ApiError>,
) -> Result<Arc<T>, ApiError> {
    let now = store.data_version()?;
    {
        let cache = CACHE
            .lock()
            .map_err(|_| ApiError::internal("OGC cache poisoned"))?;
        if let Some(hit) = cache
            .iter()
            .find(|e| e.path == path && e.version == now)
            .and_then(&pick)
        {
            return Ok(hit);
        }
    }
    let value = Arc::new(make()?);
    let mut cache = CACHE
        .lock()
        .map_err(|_| ApiError::internal("OGC cache poisoned"))?;
    let i = match cache.iter().position(|e| e.path == path) {
        Some(i) => i,
        None => {
            cache.push(Entry {
                path: path.to_path_buf(),
                ..Entry::default()
            });
            cache.len() - 1
        }
    };
    let entry = &mut cache[i];
    if entry.version != now {
        *entry = Entry {
            path: path.to_path_buf(),
            version: now,
            ..Entry::default()
        };
    }
    put(entry, Arc::clone(&value));
    Ok(value)
}

/// The reference data of the database at `path` (read through `store`).
pub fn reference(store: &Store, path: &Path) -> Result<Arc<Reference>, ApiError> {
    cached(
        store,
        path,
        |e| e.reference.clone(),
        |e, v| e.reference = Some(v),
        || Ok(store.reference()?),
    )
}

/// The extent of each collection of the database at `path` (one pass over all sites the first
/// time, e.g. ~0.3 s at 100 000 sites; cached afterwards).
pub fn extents(store: &Store, path: &Path) -> Result<Arc<Extents>, ApiError> {
    cached(
        store,
        path,
        |e| e.extents.clone(),
        |e, v| e.extents = Some(v),
        || {
            let mut out: Extents = [None; 4];
            store.for_each(&SiteFilter::default(), |site| {
                let b = site.location.geometry.bbox();
                for (i, c) in Coll::ALL.iter().enumerate() {
                    if c.holds(site.category) {
                        out[i] = Some(out[i].map_or(b, |o| o.union(&b)));
                    }
                }
                Ok::<(), StoreError>(())
            })?;
            Ok(out)
        },
    )
}
