//! The `Store`: one SQLite connection, how it is opened and tuned (pragmas), its clock, and
//! what describes the whole database (schema version, `meta`, the data version).

use crate::error::{Result, StoreError};
use crate::index::{dicts, listing, shared};
use crate::{migrations, reference, row, sql};
use atlas_core::clock::Clock;
use rusqlite::{Connection, InterruptHandle, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// How long a statement waits for another connection's write lock before failing with `busy`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Makes `conn` wait for another connection's lock, up to [`BUSY_TIMEOUT`], in steps of a
/// millisecond. SQLite's own wait (`busy_timeout`) sleeps in growing steps of up to 100 ms, so
/// a save kept waiting by a background step (a checkpoint, a full-text merge) slept on for tens
/// of milliseconds after the lock was free.
pub(crate) fn wait_when_busy(conn: &Connection) -> Result<()> {
    conn.busy_handler(Some(busy_retry))?;
    Ok(())
}

/// SQLite's busy handler for [`wait_when_busy`]: `retries` waits of a millisecond (or a little
/// more) so far; true to wait once more.
fn busy_retry(retries: i32) -> bool {
    let waited = Duration::from_millis(u64::try_from(retries).unwrap_or(0));
    if waited >= BUSY_TIMEOUT {
        return false;
    }
    std::thread::sleep(Duration::from_millis(1));
    true
}

/// The `meta` value naming the default dataset.
pub const DEFAULT_DATASET: &str = "maonan-default";

/// The SQLite store.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) spatial_threshold: u64,
    /// Where "now" comes from: revisions' and users' times.
    pub(crate) clock: Clock,
    /// The interned facet combinations and chain sets as last read, with the version read at.
    pub(crate) dicts: std::cell::RefCell<Option<(dicts::Version, std::sync::Arc<dicts::Dicts>)>>,
    /// This connection's own list index as last read, with the version read at (see
    /// `index::listing`); unused while a shared index is attached.
    pub(crate) list_index:
        std::cell::RefCell<Option<(dicts::Version, std::sync::Arc<listing::ListIndex>)>>,
    /// The verdicts of the last filter parts asked, with what they were computed against.
    pub(crate) passes:
        std::cell::RefCell<Option<(dicts::Version, String, std::sync::Arc<listing::Passes>)>>,
    /// The process's one list index, when attached (see `index::shared`).
    pub(crate) shared: Option<std::sync::Arc<shared::SharedIndex>>,
    /// The site reader of this connection, with the chain lists it has parsed (kept from one
    /// page to the next).
    pub(crate) reader: std::cell::RefCell<row::SiteReader>,
}

/// Page cache of a read-write connection (negative: KiB), 16 MiB: a single-site change touches
/// a few dozen pages, reads go through the memory map, and a bulk import raises it for its own
/// duration.
pub(crate) const CACHE_KIB: i64 = -16_384;
/// Page cache of a read-only connection (negative: KiB), 8 MiB: it reads the database file
/// through the memory map and caches only pages of the write-ahead log (which a server keeps
/// short, see [`crate::Checkpointer`]).
const READER_CACHE_KIB: i64 = -8_192;
/// Size the WAL file is truncated to after a checkpoint, 64 MiB.
const WAL_LIMIT_BYTES: i64 = 64 << 20;
/// Page size of a new database file, 16 KiB (SQLite's default is 4): a large import writes a
/// quarter as many pages (each costing a WAL frame, a cache slot and a checkpoint write); rows
/// are read through the memory map, so larger pages cost reads nothing.
const PAGE_BYTES: i64 = 16_384;
/// Memory-mapped I/O limit (SQLite's default maximum, ~2 GiB).
const MMAP_BYTES: i64 = 0x7fff_0000;

