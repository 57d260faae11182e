//! Write, read, export and prune against real SQLite files in temp folders.

use std::time::Duration;

use super::test_support::TempDir;
use super::*;
use crate::apns::{
    Batch, BatchReport, DisconnectCause, Disconnection, FailureCause, Outcome, Refusal, Verdict,
};
use crate::apns::{DeviceToken, FeedbackTuple, Notification, Payload, Reason, Transport};

const HOUR: i64 = 3_600_000;
const T0: i64 = 1_764_064_800_000;

fn token(index: u32) -> DeviceToken {
    let mut bytes = [0x5au8; 32];
    bytes[..4].copy_from_slice(&index.to_be_bytes());
    DeviceToken::from_bytes(&bytes).unwrap()
}

fn batch(tokens: impl IntoIterator<Item = u32>, alert: &str) -> Batch {
    let tokens: Vec<_> = tokens.into_iter().map(token).collect();
    let mut template = Notification::new(
        tokens[0].clone(),
        Payload::builder().alert_text(alert).build().unwrap(),
    );
    template.topic = Some("com.example.app".parse().unwrap());
    Batch::same_payload(&template, tokens, Transport::Http2).unwrap()
}

fn context(identity: &str) -> BatchContext<'_> {
    BatchContext {
        identity,
        endpoint: "simulator",
        transport: Transport::Http2,
        auth: crate::apns::AuthKind::Certificate,
    }
}

/// Outcome of item `index`: accepted unless it is a multiple of 10 (410 Unregistered),
/// 7 mod 10 (BadDeviceToken), 9 mod 10 (failed) or 3 mod 10 (not sent).
fn outcome(batch: &Batch, index: usize) -> Outcome {
    let item = &batch.items()[index];
    let mut outcome = Outcome::not_sent(item.request.token.clone(), item.apns_id);
    outcome.attempts = 1;
    outcome.latency = Duration::from_micros(1500);
    let refused = |status, reason, timestamp_ms| {
        Verdict::Rejected(Refusal::Http2 {
            status,
            reason,
            timestamp_ms,
            apns_unique_id: None,
        })
    };
    outcome.verdict = match index % 10 {
        0 => refused(410, Reason::Unregistered, Some(T0 as u64 - 5_000)),
        7 => refused(400, Reason::BadDeviceToken, None),
        9 => Verdict::Failed(FailureCause::Disconnected(DisconnectCause::GoAway {
            code: 0,
            name: "NO_ERROR".into(),
        })),
        3 => Verdict::NotSent,
        _ => Verdict::Accepted {
            apns_unique_id: Some("74b78488-82ba-4b70-84a7-992d16ef4929".into()),
        },
    };
    outcome
}

fn answer_all(history: &mut History, recorded: RecordedBatch, batch: &Batch, now: i64) {
    let outcomes: Vec<_> = (0..batch.len()).map(|i| (i, outcome(batch, i))).collect();
    history.apply_outcomes(&recorded, &outcomes, now).unwrap();
    let report = BatchReport {
        outcomes: outcomes.into_iter().map(|(_, o)| o).collect(),
        ..BatchReport::default()
    };
    history
        .finish_batch(recorded, &writer::Aftermath::of(&report), now)
        .unwrap();
}

