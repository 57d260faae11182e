//! The local REST API (`push-console serve`): a third front end on the engine, beside the
//! app and the CLI. pyapns' routes for its clients, a typed `/v1` with per-token results
//! and an OpenAPI document. Loopback only unless asked, a bearer token on every route but
//! the health check and the document, JSON in and out.

mod auth;
mod body;
mod bridge;
mod error;
mod message;
mod pyapns;
mod sending;
mod v1;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;

pub use auth::{ApiToken, TokenError, TokenSource};
pub use error::ApiError;
pub use message::{Environment, Environments};

use bridge::Bridge;
use sending::Jobs;

use crate::engine::EventRouter;

/// The largest request body taken: room for 100,000 tokens or a pyapns list of
/// notifications with their payloads.
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// What a request handler reaches.
pub struct Api {
    bridge: Bridge,
    jobs: Arc<Jobs>,
    environments: Environments,
}

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Stand-ins for Apple's environments.
    pub environments: Environments,
    /// The largest body taken.
    pub body_limit: usize,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address is taken or not ours.
    #[error("cannot listen on {address}: {source}; pick another with --listen ADDR:PORT")]
    Listen {
        /// The address asked for.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A running server; dropping it stops it.
pub struct Server {
    address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The whole API: its routes, its OpenAPI document, the guard in front of them.
fn app(api: Arc<Api>, guard: auth::Guard, body_limit: usize) -> axum::Router {
    let (v1, mut document) = v1::router().split_for_parts();
    document.info.title = "Push Console REST API".into();
    document.info.version = env!("CARGO_PKG_VERSION").into();
    document.info.description = Some(
        "Send Apple push notifications and read what APNs answered, with the identities in the keychain. Every route but /v1/health and /v1/openapi.json takes `Authorization: Bearer <token>` (`push-console serve token` prints it).".into(),
    );
    describe_errors_and_auth(&mut document);
    let spec = document.to_json().unwrap_or_default();
    let spec_route = axum::routing::get(move || {
        let spec = spec.clone();
        async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                spec,
            )
        }
    });
    axum::Router::new()
        .merge(v1)
        .merge(pyapns::router())
        .route("/v1/openapi.json", spec_route)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(api)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::Extension(body::BodyLimit(body_limit)))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(guard),
            auth::guard,
        ))
}

/// The answers every route may give besides its own, and the bearer scheme, written once
/// for the whole document instead of on each route.
fn describe_errors_and_auth(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
    use utoipa::openapi::{Content, Ref, RefOr, Response};
    let error = |description: &str| {
        let mut response = Response::new(description);
        response.content.insert(
            "application/json".into(),
            RefOr::T(Content::new(Some(Ref::from_schema_name("ErrorBody")))),
        );
        RefOr::T(response)
    };
    let common = [
        (
            "400",
            "Not JSON of the right shape, or a value out of range",
        ),
        ("401", "No or a wrong bearer token"),
        ("403", "A foreign Host, or an Origin header"),
        ("404", "No such route, identity, job or list"),
        ("413", "The body is larger than the server takes"),
        ("415", "The body is not application/json"),
        (
            "422",
            "Well-formed, but not something that can be sent or done as it stands (a token that is not hex, a payload APNs would refuse, an environment the identity cannot use); the message says what to change",
        ),
        ("500", "The history database failed"),
        ("502", "The gateway could not be reached or would not talk"),
        (
            "503",
            "The keychain, the simulator or the engine is unavailable",
        ),
    ];
    for item in document.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            for (status, description) in common {
                operation
                    .responses
                    .responses
                    .entry(status.into())
                    .or_insert_with(|| error(description));
            }
        }
    }
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    document.security = Some(vec![SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    if let Some(health) = document.paths.paths.get_mut("/v1/health")
        && let Some(get) = health.get.as_mut()
    {
        // Open to anyone on this machine: an empty requirement.
        get.security = Some(vec![SecurityRequirement::default()]);
    }
}

async fn not_found(uri: Uri) -> impl IntoResponse {
    ApiError::not_found(format!(
        "no route {}; GET /v1/openapi.json lists the API's routes",
        uri.path()
    ))
}

async fn method_not_allowed(uri: Uri) -> impl IntoResponse {
    ApiError::with_status(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} does not take this method; GET /v1/openapi.json lists what each route takes",
            uri.path()
        ),
    )
}

/// Serves the API, asking `engine`, on the engine's own runtime until the server is dropped.
pub fn start(
    engine: EventRouter,
    token: TokenSource,
    config: ServeConfig,
) -> Result<Server, ServeError> {
    let runtime = engine.runtime().clone();
    let bridge = Bridge::new(engine);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(config.listen))
        .map_err(|source| ServeError::Listen {
            address: config.listen,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| ServeError::Listen {
        address: config.listen,
        source,
    })?;
    let api = Arc::new(Api {
        bridge,
        jobs: Arc::default(),
        environments: config.environments,
    });
    let guard = auth::Guard {
        token,
        hosts: auth::Guard::hosts_for(address),
    };
    let router = app(api, guard, config.body_limit);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    runtime.spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!("the REST API stopped: {error}");
        }
    });
    Ok(Server {
        address,
        stop: Some(stop),
    })
}
