//! `push-console send`: deliver a notification to one or many tokens.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::args::{MessageArgs, TransportArgs};
use super::connection::ConnectionArgs;
use super::{CliError, output};
use crate::apns::{
    BatchReport, Broadcast, ChannelId, DeviceToken, Expiration, Outcome, OutcomeKind, TokenList,
    Topic, Transport,
};
use crate::engine::{ChannelRequest, Command, Event, LegacyRounds, SendRequest};
use crate::store::{FileKind, Limited, read_limited, read_up_to};

/// Sends one notification to every given token.
#[derive(Args, Debug)]
pub struct SendArgs {
    /// A device token in hex; repeat for several.
    #[arg(long = "token", value_name = "HEX")]
    pub tokens: Vec<String>,
    /// A file of tokens, one per line ("-" reads standard input); blank lines and # comments are skipped.
    #[arg(long = "tokens", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Broadcast to every device subscribed to this channel instead of sending to tokens
    /// (a Live Activity update or end; --topic names the app; priority 10 and expiration 0
    /// unless given).
    #[arg(long, value_name = "ID", conflicts_with_all = ["tokens", "token_file"])]
    pub channel: Option<String>,
    #[command(flatten)]
    pub message: MessageArgs,
    #[command(flatten)]
    pub transport: TransportArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Notifications in flight at once (HTTP/2), over all connections.
    #[arg(long, default_value_t = 100)]
    pub concurrency: usize,
    /// HTTP/2 connections to spread the tokens over, each with its share of --concurrency
    /// (Apple suggests several for high volume); 1 to 64.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub connections: usize,
    /// Legacy: how long to wait for the gateway's answer after a round's last write, in
    /// milliseconds; silence leaves the round unconfirmed.
    #[arg(long, value_name = "MS", default_value_t = LegacyRounds::default().answer_wait.as_millis() as u64)]
    pub answer_wait_ms: u64,
    /// Legacy (enhanced, frame): end a round with a confirmation every N notifications,
    /// bounding what a silent close can duplicate (default: once, at the end).
    #[arg(long, value_name = "N")]
    pub confirm_every: Option<usize>,
    /// One JSON object per token on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// Don't record this send in the history.
    #[arg(long)]
    pub no_history: bool,
}

/// The tokens of a list file; the first line that is not a token is an error, so
/// nothing is sent from a list that was not read as meant.
fn parse_token_lines(source: &str, text: &str) -> Result<(Vec<DeviceToken>, usize), CliError> {
    let list = TokenList::parse(text);
    if let Some((line, error)) = list.rejects.into_iter().next() {
        return Err(CliError::BadTokenLine {
            source_name: source.to_owned(),
            line,
            error,
        });
    }
    Ok((list.tokens, list.duplicates))
}

