//! Helpers shared by the integration tests: a simulator and clients for it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use push_console::apns::{
    Batch, ClientIdentity, DeviceToken, Notification, Payload, SigningKey, TokenIssuer, Transport,
};
use push_console::net::{Clock, Http2Auth, Http2Config, Http2Sender, Pool, RetryPolicy};
use push_console::simulator::{Rules, Simulator, SimulatorConfig};

pub const TOPIC: &str = "com.example.pushconsole";

pub async fn simulator(rules: Rules) -> Simulator {
    Simulator::start(SimulatorConfig {
        rules,
        ..SimulatorConfig::default()
    })
    .await
    .expect("the simulator starts")
}

/// `count` distinct 32-byte tokens, the index in the first and last bytes.
pub fn tokens(count: usize) -> Vec<DeviceToken> {
    (0..count)
        .map(|index| {
            let mut bytes = [0x5au8; 32];
            bytes[..4].copy_from_slice(&(index as u32).to_be_bytes());
            bytes[28..].copy_from_slice(&(index as u32).to_be_bytes());
            DeviceToken::from_bytes(&bytes).expect("32 bytes")
        })
        .collect()
}

pub fn alert(text: &str) -> Notification {
    let mut notification = Notification::new(
        tokens(1).remove(0),
        Payload::builder()
            .alert_text(text)
            .build()
            .expect("payload"),
    );
    notification.topic = Some(TOPIC.parse().expect("topic"));
    notification
}

pub fn batch(tokens: Vec<DeviceToken>, transport: Transport) -> Batch {
    Batch::same_payload(&alert("Hello from the tests"), tokens, transport).expect("batch")
}

pub fn certificate(simulator: &Simulator) -> ClientIdentity {
    let (cert, key) = simulator
        .client_identity_pem(&[TOPIC])
        .expect("client identity");
    ClientIdentity::from_pem(cert.as_bytes(), Some(key.as_bytes())).expect("identity parses")
}

pub fn token_issuer(simulator: &Simulator) -> Arc<Mutex<TokenIssuer>> {
    let key = simulator.token_key();
    Arc::new(Mutex::new(TokenIssuer::new(
        SigningKey::from_p8_pem(&key.p8_pem).expect("p8"),
        key.key_id,
        key.team_id,
    )))
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        throttle_delay: std::time::Duration::from_millis(20),
        backoff_base: std::time::Duration::from_millis(10),
        backoff_max: std::time::Duration::from_millis(50),
    }
}

pub fn cert_sender(simulator: &Simulator) -> Http2Sender {
    let config = Http2Config::new(
        simulator.http2_endpoint(),
        Http2Auth::Certificate(certificate(simulator)),
    );
    let mut sender = Http2Sender::new(Arc::new(Pool::new()), config);
    sender.retry = fast_retries();
    sender
}

pub fn token_sender(
    simulator: &Simulator,
    issuer: Arc<Mutex<TokenIssuer>>,
    clock: Clock,
) -> Http2Sender {
    let config = Http2Config::new(
        simulator.http2_endpoint(),
        Http2Auth::Token { issuer, clock },
    );
    let mut sender = Http2Sender::new(Arc::new(Pool::new()), config);
    sender.retry = fast_retries();
    sender
}

/// How many times the simulator accepted each token.
pub fn received_counts(simulator: &Simulator) -> HashMap<DeviceToken, usize> {
    let mut counts = HashMap::new();
    for received in simulator.received() {
        *counts.entry(received.token).or_default() += 1;
    }
    counts
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}
