//! `push-console history`: what was sent, when, to whom, and what APNs answered.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::{CliError, output};
use crate::apns::ApnsId;
use crate::store::DataPaths;
use std::io::Write;

use crate::store::history::{
    Cursor, ExportFormat, Filter, History, HistoryError, Retention, SendState, TokenPrefix,
    UnregisteredFormat, View, now_ms, parse_time, write_view_header, write_view_row,
};

/// Shows what was sent and what APNs answered, newest first.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryArgs {
    /// Something other than listing sends.
    #[command(subcommand)]
    pub command: Option<HistoryCommand>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Rows to show (table: 50 by default; csv and jsonl: all by default).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Continue a listing: rows older than this id (printed as "more: --before N").
    #[arg(long, value_name = "ID")]
    pub before: Option<i64>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: RowsFormat,
    /// Times in the table in UTC instead of this computer's time zone (CSV and JSON Lines
    /// are always UTC).
    #[arg(long)]
    pub utc: bool,
}

/// The other history commands.
#[derive(Subcommand, Debug)]
pub enum HistoryCommand {
    /// Tokens APNs reported dead (HTTP/2 410 or the feedback service) and never accepted since.
    Unregistered {
        /// Output format: `list` is one token per line, ready for a pruning script.
        #[arg(long, value_enum, default_value = "list")]
        format: DeadFormat,
    },
    /// How many sends are in each state (the filters apply, --state aside).
    Counts(FilterArgs),
    /// One row per send (batch): totals accepted, rejected, failed, not sent, unconfirmed,
    /// resent and possible duplicates, with its error-responses and disconnections.
    Batches(ViewArgs),
    /// Legacy error-responses: status in words, the notification named (token, payload,
    /// batch) and how many notifications were resent because of it.
    ErrorResponses(ViewArgs),
    /// Entries read from the feedback service: token, the time it gave, when it was read,
    /// by which identity and endpoint.
    Feedback(ViewArgs),
    /// Connections that ended under a send: time, endpoint, typed cause, the notification
    /// that caused it when known, and what was resent.
    Disconnections(ViewArgs),
    /// Broadcast channel requests and broadcasts: operation, app, channel, status, reason,
    /// the answer in words, the payload of a broadcast, request and unique ids.
    Channels(ViewArgs),
    /// Drop old rows now; with --save, after every send too.
    Prune(PruneArgs),
}

/// Which rows to drop.
#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Drop rows older than this many days.
    #[arg(long, value_name = "N")]
    pub older_than_days: Option<u32>,
    /// Keep only the newest N sends.
    #[arg(long, value_name = "N")]
    pub keep_rows: Option<u64>,
    /// Save the rule: every later send applies it in the background when it finishes.
    #[arg(long)]
    pub save: bool,
    /// Forget a saved rule and keep everything from now on.
    #[arg(long, conflicts_with_all = ["older_than_days", "keep_rows", "save"])]
    pub keep_all: bool,
}

/// The filters every history list shares.
#[derive(Args, Debug, Clone, Default)]
pub struct CommonFilterArgs {
    /// Rows about tokens starting with this hex.
    #[arg(long, value_name = "PREFIX")]
    pub token: Option<TokenPrefix>,
    /// The identity's name.
    #[arg(long)]
    pub identity: Option<String>,
    /// The endpoint: simulator, or HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    pub endpoint: Option<String>,
    /// One batch, by its id (the first column of `history batches`).
    #[arg(long, value_name = "ID")]
    pub batch: Option<i64>,
    /// From this time: UNIX seconds, RFC 3339 (2026-11-25T10:00:00Z), a date or date and
    /// time in your time zone (2026-11-25 10:00), or back from now (24h, 7d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Up to this time, in the same forms as --since.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

impl CommonFilterArgs {
    fn filter(&self, now_ms: i64) -> Result<Filter, CliError> {
        let time = |text: &Option<String>| {
            text.as_deref()
                .map(|text| parse_time(text, now_ms))
                .transpose()
        };
        Ok(Filter {
            identity: self.identity.clone(),
            endpoint: self.endpoint.clone(),
            token: self.token.clone(),
            batch: self.batch,
            since_ms: time(&self.since)?,
            until_ms: time(&self.until)?,
            ..Filter::default()
        })
    }
}

/// The filters of `history` and `history counts`.
#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    #[command(flatten)]
    pub common: CommonFilterArgs,
    /// accepted, rejected, failed, unconfirmed, cancelled, in_flight or unknown (in flight
    /// when its sender died).
    #[arg(long)]
    pub state: Option<SendState>,
    /// The APNs reason, e.g. BadDeviceToken or Unregistered.
    #[arg(long)]
    pub reason: Option<String>,
    /// One apns-id.
    #[arg(long, value_name = "UUID")]
    pub apns_id: Option<ApnsId>,
    /// Text anywhere in the payload (ASCII case ignored).
    #[arg(long)]
    pub text: Option<String>,
}

impl FilterArgs {
    fn filter(&self, now_ms: i64) -> Result<Filter, CliError> {
        Ok(Filter {
            state: self.state,
            reason: self.reason.clone(),
            apns_id: self.apns_id,
            text: self.text.clone(),
            ..self.common.filter(now_ms)?
        })
    }
}

/// The filters and output of the conversation views.
#[derive(Args, Debug, Clone)]
pub struct ViewArgs {
    #[command(flatten)]
    pub filter: CommonFilterArgs,
    /// Rows to show (table: 50 by default; csv and jsonl: all by default).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Skip this many of the newest rows first.
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: RowsFormat,
    /// Times in the table in UTC instead of this computer's time zone (CSV and JSON Lines
    /// are always UTC).
    #[arg(long)]
    pub utc: bool,
}

