//! "Test connection": one silent notification to a placeholder device token, read for what
//! its answer says about the credentials, the topic and the network. An all-zero token
//! reaches no device, and APNs refuses it as BadDeviceToken only after it has accepted the
//! connection, the credentials and the topic, so that refusal is the healthy answer.

use std::time::Duration;

use crate::apns::{
    DeviceToken, Notification, Outcome, Payload, Priority, PushType, Reason, Refusal, Topic,
    Verdict,
};

/// What a test connection found, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeVerdict {
    /// Whether the identity can send to the endpoint.
    pub healthy: bool,
    /// What happened, for the user.
    pub summary: String,
}

impl ProbeVerdict {
    /// A probe that could not even be sent.
    pub fn unsendable(problem: impl Into<String>) -> Self {
        Self {
            healthy: false,
            summary: problem.into(),
        }
    }
}

/// The probe: a background push (no alert, no sound) to the placeholder token.
pub fn probe(topic: Option<Topic>) -> Notification {
    let payload = Payload::from_json(r#"{"aps":{"content-available":1}}"#)
        .expect("a constant payload is valid JSON");
    let mut notification = Notification::new(DeviceToken::placeholder(), payload);
    notification.push_type = PushType::Background;
    notification.priority = Some(Priority::Normal);
    notification.topic = topic;
    notification
}

/// Reads the probe's outcome, which took `elapsed`.
pub fn verdict(outcome: &Outcome, elapsed: Duration) -> ProbeVerdict {
    let took = format!("{} ms", elapsed.as_millis());
    match &outcome.verdict {
        Verdict::Accepted { .. } => ProbeVerdict {
            healthy: true,
            summary: format!(
                "connected, and the server accepted a push to a placeholder token (only a test server does that) in {took}"
            ),
        },
        Verdict::Rejected(Refusal::Http2 {
            reason: Reason::BadDeviceToken,
            ..
        }) => ProbeVerdict {
            healthy: true,
            summary: format!(
                "credentials and topic accepted in {took}; APNs refused only the placeholder device token, as a test expects"
            ),
        },
        Verdict::Rejected(refusal) => ProbeVerdict {
            healthy: false,
            summary: format!("refused with {refusal}"),
        },
        Verdict::Failed(cause) => ProbeVerdict {
            healthy: false,
            summary: format!("could not send: {cause}"),
        },
        Verdict::NotSent => ProbeVerdict::unsendable("the test was cancelled"),
        Verdict::Unconfirmed => ProbeVerdict {
            healthy: false,
            summary: format!(
                "the gateway took the connection but gave no answer in {took}, so nothing proves the credentials work"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apns::{DisconnectCause, FailureCause};

    fn outcome(verdict: Verdict) -> Outcome {
        Outcome {
            verdict,
            ..Outcome::not_sent(
                DeviceToken::placeholder(),
                crate::apns::ApnsId::from_uuid(uuid::Uuid::nil()),
            )
        }
    }

    fn refused(status: u16, reason: Reason) -> Outcome {
        outcome(Verdict::Rejected(Refusal::Http2 {
            status,
            reason,
            timestamp_ms: None,
            apns_unique_id: None,
        }))
    }

    #[test]
    fn bad_device_token_is_the_healthy_answer() {
        let answer = refused(400, Reason::BadDeviceToken);
        let verdict = verdict(&answer, Duration::from_millis(412));
        assert!(verdict.healthy);
        assert!(
            verdict
                .summary
                .starts_with("credentials and topic accepted in 412 ms")
        );
    }

    #[test]
    fn a_credential_refusal_says_which_and_why() {
        let answer = refused(403, Reason::InvalidProviderToken);
        let verdict = verdict(&answer, Duration::ZERO);
        assert!(!verdict.healthy);
        assert!(
            verdict
                .summary
                .starts_with("refused with 403 InvalidProviderToken: "),
            "{}",
            verdict.summary
        );
    }

    #[test]
    fn a_network_failure_carries_its_error() {
        let answer = outcome(Verdict::Failed(FailureCause::Disconnected(
            DisconnectCause::ConnectFailed {
                endpoint: "127.0.0.1:9".into(),
                detail: "connection refused".into(),
            },
        )));
        let verdict = verdict(&answer, Duration::ZERO);
        assert!(!verdict.healthy);
        assert_eq!(
            verdict.summary,
            "could not send: cannot connect to 127.0.0.1:9: connection refused"
        );
    }

    #[test]
    fn the_probe_is_silent_and_addressed_to_no_device() {
        let probe = probe(Some("com.example.app".parse().unwrap()));
        assert_eq!(probe.token, DeviceToken::placeholder());
        assert_eq!(probe.push_type, PushType::Background);
        assert_eq!(
            probe.payload.to_json(),
            r#"{"aps":{"content-available":1}}"#
        );
    }
}
