//! The legacy binary gateway: reads notifications, and after the first bad one
//! discards the rest and answers with a late error-response, as Apple's did.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, sleep_until, timeout};

use crate::apns::legacy::{ErrorResponse, LegacyStatus};
use crate::apns::{DeviceToken, LegacyDecoder, LegacyFormat};

use super::record::{Received, ReceivedVia, State};
use super::rules::ActiveRules;

/// How long to keep reading after the error-response before closing, so that
/// notifications still in flight do not turn the close into a TCP reset that
/// could destroy the error-response before the client reads it.
const LINGER: Duration = Duration::from_secs(2);

const READ_BUFFER: usize = 16 * 1024;

/// What the connection should do after a chunk was taken in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Keep reading.
    Continue,
    /// The rules say to drop the connection now, without an error-response.
    CloseSilently,
}

/// The first failure on a connection: what to answer, and in which framing it came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) response: ErrorResponse,
    pub(crate) format: LegacyFormat,
}

/// The gateway's view of one connection, free of IO so it can be tested on bytes.
#[derive(Debug)]
pub(crate) struct Session {
    decoder: LegacyDecoder,
    /// The stream could not be decoded; later bytes cannot be framed.
    broken: bool,
    failure: Option<Failure>,
    accepted: u32,
    topic: Option<String>,
    connection: u64,
}

impl Session {
    pub(crate) fn new(topic: Option<String>, connection: u64) -> Self {
        Self {
            decoder: LegacyDecoder::default(),
            broken: false,
            failure: None,
            accepted: 0,
            topic,
            connection,
        }
    }

    pub(crate) fn failure(&self) -> Option<Failure> {
        self.failure
    }

    fn fail(&mut self, state: &State, response: ErrorResponse, format: LegacyFormat) {
        State::count(&state.rejected);
        self.failure = Some(Failure { response, format });
    }

    /// Takes in bytes read from the client; accepted notifications are appended to `out`.
    pub(crate) fn take_in(
        &mut self,
        bytes: &[u8],
        rules: &ActiveRules,
        state: &State,
        out: &mut Vec<Received>,
    ) -> Flow {
        if self.broken {
            return Flow::Continue;
        }
        self.decoder.feed(bytes);
        loop {
            let notification = match self.decoder.next_notification() {
                Ok(Some(notification)) => notification,
                Ok(None) => return Flow::Continue,
                Err(error) => {
                    tracing::debug!(connection = self.connection, %error, "undecodable legacy stream");
                    self.broken = true;
                    if self.failure.is_none() {
                        let response = ErrorResponse {
                            status: LegacyStatus::ProcessingError,
                            identifier: 0,
                        };
                        self.fail(state, response, LegacyFormat::Enhanced);
                    }
                    return Flow::Continue;
                }
            };
            if self.failure.is_some() {
                State::count(&state.legacy_discarded);
                continue;
            }
            let mut status = notification.check();
            let token = DeviceToken::from_bytes(&notification.token);
            if status == LegacyStatus::NoErrors
                && let Ok(token) = &token
            {
                if rules.is_bad(token) {
                    status = LegacyStatus::InvalidToken;
                } else if let Some(answer) = rules.legacy_answer(token) {
                    status = answer;
                }
            }
            let response = ErrorResponse {
                status,
                identifier: notification.identifier,
            };
            let token = match token {
                Ok(token) if status == LegacyStatus::NoErrors || status.named_was_processed() => {
                    token
                }
                _ => {
                    self.fail(state, response, notification.format);
                    continue;
                }
            };
            out.push(Received {
                service: ReceivedVia::Legacy(notification.format),
                token,
                topic: self.topic.clone(),
                push_type: None,
                apns_id: None,
                identifier: (notification.format != LegacyFormat::Simple)
                    .then_some(notification.identifier),
                payload: notification.payload,
                connection: self.connection,
            });
            if status.named_was_processed() {
                // A shutdown names the last notification delivered: not a rejection.
                self.failure = Some(Failure {
                    response,
                    format: notification.format,
                });
                continue;
            }
            self.accepted += 1;
            if rules.rules.close_after_notifications == Some(self.accepted) {
                return Flow::CloseSilently;
            }
        }
    }
}

