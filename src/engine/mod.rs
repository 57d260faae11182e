//! The background runtime: sending, history and identities, driven by
//! commands and answering with events, so that no front end blocks, and every front end
//! (the app, the CLI, the REST API) takes the same path.

mod channels;
mod connection;
mod error;
mod job;
mod messages;
mod probe;
mod report;
mod router;
mod runtime;

pub use channels::{ChannelAnswer, ChannelRequest};
pub use connection::{Connection, CredentialChoice, Labels, Target, auth_kind, pick_topic};
pub use error::{EngineError, ErrorKind, Failure};
pub use messages::{
    Command, Event, LegacyRounds, MAX_CONNECTIONS, RequestId, SendRequest, SimulatorPorts,
};
pub use probe::ProbeVerdict;
pub use report::{OutcomeRecord, Totals};
pub use router::{EventRouter, Routed};
pub use runtime::{Commander, EngineHandle, EngineSettings, spawn};
