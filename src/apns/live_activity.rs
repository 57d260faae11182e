//! The rules of a Live Activity payload that APNs does not check but a device does: a
//! push that breaks one is accepted with 200 and then dropped on the device without a word.

use std::fmt;

use serde_json::Value;

use super::{Alert, ChannelId, LiveActivityEvent, Payload, PayloadError, Severity, Sound};

/// An update whose `timestamp` is older than this when sent is likely dropped: the device
/// keeps the newest state it has, and a hand-typed timestamp goes stale fast.
pub const STALE_TIMESTAMP_SECS: u64 = 60;

/// A `timestamp` above this is in milliseconds, not the seconds ActivityKit reads (it is
/// the year 5138 in seconds).
const MILLISECONDS_THRESHOLD: u64 = 100_000_000_000;

/// Why a Live Activity payload will not do what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveActivityProblem {
    /// No `event` key.
    MissingEvent,
    /// An `event` other than start, update or end.
    UnknownEvent(String),
    /// No `timestamp` key.
    MissingTimestamp,
    /// A date key that is not a whole number of seconds.
    NotSeconds(&'static str),
    /// A `timestamp` written in milliseconds.
    TimestampInMilliseconds,
    /// A `timestamp` older than [`STALE_TIMESTAMP_SECS`] at the time of sending.
    StaleTimestamp {
        /// Its age in seconds.
        age_secs: u64,
    },
    /// A start or update without `content-state` (for end it is a warning).
    MissingContentState(LiveActivityEvent),
    /// A start without `attributes-type`, `attributes` or `alert` (Apple requires all three).
    StartWithout(&'static str),
    /// Both `input-push-token` and `input-push-channel`.
    BothInputs,
    /// `input-push-token` or `input-push-channel` on an update or end.
    InputOutsideStart(&'static str),
    /// `dismissal-date` on a start or update.
    DismissalWithoutEnd,
    /// `stale-date` already past.
    DateInThePast(&'static str),
}

impl LiveActivityProblem {
    /// Error when the push cannot work as written; warning when it may.
    pub fn severity(&self) -> Severity {
        match self {
            LiveActivityProblem::MissingEvent
            | LiveActivityProblem::UnknownEvent(_)
            | LiveActivityProblem::MissingTimestamp
            | LiveActivityProblem::NotSeconds(_)
            | LiveActivityProblem::StartWithout(_)
            | LiveActivityProblem::BothInputs => Severity::Error,
            LiveActivityProblem::MissingContentState(event) if *event != LiveActivityEvent::End => {
                Severity::Error
            }
            _ => Severity::Warning,
        }
    }
}

impl fmt::Display for LiveActivityProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveActivityProblem::MissingEvent => f.write_str(
                "a Live Activity push needs \"event\" in aps: \"start\", \"update\" or \"end\"",
            ),
            LiveActivityProblem::UnknownEvent(event) => write!(
                f,
                "the event {event:?} is not one ActivityKit knows; use \"start\", \"update\" or \"end\""
            ),
            LiveActivityProblem::MissingTimestamp => f.write_str(
                "a Live Activity push needs \"timestamp\" (UNIX seconds); the device ignores one without it",
            ),
            LiveActivityProblem::NotSeconds(key) => {
                write!(f, "\"{key}\" must be a whole number of UNIX seconds")
            }
            LiveActivityProblem::TimestampInMilliseconds => f.write_str(
                "\"timestamp\" looks like milliseconds; ActivityKit reads UNIX seconds",
            ),
            LiveActivityProblem::StaleTimestamp { age_secs } => write!(
                f,
                "\"timestamp\" is {age_secs} s old; a device drops an update older than the state it shows. Leave it out and it is set to the send time"
            ),
            LiveActivityProblem::MissingContentState(event) => write!(
                f,
                "{} {} event without \"content-state\" {}",
                if *event == LiveActivityEvent::Start { "a" } else { "an" },
                event.as_str(),
                if *event == LiveActivityEvent::End {
                    "ends the activity showing its last state; send the final state to show that instead"
                } else {
                    "is dropped by the device; send the activity's ContentState as JSON"
                }
            ),
            LiveActivityProblem::StartWithout(key) => write!(
                f,
                "a remote start needs \"{key}\" ({})",
                match *key {
                    "alert" => "Apple requires an alert to start an activity",
                    "attributes-type" => "the name of the activity's ActivityAttributes type",
                    _ => "the activity's static attributes as JSON",
                }
            ),
            LiveActivityProblem::BothInputs => f.write_str(
                "\"input-push-token\" and \"input-push-channel\" exclude each other: ask for an update token or subscribe to a channel",
            ),
            LiveActivityProblem::InputOutsideStart(key) => {
                write!(f, "\"{key}\" only means something on a start event")
            }
            LiveActivityProblem::DismissalWithoutEnd => {
                f.write_str("\"dismissal-date\" only applies to an end event")
            }
            LiveActivityProblem::DateInThePast(key) => {
                write!(f, "\"{key}\" is already in the past")
            }
        }
    }
}

