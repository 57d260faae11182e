//! A second front end on the same engine (the REST API inside the app): its commands' events
//! go to it alone, each request's to the task that asked, instead of into the app's queue.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::messages::{Command, Event, RequestId, SimulatorPorts};

/// Where routed requests' events go, by request id.
pub(super) type Routes = Arc<Mutex<HashMap<RequestId, mpsc::UnboundedSender<Event>>>>;

/// Asks the engine and gets each answer back on its own; cheap to clone, usable from any
/// task or thread.
#[derive(Clone)]
pub struct EventRouter {
    pub(super) commands: mpsc::UnboundedSender<Command>,
    pub(super) next_id: Arc<AtomicU64>,
    pub(super) routes: Routes,
    pub(super) simulator: Arc<Mutex<Option<SimulatorPorts>>>,
    pub(super) runtime: tokio::runtime::Handle,
}

/// The events answering one command, in order; dropping it stops the routing.
pub struct Routed {
    id: RequestId,
    events: mpsc::UnboundedReceiver<Event>,
    routes: Routes,
}

impl EventRouter {
    /// Sends the command `make` builds with a fresh request id; `None` once the engine
    /// has stopped.
    pub fn ask(&self, make: impl FnOnce(RequestId) -> Command) -> Option<Routed> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, events) = mpsc::unbounded_channel();
        if let Ok(mut routes) = self.routes.lock() {
            routes.insert(id, sender);
        }
        let routed = Routed {
            id,
            events,
            routes: Arc::clone(&self.routes),
        };
        self.commands.send(make(id)).ok().map(|()| routed)
    }

    /// Queues a command whose answer nobody waits for (a cancel).
    pub fn tell(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    /// The built-in simulator's ports, once it has started.
    pub fn simulator_ports(&self) -> Option<SimulatorPorts> {
        self.simulator.lock().ok().and_then(|ports| *ports)
    }

    /// The engine's runtime, for serving on it.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }
}

impl Routed {
    /// The request id the command went with.
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// The next event answering the command; `None` once the engine has stopped.
    pub async fn next(&mut self) -> Option<Event> {
        self.events.recv().await
    }
}

impl Drop for Routed {
    fn drop(&mut self) {
        if let Ok(mut routes) = self.routes.lock() {
            routes.remove(&self.id);
        }
    }
}
