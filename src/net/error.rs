//! Transport errors: what went wrong between us and the server. An APNs
//! rejection is an answer, not one of these.

use crate::apns::{DisconnectCause, FailureCause, ProviderTokenError, ResponseError};

use super::TlsSetupError;

/// A failure to reach the server or to get an answer from it.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// TCP connect failed.
    #[error("cannot connect to {endpoint}: {source}; check the host, port and network")]
    Connect {
        /// host:port.
        endpoint: String,
        /// The socket error.
        source: std::io::Error,
    },
    /// The TLS handshake failed.
    #[error("TLS handshake with {endpoint} failed: {source}")]
    Tls {
        /// host:port.
        endpoint: String,
        /// The TLS error.
        source: std::io::Error,
    },
    /// The host name is not a valid TLS server name.
    #[error("{0:?} is not a valid host name")]
    BadHost(String),
    /// The server did not agree to HTTP/2.
    #[error("{0} did not agree to HTTP/2 (ALPN h2); is it an APNs HTTP/2 endpoint?")]
    NotHttp2(String),
    /// The HTTP/2 layer failed (connection reset, GOAWAY, protocol error).
    #[error("HTTP/2 error: {0}")]
    Http2(#[from] h2::Error),
    /// The connection is closed (GOAWAY received or dropped).
    #[error("the connection is closed")]
    Closed,
    /// The server's answer could not be understood.
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// The TLS configuration could not be built.
    #[error(transparent)]
    TlsSetup(#[from] TlsSetupError),
    /// A provider token could not be made.
    #[error(transparent)]
    ProviderToken(#[from] ProviderTokenError),
    /// A failure shared by every request that waited on the same connect.
    #[error(transparent)]
    Shared(std::sync::Arc<TransportError>),
    /// No answer came in time.
    #[error("no answer within {0:?}; the connection is replaced")]
    Timeout(std::time::Duration),
    /// The server's answer went on past what any APNs answer takes.
    #[error(
        "the server's answer is over {} bytes, more than any APNs answer; it was cut off: check that the endpoint is an APNs server",
        crate::apns::group_thousands(*limit)
    )]
    AnswerTooLarge {
        /// The most body bytes read.
        limit: usize,
    },
    /// The server broke HTTP/2's rules and our HTTP/2 layer refused what it sent (a
    /// header block past [`super::MAX_ANSWER_HEADERS`], a malformed frame). The server
    /// may have acted on the request and would break the rules again: it is not resent.
    #[error(
        "the server broke HTTP/2's rules ({reason}), e.g. with answer headers over {} bytes, and what it sent was refused; the request is not sent again: check that the endpoint is an APNs server",
        crate::apns::group_thousands(super::MAX_ANSWER_HEADERS as usize)
    )]
    BrokeHttp2 {
        /// h2's name for what was wrong (`ENHANCE_YOUR_CALM`, `PROTOCOL_ERROR`...).
        reason: String,
    },
    /// A read or write failed after connecting.
    #[error("connection to {endpoint} failed: {source}")]
    Io {
        /// host:port.
        endpoint: String,
        /// The socket error.
        source: std::io::Error,
    },
}

impl TransportError {
    /// The error itself, unwrapped from the sharing of a failure between requests.
    pub fn root(&self) -> &TransportError {
        match self {
            TransportError::Shared(shared) => shared.root(),
            other => other,
        }
    }

    /// A failure our own HTTP/2 layer declared on what the server sent becomes
    /// [`TransportError::BrokeHttp2`]; any other error stays as it is.
    pub(super) fn blamed_on_server(self) -> Self {
        match self.root() {
            TransportError::Http2(error) if error.is_library() => TransportError::BrokeHttp2 {
                reason: error.reason().map_or_else(
                    || "no reason given".to_owned(),
                    |reason| format!("{reason:?}"),
                ),
            },
            _ => self,
        }
    }

    /// Whether the same request may succeed on a new connection: the request
    /// never got an answer because the connection went away.
    pub fn is_connection_loss(&self) -> bool {
        match self {
            TransportError::Shared(error) => error.is_connection_loss(),
            // Every HTTP/2 failure before an answer (GOAWAY, reset, a stream made
            // inactive by a dying connection) leaves the request unanswered.
            TransportError::Http2(_)
            | TransportError::Timeout(_)
            | TransportError::Closed
            | TransportError::Io { .. } => true,
            TransportError::Connect { .. } => true,
            _ => false,
        }
    }

