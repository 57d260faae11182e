//! The legacy binary gateway client: writes without waiting, listens for the
//! error-response, and resends what the gateway discarded.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::Endpoint;
use super::connect::connect_tls;
use super::error::io_cause;
use crate::apns::legacy::{
    self, CONFIRMATION_IDENTIFIER, ERROR_RESPONSE_LEN, ErrorResponse, LegacyNotification,
    LegacyStatus, encode_confirmation,
};
use crate::apns::{
    Batch, BatchItem, BatchReport, ClientIdentity, DisconnectCause, Disconnection, FailureCause,
    LegacyFormat, Outcome, OutcomeKind, Progress, Refusal, SendEvent, Verdict,
};

/// Settings of the legacy gateway client.
#[derive(Clone, Debug)]
pub struct LegacyConfig {
    /// The gateway.
    pub endpoint: Endpoint,
    /// The push certificate (the legacy protocol has no token auth).
    pub identity: ClientIdentity,
    /// Simple, enhanced or frame.
    pub format: LegacyFormat,
    /// How long to wait after the last write of a round for the gateway's answer: the
    /// error-response to the round's confirmation (enhanced and frame), or a late
    /// error-response or close. Apple's came 0.1-0.8 s after the bad notification; silence
    /// this long leaves the round unconfirmed.
    pub answer_wait: Duration,
    /// Notifications per round (each round is one connection, ended by a confirmation);
    /// `None`: the whole batch in one round, until a silent close makes rounds smaller.
    /// Smaller rounds bound the duplicates a silent close can cause, at the cost of a
    /// connection and an answer wait per round.
    pub confirm_every: Option<usize>,
    /// Times one notification may be written before it is given up.
    pub max_attempts: u32,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
}

/// How long a round waits for the gateway's answer unless told otherwise: comfortably
/// more than the 0.1-0.8 s Apple's gateway took, and than a 2 s test gateway.
pub const DEFAULT_ANSWER_WAIT: Duration = Duration::from_secs(4);

impl LegacyConfig {
    /// Defaults: frame format, 4 s answer wait, one round, 3 attempts.
    pub fn new(endpoint: Endpoint, identity: ClientIdentity) -> Self {
        Self {
            endpoint,
            identity,
            format: LegacyFormat::Frame,
            answer_wait: DEFAULT_ANSWER_WAIT,
            confirm_every: None,
            max_attempts: 3,
            connect_timeout: Duration::from_secs(15),
        }
    }
}

/// How a connection ended, as its reader saw it.
enum ConnectionEnd {
    ErrorResponse(ErrorResponse),
    Closed(DisconnectCause),
}

/// What an error-response naming this notification, or a later one, says of it.
const ACCEPTED: Verdict = Verdict::Accepted {
    apns_unique_id: None,
};

/// Bytes per write call: large enough to keep the socket busy, small enough
/// to notice an error-response quickly.
const WRITE_BUFFER_BYTES: usize = 128 * 1024;

/// After this many notifications in a row were given up alone in flight with
/// nothing accepted, the gateway is refusing everything: stop the batch.
const GIVE_UP_AFTER_SOLO_CLOSES: usize = 3;

/// Sends batches over the legacy binary gateway.
pub struct LegacySender {
    config: LegacyConfig,
}

struct Run<'a> {
    config: &'a LegacyConfig,
    items: &'a [BatchItem],
    payloads: Vec<Vec<u8>>,
    outcomes: Vec<Option<Outcome>>,
    queue: VecDeque<usize>,
    report: BatchReport,
    progress: Progress,
    events: Option<mpsc::UnboundedSender<SendEvent>>,
    /// After a silent close, how many notifications a round may hold; `None` is
    /// unlimited. Halving it on each silent close guarantees progress against a gateway
    /// that closes after every N notifications, since nothing says how many it read. It
    /// does not grow back after rounds go through: a round as large as the one that was
    /// cut short would be cut short again, so half of it is as large as it can safely be.
    window: Option<usize>,
    /// Per item: silent closes while it was the only notification in flight.
    solo_closes: Vec<u32>,
    silent_closes: usize,
    last_close_cause: Option<DisconnectCause>,
    /// Silent closes with one notification in flight since anything was accepted.
    solo_streak: usize,
    started: Instant,
    last_progress: Instant,
}

impl LegacySender {
    /// A sender for `config`.
    pub fn new(config: LegacyConfig) -> Self {
        Self { config }
    }

