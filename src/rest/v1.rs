//! The typed API under `/v1`: sends with per-token results (synchronous or as jobs),
//! dry runs, identities and the history, described by the OpenAPI document it serves.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::Value;

use super::Api;
use super::body::{JsonBody, PathParams, QueryParams};
use super::error::{ApiError, ErrorBody};
use super::message::{self, Environment, Message, Protocol, field};
use super::sending::{self, Job, SendResult};
use crate::apns::Transport;
use crate::engine::{Command, CredentialChoice, Event, MAX_CONNECTIONS, SendRequest};
use crate::store::history::{Cursor, Filter, View, parse_time};
use crate::store::identity::{CredentialFiles, IdentityKind, IdentityMetadata, Level};

/// The server is up.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// Push Console's version.
    pub version: String,
    /// The built-in simulator's ports on 127.0.0.1, once it has started.
    pub simulator: Option<SimulatorPortsBody>,
}

/// The built-in simulator's ports.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SimulatorPortsBody {
    /// HTTP/2 provider API.
    pub http2: u16,
    /// Legacy binary gateway.
    pub legacy: u16,
    /// Feedback service.
    pub feedback: u16,
    /// Broadcast channel management API.
    pub channels: u16,
}

#[utoipa::path(get, path = "/v1/health", tag = "v1",
    responses((status = 200, description = "The server is up", body = Health)))]
async fn health(State(api): State<Arc<Api>>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        simulator: api
            .bridge
            .simulator_ports()
            .map(|ports| SimulatorPortsBody {
                http2: ports.http2,
                legacy: ports.legacy,
                feedback: ports.feedback,
                channels: ports.channels,
            }),
    })
}

/// A send: to whom, as whom, where and what.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct SendBody {
    /// `simulator` (the default), `sandbox` or `production`.
    #[serde(default = "simulator")]
    pub environment: Environment,
    /// A stored identity's name; none: the simulator's own certificate.
    pub identity: Option<String>,
    /// Another gateway instead of the environment, `HOST:PORT` (a test server; a legacy
    /// send names the gateway's legacy port).
    pub endpoint: Option<String>,
    /// A PEM file of CA certificates to trust `endpoint` by.
    pub ca: Option<String>,
    /// Device tokens in hex.
    #[schema(min_items = 1)]
    pub tokens: Vec<String>,
    /// The notification.
    #[serde(flatten)]
    pub message: Message,
    /// `http2` (the default), `legacy-simple`, `legacy-enhanced` or `legacy-frame`.
    #[serde(default)]
    pub protocol: Protocol,
    /// Notifications in flight at once (HTTP/2), 1 to 1000; 100 by default.
    #[schema(minimum = 1, maximum = 1000)]
    #[serde(default, deserialize_with = "message::whole_number")]
    pub concurrency: Option<usize>,
    /// HTTP/2 connections the tokens are spread over, each with its share of
    /// `concurrency`; 1 to 64, 1 by default.
    #[schema(minimum = 1, maximum = 64)]
    #[serde(default, deserialize_with = "message::whole_number")]
    pub connections: Option<usize>,
    /// Record the send in the history (the default).
    pub record_history: Option<bool>,
}

fn simulator() -> Environment {
    Environment::Simulator
}

impl SendBody {
    fn request(&self, api: &Api) -> Result<SendRequest, ApiError> {
        let tokens = message::tokens(&self.tokens)?;
        let template = self.message.notification(tokens[0].clone())?;
        let credential = self
            .identity
            .clone()
            .map_or(CredentialChoice::SimulatorOwn, CredentialChoice::Stored);
        let mut connection =
            api.environments
                .connection(self.environment, credential, self.protocol.transport());
        if let Some(endpoint) = &self.endpoint {
            connection.target = field("endpoint", endpoint.parse())?;
            connection.ca = self.ca.as_deref().map(Into::into);
        } else if self.ca.is_some() {
            return Err(ApiError::invalid("ca: goes with endpoint"));
        }
        let mut request = SendRequest::new(connection, template, tokens);
        if let Some(concurrency) = self.concurrency {
            if !(1..=1000).contains(&concurrency) {
                return Err(ApiError::input("concurrency: from 1 to 1000"));
            }
            request.concurrency = concurrency;
        }
        if let Some(connections) = self.connections {
            if !(1..=MAX_CONNECTIONS).contains(&connections) {
                return Err(ApiError::input(format!(
                    "connections: from 1 to {MAX_CONNECTIONS}"
                )));
            }
            request.connections = connections;
        }
        request.record_history = self.record_history.unwrap_or(true);
        Ok(request)
    }
}

