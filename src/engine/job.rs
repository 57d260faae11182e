//! One send, from recording it in the history to its last answer: the path the
//! CLI and the desktop app share, so both behave the same.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::connection::Labels;
use super::error::EngineError;
use crate::apns::{Batch, BatchReport, SendEvent};
use crate::apns::{Lint, Topic, Transport};
use crate::net::{Http2Sender, LegacySender};
use crate::store::history::{BatchContext, History, HistoryError, OutcomeRecorder, now_ms};

/// The sender a batch goes out with.
pub(super) enum BatchSender {
    /// Over the HTTP/2 API.
    Http2(Http2Sender),
    /// Over the legacy binary gateway.
    Legacy(LegacySender),
}

/// A batch ready to go: its sender, and where it is recorded.
pub(super) struct Job {
    /// The notifications.
    pub batch: Batch,
    /// How they travel.
    pub transport: Transport,
    /// Who sends them.
    pub sender: BatchSender,
    /// How the history names this send.
    pub labels: Labels,
    /// The topic it goes out with.
    pub topic: Option<Topic>,
    /// The linter's warnings (no errors: those stop a job before it is made).
    pub warnings: Vec<Lint>,
    /// The history database; `None` records nothing.
    pub history: Option<std::path::PathBuf>,
}

/// What happened, and whether the history kept all of it.
pub(super) struct JobResult {
    /// The sender's report.
    pub report: BatchReport,
    /// Set when answers could not all be written to the history.
    pub history_problem: Option<HistoryError>,
}

fn start_recording(path: &std::path::Path, job: &Job) -> Result<OutcomeRecorder, HistoryError> {
    let mut history = History::open(path)?;
    let context = BatchContext {
        identity: &job.labels.identity,
        endpoint: &job.labels.endpoint,
        transport: job.transport,
        auth: job.labels.auth,
    };
    let recorded = history.record_batch(&context, &job.batch, now_ms())?;
    OutcomeRecorder::start(history, recorded)
}

/// Records the batch as in flight, sends it, passes every event on to `events`
/// (outcomes also to the history writer), and writes the last answers. When the history
/// cannot record the batch, nothing is sent.
pub(super) async fn execute(
    job: Job,
    events: mpsc::UnboundedSender<SendEvent>,
    cancel: CancellationToken,
) -> Result<JobResult, EngineError> {
    // Recording is blocking SQLite work: keep it off the async workers.
    let recorder = match &job.history {
        Some(path) => Some(tokio::task::block_in_place(|| start_recording(path, &job))?),
        None => None,
    };
    let (sender_events, mut received) = mpsc::unbounded_channel();
    let tee = tokio::spawn(async move {
        while let Some(event) = received.recv().await {
            if let (SendEvent::Outcome { index, outcome }, Some(recorder)) = (&event, &recorder) {
                recorder.record(*index, outcome.clone());
            }
            let _ = events.send(event);
        }
        recorder
    });
    let report = match &job.sender {
        BatchSender::Http2(sender) => sender.send(&job.batch, Some(sender_events), cancel).await,
        BatchSender::Legacy(sender) => sender.send(&job.batch, Some(sender_events), cancel).await,
    };
    let recorder = tee.await.ok().flatten();
    let history_problem = recorder
        .and_then(|recorder| tokio::task::block_in_place(|| recorder.finish(&report)).err());
    Ok(JobResult {
        report,
        history_problem,
    })
}
