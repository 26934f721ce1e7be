//! One list index per process: the list index and the interned values, held once and shared
//! by every connection of a server ([`SharedIndex`], attached with [`Store::attach_index`]).
//!
//! - **What it holds**: the [`ListIndex`] and the [`Dicts`] at one *data version* (the `meta`
//!   counter [`Store::data_version`], moved in the same transaction by every write of a site,
//!   of the reference data or of the indicators). Equal versions mean equal data, so an index
//!   at the version a read's transaction sees answers exactly what SQL would.
//! - **Readers never wait for a scan**: a read compares the version its transaction sees with
//!   the index's. Equal: the index answers (under a read lock, for the length of the scan).
//!   Different, or no index yet: that read takes the SQL path, which gives the same result, and
//!   asks for a build if the index is behind. The one wait: while a build reads the index from
//!   the copy stored in the database (`index::stored`; far quicker than a scan),
//!   a read waits for it, at most [`COPY_WAIT`], since the copy comes sooner than the SQL path
//!   would answer a burst of reads.
//! - **Builds** run on a thread of their own with their own connection: started once by the
//!   server at start, and again when the index falls behind a change it could not follow (an
//!   import, reference data, a write by another process). A build reads the copy stored in the
//!   database when it holds the version its transaction sees, else scans the sites and stores
//!   what it read in the same transaction (`index::stored`). A build publishes the index under the version it read, never a later one; a
//!   build finishing after newer single-site changes first replays them (in order, each from
//!   the version before it) and otherwise stays at its own version, where no newer read uses it.
//! - **Single-site changes** (create, update, delete, restore, revert through
//!   `Store::change`) move the index in place rather than rebuilding it: the writer reads, in
//!   its transaction, the site's entry after the change, the key of the site following it in
//!   list order (one seek of `sites_order`) and the rows of the combinations and chain sets it
//!   touched, and marks the index as *moving to* the new version. Until the commit, readers at
//!   the old version go on using the index. After the commit it takes the write lock, moves
//!   the one site (the entries between its old and new list places shift by one; the grid's
//!   and the cell order's positions too), re-reads those few interned rows and sets the new
//!   version; a read whose transaction already sees the commit waits for that (at most
//!   [`MOVE_WAIT`]) rather than reading without the index. The index therefore never claims a
//!   version it does not hold: a failed commit leaves it as it was; a change that does not
//!   fit drops it (and a build follows).
//! - **Memory**: one copy. Updating in place under a short write lock was chosen over
//!   copy-on-write because a copy of the index per save would allocate (and keep alive next to
//!   the old one while readers finish) the whole index several times a second under steady
//!   editing. A build that replaces a stale index drops the stale one before it starts. The
//!   interned values are small and are copied on write (`Arc::make_mut`) when a reader still
//!   holds them.
//! - **Filter verdicts** (one bit a site for a filter's scalar and chain parts) are kept for
//!   the last filters asked and carried across each single-site change (the bits between the
//!   site's old and new places shift by one) instead of being recomputed for every site.
//! - **Locks**: readers take the read lock, and under it only the short-lived mutex of the
//!   kept verdicts. The writer and the builder take the `changes` mutex first, then the write
//!   lock, then (briefly) the verdicts' mutex; neither waits for anything a reader holds but
//!   the read lock and that mutex.

use crate::error::Result;
use crate::index::dicts::{Dicts, Touched};
use crate::index::listing::{parts_key, Entry, ListIndex, Moved, Passes, Placed};
use crate::index::stored;
use crate::{sql, Store};
use atlas_core::SiteFilter;
use rusqlite::{Connection, OptionalExtension};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};

/// Single-site changes kept for a running build to replay; past this many, the build rebuilds
/// once more instead.
const LOG_LIMIT: usize = 10_000;

/// The index at one data version.
#[derive(Debug)]
pub(crate) struct Held {
    version: AtomicU64,
    pub(crate) dicts: Arc<Dicts>,
    pub(crate) list: ListIndex,
}

impl Held {
    fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Moves the index by one committed change; `None` (index unchanged) when it does not fit
    /// (a key not found).
    fn apply(&mut self, c: &SiteChange) -> Option<Moved> {
        let from = match c.old {
            Some(pk) => Some(self.list.position(pk)?),
            None => None,
        };
        let moved = self.list.change(from, c.new.as_ref())?;
        Arc::make_mut(&mut self.dicts).apply(&c.touched);
        Some(moved)
    }
}

/// The process's one list index and interned values, shared by every connection that
/// attaches it (see the module documentation of `index::shared`).
pub struct SharedIndex {
    /// Where a build opens its read-only connection (`None`: builds are run by the caller).
    path: Option<PathBuf>,
    held: RwLock<Option<Held>>,
    /// Taken by the writer around a single-site change and by a build publishing; holds the
    /// committed single-site changes a running build will replay.
    changes: Mutex<Changes>,
    builds: Mutex<Builds>,
    idle: Condvar,
    /// The verdicts of the filters asked last, shared by the connections (a reader takes any
    /// free connection, so a cache per connection would mostly miss), and the single-site
    /// changes that carry them to the next versions.
    passes: Mutex<KeptPasses>,
    /// The version a single-site change in place is moving the index to (from its start until
    /// the index is moved, after the commit), and the signal that it got there: a read whose
    /// transaction already sees that commit waits for the move rather than reading without
    /// the index.
    moving_to: Mutex<u64>,
    moved: Condvar,
    /// A build that scanned stores the index for catalogues of this many sites or more.
    min_stored: usize,
}

/// The longest a read waits for the index being read from its stored copy.
const COPY_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// The longest a read waits for a single-site change in place to be marked done.
const MOVE_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// How many filters' verdicts [`SharedIndex`] keeps (one bit a site each).
const KEPT_PASSES: usize = 8;

