//! The background runtime: sending, history and identities, driven by
//! commands and answering with events, so that the UI never blocks.

mod job;
mod messages;
mod probe;
mod runtime;

pub use job::{BatchSender, Job, JobError, JobResult, Labels, execute};
pub use messages::{
    Command, Event, ImportRequest, RequestId, SIMULATOR_TOPIC, SendRequest, SimulatorPorts, Target,
};
pub use probe::ProbeVerdict;
pub use runtime::{EngineHandle, EngineSettings, simulator_identity, spawn};
