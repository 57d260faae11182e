#![allow(clippy::print_stdout)] // a benchmark reports on stdout
//! End-to-end throughput: HTTP/2 and the legacy frame format against the
//! simulator running in its own process (so client and server CPU are measured
//! apart), and HTTP/2 against nghttpd next to h2load when nghttp2 is installed.
//!
//! Run: `cargo bench --bench throughput` (set PUSH_BENCH_COUNT to change the batch size).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use push_console::apns::{
    Batch, ClientIdentity, DeviceToken, LegacyFormat, Notification, Payload, Transport,
};
use push_console::net::{
    Endpoint, Http2Auth, Http2Config, Http2Sender, LegacyConfig, LegacySender, Pool,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio_util::sync::CancellationToken;

const TOPIC: &str = "com.example.pushconsole";

/// CPU seconds (user + system) used so far by process `pid` ("self" for this one).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

struct SimulatorProcess {
    child: Child,
    http2_port: u16,
    legacy_port: u16,
    dir: PathBuf,
}

impl Drop for SimulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_simulator() -> SimulatorProcess {
    let dir = std::env::temp_dir().join(format!("push-console-bench-{}", std::process::id()));
    // The legacy gateway answers at once, so a legacy run's confirmation costs its real
    // round trip, not a scripted delay.
    std::fs::create_dir_all(&dir).expect("a folder");
    let rules = dir.join("rules.json");
    std::fs::write(&rules, r#"{"error_response_delay_ms": 0}"#).expect("rules written");
    let mut child = Command::new(env!("CARGO_BIN_EXE_push-console"))
        .args(["simulate", "--rules"])
        .arg(&rules)
        .arg("--tls-dir")
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the simulator starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (mut http2_port, mut legacy_port) = (0, 0);
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("simulator output");
        let port = || {
            line.rsplit(':')
                .next()
                .and_then(|p| p.trim().parse().ok())
                .unwrap_or(0)
        };
        if line.starts_with("HTTP/2 API") {
            http2_port = port();
        } else if line.starts_with("legacy gateway") {
            legacy_port = port();
        } else if line.starts_with("running") {
            break;
        }
    }
    SimulatorProcess {
        child,
        http2_port,
        legacy_port,
        dir,
    }
}

fn tokens(count: usize) -> Vec<DeviceToken> {
    (0..count)
        .map(|index| {
            let mut bytes = [0x42u8; 32];
            bytes[..8].copy_from_slice(&(index as u64).to_be_bytes());
            DeviceToken::from_bytes(&bytes).expect("32 bytes")
        })
        .collect()
}

fn batch(count: usize, transport: Transport) -> Batch {
    let mut template = Notification::new(
        tokens(1).remove(0),
        Payload::builder()
            .alert_text("Benchmark notification with a body of ordinary length")
            .badge(1)
            .sound(push_console::apns::Sound::named("default"))
            .build()
            .expect("payload"),
    );
    template.topic = Some(TOPIC.parse().expect("topic"));
    Batch::same_payload(&template, tokens(count), transport).expect("batch")
}

fn identity(dir: &Path) -> ClientIdentity {
    let pem = std::fs::read(dir.join("client.pem")).expect("client.pem");
    ClientIdentity::from_pem(&pem, None).expect("identity")
}

fn roots(path: &Path) -> Vec<CertificateDer<'static>> {
    let pem = std::fs::read(path).expect("ca.pem");
    CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .expect("CA parses")
}