/// How many of the last single-site changes [`SharedIndex`] keeps to carry verdicts across.
const KEPT_MOVES: usize = 16;

/// Filters' verdicts kept, and how the list moved since.
#[derive(Debug, Default)]
struct KeptPasses {
    /// Data version, filter parts, verdicts; the most recent last.
    kept: Vec<(u64, String, Arc<Passes>)>,
    /// The last single-site changes that moved the index in place, each with the version it
    /// moved the index to, in order; cleared when the index is replaced or dropped.
    moves: std::collections::VecDeque<(u64, Moved)>,
}

/// What [`KeptPasses::find`] found for a version and filter parts.
enum Found {
    Kept(Arc<Passes>),
    /// Verdicts of an older version and the changes that lead from it to the version asked.
    Carry(Arc<Passes>, Vec<Moved>),
    None,
}

impl KeptPasses {
    /// The verdicts of filter parts `key` for `version` (one entry a key is kept, see
    /// [`KeptPasses::keep`]).
    fn find(&mut self, version: u64, key: &str) -> Found {
        let Some(i) = self.kept.iter().position(|(_, k, _)| k == key) else {
            return Found::None;
        };
        // The most recently used last.
        let hit = self.kept.remove(i);
        let (from, p) = (hit.0, Arc::clone(&hit.2));
        self.kept.push(hit);
        if from == version {
            return Found::Kept(p);
        }
        // The moves to `from + 1 ..= version`, each from the version before it.
        let (to, moves): (Vec<u64>, Vec<Moved>) = self
            .moves
            .iter()
            .filter(|(to, _)| *to > from && *to <= version)
            .copied()
            .unzip();
        if from < version && to.into_iter().eq(from + 1..=version) {
            Found::Carry(p, moves)
        } else {
            Found::None
        }
    }

    /// Keeps `p`, the verdicts of filter parts `key` at `version`, in place of older ones of
    /// the same parts.
    fn keep(&mut self, version: u64, key: &str, p: &Arc<Passes>) {
        if self.kept.iter().any(|(v, k, _)| *v >= version && k == key) {
            return;
        }
        self.kept.retain(|(_, k, _)| k != key);
        if self.kept.len() >= KEPT_PASSES {
            self.kept.remove(0);
        }
        self.kept.push((version, key.to_owned(), Arc::clone(p)));
    }

    /// The index moved in place to `version` by `m`.
    fn moved(&mut self, version: u64, m: Moved) {
        if self.moves.len() >= KEPT_MOVES {
            self.moves.pop_front();
        }
        self.moves.push_back((version, m));
    }
}

impl std::fmt::Debug for SharedIndex {
    /// The version held and the builds, not the index.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedIndex")
            .field("path", &self.path)
            .field("version", &self.version())
            .field("builds", &self.builds())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Changes {
    log: Vec<SiteChange>,
    /// Changes were left out of `log` (it was full).
    overflowed: bool,
}

#[derive(Debug, Default)]
struct Builds {
    running: bool,
    /// The highest data version a reader or writer asked the index to reach.
    wanted: u64,
    /// Builds published so far.
    published: u64,
    /// The running build reads the index from its stored copy (not a scan).
    from_copy: bool,
}

/// One committed single-site change, as the index needs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SiteChange {
    /// The data version it committed.
    version: u64,
    /// The key the site had before (`None`: it was not in the catalogue).
    old: Option<i64>,
    /// Where it is after (`None`: deleted).
    new: Option<Placed>,
    /// The interned rows it touched, as they are after.
    touched: Touched,
}

/// The data version as `conn` sees it.
fn data_version(conn: &Connection) -> Result<u64> {
    let v: i64 = conn
        .prepare_cached(sql::DATA_VERSION)?
        .query_row([], |r| r.get(0))?;
    Ok(u64::try_from(v).unwrap_or(0))
}

/// The list index entry of site `id` and its list key (rank, Chinese name).
fn entry(conn: &Connection, id: &str) -> Result<Option<(Entry, i64, String)>> {
    Ok(conn
        .prepare_cached(sql::LIST_ENTRY)?
        .query_row([id], |r| Ok((Entry::from_row(r, 2)?, r.get(0)?, r.get(1)?)))
        .optional()?)
}

impl SiteChange {
    /// Site `id`'s entry before a change (inside the writing transaction, before the write).
    pub(crate) fn before(conn: &Connection, id: &str) -> Result<Option<Entry>> {
        Ok(entry(conn, id)?.map(|(e, _, _)| e))
    }

    /// The change of site `id` that `conn`'s transaction has just written (and versioned);
    /// `old`: its entry before ([`SiteChange::before`]).
    pub(crate) fn read(conn: &Connection, id: &str, old: Option<Entry>) -> Result<Self> {
        let version = data_version(conn)?;
        let new = match entry(conn, id)? {
            Some((entry, rank, name)) => {
                let before: Option<i64> = conn
                    .prepare_cached(sql::LIST_NEXT)?
                    .query_row(rusqlite::params![rank, name, id], |r| r.get(0))
                    .optional()?;
                Some(Placed { entry, before })
            }
            None => None,
        };
        let touched = Touched::read(
            conn,
            &[old.and_then(|e| e.combo), new.and_then(|p| p.entry.combo)],
            &[old.and_then(|e| e.set), new.and_then(|p| p.entry.set)],
        )?;
        Ok(Self {
            version,
            old: old.map(|e| e.pk),
            new,
            touched,
        })
    }
}

