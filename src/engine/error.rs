//! Why an engine command failed: typed while the engine works, then handed to the front
//! ends as a kind they can react to and a message they can show.

use std::path::PathBuf;

use crate::simulator::SimulatorError;
use crate::store::FileError;
use crate::store::history::HistoryError;
use crate::store::identity::IdentityStoreError;
use crate::store::secrets::SecretError;

/// What a failure was about, so a front end can react (offer to unlock the keychain,
/// point at the Identities view, add its own hint) without reading the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The OS keychain refused or is unavailable.
    Keychain,
    /// An identity is missing, damaged or unusable for this send.
    Identity,
    /// The history database failed.
    History,
    /// The built-in simulator could not start or be configured.
    Simulator,
    /// The endpoint could not be reached or would not talk.
    Connection,
    /// What was asked for is not valid: a file, an endpoint, a payload, a lint.
    Input,
}

/// A failure as front ends receive it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What it was about.
    pub kind: ErrorKind,
    /// What went wrong and what to do, in words no front end's flags or buttons appear in.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why an engine command could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// An identity or credential file problem (or the keychain behind it).
    #[error(transparent)]
    Identity(#[from] IdentityStoreError),
    /// The history failed.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The built-in simulator could not start.
    #[error("the built-in simulator cannot start: {0}")]
    Simulator(#[from] SimulatorError),
    /// The simulator's settings could not be applied.
    #[error("the simulator's settings cannot be applied: {0}")]
    SimulatorSettings(String),
    /// Not an endpoint.
    #[error("{0:?} is not simulator, sandbox, production or HOST:PORT")]
    BadTarget(String),
    /// A file named in the request cannot be read, or one asked for cannot be written.
    #[error(transparent)]
    File(#[from] FileError),
    /// The CA file holds no certificate.
    #[error("{} holds no PEM certificate to trust", .0.display())]
    BadCa(PathBuf),
    /// Apple and custom hosts need a credential of the user's.
    #[error(
        "sending to {0} needs an identity (a push certificate or a .p8 token key); the simulator's own certificate works only with the built-in simulator"
    )]
    NeedsIdentity(String),
    /// More than one connection asked of the legacy protocol, which sends in order on one.
    #[error(
        "the legacy protocol sends over one connection, in order; more connections are for HTTP/2"
    )]
    LegacyOneConnection,
    /// A connection count out of range.
    #[error("connections: from 1 to {max}, not {asked}")]
    BadConnections {
        /// What was asked.
        asked: usize,
        /// The most allowed.
        max: usize,
    },
    /// Token auth over the legacy protocol.
    #[error(
        "the legacy protocol and the feedback service need a certificate identity; token keys work only over HTTP/2"
    )]
    LegacyNeedsCertificate,
    /// The notification cannot be sent as it stands (too large, a lint APNs would refuse).
    #[error("{0}")]
    Unsendable(String),
    /// The connection could not be made.
    #[error("{0}")]
    Connection(String),
}

impl EngineError {
    /// What the failure is about.
    pub fn kind(&self) -> ErrorKind {
        match self {
            EngineError::Identity(IdentityStoreError::Keychain(
                SecretError::Locked { .. }
                | SecretError::Unavailable { .. }
                | SecretError::Failed { .. },
            )) => ErrorKind::Keychain,
            EngineError::Identity(IdentityStoreError::File(FileError::Read { .. }))
            | EngineError::Identity(IdentityStoreError::MissingKeyIds)
            | EngineError::Identity(IdentityStoreError::NotText(_)) => ErrorKind::Input,
            EngineError::Identity(_)
            | EngineError::NeedsIdentity(_)
            | EngineError::LegacyNeedsCertificate => ErrorKind::Identity,
            EngineError::History(_) => ErrorKind::History,
            EngineError::Simulator(_) | EngineError::SimulatorSettings(_) => ErrorKind::Simulator,
            EngineError::Connection(_) => ErrorKind::Connection,
            EngineError::BadTarget(_)
            | EngineError::File(_)
            | EngineError::BadCa(_)
            | EngineError::LegacyOneConnection
            | EngineError::BadConnections { .. }
            | EngineError::Unsendable(_) => ErrorKind::Input,
        }
    }

    /// The failure as front ends receive it.
    pub fn failure(&self) -> Failure {
        Failure {
            kind: self.kind(),
            message: self.to_string(),
        }
    }
}

impl From<EngineError> for Failure {
    fn from(error: EngineError) -> Self {
        error.failure()
    }
}
