//! Cached HTTP/2 connections, one per (identity, endpoint), connected lazily.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::Mutex;
use tracing::debug;

use super::{Http2Config, Http2Connection, TransportError};

/// What a cached connection is keyed by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// The identity's name (certificate or token key).
    pub identity: String,
    /// `host:port`.
    pub endpoint: String,
}

/// Connections reused across sends, as Apple asks: rapid connect/disconnect is
/// treated as a denial of service.
#[derive(Default)]
pub struct Pool {
    connections: Mutex<HashMap<PoolKey, Http2Connection>>,
}

impl Pool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached connection for `key`, or a new one if there is none or it has
    /// closed. Concurrent callers for one key share a single connect.
    pub async fn get(
        &self,
        key: &PoolKey,
        config: &Http2Config,
    ) -> Result<Http2Connection, TransportError> {
        let mut connections = self.connections.lock().await;
        if let Some(connection) = connections.get(key)
            && !connection.is_closed()
        {
            return Ok(connection.clone());
        }
        let connection = Http2Connection::connect(config).await?;
        connections.insert(key.clone(), connection.clone());
        Ok(connection)
    }

    /// A connection that is not cached: it closes when its last clone is dropped.
    pub async fn fresh(&self, config: &Http2Config) -> Result<Http2Connection, TransportError> {
        Http2Connection::connect(config).await
    }

    /// Forgets `connection` if it is the cached one for `key`, so the next `get`
    /// connects anew (after GOAWAY or a dropped connection).
    pub async fn discard(&self, key: &PoolKey, connection: &Http2Connection) {
        connection.mark_closed();
        let mut connections = self.connections.lock().await;
        if connections
            .get(key)
            .is_some_and(|cached| cached.id() == connection.id())
        {
            connections.remove(key);
        }
    }

    /// Closes connections idle for longer than `idle`; returns how many.
    pub async fn outdate(&self, idle: Duration) -> usize {
        let mut connections = self.connections.lock().await;
        let before = connections.len();
        connections.retain(|key, connection| {
            let keep = !connection.is_closed() && connection.idle_for() < idle;
            if !keep {
                debug!(?key, "closing idle connection");
                connection.mark_closed();
            }
            keep
        });
        before - connections.len()
    }

    /// How many connections are cached and open.
    pub async fn len(&self) -> usize {
        let connections = self.connections.lock().await;
        connections.values().filter(|c| !c.is_closed()).count()
    }

    /// Whether no open connection is cached.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }

    /// Closes every connection.
    pub async fn shutdown(&self) {
        let mut connections = self.connections.lock().await;
        for connection in connections.values() {
            connection.mark_closed();
        }
        connections.clear();
    }
}
