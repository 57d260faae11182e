//! The rest of the conversation with APNs, beside the sends themselves: batches with their
//! totals, legacy error-responses, feedback entries and disconnections. Each view is paged,
//! counted and exported the same way; its rows are typed cells under named columns, so the
//! CLI's table, CSV and JSON Lines and the app's tables read one shape.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use rusqlite::types::Value;
use rusqlite::{Row, params_from_iter};

use super::export::{csv_line, json_line};
use super::filter::Filter;
use super::query::Cursor;
use super::time::format_time;
use super::{History, HistoryError};
use crate::apns::legacy::LegacyStatus;

/// A view of the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum View {
    /// One row per send (batch) with its totals.
    Batches,
    /// Legacy error-responses, with the notification each named.
    ErrorResponses,
    /// Entries read from the feedback service.
    Feedback,
    /// Connections that ended under a batch, with the notification that ended each.
    Disconnections,
    /// Tokens APNs called dead (an HTTP/2 410 or the feedback service) and never accepted
    /// since, most recently dead first.
    Unregistered,
    /// Requests to the broadcast channel management API and broadcasts to channels.
    Channels,
}

impl View {
    /// Every view, in the order the app shows them.
    pub const ALL: [View; 6] = [
        View::Batches,
        View::ErrorResponses,
        View::Feedback,
        View::Disconnections,
        View::Unregistered,
        View::Channels,
    ];

    /// Its name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            View::Batches => "batches",
            View::ErrorResponses => "error-responses",
            View::Feedback => "feedback",
            View::Disconnections => "disconnections",
            View::Unregistered => "unregistered",
            View::Channels => "channels",
        }
    }

    /// Its title in the app.
    pub fn title(self) -> &'static str {
        match self {
            View::Batches => "Batches",
            View::ErrorResponses => "Error responses",
            View::Feedback => "Feedback",
            View::Disconnections => "Disconnections",
            View::Unregistered => "Unregistered tokens",
            View::Channels => "Channel requests",
        }
    }

    /// The column names, in the order of each row's cells (CSV headers, JSON keys).
    pub fn columns(self) -> &'static [&'static str] {
        self.sql().columns
    }

    /// The filter fields this view can apply; a filter naming any other is refused, not
    /// ignored.
    pub fn filters(self) -> &'static [&'static str] {
        match self {
            View::Feedback => &["identity", "endpoint", "token", "since", "until"],
            View::Unregistered => &["token", "since", "until"],
            View::Channels => &["identity", "endpoint", "since", "until"],
            _ => &["identity", "endpoint", "token", "batch", "since", "until"],
        }
    }

    fn sql(self) -> &'static ViewSql {
        match self {
            View::Batches => &BATCHES,
            View::ErrorResponses => &ERROR_RESPONSES,
            View::Feedback => &FEEDBACK,
            View::Disconnections => &DISCONNECTIONS,
            View::Unregistered => &UNREGISTERED,
            View::Channels => &CHANNELS,
        }
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for View {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        View::ALL
            .into_iter()
            .find(|view| view.as_str() == text)
            .ok_or_else(|| {
                format!("{text:?} is not a view; use batches, error-responses, feedback, disconnections, unregistered or channels")
            })
    }
}

/// One value of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Nothing known.
    Empty,
    /// A count, code or id.
    Int(i64),
    /// Text.
    Text(String),
    /// A moment, ms since the epoch; each front end shows it in the user's time zone.
    Time(i64),
}

impl Cell {
    fn text(value: Option<String>) -> Self {
        value.map_or(Cell::Empty, Cell::Text)
    }

    fn int(value: Option<i64>) -> Self {
        value.map_or(Cell::Empty, Cell::Int)
    }

    fn time(value: Option<i64>) -> Self {
        value.map_or(Cell::Empty, Cell::Time)
    }

    /// As text, times in UTC (RFC 3339): what CSV holds.
    pub fn to_utc_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Int(value) => value.to_string(),
            Cell::Text(text) => text.clone(),
            Cell::Time(ms) => format_time(*ms),
        }
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            Cell::Empty => serde_json::Value::Null,
            Cell::Int(value) => (*value).into(),
            Cell::Text(text) => text.clone().into(),
            Cell::Time(ms) => format_time(*ms).into(),
        }
    }
}