/// A date key's value in UNIX seconds; `Err` names the key when it is not a whole number.
fn seconds(
    aps: &serde_json::Map<String, Value>,
    key: &'static str,
) -> Result<Option<u64>, LiveActivityProblem> {
    match aps.get(key) {
        None => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or(LiveActivityProblem::NotSeconds(key)),
    }
}

/// The `event` of a Live Activity payload, when it names a known one.
pub fn live_activity_event(payload: &Payload) -> Option<LiveActivityEvent> {
    match payload.aps()?.get("event")?.as_str()? {
        "start" => Some(LiveActivityEvent::Start),
        "update" => Some(LiveActivityEvent::Update),
        "end" => Some(LiveActivityEvent::End),
        _ => None,
    }
}

/// Checks a Live Activity payload as it would be sent at `now` (UNIX seconds).
///
/// ```
/// use push_console::apns::{Payload, LiveActivityProblem, check_live_activity};
/// let update = Payload::from_json(r#"{"aps":{"event":"update","timestamp":1000,"content-state":{}}}"#).unwrap();
/// assert_eq!(check_live_activity(&update, 1030), []);
/// assert_eq!(check_live_activity(&update, 2000), [LiveActivityProblem::StaleTimestamp { age_secs: 1000 }]);
/// ```
pub fn check_live_activity(payload: &Payload, now: u64) -> Vec<LiveActivityProblem> {
    let empty = serde_json::Map::new();
    let aps = payload.aps().unwrap_or(&empty);
    let mut problems = Vec::new();
    let event = match aps.get("event") {
        None => {
            problems.push(LiveActivityProblem::MissingEvent);
            None
        }
        Some(value) => {
            let event = live_activity_event(payload);
            if event.is_none() {
                problems.push(LiveActivityProblem::UnknownEvent(match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                }));
            }
            event
        }
    };
    match seconds(aps, "timestamp") {
        Ok(None) => problems.push(LiveActivityProblem::MissingTimestamp),
        Ok(Some(timestamp)) if timestamp >= MILLISECONDS_THRESHOLD => {
            problems.push(LiveActivityProblem::TimestampInMilliseconds)
        }
        Ok(Some(timestamp)) if now.saturating_sub(timestamp) > STALE_TIMESTAMP_SECS => problems
            .push(LiveActivityProblem::StaleTimestamp {
                age_secs: now - timestamp,
            }),
        Ok(Some(_)) => {}
        Err(problem) => problems.push(problem),
    }
    match seconds(aps, "stale-date") {
        Ok(Some(date)) if date < now => {
            problems.push(LiveActivityProblem::DateInThePast("stale-date"))
        }
        Ok(_) => {}
        Err(problem) => problems.push(problem),
    }
    // A past dismissal date is how an end dismisses at once, so only its form is checked.
    if let Err(problem) = seconds(aps, "dismissal-date") {
        problems.push(problem);
    }
    let Some(event) = event else {
        return problems;
    };
    if !aps.contains_key("content-state") {
        problems.push(LiveActivityProblem::MissingContentState(event));
    }
    let inputs = ["input-push-token", "input-push-channel"];
    if event == LiveActivityEvent::Start {
        for key in ["attributes-type", "attributes", "alert"] {
            if !aps.contains_key(key) {
                problems.push(LiveActivityProblem::StartWithout(key));
            }
        }
        if inputs.iter().all(|key| aps.contains_key(*key)) {
            problems.push(LiveActivityProblem::BothInputs);
        }
    } else {
        for key in inputs {
            if aps.contains_key(key) {
                problems.push(LiveActivityProblem::InputOutsideStart(key));
            }
        }
    }
    if event != LiveActivityEvent::End && aps.contains_key("dismissal-date") {
        problems.push(LiveActivityProblem::DismissalWithoutEnd);
    }
    problems
}

