//! One HTTP/2 connection to an APNs endpoint, with certificate or token auth.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2::client::SendRequest;
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use tracing::{debug, trace};

use super::connect::connect_tls;
use super::{Endpoint, TransportError};
use crate::apns::{ClientIdentity, Http2Request, PreparedRequest, Response, TokenIssuer};

/// Seconds since the UNIX epoch, as the provider-token policy needs it. Tests
/// inject their own to check renewal without waiting an hour.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    })
}

/// How the provider authenticates on an HTTP/2 connection.
#[derive(Clone)]
pub enum Http2Auth {
    /// A TLS client certificate.
    Certificate(ClientIdentity),
    /// Provider tokens from one issuer, shared by every connection of the team.
    Token {
        /// The issuer, which decides when to renew.
        issuer: Arc<Mutex<TokenIssuer>>,
        /// The clock that dates tokens.
        clock: Clock,
    },
}

impl std::fmt::Debug for Http2Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Http2Auth::Certificate(identity) => write!(f, "Certificate({identity:?})"),
            Http2Auth::Token { .. } => f.write_str("Token"),
        }
    }
}

/// Settings of an HTTP/2 connection.
#[derive(Clone, Debug)]
pub struct Http2Config {
    /// Where to connect.
    pub endpoint: Endpoint,
    /// Certificate or token auth.
    pub auth: Http2Auth,
    /// Ping after this long without traffic, so that NATs and APNs keep an idle
    /// connection open for hours.
    pub keepalive_interval: Duration,
    /// How long a ping may go unanswered before the connection is dropped.
    pub ping_timeout: Duration,
    /// How long to wait for TCP + TLS + HTTP/2 to come up.
    pub connect_timeout: Duration,
    /// How long to wait for the answer to one request before giving the
    /// connection up (APNs answers in milliseconds; a silent one is dead).
    pub request_timeout: Duration,
}

impl Http2Config {
    /// Defaults suited to APNs: ping every 60 s of idleness, 20 s to answer.
    pub fn new(endpoint: Endpoint, auth: Http2Auth) -> Self {
        Self {
            endpoint,
            auth,
            keepalive_interval: Duration::from_secs(60),
            ping_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(30),
        }
    }
}

static NEXT_CONNECTION_ID: AtomicU64 = AtomicU64::new(1);

/// The most body bytes read of one answer: an APNs error body is under 200 bytes and a list
/// of an app's 10,000 channels about 300 KB; a server that sends more is cut off, so that
/// a misbehaving one cannot fill memory.
pub const MAX_ANSWER_BODY: usize = 1024 * 1024;

/// The largest header block accepted from the server (h2's default is 16 MiB).
pub const MAX_ANSWER_HEADERS: u32 = 64 * 1024;

/// The `apns-id` header's name.
const APNS_ID: HeaderName = HeaderName::from_static("apns-id");

/// How long a failed request waits for its connection's driver to say why it ended.
const CAUSE_WAIT: Duration = Duration::from_millis(50);

struct Shared {
    id: u64,
    closed: AtomicBool,
    /// Why the connection ended, once the driver saw it fail.
    ended_by: tokio::sync::watch::Sender<Option<Arc<TransportError>>>,
    /// When the connection opened, and how long after that it was last used (ms): an
    /// atomic, as every request on every worker thread writes it.
    opened: Instant,
    last_used_ms: AtomicU64,
    /// The `authorization` header of the provider token last sent, by its issue time:
    /// one token serves thousands of requests, so it is written out once.
    bearer: Mutex<Option<(u64, HeaderValue)>>,
    authority: String,
    /// `authority` as every request's URI takes it, parsed once (`None`: not a valid
    /// host, which each request then reports).
    uri_authority: Option<http::uri::Authority>,
    request_timeout: Duration,
}

impl Shared {
    fn touch(&self) {
        let since = self.opened.elapsed().as_millis() as u64;
        self.last_used_ms.store(since, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_used_ms.load(Ordering::Relaxed));
        self.opened.elapsed().saturating_sub(last)
    }

