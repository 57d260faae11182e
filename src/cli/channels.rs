//! `push-console channels`: create, list, read and delete broadcast channels; and the
//! one way every broadcast command waits for APNs's answer and prints it.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::connection::ConnectionArgs;
use super::{CliError, output};
use crate::apns::{ChannelId, ChannelOperation, ChannelReply, StoragePolicy, Topic, Transport};
use crate::engine::{ChannelAnswer, ChannelRequest, Command, Connection, Event, Target};

/// The channel management API's flags: the app, the connection, the output.
#[derive(Args, Debug)]
pub struct ChannelArgs {
    /// The app's bundle id (a topic's push-type suffix is dropped).
    #[arg(long, value_name = "BUNDLE_ID")]
    pub app: String,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The channel management API's HOST:PORT, needed when --endpoint is a custom gateway
    /// (for the simulator and Apple's environments it is known).
    #[arg(long, value_name = "HOST:PORT")]
    pub channels_endpoint: Option<String>,
    /// The answer as one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// Don't record the request in the history.
    #[arg(long)]
    pub no_history: bool,
}

/// What a channel keeps for devices that were offline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StorageArg {
    /// Nothing: a broadcast must have expiration 0 (policy 0).
    None,
    /// The most recent broadcast, delivered when a device is back (policy 1).
    MostRecent,
}

impl From<StorageArg> for StoragePolicy {
    fn from(storage: StorageArg) -> Self {
        match storage {
            StorageArg::None => StoragePolicy::NoStorage,
            StorageArg::MostRecent => StoragePolicy::MostRecent,
        }
    }
}

/// The channel operations.
#[derive(Subcommand, Debug)]
pub enum ChannelsCommand {
    /// Make a channel; prints its id.
    Create {
        #[command(flatten)]
        args: ChannelArgs,
        /// What the channel keeps for offline devices.
        #[arg(long, value_enum, default_value = "none")]
        storage: StorageArg,
    },
    /// Print the ids of every channel of the app, one per line.
    List {
        #[command(flatten)]
        args: ChannelArgs,
    },
    /// Print one channel's storage policy.
    Read {
        #[command(flatten)]
        args: ChannelArgs,
        /// The channel id.
        #[arg(long, value_name = "ID")]
        channel: String,
    },
    /// Delete a channel.
    Delete {
        #[command(flatten)]
        args: ChannelArgs,
        /// The channel id.
        #[arg(long, value_name = "ID")]
        channel: String,
    },
}

/// `push-console channels ...`.
#[derive(Args, Debug)]
pub struct ChannelsArgs {
    /// The operation.
    #[command(subcommand)]
    pub command: ChannelsCommand,
}

impl ChannelArgs {
    /// The connection to the management API: for a custom gateway, the host of
    /// `--channels-endpoint`.
    fn connection(&self) -> Result<Connection, CliError> {
        let mut connection = self.connection.connection(Transport::Http2)?;
        if let Target::Custom { .. } = connection.target {
            let Some(host_port) = &self.channels_endpoint else {
                return Err(CliError::ChannelsEndpoint);
            };
            connection.target = host_port.parse()?;
        }
        Ok(connection)
    }
}

/// Runs `channels`.
pub async fn run(args: ChannelsArgs) -> Result<ExitCode, CliError> {
    let (args, operation) = match args.command {
        ChannelsCommand::Create { args, storage } => {
            (args, ChannelOperation::Create(storage.into()))
        }
        ChannelsCommand::List { args } => (args, ChannelOperation::List),
        ChannelsCommand::Read { args, channel } => {
            (args, ChannelOperation::Read(channel.parse::<ChannelId>()?))
        }
        ChannelsCommand::Delete { args, channel } => (
            args,
            ChannelOperation::Delete(channel.parse::<ChannelId>()?),
        ),
    };
    let app: Topic = args.app.parse()?;
    let connection = args.connection()?;
    let request = ChannelRequest::Manage { app, operation };
    ask(connection, request, args.json, !args.no_history)
}

/// Sends one channel request or broadcast through the engine, prints the answer, and
/// exits 0 only when APNs did what was asked.
pub(super) fn ask(
    connection: Connection,
    request: ChannelRequest,
    json: bool,
    record_history: bool,
) -> Result<ExitCode, CliError> {
    let engine = super::engine()?;
    let id = engine.next_id();
    engine.command(Command::Channel {
        id,
        connection: Box::new(connection),
        request,
        record_history,
    });
    loop {
        match super::next_event(&engine)? {
            Event::ChannelAnswered {
                id: of,
                answer,
                history_problem,
            } if of == id => {
                print_answer(&answer, json);
                if let Some(problem) = history_problem {
                    output::warn(&format!("the history is incomplete: {problem}"));
                }
                return Ok(if answer.succeeded() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                });
            }
            Event::Failed { id: of, error } if of == id => return Err(CliError::Engine(error)),
            _ => {}
        }
    }
}

fn print_answer(answer: &ChannelAnswer, json: bool) {
    for warning in &answer.warnings {
        output::warn(&warning.to_string());
    }
    if json {
        output::line(&answer.to_json().to_string());
        return;
    }
    match &answer.result {
        // Bare ids on stdout, so that a script can take them: CHANNEL=$(... create ...).
        Ok(ChannelReply::Created { id, .. }) => output::line(id.as_str()),
        Ok(reply @ ChannelReply::Channels(ids)) => {
            for id in ids {
                output::line(id.as_str());
            }
            output::note(&format!("{reply} of {}", answer.app));
        }
        Ok(reply) => output::line(&reply.to_string()),
        Err(error) => output::error(&format!("{} refused: {error}", answer.operation)),
    }
}
