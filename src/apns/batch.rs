//! A batch of notifications and what became of each: the types both senders share.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::outcome::{Disconnection, Outcome, OutcomeKind};
use super::{ApnsId, DeviceToken, Notification, NotificationError, Transport};

/// One prepared request: everything but the connection.
#[derive(Clone, Debug)]
pub struct PreparedRequest {
    /// The device.
    pub token: DeviceToken,
    /// apns-* headers, without authorization (the connection adds it).
    pub headers: Arc<Vec<(&'static str, String)>>,
    /// The apns-id header, per notification.
    pub apns_id: Option<String>,
    /// The payload, shared between the notifications of a batch.
    pub body: Bytes,
}

/// One notification of a batch, ready to send.
#[derive(Clone, Debug)]
pub struct BatchItem {
    /// The id the notification is sent with (made here when the user gave none).
    pub apns_id: ApnsId,
    /// The request, token included.
    pub request: PreparedRequest,
    /// Expiry for the legacy formats (UNIX seconds, 0 = don't store).
    pub expiry: u32,
    /// Priority for the legacy frame format.
    pub priority: Option<super::Priority>,
}

/// Notifications to send together.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    items: Vec<BatchItem>,
}

fn checked_body(
    notification: &Notification,
    transport: Transport,
) -> Result<Bytes, NotificationError> {
    super::notification::sized_body(&notification.payload, &notification.limit(transport))
        .map(Bytes::from)
}

impl Batch {
    /// One payload to many tokens: the payload is serialised and checked once.
    /// The template's apns-id is used only for a single token; otherwise every
    /// notification gets its own, so each answer can be told apart.
    pub fn same_payload(
        template: &Notification,
        tokens: Vec<DeviceToken>,
        transport: Transport,
    ) -> Result<Self, NotificationError> {
        let body = checked_body(template, transport)?;
        let headers = Arc::new(
            template
                .http2_headers(None)
                .into_iter()
                .filter(|(name, _)| *name != "apns-id")
                .collect::<Vec<_>>(),
        );
        let single = tokens.len() == 1;
        let items = tokens
            .into_iter()
            .map(|token| {
                let apns_id = match template.apns_id {
                    Some(id) if single => id,
                    _ => ApnsId::from_uuid(uuid::Uuid::new_v4()),
                };
                BatchItem {
                    apns_id,
                    request: PreparedRequest {
                        token,
                        headers: Arc::clone(&headers),
                        apns_id: Some(apns_id.to_string()),
                        body: body.clone(),
                    },
                    expiry: template.expiration.map_or(0, |e| e.unix_seconds()),
                    priority: template.priority,
                }
            })
            .collect();
        Ok(Self { items })
    }

    /// Distinct notifications. Fails on the first one that cannot be sent, naming its index.
    pub fn from_notifications(
        notifications: &[Notification],
        transport: Transport,
    ) -> Result<Self, (usize, NotificationError)> {
        let mut items = Vec::with_capacity(notifications.len());
        for (index, notification) in notifications.iter().enumerate() {
            let body = checked_body(notification, transport).map_err(|error| (index, error))?;
            let apns_id = notification
                .apns_id
                .unwrap_or_else(|| ApnsId::from_uuid(uuid::Uuid::new_v4()));
            let headers = notification
                .http2_headers(None)
                .into_iter()
                .filter(|(name, _)| *name != "apns-id")
                .collect();
            items.push(BatchItem {
                apns_id,
                request: PreparedRequest {
                    token: notification.token.clone(),
                    headers: Arc::new(headers),
                    apns_id: Some(apns_id.to_string()),
                    body,
                },
                expiry: notification.expiration.map_or(0, |e| e.unix_seconds()),
                priority: notification.priority,
            });
        }
        Ok(Self { items })
    }

    /// The items, in order.
    pub fn items(&self) -> &[BatchItem] {
        &self.items
    }

