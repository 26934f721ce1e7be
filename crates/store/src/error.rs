//! `StoreError`: everything the store can fail with, each with a stable `code()` and a
//! [`ErrorKind`] that sorts it into the outcomes a caller handles differently.

/// What kind of failure a [`StoreError`] is: the one classification callers branch on (a
/// server derives its status from it, a CLI its wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A filter names a chain, link or township the store does not know.
    InvalidFilter,
    /// Input the store cannot take: a site, a user, an indicators file, a database file.
    Invalid,
    /// No such site, revision or user.
    NotFound,
    /// The change contradicts the stored state (an id taken, reference data still in use, a
    /// site that is not deleted).
    Conflict,
    /// The site changed since the version the change was made against.
    Precondition,
    /// Another connection holds the write lock: try again.
    Busy,
    /// The statement was interrupted (a time limit passed).
    Interrupted,
    /// The disk (or the database's size limit) is full; the change was rolled back whole.
    Full,
    /// The database file is damaged or is not a database: restore a backup.
    Corrupt,
    /// The database file is gone from its path (deleted or moved away): put it back.
    Missing,
    /// A fault of the database, the build or the environment, not of the caller.
    Internal,
}

/// A store operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error. Its message is said once (the SQLite error is not repeated as
    /// a source), in Chinese and English with what to do when the user can act on it.
    #[error("{}", sqlite_message(.0))]
    Sqlite(rusqlite::Error),
    /// The database file at `path` is damaged or is not a database (found when opening it).
    #[error("数据库文件已损坏 the database file {} is damaged or is not an atlas database ({detail}); \
             restore the last backup with `atlas restore BACKUP_FILE`", .path.display())]
    Corrupt {
        /// The database file.
        path: std::path::PathBuf,
        /// SQLite's words.
        detail: String,
    },
    /// The database file is no longer at `path` (deleted or moved away under a running server).
    #[error("数据库文件不见了 the database file {} is missing ({detail}); put it back, or copy the \
             last backup to that path", .path.display())]
    DatabaseMissing {
        /// The database file's path.
        path: std::path::PathBuf,
        /// What the file system said.
        detail: String,
    },
    /// The schema could not be brought up to date.
    #[error("schema migration failed: {0}")]
    Migration(Box<rusqlite_migration::Error>),
    /// The database was made by a newer or older program and is opened read-only.
    #[error("database schema is version {found}, this program needs {expected}; open it read-write once to migrate it")]
    SchemaVersion {
        /// Version found in the file.
        found: usize,
        /// Version this build needs.
        expected: usize,
    },
    /// A filter names a chain the store does not know.
    #[error("unknown chain '{given}'; allowed: {allowed}")]
    UnknownChain {
        /// The value given.
        given: String,
        /// The chain ids in the store, comma separated.
        allowed: String,
    },
    /// A filter names a link the store does not know.
    #[error("unknown link '{given}'; allowed: {allowed}")]
    UnknownLink {
        /// The value given.
        given: String,
        /// The link ids in the store, comma separated.
        allowed: String,
    },
    /// A filter names a township the store does not know.
    #[error("unknown town '{given}'; allowed: {allowed}")]
    UnknownTown {
        /// The value given.
        given: String,
        /// The township codes in the store, comma separated.
        allowed: String,
    },
    /// A site handed to an import refers to reference data the store does not hold.
    #[error("site '{id}': {message}")]
    InvalidSite {
        /// The site's id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// The same id appears twice in one import.
    #[error("site id '{0}' appears more than once in the import")]
    DuplicateId(String),
    /// Replacing reference data would orphan sites.
    #[error("cannot remove {what} '{id}': {sites} site(s) still use it")]
    ReferenceInUse {
        /// `chain`, `link` or `town`.
        what: &'static str,
        /// The id being removed.
        id: String,
        /// How many sites use it.
        sites: u64,
    },
    /// A new chains file lacks chains or links that sites still use; nothing was written.
    #[error("{}", in_use_message(.0))]
    ChainsInUse(Vec<InUse>),
    /// An indicators file that cannot replace the current one; nothing was written.
    #[error("{0}")]
    InvalidIndicators(String),
    /// The store holds no reference data yet (chains, divisions, boundary).
    #[error(
        "the store holds no reference data (district boundary); load the reference data first"
    )]
    NoReference,
    /// The embedded default dataset is unusable (a build problem, not a user one).
    #[error("default dataset: {0}")]
    Dataset(String),
    /// The receiver of the rows of [`crate::Store::for_each_on_thread`] stopped (its own error
    /// is what the caller gets).
    #[error("the reader of the rows stopped")]
    Stopped,
    /// A row in the database does not form a valid value: the file was edited by hand or is corrupt.
    #[error("corrupt data in the store: {0}")]
    Data(String),
    /// No site has this id (it never existed, or it is deleted).
    #[error("no site with id '{0}'")]
    NoSuchSite(String),
    /// A new site's id is taken.
    #[error("a site with id '{0}' exists already")]
    SiteExists(String),
    /// The site changed since the version the writer read (optimistic concurrency).
    #[error("site '{id}' is at version {current}, not {expected}: someone changed it since you loaded it; reload it and make your change again")]
    VersionMismatch {
        /// The site.
        id: String,
        /// The version the writer expected.
        expected: u64,
        /// The version stored.
        current: u64,
    },
    /// A restore of a site that is not deleted.
    #[error("site '{0}' is not deleted; there is nothing to restore")]
    NotDeleted(String),
    /// No revision with this number belongs to the site.
    #[error("site '{id}' has no revision {rev}")]
    NoSuchRevision {
        /// The site.
        id: String,
        /// The revision asked for.
        rev: u64,
    },
    /// A revert to a revision after which the site did not exist.
    #[error("revision {rev} deleted site '{id}'; there is no record after it to go back to (restore the site, or choose an earlier revision)")]
    RevisionDeletes {
        /// The site.
        id: String,
        /// The revision asked for.
        rev: u64,
    },
    /// A user name that is taken.
    #[error(
        "a user named '{0}' exists already (a revoked user's name is not reused: choose another)"
    )]
    UserExists(String),
    /// No user has this name.
    #[error("no user named '{0}'")]
    NoSuchUser(String),
    /// A user name or role that is not allowed.
    #[error("{0}")]
    InvalidUser(String),
    /// A file that is not a usable atlas database (restore).
    #[error("{0}")]
    NotAnAtlasDatabase(String),
    /// A file the store writes (an export) could not be created, written or moved into place;
    /// nothing was left at its path.
    #[error("无法写入文件 cannot write {}: {detail}", .path.display())]
    File {
        /// The file's path.
        path: std::path::PathBuf,
        /// What the file system said.
        detail: String,
    },
}

