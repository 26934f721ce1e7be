//! The server's database access: rusqlite is blocking, so every call runs off the async
//! workers — reads on tokio's blocking thread pool, writes on the writer's thread. A small pool of read-only connections serves reads
//! in parallel (WAL lets them run beside the writer); one read-write connection serves writes.
//! Every call has a time limit: when it passes, the statement is interrupted (SQLite
//! `sqlite3_interrupt`) and the caller gets `query_timeout`.
//!
//! The writer does not checkpoint the write-ahead log in its commits: a [`Checkpointer`] does,
//! on a thread of its own, shortly after each write.
//!
//! Writes run on a thread of their own ([`WriteThread`]), started with the server at the
//! process's CPU priority; `atlas serve` runs the runtime's threads (requests, reads, exports)
//! at a lower one, so a save is not starved when reads keep every core busy.
//!
//! Every connection, readers and writer, shares the process's one list index
//! ([`SharedIndex`]): built once in the background at start (reads take the SQL path until it
//! is ready, never waiting for it), moved in place by every single-site change of the writer,
//! rebuilt in the background after an import.
//!
//! The connections stay open on the file they opened, even when its path is deleted or
//! another file is renamed into it: before each call one `stat` of the path ([`FileId`])
//! tells. A missing file answers `503 database_missing` until it is back; another file
//! (a restored backup) gets a new pool, list index and generation (see [`Db::current`]).

use super::error::ApiError;
use anyhow::Context as _;
use atlas_core::clock::Clock;
use atlas_store::{Checkpointer, FileId, FileState, SharedIndex, Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedRwLockReadGuard, RwLock, Semaphore};

/// Default time limit of one database call.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The connections open on one database file, and what is built from that file: `readers`
/// read-only connections, one writer, the list index they share and the checkpointer.
#[derive(Debug)]
struct Pool {
    /// The file they are open on.
    file: FileId,
    readers: Mutex<Vec<Store>>,
    permits: Arc<Semaphore>,
    writer: tokio::sync::Mutex<Option<Store>>,
    /// The list index every connection shares.
    index: Arc<SharedIndex>,
    /// Checkpoints the write-ahead log after writes, off the writer's path (`None`: the
    /// writer checkpoints in its commits, SQLite's default).
    checkpoints: Option<Checkpointer>,
}

/// Logs how long the list index took to be ready after the start of its build (the time reads
/// take the SQL path), from a thread of its own.
fn log_when_ready(index: &Arc<SharedIndex>) {
    let index = Arc::clone(index);
    let started = std::time::Instant::now();
    let spawned = std::thread::Builder::new()
        .name("list-index-ready".into())
        .spawn(move || {
            let version = index.wait_idle();
            let ms = started.elapsed().as_millis();
            tracing::info!(ms, ?version, "list index ready");
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no thread to report the list index");
    }
}

/// A pool of stores on the database file at a path, reopened when another file takes the
/// path's place (see [`Db::current`]).
#[derive(Debug)]
pub struct Db {
    path: PathBuf,
    readers: usize,
    timeout: Duration,
    clock: Clock,
    /// The pool on the file the path names (`None` after a file that replaced it failed to
    /// open). Every call holds a read lock for as long as it uses a connection; reopening holds
    /// the write lock, so it waits for the calls on the old file to end.
    pool: Arc<RwLock<Option<Pool>>>,
    /// How many times the pool was reopened on another file: what was kept of the old file
    /// (cached tiles, reference data, `ETag`s) is not reused for the new one.
    generation: Arc<AtomicU64>,
    /// Where the writer's calls run.
    writes: WriteThread,
}

/// A call for the [`WriteThread`].
type WriteJob = Box<dyn FnOnce() + Send>;

/// The thread the writer's calls run on, one after the other. It is started once, with the
/// [`Db`], by the thread that opens it (the server's main thread), and so keeps that thread's
/// CPU priority whatever the runtime's threads run at (a thread starts at its creator's).
#[derive(Debug)]
struct WriteThread {
    jobs: std::sync::mpsc::Sender<WriteJob>,
}

impl WriteThread {
    /// Starts the thread; it ends when the `WriteThread` is dropped.
    fn start() -> std::io::Result<Self> {
        let (jobs, queue) = std::sync::mpsc::channel::<WriteJob>();
        std::thread::Builder::new()
            .name("atlas-writer".into())
            .spawn(move || {
                for job in queue {
                    job();
                }
            })?;
        Ok(Self { jobs })
    }

    /// Runs `f` on the thread and waits for its result; a panic in `f` is an internal error.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: WriteJob = Box::new(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = done.send(out);
        });
        self.jobs
            .send(job)
            .map_err(|_| ApiError::internal("the writer's thread has stopped"))?;
        match result.await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(_)) => Err(ApiError::internal("database task panicked")),
            Err(_) => Err(ApiError::internal("the writer's thread has stopped")),
        }
    }
}

