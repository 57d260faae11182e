//! The JSON payload: built key by key or parsed from raw JSON, serialised exactly as sent.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

/// A notification payload: a JSON object with an optional `aps` dictionary and
/// any custom keys beside it. Keys keep the order in which they were written.
///
/// ```
/// use push_console::apns::{Payload, Sound};
/// let payload = Payload::builder()
///     .alert_text("Hello")
///     .badge(0)
///     .sound(Sound::named("default"))
///     .custom("order", serde_json::json!(42))
///     .build()
///     .unwrap();
/// assert_eq!(
///     payload.to_json(),
///     r#"{"aps":{"alert":"Hello","badge":0,"sound":"default"},"order":42}"#
/// );
/// assert_eq!(payload.size(), 64);
/// ```
#[derive(Clone, PartialEq, Debug)]
pub struct Payload {
    root: Map<String, Value>,
}

/// Why a payload could not be built or parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    /// The raw JSON does not parse.
    #[error("the payload is not valid JSON: {message} at line {line}, column {column}")]
    InvalidJson {
        /// serde_json's description of the problem.
        message: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// The JSON parses but is not an object.
    #[error("the payload must be a JSON object like {{\"aps\":{{\"alert\":\"Hi\"}}}}, not {found}")]
    NotAnObject {
        /// What was found instead ("an array", "a string", ...).
        found: &'static str,
    },
    /// `aps` is present but not an object.
    #[error("\"aps\" must be a JSON object, not {found}")]
    ApsNotAnObject {
        /// What was found instead.
        found: &'static str,
    },
    /// A custom key named `aps` would overwrite the aps dictionary.
    #[error("a custom key cannot be named \"aps\"; set aps keys with their own fields")]
    CustomKeyIsAps,
    /// relevance-score outside 0..=1.
    #[error("relevance-score must be between 0 and 1, not {0}")]
    RelevanceScoreOutOfRange(f64),
    /// Critical sound volume outside 0..=1.
    #[error("the critical sound volume must be between 0 and 1, not {0}")]
    VolumeOutOfRange(f64),
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Payload {
    /// Starts a payload key by key.
    pub fn builder() -> PayloadBuilder {
        PayloadBuilder::default()
    }

    /// Parses raw JSON as the user typed it, keeping its key order.
    pub fn from_json(text: &str) -> Result<Self, PayloadError> {
        let value: Value =
            serde_json::from_str(text).map_err(|error| PayloadError::InvalidJson {
                message: describe_json_error(&error),
                line: error.line(),
                column: error.column(),
            })?;
        Self::from_value(value)
    }

    /// Wraps an already parsed JSON value, checking its shape.
    pub fn from_value(value: Value) -> Result<Self, PayloadError> {
        let Value::Object(root) = value else {
            return Err(PayloadError::NotAnObject {
                found: kind_of(&value),
            });
        };
        match root.get("aps") {
            Some(Value::Object(_)) | None => Ok(Self { root }),
            Some(other) => Err(PayloadError::ApsNotAnObject {
                found: kind_of(other),
            }),
        }
    }

    /// The whole JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.root
    }

    /// The `aps` dictionary, if present.
    pub fn aps(&self) -> Option<&Map<String, Value>> {
        self.root.get("aps").and_then(Value::as_object)
    }

    /// Whether `aps` has `key` set.
    pub fn has_aps_key(&self, key: &str) -> bool {
        self.aps().is_some_and(|aps| aps.contains_key(key))
    }

    /// Sets `aps.key`, making `aps` when the payload has none. Returns true; false only
    /// when `aps` is not an object, which [`Payload::from_value`] never lets through.
    pub fn set_aps_key(&mut self, key: &str, value: Value) -> bool {
        match self
            .root
            .entry("aps")
            .or_insert_with(|| Value::Object(Map::new()))
        {
            Value::Object(aps) => {
                aps.insert(key.to_owned(), value);
                true
            }
            _ => false,
        }
    }

    /// The alert body: `aps.alert` when it is a string, else `aps.alert.body`.
    pub fn alert_body(&self) -> Option<&str> {
        match self.aps()?.get("alert")? {
            Value::String(body) => Some(body),
            Value::Object(alert) => alert.get("body")?.as_str(),
            _ => None,
        }
    }

    /// Replaces the alert body where [`Payload::alert_body`] found it. Returns
    /// false, changing nothing, when there is no body to replace.
    pub fn set_alert_body(&mut self, body: String) -> bool {
        let Some(Value::Object(aps)) = self.root.get_mut("aps") else {
            return false;
        };
        match aps.get_mut("alert") {
            Some(Value::String(existing)) => *existing = body,
            Some(Value::Object(alert)) if alert.get("body").is_some_and(Value::is_string) => {
                alert.insert("body".into(), Value::String(body));
            }
            _ => return false,
        }
        true
    }

    /// The exact bytes sent: compact JSON, UTF-8, non-ASCII left unescaped.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_json().into_bytes()
    }

    /// The exact text sent.
    pub fn to_json(&self) -> String {
        // Serialising a map of JSON values cannot fail: its keys are strings and
        // serde_json::Value only holds finite numbers.
        serde_json::to_string(&self.root).unwrap_or_default()
    }

    /// Indented JSON for editing; not what is sent.
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(&self.root).unwrap_or_default()
    }

    /// The size in bytes of what is sent, the figure APNs compares to its limit.
    pub fn size(&self) -> usize {
        self.to_json().len()
    }
}

