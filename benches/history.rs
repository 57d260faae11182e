//! The history's numbers: insert rate for a 100,000-token batch, filtered-page latency on a
//! 1,000,000-row database, its size, and the CLI answering the two questions QA asks.
//!
//! `cargo bench --bench history`. The 1M-row database is built once into
//! `target/history-bench/home/data/history.sqlite3` and reused; `PUSH_BENCH_REBUILD=1`
//! builds it again.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use push_console::apns::legacy::LegacyStatus;
use push_console::apns::{
    Batch, BatchReport, DisconnectCause, Disconnection, FailureCause, FeedbackTuple, LegacyFormat,
    Outcome, Refusal, Verdict,
};
use push_console::apns::{DeviceToken, Notification, Payload, Reason, Transport};
use push_console::store::history::{
    BatchContext, Filter, History, OutcomeRecorder, SendState, View, now_ms,
};

const BATCH: usize = 100_000;
const BATCHES: usize = 10;
const TOKEN_POOL: u32 = 200_000;
const HOUR: i64 = 3_600_000;
const IDENTITIES: [&str; 3] = ["acme-push.p12", "key ABC123DEFG", "beta-push.p12"];
const ENDPOINTS: [&str; 2] = ["api.sandbox.push.apple.com:443", "api.push.apple.com:443"];

fn token(n: u32) -> DeviceToken {
    let mut bytes = [0u8; 32];
    // Spread the index over the token so prefixes are as varied as real ones.
    let mut state = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for chunk in bytes.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_be_bytes());
    }
    DeviceToken::from_bytes(&bytes).unwrap()
}

fn batch(number: usize) -> Batch {
    let tokens: Vec<_> = (0..BATCH as u32)
        .map(|i| token((number as u32 * 37_000 + i) % TOKEN_POOL))
        .collect();
    let payload = Payload::builder()
        .alert_text(format!(
            "Flash sale {number}: 20% off everything in the store today"
        ))
        .badge(1)
        .build()
        .unwrap();
    let mut template = Notification::new(tokens[0].clone(), payload);
    template.topic = Some("com.example.shop".parse().unwrap());
    Batch::same_payload(&template, tokens, Transport::Http2).unwrap()
}

/// 97.4 % accepted, 1 % 410 Unregistered, 1 % BadDeviceToken, 0.3 % failed, 0.3 % cancelled.
fn outcome(batch: &Batch, index: usize, answered_ms: i64) -> Outcome {
    let item = &batch.items()[index];
    let mut outcome = Outcome::not_sent(item.request.token.clone(), item.apns_id);
    outcome.attempts = 1;
    outcome.latency = Duration::from_micros(800 + (index % 5_000) as u64);
    let refused = |status, reason, timestamp_ms| {
        Verdict::Rejected(Refusal::Http2 {
            status,
            reason,
            timestamp_ms,
            apns_unique_id: None,
        })
    };
    outcome.verdict = match (index as u64).wrapping_mul(2_654_435_761) % 1000 {
        0..=9 => refused(410, Reason::Unregistered, Some(answered_ms as u64)),
        10..=19 => refused(400, Reason::BadDeviceToken, None),
        20..=22 => Verdict::Failed(FailureCause::Disconnected(DisconnectCause::SilentClose)),
        23..=25 => Verdict::NotSent,
        _ => Verdict::Accepted {
            apns_unique_id: Some(uuid::Uuid::new_v4().to_string()),
        },
    };
    outcome
}

/// Records and answers one batch through the same path `send` uses; returns
/// (time to record the rows, time to apply the answers).
fn send_one(path: &Path, number: usize, at_ms: i64) -> (Duration, Duration) {
    let batch = batch(number);
    let mut history = History::open(path).unwrap();
    let context = BatchContext {
        identity: IDENTITIES[number % IDENTITIES.len()],
        endpoint: ENDPOINTS[number % ENDPOINTS.len()],
        transport: Transport::Http2,
        auth: push_console::apns::AuthKind::Certificate,
    };
    let started = Instant::now();
    let recorded = history.record_batch(&context, &batch, at_ms).unwrap();
    let record_time = started.elapsed();
    let outcomes: Vec<_> = (0..batch.len())
        .map(|i| outcome(&batch, i, at_ms + 1_000))
        .collect();
    let started = Instant::now();
    let recorder = OutcomeRecorder::start(history, recorded).unwrap();
    for (index, outcome) in outcomes.iter().enumerate() {
        recorder.record(index, outcome.clone());
    }
    recorder
        .finish(&BatchReport {
            outcomes,
            ..BatchReport::default()
        })
        .unwrap();
    (record_time, started.elapsed())
}

/// Rows in each conversation view of the benchmark database.
const CONVERSATION_ROWS: usize = 1_000_000;

