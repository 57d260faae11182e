//! The legacy feedback service client: connect, read tuples until the server closes.

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

use super::connect::connect_tls;
use super::{Endpoint, TransportError};
use crate::apns::ClientIdentity;
use crate::apns::{FeedbackDecoder, FeedbackError, FeedbackTuple};

/// Why reading feedback failed.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackClientError {
    /// Connecting or reading failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The stream was not valid feedback.
    #[error(transparent)]
    Decode(#[from] FeedbackError),
}

/// What a read of the feedback service produced. The service sends each entry
/// once, so entries read before a failure are kept, never dropped with it.
#[derive(Debug, Default)]
pub struct FeedbackRead {
    /// The entries decoded, in order.
    pub tuples: Vec<FeedbackTuple>,
    /// Entries whose token was unusable (empty or over 100 bytes), skipped.
    pub skipped: usize,
    /// What stopped the read early, if anything.
    pub problem: Option<FeedbackClientError>,
}

/// Reads every feedback tuple the service has, sending each to `tuples` as it
/// is decoded (so a long list shows up while it streams).
pub async fn read_feedback(
    endpoint: &Endpoint,
    identity: &ClientIdentity,
    timeout: Duration,
    tuples: Option<mpsc::UnboundedSender<FeedbackTuple>>,
) -> FeedbackRead {
    let mut read = FeedbackRead::default();
    let mut stream = match connect_tls(endpoint, Some(identity), &[], timeout).await {
        Ok(stream) => stream,
        Err(error) => {
            read.problem = Some(error.into());
            return read;
        }
    };
    let mut decoder = FeedbackDecoder::default();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let count = match tokio::time::timeout(timeout, stream.read(&mut buffer)).await {
            Ok(Ok(count)) => count,
            // The service closes without close_notify; that is its normal end.
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Ok(Err(source)) => {
                read.problem = Some(
                    TransportError::Io {
                        endpoint: endpoint.address(),
                        source,
                    }
                    .into(),
                );
                return read;
            }
            Err(_) => {
                read.problem = Some(
                    TransportError::Io {
                        endpoint: endpoint.address(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "the feedback service stopped sending without closing",
                        ),
                    }
                    .into(),
                );
                return read;
            }
        };
        if count == 0 {
            break;
        }
        decoder.feed(&buffer[..count]);
        loop {
            match decoder.next_tuple() {
                Ok(Some(tuple)) => {
                    if let Some(tuples) = &tuples {
                        let _ = tuples.send(tuple.clone());
                    }
                    read.tuples.push(tuple);
                }
                Ok(None) => break,
                // The decoder has moved past the bad entry; the rest still counts.
                Err(_) => read.skipped += 1,
            }
        }
    }
    if let Err(error) = decoder.finish() {
        read.problem = Some(error.into());
    }
    read
}
