//! A server that is not APNs and misbehaves: the HTTP/2 client cuts it off with a clear
//! error instead of reading whatever it sends.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use push_console::apns::{
    Batch, ClientIdentity, DeviceToken, Http2Request, Notification, Payload, SigningKey,
    TokenIssuer, Transport, Verdict,
};
use push_console::net::{
    Endpoint, FeedbackClientError, FeedbackLimits, Http2Auth, Http2Config, Http2Connection,
    Http2Sender, MAX_ANSWER_BODY, Pool, TransportError, read_feedback, system_clock,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// How the server misbehaves.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// 400 and a body that never ends.
    EndlessBody,
    /// 400 with a 256 KiB header.
    HugeHeader,
}

/// A TLS listener on 127.0.0.1 with a self-signed certificate (no client certificate
/// asked for), offering `alpn`.
async fn tls_listener(
    alpn: &[&[u8]],
) -> (
    tokio_rustls::TlsAcceptor,
    tokio::net::TcpListener,
    u16,
    CertificateDer<'static>,
) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
    let cert = params.self_signed(&key).expect("certificate");
    let der = CertificateDer::from(cert.der().to_vec());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![der.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("server config");
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    (acceptor, listener, port, der)
}

/// Serves HTTP/2 over TLS on 127.0.0.1, answering every request as `how` says; returns
/// its port and its certificate.
async fn hostile_server(how: Misbehaviour) -> (u16, CertificateDer<'static>) {
    let (acceptor, listener, port, der) = tls_listener(&[b"h2"]).await;
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(serve_connection(acceptor.clone(), tcp, how));
        }
    });
    (port, der)
}

/// One connection of [`hostile_server`].
async fn serve_connection(
    acceptor: tokio_rustls::TlsAcceptor,
    tcp: tokio::net::TcpStream,
    how: Misbehaviour,
) {
    let Ok(tls) = acceptor.accept(tcp).await else {
        return;
    };
    let Ok(mut connection) = h2::server::handshake(tls).await else {
        return;
    };
    while let Some(Ok((_request, mut respond))) = connection.accept().await {
        tokio::spawn(async move {
            if let Misbehaviour::HugeHeader = how {
                let response = http::Response::builder()
                    .status(400)
                    .header("x-padding", "p".repeat(256 * 1024))
                    .body(())
                    .expect("head");
                let _ = respond.send_response(response, true);
                return;
            }
            let response = http::Response::builder()
                .status(400)
                .body(())
                .expect("head");
            let mut stream = respond.send_response(response, false).expect("response");
            let chunk = Bytes::from(vec![b'x'; 16 * 1024]);
            // Until the client gives up on the stream.
            loop {
                stream.reserve_capacity(chunk.len());
                if std::future::poll_fn(|cx| stream.poll_capacity(cx))
                    .await
                    .is_none()
                    || stream.send_data(chunk.clone(), false).is_err()
                {
                    return;
                }
            }
        });
    }
}

/// Token auth to the server on `port`.
fn config(port: u16, certificate: CertificateDer<'static>) -> Http2Config {
    let mut endpoint = Endpoint::custom("127.0.0.1", port, vec![certificate]);
    endpoint.public_roots = false;
    let pem = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .expect("key")
        .serialize_pem();
    let issuer = TokenIssuer::new(
        SigningKey::from_p8_pem(&pem).expect("p8"),
        "KEY0000001".parse().expect("key id"),
        "TEAM000001".parse().expect("team id"),
    );
    Http2Config::new(
        endpoint,
        Http2Auth::Token {
            issuer: Arc::new(Mutex::new(issuer)),
            clock: system_clock(),
        },
    )
}

/// A connection to the server on `port`.
async fn connect(port: u16, certificate: CertificateDer<'static>) -> Http2Connection {
    Http2Connection::connect(&config(port, certificate))
        .await
        .expect("connects")
}