/// Sets `aps.timestamp` to `now` unless the payload has one: what every front end does
/// for a Live Activity push, so that it is never stale by the time it leaves. Returns
/// whether it was set.
pub fn fill_live_activity_timestamp(payload: &mut Payload, now: u64) -> bool {
    if payload.has_aps_key("timestamp") {
        return false;
    }
    payload.set_aps_key("timestamp", now.into())
}

/// What a remote start asks the new activity to listen on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActivityInput {
    /// `input-push-token: 1`: hand out an update token for this activity.
    PushToken,
    /// `input-push-channel`: subscribe it to a broadcast channel.
    Channel(ChannelId),
}

/// The keys only a start carries.
#[derive(Clone, Debug, PartialEq)]
pub struct StartKeys {
    /// `attributes-type`: the ActivityAttributes type's name.
    pub attributes_type: String,
    /// `attributes`: the static attributes.
    pub attributes: serde_json::Value,
    /// An update token or a channel, if asked for.
    pub input: Option<ActivityInput>,
}

/// A Live Activity push as front ends describe it, before it is JSON: what the CLI's
/// `activity` flags and the app's workbench both fill.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveActivityPush {
    /// start, update or end.
    pub event: LiveActivityEvent,
    /// `content-state`.
    pub content_state: Option<serde_json::Value>,
    /// `alert`, shown with the push.
    pub alert: Option<Alert>,
    /// `sound`.
    pub sound: Option<String>,
    /// `stale-date`, UNIX seconds.
    pub stale_date: Option<u64>,
    /// `dismissal-date`, UNIX seconds (end).
    pub dismissal_date: Option<u64>,
    /// `relevance-score`.
    pub relevance_score: Option<f64>,
    /// `timestamp`, UNIX seconds; `None` leaves it to the engine, which sets the send time.
    pub timestamp: Option<u64>,
    /// For a start.
    pub start: Option<StartKeys>,
}

impl LiveActivityPush {
    /// A push of `event` with nothing else set.
    pub fn new(event: LiveActivityEvent) -> Self {
        Self {
            event,
            content_state: None,
            alert: None,
            sound: None,
            stale_date: None,
            dismissal_date: None,
            relevance_score: None,
            timestamp: None,
            start: None,
        }
    }

