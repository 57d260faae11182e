//! What became of one notification, and why connections ended: typed all the way up, so
//! the history and every front end read the same values instead of re-reading text.

use std::fmt;
use std::time::Duration;

use super::legacy::LegacyStatus;
use super::{ApnsId, DeviceToken, Reason};

/// The ends a notification can come to, without their details: what progress counters
/// and filters need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutcomeKind {
    /// The server said it accepted it.
    Accepted,
    /// The server refused it.
    Rejected,
    /// No answer came: the connection failed on every attempt, or the credential could
    /// not be used.
    Failed,
    /// It never left: the batch was cancelled first.
    NotSent,
    /// Legacy: written, but the gateway never confirmed it (the simple format has no
    /// identifiers to confirm with; or the gateway did not answer the confirmation). It may
    /// or may not have been delivered.
    Unconfirmed,
}

impl OutcomeKind {
    /// A short stable name, as `--json` and exports give it.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Accepted => "accepted",
            OutcomeKind::Rejected => "rejected",
            OutcomeKind::Failed => "failed",
            OutcomeKind::NotSent => "not-sent",
            OutcomeKind::Unconfirmed => "unconfirmed",
        }
    }
}

/// What the server answered when it refused a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// An HTTP/2 answer other than 200.
    Http2 {
        /// The HTTP status.
        status: u16,
        /// The reason from the body.
        reason: Reason,
        /// For 410: since when the token is invalid, ms since the epoch.
        timestamp_ms: Option<u64>,
        /// apns-unique-id (development environment).
        apns_unique_id: Option<String>,
    },
    /// A legacy error-response naming this notification.
    Legacy(LegacyStatus),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Http2 { status, reason, .. } => {
                write!(f, "{status} {reason}: {}", reason.explanation())
            }
            Refusal::Legacy(status) => write!(f, "the gateway answered: {status}"),
        }
    }
}

/// Why a connection ended, as the network layer saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisconnectCause {
    /// The server sent HTTP/2 GOAWAY.
    GoAway {
        /// The HTTP/2 error code (0 is a graceful shutdown).
        code: u32,
        /// The code's name, e.g. `NO_ERROR` or `ENHANCE_YOUR_CALM`.
        name: String,
    },
    /// A legacy gateway sent an error-response, then closed.
    ErrorResponse {
        /// The status it gave.
        status: LegacyStatus,
        /// The identifier it named.
        identifier: u32,
    },
    /// The server ended TLS with an alert, e.g. refusing the client certificate.
    TlsAlert {
        /// The alert's name, e.g. `CertificateUnknown`.
        alert: String,
    },
    /// The server closed the connection without saying why.
    SilentClose,
    /// The connection stopped answering: a request or keep-alive ping timed out.
    IdleTimeout {
        /// How long it was given.
        after: Duration,
    },
    /// No connection could be made (TCP, TLS handshake or HTTP/2 negotiation).
    ConnectFailed {
        /// `host:port`.
        endpoint: String,
        /// What the socket or TLS layer said.
        detail: String,
    },
    /// A read or write failed for another reason.
    Io {
        /// What the socket said.
        detail: String,
    },
}

/// TLS alerts that mean the server did not accept the client certificate.
const CERTIFICATE_ALERTS: [&str; 7] = [
    "BadCertificate",
    "CertificateUnknown",
    "UnknownCA",
    "CertificateRevoked",
    "CertificateExpired",
    "CertificateRequired",
    "AccessDenied",
];

impl DisconnectCause {
    /// A short stable name, as the history stores it.
    pub fn as_str(&self) -> &'static str {
        match self {
            DisconnectCause::GoAway { .. } => "goaway",
            DisconnectCause::ErrorResponse { .. } => "error-response",
            DisconnectCause::TlsAlert { .. } => "tls-alert",
            DisconnectCause::SilentClose => "silent-close",
            DisconnectCause::IdleTimeout { .. } => "idle-timeout",
            DisconnectCause::ConnectFailed { .. } => "connect",
            DisconnectCause::Io { .. } => "io",
        }
    }

    /// Whether the alert says the server refused the client certificate.
    pub fn refused_certificate(&self) -> bool {
        matches!(self, DisconnectCause::TlsAlert { alert } if CERTIFICATE_ALERTS.contains(&alert.as_str()))
    }
}

