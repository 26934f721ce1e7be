//! WAL checkpoints off the writer's path.
//!
//! By default SQLite checkpoints inside the commit that takes the write-ahead log past 1,000
//! pages: that commit copies the log into the database file and syncs it, and the one save
//! that happens to cross the mark waits for all of it. A server instead defers checkpoints on
//! its writer ([`Store::defer_checkpoints`]) and nudges a [`Checkpointer`] after each write:
//! a thread with a connection of its own that runs a passive checkpoint (it never blocks a
//! reader or the writer) shortly after the last nudge. The log then stays short, so readers
//! also keep fewer of its pages in their caches.
//!
//! The same thread merges the full-text index's segments. By default FTS5 merges them inside
//! the commit that adds the segment completing a level ("automerge"): most saves merge a few
//! small segments, but one in a while merges large ones — at a million sites the twelfth save
//! after a start spent 4.3 s merging segments the import had left. A server turns that off on
//! its writer ([`Store::defer_fts_merges`]) and this thread merges instead, after the
//! checkpoint, in small steps of its own transactions ([`MERGE_PAGES`] pages each, at most
//! [`MERGE_STEPS`] per nudge, stopping for a new write's checkpoint), so a save waits for at
//! most one step. A server nudges it once at start, for segments left by others (a bulk import
//! merges its own before it commits). Merges start only after a pause in the writes
//! ([`MERGE_PAUSE`]): each save adds a small segment, and merging them while an editor saves
//! every few tenths of a second rewrote, every so many saves, the one large segment an import
//! leaves, taking CPU from the reads — while merging after the session does the same work
//! once; FTS5's crisis merge bounds the segments
//! a long session leaves meanwhile.
//!
//! The same thread keeps the database file growing in steps rather than page by page. Readers
//! map the file into memory (`mmap_size`), and SQLite maps it again, in every reader connection,
//! whenever the file's size changes: a save that adds a page at the end of a 1 GB file made
//! each reader fault the pages of its next queries in anew, a large share of the reads' CPU
//! while an editor saves (BENCHMARKS.md, "Reads during writes"). So before each checkpoint,
//! when fewer free pages are left inside a file of [`RESERVE_FROM_BYTES`] or more than a quarter
//! of a step (a 32nd of the file, at most [`MAX_STEP_BYTES`]), the thread allocates a step of
//! pages and frees them in one transaction (`file_reserve`, empty again at its commit): the
//! file grows once, and the next saves take its free pages without changing its size.

use crate::error::Result;
use crate::{sql, Store};
use rusqlite::Connection;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// How long the checkpointer waits after a nudge for more writes before it checkpoints.
const SETTLE: Duration = Duration::from_millis(100);

/// How long after the last write the full-text merges start: not between the saves of an
/// editing session (see the module documentation).
const MERGE_PAUSE: Duration = Duration::from_secs(2);

/// Pages of the full-text index one merge step writes (at most).
const MERGE_PAGES: u32 = 64;
/// Merge steps after one nudge, at most (more are left for the next write's nudge).
const MERGE_STEPS: usize = 512;
/// FTS5's `crisismerge` for a deferring writer: a commit still merges a level once it holds
/// this many segments (FTS5's default is 16, which an import's leftover segments on level 0
/// plus a dozen saves reach before the background merges have caught up).
const CRISIS_MERGE: u32 = 64;

