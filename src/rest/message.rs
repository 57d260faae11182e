//! What a request says about a notification, and where it goes, turned into the engine's
//! types: the same parsers the CLI's flags go through, with the field named in each error.

use std::collections::HashMap;
use std::path::PathBuf;

use super::error::ApiError;
use crate::apns::{DeviceToken, LegacyFormat, Notification, Payload, Transport};
use crate::engine::{Connection, CredentialChoice, Target};

/// Where `{environment}` sends: the built-in simulator or one of Apple's.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// The built-in simulator.
    Simulator,
    /// Apple's development environment (or the gateway `serve --endpoint` named).
    Sandbox,
    /// Apple's production environment (or the gateway `serve --endpoint` named).
    Production,
}

impl Environment {
    /// Reads a path segment.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        match text {
            "simulator" => Ok(Self::Simulator),
            "sandbox" => Ok(Self::Sandbox),
            "production" => Ok(Self::Production),
            other => Err(ApiError::not_found(format!(
                "no environment {other:?}: use sandbox, production or simulator"
            ))),
        }
    }

    /// Its name in paths.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simulator => "simulator",
            Self::Sandbox => "sandbox",
            Self::Production => "production",
        }
    }
}

/// Gateways that stand in for Apple's environments (`serve --endpoint sandbox=HOST:PORT`),
/// each with the CA to trust it by.
#[derive(Clone, Debug, Default)]
pub struct Environments {
    /// The stand-ins.
    pub overrides: HashMap<Environment, (Target, Option<PathBuf>)>,
}

impl Environments {
    /// The connection to `environment` with `credential`, over `transport`.
    pub fn connection(
        &self,
        environment: Environment,
        credential: CredentialChoice,
        transport: Transport,
    ) -> Connection {
        let (target, ca) = self
            .overrides
            .get(&environment)
            .cloned()
            .unwrap_or_else(|| {
                let target = match environment {
                    Environment::Simulator => Target::Simulator,
                    Environment::Sandbox => Target::Sandbox,
                    Environment::Production => Target::Production,
                };
                (target, None)
            });
        Connection {
            target,
            ca,
            credential,
            transport,
            ..Connection::default()
        }
    }
}

/// How a notification travels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// The HTTP/2 provider API.
    #[default]
    Http2,
    /// The legacy binary protocol, simple format (no identifiers, no answers).
    LegacySimple,
    /// The legacy binary protocol, enhanced format.
    LegacyEnhanced,
    /// The legacy binary protocol, frame format.
    LegacyFrame,
}

impl Protocol {
    /// The engine's transport.
    pub fn transport(self) -> Transport {
        match self {
            Self::Http2 => Transport::Http2,
            Self::LegacySimple => Transport::Legacy(LegacyFormat::Simple),
            Self::LegacyEnhanced => Transport::Legacy(LegacyFormat::Enhanced),
            Self::LegacyFrame => Transport::Legacy(LegacyFormat::Frame),
        }
    }
}

/// A notification's headers and payload: everything but its token.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize, utoipa::ToSchema)]
pub struct Message {
    /// The payload, a JSON object such as `{"aps":{"alert":"Hi"}}`.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// `alert` (the default), `background`, `voip`, `liveactivity`, ...
    pub push_type: Option<String>,
    /// 10, 5 or 1.
    #[schema(minimum = 1, maximum = 10)]
    #[serde(default, deserialize_with = "whole_number")]
    pub priority: Option<u8>,
    /// UNIX seconds until which APNs keeps trying; 0: once.
    #[schema(minimum = 0)]
    #[serde(default, deserialize_with = "whole_number")]
    pub expiration: Option<i64>,
    /// apns-collapse-id.
    pub collapse_id: Option<String>,
    /// apns-topic; by default the certificate's bundle id.
    pub topic: Option<String>,
    /// A fixed apns-id (one token only).
    pub apns_id: Option<String>,
}

/// A whole number as JSON Schema counts them, `5` or `5.0`, in `T`'s range.
pub fn whole_number<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    use serde::de::Error;
    let Some(number) =
        <Option<serde_json::Number> as serde::Deserialize>::deserialize(deserializer)?
    else {
        return Ok(None);
    };
    let whole = number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|value| value.fract() == 0.0 && value.abs() < 9.0e15)
                .map(|value| value as i64)
        })
        .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number")))?;
    T::try_from(whole)
        .map(Some)
        .map_err(|_| D::Error::custom(format!("{whole} is out of range")))
}

/// `result`, or an error naming the field: a value of the right type that does not read
/// as what the field takes.
pub fn field<T, E: std::fmt::Display>(name: &str, result: Result<T, E>) -> Result<T, ApiError> {
    result.map_err(|error| ApiError::invalid(format!("{name}: {error}")))
}

impl Message {
    /// The notification to `token`.
    pub fn notification(&self, token: DeviceToken) -> Result<Notification, ApiError> {
        if !self.payload.is_object() {
            return Err(ApiError::invalid(
                "payload: must be a JSON object, e.g. {\"aps\":{\"alert\":\"Hi\"}}",
            ));
        }
        let payload = field("payload", Payload::from_json(&self.payload.to_string()))?;
        let mut notification = Notification::new(token, payload);
        if let Some(push_type) = &self.push_type {
            notification.push_type = field("push_type", push_type.parse())?;
        }
        notification.priority = self
            .priority
            .map(|priority| field("priority", priority.to_string().parse()))
            .transpose()?;
        notification.expiration = self
            .expiration
            .map(|expiration| field("expiration", expiration.to_string().parse()))
            .transpose()?;
        notification.collapse_id = self
            .collapse_id
            .as_deref()
            .map(|id| field("collapse_id", id.parse()))
            .transpose()?;
        notification.topic = self
            .topic
            .as_deref()
            .map(|topic| field("topic", topic.parse()))
            .transpose()?;
        notification.apns_id = self
            .apns_id
            .as_deref()
            .map(|id| field("apns_id", id.parse()))
            .transpose()?;
        Ok(notification)
    }
}

/// Device tokens in hex, each refused with its position.
pub fn tokens(texts: &[String]) -> Result<Vec<DeviceToken>, ApiError> {
    if texts.is_empty() {
        return Err(ApiError::invalid(
            "tokens: give at least one device token in hex",
        ));
    }
    texts
        .iter()
        .enumerate()
        .map(|(index, text)| field(&format!("tokens[{index}]"), text.parse()))
        .collect()
}