/// Default of [`Store::set_spatial_threshold`].
pub const SPATIAL_THRESHOLD: u64 = 10_000;

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::open_rw(path, OpenFlags::default()).map_err(|e| e.opening(path))
    }

    /// Opens the existing database at `path` read-write, never creating one (a file that
    /// vanished is [`StoreError::DatabaseMissing`]), and brings its schema up to date.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let flags = OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE;
        Self::open_rw(path, flags).map_err(|e| {
            if path.exists() {
                e.opening(path)
            } else {
                StoreError::DatabaseMissing {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                }
            }
        })
    }

    fn open_rw(path: &Path, flags: OpenFlags) -> Result<Self> {
        let mut conn = Connection::open_with_flags(path, flags)?;
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
        let path = path.as_ref();
        Self::open_ro(path).map_err(|e| e.opening(path))
    }

    fn open_ro(path: &Path) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // Through the shim that keeps the memory map across other connections' commits.
        let mut conn = if crate::vfs::register() {
            Connection::open_with_flags_and_vfs(path, flags, crate::vfs::NAME)?
        } else {
            Connection::open_with_flags(path, flags)?
        };
        Self::configure(&mut conn)?;
        conn.pragma_update(None, "cache_size", READER_CACHE_KIB)?;
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

    pub(crate) fn with(conn: Connection) -> Self {
        Self {
            conn,
            spatial_threshold: SPATIAL_THRESHOLD,
            clock: Clock::system(),
            dicts: std::cell::RefCell::new(None),
            list_index: std::cell::RefCell::new(None),
            passes: std::cell::RefCell::new(None),
            shared: None,
            reader: std::cell::RefCell::new(row::SiteReader::default()),
        }
    }

    fn configure(conn: &mut Connection) -> Result<()> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        wait_when_busy(conn)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "analysis_limit", 1000)?;
        conn.pragma_update(None, "cache_size", CACHE_KIB)?;
        // Reads through a memory map: random row lookups cost about half as much.
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
        conn.set_prepared_statement_cache_capacity(64);
        crate::expr_sql::register(conn)?;
        Ok(())
    }

    /// A bbox estimated to hold at least `rows` sites *and* a quarter of all sites (the sites of
    /// the 0.01° cells it touches) is applied as a plain test on the stored bounds, letting
    /// attribute indexes (or a scan) drive; smaller boxes make the R*Tree drive. Results never
    /// depend on it. Default [`SPATIAL_THRESHOLD`].
    pub fn set_spatial_threshold(&mut self, rows: u64) {
        self.spatial_threshold = rows;
    }

    /// Sets where "now" comes from (the system's clock by default): the time of revisions and
    /// of users' creation and revocation. Tests and reproducible runs fix it.
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// Makes this store answer from `index`, the process's one list index and interned values,
    /// instead of copies of its own (which it drops): every connection of a server attaches
    /// the same one. A read uses it when it holds exactly the data version the read's
    /// transaction sees, and the SQL path otherwise (same results, never a wait for a build);
    /// a single-site change through this store moves it to the new version in place. See
    /// [`SharedIndex`](crate::SharedIndex).
    pub fn attach_index(&mut self, index: std::sync::Arc<shared::SharedIndex>) {
        *self.list_index.get_mut() = None;
        *self.passes.get_mut() = None;
        self.shared = Some(index);
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

    /// Makes this connection's database as full as a full disk: no page may be added beyond
    /// the `spare` free ones it has now (SQLite's `max_page_count`). Fault tests only.
    #[cfg(feature = "test-support")]
    pub fn fill_disk(&self, spare: u64) -> Result<()> {
        let pages: i64 = self
            .conn
            .pragma_query_value(None, "page_count", |r| r.get(0))?;
        let limit = u64::try_from(pages).unwrap_or(0) + spare;
        let _: i64 = self.conn.pragma_update_and_check(
            None,
            "max_page_count",
            i64::try_from(limit).unwrap_or(i64::MAX),
            |r| r.get(0),
        )?;
        Ok(())
    }

    /// Closes the connection after copying the write-ahead log into the database file and
    /// emptying the log (`wal_checkpoint(TRUNCATE)`), so no frame of this file is left in a log
    /// that another file renamed into its path would find. The last connection to a file: the
    /// others must be closed first.
    pub fn close_checkpointed(self) -> Result<()> {
        let _: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        self.conn.close().map_err(|(_, e)| StoreError::from(e))
    }

    /// Lets SQLite refresh its planner statistics when they are stale (cheap when they are not).
    pub(crate) fn optimize(&self) {
        // Statistics are an optimisation; failing to refresh them is not an error of the import.
        let _ = self.conn.execute_batch(sql::OPTIMIZE);
    }

    /// A read transaction when none is open (so several statements see one snapshot); `None`
    /// inside the caller's own transaction. Ends (rolls back: nothing was written) when dropped.
    pub(crate) fn read_snapshot(&self) -> Result<Option<rusqlite::Transaction<'_>>> {
        if self.conn.is_autocommit() {
            Ok(Some(self.conn.unchecked_transaction()?))
        } else {
            Ok(None)
        }
    }
}