/// `?dry_run=true`: build, do not send.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct SendOptions {
    /// Return the exact HTTP/2 requests or legacy bytes instead of sending.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a dry run would send: one entry per token.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DryRun {
    /// HTTP/2: `{method, path, headers, body}`; legacy: `{hex}` (identifier = position).
    #[schema(value_type = Vec<Object>)]
    pub requests: Vec<Value>,
}

#[utoipa::path(post, path = "/v1/notifications", tag = "v1", params(SendOptions),
    request_body = SendBody,
    responses(
        (status = 200, description = "Sent (every outcome, in the order of the tokens), or built (dry_run)", body = SendResult),
        (status = 400, description = "A field is not valid", body = ErrorBody),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
        (status = 404, description = "No such identity", body = ErrorBody),
    ))]
async fn send(
    State(api): State<Arc<Api>>,
    QueryParams(options): QueryParams<SendOptions>,
    JsonBody(body): JsonBody<SendBody>,
) -> Result<axum::response::Response, ApiError> {
    let request = body.request(&api)?;
    require_identity(&api, body.identity.as_deref()).await?;
    if options.dry_run {
        return Ok(Json(dry_run(&request)?).into_response());
    }
    let transport = request.connection.transport;
    let reply = sending::start(&api.bridge, request)?;
    let result = sending::collect(reply, transport, |_| {}).await?;
    Ok(Json(result).into_response())
}

fn dry_run(request: &SendRequest) -> Result<DryRun, ApiError> {
    let requests = request
        .tokens
        .iter()
        .enumerate()
        .map(|(index, token)| {
            let mut notification = request.template.clone();
            notification.token = token.clone();
            match request.connection.transport {
                Transport::Http2 => {
                    let built = notification
                        .to_http2_request(None)
                        .map_err(|error| ApiError::invalid(error.to_string()))?;
                    let headers: serde_json::Map<String, Value> = built
                        .headers
                        .iter()
                        .map(|(name, value)| ((*name).to_owned(), value.clone().into()))
                        .collect();
                    let body = serde_json::from_slice::<Value>(&built.body).unwrap_or_default();
                    Ok(serde_json::json!({
                        "method": built.method,
                        "path": built.path,
                        "headers": headers,
                        "body": body,
                    }))
                }
                Transport::Legacy(format) => {
                    let mut bytes = Vec::new();
                    let identifier = u32::try_from(index).unwrap_or(u32::MAX);
                    notification
                        .encode_legacy(format, identifier, &mut bytes)
                        .map_err(|error| ApiError::invalid(error.to_string()))?;
                    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
                    Ok(serde_json::json!({ "hex": hex }))
                }
            }
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(DryRun { requests })
}

#[utoipa::path(post, path = "/v1/jobs", tag = "v1", request_body = SendBody,
    responses(
        (status = 202, description = "Started; watch it at /v1/jobs/{id}", body = Job),
        (status = 400, description = "A field is not valid", body = ErrorBody),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
    ))]
async fn start_job(
    State(api): State<Arc<Api>>,
    JsonBody(body): JsonBody<SendBody>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    let request = body.request(&api)?;
    require_identity(&api, body.identity.as_deref()).await?;
    let job = api.jobs.start(&api.bridge, request)?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "v1",
    params(("id" = u64, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job as it stands; `result` once finished", body = Job),
        (status = 404, description = "No such job (finished jobs are kept for the last 100)", body = ErrorBody),
    ))]
async fn get_job(
    State(api): State<Arc<Api>>,
    PathParams(id): PathParams<u64>,
) -> Result<Json<Job>, ApiError> {
    api.jobs.get(id).map(Json).ok_or_else(|| no_job(id))
}