async fn http2_run(
    endpoint: Endpoint,
    identity: ClientIdentity,
    count: usize,
    server_pid: Option<u32>,
) {
    let mut sender = Http2Sender::new(
        Arc::new(Pool::new()),
        Http2Config::new(endpoint, Http2Auth::Certificate(identity)),
    );
    sender.concurrency = 500;
    let warm = sender
        .send(
            &batch(2_000, Transport::Http2),
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(
        warm.all_accepted(),
        "warm-up failed: {:?}",
        warm.failed().next()
    );
    let batch = batch(count, Transport::Http2);
    let server_pid = server_pid.map(|pid| pid.to_string());
    let (client_cpu, server_cpu) = (cpu_seconds("self"), server_pid.as_deref().map(cpu_seconds));
    let started = Instant::now();
    let report = sender.send(&batch, None, CancellationToken::new()).await;
    let elapsed = started.elapsed().as_secs_f64();
    let client_cpu = cpu_seconds("self") - client_cpu;
    assert!(report.all_accepted(), "{:?}", report.failed().next());
    println!(
        "  {count} notifications in {elapsed:.3} s = {:.0}/s; client CPU {:.1} µs per notification ({:.0} % of a core)",
        count as f64 / elapsed,
        client_cpu / count as f64 * 1e6,
        client_cpu / elapsed * 100.0
    );
    if let (Some(pid), Some(before)) = (server_pid.as_deref(), server_cpu) {
        let server_cpu = cpu_seconds(pid) - before;
        println!(
            "  server CPU {:.1} µs per notification ({:.0} % of a core)",
            server_cpu / count as f64 * 1e6,
            server_cpu / elapsed * 100.0
        );
    }
}

async fn legacy_run(simulator: &SimulatorProcess, count: usize) {
    let mut endpoint = Endpoint::custom(
        "127.0.0.1",
        simulator.legacy_port,
        roots(&simulator.dir.join("ca.pem")),
    );
    endpoint.public_roots = false;
    let mut config = LegacyConfig::new(endpoint, identity(&simulator.dir));
    config.format = LegacyFormat::Frame;
    let sender = LegacySender::new(config);
    let batch = batch(count, Transport::Legacy(LegacyFormat::Frame));
    let pid = simulator.child.id().to_string();
    let (client_cpu, server_cpu) = (cpu_seconds("self"), cpu_seconds(&pid));
    let started = Instant::now();
    let report = sender.send(&batch, None, CancellationToken::new()).await;
    let writing = started.elapsed().as_secs_f64();
    assert!(report.all_accepted(), "{:?}", report.failed().next());
    println!(
        "  {count} frames written, read and confirmed in {writing:.3} s = {:.0}/s; client CPU {:.2} µs, server CPU {:.2} µs per notification",
        count as f64 / writing,
        (cpu_seconds("self") - client_cpu) / count as f64 * 1e6,
        (cpu_seconds(&pid) - server_cpu) / count as f64 * 1e6,
    );
}

/// nghttpd with a throwaway certificate, and h2load on one connection as the
/// practical ceiling of this machine.
async fn nghttp2_comparison(count: usize, identity: ClientIdentity) {
    if Command::new("nghttpd").arg("--version").output().is_err()
        || Command::new("h2load").arg("--version").output().is_err()
    {
        println!(
            "  nghttpd/h2load not installed (apt-get install nghttp2-server nghttp2-client): skipped"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("push-console-nghttpd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).expect("write key");
    std::fs::write(dir.join("cert.pem"), cert.pem()).expect("write cert");
    let payload = br#"{"aps":{"alert":"Benchmark notification with a body of ordinary length","badge":1,"sound":"default"}}"#;
    std::fs::write(dir.join("payload.json"), payload).expect("write payload");
    // nghttpd slows down as uploads accumulate, so each client gets a fresh one.
    let start_server = || {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let server = Command::new("nghttpd")
            .args(["--echo-upload", "-d"])
            .arg(&dir)
            .arg(port.to_string())
            .arg(dir.join("key.pem"))
            .arg(dir.join("cert.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nghttpd starts");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        (server, port)
    };
    let stop_server = |mut server: Child| {
        let _ = server.kill();
        let _ = server.wait();
    };

    // nghttpd --echo-upload is disk-bound and its rate drifts, so the two
    // clients take turns on fresh servers and the median ratio is reported.
    let mut ratios = Vec::new();
    for round in 1..=3 {
        let (server, port) = start_server();
        let url = format!("https://127.0.0.1:{port}/3/device/{}", "42".repeat(32));
        let h2load = Command::new("h2load")
            .args(["-n", &count.to_string(), "-c", "1", "-m", "100", "-d"])
            .arg(dir.join("payload.json"))
            .arg(&url)
            .output()
            .expect("h2load runs");
        stop_server(server);
        let text = String::from_utf8_lossy(&h2load.stdout);
        let h2load_rate: f64 = text
            .lines()
            .find(|line| line.starts_with("finished in"))
            .and_then(|line| line.split(", ").nth(1))
            .and_then(|part| part.split_whitespace().next())
            .and_then(|rate| rate.parse().ok())
            .unwrap_or(0.0);

        let (server, port) = start_server();
        let mut endpoint = Endpoint::custom(
            "127.0.0.1",
            port,
            vec![CertificateDer::from(cert.der().to_vec())],
        );
        endpoint.public_roots = false;
        let mut sender = Http2Sender::new(
            Arc::new(Pool::new()),
            Http2Config::new(endpoint, Http2Auth::Certificate(identity.clone())),
        );
        sender.concurrency = 100;
        let batch = batch(count, Transport::Http2);
        let started = Instant::now();
        let report = sender.send(&batch, None, CancellationToken::new()).await;
        let rate = count as f64 / started.elapsed().as_secs_f64();
        stop_server(server);
        let ratio = rate / h2load_rate;
        ratios.push(ratio);
        println!(
            "  round {round}: h2load (1 connection, 100 streams, nghttpd's limit) {h2load_rate:.0} req/s; push-console (1 connection, 100 in flight) {rate:.0}/s, {} accepted; ratio {:.0} %",
            report.count(push_console::apns::OutcomeKind::Accepted),
            ratio * 100.0
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "  median ratio: {:.0} % of h2load",
        ratios[ratios.len() / 2] * 100.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let count: usize = std::env::var("PUSH_BENCH_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(50_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let simulator = start_simulator();
    let mut endpoint = Endpoint::custom(
        "127.0.0.1",
        simulator.http2_port,
        roots(&simulator.dir.join("ca.pem")),
    );
    endpoint.public_roots = false;
    println!("HTTP/2 → simulator (separate process), one connection, 500 in flight:");
    runtime.block_on(http2_run(
        endpoint,
        identity(&simulator.dir),
        count,
        Some(simulator.child.id()),
    ));
    println!("legacy frame format → simulator:");
    runtime.block_on(legacy_run(&simulator, count * 4));
    println!("HTTP/2 → nghttpd --echo-upload:");
    runtime.block_on(nghttp2_comparison(count, identity(&simulator.dir)));
}
