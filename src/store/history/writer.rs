//! The write path: every notification is recorded `in_flight` before the batch starts, and
//! its answer is applied when it comes, in batched transactions on a thread of its own so
//! the sender never waits for the disk.

use std::collections::HashMap;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{OptionalExtension, Transaction, params};

use super::liveness::BatchLock;
use super::schema::state;
use super::{History, HistoryError, Retention, now_ms};
use crate::apns::{AuthKind, FeedbackTuple, Transport};
use crate::apns::{Batch, BatchItem, BatchReport, DisconnectCause, Outcome, OutcomeKind};

/// Rows per transaction when recording a batch. The token and apns-id indexes take random
/// keys, so each transaction dirties index pages all over the file; measured on 100,000
/// rows, 50,000 per transaction records twice as fast as 5,000 (fewer pages written to the
/// WAL twice). Readers never wait (WAL); another writer waits at most a few hundred ms.
const ROWS_PER_TRANSACTION: usize = 50_000;

/// Answers are written at least this often while a batch runs...
const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// ...or as soon as this many are waiting.
const FLUSH_ROWS: usize = 5_000;

/// Who sent a batch, and where to.
#[derive(Clone, Copy, Debug)]
pub struct BatchContext<'a> {
    /// The identity's name (certificate or token key) as the user knows it.
    pub identity: &'a str,
    /// The endpoint's label: `simulator`, or `host:port`.
    pub endpoint: &'a str,
    /// HTTP/2 or a legacy format.
    pub transport: Transport,
    /// Certificate or token auth.
    pub auth: AuthKind,
}

/// A batch whose rows are recorded and waiting for their answers. Holds the batch's
/// liveness lock until it is finished or dropped.
#[derive(Debug)]
pub struct RecordedBatch {
    batch_id: i64,
    /// The `sends` rows recorded so far, in the batch's order.
    send_ids: Vec<i64>,
    /// Whether it goes over HTTP/2, where an acceptance is a 200.
    http2: bool,
    lock: Option<BatchLock>,
    /// What the rows still to record share.
    identity_id: i64,
    endpoint_id: i64,
    created_ms: i64,
    /// Items of a same-payload batch share their headers and body: one `messages` row,
    /// keyed by where those live.
    messages: HashMap<(usize, usize, usize), i64>,
}

impl RecordedBatch {
    /// The batch's id in the history.
    pub fn batch_id(&self) -> i64 {
        self.batch_id
    }

    /// The `sends` row id of the item at `index`.
    pub fn send_id(&self, index: usize) -> Option<i64> {
        self.send_ids.get(index).copied()
    }

    /// How many of the batch's items have their row.
    pub fn rows(&self) -> usize {
        self.send_ids.len()
    }
}

fn protocol_name(transport: Transport) -> String {
    match transport {
        Transport::Http2 => "http2".into(),
        Transport::Legacy(format) => format!("legacy-{}", format.as_str()),
    }
}

fn header<'a>(item: &'a BatchItem, name: &str) -> Option<&'a str> {
    item.request
        .headers
        .iter()
        .find(|(header, _)| *header == name)
        .map(|(_, value)| value.as_str())
}

fn state_of(kind: OutcomeKind) -> i64 {
    match kind {
        OutcomeKind::Accepted => state::ACCEPTED,
        OutcomeKind::Rejected => state::REJECTED,
        OutcomeKind::Failed => state::FAILED,
        OutcomeKind::NotSent => state::CANCELLED,
        OutcomeKind::Unconfirmed => state::UNCONFIRMED,
    }
}

/// apns-unique-id is a UUID from Apple; kept as 16 bytes when it is one, as text otherwise.
fn unique_id_value(id: Option<&str>) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match id {
        None => Value::Null,
        Some(text) => match uuid::Uuid::try_parse(text) {
            Ok(uuid) if text.len() == 36 => Value::Blob(uuid.as_bytes().to_vec()),
            _ => Value::Text(text.to_owned()),
        },
    }
}

fn id_for(tx: &Transaction<'_>, table: &str, column: &str, value: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached(&format!(
        "INSERT INTO {table} ({column}) VALUES (?1) ON CONFLICT({column}) DO NOTHING"
    ))?
    .execute([value])?;
    tx.prepare_cached(&format!("SELECT id FROM {table} WHERE {column} = ?1"))?
        .query_row([value], |row| row.get(0))
}

