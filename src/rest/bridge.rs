//! The REST API's side of the engine: many requests at once, each waiting for the events
//! that answer its own commands. One thread reads the engine's events and hands each to
//! the request that asked for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::error::ApiError;
use crate::engine::{Command, Commander, EngineHandle, Event, RequestId, SimulatorPorts};

type Routes = Mutex<HashMap<RequestId, mpsc::UnboundedSender<Event>>>;

/// The engine, shared by every request.
pub struct Bridge {
    commander: Commander,
    next_id: AtomicU64,
    routes: Arc<Routes>,
    simulator: Arc<Mutex<Option<SimulatorPorts>>>,
    runtime: tokio::runtime::Handle,
}

/// The events answering one command, in order; dropping it stops the routing.
pub struct Reply {
    id: RequestId,
    events: mpsc::UnboundedReceiver<Event>,
    routes: Arc<Routes>,
}

impl Bridge {
    /// Takes over `engine`'s events.
    pub fn new(engine: EngineHandle) -> std::io::Result<Self> {
        let routes: Arc<Routes> = Arc::default();
        let simulator = Arc::new(Mutex::new(None));
        let commander = engine.commander();
        let runtime = engine.runtime();
        let (routing, ports) = (Arc::clone(&routes), Arc::clone(&simulator));
        std::thread::Builder::new()
            .name("push-console-rest-events".into())
            .spawn(move || {
                while let Some(event) = engine.wait_event() {
                    if let Event::SimulatorRunning { ports: running, .. } = &event
                        && let Ok(mut known) = ports.lock()
                    {
                        *known = Some(*running);
                    }
                    let Some(id) = event.request_id() else {
                        continue;
                    };
                    if let Ok(routes) = routing.lock()
                        && let Some(route) = routes.get(&id)
                    {
                        let _ = route.send(event);
                    }
                }
            })?;
        Ok(Self {
            commander,
            // Far from the ids a front end in the same process would start at.
            next_id: AtomicU64::new(1 << 32),
            routes,
            simulator,
            runtime,
        })
    }

    /// Sends the command `make` builds with a fresh request id; its events come through
    /// the reply.
    pub fn ask(&self, make: impl FnOnce(RequestId) -> Command) -> Result<Reply, ApiError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, events) = mpsc::unbounded_channel();
        if let Ok(mut routes) = self.routes.lock() {
            routes.insert(id, sender);
        }
        let reply = Reply {
            id,
            events,
            routes: Arc::clone(&self.routes),
        };
        if self.commander.command(make(id)) {
            Ok(reply)
        } else {
            Err(ApiError::engine_stopped())
        }
    }

    /// Queues a command whose answer nobody waits for (a cancel).
    pub fn tell(&self, command: Command) -> bool {
        self.commander.command(command)
    }

    /// The built-in simulator's ports, once it has started.
    pub fn simulator_ports(&self) -> Option<SimulatorPorts> {
        self.simulator.lock().ok().and_then(|ports| *ports)
    }

    /// The engine's runtime, which serves the API too.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }
}

impl Reply {
    /// The request id the command went with.
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// The next event answering the command.
    pub async fn next(&mut self) -> Result<Event, ApiError> {
        self.events
            .recv()
            .await
            .ok_or_else(ApiError::engine_stopped)
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Ok(mut routes) = self.routes.lock() {
            routes.remove(&self.id);
        }
    }
}
