//! `push-console feedback`: list the tokens the legacy feedback service reports dead.

use std::process::ExitCode;

use clap::Args;

use super::connection::ConnectionArgs;
use super::{CliError, output};
use crate::apns::{LegacyFormat, Transport};
use crate::engine::{Command, Event};

/// Reads the feedback service.
#[derive(Args, Debug)]
pub struct FeedbackArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The feedback service as HOST:PORT, when --endpoint is a custom gateway.
    #[arg(long, value_name = "HOST:PORT")]
    pub feedback_endpoint: Option<String>,
    /// One JSON object per entry instead of "token time" lines.
    #[arg(long)]
    pub json: bool,
    /// Don't record the entries in the history.
    #[arg(long)]
    pub no_history: bool,
}

/// Runs `feedback`.
pub async fn run(mut args: FeedbackArgs) -> Result<ExitCode, CliError> {
    if let Some(feedback) = args.feedback_endpoint.take() {
        args.connection.endpoint = feedback;
    }
    // The feedback service shares the legacy gateway's certificate rules.
    let connection = args
        .connection
        .connection(Transport::Legacy(LegacyFormat::Frame))?;
    let engine = super::engine()?;
    let id = engine.next_id();
    engine.command(Command::ReadFeedback {
        id,
        connection: Box::new(connection),
        record_history: !args.no_history,
    });
    loop {
        match super::next_event(&engine)? {
            Event::Feedback {
                id: of,
                tuples,
                skipped,
                problem,
                history_problem,
            } if of == id => {
                for tuple in &tuples {
                    output::feedback_tuple(tuple, args.json);
                }
                if skipped > 0 {
                    output::warn(&format!(
                        "{skipped} entries had an unusable token and were skipped"
                    ));
                }
                if let Some(problem) = history_problem {
                    output::warn(&format!("the history is incomplete: {problem}"));
                }
                if let Some(problem) = problem {
                    return Err(CliError::Engine(problem));
                }
                if !args.json {
                    output::note(&format!("{} feedback entries", tuples.len()));
                }
                return Ok(ExitCode::SUCCESS);
            }
            Event::Failed { id: of, error } if of == id => return Err(CliError::Engine(error)),
            _ => {}
        }
    }
}
