//! Broadcast push in the engine: channel operations on the management API and broadcasts
//! on the provider API, each one request, answered, timed and recorded like a send.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::connection::{self, Connection, Labels, Resolver};
use super::error::{EngineError, Failure};
use crate::apns::{
    ApnsId, Broadcast, ChannelAnswerError, ChannelId, ChannelOperation, ChannelReply, Http2Request,
    Lint, Severity, StoragePolicy, Topic, fill_live_activity_timestamp, lint_broadcast,
};
use crate::net::{
    Http2Auth, Http2Config, Pool, PoolKey, RawAnswer, Service, TransportError, system_clock,
};
use crate::store::history::{ChannelRecord, History, now_ms};
use crate::store::identity::Credential;

/// What a channel operation or a broadcast asks of the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum ChannelRequest {
    /// Create, read, list or delete channels of `app` on the management API.
    Manage {
        /// The app (a topic's suffix is dropped).
        app: Topic,
        /// What to do.
        operation: ChannelOperation,
    },
    /// Send a Live Activity update or end to every device subscribed to a channel.
    Broadcast {
        /// The broadcast; a missing `timestamp` is set to the send time.
        broadcast: Box<Broadcast>,
        /// The channel's storage policy, when the front end knows it (for the lints).
        policy: Option<StoragePolicy>,
    },
}

impl ChannelRequest {
    /// `create`, `read`, `list`, `delete` or `broadcast`.
    pub fn operation(&self) -> &'static str {
        match self {
            ChannelRequest::Manage { operation, .. } => operation.name(),
            ChannelRequest::Broadcast { .. } => "broadcast",
        }
    }

    fn app(&self) -> &Topic {
        match self {
            ChannelRequest::Manage { app, .. } => app,
            ChannelRequest::Broadcast { broadcast, .. } => &broadcast.bundle,
        }
    }

    fn service(&self) -> Service {
        match self {
            ChannelRequest::Manage { .. } => Service::Channels,
            ChannelRequest::Broadcast { .. } => Service::Http2,
        }
    }
}

/// APNs's answer to a channel request, as every front end shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelAnswer {
    /// `create`, `read`, `list`, `delete` or `broadcast`.
    pub operation: &'static str,
    /// The app (bundle id).
    pub app: String,
    /// The identity and endpoint it went with.
    pub labels: Labels,
    /// What APNs answered: the reply, or its refusal with the reason.
    pub result: Result<ChannelReply, ChannelAnswerError>,
    /// The HTTP status.
    pub status: u16,
    /// `apns-request-id` as answered: the key to the request in Apple's logs.
    pub request_id: Option<String>,
    /// `apns-unique-id` (development), for a broadcast.
    pub unique_id: Option<String>,
    /// From sending to the answer.
    pub latency: Duration,
    /// The linter's warnings on a broadcast (its errors stop it before it is sent).
    pub warnings: Vec<Lint>,
    /// The payload sent, for a broadcast (with the timestamp the engine set).
    pub payload: Option<String>,
}

