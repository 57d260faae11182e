//! Broadcast push (iOS 18): channels on the channel management API, and sends to a
//! channel on the provider API. Requests and answers as values, like the rest of the core.

use std::fmt;
use std::str::FromStr;

use super::limit::group_thousands;
use super::{
    ApnsId, Expiration, Http2Request, NotificationError, Payload, PayloadLimit, Priority, PushType,
    Reason, Rejection, Topic,
};

/// The longest channel id accepted. Apple's are 24 base64 characters; the bound only
/// keeps a pasted paragraph out of a header.
pub const MAX_CHANNEL_ID_LEN: usize = 256;

/// A broadcast channel id, as APNs hands it out: base64 text, per app and environment.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChannelId(String);

/// Why text is not a channel id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelIdError {
    /// Nothing was given.
    #[error("the channel id is empty; copy it from `channels list` or the Channels view")]
    Empty,
    /// Too long for any channel id.
    #[error("the channel id is {0} characters; channel ids are about 24, check what was pasted")]
    TooLong(usize),
    /// A character base64 does not use.
    #[error(
        "the channel id has {0:?} in it; channel ids are base64 (letters, digits, '+', '/', '=')"
    )]
    BadCharacter(char),
}

impl ChannelId {
    /// The id as sent in `apns-channel-id`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ChannelId {
    type Err = ChannelIdError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ChannelIdError::Empty);
        }
        if text.len() > MAX_CHANNEL_ID_LEN {
            return Err(ChannelIdError::TooLong(text.chars().count()));
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_')))
        {
            return Err(ChannelIdError::BadCharacter(bad));
        }
        Ok(Self(text.to_owned()))
    }
}

impl TryFrom<String> for ChannelId {
    type Error = ChannelIdError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<ChannelId> for String {
    fn from(id: ChannelId) -> Self {
        id.0
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChannelId({})", self.0)
    }
}

/// What a channel keeps for devices that were offline: `message-storage-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum StoragePolicy {
    /// 0: nothing is stored; a broadcast must have `apns-expiration: 0`.
    #[default]
    NoStorage,
    /// 1: the most recent broadcast is stored and delivered when the device is back.
    MostRecent,
}

impl StoragePolicy {
    /// The number in the JSON body.
    pub fn value(self) -> u8 {
        match self {
            StoragePolicy::NoStorage => 0,
            StoragePolicy::MostRecent => 1,
        }
    }

    /// The policy for a number, if it names one.
    pub fn from_value(value: u64) -> Option<Self> {
        match value {
            0 => Some(StoragePolicy::NoStorage),
            1 => Some(StoragePolicy::MostRecent),
            _ => None,
        }
    }

    /// In words, for lists and history.
    pub fn describe(self) -> &'static str {
        match self {
            StoragePolicy::NoStorage => "no storage",
            StoragePolicy::MostRecent => "most recent stored",
        }
    }
}

/// One request to the channel management API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelOperation {
    /// Make a channel: answered with its id.
    Create(StoragePolicy),
    /// Read one channel's configuration.
    Read(ChannelId),
    /// List every channel of the app in this environment.
    List,
    /// Delete a channel.
    Delete(ChannelId),
}

/// The `push-type` a channel is made for; the only one Apple offers.
pub const CHANNEL_PUSH_TYPE: &str = "LiveActivity";

