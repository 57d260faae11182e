//! The legacy feedback service: on connect, lists the unregistered tokens, then closes.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::apns::FeedbackTuple;

use super::record::State;

/// Writes one tuple per token in the `unregistered` rule, dated now, and closes cleanly.
pub(crate) async fn serve<T>(mut io: T, connection: u64, state: Arc<State>)
where
    T: AsyncWrite + Unpin,
{
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    // The feedback protocol's time is a u32; it runs out in 2106.
    let time = u32::try_from(now).unwrap_or(u32::MAX);
    let rules = state.rules();
    let mut out = Vec::new();
    for token in &rules.rules.unregistered {
        FeedbackTuple {
            time,
            token: token.clone(),
        }
        .encode(&mut out);
    }
    if let Err(error) = io.write_all(&out).await {
        tracing::debug!(connection, %error, "feedback client went away");
        return;
    }
    let _ = io.shutdown().await;
}
