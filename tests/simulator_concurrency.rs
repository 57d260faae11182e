//! Many concurrent pushes over one HTTP/2 connection to the simulator: limits,
//! GOAWAY and dropped connections under load, and its speed.
//!
//! The rate check is ignored by default (debug builds are slow); run it with
//! `cargo test --release --test simulator_concurrency -- --ignored --nocapture`.

// Test helpers outside #[test] functions panic on failure too; that is their job.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use h2::client::SendRequest;
use push_console::simulator::{Rules, Simulator, SimulatorConfig};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;

const PAYLOAD: &[u8] =
    br#"{"aps":{"alert":{"title":"Hello","body":"A notification of ordinary size"}}}"#;

async fn connect(simulator: &Simulator) -> SendRequest<Bytes> {
    let (cert, key) = simulator.client_identity_pem(&["com.example.app"]).unwrap();
    let endpoint = simulator.http2_endpoint();
    let mut roots = RootCertStore::empty();
    roots.add(endpoint.extra_roots[0].clone()).unwrap();
    let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
    let mut config = ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_client_auth_cert(chain, key)
    .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = TcpStream::connect(endpoint.address()).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from(endpoint.host.clone()).unwrap(), tcp)
        .await
        .unwrap();
    let (send, connection) = h2::client::Builder::new()
        .initial_connection_window_size(4 << 20)
        .handshake(tls)
        .await
        .unwrap();
    tokio::spawn(connection);
    send
}

async fn push(send: SendRequest<Bytes>, index: u32) -> u16 {
    try_push(send, index).await.unwrap()
}

async fn try_push(send: SendRequest<Bytes>, index: u32) -> Result<u16, h2::Error> {
    let path = format!("https://127.0.0.1/3/device/{:064x}", index);
    let request = http::Request::post(path)
        .header("apns-topic", "com.example.app")
        .header("apns-push-type", "alert")
        .body(())
        .unwrap();
    let mut send = send.ready().await?;
    let (response, mut body) = send.send_request(request, false)?;
    body.send_data(Bytes::from_static(PAYLOAD), true)?;
    Ok(response.await?.status().as_u16())
}

/// Sends `count` pushes with at most `in_flight` outstanding; returns pushes per second.
async fn run(simulator: &Simulator, count: u32, in_flight: usize) -> f64 {
    let send = connect(simulator).await;
    // The first answer proves the server's SETTINGS have arrived.
    assert_eq!(push(send.clone(), u32::MAX).await, 200);
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for index in 0..count {
        if tasks.len() >= in_flight {
            assert_eq!(tasks.join_next().await.unwrap().unwrap(), 200);
        }
        tasks.spawn(push(send.clone(), index));
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    f64::from(count) / started.elapsed().as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_concurrent_pushes_over_one_connection() {
    let simulator = Simulator::start(SimulatorConfig::default()).await.unwrap();
    run(&simulator, 2_000, 200).await;
    assert_eq!(simulator.received().len(), 2_001);
    let stats = simulator.stats();
    assert_eq!(stats.connections, 1);
    assert!(stats.max_concurrent_streams_seen > 1, "{stats:?}");
    assert!(stats.max_concurrent_streams_seen <= 1000, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_delivers_every_answer_it_recorded() {
    for _ in 0..5 {
        let simulator = Simulator::start(SimulatorConfig {
            rules: Rules {
                close_after_notifications: Some(500),
                ..Rules::default()
            },
            ..SimulatorConfig::default()
        })
        .await
        .unwrap();
        let send = connect(&simulator).await;
        let mut tasks = JoinSet::new();
        let mut ok = 0;
        for index in 0..800 {
            if tasks.len() >= 200
                && let Some(Ok(Ok(200))) = tasks.join_next().await
            {
                ok += 1;
            }
            tasks.spawn(try_push(send.clone(), index));
        }
        while let Some(result) = tasks.join_next().await {
            if let Ok(Ok(200)) = result {
                ok += 1;
            }
        }
        // Every notification recorded was answered, and the rest failed on the client.
        assert_eq!(ok, 500);
        assert_eq!(simulator.received().len(), 500);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goaway_answers_exactly_n_streams_and_refuses_the_rest() {
    let simulator = Simulator::start(SimulatorConfig {
        rules: Rules {
            goaway_after_streams: Some(10),
            ..Rules::default()
        },
        ..SimulatorConfig::default()
    })
    .await
    .unwrap();
    let send = connect(&simulator).await;
    let mut tasks = JoinSet::new();
    for index in 0..40 {
        tasks.spawn(try_push(send.clone(), index));
    }
    let results = tasks.join_all().await;
    let answered = results
        .iter()
        .filter(|result| matches!(result, Ok(200)))
        .count();
    assert_eq!(answered, 10);
    // The rest were refused or never sent: safe to send again elsewhere.
    assert!(results.iter().all(|result| match result {
        Ok(status) => *status == 200,
        Err(error) => error.is_go_away() || error.reason() == Some(h2::Reason::REFUSED_STREAM),
    }));
    assert_eq!(simulator.received().len(), 10);
    assert_eq!(simulator.stats().http2_requests, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measures speed; run in release with --ignored --nocapture"]
async fn simulator_serves_over_20000_pushes_per_second() {
    let simulator = Simulator::start(SimulatorConfig::default()).await.unwrap();
    let rate = run(&simulator, 100_000, 500).await;
    eprintln!("{rate:.0} pushes/s over one connection (client and simulator share the machine)");
    assert!(rate > 20_000.0, "{rate:.0} pushes/s");
}