impl ChannelOperation {
    /// `create`, `read`, `list` or `delete`, as the CLI, the REST API and the history name it.
    pub fn name(&self) -> &'static str {
        match self {
            ChannelOperation::Create(_) => "create",
            ChannelOperation::Read(_) => "read",
            ChannelOperation::List => "list",
            ChannelOperation::Delete(_) => "delete",
        }
    }

    /// The channel the operation is about, if one.
    pub fn channel(&self) -> Option<&ChannelId> {
        match self {
            ChannelOperation::Read(id) | ChannelOperation::Delete(id) => Some(id),
            ChannelOperation::Create(_) | ChannelOperation::List => None,
        }
    }

    /// The request for the app `bundle` (a topic's suffix is dropped). The connection adds
    /// `authorization`; `request_id` is echoed back by APNs and names the request in
    /// Apple's logs.
    ///
    /// ```
    /// use push_console::apns::{ChannelOperation, StoragePolicy};
    /// let bundle = "com.example.app".parse().unwrap();
    /// let create = ChannelOperation::Create(StoragePolicy::MostRecent).request(&bundle, None);
    /// assert_eq!((create.method, create.path.as_str()), ("POST", "/1/apps/com.example.app/channels"));
    /// assert_eq!(create.body, br#"{"message-storage-policy":1,"push-type":"LiveActivity"}"#);
    /// let list = ChannelOperation::List.request(&bundle, None);
    /// assert_eq!((list.method, list.path.as_str()), ("GET", "/1/apps/com.example.app/all-channels"));
    /// ```
    pub fn request(&self, bundle: &Topic, request_id: Option<&ApnsId>) -> Http2Request {
        let app = bundle.bundle_id();
        let (method, path) = match self {
            ChannelOperation::Create(_) => ("POST", format!("/1/apps/{app}/channels")),
            ChannelOperation::Read(_) => ("GET", format!("/1/apps/{app}/channels")),
            ChannelOperation::List => ("GET", format!("/1/apps/{app}/all-channels")),
            ChannelOperation::Delete(_) => ("DELETE", format!("/1/apps/{app}/channels")),
        };
        let mut headers = Vec::with_capacity(2);
        if let Some(id) = request_id {
            headers.push(("apns-request-id", id.to_string()));
        }
        if let Some(channel) = self.channel() {
            headers.push(("apns-channel-id", channel.to_string()));
        }
        let body = match self {
            ChannelOperation::Create(policy) => serde_json::json!({
                "message-storage-policy": policy.value(),
                "push-type": CHANNEL_PUSH_TYPE,
            })
            .to_string()
            .into_bytes(),
            _ => Vec::new(),
        };
        Http2Request {
            method,
            path,
            headers,
            body,
        }
    }

    /// Reads APNs's answer to this operation from its status, its `apns-channel-id` header
    /// and its body.
    pub fn parse_answer(
        &self,
        status: u16,
        channel_header: Option<&str>,
        body: &[u8],
    ) -> Result<ChannelReply, ChannelAnswerError> {
        if !(200..300).contains(&status) {
            return Err(ChannelAnswerError::Refused(refusal(status, body)?));
        }
        let unexpected = |what: &str| ChannelAnswerError::Unexpected {
            status,
            detail: what.to_owned(),
        };
        match self {
            ChannelOperation::Create(policy) => {
                let id = channel_header
                    .ok_or_else(|| unexpected("no apns-channel-id header in the answer"))?
                    .parse()
                    .map_err(|error: ChannelIdError| unexpected(&error.to_string()))?;
                Ok(ChannelReply::Created {
                    id,
                    policy: *policy,
                })
            }
            ChannelOperation::Read(id) => {
                let value: serde_json::Value =
                    serde_json::from_slice(body).map_err(|_| unexpected(&excerpt(body)))?;
                let policy = value
                    .get("message-storage-policy")
                    .and_then(serde_json::Value::as_u64)
                    .and_then(StoragePolicy::from_value);
                let push_type = value
                    .get("push-type")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned);
                Ok(ChannelReply::Channel {
                    id: id.clone(),
                    policy,
                    push_type,
                })
            }
            ChannelOperation::List => {
                #[derive(serde::Deserialize)]
                struct AllChannels {
                    channels: Vec<String>,
                }
                let all: AllChannels =
                    serde_json::from_slice(body).map_err(|_| unexpected(&excerpt(body)))?;
                let ids = all
                    .channels
                    .iter()
                    .map(|text| text.parse())
                    .collect::<Result<Vec<ChannelId>, _>>()
                    .map_err(|error| unexpected(&error.to_string()))?;
                Ok(ChannelReply::Channels(ids))
            }
            ChannelOperation::Delete(id) => Ok(ChannelReply::Deleted(id.clone())),
        }
    }
}

/// What a channel operation came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelReply {
    /// A channel was made.
    Created {
        /// Its id.
        id: ChannelId,
        /// The policy it was made with.
        policy: StoragePolicy,
    },
    /// One channel's configuration.
    Channel {
        /// The channel.
        id: ChannelId,
        /// Its storage policy, when APNs named a known one.
        policy: Option<StoragePolicy>,
        /// Its push type, as APNs wrote it.
        push_type: Option<String>,
    },
    /// Every channel of the app.
    Channels(Vec<ChannelId>),
    /// A channel was deleted.
    Deleted(ChannelId),
    /// A broadcast was accepted for the devices subscribed to a channel.
    Broadcast(ChannelId),
}