fn list_request() -> Http2Request {
    Http2Request {
        method: "GET",
        path: "/1/apps/com.example.app/all-channels".into(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_never_ends_is_cut_off_with_a_clear_error() {
    let (port, certificate) = hostile_server(Misbehaviour::EndlessBody).await;
    let mut connection = connect(port, certificate).await;
    let error = connection
        .request(&list_request())
        .await
        .expect_err("cut off");
    assert!(
        matches!(error, TransportError::AnswerTooLarge { limit } if limit == MAX_ANSWER_BODY),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the server's answer is over 1,048,576 bytes, more than any APNs answer; it was cut off: check that the endpoint is an APNs server"
    );
    assert!(
        !error.is_connection_loss(),
        "not resent: the server answered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_block_past_64_kib_is_refused_not_read() {
    let (port, certificate) = hostile_server(Misbehaviour::HugeHeader).await;
    let mut connection = connect(port, certificate).await;
    let error = connection
        .request(&list_request())
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, TransportError::BrokeHttp2 { reason } if reason == "ENHANCE_YOUR_CALM"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the server broke HTTP/2's rules (ENHANCE_YOUR_CALM), e.g. with answer headers over 65,536 bytes, and what it sent was refused; the request is not sent again: check that the endpoint is an APNs server"
    );
    assert!(
        !error.is_connection_loss(),
        "not resent: the server answered, and would break the rules again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_met_with_oversized_headers_fail_once_and_are_not_resent() {
    let (port, certificate) = hostile_server(Misbehaviour::HugeHeader).await;
    let sender = Http2Sender::new(Arc::new(Pool::new()), config(port, certificate));
    let tokens = (1..=3u8)
        .map(|first| DeviceToken::from_bytes(&[first; 32]).expect("token"))
        .collect();
    let notification = Notification::new(
        DeviceToken::from_bytes(&[9; 32]).expect("token"),
        Payload::builder()
            .alert_text("hi")
            .build()
            .expect("payload"),
    );
    let batch = Batch::same_payload(&notification, tokens, Transport::Http2).expect("batch");
    let report = sender
        .send(&batch, None, tokio_util::sync::CancellationToken::new())
        .await;
    assert_eq!(report.outcomes.len(), 3);
    for outcome in &report.outcomes {
        assert_eq!(outcome.attempts, 1, "{outcome:?}");
        let Verdict::Failed(cause) = &outcome.verdict else {
            panic!("{outcome:?}");
        };
        assert!(
            cause
                .to_string()
                .contains("the server broke HTTP/2's rules"),
            "{cause}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feedback_service_that_never_stops_is_cut_off_and_keeps_what_it_sent() {
    use tokio::io::AsyncWriteExt;
    let (acceptor, listener, port, der) = tls_listener(&[]).await;
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let mut tls = acceptor.accept(tcp).await.expect("handshake");
        // Valid tuples, forever: time, a 32-byte token's length, the token.
        let mut tuple = vec![0x65, 0x53, 0xf1, 0x00, 0x00, 0x20];
        tuple.extend_from_slice(&[0xab; 32]);
        let block = tuple.repeat(400);
        while tls.write_all(&block).await.is_ok() {}
    });
    let mut endpoint = Endpoint::custom("127.0.0.1", port, vec![der]);
    endpoint.public_roots = false;
    let (cert, key) = {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let cert = rcgen::CertificateParams::new(vec!["client".to_owned()])
            .expect("params")
            .self_signed(&key)
            .expect("certificate");
        (cert.pem(), key.serialize_pem())
    };
    let identity =
        ClientIdentity::from_pem(cert.as_bytes(), Some(key.as_bytes())).expect("identity");
    let limits = FeedbackLimits {
        max_entries: 5_000,
        ..FeedbackLimits::default()
    };
    let read = read_feedback(&endpoint, &identity, limits, None).await;
    assert_eq!(read.tuples.len(), 5_000, "what was read is kept");
    let problem = read.problem.expect("the read says why it stopped");
    assert!(
        matches!(problem, FeedbackClientError::TooMany { limit: 5_000 }),
        "{problem:?}"
    );
    assert!(
        problem
            .to_string()
            .starts_with("the feedback service sent 5,000 entries without closing")
    );
}
