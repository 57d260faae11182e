//! The engine's thread: a tokio runtime that owns the connection pool, the
//! built-in simulator, the history and the identities, and answers commands.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::channels;
use super::connection::{self, Connection, CredentialChoice, Resolved, Resolver, pick_topic};
use super::error::EngineError;
use super::job::{BatchSender, Job, execute};
use super::messages::{Command, Event, MAX_CONNECTIONS, RequestId, SendRequest, SimulatorPorts};
use super::probe::{self, ProbeVerdict};
use super::router::{EventRouter, Routes};
use crate::apns::{
    Batch, DeviceToken, PushType, SendEvent, Severity, Topic, Transport,
    fill_live_activity_timestamp, lint,
};
use crate::net::{
    Http2Config, Http2Sender, LegacyConfig, LegacySender, Pool, Service, read_feedback,
};
use crate::simulator::{Rules, Simulator, SimulatorConfig};
use crate::store::DataPaths;
use crate::store::FileError;
use crate::store::history::{History, HistoryError, UnregisteredFormat, now_ms};
use crate::store::identity::{
    Credential, CredentialFiles, Finding, IdentityMetadata, IdentityStore,
};
use crate::store::secrets::SecretStore;

/// How long a test connection may take, retries included.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Outcomes per event for those a sender did not stream (the not sent of a cancelled
/// batch), so a front end takes them over a few frames.
const UNSTREAMED_PER_EVENT: usize = 5_000;

/// What the engine needs from its host.
pub struct EngineSettings {
    /// Where the history and identity metadata live.
    pub paths: DataPaths,
    /// Where secrets live (the OS keychain; a memory store in UI tests).
    pub secrets: Arc<dyn SecretStore>,
    /// Called after every event, so the UI wakes up to show it.
    pub repaint: Arc<dyn Fn() + Send + Sync>,
}

/// The UI's side of the engine: send commands, drain events each frame.
pub struct EngineHandle {
    commands: mpsc::UnboundedSender<Command>,
    events: std::sync::mpsc::Receiver<Event>,
    next_id: Arc<AtomicU64>,
    runtime: tokio::runtime::Handle,
    routes: Routes,
    simulator_ports: Arc<Mutex<Option<SimulatorPorts>>>,
}

