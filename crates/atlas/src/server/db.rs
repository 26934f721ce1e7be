//! The server's database access: rusqlite is blocking, so every call runs off the async
//! workers — reads on a few reader threads, writes on the writer's thread. Each reader thread
//! owns a read-only connection and takes the next read from one queue as soon as it is done
//! with the last (WAL lets them run beside the writer): as many as the cores, so they keep
//! the cores busy with few connections — every connection drops its page cache at each change
//! (and, when the file's size moved, its memory map of the file; see `atlas_store`'s VFS
//! shim), and pays for it in page reads afterwards. Streaming exports, which last as long as
//! their row count, run on connections of their own. One read-write connection serves writes. Every call has a time limit: when it passes, the
//! statement is interrupted (SQLite `sqlite3_interrupt`) and the caller gets
//! `query_timeout`.
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

/// The connections open on one database file, and what is built from that file: the reader
/// threads' read-only connections, [`STREAMS`] more for streaming exports, one writer, the
/// list index they share and the checkpointer.
#[derive(Debug)]
struct Pool {
    /// The file they are open on.
    file: FileId,
    /// The reader threads' queue ([`ReadThreads`]).
    reads: ReadThreads,
    /// The connections of streaming exports, and the slots to take one.
    streams: Mutex<Vec<Store>>,
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

/// How many connections serve streaming exports (each export holds one until it ends).
const STREAMS: usize = 2;

/// How many reader threads (and connections) a server keeps: one a core, two to four.
pub fn default_readers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4))
}

/// A read for the [`ReadThreads`].
type ReadJob = Box<dyn FnOnce(&Store) + Send>;

/// Reader threads, each with a read-only connection of its own, taking reads from one queue.
/// They run on tokio's blocking threads, which start at the runtime's CPU priority. Dropping
/// the queue ends them once the reads queued before are done; [`ReadThreads::close`] waits
/// for that (their connections closed).
#[derive(Debug)]
struct ReadThreads {
    jobs: Option<std::sync::mpsc::Sender<ReadJob>>,
    /// Disconnected once every thread has ended.
    ended: Mutex<std::sync::mpsc::Receiver<()>>,
}

impl ReadThreads {
    /// Starts one thread for each store on `runtime`'s blocking threads.
    fn start(stores: Vec<Store>, runtime: &tokio::runtime::Handle) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<ReadJob>();
        let queue = Arc::new(Mutex::new(queue));
        let (alive, ended) = std::sync::mpsc::channel::<()>();
        for store in stores {
            let (queue, alive) = (Arc::clone(&queue), alive.clone());
            runtime.spawn_blocking(move || {
                serve_reads(&store, &queue);
                drop(store);
                drop(alive);
            });
        }
        Self {
            jobs: Some(jobs),
            ended: Mutex::new(ended),
        }
    }

    /// Ends the threads after the reads queued, and waits until their connections are closed.
    fn close(mut self) {
        self.jobs = None;
        if let Ok(ended) = self.ended.lock() {
            while ended.recv().is_ok() {}
        }
    }
}

/// A reader thread's loop: the next read of the queue on `store`, until the queue is dropped.
fn serve_reads(store: &Store, queue: &Mutex<std::sync::mpsc::Receiver<ReadJob>>) {
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = next else {
            return;
        };
        // A read that panics is its caller's internal error; the connection serves on.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(store)));
    }
}

/// A running read's connection, for its caller to interrupt when the time limit passes.
#[derive(Default)]
struct Running {
    interrupt: Mutex<Option<atlas_store::InterruptHandle>>,
}

impl Running {
    fn start(&self, store: &Store) {
        if let Ok(mut slot) = self.interrupt.lock() {
            *slot = Some(store.interrupt_handle());
        }
    }

    /// Done: a late interrupt must not reach the connection's next read.
    fn finish(&self) {
        if let Ok(mut slot) = self.interrupt.lock() {
            *slot = None;
        }
    }