#[utoipa::path(delete, path = "/v1/jobs/{id}", tag = "v1",
    params(("id" = u64, Path, description = "The job's id")),
    responses(
        (status = 202, description = "Asked to stop: what is in flight finishes, the rest is reported not sent", body = Job),
        (status = 404, description = "No such job", body = ErrorBody),
    ))]
async fn cancel_job(
    State(api): State<Arc<Api>>,
    PathParams(id): PathParams<u64>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    let job = api.jobs.cancel(&api.bridge, id).ok_or_else(|| no_job(id))?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

fn no_job(id: u64) -> ApiError {
    ApiError::not_found(format!(
        "no job {id}: it never existed here, or it finished long ago (the last 100 are kept)"
    ))
}

/// A stored identity: its public facts, never its secret.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct IdentityInfo {
    /// Its name.
    pub name: String,
    /// `certificate` or `token_key`.
    pub kind: String,
    /// Topics the certificate allows (empty for token keys).
    pub topics: Vec<String>,
    /// Usable with the sandbox.
    pub development: bool,
    /// Usable with production.
    pub production: bool,
    /// Certificate validity end, RFC 3339 UTC.
    pub not_after: Option<String>,
    /// The .p8 key id.
    pub key_id: Option<String>,
    /// The team id.
    pub team_id: Option<String>,
    /// When it last sent, RFC 3339 UTC.
    pub last_used_at: Option<String>,
}

impl From<&IdentityMetadata> for IdentityInfo {
    fn from(identity: &IdentityMetadata) -> Self {
        let time = |seconds: i64| crate::store::history::format_time(seconds.saturating_mul(1000));
        Self {
            name: identity.name.clone(),
            kind: match identity.kind {
                IdentityKind::Certificate => "certificate",
                IdentityKind::TokenKey => "token_key",
            }
            .into(),
            topics: identity.topics.clone(),
            development: identity.development,
            production: identity.production,
            not_after: identity.not_after.map(time),
            key_id: identity.key_id.clone(),
            team_id: identity.team_id.clone(),
            last_used_at: identity.last_used_at.map(time),
        }
    }
}

/// A 404 unless `name` (if any) is a stored identity.
async fn require_identity(api: &Api, name: Option<&str>) -> Result<(), ApiError> {
    let Some(name) = name else {
        return Ok(());
    };
    if identities(api)
        .await?
        .iter()
        .any(|identity| identity.name == name)
    {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "no identity named {name:?}; GET /v1/identities lists them"
        )))
    }
}

/// The stored identities.
pub async fn identities(api: &Api) -> Result<Vec<IdentityMetadata>, ApiError> {
    let reply = api.bridge.ask(|id| Command::ListIdentities { id })?;
    reply
        .answer(|event| match event {
            Event::Identities { identities, .. } => Some(identities),
            _ => None,
        })
        .await
}

#[utoipa::path(get, path = "/v1/identities", tag = "v1",
    responses((status = 200, description = "The stored identities", body = Vec<IdentityInfo>)))]
async fn list_identities(State(api): State<Arc<Api>>) -> Result<Json<Vec<IdentityInfo>>, ApiError> {
    let identities = identities(&api).await?;
    Ok(Json(identities.iter().map(IdentityInfo::from).collect()))
}

/// A credential to import into the keychain: a certificate (PEM text, or the path of a
/// .p12/.pem file) or a .p8 token key (PEM text or a path) with its key id and team id.
#[derive(Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ImportBody {
    /// The name to give it; by default the certificate's bundle id or "TEAM key KEYID".
    pub name: Option<String>,
    /// A certificate: PEM text (with its key, or with `key`), or the path of a .p12/.pem.
    pub certificate: Option<String>,
    /// The certificate's private key, PEM text or a path, when the certificate lacks it.
    pub key: Option<String>,
    /// The .p12's password.
    pub password: Option<String>,
    /// A .p8 token key: PEM text or a path.
    pub p8: Option<String>,
    /// The .p8's 10-character key id.
    pub key_id: Option<String>,
    /// The 10-character team id.
    pub team_id: Option<String>,
}