    /// Runs one exchange within the request timeout; a lost connection is reported with
    /// the cause its driver saw.
    async fn bounded<T>(
        &self,
        exchange: impl std::future::Future<Output = Result<T, TransportError>>,
    ) -> Result<T, TransportError> {
        let timeout = self.request_timeout;
        match tokio::time::timeout(timeout, exchange).await {
            Ok(Err(error)) if error.is_connection_loss() => {
                // A stream learns of a lost connection from a symptom (a closed pipe, a
                // closed connection); the driver, which read the socket, knows the cause,
                // e.g. the TLS alert of a refused certificate, and records it a moment later.
                let mut ended_by = self.ended_by.subscribe();
                let cause = tokio::time::timeout(CAUSE_WAIT, ended_by.wait_for(Option::is_some))
                    .await
                    .ok()
                    .and_then(|cause| cause.ok().and_then(|cause| cause.clone()));
                Err(cause
                    .map_or(error, TransportError::Shared)
                    .blamed_on_server())
            }
            Ok(answer) => answer,
            Err(_) => {
                self.closed.store(true, Ordering::Release);
                Err(TransportError::Timeout(timeout))
            }
        }
    }
}

/// APNs's answer, and which provider token the request carried.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The response.
    pub response: Response,
    /// When the provider token sent was issued (token auth only), so that a
    /// renewal after `ExpiredProviderToken` happens once, not once per stream.
    pub token_issued_at: Option<u64>,
}

/// The answer to any request: what the channel management API and broadcasts return.
#[derive(Clone, Debug)]
pub struct RawAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: http::HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// A header's value, when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// The `apns-*` headers the notifications of a batch share, as HTTP/2 sends them:
/// converted once, then taken by every request by reference count instead of written out
/// again for each.
pub struct SharedHeaders {
    source: Arc<Vec<(&'static str, String)>>,
    values: Vec<(HeaderName, HeaderValue)>,
}

impl SharedHeaders {
    /// `headers` converted (a name or value HTTP cannot carry is left out, as the typed
    /// notification never makes one).
    pub fn of(headers: &Arc<Vec<(&'static str, String)>>) -> Self {
        let values = headers
            .iter()
            .filter_map(|(name, value)| {
                Some((
                    HeaderName::from_bytes(name.as_bytes()).ok()?,
                    HeaderValue::from_str(value).ok()?,
                ))
            })
            .collect();
        Self {
            source: Arc::clone(headers),
            values,
        }
    }

    /// Whether these are `headers`, converted (the same list, not an equal one).
    pub fn are(&self, headers: &Arc<Vec<(&'static str, String)>>) -> bool {
        Arc::ptr_eq(&self.source, headers)
    }
}

/// A live HTTP/2 connection. Cloning shares it; requests on clones are multiplexed.
#[derive(Clone)]
pub struct Http2Connection {
    send: SendRequest<Bytes>,
    shared: Arc<Shared>,
    auth: Http2Auth,
}

impl std::fmt::Debug for Http2Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Http2Connection#{}({})",
            self.shared.id, self.shared.authority
        )
    }
}

