//! # atlas-store: the SQLite store of Innovation Atlas
//!
//! One file holds the catalogue: sites with an R*Tree over their bounding boxes and a full-text
//! index that finds 1- and 2-character Chinese words, the chains and links (data, edited by
//! staff), the townships, the plan's indicators and the district boundary. The store knows
//! nothing of HTTP.
//!
//! - Schema: versioned migrations ([`migrations`]); WAL, `synchronous=NORMAL`, foreign keys on,
//!   a busy timeout.
//! - Reading: **one** query path for every caller. [`Store::query`] (a page), [`Store::count`],
//!   [`Store::for_each`] (streaming, for exports), [`Store::facets`] and
//!   [`Store::chain_counts`] all take a [`SiteFilter`] and return exactly the sites
//!   [`SiteFilter::matches`] accepts. List order: category (vocabulary order: innovation
//!   resources, carrier platforms, key enterprises), then Chinese name (code-point order), then id.
//! - Writing: [`Store::import_sites`] upserts by id in one transaction and reports inserted /
//!   updated / unchanged; [`Store::replace_reference`] swaps the reference data atomically;
//!   [`Store::replace_chains`] swaps the chains and links alone (refusing, with the list, when
//!   sites use one the new file lacks). One site at a time ([`history`]):
//!   [`Store::create_site`], [`Store::update_site`], [`Store::delete_site`],
//!   [`Store::restore_site`], [`Store::revert_site`], with optimistic concurrency on the
//!   site's `version`.
//! - History: every write of a site (imports included) writes a revision in its own
//!   transaction — who, when, the action, the record before and after ([`Store::history`],
//!   [`Store::deleted_sites`]). A deleted site leaves `sites`, so no read path knows about
//!   deletion; its record lives on in its deletion's revision.
//! - Users ([`users`]): names, roles and token hashes. Backups and restores ([`backup`]).
//! - Plans (see [`query`] and the `plan` module): a bbox makes the R*Tree the driving index (a
//!   unary `+` keeps attribute indexes out, checked by `EXPLAIN QUERY PLAN` in the tests),
//!   unless the box is estimated (per-cell site counts) to hold more than a quarter of all sites
//!   (and at least [`SPATIAL_THRESHOLD`]), where walking the R*Tree is slower than a scan. A
//!   page (`limit` set) whose rows are expected early in list order walks the list index
//!   instead, which covers every filter column but the search text, and stops after
//!   `offset + limit` rows.
//! - Facets: a site's scalar values (category, kind, level, status, scope, town) and its chain
//!   set are interned as two small integers with the number of sites using each, so facets and
//!   counts per chain group thousands of values, not a million rows (see the `facets` module).
//! - Scale: a large first import takes a bulk path in the same transaction (indexes rebuilt
//!   after the rows, the R*Tree packed at once, rows written in spatial order; see [`import`]).
//!   Figures for 10k / 100k / 1M sites are in `BENCHMARKS.md` (`benches/catalogue.rs`).
//! - Errors: [`StoreError`], each with a stable `code()`.
//!
//! A `Store` owns one connection: it is `Send`, not `Sync`. A server opens one read-write store
//! and, if it wants parallel reads, several [`Store::open_readonly`] ones (WAL allows both).

pub mod backup;
pub mod chains_admin;
mod dicts;
pub mod error;
mod facets;
pub mod history;
pub mod import;
mod listing;
pub mod migrations;
mod plan;
pub mod query;
mod reference;
mod row;
mod rtree;
pub mod search;
pub mod sql;
pub mod synth;
pub mod users;

pub use backup::check_database;
pub use chains_admin::ChainsReplaced;
pub use error::{InUse, Result, StoreError};
pub use history::{Action, DeletedSite, Revision, Saved};
pub use import::ImportReport;
pub use query::{ChainCount, FacetCount, Facets, LinkCount};
pub use rusqlite::InterruptHandle;
pub use users::{Role, User};

use atlas_core::analysis::CategoryCounts;
use atlas_core::dataset::Reference;
use atlas_core::{
    Category, ChainCatalog, ChainId, District, Division, Indicator, Labelled, LinkId, Measure,
    Site, SiteFilter, SiteId,
};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::path::Path;
use std::time::Duration;