impl SharedIndex {
    /// An empty shared index over the database at `path`; builds open their own read-only
    /// connection to it. Nothing is built until [`SharedIndex::start_build`] or a read asks.
    pub fn new(path: impl Into<PathBuf>) -> Arc<Self> {
        Self::with_path(Some(path.into()))
    }

    /// A shared index whose builds are run by the caller ([`SharedIndex::build_with`]): tests.
    #[cfg(test)]
    pub(crate) fn manual() -> Arc<Self> {
        Self::with_path(None)
    }

    /// [`SharedIndex::manual`] storing the index after a scan from `min_stored` sites on:
    /// tests.
    #[cfg(test)]
    pub(crate) fn manual_storing(min_stored: usize) -> Arc<Self> {
        let mut s = Self::with_path(None);
        if let Some(s) = Arc::get_mut(&mut s) {
            s.min_stored = min_stored;
        }
        s
    }

    fn with_path(path: Option<PathBuf>) -> Arc<Self> {
        Arc::new(Self {
            path,
            held: RwLock::new(None),
            changes: Mutex::new(Changes::default()),
            builds: Mutex::new(Builds::default()),
            idle: Condvar::new(),
            passes: Mutex::new(KeptPasses::default()),
            moving_to: Mutex::new(0),
            moved: Condvar::new(),
            min_stored: stored::MIN_SITES,
        })
    }

    /// Starts a build in the background (unless one is running); returns at once.
    pub fn start_build(self: &Arc<Self>) {
        self.request_build(0);
    }

    /// The data version the index holds; `None` before its first build, after a build was
    /// found stale (until the next one).
    pub fn version(&self) -> Option<u64> {
        let held = self.held.read().ok()?;
        held.as_ref().map(Held::version)
    }

    /// How many builds have been published (a single-site change builds nothing).
    pub fn builds(&self) -> u64 {
        self.builds.lock().map_or(0, |b| b.published)
    }

    /// Waits until no build is running or asked for, and returns [`SharedIndex::version`].
    pub fn wait_idle(&self) -> Option<u64> {
        if let Ok(mut b) = self.builds.lock() {
            while b.running {
                match self.idle.wait(b) {
                    Ok(next) => b = next,
                    Err(_) => return None,
                }
            }
        }
        self.version()
    }

    /// Runs `f` with the index when it holds data version `version`; else `None` (the caller
    /// takes the SQL path) after asking for a build when the index is missing or behind.
    pub(crate) fn with_current<T>(
        self: &Arc<Self>,
        version: u64,
        f: impl FnOnce(&Held) -> T,
    ) -> Option<T> {
        self.await_move_to(version);
        let behind = {
            let held = self.held.read().ok()?;
            match held.as_ref() {
                Some(h) if h.version() == version => return Some(f(h)),
                Some(h) => h.version() < version,
                None => true,
            }
        };
        if !behind {
            return None;
        }
        self.request_build(version);
        self.await_copy();
        let held = self.held.read().ok()?;
        match held.as_ref() {
            Some(h) if h.version() == version => Some(f(h)),
            _ => None,
        }
    }

    /// While a build reads the index from its stored copy (at a start), waits for it (at most
    /// [`COPY_WAIT`]): it comes far sooner than a read on the SQL path would be answered while
    /// it loads. A build that scans the sites is never waited for.
    fn await_copy(&self) {
        let Ok(b) = self.builds.lock() else {
            return;
        };
        let _ = self
            .idle
            .wait_timeout_while(b, COPY_WAIT, |b| b.running && b.from_copy);
    }

    /// The interned values held, whatever their version (`None` before the first build):
    /// good for estimates, which a change or two in flight cannot make wrong.
    pub(crate) fn any_dicts(&self) -> Option<Arc<Dicts>> {
        let held = self.held.read().ok()?;
        held.as_ref().map(|h| Arc::clone(&h.dicts))
    }

    /// When a single-site change in place is moving the index to `version` (committed, as the
    /// caller's transaction sees it, but not yet marked done), waits for it (at most
    /// [`MOVE_WAIT`]).
    fn await_move_to(&self, version: u64) {
        let Ok(moving) = self.moving_to.lock() else {
            return;
        };
        if *moving != version {
            return;
        }
        // `moving_to` is reset to 0 when the change ends (committed or not).
        let _ = self
            .moved
            .wait_timeout_while(moving, MOVE_WAIT, |m| *m == version);
    }

    /// The verdicts of `f`'s scalar and chain parts on the index `held` (which the caller
    /// holds under the read lock): kept ones; else kept ones of an older version carried across
    /// the single-site changes since; else computed. Then kept (those of older versions
    /// dropped, the oldest dropped past [`KEPT_PASSES`]).
    pub(crate) fn passes(&self, held: &Held, f: &SiteFilter) -> Arc<Passes> {
        let (version, key) = (held.version(), parts_key(f));
        let found = self
            .passes
            .lock()
            .ok()
            .map(|mut kept| kept.find(version, &key));
        let p = match found {
            Some(Found::Kept(p)) => return p,
            Some(Found::Carry(p, moves)) => p.carried(&moves, f, &held.dicts.verdicts(f)),
            Some(Found::None) | None => Passes::new(f, &held.dicts.verdicts(f), &held.list),
        };
        let p = Arc::new(p);
        if let Ok(mut kept) = self.passes.lock() {
            kept.keep(version, &key, &p);
        }
        p
    }

    /// Asks for the index to reach data version `version`: starts a build unless one is
    /// running (a running one builds again when it ends short of it).
    pub(crate) fn request_build(self: &Arc<Self>, version: u64) {
        let Ok(mut b) = self.builds.lock() else {
            return;
        };
        b.wanted = b.wanted.max(version);
        if b.running || self.path.is_none() {
            return;
        }
        b.running = true;
        drop(b);
        let this = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("list-index-build".into())
            .spawn(move || this.run_builds());
        if spawned.is_err() {
            self.stop_running();
        }
    }