fn payload_id(tx: &Transaction<'_>, body: &[u8]) -> rusqlite::Result<i64> {
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body);
    tx.prepare_cached(
        "INSERT INTO payloads (sha256, body) VALUES (?1, ?2) ON CONFLICT(sha256) DO NOTHING",
    )?
    .execute(params![hash.as_ref(), String::from_utf8_lossy(body)])?;
    tx.prepare_cached("SELECT id FROM payloads WHERE sha256 = ?1")?
        .query_row([hash.as_ref()], |row| row.get(0))
}

fn message_id(tx: &Transaction<'_>, item: &BatchItem) -> rusqlite::Result<i64> {
    let payload_id = payload_id(tx, &item.request.body)?;
    tx.prepare_cached(
        "INSERT INTO messages (payload_id, topic, push_type, priority, expiration, collapse_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        payload_id,
        header(item, "apns-topic"),
        header(item, "apns-push-type"),
        header(item, "apns-priority").and_then(|value| value.parse::<i64>().ok()),
        header(item, "apns-expiration").and_then(|value| value.parse::<i64>().ok()),
        header(item, "apns-collapse-id"),
    ])?;
    Ok(tx.last_insert_rowid())
}

/// A legacy error-response, as the history keeps it.
struct ErrorResponseRecord {
    at_ms: i64,
    status: u8,
    identifier: u32,
    /// The notification it names, by its index in the batch.
    index: Option<usize>,
    resent: i64,
}

/// A connection that ended under the batch.
struct DisconnectionRecord {
    at_ms: i64,
    cause: &'static str,
    detail: String,
    /// The notification it ended on, by its index in the batch.
    index: Option<usize>,
    resent: i64,
}

/// A batch's totals as its sender counted them.
struct Totals {
    accepted: i64,
    rejected: i64,
    failed: i64,
    not_sent: i64,
    unconfirmed: i64,
    resent: i64,
    possible_duplicates: i64,
}

/// What a finished batch adds besides the answers: error-responses, disconnections and
/// its totals.
pub(super) struct Aftermath {
    error_responses: Vec<ErrorResponseRecord>,
    disconnections: Vec<DisconnectionRecord>,
    totals: Totals,
}

fn epoch_ms(at: std::time::SystemTime) -> i64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64)
}

impl Aftermath {
    /// The report's disconnections, each naming the notification it ended on; a legacy
    /// error-response is also kept as such.
    pub(super) fn of(report: &BatchReport) -> Self {
        let mut error_responses = Vec::new();
        let mut disconnections = Vec::new();
        for disconnection in &report.disconnections {
            let index = disconnection.index;
            let at_ms = epoch_ms(disconnection.at);
            let resent = disconnection.resent as i64;
            if let DisconnectCause::ErrorResponse { status, identifier } = disconnection.cause {
                error_responses.push(ErrorResponseRecord {
                    at_ms,
                    status: status.code(),
                    identifier,
                    index,
                    resent,
                });
            }
            disconnections.push(DisconnectionRecord {
                at_ms,
                cause: disconnection.cause.as_str(),
                detail: disconnection.cause.to_string(),
                index,
                resent,
            });
        }
        let count = |kind| report.count(kind) as i64;
        Self {
            error_responses,
            disconnections,
            totals: Totals {
                accepted: count(OutcomeKind::Accepted),
                rejected: count(OutcomeKind::Rejected),
                failed: count(OutcomeKind::Failed),
                not_sent: count(OutcomeKind::NotSent),
                unconfirmed: count(OutcomeKind::Unconfirmed),
                resent: report.resent as i64,
                possible_duplicates: report.possible_duplicates as i64,
            },
        }
    }
}

impl History {
    /// Records every item of `batch` as `in_flight` at `now_ms`, before any of it is sent,
    /// in transactions of a few thousand rows. The payload is stored once per distinct body.
    pub fn record_batch(
        &mut self,
        context: &BatchContext<'_>,
        batch: &Batch,
        now_ms: i64,
    ) -> Result<RecordedBatch, HistoryError> {
        let mut recorded = self.begin_batch(context, batch, now_ms)?;
        for chunk in batch.items().chunks(ROWS_PER_TRANSACTION) {
            self.record_rows(&mut recorded, chunk)?;
        }
        Ok(recorded)
    }

