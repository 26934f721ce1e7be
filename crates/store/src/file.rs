//! Which file a database path names: a running server keeps its connections open on the file
//! it opened, so when the path is deleted, or another file is renamed into its place (a restored
//! backup), the connections go on reading the old file. [`FileId`] is the one check of that: the
//! file's identity (device and inode) recorded at open, compared with what the path names now
//! (one `stat`).

use crate::error::{Result, StoreError};
use std::path::Path;

/// The identity of a database file (device and inode on Unix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

/// What a path names now, against the [`FileId`] recorded at open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// The same file (it may have been moved away and back).
    Same,
    /// Another file: the connections open on the old one must be reopened on it.
    Replaced,
}

impl FileId {
    /// The identity of the file at `path`; [`StoreError::DatabaseMissing`] when there is none.
    pub fn of(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| StoreError::DatabaseMissing {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        if !meta.is_file() {
            return Err(StoreError::DatabaseMissing {
                path: path.to_path_buf(),
                detail: "not a regular file".into(),
            });
        }
        Ok(identity(&meta))
    }

    /// Whether `path` still names this file; [`StoreError::DatabaseMissing`] when it names none.
    pub fn check(&self, path: &Path) -> Result<FileState> {
        Ok(if Self::of(path)? == *self {
            FileState::Same
        } else {
            FileState::Replaced
        })
    }
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    }
}

/// Without inodes only a missing file is told apart.
#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> FileId {
    FileId { dev: 0, ino: 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn a_path_names_the_same_file_until_it_is_removed_or_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (path, away, other) = (
            dir.path().join("a.db"),
            dir.path().join("away.db"),
            dir.path().join("b.db"),
        );
        std::fs::write(&path, b"one").unwrap();
        std::fs::write(&other, b"two").unwrap();
        let id = FileId::of(&path).unwrap();
        assert_eq!(id.check(&path).unwrap(), FileState::Same);

        std::fs::rename(&path, &away).unwrap();
        let missing = id.check(&path).unwrap_err();
        assert_eq!(
            (missing.kind(), missing.code()),
            (ErrorKind::Missing, "database_missing")
        );
        assert!(missing.to_string().contains("a.db"), "{missing}");

        std::fs::rename(&away, &path).unwrap();
        assert_eq!(id.check(&path).unwrap(), FileState::Same);
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(id.check(&path).unwrap(), FileState::Replaced);
        assert!(
            FileId::of(dir.path()).is_err(),
            "a directory is no database"
        );
    }
}
