//! The engine's thread: a tokio runtime that owns the connection pool, the
//! built-in simulator, the history and the identities, and answers commands.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::job::{BatchSender, Job, Labels, execute};
use super::probe::{self, ProbeVerdict};
use crate::apns::{DeviceToken, Notification, Topic, Transport};
use crate::net::{
    Batch, BatchReport, ClientIdentity, Endpoint, Http2Auth, Http2Config, Http2Sender,
    LegacyConfig, LegacySender, Outcome, Pool, Progress, SendEvent, Service, roots_from_pem,
    system_clock,
};
use crate::simulator::Rules;
use crate::simulator::{Simulator, SimulatorConfig, SimulatorError};
use crate::store::DataPaths;
use crate::store::history::{
    Cursor, ExportFormat, Filter, History, HistoryError, Retention, SendRow, UnregisteredFormat,
};
use crate::store::identity::{
    Credential, CredentialFile, Finding, IdentityMetadata, IdentityStore,
};
use crate::store::secrets::SecretStore;

/// The built-in simulator's ports on 127.0.0.1; 0 picks any free port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SimulatorPorts {
    /// The HTTP/2 provider API.
    pub http2: u16,
    /// The legacy binary gateway.
    pub legacy: u16,
    /// The feedback service.
    pub feedback: u16,
}

/// The built-in simulator's own client certificate for `topic`: what a send with no
/// identity uses.
pub fn simulator_identity(
    simulator: &Simulator,
    topic: &str,
) -> Result<ClientIdentity, SimulatorError> {
    let (cert, key) = simulator.client_identity_pem(&[topic])?;
    ClientIdentity::from_pem(cert.as_bytes(), Some(key.as_bytes()))
        .map_err(|error| SimulatorError::Tls(error.to_string()))
}

/// How long a test connection may take, retries included.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Numbers a command so its events can be matched to it.
pub type RequestId = u64;

/// The topic of the built-in simulator's own certificate.
pub const SIMULATOR_TOPIC: &str = "com.example.pushconsole";

/// Where to send.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Target {
    /// The built-in simulator (the default: works with no Apple account).
    Simulator,
    /// Apple's development environment.
    Sandbox,
    /// Apple's production environment.
    Production,
    /// Any host, e.g. an in-house gateway or a simulator elsewhere.
    Custom {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
        /// A PEM file of extra CA certificates to trust (a simulator's ca.pem).
        ca: Option<PathBuf>,
    },
}

/// Everything a send needs.
#[derive(Clone, Debug)]
pub struct SendRequest {
    /// Where to.
    pub target: Target,
    /// A stored identity; `None` uses the simulator's own certificate (simulator only).
    pub identity: Option<String>,
    /// The notification; its token is replaced by each of `tokens`.
    pub template: Notification,
    /// The devices.
    pub tokens: Vec<DeviceToken>,
    /// HTTP/2 or a legacy format.
    pub transport: Transport,
    /// Notifications in flight at once (HTTP/2).
    pub concurrency: usize,
    /// Whether to record the send in the history.
    pub record_history: bool,
}

/// A credential file to import.
#[derive(Clone, Debug, Default)]
pub struct ImportRequest {
    /// The .p12/.pfx/.pem/.p8 file.
    pub path: PathBuf,
    /// A separate PEM key file.
    pub key_path: Option<PathBuf>,
    /// The .p12 password.
    pub password: Option<String>,
    /// The .p8 key id.
    pub key_id: Option<String>,
    /// The team id.
    pub team_id: Option<String>,
    /// The name to give it.
    pub name: Option<String>,
}

