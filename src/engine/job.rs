//! One send, from recording it in the history to its last answer: the path the
//! CLI and the desktop app share, so both behave the same.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::connection::Labels;
use super::error::EngineError;
use crate::apns::{Batch, BatchReport, SendEvent};
use crate::apns::{Lint, Topic, Transport};
use crate::net::{Http2Sender, LegacySender};
use crate::store::history::{
    BatchContext, FIRST_ROWS, History, HistoryError, OutcomeRecorder, RowsToRecord, now_ms,
};

/// The sender a batch goes out with.
pub(super) enum BatchSender {
    /// Over the HTTP/2 API.
    Http2(Http2Sender),
    /// Over the legacy binary gateway.
    Legacy(LegacySender),
}

/// A batch ready to go: its sender, and where it is recorded.
pub(super) struct Job {
    /// The notifications (shared with the history writer, which records their rows).
    pub batch: Arc<Batch>,
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

/// Records the batch and its first rows, so that a history that cannot record anything
/// stops the send before it starts; the writer thread records the rest while the first
/// ones go out, telling `released` how far it got. A legacy batch is recorded whole up
/// front: its gateway takes a million a second, faster than rows are written.
fn start_recording(
    path: &std::path::Path,
    job: &Job,
    released: watch::Sender<usize>,
) -> Result<OutcomeRecorder, HistoryError> {
    let mut history = History::open(path)?;
    let context = BatchContext {
        identity: &job.labels.identity,
        endpoint: &job.labels.endpoint,
        transport: job.transport,
        auth: job.labels.auth,
    };
    let mut recorded = history.begin_batch(&context, &job.batch, now_ms())?;
    let items = job.batch.items();
    let up_front = match job.transport {
        Transport::Http2 => FIRST_ROWS.min(items.len()),
        Transport::Legacy(_) => items.len(),
    };
    history.record_rows(&mut recorded, &items[..up_front])?;
    released.send_replace(up_front);
    let rows = RowsToRecord {
        batch: Arc::clone(&job.batch),
        recorded: Box::new(move |rows| {
            released.send_replace(rows);
        }),
    };
    OutcomeRecorder::start_recording(history, recorded, Some(rows))
}

/// Records the batch as in flight, sends it, passes every event on to `events`
/// (outcomes also to the history writer), and writes the last answers. When the history
/// cannot record the batch, nothing is sent; no notification leaves before its row is
/// recorded, and rows are recorded while the first notifications go out.
pub(super) async fn execute(
    job: Job,
    events: mpsc::UnboundedSender<SendEvent>,
    cancel: CancellationToken,
) -> Result<JobResult, EngineError> {
    let (released, gate) = watch::channel(0);
    // Recording is blocking SQLite work: keep it off the async workers.
    let recorder = match &job.history {
        Some(path) => Some(tokio::task::block_in_place(|| {
            start_recording(path, &job, released)
        })?),
        None => None,
    };
    let gate = recorder.is_some().then_some(gate);
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
        BatchSender::Http2(sender) => {
            sender
                .send_released(&job.batch, Some(sender_events), cancel, gate)
                .await
        }
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