/// A read lock on the current pool.
type Current = OwnedRwLockReadGuard<Option<Pool>, Pool>;

impl Pool {
    /// Opens the writer and `readers` read-only connections on the file at `path`, and starts
    /// the first build of their shared list index in the background (on a thread and a
    /// connection of its own). At start (`today` given) a missing or empty database is created
    /// with the default dataset; a file that replaced the first one is opened as it is, once
    /// [`atlas_store::check_database`] accepts it (else `corrupt_database`).
    fn open(
        path: &Path,
        readers: usize,
        clock: Clock,
        today: Option<chrono::NaiveDate>,
    ) -> Result<Self, StoreError> {
        let before = if today.is_some() {
            None
        } else {
            Some(FileId::of(path)?)
        };
        let mut writer = match today {
            Some(_) => Store::open(path)?,
            None => {
                // A file put in its place must be an atlas database: never make one of it.
                atlas_store::check_database(path).map_err(|e| StoreError::Corrupt {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                })?;
                Store::open_existing(path)?
            }
        };
        let file = FileId::of(path)?;
        if before.is_some_and(|b| b != file) {
            return Err(StoreError::DatabaseMissing {
                path: path.to_path_buf(),
                detail: "it was replaced again while being opened".into(),
            });
        }
        // The one writer stamps revisions and users with the server's clock.
        writer.set_clock(clock);
        if let Some(today) = today {
            if writer.is_empty()? {
                writer.load_default(today)?;
            }
        }
        let checkpoints = Checkpointer::start(path)?;
        if let Some(c) = &checkpoints {
            writer.defer_checkpoints()?;
            writer.defer_fts_merges()?;
            // Merges the segments an import left before the first save needs them merged.
            c.nudge();
        }
        let index = SharedIndex::new(path);
        writer.attach_index(Arc::clone(&index));
        let pool = (0..readers)
            .map(|_| {
                let mut reader = Store::open_readonly(path)?;
                reader.attach_index(Arc::clone(&index));
                Ok(reader)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        index.start_build();
        log_when_ready(&index);
        Ok(Self {
            file,
            readers: Mutex::new(pool),
            permits: Arc::new(Semaphore::new(readers)),
            writer: tokio::sync::Mutex::new(Some(writer)),
            index,
            checkpoints,
        })
    }

    /// Closes every connection (blocking), the writer last, after it emptied the write-ahead
    /// log into the old file: a log left at the path would otherwise be read as the new
    /// file's.
    fn close(self) -> Result<(), StoreError> {
        self.index.wait_idle();
        drop(self.checkpoints);
        drop(self.readers);
        match self.writer.into_inner() {
            Some(writer) => writer.close_checkpointed(),
            None => Ok(()),
        }
    }

    /// Takes a reader out of the pool, waiting for a free slot; dropping the permit frees it.
    async fn checkout(&self) -> Result<(tokio::sync::OwnedSemaphorePermit, Store), ApiError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Unavailable("the server is shutting down".into()))?;
        let store = self
            .readers
            .lock()
            .map_err(|_| ApiError::internal("reader pool poisoned"))?
            .pop()
            .ok_or_else(|| ApiError::internal("no reader available despite a permit"))?;
        Ok((permit, store))
    }

    /// Puts a reader back.
    fn checkin(&self, store: Store) {
        if let Ok(mut pool) = self.readers.lock() {
            pool.push(store);
        }
    }
}

impl Db {
    /// Opens the database (creating it with the default dataset when missing or empty) and
    /// `readers` read-only connections, all attached to one shared list index whose first
    /// build starts in the background (on a thread and a connection of its own).
    pub fn open(
        path: &Path,
        readers: usize,
        timeout: Duration,
        today: chrono::NaiveDate,
        clock: Clock,
    ) -> anyhow::Result<Arc<Self>> {
        let readers = readers.max(1);
        let pool = Pool::open(path, readers, clock, Some(today))?;
        let writes = WriteThread::start().context("starting the writer's thread")?;
        Ok(Arc::new(Self {
            path: path.to_path_buf(),
            readers,
            timeout,
            clock,
            pool: Arc::new(RwLock::new(Some(pool))),
            generation: Arc::new(AtomicU64::new(0)),
            writes,
        }))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many times the pool was reopened on another file, shared with whatever keeps
    /// things per data version (the cache): a data version means the same data only within
    /// one generation.
    pub fn generation(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.generation)
    }

    /// The list index every connection of the current pool shares (`None` while no pool is
    /// open).
    pub async fn index(&self) -> Option<Arc<SharedIndex>> {
        let pool = self.pool.read().await;
        pool.as_ref().map(|p| Arc::clone(&p.index))
    }

