//! `push-console feedback`: list the tokens the legacy feedback service reports dead.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use tokio::sync::mpsc;

use super::connection::ConnectionArgs;
use super::{CliError, history, output};
use crate::net::{Service, read_feedback};
use crate::store::identity::Credential;

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
    let resolved = args.connection.resolve(Service::Feedback, None).await?;
    let labels = history::labels(&args.connection, &resolved);
    let Credential::Certificate(identity) = resolved.credentials else {
        return Err(CliError::LegacyNeedsCertificate);
    };
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let json = args.json;
    let printer = tokio::spawn(async move {
        let mut count = 0usize;
        while let Some(tuple) = receiver.recv().await {
            output::feedback_tuple(&tuple, json);
            count += 1;
        }
        count
    });
    let read = read_feedback(
        &resolved.endpoint,
        &identity,
        Duration::from_secs(30),
        Some(sender),
    )
    .await;
    let count = printer.await.unwrap_or_default();
    // Entries are recorded even when the read ended early: the service won't send them again.
    if !args.no_history {
        history::record_feedback(&labels, &read.tuples)?;
    }
    if read.skipped > 0 {
        output::warn(&format!(
            "{} entries had an unusable token and were skipped",
            read.skipped
        ));
    }
    if let Some(problem) = read.problem {
        return Err(problem.into());
    }
    if !json {
        eprintln!("{count} feedback entries");
    }
    Ok(ExitCode::SUCCESS)
}
