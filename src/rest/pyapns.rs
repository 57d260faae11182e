//! pyapns' routes, so its clients work unchanged: apps provisioned per environment, lists
//! of notifications, the feedback and the disconnection log; answers in its envelope
//! `{"code": N, "response": ...}`. An app `APP` in `ENV` is the identity `APP@ENV`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Api;
use super::body::{JsonBody, PathParams};
use super::error::ApiError;
use super::message::{self, Environment, Message, Protocol};
use super::sending;
use super::v1::{self, IdentityInfo, ImportBody};
use crate::engine::{CredentialChoice, SendRequest};
use crate::store::history::{Filter, SendState, View};
use crate::store::identity::IdentityKind;

/// How many rows the feedback and disconnection routes return at most.
const LOG_ROWS: usize = 1000;

fn envelope(status: StatusCode, response: Value) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({ "code": status.as_u16(), "response": response })),
    )
}

fn identity_name(app: &str, environment: Environment) -> String {
    format!("{app}@{}", environment.as_str())
}

async fn list_apps(State(api): State<Arc<Api>>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut apps: Vec<Value> = Vec::new();
    for identity in v1::identities(&api).await? {
        if let Some((app, environment)) = identity.name.rsplit_once('@')
            && Environment::parse(environment).is_ok()
        {
            apps.push(json!({
                "app_id": app,
                "environment": environment,
                "identity": IdentityInfo::from(&identity),
            }));
        }
    }
    Ok(envelope(StatusCode::OK, Value::Array(apps)))
}

async fn get_app(
    State(api): State<Arc<Api>>,
    PathParams((app, environment)): PathParams<(String, String)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let environment = Environment::parse(&environment)?;
    let name = identity_name(&app, environment);
    let identity = v1::identities(&api)
        .await?
        .into_iter()
        .find(|identity| identity.name == name)
        .ok_or_else(|| not_provisioned(&app, environment))?;
    Ok(envelope(
        StatusCode::OK,
        json!({
            "app_id": app,
            "environment": environment.as_str(),
            "identity": IdentityInfo::from(&identity),
        }),
    ))
}

fn not_provisioned(app: &str, environment: Environment) -> ApiError {
    ApiError::not_found(format!(
        "app {app:?} is not provisioned for {}: POST /apps/{app}/{} with its certificate first",
        environment.as_str(),
        environment.as_str()
    ))
}

/// pyapns' provisioning body, with a .p8 token key as the alternative to a certificate.
#[derive(Clone, Default, serde::Deserialize)]
struct ProvisionBody {
    /// PEM text or a path.
    certificate: Option<String>,
    /// The certificate's key, PEM text or a path, when the certificate lacks it.
    key: Option<String>,
    /// A .p12's password.
    password: Option<String>,
    /// A .p8 token key, PEM text or a path.
    p8: Option<String>,
    key_id: Option<String>,
    team_id: Option<String>,
    /// Accepted as pyapns clients send it; the engine's own timeouts apply.
    #[serde(default)]
    #[allow(dead_code)]
    timeout: Option<f64>,
}

