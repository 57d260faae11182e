//! The legacy gateway and feedback clients against the simulator over real TLS.

mod common;

use std::time::Duration;

use common::*;
use push_console::apns::{BatchReport, DeviceToken, FailureCause, OutcomeKind, SendEvent, Verdict};
use push_console::apns::{LegacyFormat, Transport};
use push_console::net::{FeedbackLimits, LegacyConfig, LegacySender, read_feedback};
use push_console::simulator::{LegacyAnswer, ReceivedVia, Rules};
use tokio_util::sync::CancellationToken;

fn legacy_sender(
    simulator: &push_console::simulator::Simulator,
    format: LegacyFormat,
    configure: impl FnOnce(&mut LegacyConfig),
) -> LegacySender {
    let mut config = LegacyConfig::new(simulator.legacy_endpoint(), certificate(simulator));
    config.format = format;
    configure(&mut config);
    LegacySender::new(config)
}

/// The defaults a user gets.
fn defaults(_: &mut LegacyConfig) {}

/// A short answer wait, for gateways that are known to answer quickly or never.
fn short_wait(config: &mut LegacyConfig) {
    config.answer_wait = Duration::from_millis(300);
}

async fn send(
    sender: &LegacySender,
    tokens: Vec<DeviceToken>,
    format: LegacyFormat,
) -> BatchReport {
    sender
        .send(
            &batch(tokens, Transport::Legacy(format)),
            None,
            CancellationToken::new(),
        )
        .await
}

/// A gateway that answers the notification to `token` with the error-response `status`,
/// quickly.
fn answering(token: &DeviceToken, status: u8) -> Rules {
    Rules {
        legacy_answers: vec![LegacyAnswer {
            token: token.clone(),
            status,
        }],
        error_response_delay_ms: 20,
        ..Rules::default()
    }
}

