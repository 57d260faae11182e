//! Everything the CLI writes to the terminal goes through here.
#![allow(clippy::print_stdout)]

use crate::apns::{
    BatchReport, FeedbackTuple, Http2Request, Outcome, OutcomeKind, Progress, Verdict,
    group_thousands,
};
use crate::store::history::{
    Cell, ConversationRow, Counts, SendRow, View, format_local_time, format_time,
};

/// A warning on stderr, prefixed so scripts can tell it from output.
pub fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// An error on stderr, one line.
pub fn error(message: &str) {
    eprintln!("error: {message}");
}

/// Bytes as lowercase hex on one line.
pub fn hex_line(bytes: &[u8]) {
    let mut line = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        line.push_str(&format!("{byte:02x}"));
    }
    println!("{line}");
}

/// An HTTP/2 request as a person reads it: request line, headers, blank line, body.
pub fn http2_request(request: &Http2Request) {
    println!("{} {}", request.method, request.path);
    for (name, value) in &request.headers {
        println!("{name}: {value}");
    }
    println!();
    println!("{}", String::from_utf8_lossy(&request.body));
}

/// The progress of a send on stderr: a spinner until the first answer, then a bar with
/// the counts, rate and ETA. Hidden when stderr is not a terminal, so scripts and logs
/// get only the closing summary.
pub struct SendProgress(indicatif::ProgressBar);

impl SendProgress {
    /// Progress for a batch; `shown` is false for a single notification.
    pub fn new(shown: bool) -> Self {
        let bar = if shown {
            indicatif::ProgressBar::new_spinner()
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_message("connecting");
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        Self(bar)
    }

    /// The connection is resolved: say where the notifications go.
    pub fn connected(&self, endpoint: &str) {
        self.0.set_message(format!(
            "sending to {endpoint}, waiting for the first answer"
        ));
    }

    /// New counts; the first answer turns the spinner into a bar.
    pub fn update(&self, progress: &Progress) {
        if progress.done == 0 {
            return;
        }
        if self.0.length().is_none() {
            self.0.set_length(progress.total as u64);
            self.0.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {human_pos}/{human_len} · {per_sec} · ETA {eta} · {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
        }
        self.0.set_position(progress.done as u64);
        self.0.set_message(format!(
            "{} accepted · {} rejected · {} failed",
            group_thousands(progress.accepted),
            group_thousands(progress.rejected),
            group_thousands(progress.failed),
        ));
    }

    /// A line above the bar (a warning), so the bar does not overwrite it.
    pub fn println(&self, line: &str) {
        if self.0.is_hidden() {
            eprintln!("{line}");
        } else {
            self.0.println(line);
        }
    }

    /// Removes the bar before the results are printed.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Every outcome as a JSON object on its own line, through one buffer: standard output
/// alone would write (and flush) each of a batch's lines on its own.
pub fn outcomes_json<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>, http2: bool) {
    use std::io::Write;
    let mut out = stdout();
    let written = outcomes
        .into_iter()
        .try_for_each(|outcome| {
            let record = crate::engine::OutcomeRecord::new(outcome, http2);
            serde_json::to_writer(&mut out, &record)?;
            out.write_all(b"\n").map_err(serde_json::Error::io)
        })
        .and_then(|()| out.flush().map_err(serde_json::Error::io));
    if let Err(problem) = written {
        error(&format!("cannot write the outcomes as JSON: {problem}"));
    }
}

/// One outcome as a line of text.
pub fn outcome_line(outcome: &Outcome) {
    let latency = format!("{:.0} ms", outcome.latency.as_secs_f64() * 1000.0);
    let detail = match &outcome.verdict {
        Verdict::Accepted { apns_unique_id } => format!(
            "accepted  apns-id {}{}",
            outcome.apns_id,
            apns_unique_id
                .as_deref()
                .map_or_else(String::new, |id| format!("  apns-unique-id {id}"))
        ),
        Verdict::Rejected(refusal) => format!("rejected  {refusal}"),
        Verdict::Failed(cause) => format!("failed  {cause}"),
        Verdict::NotSent => "not sent (cancelled)".to_owned(),
        Verdict::Unconfirmed => {
            "sent, unconfirmed  (the gateway gave no answer that proves it took it)".to_owned()
        }
    };
    let retries = if outcome.attempts > 1 {
        format!(", {} attempts", outcome.attempts)
    } else {
        String::new()
    };
    println!("{}  {detail}  ({latency}{retries})", outcome.token);
}

/// The closing summary line, on stderr so stdout stays machine-readable.
pub fn summary(report: &BatchReport) {
    let seconds = report.elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        report.outcomes.len() as f64 / seconds
    } else {
        0.0
    };
    let mut line = format!(
        "{} notification{}: {} accepted, {} rejected, {} failed, {} not sent in {:.2} s ({}/s)",
        group_thousands(report.outcomes.len()),
        if report.outcomes.len() == 1 { "" } else { "s" },
        group_thousands(report.count(OutcomeKind::Accepted)),
        group_thousands(report.count(OutcomeKind::Rejected)),
        group_thousands(report.count(OutcomeKind::Failed)),
        group_thousands(report.count(OutcomeKind::NotSent)),
        seconds,
        group_thousands(rate as usize),
    );
    let unconfirmed = report.count(OutcomeKind::Unconfirmed);
    if unconfirmed > 0 {
        line.push_str(&format!(
            ", {} sent but unconfirmed (the gateway gave no answer that proves it took them)",
            group_thousands(unconfirmed)
        ));
    }
    if report.resent > 0 {
        line.push_str(&format!(
            "; {} written again",
            group_thousands(report.resent)
        ));
    }
    if report.possible_duplicates > 0 {
        line.push_str(&format!(
            "; {} of them after silent closes (devices may see those twice)",
            group_thousands(report.possible_duplicates)
        ));
    }
    eprintln!("{line}");
}

/// One feedback entry: `token time`, or JSON.
pub fn feedback_tuple(tuple: &FeedbackTuple, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::json!({"token": tuple.token.to_string(), "time": tuple.time})
        );
    } else {
        println!("{} {}", tuple.token, tuple.time);
    }
}