    fn set_from_copy(&self, from_copy: bool) {
        if let Ok(mut b) = self.builds.lock() {
            b.from_copy = from_copy;
        }
        if !from_copy {
            self.idle.notify_all();
        }
    }

    fn stop_running(&self) {
        if let Ok(mut b) = self.builds.lock() {
            b.running = false;
            b.from_copy = false;
        }
        self.idle.notify_all();
    }

    /// The build thread: builds until the index reaches the version asked for (or a build
    /// fails: the next read that finds the index behind asks again).
    fn run_builds(&self) {
        /// Clears `running` however the thread ends.
        struct Running<'a>(&'a SharedIndex);
        impl Drop for Running<'_> {
            fn drop(&mut self) {
                self.0.stop_running();
            }
        }
        let _running = Running(self);
        let Some(path) = &self.path else { return };
        // Read-write (never creating the file), so a build that scanned can store its index
        // in the transaction that read it (`index::stored`); read-only when that is refused.
        let Ok(store) = Store::open_existing(path).or_else(|_| Store::open_readonly(path)) else {
            return;
        };
        while let Ok(reached) = self.build_with(&store) {
            let Ok(b) = self.builds.lock() else { return };
            if reached >= b.wanted {
                return;
            }
        }
    }

    /// Builds the index from `store` (at the data version its read transaction sees: the copy
    /// stored in the database at that version, else a scan of the sites) and publishes it;
    /// returns the version the index then holds. After a scan, the index is stored in the
    /// database in the same transaction (when `store` may write and nothing was written since).
    pub(crate) fn build_with(&self, store: &Store) -> Result<u64> {
        let snapshot = store.read_snapshot()?;
        let Some((built, scanned)) = self.load(store)? else {
            return Ok(self.version().unwrap_or(0));
        };
        let version = built.version();
        let at = self.publish(built);
        if let (Some(tx), true) = (snapshot, scanned) {
            self.store_copy(store, version, tx);
        }
        Ok(at)
    }

    /// Reads the index from `store` at the data version its read transaction sees; `None` when
    /// the index already holds that version; with it, whether the sites were scanned.
    fn load(&self, store: &Store) -> Result<Option<(Held, bool)>> {
        let version = store.data_version()?;
        if self.version() == Some(version) {
            return Ok(None);
        }
        self.drop_older_than(version);
        // Readers wait while a copy at this version is read, not while the sites are scanned.
        self.set_from_copy(stored::version(&store.conn)? == Some(version));
        let dicts = Arc::new(Dicts::load(store)?);
        let copy = stored::copy(&store.conn, version);
        let scanned = copy.is_none();
        if scanned {
            self.set_from_copy(false);
        }
        let list = match copy {
            Some(list) => list,
            None => ListIndex::load(&store.conn)?,
        };
        let held = Held {
            version: AtomicU64::new(version),
            dicts,
            list,
        };
        Ok(Some((held, scanned)))
    }

    /// Stores the index published at `version` in the database, in `tx`, the transaction that
    /// read it. Best effort: a write committed since, a read-only connection or a full disk
    /// store nothing, and the next start scans.
    fn store_copy(&self, store: &Store, version: u64, tx: rusqlite::Transaction<'_>) {
        if let Some(body) = self.encode_at(version, self.min_stored) {
            if stored::write(&store.conn, version, &body).is_ok() {
                let _ = tx.commit();
            }
        }
    }

    /// The index as a stored copy's body, when it holds `version` and at least `min_sites`
    /// sites.
    pub(crate) fn encode_at(&self, version: u64, min_sites: usize) -> Option<Vec<u8>> {
        let held = self.held.read().ok()?;
        let h = held.as_ref()?;
        (h.version() == version && h.list.len() >= min_sites).then(|| h.list.encode())
    }

    /// Drops the index when it holds a version older than `version` (no newer read can use
    /// it): one copy at a time, also while a build runs.
    fn drop_older_than(&self, version: u64) {
        let Ok(_changes) = self.changes.lock() else {
            return;
        };
        let stale = match self.held.write() {
            Ok(mut held) if held.as_ref().is_some_and(|h| h.version() < version) => held.take(),
            _ => None,
        };
        drop(stale);
    }

    /// Publishes a built index after replaying the single-site changes committed since its
    /// version, unless the index held is as new; returns the version held.
    fn publish(&self, mut built: Held) -> u64 {
        let Ok(mut changes) = self.changes.lock() else {
            return 0;
        };
        let mut at = built.version();
        for c in &changes.log {
            if c.version <= at {
                continue;
            }
            if c.version != at + 1 || built.apply(c).is_none() {
                break;
            }
            at = c.version;
        }
        built.version.store(at, Ordering::Release);
        changes.log.retain(|c| c.version > at);
        if changes.log.is_empty() {
            changes.overflowed = false;
        }
        let old = match self.held.write() {
            Ok(mut held) => match held.as_ref() {
                Some(h) if h.version() >= at => {
                    at = h.version();
                    None
                }
                _ => {
                    // Verdicts are carried only across moves of the index they were made on.
                    if let Ok(mut kept) = self.passes.lock() {
                        kept.moves.clear();
                    }
                    held.replace(built)
                }
            },
            Err(_) => None,
        };
        drop(changes);
        drop(old);
        if let Ok(mut b) = self.builds.lock() {
            b.published += 1;
        }
        at
    }

    /// Starts a single-site change (inside the writer's transaction, before its commit): when
    /// the index holds the version just before it, the change is applied in place once it is
    /// committed ([`Pending::end`]) — until then readers at the old version go on using the
    /// index, and readers whose transaction already sees the commit wait for the move; else
    /// the change is kept for a build to replay.
    pub(crate) fn begin(self: &Arc<Self>, change: SiteChange) -> Pending<'_> {
        let mut changes = self.changes.lock().ok();
        let in_place = self.version().and_then(|v| v.checked_add(1)) == Some(change.version);
        if in_place {
            if let Ok(mut m) = self.moving_to.lock() {
                *m = change.version;
            }
        }
        let logged = !in_place
            && match changes.as_mut() {
                Some(c) if c.log.len() < LOG_LIMIT => {
                    c.log.push(change.clone());
                    true
                }
                Some(c) => {
                    c.overflowed = true;
                    c.log.clear();
                    false
                }
                None => false,
            };
        Pending {
            shared: self,
            changes,
            change,
            in_place,
            logged,
        }
    }

    /// Moves the index held by the committed `change`, when it holds the version just before
    /// it; false when it does not (then no index is held: a build follows).
    fn apply_committed(&self, change: &SiteChange) -> bool {
        let Ok(mut held) = self.held.write() else {
            return false;
        };
        let moved = match held.as_mut() {
            Some(h) if h.version().checked_add(1) == Some(change.version) => {
                h.apply(change).inspect(|_| {
                    h.version.store(change.version, Ordering::Release);
                })
            }
            _ => None,
        };
        if let Ok(mut kept) = self.passes.lock() {
            match moved {
                Some(m) => kept.moved(change.version, m),
                None => kept.moves.clear(),
            }
        }
        if moved.is_none() {
            *held = None;
        }
        moved.is_some()
    }
}