impl fmt::Display for DisconnectCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectCause::GoAway { code: 0, .. } => {
                f.write_str("the server closed the connection (GOAWAY) before answering")
            }
            DisconnectCause::GoAway { name, .. } => write!(
                f,
                "the server closed the connection (GOAWAY {name}) before answering"
            ),
            DisconnectCause::ErrorResponse { status, identifier } => write!(
                f,
                "the gateway sent an error-response ({status}) for identifier {identifier} and closed the connection"
            ),
            cause @ DisconnectCause::TlsAlert { alert } if cause.refused_certificate() => write!(
                f,
                "the server refused the client certificate (TLS alert {alert}): issued by someone else, for the other environment, expired or revoked"
            ),
            DisconnectCause::TlsAlert { alert } => {
                write!(f, "the server ended TLS with the alert {alert}")
            }
            DisconnectCause::SilentClose => f.write_str(
                "the server closed the connection without a word (right after connecting, that usually means it refused the client certificate)",
            ),
            DisconnectCause::IdleTimeout { after } => write!(
                f,
                "the connection stopped answering (nothing within {} s); it was replaced",
                after.as_secs_f64()
            ),
            DisconnectCause::ConnectFailed { endpoint, detail } => {
                write!(f, "cannot connect to {endpoint}: {detail}")
            }
            DisconnectCause::Io { detail } => write!(f, "the connection failed: {detail}"),
        }
    }
}

/// Why a notification got no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureCause {
    /// The connection ended before the answer, on the last attempt.
    Disconnected(DisconnectCause),
    /// The credential or TLS settings cannot be used for this endpoint (a provider token
    /// that cannot be signed, a CA that cannot be trusted, a host name that is not one).
    Setup(String),
    /// The server answered something that is not an APNs answer.
    BadAnswer(String),
    /// Legacy: the gateway stopped at an earlier notification with a status that would
    /// fail this one too, so it was not sent again.
    StoppedEarlier(LegacyStatus),
    /// Legacy: the gateway closed the connection every time this was alone in flight.
    GaveUp {
        /// How many times.
        closes: u32,
    },
    /// Legacy: the gateway closed every connection without accepting anything.
    GatewayRefusedAll(DisconnectCause),
    /// The notification cannot be written in the chosen legacy format.
    Unencodable(String),
    /// A sending task died; the notification may or may not have been sent.
    Internal(String),
}

impl fmt::Display for FailureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureCause::Disconnected(cause) => cause.fmt(f),
            FailureCause::Setup(problem) | FailureCause::BadAnswer(problem) => f.write_str(problem),
            FailureCause::StoppedEarlier(status) => write!(
                f,
                "not delivered: the gateway stopped at an earlier notification with \"{status}\", which would fail this too"
            ),
            FailureCause::GaveUp { closes } => write!(
                f,
                "gave up: the gateway closed the connection {closes} times when this was the only notification in flight"
            ),
            FailureCause::GatewayRefusedAll(last) => write!(
                f,
                "not sent: the gateway closed every connection without accepting anything (last: {last}); check that the certificate is for this gateway and environment"
            ),
            FailureCause::Unencodable(problem) => write!(f, "cannot be encoded: {problem}"),
            FailureCause::Internal(problem) => {
                write!(
                    f,
                    "internal error while sending, outcome unknown: {problem}"
                )
            }
        }
    }
}

/// What became of one notification, in the server's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The server said it accepted it.
    Accepted {
        /// apns-unique-id (development environment).
        apns_unique_id: Option<String>,
    },
    /// The server refused it.
    Rejected(Refusal),
    /// No answer came.
    Failed(FailureCause),
    /// It never left (cancelled first).
    NotSent,
    /// Legacy: written, and no answer can tell whether the gateway took it.
    Unconfirmed,
}

