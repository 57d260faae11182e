//! The HTTP/2 provider API: one task per connection, one per stream.

use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use h2::RecvStream;
use h2::server::{Connection, SendResponse};
use http::{HeaderValue, Request, Response};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::task::JoinSet;
use tokio::time::timeout;

use crate::apns::{self, ApnsId, Reason};

use super::channels::{self, CheckedBroadcast, Managed};
use super::record::{Broadcasted, Received, ReceivedVia, State};
use super::request::{self, Checked, ConnectionAuth};
use super::rules::{ActiveRules, Verdict};

/// The most body bytes kept per request: enough to tell "too large" from
/// "fits" for every push type without buffering whatever a client sends.
const MAX_KEPT_BODY: usize = 8 * 1024;

/// Sizes the connection window so that many small streams in flight never
/// wait for a WINDOW_UPDATE.
const CONNECTION_WINDOW: u32 = 4 * 1024 * 1024;

/// The longest wait for a client to close its side after the simulator closed its own.
const LINGER: Duration = Duration::from_secs(2);

/// Which API a listener serves over HTTP/2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    /// The provider API: sends to devices and broadcasts to channels.
    Provider,
    /// The broadcast channel management API.
    Channels,
}

/// What every stream of one connection shares.
struct ConnectionContext {
    state: Arc<State>,
    api: Api,
    auth: ConnectionAuth,
    connection: u64,
    open_streams: AtomicU32,
}

/// Counts a stream as open until it is dropped, also when its task is aborted.
struct OpenStream(Arc<ConnectionContext>);

impl OpenStream {
    fn new(context: &Arc<ConnectionContext>) -> Self {
        let open = context.open_streams.fetch_add(1, Ordering::Relaxed) + 1;
        context.state.saw_concurrent_streams(open);
        Self(Arc::clone(context))
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.open_streams.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves one TLS connection that negotiated (or should speak) HTTP/2.
pub(crate) async fn serve<T>(
    mut io: T,
    api: Api,
    auth: ConnectionAuth,
    connection: u64,
    state: Arc<State>,
) where
    T: AsyncRead + AsyncWrite + Unpin,
{
    // h2 gets a borrow so that the socket can be closed by hand afterwards.
    serve_h2(&mut io, api, auth, connection, state).await;
    close(io).await;
}

/// Closes the TLS stream and reads until the client closes too, so that data
/// still arriving does not make the kernel answer with a TCP reset, which would
/// destroy answers the client has not read yet.
async fn close<T>(mut io: T)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let _ = timeout(LINGER, async {
        let _ = io.shutdown().await;
        let mut sink = [0u8; 4096];
        while let Ok(1..) = io.read(&mut sink).await {}
    })
    .await;
}

async fn serve_h2<T>(io: T, api: Api, auth: ConnectionAuth, connection: u64, state: Arc<State>)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let rules = state.rules();
    let rules = &rules.rules;
    let token_auth = matches!(auth, ConnectionAuth::Token(_));
    let max_streams = if token_auth && rules.token_auth_single_stream {
        1
    } else {
        rules.max_concurrent_streams
    };
    let goaway_after = rules.goaway_after_streams;
    let close_after = rules.close_after_notifications;
    let mut conn = match h2::server::Builder::new()
        .max_concurrent_streams(max_streams)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .handshake::<_, Bytes>(io)
        .await
    {
        Ok(conn) => conn,
        Err(error) => {
            tracing::debug!(connection, %error, "HTTP/2 handshake failed");
            return;
        }
    };
    let context = Arc::new(ConnectionContext {
        state,
        api,
        auth,
        connection,
        open_streams: AtomicU32::new(0),
    });
    let mut streams = JoinSet::new();
    let mut accepted: u32 = 0;
    if goaway_after == Some(0) {
        conn.graceful_shutdown();
    }
    while let Some(next) = conn.accept().await {
        let (request, mut respond) = match next {
            Ok(stream) => stream,
            Err(error) => {
                tracing::debug!(connection, %error, "HTTP/2 connection ended");
                break;
            }
        };
        if goaway_after.is_some_and(|limit| accepted >= limit) {
            // Opened before the client saw the GOAWAY: refused, so that exactly
            // `goaway_after_streams` are answered per connection; the client
            // may safely send a refused request again.
            respond.send_reset(h2::Reason::REFUSED_STREAM);
            drop(request);
            continue;
        }
        accepted += 1;
        State::count(&context.state.http2_requests);
        let open = OpenStream::new(&context);
        streams.spawn(answer(request, respond, open));
        // Reap finished streams so the set stays small on long connections.
        while streams.try_join_next().is_some() {}
        if close_after == Some(accepted) {
            drop_after_answers(conn, streams).await;
            return;
        }
        if goaway_after == Some(accepted) {
            // h2 sends GOAWAY, keeps serving the streams accepted so far, and
            // closes the connection once they are answered.
            conn.graceful_shutdown();
        }
    }
    // The connection is closed; let streams still running finish their (failed) sends.
    while streams.join_next().await.is_some() {}
}