    /// Records the batch itself (who, where, how many) and takes its liveness lock; its
    /// items get their rows from `record_rows`, each before it is sent.
    pub fn begin_batch(
        &mut self,
        context: &BatchContext<'_>,
        batch: &Batch,
        now_ms: i64,
    ) -> Result<RecordedBatch, HistoryError> {
        let path = self.path.clone();
        let error = |source| HistoryError::from_sqlite(&path, source);
        let tx = self.write_transaction()?;
        let identity_id = id_for(&tx, "identities", "name", context.identity).map_err(error)?;
        let endpoint_id = id_for(&tx, "endpoints", "address", context.endpoint).map_err(error)?;
        // Times never go backwards in the table, even if the clock does: the time filters
        // rely on ids and times growing together.
        let latest: Option<i64> = tx
            .query_row("SELECT max(created_ms) FROM sends", [], |row| row.get(0))
            .optional()
            .map_err(error)?
            .flatten();
        let created_ms = latest.map_or(now_ms, |latest| latest.max(now_ms));
        tx.execute(
            "INSERT INTO batches (started_ms, identity_id, endpoint_id, protocol, size, auth)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                created_ms,
                identity_id,
                endpoint_id,
                protocol_name(context.transport),
                batch.len() as i64,
                context.auth.as_str(),
            ],
        )
        .map_err(error)?;
        let batch_id = tx.last_insert_rowid();
        // Locked before the rows are visible, so no reader ever takes them for abandoned.
        let lock = BatchLock::acquire(&path, batch_id).map_err(|source| HistoryError::Lock {
            path: path.clone(),
            source,
        })?;
        tx.commit().map_err(error)?;
        Ok(RecordedBatch {
            batch_id,
            send_ids: Vec::with_capacity(batch.len()),
            http2: context.transport == Transport::Http2,
            lock: Some(lock),
            identity_id,
            endpoint_id,
            created_ms,
            messages: HashMap::new(),
        })
    }

    /// Records `items`, the batch's next ones after those already recorded, as
    /// `in_flight`, in one transaction.
    pub fn record_rows(
        &mut self,
        recorded: &mut RecordedBatch,
        items: &[BatchItem],
    ) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let error = |source| HistoryError::from_sqlite(&path, source);
        let first = recorded.send_ids.len();
        let tx = self.write_transaction()?;
        let written = (|| {
            let mut insert = tx.prepare_cached(
                "INSERT INTO sends (batch_id, message_id, identity_id, endpoint_id,
                                    created_ms, token, apns_id, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for item in items {
                let key = (
                    std::sync::Arc::as_ptr(&item.request.headers) as usize,
                    item.request.body.as_ptr() as usize,
                    item.request.body.len(),
                );
                let message_id = match recorded.messages.get(&key) {
                    Some(&id) => id,
                    None => {
                        let id = message_id(&tx, item)?;
                        recorded.messages.insert(key, id);
                        id
                    }
                };
                insert.execute(params![
                    recorded.batch_id,
                    message_id,
                    recorded.identity_id,
                    recorded.endpoint_id,
                    recorded.created_ms,
                    item.request.token.as_bytes(),
                    item.apns_id.as_uuid().as_bytes(),
                    state::IN_FLIGHT,
                ])?;
                recorded.send_ids.push(tx.last_insert_rowid());
            }
            Ok(())
        })()
        .and_then(|()| tx.commit());
        if let Err(source) = written {
            // Rolled back: those rows do not exist, so none may be taken for recorded, and
            // a message row made in the same transaction is gone too.
            recorded.send_ids.truncate(first);
            recorded.messages.clear();
            return Err(error(source));
        }
        Ok(())
    }

    /// Applies answers (`(index in the batch, outcome)`) in one transaction.
    pub fn apply_outcomes(
        &mut self,
        recorded: &RecordedBatch,
        outcomes: &[(usize, Outcome)],
        now_ms: i64,
    ) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let error = |source| HistoryError::from_sqlite(&path, source);
        let tx = self.write_transaction()?;
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE sends SET state = ?2, status = ?3, reason = ?4, apns_unique_id = ?5,
                        unregistered_ms = ?6, attempts = ?7, latency_us = ?8, error = ?9,
                        legacy_status = ?10, answered_ms = ?11
                     WHERE id = ?1",
                )
                .map_err(error)?;
            for (index, outcome) in outcomes {
                let Some(id) = recorded.send_id(*index) else {
                    continue;
                };
                let status = match outcome.kind() {
                    OutcomeKind::Accepted if recorded.http2 => Some(200),
                    _ => outcome.http_status(),
                };
                update
                    .execute(params![
                        id,
                        state_of(outcome.kind()),
                        status,
                        outcome.reason().map(|reason| reason.as_str()),
                        unique_id_value(outcome.apns_unique_id()),
                        outcome.unregistered_since_ms().map(|ms| ms as i64),
                        outcome.attempts,
                        outcome.latency.as_micros() as i64,
                        outcome.failure().map(ToString::to_string),
                        outcome.legacy_status().map(|status| status.code()),
                        now_ms,
                    ])
                    .map_err(error)?;
            }
        }
        tx.commit().map_err(error)
    }

    pub(super) fn finish_batch(
        &mut self,
        recorded: RecordedBatch,
        aftermath: &Aftermath,
        now_ms: i64,
    ) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let error = |source| HistoryError::from_sqlite(&path, source);
        let tx = self.write_transaction()?;
        let endpoint_id: i64 = tx
            .query_row(
                "SELECT endpoint_id FROM batches WHERE id = ?1",
                [recorded.batch_id],
                |row| row.get(0),
            )
            .map_err(error)?;
        for response in &aftermath.error_responses {
            tx.prepare_cached(
                "INSERT INTO error_responses (received_ms, batch_id, status, identifier, send_id, resent)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut insert| {
                insert.execute(params![
                    response.at_ms,
                    recorded.batch_id,
                    response.status,
                    response.identifier,
                    response.index.and_then(|index| recorded.send_id(index)),
                    response.resent
                ])
            })
            .map_err(error)?;
        }
        for disconnection in &aftermath.disconnections {
            tx.prepare_cached(
                "INSERT INTO disconnections (time_ms, batch_id, endpoint_id, cause, detail, send_id, resent)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut insert| {
                insert.execute(params![
                    disconnection.at_ms,
                    recorded.batch_id,
                    endpoint_id,
                    disconnection.cause,
                    disconnection.detail,
                    disconnection.index.and_then(|index| recorded.send_id(index)),
                    disconnection.resent
                ])
            })
            .map_err(error)?;
        }
        let totals = &aftermath.totals;
        tx.execute(
            "UPDATE batches SET finished_ms = ?2, accepted = ?3, rejected = ?4, failed = ?5,
                not_sent = ?6, unconfirmed = ?7, resent = ?8, possible_duplicates = ?9
             WHERE id = ?1",
            params![
                recorded.batch_id,
                now_ms,
                totals.accepted,
                totals.rejected,
                totals.failed,
                totals.not_sent,
                totals.unconfirmed,
                totals.resent,
                totals.possible_duplicates
            ],
        )
        .map_err(error)?;
        tx.commit().map_err(error)?;
        if let Some(lock) = { recorded }.lock.take() {
            lock.release();
        }
        // Keeps the planner's statistics current as the tables grow; cheap when nothing changed.
        self.conn
            .execute_batch("PRAGMA optimize")
            .map_err(|source| self.error(source))
    }

    /// Records what a feedback service returned, read at `now_ms` with `identity` from `endpoint`.
    pub fn record_feedback(
        &mut self,
        identity: &str,
        endpoint: &str,
        tuples: &[FeedbackTuple],
        now_ms: i64,
    ) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let error = |source| HistoryError::from_sqlite(&path, source);
        let tx = self.write_transaction()?;
        let identity_id = id_for(&tx, "identities", "name", identity).map_err(error)?;
        let endpoint_id = id_for(&tx, "endpoints", "address", endpoint).map_err(error)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO feedback (received_ms, time_s, token, identity_id, endpoint_id)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(error)?;
            for tuple in tuples {
                insert
                    .execute(params![
                        now_ms,
                        tuple.time,
                        tuple.token.as_bytes(),
                        identity_id,
                        endpoint_id
                    ])
                    .map_err(error)?;
            }
        }
        tx.commit().map_err(error)
    }
}

