//! Sends a batch over HTTP/2 with bounded concurrency, retrying what APNs or the
//! network allows to be retried, and reporting one outcome per token.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{FutureExt, StreamExt, stream::FuturesUnordered};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info_span};

use super::{Http2Config, Http2Connection, Pool, PoolKey, SharedHeaders, TransportError};
use crate::apns::{
    Batch, BatchItem, BatchReport, Disconnection, FailureCause, Outcome, Progress, Reason, Refusal,
    RetryAdvice, SendEvent, Verdict,
};

/// How often and how patiently to retry.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts per notification, the first included.
    pub max_attempts: u32,
    /// Wait after 429 TooManyRequests.
    pub throttle_delay: Duration,
    /// First back-off after 500/503 or a lost connection; doubles each time.
    pub backoff_base: Duration,
    /// Longest back-off.
    pub backoff_max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            throttle_delay: Duration::from_secs(1),
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.backoff_base
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}

/// Sends batches to one endpoint with one identity over HTTP/2.
pub struct Http2Sender {
    pool: Arc<Pool>,
    key: PoolKey,
    config: Http2Config,
    /// Notifications in flight at once, over all connections.
    pub concurrency: usize,
    /// Connections the batch is spread over, each with its share of `concurrency`.
    pub connections: usize,
    /// Retry rules.
    pub retry: RetryPolicy,
}

struct Shared {
    pool: Arc<Pool>,
    /// One pool key per connection the batch is spread over.
    lanes: Vec<PoolKey>,
    config: Http2Config,
    retry: RetryPolicy,
    retried: AtomicU64,
    cancel: CancellationToken,
    /// Connections that ended under the batch, by connection id, with the first
    /// notification each left unanswered.
    disconnections: std::sync::Mutex<Vec<(Option<u64>, Disconnection)>>,
}

impl Shared {
    /// Keeps one row per connection that ended (`connection` = its id), or per distinct
    /// failure to connect (`None`: the waiters of one connect share its failure).
    fn note_disconnection(&self, connection: Option<u64>, error: &TransportError, index: usize) {
        let Some(cause) = error.disconnect_cause() else {
            return;
        };
        let mut seen = lock(&self.disconnections);
        let known = seen.iter().any(|(id, disconnection)| match connection {
            Some(_) => *id == connection,
            None => id.is_none() && disconnection.cause == cause,
        });
        if !known {
            seen.push((
                connection,
                Disconnection {
                    at: std::time::SystemTime::now(),
                    cause,
                    index: Some(index),
                    // HTTP/2 retries streams one by one; the batch counts them.
                    resent: 0,
                },
            ));
        }
    }
}

impl Http2Sender {
    /// A sender using connections from `pool`, shared with every sender of the same
    /// credential and endpoint.
    pub fn new(pool: Arc<Pool>, config: Http2Config) -> Self {
        let key = PoolKey::of(&config);
        Self {
            pool,
            key,
            config,
            concurrency: 100,
            connections: 1,
            retry: RetryPolicy::default(),
        }
    }

    /// Sends `batch`. Events go to `events` if given. After `cancel`, nothing new
    /// is started; what is in flight finishes and the rest is reported `NotSent`.
    pub async fn send(
        &self,
        batch: &Batch,
        events: Option<mpsc::UnboundedSender<SendEvent>>,
        cancel: CancellationToken,
    ) -> BatchReport {
        self.send_released(batch, events, cancel, None).await
    }

