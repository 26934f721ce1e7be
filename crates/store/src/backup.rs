//! Never losing data: online backups and restores with SQLite's backup API.
//!
//! - [`Store::backup_to`] copies the database page by page *in one step*, inside one read
//!   transaction: the copy is the database as of one commit, while other connections (a
//!   running server) keep reading and writing (WAL). The copy is written to a temporary file
//!   beside the target, checked (`PRAGMA quick_check`), switched to a rollback journal (one
//!   self-contained file) and then renamed into place, so a crash never leaves half a backup
//!   under the target's name.
//! - [`check_database`] tells an atlas database from anything else: `PRAGMA integrity_check`
//!   says `ok`, the atlas tables are there, and the schema version is one this program knows.
//! - [`Store::restore_from`] copies a checked file *into* the open database with the same
//!   backup API (one write transaction: all of it or, after a crash, none), then migrates it
//!   to this program's schema and moves the data version past both files' (so no `ETag` of
//!   the replaced data is ever reused). Other connections, e.g. a running server's, see the
//!   restored data at their next statement.

use crate::error::{Result, StoreError};
use crate::{migrations, sql, Store};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often a backup step waits for a lock before giving up.
const LOCK_RETRIES: u32 = 200;
/// Pause between lock retries.
const LOCK_PAUSE: Duration = Duration::from_millis(50);

/// Copies `from` into `to` in one step (a consistent snapshot of `from`).
fn copy(from: &Connection, to: &mut Connection) -> Result<()> {
    let backup = Backup::new(from, to)?;
    for _ in 0..LOCK_RETRIES {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            // Another connection holds a lock the copy needs: wait and try again.
            StepResult::Busy | StepResult::Locked | StepResult::More => {
                std::thread::sleep(LOCK_PAUSE);
            }
            _ => std::thread::sleep(LOCK_PAUSE),
        }
    }
    Err(StoreError::Data(
        "the database stayed locked; the copy was not made".into(),
    ))
}

/// A temporary name beside `path`.
fn partial_name(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".partial-{}", std::process::id()));
    path.with_file_name(name)
}

fn first_line(conn: &Connection, q: &str) -> Result<String> {
    Ok(conn.query_row(q, [], |r| r.get::<_, String>(0))?)
}

/// Checks that `path` is an atlas database this program can use: it opens, `PRAGMA
/// integrity_check` says `ok`, it holds the atlas tables, and its schema version is at most
/// this program's (an older one is migrated when opened). Returns the schema version.
pub fn check_database(path: &Path) -> Result<usize> {
    let not_atlas = |why: String| {
        StoreError::NotAnAtlasDatabase(format!(
            "{} is not a usable atlas database: {why}",
            path.display()
        ))
    };
    if !path.is_file() {
        return Err(not_atlas("no such file".into()));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| not_atlas(e.to_string()))?;
    let integrity =
        first_line(&conn, sql::INTEGRITY_CHECK).map_err(|e| not_atlas(e.to_string()))?;
    if integrity != "ok" {
        return Err(not_atlas(format!("integrity check: {integrity}")));
    }
    let tables: i64 = conn
        .query_row(sql::ATLAS_TABLES, [], |r| r.get(0))
        .map_err(|e| not_atlas(e.to_string()))?;
    if tables != 4 {
        return Err(not_atlas(
            "it lacks the atlas tables (meta, sites, chains, divisions)".into(),
        ));
    }
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let latest = migrations::latest_version();
    match usize::try_from(version) {
        Ok(v) if (1..=latest).contains(&v) => Ok(v),
        _ => Err(not_atlas(format!(
            "its schema version is {version}; this program knows versions 1 to {latest}"
        ))),
    }
}

impl Store {
    /// Writes a consistent copy of the database to `dest` while other connections keep working
    /// (see the module documentation). `dest` is replaced if it exists: the caller decides
    /// whether that is allowed.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        let tmp = partial_name(dest);
        let _ = std::fs::remove_file(&tmp);
        let result = (|| -> Result<()> {
            let mut to = Connection::open(&tmp)?;
            copy(&self.conn, &mut to)?;
            // One self-contained file: no -wal beside it.
            let _: String =
                to.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))?;
            let check = first_line(&to, "PRAGMA quick_check")?;
            if check != "ok" {
                return Err(StoreError::Data(format!(
                    "the copy fails its check: {check}"
                )));
            }
            to.close().map_err(|(_, e)| StoreError::from(e))?;
            std::fs::rename(&tmp, dest).map_err(|e| {
                StoreError::Data(format!("renaming the copy to {}: {e}", dest.display()))
            })?;
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Replaces the whole database (sites, history, users, reference data) with the one in
    /// `src`, after [`check_database`] accepts it; see the module documentation. Keep a backup
    /// of the current database first ([`Store::backup_to`]): this cannot be undone otherwise.
    /// Returns the schema version `src` had.
    pub fn restore_from(&mut self, src: &Path) -> Result<usize> {
        let version = check_database(src)?;
        let before = self.data_version()?;
        let from = Connection::open_with_flags(
            src,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let restored: i64 = from
            .query_row(sql::DATA_VERSION, [], |r| r.get(0))
            .unwrap_or(0);
        copy(&from, &mut self.conn)?;
        drop(from);
        migrations::migrations().to_latest(&mut self.conn)?;
        let next = u64::try_from(restored).unwrap_or(0).max(before) + 1;
        self.conn
            .execute(sql::SET_DATA_VERSION, [next.to_string()])?;
        *self.dicts.borrow_mut() = None;
        *self.list_index.borrow_mut() = None;
        Ok(version)
    }
}
