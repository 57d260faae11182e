//! Why the history could not be read or written, in words a user can act on.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

/// A history database problem.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// Another process holds the write lock for longer than we wait.
    #[error(
        "the history database at {} is locked by another Push Console; close it or wait for its send to finish, then try again",
        path.display()
    )]
    Locked {
        /// The database.
        path: PathBuf,
    },
    /// A newer Push Console wrote this file.
    #[error(
        "the history database at {} was written by a newer Push Console (schema version {found}; this one knows up to {known}); update Push Console, or move the file away to start a new history",
        path.display()
    )]
    TooNew {
        /// The database.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// Read-only access to a file an older Push Console wrote.
    #[error(
        "the history database at {} has an older schema (version {found}); run any `push-console send` or `feedback` once to upgrade it",
        path.display()
    )]
    Outdated {
        /// The database.
        path: PathBuf,
        /// Its schema version.
        found: i64,
    },
    /// A filter the view has nothing to apply it to (feedback has no state, for example).
    #[error("the {view} view cannot be filtered by {field}; it can be by {}", view.filters().join(", "))]
    FilterNotInView {
        /// The view.
        view: super::View,
        /// The filter given.
        field: &'static str,
    },
    /// Nothing recorded yet.
    #[error("there is no history yet at {}; sends are recorded there once you send", path.display())]
    NotFound {
        /// Where it would be.
        path: PathBuf,
    },
    /// The file is not a database or is corrupt.
    #[error(
        "the history database at {} is damaged or is not a Push Console history ({source}); move it away to start a new one",
        path.display()
    )]
    Corrupt {
        /// The database.
        path: PathBuf,
        /// SQLite's words.
        source: rusqlite::Error,
    },
    /// `PRAGMA integrity_check` found problems.
    #[error(
        "the history database at {} failed its integrity check: {report}; move it away to start a new one",
        path.display()
    )]
    Damaged {
        /// The database.
        path: PathBuf,
        /// SQLite's report.
        report: String,
    },
    /// The disk is full.
    #[error("the disk holding the history database at {} is full; free some space, or drop old rows with `push-console history prune`", path.display())]
    DiskFull {
        /// The database.
        path: PathBuf,
    },
    /// The folder could not be created.
    #[error("cannot create the history folder {}: {source}", path.display())]
    CreateFolder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Any other SQLite failure.
    #[error("the history database at {} failed: {source}", path.display())]
    Sqlite {
        /// The database.
        path: PathBuf,
        /// SQLite's words.
        source: rusqlite::Error,
    },
    /// The background writer thread is gone (it panicked).
    #[error(
        "the history writer stopped unexpectedly; the rows of this batch may read as unknown outcome"
    )]
    WriterStopped,
    /// The lock file that marks a batch as being sent could not be made.
    #[error(
        "cannot lock a batch next to the history database at {}: {source}; check that its folder is writable",
        path.display()
    )]
    Lock {
        /// The database.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The background writer thread could not start.
    #[error("cannot start the history writer thread: {0}")]
    Thread(#[source] std::io::Error),
    /// An export could not be written.
    #[error("cannot write the export: {0}")]
    Export(#[source] std::io::Error),
}

impl HistoryError {
    pub(super) fn from_sqlite(path: &Path, source: rusqlite::Error) -> Self {
        let path = path.to_owned();
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Self::Locked { path },
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                Self::Corrupt { path, source }
            }
            Some(ErrorCode::DiskFull) => Self::DiskFull { path },
            _ => Self::Sqlite { path, source },
        }
    }
}