fn all_ids(history: &History, filter: &Filter, limit: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let page = history.page(filter, cursor, limit).unwrap();
        assert!(page.rows.len() <= limit);
        ids.extend(page.rows.iter().map(|row| row.id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

#[test]
fn rows_are_recorded_in_flight_then_answered_and_the_payload_is_stored_once() {
    let dir = TempDir::new("write");
    let mut history = History::open(&dir.db()).unwrap();
    let first = batch(0..100, "Hello");
    let recorded = history.record_batch(&context("cli"), &first, T0).unwrap();
    let page = history.page(&Filter::default(), None, 500).unwrap();
    assert_eq!(page.rows.len(), 100);
    assert!(page.rows.iter().all(|row| row.state == SendState::InFlight));
    answer_all(&mut history, recorded, &first, T0 + 10);
    let second = batch(100..200, "Hello");
    let recorded = history
        .record_batch(&context("cli"), &second, T0 + HOUR)
        .unwrap();
    answer_all(&mut history, recorded, &second, T0 + HOUR);
    let payloads: i64 = history
        .conn
        .query_row("SELECT count(*) FROM payloads", [], |row| row.get(0))
        .unwrap();
    assert_eq!(payloads, 1, "two batches of one payload store it once");
    let counts = history.counts(&Filter::default()).unwrap();
    assert_eq!(counts.get(SendState::Accepted), 120);
    assert_eq!(counts.get(SendState::Rejected), 40);
    assert_eq!(counts.get(SendState::Failed), 20);
    assert_eq!(counts.get(SendState::Cancelled), 20);
    assert_eq!(counts.total(), 200);
    let row = &history.page(&Filter::default(), None, 1).unwrap().rows[0];
    assert_eq!(row.token, token(199).to_string());
    assert_eq!(row.state, SendState::Failed);
    assert_eq!(row.topic.as_deref(), Some("com.example.app"));
    assert_eq!(row.payload, r#"{"aps":{"alert":"Hello"}}"#);
    assert_eq!(row.latency_us, Some(1500));
    let accepted = &history
        .page(
            &Filter {
                state: Some(SendState::Accepted),
                ..Filter::default()
            },
            None,
            1,
        )
        .unwrap()
        .rows[0];
    assert_eq!(
        accepted.apns_unique_id.as_deref(),
        Some("74b78488-82ba-4b70-84a7-992d16ef4929")
    );
    assert_eq!(accepted.apns_id, second.items()[98].apns_id.to_string());
    history.integrity_check().unwrap();
}

#[test]
fn filters_and_keyset_paging_return_exactly_the_matching_rows() {
    let dir = TempDir::new("filters");
    let mut history = History::open(&dir.db()).unwrap();
    // Three batches an hour apart: two identities, two payloads.
    let batches = [
        (batch(0..50, "Morning news"), "alice", T0),
        (batch(50..120, "Evening news"), "bob", T0 + HOUR),
        (batch(120..200, "Morning news"), "alice", T0 + 2 * HOUR),
    ];
    for (batch, identity, at) in &batches {
        let recorded = history
            .record_batch(&context(identity), batch, *at)
            .unwrap();
        answer_all(&mut history, recorded, batch, *at);
    }
    // What every row is, to check each filter against a plain scan.
    let everything = all_ids(&history, &Filter::default(), 1000);
    let mut expected_rows = Vec::new();
    history
        .for_each_send(&Filter::default(), |row| {
            expected_rows.push(row.clone());
            Ok::<_, ()>(())
        })
        .unwrap()
        .unwrap();
    assert_eq!(everything.len(), 200);
    assert!(everything.windows(2).all(|w| w[0] > w[1]), "newest first");
    let wanted_apns_id = batches[1].0.items()[5].apns_id;
    type Matches = Box<dyn Fn(&SendRow) -> bool>;
    let cases: Vec<(Filter, Matches)> = vec![
        (
            Filter {
                identity: Some("alice".into()),
                ..Filter::default()
            },
            Box::new(|row| row.identity == "alice"),
        ),
        (
            Filter {
                state: Some(SendState::Rejected),
                reason: Some("Unregistered".into()),
                ..Filter::default()
            },
            Box::new(|row| row.reason.as_deref() == Some("Unregistered")),
        ),
        (
            Filter {
                token: Some("0000000".parse().unwrap()),
                ..Filter::default()
            },
            Box::new(|row| row.token.starts_with("0000000")),
        ),
        (
            Filter {
                token: Some(token(77).to_string().parse().unwrap()),
                ..Filter::default()
            },
            Box::new(|row| row.token == token(77).to_string()),
        ),
        (
            Filter {
                apns_id: Some(wanted_apns_id),
                ..Filter::default()
            },
            Box::new(move |row| row.apns_id == wanted_apns_id.to_string()),
        ),
        (
            Filter {
                text: Some("EVENING".into()),
                ..Filter::default()
            },
            Box::new(|row| row.payload.contains("Evening")),
        ),
        (
            Filter {
                since_ms: Some(T0 + HOUR),
                until_ms: Some(T0 + HOUR),
                ..Filter::default()
            },
            Box::new(|row| row.created_ms == T0 + HOUR),
        ),
        (
            Filter {
                identity: Some("alice".into()),
                since_ms: Some(T0 + 1),
                state: Some(SendState::Accepted),
                ..Filter::default()
            },
            Box::new(|row| {
                row.identity == "alice" && row.created_ms > T0 && row.state == SendState::Accepted
            }),
        ),
        (
            Filter {
                endpoint: Some("nowhere".into()),
                ..Filter::default()
            },
            Box::new(|_| false),
        ),
    ];
    for (filter, matches) in cases {
        let expected: Vec<i64> = expected_rows
            .iter()
            .filter(|row| matches(row))
            .map(|row| row.id)
            .collect();
        for limit in [1, 7, 50, 1000] {
            assert_eq!(
                all_ids(&history, &filter, limit),
                expected,
                "{filter:?} limit {limit}"
            );
        }
        // A scroll bar's view: any window by position, and the total it scrolls over.
        assert_eq!(history.matching(&filter).unwrap(), expected.len() as u64);
        for (offset, limit) in [(0, 10), (3, 7), (expected.len().saturating_sub(2), 10)] {
            let window: Vec<i64> = history
                .rows_at(&filter, None, offset as u64, limit)
                .unwrap()
                .iter()
                .map(|row| row.id)
                .collect();
            let wanted: Vec<i64> = expected.iter().skip(offset).take(limit).copied().collect();
            assert_eq!(window, wanted, "{filter:?} offset {offset} limit {limit}");
        }
        let counted = history
            .counts(&Filter {
                state: None,
                ..filter.clone()
            })
            .unwrap();
        if filter.state.is_none() {
            assert_eq!(counted.total(), expected.len() as u64, "{filter:?}");
        }
    }
}

#[test]
fn rows_whose_writer_is_gone_read_as_unknown_never_accepted() {
    let dir = TempDir::new("unknown");
    let mut history = History::open(&dir.db()).unwrap();
    let sent = batch(0..10, "Hi");
    let recorded = history.record_batch(&context("cli"), &sent, T0).unwrap();
    history
        .apply_outcomes(&recorded, &[(1, outcome(&sent, 1))], T0)
        .unwrap();
    let reader = History::open_read_only(&dir.db()).unwrap();
    let live = reader.counts(&Filter::default()).unwrap();
    assert_eq!(
        (live.get(SendState::InFlight), live.get(SendState::Accepted)),
        (9, 1)
    );
    // The process dies: its lock goes with it.
    drop(recorded);
    let dead = reader.counts(&Filter::default()).unwrap();
    assert_eq!(dead.get(SendState::InFlight), 0);
    assert_eq!(dead.get(SendState::Unknown), 9);
    let unknown = Filter {
        state: Some(SendState::Unknown),
        ..Filter::default()
    };
    assert_eq!(reader.page(&unknown, None, 100).unwrap().rows.len(), 9);
}

#[test]
fn the_recorder_thread_writes_answers_and_releases_the_batch() {
    let dir = TempDir::new("recorder");
    let mut history = History::open(&dir.db()).unwrap();
    let sent = batch(0..12_000, "Bulk");
    let recorded = history.record_batch(&context("cli"), &sent, T0).unwrap();
    let recorder = OutcomeRecorder::start(history, recorded).unwrap();
    let outcomes: Vec<_> = (0..sent.len()).map(|i| outcome(&sent, i)).collect();
    for (index, outcome) in outcomes.iter().enumerate() {
        recorder.record(index, outcome.clone());
    }
    let report = BatchReport {
        outcomes,
        disconnections: vec![Disconnection {
            at: std::time::UNIX_EPOCH + Duration::from_millis(T0 as u64 + 1_000),
            cause: DisconnectCause::GoAway {
                code: 0,
                name: "NO_ERROR".into(),
            },
            index: Some(9),
            resent: 0,
        }],
        ..BatchReport::default()
    };
    recorder.finish(&report).unwrap();
    let history = History::open(&dir.db()).unwrap();
    let counts = history.counts(&Filter::default()).unwrap();
    assert_eq!(counts.get(SendState::Accepted), 7_200);
    assert_eq!(
        counts.get(SendState::InFlight) + counts.get(SendState::Unknown),
        0
    );
    let (disconnections, finished): (i64, Option<i64>) = history
        .conn
        .query_row(
            "SELECT (SELECT count(*) FROM disconnections d JOIN sends s ON s.id = d.send_id
                     WHERE d.cause = 'goaway' AND s.error LIKE '%GOAWAY%'),
                    (SELECT finished_ms FROM batches)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        disconnections, 1,
        "the disconnection names the notification it took down"
    );
    assert!(finished.is_some());
    assert_eq!(
        std::fs::read_dir(&dir.0)
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "lock"))
            .count(),
        0
    );
}

#[test]
fn a_token_is_dead_after_410_or_feedback_unless_a_later_send_succeeded() {
    let dir = TempDir::new("unregistered");
    let mut history = History::open(&dir.db()).unwrap();
    let sent = batch(0..20, "Hi");
    let recorded = history.record_batch(&context("cli"), &sent, T0).unwrap();
    answer_all(&mut history, recorded, &sent, T0);
    // 410s: tokens 0 and 10. Feedback: token 5 (accepted at T0, dead an hour later) and
    // token 6 (dead before its accepted send).
    let feedback = [
        FeedbackTuple {
            time: ((T0 + HOUR) / 1000) as u32,
            token: token(5),
        },
        FeedbackTuple {
            time: ((T0 - HOUR) / 1000) as u32,
            token: token(6),
        },
    ];
    history
        .record_feedback(
            "cert",
            "feedback.sandbox.push.apple.com:2196",
            &feedback,
            T0,
        )
        .unwrap();
    let mut dead = Vec::new();
    history
        .for_each_unregistered(|entry| {
            dead.push((entry.token.clone(), entry.sources.clone()));
            Ok::<_, ()>(())
        })
        .unwrap()
        .unwrap();
    dead.sort();
    let mut expected = vec![
        (token(0).to_string(), "http2-410".to_string()),
        (token(10).to_string(), "http2-410".to_string()),
        (token(5).to_string(), "feedback".to_string()),
    ];
    expected.sort();
    assert_eq!(dead, expected);
    // A later accepted send to token 0 brings it back.
    let again = batch([0], "Back");
    let recorded = history
        .record_batch(&context("cli"), &again, T0 + 2 * HOUR)
        .unwrap();
    let mut accepted = outcome(&again, 1 % again.len());
    accepted.verdict = Verdict::Accepted {
        apns_unique_id: None,
    };
    history
        .apply_outcomes(&recorded, &[(0, accepted)], T0 + 2 * HOUR)
        .unwrap();
    assert_eq!(history.unregistered_count().unwrap(), 2);
    let mut list = Vec::new();
    history
        .export_unregistered(UnregisteredFormat::List, &mut list)
        .unwrap();
    let list = String::from_utf8(list).unwrap();
    assert_eq!(list.lines().count(), 2);
    assert!(list.contains(&token(5).to_string()) && list.contains(&token(10).to_string()));
}

#[test]
fn exports_stream_every_matching_row_as_csv_and_json_lines() {
    let dir = TempDir::new("export");
    let mut history = History::open(&dir.db()).unwrap();
    let sent = batch(0..30, "Say \"hi\", then go");
    let recorded = history.record_batch(&context("cli"), &sent, T0).unwrap();
    answer_all(&mut history, recorded, &sent, T0);
    let filter = Filter {
        state: Some(SendState::Rejected),
        ..Filter::default()
    };
    let mut csv = Vec::new();
    assert_eq!(
        history
            .export(&filter, ExportFormat::Csv, &mut csv)
            .unwrap(),
        6
    );
    let csv = String::from_utf8(csv).unwrap();
    let mut lines = csv.split("\r\n");
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("id,time,identity,endpoint,protocol,topic")
    );
    let first = lines.next().unwrap();
    assert!(
        first.contains(",2025-11-25T10:00:00.000Z,cli,simulator,http2,com.example.app,alert,"),
        "{first}"
    );
    assert!(
        first.ends_with(r#","{""aps"":{""alert"":""Say \""hi\"", then go""}}""#),
        "{first}"
    );
    let mut jsonl = Vec::new();
    history
        .export(&filter, ExportFormat::JsonLines, &mut jsonl)
        .unwrap();
    let rows: Vec<serde_json::Value> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0]["state"], "rejected");
    assert_eq!(rows[0]["payload"]["aps"]["alert"], "Say \"hi\", then go");
}