/// One request to the channel management API or one broadcast, with its answer: a row of
/// the Channels view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelRecord {
    /// When it was sent, ms since the epoch.
    pub time_ms: i64,
    /// The identity's name, as the history names it.
    pub identity: String,
    /// `simulator` or `host:port`.
    pub endpoint: String,
    /// The app (bundle id).
    pub app: String,
    /// `create`, `read`, `list`, `delete` or `broadcast`.
    pub operation: &'static str,
    /// The channel it was about, or the one made.
    pub channel: Option<String>,
    /// The storage policy asked for or read (0 or 1).
    pub storage_policy: Option<u8>,
    /// A broadcast's payload.
    pub payload: Option<Vec<u8>>,
    /// A broadcast's priority.
    pub priority: Option<u8>,
    /// A broadcast's expiration (UNIX seconds).
    pub expiration: Option<u32>,
    /// The HTTP status; `None` when no answer came.
    pub status: Option<u16>,
    /// The refusal's reason.
    pub reason: Option<String>,
    /// The answer in words ("3 channels"), or why none came.
    pub detail: Option<String>,
    /// `apns-request-id` as answered.
    pub request_id: Option<String>,
    /// `apns-unique-id` (development).
    pub unique_id: Option<String>,
    /// From sending to the answer, microseconds.
    pub latency_us: Option<i64>,
}