/// A single-site change under way (see [`SharedIndex::begin`]); [`Pending::end`] says how
/// its commit went.
pub(crate) struct Pending<'a> {
    shared: &'a Arc<SharedIndex>,
    /// Held until the end: a build does not publish between the change and its commit.
    changes: Option<MutexGuard<'a, Changes>>,
    change: SiteChange,
    /// The change is to move the index in place once committed.
    in_place: bool,
    logged: bool,
}

impl Pending<'_> {
    /// Committed: the index moves in place to the new version (or, for a change kept for a
    /// build, a build is asked for). Not committed: the index stays as it was, the kept
    /// change is forgotten.
    pub(crate) fn end(mut self, committed: bool) {
        let shared = Arc::clone(self.shared);
        // When this returns, readers waiting for the change go on (they re-check the version
        // under the index's lock).
        let _wake = self.in_place.then(|| Wake(&shared));
        match (committed, self.in_place) {
            (true, true) => {
                if shared.apply_committed(&self.change) {
                    return;
                }
            }
            (false, true) => return,
            (false, false) => {
                if let (true, Some(c)) = (self.logged, self.changes.as_mut()) {
                    c.log.retain(|c| c.version != self.change.version);
                }
            }
            (true, false) => {}
        }
        drop(self.changes.take());
        let wanted = if committed {
            self.change.version
        } else {
            self.change.version.saturating_sub(1)
        };
        shared.request_build(wanted);
    }
}

/// Marks the end of a single-site change in place when dropped: readers waiting for it
/// ([`SharedIndex::await_move_to`]) wake.
struct Wake<'a>(&'a SharedIndex);

impl Drop for Wake<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.0.moving_to.lock() {
            *m = 0;
        }
        self.0.moved.notify_all();
    }
}