fn duplicates(simulator: &push_console::simulator::Simulator) -> usize {
    received_counts(simulator)
        .values()
        .map(|count| count - 1)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_format_delivers_a_clean_batch_and_only_confirmable_ones_count_as_accepted() {
    for format in [
        LegacyFormat::Enhanced,
        LegacyFormat::Frame,
        LegacyFormat::Simple,
    ] {
        let simulator = simulator(Rules::default()).await;
        // The gateway answers a confirmation 0.5 s late, as Apple's did; the simple
        // format has nothing to wait for.
        let configure = if format == LegacyFormat::Simple {
            short_wait
        } else {
            defaults
        };
        let report = send(
            &legacy_sender(&simulator, format, configure),
            tokens(100),
            format,
        )
        .await;
        let expected = if format == LegacyFormat::Simple {
            // No identifiers, so no confirmation: sent, and nothing more is known.
            OutcomeKind::Unconfirmed
        } else {
            OutcomeKind::Accepted
        };
        assert_eq!(
            report.count(expected),
            100,
            "{format:?}: {:?}",
            report.outcomes.first()
        );
        let received = simulator.received();
        assert_eq!(received.len(), 100, "{format:?}");
        assert!(
            received
                .iter()
                .all(|r| r.service == ReceivedVia::Legacy(format))
        );
        assert!(
            report.outcomes.iter().all(|outcome| outcome.attempts == 1),
            "{format:?}: each written once: {:?}",
            report.outcomes.iter().map(|o| o.attempts).max()
        );
        assert_eq!(report.possible_duplicates, 0);
        assert!(
            report.disconnections.is_empty(),
            "{:?}",
            report.disconnections
        );
    }
}

/// The seed's worst case: the first of 1,000 frame notifications has a bad token, and the
/// gateway's error-response comes `delay_ms` later, after it discarded everything else.
async fn the_first_of_a_thousand_is_bad(delay_ms: u64) {
    let all = tokens(1000);
    let simulator = simulator(Rules {
        bad_tokens: vec![all[0].clone()],
        error_response_delay_ms: delay_ms,
        ..Rules::default()
    })
    .await;
    let format = LegacyFormat::Frame;
    let report = send(
        &legacy_sender(&simulator, format, defaults),
        all.clone(),
        format,
    )
    .await;
    assert_eq!(report.outcomes[0].kind(), OutcomeKind::Rejected);
    assert_eq!(
        report.outcomes[0]
            .legacy_status()
            .map(|status| status.code()),
        Some(8)
    );
    assert_eq!(report.count(OutcomeKind::Accepted), 999, "{delay_ms} ms");
    let counts = received_counts(&simulator);
    assert_eq!(counts.len(), 999);
    assert!(counts.values().all(|&count| count == 1), "exactly once");
    assert!(!counts.contains_key(&all[0]));
    assert!(
        simulator.stats().legacy_discarded > 0,
        "the gateway really discarded the rest once"
    );
    assert_eq!(report.possible_duplicates, 0);
    let [error_response] = &report.disconnections[..] else {
        panic!("one error-response: {:?}", report.disconnections);
    };
    assert_eq!(error_response.index, Some(0));
    assert_eq!(
        error_response.resent, 999,
        "what the gateway discarded went again"
    );
    assert_eq!(report.resent, 999);
    assert!(
        report.outcomes.iter().all(|outcome| outcome.attempts == 1),
        "a resend of what the gateway discarded unread is not another attempt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worst_case_with_a_fast_gateway() {
    the_first_of_a_thousand_is_bad(100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worst_case_with_an_error_response_a_second_late() {
    the_first_of_a_thousand_is_bad(1000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worst_case_with_an_error_response_two_seconds_late() {
    the_first_of_a_thousand_is_bad(2000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_closes_every_n_deliver_everything_and_never_undercount_duplicates() {
    let simulator = simulator(Rules {
        close_after_notifications: Some(300),
        error_response_delay_ms: 20,
        ..Rules::default()
    })
    .await;
    let format = LegacyFormat::Frame;
    let report = send(
        &legacy_sender(&simulator, format, defaults),
        tokens(1000),
        format,
    )
    .await;
    assert_eq!(
        report.count(OutcomeKind::Accepted),
        1000,
        "{:?}",
        report.failed().next()
    );
    let counts = received_counts(&simulator);
    assert_eq!(counts.len(), 1000, "every token at least once");
    let duplicates = duplicates(&simulator);
    assert!(
        duplicates <= report.possible_duplicates,
        "{duplicates} > {}",
        report.possible_duplicates
    );
    let silent: Vec<_> = report
        .disconnections
        .iter()
        .filter(|d| d.cause == push_console::apns::DisconnectCause::SilentClose)
        .collect();
    assert!(!silent.is_empty());
    assert_eq!(
        silent.iter().map(|d| d.resent).sum::<usize>(),
        report.possible_duplicates,
        "each close says what it caused to be sent again"
    );
    assert_eq!(report.resent, report.possible_duplicates);
    // Rounds halve after each close and stay there: 1,000 and 500 are cut short at 300,
    // then four rounds of 250 go through.
    assert_eq!(
        simulator.stats().connections,
        6,
        "{:?}",
        report.disconnections
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirming_every_n_keeps_a_silently_closing_gateway_from_duplicating_anything() {
    let simulator = simulator(Rules {
        close_after_notifications: Some(300),
        error_response_delay_ms: 20,
        ..Rules::default()
    })
    .await;
    let format = LegacyFormat::Enhanced;
    let sender = legacy_sender(&simulator, format, |config| {
        config.confirm_every = Some(250);
    });
    let report = send(&sender, tokens(1000), format).await;
    assert_eq!(report.count(OutcomeKind::Accepted), 1000);
    assert_eq!(duplicates(&simulator), 0);
    assert_eq!(report.possible_duplicates, 0);
    assert_eq!(simulator.stats().connections, 4, "one connection per round");
}

/// A round holds `confirm_every` notifications even when they take several writes: with
/// 1.5 KB payloads, 128 KiB holds about 80 of them, so each round of 250 is four writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_longer_than_one_write_still_ends_at_its_confirmation() {
    let simulator = simulator(Rules::default()).await;
    let format = LegacyFormat::Frame;
    let sender = legacy_sender(&simulator, format, |config| {
        config.confirm_every = Some(250);
    });
    let long_alert = alert(&"a".repeat(1500));
    let batch = push_console::apns::Batch::same_payload(
        &long_alert,
        tokens(600),
        Transport::Legacy(format),
    )
    .expect("batch");
    let report = sender.send(&batch, None, CancellationToken::new()).await;
    assert_eq!(report.count(OutcomeKind::Accepted), 600);
    let mut per_connection = std::collections::BTreeMap::<u64, usize>::new();
    for received in simulator.received() {
        *per_connection.entry(received.connection).or_default() += 1;
    }
    assert_eq!(
        per_connection.into_values().collect::<Vec<_>>(),
        [250, 250, 100],
        "600 notifications in rounds of 250"
    );
    assert_eq!(duplicates(&simulator), 0);
}

/// A gateway going down for maintenance answers "shutdown" (10) naming the last notification
/// it delivered: that one and those before it are accepted, the rest go again once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_accepts_what_it_names_and_resends_the_rest_once() {
    let all = tokens(100);
    let simulator = simulator(answering(&all[40], 10)).await;
    let format = LegacyFormat::Frame;
    let report = send(&legacy_sender(&simulator, format, defaults), all, format).await;
    assert_eq!(
        report.count(OutcomeKind::Accepted),
        100,
        "{:?}",
        report.outcomes[40]
    );
    let counts = received_counts(&simulator);
    assert_eq!(counts.len(), 100);
    assert!(counts.values().all(|&count| count == 1), "exactly once");
    assert_eq!(report.possible_duplicates, 0);
    let [shutdown] = &report.disconnections[..] else {
        panic!("one shutdown: {:?}", report.disconnections);
    };
    assert_eq!(shutdown.index, Some(40));
    assert_eq!(shutdown.resent, 59);
    assert_eq!(report.resent, 59);
}

/// A status that would fail every notification after it the same way (here 7, invalid
/// payload size: they share the payload) ends the batch there, and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_that_would_fail_the_rest_stops_them_and_says_how_many() {
    let all = tokens(50);
    let simulator = simulator(answering(&all[10], 7)).await;
    let format = LegacyFormat::Enhanced;
    let report = send(&legacy_sender(&simulator, format, defaults), all, format).await;
    assert_eq!(report.count(OutcomeKind::Accepted), 10);
    assert_eq!(
        report.outcomes[10]
            .legacy_status()
            .map(|status| status.code()),
        Some(7)
    );
    assert_eq!(report.count(OutcomeKind::Failed), 39);
    assert!(
        report.outcomes[11..].iter().all(|outcome| outcome.verdict
            == Verdict::Failed(FailureCause::StoppedEarlier(
                push_console::apns::legacy::LegacyStatus::InvalidPayloadSize
            ))),
        "{:?}",
        report.outcomes[11]
    );
    assert_eq!(
        report.errors,
        vec![
            "39 notifications were not delivered: the gateway stopped at an earlier one with \"invalid payload size (7)\", which would fail them too"
                .to_string()
        ]
    );
    assert_eq!(simulator.received().len(), 10);
    assert_eq!(report.resent, 0);
}

/// When the refused notification is the last one, nothing else is named as stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_last_notification_stops_nothing_else() {
    let all = tokens(5);
    let simulator = simulator(answering(&all[4], 3)).await;
    let format = LegacyFormat::Frame;
    let report = send(&legacy_sender(&simulator, format, defaults), all, format).await;
    assert_eq!(report.count(OutcomeKind::Accepted), 4);
    assert_eq!(report.count(OutcomeKind::Rejected), 1);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_answers_nothing_confirms_nothing() {
    let all = tokens(50);
    let simulator = simulator(Rules {
        bad_tokens: vec![all[20].clone()],
        legacy_never_answers: true,
        ..Rules::default()
    })
    .await;
    let format = LegacyFormat::Frame;
    let report = send(&legacy_sender(&simulator, format, short_wait), all, format).await;
    assert_eq!(
        report.count(OutcomeKind::Accepted),
        0,
        "nothing proves delivery"
    );
    assert_eq!(report.count(OutcomeKind::Unconfirmed), 50);
    assert_eq!(
        simulator.received().len(),
        20,
        "the gateway dropped the rest"
    );
}

/// A gateway that closes silently after every notification, so nothing is ever confirmed:
/// each notification left alone in flight is given up after `max_attempts` such closes,
/// and after three times `max_attempts` of them in a row the batch stops, the rest failed
/// with the gateway named as refusing everything. Progress counts the whole batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_closes_after_every_notification_is_given_up_in_counted_steps() {
    let simulator = simulator(Rules {
        close_after_notifications: Some(1),
        ..Rules::default()
    })
    .await;
    let format = LegacyFormat::Enhanced;
    let sender = legacy_sender(&simulator, format, |config| {
        config.max_attempts = 2;
        short_wait(config);
    });
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let report = sender
        .send(
            &batch(tokens(8), Transport::Legacy(format)),
            Some(events),
            CancellationToken::new(),
        )
        .await;
    // 3 x 2 = 6 solo closes in a row: two for each of the first three notifications.
    for outcome in &report.outcomes[..3] {
        assert!(
            matches!(
                outcome.verdict,
                Verdict::Failed(FailureCause::GaveUp { closes: 2 })
            ),
            "{outcome:?}"
        );
    }
    for outcome in &report.outcomes[3..] {
        assert!(
            matches!(
                outcome.verdict,
                Verdict::Failed(FailureCause::GatewayRefusedAll(_))
            ),
            "{outcome:?}"
        );
    }
    assert_eq!(report.outcomes.len(), 8);
    // Not hammered: from the first solo close on, each new connection waits 0.5 s, 1 s,
    // 2 s, then 4 s; here nine waits, 21.5 s in all.
    assert!(
        report.elapsed >= Duration::from_secs(10),
        "{:?}",
        report.elapsed
    );
    let mut progress = Vec::new();
    while let Ok(event) = received.try_recv() {
        if let SendEvent::Progress(told) = event {
            progress.push(told);
        }
    }
    assert!(
        progress.len() >= 2,
        "told as it went, not only at the end: {progress:?}"
    );
    let last = progress.last().expect("progress was told");
    assert_eq!((last.total, last.done, last.failed), (8, 8, 8), "{last:?}");
    assert!(
        report
            .errors
            .iter()
            .any(|error| error.contains("times without an error-response")),
        "{:?}",
        report.errors
    );
}

/// A gateway that cannot be reached (here one that closes each connection before TLS):
/// connecting is tried `max_attempts` times, 0.5 s and then 1 s apart, and then every
/// notification fails with the reason, recorded as the batch's one disconnection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_gateway_is_tried_max_attempts_times_then_every_notification_fails() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let simulator = simulator(Rules::default()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let connects = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connects);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(tcp);
        }
    });
    let format = LegacyFormat::Enhanced;
    let sender = legacy_sender(&simulator, format, |config| config.endpoint.port = port);
    let report = send(&sender, tokens(4), format).await;
    assert_eq!(connects.load(Ordering::SeqCst), 3, "max_attempts connects");
    assert!(
        report.elapsed >= Duration::from_millis(1_400),
        "0.5 s and then 1 s between them: {:?}",
        report.elapsed
    );
    assert_eq!(
        report.count(OutcomeKind::Failed),
        4,
        "{:?}",
        report.outcomes
    );
    assert_eq!(
        report.disconnections.len(),
        1,
        "{:?}",
        report.disconnections
    );
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simple_format_never_claims_delivery_and_gives_up_the_notification_that_closes() {
    let all = tokens(10);
    let simulator = simulator(Rules {
        bad_tokens: vec![all[0].clone()],
        error_response_delay_ms: 20,
        ..Rules::default()
    })
    .await;
    let format = LegacyFormat::Simple;
    let report = send(
        &legacy_sender(&simulator, format, short_wait),
        all.clone(),
        format,
    )
    .await;
    assert_eq!(report.count(OutcomeKind::Accepted), 0);
    assert_eq!(
        report.outcomes[0].kind(),
        OutcomeKind::Failed,
        "{:?}",
        report.outcomes[0]
    );
    assert_eq!(report.count(OutcomeKind::Unconfirmed), 9);
    let counts = received_counts(&simulator);
    assert!(all[1..].iter().all(|token| counts.contains_key(token)));
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
    let format = LegacyFormat::Frame;
    let report = send(
        &legacy_sender(&simulator, format, short_wait),
        all.clone(),
        format,
    )
    .await;
    assert_eq!(report.count(OutcomeKind::Rejected), 100);
    assert_eq!(report.count(OutcomeKind::Accepted), 9_900);
    let counts = received_counts(&simulator);
    assert_eq!(counts.len(), 9_900, "every good token at least once");
    assert!(bad.iter().all(|token| !counts.contains_key(token)));
    assert!(duplicates(&simulator) <= report.possible_duplicates);
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
        FeedbackLimits {
            idle: Duration::from_secs(5),
            ..FeedbackLimits::default()
        },
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
