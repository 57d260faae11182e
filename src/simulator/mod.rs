//! The built-in APNs simulator: HTTP/2 API, legacy gateway and feedback service over TLS.
//!
//! It makes its own CA at start, serves a certificate for `localhost`,
//! `127.0.0.1` and `::1`, issues client certificates shaped like Apple's push
//! certificates, and accepts provider tokens from its own .p8 key. [`Rules`]
//! script failures (bad tokens, throttling, GOAWAY, dropped connections), and
//! every accepted notification is kept for inspection.
//!
//! ```no_run
//! # async fn demo() -> Result<(), push_console::simulator::SimulatorError> {
//! use push_console::simulator::{Simulator, SimulatorConfig};
//! let simulator = Simulator::start(SimulatorConfig::default()).await?;
//! let endpoint = simulator.http2_endpoint(); // trusts the simulator's CA
//! let (cert_pem, key_pem) = simulator.client_identity_pem(&["com.example.app"])?;
//! // ... send pushes to `endpoint` with that identity ...
//! println!("{} accepted", simulator.received().len());
//! simulator.shutdown().await;
//! # Ok(()) }
//! ```

mod channels;
mod der;
mod error;
mod feedback;
mod http2;
mod legacy;
mod pki;
mod record;
mod request;
mod rules;
mod tls;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::apns::{ChannelId, ClientIdentity, SigningKey, StoragePolicy, TokenIssuer};
use crate::net::Endpoint;

pub use error::SimulatorError;
pub use pki::{SIMULATOR_KEY_ID, SIMULATOR_TEAM_ID, SIMULATOR_TOPIC, TokenKey};
pub use record::{Broadcasted, Received, ReceivedVia, Stats};
pub use rules::{FlakyToken, LegacyAnswer, RefusedChannel, Rules};

use pki::Pki;
use record::State;
use request::{ConnectionAuth, TokenCheck};
pub use request::{RequestJudge, TrustedKey};
use tls::ClientAuth;

/// A client that has not finished its TLS handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the simulator listens and how it behaves at first.
#[derive(Clone, Debug)]
pub struct SimulatorConfig {
    /// The address to listen on (127.0.0.1 by default).
    pub bind: IpAddr,
    /// The HTTP/2 API's port; 0 picks any free port.
    pub http2_port: u16,
    /// The legacy gateway's port; 0 picks any free port.
    pub legacy_port: u16,
    /// The feedback service's port; 0 picks any free port.
    pub feedback_port: u16,
    /// The broadcast channel management API's port; 0 picks any free port.
    pub channels_port: u16,
    /// The initial rules; change them later with [`Simulator::set_rules`].
    pub rules: Rules,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            http2_port: 0,
            legacy_port: 0,
            feedback_port: 0,
            channels_port: 0,
            rules: Rules::default(),
        }
    }
}

/// Which of the four services a listener provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Service {
    Http2,
    Legacy,
    Feedback,
    Channels,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Http2 => "HTTP/2 API",
            Service::Legacy => "legacy gateway",
            Service::Feedback => "feedback service",
            Service::Channels => "channel management API",
        }
    }
}

/// What every connection task needs.
#[derive(Debug)]
struct Shared {
    state: Arc<State>,
    /// The simulator's own token key and those a user's identities were trusted with.
    trusted_keys: std::sync::RwLock<Vec<TrustedKey>>,
}

/// A running simulator. Dropping it, or [`shutdown`](Simulator::shutdown),
/// stops its listeners and closes every connection.
#[derive(Debug)]
pub struct Simulator {
    pki: Pki,
    state: Arc<State>,
    shared: Arc<Shared>,
    host: String,
    http2_port: u16,
    legacy_port: u16,
    feedback_port: u16,
    channels_port: u16,
    cancel: CancellationToken,
    listeners: Vec<JoinHandle<()>>,
    /// The client certificates (PEM certificate and key) handed out for sends with no
    /// identity, by topic: one per topic for the simulator's life, so that every such
    /// send presents the same credential and reuses its pooled connection.
    own_identities: std::sync::Mutex<std::collections::HashMap<String, (String, String)>>,
}

async fn bind(
    ip: IpAddr,
    port: u16,
    service: Service,
) -> Result<(TcpListener, u16), SimulatorError> {
    let address = SocketAddr::new(ip, port);
    let bind_error = |source| SimulatorError::Bind {
        service: service.name(),
        address,
        source,
    };
    let listener = TcpListener::bind(address).await.map_err(bind_error)?;
    let port = listener.local_addr().map_err(bind_error)?.port();
    Ok((listener, port))
}