impl Http2Connection {
    /// Connects, handshakes TLS (ALPN h2) and HTTP/2, and starts the tasks that
    /// drive the connection and keep it alive.
    pub async fn connect(config: &Http2Config) -> Result<Self, TransportError> {
        let endpoint = &config.endpoint;
        let identity = match &config.auth {
            Http2Auth::Certificate(identity) => Some(identity),
            Http2Auth::Token { .. } => None,
        };
        let stream = connect_tls(endpoint, identity, &[b"h2"], config.connect_timeout).await?;
        if stream.get_ref().1.alpn_protocol() != Some(b"h2") {
            return Err(TransportError::NotHttp2(endpoint.address()));
        }
        let mut builder = h2::client::Builder::new();
        // Until the server's SETTINGS arrive, open one stream at a time: APNs starts
        // token-auth connections at one concurrent stream.
        builder
            .initial_max_send_streams(1)
            .enable_push(false)
            .max_header_list_size(MAX_ANSWER_HEADERS);
        let (send, mut connection) = builder.handshake(stream).await?;
        let shared = Arc::new(Shared {
            id: NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed),
            closed: AtomicBool::new(false),
            ended_by: tokio::sync::watch::Sender::new(None),
            opened: Instant::now(),
            last_used_ms: AtomicU64::new(0),
            bearer: Mutex::new(None),
            uri_authority: endpoint.address().parse().ok(),
            authority: endpoint.address(),
            request_timeout: config.request_timeout,
        });
        let ping_pong = connection.ping_pong();
        let driver_shared = Arc::clone(&shared);
        let driver = tokio::spawn(async move {
            if let Err(error) = connection.await {
                debug!(connection = driver_shared.id, %error, "HTTP/2 connection ended");
                driver_shared
                    .ended_by
                    .send_replace(Some(Arc::new(TransportError::Http2(error))));
            }
            driver_shared.closed.store(true, Ordering::Release);
        });
        if let Some(ping_pong) = ping_pong {
            tokio::spawn(keep_alive(
                ping_pong,
                Arc::clone(&shared),
                driver.abort_handle(),
                config.keepalive_interval,
                config.ping_timeout,
            ));
        }
        debug!(connection = shared.id, endpoint = %endpoint, "HTTP/2 connection open");
        Ok(Self {
            send,
            shared,
            auth: config.auth.clone(),
        })
    }

    /// The connection's number, unique in this process.
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// Whether the connection has ended (GOAWAY, drop, failed ping).
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Marks the connection unusable, so that the pool replaces it.
    pub fn mark_closed(&self) {
        self.shared.closed.store(true, Ordering::Release);
    }

    /// How long since the last request.
    pub fn idle_for(&self) -> Duration {
        self.shared.idle_for()
    }

    /// The provider token to send now and when it was issued, if token auth.
    fn bearer(&self) -> Result<Option<(HeaderValue, u64)>, TransportError> {
        let Http2Auth::Token { issuer, clock } = &self.auth else {
            return Ok(None);
        };
        let now = clock();
        let mut issuer = issuer.lock().map_err(|_| TransportError::Closed)?;
        let token = issuer.token(now)?;
        let issued_at = token.issued_at();
        let mut cached = self
            .shared
            .bearer
            .lock()
            .map_err(|_| TransportError::Closed)?;
        if let Some((at, value)) = cached.as_ref()
            && *at == issued_at
        {
            return Ok(Some((value.clone(), issued_at)));
        }
        let value = HeaderValue::from_str(&format!("bearer {}", token.as_str()))
            .map_err(|_| TransportError::Closed)?;
        *cached = Some((issued_at, value.clone()));
        Ok(Some((value, issued_at)))
    }

    /// Renews the provider token after APNs said the one issued at `rejected`
    /// expired. Returns the refusal when that token is too young to renew (a
    /// clock problem, not a token problem).
    pub fn renew_token_after_expiry(&self, rejected: u64) -> Result<(), TransportError> {
        if let Http2Auth::Token { issuer, clock } = &self.auth {
            let now = clock();
            let mut issuer = issuer.lock().map_err(|_| TransportError::Closed)?;
            issuer.renew_after_expiry(now, rejected)?;
        }
        Ok(())
    }

    /// Sends one notification, its shared headers converted as `shared` (see
    /// [`SharedHeaders::are`]), and waits for APNs's answer.
    pub async fn send(
        &mut self,
        request: &PreparedRequest,
        shared: &SharedHeaders,
    ) -> Result<Answer, TransportError> {
        // Written straight into the bytes the request keeps: no second copy.
        let path =
            PathAndQuery::from_maybe_shared(Bytes::from(format!("/3/device/{}", request.token)))
                .map_err(|_| TransportError::BadHost(self.shared.authority.clone()))?;
        let mut headers = HeaderMap::with_capacity(shared.values.len() + 2);
        if let Some(apns_id) = &request.apns_id
            && let Ok(mut value) = HeaderValue::from_str(apns_id)
        {
            // Unique per request: never indexed, so HPACK's table is not churned by it.
            value.set_sensitive(true);
            headers.insert(APNS_ID, value);
        }
        for (name, value) in &shared.values {
            headers.insert(name.clone(), value.clone());
        }
        let body = request.body.clone();
        let state = Arc::clone(&self.shared);
        let exchange = self.round_trip(Method::POST, path, headers, body);
        let (raw, token_issued_at) = state.bounded(exchange).await?;
        let response = Response::parse(
            raw.status,
            raw.header("apns-id"),
            raw.header("apns-unique-id"),
            &raw.body,
        )?;
        trace!(
            connection = self.shared.id,
            status = response.status,
            "answer"
        );
        Ok(Answer {
            response,
            token_issued_at,
        })
    }

    /// Sends any request (a channel operation, a broadcast) and waits for the answer.
    pub async fn request(&mut self, request: &Http2Request) -> Result<RawAnswer, TransportError> {
        let method =
            Method::from_bytes(request.method.as_bytes()).map_err(|_| TransportError::Closed)?;
        let path = request
            .path
            .parse()
            .map_err(|_| TransportError::BadHost(self.shared.authority.clone()))?;
        let mut headers = HeaderMap::with_capacity(request.headers.len() + 1);
        for (name, value) in &request.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(*name, value);
            }
        }
        let body = Bytes::from(request.body.clone());
        let state = Arc::clone(&self.shared);
        let exchange = self.round_trip(method, path, headers, body);
        let (raw, _) = state.bounded(exchange).await?;
        trace!(connection = self.shared.id, status = raw.status, "answer");
        Ok(raw)
    }

    /// One request and its whole answer, with the provider token added for token auth;
    /// also returns when that token was issued.
    async fn round_trip(
        &mut self,
        method: Method,
        path: PathAndQuery,
        mut headers: HeaderMap,
        body: Bytes,
    ) -> Result<(RawAnswer, Option<u64>), TransportError> {
        if self.is_closed() {
            return Err(TransportError::Closed);
        }
        self.shared.touch();
        let bad_host = || TransportError::BadHost(self.shared.authority.clone());
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(http::uri::Scheme::HTTPS);
        parts.authority = Some(self.shared.uri_authority.clone().ok_or_else(bad_host)?);
        parts.path_and_query = Some(path);
        let uri = Uri::from_parts(parts).map_err(|_| bad_host())?;
        let bearer = self.bearer()?;
        let token_issued_at = bearer.as_ref().map(|(_, issued_at)| *issued_at);
        if let Some((value, _)) = bearer {
            headers.insert(http::header::AUTHORIZATION, value);
        }
        let mut http_request = Request::new(());
        *http_request.method_mut() = method;
        *http_request.uri_mut() = uri;
        *http_request.headers_mut() = headers;
        // This handle's own readiness: cloning it for each request would take the
        // connection's stream lock once more per request.
        std::future::poll_fn(|context| self.send.poll_ready(context)).await?;
        let end_of_stream = body.is_empty();
        let (response, mut body_stream) = self.send.send_request(http_request, end_of_stream)?;
        if !end_of_stream {
            body_stream.send_data(body, true)?;
        }
        let response = response.await?;
        let (parts, mut body) = response.into_parts();
        let mut bytes = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk?;
            let _ = body.flow_control().release_capacity(chunk.len());
            if bytes.len() + chunk.len() > MAX_ANSWER_BODY {
                // Dropping the stream resets it; the connection stays usable.
                return Err(TransportError::AnswerTooLarge {
                    limit: MAX_ANSWER_BODY,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((
            RawAnswer {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: bytes,
            },
            token_issued_at,
        ))
    }
}

/// Pings the server whenever the connection has been idle for `interval`; a
/// ping unanswered within `timeout` tears the connection down, failing its
/// streams (which are then resent) instead of leaving them to hang.
async fn keep_alive(
    mut ping_pong: h2::PingPong,
    shared: Arc<Shared>,
    driver: tokio::task::AbortHandle,
    interval: Duration,
    timeout: Duration,
) {
    loop {
        tokio::time::sleep(interval).await;
        if shared.closed.load(Ordering::Acquire) {
            return;
        }
        let idle = shared.idle_for();
        if idle < interval {
            continue;
        }
        match tokio::time::timeout(timeout, ping_pong.ping(h2::Ping::opaque())).await {
            Ok(Ok(_pong)) => trace!(connection = shared.id, "keep-alive pong"),
            _ => {
                debug!(connection = shared.id, "keep-alive ping failed; closing");
                shared.closed.store(true, Ordering::Release);
                driver.abort();
                return;
            }
        }
    }
}
