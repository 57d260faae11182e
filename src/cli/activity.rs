//! `push-console activity start|update|end`: Live Activity pushes from flags, to a device
//! token or over a broadcast channel, with the timestamp set at the send.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::Value;

use super::CliError;
use super::connection::ConnectionArgs;
use crate::apns::{
    ActivityInput, Alert, Broadcast, ChannelId, DeviceToken, Expiration, LiveActivityEvent,
    LiveActivityPush, Notification, Payload, Priority, PushType, StartKeys, Topic, Transport,
};
use crate::engine::{ChannelRequest, SendRequest};

/// What every Live Activity push takes.
#[derive(Args, Debug)]
pub struct ActivityArgs {
    /// The device token: the push-to-start token for start, the activity's update token
    /// for update and end.
    #[arg(long, value_name = "HEX", required_unless_present = "channel")]
    pub token: Option<String>,
    /// Update or end every activity subscribed to this broadcast channel instead.
    #[arg(long, value_name = "ID", conflicts_with = "token")]
    pub channel: Option<String>,
    /// The app's bundle id; `.push-type.liveactivity` is added for a device push.
    #[arg(long, value_name = "BUNDLE_ID")]
    pub topic: String,
    /// The activity's ContentState as JSON.
    #[arg(long, value_name = "JSON")]
    pub state: Option<String>,
    /// An alert title shown with the update.
    #[arg(long)]
    pub title: Option<String>,
    /// An alert body shown with the update.
    #[arg(long)]
    pub body: Option<String>,
    /// An alert sound, a file name or "default".
    #[arg(long)]
    pub sound: Option<String>,
    /// Mark the content stale this many minutes after sending (stale-date).
    #[arg(long, value_name = "MINUTES")]
    pub stale_in: Option<u64>,
    /// relevance-score: which of several activities the Dynamic Island shows.
    #[arg(long)]
    pub relevance: Option<f64>,
    /// timestamp in UNIX seconds; by default the send time (a stale one is dropped).
    #[arg(long)]
    pub timestamp: Option<u64>,
    /// apns-priority: 10 (default) counts against the hourly budget of updates; 5 does not.
    #[arg(long, default_value = "10")]
    pub priority: String,
    /// apns-expiration in UNIX seconds; 0 (the default for a broadcast) delivers once.
    #[arg(long)]
    pub expiration: Option<String>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The answer as JSON on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// Don't record the push in the history.
    #[arg(long)]
    pub no_history: bool,
}

/// The three events.
#[derive(Subcommand, Debug)]
pub enum ActivityCommand {
    /// Start an activity with a push-to-start token (not possible over a channel).
    Start {
        #[command(flatten)]
        args: ActivityArgs,
        /// The name of the activity's ActivityAttributes type.
        #[arg(long, value_name = "NAME")]
        attributes_type: String,
        /// Its static attributes as JSON.
        #[arg(long, value_name = "JSON", default_value = "{}")]
        attributes: String,
        /// Ask for the activity's update token (input-push-token: 1).
        #[arg(long, conflicts_with = "input_channel")]
        input_push_token: bool,
        /// Subscribe the activity to this broadcast channel (input-push-channel).
        #[arg(long, value_name = "ID")]
        input_channel: Option<String>,
    },
    /// Update its content state.
    Update {
        #[command(flatten)]
        args: ActivityArgs,
    },
    /// End it, with its final state.
    End {
        #[command(flatten)]
        args: ActivityArgs,
        /// Remove it from the Lock Screen this many minutes after ending (0: at once);
        /// by default the system keeps it up to four hours.
        #[arg(long, value_name = "MINUTES")]
        dismiss_in: Option<u64>,
    },
}

/// `push-console activity ...`.
#[derive(Args, Debug)]
pub struct ActivityCommandArgs {
    /// The event.
    #[command(subcommand)]
    pub command: ActivityCommand,
}

fn json(flag: &'static str, text: &str) -> Result<Value, CliError> {
    serde_json::from_str(text).map_err(|error| CliError::FlagNotJson {
        flag,
        message: error.to_string(),
    })
}

impl ActivityArgs {
    /// The push these flags describe, for `event`.
    fn describe(&self, event: LiveActivityEvent, now: u64) -> Result<LiveActivityPush, CliError> {
        let mut push = LiveActivityPush::new(event);
        push.timestamp = self.timestamp;
        push.content_state = self
            .state
            .as_deref()
            .map(|state| json("--state", state))
            .transpose()?;
        if self.title.is_some() || self.body.is_some() {
            push.alert = Some(Alert {
                title: self.title.clone(),
                body: self.body.clone(),
                ..Alert::default()
            });
        }
        push.sound = self.sound.clone();
        push.stale_date = self.stale_in.map(|minutes| now + minutes * 60);
        push.relevance_score = self.relevance;
        Ok(push)
    }

    async fn push(self, payload: Payload) -> Result<ExitCode, CliError> {
        let priority: Priority = self.priority.parse()?;
        let expiration: Option<Expiration> =
            self.expiration.as_deref().map(str::parse).transpose()?;
        let bundle: Topic = self.topic.parse()?;
        let connection = self.connection.connection(Transport::Http2)?;
        if let Some(channel) = &self.channel {
            let broadcast = Broadcast {
                bundle,
                channel: channel.parse::<ChannelId>()?,
                priority,
                expiration: expiration.unwrap_or(Expiration::IMMEDIATELY),
                request_id: None,
                payload,
            };
            return super::channels::ask(
                connection,
                ChannelRequest::Broadcast {
                    broadcast: Box::new(broadcast),
                    policy: None,
                },
                self.json,
                !self.no_history,
            );
        }
        let token: DeviceToken = self.token.as_deref().ok_or(CliError::NoTokens)?.parse()?;
        let mut notification = Notification::new(token.clone(), payload);
        notification.push_type = PushType::LiveActivity;
        notification.topic = Some(bundle.for_push_type(&PushType::LiveActivity));
        notification.priority = Some(priority);
        notification.expiration = expiration;
        let mut request = SendRequest::new(connection, notification, vec![token]);
        request.record_history = !self.no_history;
        super::send::deliver(request, self.json).await
    }
}

/// Runs `activity`.
pub async fn run(args: ActivityCommandArgs) -> Result<ExitCode, CliError> {
    let now = crate::store::history::now_secs();
    match args.command {
        ActivityCommand::Start {
            args,
            attributes_type,
            attributes,
            input_push_token,
            input_channel,
        } => {
            if args.channel.is_some() {
                return Err(CliError::StartOverChannel);
            }
            let mut push = args.describe(LiveActivityEvent::Start, now)?;
            let input = match input_channel {
                Some(channel) => Some(ActivityInput::Channel(channel.parse()?)),
                None => input_push_token.then_some(ActivityInput::PushToken),
            };
            push.start = Some(StartKeys {
                attributes_type,
                attributes: json("--attributes", &attributes)?,
                input,
            });
            let payload = push.payload()?;
            args.push(payload).await
        }
        ActivityCommand::Update { args } => {
            let payload = args.describe(LiveActivityEvent::Update, now)?.payload()?;
            args.push(payload).await
        }
        ActivityCommand::End { args, dismiss_in } => {
            let mut push = args.describe(LiveActivityEvent::End, now)?;
            push.dismissal_date = dismiss_in.map(|minutes| now + minutes * 60);
            let payload = push.payload()?;
            args.push(payload).await
        }
    }
}