fn describe_json_error(error: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the position is reported separately.
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// The `alert` dictionary. Empty fields are left out of the JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Alert {
    /// Short title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Secondary title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// The message text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Launch image file name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_image: Option<String>,
    /// Localisation key for the title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_loc_key: Option<String>,
    /// Arguments for the title's format string.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub title_loc_args: Vec<String>,
    /// Localisation key for the subtitle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtitle_loc_key: Option<String>,
    /// Arguments for the subtitle's format string.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subtitle_loc_args: Vec<String>,
    /// Localisation key for the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loc_key: Option<String>,
    /// Arguments for the body's format string.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loc_args: Vec<String>,
    /// Localisation key for the action button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_loc_key: Option<String>,
    /// Legacy: the action button's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Legacy: the summary argument.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary_arg: Option<String>,
    /// Legacy: how many items the notification adds to the summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary_arg_count: Option<u32>,
}

/// The `sound` key: a file name, or a critical-alert dictionary.
#[derive(Clone, Debug, PartialEq)]
pub enum Sound {
    /// A sound file name, or `default`.
    Named(String),
    /// `{"critical":1,"name":"...","volume":0.0-1.0}`.
    Critical {
        /// The sound file name.
        name: String,
        /// Volume from 0 to 1.
        volume: f64,
    },
}

impl Sound {
    /// A sound by file name.
    pub fn named(name: impl Into<String>) -> Self {
        Sound::Named(name.into())
    }

    fn to_value(&self) -> Result<Value, PayloadError> {
        match self {
            Sound::Named(name) => Ok(Value::String(name.clone())),
            Sound::Critical { name, volume } => {
                if !(0.0..=1.0).contains(volume) {
                    return Err(PayloadError::VolumeOutOfRange(*volume));
                }
                Ok(serde_json::json!({"critical": 1, "name": name, "volume": volume}))
            }
        }
    }
}

/// The `interruption-level` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InterruptionLevel {
    /// Added silently to the list.
    Passive,
    /// The default: sound and screen.
    Active,
    /// Breaks through Focus.
    TimeSensitive,
    /// Breaks through mute; needs Apple's entitlement.
    Critical,
}

impl InterruptionLevel {
    /// The JSON value.
    pub fn as_str(self) -> &'static str {
        match self {
            InterruptionLevel::Passive => "passive",
            InterruptionLevel::Active => "active",
            InterruptionLevel::TimeSensitive => "time-sensitive",
            InterruptionLevel::Critical => "critical",
        }
    }
}

/// The Live Activity `event` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LiveActivityEvent {
    /// Start a Live Activity remotely.
    Start,
    /// Update its content state.
    Update,
    /// End it.
    End,
}

impl LiveActivityEvent {
    /// The JSON value.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveActivityEvent::Start => "start",
            LiveActivityEvent::Update => "update",
            LiveActivityEvent::End => "end",
        }
    }
}

