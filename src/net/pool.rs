//! Cached HTTP/2 connections, one per (credential, endpoint, lane), connected lazily.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::debug;

use super::{Endpoint, Http2Auth, Http2Config, Http2Connection, TransportError};

/// What a cached connection is keyed by: what it authenticates with and whom it trusts,
/// never a name. Deleting an identity and importing another under the same name, or
/// trusting another CA file, so never reuses a connection made with the old one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// The credential's fingerprint (certificate chain and key, or token key and ids).
    credential: [u8; 32],
    /// Host, port and the certificates trusted for it.
    endpoint: Endpoint,
    /// Which of the connections to that endpoint with that credential: a batch spread
    /// over N connections uses lanes 0 to N-1, each connected, refused and replaced on
    /// its own.
    lane: usize,
}

impl PoolKey {
    /// The key of connections made with `config`.
    pub fn of(config: &Http2Config) -> Self {
        let credential = match &config.auth {
            Http2Auth::Certificate(identity) => identity.fingerprint(),
            Http2Auth::Token { issuer, .. } => issuer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .fingerprint(),
        };
        Self {
            credential,
            endpoint: config.endpoint.clone(),
            lane: 0,
        }
    }

    /// The same credential and endpoint's connection number `lane`.
    pub fn on_lane(&self, lane: usize) -> Self {
        Self {
            lane,
            ..self.clone()
        }
    }
}

/// One key's connection, and the last failure to connect, which callers that
/// were already waiting share instead of each trying (and failing) again.
#[derive(Default)]
struct Slot {
    connection: Option<Http2Connection>,
    failure: Option<(Instant, Arc<TransportError>)>,
}

/// Connections reused across sends, as Apple asks: rapid connect/disconnect is
/// treated as a denial of service.
#[derive(Default)]
pub struct Pool {
    slots: Mutex<HashMap<PoolKey, Arc<tokio::sync::Mutex<Slot>>>>,
}

impl Pool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, key: &PoolKey) -> Arc<tokio::sync::Mutex<Slot>> {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(slots.entry(key.clone()).or_default())
    }

    fn slots(&self) -> Vec<Arc<tokio::sync::Mutex<Slot>>> {
        let slots = self
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        slots.values().cloned().collect()
    }

    /// The cached connection for `key`, or a new one if there is none or it has
    /// closed. Concurrent callers for one key share a single connect, and its
    /// failure: a hundred tasks waiting on an unreachable host fail together.
    pub async fn get(
        &self,
        key: &PoolKey,
        config: &Http2Config,
    ) -> Result<Http2Connection, TransportError> {
        let asked = Instant::now();
        let slot = self.slot(key);
        let mut slot = slot.lock().await;
        if let Some(connection) = &slot.connection
            && !connection.is_closed()
        {
            return Ok(connection.clone());
        }
        if let Some((when, error)) = &slot.failure
            && *when >= asked
        {
            return Err(TransportError::Shared(Arc::clone(error)));
        }
        match Http2Connection::connect(config).await {
            Ok(connection) => {
                slot.connection = Some(connection.clone());
                slot.failure = None;
                Ok(connection)
            }
            Err(error) => {
                let error = Arc::new(error);
                slot.failure = Some((Instant::now(), Arc::clone(&error)));
                Err(TransportError::Shared(error))
            }
        }
    }

    /// A connection that is not cached: it closes when its last clone is dropped.
    pub async fn fresh(&self, config: &Http2Config) -> Result<Http2Connection, TransportError> {
        Http2Connection::connect(config).await
    }

    /// Forgets `connection` if it is the cached one for `key`, so the next `get`
    /// connects anew (after GOAWAY or a dropped connection).
    pub async fn discard(&self, key: &PoolKey, connection: &Http2Connection) {
        connection.mark_closed();
        let slot = self.slot(key);
        let mut slot = slot.lock().await;
        if slot
            .connection
            .as_ref()
            .is_some_and(|cached| cached.id() == connection.id())
        {
            slot.connection = None;
        }
    }

    /// Closes connections idle for longer than `idle`; returns how many.
    pub async fn outdate(&self, idle: Duration) -> usize {
        let mut closed = 0;
        for slot in self.slots() {
            let mut slot = slot.lock().await;
            if let Some(connection) = &slot.connection
                && (connection.is_closed() || connection.idle_for() >= idle)
            {
                debug!(connection = connection.id(), "closing idle connection");
                connection.mark_closed();
                slot.connection = None;
                closed += 1;
            }
        }
        closed
    }

    /// How many connections are cached and open.
    pub async fn len(&self) -> usize {
        let mut open = 0;
        for slot in self.slots() {
            let slot = slot.lock().await;
            open += usize::from(slot.connection.as_ref().is_some_and(|c| !c.is_closed()));
        }
        open
    }

    /// Whether no open connection is cached.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }

    /// Closes every connection.
    pub async fn shutdown(&self) {
        for slot in self.slots() {
            let mut slot = slot.lock().await;
            if let Some(connection) = slot.connection.take() {
                connection.mark_closed();
            }
        }
    }
}
