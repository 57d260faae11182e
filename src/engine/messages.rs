//! The engine's messages: the commands the UI (or a script) sends, with what a send or an
//! import needs, and the events that answer them.

use std::path::PathBuf;

use super::probe::ProbeVerdict;
use crate::apns::{DeviceToken, Notification, Topic, Transport};
use crate::net::{BatchReport, Outcome, Progress};
use crate::simulator::Rules;
use crate::store::history::{Cursor, ExportFormat, Filter, Retention, SendRow};
use crate::store::identity::{Finding, IdentityMetadata};

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