    /// How many notifications.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn subset(&self, keep: impl Fn(usize) -> bool) -> Self {
        Self {
            items: self
                .items
                .iter()
                .enumerate()
                .filter(|(index, _)| keep(*index))
                .map(|(_, item)| item.clone())
                .collect(),
        }
    }
}

/// Live counts while a batch runs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// Notifications in the batch.
    pub total: usize,
    /// Finished (any outcome).
    pub done: usize,
    /// Accepted so far.
    pub accepted: usize,
    /// Rejected so far.
    pub rejected: usize,
    /// Failed so far.
    pub failed: usize,
    /// Legacy: written but never confirmed by the gateway.
    pub unconfirmed: usize,
    /// Retries so far (resends after 429/5xx/lost connections).
    pub retried: u64,
    /// Time since the batch started.
    pub elapsed: Duration,
}

impl Progress {
    /// Counts one finished notification.
    pub fn count(&mut self, kind: OutcomeKind) {
        self.done += 1;
        match kind {
            OutcomeKind::Accepted => self.accepted += 1,
            OutcomeKind::Rejected => self.rejected += 1,
            OutcomeKind::Failed => self.failed += 1,
            OutcomeKind::Unconfirmed => self.unconfirmed += 1,
            OutcomeKind::NotSent => {}
        }
    }

    /// Finished notifications per second.
    pub fn rate(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.done as f64 / seconds
        } else {
            0.0
        }
    }

    /// Estimated time left at the current rate.
    pub fn eta(&self) -> Option<Duration> {
        let rate = self.rate();
        (rate > 0.0).then(|| Duration::from_secs_f64((self.total - self.done) as f64 / rate))
    }
}

/// What a sender reports while it works.
#[derive(Clone, Debug)]
pub enum SendEvent {
    /// Updated counts (at most every 100 ms, and at the end).
    Progress(Progress),
    /// The final outcome of the item at `index`.
    Outcome {
        /// Index in the batch.
        index: usize,
        /// What became of it.
        outcome: Outcome,
    },
}

/// The result of a batch.
#[derive(Clone, Debug, Default)]
pub struct BatchReport {
    /// One outcome per item, in batch order.
    pub outcomes: Vec<Outcome>,
    /// Problems not tied to one token (connection failures, a gateway error
    /// that stopped the rest), in words.
    pub errors: Vec<String>,
    /// Every connection that ended under the batch, with the notification it took down.
    pub disconnections: Vec<Disconnection>,
    /// Whether the batch was cancelled.
    pub cancelled: bool,
    /// Wall time of the batch.
    pub elapsed: Duration,
    /// Legacy only: notifications sent again after a connection closed without
    /// saying which was last processed; the device may see these twice.
    pub possible_duplicates: usize,
    /// Notifications written again for any reason (a discarded tail after an
    /// error-response, an unconfirmed round after a silent close, a 429/5xx, a lost stream).
    pub resent: usize,
}

impl BatchReport {
    /// Outcomes of one kind.
    pub fn count(&self, kind: OutcomeKind) -> usize {
        self.outcomes.iter().filter(|o| o.kind() == kind).count()
    }

    /// The outcomes that did not end accepted.
    pub fn failed(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(|o| o.kind() != OutcomeKind::Accepted)
    }

    /// Whether anything is worth sending again.
    pub fn needs_retry(&self) -> bool {
        self.outcomes.iter().any(Outcome::needs_retry)
    }

    /// The items of `batch` worth sending again: not sent, failed, or rejected
    /// for a retryable reason. Dead and bad tokens are left out.
    pub fn retry_batch(&self, batch: &Batch) -> Batch {
        batch.subset(|index| self.outcomes.get(index).is_some_and(Outcome::needs_retry))
    }

    /// Whether every notification was accepted.
    pub fn all_accepted(&self) -> bool {
        self.outcomes
            .iter()
            .all(|o| o.kind() == OutcomeKind::Accepted)
    }
}
