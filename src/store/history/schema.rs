//! The database layout and its versioned migrations.
//!
//! `PRAGMA user_version` holds the schema version. Each migration runs in its own
//! transaction together with the version bump, so a crash mid-upgrade leaves the previous
//! version intact. Migrations are only ever appended: a released one is never edited.
//!
//! Layout: `payloads` (each distinct body once, keyed by SHA-256), `messages` (the headers
//! and payload a batch shares), `batches` (one per send: identity, endpoint, protocol),
//! `sends` (one row per notification per token; identity and endpoint are copied in as
//! small integers so the filters on them walk an index in id order), plus
//! `error_responses`, `feedback`, `disconnections`, `channel_requests`, `settings` and the
//! `unregistered_tokens` view.

use rusqlite::Connection;

/// The schema this build writes.
pub const SCHEMA_VERSION: i64 = 5;

/// State codes stored in `sends.state` (see `SendState`).
pub(super) mod state {
    pub const IN_FLIGHT: i64 = 1;
    pub const ACCEPTED: i64 = 2;
    pub const REJECTED: i64 = 3;
    pub const FAILED: i64 = 4;
    pub const CANCELLED: i64 = 5;
    pub const UNCONFIRMED: i64 = 6;
}

/// Version 1: sends, with their payloads, messages and batches.
const V1: &str = "
CREATE TABLE identities (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE endpoints (id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE);
CREATE TABLE payloads (id INTEGER PRIMARY KEY, sha256 BLOB NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    payload_id INTEGER NOT NULL,
    topic TEXT,
    push_type TEXT,
    priority INTEGER,
    expiration INTEGER,
    collapse_id TEXT
);
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    identity_id INTEGER NOT NULL,
    endpoint_id INTEGER NOT NULL,
    protocol TEXT NOT NULL,
    size INTEGER NOT NULL,
    finished_ms INTEGER
);
CREATE TABLE sends (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    identity_id INTEGER NOT NULL,
    endpoint_id INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    token BLOB NOT NULL,
    apns_id BLOB NOT NULL,
    state INTEGER NOT NULL,
    status INTEGER,
    reason TEXT,
    apns_unique_id,
    unregistered_ms INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    latency_us INTEGER,
    error TEXT,
    legacy_status INTEGER,
    answered_ms INTEGER
);
CREATE INDEX sends_token ON sends(token);
CREATE INDEX sends_apns_id ON sends(apns_id);
CREATE INDEX sends_created ON sends(created_ms);
";

/// Version 2: legacy error-responses, feedback, disconnections, the unregistered view,
/// retention settings, and the indexes that keep every filter on an index walk.
const V2: &str = "
CREATE INDEX sends_state ON sends(state);
CREATE INDEX sends_reason ON sends(reason) WHERE reason IS NOT NULL;
CREATE INDEX sends_identity ON sends(identity_id);
CREATE INDEX sends_endpoint ON sends(endpoint_id);
CREATE INDEX sends_message ON sends(message_id);
CREATE INDEX sends_batch ON sends(batch_id);
CREATE INDEX sends_gone ON sends(token) WHERE status = 410;
CREATE TABLE error_responses (
    id INTEGER PRIMARY KEY,
    received_ms INTEGER NOT NULL,
    batch_id INTEGER NOT NULL,
    status INTEGER NOT NULL,
    identifier INTEGER NOT NULL,
    send_id INTEGER
);
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY,
    received_ms INTEGER NOT NULL,
    time_s INTEGER NOT NULL,
    token BLOB NOT NULL,
    identity_id INTEGER NOT NULL,
    endpoint_id INTEGER NOT NULL
);
CREATE INDEX feedback_token ON feedback(token);
CREATE TABLE disconnections (
    id INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    batch_id INTEGER,
    endpoint_id INTEGER NOT NULL,
    cause TEXT NOT NULL,
    detail TEXT,
    send_id INTEGER
);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- A token is dead from its latest 410 or feedback entry on, unless a send to it was
-- accepted after that.
CREATE VIEW unregistered_tokens AS
SELECT dead.token, dead.since_ms, dead.sources, dead.identities
FROM (
    SELECT token,
           max(since_ms) AS since_ms,
           group_concat(DISTINCT source) AS sources,
           group_concat(DISTINCT identity) AS identities
    FROM (
        SELECT s.token, coalesce(s.unregistered_ms, s.answered_ms, s.created_ms) AS since_ms,
               'http2-410' AS source, i.name AS identity
        FROM sends s INDEXED BY sends_gone JOIN identities i ON i.id = s.identity_id
        WHERE s.status = 410
        UNION ALL
        SELECT f.token, f.time_s * 1000, 'feedback', i.name
        FROM feedback f JOIN identities i ON i.id = f.identity_id
    )
    GROUP BY token
) AS dead
WHERE NOT EXISTS (
    SELECT 1 FROM sends later
    WHERE later.token = dead.token AND later.state = 2 AND later.created_ms > dead.since_ms
);
";