    /// Sends `batch`; each item's identifier is its index in the batch.
    pub async fn send(
        &self,
        batch: &Batch,
        events: Option<mpsc::UnboundedSender<SendEvent>>,
        cancel: CancellationToken,
    ) -> BatchReport {
        let items = batch.items();
        let mut run = Run {
            config: &self.config,
            items,
            payloads: items
                .iter()
                .map(|item| item.request.body.to_vec())
                .collect(),
            outcomes: vec![None; items.len()],
            queue: (0..items.len()).collect(),
            report: BatchReport::default(),
            progress: Progress {
                total: items.len(),
                ..Progress::default()
            },
            events,
            window: None,
            solo_closes: vec![0; items.len()],
            silent_closes: 0,
            last_close_cause: None,
            solo_streak: 0,
            started: Instant::now(),
            last_progress: Instant::now(),
        };
        let mut connect_failures = 0;
        while !run.queue.is_empty() && !cancel.is_cancelled() {
            match connect_tls(
                &self.config.endpoint,
                Some(&self.config.identity),
                &[],
                self.config.connect_timeout,
            )
            .await
            {
                Ok(stream) => {
                    connect_failures = 0;
                    run.connection(stream, &cancel).await;
                    if run.solo_streak
                        >= GIVE_UP_AFTER_SOLO_CLOSES * self.config.max_attempts as usize
                    {
                        let cause = FailureCause::GatewayRefusedAll(
                            run.last_close_cause
                                .clone()
                                .unwrap_or(DisconnectCause::SilentClose),
                        );
                        run.report.errors.push(cause.to_string());
                        while let Some(index) = run.queue.pop_front() {
                            run.finish(index, Verdict::Failed(cause.clone()));
                        }
                        break;
                    }
                    if run.solo_streak > 0 {
                        // A notification alone in flight was cut off: pause before
                        // trying again so a refusing gateway is not hammered.
                        let backoff = Duration::from_millis(250 << run.solo_streak.min(4));
                        tokio::select! {
                            _ = tokio::time::sleep(backoff) => {}
                            _ = cancel.cancelled() => {}
                        }
                    }
                }
                Err(error) => {
                    connect_failures += 1;
                    if connect_failures >= self.config.max_attempts {
                        let cause = error.failure();
                        run.report.errors.push(cause.to_string());
                        if let Some(disconnect) = error.disconnect_cause() {
                            run.report.disconnections.push(Disconnection {
                                at: SystemTime::now(),
                                cause: disconnect,
                                index: run.queue.front().copied(),
                                resent: 0,
                            });
                        }
                        while let Some(index) = run.queue.pop_front() {
                            run.finish(index, Verdict::Failed(cause.clone()));
                        }
                        break;
                    }
                    let backoff = Duration::from_millis(250 * (1 << connect_failures));
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = cancel.cancelled() => {}
                    }
                }
            }
        }
        while let Some(index) = run.queue.pop_front() {
            run.finish(index, Verdict::NotSent);
        }
        if let (true, Some(last)) = (run.silent_closes > 0, &run.last_close_cause) {
            let message = format!(
                "the gateway closed the connection {} times without an error-response (last: {last}); {} notifications were sent again",
                run.silent_closes, run.report.possible_duplicates
            );
            run.report.errors.push(message);
        }
        run.report.resent = run.progress.retried as usize;
        run.report.cancelled = cancel.is_cancelled();
        run.report.elapsed = run.started.elapsed();
        run.emit_progress(true);
        let mut report = run.report;
        report.outcomes = run.outcomes.into_iter().flatten().collect();
        report
    }
}