impl EngineHandle {
    /// A new request id.
    pub fn next_id(&self) -> RequestId {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Queues a command; never blocks. Returns false once the engine has stopped.
    pub fn command(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    /// The engine's tokio runtime, for front ends that serve on it (the REST API).
    pub fn runtime(&self) -> tokio::runtime::Handle {
        self.runtime.clone()
    }

    /// A way for another front end in this process to ask the engine and get its own
    /// answers: its requests' events never reach this handle's queue.
    pub fn router(&self) -> EventRouter {
        EventRouter {
            commands: self.commands.clone(),
            next_id: Arc::clone(&self.next_id),
            routes: Arc::clone(&self.routes),
            simulator: Arc::clone(&self.simulator_ports),
            runtime: self.runtime.clone(),
        }
    }

    /// A way to queue commands from another thread or task (a Ctrl-C handler).
    pub fn commander(&self) -> Commander {
        Commander(self.commands.clone())
    }

    /// The next event, if one is waiting; never blocks.
    pub fn try_event(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// The next event, waiting for it; for front ends with no frame loop. `None` once the
    /// engine has stopped.
    pub fn wait_event(&self) -> Option<Event> {
        self.events.recv().ok()
    }
}

/// Queues commands for the engine; cheap to clone.
#[derive(Clone)]
pub struct Commander(mpsc::UnboundedSender<Command>);

impl Commander {
    /// Queues a command; never blocks. Returns false once the engine has stopped.
    pub fn command(&self, command: Command) -> bool {
        self.0.send(command).is_ok()
    }
}

struct Engine {
    settings: EngineSettings,
    identities: IdentityStore,
    pool: Arc<Pool>,
    /// The built-in simulator, started on first use or when configured.
    simulator: tokio::sync::Mutex<Option<Arc<Simulator>>>,
    events: std::sync::mpsc::Sender<Event>,
    /// Requests whose events go to another front end (see `EventRouter`).
    routes: Routes,
    /// The built-in simulator's ports once it listens, for routed front ends.
    simulator_ports: Arc<Mutex<Option<SimulatorPorts>>>,
    /// Every send from its command's arrival to its end, so a Cancel finds it at any point.
    sends: Mutex<HashMap<RequestId, CancellationToken>>,
    simulator_config: Mutex<(Rules, SimulatorPorts)>,
}

/// Whether a command changes what later commands see (identities, settings, the simulator),
/// or resolves a send against them: such commands are carried out one at a time, in the
/// order they arrived. The rest (sending, reading) run at once, side by side.
fn is_ordered(command: &Command) -> bool {
    matches!(
        command,
        Command::Send { .. }
            | Command::ImportIdentity { .. }
            | Command::DeleteIdentity { .. }
            | Command::ConfigureSimulator { .. }
            | Command::SetRetention { .. }
    )
}

/// Starts the engine on its own thread with its own tokio runtime.
pub fn spawn(settings: EngineSettings) -> std::io::Result<EngineHandle> {
    let (commands, mut receiver) = mpsc::unbounded_channel();
    let (events, event_receiver) = std::sync::mpsc::channel();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("push-console-engine")
        .enable_all()
        .build()?;
    let runtime_handle = runtime.handle().clone();
    let identities = IdentityStore::new(settings.paths.clone(), Arc::clone(&settings.secrets));
    let routes: Routes = Arc::default();
    let simulator_ports = Arc::new(Mutex::new(None));
    let engine = Arc::new(Engine {
        settings,
        identities,
        pool: Arc::new(Pool::new()),
        simulator: tokio::sync::Mutex::new(None),
        events,
        routes: Arc::clone(&routes),
        simulator_ports: Arc::clone(&simulator_ports),
        sends: Mutex::new(HashMap::new()),
        simulator_config: Mutex::new((Rules::default(), SimulatorPorts::default())),
    });
    std::thread::Builder::new()
        .name("push-console-engine".into())
        .spawn(move || {
            runtime.block_on(async move {
                let (ordered, mut in_order) = mpsc::unbounded_channel::<Command>();
                let sequential = Arc::clone(&engine);
                tokio::spawn(async move {
                    while let Some(command) = in_order.recv().await {
                        Engine::handle(&sequential, command).await;
                    }
                });
                while let Some(command) = receiver.recv().await {
                    // Registered on arrival, so a Cancel that overtakes a queued or
                    // resolving send is still honoured.
                    if let Command::Send { id, .. } = &command {
                        engine.sends_map().insert(*id, CancellationToken::new());
                    }
                    if is_ordered(&command) {
                        let _ = ordered.send(command);
                    } else {
                        let engine = Arc::clone(&engine);
                        tokio::spawn(async move { Engine::handle(&engine, command).await });
                    }
                }
            });
        })?;
    Ok(EngineHandle {
        commands,
        events: event_receiver,
        next_id: Arc::new(AtomicU64::new(1)),
        runtime: runtime_handle,
        routes,
        simulator_ports,
    })
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

fn service_for(transport: Transport) -> Service {
    match transport {
        Transport::Http2 => Service::Http2,
        Transport::Legacy(_) => Service::LegacyGateway,
    }
}

impl Resolver for Engine {
    fn stored(&self, name: &str, now: i64) -> Result<(IdentityMetadata, Credential), EngineError> {
        Ok(self.identities.credential(name, now)?)
    }

    async fn simulator(&self) -> Result<Arc<Simulator>, EngineError> {
        self.running_simulator().await
    }
}

impl Engine {
    fn emit(&self, event: Event) {
        if let Event::SimulatorRunning { ports, .. } = &event
            && let Ok(mut known) = self.simulator_ports.lock()
        {
            *known = Some(*ports);
        }
        if let Some(id) = event.request_id()
            && let Ok(routes) = self.routes.lock()
            && let Some(route) = routes.get(&id)
        {
            // Another front end's answer: the app has nothing to repaint for it.
            let _ = route.send(event);
            return;
        }
        let _ = self.events.send(event);
        (self.settings.repaint)();
    }

    fn fail(&self, id: RequestId, error: &EngineError) {
        self.emit(Event::Failed {
            id,
            error: error.failure(),
        });
    }

    fn sends_map(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, CancellationToken>> {
        self.sends
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn handle(engine: &Arc<Engine>, command: Command) {
        let this = engine.as_ref();
        this.carry_out(engine, command).await;
    }

    async fn carry_out(&self, engine: &Arc<Engine>, command: Command) {
        match command {
            Command::Send { id, request } => {
                // Resolved here, in order with imports and deletes; sent beside what follows.
                if let Some(job) = self.prepare_send(id, *request).await {
                    let engine = Arc::clone(engine);
                    tokio::spawn(async move { engine.run_send(id, job).await });
                }
            }
            Command::Cancel { id } => {
                if let Some(cancel) = self.sends_map().get(&id) {
                    cancel.cancel();
                }
            }
            Command::LoadHistory {
                id,
                filter,
                cursor,
                offset,
                limit,
                count,
            } => {
                let page = self.read_history((Vec::new(), count.then_some(0)), |history| {
                    let rows = history.rows_at(&filter, cursor, offset, limit)?;
                    let total = count.then(|| history.matching(&filter)).transpose()?;
                    Ok((rows, total))
                });
                match page {
                    Ok((rows, total)) => self.emit(Event::HistoryPage { id, rows, total }),
                    Err(error) => self.fail(id, &error.into()),
                }
            }
            Command::LoadView {
                id,
                view,
                filter,
                cursor,
                offset,
                limit,
                count,
            } => {
                let page = self.read_history((Vec::new(), count.then_some(0)), |history| {
                    let rows = history.view_rows(view, &filter, cursor, offset, limit)?;
                    let total = count
                        .then(|| history.view_count(view, &filter))
                        .transpose()?;
                    Ok((rows, total))
                });
                match page {
                    Ok((rows, total)) => self.emit(Event::ViewPage { id, rows, total }),
                    Err(error) => self.fail(id, &error.into()),
                }
            }
            Command::ListIdentities { id } => self.list_identities(id),
            Command::ImportIdentity { id, files, name } => {
                let result = tokio::task::block_in_place(|| self.import(&files, name.as_deref()))
                    .map_err(|error| error.failure());
                self.emit(Event::Imported { id, result });
                self.list_identities(id);
            }
            Command::ExportHistory {
                id,
                view,
                filter,
                format,
                path,
            } => {
                let result = self.write_file(&path, |history, out| match view {
                    Some(view) => history.export_view(view, &filter, format, out),
                    None => history.export(&filter, format, out),
                });
                let what = view.map_or("sends", |view| view.title());
                self.report(
                    id,
                    result.map(|rows| {
                        format!(
                            "exported {rows} {} to {}",
                            what.to_lowercase(),
                            path.display()
                        )
                    }),
                );
            }
            Command::ExportUnregistered { id, path } => {
                let result = self.write_file(&path, |history, out| {
                    history.export_unregistered(UnregisteredFormat::List, out)
                });
                self.report(
                    id,
                    result.map(|rows| {
                        format!("exported {rows} unregistered tokens to {}", path.display())
                    }),
                );
            }
            Command::ConfigureSimulator { id, rules, ports } => {
                let result = self.configure_simulator(*rules, ports).await;
                self.report(
                    id,
                    result.map(|()| "the simulator's settings are applied".into()),
                );
            }
            Command::SetRetention { id, retention } => {
                let path = self.settings.paths.history_db();
                let result = tokio::task::block_in_place(|| {
                    History::open(&path).and_then(|mut history| history.set_retention(&retention))
                })
                .map(|()| {
                    "the history's retention is set; it applies after the next send".to_owned()
                })
                .map_err(EngineError::from);
                self.report(id, result);
            }
            Command::TestConnection {
                id,
                connection,
                topic,
            } => {
                let identity = match &connection.credential {
                    CredentialChoice::Stored(name) => Some(name.clone()),
                    _ => None,
                };
                let verdict = self.test_connection(*connection, topic).await;
                self.emit(Event::ConnectionTested {
                    id,
                    identity,
                    verdict,
                });
            }
            Command::ReadFeedback {
                id,
                connection,
                record_history,
            } => {
                if let Err(error) = self.read_feedback(id, &connection, record_history).await {
                    self.fail(id, &error);
                }
            }
            Command::DeleteIdentity { id, name } => {
                match tokio::task::block_in_place(|| self.identities.delete(&name)) {
                    Ok(_) => self.list_identities(id),
                    Err(error) => self.fail(id, &error.into()),
                }
            }
            Command::Channel {
                id,
                connection,
                request,
                record_history,
            } => {
                // Beside what follows, as a send is: an answer may take a while.
                let engine = Arc::clone(engine);
                tokio::spawn(async move {
                    let history = record_history.then(|| engine.settings.paths.history_db());
                    let exchanged = channels::carry_out(
                        engine.as_ref(),
                        &engine.pool,
                        &connection,
                        request,
                        history,
                    )
                    .await;
                    match exchanged.result {
                        Ok(answer) => engine.emit(Event::ChannelAnswered {
                            id,
                            answer: Box::new(answer),
                            history_problem: exchanged.history_problem,
                        }),
                        Err(error) => engine.fail(id, &error),
                    }
                });
            }
            Command::DoctorIdentity { id, name } => {
                let result =
                    tokio::task::block_in_place(|| self.identities.doctor(&name, now_secs()))
                        .map_err(|error| EngineError::from(error).failure());
                self.emit(Event::Doctored { id, result });
            }
        }
    }

    fn report(&self, id: RequestId, result: Result<String, EngineError>) {
        match result {
            Ok(message) => self.emit(Event::Done { id, message }),
            Err(error) => self.fail(id, &error),
        }
    }

    /// Reads the history on this thread (a query may take a while), or gives `empty`
    /// when nothing was recorded yet.
    fn read_history<T>(
        &self,
        empty: T,
        read: impl FnOnce(&History) -> Result<T, HistoryError>,
    ) -> Result<T, HistoryError> {
        let path = self.settings.paths.history_db();
        tokio::task::block_in_place(|| {
            if !path.exists() {
                return Ok(empty);
            }
            read(&History::open_read_only(&path)?)
        })
    }

    /// Writes a history export to `path` atomically: a temporary file renamed into place.
    fn write_file(
        &self,
        path: &std::path::Path,
        write: impl FnOnce(
            &History,
            &mut std::io::BufWriter<std::fs::File>,
        ) -> Result<u64, HistoryError>,
    ) -> Result<u64, EngineError> {
        let db = self.settings.paths.history_db();
        tokio::task::block_in_place(|| {
            let history = History::open_read_only(&db)?;
            let temporary = path.with_extension("partial");
            let file = std::fs::File::create(&temporary).map_err(FileError::writing(&temporary))?;
            let mut out = std::io::BufWriter::new(file);
            let rows = write(&history, &mut out)?;
            use std::io::Write;
            out.flush()
                .and_then(|()| std::fs::rename(&temporary, path))
                .map_err(FileError::writing(path))?;
            Ok(rows)
        })
    }

    fn list_identities(&self, id: RequestId) {
        match self.identities.list() {
            Ok(identities) => self.emit(Event::Identities {
                id,
                identities,
                keychain: self.identities.keychain_description(),
            }),
            Err(error) => self.fail(id, &error.into()),
        }
    }

    fn import(
        &self,
        files: &CredentialFiles,
        name: Option<&str>,
    ) -> Result<(IdentityMetadata, Vec<Finding>), EngineError> {
        let contents = files.read()?;
        Ok(self.identities.import(contents.file()?, name, now_secs())?)
    }

    /// The running simulator, started with the configured rules and ports if it is not.
    async fn running_simulator(&self) -> Result<Arc<Simulator>, EngineError> {
        let mut running = self.simulator.lock().await;
        if let Some(simulator) = running.as_ref() {
            return Ok(Arc::clone(simulator));
        }
        let (rules, ports) = self
            .simulator_config
            .lock()
            .map(|config| config.clone())
            .unwrap_or_default();
        let simulator = Simulator::start(SimulatorConfig {
            rules,
            http2_port: ports.http2,
            legacy_port: ports.legacy,
            feedback_port: ports.feedback,
            channels_port: ports.channels,
            ..SimulatorConfig::default()
        })
        .await?;
        let simulator = Arc::new(simulator);
        *running = Some(Arc::clone(&simulator));
        self.announce(&simulator);
        Ok(simulator)
    }

    /// Tells the UI where the simulator listens, and writes its CA where other tools can
    /// trust it (it is made anew at each start).
    fn announce(&self, simulator: &Simulator) {
        let ca = self.settings.paths.data_dir.join("simulator-ca.pem");
        let ca = crate::store::write_atomically(&ca, simulator.ca_pem().as_bytes())
            .map(|()| ca)
            .map_err(|error| format!("cannot write the simulator's CA: {error}"));
        self.emit(Event::SimulatorRunning {
            ports: SimulatorPorts {
                http2: simulator.http2_endpoint().port,
                legacy: simulator.legacy_endpoint().port,
                feedback: simulator.feedback_endpoint().port,
                channels: simulator.channels_endpoint().port,
            },
            ca,
        });
    }

    /// Sets the simulator's rules at once, and restarts it when its ports change.
    async fn configure_simulator(
        &self,
        rules: Rules,
        ports: SimulatorPorts,
    ) -> Result<(), EngineError> {
        let previous_ports = self
            .simulator_config
            .lock()
            .map(|mut config| std::mem::replace(&mut *config, (rules.clone(), ports)).1)
            .map_err(|_| EngineError::SimulatorSettings("they are unavailable".into()))?;
        let mut running = self.simulator.lock().await;
        match running.take() {
            Some(simulator) if previous_ports == ports => {
                simulator.set_rules(rules);
                *running = Some(simulator);
                return Ok(());
            }
            // Wait for the old listeners to close so their ports can be bound again; one a
            // send still holds is stopped at once, and its ports free a moment later.
            Some(simulator) => match Arc::try_unwrap(simulator) {
                Ok(simulator) => simulator.shutdown().await,
                Err(shared) => shared.stop(),
            },
            None => {}
        }
        drop(running);
        let mut attempts = 0;
        loop {
            match self.running_simulator().await {
                Ok(_) => return Ok(()),
                Err(_) if attempts < 10 => {
                    attempts += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(problem) => return Err(problem),
            }
        }
    }

    /// The job that carries out `request`: its connection resolved, its topic picked and
    /// its notification linted with the credential's real auth kind, its sender built on
    /// `pool`. Nothing has been sent when this fails.
    async fn job(&self, request: SendRequest, pool: &Arc<Pool>) -> Result<Job, EngineError> {
        let transport = request.connection.transport;
        let Resolved {
            endpoint,
            credential,
            labels,
            topics,
        } = connection::resolve(
            self,
            &request.connection,
            service_for(transport),
            request.template.push_type.needs_token_auth(),
        )
        .await?;
        let mut template = request.template;
        template.topic = pick_topic(template.topic.as_ref(), &topics, &template.push_type);
        let now = now_secs().max(0) as u64;
        if template.push_type == PushType::LiveActivity {
            // Dated here, as late as the engine can, so that it is fresh when it leaves.
            fill_live_activity_timestamp(&mut template.payload, now);
        }
        let lints = lint(&template, transport, labels.auth, now);
        if let Some(error) = lints
            .iter()
            .find(|finding| finding.severity() == Severity::Error)
        {
            return Err(EngineError::Unsendable(error.to_string()));
        }
        if !(1..=MAX_CONNECTIONS).contains(&request.connections) {
            return Err(EngineError::BadConnections {
                asked: request.connections,
                max: MAX_CONNECTIONS,
            });
        }
        if request.connections > 1 && transport != Transport::Http2 {
            return Err(EngineError::LegacyOneConnection);
        }
        let batch = Batch::same_payload(&template, request.tokens, transport)
            .map_err(|error| EngineError::Unsendable(error.to_string()))?;
        let sender = match (transport, credential) {
            (Transport::Http2, credential) => {
                let auth = channels::http2_auth(credential);
                let mut sender =
                    Http2Sender::new(Arc::clone(pool), Http2Config::new(endpoint, auth));
                sender.concurrency = request.concurrency.max(1);
                sender.connections = request.connections;
                BatchSender::Http2(sender)
            }
            (Transport::Legacy(format), Credential::Certificate(identity)) => {
                let mut config = LegacyConfig::new(endpoint, identity);
                config.format = format;
                config.answer_wait = request.legacy.answer_wait;
                config.confirm_every = request.legacy.confirm_every.filter(|&every| every > 0);
                BatchSender::Legacy(LegacySender::new(config))
            }
            (Transport::Legacy(_), Credential::Token(_)) => {
                return Err(EngineError::LegacyNeedsCertificate);
            }
        };
        Ok(Job {
            batch: Arc::new(batch),
            transport,
            sender,
            labels,
            topic: template.topic,
            warnings: lints,
            history: request
                .record_history
                .then(|| self.settings.paths.history_db()),
        })
    }

    async fn test_connection(&self, connection: Connection, topic: Option<Topic>) -> ProbeVerdict {
        let mut request = SendRequest::new(
            Connection {
                transport: Transport::Http2,
                ..connection
            },
            probe::probe(topic),
            vec![DeviceToken::placeholder()],
        );
        request.concurrency = 1;
        request.record_history = false;
        // Always a new connection: a cached one would prove nothing about these credentials.
        let fresh = Arc::new(Pool::new());
        let mut job = match self.job(request, &fresh).await {
            Ok(job) => job,
            Err(problem) => return ProbeVerdict::unsendable(problem.to_string()),
        };
        // Timed from here: the keychain read and a simulator start are not the network's.
        let started = std::time::Instant::now();
        // The first failure is the one that explains; a retry would only hide it.
        if let BatchSender::Http2(sender) = &mut job.sender {
            sender.retry.max_attempts = 1;
        }
        // Nobody watches a probe's progress.
        let (events, _unwatched) = mpsc::unbounded_channel();
        let run = execute(job, events, CancellationToken::new());
        let verdict = match tokio::time::timeout(PROBE_TIMEOUT, run).await {
            Err(_) => ProbeVerdict::unsendable(format!(
                "no answer within {} s: check the host, the port and the network",
                PROBE_TIMEOUT.as_secs()
            )),
            Ok(Err(error)) => ProbeVerdict::unsendable(error.to_string()),
            Ok(Ok(result)) => match result.report.outcomes.first() {
                Some(outcome) => probe::verdict(outcome, started.elapsed()),
                None => ProbeVerdict::unsendable("the test push was not sent"),
            },
        };
        fresh.shutdown().await;
        verdict
    }

    /// Resolves a send, or reports why it cannot go (nothing was sent then).
    async fn prepare_send(&self, id: RequestId, request: SendRequest) -> Option<Job> {
        match self.job(request, &self.pool).await {
            Ok(job) => Some(job),
            Err(error) => {
                self.sends_map().remove(&id);
                self.fail(id, &error);
                None
            }
        }
    }

    /// Sends a resolved job. A send cancelled before this point still starts: its
    /// senders then report every notification not sent, and the history says cancelled.
    async fn run_send(&self, id: RequestId, job: Job) {
        let cancel = self.sends_map().get(&id).cloned().unwrap_or_default();
        let total = job.batch.len();
        self.emit(Event::SendStarted {
            id,
            total,
            labels: job.labels.clone(),
            topic: job.topic.clone(),
            warnings: job.warnings.clone(),
        });
        let (events, mut received) = mpsc::unbounded_channel();
        let mut streamed = vec![false; total];
        let forward = async {
            let mut answered = Vec::new();
            while let Some(first) = received.recv().await {
                // Whatever else is already waiting goes with it, in one event.
                let mut next = Some(first);
                while let Some(event) = next.take().or_else(|| received.try_recv().ok()) {
                    match event {
                        SendEvent::Progress(progress) => {
                            if !answered.is_empty() {
                                self.emit(Event::Outcomes {
                                    id,
                                    outcomes: std::mem::take(&mut answered),
                                });
                            }
                            self.emit(Event::Progress { id, progress });
                        }
                        SendEvent::Outcome { index, outcome } => {
                            if let Some(seen) = streamed.get_mut(index) {
                                *seen = true;
                            }
                            answered.push((index, outcome));
                        }
                    }
                }
                if !answered.is_empty() {
                    self.emit(Event::Outcomes {
                        id,
                        outcomes: std::mem::take(&mut answered),
                    });
                }
            }
        };
        let (result, ()) = tokio::join!(execute(job, events, cancel), forward);
        self.sends_map().remove(&id);
        let mut result = match result {
            Ok(result) => result,
            Err(error) => return self.fail(id, &error),
        };
        // Every outcome reaches the UI once, as an Outcome event: those the sender did not
        // stream (e.g. not sent after a cancel) are sent now, and the report goes without
        // them, so the UI thread never copies or frees 100,000 outcomes in one frame.
        let unstreamed: Vec<(usize, crate::apns::Outcome)> =
            std::mem::take(&mut result.report.outcomes)
                .into_iter()
                .enumerate()
                .filter(|(index, _)| !streamed.get(*index).copied().unwrap_or(true))
                .collect();
        // In pieces, so that no frame of the app takes 100,000 of them at once.
        let mut unstreamed = unstreamed.into_iter().peekable();
        while unstreamed.peek().is_some() {
            let outcomes = unstreamed.by_ref().take(UNSTREAMED_PER_EVENT).collect();
            self.emit(Event::Outcomes { id, outcomes });
        }
        self.emit(Event::SendFinished {
            id,
            report: Box::new(result.report),
            history_problem: result
                .history_problem
                .map(|problem| EngineError::from(problem).failure()),
        });
    }

    async fn read_feedback(
        &self,
        id: RequestId,
        connection: &Connection,
        record_history: bool,
    ) -> Result<(), EngineError> {
        let resolved = connection::resolve(self, connection, Service::Feedback, false).await?;
        let Credential::Certificate(identity) = &resolved.credential else {
            return Err(EngineError::LegacyNeedsCertificate);
        };
        let read = read_feedback(
            &resolved.endpoint,
            identity,
            crate::net::FeedbackLimits::default(),
            None,
        )
        .await;
        // Entries are recorded even when the read ended early: the service won't send them again.
        let history_problem = if record_history && !read.tuples.is_empty() {
            let path = self.settings.paths.history_db();
            let labels = &resolved.labels;
            tokio::task::block_in_place(|| {
                History::open(&path)?.record_feedback(
                    &labels.identity,
                    &labels.endpoint,
                    &read.tuples,
                    now_ms(),
                )
            })
            .err()
            .map(|error| EngineError::from(error).failure())
        } else {
            None
        };
        self.emit(Event::Feedback {
            id,
            tuples: read.tuples,
            skipped: read.skipped,
            problem: read
                .problem
                .map(|problem| EngineError::Connection(problem.to_string()).failure()),
            history_problem,
        });
        Ok(())
    }
}
