//! The engine's thread: a tokio runtime that owns the connection pool, the
//! built-in simulator, the history and the identities, and answers commands.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::job::{BatchSender, Job, Labels, execute};
use super::messages::{
    Command, Event, ImportRequest, RequestId, SIMULATOR_TOPIC, SendRequest, SimulatorPorts, Target,
};
use super::probe::{self, ProbeVerdict};
use crate::apns::{Batch, ClientIdentity, DeviceToken, SendEvent, Topic, Transport};
use crate::net::{
    Endpoint, Http2Auth, Http2Config, Http2Sender, LegacyConfig, LegacySender, Pool, Service,
    roots_from_pem, system_clock,
};
use crate::simulator::Rules;
use crate::simulator::{Simulator, SimulatorConfig, SimulatorError};
use crate::store::DataPaths;
use crate::store::history::{History, HistoryError, UnregisteredFormat};
use crate::store::identity::{
    Credential, CredentialFile, Finding, IdentityMetadata, IdentityStore,
};
use crate::store::secrets::SecretStore;

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
            match self.simulator().await {
                Ok(_) => return Ok(()),
                Err(_) if attempts < 10 => {
                    attempts += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(problem) => return Err(problem),
            }
        }
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
                let mut sender =
                    Http2Sender::new(Arc::clone(&self.pool), Http2Config::new(endpoint, auth));
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