/// The result for one token.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The device.
    pub token: DeviceToken,
    /// The apns-id sent (and echoed).
    pub apns_id: ApnsId,
    /// What became of it.
    pub verdict: Verdict,
    /// How many times it was written to a connection.
    pub attempts: u32,
    /// From the first attempt to the final answer.
    pub latency: Duration,
}

impl Outcome {
    /// A notification that has not (yet) left.
    pub fn not_sent(token: DeviceToken, apns_id: ApnsId) -> Self {
        Self {
            token,
            apns_id,
            verdict: Verdict::NotSent,
            attempts: 0,
            latency: Duration::ZERO,
        }
    }

    /// Which of the four ends it came to.
    pub fn kind(&self) -> OutcomeKind {
        match self.verdict {
            Verdict::Accepted { .. } => OutcomeKind::Accepted,
            Verdict::Rejected(_) => OutcomeKind::Rejected,
            Verdict::Failed(_) => OutcomeKind::Failed,
            Verdict::NotSent => OutcomeKind::NotSent,
            Verdict::Unconfirmed => OutcomeKind::Unconfirmed,
        }
    }

    /// The HTTP status of a refusal over HTTP/2 (an acceptance there is always 200).
    pub fn http_status(&self) -> Option<u16> {
        match &self.verdict {
            Verdict::Rejected(Refusal::Http2 { status, .. }) => Some(*status),
            _ => None,
        }
    }

    /// The HTTP/2 rejection reason.
    pub fn reason(&self) -> Option<&Reason> {
        match &self.verdict {
            Verdict::Rejected(Refusal::Http2 { reason, .. }) => Some(reason),
            _ => None,
        }
    }

    /// The legacy error-response status that named it.
    pub fn legacy_status(&self) -> Option<LegacyStatus> {
        match &self.verdict {
            Verdict::Rejected(Refusal::Legacy(status)) => Some(*status),
            _ => None,
        }
    }

    /// For a 410: since when the token is invalid, ms since the epoch.
    pub fn unregistered_since_ms(&self) -> Option<u64> {
        match &self.verdict {
            Verdict::Rejected(Refusal::Http2 { timestamp_ms, .. }) => *timestamp_ms,
            _ => None,
        }
    }

    /// apns-unique-id, when the server sent one.
    pub fn apns_unique_id(&self) -> Option<&str> {
        match &self.verdict {
            Verdict::Accepted { apns_unique_id }
            | Verdict::Rejected(Refusal::Http2 { apns_unique_id, .. }) => apns_unique_id.as_deref(),
            _ => None,
        }
    }

    /// Why it got no answer.
    pub fn failure(&self) -> Option<&FailureCause> {
        match &self.verdict {
            Verdict::Failed(cause) => Some(cause),
            _ => None,
        }
    }

    /// Whether sending it again could succeed.
    pub fn needs_retry(&self) -> bool {
        match &self.verdict {
            // It may have been delivered: sending it again is the user's call, not a retry.
            Verdict::Accepted { .. } | Verdict::Unconfirmed => false,
            Verdict::Failed(_) | Verdict::NotSent => true,
            Verdict::Rejected(Refusal::Http2 { reason, .. }) => reason.is_retryable(),
            // Processing errors and unknown failures may pass next time; a bad token,
            // topic or size will not.
            Verdict::Rejected(Refusal::Legacy(status)) => matches!(
                status,
                LegacyStatus::ProcessingError | LegacyStatus::Unknown | LegacyStatus::Unlisted(_)
            ),
        }
    }
}

