//! `push-console send`: deliver a notification to one or many tokens.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::args::{MessageArgs, TransportArgs};
use super::connection::{ConnectionArgs, read_file};
use super::{CliError, history, output};
use crate::apns::{AuthKind, DeviceToken, Severity, TokenList, Transport, lint};
use crate::engine::{BatchSender, Job, JobError, execute};
use crate::apns::{Batch, BatchReport, OutcomeKind};
use crate::net::{Http2Config, Http2Sender, LegacyConfig, LegacySender, Pool, Service};
use crate::store::DataPaths;
use crate::store::identity::Credential;

/// Sends one notification to every given token.
#[derive(Args, Debug)]
pub struct SendArgs {
    /// A device token in hex; repeat for several.
    #[arg(long = "token", value_name = "HEX")]
    pub tokens: Vec<String>,
    /// A file of tokens, one per line ("-" reads standard input); blank lines and # comments are skipped.
    #[arg(long = "tokens", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    #[command(flatten)]
    pub message: MessageArgs,
    #[command(flatten)]
    pub transport: TransportArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Notifications in flight at once (HTTP/2).
    #[arg(long, default_value_t = 100)]
    pub concurrency: usize,
    /// Legacy: how long the gateway must stay quiet after the last write, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub tail_ms: u64,
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
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|error| CliError::ReadTokens {
                        source_name: "standard input".into(),
                        message: error.to_string(),
                    })?;
                ("standard input".to_owned(), text)
            }
            Some(path) => (
                path.display().to_string(),
                String::from_utf8_lossy(&read_file(path)?).into_owned(),
            ),
            None => (String::new(), String::new()),
        };
        let (listed, mut duplicates) = parse_token_lines(&source, &text)?;
        tokens.extend(listed);
        let before = tokens.len();
        let mut seen = std::collections::HashSet::with_capacity(tokens.len());
        tokens.retain(|token| seen.insert(token.clone()));
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

/// Runs `send`.
pub async fn run(args: SendArgs) -> Result<ExitCode, CliError> {
    let tokens = args.tokens()?;
    let transport = args.transport.transport();
    let mut template = args.message.notification(tokens[0].clone())?;
    let service = match transport {
        Transport::Http2 => Service::Http2,
        Transport::Legacy(_) => Service::LegacyGateway,
    };
    let topic = template.topic.as_ref().map(|topic| topic.to_string());
    let resolved = args.connection.resolve(service, topic.as_deref()).await?;
    // Without --topic, an identity's certificate names the app to push to.
    if template.topic.is_none()
        && let Some(base) = resolved
            .identity
            .as_ref()
            .and_then(|identity| identity.topics.first())
    {
        let base: crate::apns::Topic = base.parse()?;
        template.topic = Some(base.for_push_type(&template.push_type));
    }
    let auth = match resolved.credentials {
        Credential::Certificate(_) => AuthKind::Certificate,
        Credential::Token(_) => AuthKind::Token,
    };
    for finding in lint(&template, transport, auth) {
        match finding.severity() {
            Severity::Warning => output::warn(&finding.to_string()),
            Severity::Error => return Err(CliError::Lint(finding.to_string())),
        }
    }
    let batch = Batch::same_payload(&template, tokens, transport)?;
    let labels = history::labels(&args.connection, &resolved);
    // Set the sender up before recording, so nothing is recorded that cannot leave.
    let (sender, _simulator) = match transport {
        Transport::Http2 => {
            let (endpoint, auth, simulator) = resolved.http2_auth();
            let mut sender =
                Http2Sender::new(Arc::new(Pool::new()), Http2Config::new(endpoint, auth));
            sender.concurrency = args.concurrency;
            (BatchSender::Http2(sender), simulator)
        }
        Transport::Legacy(format) => {
            let Credential::Certificate(identity) = resolved.credentials else {
                return Err(CliError::LegacyNeedsCertificate);
            };
            let mut config = LegacyConfig::new(resolved.endpoint, identity);
            config.format = format;
            config.tail = std::time::Duration::from_millis(args.tail_ms);
            (
                BatchSender::Legacy(LegacySender::new(config)),
                resolved.simulator,
            )
        }
    };
    let history = if args.no_history {
        None
    } else {
        Some(DataPaths::from_env()?.history_db())
    };
    let cancel = CancellationToken::new();
    let ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            output::warn("cancelling: waiting for notifications in flight");
            ctrl_c.cancel();
        }
    });
    let (events, receiver) = mpsc::unbounded_channel();
    let show_progress = std::io::stderr().is_terminal() && batch.len() > 1;
    let printer = tokio::spawn(output::follow_send(receiver, show_progress));
    let job = Job {
        batch,
        transport,
        sender,
        labels,
        history,
    };
    let result = execute(job, events, cancel)
        .await
        .map_err(|JobError::History(error)| CliError::HistoryBeforeSend(error))?;
    let _ = printer.await;
    print_report(&result.report, args.json);
    if let Some(problem) = result.history_problem {
        output::warn(&format!("the history is incomplete: {problem}"));
    }
    Ok(if result.report.all_accepted() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_report(report: &BatchReport, json: bool) {
    if json {
        for outcome in &report.outcomes {
            output::outcome_json(outcome);
        }
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