/// How long a statement waits for another connection's write lock before failing with `busy`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The `meta` value naming the default dataset.
pub const DEFAULT_DATASET: &str = "maonan-default";

/// Sites per township and category ([`Store::counts_by_town`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TownCounts {
    /// Every township, in code order, with its counts (zeros included).
    pub towns: Vec<(Division, CategoryCounts)>,
    /// Sites without a township.
    pub no_town: CategoryCounts,
}

/// The SQLite store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    spatial_threshold: u64,
    /// The interned facet combinations and chain sets as last read, with the version read at.
    dicts: std::cell::RefCell<Option<(dicts::Version, std::sync::Arc<dicts::Dicts>)>>,
    /// The list index as last read, with the version read at (see the `listing` module).
    #[allow(clippy::type_complexity)]
    list_index: std::cell::RefCell<
        Option<(
            dicts::Version,
            std::sync::Arc<listing::ListIndex>,
            String,
            std::sync::Arc<listing::Passes>,
        )>,
    >,
    /// The site reader of this connection, with the chain lists it has parsed (kept from one
    /// page to the next).
    reader: std::cell::RefCell<row::SiteReader>,
}

/// Page cache of a connection (negative: KiB), 64 MiB.
const CACHE_KIB: i64 = -65_536;
/// Page cache while a large import runs (index maintenance stays in memory), 512 MiB.
const IMPORT_CACHE_KIB: i64 = -524_288;
/// Size the WAL file is truncated to after a checkpoint, 64 MiB.
const WAL_LIMIT_BYTES: i64 = 64 << 20;
/// Page size of a new database file, 16 KiB (SQLite's default is 4): a 1M-site import writes a
/// quarter as many pages (each costing a WAL frame, a cache slot and a checkpoint write) and
/// took 10 % less time; rows are read through the memory map, so larger pages cost reads
/// nothing.
const PAGE_BYTES: i64 = 16_384;
/// Memory-mapped I/O limit (SQLite's default maximum, ~2 GiB).
const MMAP_BYTES: i64 = 0x7fff_0000;
/// Imports above this many sites get the larger cache.
const BIG_IMPORT: usize = 20_000;