/// A chain or link that sites use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InUse {
    /// `chain` or `link`.
    pub what: &'static str,
    /// Its id.
    pub id: String,
    /// How many sites use it.
    pub sites: u64,
}

fn in_use_message(list: &[InUse]) -> String {
    let items: Vec<String> = list
        .iter()
        .map(|u| format!("{} '{}' ({} site(s))", u.what, u.id, u.sites))
        .collect();
    format!(
        "the chains file lacks {} still used by sites: {}; nothing was changed — keep them in \
         the file, or move those sites to other chains first",
        if list.len() == 1 { "one id" } else { "ids" },
        items.join(", ")
    )
}

/// What a SQLite error says to a person: disk full and a damaged file with what to do, anything
/// else as SQLite words it.
fn sqlite_message(e: &rusqlite::Error) -> String {
    if is_full(e) {
        "磁盘已满：未写入任何数据 disk full: nothing was written; free space and retry".into()
    } else if is_corrupt(e) {
        format!(
            "数据库文件已损坏 the database file is damaged ({e}); restore the last backup with \
             `atlas restore BACKUP_FILE`"
        )
    } else {
        format!("database error: {e}")
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

impl From<rusqlite_migration::Error> for StoreError {
    fn from(e: rusqlite_migration::Error) -> Self {
        Self::Migration(Box::new(e))
    }
}

impl StoreError {
    /// A stable, machine-readable code (for API error bodies).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Sqlite(e) if is_busy(e) => "busy",
            Self::Sqlite(e) if is_interrupted(e) => "interrupted",
            Self::Sqlite(e) if is_full(e) => "disk_full",
            Self::Sqlite(e) if is_corrupt(e) => "corrupt_database",
            Self::Corrupt { .. } => "corrupt_database",
            Self::DatabaseMissing { .. } => "database_missing",
            Self::Sqlite(_) => "database_error",
            Self::Stopped => "stopped",
            Self::Migration(_) => "migration_failed",
            Self::SchemaVersion { .. } => "schema_version",
            Self::UnknownChain { .. } => "unknown_chain",
            Self::UnknownLink { .. } => "unknown_link",
            Self::UnknownTown { .. } => "unknown_town",
            Self::InvalidSite { .. } => "invalid_site",
            Self::DuplicateId(_) => "duplicate_id",
            Self::ReferenceInUse { .. } | Self::ChainsInUse(_) => "reference_in_use",
            Self::NoReference => "no_reference",
            Self::Dataset(_) => "dataset_error",
            Self::Data(_) => "corrupt_data",
            Self::NoSuchSite(_) | Self::NoSuchRevision { .. } | Self::NoSuchUser(_) => "not_found",
            Self::SiteExists(_)
            | Self::NotDeleted(_)
            | Self::RevisionDeletes { .. }
            | Self::UserExists(_) => "conflict",
            Self::VersionMismatch { .. } => "version_mismatch",
            Self::InvalidUser(_) => "invalid_user",
            Self::InvalidIndicators(_) => "invalid_file",
            Self::NotAnAtlasDatabase(_) => "not_an_atlas_database",
            Self::File { .. } => "file_error",
        }
    }

    /// The [`atlas_core::SiteFilter`] field at fault, for errors caused by a filter (a front
    /// door names it as its parameter).
    pub fn param(&self) -> Option<&'static str> {
        match self {
            Self::UnknownChain { .. } => Some("chain"),
            Self::UnknownLink { .. } => Some("link"),
            Self::UnknownTown { .. } => Some("town"),
            _ => None,
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Sqlite(e) if is_busy(e) => ErrorKind::Busy,
            Self::Sqlite(e) if is_interrupted(e) => ErrorKind::Interrupted,
            Self::Sqlite(e) if is_full(e) => ErrorKind::Full,
            Self::Sqlite(e) if is_corrupt(e) => ErrorKind::Corrupt,
            Self::Corrupt { .. } => ErrorKind::Corrupt,
            Self::DatabaseMissing { .. } => ErrorKind::Missing,
            Self::UnknownChain { .. } | Self::UnknownLink { .. } | Self::UnknownTown { .. } => {
                ErrorKind::InvalidFilter
            }
            Self::InvalidSite { .. }
            | Self::DuplicateId(_)
            | Self::InvalidUser(_)
            | Self::InvalidIndicators(_)
            | Self::NotAnAtlasDatabase(_) => ErrorKind::Invalid,
            Self::NoSuchSite(_) | Self::NoSuchRevision { .. } | Self::NoSuchUser(_) => {
                ErrorKind::NotFound
            }
            Self::SiteExists(_)
            | Self::NotDeleted(_)
            | Self::RevisionDeletes { .. }
            | Self::UserExists(_)
            | Self::ReferenceInUse { .. }
            | Self::ChainsInUse(_) => ErrorKind::Conflict,
            Self::VersionMismatch { .. } => ErrorKind::Precondition,
            Self::Sqlite(_)
            | Self::Migration(_)
            | Self::SchemaVersion { .. }
            | Self::NoReference
            | Self::Dataset(_)
            | Self::Stopped
            | Self::Data(_)
            | Self::File { .. } => ErrorKind::Internal,
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn is_full(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull)
}

fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

impl StoreError {
    /// This error as met when opening the database at `path`: a damaged file names the file.
    pub fn opening(self, path: &std::path::Path) -> Self {
        match self {
            Self::Sqlite(e) if is_corrupt(&e) => Self::Corrupt {
                path: path.to_path_buf(),
                detail: e.to_string(),
            },
            Self::Migration(m) => match *m {
                rusqlite_migration::Error::RusqliteError { err, .. } if is_corrupt(&err) => {
                    Self::Corrupt {
                        path: path.to_path_buf(),
                        detail: err.to_string(),
                    }
                }
                other => Self::Migration(Box::new(other)),
            },
            other => other,
        }
    }
}

fn is_interrupted(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted)
}

