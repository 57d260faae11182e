//! Exports that stream: CSV and JSON Lines of any filtered view, one row in memory at a
//! time, and the unregistered tokens as a plain list to prune a device database with.

use std::io::Write;

use serde_json::json;

use super::filter::Filter;
use super::query::{SendRow, UnregisteredToken};
use super::time::format_time;
use super::{History, HistoryError};

/// How to write sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// RFC 4180 CSV with a header line.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

/// How to write unregistered tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnregisteredFormat {
    /// One token per line, nothing else: ready to feed to a pruning script.
    List,
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

const SEND_COLUMNS: [&str; 24] = [
    "id",
    "time",
    "identity",
    "endpoint",
    "protocol",
    "topic",
    "push_type",
    "priority",
    "expiration",
    "collapse_id",
    "apns_id",
    "token",
    "state",
    "status",
    "reason",
    "apns_unique_id",
    "unregistered_at",
    "attempts",
    "latency_ms",
    "error",
    "legacy_status",
    "answered_at",
    "batch",
    "payload",
];

/// Writes one CSV field, quoted when it holds a separator, a quote or a line break.
fn csv_field(out: &mut impl Write, field: &str) -> std::io::Result<()> {
    if field.contains([',', '"', '\n', '\r']) {
        out.write_all(b"\"")?;
        out.write_all(field.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    } else {
        out.write_all(field.as_bytes())
    }
}

pub(super) fn csv_line<'a>(
    out: &mut impl Write,
    fields: impl IntoIterator<Item = &'a str>,
) -> std::io::Result<()> {
    for (index, field) in fields.into_iter().enumerate() {
        if index > 0 {
            out.write_all(b",")?;
        }
        csv_field(out, field)?;
    }
    out.write_all(b"\r\n")
}

fn text<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map_or_else(String::new, ToString::to_string)
}

fn latency_ms(row: &SendRow) -> Option<f64> {
    row.latency_us.map(|us| us as f64 / 1000.0)
}

fn send_fields(row: &SendRow) -> [String; 24] {
    [
        row.id.to_string(),
        format_time(row.created_ms),
        row.identity.clone(),
        row.endpoint.clone(),
        row.protocol.clone(),
        text(&row.topic),
        text(&row.push_type),
        text(&row.priority),
        text(&row.expiration),
        text(&row.collapse_id),
        row.apns_id.clone(),
        row.token.clone(),
        row.state.to_string(),
        text(&row.status),
        text(&row.reason),
        text(&row.apns_unique_id),
        text(&row.unregistered_ms.map(format_time)),
        row.attempts.to_string(),
        text(&latency_ms(row)),
        text(&row.error),
        text(&row.legacy_status),
        text(&row.answered_ms.map(format_time)),
        row.batch_id.to_string(),
        row.payload.clone(),
    ]
}

/// A send as one JSON object; the payload is embedded as JSON when it parses.
impl SendRow {
    /// The send as one JSON object: what JSON Lines exports and the REST API return.
    pub fn to_json(&self) -> serde_json::Value {
        send_json(self)
    }
}

fn send_json(row: &SendRow) -> serde_json::Value {
    let payload = serde_json::from_str::<serde_json::Value>(&row.payload)
        .unwrap_or_else(|_| serde_json::Value::String(row.payload.clone()));
    json!({
        "id": row.id,
        "time": format_time(row.created_ms),
        "identity": row.identity,
        "endpoint": row.endpoint,
        "protocol": row.protocol,
        "topic": row.topic,
        "push_type": row.push_type,
        "priority": row.priority,
        "expiration": row.expiration,
        "collapse_id": row.collapse_id,
        "apns_id": row.apns_id,
        "token": row.token,
        "state": row.state.as_str(),
        "status": row.status,
        "reason": row.reason,
        "apns_unique_id": row.apns_unique_id,
        "unregistered_at": row.unregistered_ms.map(format_time),
        "attempts": row.attempts,
        "latency_ms": latency_ms(row),
        "error": row.error,
        "legacy_status": row.legacy_status,
        "answered_at": row.answered_ms.map(format_time),
        "batch": row.batch_id,
        "payload": payload,
    })
}

pub(super) fn json_line(out: &mut impl Write, value: &serde_json::Value) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

impl ExportFormat {
    /// Writes what comes before the rows (the CSV header line).
    pub fn write_header(self, out: &mut impl Write) -> std::io::Result<()> {
        match self {
            ExportFormat::Csv => csv_line(out, SEND_COLUMNS),
            ExportFormat::JsonLines => Ok(()),
        }
    }

    /// Writes one row.
    pub fn write_row(self, row: &SendRow, out: &mut impl Write) -> std::io::Result<()> {
        match self {
            ExportFormat::Csv => csv_line(out, send_fields(row).iter().map(String::as_str)),
            ExportFormat::JsonLines => json_line(out, &send_json(row)),
        }
    }
}

impl History {
    /// Writes every send matching `filter`, newest first, to `out`; returns how many.
    pub fn export(
        &self,
        filter: &Filter,
        format: ExportFormat,
        out: &mut impl Write,
    ) -> Result<u64, HistoryError> {
        format.write_header(out).map_err(HistoryError::Export)?;
        let mut count = 0;
        self.for_each_send(filter, |row| {
            count += 1;
            format.write_row(row, out)
        })?
        .map_err(HistoryError::Export)?;
        out.flush().map_err(HistoryError::Export)?;
        Ok(count)
    }

    /// Writes every unregistered token to `out`; returns how many.
    pub fn export_unregistered(
        &self,
        format: UnregisteredFormat,
        out: &mut impl Write,
    ) -> Result<u64, HistoryError> {
        if format == UnregisteredFormat::Csv {
            csv_line(out, ["token", "since", "sources", "identities"])
                .map_err(HistoryError::Export)?;
        }
        let mut count = 0;
        self.for_each_unregistered(|dead: &UnregisteredToken| {
            count += 1;
            match format {
                UnregisteredFormat::List => writeln!(out, "{}", dead.token),
                UnregisteredFormat::Csv => csv_line(
                    out,
                    [
                        dead.token.as_str(),
                        &format_time(dead.since_ms),
                        &dead.sources,
                        &dead.identities,
                    ],
                ),
                UnregisteredFormat::JsonLines => json_line(
                    out,
                    &json!({
                        "token": dead.token,
                        "since": format_time(dead.since_ms),
                        "sources": dead.sources.split(',').collect::<Vec<_>>(),
                        "identities": dead.identities.split(',').collect::<Vec<_>>(),
                    }),
                ),
            }
        })?
        .map_err(HistoryError::Export)?;
        out.flush().map_err(HistoryError::Export)?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let mut out = Vec::new();
        csv_line(&mut out, ["plain", "a,b", "say \"hi\"", "two\nlines", ""]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n"
        );
    }
}
