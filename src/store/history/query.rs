//! The read path: filters, keyset-paged queries newest first, counts per state, and the
//! unregistered tokens.
//!
//! Every filter is a condition on `sends` alone (lookups in the small tables are scalar
//! subqueries or resolved first), so a page picks its ids from `sends` walking an index in
//! id order, skipping `offset` and stopping after `limit` rows instead of sorting everything
//! that matches, and only then joins those rows to the small tables. Time ranges become id
//! ranges: the writer never lets `created_ms` go backwards as ids grow.

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Row, params_from_iter};

use super::filter::{Filter, SendState};
use super::schema::state;
use super::{History, HistoryError, liveness};

/// Where the next page starts: rows older than the last one shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// Rows with a smaller id come next.
    pub before_id: i64,
}

/// One page of sends, newest first.
#[derive(Clone, Debug)]
pub struct Page {
    /// The rows.
    pub rows: Vec<SendRow>,
    /// Where the next page starts; `None` when this is the last.
    pub next: Option<Cursor>,
}

/// One notification to one token, with its answer.
#[derive(Clone, Debug, PartialEq)]
pub struct SendRow {
    /// Row id (newer rows have larger ids).
    pub id: i64,
    /// The batch it was sent in.
    pub batch_id: i64,
    /// When it was recorded, just before it was sent (ms since the epoch).
    pub created_ms: i64,
    /// The identity it was sent with.
    pub identity: String,
    /// The endpoint it was sent to.
    pub endpoint: String,
    /// `http2` or `legacy-<format>`.
    pub protocol: String,
    /// `certificate` or `token` (unknown for sends recorded before version 3).
    pub auth: Option<String>,
    /// apns-topic.
    pub topic: Option<String>,
    /// apns-push-type.
    pub push_type: Option<String>,
    /// apns-priority.
    pub priority: Option<i64>,
    /// apns-expiration (UNIX seconds).
    pub expiration: Option<i64>,
    /// apns-collapse-id.
    pub collapse_id: Option<String>,
    /// apns-id.
    pub apns_id: String,
    /// The device token in hex.
    pub token: String,
    /// Where it stands.
    pub state: SendState,
    /// HTTP status of the answer.
    pub status: Option<i64>,
    /// APNs reason of a rejection.
    pub reason: Option<String>,
    /// apns-unique-id (development environment).
    pub apns_unique_id: Option<String>,
    /// For 410: when APNs says the token stopped being valid (ms since the epoch).
    pub unregistered_ms: Option<i64>,
    /// How many times it was sent.
    pub attempts: i64,
    /// From its first attempt to its answer, in microseconds.
    pub latency_us: Option<i64>,
    /// What went wrong when there was no answer.
    pub error: Option<String>,
    /// Legacy error-response status.
    pub legacy_status: Option<i64>,
    /// When its answer was recorded (ms since the epoch).
    pub answered_ms: Option<i64>,
    /// The payload JSON.
    pub payload: String,
}

/// How many sends are in each state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// `(state, count)` for every state, in [`SendState::ALL`] order.
    pub by_state: Vec<(SendState, u64)>,
}

impl Counts {
    /// The count of one state.
    pub fn get(&self, state: SendState) -> u64 {
        self.by_state
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, count)| *count)
    }

    /// All sends counted.
    pub fn total(&self) -> u64 {
        self.by_state.iter().map(|(_, count)| count).sum()
    }
}

/// A token APNs reported dead (HTTP/2 410 or the feedback service) with no accepted send
/// since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnregisteredToken {
    /// The device token in hex.
    pub token: String,
    /// Dead since (ms since the epoch): the latest 410 timestamp or feedback time.
    pub since_ms: i64,
    /// Where it was reported: `http2-410`, `feedback`, comma-separated.
    pub sources: String,
    /// The identities that learned it, comma-separated.
    pub identities: String,
}

const ROW_COLUMNS: &str = "s.id, s.batch_id, s.created_ms, i.name, e.address, b.protocol,
    m.topic, m.push_type, m.priority, m.expiration, m.collapse_id, s.apns_id, s.token, s.state,
    s.status, s.reason, s.apns_unique_id, s.unregistered_ms, s.attempts, s.latency_us, s.error,
    s.legacy_status, s.answered_ms, p.body, b.auth";