impl std::fmt::Debug for ImportBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ImportBody(hidden)")
    }
}

fn is_pem(text: &str) -> bool {
    text.trim_start().starts_with("-----BEGIN")
}

impl ImportBody {
    /// The credential as the engine imports it; PEM text stays in memory.
    pub fn files(&self) -> Result<CredentialFiles, ApiError> {
        let (source, what, field) = match (&self.certificate, &self.p8) {
            (Some(certificate), None) => (certificate, "posted certificate", "certificate"),
            (None, Some(p8)) => (p8, "posted .p8 key", "p8"),
            _ => {
                return Err(ApiError::invalid(
                    "give exactly one of certificate (PEM text or a path) and p8 (PEM text or a path, with key_id and team_id)",
                ));
            }
        };
        let mut files = CredentialFiles {
            password: self.password.clone(),
            key_id: self.key_id.clone(),
            team_id: self.team_id.clone(),
            ..CredentialFiles::default()
        };
        if is_pem(source) {
            let mut text = source.clone();
            match &self.key {
                Some(key) if is_pem(key) => {
                    text.push('\n');
                    text.push_str(key);
                }
                Some(path) => files.key_path = Some(path.into()),
                None => {}
            }
            files.path = if self.p8.is_some() {
                "posted.p8".into()
            } else {
                what.into()
            };
            files.contents = Some(zeroize::Zeroizing::new(text.into_bytes()));
        } else {
            files.path = source.into();
            if let Some(key) = &self.key {
                if is_pem(key) {
                    return Err(ApiError::invalid(
                        "key: PEM text goes with a certificate given as PEM text; with a certificate path, give the key's path",
                    ));
                }
                files.key_path = Some(key.into());
            }
        }
        if !is_pem(source) {
            regular_file(field, &files.path)?;
        }
        if let Some(key) = &files.key_path {
            regular_file("key", key)?;
        }
        Ok(files)
    }
}

/// A path a client names must be a regular file: reading a pipe or a device
/// (`/dev/stdin`, a FIFO) could hold the request, and a thread of the server, forever.
/// A path that cannot be read at all is left to the reader, which says why.
fn regular_file(field: &str, path: &std::path::Path) -> Result<(), ApiError> {
    match std::fs::metadata(path) {
        Ok(metadata) if !metadata.is_file() => Err(ApiError::invalid(format!(
            "{field}: {} is not a regular file; give PEM text or the path of a file",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// An imported identity and what the doctor found.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Imported {
    /// The identity.
    pub identity: IdentityInfo,
    /// The doctor's findings, e.g. `ok: valid until 2027-01-01`.
    pub findings: Vec<String>,
}

/// Imports `body` under `name` (or its own default name).
pub async fn import(
    api: &Api,
    body: &ImportBody,
    name: Option<String>,
) -> Result<Imported, ApiError> {
    let files = body.files()?;
    let reply = api.bridge.ask(|id| Command::ImportIdentity {
        id,
        files: Box::new(files),
        name,
    })?;
    let result = reply
        .answer(|event| match event {
            Event::Imported { result, .. } => Some(result),
            _ => None,
        })
        .await?;
    let (identity, findings) = result.map_err(ApiError::engine)?;
    Ok(Imported {
        identity: IdentityInfo::from(&identity),
        findings: findings.iter().map(ToString::to_string).collect(),
    })
}

#[utoipa::path(post, path = "/v1/identities", tag = "v1", request_body = ImportBody,
    responses(
        (status = 201, description = "Imported into the keychain", body = Imported),
        (status = 400, description = "Not a credential, or not a usable one", body = ErrorBody),
    ))]
async fn import_identity(
    State(api): State<Arc<Api>>,
    JsonBody(body): JsonBody<ImportBody>,
) -> Result<(StatusCode, Json<Imported>), ApiError> {
    let imported = import(&api, &body, body.name.clone()).await?;
    Ok((StatusCode::CREATED, Json(imported)))
}

/// Deletes identity `name`; a missing one is an error.
pub async fn delete(api: &Api, name: &str) -> Result<(), ApiError> {
    let reply = api.bridge.ask(|id| Command::DeleteIdentity {
        id,
        name: name.to_owned(),
    })?;
    reply
        .answer(|event| match event {
            Event::Identities { .. } => Some(()),
            _ => None,
        })
        .await
}

/// One of the doctor's findings.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FindingBody {
    /// `info`, `warning` or `error`.
    pub level: String,
    /// What to know or do.
    pub message: String,
}

/// What the doctor found on a stored identity.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Doctored {
    /// The identity's name.
    pub name: String,
    /// No finding is an error: it can send.
    pub healthy: bool,
    /// The findings, most serious first after the keychain's.
    pub findings: Vec<FindingBody>,
}