/// Lets the streams already accepted finish, holds any newer ones unanswered,
/// then ends the connection without GOAWAY, as a crashed or cut-off server would.
async fn drop_after_answers<T>(mut conn: Connection<T, Bytes>, mut streams: JoinSet<()>)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let mut held = Vec::new();
    loop {
        tokio::select! {
            joined = streams.join_next() => if joined.is_none() { break },
            next = conn.accept() => match next {
                Some(Ok(stream)) => held.push(stream),
                _ => break,
            },
        }
    }
    // One more turn writes the last answers out (the socket has room for these
    // few bytes); then h2 is dropped and the caller closes the socket.
    poll_fn(|cx| {
        let _ = conn.poll_closed(cx);
        Poll::Ready(())
    })
    .await;
    drop(conn);
    drop(held);
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn header_value(id: &uuid::Uuid) -> HeaderValue {
    let mut buffer = uuid::Uuid::encode_buffer();
    let text = id.hyphenated().encode_lower(&mut buffer);
    HeaderValue::from_str(text).expect("a hyphenated UUID is a valid header value")
}

/// Reads one request, checks it, applies the rules and answers.
async fn answer(request: Request<RecvStream>, mut respond: SendResponse<Bytes>, open: OpenStream) {
    let context = &open.0;
    let (parts, mut body) = request.into_parts();
    let mut payload = Vec::new();
    let mut body_len = 0usize;
    while let Some(chunk) = body.data().await {
        let Ok(chunk) = chunk else {
            return; // reset by the client
        };
        body_len += chunk.len();
        let _ = body.flow_control().release_capacity(chunk.len());
        if payload.len() < MAX_KEPT_BODY {
            payload.extend_from_slice(&chunk);
        }
    }

    let rules = context.state.rules();
    let delay = rules.rules.response_delay_ms;
    if delay > 0 {
        let reset = tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(delay)) => false,
            _ = poll_fn(|cx| respond.poll_reset(cx)) => true,
        };
        if reset {
            return;
        }
    }

    let now = unix_now();
    let path = parts.uri.path();
    if context.api == Api::Channels {
        answer_management(&parts, &payload, context, &rules, now, respond);
    } else if path.starts_with("/4/broadcasts/") {
        answer_broadcast(&parts, payload, body_len, context, &rules, now, respond);
    } else {
        answer_device(&parts, payload, body_len, context, &rules, now, respond);
    }
}

/// The id a request named in `name`, or a new one: what APNs echoes back.
fn echoed_id(parts: &http::request::Parts, name: &str) -> uuid::Uuid {
    parts
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<ApnsId>().ok())
        .map_or_else(uuid::Uuid::new_v4, |id| id.as_uuid())
}

/// Answers a refusal: the status for `reason` and APNs' JSON error body.
fn refuse(
    response: http::response::Builder,
    reason: Reason,
    now: Duration,
    context: &ConnectionContext,
    mut respond: SendResponse<Bytes>,
) {
    State::count(&context.state.rejected);
    let timestamp = (reason == Reason::Unregistered).then_some(now.as_millis() as u64);
    // A reason a rule names that this version does not know is a client error.
    let status = reason.status().unwrap_or(400);
    tracing::trace!(
        connection = context.connection,
        reason = reason.as_str(),
        "rejected"
    );
    let body = Bytes::from(apns::error_body(&reason, timestamp));
    let response = response
        .status(status)
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .body(());
    if let Ok(response) = response
        && let Ok(mut stream) = respond.send_response(response, false)
    {
        let _ = stream.send_data(body, true);
    }
}

