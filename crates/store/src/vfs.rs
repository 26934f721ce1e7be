//! A VFS shim over SQLite's default one, for the server's reader connections: it keeps a
//! connection's memory map of the database file across other connections' commits while the
//! file's size is unchanged.
//!
//! SQLite drops a connection's map whenever the database changed (`pagerBeginReadTransaction`
//! calls `xUnfetch(0, NULL)`), in case another process truncated the file and extended it back;
//! every page read afterwards faults back in. Under steady editing that was most of what a save
//! cost the readers. A shared mapping of a file stays coherent with it on Linux (the page cache
//! is the file), so the shim lets the map live on unless the size moved: a file that shrank or
//! grew is unmapped and mapped again exactly as SQLite would. Every other call goes straight to
//! the default VFS.
//!
//! The one module of the workspace with `unsafe` code: FFI with SQLite's C structures. Each
//! function only forwards to the default VFS's methods on the wrapped file, which sits right
//! after this module's header in the memory SQLite allocates for a file (`szOsFile`).
#![allow(unsafe_code)]

use rusqlite::ffi;
use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;

/// The name connections open with.
pub(crate) const NAME: &str = "atlas-keepmap";

/// What SQLite allocates for a file opened through the shim starts with this header; the
/// default VFS's file follows at [`HEADER`] bytes.
#[repr(C)]
struct ShimFile {
    base: ffi::sqlite3_file,
    /// The file's size when its map was made (-1: no map made since the last unmap).
    mapped: i64,
}

const HEADER: usize = std::mem::size_of::<ShimFile>().next_multiple_of(16);

/// The default VFS's file inside the shim's.
///
/// # Safety
/// `f` is a file opened by [`x_open`].
unsafe fn inner(f: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    unsafe { f.cast::<u8>().add(HEADER).cast() }
}

/// The default VFS's methods of the file (SQLite calls them only on a file whose open
/// succeeded, which set them).
///
/// # Safety
/// `f` is a file opened by [`x_open`] with success.
unsafe fn methods(f: *mut ffi::sqlite3_file) -> &'static ffi::sqlite3_io_methods {
    unsafe { &*(*inner(f)).pMethods }
}