/// Serves one gateway connection whose client certificate allows `topic`.
pub(crate) async fn serve<T>(mut io: T, topic: Option<String>, connection: u64, state: Arc<State>)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let mut session = Session::new(topic, connection);
    let mut buffer = vec![0u8; READ_BUFFER];
    let mut batch = Vec::new();
    let mut deadline: Option<Instant> = None;
    let mut client_done = false;
    loop {
        let read = match deadline {
            None => Some(io.read(&mut buffer).await),
            Some(deadline) if !client_done => tokio::select! {
                read = io.read(&mut buffer) => Some(read),
                () = sleep_until(deadline) => None,
            },
            Some(deadline) => {
                sleep_until(deadline).await;
                None
            }
        };
        let count = match read {
            None => break,
            Some(Ok(0) | Err(_)) if deadline.is_none() => return,
            Some(Ok(0) | Err(_)) => {
                client_done = true;
                continue;
            }
            Some(Ok(count)) => count,
        };
        let rules = state.rules();
        let flow = session.take_in(&buffer[..count], &rules, &state, &mut batch);
        state.record_all(&mut batch);
        if flow == Flow::CloseSilently {
            tracing::debug!(connection, "closing the legacy connection as the rules ask");
            State::count(&state.legacy_silent_closes);
            return;
        }
        if deadline.is_none() && session.failure().is_some() && !rules.rules.legacy_never_answers {
            let delay = Duration::from_millis(rules.rules.error_response_delay_ms);
            deadline = Some(Instant::now() + delay);
        }
    }

    // The delay after the failure has passed: answer (except in the simple
    // format, which has no error-response) and close.
    if let Some(failure) = session.failure()
        && failure.format != LegacyFormat::Simple
        && io.write_all(&failure.response.encode()).await.is_ok()
        && io.flush().await.is_ok()
    {
        State::count(&state.error_responses_sent);
    }
    let _ = io.shutdown().await;
    if !client_done {
        let rules = state.rules();
        let _ = timeout(LINGER, async {
            while let Ok(count @ 1..) = io.read(&mut buffer).await {
                session.take_in(&buffer[..count], &rules, &state, &mut batch);
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apns::legacy::{self, LegacyNotification};
    use crate::simulator::Rules;

    fn frame(token_byte: u8, identifier: u32, out: &mut Vec<u8>) {
        let token = [token_byte; 32];
        let notification = LegacyNotification {
            token: &token,
            payload: br#"{"aps":{}}"#,
            identifier,
            expiry: 0,
            priority: None,
        };
        legacy::encode(LegacyFormat::Frame, &notification, out).unwrap();
    }

    fn run(rules: Rules, bytes: &[u8]) -> (Session, Vec<Received>, State, Flow) {
        let state = State::new(rules.clone());
        let active = ActiveRules::new(rules);
        let mut session = Session::new(Some("com.example".into()), 7);
        let mut out = Vec::new();
        let mut flow = Flow::Continue;
        // One byte at a time: frames split anywhere must still decode.
        for byte in bytes {
            flow = session.take_in(std::slice::from_ref(byte), &active, &state, &mut out);
            if flow == Flow::CloseSilently {
                break;
            }
        }
        (session, out, state, flow)
    }

    #[test]
    fn a_bad_token_fails_and_the_rest_is_discarded() {
        let mut bytes = Vec::new();
        for identifier in 1..=5 {
            frame(
                if identifier == 3 { 0xbb } else { 0x01 },
                identifier,
                &mut bytes,
            );
        }
        let rules = Rules {
            bad_tokens: vec![DeviceToken::from_bytes(&[0xbb; 32]).unwrap()],
            ..Rules::default()
        };
        let (session, out, state, flow) = run(rules, &bytes);
        assert_eq!(flow, Flow::Continue);
        let failure = session.failure().unwrap();
        assert_eq!(failure.response.status, LegacyStatus::InvalidToken);
        assert_eq!(failure.response.identifier, 3);
        assert_eq!(
            out.iter().map(|r| r.identifier).collect::<Vec<_>>(),
            [Some(1), Some(2)]
        );
        assert_eq!(out[0].topic.as_deref(), Some("com.example"));
        assert_eq!(out[0].connection, 7);
        let stats = state.stats();
        assert_eq!((stats.legacy_discarded, stats.rejected), (2, 1));
    }

    #[test]
    fn a_short_token_is_an_invalid_token_size() {
        let mut bytes = Vec::new();
        let notification = LegacyNotification {
            token: &[1, 2, 3],
            payload: b"{}",
            identifier: 9,
            expiry: 0,
            priority: None,
        };
        legacy::encode(LegacyFormat::Enhanced, &notification, &mut bytes).unwrap();
        let (session, out, _, _) = run(Rules::default(), &bytes);
        assert!(out.is_empty());
        let failure = session.failure().unwrap();
        assert_eq!(failure.response.status, LegacyStatus::InvalidTokenSize);
        assert_eq!(failure.response.identifier, 9);
        assert_eq!(failure.format, LegacyFormat::Enhanced);
    }

    #[test]
    fn an_unknown_command_is_a_processing_error() {
        let mut bytes = Vec::new();
        frame(1, 1, &mut bytes);
        bytes.extend_from_slice(&[9, 9, 9]);
        let (session, out, _, _) = run(Rules::default(), &bytes);
        assert_eq!(out.len(), 1);
        let failure = session.failure().unwrap();
        assert_eq!(failure.response.status, LegacyStatus::ProcessingError);
        assert_eq!(failure.response.identifier, 0);
    }

    #[test]
    fn a_scripted_answer_fails_its_notification_and_a_shutdown_delivers_it() {
        for (status, delivered, rejected) in
            [(7, vec![Some(1)], 1), (10, vec![Some(1), Some(2)], 0)]
        {
            let mut bytes = Vec::new();
            for identifier in 1..=3 {
                frame(identifier as u8, identifier, &mut bytes);
            }
            let rules = Rules {
                legacy_answers: vec![crate::simulator::LegacyAnswer {
                    token: DeviceToken::from_bytes(&[2; 32]).unwrap(),
                    status,
                }],
                ..Rules::default()
            };
            let (session, out, state, _) = run(rules, &bytes);
            let failure = session.failure().unwrap();
            assert_eq!(failure.response.status.code(), status);
            assert_eq!(failure.response.identifier, 2);
            assert_eq!(
                out.iter().map(|r| r.identifier).collect::<Vec<_>>(),
                delivered,
                "status {status}"
            );
            let stats = state.stats();
            assert_eq!((stats.legacy_discarded, stats.rejected), (1, rejected));
        }
    }

    #[test]
    fn closes_silently_after_n_accepted() {
        let mut bytes = Vec::new();
        for identifier in 1..=4 {
            frame(1, identifier, &mut bytes);
        }
        let rules = Rules {
            close_after_notifications: Some(2),
            ..Rules::default()
        };
        let (session, out, _, flow) = run(rules, &bytes);
        assert_eq!(flow, Flow::CloseSilently);
        assert_eq!(out.len(), 2);
        assert!(session.failure().is_none());
    }
}