/// What the UI (or a script) asks the engine to do. Each carries a request id;
/// the events that answer it carry the same id.
#[derive(Debug)]
pub enum Command {
    /// Send a batch: answered by `SendStarted`, `Progress` and `Outcome`s, then
    /// `SendFinished`, or `Failed` if it could not start.
    Send {
        /// Request id.
        id: RequestId,
        /// What to send.
        request: Box<SendRequest>,
    },
    /// Stop starting new notifications of send `id`; what is in flight finishes.
    Cancel {
        /// The send's request id.
        id: RequestId,
    },
    /// Load the sends matching a filter, newest first, from a position on: answered by
    /// `HistoryPage`.
    LoadHistory {
        /// Request id.
        id: RequestId,
        /// Which sends.
        filter: Box<Filter>,
        /// Only sends older than this.
        cursor: Option<Cursor>,
        /// How many matching sends to skip.
        offset: u64,
        /// How many at most.
        limit: usize,
        /// Also count every matching send (a full scan of the matches: once per filter).
        count: bool,
    },
    /// List identities: answered by `Identities`.
    ListIdentities {
        /// Request id.
        id: RequestId,
    },
    /// Import a credential: answered by `Imported`, then `Identities`.
    ImportIdentity {
        /// Request id.
        id: RequestId,
        /// The file and its passwords.
        request: Box<ImportRequest>,
    },
    /// Delete an identity: answered by `Identities`, or `Failed`.
    DeleteIdentity {
        /// Request id.
        id: RequestId,
        /// Its name.
        name: String,
    },
    /// Check that an identity can send to an endpoint with one silent push to a placeholder
    /// device token (see `probe`): answered by `ConnectionTested`.
    TestConnection {
        /// Request id.
        id: RequestId,
        /// Where to.
        target: Target,
        /// The stored identity; `None` is the simulator's own.
        identity: Option<String>,
        /// The topic to ask for (a token key needs one; a certificate defaults to its own).
        topic: Option<Topic>,
    },
    /// Write the sends matching a filter to a file: answered by `Done`.
    ExportHistory {
        /// Request id.
        id: RequestId,
        /// Which sends.
        filter: Box<Filter>,
        /// CSV or JSON Lines.
        format: ExportFormat,
        /// Where to write.
        path: PathBuf,
    },
    /// Write the unregistered tokens, one per line, to a file: answered by `Done`.
    ExportUnregistered {
        /// Request id.
        id: RequestId,
        /// Where to write.
        path: PathBuf,
    },
    /// Set the built-in simulator's rules and ports, starting it if it is not running:
    /// answered by `Done` (and `SimulatorRunning` when it starts), or `Failed`.
    ConfigureSimulator {
        /// Request id.
        id: RequestId,
        /// The rules, applied at once.
        rules: Box<Rules>,
        /// The ports; a change restarts the simulator.
        ports: SimulatorPorts,
    },
    /// Set how long the history keeps sends: answered by `Done`.
    SetRetention {
        /// Request id.
        id: RequestId,
        /// Limits; the default keeps everything.
        retention: Retention,
    },
}

/// What the engine reports; after each one it asks the UI to repaint.
#[derive(Debug)]
pub enum Event {
    /// A send started with this many notifications.
    SendStarted {
        /// The send's request id.
        id: RequestId,
        /// Notifications in the batch.
        total: usize,
    },
    /// Counts while a send runs.
    Progress {
        /// The send's request id.
        id: RequestId,
        /// The counts.
        progress: Progress,
    },
    /// The final outcome of one notification.
    Outcome {
        /// The send's request id.
        id: RequestId,
        /// Its index in the batch.
        index: usize,
        /// What became of it.
        outcome: Box<Outcome>,
    },
    /// A send ended.
    SendFinished {
        /// The send's request id.
        id: RequestId,
        /// Its counts and the errors not tied to a token; the outcomes are not in it (each
        /// came as an `Outcome` event).
        report: Box<BatchReport>,
        /// Set when the history could not record every answer.
        history_problem: Option<String>,
    },
    /// A page of the history, newest first.
    HistoryPage {
        /// The request id.
        id: RequestId,
        /// The rows.
        rows: Vec<SendRow>,
        /// How many sends match, when counting was asked for.
        total: Option<u64>,
    },
    /// The identities, and which keychain holds their keys.
    Identities {
        /// The request id.
        id: RequestId,
        /// In import order.
        identities: Vec<IdentityMetadata>,
        /// The keychain, in words.
        keychain: String,
    },
    /// An import's result: the identity and the doctor's findings, or why not.
    Imported {
        /// The request id.
        id: RequestId,
        /// The result.
        result: Result<(IdentityMetadata, Vec<Finding>), String>,
    },
    /// The built-in simulator is listening.
    SimulatorRunning {
        /// Its ports on 127.0.0.1.
        ports: SimulatorPorts,
        /// Its CA certificate, written for other tools to trust, or why it is not.
        ca: Result<PathBuf, String>,
    },
    /// What a test connection found.
    ConnectionTested {
        /// The request id.
        id: RequestId,
        /// The identity tested.
        identity: Option<String>,
        /// Healthy or not, in words.
        verdict: ProbeVerdict,
    },
    /// A command that changes or writes something finished.
    Done {
        /// The request id.
        id: RequestId,
        /// What happened, in words.
        message: String,
    },
    /// A command failed; the message says what to do.
    Failed {
        /// The request id.
        id: RequestId,
        /// What went wrong.
        message: String,
    },
}

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
    next_id: AtomicU64,
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

    /// The next event, if one is waiting; never blocks.
    pub fn try_event(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }
}