/// A connection that ended while a batch used it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disconnection {
    /// When it ended, as the network layer saw it.
    pub at: std::time::SystemTime,
    /// Why it ended.
    pub cause: DisconnectCause,
    /// The batch index of the notification it ended on (the one an error-response named,
    /// or the first one left unanswered), when one can be told.
    pub index: Option<usize>,
    /// Notifications written again because of it (legacy: what the gateway discarded after
    /// an error-response, or everything unconfirmed after a silent close).
    pub resent: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_alerts_say_the_certificate_was_refused() {
        let refused = DisconnectCause::TlsAlert {
            alert: "CertificateUnknown".into(),
        };
        assert!(refused.refused_certificate());
        assert!(
            refused
                .to_string()
                .contains("refused the client certificate")
        );
        let other = DisconnectCause::TlsAlert {
            alert: "DecodeError".into(),
        };
        assert!(!other.refused_certificate());
        assert_eq!(
            other.to_string(),
            "the server ended TLS with the alert DecodeError"
        );
    }

    #[test]
    fn a_graceful_goaway_does_not_name_its_code() {
        let graceful = DisconnectCause::GoAway {
            code: 0,
            name: "NO_ERROR".into(),
        };
        assert!(!graceful.to_string().contains("NO_ERROR"));
        let calm = DisconnectCause::GoAway {
            code: 11,
            name: "ENHANCE_YOUR_CALM".into(),
        };
        assert!(calm.to_string().contains("GOAWAY ENHANCE_YOUR_CALM"));
    }

    #[test]
    fn only_answers_that_may_change_are_retried() {
        let token: DeviceToken = "00".repeat(32).parse().unwrap();
        let id = ApnsId::from_uuid(uuid::Uuid::nil());
        let with = |verdict| Outcome {
            verdict,
            ..Outcome::not_sent(token.clone(), id)
        };
        let http2 = |reason| {
            Verdict::Rejected(Refusal::Http2 {
                status: 400,
                reason,
                timestamp_ms: None,
                apns_unique_id: None,
            })
        };
        assert!(with(Verdict::NotSent).needs_retry());
        assert!(
            !with(Verdict::Accepted {
                apns_unique_id: None
            })
            .needs_retry()
        );
        assert!(!with(http2(Reason::BadDeviceToken)).needs_retry());
        assert!(with(http2(Reason::TooManyRequests)).needs_retry());
        assert!(
            !with(Verdict::Rejected(Refusal::Legacy(
                LegacyStatus::InvalidToken
            )))
            .needs_retry()
        );
        assert!(
            with(Verdict::Rejected(Refusal::Legacy(
                LegacyStatus::ProcessingError
            )))
            .needs_retry()
        );
        assert!(
            with(Verdict::Failed(FailureCause::Disconnected(
                DisconnectCause::SilentClose
            )))
            .needs_retry()
        );
    }

    fn outcome(verdict: Verdict) -> Outcome {
        Outcome {
            verdict,
            ..Outcome::not_sent(
                "00".repeat(32).parse().unwrap(),
                ApnsId::from_uuid(uuid::Uuid::nil()),
            )
        }
    }

    fn accepted(apns_unique_id: Option<&str>) -> Verdict {
        Verdict::Accepted {
            apns_unique_id: apns_unique_id.map(str::to_owned),
        }
    }

    fn unregistered() -> Verdict {
        Verdict::Rejected(Refusal::Http2 {
            status: 410,
            reason: Reason::Unregistered,
            timestamp_ms: Some(1_700_000_000_123),
            apns_unique_id: Some("unique-410".into()),
        })
    }

    fn legacy(status: LegacyStatus) -> Verdict {
        Verdict::Rejected(Refusal::Legacy(status))
    }

    fn silent_close() -> Verdict {
        Verdict::Failed(FailureCause::Disconnected(DisconnectCause::SilentClose))
    }

    #[test]
    fn every_outcome_kind_has_its_own_name() {
        assert_eq!(OutcomeKind::Accepted.as_str(), "accepted");
        assert_eq!(OutcomeKind::Rejected.as_str(), "rejected");
        assert_eq!(OutcomeKind::Failed.as_str(), "failed");
        assert_eq!(OutcomeKind::NotSent.as_str(), "not-sent");
        assert_eq!(OutcomeKind::Unconfirmed.as_str(), "unconfirmed");
    }

    #[test]
    fn a_refusal_says_the_status_the_reason_and_what_it_means() {
        let http2 = Refusal::Http2 {
            status: 410,
            reason: Reason::Unregistered,
            timestamp_ms: Some(1),
            apns_unique_id: None,
        };
        assert_eq!(
            http2.to_string(),
            "410 Unregistered: the device token is no longer registered (app removed or token replaced); stop sending to it"
        );
        assert_eq!(
            Refusal::Legacy(LegacyStatus::InvalidToken).to_string(),
            "the gateway answered: invalid token (8)"
        );
    }

    #[test]
    fn every_disconnect_cause_has_its_own_name() {
        let names = [
            (
                DisconnectCause::GoAway {
                    code: 0,
                    name: "NO_ERROR".into(),
                },
                "goaway",
            ),
            (
                DisconnectCause::ErrorResponse {
                    status: LegacyStatus::Shutdown,
                    identifier: 3,
                },
                "error-response",
            ),
            (
                DisconnectCause::TlsAlert {
                    alert: "BadCertificate".into(),
                },
                "tls-alert",
            ),
            (DisconnectCause::SilentClose, "silent-close"),
            (
                DisconnectCause::IdleTimeout {
                    after: Duration::from_secs(30),
                },
                "idle-timeout",
            ),
            (
                DisconnectCause::ConnectFailed {
                    endpoint: "api.push.apple.com:443".into(),
                    detail: "refused".into(),
                },
                "connect",
            ),
            (
                DisconnectCause::Io {
                    detail: "broken pipe".into(),
                },
                "io",
            ),
        ];
        for (cause, name) in names {
            assert_eq!(cause.as_str(), name, "{cause:?}");
        }
    }

    #[test]
    fn every_certificate_alert_and_no_other_cause_means_the_certificate_was_refused() {
        for alert in CERTIFICATE_ALERTS {
            let cause = DisconnectCause::TlsAlert {
                alert: alert.into(),
            };
            assert!(cause.refused_certificate(), "{alert}");
            assert_eq!(
                cause.to_string(),
                format!(
                    "the server refused the client certificate (TLS alert {alert}): issued by someone else, for the other environment, expired or revoked"
                )
            );
        }
        assert!(
            !DisconnectCause::TlsAlert {
                alert: "HandshakeFailure".into()
            }
            .refused_certificate()
        );
        assert!(!DisconnectCause::SilentClose.refused_certificate());
        assert!(
            !DisconnectCause::Io {
                detail: "CertificateUnknown".into()
            }
            .refused_certificate()
        );
        assert!(
            !DisconnectCause::ConnectFailed {
                endpoint: "BadCertificate".into(),
                detail: "CertificateExpired".into(),
            }
            .refused_certificate()
        );
    }

    #[test]
    fn every_disconnect_cause_is_said_in_full() {
        let said = [
            (
                DisconnectCause::GoAway {
                    code: 0,
                    name: "NO_ERROR".into(),
                },
                "the server closed the connection (GOAWAY) before answering",
            ),
            (
                DisconnectCause::GoAway {
                    code: 11,
                    name: "ENHANCE_YOUR_CALM".into(),
                },
                "the server closed the connection (GOAWAY ENHANCE_YOUR_CALM) before answering",
            ),
            (
                DisconnectCause::ErrorResponse {
                    status: LegacyStatus::InvalidToken,
                    identifier: 42,
                },
                "the gateway sent an error-response (invalid token (8)) for identifier 42 and closed the connection",
            ),
            (
                DisconnectCause::TlsAlert {
                    alert: "UnknownCA".into(),
                },
                "the server refused the client certificate (TLS alert UnknownCA): issued by someone else, for the other environment, expired or revoked",
            ),
            (
                DisconnectCause::TlsAlert {
                    alert: "DecodeError".into(),
                },
                "the server ended TLS with the alert DecodeError",
            ),
            (
                DisconnectCause::SilentClose,
                "the server closed the connection without a word (right after connecting, that usually means it refused the client certificate)",
            ),
            (
                DisconnectCause::IdleTimeout {
                    after: Duration::from_millis(2500),
                },
                "the connection stopped answering (nothing within 2.5 s); it was replaced",
            ),
            (
                DisconnectCause::IdleTimeout {
                    after: Duration::from_secs(30),
                },
                "the connection stopped answering (nothing within 30 s); it was replaced",
            ),
            (
                DisconnectCause::ConnectFailed {
                    endpoint: "api.push.apple.com:443".into(),
                    detail: "connection refused".into(),
                },
                "cannot connect to api.push.apple.com:443: connection refused",
            ),
            (
                DisconnectCause::Io {
                    detail: "broken pipe".into(),
                },
                "the connection failed: broken pipe",
            ),
        ];
        for (cause, words) in said {
            assert_eq!(cause.to_string(), words);
        }
    }

    #[test]
    fn every_failure_cause_is_said_in_full() {
        let said = [
            (
                FailureCause::Disconnected(DisconnectCause::Io {
                    detail: "reset by peer".into(),
                }),
                "the connection failed: reset by peer".to_owned(),
            ),
            (
                FailureCause::Setup("the .p8 key cannot sign".into()),
                "the .p8 key cannot sign".to_owned(),
            ),
            (
                FailureCause::BadAnswer("status 200 with a body".into()),
                "status 200 with a body".to_owned(),
            ),
            (
                FailureCause::StoppedEarlier(LegacyStatus::MissingTopic),
                "not delivered: the gateway stopped at an earlier notification with \"missing topic (3)\", which would fail this too".to_owned(),
            ),
            (
                FailureCause::GaveUp { closes: 3 },
                "gave up: the gateway closed the connection 3 times when this was the only notification in flight".to_owned(),
            ),
            (
                FailureCause::GatewayRefusedAll(DisconnectCause::Io {
                    detail: "broken pipe".into(),
                }),
                "not sent: the gateway closed every connection without accepting anything (last: the connection failed: broken pipe); check that the certificate is for this gateway and environment".to_owned(),
            ),
            (
                FailureCause::Unencodable("the token is not 32 bytes".into()),
                "cannot be encoded: the token is not 32 bytes".to_owned(),
            ),
            (
                FailureCause::Internal("the task panicked".into()),
                "internal error while sending, outcome unknown: the task panicked".to_owned(),
            ),
        ];
        for (cause, words) in said {
            assert_eq!(cause.to_string(), words);
        }
    }

    #[test]
    fn a_notification_not_yet_sent_has_no_attempts() {
        let token: DeviceToken = "ab".repeat(32).parse().unwrap();
        let id = ApnsId::from_uuid(uuid::Uuid::from_u128(7));
        let outcome = Outcome::not_sent(token.clone(), id);
        assert_eq!(outcome.token, token);
        assert_eq!(outcome.apns_id, id);
        assert_eq!(outcome.verdict, Verdict::NotSent);
        assert_eq!(outcome.attempts, 0);
        assert_eq!(outcome.latency, Duration::ZERO);
    }

    #[test]
    fn each_verdict_is_of_its_own_kind() {
        assert_eq!(outcome(accepted(None)).kind(), OutcomeKind::Accepted);
        assert_eq!(outcome(unregistered()).kind(), OutcomeKind::Rejected);
        assert_eq!(
            outcome(legacy(LegacyStatus::InvalidToken)).kind(),
            OutcomeKind::Rejected
        );
        assert_eq!(outcome(silent_close()).kind(), OutcomeKind::Failed);
        assert_eq!(outcome(Verdict::NotSent).kind(), OutcomeKind::NotSent);
        assert_eq!(
            outcome(Verdict::Unconfirmed).kind(),
            OutcomeKind::Unconfirmed
        );
    }

    #[test]
    fn only_an_http2_refusal_has_a_status_a_reason_and_a_timestamp() {
        let refused = outcome(unregistered());
        assert_eq!(refused.http_status(), Some(410));
        assert_eq!(refused.reason(), Some(&Reason::Unregistered));
        assert_eq!(refused.unregistered_since_ms(), Some(1_700_000_000_123));
        assert_eq!(refused.legacy_status(), None);
        assert_eq!(refused.failure(), None);

        let without_timestamp = outcome(Verdict::Rejected(Refusal::Http2 {
            status: 429,
            reason: Reason::TooManyRequests,
            timestamp_ms: None,
            apns_unique_id: None,
        }));
        assert_eq!(without_timestamp.http_status(), Some(429));
        assert_eq!(without_timestamp.reason(), Some(&Reason::TooManyRequests));
        assert_eq!(without_timestamp.unregistered_since_ms(), None);
        assert_eq!(without_timestamp.apns_unique_id(), None);

        for verdict in [
            accepted(Some("unique")),
            legacy(LegacyStatus::InvalidToken),
            silent_close(),
            Verdict::NotSent,
            Verdict::Unconfirmed,
        ] {
            let other = outcome(verdict);
            assert_eq!(other.http_status(), None, "{other:?}");
            assert_eq!(other.reason(), None, "{other:?}");
            assert_eq!(other.unregistered_since_ms(), None, "{other:?}");
        }
    }

    #[test]
    fn only_a_legacy_refusal_has_a_legacy_status() {
        assert_eq!(
            outcome(legacy(LegacyStatus::MissingTopic)).legacy_status(),
            Some(LegacyStatus::MissingTopic)
        );
        assert_eq!(
            outcome(legacy(LegacyStatus::Unlisted(42))).legacy_status(),
            Some(LegacyStatus::Unlisted(42))
        );
        for verdict in [
            accepted(None),
            unregistered(),
            silent_close(),
            Verdict::NotSent,
            Verdict::Unconfirmed,
        ] {
            assert_eq!(outcome(verdict).legacy_status(), None);
        }
    }

    #[test]
    fn the_unique_id_comes_from_an_acceptance_or_an_http2_refusal() {
        assert_eq!(
            outcome(accepted(Some("unique-200"))).apns_unique_id(),
            Some("unique-200")
        );
        assert_eq!(outcome(accepted(None)).apns_unique_id(), None);
        assert_eq!(outcome(unregistered()).apns_unique_id(), Some("unique-410"));
        for verdict in [
            legacy(LegacyStatus::InvalidToken),
            silent_close(),
            Verdict::NotSent,
            Verdict::Unconfirmed,
        ] {
            assert_eq!(outcome(verdict).apns_unique_id(), None);
        }
    }

    #[test]
    fn only_a_failure_has_a_failure_cause() {
        let setup = FailureCause::Setup("no key".into());
        assert_eq!(
            outcome(Verdict::Failed(setup.clone())).failure(),
            Some(&setup)
        );
        assert_eq!(
            outcome(silent_close()).failure(),
            Some(&FailureCause::Disconnected(DisconnectCause::SilentClose))
        );
        for verdict in [
            accepted(Some("unique")),
            unregistered(),
            legacy(LegacyStatus::ProcessingError),
            Verdict::NotSent,
            Verdict::Unconfirmed,
        ] {
            assert_eq!(outcome(verdict).failure(), None);
        }
    }

    #[test]
    fn every_verdict_is_retried_or_not_as_it_may_change() {
        let retried = [
            Verdict::NotSent,
            silent_close(),
            Verdict::Failed(FailureCause::Setup("no key".into())),
            legacy(LegacyStatus::ProcessingError),
            legacy(LegacyStatus::Unknown),
            legacy(LegacyStatus::Unlisted(42)),
            Verdict::Rejected(Refusal::Http2 {
                status: 503,
                reason: Reason::ServiceUnavailable,
                timestamp_ms: None,
                apns_unique_id: None,
            }),
        ];
        for verdict in retried {
            assert!(outcome(verdict.clone()).needs_retry(), "{verdict:?}");
        }
        let kept = [
            accepted(None),
            accepted(Some("unique")),
            Verdict::Unconfirmed,
            unregistered(),
            legacy(LegacyStatus::InvalidToken),
            legacy(LegacyStatus::MissingTopic),
            legacy(LegacyStatus::InvalidPayloadSize),
            legacy(LegacyStatus::Shutdown),
            legacy(LegacyStatus::NoErrors),
        ];
        for verdict in kept {
            assert!(!outcome(verdict.clone()).needs_retry(), "{verdict:?}");
        }
    }
}