/// Builds a [`Payload`] key by key; keys appear in the order the methods are called.
/// Validation errors are kept and reported by [`PayloadBuilder::build`].
#[derive(Default, Debug, Clone)]
pub struct PayloadBuilder {
    aps: Map<String, Value>,
    custom: Map<String, Value>,
    error: Option<PayloadError>,
}

impl PayloadBuilder {
    fn set(mut self, key: &str, value: Value) -> Self {
        self.aps.insert(key.to_owned(), value);
        self
    }

    fn fail(mut self, error: PayloadError) -> Self {
        self.error.get_or_insert(error);
        self
    }

    /// `alert` as a plain string (the body).
    pub fn alert_text(self, body: impl Into<String>) -> Self {
        self.set("alert", Value::String(body.into()))
    }

    /// `alert` as a dictionary.
    pub fn alert(self, alert: Alert) -> Self {
        match serde_json::to_value(alert) {
            Ok(value) => self.set("alert", value),
            // Alert holds only strings, lists of strings and an integer.
            Err(_) => self,
        }
    }

    /// `badge`; 0 clears the badge and is always written.
    pub fn badge(self, badge: u32) -> Self {
        self.set("badge", badge.into())
    }

    /// `sound`.
    pub fn sound(self, sound: Sound) -> Self {
        match sound.to_value() {
            Ok(value) => self.set("sound", value),
            Err(error) => self.fail(error),
        }
    }

    /// `thread-id`, grouping notifications.
    pub fn thread_id(self, id: impl Into<String>) -> Self {
        self.set("thread-id", Value::String(id.into()))
    }

    /// `category`, selecting actions.
    pub fn category(self, category: impl Into<String>) -> Self {
        self.set("category", Value::String(category.into()))
    }

    /// `content-available: 1`, waking the app in the background.
    pub fn content_available(self) -> Self {
        self.set("content-available", 1.into())
    }

    /// `mutable-content: 1`, routing through the service extension.
    pub fn mutable_content(self) -> Self {
        self.set("mutable-content", 1.into())
    }

    /// `target-content-id`, the window to bring forward.
    pub fn target_content_id(self, id: impl Into<String>) -> Self {
        self.set("target-content-id", Value::String(id.into()))
    }

    /// `interruption-level`.
    pub fn interruption_level(self, level: InterruptionLevel) -> Self {
        self.set("interruption-level", level.as_str().into())
    }

    /// `relevance-score`, from 0 to 1.
    pub fn relevance_score(self, score: f64) -> Self {
        match serde_json::Number::from_f64(score) {
            Some(number) if (0.0..=1.0).contains(&score) => {
                self.set("relevance-score", number.into())
            }
            _ => self.fail(PayloadError::RelevanceScoreOutOfRange(score)),
        }
    }

    /// `filter-criteria`, matched against Focus filters.
    pub fn filter_criteria(self, criteria: impl Into<String>) -> Self {
        self.set("filter-criteria", Value::String(criteria.into()))
    }

    /// Live Activity `timestamp`, UNIX seconds.
    pub fn timestamp(self, unix_seconds: u64) -> Self {
        self.set("timestamp", unix_seconds.into())
    }

    /// Live Activity `event`.
    pub fn event(self, event: LiveActivityEvent) -> Self {
        self.set("event", event.as_str().into())
    }

    /// Live Activity `content-state`.
    pub fn content_state(self, state: Value) -> Self {
        self.set("content-state", state)
    }

    /// Live Activity `stale-date`, UNIX seconds.
    pub fn stale_date(self, unix_seconds: u64) -> Self {
        self.set("stale-date", unix_seconds.into())
    }

    /// Live Activity `dismissal-date`, UNIX seconds.
    pub fn dismissal_date(self, unix_seconds: u64) -> Self {
        self.set("dismissal-date", unix_seconds.into())
    }

    /// Live Activity `attributes-type` (for a remote start).
    pub fn attributes_type(self, name: impl Into<String>) -> Self {
        self.set("attributes-type", Value::String(name.into()))
    }

    /// Live Activity `attributes` (for a remote start).
    pub fn attributes(self, attributes: Value) -> Self {
        self.set("attributes", attributes)
    }