    fn interrupt(&self) {
        if let Some(h) = self
            .interrupt
            .lock()
            .ok()
            .as_deref()
            .and_then(Option::as_ref)
        {
            h.interrupt();
        }
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
    /// Opens the writer, `readers` reader threads on `runtime` (a read-only connection each)
    /// and the streams' connections on the file at `path`, and starts the first build of their
    /// shared list index in the background (on a thread and a connection of its own). At start (`today` given) a missing or empty database is created
    /// with the default dataset; a file that replaced the first one is opened as it is, once
    /// [`atlas_store::check_database`] accepts it (else `corrupt_database`).
    fn open(
        path: &Path,
        readers: usize,
        clock: Clock,
        today: Option<chrono::NaiveDate>,
        runtime: &tokio::runtime::Handle,
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
        let open = |n: usize| {
            (0..n)
                .map(|_| {
                    let mut reader = Store::open_readonly(path)?;
                    reader.attach_index(Arc::clone(&index));
                    Ok(reader)
                })
                .collect::<Result<Vec<_>, StoreError>>()
        };
        let reads = ReadThreads::start(open(readers)?, runtime);
        let streams = open(STREAMS)?;
        index.start_build();
        log_when_ready(&index);
        Ok(Self {
            file,
            reads,
            streams: Mutex::new(streams),
            permits: Arc::new(Semaphore::new(STREAMS)),
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
        self.reads.close();
        drop(self.streams);
        match self.writer.into_inner() {
            Some(writer) => writer.close_checkpointed(),
            None => Ok(()),
        }
    }

    /// Takes a stream's connection out of the pool, waiting for a free slot; dropping the
    /// permit frees it.
    async fn checkout(&self) -> Result<(tokio::sync::OwnedSemaphorePermit, Store), ApiError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Unavailable("the server is shutting down".into()))?;
        let store = self
            .streams
            .lock()
            .map_err(|_| ApiError::internal("stream pool poisoned"))?
            .pop()
            .ok_or_else(|| ApiError::internal("no stream connection despite a permit"))?;
        Ok((permit, store))
    }

    /// Puts a stream's connection back.
    fn checkin(&self, store: Store) {
        if let Ok(mut pool) = self.streams.lock() {
            pool.push(store);
        }
    }
}

impl Db {
    /// Opens the database (creating it with the default dataset when missing or empty),
    /// `readers` reader threads (a read-only connection each) and the streams' connections,
    /// all attached to one shared list index whose first build starts in the background (on a
    /// thread and a connection of its own). Call within a tokio runtime: the reader threads
    /// are its blocking threads.
    pub fn open(
        path: &Path,
        readers: usize,
        timeout: Duration,
        today: chrono::NaiveDate,
        clock: Clock,
    ) -> anyhow::Result<Arc<Self>> {
        let readers = readers.max(1);
        let runtime = tokio::runtime::Handle::try_current()
            .context("the database's reader threads need a tokio runtime")?;
        let pool = Pool::open(path, readers, clock, Some(today), &runtime)?;
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
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            if let Some(Err(e)) = old.map(Pool::close) {
                tracing::warn!(error = %e, "closing the connections on the replaced database file");
            }
            let pool = Pool::open(&path, readers, clock, None, &runtime)?;
            generation.fetch_add(1, Ordering::SeqCst);
            *guard = Some(pool);
            tracing::warn!(path = %path.display(), "the database file was replaced; reopened on the new one");
            Ok(())
        })
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    /// Runs `f` with a read-only store on a reader thread, within the time limit (counted from
    /// the moment a thread takes it: a read waiting in the queue is not the slow one).
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.current().await?;
        let reads = pool.reads.jobs.clone();
        let (started, on_start) = tokio::sync::oneshot::channel();
        let (done, result) = tokio::sync::oneshot::channel();
        let running = Arc::new(Running::default());
        let run = Arc::clone(&running);
        // The lock on the pool travels with the read: the file is not closed under it.
        let job: ReadJob = Box::new(move |store| {
            let _pool = pool;
            // Its caller is gone (the client hung up): nothing to do.
            if started.is_closed() {
                return;
            }
            run.start(store);
            let _ = started.send(());
            let out = f(store);
            run.finish();
            let _ = done.send(out);
        });
        if reads.is_none_or(|r| r.send(job).is_err()) {
            return Err(ApiError::Unavailable("the server is shutting down".into()));
        }
        let gone = || ApiError::internal("database task failed");
        on_start.await.map_err(|_| gone())?;
        match tokio::time::timeout(self.timeout, result).await {
            Ok(Ok(out)) => out,
            Ok(Err(_)) => Err(gone()),
            Err(_) => {
                running.interrupt();
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

    /// A read that panics is its caller's internal error; the reader thread serves on. A long
    /// export holds a connection of its own, never the reader thread.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_read_or_a_long_export_leaves_the_reader_serving() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(
            &dir.path().join("t.db"),
            1,
            DEFAULT_QUERY_TIMEOUT,
            today(),
            atlas_core::clock::Clock::system(),
        )
        .unwrap();
        let failed = db
            .read(|_| -> Result<(), ApiError> { panic!("a bug") })
            .await;
        assert!(matches!(failed, Err(ApiError::Internal(_))), "{failed:?}");
        let (release, held) = std::sync::mpsc::channel::<()>();
        db.stream(move |_| {
            let _ = held.recv();
        })
        .await
        .unwrap();
        let n = db
            .read(|s| Ok(s.count(&atlas_core::SiteFilter::default())?))
            .await
            .unwrap();
        assert!(n >= 50);
        release.send(()).unwrap();
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