    /// The pool on the file the path names now: the one check of the file's identity, one
    /// `stat` before each call. A path naming no file is `503 database_missing` (the
    /// connections stay open on the old file, and serve again once it is moved back); a path
    /// naming another file (e.g. a restored backup renamed into place) is opened first.
    async fn current(&self) -> Result<Current, ApiError> {
        for _ in 0..2 {
            let guard = Arc::clone(&self.pool).read_owned().await;
            let same = match guard.as_ref() {
                Some(pool) => pool.file.check(&self.path)? == FileState::Same,
                None => false,
            };
            if same {
                if let Ok(pool) = OwnedRwLockReadGuard::try_map(guard, Option::as_ref) {
                    return Ok(pool);
                }
                continue;
            }
            drop(guard);
            self.reopen().await?;
        }
        Err(ApiError::Unavailable(
            "数据库文件正在更换，请稍后重试 the database file is being replaced; try again".into(),
        ))
    }

    /// Closes the pool on the old file once every call on it has ended, and opens one on the
    /// file the path names now, with a list index of its own; the generation moves on.
    async fn reopen(&self) -> Result<(), ApiError> {
        let mut guard = Arc::clone(&self.pool).write_owned().await;
        // Another call may have reopened it while this one waited.
        if let Some(pool) = guard.as_ref() {
            if pool.file.check(&self.path)? == FileState::Same {
                return Ok(());
            }
        }
        let old = guard.take();
        let (path, readers, clock) = (self.path.clone(), self.readers, self.clock);
        let generation = Arc::clone(&self.generation);
        tokio::task::spawn_blocking(move || {
            if let Some(Err(e)) = old.map(Pool::close) {
                tracing::warn!(error = %e, "closing the connections on the replaced database file");
            }
            let pool = Pool::open(&path, readers, clock, None)?;
            generation.fetch_add(1, Ordering::SeqCst);
            *guard = Some(pool);
            tracing::warn!(path = %path.display(), "the database file was replaced; reopened on the new one");
            Ok(())
        })
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    /// Runs `f` with a read-only store on a blocking thread, within the time limit.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.current().await?;
        let (permit, store) = pool.checkout().await?;
        let interrupt = store.interrupt_handle();
        // The permit and the lock on the pool travel with the connection: after a timeout the
        // slot stays taken until the interrupted statement has really stopped and the
        // connection is back in the pool.
        let task = tokio::task::spawn_blocking(move || {
            let out = f(&store);
            pool.checkin(store);
            drop(permit);
            out
        });
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(out)) => out,
            Ok(Err(join)) => Err(ApiError::internal(format!("database task failed: {join}"))),
            Err(_) => {
                interrupt.interrupt();
                Err(ApiError::Timeout)
            }
        }
    }

    /// Runs `f` with the read-write store on the writer's thread (one writer at a time).
    pub async fn write<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.current().await?;
        let mut guard = pool.writer.lock().await;
        let mut store = guard
            .take()
            .ok_or_else(|| ApiError::internal("writer missing"))?;
        let (store, out) = self
            .writes
            .run(move || {
                let out = f(&mut store);
                (store, out)
            })
            .await?;
        *guard = Some(store);
        if let Some(c) = &pool.checkpoints {
            c.nudge();
        }
        out
    }

    /// Starts `f` with a read-only store on a blocking thread WITHOUT the time limit and returns
    /// at once — for streaming exports, whose duration grows with the row count: `f` writes into
    /// a bounded channel that the response body reads. The pool slot is held until `f` returns.
    pub async fn stream<F>(self: &Arc<Self>, f: F) -> Result<(), ApiError>
    where
        F: FnOnce(&Store) + Send + 'static,
    {
        let pool = self.current().await?;
        let (permit, store) = pool.checkout().await?;
        tokio::task::spawn_blocking(move || {
            f(&store);
            pool.checkin(store);
            drop(permit);
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atlas_core::Labelled;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_call_past_its_time_limit_times_out_and_the_pool_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(
            &dir.path().join("t.db"),
            1,
            Duration::from_millis(200),
            today(),
            atlas_core::clock::Clock::system(),
        )
        .unwrap();
        let slow = db
            .read(|_store| {
                std::thread::sleep(Duration::from_millis(600));
                Ok(())
            })
            .await;
        assert!(matches!(slow, Err(ApiError::Timeout)), "{slow:?}");
        // The single reader comes back once the slow call ends; the next call waits for it.
        let n = db
            .read(|s| Ok(s.count(&atlas_core::SiteFilter::default())?))
            .await
            .unwrap();
        assert!(n >= 50);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_missing_database_is_created_with_the_default_dataset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let db = Db::open(
            &path,
            2,
            DEFAULT_QUERY_TIMEOUT,
            today(),
            atlas_core::clock::Clock::system(),
        )
        .unwrap();
        assert!(path.exists());
        let n = db
            .read(|s| Ok(s.count(&atlas_core::SiteFilter::default())?))
            .await
            .unwrap();
        assert!(n >= 50);
    }

    /// Runs one read on every reader connection at once (each holds its connection until all
    /// have one), returning what each saw.
    async fn on_every_reader<T: Send + 'static>(
        db: &Arc<Db>,
        n: usize,
        f: impl Fn(&Store) -> T + Send + Sync + 'static,
    ) -> Vec<T> {
        let barrier = Arc::new(std::sync::Barrier::new(n));
        let f = Arc::new(f);
        let calls = (0..n).map(|_| {
            let (barrier, f) = (Arc::clone(&barrier), Arc::clone(&f));
            db.read(move |s| {
                barrier.wait();
                Ok(f(s))
            })
        });
        futures_util::future::join_all(calls)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn an_edit_is_in_the_next_read_of_every_connection() {
        let dir = tempfile::tempdir().unwrap();
        let readers = 3;
        let db = Db::open(
            &dir.path().join("t.db"),
            readers,
            DEFAULT_QUERY_TIMEOUT,
            today(),
            atlas_core::clock::Clock::system(),
        )
        .unwrap();
        // Readers answer at once, built or not.
        let all = atlas_core::SiteFilter::parse_query("limit=1000").unwrap();
        let ids = move |s: &Store| {
            let mut ids = Vec::new();
            let n = s
                .page(&all, |site| {
                    ids.push(site.id.to_string());
                    Ok::<(), StoreError>(())
                })
                .unwrap();
            (ids, n)
        };
        let before = on_every_reader(&db, readers, ids.clone()).await;
        assert!(before.iter().all(|b| *b == before[0] && b.1 >= 50));
        let index = db.index().await.unwrap();
        let built = tokio::task::spawn_blocking(move || index.wait_idle())
            .await
            .unwrap();
        let version = db.write(|s| Ok(s.data_version()?)).await.unwrap();
        assert_eq!(built, Some(version));

        // Renamed to the head of the list and moved into a box of its own.
        let mut site = db
            .read(|s| Ok(s.query(&atlas_core::SiteFilter::default())?))
            .await
            .unwrap()
            .remove(20);
        site.name_zh = "0 最先".into();
        site.category = atlas_core::Category::ALL[0];
        site.kind = *atlas_core::Kind::ALL
            .iter()
            .find(|k| k.category() == site.category)
            .unwrap();
        site.location.geometry = Some(atlas_core::SiteGeometry::Point(
            atlas_core::Position::new(111.505, 22.505).unwrap(),
        ));
        site.location.precision = atlas_core::LocationPrecision::Building;
        let id = site.id.to_string();
        db.write(move |s| Ok(s.update_site(&site, None, "t", atlas_store::Action::Update)?))
            .await
            .unwrap();
        let boxed = atlas_core::SiteFilter::parse_query("bbox=111.50,22.50,111.51,22.51").unwrap();
        let seen = on_every_reader(&db, readers, move |s| {
            (ids(s).0.first().cloned(), s.count(&boxed).unwrap())
        })
        .await;
        assert!(
            seen.iter()
                .all(|(first, n)| first.as_deref() == Some(&id) && *n == 1),
            "{seen:?}"
        );
        // Moved in place: no second build, and at the new version.
        assert_eq!(db.index().await.unwrap().builds(), 1);
        assert_eq!(db.index().await.unwrap().version(), Some(version + 1));

        // An import: every reader's next read has it (on the SQL path until the index is
        // rebuilt, once, in the background).
        let total = before[0].1;
        db.write(|s| Ok(s.import_sites(&atlas_store::synth::sites(300, 3))?))
            .await
            .unwrap();
        let in_box = || atlas_core::SiteFilter::parse_query("bbox=110,21,112,23&limit=5").unwrap();
        let alone = Store::open_readonly(dir.path().join("t.db")).unwrap();
        let want = (
            total + 300,
            alone.count(&in_box()).unwrap(),
            alone.query(&in_box()).unwrap(),
        );
        assert!(want.1 > 100 && want.2.len() == 5);
        let seen = on_every_reader(&db, readers, move |s| {
            (
                s.count(&atlas_core::SiteFilter::default()).unwrap(),
                s.count(&in_box()).unwrap(),
                s.query(&in_box()).unwrap(),
            )
        })
        .await;
        assert!(seen.iter().all(|s| *s == want));
        let index = db.index().await.unwrap();
        let built = tokio::task::spawn_blocking(move || index.wait_idle())
            .await
            .unwrap();
        assert_eq!(built, Some(version + 2));
        assert_eq!(db.index().await.unwrap().builds(), 2);
    }
}