/// A line for the user on stdout (simulator addresses and the like).
pub fn line(text: &str) {
    println!("{text}");
}

/// Standard output for streaming exports: locked and buffered, flushed by the exporter.
pub fn stdout() -> std::io::BufWriter<std::io::StdoutLock<'static>> {
    std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock())
}

/// A note for the user on stderr (counts, where the next page starts), so stdout stays data.
pub fn note(text: &str) {
    eprintln!("{text}");
}

/// One history row as a table line: time, state, answer, token, apns-id, identity, endpoint.
pub fn send_row(row: &SendRow, utc: bool) {
    let answer = match (&row.status, &row.reason, &row.error) {
        (Some(status), Some(reason), _) => format!("{status} {reason}"),
        (Some(status), None, _) => status.to_string(),
        (None, _, Some(_)) => "no answer".to_owned(),
        _ => String::new(),
    };
    println!(
        "{}  {:<9}  {:<26}  {}  {}  {}  {}",
        table_time(row.created_ms, utc),
        row.state.as_str(),
        answer,
        row.token,
        row.apns_id,
        row.identity,
        row.endpoint
    );
}

/// A time in a table: this computer's time zone, or UTC.
fn table_time(ms: i64, utc: bool) -> String {
    if utc {
        format_time(ms)
    } else {
        format_local_time(ms)
    }
}

/// Rows of a conversation view as aligned columns, long cells cut short.
pub fn view_table(view: View, rows: &[ConversationRow], utc: bool) {
    const WIDEST: usize = 48;
    let cut = |text: String| -> String {
        let text = text.replace(['\n', '\r'], " ");
        if text.chars().count() > WIDEST {
            let kept: String = text.chars().take(WIDEST - 1).collect();
            format!("{kept}…")
        } else {
            text
        }
    };
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.cells
                .iter()
                .map(|cell| match cell {
                    Cell::Time(ms) => table_time(*ms, utc),
                    other => cut(other.to_utc_text()),
                })
                .collect()
        })
        .collect();
    let columns = view.columns();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(index, name)| {
            table
                .iter()
                .filter_map(|cells| cells.get(index))
                .map(|cell| cell.chars().count())
                .chain([name.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let padded: Vec<String> = cells
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(&mut columns.iter().copied());
    for cells in &table {
        line(&mut cells.iter().map(String::as_str));
    }
}

/// Counts per state, one `state count` line each, then the total.
pub fn counts(counts: &Counts) {
    for (state, count) in &counts.by_state {
        println!(
            "{:<10} {}",
            state.as_str(),
            group_thousands(*count as usize)
        );
    }
    println!(
        "{:<10} {}",
        "total",
        group_thousands(counts.total() as usize)
    );
}