impl fmt::Display for ChannelReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelReply::Created { id, policy } => {
                write!(f, "created channel {id} ({})", policy.describe())
            }
            ChannelReply::Channel { id, policy, .. } => write!(
                f,
                "channel {id}: {}",
                policy.map_or("unknown storage policy", StoragePolicy::describe)
            ),
            ChannelReply::Channels(ids) => match ids.len() {
                1 => f.write_str("1 channel"),
                n => write!(f, "{} channels", group_thousands(n)),
            },
            ChannelReply::Deleted(id) => write!(f, "deleted channel {id}"),
            ChannelReply::Broadcast(id) => write!(f, "broadcast accepted on channel {id}"),
        }
    }
}

/// Why a channel operation did not succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChannelAnswerError {
    /// APNs refused it, with a reason.
    #[error("{} {}: {}", .0.status, .0.rejection.reason, .0.rejection.reason.explanation())]
    Refused(ChannelRefusal),
    /// A success status with an answer that is not what the API gives.
    #[error("APNs answered {status}, but {detail}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        detail: String,
    },
    /// A refusal whose body is not an APNs error.
    #[error("APNs answered {status} with a body that is not an APNs error: {excerpt:?}")]
    MalformedBody {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        excerpt: String,
    },
}

/// A refusal from the channel management API or a broadcast send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelRefusal {
    /// The HTTP status.
    pub status: u16,
    /// The reason.
    pub rejection: Rejection,
}

fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
}

fn refusal(status: u16, body: &[u8]) -> Result<ChannelRefusal, ChannelAnswerError> {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        reason: String,
    }
    let parsed: ErrorBody =
        serde_json::from_slice(body).map_err(|_| ChannelAnswerError::MalformedBody {
            status,
            excerpt: excerpt(body),
        })?;
    Ok(ChannelRefusal {
        status,
        rejection: Rejection {
            reason: Reason::from(parsed.reason.as_str()),
            timestamp_ms: None,
        },
    })
}

/// A Live Activity update to every device subscribed to a channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Broadcast {
    /// The app (a topic's suffix is dropped).
    pub bundle: Topic,
    /// The channel.
    pub channel: ChannelId,
    /// `apns-priority`, required on a broadcast: 10 counts against the hourly budget of
    /// Live Activity updates, 5 does not.
    pub priority: Priority,
    /// `apns-expiration`, required on a broadcast: must be 0 on a channel that stores
    /// nothing; stored messages are kept at most 8 hours.
    pub expiration: Expiration,
    /// `apns-request-id`, echoed back.
    pub request_id: Option<ApnsId>,
    /// The JSON body: an `aps` with `event`, `timestamp` and `content-state`.
    pub payload: Payload,
}

impl Broadcast {
    /// The request path: `/4/broadcasts/apps/<bundle id>`.
    pub fn path(&self) -> String {
        format!("/4/broadcasts/apps/{}", self.bundle.bundle_id())
    }