    /// Sends `batch` as [`Self::send`] does, but only the items `released` has let go
    /// (how many from the start; the history records them first). When `released` closes
    /// short of the whole batch, the rest is reported `NotSent`.
    pub async fn send_released(
        &self,
        batch: &Batch,
        events: Option<mpsc::UnboundedSender<SendEvent>>,
        cancel: CancellationToken,
        released: Option<watch::Receiver<usize>>,
    ) -> BatchReport {
        let started = Instant::now();
        let shared = Arc::new(Shared {
            pool: Arc::clone(&self.pool),
            lanes: (0..self.connections.max(1))
                .map(|lane| self.key.on_lane(lane))
                .collect(),
            config: self.config.clone(),
            retry: self.retry,
            retried: AtomicU64::new(0),
            cancel: cancel.clone(),
            disconnections: std::sync::Mutex::new(Vec::new()),
        });
        let items = batch.items();
        let collector = std::sync::Mutex::new(Collector {
            started,
            retried: &shared.retried,
            outcomes: vec![None; items.len()],
            progress: Progress {
                total: items.len(),
                ..Progress::default()
            },
            last_progress: Instant::now(),
            events: events.clone(),
        });
        let workers = self.concurrency.max(1).min(items.len());
        let crew = Crew {
            shared: &shared,
            items,
            next: AtomicUsize::new(0),
            current: (0..workers).map(|_| AtomicUsize::new(IDLE)).collect(),
            collector: &collector,
        };
        // As many workers as notifications may be in flight, each taking the next item
        // when its last is answered: no task, allocation or channel hop per notification.
        // Worker `slot` uses connection `slot % connections`, so each connection carries
        // its share, and a GOAWAY on one sends only its own workers to a new connection.
        // They run in this task (h2 runs the connection in its own), so they borrow the
        // batch instead of copying it.
        let mut running: FuturesUnordered<_> = (0..workers)
            .map(|slot| {
                let crew = &crew;
                let released = released.clone();
                AssertUnwindSafe(crew.work(slot, released))
                    .catch_unwind()
                    .map(move |result| (slot, result))
            })
            .collect();
        while let Some((slot, result)) = running.next().await {
            // A worker that died may have sent its notification: say so, don't call it unsent.
            if let Err(panic) = result {
                let index = crew.current[slot].load(Ordering::Relaxed);
                if let Some(item) = items.get(index) {
                    let mut outcome = Outcome::not_sent(item.request.token.clone(), item.apns_id);
                    outcome.verdict =
                        Verdict::Failed(FailureCause::Internal(panic_message(panic.as_ref())));
                    lock(&collector).record(index, outcome);
                }
            }
        }
        drop(running);
        drop(crew);
        let Collector {
            mut outcomes,
            mut progress,
            ..
        } = collector
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Items never started were not sent.
        let mut report = BatchReport {
            cancelled: cancel.is_cancelled(),
            ..BatchReport::default()
        };
        for (index, slot) in outcomes.iter_mut().enumerate() {
            if slot.is_none() {
                let outcome =
                    Outcome::not_sent(items[index].request.token.clone(), items[index].apns_id);
                if let Some(events) = &events {
                    let _ = events.send(SendEvent::Outcome {
                        index,
                        outcome: outcome.clone(),
                    });
                }
                *slot = Some(outcome);
            }
        }
        report.outcomes = outcomes.into_iter().flatten().collect();
        report.disconnections = std::mem::take(&mut *lock(&shared.disconnections))
            .into_iter()
            .map(|(_, disconnection)| disconnection)
            .collect();
        report.elapsed = started.elapsed();
        report.resent = shared.retried.load(Ordering::Relaxed) as usize;
        if let Some(events) = &events {
            progress.retried = shared.retried.load(Ordering::Relaxed);
            progress.elapsed = report.elapsed;
            let _ = events.send(SendEvent::Progress(progress));
        }
        report
    }
}

/// A worker's slot when it holds no notification.
const IDLE: usize = usize::MAX;

/// What the workers of one batch share.
struct Crew<'a, 'shared> {
    shared: &'a Shared,
    items: &'a [BatchItem],
    /// The next item no worker has taken.
    next: AtomicUsize,
    /// The item each worker holds, or `IDLE`.
    current: Vec<AtomicUsize>,
    collector: &'a std::sync::Mutex<Collector<'shared>>,
}

