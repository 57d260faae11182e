//! Warnings about a notification that APNs would accept but that will likely
//! not do what the user wants, or that APNs will refuse.

use std::fmt;

use super::limit::group_thousands;
use super::{
    Broadcast, Expiration, LiveActivityEvent, LiveActivityProblem, Notification, PayloadLimit,
    Priority, PushType, StoragePolicy, Transport, check_live_activity, live_activity_event,
};

/// How the provider authenticates, which changes what is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthKind {
    /// A TLS client certificate.
    Certificate,
    /// A provider token (JWT from a .p8 key).
    Token,
}

impl AuthKind {
    /// `certificate` or `token`, as the history and `--json` write it.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Certificate => "certificate",
            AuthKind::Token => "token",
        }
    }
}

/// How serious a lint is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Likely a mistake; the push may still go through.
    Warning,
    /// APNs will refuse it.
    Error,
}

/// One finding, with a message that says what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lint {
    /// The topic's suffix does not match the push type.
    TopicSuffixMismatch {
        /// The topic as set.
        topic: String,
        /// The topic APNs expects for the push type.
        expected: String,
        /// The push type.
        push_type: PushType,
    },
    /// A background push with priority 10.
    BackgroundWithImmediatePriority,
    /// A background push whose payload lacks content-available.
    BackgroundWithoutContentAvailable,
    /// A Live Activity or location push authenticated with a certificate.
    NeedsTokenAuth(PushType),
    /// A push-to-talk push without priority 10 or expiration 0, which Apple asks for.
    PushToTalkNotImmediate,
    /// A Live Activity payload a device would drop.
    LiveActivity(LiveActivityProblem),
    /// A widgets push without `"content-changed": true`.
    WidgetsWithoutContentChanged,
    /// A broadcast with `event: start`: activities start only by push-to-start token.
    BroadcastCannotStart,
    /// A broadcast with an expiration other than 0 to a channel that stores nothing.
    ExpirationOnNoStorageChannel,
    /// The token is not 32 bytes.
    UnusualTokenLength(String),
    /// The payload uses 90 % or more of its limit.
    PayloadNearLimit {
        /// Size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The payload is over its limit.
    PayloadOverLimit {
        /// Size in bytes.
        size: usize,
        /// The limit, described.
        limit: String,
    },
    /// Token auth without a topic.
    MissingTopicWithToken,
    /// An alert push that shows nothing.
    AlertWithNothingToShow,
}

impl Lint {
    /// Whether APNs would refuse the push, or it is merely suspicious.
    pub fn severity(&self) -> Severity {
        match self {
            Lint::NeedsTokenAuth(_)
            | Lint::BroadcastCannotStart
            | Lint::ExpirationOnNoStorageChannel
            | Lint::PayloadOverLimit { .. }
            | Lint::MissingTopicWithToken => Severity::Error,
            Lint::LiveActivity(problem) => problem.severity(),
            _ => Severity::Warning,
        }
    }