#[utoipa::path(get, path = "/v1/identities/{name}/doctor", tag = "v1",
    params(("name" = String, Path, description = "The identity's name")),
    responses(
        (status = 200, description = "The doctor's findings: the key read back from the keychain and checked with its certificate or ids", body = Doctored),
        (status = 404, description = "No such identity", body = ErrorBody),
    ))]
async fn doctor_identity(
    State(api): State<Arc<Api>>,
    PathParams(name): PathParams<String>,
) -> Result<Json<Doctored>, ApiError> {
    require_identity(&api, Some(&name)).await?;
    let reply = api.bridge.ask(|id| Command::DoctorIdentity {
        id,
        name: name.clone(),
    })?;
    let result = reply
        .answer(|event| match event {
            Event::Doctored { result, .. } => Some(result),
            _ => None,
        })
        .await?;
    let findings = result.map_err(ApiError::engine)?;
    Ok(Json(Doctored {
        name,
        healthy: !findings.iter().any(|finding| finding.level == Level::Error),
        findings: findings
            .iter()
            .map(|finding| FindingBody {
                level: match finding.level {
                    Level::Info => "info",
                    Level::Warning => "warning",
                    Level::Error => "error",
                }
                .into(),
                message: finding.message.clone(),
            })
            .collect(),
    }))
}

/// A deletion done.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Deleted {
    /// The identity's name.
    pub deleted: String,
}

#[utoipa::path(delete, path = "/v1/identities/{name}", tag = "v1",
    params(("name" = String, Path, description = "The identity's name")),
    responses(
        (status = 200, description = "Deleted from the keychain and the list", body = Deleted),
        (status = 404, description = "No such identity", body = ErrorBody),
    ))]
async fn delete_identity(
    State(api): State<Arc<Api>>,
    PathParams(name): PathParams<String>,
) -> Result<Json<Deleted>, ApiError> {
    require_identity(&api, Some(&name)).await?;
    delete(&api, &name).await?;
    Ok(Json(Deleted { deleted: name }))
}

/// The CLI's history filters.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    /// The identity's exact name.
    pub identity: Option<String>,
    /// `simulator` or `host:port`.
    pub endpoint: Option<String>,
    /// The start of a device token, in hex.
    pub token: Option<String>,
    /// A batch id.
    pub batch: Option<i64>,
    /// UNIX seconds, RFC 3339, a date, or back from now (`24h`, `7d`).
    pub since: Option<String>,
    /// As `since`.
    pub until: Option<String>,
    /// Sends: accepted, rejected, failed, unconfirmed, cancelled, in_flight or unknown.
    #[param(pattern = "^(accepted|rejected|failed|unconfirmed|cancelled|in_flight|unknown)$")]
    pub state: Option<String>,
    /// Sends: APNs' reason, e.g. `Unregistered`.
    pub reason: Option<String>,
    /// Sends: text anywhere in the payload.
    pub text: Option<String>,
    /// Rows at most, 1 to 1000 (50 by default).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// Newest rows to skip first.
    pub offset: Option<u64>,
}

