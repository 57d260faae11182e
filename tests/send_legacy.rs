//! The legacy gateway and feedback clients against the simulator over real TLS.

mod common;

use std::time::Duration;

use common::*;
use push_console::apns::OutcomeKind;
use push_console::apns::{LegacyFormat, Transport};
use push_console::net::{LegacyConfig, LegacySender, read_feedback};
use push_console::simulator::{ReceivedVia, Rules};
use tokio_util::sync::CancellationToken;

fn legacy_sender(
    simulator: &push_console::simulator::Simulator,
    format: LegacyFormat,
    tail: Duration,
) -> LegacySender {
    let mut config = LegacyConfig::new(simulator.legacy_endpoint(), certificate(simulator));
    config.format = format;
    config.tail = tail;
    LegacySender::new(config)
}

const TAIL: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_format_delivers_a_clean_batch() {
    for format in [
        LegacyFormat::Enhanced,
        LegacyFormat::Frame,
        LegacyFormat::Simple,
    ] {
        let simulator = simulator(Rules::default()).await;
        let report = legacy_sender(&simulator, format, TAIL)
            .send(
                &batch(tokens(100), Transport::Legacy(format)),
                None,
                CancellationToken::new(),
            )
            .await;
        assert!(
            report.all_accepted(),
            "{format:?}: {:?}",
            report.failed().next()
        );
        let received = simulator.received();
        assert_eq!(received.len(), 100, "{format:?}");
        assert!(
            received
                .iter()
                .all(|r| r.service == ReceivedVia::Legacy(format))
        );
        assert_eq!(report.possible_duplicates, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_of_a_thousand_is_bad_and_the_other_999_arrive_exactly_once() {
    let all = tokens(1000);
    let simulator = simulator(Rules {
        bad_tokens: vec![all[0].clone()],
        error_response_delay_ms: 1000,
        ..Rules::default()
    })
    .await;
    // The tail must outlast the gateway's delay, as the default 1 s outlasts Apple's 0.1-0.8 s.
    let report = legacy_sender(&simulator, LegacyFormat::Frame, Duration::from_millis(1500))
        .send(
            &batch(all.clone(), Transport::Legacy(LegacyFormat::Frame)),
            None,
            CancellationToken::new(),
        )
        .await;
    assert_eq!(report.outcomes[0].kind(), OutcomeKind::Rejected);
    assert_eq!(
        report.outcomes[0]
            .legacy_status()
            .map(|status| status.code()),
        Some(8)
    );
    assert_eq!(report.count(OutcomeKind::Accepted), 999);
    let counts = received_counts(&simulator);
    assert_eq!(counts.len(), 999);
    assert!(counts.values().all(|&count| count == 1));
    assert!(!counts.contains_key(&all[0]));
    assert!(
        simulator.stats().legacy_discarded > 0,
        "the gateway really discarded the rest once"
    );
    assert_eq!(report.possible_duplicates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_closes_every_n_deliver_everything_at_least_once_and_count_duplicates() {
    let simulator = simulator(Rules {
        close_after_notifications: Some(400),
        ..Rules::default()
    })
    .await;
    let all = tokens(2000);
    let report = legacy_sender(&simulator, LegacyFormat::Frame, TAIL)
        .send(
            &batch(all.clone(), Transport::Legacy(LegacyFormat::Frame)),
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(report.all_accepted(), "{:?}", report.failed().next());
    let counts = received_counts(&simulator);
    assert_eq!(counts.len(), 2000, "every token at least once");
    let duplicates: usize = counts.values().map(|count| count - 1).sum();
    assert!(
        duplicates <= report.possible_duplicates,
        "{duplicates} > {}",
        report.possible_duplicates
    );
    assert!(simulator.stats().connections >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_with_bad_tokens_and_dropped_connections_deliver_every_good_token() {
    let all = tokens(10_000);
    let bad: Vec<_> = all.iter().skip(50).step_by(100).cloned().collect();
    let simulator = simulator(Rules {
        bad_tokens: bad.clone(),
        close_after_notifications: Some(2000),
        error_response_delay_ms: 20,
        ..Rules::default()
    })
    .await;
    let report = legacy_sender(&simulator, LegacyFormat::Frame, TAIL)
        .send(
            &batch(all.clone(), Transport::Legacy(LegacyFormat::Frame)),
            None,
            CancellationToken::new(),
        )
        .await;
    assert_eq!(report.count(OutcomeKind::Rejected), 100);
    assert_eq!(report.count(OutcomeKind::Accepted), 9_900);
    let counts = received_counts(&simulator);
    assert_eq!(counts.len(), 9_900, "every good token at least once");
    assert!(bad.iter().all(|token| !counts.contains_key(token)));
    let duplicates: usize = counts.values().map(|count| count - 1).sum();
    assert!(duplicates <= report.possible_duplicates);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_lists_the_unregistered_tokens() {
    let all = tokens(5);
    let simulator = simulator(Rules {
        unregistered: vec![all[1].clone(), all[3].clone()],
        ..Rules::default()
    })
    .await;
    let read = read_feedback(
        &simulator.feedback_endpoint(),
        &certificate(&simulator),
        Duration::from_secs(5),
        None,
    )
    .await;
    assert!(read.problem.is_none(), "{:?}", read.problem);
    assert_eq!(read.skipped, 0);
    let tuples = read.tuples;
    let tokens: Vec<_> = tuples.iter().map(|tuple| tuple.token.clone()).collect();
    assert_eq!(tokens, vec![all[1].clone(), all[3].clone()]);
    assert!(
        tuples
            .iter()
            .all(|tuple| u64::from(tuple.time) + 60 >= now())
    );
}
