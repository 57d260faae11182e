//! The command-line interface: one module per subcommand, output in `output`.

mod activity;
mod args;
mod build;
mod channels;
mod connection;
mod feedback;
mod history;
mod identities;
pub mod output;
mod send;
mod serve;
mod simulate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::apns::{
    HeaderValueError, IdError, NotificationError, PayloadError, ProviderTokenError, TokenError,
};
use crate::engine::{EngineError, EngineHandle, EngineSettings, ErrorKind, Event, Failure};
use crate::simulator::SimulatorError;
use crate::store::history::{HistoryError, TimeError};

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
    /// Send a notification to one or many device tokens, over HTTP/2 or the legacy protocol.
    Send(Box<send::SendArgs>),
    /// Read the legacy feedback service: tokens whose app was removed.
    Feedback(feedback::FeedbackArgs),
    /// Run the APNs simulator (HTTP/2, legacy gateway, feedback) until Ctrl-C.
    Simulate(simulate::SimulateArgs),
    /// Import, list, check and delete credentials kept in the OS keychain.
    Identities(identities::IdentitiesArgs),
    /// Query the history of sends, answers, feedback and disconnections.
    History(history::HistoryArgs),
    /// Start, update or end a Live Activity, by device token or over a broadcast channel.
    Activity(activity::ActivityCommandArgs),
    /// Create, list, read and delete broadcast channels (iOS 18 broadcast push).
    Channels(channels::ChannelsArgs),
    /// Serve the local REST API (pyapns-compatible routes and a typed /v1) until Ctrl-C.
    Serve(serve::ServeArgs),
}

/// A problem with what the user asked for. Every one exits with code 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The engine refused or failed a command; the hint names the flags that fix it.
    #[error("{}{}", .0.message, hint(.0.kind))]
    Engine(Failure),
    /// A request the engine could not even take (an endpoint that is not one).
    #[error(transparent)]
    Request(#[from] EngineError),
    /// The engine stopped before answering.
    #[error("the engine stopped before it answered")]
    EngineStopped,
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
    /// A file could not be read or written.
    #[error(transparent)]
    File(#[from] crate::store::FileError),
    /// Tokens could not be read.
    #[error("cannot read tokens from {source_name}: {message}")]
    ReadTokens {
        /// Where from.
        source_name: String,
        /// Why.
        message: String,
    },
    /// A token in a list is not valid.
    #[error("{source_name} line {line}: {error}")]
    BadTokenLine {
        /// The file, standard input or --token.
        source_name: String,
        /// 1-based line (or --token occurrence).
        line: usize,
        /// What is wrong with it.
        error: TokenError,
    },
    /// No tokens given.
    #[error("no device tokens: pass --token HEX (repeatable) or --tokens FILE")]
    NoTokens,
    /// The data folders cannot be used.
    #[error(transparent)]
    Paths(#[from] crate::store::PathsError),
    /// The keychain cannot be used.
    #[error(transparent)]
    Keychain(#[from] crate::store::secrets::SecretError),
    /// An identity operation failed.
    #[error(transparent)]
    IdentityStore(#[from] crate::store::identity::IdentityStoreError),
    /// A .p8 key problem.
    #[error(transparent)]
    ProviderToken(#[from] ProviderTokenError),
    /// The simulator could not start.
    #[error(transparent)]
    Simulator(#[from] SimulatorError),
    /// Waiting for Ctrl-C failed.
    #[error("cannot listen for Ctrl-C: {source}")]
    Signal {
        /// Why.
        source: std::io::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {source}")]
    Runtime {
        /// Why.
        source: std::io::Error,
    },
    /// The history database failed.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// A time that cannot be read.
    #[error(transparent)]
    Time(#[from] TimeError),
    /// A `serve` flag that cannot be used.
    #[error("{0}")]
    ServeFlag(String),
    /// The API token cannot be kept.
    #[error(transparent)]
    ApiToken(#[from] crate::rest::TokenError),
    /// The REST API cannot start.
    #[error(transparent)]
    Serve(#[from] crate::rest::ServeError),
    /// A channel command for a custom gateway without the management API's host.
    #[error(
        "a custom --endpoint names the provider API only; give the channel management API's host with --channels-endpoint HOST:PORT"
    )]
    ChannelsEndpoint,
    /// A flag whose value must be JSON.
    #[error("{flag}: the value is not JSON ({message}); e.g. {flag} '{{\"score\":1}}'")]
    FlagNotJson {
        /// The flag.
        flag: &'static str,
        /// serde_json's message.
        message: String,
    },
    /// `activity start --channel`.
    #[error(
        "a Live Activity cannot be started over a channel; start it with --token PUSH_TO_START_TOKEN and --input-channel ID, then update it with --channel"
    )]
    StartOverChannel,
    /// `send --channel` without the app.
    #[error("a broadcast needs --topic BUNDLE_ID: the app whose channel it is")]
    BroadcastNeedsApp,
    /// A bad broadcast channel id.
    #[error(transparent)]
    ChannelId(#[from] crate::apns::ChannelIdError),
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

/// What the command line adds to an engine failure: the flags that fix it.
fn hint(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Identity => {
            " (`push-console identities list` shows the identities; --identity NAME, or --cert FILE / --p8 FILE --key-id ID --team-id ID)"
        }
        ErrorKind::Keychain => " (`push-console identities doctor NAME` checks the keychain)",
        ErrorKind::History => " (--no-history sends without recording; nothing was sent)",
        ErrorKind::Connection => {
            " (for a simulator elsewhere, trust its CA with --ca FILE; check --endpoint)"
        }
        ErrorKind::Simulator | ErrorKind::Input => "",
    }
}

/// The engine over the user's folders and keychain, for one command.
fn engine() -> Result<EngineHandle, CliError> {
    engine_with(
        crate::store::DataPaths::from_env()?,
        crate::store::secrets::open_keychain(),
    )
}

/// The engine over `paths` and `secrets`.
fn engine_with(
    paths: crate::store::DataPaths,
    secrets: std::sync::Arc<dyn crate::store::secrets::SecretStore>,
) -> Result<EngineHandle, CliError> {
    crate::engine::spawn(EngineSettings {
        paths,
        secrets,
        repaint: std::sync::Arc::new(|| {}),
    })
    .map_err(|source| CliError::Runtime { source })
}

/// The engine's next event; waits without holding up the runtime's other tasks.
fn next_event(engine: &EngineHandle) -> Result<Event, CliError> {
    tokio::task::block_in_place(|| engine.wait_event()).ok_or(CliError::EngineStopped)
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(2)
    }
}

/// Runs a parsed command line; the caller handles "no command" (the GUI).
pub fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Build(args) => build::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Send(args) => block_on(send::run(*args)),
        Command::Feedback(args) => block_on(feedback::run(args)),
        Command::Simulate(args) => block_on(simulate::run(args)),
        Command::Identities(args) => identities::run(args),
        Command::History(args) => history::run(&args),
        Command::Serve(args) => serve::run(args),
        Command::Channels(args) => block_on(channels::run(args)),
        Command::Activity(args) => block_on(activity::run(args)),
    };
    result.unwrap_or_else(|error| {
        output::error(&error.to_string());
        error.exit_code()
    })
}

fn block_on(
    future: impl std::future::Future<Output = Result<ExitCode, CliError>>,
) -> Result<ExitCode, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| CliError::Runtime { source })?
        .block_on(future)
}