#[test]
fn retention_drops_old_rows_and_what_only_they_used() {
    let dir = TempDir::new("retention");
    let mut history = History::open(&dir.db()).unwrap();
    for (day, alert) in [(0, "old"), (5, "middle"), (9, "new")] {
        let sent = batch(0..100, alert);
        let at = T0 + day * 24 * HOUR;
        let recorded = history.record_batch(&context("cli"), &sent, at).unwrap();
        answer_all(&mut history, recorded, &sent, at);
    }
    assert_eq!(history.retention().unwrap(), None);
    let keep_rows = Retention {
        max_rows: Some(250),
        ..Retention::default()
    };
    history.set_retention(&keep_rows).unwrap();
    assert_eq!(history.retention().unwrap(), Some(keep_rows));
    let report = history.prune(&keep_rows, T0 + 10 * 24 * HOUR).unwrap();
    assert_eq!(report.sends, 50);
    assert_eq!(history.counts(&Filter::default()).unwrap().total(), 250);
    let by_age = Retention {
        max_age_days: Some(3),
        ..Retention::default()
    };
    let report = history.prune(&by_age, T0 + 10 * 24 * HOUR).unwrap();
    assert_eq!(report.sends, 150, "the day-0 and day-5 rows go");
    let left: Vec<String> = history
        .conn
        .prepare("SELECT body FROM payloads")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(left, vec![r#"{"aps":{"alert":"new"}}"#.to_string()]);
    history.integrity_check().unwrap();
}

fn channel_record(time_ms: i64, operation: &'static str, payload: Option<&str>) -> ChannelRecord {
    ChannelRecord {
        time_ms,
        identity: "team key".into(),
        endpoint: "simulator".into(),
        app: "com.example.app".into(),
        operation,
        channel: Some("Y2hhbm5lbA==".into()),
        storage_policy: Some(1),
        payload: payload.map(|body| body.as_bytes().to_vec()),
        priority: payload.map(|_| 5),
        expiration: payload.map(|_| 0),
        status: Some(if operation == "create" { 201 } else { 200 }),
        reason: None,
        detail: Some(format!("{operation} answered")),
        request_id: Some("123e4567-e89b-12d3-a456-426614174000".into()),
        unique_id: None,
        latency_us: Some(2_500),
    }
}

#[test]
fn channel_requests_and_broadcasts_are_a_view_that_pruning_keeps_whole() {
    let dir = TempDir::new("channels");
    let mut history = History::open(&dir.db()).unwrap();
    let update = r#"{"aps":{"event":"update","timestamp":1,"content-state":{}}}"#;
    history
        .record_channel_request(&channel_record(T0, "create", None))
        .unwrap();
    let broadcast = history
        .record_channel_request(&channel_record(T0 + HOUR, "broadcast", Some(update)))
        .unwrap();
    let rows = history
        .view_rows(View::Channels, &Filter::default(), None, 0, 10)
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].id, broadcast, "newest first");
    let get = |row: &ConversationRow, column| row.get(View::Channels, column).cloned();
    assert_eq!(
        get(&rows[0], "operation"),
        Some(Cell::Text("broadcast".into()))
    );
    assert_eq!(get(&rows[0], "payload"), Some(Cell::Text(update.into())));
    assert_eq!(get(&rows[0], "latency_ms"), Some(Cell::Int(2)));
    assert_eq!(get(&rows[1], "status"), Some(Cell::Int(201)));
    assert_eq!(get(&rows[1], "payload"), Some(Cell::Empty));
    let other = Filter {
        identity: Some("someone else".into()),
        ..Filter::default()
    };
    assert_eq!(history.view_count(View::Channels, &other).unwrap(), 0);
    let by_token = Filter {
        token: Some("abcd".parse().unwrap()),
        ..Filter::default()
    };
    assert!(matches!(
        history.view_count(View::Channels, &by_token),
        Err(HistoryError::FilterNotInView { field: "token", .. })
    ));
    // Pruning the sends of a day keeps a younger broadcast and its payload.
    let by_age = Retention {
        max_age_days: Some(1),
        ..Retention::default()
    };
    history.prune(&by_age, T0 + 24 * HOUR + HOUR / 2).unwrap();
    let rows = history
        .view_rows(View::Channels, &Filter::default(), None, 0, 10)
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(get(&rows[0], "payload"), Some(Cell::Text(update.into())));
}