impl ChannelAnswer {
    /// Whether APNs did what was asked.
    pub fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    /// The answer as one JSON object: what the CLI's `--json` prints and the REST API returns.
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::json!({
            "operation": self.operation,
            "app": self.app,
            "identity": self.labels.identity,
            "endpoint": self.labels.endpoint,
            "status": self.status,
            "succeeded": self.succeeded(),
            "request_id": self.request_id,
            "unique_id": self.unique_id,
            "latency_ms": self.latency.as_secs_f64() * 1000.0,
            "warnings": self.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        let fields = match &self.result {
            Ok(ChannelReply::Created { id, policy }) => serde_json::json!({
                "channel": id, "storage_policy": policy.value(),
            }),
            Ok(ChannelReply::Channel {
                id,
                policy,
                push_type,
            }) => serde_json::json!({
                "channel": id,
                "storage_policy": policy.map(StoragePolicy::value),
                "push_type": push_type,
            }),
            Ok(ChannelReply::Channels(ids)) => serde_json::json!({ "channels": ids }),
            Ok(ChannelReply::Deleted(id) | ChannelReply::Broadcast(id)) => {
                serde_json::json!({ "channel": id })
            }
            Err(ChannelAnswerError::Refused(refusal)) => serde_json::json!({
                "reason": refusal.rejection.reason.as_str(),
                "explanation": refusal.rejection.reason.explanation(),
            }),
            Err(other) => serde_json::json!({ "error": other.to_string() }),
        };
        if let (Some(object), serde_json::Value::Object(fields)) = (object.as_object_mut(), fields)
        {
            object.extend(fields);
            if let Some(payload) = &self.payload {
                object.insert("payload".into(), payload.clone().into());
            }
        }
        object
    }
}

/// What was asked, to read the answer by.
enum Asked {
    Manage(ChannelOperation),
    Broadcast(Box<Broadcast>),
}

impl Asked {
    fn parse(&self, raw: &RawAnswer) -> Result<ChannelReply, ChannelAnswerError> {
        match self {
            Asked::Manage(operation) => {
                operation.parse_answer(raw.status, raw.header("apns-channel-id"), &raw.body)
            }
            Asked::Broadcast(broadcast) => broadcast.parse_answer(raw.status, &raw.body),
        }
    }

    fn channel(&self) -> Option<&ChannelId> {
        match self {
            Asked::Manage(operation) => operation.channel(),
            Asked::Broadcast(broadcast) => Some(&broadcast.channel),
        }
    }