impl History {
    /// Records a channel request or a broadcast; returns its row id.
    pub fn record_channel_request(&mut self, record: &ChannelRecord) -> Result<i64, HistoryError> {
        let path = self.path.clone();
        let error = |source| HistoryError::from_sqlite(&path, source);
        let tx = self.write_transaction()?;
        let identity_id = id_for(&tx, "identities", "name", &record.identity).map_err(error)?;
        let endpoint_id = id_for(&tx, "endpoints", "address", &record.endpoint).map_err(error)?;
        let payload_id = record
            .payload
            .as_deref()
            .map(|body| payload_id(&tx, body))
            .transpose()
            .map_err(error)?;
        tx.prepare_cached(
            "INSERT INTO channel_requests (time_ms, identity_id, endpoint_id, app, operation,
                 channel, storage_policy, payload_id, priority, expiration, status, reason, detail,
                 request_id, unique_id, latency_us)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )
        .map_err(error)?
        .execute(params![
            record.time_ms,
            identity_id,
            endpoint_id,
            record.app,
            record.operation,
            record.channel,
            record.storage_policy,
            payload_id,
            record.priority,
            record.expiration,
            record.status,
            record.reason,
            record.detail,
            record.request_id,
            record.unique_id,
            record.latency_us,
        ])
        .map_err(error)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(error)?;
        Ok(id)
    }
}

enum Message {
    Outcome(usize, Outcome),
    Finish(Aftermath),
}

/// Applies a batch's answers on a background thread, in transactions of up to a few
/// thousand rows at least every 100 ms, so the sender never waits for the disk. After
/// the batch it applies the saved [`Retention`], if any.
#[derive(Debug)]
pub struct OutcomeRecorder {
    sender: mpsc::Sender<Message>,
    thread: JoinHandle<Result<(), HistoryError>>,
}

/// The rows a batch still needs while it is being sent, and who waits for them.
pub struct RowsToRecord {
    /// The batch whose items after the recorded ones get their rows.
    pub batch: std::sync::Arc<Batch>,
    /// Told how many items have their row after each transaction: none may be sent
    /// before, so a crash never leaves a notification sent with no trace of it.
    pub recorded: Box<dyn Fn(usize) + Send>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Outcome(index, _) => write!(f, "Outcome({index})"),
            Message::Finish(_) => f.write_str("Finish"),
        }
    }
}

impl OutcomeRecorder {
    /// Starts the thread; it owns `history` from now on.
    pub fn start(history: History, recorded: RecordedBatch) -> Result<Self, HistoryError> {
        Self::start_recording(history, recorded, None)
    }

