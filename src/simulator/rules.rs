//! How the simulator misbehaves on purpose: which tokens fail, and how connections end.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::apns::DeviceToken;
use crate::apns::legacy::LegacyStatus;

use super::SimulatorError;

/// A channel every request to (a broadcast, a read, a delete) is refused with `reason`: to
/// rehearse how a provider handles any broadcast reason, Apple's newest included.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefusedChannel {
    /// The channel id, as `channels list` prints it.
    pub channel: String,
    /// The reason to answer, e.g. `TopicMismatch`; its HTTP status is Apple's for it (400
    /// for a reason this version does not know).
    pub reason: String,
}

/// A token that fails with 503 `ServiceUnavailable` a number of times, then succeeds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlakyToken {
    /// The device token.
    pub token: DeviceToken,
    /// How many requests to it fail before it is answered normally.
    pub failures: u32,
}

/// A notification the legacy gateway answers with a chosen error-response: to rehearse how
/// a provider handles each of Apple's statuses.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyAnswer {
    /// The device token.
    pub token: DeviceToken,
    /// The status code of the error-response (Apple's table: 1 to 8, 10 shutdown, 255
    /// unknown); 0 (no errors) lets the notification through.
    pub status: u8,
}

/// The simulator's scripted behaviour. Loadable from JSON; every field is optional.
///
/// ```
/// use push_console::simulator::Rules;
/// let rules = Rules::from_json(r#"{"throttled": ["00ff"], "goaway_after_streams": 100}"#).unwrap();
/// assert_eq!(rules.throttled.len(), 1);
/// assert_eq!(rules.error_response_delay_ms, 500);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// HTTP/2: 400 `BadDeviceToken`; legacy: error-response 8 (invalid token).
    pub bad_tokens: Vec<DeviceToken>,
    /// HTTP/2: 410 `Unregistered` with the current time; listed by the feedback
    /// service. The legacy gateway accepts them, as Apple's did.
    pub unregistered: Vec<DeviceToken>,
    /// HTTP/2: 429 `TooManyRequests`, every time.
    pub throttled: Vec<DeviceToken>,
    /// HTTP/2: 503 `ServiceUnavailable` for the first `failures` requests to the token.
    pub flaky: Vec<FlakyToken>,
    /// Legacy: notifications to these tokens are answered with an error-response of the
    /// given status, after which the gateway discards the rest and closes, as for a bad
    /// token. With 10 (shutdown) the named notification was delivered: Apple's gateway
    /// named the last notification it processed before going down for maintenance.
    pub legacy_answers: Vec<LegacyAnswer>,
    /// Legacy: how long after a failed notification the error-response is sent.
    pub error_response_delay_ms: u64,
    /// Legacy: never answer. A failed notification and everything after it are dropped
    /// without an error-response, and the connection stays open: a gateway that proves
    /// nothing, against which every outcome must stay unconfirmed.
    pub legacy_never_answers: bool,
    /// HTTP/2: after this many streams on a connection, send GOAWAY; streams
    /// already accepted are answered, the client must reconnect for the rest. `0`:
    /// GOAWAY as each connection opens, refusing every stream (a server going away
    /// for good, which a client must not chase forever).
    pub goaway_after_streams: Option<u32>,
    /// Legacy: after this many accepted notifications, drop the connection
    /// without an error-response. HTTP/2: after this many streams are answered,
    /// drop the TCP connection without GOAWAY.
    pub close_after_notifications: Option<u32>,
    /// HTTP/2: the `SETTINGS_MAX_CONCURRENT_STREAMS` advertised.
    pub max_concurrent_streams: u32,
    /// HTTP/2: connections without a client certificate (token auth) advertise
    /// one concurrent stream, as Apple does until a token is accepted. Apple
    /// raises it afterwards; h2's server cannot change the setting after the
    /// handshake, so here it stays 1 for the life of such a connection.
    pub token_auth_single_stream: bool,
    /// HTTP/2: wait this long before answering each request (to test cancelling).
    pub response_delay_ms: u64,
    /// Broadcast: apps (bundle ids) without the Broadcast capability; the channel API and
    /// broadcasts answer 400 `FeatureNotEnabled` for them.
    pub broadcast_disabled: Vec<String>,
    /// Broadcast: channels an app may have in this environment (Apple: 10,000); creating
    /// one more answers 400 `CannotCreateChannelConfig`.
    pub max_channels_per_app: u32,
    /// Broadcast: channels whose every request is refused with a chosen reason.
    pub refused_channels: Vec<RefusedChannel>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            bad_tokens: Vec::new(),
            unregistered: Vec::new(),
            throttled: Vec::new(),
            flaky: Vec::new(),
            legacy_answers: Vec::new(),
            // Apple's gateway answered 0.1-0.8 s after the bad notification.
            error_response_delay_ms: 500,
            legacy_never_answers: false,
            goaway_after_streams: None,
            close_after_notifications: None,
            max_concurrent_streams: 1000,
            token_auth_single_stream: false,
            response_delay_ms: 0,
            broadcast_disabled: Vec::new(),
            max_channels_per_app: 10_000,
            refused_channels: Vec::new(),
        }
    }
}

impl Rules {
    /// Reads rules from JSON; the error names the line, column and the field at fault.
    pub fn from_json(text: &str) -> Result<Rules, SimulatorError> {
        Ok(serde_json::from_str(text)?)
    }
}

