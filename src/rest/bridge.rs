//! The engine as the REST API asks it: each request gets the events answering its own
//! commands (through the engine's `EventRouter`), and a stopped engine is an API error.

use super::error::ApiError;
use crate::engine::{Command, Event, EventRouter, RequestId, Routed, SimulatorPorts};

/// The engine, shared by every request.
pub struct Bridge(EventRouter);

/// The events answering one command, in order.
pub struct Reply(Routed);

impl Bridge {
    /// Asks through `router`.
    pub fn new(router: EventRouter) -> Self {
        Self(router)
    }

    /// Sends the command `make` builds; its events come through the reply.
    pub fn ask(&self, make: impl FnOnce(RequestId) -> Command) -> Result<Reply, ApiError> {
        self.0
            .ask(make)
            .map(Reply)
            .ok_or_else(ApiError::engine_stopped)
    }

    /// Queues a command whose answer nobody waits for (a cancel).
    pub fn tell(&self, command: Command) -> bool {
        self.0.tell(command)
    }

    /// The built-in simulator's ports, once it has started.
    pub fn simulator_ports(&self) -> Option<SimulatorPorts> {
        self.0.simulator_ports()
    }

    /// The engine's runtime, which serves the API too.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        self.0.runtime()
    }
}

impl Reply {
    /// The request id the command went with.
    pub fn id(&self) -> RequestId {
        self.0.id()
    }

    /// The next event answering the command.
    pub async fn next(&mut self) -> Result<Event, ApiError> {
        self.0.next().await.ok_or_else(ApiError::engine_stopped)
    }

    /// The answer `pick` takes (the events before it pass by), or the engine's failure.
    pub async fn answer<T>(
        mut self,
        mut pick: impl FnMut(Event) -> Option<T>,
    ) -> Result<T, ApiError> {
        loop {
            match self.next().await? {
                Event::Failed { error, .. } => return Err(ApiError::engine(error)),
                event => {
                    if let Some(answer) = pick(event) {
                        return Ok(answer);
                    }
                }
            }
        }
    }
}
