//! What a send came to, in the shape scripts read: the CLI's `--json` lines and the REST
//! API's results are the same records, so a script can move between them.

use crate::apns::{Outcome, OutcomeKind, Progress};

/// One notification's outcome. `outcome` is `accepted` only when the server said so.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OutcomeRecord {
    /// The device token, in hex.
    pub token: String,
    /// `accepted`, `rejected`, `failed`, `not_sent` (cancelled first) or `unconfirmed`
    /// (legacy: written, never confirmed).
    pub outcome: String,
    /// The HTTP status APNs answered (HTTP/2).
    pub status: Option<u16>,
    /// APNs' reason for a refusal, e.g. `BadDeviceToken`.
    pub reason: Option<String>,
    /// The legacy error-response status code.
    pub legacy_status: Option<u8>,
    /// The apns-id the notification went with.
    pub apns_id: String,
    /// The apns-unique-id APNs gave (development environment), for Apple's Delivery Log.
    pub apns_unique_id: Option<String>,
    /// For a 410: since when the token is no longer valid, ms since the epoch.
    pub timestamp: Option<u64>,
    /// How many times it was sent.
    pub attempts: u32,
    /// From the first write to the answer.
    pub latency_ms: f64,
    /// Why no answer came, for a failure.
    pub error: Option<String>,
}

impl OutcomeRecord {
    /// The record of `outcome`, sent over HTTP/2 (where an acceptance is a 200) or not.
    pub fn new(outcome: &Outcome, http2: bool) -> Self {
        Self {
            token: outcome.token.to_string(),
            outcome: match outcome.kind() {
                // Kept as scripts already read it.
                OutcomeKind::NotSent => "not_sent",
                kind => kind.as_str(),
            }
            .to_owned(),
            status: match outcome.kind() {
                OutcomeKind::Accepted if http2 => Some(200),
                _ => outcome.http_status(),
            },
            reason: outcome.reason().map(|reason| reason.as_str().to_owned()),
            legacy_status: outcome.legacy_status().map(|status| status.code()),
            apns_id: outcome.apns_id.to_string(),
            apns_unique_id: outcome.apns_unique_id().map(str::to_owned),
            timestamp: outcome.unregistered_since_ms(),
            attempts: outcome.attempts,
            latency_ms: outcome.latency.as_secs_f64() * 1000.0,
            error: outcome.failure().map(ToString::to_string),
        }
    }
}

/// A send's counts so far, or at its end.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Totals {
    /// Notifications in the send.
    pub total: usize,
    /// Answered or given up on.
    pub done: usize,
    /// Accepted by the server.
    pub accepted: usize,
    /// Refused by the server.
    pub rejected: usize,
    /// No answer: the connection failed.
    pub failed: usize,
    /// Legacy: written, never confirmed.
    pub unconfirmed: usize,
    /// Sends after the first, over all notifications.
    pub retried: u64,
    /// Since the send started.
    pub elapsed_ms: f64,
}

impl From<&Progress> for Totals {
    fn from(progress: &Progress) -> Self {
        Self {
            total: progress.total,
            done: progress.done,
            accepted: progress.accepted,
            rejected: progress.rejected,
            failed: progress.failed,
            unconfirmed: progress.unconfirmed,
            retried: progress.retried,
            elapsed_ms: progress.elapsed.as_secs_f64() * 1000.0,
        }
    }
}
