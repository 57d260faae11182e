//! `push-console history`: query the history of sends.

use std::process::ExitCode;

use clap::Args;

use super::CliError;

/// Shows what was sent and what APNs answered.
#[derive(Args, Debug)]
pub struct HistoryArgs {}

/// Runs `history`.
pub fn run(_args: &HistoryArgs) -> Result<ExitCode, CliError> {
    Ok(ExitCode::SUCCESS)
}