/// What the outcome of the rules is for one HTTP/2 request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Accept,
    BadToken,
    Unregistered,
    Throttled,
    Unavailable,
}

/// Rules prepared for lookups on every request: sets instead of lists, and the
/// flaky counters, which restart whenever new rules are set.
#[derive(Debug)]
pub(crate) struct ActiveRules {
    pub(crate) rules: Rules,
    bad: HashSet<DeviceToken>,
    unregistered: HashSet<DeviceToken>,
    throttled: HashSet<DeviceToken>,
    flaky: HashMap<DeviceToken, AtomicU32>,
    legacy_answers: HashMap<DeviceToken, LegacyStatus>,
}

impl ActiveRules {
    pub(crate) fn new(rules: Rules) -> Self {
        Self {
            bad: rules.bad_tokens.iter().cloned().collect(),
            unregistered: rules.unregistered.iter().cloned().collect(),
            throttled: rules.throttled.iter().cloned().collect(),
            flaky: rules
                .flaky
                .iter()
                .map(|flaky| (flaky.token.clone(), AtomicU32::new(flaky.failures)))
                .collect(),
            legacy_answers: rules
                .legacy_answers
                .iter()
                .map(|answer| (answer.token.clone(), LegacyStatus::from_code(answer.status)))
                .collect(),
            rules,
        }
    }

    /// The reason the rules refuse every request to `channel` with, if any.
    pub(crate) fn channel_refusal(&self, channel: &str) -> Option<crate::apns::Reason> {
        self.rules
            .refused_channels
            .iter()
            .find(|refused| refused.channel == channel)
            .map(|refused| crate::apns::Reason::from(refused.reason.as_str()))
    }

    pub(crate) fn is_bad(&self, token: &DeviceToken) -> bool {
        self.bad.contains(token)
    }

    /// The legacy error-response status a notification to `token` is answered with, if any.
    pub(crate) fn legacy_answer(&self, token: &DeviceToken) -> Option<LegacyStatus> {
        self.legacy_answers.get(token).copied()
    }

    /// The HTTP/2 verdict; counts down the token's flaky failures as a side effect.
    pub(crate) fn verdict(&self, token: &DeviceToken) -> Verdict {
        if self.bad.contains(token) {
            Verdict::BadToken
        } else if self.unregistered.contains(token) {
            Verdict::Unregistered
        } else if self.throttled.contains(token) {
            Verdict::Throttled
        } else if self.flaky.get(token).is_some_and(|left| {
            left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok()
        }) {
            Verdict::Unavailable
        } else {
            Verdict::Accept
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(byte: u8) -> DeviceToken {
        DeviceToken::from_bytes(&[byte; 32]).unwrap()
    }

    #[test]
    fn defaults_are_apple_like() {
        let rules = Rules::from_json("{}").unwrap();
        assert_eq!(rules, Rules::default());
        assert_eq!(rules.error_response_delay_ms, 500);
        assert_eq!(rules.max_concurrent_streams, 1000);
    }

    #[test]
    fn unknown_field_is_named_with_its_position() {
        let error = Rules::from_json("{\n  \"bad_tokenz\": []\n}").unwrap_err();
        let SimulatorError::Rules {
            line,
            column,
            message,
        } = &error
        else {
            panic!("expected a rules error, got {error:?}");
        };
        assert_eq!(*line, 2);
        assert!(*column > 0);
        assert!(message.contains("bad_tokenz"), "{message}");
        assert!(message.contains("bad_tokens"), "{message}");
        assert!(error.to_string().contains("line 2"), "{error}");
        // Broken JSON, not just an unknown key, says where it breaks.
        let broken = Rules::from_json("{\n  \"throttled\": [")
            .unwrap_err()
            .to_string();
        assert!(
            broken.starts_with("the simulator rules are not valid at line 2, column")
                && broken.contains("EOF while parsing"),
            "{broken}"
        );
    }

    #[test]
    fn bad_token_in_json_is_reported() {
        let error = Rules::from_json(r#"{"throttled": ["xyz"]}"#).unwrap_err();
        assert!(error.to_string().contains("'x'"), "{error}");
    }

    #[test]
    fn flaky_fails_k_times_then_accepts() {
        let rules = ActiveRules::new(Rules {
            flaky: vec![FlakyToken {
                token: token(1),
                failures: 2,
            }],
            ..Rules::default()
        });
        assert_eq!(rules.verdict(&token(1)), Verdict::Unavailable);
        assert_eq!(rules.verdict(&token(1)), Verdict::Unavailable);
        assert_eq!(rules.verdict(&token(1)), Verdict::Accept);
        assert_eq!(rules.verdict(&token(2)), Verdict::Accept);
    }

    #[test]
    fn bad_wins_over_other_lists() {
        let rules = ActiveRules::new(Rules {
            bad_tokens: vec![token(1)],
            unregistered: vec![token(1), token(2)],
            throttled: vec![token(3)],
            ..Rules::default()
        });
        assert_eq!(rules.verdict(&token(1)), Verdict::BadToken);
        assert_eq!(rules.verdict(&token(2)), Verdict::Unregistered);
        assert_eq!(rules.verdict(&token(3)), Verdict::Throttled);
        assert!(rules.is_bad(&token(1)));
    }
}
