//! The history of every send, answer, error-response, feedback entry and disconnection, in SQLite.
//!
//! One database file (WAL, versioned schema) in the data folder. Payloads and the headers a
//! batch shares are stored once (`schema`); every notification to every token is a row in
//! `sends`, written `in_flight` before it leaves and updated when its answer comes
//! (`writer`). Rows still `in_flight` when their writer is gone read as
//! [`SendState::Unknown`], never as accepted. Reads are keyset-paged (`query`), exports
//! stream (`export`), and old rows can be dropped (`retention`).

mod conversation;
mod error;
mod export;
mod filter;
mod liveness;
mod query;
mod retention;
mod schema;
#[cfg(test)]
mod tests;
mod time;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use conversation::{
    Cell, ConversationRow, View, write_header as write_view_header, write_row as write_view_row,
};
pub use error::HistoryError;
pub use export::{ExportFormat, UnregisteredFormat};
pub use filter::{Filter, SendState, TokenPrefix, TokenPrefixError};
pub use query::{Counts, Cursor, Page, SendRow, UnregisteredToken};
pub use retention::{PruneReport, Retention};
pub use schema::SCHEMA_VERSION;
pub use time::{
    TimeError, format_local_time, format_time, format_time_in, parse_time, parse_time_in,
};
pub use writer::{
    BatchContext, ChannelRecord, FIRST_ROWS, OutcomeRecorder, RecordedBatch, RowsToRecord,
};

/// How long a statement waits for another Push Console's transaction before giving up.
/// Writers commit every ~100 ms, so waiting seconds means something is really stuck.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Page cache per connection, in KiB (SQLite's negative `cache_size`). The token and
/// apns-id indexes take random keys; with SQLite's default 2 MB, each insert into a
/// million-row table misses the cache and recording slows several-fold.
const CACHE_KIB: i64 = -65_536;

/// An open history database.
pub struct History {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History").field("path", &self.path).finish()
    }
}

impl History {
    /// Opens (creating it and its folder if needed) the database at `path` for reading and
    /// writing, and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, HistoryError> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|source| HistoryError::CreateFolder {
                path: folder.to_owned(),
                source,
            })?;
        }
        let mut history = Self::connect(path, OpenFlags::default())?;
        history.configure()?;
        schema::migrate(&mut history.conn, schema::SCHEMA_VERSION).map_err(
            |error| match error {
                schema::MigrateError::TooNew(found) => HistoryError::TooNew {
                    path: path.to_owned(),
                    found,
                    known: schema::SCHEMA_VERSION,
                },
                schema::MigrateError::Sqlite(source) => HistoryError::from_sqlite(path, source),
            },
        )?;
        Ok(history)
    }

    /// Opens an existing database for reading only; it must already be at this version's
    /// schema (any `send` or `feedback` brings it there).
    pub fn open_read_only(path: &Path) -> Result<Self, HistoryError> {
        if !path.exists() {
            return Err(HistoryError::NotFound {
                path: path.to_owned(),
            });
        }
        let history = Self::connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        history
            .conn
            .busy_timeout(BUSY_TIMEOUT)
            .and_then(|()| history.conn.pragma_update(None, "cache_size", CACHE_KIB))
            .map_err(|source| history.error(source))?;
        let found = schema::version(&history.conn).map_err(|source| history.error(source))?;
        if found > schema::SCHEMA_VERSION {
            return Err(HistoryError::TooNew {
                path: path.to_owned(),
                found,
                known: schema::SCHEMA_VERSION,
            });
        }
        if found < schema::SCHEMA_VERSION {
            return Err(HistoryError::Outdated {
                path: path.to_owned(),
                found,
            });
        }
        Ok(history)
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<Self, HistoryError> {
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|source| HistoryError::from_sqlite(path, source))?;
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    /// A write transaction that takes the write lock at once, so that two Push Consoles
    /// writing together wait for each other (busy timeout) instead of one failing when
    /// it would upgrade a read.
    pub(super) fn write_transaction(&mut self) -> Result<rusqlite::Transaction<'_>, HistoryError> {
        let path = self.path.clone();
        self.conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|source| HistoryError::from_sqlite(&path, source))
    }

    fn configure(&self) -> Result<(), HistoryError> {
        let conn = &self.conn;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|source| self.error(source))?;
        // WAL lets `history` read while a send writes. FULL syncs each commit, so a row
        // recorded before its notification left survives a power cut, not only a crash;
        // commits are batched, so that costs a few fsyncs per batch, not one per row.
        // Switching a new file to WAL needs it alone for a moment, and SQLite answers a
        // second Push Console opening it at that moment with BUSY without waiting.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(())) {
                Ok(()) => break,
                Err(rusqlite::Error::SqliteFailure(failure, _))
                    if failure.code == rusqlite::ErrorCode::DatabaseBusy
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(source) => return Err(self.error(source)),
            }
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .and_then(|()| conn.pragma_update(None, "cache_size", CACHE_KIB))
            .map_err(|source| self.error(source))?;
        Ok(())
    }

    /// Where the database is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs SQLite's own consistency check; `Ok(())` when it reports "ok".
    pub fn integrity_check(&self) -> Result<(), HistoryError> {
        let report: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .map_err(|source| self.error(source))?;
        if report == "ok" {
            Ok(())
        } else {
            Err(HistoryError::Damaged {
                path: self.path.clone(),
                report,
            })
        }
    }

    fn error(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::from_sqlite(&self.path, source)
    }
}

/// Milliseconds since the UNIX epoch, from the system clock: the default `now` of callers
/// that have no clock of their own.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// [`now_ms`] in whole seconds: the `now` of the Live Activity dates and the linter.
pub fn now_secs() -> u64 {
    (now_ms() / 1000).max(0) as u64
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::PathBuf;

    /// A fresh folder under the system temp dir, removed on drop.
    pub struct TempDir(pub PathBuf);

    impl TempDir {
        pub fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "push-console-history-{name}-{}-{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        pub fn db(&self) -> PathBuf {
            self.0.join("history.sqlite3")
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