async fn provision(
    State(api): State<Arc<Api>>,
    PathParams((app, environment)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<ProvisionBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let environment = Environment::parse(&environment)?;
    let name = identity_name(&app, environment);
    let import = ImportBody {
        name: Some(name.clone()),
        certificate: body.certificate,
        key: body.key,
        password: body.password,
        p8: body.p8,
        key_id: body.key_id,
        team_id: body.team_id,
    };
    // Checked with the doctor before the old one goes, so a bad re-POST leaves the app
    // as it was.
    let files = import.files()?;
    tokio::task::block_in_place(|| {
        crate::store::identity::load_files(&files, crate::store::history::now_ms() / 1000)
    })
    .map_err(|error| ApiError::invalid(error.to_string()))?;
    let existing = v1::identities(&api).await?;
    if existing.iter().any(|identity| identity.name == name) {
        v1::delete(&api, &name).await?;
    }
    let imported = v1::import(&api, &import, Some(name)).await?;
    Ok(envelope(
        StatusCode::CREATED,
        serde_json::to_value(imported).unwrap_or_default(),
    ))
}

/// One notification of a pyapns list.
#[derive(Clone, Debug, serde::Deserialize)]
struct Item {
    token: String,
    #[serde(flatten)]
    message: Message,
    /// The legacy identifier pyapns numbers notifications with; echoed back.
    identifier: Option<Value>,
    /// pyapns' expiry, UNIX seconds (the same as `expiration`).
    expiry: Option<i64>,
}

async fn notifications(
    State(api): State<Arc<Api>>,
    PathParams((app, environment)): PathParams<(String, String)>,
    JsonBody(items): JsonBody<Vec<Item>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let environment = Environment::parse(&environment)?;
    if items.is_empty() {
        return Err(ApiError::input("the list of notifications is empty"));
    }
    let name = identity_name(&app, environment);
    let identity = v1::identities(&api)
        .await?
        .into_iter()
        .find(|identity| identity.name == name);
    let credential = match (&identity, environment) {
        (Some(_), _) => CredentialChoice::Stored(name),
        (None, Environment::Simulator) => CredentialChoice::SimulatorOwn,
        (None, _) => return Err(not_provisioned(&app, environment)),
    };
    let token_key = identity
        .as_ref()
        .is_some_and(|identity| identity.kind == IdentityKind::TokenKey);
    // Notifications alike but for their token go out as one batch.
    let mut groups: Vec<(Message, Vec<usize>)> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let mut message = item.message.clone();
        message.expiration = message.expiration.or(item.expiry);
        if token_key && message.topic.is_none() {
            message.topic = Some(app.clone());
        }
        match groups.iter_mut().find(|(alike, _)| *alike == message) {
            Some((_, indexes)) => indexes.push(index),
            None => groups.push((message, vec![index])),
        }
    }
    let mut results: Vec<Value> = vec![Value::Null; items.len()];
    for (message, indexes) in groups {
        let texts: Vec<String> = indexes.iter().map(|&i| items[i].token.clone()).collect();
        let tokens = message::tokens(&texts)
            .map_err(|error| ApiError::invalid(format!("notification {}: {error}", indexes[0])))?;
        let template = message.notification(tokens[0].clone())?;
        let transport = Protocol::Http2.transport();
        let connection = api
            .environments
            .connection(environment, credential.clone(), transport);
        let reply = sending::start(&api.bridge, SendRequest::new(connection, template, tokens))?;
        let sent = sending::collect(reply, transport, |_| {}).await?;
        for (&index, record) in indexes.iter().zip(sent.results) {
            let mut value = serde_json::to_value(record).unwrap_or_default();
            if let (Some(object), Some(identifier)) =
                (value.as_object_mut(), &items[index].identifier)
            {
                object.insert("identifier".into(), identifier.clone());
            }
            results[index] = value;
        }
    }
    Ok(envelope(StatusCode::OK, Value::Array(results)))
}

async fn feedback(
    State(api): State<Arc<Api>>,
    PathParams((app, environment)): PathParams<(String, String)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let environment = Environment::parse(&environment)?;
    let name = identity_name(&app, environment);
    let mut entries = Vec::new();
    let read = v1::view_rows(
        &api,
        View::Feedback,
        Filter {
            identity: Some(name.clone()),
            ..Filter::default()
        },
        0,
        LOG_ROWS,
    )
    .await?;
    for row in read.rows {
        entries.push(json!({
            "token": row.get("token"),
            "since": row.get("since"),
            "source": "feedback",
        }));
    }
    let gone = v1::sends(
        &api,
        Filter {
            identity: Some(name),
            state: Some(SendState::Rejected),
            reason: Some("Unregistered".into()),
            ..Filter::default()
        },
        0,
        LOG_ROWS,
    )
    .await?;
    for row in gone.rows {
        entries.push(json!({
            "token": row.get("token"),
            "since": row.get("unregistered_at").or_else(|| row.get("time")),
            "source": "410",
        }));
    }
    Ok(envelope(StatusCode::OK, Value::Array(entries)))
}

async fn disconnections(
    State(api): State<Arc<Api>>,
    PathParams((app, environment)): PathParams<(String, String)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let environment = Environment::parse(&environment)?;
    let rows = v1::view_rows(
        &api,
        View::Disconnections,
        Filter {
            identity: Some(identity_name(&app, environment)),
            ..Filter::default()
        },
        0,
        LOG_ROWS,
    )
    .await?;
    Ok(envelope(StatusCode::OK, Value::Array(rows.rows)))
}

/// The pyapns routes.
pub fn router() -> axum::Router<Arc<Api>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/apps", get(list_apps))
        .route("/apps/{app}/{environment}", get(get_app).post(provision))
        .route(
            "/apps/{app}/{environment}/notifications",
            post(notifications),
        )
        .route("/apps/{app}/{environment}/feedback", get(feedback))
        .route(
            "/apps/{app}/{environment}/disconnections",
            get(disconnections),
        )
}