struct Engine {
    settings: EngineSettings,
    identities: IdentityStore,
    pool: Arc<Pool>,
    /// The built-in simulator, started on first use or when configured.
    simulator: tokio::sync::Mutex<Option<Arc<Simulator>>>,
    events: std::sync::mpsc::Sender<Event>,
    sends: Mutex<HashMap<RequestId, CancellationToken>>,
    simulator_config: Mutex<(Rules, SimulatorPorts)>,
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
    let identities = IdentityStore::new(settings.paths.clone(), Arc::clone(&settings.secrets));
    let engine = Arc::new(Engine {
        settings,
        identities,
        pool: Arc::new(Pool::new()),
        simulator: tokio::sync::Mutex::new(None),
        events,
        sends: Mutex::new(HashMap::new()),
        simulator_config: Mutex::new((Rules::default(), SimulatorPorts::default())),
    });
    std::thread::Builder::new()
        .name("push-console-engine".into())
        .spawn(move || {
            runtime.block_on(async move {
                while let Some(command) = receiver.recv().await {
                    let engine = Arc::clone(&engine);
                    tokio::spawn(async move { engine.handle(command).await });
                }
            });
        })?;
    Ok(EngineHandle {
        commands,
        events: event_receiver,
        next_id: AtomicU64::new(1),
    })
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

impl Engine {
    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
        (self.settings.repaint)();
    }

    async fn handle(&self, command: Command) {
        match command {
            Command::Send { id, request } => {
                if let Err(message) = self.send(id, *request).await {
                    self.emit(Event::Failed { id, message });
                }
            }
            Command::Cancel { id } => {
                if let Some(cancel) = self
                    .sends
                    .lock()
                    .ok()
                    .and_then(|sends| sends.get(&id).cloned())
                {
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
                let path = self.settings.paths.history_db();
                let page = tokio::task::block_in_place(|| -> Result<_, HistoryError> {
                    if !path.exists() {
                        return Ok((Vec::new(), count.then_some(0)));
                    }
                    let history = History::open_read_only(&path)?;
                    let rows = history.rows_at(&filter, cursor, offset, limit)?;
                    let total = count.then(|| history.matching(&filter)).transpose()?;
                    Ok((rows, total))
                });
                match page {
                    Ok((rows, total)) => self.emit(Event::HistoryPage { id, rows, total }),
                    Err(error) => self.emit(Event::Failed {
                        id,
                        message: error.to_string(),
                    }),
                }
            }
            Command::ListIdentities { id } => self.list_identities(id),
            Command::ImportIdentity { id, request } => {
                let result = tokio::task::block_in_place(|| self.import(&request));
                self.emit(Event::Imported { id, result });
                self.list_identities(id);
            }
            Command::ExportHistory {
                id,
                filter,
                format,
                path,
            } => {
                let result =
                    self.write_file(&path, |history, out| history.export(&filter, format, out));
                self.report(
                    id,
                    result.map(|rows| format!("exported {rows} sends to {}", path.display())),
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
                .map_err(|error| error.to_string());
                self.report(id, result);
            }
            Command::TestConnection {
                id,
                target,
                identity,
                topic,
            } => {
                let verdict = self.test_connection(target, identity.clone(), topic).await;
                self.emit(Event::ConnectionTested {
                    id,
                    identity,
                    verdict,
                });
            }
            Command::DeleteIdentity { id, name } => {
                match tokio::task::block_in_place(|| self.identities.delete(&name)) {
                    Ok(_) => self.list_identities(id),
                    Err(error) => self.emit(Event::Failed {
                        id,
                        message: error.to_string(),
                    }),
                }
            }
        }
    }

    fn report(&self, id: RequestId, result: Result<String, String>) {
        match result {
            Ok(message) => self.emit(Event::Done { id, message }),
            Err(message) => self.emit(Event::Failed { id, message }),
        }
    }

    /// Writes a history export to `path` atomically: a temporary file renamed into place.
    fn write_file(
        &self,
        path: &std::path::Path,
        write: impl FnOnce(
            &History,
            &mut std::io::BufWriter<std::fs::File>,
        ) -> Result<u64, HistoryError>,
    ) -> Result<u64, String> {
        let db = self.settings.paths.history_db();
        tokio::task::block_in_place(|| {
            let history = History::open_read_only(&db).map_err(|error| error.to_string())?;
            let temporary = path.with_extension("partial");
            let file = std::fs::File::create(&temporary)
                .map_err(|error| format!("cannot write {}: {error}", temporary.display()))?;
            let mut out = std::io::BufWriter::new(file);
            let rows = write(&history, &mut out).map_err(|error| error.to_string())?;
            use std::io::Write;
            out.flush()
                .and_then(|()| std::fs::rename(&temporary, path))
                .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
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
            Err(error) => self.emit(Event::Failed {
                id,
                message: error.to_string(),
            }),
        }
    }

    fn import(&self, request: &ImportRequest) -> Result<(IdentityMetadata, Vec<Finding>), String> {
        let read = |path: &PathBuf| {
            std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))
        };
        let bytes = read(&request.path)?;
        let key = request.key_path.as_ref().map(read).transpose()?;
        let is_p8 = request
            .path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("p8"));
        let pem;
        let file = if is_p8 {
            pem = String::from_utf8(bytes)
                .map_err(|_| "the .p8 file is not text (PEM)".to_owned())?;
            CredentialFile::TokenKey {
                pem: &pem,
                key_id: request.key_id.as_deref().unwrap_or_default(),
                team_id: request.team_id.as_deref().unwrap_or_default(),
            }
        } else {
            CredentialFile::Certificate {
                bytes: &bytes,
                key: key.as_deref(),
                password: request.password.as_deref(),
            }
        };
        self.identities
            .import(file, request.name.as_deref(), now_secs())
            .map_err(|error| error.to_string())
    }

