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
    /// The service sent more entries than any feedback list holds, without closing.
    #[error(
        "the feedback service sent {} entries without closing, more than any feedback list; the read stopped there (the entries read are kept): check that the endpoint is a feedback service",
        crate::apns::group_thousands(*limit)
    )]
    TooMany {
        /// How many were read.
        limit: usize,
    },
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

/// How long and how far a feedback read goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedbackLimits {
    /// The longest wait for the connection, and for the next bytes once connected.
    pub idle: Duration,
    /// The most entries read: Apple's list is a few per removed install; a server that
    /// goes on past this is not a feedback service, and memory is not its to fill.
    pub max_entries: usize,
}

impl Default for FeedbackLimits {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30),
            max_entries: 1_000_000,
        }
    }
}

/// Reads every feedback tuple the service has, sending each to `tuples` as it
/// is decoded (so a long list shows up while it streams).
pub async fn read_feedback(
    endpoint: &Endpoint,
    identity: &ClientIdentity,
    limits: FeedbackLimits,
    tuples: Option<mpsc::UnboundedSender<FeedbackTuple>>,
) -> FeedbackRead {
    let timeout = limits.idle;
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
                    if read.tuples.len() >= limits.max_entries {
                        read.problem = Some(FeedbackClientError::TooMany {
                            limit: limits.max_entries,
                        });
                        return read;
                    }
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