    /// The field the finding is about, so a form can show it beside that field.
    pub fn field(&self) -> &'static str {
        match self {
            Lint::TopicSuffixMismatch { .. } | Lint::MissingTopicWithToken => "topic",
            Lint::BackgroundWithImmediatePriority | Lint::PushToTalkNotImmediate => "priority",
            Lint::BackgroundWithoutContentAvailable
            | Lint::AlertWithNothingToShow
            | Lint::LiveActivity(_)
            | Lint::WidgetsWithoutContentChanged
            | Lint::BroadcastCannotStart => "payload",
            Lint::ExpirationOnNoStorageChannel => "expiration",
            Lint::NeedsTokenAuth(_) => "identity",
            Lint::UnusualTokenLength(_) => "token",
            Lint::PayloadNearLimit { .. } | Lint::PayloadOverLimit { .. } => "payload",
        }
    }
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lint::TopicSuffixMismatch {
                topic,
                expected,
                push_type,
            } => write!(
                f,
                "the topic {topic} does not suit a {push_type} push; APNs expects {expected}"
            ),
            Lint::BackgroundWithImmediatePriority => f.write_str(
                "a background push must have priority 5; APNs refuses priority 10 for it",
            ),
            Lint::BackgroundWithoutContentAvailable => f.write_str(
                "a background push needs \"content-available\": 1 in aps, or the app is not woken",
            ),
            Lint::NeedsTokenAuth(push_type) => write!(
                f,
                "{} pushes need token auth (a .p8 key); a certificate identity cannot send them",
                match push_type {
                    PushType::LiveActivity => "Live Activity",
                    other => other.as_str(),
                }
            ),
            Lint::PushToTalkNotImmediate => f.write_str(
                "Apple asks for priority 10 and expiration 0 on push-to-talk pushes, so the speaker is announced at once or not at all",
            ),
            Lint::LiveActivity(problem) => problem.fmt(f),
            Lint::WidgetsWithoutContentChanged => f.write_str(
                "a widgets push needs {\"aps\":{\"content-changed\":true}}, or WidgetKit does not reload",
            ),
            Lint::BroadcastCannotStart => f.write_str(
                "a broadcast cannot start a Live Activity; start it with its push-to-start token and \"input-push-channel\", then update it over the channel",
            ),
            Lint::ExpirationOnNoStorageChannel => f.write_str(
                "this channel stores no messages, so a broadcast to it needs expiration 0; APNs refuses others with BadExpirationDate",
            ),
            Lint::UnusualTokenLength(message) => f.write_str(message),
            Lint::PayloadNearLimit { size, limit } => write!(
                f,
                "the payload is {} of {} bytes, close to the limit",
                group_thousands(*size),
                group_thousands(*limit)
            ),
            Lint::PayloadOverLimit { size, limit } => {
                write!(f, "payload is {} bytes; {limit}", group_thousands(*size))
            }
            Lint::MissingTopicWithToken => {
                f.write_str("token auth needs a topic (the app's bundle id)")
            }
            Lint::AlertWithNothingToShow => f.write_str(
                "an alert push without alert, badge or sound shows nothing; use push type background for silent pushes",
            ),
        }
    }
}

/// Checks `notification` as it would be sent over `transport` with `auth` at `now` (UNIX
/// seconds, for the dates of a Live Activity).
pub fn lint(
    notification: &Notification,
    transport: Transport,
    auth: AuthKind,
    now: u64,
) -> Vec<Lint> {
    let mut lints = Vec::new();
    let push_type = &notification.push_type;
    match &notification.topic {
        Some(topic) if !topic.suits(push_type) => lints.push(Lint::TopicSuffixMismatch {
            topic: topic.to_string(),
            expected: topic.for_push_type(push_type).to_string(),
            push_type: push_type.clone(),
        }),
        None if auth == AuthKind::Token && transport == Transport::Http2 => {
            lints.push(Lint::MissingTopicWithToken)
        }
        _ => {}
    }
    if push_type.needs_token_auth() && auth == AuthKind::Certificate {
        lints.push(Lint::NeedsTokenAuth(push_type.clone()));
    }
    let payload = &notification.payload;
    match push_type {
        PushType::Background => {
            if notification.priority.unwrap_or_default() == Priority::Immediate {
                lints.push(Lint::BackgroundWithImmediatePriority);
            }
            if !payload.has_aps_key("content-available") {
                lints.push(Lint::BackgroundWithoutContentAvailable);
            }
        }
        PushType::PushToTalk
            if notification.priority.unwrap_or_default() != Priority::Immediate
                || notification.expiration != Some(super::Expiration::IMMEDIATELY) =>
        {
            lints.push(Lint::PushToTalkNotImmediate)
        }
        PushType::LiveActivity => {
            lints.extend(
                check_live_activity(payload, now)
                    .into_iter()
                    .map(Lint::LiveActivity),
            );
        }
        PushType::Widgets
            if payload
                .aps()
                .and_then(|aps| aps.get("content-changed"))
                .and_then(serde_json::Value::as_bool)
                != Some(true) =>
        {
            lints.push(Lint::WidgetsWithoutContentChanged)
        }
        PushType::Alert
            if !["alert", "badge", "sound"]
                .iter()
                .any(|key| payload.has_aps_key(key)) =>
        {
            lints.push(Lint::AlertWithNothingToShow)
        }
        _ => {}
    }
    if let Some(message) = notification.token.length_warning() {
        lints.push(Lint::UnusualTokenLength(message));
    }
    size_lints(payload.size(), &notification.limit(transport), &mut lints);
    lints
}