/// One row of a view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationRow {
    /// Its id in its table (newest first is highest first).
    pub id: i64,
    /// The batch it belongs to, to open its sends.
    pub batch_id: Option<i64>,
    /// The send it names, to open its detail.
    pub send_id: Option<i64>,
    /// The values, one per [`View::columns`].
    pub cells: Vec<Cell>,
}

impl ConversationRow {
    /// The row as one JSON object named by `view`'s columns, times in RFC 3339 UTC: what
    /// JSON Lines exports and the REST API return.
    pub fn to_json(&self, view: View) -> serde_json::Value {
        view.columns()
            .iter()
            .zip(&self.cells)
            .map(|(name, cell)| ((*name).to_owned(), cell.to_json()))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// The cell under `column`.
    pub fn get(&self, view: View, column: &str) -> Option<&Cell> {
        let position = view.columns().iter().position(|name| *name == column)?;
        self.cells.get(position)
    }
}

/// Where a row's identity or endpoint id is: in a column of its own table, or in the
/// batch that a column names.
enum Owner {
    Column(&'static str),
    ViaBatch(&'static str),
}

impl Owner {
    /// The condition that the owner is the row of `table` whose `key` is `?`.
    fn condition(&self, batch_column: &str, table: &str, key: &str) -> String {
        let id = format!("(SELECT id FROM {table} WHERE {key} = ?)");
        match self {
            Owner::Column(column) => format!("{column} = {id}"),
            Owner::ViaBatch(column) => {
                format!("{column} IN (SELECT id FROM batches WHERE {batch_column} = {id})")
            }
        }
    }
}

/// How a view reads from the database.
struct ViewSql {
    columns: &'static [&'static str],
    /// The table and its alias, alone: page ids are picked from it, so skipping deep into
    /// a million rows walks one index.
    table: &'static str,
    alias: &'static str,
    /// `None`: newest first is highest id first, and pages are picked by id. Otherwise the
    /// order of a table without ids (a SQL view), paged by position.
    order: Option<&'static str>,
    /// The row's columns and the joins they need, for the picked ids.
    select: &'static str,
    time: &'static str,
    /// Where the row's identity and endpoint are found, if it has them.
    identity: Option<Owner>,
    endpoint: Option<Owner>,
    /// The condition on a token range; `{}` stands for the comparison of `token_column`.
    /// `None`: the rows have no tokens.
    token: Option<&'static str>,
    token_column: &'static str,
    batch: Option<&'static str>,
    read: fn(&Row<'_>, &[i64]) -> rusqlite::Result<ConversationRow>,
}

const BATCH_COLUMNS: &[&str] = &[
    "id",
    "started",
    "finished",
    "identity",
    "endpoint",
    "protocol",
    "auth",
    "size",
    "state",
    "accepted",
    "rejected",
    "failed",
    "not_sent",
    "unconfirmed",
    "resent",
    "possible_duplicates",
    "error_responses",
    "disconnections",
];

static BATCHES: ViewSql = ViewSql {
    columns: BATCH_COLUMNS,
    table: "batches",
    alias: "b",
    order: None,
    select: "SELECT b.id, b.started_ms, b.finished_ms, i.name, e.address, b.protocol, b.auth,
            b.size, b.accepted, b.rejected, b.failed, b.not_sent, b.unconfirmed, b.resent,
            b.possible_duplicates,
            (SELECT count(*) FROM error_responses r WHERE r.batch_id = b.id),
            (SELECT count(*) FROM disconnections d WHERE d.batch_id = b.id)
        FROM batches b CROSS JOIN identities i ON i.id = b.identity_id
            CROSS JOIN endpoints e ON e.id = b.endpoint_id",
    time: "b.started_ms",
    identity: Some(Owner::Column("b.identity_id")),
    endpoint: Some(Owner::Column("b.endpoint_id")),
    token: Some("b.id IN (SELECT s.batch_id FROM sends s WHERE {})"),
    token_column: "s.token",
    batch: Some("b.id"),
    read: read_batch,
};

fn read_batch(row: &Row<'_>, live: &[i64]) -> rusqlite::Result<ConversationRow> {
    let id: i64 = row.get(0)?;
    let finished: Option<i64> = row.get(2)?;
    let state = match finished {
        Some(_) => "finished",
        None if live.contains(&id) => "running",
        // Its sender stopped before finishing: its totals were never counted.
        None => "abandoned",
    };
    let mut cells = vec![
        Cell::Int(id),
        Cell::Time(row.get(1)?),
        Cell::time(finished),
        Cell::Text(row.get(3)?),
        Cell::Text(row.get(4)?),
        Cell::Text(row.get(5)?),
        Cell::text(row.get(6)?),
        Cell::Int(row.get(7)?),
        Cell::Text(state.to_owned()),
    ];
    for column in 8..=16 {
        cells.push(Cell::int(row.get(column)?));
    }
    Ok(ConversationRow {
        id,
        batch_id: Some(id),
        send_id: None,
        cells,
    })
}

const ERROR_RESPONSE_COLUMNS: &[&str] = &[
    "id",
    "time",
    "status",
    "status_text",
    "identifier",
    "token",
    "resent",
    "batch",
    "identity",
    "endpoint",
    "payload",
];

static ERROR_RESPONSES: ViewSql = ViewSql {
    columns: ERROR_RESPONSE_COLUMNS,
    table: "error_responses",
    alias: "r",
    order: None,
    select: "SELECT r.id, r.received_ms, r.status, r.identifier, s.token, r.resent, r.batch_id,
            i.name, e.address, p.body, r.send_id
        FROM error_responses r CROSS JOIN batches b ON b.id = r.batch_id
            CROSS JOIN identities i ON i.id = b.identity_id
            CROSS JOIN endpoints e ON e.id = b.endpoint_id
            LEFT JOIN sends s ON s.id = r.send_id
            LEFT JOIN messages m ON m.id = s.message_id
            LEFT JOIN payloads p ON p.id = m.payload_id",
    time: "r.received_ms",
    identity: Some(Owner::ViaBatch("r.batch_id")),
    endpoint: Some(Owner::ViaBatch("r.batch_id")),
    // The few sends to the token first (an index), then their rows (another).
    token: Some("r.send_id IN (SELECT s.id FROM sends s WHERE {})"),
    token_column: "s.token",
    batch: Some("r.batch_id"),
    read: read_error_response,
};

fn token_hex(row: &Row<'_>, column: usize) -> rusqlite::Result<Cell> {
    let token: Option<Vec<u8>> = row.get(column)?;
    Ok(Cell::text(token.map(|bytes| {
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    })))
}

fn read_error_response(row: &Row<'_>, _: &[i64]) -> rusqlite::Result<ConversationRow> {
    let id: i64 = row.get(0)?;
    let status: i64 = row.get(2)?;
    let batch: i64 = row.get(6)?;
    let description = u8::try_from(status)
        .map_or("not a status byte", |code| {
            LegacyStatus::from_code(code).description()
        })
        .to_owned();
    Ok(ConversationRow {
        id,
        batch_id: Some(batch),
        send_id: row.get(10)?,
        cells: vec![
            Cell::Int(id),
            Cell::Time(row.get(1)?),
            Cell::Int(status),
            Cell::Text(description),
            Cell::Int(row.get(3)?),
            token_hex(row, 4)?,
            Cell::Int(row.get(5)?),
            Cell::Int(batch),
            Cell::Text(row.get(7)?),
            Cell::Text(row.get(8)?),
            Cell::text(row.get(9)?),
        ],
    })
}

const FEEDBACK_COLUMNS: &[&str] = &["id", "read_at", "since", "token", "identity", "endpoint"];

static FEEDBACK: ViewSql = ViewSql {
    columns: FEEDBACK_COLUMNS,
    table: "feedback",
    alias: "f",
    order: None,
    select: "SELECT f.id, f.received_ms, f.time_s, f.token, i.name, e.address
        FROM feedback f CROSS JOIN identities i ON i.id = f.identity_id
            CROSS JOIN endpoints e ON e.id = f.endpoint_id",
    time: "f.received_ms",
    identity: Some(Owner::Column("f.identity_id")),
    endpoint: Some(Owner::Column("f.endpoint_id")),
    token: Some("{}"),
    token_column: "f.token",
    batch: None,
    read: read_feedback,
};

fn read_feedback(row: &Row<'_>, _: &[i64]) -> rusqlite::Result<ConversationRow> {
    let id: i64 = row.get(0)?;
    let since_s: i64 = row.get(2)?;
    Ok(ConversationRow {
        id,
        batch_id: None,
        send_id: None,
        cells: vec![
            Cell::Int(id),
            Cell::Time(row.get(1)?),
            Cell::Time(since_s.saturating_mul(1000)),
            token_hex(row, 3)?,
            Cell::Text(row.get(4)?),
            Cell::Text(row.get(5)?),
        ],
    })
}

const DISCONNECTION_COLUMNS: &[&str] = &[
    "id", "time", "endpoint", "cause", "detail", "token", "resent", "batch", "identity",
];

static DISCONNECTIONS: ViewSql = ViewSql {
    columns: DISCONNECTION_COLUMNS,
    table: "disconnections",
    alias: "d",
    order: None,
    select: "SELECT d.id, d.time_ms, e.address, d.cause, d.detail, s.token, d.resent,
            d.batch_id, i.name, d.send_id
        FROM disconnections d CROSS JOIN endpoints e ON e.id = d.endpoint_id
            LEFT JOIN batches b ON b.id = d.batch_id
            LEFT JOIN identities i ON i.id = b.identity_id
            LEFT JOIN sends s ON s.id = d.send_id",
    time: "d.time_ms",
    identity: Some(Owner::ViaBatch("d.batch_id")),
    endpoint: Some(Owner::Column("d.endpoint_id")),
    token: Some("d.send_id IN (SELECT s.id FROM sends s WHERE {})"),
    token_column: "s.token",
    batch: Some("d.batch_id"),
    read: read_disconnection,
};

fn read_disconnection(row: &Row<'_>, _: &[i64]) -> rusqlite::Result<ConversationRow> {
    let id: i64 = row.get(0)?;
    let batch: Option<i64> = row.get(7)?;
    Ok(ConversationRow {
        id,
        batch_id: batch,
        send_id: row.get(9)?,
        cells: vec![
            Cell::Int(id),
            Cell::Time(row.get(1)?),
            Cell::Text(row.get(2)?),
            Cell::Text(row.get(3)?),
            Cell::text(row.get(4)?),
            token_hex(row, 5)?,
            Cell::Int(row.get(6)?),
            Cell::int(batch),
            Cell::text(row.get(8)?),
        ],
    })
}

const UNREGISTERED_COLUMNS: &[&str] = &["token", "since", "sources", "identities"];

static UNREGISTERED: ViewSql = ViewSql {
    columns: UNREGISTERED_COLUMNS,
    table: "unregistered_tokens",
    alias: "u",
    order: Some("u.since_ms DESC, u.token"),
    select: "SELECT u.token, u.since_ms, u.sources, u.identities FROM unregistered_tokens u",
    time: "u.since_ms",
    identity: None,
    endpoint: None,
    token: Some("{}"),
    token_column: "u.token",
    batch: None,
    read: read_unregistered,
};

fn read_unregistered(row: &Row<'_>, _: &[i64]) -> rusqlite::Result<ConversationRow> {
    let since: i64 = row.get(1)?;
    Ok(ConversationRow {
        // The view has no ids: a token's death time stands in, for selecting it.
        id: since,
        batch_id: None,
        send_id: None,
        cells: vec![
            token_hex(row, 0)?,
            Cell::Time(since),
            Cell::text(row.get(2)?),
            Cell::text(row.get(3)?),
        ],
    })
}

const CHANNEL_COLUMNS: &[&str] = &[
    "id",
    "time",
    "operation",
    "app",
    "channel",
    "storage_policy",
    "status",
    "reason",
    "answer",
    "priority",
    "expiration",
    "payload",
    "latency_ms",
    "request_id",
    "unique_id",
    "identity",
    "endpoint",
];

static CHANNELS: ViewSql = ViewSql {
    columns: CHANNEL_COLUMNS,
    table: "channel_requests",
    alias: "c",
    order: None,
    select: "SELECT c.id, c.time_ms, c.operation, c.app, c.channel, c.storage_policy, c.status,
            c.reason, c.detail, c.priority, c.expiration, p.body, c.latency_us, c.request_id,
            c.unique_id, i.name, e.address
        FROM channel_requests c CROSS JOIN identities i ON i.id = c.identity_id
            CROSS JOIN endpoints e ON e.id = c.endpoint_id
            LEFT JOIN payloads p ON p.id = c.payload_id",
    time: "c.time_ms",
    identity: Some(Owner::Column("c.identity_id")),
    endpoint: Some(Owner::Column("c.endpoint_id")),
    token: None,
    token_column: "",
    batch: None,
    read: read_channel_request,
};

fn read_channel_request(row: &Row<'_>, _: &[i64]) -> rusqlite::Result<ConversationRow> {
    let id: i64 = row.get(0)?;
    let latency_us: Option<i64> = row.get(12)?;
    Ok(ConversationRow {
        id,
        batch_id: None,
        send_id: None,
        cells: vec![
            Cell::Int(id),
            Cell::Time(row.get(1)?),
            Cell::Text(row.get(2)?),
            Cell::Text(row.get(3)?),
            Cell::text(row.get(4)?),
            Cell::int(row.get(5)?),
            Cell::int(row.get(6)?),
            Cell::text(row.get(7)?),
            Cell::text(row.get(8)?),
            Cell::int(row.get(9)?),
            Cell::int(row.get(10)?),
            Cell::text(row.get(11)?),
            Cell::int(latency_us.map(|us| us / 1000)),
            Cell::text(row.get(13)?),
            Cell::text(row.get(14)?),
            Cell::Text(row.get(15)?),
            Cell::Text(row.get(16)?),
        ],
    })
}

/// The `WHERE` clause of a filter on one view, and its parameters.
struct Where {
    sql: Vec<String>,
    params: Vec<Value>,
}

impl Where {
    fn clause(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.sql.join(" AND "))
        }
    }
}

impl ViewSql {
    /// The rows that match `conditions`, newest first, then `limit` (`LIMIT ? OFFSET ?`).
    fn query(&self, conditions: &Where, limit: &str) -> String {
        let alias = self.alias;
        match self.order {
            None => format!(
                "{} WHERE {alias}.id IN (SELECT {alias}.id FROM {} {alias} {} ORDER BY {alias}.id DESC {limit})
                 ORDER BY {alias}.id DESC",
                self.select,
                self.table,
                conditions.clause()
            ),
            Some(order) => format!(
                "{} {} ORDER BY {order} {limit}",
                self.select,
                conditions.clause()
            ),
        }
    }
}

impl History {
    fn view_where(&self, view: View, filter: &Filter) -> Result<Where, HistoryError> {
        let sql = view.sql();
        let refuse = |field: &'static str| HistoryError::FilterNotInView { view, field };
        for (field, given) in [
            ("state", filter.state.is_some()),
            ("reason", filter.reason.is_some()),
            ("apns_id", filter.apns_id.is_some()),
            ("text", filter.text.is_some()),
        ] {
            if given {
                return Err(refuse(field));
            }
        }
        let mut conditions = Where {
            sql: Vec::new(),
            params: Vec::new(),
        };
        if let Some(name) = &filter.identity {
            let owner = sql.identity.as_ref().ok_or_else(|| refuse("identity"))?;
            conditions
                .sql
                .push(owner.condition("identity_id", "identities", "name"));
            conditions.params.push(Value::Text(name.clone()));
        }
        if let Some(address) = &filter.endpoint {
            let owner = sql.endpoint.as_ref().ok_or_else(|| refuse("endpoint"))?;
            conditions
                .sql
                .push(owner.condition("endpoint_id", "endpoints", "address"));
            conditions.params.push(Value::Text(address.clone()));
        }
        if let Some(prefix) = &filter.token {
            let token = sql.token.ok_or_else(|| refuse("token"))?;
            let column = sql.token_column;
            let (lower, upper) = prefix.range();
            let comparison = match &upper {
                Some(_) => format!("{column} >= ? AND {column} < ?"),
                None => format!("{column} >= ?"),
            };
            conditions.sql.push(token.replace("{}", &comparison));
            conditions.params.push(Value::Blob(lower));
            if let Some(upper) = upper {
                conditions.params.push(Value::Blob(upper));
            }
        }
        if let Some(batch) = filter.batch {
            let column = sql.batch.ok_or_else(|| refuse("batch"))?;
            conditions.sql.push(format!("{column} = ?"));
            conditions.params.push(Value::Integer(batch));
        }
        if let Some(since) = filter.since_ms {
            conditions.sql.push(format!("{} >= ?", sql.time));
            conditions.params.push(Value::Integer(since));
        }
        if let Some(until) = filter.until_ms {
            conditions.sql.push(format!("{} <= ?", sql.time));
            conditions.params.push(Value::Integer(until));
        }
        Ok(conditions)
    }