impl SendArgs {
    fn tokens(&self) -> Result<Vec<DeviceToken>, CliError> {
        let mut tokens = Vec::new();
        for (index, text) in self.tokens.iter().enumerate() {
            tokens.push(text.parse().map_err(|error| CliError::BadTokenLine {
                source_name: "--token".into(),
                line: index + 1,
                error,
            })?);
        }
        let (source, text) = match self.token_file.as_deref() {
            Some(path) if path.as_os_str() == "-" => {
                let bytes = read_up_to(std::io::stdin(), FileKind::Tokens).map_err(|error| {
                    CliError::ReadTokens {
                        source_name: "standard input".into(),
                        message: match error {
                            Limited::TooLarge => format!(
                                "more than {} bytes; split the list into several sends",
                                crate::apns::group_thousands(FileKind::Tokens.limit())
                            ),
                            Limited::Io(error) => error.to_string(),
                        },
                    }
                })?;
                (
                    "standard input".to_owned(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                )
            }
            Some(path) => (
                path.display().to_string(),
                String::from_utf8_lossy(&read_limited(path, FileKind::Tokens)?).into_owned(),
            ),
            None => (String::new(), String::new()),
        };
        let (listed, mut duplicates) = parse_token_lines(&source, &text)?;
        tokens.extend(listed);
        let before = tokens.len();
        // Which to keep, found by reference: copying 100,000 tokens into a set costs more
        // than the check.
        let first_seen: Vec<bool> = {
            let mut seen = std::collections::HashSet::with_capacity(tokens.len());
            tokens.iter().map(|token| seen.insert(token)).collect()
        };
        let mut keep = first_seen.into_iter();
        tokens.retain(|_| keep.next().unwrap_or(true));
        duplicates += before - tokens.len();
        if duplicates > 0 {
            output::warn(&format!(
                "{} duplicate tokens left out",
                crate::apns::group_thousands(duplicates)
            ));
        }
        if tokens.is_empty() {
            return Err(CliError::NoTokens);
        }
        Ok(tokens)
    }
}

/// Runs `send`: the flags become the engine's `SendRequest`; the engine resolves, lints,
/// records and sends exactly as it does for the app.
pub async fn run(args: SendArgs) -> Result<ExitCode, CliError> {
    if let Some(channel) = &args.channel {
        return broadcast(&args, channel.parse()?);
    }
    let tokens = args.tokens()?;
    let transport = args.transport.transport();
    let template = args.message.notification(tokens[0].clone())?;
    let mut request = SendRequest::new(args.connection.connection(transport)?, template, tokens);
    request.concurrency = args.concurrency;
    request.connections = args.connections;
    request.legacy = LegacyRounds {
        answer_wait: Duration::from_millis(args.answer_wait_ms),
        confirm_every: args.confirm_every,
    };
    request.record_history = !args.no_history;
    deliver(request, args.json).await
}

/// `send --channel`: the message flags as a broadcast.
fn broadcast(args: &SendArgs, channel: ChannelId) -> Result<ExitCode, CliError> {
    let headers = &args.message.headers;
    let bundle: Topic = headers
        .topic
        .as_deref()
        .ok_or(CliError::BroadcastNeedsApp)?
        .parse()?;
    let broadcast = Broadcast {
        bundle,
        channel,
        priority: headers
            .priority
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or_default(),
        expiration: headers
            .expiration
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or(Expiration::IMMEDIATELY),
        request_id: headers.apns_id.as_deref().map(str::parse).transpose()?,
        payload: args.message.payload.payload()?,
    };
    super::channels::ask(
        args.connection.connection(Transport::Http2)?,
        ChannelRequest::Broadcast {
            broadcast: Box::new(broadcast),
            policy: None,
        },
        args.json,
        !args.no_history,
    )
}

/// Sends `request` through the engine, showing progress and every outcome; exits 0 only
/// when every notification was accepted.
pub(super) async fn deliver(request: SendRequest, json: bool) -> Result<ExitCode, CliError> {
    let transport = request.connection.transport;
    let total = request.tokens.len();
    let engine = super::engine()?;
    let id = engine.next_id();
    engine.command(Command::Send {
        id,
        request: Box::new(request),
    });
    let commander = engine.commander();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            output::warn("cancelling: waiting for notifications in flight");
            commander.command(Command::Cancel { id });
        }
    });
    let progress = output::SendProgress::new(total > 1);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; total];
    let http2 = transport == Transport::Http2;
    loop {
        match super::next_event(&engine)? {
            Event::SendStarted {
                id: started,
                labels,
                warnings,
                ..
            } if started == id => {
                progress.connected(&labels.endpoint);
                for warning in warnings {
                    progress.println(&format!("warning: {warning}"));
                }
            }
            Event::Progress {
                id: of,
                progress: counts,
            } if of == id => progress.update(&counts),
            Event::Outcomes {
                id: of,
                outcomes: answered,
            } if of == id => {
                for (index, outcome) in answered {
                    if let Some(slot) = outcomes.get_mut(index) {
                        *slot = Some(outcome);
                    }
                }
            }
            Event::SendFinished {
                id: of,
                mut report,
                history_problem,
            } if of == id => {
                progress.finish();
                report.outcomes = outcomes.into_iter().flatten().collect();
                print_report(&report, json, http2);
                if let Some(problem) = history_problem {
                    output::warn(&format!("the history is incomplete: {problem}"));
                }
                return Ok(if report.all_accepted() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                });
            }
            Event::Failed { id: of, error } if of == id => {
                progress.finish();
                return Err(CliError::Engine(error));
            }
            _ => {}
        }
    }
}

fn print_report(report: &BatchReport, json: bool, http2: bool) {
    if json {
        output::outcomes_json(&report.outcomes, http2);
    } else {
        let verbose = report.outcomes.len() <= 20;
        for outcome in &report.outcomes {
            if verbose || outcome.kind() != OutcomeKind::Accepted {
                output::outcome_line(outcome);
            }
        }
    }
    for error in &report.errors {
        output::warn(error);
    }
    output::summary(report);
}