    /// Live Activity `input-push-token: 1`, asking for an update token at start.
    pub fn input_push_token(self) -> Self {
        self.set("input-push-token", 1.into())
    }

    /// Live Activity `input-push-channel`, a broadcast channel id.
    pub fn input_push_channel(self, channel: impl Into<String>) -> Self {
        self.set("input-push-channel", Value::String(channel.into()))
    }

    /// Any other `aps` key, for keys newer than this version.
    pub fn aps_key(self, key: impl Into<String>, value: Value) -> Self {
        let key = key.into();
        self.set(&key, value)
    }

    /// A custom key beside `aps`.
    pub fn custom(mut self, key: impl Into<String>, value: Value) -> Self {
        let key = key.into();
        if key == "aps" {
            return self.fail(PayloadError::CustomKeyIsAps);
        }
        self.custom.insert(key, value);
        self
    }

    /// The payload, or the first problem found while building it.
    pub fn build(self) -> Result<Payload, PayloadError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let mut root = Map::new();
        if !self.aps.is_empty() {
            root.insert("aps".into(), Value::Object(self.aps));
        }
        root.extend(self.custom);
        Ok(Payload { root })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_aps_key_serialises_in_call_order() {
        let payload = Payload::builder()
            .alert(Alert {
                title: Some("T".into()),
                subtitle: Some("S".into()),
                body: Some("B".into()),
                launch_image: Some("l.png".into()),
                title_loc_key: Some("TK".into()),
                title_loc_args: vec!["a".into()],
                subtitle_loc_key: Some("SK".into()),
                subtitle_loc_args: vec!["b".into()],
                loc_key: Some("LK".into()),
                loc_args: vec!["c".into(), "d".into()],
                action_loc_key: Some("AK".into()),
                action: Some("Open".into()),
                summary_arg: Some("Ann".into()),
                summary_arg_count: Some(2),
            })
            .badge(0)
            .sound(Sound::Critical {
                name: "alarm.caf".into(),
                volume: 0.5,
            })
            .thread_id("t1")
            .category("INVITE")
            .content_available()
            .mutable_content()
            .target_content_id("w1")
            .interruption_level(InterruptionLevel::TimeSensitive)
            .relevance_score(0.75)
            .filter_criteria("work")
            .build()
            .unwrap();
        assert_eq!(
            payload.to_json(),
            concat!(
                r#"{"aps":{"alert":{"title":"T","subtitle":"S","body":"B","launch-image":"l.png","#,
                r#""title-loc-key":"TK","title-loc-args":["a"],"subtitle-loc-key":"SK","#,
                r#""subtitle-loc-args":["b"],"loc-key":"LK","loc-args":["c","d"],"#,
                r#""action-loc-key":"AK","action":"Open","summary-arg":"Ann","summary-arg-count":2},"#,
                r#""badge":0,"sound":{"critical":1,"name":"alarm.caf","volume":0.5},"#,
                r#""thread-id":"t1","category":"INVITE","content-available":1,"mutable-content":1,"#,
                r#""target-content-id":"w1","interruption-level":"time-sensitive","#,
                r#""relevance-score":0.75,"filter-criteria":"work"}}"#
            )
        );
    }

    #[test]
    fn live_activity_keys() {
        let payload = Payload::builder()
            .timestamp(1_700_000_000)
            .event(LiveActivityEvent::Start)
            .content_state(json!({"score": "1-0"}))
            .stale_date(1_700_000_600)
            .dismissal_date(1_700_003_600)
            .attributes_type("MatchAttributes")
            .attributes(json!({"home": "A"}))
            .input_push_token()
            .input_push_channel("ch1")
            .alert_text("Kick-off")
            .build()
            .unwrap();
        assert_eq!(
            payload.to_json(),
            concat!(
                r#"{"aps":{"timestamp":1700000000,"event":"start","content-state":{"score":"1-0"},"#,
                r#""stale-date":1700000600,"dismissal-date":1700003600,"attributes-type":"MatchAttributes","#,
                r#""attributes":{"home":"A"},"input-push-token":1,"input-push-channel":"ch1","alert":"Kick-off"}}"#
            )
        );
    }