    /// The payload, keys in the order Apple's examples give them.
    pub fn payload(&self) -> Result<Payload, PayloadError> {
        let mut builder = Payload::builder().event(self.event);
        if let Some(timestamp) = self.timestamp {
            builder = builder.timestamp(timestamp);
        }
        if let Some(state) = &self.content_state {
            builder = builder.content_state(state.clone());
        }
        if let Some(start) = &self.start {
            builder = builder
                .attributes_type(start.attributes_type.clone())
                .attributes(start.attributes.clone());
            builder = match &start.input {
                Some(ActivityInput::PushToken) => builder.input_push_token(),
                Some(ActivityInput::Channel(channel)) => {
                    builder.input_push_channel(channel.to_string())
                }
                None => builder,
            };
        }
        if let Some(alert) = &self.alert {
            builder = builder.alert(alert.clone());
        }
        if let Some(sound) = &self.sound {
            builder = builder.sound(Sound::named(sound));
        }
        if let Some(date) = self.stale_date {
            builder = builder.stale_date(date);
        }
        if let Some(date) = self.dismissal_date {
            builder = builder.dismissal_date(date);
        }
        if let Some(score) = self.relevance_score {
            builder = builder.relevance_score(score);
        }
        builder.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn problems(json: &str) -> Vec<LiveActivityProblem> {
        check_live_activity(&Payload::from_json(json).unwrap(), NOW)
    }

    #[test]
    fn a_complete_start_update_and_end_pass() {
        let start = format!(
            r#"{{"aps":{{"event":"start","timestamp":{NOW},"attributes-type":"Match","attributes":{{}},"content-state":{{}},"alert":{{"title":"Kick-off"}},"input-push-token":1}}}}"#
        );
        assert_eq!(problems(&start), []);
        let update = format!(
            r#"{{"aps":{{"event":"update","timestamp":{NOW},"content-state":{{"score":1}},"stale-date":{}}}}}"#,
            NOW + 60
        );
        assert_eq!(problems(&update), []);
        let end = format!(
            r#"{{"aps":{{"event":"end","timestamp":{NOW},"content-state":{{}},"dismissal-date":{}}}}}"#,
            NOW + 600
        );
        assert_eq!(problems(&end), []);
    }

    #[test]
    fn missing_and_unknown_keys_are_named() {
        assert_eq!(
            problems(r#"{"aps":{}}"#),
            [
                LiveActivityProblem::MissingEvent,
                LiveActivityProblem::MissingTimestamp
            ]
        );
        let unknown = problems(&format!(
            r#"{{"aps":{{"event":"pause","timestamp":{NOW}}}}}"#
        ));
        assert_eq!(unknown, [LiveActivityProblem::UnknownEvent("pause".into())]);
        assert_eq!(unknown[0].severity(), Severity::Error);
        let start = problems(&format!(
            r#"{{"aps":{{"event":"start","timestamp":{NOW}}}}}"#
        ));
        assert_eq!(
            start,
            [
                LiveActivityProblem::MissingContentState(LiveActivityEvent::Start),
                LiveActivityProblem::StartWithout("attributes-type"),
                LiveActivityProblem::StartWithout("attributes"),
                LiveActivityProblem::StartWithout("alert"),
            ]
        );
        let end = problems(&format!(r#"{{"aps":{{"event":"end","timestamp":{NOW}}}}}"#));
        assert_eq!(end[0].severity(), Severity::Warning, "{}", end[0]);
    }

    #[test]
    fn timestamps_must_be_fresh_seconds() {
        let stale = problems(&format!(
            r#"{{"aps":{{"event":"update","timestamp":{},"content-state":{{}}}}}}"#,
            NOW - 61
        ));
        assert_eq!(
            stale,
            [LiveActivityProblem::StaleTimestamp { age_secs: 61 }]
        );
        assert!(stale[0].to_string().contains("61 s old"), "{}", stale[0]);
        let fresh = problems(&format!(
            r#"{{"aps":{{"event":"update","timestamp":{},"content-state":{{}}}}}}"#,
            NOW - 60
        ));
        assert_eq!(fresh, []);
        let millis = problems(&format!(
            r#"{{"aps":{{"event":"update","timestamp":{},"content-state":{{}}}}}}"#,
            NOW * 1000
        ));
        assert_eq!(millis, [LiveActivityProblem::TimestampInMilliseconds]);
        let text = problems(r#"{"aps":{"event":"update","timestamp":"now","content-state":{}}}"#);
        assert_eq!(text, [LiveActivityProblem::NotSeconds("timestamp")]);
    }

    #[test]
    fn inputs_and_dates_belong_to_their_events() {
        let both = problems(&format!(
            r#"{{"aps":{{"event":"start","timestamp":{NOW},"attributes-type":"A","attributes":{{}},"content-state":{{}},"alert":"Go","input-push-token":1,"input-push-channel":"Y2g="}}}}"#
        ));
        assert_eq!(both, [LiveActivityProblem::BothInputs]);
        let update = problems(&format!(
            r#"{{"aps":{{"event":"update","timestamp":{NOW},"content-state":{{}},"input-push-token":1,"dismissal-date":{},"stale-date":{}}}}}"#,
            NOW + 10,
            NOW - 10
        ));
        assert_eq!(
            update,
            [
                LiveActivityProblem::DateInThePast("stale-date"),
                LiveActivityProblem::InputOutsideStart("input-push-token"),
                LiveActivityProblem::DismissalWithoutEnd,
            ]
        );
    }

    #[test]
    fn a_described_start_becomes_a_payload_that_passes_the_rules() {
        let mut start = LiveActivityPush::new(LiveActivityEvent::Start);
        start.content_state = Some(serde_json::json!({"score": 0}));
        start.alert = Some(Alert {
            title: Some("Kick-off".into()),
            ..Alert::default()
        });
        start.start = Some(StartKeys {
            attributes_type: "Match".into(),
            attributes: serde_json::json!({"home": "Lyon"}),
            input: Some(ActivityInput::Channel("Y2g=".parse().unwrap())),
        });
        let mut payload = start.payload().unwrap();
        assert_eq!(
            payload.to_json(),
            r#"{"aps":{"event":"start","content-state":{"score":0},"attributes-type":"Match","attributes":{"home":"Lyon"},"input-push-channel":"Y2g=","alert":{"title":"Kick-off"}}}"#
        );
        fill_live_activity_timestamp(&mut payload, NOW);
        assert_eq!(check_live_activity(&payload, NOW), []);
    }

    #[test]
    fn the_timestamp_is_filled_only_when_absent() {
        let mut payload = Payload::from_json(r#"{"aps":{"event":"update"}}"#).unwrap();
        assert!(fill_live_activity_timestamp(&mut payload, NOW));
        assert_eq!(
            payload.to_json(),
            format!(r#"{{"aps":{{"event":"update","timestamp":{NOW}}}}}"#)
        );
        assert!(!fill_live_activity_timestamp(&mut payload, NOW + 5));
        let mut no_aps = Payload::from_json(r#"{"custom":1}"#).unwrap();
        assert!(fill_live_activity_timestamp(&mut no_aps, NOW));
        assert!(no_aps.has_aps_key("timestamp"));
    }

    #[test]
    fn what_cannot_work_is_an_error_and_what_may_is_a_warning() {
        let errors = [
            LiveActivityProblem::MissingEvent,
            LiveActivityProblem::UnknownEvent("pause".into()),
            LiveActivityProblem::MissingTimestamp,
            LiveActivityProblem::NotSeconds("timestamp"),
            LiveActivityProblem::MissingContentState(LiveActivityEvent::Start),
            LiveActivityProblem::MissingContentState(LiveActivityEvent::Update),
            LiveActivityProblem::StartWithout("alert"),
            LiveActivityProblem::BothInputs,
        ];
        for problem in errors {
            assert_eq!(problem.severity(), Severity::Error, "{problem}");
        }
        let warnings = [
            LiveActivityProblem::TimestampInMilliseconds,
            LiveActivityProblem::StaleTimestamp { age_secs: 61 },
            LiveActivityProblem::MissingContentState(LiveActivityEvent::End),
            LiveActivityProblem::InputOutsideStart("input-push-token"),
            LiveActivityProblem::DismissalWithoutEnd,
            LiveActivityProblem::DateInThePast("stale-date"),
        ];
        for problem in warnings {
            assert_eq!(problem.severity(), Severity::Warning, "{problem}");
        }
    }

    #[test]
    fn each_problem_says_what_to_change() {
        let cases = [
            (
                LiveActivityProblem::MissingEvent,
                r#"a Live Activity push needs "event" in aps: "start", "update" or "end""#,
            ),
            (
                LiveActivityProblem::UnknownEvent("pause".into()),
                r#"the event "pause" is not one ActivityKit knows; use "start", "update" or "end""#,
            ),
            (
                LiveActivityProblem::MissingTimestamp,
                r#"a Live Activity push needs "timestamp" (UNIX seconds); the device ignores one without it"#,
            ),
            (
                LiveActivityProblem::NotSeconds("stale-date"),
                r#""stale-date" must be a whole number of UNIX seconds"#,
            ),
            (
                LiveActivityProblem::TimestampInMilliseconds,
                r#""timestamp" looks like milliseconds; ActivityKit reads UNIX seconds"#,
            ),
            (
                LiveActivityProblem::StaleTimestamp { age_secs: 61 },
                r#""timestamp" is 61 s old; a device drops an update older than the state it shows. Leave it out and it is set to the send time"#,
            ),
            (
                LiveActivityProblem::MissingContentState(LiveActivityEvent::Start),
                r#"a start event without "content-state" is dropped by the device; send the activity's ContentState as JSON"#,
            ),
            (
                LiveActivityProblem::MissingContentState(LiveActivityEvent::Update),
                r#"an update event without "content-state" is dropped by the device; send the activity's ContentState as JSON"#,
            ),
            (
                LiveActivityProblem::MissingContentState(LiveActivityEvent::End),
                r#"an end event without "content-state" ends the activity showing its last state; send the final state to show that instead"#,
            ),
            (
                LiveActivityProblem::StartWithout("alert"),
                r#"a remote start needs "alert" (Apple requires an alert to start an activity)"#,
            ),
            (
                LiveActivityProblem::StartWithout("attributes-type"),
                r#"a remote start needs "attributes-type" (the name of the activity's ActivityAttributes type)"#,
            ),
            (
                LiveActivityProblem::StartWithout("attributes"),
                r#"a remote start needs "attributes" (the activity's static attributes as JSON)"#,
            ),
            (
                LiveActivityProblem::BothInputs,
                r#""input-push-token" and "input-push-channel" exclude each other: ask for an update token or subscribe to a channel"#,
            ),
            (
                LiveActivityProblem::InputOutsideStart("input-push-channel"),
                r#""input-push-channel" only means something on a start event"#,
            ),
            (
                LiveActivityProblem::DismissalWithoutEnd,
                r#""dismissal-date" only applies to an end event"#,
            ),
            (
                LiveActivityProblem::DateInThePast("stale-date"),
                r#""stale-date" is already in the past"#,
            ),
        ];
        for (problem, words) in cases {
            assert_eq!(problem.to_string(), words);
        }
    }

    #[test]
    fn the_event_is_read_only_when_it_is_a_known_string_in_aps() {
        let event = |json: &str| live_activity_event(&Payload::from_json(json).unwrap());
        assert_eq!(
            event(r#"{"aps":{"event":"start"}}"#),
            Some(LiveActivityEvent::Start)
        );
        assert_eq!(
            event(r#"{"aps":{"event":"update"}}"#),
            Some(LiveActivityEvent::Update)
        );
        assert_eq!(
            event(r#"{"aps":{"event":"end"}}"#),
            Some(LiveActivityEvent::End)
        );
        assert_eq!(event(r#"{"aps":{"event":"Start"}}"#), None);
        assert_eq!(event(r#"{"aps":{"event":1}}"#), None);
        assert_eq!(event(r#"{"aps":{}}"#), None);
        assert_eq!(event(r#"{"event":"start"}"#), None);
    }

    #[test]
    fn an_event_that_is_not_a_string_is_named_as_json() {
        assert_eq!(
            problems(&format!(r#"{{"aps":{{"event":1,"timestamp":{NOW}}}}}"#)),
            [LiveActivityProblem::UnknownEvent("1".into())]
        );
        assert_eq!(
            problems(&format!(r#"{{"aps":{{"event":null,"timestamp":{NOW}}}}}"#)),
            [LiveActivityProblem::UnknownEvent("null".into())]
        );
        assert_eq!(
            problems(r#"{"custom":1}"#),
            [
                LiveActivityProblem::MissingEvent,
                LiveActivityProblem::MissingTimestamp
            ]
        );
    }

    #[test]
    fn dates_are_checked_even_without_a_known_event() {
        assert_eq!(
            problems(r#"{"aps":{"event":"pause","stale-date":1,"dismissal-date":"x"}}"#),
            [
                LiveActivityProblem::UnknownEvent("pause".into()),
                LiveActivityProblem::MissingTimestamp,
                LiveActivityProblem::DateInThePast("stale-date"),
                LiveActivityProblem::NotSeconds("dismissal-date"),
            ]
        );
    }

    #[test]
    fn a_timestamp_from_100_billion_up_is_read_as_milliseconds() {
        let at = |timestamp: &str| {
            problems(&format!(
                r#"{{"aps":{{"event":"update","timestamp":{timestamp},"content-state":{{}}}}}}"#
            ))
        };
        assert_eq!(
            at("100000000000"),
            [LiveActivityProblem::TimestampInMilliseconds]
        );
        assert_eq!(at("99999999999"), []);
        assert_eq!(
            at(&(NOW + 3600).to_string()),
            [],
            "a later time is not stale"
        );
        assert_eq!(at("1.5"), [LiveActivityProblem::NotSeconds("timestamp")]);
        assert_eq!(at("-1"), [LiveActivityProblem::NotSeconds("timestamp")]);
    }

    #[test]
    fn a_stale_date_is_past_only_before_now() {
        let with_stale_date = |date: &str| {
            problems(&format!(
                r#"{{"aps":{{"event":"update","timestamp":{NOW},"content-state":{{}},"stale-date":{date}}}}}"#
            ))
        };
        assert_eq!(with_stale_date(&NOW.to_string()), []);
        assert_eq!(
            with_stale_date(&(NOW - 1).to_string()),
            [LiveActivityProblem::DateInThePast("stale-date")]
        );
        assert_eq!(
            with_stale_date(r#""soon""#),
            [LiveActivityProblem::NotSeconds("stale-date")]
        );
    }

    #[test]
    fn a_past_dismissal_date_ends_at_once_but_must_be_seconds() {
        let end = |date: &str| {
            problems(&format!(
                r#"{{"aps":{{"event":"end","timestamp":{NOW},"content-state":{{}},"dismissal-date":{date}}}}}"#
            ))
        };
        assert_eq!(end("1"), []);
        assert_eq!(
            end(r#""now""#),
            [LiveActivityProblem::NotSeconds("dismissal-date")]
        );
        let start = problems(&format!(
            r#"{{"aps":{{"event":"start","timestamp":{NOW},"attributes-type":"A","attributes":{{}},"content-state":{{}},"alert":"Go","dismissal-date":{NOW}}}}}"#
        ));
        assert_eq!(start, [LiveActivityProblem::DismissalWithoutEnd]);
    }

    #[test]
    fn an_end_may_ask_for_neither_input() {
        let end = problems(&format!(
            r#"{{"aps":{{"event":"end","timestamp":{NOW},"content-state":{{}},"input-push-token":1,"input-push-channel":"Y2g="}}}}"#
        ));
        assert_eq!(
            end,
            [
                LiveActivityProblem::InputOutsideStart("input-push-token"),
                LiveActivityProblem::InputOutsideStart("input-push-channel"),
            ]
        );
        let update = problems(&format!(
            r#"{{"aps":{{"event":"update","timestamp":{NOW},"input-push-channel":"Y2g="}}}}"#
        ));
        assert_eq!(
            update,
            [
                LiveActivityProblem::MissingContentState(LiveActivityEvent::Update),
                LiveActivityProblem::InputOutsideStart("input-push-channel"),
            ]
        );
    }

    #[test]
    fn a_described_update_writes_every_key_it_has() {
        assert_eq!(
            LiveActivityPush::new(LiveActivityEvent::End)
                .payload()
                .unwrap()
                .to_json(),
            r#"{"aps":{"event":"end"}}"#
        );
        let mut update = LiveActivityPush::new(LiveActivityEvent::Update);
        update.timestamp = Some(NOW);
        update.content_state = Some(serde_json::json!({"score": 2}));
        update.alert = Some(Alert {
            body: Some("Goal".into()),
            ..Alert::default()
        });
        update.sound = Some("goal.caf".into());
        update.stale_date = Some(NOW + 600);
        update.dismissal_date = Some(NOW + 900);
        update.relevance_score = Some(0.5);
        assert_eq!(
            update.payload().unwrap().to_json(),
            concat!(
                r#"{"aps":{"event":"update","timestamp":1800000000,"content-state":{"score":2},"#,
                r#""alert":{"body":"Goal"},"sound":"goal.caf","stale-date":1800000600,"#,
                r#""dismissal-date":1800000900,"relevance-score":0.5}}"#
            )
        );
        update.relevance_score = Some(1.5);
        assert_eq!(
            update.payload(),
            Err(PayloadError::RelevanceScoreOutOfRange(1.5))
        );
    }

    #[test]
    fn a_described_start_asks_for_a_push_token_or_nothing() {
        let mut start = LiveActivityPush::new(LiveActivityEvent::Start);
        start.start = Some(StartKeys {
            attributes_type: "Match".into(),
            attributes: serde_json::json!({}),
            input: Some(ActivityInput::PushToken),
        });
        assert_eq!(
            start.payload().unwrap().to_json(),
            r#"{"aps":{"event":"start","attributes-type":"Match","attributes":{},"input-push-token":1}}"#
        );
        start.start = Some(StartKeys {
            attributes_type: "Match".into(),
            attributes: serde_json::json!({}),
            input: None,
        });
        assert_eq!(
            start.payload().unwrap().to_json(),
            r#"{"aps":{"event":"start","attributes-type":"Match","attributes":{}}}"#
        );
    }
}