/// Result with [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_error_names_the_value_and_leaves_the_parameter_to_the_caller() {
        let e = StoreError::UnknownChain {
            given: "steel".into(),
            allowed: "petrochemical, health".into(),
        };
        assert_eq!(
            e.to_string(),
            "unknown chain 'steel'; allowed: petrochemical, health"
        );
        assert_eq!(
            (e.kind(), e.code(), e.param()),
            (ErrorKind::InvalidFilter, "unknown_chain", Some("chain"))
        );
    }

    #[test]
    fn every_error_has_a_kind_matching_its_code() {
        let cases = [
            (
                StoreError::NoSuchSite("a".into()),
                ErrorKind::NotFound,
                "not_found",
            ),
            (
                StoreError::SiteExists("a".into()),
                ErrorKind::Conflict,
                "conflict",
            ),
            (
                StoreError::VersionMismatch {
                    id: "a".into(),
                    expected: 1,
                    current: 2,
                },
                ErrorKind::Precondition,
                "version_mismatch",
            ),
            (
                StoreError::DuplicateId("a".into()),
                ErrorKind::Invalid,
                "duplicate_id",
            ),
            (
                StoreError::Data("x".into()),
                ErrorKind::Internal,
                "corrupt_data",
            ),
            (
                StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    None,
                )),
                ErrorKind::Busy,
                "busy",
            ),
            (
                StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_INTERRUPT),
                    None,
                )),
                ErrorKind::Interrupted,
                "interrupted",
            ),
        ];
        let full = StoreError::from(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            Some("database or disk is full".into()),
        ));
        assert_eq!(
            full.to_string(),
            "磁盘已满：未写入任何数据 disk full: nothing was written; free space and retry"
        );
        assert!(std::error::Error::source(&full).is_none(), "said once");
        let notadb = StoreError::from(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_NOTADB),
            None,
        ))
        .opening(std::path::Path::new("/srv/atlas.db"));
        assert!(notadb.to_string().contains("/srv/atlas.db"), "{notadb}");
        assert!(notadb.to_string().contains("atlas restore"), "{notadb}");
        let cases = cases.into_iter().chain([
            (full, ErrorKind::Full, "disk_full"),
            (notadb, ErrorKind::Corrupt, "corrupt_database"),
        ]);
        for (e, kind, code) in cases {
            assert_eq!((e.kind(), e.code()), (kind, code), "{e}");
        }
    }
}
