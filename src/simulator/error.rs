//! What can go wrong when starting or configuring the simulator.

use std::net::SocketAddr;

use crate::apns::{IdError, ProviderTokenError};

/// Why the simulator could not start, or a request to it could not be met.
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    /// A listener could not be bound.
    #[error(
        "the simulator could not listen for the {service} on {address}: {source}; choose another port, or 0 for any free port"
    )]
    Bind {
        /// Which service ("HTTP/2 API", "legacy gateway", "feedback service").
        service: &'static str,
        /// The address asked for.
        address: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// rcgen could not make a key or certificate.
    #[error("the simulator could not make its certificates: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the generated certificates (a bug, not a user error).
    #[error("the simulator's TLS setup failed: {0}")]
    Tls(String),
    /// The token key could not be read back.
    #[error("the simulator's token key is unusable: {0}")]
    TokenKey(#[from] ProviderTokenError),
    /// A rules file is not valid JSON for [`Rules`](super::Rules).
    #[error("the simulator rules are not valid at line {line}, column {column}: {message}")]
    Rules {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong, as serde_json says it (names unknown fields and expected ones).
        message: String,
    },
    /// A client identity was asked for without any topic.
    #[error("a simulator client certificate needs at least one topic (the app's bundle id)")]
    NoTopics,
    /// A client identity was asked for with a topic that is not a bundle id.
    #[error("cannot make a simulator client certificate: {0}")]
    BadTopic(#[from] IdError),
}

impl From<serde_json::Error> for SimulatorError {
    fn from(error: serde_json::Error) -> Self {
        // serde_json appends " at line L column C" to its Display; drop it since
        // line and column are shown separately.
        let text = error.to_string();
        let message = match text.rfind(" at line ") {
            Some(at) => text[..at].to_owned(),
            None => text,
        };
        SimulatorError::Rules {
            line: error.line(),
            column: error.column(),
            message,
        }
    }
}