// The small tables a send row shows. CROSS JOIN keeps `sends` the outer loop, so ORDER BY
// s.id walks an index, not a sort.
const ROW_JOINS: &str = "CROSS JOIN identities i ON i.id = s.identity_id
    CROSS JOIN endpoints e ON e.id = s.endpoint_id
    CROSS JOIN batches b ON b.id = s.batch_id
    CROSS JOIN messages m ON m.id = s.message_id
    CROSS JOIN payloads p ON p.id = m.payload_id";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn id_text(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Blob(bytes) => Some(
            uuid::Uuid::from_slice(bytes)
                .map_or_else(|_| hex(bytes), |uuid| uuid.hyphenated().to_string()),
        ),
        ValueRef::Text(text) => Some(String::from_utf8_lossy(text).into_owned()),
        _ => None,
    }
}

/// The SQL of a filter: `AND`-ed conditions on `s`, and their parameters.
struct Conditions {
    sql: Vec<String>,
    params: Vec<Value>,
}

impl Conditions {
    fn push(&mut self, sql: &str, params: impl IntoIterator<Item = Value>) {
        self.sql.push(sql.to_owned());
        self.params.extend(params);
    }

    fn where_clause(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.sql.join(" AND "))
        }
    }
}

fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

impl History {
    /// The batches a live process is still recording.
    pub(super) fn live_batches(&self) -> Result<Vec<i64>, HistoryError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT id FROM batches WHERE finished_ms IS NULL")
            .map_err(|source| self.error(source))?;
        let ids = statement
            .query_map([], |row| row.get::<_, i64>(0))
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|source| self.error(source))?;
        Ok(ids
            .into_iter()
            .filter(|&id| liveness::is_live(&self.path, id))
            .collect())
    }

    fn messages_containing(&self, text: &str) -> Result<Vec<i64>, HistoryError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT m.id FROM messages m JOIN payloads p ON p.id = m.payload_id
                 WHERE instr(lower(p.body), lower(?1)) > 0",
            )
            .map_err(|source| self.error(source))?;
        statement
            .query_map([text], |row| row.get(0))
            .and_then(Iterator::collect)
            .map_err(|source| self.error(source))
    }

    fn conditions(
        &self,
        filter: &Filter,
        live: &[i64],
        with_state: bool,
    ) -> Result<Conditions, HistoryError> {
        let mut c = Conditions {
            sql: Vec::new(),
            params: Vec::new(),
        };
        if let Some(name) = &filter.identity {
            c.push(
                "s.identity_id = (SELECT id FROM identities WHERE name = ?)",
                [Value::Text(name.clone())],
            );
        }
        if let Some(address) = &filter.endpoint {
            c.push(
                "s.endpoint_id = (SELECT id FROM endpoints WHERE address = ?)",
                [Value::Text(address.clone())],
            );
        }
        match filter.state.filter(|_| with_state) {
            None => {}
            Some(SendState::InFlight) => c.push(
                &format!(
                    "s.state = {} AND s.batch_id IN ({})",
                    state::IN_FLIGHT,
                    id_list(live)
                ),
                [],
            ),
            Some(SendState::Unknown) => c.push(
                &format!(
                    "s.state = {} AND s.batch_id NOT IN ({})",
                    state::IN_FLIGHT,
                    id_list(live)
                ),
                [],
            ),
            Some(other) => {
                let code = match other {
                    SendState::Accepted => state::ACCEPTED,
                    SendState::Rejected => state::REJECTED,
                    SendState::Failed => state::FAILED,
                    SendState::Unconfirmed => state::UNCONFIRMED,
                    _ => state::CANCELLED,
                };
                c.push("s.state = ?", [Value::Integer(code)]);
            }
        }
        if let Some(reason) = &filter.reason {
            c.push("s.reason = ?", [Value::Text(reason.clone())]);
        }
        if let Some(batch) = filter.batch {
            c.push("s.batch_id = ?", [Value::Integer(batch)]);
        }
        if let Some(prefix) = &filter.token {
            let (lower, upper) = prefix.range();
            c.push("s.token >= ?", [Value::Blob(lower)]);
            if let Some(upper) = upper {
                c.push("s.token < ?", [Value::Blob(upper)]);
            }
        }
        if let Some(id) = &filter.apns_id {
            c.push(
                "s.apns_id = ?",
                [Value::Blob(id.as_uuid().as_bytes().to_vec())],
            );
        }
        if let Some(text) = &filter.text {
            // Resolved here, not as a subquery: with the ids known, one message is an index
            // walk in id order, where an opaque `IN (SELECT ...)` made SQLite scan every row.
            let messages = self.messages_containing(text)?;
            match messages.as_slice() {
                [] => c.push("0", []),
                [one] => c.push("s.message_id = ?", [Value::Integer(*one)]),
                many => c.push(&format!("s.message_id IN ({})", id_list(many)), []),
            }
        }
        // Ids and times grow together, so a time bound is also an id bound, found with one
        // index lookup; the id bound is what lets the page walk the id order directly.
        if let Some(since) = filter.since_ms {
            c.push(
                "s.id >= (SELECT id FROM sends WHERE created_ms >= ? ORDER BY created_ms, id LIMIT 1)
                 AND s.created_ms >= ?",
                [Value::Integer(since), Value::Integer(since)],
            );
        }
        if let Some(until) = filter.until_ms {
            c.push(
                "s.id <= (SELECT id FROM sends WHERE created_ms <= ? ORDER BY created_ms DESC, id DESC LIMIT 1)
                 AND s.created_ms <= ?",
                [Value::Integer(until), Value::Integer(until)],
            );
        }
        Ok(c)
    }

    fn row(live: &[i64], row: &Row<'_>) -> rusqlite::Result<SendRow> {
        let batch_id: i64 = row.get(1)?;
        let token: Vec<u8> = row.get(12)?;
        Ok(SendRow {
            id: row.get(0)?,
            batch_id,
            created_ms: row.get(2)?,
            identity: row.get(3)?,
            endpoint: row.get(4)?,
            protocol: row.get(5)?,
            topic: row.get(6)?,
            push_type: row.get(7)?,
            priority: row.get(8)?,
            expiration: row.get(9)?,
            collapse_id: row.get(10)?,
            apns_id: id_text(row.get_ref(11)?).unwrap_or_default(),
            token: hex(&token),
            state: SendState::stored(row.get(13)?, live.contains(&batch_id)),
            status: row.get(14)?,
            reason: row.get(15)?,
            apns_unique_id: id_text(row.get_ref(16)?),
            unregistered_ms: row.get(17)?,
            attempts: row.get(18)?,
            latency_us: row.get(19)?,
            error: row.get(20)?,
            legacy_status: row.get(21)?,
            answered_ms: row.get(22)?,
            payload: row.get(23)?,
            auth: row.get(24)?,
        })
    }

    /// One page of the sends that match `filter`, newest first, starting after `cursor`.
    pub fn page(
        &self,
        filter: &Filter,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Page, HistoryError> {
        // One row more than asked tells whether there is a next page.
        let mut rows = self.rows_at(filter, cursor, 0, limit.saturating_add(1))?;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|row| Cursor { before_id: row.id })
        } else {
            None
        };
        Ok(Page { rows, next })
    }

    /// How many sends match `filter`, its state included.
    pub fn matching(&self, filter: &Filter) -> Result<u64, HistoryError> {
        let counts = self.counts(filter)?;
        Ok(filter
            .state
            .map_or_else(|| counts.total(), |state| counts.get(state)))
    }

    /// The sends that match `filter` and come after `cursor`, newest first, from position
    /// `offset` on: for a view that jumps anywhere in the list (a scroll bar).
    pub fn rows_at(
        &self,
        filter: &Filter,
        cursor: Option<Cursor>,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<SendRow>, HistoryError> {
        let live = self.live_batches()?;
        let mut conditions = self.conditions(filter, &live, true)?;
        if let Some(cursor) = cursor {
            conditions.push("s.id < ?", [Value::Integer(cursor.before_id)]);
        }
        conditions
            .params
            .push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        conditions
            .params
            .push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        // The ids are picked first from `sends` alone (every condition is on its columns), so
        // skipping to a deep offset walks one index instead of joining every skipped row.
        let sql = format!(
            "SELECT {ROW_COLUMNS} \
             FROM (SELECT s.id AS picked FROM sends s {} ORDER BY s.id DESC LIMIT ? OFFSET ?) \
             chosen CROSS JOIN sends s ON s.id = chosen.picked {ROW_JOINS} ORDER BY s.id DESC",
            conditions.where_clause()
        );
        let mut statement = self
            .conn
            .prepare_cached(&sql)
            .map_err(|source| self.error(source))?;
        statement
            .query_map(params_from_iter(conditions.params), |row| {
                Self::row(&live, row)
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|source| self.error(source))
    }

    /// Calls `each` for every send that matches `filter`, newest first, reading one row at a
    /// time (constant memory whatever the size).
    pub fn for_each_send<E>(
        &self,
        filter: &Filter,
        mut each: impl FnMut(&SendRow) -> Result<(), E>,
    ) -> Result<Result<(), E>, HistoryError> {
        let live = self.live_batches()?;
        let conditions = self.conditions(filter, &live, true)?;
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM sends s {ROW_JOINS} {} ORDER BY s.id DESC",
            conditions.where_clause()
        );
        let mut statement = self
            .conn
            .prepare(&sql)
            .map_err(|source| self.error(source))?;
        let mut rows = statement
            .query(params_from_iter(conditions.params))
            .map_err(|source| self.error(source))?;
        while let Some(row) = rows.next().map_err(|source| self.error(source))? {
            let row = Self::row(&live, row).map_err(|source| self.error(source))?;
            if let Err(error) = each(&row) {
                return Ok(Err(error));
            }
        }
        Ok(Ok(()))
    }

    /// How many sends matching `filter` (its state aside) are in each state.
    pub fn counts(&self, filter: &Filter) -> Result<Counts, HistoryError> {
        let live = self.live_batches()?;
        let conditions = self.conditions(filter, &live, false)?;
        let live_condition = format!("s.batch_id IN ({})", id_list(&live));
        let sql = format!(
            "SELECT s.state, {live_condition} AS live, count(*) FROM sends s {} GROUP BY 1, 2",
            conditions.where_clause()
        );
        let mut statement = self
            .conn
            .prepare(&sql)
            .map_err(|source| self.error(source))?;
        let found = statement
            .query_map(params_from_iter(conditions.params), |row| {
                Ok((
                    SendState::stored(row.get(0)?, row.get(1)?),
                    row.get::<_, i64>(2)?,
                ))
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|source| self.error(source))?;
        let by_state = SendState::ALL
            .into_iter()
            .map(|state| {
                let count = found
                    .iter()
                    .filter(|(s, _)| *s == state)
                    .map(|(_, count)| *count as u64)
                    .sum();
                (state, count)
            })
            .collect();
        Ok(Counts { by_state })
    }

    /// Calls `each` for every unregistered token, most recently dead first.
    pub fn for_each_unregistered<E>(
        &self,
        mut each: impl FnMut(&UnregisteredToken) -> Result<(), E>,
    ) -> Result<Result<(), E>, HistoryError> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT token, since_ms, sources, identities FROM unregistered_tokens
                 ORDER BY since_ms DESC, token",
            )
            .map_err(|source| self.error(source))?;
        let mut rows = statement.query([]).map_err(|source| self.error(source))?;
        while let Some(row) = rows.next().map_err(|source| self.error(source))? {
            let token = (|| {
                Ok(UnregisteredToken {
                    token: hex(&row.get::<_, Vec<u8>>(0)?),
                    since_ms: row.get(1)?,
                    sources: row.get(2)?,
                    identities: row.get(3)?,
                })
            })()
            .map_err(|source| self.error(source))?;
            if let Err(error) = each(&token) {
                return Ok(Err(error));
            }
        }
        Ok(Ok(()))
    }

    /// How many tokens are dead.
    pub fn unregistered_count(&self) -> Result<u64, HistoryError> {
        self.conn
            .query_row("SELECT count(*) FROM unregistered_tokens", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|count| count as u64)
            .map_err(|source| self.error(source))
    }
}