    /// The running simulator, started with the configured rules and ports if it is not.
    async fn simulator(&self) -> Result<Arc<Simulator>, String> {
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
            ..SimulatorConfig::default()
        })
        .await
        .map_err(|error| format!("the built-in simulator cannot start: {error}"))?;
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
            },
            ca,
        });
    }

    /// Sets the simulator's rules at once, and restarts it when its ports change.
    async fn configure_simulator(&self, rules: Rules, ports: SimulatorPorts) -> Result<(), String> {
        let previous_ports = self
            .simulator_config
            .lock()
            .map(|mut config| std::mem::replace(&mut *config, (rules.clone(), ports)).1)
            .map_err(|_| "the simulator's settings are unavailable".to_owned())?;
        let mut running = self.simulator.lock().await;
        match running.take() {
            Some(simulator) if previous_ports == ports => {
                simulator.set_rules(rules);
                *running = Some(simulator);
                return Ok(());
            }
            // Wait for the old listeners to close so their ports can be bound again.
            Some(simulator) => match Arc::try_unwrap(simulator) {
                Ok(simulator) => simulator.shutdown().await,
                Err(shared) => drop(shared),
            },
            None => {}
        }
        drop(running);
        self.simulator().await.map(drop)
    }

    /// The job that carries out `request`: its endpoint, credential and sender resolved.
    async fn job(&self, request: SendRequest) -> Result<Job, String> {
        let (endpoint, credential, identity_label) = self.resolve(&request).await?;
        let SendRequest {
            target,
            template,
            tokens,
            transport,
            concurrency,
            record_history,
            ..
        } = request;
        let batch =
            Batch::same_payload(&template, tokens, transport).map_err(|error| error.to_string())?;
        let labels = Labels {
            identity: identity_label.clone(),
            endpoint: match target {
                Target::Simulator => "simulator".to_owned(),
                _ => endpoint.address(),
            },
        };
        let sender = match (transport, credential) {
            (Transport::Http2, credential) => {
                let auth = match credential {
                    Credential::Certificate(identity) => Http2Auth::Certificate(identity),
                    Credential::Token(issuer) => Http2Auth::Token {
                        issuer: Arc::new(Mutex::new(issuer)),
                        clock: system_clock(),
                    },
                };
                let mut sender = Http2Sender::new(
                    Arc::clone(&self.pool),
                    identity_label,
                    Http2Config::new(endpoint, auth),
                );
                sender.concurrency = concurrency.max(1);
                BatchSender::Http2(sender)
            }
            (Transport::Legacy(format), Credential::Certificate(identity)) => {
                let mut config = LegacyConfig::new(endpoint, identity);
                config.format = format;
                BatchSender::Legacy(LegacySender::new(config))
            }
            (Transport::Legacy(_), Credential::Token(_)) => {
                return Err("the legacy protocol needs a certificate identity; token keys work only over HTTP/2".into());
            }
        };
        Ok(Job {
            batch,
            transport,
            sender,
            labels,
            history: record_history.then(|| self.settings.paths.history_db()),
        })
    }

    async fn test_connection(
        &self,
        target: Target,
        identity: Option<String>,
        topic: Option<Topic>,
    ) -> ProbeVerdict {
        let request = SendRequest {
            target,
            identity,
            template: probe::probe(topic),
            tokens: vec![DeviceToken::placeholder()],
            transport: Transport::Http2,
            concurrency: 1,
            record_history: false,
        };
        let mut job = match self.job(request).await {
            Ok(job) => job,
            Err(problem) => return ProbeVerdict::unsendable(problem),
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
        match tokio::time::timeout(PROBE_TIMEOUT, run).await {
            Err(_) => ProbeVerdict::unsendable(format!(
                "no answer within {} s: check the host, the port and the network",
                PROBE_TIMEOUT.as_secs()
            )),
            Ok(Err(error)) => ProbeVerdict::unsendable(error.to_string()),
            Ok(Ok(result)) => match result.report.outcomes.first() {
                Some(outcome) => probe::verdict(outcome, started.elapsed()),
                None => ProbeVerdict::unsendable(
                    result
                        .report
                        .errors
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "the test push was not sent".into()),
                ),
            },
        }
    }

    async fn send(&self, id: RequestId, request: SendRequest) -> Result<(), String> {
        let job = self.job(request).await?;
        let cancel = CancellationToken::new();
        if let Ok(mut sends) = self.sends.lock() {
            sends.insert(id, cancel.clone());
        }
        let total = job.batch.len();
        self.emit(Event::SendStarted { id, total });
        let (events, mut received) = mpsc::unbounded_channel();
        let mut streamed = vec![false; total];
        let forward = async {
            while let Some(event) = received.recv().await {
                match event {
                    SendEvent::Progress(progress) => self.emit(Event::Progress { id, progress }),
                    SendEvent::Outcome { index, outcome } => {
                        if let Some(seen) = streamed.get_mut(index) {
                            *seen = true;
                        }
                        self.emit(Event::Outcome {
                            id,
                            index,
                            outcome: Box::new(outcome),
                        });
                    }
                }
            }
        };
        let (result, ()) = tokio::join!(execute(job, events, cancel), forward);
        if let Ok(mut sends) = self.sends.lock() {
            sends.remove(&id);
        }
        let mut result = result.map_err(|error| error.to_string())?;
        // Every outcome reaches the UI once, as an Outcome event: those the sender did not
        // stream (e.g. not sent after a cancel) are sent now, and the report goes without
        // them, so the UI thread never copies or frees 100,000 outcomes in one frame.
        let outcomes = std::mem::take(&mut result.report.outcomes);
        for (index, outcome) in outcomes.into_iter().enumerate() {
            if !streamed.get(index).copied().unwrap_or(true) {
                self.emit(Event::Outcome {
                    id,
                    index,
                    outcome: Box::new(outcome),
                });
            }
        }
        self.emit(Event::SendFinished {
            id,
            report: Box::new(result.report),
            history_problem: result.history_problem.map(|problem| problem.to_string()),
        });
        Ok(())
    }

    async fn resolve(
        &self,
        request: &SendRequest,
    ) -> Result<(Endpoint, Credential, String), String> {
        let legacy = matches!(request.transport, Transport::Legacy(_));
        let stored = match &request.identity {
            Some(name) => {
                let name = name.clone();
                let loaded =
                    tokio::task::block_in_place(|| self.identities.credential(&name, now_secs()));
                Some(loaded.map_err(|error| error.to_string())?)
            }
            None => None,
        };
        let production = match &request.target {
            Target::Simulator => {
                let simulator = self.simulator().await?;
                let endpoint = if legacy {
                    simulator.legacy_endpoint()
                } else {
                    simulator.http2_endpoint()
                };
                return match stored {
                    Some((metadata, credential)) => Ok((endpoint, credential, metadata.name)),
                    None => Ok((
                        endpoint,
                        Credential::Certificate(
                            simulator_identity(&simulator, SIMULATOR_TOPIC)
                                .map_err(|error| error.to_string())?,
                        ),
                        "simulator".to_owned(),
                    )),
                };
            }
            Target::Sandbox => false,
            Target::Production => true,
            Target::Custom { host, port, ca } => {
                let (metadata, credential) =
                    stored.ok_or("choose an identity to send to a custom host")?;
                let roots = match ca {
                    Some(path) => {
                        let pem = std::fs::read(path)
                            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
                        roots_from_pem(&pem)
                            .ok_or_else(|| format!("{} holds no PEM certificate", path.display()))?
                    }
                    None => Vec::new(),
                };
                return Ok((
                    Endpoint::custom(host.clone(), *port, roots),
                    credential,
                    metadata.name,
                ));
            }
        };
        let (metadata, credential) =
            stored.ok_or("choose an identity: Apple needs a certificate or token key")?;
        let service = if legacy {
            Service::LegacyGateway
        } else {
            Service::Http2
        };
        let endpoint = Endpoint::apple_service(service, production);
        Ok((endpoint, credential, metadata.name))
    }
}
