//! # atlas-store: the SQLite store of Innovation Atlas
//!
//! One file holds the catalogue: sites with an R*Tree over their bounding boxes and a full-text
//! index that finds 1- and 2-character Chinese words, the chains and links (data, edited by
//! staff), the townships, the plan's indicators and the district boundary, the revisions of
//! every change, and the users. The store knows nothing of HTTP: its errors say what is wrong
//! and carry a [`ErrorKind`]; a front door maps that kind to its own outcome.
//!
//! ```
//! use atlas_core::{Category, SiteFilter};
//! use atlas_store::Store;
//!
//! let mut store = Store::open_in_memory()?;
//! let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date");
//! let report = store.load_default(today)?;
//! assert!(report.inserted > 0);
//!
//! let chain = store.chains()?.chains[0].id.clone();
//! let filter = SiteFilter {
//!     category: vec![Category::KeyEnterprise],
//!     chain: vec![chain],
//!     limit: Some(10),
//!     ..SiteFilter::default()
//! };
//! store.validate_filter(&filter)?;
//! let page = store.query(&filter)?;
//! let matched = store.count(&filter)?;
//! assert!(page.len() as u64 <= matched);
//! assert!(page.iter().all(|s| filter.matches(s)));
//! # Ok::<(), atlas_store::StoreError>(())
//! ```
//!
//! ## Where to look
//!
//! | What | Where | Main names |
//! |---|---|---|
//! | Opening, pragmas, the clock, `meta`, the data version | `store.rs` | [`Store::open`], [`Store::open_readonly`], [`Store::open_in_memory`], [`Store::set_clock`], [`Store::data_version`], [`Store::interrupt_handle`] |
//! | Reading sites | `read.rs` | [`Store::get`], [`Store::query`], [`Store::page`], [`Store::page_ref`], [`Store::for_each`], [`Store::for_each_on_thread`], [`Store::count`], [`Store::facets`], [`Store::chain_counts`], [`Store::counts_by_town`], [`Store::validate_filter`], [`Store::explain`] |
//! | The one writer of every change of a site | `write.rs` | `Writer`, [`ImportReport`], [`Action`] |
//! | Imports (many sites in one transaction, the bulk path) | `bulk.rs` | [`Store::import_sites`], [`Store::import_sites_by`], [`Store::load_default`] |
//! | One site at a time, with history | `revisions.rs` | [`Store::create_site`], [`Store::update_site`], [`Store::delete_site`], [`Store::restore_site`], [`Store::revert_site`], [`Store::history`], [`Store::deleted_sites`] |
//! | Chains, links, townships, indicators, boundary | `reference.rs` | [`Store::reference`], [`Store::replace_reference`], [`Store::replace_chains`], [`Store::check_chains`], [`Store::replace_indicators`] |
//! | How a read is answered fast | `index/` | `plan` (which path a read takes), `listing` (in-memory list index), `shared` ([`SharedIndex`]: one list index per process, [`Store::attach_index`]), `dicts` (interned counts), `rtree`, `search` |
//! | `SiteFilter` → SQL | `query.rs` | `list_sql`, `count_sql` |
//! | Facets and counts per chain | `facets.rs` | [`Facets`], [`ChainCount`] |
//! | Rows ↔ `Site`, SQL text | `row.rs`, `sql.rs` | |
//! | Users, backups, schema | `users.rs`, `backup.rs`, `migrations.rs` | [`Role`], [`Store::backup_to`], [`check_database`] |
//! | GeoPackage export (OGC GeoPackage 1.3: SRS, contents with the box, binary geometries, R-tree) | `gpkg.rs` | [`Store::export_gpkg`], [`Store::export_gpkg_into`], [`gpkg::GpkgWriter`], [`gpkg::GpkgSrs`] |
//! | Vector tiles: markers of a filter in a tile, binned into exact clusters | `tiles.rs` | [`Store::tile`], [`Store::marker_bounds`] |
//! | Errors | `error.rs` | [`StoreError`], [`ErrorKind`] |
//!
//! ## Invariants
//!
//! - Reading: every read takes a [`atlas_core::SiteFilter`] and returns exactly the sites
//!   [`atlas_core::SiteFilter::matches`] accepts, whichever index answers (the `index::plan`
//!   module chooses; results never depend on it). List order: category (vocabulary order),
//!   then Chinese name (code-point order), then id.
//! - Writing: every change of a site (an import's rows included) goes through the one writer,
//!   in one transaction that also writes its revision (who, when, the action, the record
//!   before and after) and bumps the data version. A deleted site leaves `sites`, so no read
//!   path knows about deletion; its record lives on in its deletion's revision.
//! - Optimistic concurrency on a site's `version`.
//! - "Now" comes from the store's [`atlas_core::clock::Clock`] (the system's by default).
//!
//! A `Store` owns one connection: it is `Send`, not `Sync`. A server opens one read-write store
//! and, if it wants parallel reads, several [`Store::open_readonly`] ones (WAL allows both),
//! all attached to one [`SharedIndex`] (one in-memory list index for the process, moved in
//! place by the writer's single-site changes).

mod backup;
mod bulk;
mod checkpoint;
mod error;
mod expr_sql;
mod facets;
mod file;
pub mod gpkg;
mod index;
pub mod migrations;
mod query;
mod read;
mod reference;
mod revisions;
mod row;
mod sql;
mod store;
#[cfg(feature = "test-support")]
pub mod synth;
mod tiles;
pub mod users;
mod vfs;
mod write;

pub use backup::check_database;
pub use checkpoint::Checkpointer;
pub use error::{ErrorKind, InUse, Result, StoreError};
pub use facets::{ChainCount, FacetCount, Facets, LinkCount};
pub use file::{FileId, FileState};
pub use index::shared::SharedIndex;
pub use read::TownCounts;
pub use reference::ChainsReplaced;
pub use revisions::{DeletedSite, Revision, Saved};
pub use rusqlite::InterruptHandle;
pub use store::{Store, BUSY_TIMEOUT, DEFAULT_DATASET, SPATIAL_THRESHOLD};
pub use users::{Role, User};
pub use write::{Action, ImportReport};