    /// The request headers, in a fixed order, without `authorization`.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = Vec::with_capacity(5);
        if let Some(id) = &self.request_id {
            headers.push(("apns-request-id", id.to_string()));
        }
        headers.push(("apns-channel-id", self.channel.to_string()));
        headers.push(("apns-push-type", PushType::LiveActivity.to_string()));
        headers.push(("apns-priority", self.priority.to_string()));
        headers.push(("apns-expiration", self.expiration.to_string()));
        headers
    }

    /// Reads APNs's answer: accepted only on 200.
    pub fn parse_answer(
        &self,
        status: u16,
        body: &[u8],
    ) -> Result<ChannelReply, ChannelAnswerError> {
        if status == 200 {
            Ok(ChannelReply::Broadcast(self.channel.clone()))
        } else {
            Err(ChannelAnswerError::Refused(refusal(status, body)?))
        }
    }

    /// The whole request, refusing a payload over the broadcast limit.
    ///
    /// ```
    /// use push_console::apns::{Broadcast, Expiration, Payload, Priority};
    /// let broadcast = Broadcast {
    ///     bundle: "com.example.app.push-type.liveactivity".parse().unwrap(),
    ///     channel: "dHpDM0lNVGpXWlR3U1ZtRmZTTkRvQT09".parse().unwrap(),
    ///     priority: Priority::Normal,
    ///     expiration: Expiration::IMMEDIATELY,
    ///     request_id: None,
    ///     payload: Payload::from_json(r#"{"aps":{"event":"update","timestamp":1,"content-state":{}}}"#).unwrap(),
    /// };
    /// let request = broadcast.to_http2_request().unwrap();
    /// assert_eq!(request.path, "/4/broadcasts/apps/com.example.app");
    /// assert_eq!(request.headers[0], ("apns-channel-id", "dHpDM0lNVGpXWlR3U1ZtRmZTTkRvQT09".to_string()));
    /// ```
    pub fn to_http2_request(&self) -> Result<Http2Request, NotificationError> {
        let body = super::notification::sized_body(&self.payload, &PayloadLimit::broadcast())?;
        Ok(Http2Request {
            method: "POST",
            path: self.path(),
            headers: self.headers(),
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANNEL: &str = "dHpDM0lNVGpXWlR3U1ZtRmZTTkRvQT09";

    fn bundle() -> Topic {
        "com.example.app".parse().unwrap()
    }

    fn channel() -> ChannelId {
        CHANNEL.parse().unwrap()
    }

    fn update_broadcast() -> Broadcast {
        Broadcast {
            bundle: bundle(),
            channel: channel(),
            priority: Priority::Normal,
            expiration: Expiration::IMMEDIATELY,
            request_id: None,
            payload: Payload::from_json(
                r#"{"aps":{"event":"update","timestamp":1,"content-state":{}}}"#,
            )
            .unwrap(),
        }
    }

    #[test]
    fn channel_ids_are_base64_text() {
        assert_eq!(channel().as_str(), CHANNEL);
        assert_eq!(" ".parse::<ChannelId>(), Err(ChannelIdError::Empty));
        assert_eq!(
            "abc def".parse::<ChannelId>(),
            Err(ChannelIdError::BadCharacter(' '))
        );
        let long = "A".repeat(MAX_CHANNEL_ID_LEN + 1);
        assert!(matches!(
            long.parse::<ChannelId>(),
            Err(ChannelIdError::TooLong(_))
        ));
    }

    #[test]
    fn each_operation_maps_to_its_method_path_and_headers() {
        let request_id: ApnsId = "123e4567-e89b-12d3-a456-426614174000".parse().unwrap();
        let read = ChannelOperation::Read(channel()).request(&bundle(), Some(&request_id));
        assert_eq!(read.method, "GET");
        assert_eq!(read.path, "/1/apps/com.example.app/channels");
        assert_eq!(
            read.headers,
            [
                ("apns-request-id", request_id.to_string()),
                ("apns-channel-id", CHANNEL.to_string())
            ]
        );
        assert!(read.body.is_empty());
        let delete = ChannelOperation::Delete(channel()).request(
            &"com.example.app.push-type.liveactivity".parse().unwrap(),
            None,
        );
        assert_eq!(delete.method, "DELETE");
        assert_eq!(delete.path, "/1/apps/com.example.app/channels");
        let create = ChannelOperation::Create(StoragePolicy::NoStorage).request(&bundle(), None);
        assert_eq!(
            create.body,
            br#"{"message-storage-policy":0,"push-type":"LiveActivity"}"#
        );
        assert!(create.headers.is_empty());
    }

    #[test]
    fn answers_are_read_per_operation() {
        let create = ChannelOperation::Create(StoragePolicy::MostRecent);
        assert_eq!(
            create.parse_answer(201, Some(CHANNEL), b""),
            Ok(ChannelReply::Created {
                id: channel(),
                policy: StoragePolicy::MostRecent
            })
        );
        assert!(matches!(
            create.parse_answer(201, None, b""),
            Err(ChannelAnswerError::Unexpected { status: 201, .. })
        ));
        let read = ChannelOperation::Read(channel());
        assert_eq!(
            read.parse_answer(
                200,
                None,
                br#"{"message-storage-policy":1,"push-type":"LiveActivity"}"#
            ),
            Ok(ChannelReply::Channel {
                id: channel(),
                policy: Some(StoragePolicy::MostRecent),
                push_type: Some("LiveActivity".into())
            })
        );
        let list = ChannelOperation::List.parse_answer(
            200,
            None,
            format!(r#"{{"channels":["{CHANNEL}"]}}"#).as_bytes(),
        );
        assert_eq!(list, Ok(ChannelReply::Channels(vec![channel()])));
        assert_eq!(list.unwrap().to_string(), "1 channel");
        assert_eq!(
            ChannelOperation::Delete(channel()).parse_answer(204, None, b""),
            Ok(ChannelReply::Deleted(channel()))
        );
    }

    #[test]
    fn refusals_carry_the_reason_in_words() {
        let error = ChannelOperation::List
            .parse_answer(400, None, br#"{"reason":"FeatureNotEnabled"}"#)
            .unwrap_err();
        let ChannelAnswerError::Refused(refusal) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(refusal.rejection.reason, Reason::FeatureNotEnabled);
        assert_eq!(
            error.to_string(),
            "400 FeatureNotEnabled: broadcast push is not enabled for this app"
        );
        assert!(matches!(
            ChannelOperation::List.parse_answer(500, None, b"<html>"),
            Err(ChannelAnswerError::MalformedBody { status: 500, .. })
        ));
    }

    #[test]
    fn a_broadcast_has_no_topic_and_a_5120_byte_limit() {
        let mut broadcast = Broadcast {
            bundle: bundle(),
            channel: channel(),
            priority: Priority::Normal,
            expiration: Expiration::IMMEDIATELY,
            request_id: None,
            payload: Payload::builder()
                .custom("pad", serde_json::json!("x".repeat(5000)))
                .build()
                .unwrap(),
        };
        let request = broadcast.to_http2_request().unwrap();
        assert_eq!(
            request.headers,
            [
                ("apns-channel-id", CHANNEL.to_string()),
                ("apns-push-type", "liveactivity".to_string()),
                ("apns-priority", "5".to_string()),
                ("apns-expiration", "0".to_string()),
            ]
        );
        broadcast.payload = Payload::builder()
            .custom("pad", serde_json::json!("x".repeat(5200)))
            .build()
            .unwrap();
        assert_eq!(
            broadcast.to_http2_request().unwrap_err().to_string(),
            "payload is 5,210 bytes; the limit for a broadcast is 5,120"
        );
    }

    #[test]
    fn a_channel_id_may_be_256_characters_but_not_257() {
        assert_eq!(MAX_CHANNEL_ID_LEN, 256);
        let longest = "A".repeat(256);
        assert_eq!(longest.parse::<ChannelId>().unwrap().as_str(), longest);
        assert_eq!(
            format!("  {longest}\n")
                .parse::<ChannelId>()
                .unwrap()
                .as_str(),
            longest
        );
        assert_eq!(
            "A".repeat(257).parse::<ChannelId>(),
            Err(ChannelIdError::TooLong(257))
        );
    }

    #[test]
    fn a_channel_id_is_trimmed_and_takes_every_base64_character() {
        assert_eq!(format!(" {CHANNEL}\n").parse::<ChannelId>(), Ok(channel()));
        let every = "AZaz09+/=-_";
        assert_eq!(every.parse::<ChannelId>().unwrap().as_str(), every);
        assert_eq!(
            "Y2g.".parse::<ChannelId>(),
            Err(ChannelIdError::BadCharacter('.'))
        );
        assert_eq!(
            "Y2gé".parse::<ChannelId>(),
            Err(ChannelIdError::BadCharacter('é'))
        );
        assert_eq!("".parse::<ChannelId>(), Err(ChannelIdError::Empty));
    }

    #[test]
    fn each_channel_id_error_says_what_to_check() {
        assert_eq!(
            ChannelIdError::Empty.to_string(),
            "the channel id is empty; copy it from `channels list` or the Channels view"
        );
        assert_eq!(
            ChannelIdError::TooLong(257).to_string(),
            "the channel id is 257 characters; channel ids are about 24, check what was pasted"
        );
        assert_eq!(
            ChannelIdError::BadCharacter(' ').to_string(),
            "the channel id has ' ' in it; channel ids are base64 (letters, digits, '+', '/', '=')"
        );
    }

    #[test]
    fn a_channel_id_converts_to_text_json_and_debug_form() {
        let id = channel();
        assert_eq!(id.to_string(), CHANNEL);
        assert_eq!(format!("{id:?}"), format!("ChannelId({CHANNEL})"));
        assert_eq!(String::from(id.clone()), CHANNEL);
        assert_eq!(ChannelId::try_from(format!(" {CHANNEL} ")), Ok(id.clone()));
        assert_eq!(
            ChannelId::try_from(String::new()),
            Err(ChannelIdError::Empty)
        );
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{CHANNEL}\""));
        assert_eq!(serde_json::from_str::<ChannelId>(&json).unwrap(), id);
        let refused = serde_json::from_str::<ChannelId>(r#""a b""#).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains(&ChannelIdError::BadCharacter(' ').to_string()),
            "{refused}"
        );
    }

    #[test]
    fn storage_policies_are_numbered_0_and_1_and_described_in_words() {
        for (policy, value, words) in [
            (StoragePolicy::NoStorage, 0_u8, "no storage"),
            (StoragePolicy::MostRecent, 1, "most recent stored"),
        ] {
            assert_eq!(policy.value(), value);
            assert_eq!(StoragePolicy::from_value(u64::from(value)), Some(policy));
            assert_eq!(policy.describe(), words);
        }
        assert_eq!(StoragePolicy::from_value(2), None);
        assert_eq!(StoragePolicy::from_value(u64::MAX), None);
        assert_eq!(StoragePolicy::default(), StoragePolicy::NoStorage);
    }

    #[test]
    fn each_operation_has_its_name_and_channel() {
        let cases = [
            (
                ChannelOperation::Create(StoragePolicy::MostRecent),
                "create",
                None,
            ),
            (ChannelOperation::Read(channel()), "read", Some(channel())),
            (ChannelOperation::List, "list", None),
            (
                ChannelOperation::Delete(channel()),
                "delete",
                Some(channel()),
            ),
        ];
        for (operation, name, id) in cases {
            assert_eq!(operation.name(), name);
            assert_eq!(operation.channel(), id.as_ref(), "{name}");
        }
    }

    #[test]
    fn create_posts_its_policy_and_list_gets_all_channels() {
        let request_id: ApnsId = "123e4567-e89b-12d3-a456-426614174000".parse().unwrap();
        let create = ChannelOperation::Create(StoragePolicy::MostRecent).request(
            &"com.example.app.push-type.liveactivity".parse().unwrap(),
            Some(&request_id),
        );
        assert_eq!(create.method, "POST");
        assert_eq!(create.path, "/1/apps/com.example.app/channels");
        assert_eq!(
            create.headers,
            [("apns-request-id", request_id.to_string())]
        );
        assert_eq!(
            create.body,
            br#"{"message-storage-policy":1,"push-type":"LiveActivity"}"#
        );
        assert_eq!(CHANNEL_PUSH_TYPE, "LiveActivity");
        let list = ChannelOperation::List.request(&bundle(), None);
        assert_eq!(list.method, "GET");
        assert_eq!(list.path, "/1/apps/com.example.app/all-channels");
        assert!(list.headers.is_empty());
        assert!(list.body.is_empty());
        let delete = ChannelOperation::Delete(channel()).request(&bundle(), None);
        assert_eq!(delete.headers, [("apns-channel-id", CHANNEL.to_string())]);
        assert!(delete.body.is_empty());
    }

    #[test]
    fn only_a_2xx_status_is_a_success() {
        let delete = ChannelOperation::Delete(channel());
        for status in [200, 204, 299] {
            assert_eq!(
                delete.parse_answer(status, None, b""),
                Ok(ChannelReply::Deleted(channel())),
                "{status}"
            );
        }
        for status in [199, 300, 404] {
            assert_eq!(
                delete.parse_answer(status, None, br#"{"reason":"ChannelNotRegistered"}"#),
                Err(ChannelAnswerError::Refused(ChannelRefusal {
                    status,
                    rejection: Rejection {
                        reason: Reason::ChannelNotRegistered,
                        timestamp_ms: None,
                    },
                })),
                "{status}"
            );
        }
    }

    #[test]
    fn a_create_answer_without_a_usable_channel_id_is_unexpected() {
        let create = ChannelOperation::Create(StoragePolicy::NoStorage);
        assert_eq!(
            create.parse_answer(200, Some(CHANNEL), b""),
            Ok(ChannelReply::Created {
                id: channel(),
                policy: StoragePolicy::NoStorage
            })
        );
        let missing = create.parse_answer(201, None, b"").unwrap_err();
        assert_eq!(
            missing,
            ChannelAnswerError::Unexpected {
                status: 201,
                detail: "no apns-channel-id header in the answer".into()
            }
        );
        assert_eq!(
            missing.to_string(),
            "APNs answered 201, but no apns-channel-id header in the answer"
        );
        assert_eq!(
            create.parse_answer(200, Some("a b"), b""),
            Err(ChannelAnswerError::Unexpected {
                status: 200,
                detail: ChannelIdError::BadCharacter(' ').to_string()
            })
        );
    }

    #[test]
    fn a_read_answer_keeps_only_a_known_policy_and_a_text_push_type() {
        let read = ChannelOperation::Read(channel());
        assert_eq!(
            read.parse_answer(
                200,
                None,
                br#"{"message-storage-policy":0,"push-type":"LiveActivity"}"#
            ),
            Ok(ChannelReply::Channel {
                id: channel(),
                policy: Some(StoragePolicy::NoStorage),
                push_type: Some("LiveActivity".into())
            })
        );
        assert_eq!(
            read.parse_answer(200, None, br#"{"message-storage-policy":7,"push-type":1}"#),
            Ok(ChannelReply::Channel {
                id: channel(),
                policy: None,
                push_type: None
            })
        );
        assert_eq!(
            read.parse_answer(200, None, b"<html>"),
            Err(ChannelAnswerError::Unexpected {
                status: 200,
                detail: "<html>".into()
            })
        );
    }

    #[test]
    fn a_list_answer_is_every_channel_or_unexpected() {
        let list = ChannelOperation::List;
        assert_eq!(
            list.parse_answer(200, None, br#"{"channels":[]}"#),
            Ok(ChannelReply::Channels(vec![]))
        );
        assert_eq!(
            list.parse_answer(200, None, br#"{"channels":["Y2g=",""]}"#),
            Err(ChannelAnswerError::Unexpected {
                status: 200,
                detail: ChannelIdError::Empty.to_string()
            })
        );
        assert_eq!(
            list.parse_answer(200, None, br#"{"ids":[]}"#),
            Err(ChannelAnswerError::Unexpected {
                status: 200,
                detail: r#"{"ids":[]}"#.into()
            })
        );
    }

    #[test]
    fn a_body_that_is_not_json_is_quoted_up_to_200_bytes() {
        let body = "x".repeat(250);
        assert_eq!(
            ChannelOperation::List.parse_answer(500, None, body.as_bytes()),
            Err(ChannelAnswerError::MalformedBody {
                status: 500,
                excerpt: "x".repeat(200)
            })
        );
        assert_eq!(
            ChannelOperation::Read(channel()).parse_answer(200, None, body.as_bytes()),
            Err(ChannelAnswerError::Unexpected {
                status: 200,
                detail: "x".repeat(200)
            })
        );
        assert_eq!(
            ChannelOperation::List
                .parse_answer(503, None, b"<html>")
                .unwrap_err()
                .to_string(),
            r#"APNs answered 503 with a body that is not an APNs error: "<html>""#
        );
    }

    #[test]
    fn a_refusal_with_an_unknown_reason_keeps_it_as_written() {
        let error = ChannelOperation::List
            .parse_answer(403, None, br#"{"reason":"Nope"}"#)
            .unwrap_err();
        assert_eq!(
            error,
            ChannelAnswerError::Refused(ChannelRefusal {
                status: 403,
                rejection: Rejection {
                    reason: Reason::Unknown("Nope".into()),
                    timestamp_ms: None,
                },
            })
        );
        assert_eq!(
            error.to_string(),
            "403 Nope: APNs gave a reason this version of Push Console does not know; see Apple's documentation"
        );
    }

    #[test]
    fn each_reply_is_described_in_words() {
        let cases = [
            (
                ChannelReply::Created {
                    id: channel(),
                    policy: StoragePolicy::MostRecent,
                },
                format!("created channel {CHANNEL} (most recent stored)"),
            ),
            (
                ChannelReply::Created {
                    id: channel(),
                    policy: StoragePolicy::NoStorage,
                },
                format!("created channel {CHANNEL} (no storage)"),
            ),
            (
                ChannelReply::Channel {
                    id: channel(),
                    policy: Some(StoragePolicy::NoStorage),
                    push_type: None,
                },
                format!("channel {CHANNEL}: no storage"),
            ),
            (
                ChannelReply::Channel {
                    id: channel(),
                    policy: Some(StoragePolicy::MostRecent),
                    push_type: Some("LiveActivity".into()),
                },
                format!("channel {CHANNEL}: most recent stored"),
            ),
            (
                ChannelReply::Channel {
                    id: channel(),
                    policy: None,
                    push_type: Some("LiveActivity".into()),
                },
                format!("channel {CHANNEL}: unknown storage policy"),
            ),
            (ChannelReply::Channels(vec![]), "0 channels".to_owned()),
            (
                ChannelReply::Channels(vec![channel(), channel()]),
                "2 channels".to_owned(),
            ),
            (
                ChannelReply::Channels(vec![channel(); 1234]),
                "1,234 channels".to_owned(),
            ),
            (
                ChannelReply::Deleted(channel()),
                format!("deleted channel {CHANNEL}"),
            ),
            (
                ChannelReply::Broadcast(channel()),
                format!("broadcast accepted on channel {CHANNEL}"),
            ),
        ];
        for (reply, words) in cases {
            assert_eq!(reply.to_string(), words);
        }
    }

    #[test]
    fn a_broadcast_posts_to_the_apps_path_with_its_request_id_first() {
        let request_id: ApnsId = "123e4567-e89b-12d3-a456-426614174000".parse().unwrap();
        let mut broadcast = update_broadcast();
        broadcast.bundle = "com.example.app.push-type.liveactivity".parse().unwrap();
        broadcast.priority = Priority::Immediate;
        broadcast.expiration = Expiration(1_800_000_000);
        broadcast.request_id = Some(request_id);
        assert_eq!(broadcast.path(), "/4/broadcasts/apps/com.example.app");
        assert_eq!(
            broadcast.to_http2_request(),
            Ok(Http2Request {
                method: "POST",
                path: "/4/broadcasts/apps/com.example.app".into(),
                headers: vec![
                    ("apns-request-id", request_id.to_string()),
                    ("apns-channel-id", CHANNEL.to_string()),
                    ("apns-push-type", "liveactivity".to_string()),
                    ("apns-priority", "10".to_string()),
                    ("apns-expiration", "1800000000".to_string()),
                ],
                body: broadcast.payload.to_bytes(),
            })
        );
    }

    #[test]
    fn a_broadcast_is_accepted_only_on_200() {
        let broadcast = update_broadcast();
        assert_eq!(
            broadcast.parse_answer(200, b""),
            Ok(ChannelReply::Broadcast(channel()))
        );
        assert_eq!(
            broadcast.parse_answer(400, br#"{"reason":"BadRequestPayload"}"#),
            Err(ChannelAnswerError::Refused(ChannelRefusal {
                status: 400,
                rejection: Rejection {
                    reason: Reason::BadRequestPayload,
                    timestamp_ms: None,
                },
            }))
        );
        assert_eq!(
            broadcast.parse_answer(201, b""),
            Err(ChannelAnswerError::MalformedBody {
                status: 201,
                excerpt: String::new()
            })
        );
    }

    #[test]
    fn a_broadcast_of_exactly_5120_bytes_is_sent_and_one_more_is_refused() {
        let mut broadcast = update_broadcast();
        // {"pad":""} is 10 bytes.
        broadcast.payload = Payload::builder()
            .custom("pad", serde_json::json!("x".repeat(5110)))
            .build()
            .unwrap();
        assert_eq!(broadcast.payload.size(), 5120);
        assert_eq!(
            broadcast.to_http2_request().unwrap().body,
            broadcast.payload.to_bytes()
        );
        broadcast.payload = Payload::builder()
            .custom("pad", serde_json::json!("x".repeat(5111)))
            .build()
            .unwrap();
        assert_eq!(
            broadcast.to_http2_request(),
            Err(NotificationError::PayloadTooLarge {
                size: 5121,
                limit: "the limit for a broadcast is 5,120".into()
            })
        );
    }
}
