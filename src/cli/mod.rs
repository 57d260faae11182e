//! The command-line interface: one module per subcommand, output in `output`.

mod args;
mod build;
pub mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::apns::{HeaderValueError, IdError, NotificationError, PayloadError, TokenError};

/// Send and inspect Apple Push Notification service pushes.
#[derive(Parser, Debug)]
#[command(name = "push-console", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command the desktop app opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print what a notification would be sent as (HTTP/2 request or legacy bytes), without connecting.
    Build(build::BuildArgs),
}

/// A problem with what the user asked for. Every one exits with code 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A bad device token.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A bad topic, apns-id or collapse id.
    #[error(transparent)]
    Id(#[from] IdError),
    /// A bad push type, priority or expiration.
    #[error(transparent)]
    HeaderValue(#[from] HeaderValueError),
    /// A bad payload.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// A notification that cannot be sent as it stands.
    #[error(transparent)]
    Notification(#[from] NotificationError),
    /// The payload file could not be read.
    #[error("cannot read the payload file {}: {source}", path.display())]
    PayloadFile {
        /// The file named.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// `--custom` without `=`.
    #[error("--custom {0:?} is not KEY=JSON, e.g. --custom order='{{\"id\":7}}'")]
    CustomNotKeyValue(String),
    /// `--custom` with a value that is not JSON.
    #[error(
        "--custom {key}: the value is not JSON ({message}); write strings in quotes, e.g. --custom {key}='\"text\"'"
    )]
    CustomNotJson {
        /// The key.
        key: String,
        /// serde_json's message.
        message: String,
    },
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(2)
    }
}

/// Runs a parsed command line; `None` means "open the GUI", which the caller handles.
pub fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Build(args) => build::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            output::error(&error.to_string());
            error.exit_code()
        }
    }
}