impl HistoryQuery {
    fn filter(&self) -> Result<Filter, ApiError> {
        let now = crate::store::history::now_ms();
        let time = |name: &str, text: &Option<String>| {
            text.as_deref()
                .map(|text| field(name, parse_time(text, now)))
                .transpose()
        };
        Ok(Filter {
            identity: self.identity.clone(),
            endpoint: self.endpoint.clone(),
            token: self
                .token
                .as_deref()
                .map(|token| field("token", token.parse()))
                .transpose()?,
            batch: self.batch,
            since_ms: time("since", &self.since)?,
            until_ms: time("until", &self.until)?,
            state: self
                .state
                .as_deref()
                .map(|state| field("state", state.parse()))
                .transpose()?,
            reason: self.reason.clone(),
            text: self.text.clone(),
            ..Filter::default()
        })
    }

    fn limit(&self) -> Result<usize, ApiError> {
        match self.limit.unwrap_or(50) {
            limit @ 1..=1000 => Ok(limit),
            _ => Err(ApiError::input("limit: from 1 to 1000")),
        }
    }
}

/// Rows of the history, newest first.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Rows {
    /// How many rows match.
    pub total: u64,
    /// The rows asked for, as JSON Lines exports hold them.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<Value>,
}

/// The sends matching `filter`, newest first.
pub async fn sends(api: &Api, filter: Filter, offset: u64, limit: usize) -> Result<Rows, ApiError> {
    let reply = api.bridge.ask(|id| Command::LoadHistory {
        id,
        filter: Box::new(filter),
        cursor: None::<Cursor>,
        offset,
        limit,
        count: true,
    })?;
    reply
        .answer(|event| match event {
            Event::HistoryPage { rows, total, .. } => Some(Rows {
                total: total.unwrap_or(rows.len() as u64),
                rows: rows.iter().map(|row| row.to_json()).collect(),
            }),
            _ => None,
        })
        .await
}

/// The rows of `view` matching `filter`, newest first.
pub async fn view_rows(
    api: &Api,
    view: View,
    filter: Filter,
    offset: u64,
    limit: usize,
) -> Result<Rows, ApiError> {
    let reply = api.bridge.ask(|id| Command::LoadView {
        id,
        view,
        filter: Box::new(filter),
        cursor: None,
        offset,
        limit,
        count: true,
    })?;
    reply
        .answer(|event| match event {
            Event::ViewPage { rows, total, .. } => Some(Rows {
                total: total.unwrap_or(rows.len() as u64),
                rows: rows.iter().map(|row| row.to_json(view)).collect(),
            }),
            _ => None,
        })
        .await
}

#[utoipa::path(get, path = "/v1/history/{list}", tag = "v1",
    params(
        ("list" = String, Path, description = "sends, batches, error-responses, feedback, disconnections or unregistered"),
        HistoryQuery,
    ),
    responses(
        (status = 200, description = "The matching rows, newest first", body = Rows),
        (status = 400, description = "A filter is not valid, or not one this list takes", body = ErrorBody),
        (status = 404, description = "No such list", body = ErrorBody),
    ))]
async fn history(
    State(api): State<Arc<Api>>,
    PathParams(list): PathParams<String>,
    QueryParams(query): QueryParams<HistoryQuery>,
) -> Result<Json<Rows>, ApiError> {
    let filter = query.filter()?;
    let (limit, offset) = (query.limit()?, query.offset.unwrap_or(0));
    if list == "sends" {
        return Ok(Json(sends(&api, filter, offset, limit).await?));
    }
    let view: View = list.parse().map_err(|_| {
        ApiError::not_found(format!(
            "no history list {list:?}: use sends, batches, error-responses, feedback, disconnections or unregistered"
        ))
    })?;
    if query.state.is_some() || query.reason.is_some() || query.text.is_some() {
        return Err(ApiError::invalid(format!(
            "state, reason and text filter sends; {list} takes {}",
            view.filters().join(", ")
        )));
    }
    Ok(Json(view_rows(&api, view, filter, offset, limit).await?))
}

/// The `/v1` routes and their description.
pub fn router() -> utoipa_axum::router::OpenApiRouter<Arc<Api>> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(send))
        .routes(routes!(start_job))
        .routes(routes!(get_job, cancel_job))
        .routes(routes!(list_identities, import_identity))
        .routes(routes!(delete_identity))
        .routes(routes!(doctor_identity))
        .routes(routes!(history))
}