    #[test]
    fn raw_json_keeps_key_order_and_is_compacted() {
        let payload =
            Payload::from_json("{\n  \"z\": 1,\n  \"aps\": { \"sound\": \"a\", \"alert\": \"b\" },\n  \"a\": [1, 2]\n}")
                .unwrap();
        assert_eq!(
            payload.to_json(),
            r#"{"z":1,"aps":{"sound":"a","alert":"b"},"a":[1,2]}"#
        );
        assert_eq!(payload.to_string(), payload.to_json());
        let pretty = payload.to_pretty_json();
        assert!(
            pretty.starts_with("{\n  \"z\": 1,\n  \"aps\": {"),
            "{pretty}"
        );
        assert_eq!(Payload::from_json(&pretty), Ok(payload));
    }

    #[test]
    fn size_counts_utf8_bytes_and_escapes() {
        let payload = Payload::builder().alert_text("é\"\n€😀").build().unwrap();
        // {"aps":{"alert":"é\"\n€😀"}}: 20 bytes of framing, é 2, \" 2, \n 2, € 3, 😀 4.
        assert_eq!(payload.to_json(), "{\"aps\":{\"alert\":\"é\\\"\\n€😀\"}}");
        assert_eq!(payload.size(), 20 + 2 + 2 + 2 + 3 + 4);
        let control = Payload::builder().alert_text("\u{1}").build().unwrap();
        assert_eq!(control.to_json(), r#"{"aps":{"alert":"\u0001"}}"#);
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let err = Payload::from_json("{\n  \"aps\": {\"alert\": \"x\",}\n}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the payload is not valid JSON: trailing comma at line 2, column 24",
            "the position is said once"
        );
        match err {
            PayloadError::InvalidJson { line, column, .. } => {
                assert_eq!((line, column), (2, 24));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            Payload::from_json("[1]").unwrap_err(),
            PayloadError::NotAnObject { found: "an array" }
        );
        assert_eq!(
            Payload::from_json(r#"{"aps":"hi"}"#).unwrap_err(),
            PayloadError::ApsNotAnObject { found: "a string" }
        );
    }

    #[test]
    fn an_aps_key_newer_than_this_version_is_kept_where_it_was_set() {
        let payload = Payload::builder()
            .alert_text("a")
            .aps_key("future-key", json!(1))
            .build()
            .unwrap();
        assert_eq!(payload.to_json(), r#"{"aps":{"alert":"a","future-key":1}}"#);
    }

    #[test]
    fn builder_rejects_out_of_range_values() {
        assert_eq!(
            Payload::builder().relevance_score(1.5).build(),
            Err(PayloadError::RelevanceScoreOutOfRange(1.5))
        );
        assert_eq!(
            Payload::builder()
                .sound(Sound::Critical {
                    name: "a".into(),
                    volume: 2.0
                })
                .build(),
            Err(PayloadError::VolumeOutOfRange(2.0))
        );
        assert_eq!(
            Payload::builder().custom("aps", json!(1)).build(),
            Err(PayloadError::CustomKeyIsAps)
        );
    }

    #[test]
    fn alert_body_is_found_in_string_or_dict() {
        let mut text = Payload::from_json(r#"{"aps":{"alert":"hi"}}"#).unwrap();
        assert_eq!(text.alert_body(), Some("hi"));
        assert!(text.set_alert_body("yo".into()));
        assert_eq!(text.to_json(), r#"{"aps":{"alert":"yo"}}"#);
        let dict = Payload::from_json(r#"{"aps":{"alert":{"title":"t","body":"b"}}}"#).unwrap();
        assert_eq!(dict.alert_body(), Some("b"));
        for without_text_body in [
            r#"{"aps":{"alert":{"title":"t"}}}"#,
            r#"{"aps":{"alert":{"title":"t","body":5}}}"#,
        ] {
            let mut payload = Payload::from_json(without_text_body).unwrap();
            assert!(!payload.set_alert_body("x".into()), "{without_text_body}");
            assert_eq!(payload.to_json(), without_text_body, "unchanged");
        }
        let mut none = Payload::from_json(r#"{"aps":{"badge":1}}"#).unwrap();
        assert_eq!(none.alert_body(), None);
        assert!(!none.set_alert_body("x".into()));
    }
}