/// The host name clients should use for `bind`: loopback for wildcard binds.
fn host_for(bind: IpAddr) -> String {
    match bind {
        IpAddr::V4(ip) if ip.is_loopback() || ip.is_unspecified() => "127.0.0.1".to_owned(),
        IpAddr::V6(ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
        // "::1" would make an unusable "::1:port" address; the certificate names localhost.
        IpAddr::V6(ip) if ip.is_loopback() => "localhost".to_owned(),
        other => other.to_string(),
    }
}

impl Simulator {
    /// Makes the certificates, binds all four listeners and starts serving.
    /// Returns once every listener is bound, so clients may connect at once.
    pub async fn start(config: SimulatorConfig) -> Result<Simulator, SimulatorError> {
        let pki = Pki::generate(config.bind)?;
        let http2_tls = tls::acceptor(&pki, ClientAuth::Optional, &[b"h2"])?;
        let legacy_tls = tls::acceptor(&pki, ClientAuth::Required, &[])?;
        let feedback_tls = tls::acceptor(&pki, ClientAuth::Required, &[])?;
        let channels_tls = tls::acceptor(&pki, ClientAuth::Optional, &[b"h2"])?;
        let (http2, http2_port) = bind(config.bind, config.http2_port, Service::Http2).await?;
        let (legacy, legacy_port) = bind(config.bind, config.legacy_port, Service::Legacy).await?;
        let (feedback, feedback_port) =
            bind(config.bind, config.feedback_port, Service::Feedback).await?;
        let (channels, channels_port) =
            bind(config.bind, config.channels_port, Service::Channels).await?;

        let state = Arc::new(State::new(config.rules));
        let shared = Arc::new(Shared {
            state: Arc::clone(&state),
            trusted_keys: std::sync::RwLock::new(vec![TrustedKey {
                public_key: pki.token_public_key().to_vec(),
                key_id: SIMULATOR_KEY_ID.to_owned(),
                team_id: SIMULATOR_TEAM_ID.to_owned(),
            }]),
        });
        let cancel = CancellationToken::new();
        let listeners = [
            (http2, http2_tls, Service::Http2),
            (legacy, legacy_tls, Service::Legacy),
            (feedback, feedback_tls, Service::Feedback),
            (channels, channels_tls, Service::Channels),
        ]
        .into_iter()
        .map(|(listener, acceptor, service)| {
            tokio::spawn(accept_loop(
                listener,
                acceptor,
                service,
                Arc::clone(&shared),
                cancel.clone(),
            ))
        })
        .collect();
        tracing::info!(
            http2_port,
            legacy_port,
            feedback_port,
            channels_port,
            "APNs simulator listening"
        );
        Ok(Simulator {
            pki,
            state,
            shared,
            host: host_for(config.bind),
            http2_port,
            legacy_port,
            feedback_port,
            channels_port,
            cancel,
            listeners,
            own_identities: std::sync::Mutex::default(),
        })
    }

    fn endpoint(&self, port: u16) -> Endpoint {
        let mut endpoint = Endpoint::custom(self.host.clone(), port, vec![self.pki.ca_der()]);
        endpoint.public_roots = false;
        endpoint
    }

    /// The HTTP/2 API, trusting only the simulator's CA.
    pub fn http2_endpoint(&self) -> Endpoint {
        self.endpoint(self.http2_port)
    }

    /// The legacy gateway, trusting only the simulator's CA.
    pub fn legacy_endpoint(&self) -> Endpoint {
        self.endpoint(self.legacy_port)
    }

    /// The feedback service, trusting only the simulator's CA.
    pub fn feedback_endpoint(&self) -> Endpoint {
        self.endpoint(self.feedback_port)
    }

    /// The broadcast channel management API, trusting only the simulator's CA.
    pub fn channels_endpoint(&self) -> Endpoint {
        self.endpoint(self.channels_port)
    }

    /// The channels `app` (a bundle id) has now, oldest first, with their storage policies.
    pub fn channels(&self, app: &str) -> Vec<(ChannelId, StoragePolicy)> {
        self.state.channels.list(app)
    }

    /// Every broadcast accepted so far, in the order accepted.
    pub fn broadcasts(&self) -> Vec<Broadcasted> {
        self.state.broadcasts()
    }

    /// The CA certificate, PEM, for clients that take a CA file.
    pub fn ca_pem(&self) -> String {
        self.pki.ca_pem()
    }

    /// A client certificate and its PKCS#8 key, both PEM, shaped like Apple's
    /// push certificates: `UID` and common name from the first topic, the
    /// development and production extensions, and `topics` in the topics
    /// extension. Certificate auth allows exactly these topics.
    pub fn client_identity_pem(&self, topics: &[&str]) -> Result<(String, String), SimulatorError> {
        self.pki.client_identity(topics)
    }

    /// The simulator's own client certificate for `topic`: what a send with no identity
    /// presents. The same one each time: a new certificate per send would also be a new
    /// pooled connection per send, each left open until it idled out.
    pub fn client_identity(&self, topic: &str) -> Result<ClientIdentity, SimulatorError> {
        let mut issued = self
            .own_identities
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (cert, key) = match issued.get(topic) {
            Some(pair) => pair.clone(),
            None => {
                let pair = self.client_identity_pem(&[topic])?;
                issued.insert(topic.to_owned(), pair.clone());
                pair
            }
        };
        ClientIdentity::from_pem(cert.as_bytes(), Some(key.as_bytes()))
            .map_err(|error| SimulatorError::Tls(error.to_string()))
    }

    /// The .p8 key, key id and team id whose provider tokens the simulator accepts.
    pub fn token_key(&self) -> TokenKey {
        self.pki.token_key().clone()
    }

    /// A provider-token issuer with the simulator's own key: what a send with no identity
    /// uses where token auth is required (Live Activities, location, broadcast).
    pub fn token_issuer(&self) -> Result<TokenIssuer, SimulatorError> {
        let key = self.pki.token_key();
        Ok(TokenIssuer::new(
            SigningKey::from_p8_pem(&key.p8_pem)?,
            key.key_id.clone(),
            key.team_id.clone(),
        ))
    }

    /// Accepts provider tokens signed with `key` from now on (connections made after this),
    /// as APNs accepts any key made in the team's account: what lets a user's own .p8
    /// identity send to the simulator.
    pub fn trust_token_key(&self, key: TrustedKey) {
        if let Ok(mut keys) = self.shared.trusted_keys.write()
            && !keys.contains(&key)
        {
            keys.push(key);
        }
    }

    /// Replaces the rules. Requests that start afterwards follow the new ones;
    /// connection-level settings (stream limits, GOAWAY, dropping) apply to new
    /// connections. Flaky counters start again.
    pub fn set_rules(&self, rules: Rules) {
        self.state.set_rules(rules);
    }

    /// The rules in force.
    pub fn rules(&self) -> Rules {
        self.state.rules().rules.clone()
    }

    /// Every notification accepted so far, in the order accepted.
    pub fn received(&self) -> Vec<Received> {
        self.state.received()
    }

    /// Forgets the notifications and broadcasts received so far (the counters and the
    /// channels stay).
    pub fn clear_received(&self) {
        self.state.clear_received();
    }

    /// Counters since start.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Stops listening and closes every connection, without waiting: for a simulator that
    /// others still hold.
    pub fn stop(&self) {
        self.cancel.cancel();
    }

    /// Stops listening, closes every connection and waits until that is done.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        for listener in std::mem::take(&mut self.listeners) {
            let _ = listener.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    service: Service,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) {
    // Dropping this set (at the end of the loop) aborts every connection task.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let connection = shared.state.connection_opened();
                    tracing::debug!(connection, %peer, service = service.name(), "connection");
                    connections.spawn(serve_connection(
                        tcp,
                        acceptor.clone(),
                        service,
                        Arc::clone(&shared),
                        connection,
                    ));
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, service = service.name(), "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection(
    tcp: TcpStream,
    acceptor: TlsAcceptor,
    service: Service,
    shared: Arc<Shared>,
    connection: u64,
) {
    // Responses are small and latency matters more than packet count.
    let _ = tcp.set_nodelay(true);
    let tls = match timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => {
            tracing::debug!(connection, %error, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(connection, "TLS handshake timed out");
            return;
        }
    };
    let topics = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|leaf| pki::certificate_topics(leaf));
    let state = Arc::clone(&shared.state);
    match service {
        Service::Http2 | Service::Channels => {
            let auth = match topics {
                Some(topics) => ConnectionAuth::Certificate(topics),
                None => ConnectionAuth::Token(TokenCheck::new(
                    shared
                        .trusted_keys
                        .read()
                        .map(|keys| keys.clone())
                        .unwrap_or_default(),
                )),
            };
            let api = if service == Service::Channels {
                http2::Api::Channels
            } else {
                http2::Api::Provider
            };
            http2::serve(tls, api, auth, connection, state).await;
        }
        Service::Legacy => {
            let topic = topics.and_then(|topics| topics.into_iter().next());
            legacy::serve(tls, topic, connection, state).await;
        }
        Service::Feedback => feedback::serve(tls, connection, state).await,
    }
}
