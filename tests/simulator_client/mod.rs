//! A minimal raw client for the simulator tests (h2 + tokio-rustls), written
//! apart from `push_console::net` so that the simulator is tested on its own.

// Each test binary uses only some helpers.
#![allow(dead_code)]
// Helpers panic on failure, like the tests that call them.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use h2::client::SendRequest;
use push_console::apns::legacy::{self, LegacyNotification};
use push_console::apns::{DeviceToken, LegacyFormat, ProviderToken, SigningKey};
use push_console::net::Endpoint;
use push_console::simulator::{Rules, Simulator, SimulatorConfig};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub const TOPIC: &str = "com.example.app";
pub const PAYLOAD: &[u8] = br#"{"aps":{"alert":"hi"}}"#;

pub fn token(byte: u8) -> DeviceToken {
    DeviceToken::from_bytes(&[byte; 32]).unwrap()
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub async fn start(rules: Rules) -> Simulator {
    Simulator::start(SimulatorConfig {
        rules,
        ..SimulatorConfig::default()
    })
    .await
    .unwrap()
}

pub fn quick_rules() -> Rules {
    Rules {
        error_response_delay_ms: 50,
        ..Rules::default()
    }
}

/// Connects with TLS to `endpoint`, presenting `identity` (cert PEM, key PEM) if given.
pub async fn tls_connect(
    endpoint: &Endpoint,
    identity: Option<&(String, String)>,
    alpn: &[&[u8]],
) -> TlsStream<TcpStream> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    for root in &endpoint.extra_roots {
        roots.add(root.clone()).unwrap();
    }
    assert!(!endpoint.public_roots);
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match identity {
        Some((cert, key)) => {
            let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(endpoint.address()).await.unwrap();
    let name = ServerName::try_from(endpoint.host.clone()).unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap()
}

pub struct H2Client {
    pub send: SendRequest<Bytes>,
    pub connection: JoinHandle<Result<(), h2::Error>>,
}

pub async fn h2_connect(simulator: &Simulator, identity: Option<&(String, String)>) -> H2Client {
    let tls = tls_connect(&simulator.http2_endpoint(), identity, &[b"h2"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (send, connection) = h2::client::handshake(tls).await.unwrap();
    H2Client {
        send,
        connection: tokio::spawn(connection),
    }
}

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub apns_id: Option<String>,
    pub unique_id: Option<String>,
    pub reason: Option<String>,
    pub timestamp: Option<u64>,
}

pub async fn try_push(
    client: &SendRequest<Bytes>,
    device: &DeviceToken,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Answer, h2::Error> {
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("https://127.0.0.1/3/device/{device}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(()).unwrap();
    let mut send = client.clone().ready().await?;
    let (response, mut stream) = send.send_request(request, false)?;
    stream.send_data(Bytes::copy_from_slice(body), true)?;
    let response = response.await?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let (apns_id, unique_id) = (header("apns-id"), header("apns-unique-id"));
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        body.flow_control().release_capacity(chunk.len())?;
        bytes.extend_from_slice(&chunk);
    }
    let (reason, timestamp) = if bytes.is_empty() {
        (None, None)
    } else {
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        (
            json["reason"].as_str().map(str::to_owned),
            json["timestamp"].as_u64(),
        )
    };
    Ok(Answer {
        status,
        apns_id,
        unique_id,
        reason,
        timestamp,
    })
}

pub async fn push(
    client: &SendRequest<Bytes>,
    device: &DeviceToken,
    headers: &[(&str, &str)],
) -> Answer {
    try_push(client, device, headers, PAYLOAD).await.unwrap()
}

pub fn bearer(simulator: &Simulator, issued_at: u64) -> String {
    let key = simulator.token_key();
    let signing = SigningKey::from_p8_pem(&key.p8_pem).unwrap();
    let token = ProviderToken::sign(&signing, &key.key_id, &key.team_id, issued_at).unwrap();
    format!("bearer {}", token.as_str())
}

pub fn legacy_batch(format: LegacyFormat, tokens: &[(u32, DeviceToken)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (identifier, device) in tokens {
        let notification = LegacyNotification {
            token: device.as_bytes(),
            payload: PAYLOAD,
            identifier: *identifier,
            expiry: 0,
            priority: None,
        };
        legacy::encode(format, &notification, &mut out).unwrap();
    }
    out
}

/// Everything the server sends until it closes (a missing close_notify is fine).
pub async fn read_until_closed(tls: &mut TlsStream<TcpStream>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match tls.read(&mut buffer).await {
            Ok(0) | Err(_) => return out,
            Ok(count) => out.extend_from_slice(&buffer[..count]),
        }
    }
}