impl Run<'_> {
    fn outcome_mut(&mut self, index: usize) -> &mut Outcome {
        self.outcomes[index].get_or_insert_with(|| {
            let item = &self.items[index];
            Outcome::not_sent(item.request.token.clone(), item.apns_id)
        })
    }

    fn finish(&mut self, index: usize, verdict: Verdict) {
        let started = self.started;
        let outcome = self.outcome_mut(index);
        outcome.verdict = verdict;
        outcome.latency = started.elapsed();
        let outcome = outcome.clone();
        let kind = outcome.kind();
        self.progress.count(kind);
        if kind == OutcomeKind::Accepted {
            self.solo_streak = 0;
        }
        if let Some(events) = &self.events {
            let _ = events.send(SendEvent::Outcome { index, outcome });
        }
        self.emit_progress(false);
    }

    fn emit_progress(&mut self, force: bool) {
        if let Some(events) = &self.events
            && (force || self.last_progress.elapsed() >= Duration::from_millis(100))
        {
            self.progress.elapsed = self.started.elapsed();
            let _ = events.send(SendEvent::Progress(self.progress));
            self.last_progress = Instant::now();
        }
    }

    /// How many notifications the next round may hold.
    fn round_limit(&self) -> Option<usize> {
        match (self.window, self.config.confirm_every) {
            (Some(window), Some(every)) => Some(window.min(every)),
            (window, every) => window.or(every),
        }
    }

    /// Writes one round on one connection: notifications until the queue is empty or the
    /// round is full, then (enhanced and frame) the confirmation; settles what the
    /// gateway's answer, close or silence says.
    async fn connection(
        &mut self,
        stream: tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
        cancel: &CancellationToken,
    ) {
        let (mut reader, mut writer) = tokio::io::split(stream);
        let (end_tx, mut end_rx) = oneshot::channel();
        let reader_task = tokio::spawn(async move {
            let mut bytes = [0u8; ERROR_RESPONSE_LEN];
            let end = match reader.read_exact(&mut bytes).await {
                Ok(_) => match ErrorResponse::decode(&bytes) {
                    Ok(response) => ConnectionEnd::ErrorResponse(response),
                    Err(error) => ConnectionEnd::Closed(DisconnectCause::Io {
                        detail: error.to_string(),
                    }),
                },
                Err(error) => ConnectionEnd::Closed(io_cause(&error)),
            };
            let _ = end_tx.send(end);
        });
        let confirmable = self.config.format != LegacyFormat::Simple;
        let limit = self.round_limit();
        let mut written: Vec<usize> = Vec::new();
        let mut buffer = Vec::with_capacity(WRITE_BUFFER_BYTES + 4096);
        let end = loop {
            let round_full = limit.is_some_and(|limit| written.len() >= limit);
            if cancel.is_cancelled() || self.queue.is_empty() || round_full {
                if written.is_empty() {
                    let _ = writer.shutdown().await;
                    reader_task.abort();
                    return;
                }
                if confirmable {
                    buffer.clear();
                    encode_confirmation(self.config.format, &mut buffer);
                    if let Some(end) = self.write(&mut writer, &buffer, &mut end_rx).await {
                        break end;
                    }
                }
                // Wait for the answer: the confirmation's error-response, an earlier
                // notification's, or a close. Silence says nothing either way.
                tokio::select! {
                    end = &mut end_rx => break end.unwrap_or(ConnectionEnd::Closed(DisconnectCause::SilentClose)),
                    _ = tokio::time::sleep(self.config.answer_wait) => {
                        for index in written.drain(..) {
                            self.finish(index, Verdict::Unconfirmed);
                        }
                        if confirmable || cancel.is_cancelled() || self.queue.is_empty() {
                            let _ = writer.shutdown().await;
                            reader_task.abort();
                            return;
                        }
                        // The simple format has no confirmation: after a quiet wait, go on
                        // writing on the same connection.
                        continue;
                    }
                }
            }
            buffer.clear();
            let room = limit.map_or(usize::MAX, |limit| limit - written.len());
            let mut added = 0;
            while buffer.len() < WRITE_BUFFER_BYTES && added < room {
                let Some(index) = self.queue.pop_front() else {
                    break;
                };
                let item = &self.items[index];
                let notification = LegacyNotification {
                    token: item.request.token.as_bytes(),
                    payload: &self.payloads[index],
                    identifier: index as u32,
                    expiry: item.expiry,
                    priority: item.priority,
                };
                if let Err(error) = legacy::encode(self.config.format, &notification, &mut buffer) {
                    self.finish(
                        index,
                        Verdict::Failed(FailureCause::Unencodable(error.to_string())),
                    );
                    continue;
                }
                self.outcome_mut(index).attempts += 1;
                written.push(index);
                added += 1;
            }
            if buffer.is_empty() {
                continue;
            }
            if let Some(end) = self.write(&mut writer, &buffer, &mut end_rx).await {
                break end;
            }
        };
        reader_task.abort();
        self.settle(written, end);
    }

    /// Writes and flushes `bytes` (so a wait that follows starts with them on the wire);
    /// the connection's end if it ended first or the write failed.
    async fn write(
        &self,
        writer: &mut tokio::io::WriteHalf<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>,
        bytes: &[u8],
        end_rx: &mut oneshot::Receiver<ConnectionEnd>,
    ) -> Option<ConnectionEnd> {
        tokio::select! {
            result = async { writer.write_all(bytes).await?; writer.flush().await } => {
                let error = result.err()?;
                debug!(%error, "write failed; waiting for the gateway's reason");
                Some(match tokio::time::timeout(self.config.answer_wait, end_rx).await {
                    Ok(Ok(end)) => end,
                    _ => ConnectionEnd::Closed(io_cause(&error)),
                })
            }
            end = &mut *end_rx => Some(end.unwrap_or(ConnectionEnd::Closed(DisconnectCause::SilentClose))),
        }
    }

    /// Decides what an ended connection delivered, and requeues the rest.
    fn settle(&mut self, written: Vec<usize>, end: ConnectionEnd) {
        if let ConnectionEnd::ErrorResponse(response) = &end
            && response.identifier == CONFIRMATION_IDENTIFIER
            && self.config.format != LegacyFormat::Simple
        {
            // The gateway got to the confirmation: it processed everything before it.
            for index in written {
                self.finish(index, ACCEPTED);
            }
            return;
        }
        let failed_at = match &end {
            ConnectionEnd::ErrorResponse(response) => written
                .iter()
                .position(|&index| index as u32 == response.identifier)
                .map(|position| (position, response.status)),
            ConnectionEnd::Closed(_) => None,
        };
        match failed_at {
            Some((position, status)) => {
                let failed = written[position];
                let rest = &written[position + 1..];
                self.report.disconnections.push(Disconnection {
                    at: SystemTime::now(),
                    cause: DisconnectCause::ErrorResponse {
                        status,
                        identifier: failed as u32,
                    },
                    index: Some(failed),
                    resent: if status.retry_rest() { rest.len() } else { 0 },
                });
                for &index in &written[..position] {
                    self.finish(index, ACCEPTED);
                }
                if status.named_was_processed() || status == LegacyStatus::NoErrors {
                    self.finish(failed, ACCEPTED);
                } else {
                    self.finish(failed, Verdict::Rejected(Refusal::Legacy(status)));
                }
                if status.retry_rest() {
                    // The gateway discarded these unread: resending them is not a
                    // duplicate, and that write does not count as an attempt.
                    for &index in rest.iter().rev() {
                        let outcome = self.outcome_mut(index);
                        outcome.attempts = outcome.attempts.saturating_sub(1);
                        self.queue.push_front(index);
                    }
                    self.progress.retried += rest.len() as u64;
                } else {
                    let cause = FailureCause::StoppedEarlier(status);
                    for &index in rest {
                        self.finish(index, Verdict::Failed(cause.clone()));
                    }
                    if !rest.is_empty() {
                        self.report.errors.push(format!(
                            "{} notifications were not delivered: the gateway stopped at an earlier one with \"{status}\", which would fail them too",
                            rest.len()
                        ));
                    }
                }
            }
            None => {
                // An error-response naming an identifier not sent on this connection says
                // nothing about what was read: it counts as a silent close.
                let cause = match end {
                    ConnectionEnd::ErrorResponse(response) => DisconnectCause::ErrorResponse {
                        status: response.status,
                        identifier: response.identifier,
                    },
                    ConnectionEnd::Closed(cause) => cause,
                };
                debug!(unconfirmed = written.len(), %cause, "connection closed without an error-response");
                self.silent_closes += 1;
                self.last_close_cause = Some(cause.clone());
                let mut disconnection = Disconnection {
                    at: SystemTime::now(),
                    cause,
                    index: written.first().copied(),
                    resent: 0,
                };
                // Nothing says which of these the gateway read: send them all again, in
                // smaller rounds. A notification that was alone in flight when the
                // connection closed is the likely cause; after max_attempts such closes
                // it is given up, and rounds are unlimited again.
                if let [index] = written[..] {
                    self.solo_streak += 1;
                    self.solo_closes[index] += 1;
                    if self.solo_closes[index] >= self.config.max_attempts {
                        let closes = self.solo_closes[index];
                        self.finish(index, Verdict::Failed(FailureCause::GaveUp { closes }));
                        self.window = None;
                        self.report.disconnections.push(disconnection);
                        return;
                    }
                }
                self.window = Some((written.len() / 2).max(1));
                disconnection.resent = written.len();
                self.report.disconnections.push(disconnection);
                self.report.possible_duplicates += written.len();
                self.progress.retried += written.len() as u64;
                for &index in written.iter().rev() {
                    self.queue.push_front(index);
                }
            }
        }
    }
}