    /// Whether the server refused the stream before processing it (HTTP/2 REFUSED_STREAM,
    /// e.g. opened after its GOAWAY or past its stream limit): sending it again can never
    /// duplicate it.
    pub fn was_refused_unprocessed(&self) -> bool {
        match self {
            TransportError::Shared(shared) => shared.was_refused_unprocessed(),
            TransportError::Http2(error) => error.reason() == Some(h2::Reason::REFUSED_STREAM),
            _ => false,
        }
    }

    /// How the connection ended, when this error is the end of one; `None` for problems
    /// that are not about the connection (credentials, settings, an unreadable answer).
    pub fn disconnect_cause(&self) -> Option<DisconnectCause> {
        Some(match self {
            TransportError::Shared(shared) => return shared.disconnect_cause(),
            TransportError::Connect { endpoint, source }
            | TransportError::Tls { endpoint, source } => match io_cause(source) {
                alert @ DisconnectCause::TlsAlert { .. } => alert,
                _ => DisconnectCause::ConnectFailed {
                    endpoint: endpoint.clone(),
                    detail: source.to_string(),
                },
            },
            TransportError::NotHttp2(endpoint) => DisconnectCause::ConnectFailed {
                endpoint: endpoint.clone(),
                detail:
                    "the server did not agree to HTTP/2 (ALPN h2); is it an APNs HTTP/2 endpoint?"
                        .into(),
            },
            TransportError::Http2(error) if error.is_go_away() => {
                let reason = error.reason().unwrap_or(h2::Reason::NO_ERROR);
                DisconnectCause::GoAway {
                    code: reason.into(),
                    name: format!("{reason:?}"),
                }
            }
            TransportError::Http2(error) => match error.get_io() {
                Some(io) => io_cause(io),
                None => DisconnectCause::Io {
                    detail: error.to_string(),
                },
            },
            TransportError::Io { source, .. } => io_cause(source),
            TransportError::Closed => DisconnectCause::SilentClose,
            TransportError::Timeout(after) => DisconnectCause::IdleTimeout { after: *after },
            TransportError::BadHost(_)
            | TransportError::AnswerTooLarge { .. }
            | TransportError::BrokeHttp2 { .. }
            | TransportError::Response(_)
            | TransportError::TlsSetup(_)
            | TransportError::ProviderToken(_) => return None,
        })
    }

    /// What a notification that met this error became.
    pub fn failure(&self) -> FailureCause {
        match (self.disconnect_cause(), self.root()) {
            (Some(cause), _) => FailureCause::Disconnected(cause),
            (
                None,
                error @ (TransportError::Response(_)
                | TransportError::AnswerTooLarge { .. }
                | TransportError::BrokeHttp2 { .. }),
            ) => FailureCause::BadAnswer(error.to_string()),
            (None, other) => FailureCause::Setup(other.to_string()),
        }
    }
}

/// How a connection ended, read from the I/O error that ended it.
pub(super) fn io_cause(io: &std::io::Error) -> DisconnectCause {
    // rustls reports a received alert only as text ("received fatal alert: X"), and h2
    // keeps only an I/O error's kind and text.
    let text = io.to_string();
    if let Some(alert) = text.split("received fatal alert: ").nth(1) {
        return DisconnectCause::TlsAlert {
            alert: alert.trim().to_owned(),
        };
    }
    match io.kind() {
        std::io::ErrorKind::BrokenPipe
        | std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::ConnectionAborted
        | std::io::ErrorKind::UnexpectedEof => DisconnectCause::SilentClose,
        _ => DisconnectCause::Io { detail: text },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the rustls alert text the cause is read from (h2 keeps only an I/O error's text).
    #[test]
    fn a_certificate_alert_is_a_tls_alert_cause() {
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::CertificateUnknown);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, alert.to_string());
        let error = TransportError::Io {
            endpoint: "127.0.0.1:1".into(),
            source: io,
        };
        let cause = error.disconnect_cause().unwrap();
        assert!(cause.refused_certificate(), "{cause:?}");
    }

    #[test]
    fn a_closed_pipe_is_a_silent_close_and_settings_are_no_disconnection() {
        let pipe = TransportError::Io {
            endpoint: "127.0.0.1:1".into(),
            source: std::io::Error::from(std::io::ErrorKind::BrokenPipe),
        };
        assert_eq!(pipe.disconnect_cause(), Some(DisconnectCause::SilentClose));
        let host = TransportError::BadHost("a b".into());
        assert_eq!(host.disconnect_cause(), None);
        assert!(matches!(host.failure(), FailureCause::Setup(_)));
    }
}
