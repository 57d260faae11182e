//! Retention: everything is kept unless the user sets an age or a row limit. Pruning
//! deletes in small transactions so a send recording at the same time never waits long.

use rusqlite::{OptionalExtension, params};

use super::{History, HistoryError};

/// Rows deleted per transaction.
const DELETE_CHUNK: i64 = 10_000;

const SETTING: &str = "retention";

/// How much history to keep. The default keeps everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Retention {
    /// Drop sends (and feedback, error-responses, disconnections, channel requests) older
    /// than this many days.
    pub max_age_days: Option<u32>,
    /// Keep at most this many sends, the newest.
    pub max_rows: Option<u64>,
}

impl Retention {
    /// Whether it drops anything at all.
    pub fn is_set(&self) -> bool {
        self.max_age_days.is_some() || self.max_rows.is_some()
    }
}

/// What a prune removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Send rows deleted.
    pub sends: u64,
    /// Feedback, error-response and disconnection rows deleted.
    pub other: u64,
}

impl History {
    /// The saved retention setting, if one was saved.
    pub fn retention(&self) -> Result<Option<Retention>, HistoryError> {
        let value: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                [SETTING],
                |row| row.get(0),
            )
            .optional()
            .map_err(|source| self.error(source))?;
        // A setting this version cannot read keeps everything rather than dropping rows.
        Ok(value.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// Saves the retention setting that every later send applies after it finishes.
    pub fn set_retention(&mut self, retention: &Retention) -> Result<(), HistoryError> {
        let json = serde_json::json!({
            "max_age_days": retention.max_age_days,
            "max_rows": retention.max_rows,
        })
        .to_string();
        self.conn
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![SETTING, json],
            )
            .map(|_| ())
            .map_err(|source| self.error(source))
    }

    /// Drops what `retention` does not keep, as of `now_ms`: first the sends below an id
    /// bound (ids grow with time), a chunk per transaction, then whatever nothing refers to.
    pub fn prune(
        &mut self,
        retention: &Retention,
        now_ms: i64,
    ) -> Result<PruneReport, HistoryError> {
        let mut report = PruneReport::default();
        let cutoff_ms = retention
            .max_age_days
            .map(|days| now_ms - i64::from(days) * 86_400_000);
        let mut bounds = Vec::new();
        if let Some(cutoff_ms) = cutoff_ms {
            // The first send young enough to keep; none means all are too old.
            let first_kept: Option<i64> = self
                .conn
                .query_row(
                    "SELECT id FROM sends WHERE created_ms >= ?1 ORDER BY created_ms, id LIMIT 1",
                    [cutoff_ms],
                    |row| row.get(0),
                )
                .optional()
                .map_err(|source| self.error(source))?;
            bounds.push(first_kept.unwrap_or(i64::MAX));
        }
        if let Some(max_rows) = retention.max_rows {
            // A one-off scan of max_rows index entries; fine for a maintenance task.
            let first_kept: Option<i64> = self
                .conn
                .query_row(
                    "SELECT id FROM sends ORDER BY id DESC LIMIT 1 OFFSET ?1",
                    [max_rows.saturating_sub(1) as i64],
                    |row| row.get(0),
                )
                .optional()
                .map_err(|source| self.error(source))?;
            bounds.push(first_kept.unwrap_or(i64::MIN));
        }
        let Some(&bound) = bounds.iter().max() else {
            return Ok(report);
        };
        loop {
            let deleted = self
                .conn
                .execute(
                    "DELETE FROM sends WHERE id < min(?1, (SELECT min(id) FROM sends) + ?2)",
                    params![bound, DELETE_CHUNK],
                )
                .map_err(|source| self.error(source))?;
            report.sends += deleted as u64;
            if deleted == 0 {
                break;
            }
        }
        let path = self.path.clone();
        let tx = self.write_transaction()?;
        if let Some(cutoff_ms) = cutoff_ms {
            for sql in [
                "DELETE FROM feedback WHERE received_ms < ?1",
                "DELETE FROM error_responses WHERE received_ms < ?1",
                "DELETE FROM disconnections WHERE time_ms < ?1",
                "DELETE FROM channel_requests WHERE time_ms < ?1",
            ] {
                report.other += tx
                    .execute(sql, [cutoff_ms])
                    .map_err(|source| HistoryError::from_sqlite(&path, source))?
                    as u64;
            }
        }
        tx.execute_batch(
            "DELETE FROM batches WHERE finished_ms IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM sends WHERE batch_id = batches.id)
                 AND NOT EXISTS (SELECT 1 FROM error_responses WHERE batch_id = batches.id);
             DELETE FROM messages WHERE NOT EXISTS (SELECT 1 FROM sends WHERE message_id = messages.id);
             DELETE FROM payloads WHERE NOT EXISTS (SELECT 1 FROM messages WHERE payload_id = payloads.id)
                 AND NOT EXISTS (SELECT 1 FROM channel_requests WHERE payload_id = payloads.id);",
        )
        .map_err(|source| HistoryError::from_sqlite(&path, source))?;
        tx.commit()
            .map_err(|source| HistoryError::from_sqlite(&self.path, source))?;
        Ok(report)
    }
}