/// Runs passive checkpoints of one database on a thread of its own (see the module
/// documentation). Dropping it ends the thread after its current checkpoint and waits for it,
/// so its connection is closed (the last connection to close removes the log).
#[derive(Debug)]
pub struct Checkpointer {
    nudge: Option<SyncSender<()>>,
    frames: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a connection to the database at `path` and starts the thread; `None` when the
    /// system refuses a thread (the writer then keeps checkpointing in its commits).
    pub fn start(path: &Path) -> Result<Option<Self>> {
        let conn = Connection::open(path)?;
        crate::store::wait_when_busy(&conn)?;
        let (nudge, nudged) = sync_channel(1);
        let frames = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&frames);
        let spawned = std::thread::Builder::new()
            .name("atlas-checkpoint".into())
            .spawn(move || run(&conn, &nudged, &counted));
        Ok(spawned.ok().map(|thread| Self {
            nudge: Some(nudge),
            frames,
            thread: Some(thread),
        }))
    }

    /// Asks for a checkpoint soon (a write has just committed). Never blocks.
    pub fn nudge(&self) {
        if let Some(nudge) = &self.nudge {
            match nudge.try_send(()) {
                // A nudge already waiting covers this one; a stopped thread has nothing to do.
                Ok(()) | Err(TrySendError::Full(()) | TrySendError::Disconnected(())) => {}
            }
        }
    }

    /// The log frames copied into the database file so far.
    pub fn frames_checkpointed(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop.
        drop(self.nudge.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Files smaller than this grow page by page, as SQLite makes them grow.
const RESERVE_FROM_BYTES: i64 = 64 << 20;
/// A step of growth is this share of the file …
const STEP_SHARE: i64 = 32;
/// … and at most this many bytes.
const MAX_STEP_BYTES: i64 = 64 << 20;

/// Keeps free pages inside the database file of `conn` (see the module documentation), for
/// files of `from_bytes` or more, in steps of a `share`th of the file; returns whether it grew
/// the file.
pub(crate) fn keep_free_pages(
    conn: &Connection,
    from_bytes: i64,
    share: i64,
) -> rusqlite::Result<bool> {
    let value = |pragma: &str| conn.query_row(pragma, [], |r| r.get::<_, i64>(0));
    let page = value("PRAGMA page_size")?;
    let size = value("PRAGMA page_count")? * page;
    let free = value("PRAGMA freelist_count")? * page;
    let step = (size / share.max(1)).min(MAX_STEP_BYTES);
    if size < from_bytes || free >= step / 4 {
        return Ok(false);
    }
    let tx = conn.unchecked_transaction()?;
    tx.execute(sql::FILE_RESERVE, [step])?;
    tx.execute(sql::CLEAR_FILE_RESERVE, [])?;
    tx.commit()?;
    Ok(true)
}

fn run(conn: &Connection, nudged: &Receiver<()>, frames: &AtomicU64) {
    let mut pending = nudged.recv().is_ok();
    while pending {
        std::thread::sleep(SETTLE);
        // Nudges that came while settling are covered by this checkpoint.
        while nudged.try_recv().is_ok() {}
        // A failure (e.g. a full disk) leaves the file growing page by page until the next try.
        let _ = keep_free_pages(conn, RESERVE_FROM_BYTES, STEP_SHARE);
        // (busy, frames in the log, frames checkpointed); a failure (e.g. a full disk) is
        // retried at the next nudge, and the log stays valid meanwhile.
        if let Ok((_, _, done)) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        }) {
            frames.fetch_add(u64::try_from(done).unwrap_or(0), Ordering::Relaxed);
        }
        // Merges wait for a pause in the writes; a write that nudged while merging is
        // checkpointed at once.
        pending = match nudged.recv_timeout(MERGE_PAUSE) {
            Ok(()) => true,
            Err(RecvTimeoutError::Timeout) => merge_fts(conn, nudged) || nudged.recv().is_ok(),
            Err(RecvTimeoutError::Disconnected) => false,
        };
    }
}

/// Merges full-text segments in steps of [`MERGE_PAGES`] until nothing is left to merge, a
/// step fails (it is tried again at the next nudge), [`MERGE_STEPS`] were made, or a write
/// nudged meanwhile (its checkpoint comes first: returns true).
fn merge_fts(conn: &Connection, nudged: &Receiver<()>) -> bool {
    for _ in 0..MERGE_STEPS {
        let before = conn.total_changes();
        if conn.execute(sql::FTS_MERGE, [MERGE_PAGES]).is_err() {
            return false;
        }
        // FTS5: a step that merged anything counts two or more changes.
        if conn.total_changes() < before + 2 {
            return false;
        }
        if nudged.try_recv().is_ok() {
            return true;
        }
    }
    false
}

impl Store {
    /// Stops this connection from checkpointing in its commits: a [`Checkpointer`] does it.
    pub fn defer_checkpoints(&self) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(())
    }

    /// Stops commits from merging the full-text index's segments: a [`Checkpointer`] does it.
    /// Stored in the database (FTS5's `automerge` and `crisismerge` settings): other writers
    /// of the file then merge only when a level holds [`CRISIS_MERGE`] segments.
    pub fn defer_fts_merges(&self) -> Result<()> {
        self.conn.execute(sql::FTS_AUTOMERGE, [0])?;
        self.conn.execute(sql::FTS_CRISISMERGE, [CRISIS_MERGE])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::synth;

    #[test]
    fn the_file_grows_by_a_step_of_free_pages_that_the_next_saves_take_without_growing_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reserve.db");
        let mut store = Store::open(&path).unwrap();
        store
            .replace_reference(&atlas_core::dataset::Reference::embedded().unwrap())
            .unwrap();
        store.import_sites(&synth::sites(2000, 3)).unwrap();
        let conn = Connection::open(&path).unwrap();
        let value = |pragma: &str| conn.query_row(pragma, [], |r| r.get::<_, i64>(0)).unwrap();
        let pages = value("PRAGMA page_count");
        // Below the size it starts from, nothing happens.
        assert!(!keep_free_pages(&conn, pages * value("PRAGMA page_size") + 1, 2).unwrap());
        // A step of half the file (a 32nd in a server) covers these few saves.
        assert!(keep_free_pages(&conn, 1, 2).unwrap());
        let (grown, free) = (value("PRAGMA page_count"), value("PRAGMA freelist_count"));
        assert!(
            grown > pages && free >= grown - pages,
            "{pages} → {grown}, {free} free"
        );
        assert_eq!(value("SELECT count(*) FROM file_reserve"), 0);
        // Saves take free pages; the file keeps its size; enough is left for no new step.
        let edits = synth::sites(2000, 4);
        for s in edits.iter().take(20) {
            store
                .update_site(s, None, "t", crate::Action::Update)
                .unwrap();
        }
        assert_eq!(value("PRAGMA page_count"), grown);
        assert!(value("PRAGMA freelist_count") < free);
        assert!(!keep_free_pages(&conn, 1, 2).unwrap());
    }
}
