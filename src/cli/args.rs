//! Flags shared by the commands that describe a notification (`build`, later `send`).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::Value;

use super::CliError;
use crate::apns::{Alert, DeviceToken, LegacyFormat, Notification, Payload, Sound, Transport};

/// The wire protocol, as chosen on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    /// The HTTP/2 provider API.
    Http2,
    /// The legacy binary gateway.
    Legacy,
}

/// The legacy framing, as chosen on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Command 0.
    Simple,
    /// Command 1.
    Enhanced,
    /// Command 2.
    Frame,
}

impl From<FormatArg> for LegacyFormat {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Simple => LegacyFormat::Simple,
            FormatArg::Enhanced => LegacyFormat::Enhanced,
            FormatArg::Frame => LegacyFormat::Frame,
        }
    }
}

/// How the notification travels.
#[derive(Args, Debug, Clone)]
pub struct TransportArgs {
    /// Wire protocol.
    #[arg(long, value_enum, default_value = "http2")]
    pub protocol: ProtocolArg,
    /// Legacy framing (with --protocol legacy).
    #[arg(long, value_enum, default_value = "frame")]
    pub format: FormatArg,
}

impl TransportArgs {
    /// The transport these flags select.
    pub fn transport(&self) -> Transport {
        match self.protocol {
            ProtocolArg::Http2 => Transport::Http2,
            ProtocolArg::Legacy => Transport::Legacy(self.format.into()),
        }
    }
}

/// The headers of a notification.
#[derive(Args, Debug, Clone)]
pub struct HeaderArgs {
    /// apns-topic: the app's bundle id, with the push type's suffix if it needs one.
    #[arg(long)]
    pub topic: Option<String>,
    /// apns-push-type: alert, background, voip, liveactivity, complication, ...
    #[arg(long, default_value = "alert")]
    pub push_type: String,
    /// apns-priority: 10, 5 or 1.
    #[arg(long)]
    pub priority: Option<String>,
    /// apns-expiration: UNIX seconds; 0 delivers once without storing.
    #[arg(long)]
    pub expiration: Option<String>,
    /// apns-collapse-id (at most 64 bytes).
    #[arg(long)]
    pub collapse_id: Option<String>,
    /// apns-id: a UUID; APNs makes one when absent.
    #[arg(long)]
    pub apns_id: Option<String>,
}

/// The payload: raw JSON, a file, or fields.
#[derive(Args, Debug, Clone)]
pub struct PayloadArgs {
    /// The whole payload as JSON.
    #[arg(long, conflicts_with_all = ["payload_file", "alert", "title", "body", "badge", "sound", "content_available", "mutable_content", "custom"])]
    pub payload: Option<String>,
    /// Read the payload JSON from a file (an .apns file works too).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["alert", "title", "body", "badge", "sound", "content_available", "mutable_content", "custom"])]
    pub payload_file: Option<PathBuf>,
    /// aps.alert as a plain string.
    #[arg(long, conflicts_with_all = ["title", "body"])]
    pub alert: Option<String>,
    /// aps.alert.title.
    #[arg(long)]
    pub title: Option<String>,
    /// aps.alert.body.
    #[arg(long)]
    pub body: Option<String>,
    /// aps.badge (0 clears it).
    #[arg(long)]
    pub badge: Option<u32>,
    /// aps.sound, a file name or "default".
    #[arg(long)]
    pub sound: Option<String>,
    /// aps.content-available = 1.
    #[arg(long)]
    pub content_available: bool,
    /// aps.mutable-content = 1.
    #[arg(long)]
    pub mutable_content: bool,
    /// A custom top-level key: KEY=JSON, e.g. --custom order='{"id":7}'. Repeatable.
    #[arg(long, value_name = "KEY=JSON")]
    pub custom: Vec<String>,
}

impl PayloadArgs {
    /// The payload these flags describe.
    pub fn payload(&self) -> Result<Payload, CliError> {
        if let Some(json) = &self.payload {
            return Ok(Payload::from_json(json)?);
        }
        if let Some(path) = &self.payload_file {
            let bytes = crate::store::read_limited(path, crate::store::FileKind::Payload)?;
            return Ok(Payload::from_json(&String::from_utf8_lossy(&bytes))?);
        }
        let mut builder = Payload::builder();
        if let Some(text) = &self.alert {
            builder = builder.alert_text(text);
        } else if self.title.is_some() || self.body.is_some() {
            builder = builder.alert(Alert {
                title: self.title.clone(),
                body: self.body.clone(),
                ..Alert::default()
            });
        }
        if let Some(badge) = self.badge {
            builder = builder.badge(badge);
        }
        if let Some(sound) = &self.sound {
            builder = builder.sound(Sound::named(sound));
        }
        if self.content_available {
            builder = builder.content_available();
        }
        if self.mutable_content {
            builder = builder.mutable_content();
        }
        for pair in &self.custom {
            let (key, value) = parse_custom(pair)?;
            builder = builder.custom(key, value);
        }
        Ok(builder.build()?)
    }
}

fn parse_custom(pair: &str) -> Result<(&str, Value), CliError> {
    let (key, json) = pair
        .split_once('=')
        .filter(|(key, _)| !key.is_empty())
        .ok_or_else(|| CliError::CustomNotKeyValue(pair.to_owned()))?;
    let value = serde_json::from_str(json).map_err(|error| CliError::CustomNotJson {
        key: key.to_owned(),
        message: error.to_string(),
    })?;
    Ok((key, value))
}

/// Headers and payload: everything of a notification but its token.
#[derive(Args, Debug, Clone)]
pub struct MessageArgs {
    #[command(flatten)]
    pub headers: HeaderArgs,
    #[command(flatten)]
    pub payload: PayloadArgs,
}

impl MessageArgs {
    /// The notification these flags describe, addressed to `token`.
    pub fn notification(&self, token: DeviceToken) -> Result<Notification, CliError> {
        let mut notification = Notification::new(token, self.payload.payload()?);
        let headers = &self.headers;
        notification.push_type = headers.push_type.parse()?;
        notification.topic = headers.topic.as_deref().map(str::parse).transpose()?;
        notification.priority = headers.priority.as_deref().map(str::parse).transpose()?;
        notification.expiration = headers.expiration.as_deref().map(str::parse).transpose()?;
        notification.collapse_id = headers.collapse_id.as_deref().map(str::parse).transpose()?;
        notification.apns_id = headers.apns_id.as_deref().map(str::parse).transpose()?;
        Ok(notification)
    }
}
