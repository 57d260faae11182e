//! Transport errors: what went wrong between us and the server. An APNs
//! rejection is an answer, not one of these.

use crate::apns::{ProviderTokenError, ResponseError};

use super::IdentityError;

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
    #[error(
        "TLS handshake with {endpoint} failed: {source}; for the simulator, trust its CA (--ca), for Apple check the certificate"
    )]
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
    #[error("HTTP/2 error: {0}{hint}", hint = closed_by_peer_hint(.0))]
    Http2(#[from] h2::Error),
    /// The connection is closed (GOAWAY received or dropped).
    #[error("the connection is closed")]
    Closed,
    /// The connection did not answer a keep-alive ping in time.
    #[error("the connection stopped answering (keep-alive ping timed out)")]
    PingTimeout,
    /// The server's answer could not be understood.
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// The TLS configuration could not be built.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// A provider token could not be made.
    #[error(transparent)]
    ProviderToken(#[from] ProviderTokenError),
    /// A failure shared by every request that waited on the same connect.
    #[error(transparent)]
    Shared(std::sync::Arc<TransportError>),
    /// No answer came in time.
    #[error("no answer within {0:?}; the connection is replaced")]
    Timeout(std::time::Duration),
    /// A read or write failed after connecting.
    #[error("connection to {endpoint} failed: {source}")]
    Io {
        /// host:port.
        endpoint: String,
        /// The socket error.
        source: std::io::Error,
    },
}

/// With TLS 1.3 a server refuses a client certificate after the client has finished its
/// handshake, so the refusal arrives on the connection's first read (as an alert) or write
/// (as a closed pipe): say what that means.
fn closed_by_peer_hint(error: &h2::Error) -> &'static str {
    error.get_io().map_or("", refused_certificate_hint)
}

fn refused_certificate_hint(io: &std::io::Error) -> &'static str {
    const CERTIFICATE_ALERTS: [&str; 7] = [
        "BadCertificate",
        "CertificateUnknown",
        "UnknownCA",
        "CertificateRevoked",
        "CertificateExpired",
        "CertificateRequired",
        "AccessDenied",
    ];
    // h2 keeps only the kind and the text of an I/O error, so the alert is read from the text.
    let text = io.to_string();
    let certificate_alert = CERTIFICATE_ALERTS
        .iter()
        .any(|alert| text.ends_with(&format!("received fatal alert: {alert}")));
    match io.kind() {
        _ if certificate_alert => {
            "; the server refused the client certificate (issued by someone else, for the other environment, expired or revoked)"
        }
        std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset => {
            "; the server closed the connection (right after connecting, that usually means it refused the client certificate: issued by someone else, for the other environment, expired or revoked)"
        }
        _ => "",
    }
}

impl TransportError {
    /// The error itself, unwrapped from the sharing of a failure between requests.
    pub fn root(&self) -> &TransportError {
        match self {
            TransportError::Shared(shared) => shared.root(),
            other => other,
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
            | TransportError::PingTimeout
            | TransportError::Io { .. } => true,
            TransportError::Connect { .. } => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the rustls alert text the hint reads (h2 keeps only an I/O error's text).
    #[test]
    fn a_certificate_alert_says_the_certificate_was_refused() {
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::CertificateUnknown);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, alert.to_string());
        assert!(refused_certificate_hint(&io).starts_with("; the server refused the client"));
    }

    #[test]
    fn other_failures_get_no_certificate_hint() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out");
        assert_eq!(refused_certificate_hint(&io), "");
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(refused_certificate_hint(&pipe).contains("right after connecting"));
    }
}
