//! The engine's messages: the commands the UI (or a script) sends, with what a send or an
//! import needs, and the events that answer them.

use std::path::PathBuf;
use std::time::Duration;

use super::channels::{ChannelAnswer, ChannelRequest};
use super::connection::{Connection, Labels};
use super::error::Failure;
use super::probe::ProbeVerdict;
use crate::apns::{
    BatchReport, DeviceToken, FeedbackTuple, Lint, Notification, Outcome, Progress, Topic,
};
use crate::simulator::Rules;
use crate::store::history::{
    ConversationRow, Cursor, ExportFormat, Filter, Retention, SendRow, View,
};
use crate::store::identity::{CredentialFiles, Finding, IdentityMetadata};

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
    /// The broadcast channel management API.
    pub channels: u16,
}

/// The most HTTP/2 connections one batch may be spread over: beyond a few, more
/// connections to one endpoint add handshakes, not throughput.
pub const MAX_CONNECTIONS: usize = 64;

/// Numbers a command so its events can be matched to it.
pub type RequestId = u64;

/// Everything a send needs.
#[derive(Clone, Debug)]
pub struct SendRequest {
    /// Where to, with what, over which protocol.
    pub connection: Connection,
    /// The notification; its token is replaced by each of `tokens`. Without a topic, the
    /// identity's certificate names it.
    pub template: Notification,
    /// The devices.
    pub tokens: Vec<DeviceToken>,
    /// Notifications in flight at once (HTTP/2), over all connections.
    pub concurrency: usize,
    /// HTTP/2 connections the batch is spread over (1 to [`MAX_CONNECTIONS`]), each with
    /// its share of `concurrency`, as Apple suggests for high volume.
    pub connections: usize,
    /// Legacy: how rounds are confirmed.
    pub legacy: LegacyRounds,
    /// Whether to record the send in the history.
    pub record_history: bool,
}

/// How a legacy send confirms what the gateway took (see `net::LegacyConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacyRounds {
    /// How long to wait after a round's last write for the gateway's answer.
    pub answer_wait: Duration,
    /// Notifications per round; `None`: the whole batch in one.
    pub confirm_every: Option<usize>,
}

impl Default for LegacyRounds {
    fn default() -> Self {
        Self {
            answer_wait: crate::net::DEFAULT_ANSWER_WAIT,
            confirm_every: None,
        }
    }
}

impl SendRequest {
    /// A send of `template` to `tokens` over `connection`, with the defaults every front
    /// end starts from.
    pub fn new(connection: Connection, template: Notification, tokens: Vec<DeviceToken>) -> Self {
        Self {
            connection,
            template,
            tokens,
            concurrency: 100,
            connections: 1,
            legacy: LegacyRounds::default(),
            record_history: true,
        }
    }
}