impl Store {
    /// After a committed write a shared index does not follow in place (an import, reference
    /// data, indicators): asks it for a build to the new version. Reads would ask too, on
    /// finding it behind; this starts the build at once.
    pub(crate) fn index_moved(&self) {
        if let (Some(shared), Ok(v)) = (&self.shared, self.data_version()) {
            shared.request_build(v);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::index::listing::Passes;
    use crate::synth::{self, Lcg};
    use crate::Action;
    use atlas_core::dataset::Reference;
    use atlas_core::{Labelled, Site, SiteFilter, SiteId, Status};

    /// A store (a file, so other connections can open it) with `n` synthetic sites.
    fn synth_file(n: usize) -> (tempfile::TempDir, std::path::PathBuf, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.db");
        let mut store = Store::open(&path).unwrap();
        store
            .replace_reference(&Reference::embedded().unwrap())
            .unwrap();
        store.import_sites(&synth::sites(n, 21)).unwrap();
        (dir, path, store)
    }

    /// A random filter the list index answers (no search, no precision).
    fn random_filter(g: &mut Lcg) -> SiteFilter {
        let scalars = [
            "category=carrier_platform",
            "category=key_enterprise,innovation_resource",
            "kind=incubator",
            "level=provincial",
            "status=operating,planned",
            "status=under_construction",
            "scope=partner",
            "town=440902100,440902103",
        ];
        let chains = [
            "chain=petrochemical",
            "chain=health,modern_agriculture",
            "link=petrochemical.refining",
        ];
        let mut p: Vec<String> = Vec::new();
        for (set, chance) in [(&scalars[..], 0.5), (&chains[..], 0.4)] {
            if g.chance(chance) {
                p.push(g.pick(set).unwrap().to_string());
            }
        }
        if g.chance(0.6) {
            let (x, y) = (110.75 + g.unit() * 0.3, 21.5 + g.unit() * 0.3);
            let (w, h) = (g.unit() * 0.25, g.unit() * 0.25);
            p.push(format!("bbox={x},{y},{},{}", x + w, y + h));
        }
        if g.chance(0.7) {
            p.push(format!("limit={}&offset={}", 1 + g.below(80), g.below(40)));
        }
        SiteFilter::parse_query(&p.join("&")).unwrap()
    }

    /// What an index answers for `f`: the page's keys and the number of matches, and the
    /// stored counts of its scalar and chain parts.
    fn answer(
        store: &Store,
        list: &ListIndex,
        dicts: &Dicts,
        f: &SiteFilter,
    ) -> (Vec<i64>, u64, u64, u64) {
        let v = dicts.verdicts(f);
        let scan = store.scan_list(list, f, &Passes::new(f, &v, list)).unwrap();
        (
            scan.page,
            scan.matched,
            dicts.scalar_sites(&v),
            dicts.chain_sites(&v),
        )
    }

    /// The shared index answers every filter as an index freshly read from the database does.
    fn assert_equals_fresh(shared: &Arc<SharedIndex>, store: &Store, g: &mut Lcg) {
        let version = store.data_version().unwrap();
        let fresh_list = ListIndex::load(&store.conn).unwrap();
        let fresh_dicts = Dicts::load(store).unwrap();
        assert_eq!(shared.version(), Some(version));
        // The cell order moved along by the changes is the one a load makes.
        let cells_agree = shared.with_current(version, |h| h.list.cells() == fresh_list.cells());
        assert_eq!(cells_agree, Some(true));
        for _ in 0..40 {
            let f = random_filter(g);
            let got = shared
                .with_current(version, |h| answer(store, &h.list, &h.dicts, &f))
                .unwrap();
            assert_eq!(got, answer(store, &fresh_list, &fresh_dicts, &f), "{f:?}");
        }
    }

    /// One random single-site change through `store`: an update to another synthetic record
    /// of the same id (new name, category, place, chains: the site moves in the list), a
    /// status change (it stays in place), a deletion, a restoration, a creation or a revert.
    fn random_edit(g: &mut Lcg, store: &mut Store, other: &[Site], deleted: &mut Vec<SiteId>) {
        let pick = g.pick(other).unwrap().clone();
        let result = match g.below(8) {
            0 | 1 => store
                .update_site(&pick, None, "t", Action::Update)
                .map(|_| ()),
            2 | 3 => match store.get(&pick.id).unwrap() {
                Some(mut s) => {
                    s.status = *g.pick(Status::ALL).unwrap();
                    store.update_site(&s, None, "t", Action::Update).map(|_| ())
                }
                None => Ok(()),
            },
            4 => store.delete_site(&pick.id, None, "t").map(|_| {
                deleted.push(pick.id.clone());
            }),
            5 => match deleted.pop() {
                Some(id) => store.restore_site(&id, "t").map(|_| ()),
                None => Ok(()),
            },
            6 => {
                let mut s = pick.clone();
                s.id = SiteId::new(format!("new-{}", g.next_u32())).unwrap();
                store.create_site(&s, "t").map(|_| ())
            }
            _ => {
                let history = store.history(&pick.id).unwrap();
                match g.pick(&history).filter(|r| r.after.is_some()) {
                    Some(r) => store.revert_site(&pick.id, r.rev, None, "t").map(|_| ()),
                    None => Ok(()),
                }
            }
        };
        // A site deleted meanwhile cannot be updated: nothing is written then.
        if let Err(e) = result {
            assert!(
                matches!(e, crate::StoreError::NoSuchSite(_)),
                "unexpected error {e}"
            );
        }
    }

    /// A store of 3 000 synthetic sites with a built shared index attached, and other records
    /// of the same ids for [`random_edit`].
    fn built_for_edits() -> (tempfile::TempDir, Store, Arc<SharedIndex>, Vec<Site>) {
        let (dir, _path, mut store) = synth_file(3000);
        let shared = SharedIndex::manual();
        store.attach_index(shared.clone());
        shared.build_with(&store).unwrap();
        (dir, store, shared, synth::sites(3000, 77))
    }

    #[test]
    fn single_site_changes_move_the_index_to_what_a_full_reload_reads() {
        let (_dir, mut store, shared, other) = built_for_edits();
        assert_eq!(shared.builds(), 1);
        let mut deleted = Vec::new();
        let mut g = Lcg::new(3);
        for round in 0..300 {
            random_edit(&mut g, &mut store, &other, &mut deleted);
            // Moved in place at every commit: never behind, never rebuilt.
            assert_eq!(shared.version(), Some(store.data_version().unwrap()));
            if round % 25 == 0 {
                assert_equals_fresh(&shared, &store, &mut g);
            }
        }
        assert_equals_fresh(&shared, &store, &mut g);
        assert_eq!(shared.builds(), 1);
    }

    /// Verdicts kept for a filter are carried across single-site changes (also several at a
    /// time, for a filter not asked after every change) and equal those computed afresh.
    #[test]
    fn verdicts_carried_across_changes_equal_fresh_ones() {
        let (_dir, mut store, shared, other) = built_for_edits();
        let mut deleted = Vec::new();
        let mut g = Lcg::new(9);
        let filters: Vec<SiteFilter> = (0..8).map(|_| random_filter(&mut g)).collect();
        let (mut carried, mut computed) = (0, std::collections::HashSet::new());
        for _ in 0..200 {
            random_edit(&mut g, &mut store, &other, &mut deleted);
            let version = store.data_version().unwrap();
            for f in filters.iter().filter(|_| g.chance(0.6)) {
                let key = parts_key(f);
                let (got, fresh, found) = shared
                    .with_current(version, |h| {
                        let found = shared.passes.lock().unwrap().find(version, &key);
                        let got = shared.passes(h, f);
                        let fresh = Passes::new(f, &h.dicts.verdicts(f), &h.list);
                        (got, fresh, found)
                    })
                    .unwrap();
                assert_eq!(*got, fresh, "{f:?}");
                match found {
                    Found::Carry(..) => carried += 1,
                    Found::None => assert!(computed.insert(key), "computed twice: {f:?}"),
                    Found::Kept(_) => {}
                }
            }
        }
        // Only the first ask of each filter's parts computed its verdicts.
        assert!(carried > 500, "{carried} carried");
    }

    #[test]
    fn a_build_that_scanned_stores_the_index_and_the_next_start_reads_it_back() {
        let (_dir, path, mut writer) = synth_file(1500);
        let first = SharedIndex::manual_storing(1000);
        writer.attach_index(first.clone());
        let v = writer.data_version().unwrap();
        assert_eq!(stored::version(&writer.conn).unwrap(), None);
        first.build_with(&Store::open(&path).unwrap()).unwrap();
        assert_eq!(stored::version(&writer.conn).unwrap(), Some(v));
        // The copy is what a scan reads, to the byte (the encoding is deterministic).
        let (copy, scanned) = stored::list_index(&writer.conn, v).unwrap();
        assert!(!scanned);
        let fresh = ListIndex::load(&writer.conn).unwrap();
        assert_eq!(copy.encode(), fresh.encode());
        // A second process starts from the copy and answers as a fresh scan does.
        let second = SharedIndex::manual_storing(1000);
        let mut reader = Store::open_readonly(&path).unwrap();
        reader.attach_index(second.clone());
        second.build_with(&reader).unwrap();
        let mut g = Lcg::new(41);
        assert_equals_fresh(&second, &reader, &mut g);

        // Edits leave the copy behind: never read at the new version, the next load scans.
        let other = synth::sites(1500, 78);
        let mut deleted = Vec::new();
        for _ in 0..30 {
            random_edit(&mut g, &mut writer, &other, &mut deleted);
        }
        let now = writer.data_version().unwrap();
        assert!(now > v);
        assert!(stored::read(&writer.conn, now, |_| Ok(()))
            .unwrap()
            .is_none());
        assert!(stored::list_index(&writer.conn, now).unwrap().1);
        // The writer stores its index as the edits moved it (a server stopping), once; a
        // process starting from that copy answers as a fresh scan does.
        assert!(writer.store_list_index_from(1000).unwrap());
        assert!(!writer.store_list_index_from(1000).unwrap());
        assert!(!stored::list_index(&writer.conn, now).unwrap().1);
        let third = SharedIndex::manual_storing(1000);
        let mut reader = Store::open_readonly(&path).unwrap();
        reader.attach_index(third.clone());
        third.build_with(&reader).unwrap();
        assert_equals_fresh(&third, &reader, &mut g);
        // Below the threshold nothing is stored.
        writer.delete_site(&other[0].id, None, "t").ok();
        assert!(!writer.store_list_index_from(1_000_000).unwrap());
    }

    #[test]
    fn a_copy_is_stored_only_at_the_version_its_transaction_read() {
        let (_dir, path, mut writer) = synth_file(300);
        let builder = Store::open(&path).unwrap();
        let tx = builder.read_snapshot().unwrap().unwrap();
        let v = builder.data_version().unwrap();
        let body = ListIndex::load(&builder.conn).unwrap().encode();
        let site = synth::sites(300, 21).remove(5);
        writer.delete_site(&site.id, None, "t").unwrap();
        assert!(stored::write(&builder.conn, v, &body).is_err());
        drop(tx);
        assert_eq!(stored::version(&writer.conn).unwrap(), None);
    }

    #[test]
    fn a_damaged_copy_is_never_read_and_never_panics() {
        let (_dir, _path, writer) = synth_file(400);
        let v = writer.data_version().unwrap();
        let good = ListIndex::load(&writer.conn).unwrap().encode();
        let with_sum = |b: &[u8]| {
            let mut e = stored::Encoder::default();
            e.raw(b);
            e.finish()
        };
        let body = &good[..good.len() - 8];
        let mut damaged = vec![
            Vec::new(),
            good[..good.len() / 2].to_vec(),
            with_sum(&body[..body.len() - 4]),
            with_sum(&[body, &[0_u8; 8]].concat()),
        ];
        let mut flipped = good.clone();
        flipped[good.len() / 3] ^= 0x10;
        damaged.push(flipped);
        // Columns that disagree, under a right checksum: a list of 3 keys and 2 ids.
        let mut e = stored::Encoder::default();
        e.column(&[1_i64, 2, 3]);
        e.column(&[(0_u32, 0_u32); 2]);
        damaged.push(e.finish());
        for bad in &damaged {
            assert!(ListIndex::decode(bad).is_err());
            stored::write(&writer.conn, v, bad).unwrap();
            let (ix, scanned) = stored::list_index(&writer.conn, v).unwrap();
            assert!(scanned);
            assert_eq!(ix.encode(), good);
        }
        // Any byte changed under a right checksum: decoded or refused, and a decoded index
        // answers (whatever it answers) without a panic.
        let dicts = Dicts::load(&writer).unwrap();
        let mut g = Lcg::new(5);
        for _ in 0..2000 {
            let mut b = body.to_vec();
            let i = g.below(b.len());
            b[i] = g.next_u32() as u8;
            if let Ok(ix) = ListIndex::decode(&with_sum(&b)) {
                let f = random_filter(&mut g);
                answer(&writer, &ix, &dicts, &f);
            }
        }
    }

    #[test]
    fn a_build_publishes_the_version_it_read_and_replays_later_edits() {
        let (_dir, path, mut writer) = synth_file(1500);
        let reader = {
            let mut r = Store::open_readonly(&path).unwrap();
            let shared = SharedIndex::manual();
            r.attach_index(shared.clone());
            writer.attach_index(shared.clone());
            (r, shared)
        };
        let (mut reader, shared) = reader;
        let v = writer.data_version().unwrap();
        // A build reads at v; single-site edits commit v + 1, v + 2 before it publishes.
        let (built, _) = shared.load(&reader).unwrap().unwrap();
        let other = synth::sites(1500, 5);
        writer
            .update_site(&other[10], None, "t", Action::Update)
            .unwrap();
        writer.delete_site(&other[11].id, None, "t").unwrap();
        assert_eq!(shared.version(), None);
        assert_eq!(shared.publish(built), v + 2);
        assert_equals_fresh(&shared, &writer, &mut Lcg::new(9));

        // A build read at v + 2 publishing after an import (which it cannot replay) stays at
        // v + 2, where no newer read uses it.
        shared.drop_older_than(u64::MAX);
        let (built, _) = shared.load(&reader).unwrap().unwrap();
        let moved: Vec<Site> = synth::sites(1500, 6).into_iter().take(200).collect();
        writer.import_sites(&moved).unwrap();
        assert_eq!(shared.publish(built), v + 2);
        assert_eq!(shared.version(), Some(v + 2));
        // Every reader's next read sees the import (on the SQL path).
        let f = SiteFilter::parse_query("bbox=110.7,21.4,111.2,21.9&limit=500").unwrap();
        let unattached = Store::open_readonly(&path).unwrap();
        let ids = |s: &Store| {
            let mut out = Vec::new();
            let n = s
                .page(&f, |site| {
                    out.push(site);
                    Ok::<(), crate::StoreError>(())
                })
                .unwrap();
            (out, n)
        };
        assert_eq!(ids(&reader), ids(&unattached));
        assert_eq!(ids(&writer), ids(&unattached));
        // The next build reaches the import.
        assert_eq!(shared.build_with(&reader).unwrap(), v + 3);
        assert_equals_fresh(&shared, &writer, &mut Lcg::new(10));
        reader.set_spatial_threshold(1);
        assert_eq!(ids(&reader), ids(&unattached));
    }

    #[test]
    fn an_edit_is_in_the_next_read_of_every_connection() {
        let (_dir, path, mut writer) = synth_file(2000);
        let shared = SharedIndex::manual();
        writer.attach_index(shared.clone());
        let mut readers: Vec<Store> = (0..3)
            .map(|_| {
                let mut r = Store::open_readonly(&path).unwrap();
                r.attach_index(shared.clone());
                r
            })
            .collect();
        // Before any build: the SQL path answers.
        let bbox = "bbox=111.50,22.50,111.51,22.51";
        let list = SiteFilter::parse_query(&format!("{bbox}&limit=10")).unwrap();
        let by_name = SiteFilter::parse_query("category=key_enterprise&limit=1").unwrap();
        let read = |s: &Store, f: &SiteFilter| {
            let mut ids = Vec::new();
            let n = s
                .page(f, |site| {
                    ids.push(site.id.to_string());
                    Ok::<(), crate::StoreError>(())
                })
                .unwrap();
            (ids, n, s.count(f).unwrap())
        };
        for r in &readers {
            assert_eq!(read(r, &list), (vec![], 0, 0));
        }
        shared.build_with(&readers[0]).unwrap();
        let first = read(&readers[1], &by_name);
        for r in &readers {
            assert_eq!(read(r, &by_name), first);
        }
        // An edit moves a site into the empty box and to the head of its category.
        let mut site = writer.query(&SiteFilter::default()).unwrap().remove(500);
        site.category = atlas_core::Category::KeyEnterprise;
        site.kind = atlas_core::Kind::Enterprise;
        site.name_zh = "〇 最先".into();
        site.location.geometry = Some(atlas_core::SiteGeometry::Point(
            atlas_core::Position::new(111.505, 22.505).unwrap(),
        ));
        site.location.precision = atlas_core::LocationPrecision::Building;
        writer
            .update_site(&site, None, "t", Action::Update)
            .unwrap();
        let id = site.id.to_string();
        for r in &mut readers {
            assert_eq!(read(r, &list), (vec![id.clone()], 1, 1));
            assert_eq!(read(r, &by_name).0, vec![id.clone()]);
            r.set_spatial_threshold(1);
            assert_eq!(read(r, &list).1, 1);
        }
        // In place, not rebuilt; and the readers' answers came from the index at the new
        // version.
        assert_eq!(shared.builds(), 1);
        assert_eq!(shared.version(), Some(writer.data_version().unwrap()));
        // Deleted: gone from every connection's next read.
        writer.delete_site(&site.id, None, "t").unwrap();
        for r in &readers {
            assert_eq!(read(r, &list), (vec![], 0, 0));
        }
        assert_eq!(shared.builds(), 1);
    }

    #[test]
    fn readers_answer_on_the_sql_path_before_the_index_is_built() {
        let (_dir, path, _writer) = synth_file(1000);
        let shared = SharedIndex::manual();
        let mut attached = Store::open_readonly(&path).unwrap();
        attached.attach_index(shared.clone());
        let alone = Store::open_readonly(&path).unwrap();
        let mut g = Lcg::new(4);
        for _ in 0..30 {
            let f = random_filter(&mut g);
            let page = |s: &Store| {
                let mut ids = Vec::new();
                let n = s
                    .page(&f, |site| {
                        ids.push(site.id.to_string());
                        Ok::<(), crate::StoreError>(())
                    })
                    .unwrap();
                (ids, n, s.count(&f).unwrap())
            };
            assert_eq!(page(&attached), page(&alone), "{f:?}");
        }
        assert_eq!(shared.version(), None);
    }
}