/// Answers a success, with `body` when there is one.
fn succeed(
    response: http::response::Builder,
    status: u16,
    body: Vec<u8>,
    mut respond: SendResponse<Bytes>,
) {
    let end = body.is_empty();
    let response = if end {
        response.status(status).body(())
    } else {
        response
            .status(status)
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .body(())
    };
    if let Ok(response) = response
        && let Ok(mut stream) = respond.send_response(response, end)
        && !end
    {
        let _ = stream.send_data(Bytes::from(body), true);
    }
}

fn answer_device(
    parts: &http::request::Parts,
    payload: Vec<u8>,
    body_len: usize,
    context: &ConnectionContext,
    rules: &ActiveRules,
    now: Duration,
    respond: SendResponse<Bytes>,
) {
    let apns_id = echoed_id(parts, "apns-id");
    let outcome =
        request::check(parts, body_len, &context.auth, now.as_secs()).and_then(|checked| {
            let verdict = match rules.verdict(&checked.token) {
                Verdict::Accept => Ok(checked),
                Verdict::BadToken => Err(Reason::BadDeviceToken),
                Verdict::Unregistered => Err(Reason::Unregistered),
                Verdict::Throttled => Err(Reason::TooManyRequests),
                Verdict::Unavailable => Err(Reason::ServiceUnavailable),
            }?;
            let live_activity =
                verdict.push_type.as_deref() == Some(apns::PushType::LiveActivity.as_str());
            if live_activity && !channels::device_live_activity_is_usable(&payload, now.as_secs()) {
                return Err(Reason::BadRequestPayload);
            }
            Ok(verdict)
        });

    let response = Response::builder()
        .header("apns-id", header_value(&apns_id))
        // Apple sends this in development only; the simulator stands in for development.
        .header("apns-unique-id", header_value(&uuid::Uuid::new_v4()));
    match outcome {
        Ok(Checked {
            token,
            topic,
            push_type,
            ..
        }) => {
            // Recorded before answering, so a client that saw 200 finds it recorded.
            context.state.record(Received {
                service: ReceivedVia::Http2,
                token,
                topic,
                push_type,
                apns_id: Some(ApnsId::from_uuid(apns_id)),
                identifier: None,
                payload,
                connection: context.connection,
            });
            succeed(response, 200, Vec::new(), respond);
        }
        Err(reason) => refuse(response, reason, now, context, respond),
    }
}

fn answer_broadcast(
    parts: &http::request::Parts,
    payload: Vec<u8>,
    body_len: usize,
    context: &ConnectionContext,
    rules: &ActiveRules,
    now: Duration,
    respond: SendResponse<Bytes>,
) {
    let request_id = echoed_id(parts, "apns-request-id");
    let response = Response::builder()
        .header("apns-request-id", header_value(&request_id))
        .header("apns-unique-id", header_value(&uuid::Uuid::new_v4()));
    let checked = channels::check_broadcast(
        parts,
        &payload,
        body_len,
        &context.auth,
        now.as_secs(),
        &context.state.channels,
        rules,
    );
    match checked {
        Ok(CheckedBroadcast {
            app,
            channel,
            priority,
            expiration,
        }) => {
            context.state.record_broadcast(Broadcasted {
                app,
                channel,
                priority,
                expiration,
                request_id: ApnsId::from_uuid(request_id),
                payload,
                connection: context.connection,
            });
            succeed(response, 200, Vec::new(), respond);
        }
        Err(reason) => refuse(response, reason, now, context, respond),
    }
}

fn answer_management(
    parts: &http::request::Parts,
    body: &[u8],
    context: &ConnectionContext,
    rules: &ActiveRules,
    now: Duration,
    respond: SendResponse<Bytes>,
) {
    let request_id = echoed_id(parts, "apns-request-id");
    let mut response = Response::builder().header("apns-request-id", header_value(&request_id));
    match channels::manage(
        parts,
        body,
        &context.auth,
        now.as_secs(),
        &context.state.channels,
        rules,
    ) {
        Ok(Managed {
            status,
            channel,
            body,
        }) => {
            if let Some(channel) = channel
                && let Ok(value) = HeaderValue::from_str(channel.as_str())
            {
                response = response.header("apns-channel-id", value);
            }
            succeed(response, status, body, respond);
        }
        Err(reason) => refuse(response, reason, now, context, respond),
    }
}