/// What the UI (or a script) asks the engine to do. Each carries a request id;
/// the events that answer it carry the same id.
#[derive(Debug)]
pub enum Command {
    /// Send a batch: answered by `SendStarted`, `Progress` and `Outcome`s, then
    /// `SendFinished`; or by `Failed` alone if it could not start (nothing was sent).
    Send {
        /// Request id.
        id: RequestId,
        /// What to send.
        request: Box<SendRequest>,
    },
    /// Stop starting new notifications of send `id`; what is in flight finishes. Honoured
    /// whenever it arrives after the send: before it has resolved its credentials, nothing
    /// is sent and every notification is reported not sent. Answers nothing itself.
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
    /// Load rows of a conversation view (batches, error-responses, feedback,
    /// disconnections), newest first: answered by `ViewPage`.
    LoadView {
        /// Request id.
        id: RequestId,
        /// Which view.
        view: View,
        /// Which rows.
        filter: Box<Filter>,
        /// Only rows older than this.
        cursor: Option<Cursor>,
        /// How many matching rows to skip.
        offset: u64,
        /// How many at most.
        limit: usize,
        /// Also count every matching row.
        count: bool,
    },
    /// List identities: answered by `Identities`.
    ListIdentities {
        /// Request id.
        id: RequestId,
    },
    /// Import a credential into the keychain: answered by `Imported`, then `Identities`.
    ImportIdentity {
        /// Request id.
        id: RequestId,
        /// The file and its passwords.
        files: Box<CredentialFiles>,
        /// The name to give it (default: the certificate's bundle id, or "TEAM key KEYID").
        name: Option<String>,
    },
    /// Delete an identity: answered by `Identities`, or `Failed`.
    DeleteIdentity {
        /// Request id.
        id: RequestId,
        /// Its name.
        name: String,
    },
    /// Check a stored identity with the doctor, its key read back from the keychain:
    /// answered by `Doctored`.
    DoctorIdentity {
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
        /// Where to and with what; always over a fresh connection.
        connection: Box<Connection>,
        /// The topic to ask for (a token key needs one; a certificate defaults to its own).
        topic: Option<Topic>,
    },
    /// Read the legacy feedback service: answered by `Feedback`, or `Failed`.
    ReadFeedback {
        /// Request id.
        id: RequestId,
        /// The feedback service (for a custom target, its own HOST:PORT) and a certificate.
        connection: Box<Connection>,
        /// Whether to record the entries in the history.
        record_history: bool,
    },
    /// Write the rows matching a filter to a file: answered by `Done`.
    ExportHistory {
        /// Request id.
        id: RequestId,
        /// A conversation view; `None`: the sends.
        view: Option<View>,
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
    /// A broadcast channel operation or a broadcast: answered by `ChannelAnswered` (APNs's
    /// answer, a refusal included), or `Failed` when no answer came or it could not be sent.
    Channel {
        /// Request id.
        id: RequestId,
        /// Where to and with what: the management API's host for the target (for a custom
        /// target, its own HOST:PORT), or the provider API's for a broadcast.
        connection: Box<Connection>,
        /// What to do.
        request: ChannelRequest,
        /// Whether to record it in the history.
        record_history: bool,
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
    /// A send started: its connection is resolved and its notifications are about to leave.
    SendStarted {
        /// The send's request id.
        id: RequestId,
        /// Notifications in the batch.
        total: usize,
        /// How the history names it (identity, endpoint, auth kind).
        labels: Labels,
        /// The topic it goes out with.
        topic: Option<Topic>,
        /// The linter's warnings (errors stop a send before it starts).
        warnings: Vec<Lint>,
    },
    /// Counts while a send runs.
    Progress {
        /// The send's request id.
        id: RequestId,
        /// The counts.
        progress: Progress,
    },
    /// The final outcomes of some notifications: as many as were answered since the
    /// last such event, so a fast send wakes a front end once per burst, not per push.
    Outcomes {
        /// The send's request id.
        id: RequestId,
        /// Each notification's index in the batch, and what became of it.
        outcomes: Vec<(usize, Outcome)>,
    },
    /// A send ended.
    SendFinished {
        /// The send's request id.
        id: RequestId,
        /// Its counts and the errors not tied to a token; the outcomes are not in it (each
        /// came as an `Outcome` event).
        report: Box<BatchReport>,
        /// Set when the history could not record every answer.
        history_problem: Option<Failure>,
    },
    /// A page of a conversation view, newest first.
    ViewPage {
        /// The request id.
        id: RequestId,
        /// The rows.
        rows: Vec<ConversationRow>,
        /// How many rows match, when counting was asked for.
        total: Option<u64>,
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
        result: Result<(IdentityMetadata, Vec<Finding>), Failure>,
    },
    /// The doctor's findings on a stored identity, or why it could not be read.
    Doctored {
        /// The request id.
        id: RequestId,
        /// The findings, most serious first after the keychain's.
        result: Result<Vec<Finding>, Failure>,
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
        /// The stored identity tested; `None` for the simulator's own or credential files.
        identity: Option<String>,
        /// Healthy or not, in words.
        verdict: ProbeVerdict,
    },
    /// APNs answered a channel operation or a broadcast.
    ChannelAnswered {
        /// The request id.
        id: RequestId,
        /// The answer.
        answer: Box<ChannelAnswer>,
        /// Set when the history could not record it.
        history_problem: Option<Failure>,
    },
    /// A command that changes or writes something finished.
    Done {
        /// The request id.
        id: RequestId,
        /// What happened, in words.
        message: String,
    },
    /// What the feedback service reported, and why the read ended early if it did (the
    /// entries read before are kept: the service does not send them again).
    Feedback {
        /// The request id.
        id: RequestId,
        /// The entries, in the order read.
        tuples: Vec<FeedbackTuple>,
        /// Entries with an unusable token, left out.
        skipped: usize,
        /// Why the read stopped before the service closed the connection.
        problem: Option<Failure>,
        /// Set when the history could not record the entries.
        history_problem: Option<Failure>,
    },
    /// A command failed; the failure says what about, and what to do.
    Failed {
        /// The request id.
        id: RequestId,
        /// What went wrong.
        error: Failure,
    },
}

impl Event {
    /// The request it answers; `None` for news nobody asked for.
    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Event::SendStarted { id, .. }
            | Event::Progress { id, .. }
            | Event::Outcomes { id, .. }
            | Event::SendFinished { id, .. }
            | Event::HistoryPage { id, .. }
            | Event::ViewPage { id, .. }
            | Event::Identities { id, .. }
            | Event::Imported { id, .. }
            | Event::Doctored { id, .. }
            | Event::ConnectionTested { id, .. }
            | Event::Done { id, .. }
            | Event::ChannelAnswered { id, .. }
            | Event::Feedback { id, .. }
            | Event::Failed { id, .. } => Some(*id),
            Event::SimulatorRunning { .. } => None,
        }
    }
}
