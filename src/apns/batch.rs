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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::apns::{Expiration, Payload, Priority, Reason, Refusal, Verdict};

    const TEMPLATE_ID: &str = "123e4567-e89b-12d3-a456-426614174000";

    fn token(digits: &str) -> DeviceToken {
        digits.repeat(32).parse().unwrap()
    }

    fn template() -> Notification {
        let mut notification = Notification::new(
            token("00"),
            Payload::from_json(r#"{"aps":{"alert":"Hi"}}"#).unwrap(),
        );
        notification.topic = Some("com.example.app".parse().unwrap());
        notification.priority = Some(Priority::Normal);
        notification.expiration = Some(Expiration(1_700_000_000));
        notification.apns_id = Some(TEMPLATE_ID.parse().unwrap());
        notification
    }

    fn oversized() -> Notification {
        let pad = "x".repeat(4200);
        Notification::new(
            token("ff"),
            Payload::from_json(&format!(r#"{{"pad":"{pad}"}}"#)).unwrap(),
        )
    }

    fn template_headers() -> Vec<(&'static str, String)> {
        [
            ("apns-push-type", "alert"),
            ("apns-topic", "com.example.app"),
            ("apns-priority", "5"),
            ("apns-expiration", "1700000000"),
        ]
        .into_iter()
        .map(|(name, value)| (name, value.to_string()))
        .collect()
    }

    /// What every item made from `template()` shares: headers, body, expiry and priority.
    fn assert_carries_the_template(item: &BatchItem) {
        assert_eq!(*item.request.headers, template_headers());
        assert_eq!(item.request.body.to_vec(), br#"{"aps":{"alert":"Hi"}}"#);
        assert_eq!(item.expiry, 1_700_000_000);
        assert_eq!(item.priority, Some(Priority::Normal));
    }

    fn too_large() -> NotificationError {
        NotificationError::PayloadTooLarge {
            size: 4210,
            limit: "the limit for alert over HTTP/2 is 4,096".into(),
        }
    }

    fn with(verdict: Verdict, item: &BatchItem) -> Outcome {
        Outcome {
            verdict,
            ..Outcome::not_sent(item.request.token.clone(), item.apns_id)
        }
    }

    fn rejected(reason: Reason) -> Verdict {
        Verdict::Rejected(Refusal::Http2 {
            status: reason.status().unwrap(),
            reason,
            timestamp_ms: None,
            apns_unique_id: None,
        })
    }

    fn accepted() -> Verdict {
        Verdict::Accepted {
            apns_unique_id: None,
        }
    }

    fn report(verdicts: Vec<Verdict>, batch: &Batch) -> BatchReport {
        BatchReport {
            outcomes: verdicts
                .into_iter()
                .zip(batch.items())
                .map(|(verdict, item)| with(verdict, item))
                .collect(),
            ..BatchReport::default()
        }
    }

    fn five() -> Batch {
        let tokens = ["01", "02", "03", "04", "05"].map(token).to_vec();
        Batch::same_payload(&template(), tokens, Transport::Http2).unwrap()
    }

    #[test]
    fn a_single_token_keeps_the_templates_id_and_every_header_but_the_id() {
        let batch = Batch::same_payload(&template(), vec![token("ab")], Transport::Http2).unwrap();
        assert_eq!(batch.len(), 1);
        assert!(!batch.is_empty());
        let [item] = batch.items() else {
            panic!("one item expected, got {:?}", batch.items());
        };
        let id: ApnsId = TEMPLATE_ID.parse().unwrap();
        assert_eq!(item.apns_id, id);
        assert_eq!(item.request.apns_id.as_deref(), Some(TEMPLATE_ID));
        assert_eq!(item.request.token, token("ab"));
        assert_carries_the_template(item);
    }

    #[test]
    fn several_tokens_get_distinct_fresh_ids_and_share_the_rest() {
        let tokens = vec![token("01"), token("02"), token("03")];
        let batch = Batch::same_payload(&template(), tokens.clone(), Transport::Http2).unwrap();
        assert_eq!(batch.len(), 3);
        assert!(!batch.is_empty());
        let template_id: ApnsId = TEMPLATE_ID.parse().unwrap();
        let ids: HashSet<ApnsId> = batch.items().iter().map(|item| item.apns_id).collect();
        assert_eq!(ids.len(), 3);
        assert!(!ids.contains(&template_id));
        for (item, token) in batch.items().iter().zip(&tokens) {
            assert_eq!(&item.request.token, token);
            assert_eq!(item.request.apns_id, Some(item.apns_id.to_string()));
            assert_carries_the_template(item);
        }
    }

    #[test]
    fn without_an_expiration_or_an_id_the_expiry_is_zero_and_an_id_is_made() {
        let mut plain = template();
        plain.expiration = None;
        plain.priority = None;
        plain.apns_id = None;
        let batch = Batch::same_payload(&plain, vec![token("ab")], Transport::Http2).unwrap();
        let item = &batch.items()[0];
        assert_eq!(item.expiry, 0);
        assert_eq!(item.priority, None);
        assert_ne!(item.apns_id, ApnsId::from_uuid(uuid::Uuid::nil()));
        assert_eq!(item.request.apns_id, Some(item.apns_id.to_string()));
        let expected: Vec<(&'static str, String)> = vec![
            ("apns-push-type", "alert".to_string()),
            ("apns-topic", "com.example.app".to_string()),
        ];
        assert_eq!(*item.request.headers, expected);
    }

    #[test]
    fn an_oversized_payload_makes_no_batch() {
        let error =
            Batch::same_payload(&oversized(), vec![token("ab")], Transport::Http2).unwrap_err();
        assert_eq!(error, too_large());
    }

    #[test]
    fn no_tokens_make_an_empty_batch() {
        let batch = Batch::same_payload(&template(), Vec::new(), Transport::Http2).unwrap();
        assert_eq!(batch.len(), 0);
        assert!(batch.is_empty());
        assert!(batch.items().is_empty());
        assert!(Batch::default().is_empty());
    }

    #[test]
    fn distinct_notifications_keep_their_ids_or_get_new_ones() {
        let first = template();
        let mut second = Notification::new(
            token("02"),
            Payload::from_json(r#"{"aps":{"badge":3}}"#).unwrap(),
        );
        second.priority = Some(Priority::Low);
        let batch = Batch::from_notifications(&[first, second], Transport::Http2).unwrap();
        assert_eq!(batch.len(), 2);
        assert!(!batch.is_empty());
        let [kept, made] = batch.items() else {
            panic!("two items expected, got {:?}", batch.items());
        };

        let template_id: ApnsId = TEMPLATE_ID.parse().unwrap();
        assert_eq!(kept.apns_id, template_id);
        assert_eq!(kept.request.apns_id.as_deref(), Some(TEMPLATE_ID));
        assert_eq!(kept.request.token, token("00"));
        assert_carries_the_template(kept);

        assert_ne!(made.apns_id, template_id);
        assert_ne!(made.apns_id, ApnsId::from_uuid(uuid::Uuid::nil()));
        assert_eq!(made.request.apns_id, Some(made.apns_id.to_string()));
        assert_eq!(made.request.token, token("02"));
        let expected: Vec<(&'static str, String)> = vec![
            ("apns-push-type", "alert".to_string()),
            ("apns-priority", "1".to_string()),
        ];
        assert_eq!(*made.request.headers, expected);
        assert_eq!(made.request.body.to_vec(), br#"{"aps":{"badge":3}}"#);
        assert_eq!(made.expiry, 0);
        assert_eq!(made.priority, Some(Priority::Low));
    }

    #[test]
    fn the_first_notification_that_cannot_be_sent_is_named_by_its_index() {
        let notifications = [template(), oversized(), template(), oversized()];
        let error = Batch::from_notifications(&notifications, Transport::Http2).unwrap_err();
        assert_eq!(error, (1, too_large()));
        let error = Batch::from_notifications(&[oversized()], Transport::Http2).unwrap_err();
        assert_eq!(error, (0, too_large()));
        assert!(
            Batch::from_notifications(&[], Transport::Http2)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn progress_counts_every_kind_and_all_of_them_as_done() {
        let mut progress = Progress {
            total: 10,
            ..Progress::default()
        };
        for kind in [
            OutcomeKind::Accepted,
            OutcomeKind::Accepted,
            OutcomeKind::Accepted,
            OutcomeKind::Rejected,
            OutcomeKind::Rejected,
            OutcomeKind::Failed,
            OutcomeKind::Unconfirmed,
            OutcomeKind::Unconfirmed,
            OutcomeKind::NotSent,
        ] {
            progress.count(kind);
        }
        assert_eq!(
            progress,
            Progress {
                total: 10,
                done: 9,
                accepted: 3,
                rejected: 2,
                failed: 1,
                unconfirmed: 2,
                retried: 0,
                elapsed: Duration::ZERO,
            }
        );
    }

    #[test]
    fn not_sent_counts_only_as_done() {
        let mut progress = Progress::default();
        progress.count(OutcomeKind::NotSent);
        progress.count(OutcomeKind::NotSent);
        assert_eq!(
            progress,
            Progress {
                done: 2,
                ..Progress::default()
            }
        );
    }

    #[test]
    fn the_rate_is_notifications_done_per_second() {
        let at_start = Progress {
            total: 100,
            done: 25,
            ..Progress::default()
        };
        assert_eq!(at_start.rate(), 0.0);
        let running = Progress {
            elapsed: Duration::from_secs(5),
            ..at_start
        };
        assert_eq!(running.rate(), 5.0);
        let fast = Progress {
            elapsed: Duration::from_millis(500),
            ..at_start
        };
        assert_eq!(fast.rate(), 50.0);
    }

    #[test]
    fn the_eta_is_what_is_left_at_the_current_rate() {
        let running = Progress {
            total: 100,
            done: 25,
            elapsed: Duration::from_secs(5),
            ..Progress::default()
        };
        assert_eq!(running.eta(), Some(Duration::from_secs(15)));
        let finished = Progress {
            done: 100,
            elapsed: Duration::from_secs(4),
            ..running
        };
        assert_eq!(finished.eta(), Some(Duration::ZERO));
        let at_start = Progress {
            elapsed: Duration::ZERO,
            ..running
        };
        assert_eq!(at_start.eta(), None);
        let nothing_done = Progress { done: 0, ..running };
        assert_eq!(nothing_done.eta(), None);
    }

    #[test]
    fn a_report_counts_its_outcomes_by_kind_and_lists_those_not_accepted() {
        let batch = five();
        let report = report(
            vec![
                accepted(),
                rejected(Reason::BadDeviceToken),
                accepted(),
                Verdict::NotSent,
                Verdict::Unconfirmed,
            ],
            &batch,
        );
        assert_eq!(report.count(OutcomeKind::Accepted), 2);
        assert_eq!(report.count(OutcomeKind::Rejected), 1);
        assert_eq!(report.count(OutcomeKind::Failed), 0);
        assert_eq!(report.count(OutcomeKind::NotSent), 1);
        assert_eq!(report.count(OutcomeKind::Unconfirmed), 1);
        let failed: Vec<ApnsId> = report.failed().map(|outcome| outcome.apns_id).collect();
        let items = batch.items();
        assert_eq!(
            failed,
            [items[1].apns_id, items[3].apns_id, items[4].apns_id]
        );
        assert!(!report.all_accepted());
    }

    #[test]
    fn only_retryable_outcomes_make_a_report_need_a_retry() {
        let batch = five();
        let settled = report(
            vec![
                accepted(),
                rejected(Reason::Unregistered),
                Verdict::Unconfirmed,
            ],
            &batch,
        );
        assert!(!settled.needs_retry());
        assert!(settled.retry_batch(&batch).is_empty());
        let unsettled = report(
            vec![accepted(), rejected(Reason::TooManyRequests), accepted()],
            &batch,
        );
        assert!(unsettled.needs_retry());
        assert!(!BatchReport::default().needs_retry());
    }

    #[test]
    fn the_retry_batch_keeps_exactly_the_retryable_items_in_order() {
        let batch = five();
        // Four outcomes for five items: the fifth has none and is left out.
        let report = report(
            vec![
                Verdict::NotSent,
                accepted(),
                rejected(Reason::ServiceUnavailable),
                rejected(Reason::BadDeviceToken),
            ],
            &batch,
        );
        let retry = report.retry_batch(&batch);
        let ids: Vec<ApnsId> = retry.items().iter().map(|item| item.apns_id).collect();
        let items = batch.items();
        assert_eq!(ids, [items[0].apns_id, items[2].apns_id]);
        assert_eq!(retry.len(), 2);
        assert_eq!(retry.items()[1].request.token, token("03"));
    }

    #[test]
    fn a_report_is_all_accepted_only_when_every_outcome_is() {
        let batch = five();
        let all = report(vec![accepted(); 5], &batch);
        assert!(all.all_accepted());
        assert_eq!(all.failed().count(), 0);
        assert!(!all.needs_retry());
        let mut one_other = vec![accepted(); 5];
        one_other[4] = Verdict::Unconfirmed;
        assert!(!report(one_other, &batch).all_accepted());
        let mut one_refused = vec![accepted(); 5];
        one_refused[0] = rejected(Reason::BadDeviceToken);
        assert!(!report(one_refused, &batch).all_accepted());
    }
}