impl Crew<'_, '_> {
    /// Delivers items one after another until none is left, the batch is cancelled, or
    /// `released` (when given) stops short of the next one.
    async fn work(&self, slot: usize, mut released: Option<watch::Receiver<usize>>) {
        let mut connection = WorkerConnection {
            lane: &self.shared.lanes[slot % self.shared.lanes.len()],
            current: None,
        };
        // The batch's shared headers as HTTP/2 takes them, converted again only when an
        // item carries other ones.
        let mut headers: Option<SharedHeaders> = None;
        loop {
            if self.shared.cancel.is_cancelled() {
                return;
            }
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = self.items.get(index) else {
                return;
            };
            self.current[slot].store(index, Ordering::Relaxed);
            if let Some(released) = &mut released {
                let ready = tokio::select! {
                    ready = released.wait_for(|&count| count > index) => ready.is_ok(),
                    _ = self.shared.cancel.cancelled() => false,
                };
                if !ready {
                    // Never released (or cancelled first): reported not sent at the end.
                    return;
                }
            }
            let span =
                info_span!("push", apns_id = %item.apns_id, token = %item.request.token.masked());
            let item_headers = match headers.take() {
                Some(converted) if converted.are(&item.request.headers) => converted,
                _ => SharedHeaders::of(&item.request.headers),
            };
            let outcome = deliver(self.shared, &mut connection, &item_headers, index, item)
                .instrument(span)
                .await;
            headers = Some(item_headers);
            lock(self.collector).record(index, outcome);
            self.current[slot].store(IDLE, Ordering::Relaxed);
        }
    }
}

/// A worker's connection, kept from one notification to the next and asked of the
/// pool again only once it has closed: the pool's lock and key are not on the way of
/// every request.
struct WorkerConnection<'a> {
    lane: &'a PoolKey,
    current: Option<Http2Connection>,
}

impl WorkerConnection<'_> {
    /// The open connection of this worker's lane, connecting if it has none.
    async fn get(&mut self, shared: &Shared) -> Result<&mut Http2Connection, TransportError> {
        if self.current.as_ref().is_none_or(Http2Connection::is_closed) {
            self.current = None;
            let fetched = tokio::select! {
                connection = shared.pool.get(self.lane, &shared.config) => connection?,
                _ = shared.cancel.cancelled() => return Err(TransportError::Closed),
            };
            self.current = Some(fetched);
        }
        self.current.as_mut().ok_or(TransportError::Closed)
    }
}

/// The batch's answers as they come, and what is told of them.
struct Collector<'a> {
    started: Instant,
    retried: &'a AtomicU64,
    outcomes: Vec<Option<Outcome>>,
    progress: Progress,
    last_progress: Instant,
    events: Option<mpsc::UnboundedSender<SendEvent>>,
}

impl Collector<'_> {
    fn record(&mut self, index: usize, outcome: Outcome) {
        self.progress.count(outcome.kind());
        if let Some(events) = &self.events {
            let _ = events.send(SendEvent::Outcome {
                index,
                outcome: outcome.clone(),
            });
            if self.last_progress.elapsed() >= Duration::from_millis(100) {
                self.progress.elapsed = self.started.elapsed();
                self.progress.retried = self.retried.load(Ordering::Relaxed);
                let _ = events.send(SendEvent::Progress(self.progress));
                self.last_progress = Instant::now();
            }
        }
        if let Some(slot) = self.outcomes.get_mut(index) {
            *slot = Some(outcome);
        }
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a panic said, for the outcome it cost.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a sending task stopped unexpectedly".to_owned())
}

/// How many times one notification may be refused unprocessed (REFUSED_STREAM) before
/// those refusals count as attempts: a server that refuses everything is not retried forever.
const MAX_REFUSALS: u32 = 16;

/// Waits `delay` unless the batch is cancelled first; true if it was.
async fn wait_or_cancel(shared: &Shared, delay: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(delay) => false,
        _ = shared.cancel.cancelled() => true,
    }
}