/// How to show sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RowsFormat {
    /// Aligned lines for people.
    Table,
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// How to show unregistered tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DeadFormat {
    /// One token per line.
    List,
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// A closed pipe (`history --format csv | head`) is the reader's choice, not a failure.
fn allow_closed_pipe(result: Result<u64, HistoryError>) -> Result<(), CliError> {
    match result {
        Err(HistoryError::Export(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(())
        }
        other => other.map(|_| ()).map_err(CliError::from),
    }
}

/// Runs `history`.
pub fn run(args: &HistoryArgs) -> Result<ExitCode, CliError> {
    let path = DataPaths::from_env()?.history_db();
    let now = now_ms();
    match &args.command {
        None => list(&History::open_read_only(&path)?, args, now),
        Some(HistoryCommand::Counts(filter)) => {
            let counts = History::open_read_only(&path)?.counts(&filter.filter(now)?)?;
            output::counts(&counts);
            Ok(ExitCode::SUCCESS)
        }
        Some(HistoryCommand::Batches(view)) => show_view(&path, View::Batches, view, now),
        Some(HistoryCommand::ErrorResponses(view)) => {
            show_view(&path, View::ErrorResponses, view, now)
        }
        Some(HistoryCommand::Feedback(view)) => show_view(&path, View::Feedback, view, now),
        Some(HistoryCommand::Disconnections(view)) => {
            show_view(&path, View::Disconnections, view, now)
        }
        Some(HistoryCommand::Channels(view)) => show_view(&path, View::Channels, view, now),
        Some(HistoryCommand::Unregistered { format }) => {
            let format = match format {
                DeadFormat::List => UnregisteredFormat::List,
                DeadFormat::Csv => UnregisteredFormat::Csv,
                DeadFormat::Jsonl => UnregisteredFormat::JsonLines,
            };
            let history = History::open_read_only(&path)?;
            allow_closed_pipe(history.export_unregistered(format, &mut output::stdout()))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(HistoryCommand::Prune(prune)) => {
            let mut history = History::open(&path)?;
            if prune.keep_all {
                history.set_retention(&Retention::default())?;
                output::note("retention: keep everything");
                return Ok(ExitCode::SUCCESS);
            }
            let retention = Retention {
                max_age_days: prune.older_than_days,
                max_rows: prune.keep_rows,
            };
            let retention = if retention.is_set() {
                retention
            } else {
                history.retention()?.unwrap_or_default()
            };
            if prune.save {
                history.set_retention(&retention)?;
            }
            let report = history.prune(&retention, now)?;
            output::note(&format!(
                "dropped {} sends and {} other rows",
                report.sends, report.other
            ));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn show_view(
    path: &std::path::Path,
    view: View,
    args: &ViewArgs,
    now: i64,
) -> Result<ExitCode, CliError> {
    let history = History::open_read_only(path)?;
    let filter = args.filter.filter(now)?;
    let export = match args.format {
        RowsFormat::Table => None,
        RowsFormat::Csv => Some(ExportFormat::Csv),
        RowsFormat::Jsonl => Some(ExportFormat::JsonLines),
    };
    if let (Some(format), None, 0) = (export, args.limit, args.offset) {
        allow_closed_pipe(history.export_view(view, &filter, format, &mut output::stdout()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let limit = args.limit.unwrap_or(50);
    let rows = history.view_rows(view, &filter, None, args.offset, limit)?;
    match export {
        None => {
            output::view_table(view, &rows, args.utc);
            let total = history.view_count(view, &filter)?;
            let shown_to = args.offset + rows.len() as u64;
            if rows.is_empty() {
                output::note(&format!("no {} match", view.title().to_lowercase()));
            } else if shown_to < total {
                output::note(&format!(
                    "{}-{} of {total}; more: --offset {shown_to}",
                    args.offset + 1,
                    shown_to
                ));
            }
        }
        Some(format) => {
            let mut out = output::stdout();
            let written = (|| {
                write_view_header(view, format, &mut out)?;
                for row in &rows {
                    write_view_row(view, row, format, &mut out)?;
                }
                out.flush()?;
                Ok(rows.len() as u64)
            })()
            .map_err(HistoryError::Export);
            allow_closed_pipe(written)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(history: &History, args: &HistoryArgs, now: i64) -> Result<ExitCode, CliError> {
    let filter = args.filter.filter(now)?;
    let cursor = args.before.map(|before_id| Cursor { before_id });
    let export = match args.format {
        RowsFormat::Table => None,
        RowsFormat::Csv => Some(ExportFormat::Csv),
        RowsFormat::Jsonl => Some(ExportFormat::JsonLines),
    };
    if let (Some(format), None, None) = (export, args.limit, cursor) {
        allow_closed_pipe(history.export(&filter, format, &mut output::stdout()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let page = history.page(&filter, cursor, args.limit.unwrap_or(50))?;
    match export {
        None => {
            for row in &page.rows {
                output::send_row(row, args.utc);
            }
            if page.rows.is_empty() {
                output::note("no sends match");
            }
        }
        Some(format) => {
            let mut out = output::stdout();
            let written = format
                .write_header(&mut out)
                .and_then(|()| {
                    page.rows
                        .iter()
                        .try_for_each(|row| format.write_row(row, &mut out))
                })
                .and_then(|()| std::io::Write::flush(&mut out))
                .map(|()| page.rows.len() as u64)
                .map_err(HistoryError::Export);
            allow_closed_pipe(written)?;
        }
    }
    if let Some(next) = page.next {
        output::note(&format!("more: --before {}", next.before_id));
    }
    Ok(ExitCode::SUCCESS)
}