/// Version 3: how each batch authenticated (`certificate` or `token`; unknown before).
const V3: &str = "
ALTER TABLE batches ADD COLUMN auth TEXT;
";

/// Version 4: the whole conversation. Each batch's totals as its sender counted them
/// (`NULL` for a batch whose sender stopped before finishing), how many notifications each
/// error-response and disconnection caused to be written again, and the indexes the
/// conversation views page through.
const V4: &str = "
ALTER TABLE batches ADD COLUMN accepted INTEGER;
ALTER TABLE batches ADD COLUMN rejected INTEGER;
ALTER TABLE batches ADD COLUMN failed INTEGER;
ALTER TABLE batches ADD COLUMN not_sent INTEGER;
ALTER TABLE batches ADD COLUMN unconfirmed INTEGER;
ALTER TABLE batches ADD COLUMN resent INTEGER;
ALTER TABLE batches ADD COLUMN possible_duplicates INTEGER;
ALTER TABLE error_responses ADD COLUMN resent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE disconnections ADD COLUMN resent INTEGER NOT NULL DEFAULT 0;
CREATE INDEX error_responses_batch ON error_responses(batch_id);
CREATE INDEX error_responses_send ON error_responses(send_id) WHERE send_id IS NOT NULL;
CREATE INDEX disconnections_batch ON disconnections(batch_id);
CREATE INDEX disconnections_send ON disconnections(send_id) WHERE send_id IS NOT NULL;
CREATE INDEX batches_identity ON batches(identity_id);
CREATE INDEX batches_endpoint ON batches(endpoint_id);
CREATE INDEX feedback_identity ON feedback(identity_id);
";

/// Version 5: broadcast push. Every request to the channel management API and every
/// broadcast to a channel, with APNs' answer (`status` NULL: none came, `detail` says why).
const V5: &str = "
CREATE TABLE channel_requests (
    id INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    identity_id INTEGER NOT NULL,
    endpoint_id INTEGER NOT NULL,
    app TEXT NOT NULL,
    operation TEXT NOT NULL,
    channel TEXT,
    storage_policy INTEGER,
    payload_id INTEGER,
    priority INTEGER,
    expiration INTEGER,
    status INTEGER,
    reason TEXT,
    detail TEXT,
    request_id TEXT,
    unique_id TEXT,
    latency_us INTEGER
);
CREATE INDEX channel_requests_identity ON channel_requests(identity_id);
CREATE INDEX channel_requests_endpoint ON channel_requests(endpoint_id);
CREATE INDEX channel_requests_channel ON channel_requests(channel);
";

/// Every migration, in order; index + 1 is the version it produces.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5];

/// Why the schema could not be brought up to date.
#[derive(Debug)]
pub(super) enum MigrateError {
    /// The file is newer than this build.
    TooNew(i64),
    /// SQLite failed.
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sqlite(error)
    }
}

