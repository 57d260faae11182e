//! Sends through the engine, as the API reports them: every outcome collected in the
//! batch's order, synchronously or as a job that can be watched and cancelled.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::bridge::{Bridge, Reply};
use super::error::ApiError;
use crate::apns::Transport;
use crate::engine::{Command, Event, OutcomeRecord, RequestId, SendRequest, Totals};

/// Finished jobs kept for reading; the oldest go first.
const KEPT_JOBS: usize = 100;

/// What a send came to.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SendResult {
    /// The counts.
    pub totals: Totals,
    /// One per token, in the order given.
    pub results: Vec<OutcomeRecord>,
    /// Where it went, as the history names it (`simulator` or `host:port`).
    pub endpoint: String,
    /// As whom, as the history names it.
    pub identity: String,
    /// The topic it went out with.
    pub topic: Option<String>,
    /// The linter's warnings.
    pub warnings: Vec<String>,
    /// Errors not tied to one token (a connection that failed and was retried).
    pub errors: Vec<String>,
    /// Whether it was cancelled before every notification left.
    pub cancelled: bool,
    /// Set when the history could not record every answer.
    pub history_problem: Option<String>,
}

/// Starts `request`; its events come through the reply.
pub fn start(bridge: &Bridge, request: SendRequest) -> Result<Reply, ApiError> {
    bridge.ask(|id| Command::Send {
        id,
        request: Box::new(request),
    })
}

/// Waits for the send behind `reply` to end, calling `progress` with the counts as they
/// change.
pub async fn collect(
    mut reply: Reply,
    transport: Transport,
    mut progress: impl FnMut(Totals),
) -> Result<SendResult, ApiError> {
    let http2 = transport == Transport::Http2;
    let mut outcomes: Vec<Option<OutcomeRecord>> = Vec::new();
    let mut result = SendResult {
        totals: Totals::default(),
        results: Vec::new(),
        endpoint: String::new(),
        identity: String::new(),
        topic: None,
        warnings: Vec::new(),
        errors: Vec::new(),
        cancelled: false,
        history_problem: None,
    };
    loop {
        match reply.next().await? {
            Event::SendStarted {
                total,
                labels,
                topic,
                warnings,
                ..
            } => {
                outcomes = vec![None; total];
                result.endpoint = labels.endpoint;
                result.identity = labels.identity;
                result.topic = topic.map(|topic| topic.to_string());
                result.warnings = warnings.iter().map(ToString::to_string).collect();
            }
            Event::Progress {
                progress: counts, ..
            } => {
                result.totals = Totals::from(&counts);
                progress(result.totals);
            }
            Event::Outcomes {
                outcomes: answered, ..
            } => {
                for (index, outcome) in answered {
                    if let Some(slot) = outcomes.get_mut(index) {
                        *slot = Some(OutcomeRecord::new(&outcome, http2));
                    }
                }
            }
            Event::SendFinished {
                report,
                history_problem,
                ..
            } => {
                result.results = outcomes.into_iter().flatten().collect();
                result.errors = report.errors.clone();
                result.cancelled = report.cancelled;
                result.history_problem = history_problem.map(|problem| problem.message);
                result.totals.elapsed_ms = report.elapsed.as_secs_f64() * 1000.0;
                progress(result.totals);
                return Ok(result);
            }
            Event::Failed { error, .. } => return Err(ApiError::engine(error)),
            _ => {}
        }
    }
}

/// A job's state.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Sending.
    Running,
    /// Ended; `result` holds every outcome.
    Finished,
    /// Could not send (nothing was sent); `error` says why.
    Failed,
}

/// A send running in the background.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Job {
    /// Its id, for `GET /v1/jobs/{id}`.
    pub id: u64,
    /// Running, finished or failed.
    pub state: JobState,
    /// The counts so far.
    pub progress: Totals,
    /// Every outcome, once finished.
    pub result: Option<SendResult>,
    /// Why it failed.
    pub error: Option<String>,
    #[serde(skip)]
    request: RequestId,
}

/// The jobs of this server.
#[derive(Default)]
pub struct Jobs {
    next_id: AtomicU64,
    jobs: Mutex<HashMap<u64, Job>>,
    finished: Mutex<VecDeque<u64>>,
}

impl Jobs {
    /// Starts `request` as a job on the engine's runtime.
    pub fn start(self: &Arc<Self>, bridge: &Bridge, request: SendRequest) -> Result<Job, ApiError> {
        let transport = request.connection.transport;
        let total = request.tokens.len();
        let reply = start(bridge, request)?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let job = Job {
            id,
            state: JobState::Running,
            progress: Totals {
                total,
                ..Totals::default()
            },
            result: None,
            error: None,
            request: reply.id(),
        };
        self.update(id, |slot| *slot = Some(job.clone()));
        let jobs = Arc::clone(self);
        bridge.runtime().spawn(async move {
            let watching = Arc::clone(&jobs);
            let ended = collect(reply, transport, |totals| {
                watching.update(id, |job| {
                    if let Some(job) = job {
                        job.progress = totals;
                    }
                });
            })
            .await;
            jobs.update(id, |job| {
                if let Some(job) = job {
                    match ended {
                        Ok(result) => {
                            job.state = JobState::Finished;
                            job.progress = result.totals;
                            job.result = Some(result);
                        }
                        Err(error) => {
                            job.state = JobState::Failed;
                            job.error = Some(error.to_string());
                        }
                    }
                }
            });
            jobs.retire(id);
        });
        Ok(job)
    }

    /// The job `id`, as it stands.
    pub fn get(&self, id: u64) -> Option<Job> {
        self.jobs.lock().ok()?.get(&id).cloned()
    }

    /// Asks job `id` to stop starting notifications; what is in flight finishes.
    pub fn cancel(&self, bridge: &Bridge, id: u64) -> Option<Job> {
        let job = self.get(id)?;
        if matches!(job.state, JobState::Running) {
            bridge.tell(Command::Cancel { id: job.request });
        }
        Some(job)
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut Option<Job>)) {
        if let Ok(mut jobs) = self.jobs.lock() {
            let mut slot = jobs.remove(&id);
            change(&mut slot);
            if let Some(job) = slot {
                jobs.insert(id, job);
            }
        }
    }

    fn retire(&self, id: u64) {
        let Ok(mut finished) = self.finished.lock() else {
            return;
        };
        finished.push_back(id);
        while finished.len() > KEPT_JOBS {
            if let Some(oldest) = finished.pop_front() {
                self.update(oldest, |job| *job = None);
            }
        }
    }
}