/// Default of [`Store::set_spatial_threshold`].
pub const SPATIAL_THRESHOLD: u64 = 10_000;

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let mut conn = Connection::open(path)?;
        // Only a new, empty database takes it (before WAL is set): an existing one keeps its own.
        conn.pragma_update(None, "page_size", PAGE_BYTES)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Data(format!(
                "the database cannot use WAL (journal_mode is {mode})"
            )));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // After a checkpoint the WAL file shrinks back to this size (a large import leaves it
        // as big as the import otherwise).
        conn.pragma_update(None, "journal_size_limit", WAL_LIMIT_BYTES)?;
        Self::configure(&mut conn)?;
        migrations::migrations().to_latest(&mut conn)?;
        Ok(Self::with(conn))
    }

    /// An empty store in memory (tests, one-off conversions).
    pub fn open_in_memory() -> Result<Self> {
        let mut conn = Connection::open_in_memory()?;
        Self::configure(&mut conn)?;
        migrations::migrations().to_latest(&mut conn)?;
        Ok(Self::with(conn))
    }

    /// Opens an existing, migrated database for reading only (e.g. a pool of readers next to
    /// one writer). Fails with [`StoreError::SchemaVersion`] when its schema is not this build's.
    pub fn open_readonly(path: impl AsRef<Path>) -> Result<Self> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Self::configure(&mut conn)?;
        conn.pragma_update(None, "query_only", "ON")?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let expected = migrations::latest_version();
        if usize::try_from(found).ok() != Some(expected) {
            return Err(StoreError::SchemaVersion {
                found: usize::try_from(found).unwrap_or(0),
                expected,
            });
        }
        Ok(Self::with(conn))
    }

    fn with(conn: Connection) -> Self {
        Self {
            conn,
            spatial_threshold: SPATIAL_THRESHOLD,
            dicts: std::cell::RefCell::new(None),
            list_index: std::cell::RefCell::new(None),
            reader: std::cell::RefCell::new(row::SiteReader::default()),
        }
    }

    fn configure(conn: &mut Connection) -> Result<()> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "analysis_limit", 1000)?;
        conn.pragma_update(None, "cache_size", CACHE_KIB)?;
        // Reads through a memory map: random row lookups cost about half as much.
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(())
    }

    /// A bbox estimated to hold at least `rows` sites *and* a quarter of all sites (the sites of
    /// the 0.01° cells it touches) is applied as a plain test on the stored bounds, letting
    /// attribute indexes (or a scan) drive; smaller boxes make the R*Tree drive. Results never
    /// depend on it. Default [`SPATIAL_THRESHOLD`].
    pub fn set_spatial_threshold(&mut self, rows: u64) {
        self.spatial_threshold = rows;
    }

    /// A handle that interrupts this store's running statement from another thread (the call
    /// then fails with code `interrupted`), e.g. when a request's time limit passes.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.conn.get_interrupt_handle()
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<usize> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(usize::try_from(v).unwrap_or(0))
    }

    /// True when the store holds no site.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached(sql::IS_EMPTY)?
            .query_row([], |r| r.get(0))?)
    }

    /// A `meta` value (e.g. `"dataset"`).
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        reference::meta(&self.conn, key)
    }

    /// Sets a `meta` value.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        reference::set_meta(&self.conn, key, value)
    }

    /// The data version: 0 for a new store, bumped in the same transaction by every import that
    /// inserts or changes a site, by [`Store::replace_reference`] and by
    /// [`Store::load_default`]. Equal versions mean equal data (within one database file), so a
    /// server can derive `ETag`s from it. One indexed lookup.
    pub fn data_version(&self) -> Result<u64> {
        let v: i64 = self
            .conn
            .prepare_cached(sql::DATA_VERSION)?
            .query_row([], |r| r.get(0))?;
        Ok(u64::try_from(v).unwrap_or(0))
    }

    // --- Writing ---------------------------------------------------------------------------

    /// Upserts `sites` by id in one transaction: new ids are inserted, changed records updated
    /// (`version` + 1, `created_at` kept), identical ones left alone. Any failure (an unknown
    /// chain, link or township, a repeated id, a database error) rolls back the whole import.
    /// The caller filters invalid rows out and may set [`ImportReport::skipped`] itself.
    ///
    /// A large import into a store holding no more sites (the first load of a catalogue) takes
    /// a faster path with the same result (indexes rebuilt after the rows, the R*Tree packed at
    /// once, rows in spatial order; see `import.rs`).
    ///
    /// Each site written gets a revision (action `import`, by `"import"`); see
    /// [`Store::import_sites_by`] to name who imports.
    pub fn import_sites(&mut self, sites: &[Site]) -> Result<ImportReport> {
        self.import_sites_by(sites, "import", false)
    }

    /// [`Store::import_sites`] with the name the revisions record (`cli:NAME`, a user name).
    /// `dry_run`: the import runs to its end in its transaction, which is then rolled back:
    /// the report says exactly what the import would do, and nothing is written.
    pub fn import_sites_by(
        &mut self,
        sites: &[Site],
        who: &str,
        dry_run: bool,
    ) -> Result<ImportReport> {
        let big = sites.len() > BIG_IMPORT;
        if big {
            self.conn
                .pragma_update(None, "cache_size", IMPORT_CACHE_KIB)?;
        }
        let result = self.import_in_transaction(sites, who, dry_run);
        if big {
            self.conn.pragma_update(None, "cache_size", CACHE_KIB)?;
        }
        let report = result?;
        if !dry_run {
            self.optimize();
        }
        Ok(report)
    }

    fn import_in_transaction(
        &mut self,
        sites: &[Site],
        who: &str,
        dry_run: bool,
    ) -> Result<ImportReport> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let journal = import::Journal {
            who,
            action: Action::Import,
        };
        let report = import::import(&tx, sites, &journal)?;
        if dry_run {
            tx.rollback()?;
            return Ok(report);
        }
        if report.inserted + report.updated > 0 {
            tx.execute(sql::BUMP_DATA_VERSION, [])?;
        }
        tx.commit()?;
        Ok(report)
    }

    /// Replaces chains, links, townships, indicators and the district boundary in one
    /// transaction. Fails with [`StoreError::ReferenceInUse`] (and changes nothing) when a chain,
    /// link or township still used by a site would disappear.
    pub fn replace_reference(&mut self, r: &Reference) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        reference::replace(&tx, r)?;
        tx.execute(sql::BUMP_DATA_VERSION, [])?;
        tx.commit()?;
        Ok(())
    }

    /// Loads the embedded default dataset: its reference data and `data/sites.csv`, in one
    /// transaction. Fails if any row of the embedded file is invalid. `today` stamps records
    /// without an `updated_at`.
    pub fn load_default(&mut self, today: chrono::NaiveDate) -> Result<ImportReport> {
        use atlas_core::import::{parse_sites, FileFormat};
        let r = Reference::embedded().map_err(|e| StoreError::Dataset(e.to_string()))?;
        let parsed = parse_sites(
            atlas_core::dataset::SITES_CSV.as_bytes(),
            FileFormat::Csv,
            &r.context(today),
            None,
        )
        .map_err(|e| StoreError::Dataset(e.to_string()))?;
        if let Some(e) = parsed.errors.first() {
            return Err(StoreError::Dataset(format!(
                "sites.csv has {} invalid row(s), first: {e}",
                parsed.invalid_rows()
            )));
        }
        let sites: Vec<Site> = parsed.sites.into_iter().map(|(_, s)| s).collect();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        reference::replace(&tx, &r)?;
        reference::set_meta(&tx, sql::META_DATASET, DEFAULT_DATASET)?;
        let journal = import::Journal {
            who: "init",
            action: Action::Import,
        };
        let report = import::import(&tx, &sites, &journal)?;
        tx.execute(sql::BUMP_DATA_VERSION, [])?;
        tx.commit()?;
        self.optimize();
        Ok(report)
    }

    /// Lets SQLite refresh its planner statistics when they are stale (cheap when they are not).
    fn optimize(&self) {
        // Statistics are an optimisation; failing to refresh them is not an error of the import.
        let _ = self.conn.execute_batch(sql::OPTIMIZE);
    }

    // --- Reading sites ---------------------------------------------------------------------

    /// One site by id.
    pub fn get(&self, id: &SiteId) -> Result<Option<Site>> {
        let q = format!(
            "SELECT {} FROM sites AS s {}",
            sql::SITE_COLUMNS,
            sql::SITE_BY_ID
        );
        let mut st = self.conn.prepare_cached(&q)?;
        let mut rows = st.query([id.as_str()])?;
        match rows.next()? {
            Some(r) => Ok(Some(row::site_from_row(r)?)),
            None => Ok(None),
        }
    }

    /// The `version` of a site (1 when inserted, + 1 per change), for optimistic concurrency.
    pub fn site_version(&self, id: &SiteId) -> Result<Option<u64>> {
        let v: Option<i64> = self
            .conn
            .prepare_cached(sql::SITE_VERSION)?
            .query_row([id.as_str()], |r| r.get(0))
            .optional()?;
        Ok(v.map(|v| u64::try_from(v).unwrap_or(0)))
    }

    /// The sites of `filter` in list order, honouring its `limit` and `offset`.
    pub fn query(&self, filter: &SiteFilter) -> Result<Vec<Site>> {
        let mut out = Vec::new();
        self.for_each(filter, |s| {
            out.push(s);
            Ok::<(), StoreError>(())
        })?;
        Ok(out)
    }

    /// Calls `f` with each site of `filter`, in list order, one row at a time (exports never
    /// hold all rows). Honours `limit` and `offset` like [`Store::query`]; clear them to export
    /// everything. Stops at the first error, store's or `f`'s.
    pub fn for_each<E, F>(&self, filter: &SiteFilter, f: F) -> Result<(), E>
    where
        F: FnMut(Site) -> Result<(), E>,
        E: From<StoreError>,
    {
        if filter.limit.is_some() && listing::answers(filter) {
            self.each_indexed(filter, f)?;
            return Ok(());
        }
        self.each_sql(filter, f)
    }

    /// [`Store::for_each`] on two threads: this one reads and decodes the sites, a second one
    /// runs `f` (an export writer formatting CSV, XLSX, GeoJSON or KML), so the two halves of an
    /// export's work overlap. Sites travel in batches through a short bounded channel, so memory
    /// stays flat whatever the row count; the writer sends each finished batch back, and the
    /// next rows are decoded into its sites, reusing their text buffers: in the steady state a
    /// row allocates almost nothing and nothing is freed on the other thread. Stops at the
    /// first error of either side.
    pub fn for_each_on_thread<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<(), E>
    where
        F: FnMut(&Site) -> Result<(), E> + Send,
        E: From<StoreError> + Send,
    {
        /// Sites per batch, and batches in flight (≈ 1 MB of sites at most).
        const BATCH: usize = 256;
        const IN_FLIGHT: usize = 4;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Site>>(IN_FLIGHT);
        let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<Site>>();
        std::thread::scope(|scope| {
            let writer = scope.spawn(move || -> Result<(), E> {
                for batch in rx {
                    for site in &batch {
                        f(site)?;
                    }
                    // The reader may have finished: then the batch is simply dropped.
                    let _ = back_tx.send(batch);
                }
                Ok(())
            });
            // `batch[..filled]` holds this batch's sites; the rest are old ones to refill.
            let mut batch: Vec<Site> = Vec::with_capacity(BATCH);
            let mut filled = 0;
            let read = self.each_row(filter, |reader, r| -> Result<(), StoreError> {
                match batch.get_mut(filled) {
                    Some(old) => reader.read_into(r, old)?,
                    None => batch.push(reader.read(r)?),
                }
                filled += 1;
                if filled == BATCH {
                    let next = back_rx
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                    let full = std::mem::replace(&mut batch, next);
                    filled = 0;
                    // The writer stopped (its error is returned below): stop reading.
                    tx.send(full).map_err(|_| StoreError::Stopped)?;
                }
                Ok(())
            });
            batch.truncate(filled);
            if read.is_ok() && !batch.is_empty() {
                let _ = tx.send(batch);
            }
            drop(tx);
            let written = writer.join().unwrap_or_else(|_| {
                Err(StoreError::Data("the export writer panicked".into()).into())
            });
            match (read, written) {
                (_, Err(e)) => Err(e),
                (Err(e), Ok(())) => Err(e.into()),
                (Ok(()), Ok(())) => Ok(()),
            }
        })
    }

    /// Calls `f` with a site reader and each row of `filter` (selected with
    /// `sql::SITE_COLUMNS`), in list order, as [`Store::for_each`] reads them.
    fn each_row<E, F>(&self, filter: &SiteFilter, f: F) -> Result<(), E>
    where
        F: FnMut(&mut row::SiteReader, &rusqlite::Row<'_>) -> Result<(), E>,
        E: From<StoreError>,
    {
        if filter.limit.is_some() && listing::answers(filter) {
            self.rows_indexed(filter, f)?;
            return Ok(());
        }
        self.rows_sql(filter, f)
    }

    /// [`Store::for_each`] through the SQL list query.
    fn each_sql<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<(), E>
    where
        F: FnMut(Site) -> Result<(), E>,
        E: From<StoreError>,
    {
        self.rows_sql(filter, |reader, r| f(reader.read(r)?))
    }

    /// The rows of [`Store::each_sql`].
    fn rows_sql<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<(), E>
    where
        F: FnMut(&mut row::SiteReader, &rusqlite::Row<'_>) -> Result<(), E>,
        E: From<StoreError>,
    {
        let (q, values) = query::list_sql(filter, self.list_access(filter)?);
        let mut st = self.conn.prepare_cached(&q).map_err(StoreError::from)?;
        let mut rows = st
            .query(params_from_iter(values.iter()))
            .map_err(StoreError::from)?;
        let (mut kept, mut own) = (self.reader.try_borrow_mut().ok(), None);
        let reader = kept
            .as_deref_mut()
            .unwrap_or_else(|| own.insert(row::SiteReader::default()));
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            f(reader, r)?;
        }
        Ok(())
    }

    /// A page of `filter` and the number of all its matches: calls `f` with each site of the
    /// page (`limit`, `offset`) in list order, and returns how many sites match the filter
    /// (`numberMatched`, limit and offset ignored). What a map or an API page needs, in one
    /// pass over the list index for filters without a search (see the `listing` module), and
    /// read in one transaction, so the count and the rows agree.
    pub fn page<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<u64, E>
    where
        F: FnMut(Site) -> Result<(), E>,
        E: From<StoreError>,
    {
        self.page_rows(filter, |reader, r| f(reader.read(r)?))
    }

    /// [`Store::page`], lending each site instead of giving it: the rows are decoded into one
    /// value, reused from row to row (a page written straight to JSON allocates no site per
    /// row).
    pub fn page_ref<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<u64, E>
    where
        F: FnMut(&Site) -> Result<(), E>,
        E: From<StoreError>,
    {
        let mut site: Option<Site> = None;
        self.page_rows(filter, |reader, r| {
            let s = match &mut site {
                Some(s) => {
                    reader.read_into(r, s)?;
                    s
                }
                None => site.insert(reader.read(r)?),
            };
            f(s)
        })
    }

    /// The rows of [`Store::page`].
    fn page_rows<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<u64, E>
    where
        F: FnMut(&mut row::SiteReader, &rusqlite::Row<'_>) -> Result<(), E>,
        E: From<StoreError>,
    {
        if listing::answers(filter) {
            return self.rows_indexed(filter, f);
        }
        let _snapshot = self.read_snapshot()?;
        let mut returned = 0_u64;
        let limit = filter.limit.unwrap_or(u64::MAX);
        self.rows_sql(filter, |reader, r| {
            returned += 1;
            f(reader, r)
        })?;
        // A short page that is not empty ends the result: no count needed.
        Ok(if returned > 0 && returned < limit {
            filter.offset.saturating_add(returned)
        } else {
            self.count(filter)?
        })
    }

    /// The sites of the page of `filter` from one pass over the list index (a filter without a
    /// search), read by key; returns the number of all matches.
    fn each_indexed<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<u64, E>
    where
        F: FnMut(Site) -> Result<(), E>,
        E: From<StoreError>,
    {
        self.rows_indexed(filter, |reader, r| f(reader.read(r)?))
    }

    /// The rows of [`Store::each_indexed`].
    fn rows_indexed<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<u64, E>
    where
        F: FnMut(&mut row::SiteReader, &rusqlite::Row<'_>) -> Result<(), E>,
        E: From<StoreError>,
    {
        let _snapshot = self.read_snapshot()?;
        let (ix, passes) = self.list_index(filter)?;
        let scan = ix.scan(filter, &passes);
        let q = sql::SITE_BY_PK.replace("{columns}", sql::SITE_COLUMNS);
        let mut st = self.conn.prepare_cached(&q).map_err(StoreError::from)?;
        // A callback reading through this store again gets a reader of its own.
        let (mut kept, mut own) = (self.reader.try_borrow_mut().ok(), None);
        let reader = kept
            .as_deref_mut()
            .unwrap_or_else(|| own.insert(row::SiteReader::default()));
        for pk in scan.page {
            let mut rows = st.query([pk]).map_err(StoreError::from)?;
            if let Some(r) = rows.next().map_err(StoreError::from)? {
                f(reader, r)?;
            }
        }
        Ok(scan.matched)
    }

    /// A read transaction when none is open (so several statements see one snapshot); `None`
    /// inside the caller's own transaction. Ends (rolls back: nothing was written) when dropped.
    fn read_snapshot(&self) -> Result<Option<rusqlite::Transaction<'_>>> {
        if self.conn.is_autocommit() {
            Ok(Some(self.conn.unchecked_transaction()?))
        } else {
            Ok(None)
        }
    }

    /// How many sites match `filter` (limit and offset ignored).
    pub fn count(&self, filter: &SiteFilter) -> Result<u64> {
        if dicts::counted_by_dicts(filter) {
            // Scalar filters alone, or chain filters alone: the stored counts answer.
            let d = self.dicts()?;
            let v = d.verdicts(filter);
            return Ok(if query::has_chains(filter) {
                d.chain_sites(&v)
            } else {
                d.scalar_sites(&v)
            });
        }
        if listing::answers(filter) {
            let (ix, passes) = self.list_index(filter)?;
            let mut f = filter.clone();
            f.limit = Some(0);
            return Ok(ix.scan(&f, &passes).matched);
        }
        let (q, values) = query::count_sql(filter, self.access(filter)?);
        self.scalar_u64(&q, &values)
    }

    fn scalar_u64(&self, q: &str, values: &[Value]) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached(q)?
            .query_row(params_from_iter(values.iter()), |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Counts per category, kind, chain, link, level, status, scope and town, each with its own
    /// filter removed (see [`Facets`]), plus the total of the whole filter.
    ///
    /// Cost: without a bbox or a search, at most two grouped passes over an index (none for a
    /// filter on chains alone or no filter: the stored counts answer); with one, a single
    /// grouped pass over the matching sites (see the `facets` module).
    pub fn facets(&self, filter: &SiteFilter) -> Result<Facets> {
        facets::facets(self, filter)
    }

    /// For each chain (in order) and each of its links: sites matching `filter`, by category.
    /// Pass `&SiteFilter::default()` for the whole catalogue.
    pub fn chain_counts(&self, filter: &SiteFilter) -> Result<Vec<ChainCount>> {
        facets::chain_counts(self, filter)
    }

    /// Sites matching `filter` (limit and offset ignored) per township and category: every
    /// township of the store in code order (zeros included), and the sites without a township.
    /// One grouped query over the filter's rows.
    pub fn counts_by_town(&self, filter: &SiteFilter) -> Result<TownCounts> {
        let mut f = filter.clone();
        f.limit = None;
        f.offset = 0;
        let (q, values) = query::town_category_sql(&f, self.access(&f)?);
        let mut per_town: std::collections::HashMap<String, CategoryCounts> =
            std::collections::HashMap::new();
        let mut no_town = CategoryCounts::default();
        let mut st = self.conn.prepare_cached(&q)?;
        let mut rows = st.query(params_from_iter(values.iter()))?;
        while let Some(r) = rows.next()? {
            let town: Option<String> = r.get(0)?;
            let rank: i64 = r.get(1)?;
            let n = u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0);
            let category = usize::try_from(rank)
                .ok()
                .and_then(|i| Category::ALL.get(i).copied())
                .ok_or_else(|| StoreError::Data(format!("category rank {rank}")))?;
            match town {
                Some(t) => per_town.entry(t).or_default().add_n(category, n),
                None => no_town.add_n(category, n),
            }
        }
        let mut divisions = self.divisions()?;
        divisions.sort_by(|a, b| a.code.cmp(&b.code));
        let towns = divisions
            .into_iter()
            .map(|d| {
                let counts = per_town.remove(d.code.as_str()).unwrap_or_default();
                (d, counts)
            })
            .collect();
        Ok(TownCounts { towns, no_town })
    }

    /// Checks the ids of a filter against the store's reference data: an unknown chain, link or
    /// township is an error naming the parameter and the allowed values (`unknown_chain`,
    /// `unknown_link`, `unknown_town`). Vocabulary values are already checked by `SiteFilter`.
    pub fn validate_filter(&self, filter: &SiteFilter) -> Result<()> {
        if filter.chain.is_empty() && filter.link.is_empty() && filter.town.is_empty() {
            return Ok(());
        }
        let ids = |q: &str| -> Result<Vec<String>> {
            let mut st = self.conn.prepare_cached(q)?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        if !filter.chain.is_empty() {
            let known = ids(sql::CHAIN_IDS)?;
            if let Some(c) = filter
                .chain
                .iter()
                .find(|c| !known.iter().any(|k| k == c.as_str()))
            {
                return Err(StoreError::UnknownChain {
                    given: c.to_string(),
                    allowed: known.join(", "),
                });
            }
        }
        if !filter.link.is_empty() {
            let known = ids(sql::LINK_IDS)?;
            if let Some(l) = filter
                .link
                .iter()
                .find(|l| !known.iter().any(|k| k == l.as_str()))
            {
                // Name the links of the chain the user meant, when that chain exists.
                let prefix = format!("{}.", l.chain());
                let of_chain: Vec<String> = known
                    .iter()
                    .filter(|k| k.starts_with(&prefix))
                    .cloned()
                    .collect();
                return Err(StoreError::UnknownLink {
                    given: l.to_string(),
                    allowed: if of_chain.is_empty() {
                        known.join(", ")
                    } else {
                        of_chain.join(", ")
                    },
                });
            }
        }
        if !filter.town.is_empty() {
            let known = ids(sql::TOWN_CODES)?;
            if let Some(t) = filter
                .town
                .iter()
                .find(|t| !known.iter().any(|k| k == t.as_str()))
            {
                return Err(StoreError::UnknownTown {
                    given: t.to_string(),
                    allowed: known.join(", "),
                });
            }
        }
        Ok(())
    }

    /// `EXPLAIN QUERY PLAN` of the list query of `filter`: one line per plan step, outermost
    /// loop first (tests use it to check that the R*Tree drives bbox queries).
    pub fn explain(&self, filter: &SiteFilter) -> Result<Vec<String>> {
        let (q, values) = query::list_sql(filter, self.list_access(filter)?);
        let mut st = self.conn.prepare(&format!("{}{q}", sql::EXPLAIN))?;
        let rows = st.query_map(params_from_iter(values.iter()), |r| r.get::<_, String>(3))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    // --- Reference data --------------------------------------------------------------------

    /// All reference data (chains, townships, district, indicators).
    pub fn reference(&self) -> Result<Reference> {
        reference::reference(&self.conn)
    }

    /// Chains and links, in order.
    pub fn chains(&self) -> Result<ChainCatalog> {
        reference::chains(&self.conn)
    }

    /// Townships, in stored order.
    pub fn divisions(&self) -> Result<Vec<Division>> {
        reference::divisions(&self.conn)
    }

    /// The plan's indicators, in stored order.
    pub fn indicators(&self) -> Result<Vec<Indicator>> {
        reference::indicators(&self.conn)
    }

    /// The district (boundary and representative point).
    pub fn district(&self) -> Result<District> {
        reference::district(&self.conn)
    }

    /// Each indicator with the catalogue's own value: the number of matching sites (`count`),
    /// the sum of their `area_m2` (`sum_area`; sites without an area add nothing, and `None`
    /// when no matching site has an area: unknown, not zero), or `None` when the catalogue
    /// cannot measure it.
    pub fn indicator_values(&self) -> Result<Vec<(Indicator, Option<f64>)>> {
        let mut out = Vec::new();
        for ind in self.indicators()? {
            let filter = ind
                .filter()
                .map_err(|e| StoreError::Data(format!("indicator '{}': {e}", ind.id)))?;
            let value = match ind.measure {
                Measure::Count => Some(self.count(&filter)? as f64),
                Measure::SumArea => {
                    let (q, values) = query::area_sql(&filter, self.access(&filter)?);
                    self.conn
                        .prepare_cached(&q)?
                        .query_row(params_from_iter(values.iter()), |r| {
                            r.get::<_, Option<f64>>(0)
                        })?
                }
                Measure::None => None,
            };
            out.push((ind, value));
        }
        Ok(out)
    }

    /// Sites on `chain` (any link) — shorthand for a filter.
    pub fn count_on_chain(&self, chain: &ChainId) -> Result<u64> {
        self.count(&SiteFilter {
            chain: vec![chain.clone()],
            ..Default::default()
        })
    }

    /// Sites on `link` — shorthand for a filter.
    pub fn count_on_link(&self, link: &LinkId) -> Result<u64> {
        self.count(&SiteFilter {
            link: vec![link.clone()],
            ..Default::default()
        })
    }
}