    /// How many rows of `view` match `filter`.
    pub fn view_count(&self, view: View, filter: &Filter) -> Result<u64, HistoryError> {
        let sql = view.sql();
        let conditions = self.view_where(view, filter)?;
        let query = format!(
            "SELECT count(*) FROM {} {} {}",
            sql.table,
            sql.alias,
            conditions.clause()
        );
        self.conn
            .query_row(&query, params_from_iter(conditions.params), |row| {
                row.get::<_, i64>(0)
            })
            .map(|count| count.max(0) as u64)
            .map_err(|source| self.error(source))
    }

    /// The rows of `view` that match `filter` and come after `cursor`, newest first, from
    /// position `offset` on.
    pub fn view_rows(
        &self,
        view: View,
        filter: &Filter,
        cursor: Option<Cursor>,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<ConversationRow>, HistoryError> {
        let sql = view.sql();
        let live = self.live_batches()?;
        let mut conditions = self.view_where(view, filter)?;
        // A view without ids has no stable place to stop: its pages are by position.
        if let (Some(cursor), None) = (cursor, sql.order) {
            conditions.sql.push(format!("{}.id < ?", sql.alias));
            conditions.params.push(Value::Integer(cursor.before_id));
        }
        conditions
            .params
            .push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        conditions
            .params
            .push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        let query = sql.query(&conditions, "LIMIT ? OFFSET ?");
        let mut statement = self
            .conn
            .prepare_cached(&query)
            .map_err(|source| self.error(source))?;
        statement
            .query_map(params_from_iter(conditions.params), |row| {
                (sql.read)(row, &live)
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|source| self.error(source))
    }

    /// Writes every row of `view` matching `filter`, newest first; returns how many.
    pub fn export_view(
        &self,
        view: View,
        filter: &Filter,
        format: super::ExportFormat,
        out: &mut impl Write,
    ) -> Result<u64, HistoryError> {
        let sql = view.sql();
        let live = self.live_batches()?;
        let conditions = self.view_where(view, filter)?;
        let query = sql.query(&conditions, "");
        let mut statement = self
            .conn
            .prepare(&query)
            .map_err(|source| self.error(source))?;
        let mut rows = statement
            .query(params_from_iter(conditions.params))
            .map_err(|source| self.error(source))?;
        write_header(view, format, out).map_err(HistoryError::Export)?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(|source| self.error(source))? {
            let row = (sql.read)(row, &live).map_err(|source| self.error(source))?;
            count += 1;
            write_row(view, &row, format, out).map_err(HistoryError::Export)?;
        }
        out.flush().map_err(HistoryError::Export)?;
        Ok(count)
    }
}

/// Writes what comes before the rows of `view` (the CSV header line).
pub fn write_header(
    view: View,
    format: super::ExportFormat,
    out: &mut impl Write,
) -> std::io::Result<()> {
    match format {
        super::ExportFormat::Csv => csv_line(out, view.columns().iter().copied()),
        super::ExportFormat::JsonLines => Ok(()),
    }
}

/// Writes one row of `view` as CSV or a JSON object.
pub fn write_row(
    view: View,
    row: &ConversationRow,
    format: super::ExportFormat,
    out: &mut impl Write,
) -> std::io::Result<()> {
    match format {
        super::ExportFormat::Csv => {
            let fields: Vec<String> = row.cells.iter().map(Cell::to_utc_text).collect();
            csv_line(out, fields.iter().map(String::as_str))
        }
        super::ExportFormat::JsonLines => json_line(out, &row.to_json(view)),
    }
}