    fn broadcast(&self) -> Option<&Broadcast> {
        match self {
            Asked::Broadcast(broadcast) => Some(broadcast),
            Asked::Manage(_) => None,
        }
    }
}

/// A prepared request and what the history needs to know of it.
struct Prepared {
    http: Http2Request,
    asked: Asked,
    policy: Option<StoragePolicy>,
    warnings: Vec<Lint>,
}

fn prepare(request: ChannelRequest, now: u64) -> Result<Prepared, EngineError> {
    match request {
        ChannelRequest::Manage { app, operation } => {
            let request_id = ApnsId::from_uuid(uuid::Uuid::new_v4());
            let policy = match &operation {
                ChannelOperation::Create(policy) => Some(*policy),
                _ => None,
            };
            Ok(Prepared {
                http: operation.request(&app, Some(&request_id)),
                policy,
                asked: Asked::Manage(operation),
                warnings: Vec::new(),
            })
        }
        ChannelRequest::Broadcast {
            mut broadcast,
            policy,
        } => {
            fill_live_activity_timestamp(&mut broadcast.payload, now);
            if broadcast.request_id.is_none() {
                broadcast.request_id = Some(ApnsId::from_uuid(uuid::Uuid::new_v4()));
            }
            let warnings = lint_broadcast(&broadcast, policy, now);
            if let Some(error) = warnings
                .iter()
                .find(|lint| lint.severity() == Severity::Error)
            {
                return Err(EngineError::Unsendable(error.to_string()));
            }
            let http = broadcast
                .to_http2_request()
                .map_err(|error| EngineError::Unsendable(error.to_string()))?;
            Ok(Prepared {
                http,
                policy,
                asked: Asked::Broadcast(broadcast),
                warnings,
            })
        }
    }
}

/// The HTTP/2 auth of a resolved credential.
pub(super) fn http2_auth(credential: Credential) -> Http2Auth {
    match credential {
        Credential::Certificate(identity) => Http2Auth::Certificate(identity),
        Credential::Token(issuer) => Http2Auth::Token {
            issuer: Arc::new(Mutex::new(issuer)),
            clock: system_clock(),
        },
    }
}

/// Sends `http` on the pooled connection, or once more on a new one when the pooled
/// connection turns out to be gone before it answered (nothing was answered, so nothing
/// is sent twice that APNs took).
async fn exchange(
    pool: &Pool,
    config: &Http2Config,
    http: &Http2Request,
) -> Result<RawAnswer, TransportError> {
    let key = PoolKey::of(config);
    let mut connection = pool.get(&key, config).await?;
    match connection.request(http).await {
        Err(error) if error.is_connection_loss() => {
            pool.discard(&key, &connection).await;
            pool.get(&key, config).await?.request(http).await
        }
        answered => answered,
    }
}

/// What the engine did with one channel request: the answer, or why none came, and
/// whether the history kept it.
pub(super) struct Exchanged {
    pub(super) result: Result<ChannelAnswer, EngineError>,
    pub(super) history_problem: Option<Failure>,
}

/// Resolves, sends and records one channel request.
pub(super) async fn carry_out(
    resolver: &impl Resolver,
    pool: &Pool,
    connection: &Connection,
    request: ChannelRequest,
    history: Option<std::path::PathBuf>,
) -> Exchanged {
    let not_sent = |error| Exchanged {
        result: Err(error),
        history_problem: None,
    };
    let operation = request.operation();
    let app = request.app().bundle_id().to_owned();
    let resolved = match connection::resolve(resolver, connection, request.service(), true).await {
        Ok(resolved) => resolved,
        Err(error) => return not_sent(error),
    };
    let now = crate::store::history::now_secs();
    let prepared = match prepare(request, now) {
        Ok(prepared) => prepared,
        Err(error) => return not_sent(error),
    };
    let labels = resolved.labels.clone();
    let config = Http2Config::new(resolved.endpoint, http2_auth(resolved.credential));
    let sent_ms = now_ms();
    let started = Instant::now();
    let answer = exchange(pool, &config, &prepared.http).await;
    let latency = started.elapsed();

    let broadcast = prepared.asked.broadcast();
    let mut record = ChannelRecord {
        time_ms: sent_ms,
        identity: labels.identity.clone(),
        endpoint: labels.endpoint.clone(),
        app: app.clone(),
        operation,
        channel: prepared.asked.channel().map(ToString::to_string),
        storage_policy: prepared.policy.map(StoragePolicy::value),
        payload: broadcast.map(|b| b.payload.to_bytes()),
        priority: broadcast.map(|b| b.priority.value()),
        expiration: broadcast.map(|b| b.expiration.unix_seconds()),
        status: None,
        reason: None,
        detail: None,
        request_id: None,
        unique_id: None,
        latency_us: None,
    };
    let result = match answer {
        Err(error) => {
            record.detail = Some(format!("no answer: {error}"));
            Err(EngineError::Connection(error.to_string()))
        }
        Ok(raw) => {
            let result = prepared.asked.parse(&raw);
            record.status = Some(raw.status);
            record.request_id = raw.header("apns-request-id").map(str::to_owned);
            record.unique_id = raw.header("apns-unique-id").map(str::to_owned);
            record.latency_us = Some(latency.as_micros().min(i64::MAX as u128) as i64);
            match &result {
                Ok(reply) => {
                    if let ChannelReply::Created { id, .. } = reply {
                        record.channel = Some(id.to_string());
                    }
                    if let ChannelReply::Channel {
                        policy: Some(policy),
                        ..
                    } = reply
                    {
                        record.storage_policy = Some(policy.value());
                    }
                    record.detail = Some(reply.to_string());
                }
                Err(ChannelAnswerError::Refused(refusal)) => {
                    record.reason = Some(refusal.rejection.reason.to_string());
                    record.detail = Some(refusal.rejection.reason.explanation().to_owned());
                }
                Err(other) => record.detail = Some(other.to_string()),
            }
            Ok(ChannelAnswer {
                operation,
                app,
                labels,
                result,
                status: raw.status,
                request_id: record.request_id.clone(),
                unique_id: record.unique_id.clone(),
                latency,
                warnings: prepared.warnings,
                payload: broadcast.map(|b| b.payload.to_json()),
            })
        }
    };
    let history_problem = history.and_then(|path| {
        tokio::task::block_in_place(|| {
            History::open(&path).and_then(|mut history| history.record_channel_request(&record))
        })
        .err()
        .map(|error| EngineError::from(error).failure())
    });
    Exchanged {
        result,
        history_problem,
    }
}