/// Adds 1,000,000 feedback entries and 1,000,000 disconnections (every other one a legacy
/// error-response) through the same write paths `feedback` and a legacy send use, once.
fn conversation_million(path: &Path) {
    let history = History::open(path).unwrap();
    if history
        .view_count(View::Feedback, &Filter::default())
        .unwrap()
        >= CONVERSATION_ROWS as u64
    {
        return;
    }
    drop(history);
    let started = Instant::now();
    let now = now_ms();
    let mut history = History::open(path).unwrap();
    let tuples: Vec<FeedbackTuple> = (0..CONVERSATION_ROWS as u32)
        .map(|n| FeedbackTuple {
            time: (now / 1000) as u32 - n,
            token: token(n % TOKEN_POOL),
        })
        .collect();
    history
        .record_feedback(IDENTITIES[0], "feedback.push.apple.com:2196", &tuples, now)
        .unwrap();
    let batch = batch(0);
    let context = BatchContext {
        identity: IDENTITIES[0],
        endpoint: "gateway.push.apple.com:2195",
        transport: Transport::Legacy(LegacyFormat::Frame),
        auth: push_console::apns::AuthKind::Certificate,
    };
    let recorded = history.record_batch(&context, &batch, now).unwrap();
    let disconnections = (0..CONVERSATION_ROWS)
        .map(|n| Disconnection {
            at: std::time::UNIX_EPOCH + Duration::from_millis((now - n as i64) as u64),
            cause: if n % 2 == 0 {
                DisconnectCause::ErrorResponse {
                    status: LegacyStatus::InvalidToken,
                    identifier: (n % BATCH) as u32,
                }
            } else {
                DisconnectCause::SilentClose
            },
            index: Some(n % BATCH),
            resent: n % 300,
        })
        .collect();
    let recorder = OutcomeRecorder::start(history, recorded).unwrap();
    recorder
        .finish(&BatchReport {
            disconnections,
            ..BatchReport::default()
        })
        .unwrap();
    println!(
        "added {CONVERSATION_ROWS} feedback entries, disconnections and half as many error-responses in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// A page of 200 (the app's page) at `offset` of a view, median and slowest of 11, and the
/// count of matches.
fn view_latency(history: &History, view: View, name: &str, filter: &Filter, offset: u64) {
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..11 {
        let started = Instant::now();
        rows = history
            .view_rows(view, filter, None, offset, 200)
            .unwrap()
            .len();
        times.push(started.elapsed());
    }
    times.sort();
    let started = Instant::now();
    let count = history.view_count(view, filter).unwrap();
    println!(
        "| {} | {name} | {rows} of {count} | {:.2} ms | {:.2} ms | {:.0} ms |",
        view.as_str(),
        times[5].as_secs_f64() * 1000.0,
        times[10].as_secs_f64() * 1000.0,
        started.elapsed().as_secs_f64() * 1000.0
    );
}

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/history-bench")
}

fn size_of(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    [path.to_owned(), wal]
        .iter()
        .filter_map(|file| std::fs::metadata(file).ok())
        .map(|metadata| metadata.len())
        .sum()
}

fn insert_rate() {
    let dir = bench_dir().join("insert");
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("history.sqlite3");
    let mut record = Vec::new();
    let mut answer = Vec::new();
    for round in 0..3 {
        let (r, a) = send_one(&path, round, now_ms());
        record.push(r);
        answer.push(a);
    }
    record.sort();
    answer.sort();
    let rate = |d: Duration| BATCH as f64 / d.as_secs_f64();
    println!(
        "record 100,000 rows in flight: median {:.0} ms ({:.0} rows/s); apply 100,000 answers: median {:.0} ms ({:.0} rows/s)",
        record[1].as_secs_f64() * 1000.0,
        rate(record[1]),
        answer[1].as_secs_f64() * 1000.0,
        rate(answer[1]),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn million(home: &Path) -> PathBuf {
    let path = home.join("data/history.sqlite3");
    if path.exists() && std::env::var_os("PUSH_BENCH_REBUILD").is_none() {
        return path;
    }
    let _ = std::fs::remove_dir_all(home);
    let started = Instant::now();
    // Ten batches six hours apart, ending now: "yesterday" holds four of them.
    let now = now_ms();
    for number in 0..BATCHES {
        send_one(
            &path,
            number,
            now - (BATCHES - 1 - number) as i64 * 6 * HOUR,
        );
    }
    println!(
        "built {} rows in {:.1} s",
        BATCH * BATCHES,
        started.elapsed().as_secs_f64()
    );
    path
}

fn latency(history: &History, name: &str, filter: &Filter) {
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..31 {
        let started = Instant::now();
        let page = history.page(filter, None, 50).unwrap();
        times.push(started.elapsed());
        rows = page.rows.len();
    }
    times.sort();
    println!(
        "| {name} | {rows} | {:.2} ms | {:.2} ms |",
        times[15].as_secs_f64() * 1000.0,
        times[30].as_secs_f64() * 1000.0
    );
}

fn timed_cli(home: &Path, args: &[&str]) -> (Duration, usize) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_push-console"))
        .env("PUSH_CONSOLE_HOME", home)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    (
        started.elapsed(),
        output.stdout.split(|&b| b == b'\n').count() - 1,
    )
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    insert_rate();
    if std::env::var_os("PUSH_BENCH_INSERT_ONLY").is_some() {
        return;
    }
    let home = bench_dir().join("home");
    let path = million(&home);
    let history = History::open_read_only(&path).unwrap();
    let counts = history.counts(&Filter::default()).unwrap();
    println!(
        "database: {} rows, {:.0} MB ({:.0} bytes per send)",
        counts.total(),
        size_of(&path) as f64 / 1e6,
        size_of(&path) as f64 / counts.total() as f64
    );
    let now = now_ms();
    let wanted = token(123_456).to_string();
    let apns_id = history
        .page(
            &Filter {
                state: Some(SendState::Failed),
                ..Filter::default()
            },
            None,
            400,
        )
        .unwrap()
        .rows[399]
        .apns_id
        .parse()
        .unwrap();
    println!("| filter (page of 50, newest first) | rows | median | slowest of 31 |");
    println!("|---|---|---|---|");
    let f = Filter::default;
    latency(&history, "none", &f());
    latency(
        &history,
        "token prefix (8 hex digits)",
        &Filter {
            token: Some(wanted[..8].parse().unwrap()),
            ..f()
        },
    );
    latency(
        &history,
        "whole token, last 48 h",
        &Filter {
            token: Some(wanted.parse().unwrap()),
            since_ms: Some(now - 48 * HOUR),
            ..f()
        },
    );
    latency(
        &history,
        "state = rejected",
        &Filter {
            state: Some(SendState::Rejected),
            ..f()
        },
    );
    latency(
        &history,
        "reason = BadDeviceToken",
        &Filter {
            reason: Some("BadDeviceToken".into()),
            ..f()
        },
    );
    latency(
        &history,
        "state = failed, identity, 24-48 h ago",
        &Filter {
            state: Some(SendState::Failed),
            identity: Some(IDENTITIES[1].into()),
            since_ms: Some(now - 48 * HOUR),
            until_ms: Some(now - 24 * HOUR),
            ..f()
        },
    );
    latency(
        &history,
        "identity + time range (24-48 h ago)",
        &Filter {
            identity: Some(IDENTITIES[0].into()),
            since_ms: Some(now - 48 * HOUR),
            until_ms: Some(now - 24 * HOUR),
            ..f()
        },
    );
    latency(
        &history,
        "endpoint",
        &Filter {
            endpoint: Some(ENDPOINTS[1].into()),
            ..f()
        },
    );
    latency(
        &history,
        "text in payload (\"flash sale 2:\")",
        &Filter {
            text: Some("flash sale 2:".into()),
            ..f()
        },
    );
    latency(
        &history,
        "apns-id",
        &Filter {
            apns_id: Some(apns_id),
            ..f()
        },
    );
    latency(
        &history,
        "state = unknown (none)",
        &Filter {
            state: Some(SendState::Unknown),
            ..f()
        },
    );
    let started = Instant::now();
    let dead = history.unregistered_count().unwrap();
    println!(
        "unregistered view: {dead} tokens counted in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let started = Instant::now();
    history.counts(&Filter::default()).unwrap();
    println!(
        "counts per state, no filter: {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let (time, lines) = timed_cli(&home, &["history", "--token", &wanted, "--since", "48h"]);
    println!(
        "CLI `history --token <64 hex> --since 48h`: {lines} rows in {:.0} ms",
        time.as_secs_f64() * 1000.0
    );
    let (time, lines) = timed_cli(&home, &["history", "unregistered"]);
    println!(
        "CLI `history unregistered`: {lines} tokens in {:.0} ms",
        time.as_secs_f64() * 1000.0
    );

    drop(history);
    conversation_million(&path);
    let history = History::open_read_only(&path).unwrap();
    println!();
    println!("| view | filter, position | rows | page median | slowest of 11 | count |");
    println!("|---|---|---|---|---|---|");
    for view in [View::Feedback, View::Disconnections, View::ErrorResponses] {
        let total = history.view_count(view, &f()).unwrap();
        for (name, offset) in [
            ("none, newest", 0),
            ("none, middle", total / 2),
            ("none, oldest page", total.saturating_sub(200)),
        ] {
            view_latency(&history, view, name, &f(), offset);
        }
    }
    view_latency(
        &history,
        View::Feedback,
        "token prefix (8 hex digits)",
        &Filter {
            token: Some(wanted[..8].parse().unwrap()),
            ..f()
        },
        0,
    );
    view_latency(
        &history,
        View::Disconnections,
        "token prefix (8 hex digits)",
        &Filter {
            token: Some(token(4_242).to_string()[..8].parse().unwrap()),
            ..f()
        },
        0,
    );
    view_latency(&history, View::Batches, "none, newest", &f(), 0);
    let (time, lines) = timed_cli(
        &home,
        &[
            "history",
            "error-responses",
            "--limit",
            "50",
            "--format",
            "jsonl",
        ],
    );
    println!(
        "CLI `history error-responses --limit 50 --format jsonl`: {lines} rows in {:.0} ms",
        time.as_secs_f64() * 1000.0
    );
}