/// The file's schema version (0 for a new, empty file).
pub(super) fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Applies the migrations between the file's version and `target`.
pub(super) fn migrate(conn: &mut Connection, target: i64) -> Result<(), MigrateError> {
    let found = version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(MigrateError::TooNew(found));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let produces = index as i64 + 1;
        if produces <= found || produces > target {
            continue;
        }
        // IMMEDIATE takes the write lock first, so two processes opening a new file at once
        // do not both try to create the tables.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if version(&tx)? >= produces {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", produces)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::TempDir;
    use super::*;
    use crate::store::history::{Filter, History, HistoryError, SendState};

    #[test]
    fn a_version_1_file_is_upgraded_and_keeps_its_rows() {
        let dir = TempDir::new("migrate");
        {
            let mut conn = Connection::open(dir.db()).unwrap();
            migrate(&mut conn, 1).unwrap();
            assert_eq!(version(&conn).unwrap(), 1);
            // What a version-1 Push Console wrote: one accepted send.
            conn.execute_batch(
                "INSERT INTO identities VALUES (1, 'old');
                 INSERT INTO endpoints VALUES (1, 'api.push.apple.com:443');
                 INSERT INTO payloads VALUES (1, x'00', '{\"aps\":{\"alert\":\"v1\"}}');
                 INSERT INTO messages VALUES (1, 1, 'com.example.app', 'alert', 10, NULL, NULL);
                 INSERT INTO batches VALUES (1, 1000, 1, 1, 'http2', 1, 1001);
                 INSERT INTO sends (id, batch_id, message_id, identity_id, endpoint_id, created_ms,
                                    token, apns_id, state, status, attempts, answered_ms)
                 VALUES (1, 1, 1, 1, 1, 1000, x'abcd', zeroblob(16), 2, 200, 1, 1001);",
            )
            .unwrap();
        }
        let history = History::open(&dir.db()).unwrap();
        assert_eq!(version(&history.conn).unwrap(), SCHEMA_VERSION);
        let page = history.page(&Filter::default(), None, 10).unwrap();
        assert_eq!(page.rows.len(), 1);
        let row = &page.rows[0];
        assert_eq!(row.state, SendState::Accepted);
        assert_eq!(row.token, "abcd");
        assert_eq!(row.identity, "old");
        assert_eq!(row.payload, "{\"aps\":{\"alert\":\"v1\"}}");
        // Version 2's tables work on the upgraded file.
        assert_eq!(history.unregistered_count().unwrap(), 0);
        drop(history);
        // Opening again is a no-op.
        History::open(&dir.db()).unwrap();
    }

    #[test]
    fn a_file_from_a_newer_version_is_refused_with_advice() {
        let dir = TempDir::new("too-new");
        {
            let conn = Connection::open(dir.db()).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        let error = History::open(&dir.db()).unwrap_err();
        assert!(matches!(error, HistoryError::TooNew { found: 99, .. }));
        assert!(error.to_string().contains("update Push Console"), "{error}");
    }

    #[test]
    fn a_file_that_is_not_a_database_says_so() {
        let dir = TempDir::new("not-db");
        std::fs::write(dir.db(), vec![b'x'; 4096]).unwrap();
        let error = History::open(&dir.db()).unwrap_err();
        assert!(matches!(error, HistoryError::Corrupt { .. }), "{error:?}");
        let words = error.to_string();
        assert!(
            words.contains("is damaged or is not a Push Console history")
                && words.ends_with("move it away to start a new one"),
            "{words}"
        );
    }

    #[test]
    fn an_older_file_opened_to_read_says_how_to_upgrade_it() {
        let dir = TempDir::new("old-read-only");
        migrate(&mut Connection::open(dir.db()).unwrap(), 1).unwrap();
        let words = History::open_read_only(&dir.db()).unwrap_err().to_string();
        assert!(
            words.contains("has an older schema (version 1); run any `push-console send`"),
            "{words}"
        );
        // Reading did not upgrade it behind the user's back.
        assert_eq!(version(&Connection::open(dir.db()).unwrap()).unwrap(), 1);
    }
}