/// Delivers one notification, retrying per the protocol's rules.
async fn deliver(
    shared: &Shared,
    worker: &mut WorkerConnection<'_>,
    headers: &SharedHeaders,
    index: usize,
    item: &BatchItem,
) -> Outcome {
    let lane = worker.lane;
    let started = Instant::now();
    let mut outcome = Outcome::not_sent(item.request.token.clone(), item.apns_id);
    let mut renewed_token = false;
    let mut refusals = 0;
    let retry = &shared.retry;
    loop {
        outcome.attempts += 1;
        if outcome.attempts > 1 {
            shared.retried.fetch_add(1, Ordering::Relaxed);
        }
        let attempts_left = outcome.attempts < retry.max_attempts;
        let delay = match worker.get(shared).await {
            Err(_) if shared.cancel.is_cancelled() => {
                // Cancelled before it left: whatever an earlier attempt met stands only if
                // it was an answer; a notification never written is not sent.
                outcome.attempts -= 1;
                if outcome.attempts == 0 || matches!(outcome.verdict, Verdict::NotSent) {
                    outcome.verdict = Verdict::NotSent;
                }
                break;
            }
            Err(error) => {
                shared.note_disconnection(None, &error, index);
                outcome.verdict = Verdict::Failed(error.failure());
                // A certificate or host that is wrong will not become right.
                if !(error.is_connection_loss() && attempts_left) {
                    break;
                }
                retry.backoff(outcome.attempts)
            }
            Ok(connection) => match connection.send(&item.request, headers).await {
                Ok(answer) => {
                    let response = answer.response;
                    let Some(rejection) = response.rejection else {
                        outcome.verdict = Verdict::Accepted {
                            apns_unique_id: response.apns_unique_id,
                        };
                        break;
                    };
                    let advice = rejection.reason.retry_advice();
                    let closing = rejection.reason == Reason::Shutdown;
                    outcome.verdict = Verdict::Rejected(Refusal::Http2 {
                        status: response.status,
                        reason: rejection.reason,
                        timestamp_ms: rejection.timestamp_ms,
                        apns_unique_id: response.apns_unique_id,
                    });
                    if closing {
                        shared.pool.discard(lane, connection).await;
                    }
                    match advice {
                        RetryAdvice::Never => break,
                        _ if !attempts_left => break,
                        RetryAdvice::AfterDelay => retry.throttle_delay,
                        RetryAdvice::WithBackoff => retry.backoff(outcome.attempts),
                        RetryAdvice::RenewTokenOnce if renewed_token => break,
                        RetryAdvice::RenewTokenOnce => {
                            renewed_token = true;
                            let rejected = answer.token_issued_at.unwrap_or_default();
                            // Too young to renew: the refusal stands, and its explanation
                            // names the likely cause (this computer's clock).
                            if let Err(error) = connection.renew_token_after_expiry(rejected) {
                                debug!(%error, "the provider token cannot be renewed");
                                break;
                            }
                            Duration::ZERO
                        }
                    }
                }
                Err(error) if error.was_refused_unprocessed() && refusals < MAX_REFUSALS => {
                    // Never processed, so this try does not count against its attempts: it
                    // goes again at once, on a connection that is not going away.
                    debug!(%error, "stream refused before processing; sending it again");
                    refusals += 1;
                    outcome.attempts -= 1;
                    shared.retried.fetch_add(1, Ordering::Relaxed);
                    shared.note_disconnection(Some(connection.id()), &error, index);
                    shared.pool.discard(lane, connection).await;
                    Duration::ZERO
                }
                Err(error) => {
                    debug!(%error, "request failed without an answer");
                    let retryable = error.is_connection_loss();
                    if retryable {
                        shared.note_disconnection(Some(connection.id()), &error, index);
                        shared.pool.discard(lane, connection).await;
                    }
                    // What an earlier attempt was told no longer describes this one.
                    outcome.verdict = Verdict::Failed(error.failure());
                    if !(retryable && attempts_left) {
                        break;
                    }
                    // The first resend after a lost connection goes straight out on a new one.
                    if outcome.attempts == 1 {
                        Duration::ZERO
                    } else {
                        retry.backoff(outcome.attempts - 1)
                    }
                }
            },
        };
        // Cancelled while waiting to resend: the last attempt's verdict stands (a lost
        // connection may have delivered it, so it is not called unsent).
        if !delay.is_zero() && wait_or_cancel(shared, delay).await {
            break;
        }
    }
    outcome.latency = started.elapsed();
    outcome
}
