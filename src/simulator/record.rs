//! What the simulator saw: accepted notifications and counters, shared by all connections.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::apns::{ApnsId, ChannelId, DeviceToken, Expiration, LegacyFormat, Priority};

use super::channels::Channels;

use super::rules::{ActiveRules, Rules};

/// Which service a notification arrived on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReceivedVia {
    /// The HTTP/2 provider API.
    Http2,
    /// The legacy gateway, in the given framing.
    Legacy(LegacyFormat),
}

/// A notification the simulator accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    /// The service it came through.
    pub service: ReceivedVia,
    /// The device token.
    pub token: DeviceToken,
    /// HTTP/2: `apns-topic`, or the certificate's only topic; legacy: the
    /// certificate's base topic (its UID).
    pub topic: Option<String>,
    /// HTTP/2: `apns-push-type` as sent.
    pub push_type: Option<String>,
    /// HTTP/2: the `apns-id` answered (the client's, or one the simulator made).
    pub apns_id: Option<ApnsId>,
    /// Legacy enhanced and frame formats: the notification's identifier.
    pub identifier: Option<u32>,
    /// The payload bytes as received.
    pub payload: Vec<u8>,
    /// Which connection it came on (numbered from 1 in accept order, across services).
    pub connection: u64,
}

/// A broadcast the simulator accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct Broadcasted {
    /// The app (bundle id) from the path.
    pub app: String,
    /// The channel.
    pub channel: ChannelId,
    /// `apns-priority`.
    pub priority: Priority,
    /// `apns-expiration`.
    pub expiration: Expiration,
    /// The `apns-request-id` answered (the client's, or one the simulator made).
    pub request_id: ApnsId,
    /// The payload bytes as received.
    pub payload: Vec<u8>,
    /// Which connection it came on.
    pub connection: u64,
}

/// Counters since the simulator started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// TCP connections accepted on all three ports.
    pub connections: u64,
    /// HTTP/2 streams (requests) taken in for an answer; streams refused after
    /// a GOAWAY are not counted.
    pub http2_requests: u64,
    /// The most HTTP/2 streams ever open at once on one connection.
    pub max_concurrent_streams_seen: u32,
    /// HTTP/2 answers other than 200, plus legacy notifications that failed.
    pub rejected: u64,
    /// Legacy notifications read after a failure on the same connection and dropped.
    pub legacy_discarded: u64,
    /// Legacy error-responses written.
    pub error_responses_sent: u64,
    /// Legacy connections closed without a word, as the rules asked.
    pub legacy_silent_closes: u64,
}

/// State shared by the listeners and the [`Simulator`](super::Simulator) handle.
#[derive(Debug)]
pub(crate) struct State {
    rules: Mutex<Arc<ActiveRules>>,
    received: Mutex<Vec<Received>>,
    broadcasts: Mutex<Vec<Broadcasted>>,
    pub(crate) channels: Channels,
    next_connection: AtomicU64,
    pub(crate) http2_requests: AtomicU64,
    max_concurrent: AtomicU32,
    pub(crate) rejected: AtomicU64,
    pub(crate) legacy_discarded: AtomicU64,
    pub(crate) error_responses_sent: AtomicU64,
    pub(crate) legacy_silent_closes: AtomicU64,
}

/// A poisoned lock only means a connection task panicked mid-push; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    pub(crate) fn new(rules: Rules) -> Self {
        Self {
            rules: Mutex::new(Arc::new(ActiveRules::new(rules))),
            received: Mutex::new(Vec::new()),
            broadcasts: Mutex::new(Vec::new()),
            channels: Channels::default(),
            next_connection: AtomicU64::new(1),
            http2_requests: AtomicU64::new(0),
            max_concurrent: AtomicU32::new(0),
            rejected: AtomicU64::new(0),
            legacy_discarded: AtomicU64::new(0),
            error_responses_sent: AtomicU64::new(0),
            legacy_silent_closes: AtomicU64::new(0),
        }
    }

    /// The rules in force now; a request keeps the ones it started with.
    pub(crate) fn rules(&self) -> Arc<ActiveRules> {
        Arc::clone(&lock(&self.rules))
    }

    pub(crate) fn set_rules(&self, rules: Rules) {
        let active = Arc::new(ActiveRules::new(rules));
        *lock(&self.rules) = active;
    }

    /// A number for a newly accepted connection; also counts it.
    pub(crate) fn connection_opened(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn record(&self, received: Received) {
        lock(&self.received).push(received);
    }

    pub(crate) fn record_all(&self, batch: &mut Vec<Received>) {
        if !batch.is_empty() {
            lock(&self.received).append(batch);
        }
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        lock(&self.received).clone()
    }

    pub(crate) fn clear_received(&self) {
        lock(&self.received).clear();
        lock(&self.broadcasts).clear();
    }

    pub(crate) fn record_broadcast(&self, broadcast: Broadcasted) {
        lock(&self.broadcasts).push(broadcast);
    }

    pub(crate) fn broadcasts(&self) -> Vec<Broadcasted> {
        lock(&self.broadcasts).clone()
    }

    pub(crate) fn saw_concurrent_streams(&self, open: u32) {
        self.max_concurrent.fetch_max(open, Ordering::Relaxed);
    }

    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            connections: self.next_connection.load(Ordering::Relaxed) - 1,
            http2_requests: self.http2_requests.load(Ordering::Relaxed),
            max_concurrent_streams_seen: self.max_concurrent.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            legacy_discarded: self.legacy_discarded.load(Ordering::Relaxed),
            error_responses_sent: self.error_responses_sent.load(Ordering::Relaxed),
            legacy_silent_closes: self.legacy_silent_closes.load(Ordering::Relaxed),
        }
    }
}