    /// Starts the thread, which first records the rows `rows` still needs, in growing
    /// transactions (the first small, so sending starts at once), then applies answers.
    pub fn start_recording(
        history: History,
        recorded: RecordedBatch,
        rows: Option<RowsToRecord>,
    ) -> Result<Self, HistoryError> {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("history-writer".into())
            .spawn(move || run(history, recorded, rows, &receiver))
            .map_err(HistoryError::Thread)?;
        Ok(Self { sender, thread })
    }

    /// Queues one answer; never blocks.
    pub fn record(&self, index: usize, outcome: Outcome) {
        // A writer that failed has stopped listening; its error comes back from `finish`.
        let _ = self.sender.send(Message::Outcome(index, outcome));
    }

    /// Writes what is left, the batch's error-responses and disconnections, releases the
    /// batch, applies the retention setting, and waits for all of it.
    pub fn finish(self, report: &BatchReport) -> Result<(), HistoryError> {
        let _ = self.sender.send(Message::Finish(Aftermath::of(report)));
        drop(self.sender);
        self.thread
            .join()
            .map_err(|_| HistoryError::WriterStopped)?
    }
}

fn flush(
    history: &mut History,
    recorded: &RecordedBatch,
    pending: &mut Vec<(usize, Outcome)>,
) -> Result<(), HistoryError> {
    if pending.is_empty() {
        return Ok(());
    }
    let result = history.apply_outcomes(recorded, pending, now_ms());
    pending.clear();
    result
}

/// The rows recorded in the first transaction of an overlapped batch: enough to start
/// sending at once; later transactions double up to `ROWS_PER_TRANSACTION`.
pub const FIRST_ROWS: usize = 1_000;

/// Records the rows of `rows.batch` not yet recorded, telling how far it got after each
/// transaction. On an error the teller is dropped, so whoever waits learns that the rest
/// will never be recorded.
fn record_remaining(
    history: &mut History,
    recorded: &mut RecordedBatch,
    rows: RowsToRecord,
) -> Result<(), HistoryError> {
    let items = rows.batch.items();
    let mut chunk = FIRST_ROWS;
    while recorded.rows() < items.len() {
        let start = recorded.rows();
        let end = (start + chunk).min(items.len());
        history.record_rows(recorded, &items[start..end])?;
        (rows.recorded)(end);
        chunk = (chunk * 2).min(ROWS_PER_TRANSACTION);
    }
    Ok(())
}

fn run(
    mut history: History,
    mut recorded: RecordedBatch,
    rows: Option<RowsToRecord>,
    receiver: &mpsc::Receiver<Message>,
) -> Result<(), HistoryError> {
    // A batch whose rows could not all be recorded stops short of sending the rest; the
    // answers to what went out are still written before the error is told.
    let recording = match rows {
        Some(rows) => record_remaining(&mut history, &mut recorded, rows),
        None => Ok(()),
    };
    let mut pending: Vec<(usize, Outcome)> = Vec::with_capacity(FLUSH_ROWS);
    let mut deadline: Option<Instant> = None;
    let aftermath = loop {
        let message = match deadline {
            Some(deadline) => {
                receiver.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            }
            None => receiver
                .recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        match message {
            Ok(Message::Outcome(index, outcome)) => {
                pending.push((index, outcome));
                deadline.get_or_insert_with(|| Instant::now() + FLUSH_INTERVAL);
                if pending.len() >= FLUSH_ROWS {
                    flush(&mut history, &recorded, &mut pending)?;
                    deadline = None;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                flush(&mut history, &recorded, &mut pending)?;
                deadline = None;
            }
            Ok(Message::Finish(aftermath)) => break Some(aftermath),
            Err(mpsc::RecvTimeoutError::Disconnected) => break None,
        }
    };
    flush(&mut history, &recorded, &mut pending)?;
    let Some(aftermath) = aftermath else {
        // Dropped without finishing: what was answered is written; the rest stays unknown.
        return recording;
    };
    history.finish_batch(recorded, &aftermath, now_ms())?;
    if let Some(retention) = history.retention()?.filter(Retention::is_set) {
        history.prune(&retention, now_ms())?;
    }
    recording
}
