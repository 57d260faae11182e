//! The background runtime: sending, history and identities, driven by
//! commands and answering with events, so that the UI never blocks.

mod job;
mod probe;
mod runtime;

pub use job::{BatchSender, Job, JobError, JobResult, Labels, execute};
pub use probe::ProbeVerdict;
pub use runtime::{
    Command, EngineHandle, EngineSettings, Event, ImportRequest, RequestId, SIMULATOR_TOPIC,
    SendRequest, SimulatorPorts, Target, simulator_identity, spawn,
};