/// Checks a broadcast as it would be sent at `now` to a channel with `policy`, when known.
pub fn lint_broadcast(broadcast: &Broadcast, policy: Option<StoragePolicy>, now: u64) -> Vec<Lint> {
    let mut lints: Vec<Lint> = check_live_activity(&broadcast.payload, now)
        .into_iter()
        .filter(|problem| !matches!(problem, LiveActivityProblem::StartWithout(_)))
        .map(Lint::LiveActivity)
        .collect();
    if live_activity_event(&broadcast.payload) == Some(LiveActivityEvent::Start) {
        lints.push(Lint::BroadcastCannotStart);
    }
    if policy == Some(StoragePolicy::NoStorage) && broadcast.expiration != Expiration::IMMEDIATELY {
        lints.push(Lint::ExpirationOnNoStorageChannel);
    }
    size_lints(
        broadcast.payload.size(),
        &PayloadLimit::broadcast(),
        &mut lints,
    );
    lints
}

fn size_lints(size: usize, limit: &PayloadLimit, lints: &mut Vec<Lint>) {
    if !limit.allows(size) {
        lints.push(Lint::PayloadOverLimit {
            size,
            limit: limit.to_string(),
        });
    } else if limit.usage(size) >= 0.9 {
        lints.push(Lint::PayloadNearLimit {
            size,
            limit: limit.bytes(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apns::{LegacyFormat, Payload};

    const NOW: u64 = 1_800_000_000;
    const TOKEN: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";

    fn notification(push_type: PushType, topic: &str, payload: &str) -> Notification {
        let mut notification =
            Notification::new(TOKEN.parse().unwrap(), Payload::from_json(payload).unwrap());
        notification.push_type = push_type;
        notification.topic = Some(topic.parse().unwrap());
        notification
    }

    #[test]
    fn a_good_alert_has_no_lints() {
        let good = notification(
            PushType::Alert,
            "com.example.app",
            r#"{"aps":{"alert":"Hi"}}"#,
        );
        assert_eq!(lint(&good, Transport::Http2, AuthKind::Token, NOW), []);
    }

    #[test]
    fn topic_suffix_must_match_the_push_type() {
        let voip = notification(PushType::Voip, "com.example.app", r#"{"aps":{}}"#);
        let lints = lint(&voip, Transport::Http2, AuthKind::Certificate, NOW);
        assert_eq!(lints.len(), 1);
        assert_eq!(
            lints[0].to_string(),
            "the topic com.example.app does not suit a voip push; APNs expects com.example.app.voip"
        );
        let alert = notification(
            PushType::Alert,
            "com.example.app.voip",
            r#"{"aps":{"alert":"x"}}"#,
        );
        assert!(matches!(
            lint(&alert, Transport::Http2, AuthKind::Certificate, NOW)[..],
            [Lint::TopicSuffixMismatch { .. }]
        ));
    }

    #[test]
    fn background_pushes_need_priority_5_and_content_available() {
        let mut background = notification(PushType::Background, "com.example.app", r#"{"aps":{}}"#);
        assert_eq!(
            lint(&background, Transport::Http2, AuthKind::Token, NOW),
            [
                Lint::BackgroundWithImmediatePriority,
                Lint::BackgroundWithoutContentAvailable
            ]
        );
        background.priority = Some(Priority::Normal);
        background.payload = Payload::from_json(r#"{"aps":{"content-available":1}}"#).unwrap();
        assert_eq!(
            lint(&background, Transport::Http2, AuthKind::Token, NOW),
            []
        );
    }

    #[test]
    fn live_activities_need_token_auth() {
        let live = notification(
            PushType::LiveActivity,
            "com.example.app.push-type.liveactivity",
            &format!(r#"{{"aps":{{"event":"update","timestamp":{NOW},"content-state":{{}}}}}}"#),
        );
        let lints = lint(&live, Transport::Http2, AuthKind::Certificate, NOW);
        assert_eq!(lints, [Lint::NeedsTokenAuth(PushType::LiveActivity)]);
        assert_eq!(
            lints[0].to_string(),
            "Live Activity pushes need token auth (a .p8 key); a certificate identity cannot send them"
        );
        assert_eq!(lints[0].severity(), Severity::Error);
        assert_eq!(lint(&live, Transport::Http2, AuthKind::Token, NOW), []);
        let stale = lint(&live, Transport::Http2, AuthKind::Token, NOW + 3600);
        assert_eq!(
            stale,
            [Lint::LiveActivity(LiveActivityProblem::StaleTimestamp {
                age_secs: 3600
            })]
        );
        assert_eq!(stale[0].severity(), Severity::Warning);
    }

    #[test]
    fn location_needs_token_auth_and_push_to_talk_goes_at_once() {
        let location = notification(
            PushType::Location,
            "com.example.app.location-query",
            r#"{"aps":{}}"#,
        );
        assert_eq!(
            lint(&location, Transport::Http2, AuthKind::Certificate, NOW),
            [Lint::NeedsTokenAuth(PushType::Location)]
        );
        assert_eq!(lint(&location, Transport::Http2, AuthKind::Token, NOW), []);
        let mut talk = notification(
            PushType::PushToTalk,
            "com.example.app.voip-ptt",
            r#"{"activeSpeaker":"Ann"}"#,
        );
        assert_eq!(
            lint(&talk, Transport::Http2, AuthKind::Token, NOW),
            [Lint::PushToTalkNotImmediate]
        );
        talk.expiration = Some(Expiration::IMMEDIATELY);
        assert_eq!(lint(&talk, Transport::Http2, AuthKind::Token, NOW), []);
    }

    #[test]
    fn broadcasts_update_or_end_and_respect_the_channel() {
        let mut broadcast = Broadcast {
            bundle: "com.example.app".parse().unwrap(),
            channel: "Y2hhbm5lbA==".parse().unwrap(),
            priority: Priority::Normal,
            expiration: Expiration(1_800_000_600),
            request_id: None,
            payload: Payload::from_json(&format!(
                r#"{{"aps":{{"event":"update","timestamp":{NOW},"content-state":{{}}}}}}"#
            ))
            .unwrap(),
        };
        assert_eq!(
            lint_broadcast(&broadcast, Some(StoragePolicy::MostRecent), NOW),
            []
        );
        assert_eq!(
            lint_broadcast(&broadcast, Some(StoragePolicy::NoStorage), NOW),
            [Lint::ExpirationOnNoStorageChannel]
        );
        broadcast.expiration = Expiration::IMMEDIATELY;
        broadcast.payload = Payload::from_json(&format!(
            r#"{{"aps":{{"event":"start","timestamp":{NOW},"content-state":{{}}}}}}"#
        ))
        .unwrap();
        let lints = lint_broadcast(&broadcast, None, NOW);
        assert_eq!(lints, [Lint::BroadcastCannotStart]);
        assert_eq!(lints[0].severity(), Severity::Error);
    }

    #[test]
    fn widgets_pushes_need_content_changed() {
        let reload = notification(
            PushType::Widgets,
            "com.example.app.push-type.widgets",
            r#"{"aps":{"content-changed":true}}"#,
        );
        assert_eq!(lint(&reload, Transport::Http2, AuthKind::Token, NOW), []);
        let empty = notification(
            PushType::Widgets,
            "com.example.app.push-type.widgets",
            r#"{"aps":{}}"#,
        );
        assert_eq!(
            lint(&empty, Transport::Http2, AuthKind::Token, NOW),
            [Lint::WidgetsWithoutContentChanged]
        );
    }

    #[test]
    fn payload_size_near_and_over_the_limit() {
        let near = notification(
            PushType::Alert,
            "com.example.app",
            &format!(r#"{{"aps":{{"alert":"{}"}}}}"#, "x".repeat(220)),
        );
        let simple = Transport::Legacy(LegacyFormat::Simple);
        assert_eq!(
            lint(&near, simple, AuthKind::Certificate, NOW),
            [Lint::PayloadNearLimit {
                size: 240,
                limit: 256
            }]
        );
        let over = notification(
            PushType::Alert,
            "com.example.app",
            &format!(r#"{{"aps":{{"alert":"{}"}}}}"#, "x".repeat(300)),
        );
        let lints = lint(&over, simple, AuthKind::Certificate, NOW);
        assert_eq!(
            lints[0].to_string(),
            "payload is 320 bytes; the limit for the legacy simple format is 256"
        );
        assert_eq!(lints[0].field(), "payload");
    }

    #[test]
    fn each_lint_has_its_severity_field_and_message() {
        use Severity::{Error, Warning};
        let cases = [
            (
                Lint::BackgroundWithImmediatePriority,
                Warning,
                "priority",
                "must have priority 5",
            ),
            (
                Lint::BackgroundWithoutContentAvailable,
                Warning,
                "payload",
                "\"content-available\": 1",
            ),
            (
                Lint::NeedsTokenAuth(PushType::Location),
                Error,
                "identity",
                "location pushes need token auth",
            ),
            (
                Lint::PushToTalkNotImmediate,
                Warning,
                "priority",
                "priority 10 and expiration 0",
            ),
            (
                Lint::LiveActivity(LiveActivityProblem::MissingEvent),
                Error,
                "payload",
                "event",
            ),
            (
                Lint::WidgetsWithoutContentChanged,
                Warning,
                "payload",
                "\"content-changed\":true",
            ),
            (
                Lint::BroadcastCannotStart,
                Error,
                "payload",
                "cannot start a Live Activity",
            ),
            (
                Lint::ExpirationOnNoStorageChannel,
                Error,
                "expiration",
                "needs expiration 0",
            ),
            (
                Lint::UnusualTokenLength("2 bytes".into()),
                Warning,
                "token",
                "2 bytes",
            ),
            (
                Lint::PayloadNearLimit {
                    size: 3_700,
                    limit: 4_096,
                },
                Warning,
                "payload",
                "the payload is 3,700 of 4,096 bytes, close to the limit",
            ),
            (
                Lint::PayloadOverLimit {
                    size: 5_000,
                    limit: "the limit is 4,096".into(),
                },
                Error,
                "payload",
                "payload is 5,000 bytes; the limit is 4,096",
            ),
            (
                Lint::MissingTopicWithToken,
                Error,
                "topic",
                "token auth needs a topic",
            ),
            (
                Lint::AlertWithNothingToShow,
                Warning,
                "payload",
                "shows nothing",
            ),
            (
                Lint::TopicSuffixMismatch {
                    topic: "a.b".into(),
                    expected: "a.b.voip".into(),
                    push_type: PushType::Voip,
                },
                Warning,
                "topic",
                "APNs expects a.b.voip",
            ),
        ];
        for (lint, severity, field, message) in cases {
            assert_eq!(lint.severity(), severity, "{lint:?}");
            assert_eq!(lint.field(), field, "{lint:?}");
            assert!(lint.to_string().contains(message), "{lint}");
        }
        assert_eq!(AuthKind::Certificate.as_str(), "certificate");
        assert_eq!(AuthKind::Token.as_str(), "token");
    }

    #[test]
    fn a_missing_topic_matters_only_to_token_auth_over_http2() {
        let mut alert = notification(PushType::Alert, "com.example.app", r#"{"aps":{"badge":1}}"#);
        alert.topic = None;
        assert_eq!(
            lint(&alert, Transport::Http2, AuthKind::Certificate, NOW),
            []
        );
        let legacy = Transport::Legacy(LegacyFormat::Frame);
        assert_eq!(lint(&alert, legacy, AuthKind::Token, NOW), []);
        assert_eq!(
            lint(&alert, Transport::Http2, AuthKind::Token, NOW),
            [Lint::MissingTopicWithToken]
        );
    }

    #[test]
    fn an_alert_with_only_a_badge_or_a_sound_shows_something() {
        for payload in [r#"{"aps":{"badge":1}}"#, r#"{"aps":{"sound":"default"}}"#] {
            let alert = notification(PushType::Alert, "com.example.app", payload);
            assert_eq!(
                lint(&alert, Transport::Http2, AuthKind::Token, NOW),
                [],
                "{payload}"
            );
        }
    }

    #[test]
    fn push_to_talk_needs_both_priority_10_and_expiration_0() {
        let mut talk = notification(
            PushType::PushToTalk,
            "com.example.app.voip-ptt",
            r#"{"activeSpeaker":"Ann"}"#,
        );
        talk.expiration = Some(Expiration::IMMEDIATELY);
        talk.priority = Some(Priority::Normal);
        assert_eq!(
            lint(&talk, Transport::Http2, AuthKind::Token, NOW),
            [Lint::PushToTalkNotImmediate]
        );
        talk.priority = Some(Priority::Immediate);
        assert_eq!(lint(&talk, Transport::Http2, AuthKind::Token, NOW), []);
    }

    #[test]
    fn near_the_limit_starts_at_90_percent() {
        // 256 bytes: 231 is 90.2 %, 230 is 89.8 %.
        let alert = |size: usize| {
            let body = "x".repeat(size - r#"{"aps":{"alert":""}}"#.len());
            notification(
                PushType::Alert,
                "com.example.app",
                &format!(r#"{{"aps":{{"alert":"{body}"}}}}"#),
            )
        };
        let simple = Transport::Legacy(LegacyFormat::Simple);
        assert_eq!(lint(&alert(230), simple, AuthKind::Certificate, NOW), []);
        assert_eq!(
            lint(&alert(231), simple, AuthKind::Certificate, NOW),
            [Lint::PayloadNearLimit {
                size: 231,
                limit: 256
            }]
        );
        assert_eq!(
            lint(&alert(256), simple, AuthKind::Certificate, NOW),
            [Lint::PayloadNearLimit {
                size: 256,
                limit: 256
            }]
        );
        assert!(matches!(
            lint(&alert(257), simple, AuthKind::Certificate, NOW)[..],
            [Lint::PayloadOverLimit { size: 257, .. }]
        ));
    }

    #[test]
    fn odd_tokens_missing_topics_and_empty_alerts() {
        let mut odd = notification(PushType::Alert, "com.example.app", r#"{"aps":{}}"#);
        odd.token = "abcd".parse().unwrap();
        odd.topic = None;
        let lints = lint(&odd, Transport::Http2, AuthKind::Token, NOW);
        assert_eq!(lints.len(), 3);
        assert_eq!(lints[0], Lint::MissingTopicWithToken);
        assert_eq!(lints[1], Lint::AlertWithNothingToShow);
        assert!(matches!(lints[2], Lint::UnusualTokenLength(_)));
    }
}
