//! The legacy feedback service client: connect, read tuples until the server closes.

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

use super::connect::connect_tls;
use super::{ClientIdentity, Endpoint, TransportError};
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

/// Reads every feedback tuple the service has, sending each to `tuples` as it
/// is decoded (so a long list shows up while it streams), and returns them all.
pub async fn read_feedback(
    endpoint: &Endpoint,
    identity: &ClientIdentity,
    timeout: Duration,
    tuples: Option<mpsc::UnboundedSender<FeedbackTuple>>,
) -> Result<Vec<FeedbackTuple>, FeedbackClientError> {
    let mut stream = connect_tls(endpoint, Some(identity), &[], timeout).await?;
    let mut decoder = FeedbackDecoder::default();
    let mut all = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match tokio::time::timeout(timeout, stream.read(&mut buffer)).await {
            Ok(Ok(read)) => read,
            // The service closes without close_notify; that is its normal end.
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Ok(Err(source)) => {
                return Err(TransportError::Io {
                    endpoint: endpoint.address(),
                    source,
                }
                .into());
            }
            Err(_) => {
                return Err(TransportError::Io {
                    endpoint: endpoint.address(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the feedback service stopped sending without closing",
                    ),
                }
                .into());
            }
        };
        if read == 0 {
            break;
        }
        decoder.feed(&buffer[..read]);
        while let Some(tuple) = decoder.next_tuple()? {
            if let Some(tuples) = &tuples {
                let _ = tuples.send(tuple.clone());
            }
            all.push(tuple);
        }
    }
    decoder.finish()?;
    Ok(all)
}