macro_rules! forward {
    ($name:ident, $field:ident, ($($arg:ident: $ty:ty),*), $ret:ty, $default:expr) => {
        unsafe extern "C" fn $name(f: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> $ret {
            unsafe {
                match methods(f).$field {
                    Some(m) => m(inner(f) $(, $arg)*),
                    None => $default,
                }
            }
        }
    };
}

forward!(x_close, xClose, (), c_int, ffi::SQLITE_OK);
forward!(x_read, xRead, (b: *mut c_void, n: c_int, o: i64), c_int, ffi::SQLITE_IOERR);
forward!(x_write, xWrite, (b: *const c_void, n: c_int, o: i64), c_int, ffi::SQLITE_IOERR);
forward!(x_truncate, xTruncate, (s: i64), c_int, ffi::SQLITE_IOERR);
forward!(x_sync, xSync, (fl: c_int), c_int, ffi::SQLITE_IOERR);
forward!(x_file_size, xFileSize, (s: *mut i64), c_int, ffi::SQLITE_IOERR);
forward!(x_lock, xLock, (l: c_int), c_int, ffi::SQLITE_IOERR);
forward!(x_unlock, xUnlock, (l: c_int), c_int, ffi::SQLITE_IOERR);
forward!(x_check_reserved, xCheckReservedLock, (r: *mut c_int), c_int, ffi::SQLITE_IOERR);
forward!(x_file_control, xFileControl, (op: c_int, a: *mut c_void), c_int, ffi::SQLITE_NOTFOUND);
forward!(x_sector_size, xSectorSize, (), c_int, 4096);
forward!(x_device, xDeviceCharacteristics, (), c_int, 0);
forward!(x_shm_map, xShmMap, (p: c_int, s: c_int, e: c_int, pp: *mut *mut c_void), c_int, ffi::SQLITE_IOERR);
forward!(x_shm_lock, xShmLock, (o: c_int, n: c_int, fl: c_int), c_int, ffi::SQLITE_IOERR);
forward!(x_shm_unmap, xShmUnmap, (d: c_int), c_int, ffi::SQLITE_OK);

unsafe extern "C" fn x_shm_barrier(f: *mut ffi::sqlite3_file) {
    unsafe {
        if let Some(m) = methods(f).xShmBarrier {
            m(inner(f));
        }
    }
}

unsafe fn size(f: *mut ffi::sqlite3_file) -> Option<i64> {
    let mut s: i64 = 0;
    (unsafe { x_file_size(f, &raw mut s) } == ffi::SQLITE_OK).then_some(s)
}

/// Notes the file's size when a map is about to be made (the first fetch after an unmap).
unsafe extern "C" fn x_fetch(
    f: *mut ffi::sqlite3_file,
    o: i64,
    n: c_int,
    pp: *mut *mut c_void,
) -> c_int {
    unsafe {
        let shim = f.cast::<ShimFile>();
        if (*shim).mapped < 0 {
            (*shim).mapped = size(f).unwrap_or(-1);
        }
        match methods(f).xFetch {
            Some(m) => m(inner(f), o, n, pp),
            None => {
                *pp = std::ptr::null_mut();
                ffi::SQLITE_OK
            }
        }
    }
}

/// `xUnfetch(0, NULL)` drops the whole map: skipped while the file has the size it had when
/// the map was made (the map then shows the file as it is); else passed on.
unsafe extern "C" fn x_unfetch(f: *mut ffi::sqlite3_file, o: i64, p: *mut c_void) -> c_int {
    unsafe {
        let shim = f.cast::<ShimFile>();
        if p.is_null() && o == 0 {
            let mapped = (*shim).mapped;
            if mapped >= 0 && size(f) == Some(mapped) {
                return ffi::SQLITE_OK;
            }
            (*shim).mapped = -1;
        }
        match methods(f).xUnfetch {
            Some(m) => m(inner(f), o, p),
            None => ffi::SQLITE_OK,
        }
    }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: Some(x_fetch),
    xUnfetch: Some(x_unfetch),
};

unsafe extern "C" fn x_open(
    vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    f: *mut ffi::sqlite3_file,
    flags: c_int,
    out: *mut c_int,
) -> c_int {
    unsafe {
        let real = (*vfs).pAppData.cast::<ffi::sqlite3_vfs>();
        let shim = f.cast::<ShimFile>();
        (*shim).base.pMethods = std::ptr::null();
        (*shim).mapped = -1;
        let inner = inner(f);
        (*inner).pMethods = std::ptr::null();
        let Some(open) = (*real).xOpen else {
            return ffi::SQLITE_ERROR;
        };
        let rc = open(real, name, inner, flags, out);
        if !(*inner).pMethods.is_null() {
            (*shim).base.pMethods = &raw const METHODS;
        }
        rc
    }
}

/// Registers the shim (once, for the process); false when it could not be (then connections
/// open on the default VFS).
pub(crate) fn register() -> bool {
    static DONE: OnceLock<bool> = OnceLock::new();
    *DONE.get_or_init(|| unsafe {
        let real = ffi::sqlite3_vfs_find(std::ptr::null());
        if real.is_null() {
            return false;
        }
        // A copy of the default VFS (its name, path and time functions) with this open.
        let mut shim: ffi::sqlite3_vfs = std::ptr::read(real);
        let Some(size) = usize::try_from((*real).szOsFile)
            .ok()
            .and_then(|n| c_int::try_from(HEADER + n).ok())
        else {
            return false;
        };
        shim.szOsFile = size;
        shim.zName = c"atlas-keepmap".as_ptr().cast::<c_char>();
        shim.pAppData = real.cast();
        shim.pNext = std::ptr::null_mut();
        shim.xOpen = Some(x_open);
        // Registered for the life of the process: never freed.
        let shim = Box::into_raw(Box::new(shim));
        ffi::sqlite3_vfs_register(shim, 0) == ffi::SQLITE_OK
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use rusqlite::{Connection, OpenFlags};

    fn reader(path: &std::path::Path) -> Connection {
        assert!(super::register());
        let c = Connection::open_with_flags_and_vfs(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            super::NAME,
        )
        .unwrap();
        c.pragma_update(None, "mmap_size", 1 << 30).unwrap();
        c
    }

    fn sum(c: &Connection) -> (i64, i64) {
        c.query_row("SELECT count(*), coalesce(sum(v), 0) FROM t", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
    }

    /// A reader whose map is kept sees every commit of another connection: rows changed in
    /// place and checkpointed into the mapped file, a file that grew, and one that shrank
    /// (`VACUUM`, then a checkpoint that truncates it).
    #[test]
    fn a_kept_map_reads_every_commit_as_the_default_vfs_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let w = Connection::open(&path).unwrap();
        w.pragma_update(None, "journal_mode", "WAL").unwrap();
        w.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT);")
            .unwrap();
        w.execute(
            "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 20000) \
             INSERT INTO t(v, pad) SELECT x, hex(randomblob(200)) FROM s",
            [],
        )
        .unwrap();
        w.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
        let r = reader(&path);
        let plain = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        assert_eq!(sum(&r), sum(&plain));
        for round in 0..20_i64 {
            w.execute(
                "UPDATE t SET v = v + ?1 WHERE id % 7 = ?2",
                [round, round % 7],
            )
            .unwrap();
            if round % 3 == 0 {
                w.execute_batch("PRAGMA wal_checkpoint(PASSIVE);").unwrap();
            }
            assert_eq!(sum(&r), sum(&plain), "round {round}");
        }
        // Grown by half, checkpointed into the file.
        w.execute(
            "INSERT INTO t(v, pad) SELECT v, pad FROM t WHERE id % 2 = 0",
            [],
        )
        .unwrap();
        w.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
        assert_eq!(sum(&r), sum(&plain));
        let grown = std::fs::metadata(&path).unwrap().len();
        // Shrunk to a tenth: the map must not outlive the bytes it showed.
        w.execute("DELETE FROM t WHERE id % 10 != 0", []).unwrap();
        w.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() < grown / 4);
        assert_eq!(sum(&r), sum(&plain));
        assert!(sum(&r).0 > 0);
    }
}
