//! The HTTP/2 client and batch sender against the simulator over real TLS on 127.0.0.1.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::*;
use push_console::apns::{OutcomeKind, SendEvent, Verdict};
use push_console::apns::{Reason, Transport};
use push_console::net::{Clock, system_clock};
use push_console::simulator::{FlakyToken, ReceivedVia, Rules};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_auth_delivers_and_the_simulator_received_exactly_that() {
    let simulator = simulator(Rules::default()).await;
    let batch = batch(tokens(50), Transport::Http2);
    let report = cert_sender(&simulator)
        .send(&batch, None, CancellationToken::new())
        .await;
    assert!(report.all_accepted(), "{:?}", report.failed().next());
    let received = simulator.received();
    assert_eq!(received.len(), 50);
    let sent: HashSet<_> = batch
        .items()
        .iter()
        .map(|item| (item.request.token.clone(), item.apns_id))
        .collect();
    let got: HashSet<_> = received
        .iter()
        .map(|r| (r.token.clone(), r.apns_id.expect("apns-id sent")))
        .collect();
    assert_eq!(sent, got);
    for record in &received {
        assert_eq!(record.service, ReceivedVia::Http2);
        assert_eq!(record.topic.as_deref(), Some(TOPIC));
        assert_eq!(
            record.payload,
            br#"{"aps":{"alert":"Hello from the tests"}}"#
        );
    }
    for outcome in &report.outcomes {
        assert_eq!(outcome.kind(), OutcomeKind::Accepted);
        assert_eq!(outcome.attempts, 1);
        assert!(outcome.apns_unique_id().is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_auth_delivers_and_reuses_one_provider_token() {
    let simulator = simulator(Rules::default()).await;
    let issuer = token_issuer(&simulator);
    let sender = token_sender(&simulator, Arc::clone(&issuer), system_clock());
    let report = sender
        .send(
            &batch(tokens(20), Transport::Http2),
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(report.all_accepted(), "{:?}", report.failed().next());
    assert_eq!(simulator.received().len(), 20);
    let issued = issuer
        .lock()
        .unwrap()
        .current()
        .expect("a token was made")
        .issued_at();
    let again = sender
        .send(
            &batch(tokens(5), Transport::Http2),
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(again.all_accepted());
    assert_eq!(
        issuer.lock().unwrap().current().unwrap().issued_at(),
        issued,
        "not renewed per request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_token_is_renewed_by_age_with_an_injected_clock() {
    let simulator = simulator(Rules::default()).await;
    let issuer = token_issuer(&simulator);
    // The clock starts 55 minutes in the past: the first token is valid but old.
    let offset = Arc::new(AtomicU64::new(55 * 60));
    let clock_offset = Arc::clone(&offset);
    let clock: Clock = Arc::new(move || now() - clock_offset.load(Ordering::SeqCst));
    let sender = token_sender(&simulator, Arc::clone(&issuer), clock);
    assert!(
        sender
            .send(
                &batch(tokens(3), Transport::Http2),
                None,
                CancellationToken::new()
            )
            .await
            .all_accepted()
    );
    let first = issuer.lock().unwrap().current().unwrap().issued_at();
    // 49 minutes later by the injected clock: still reused.
    offset.store(6 * 60, Ordering::SeqCst);
    assert!(
        sender
            .send(
                &batch(tokens(3), Transport::Http2),
                None,
                CancellationToken::new()
            )
            .await
            .all_accepted()
    );
    assert_eq!(issuer.lock().unwrap().current().unwrap().issued_at(), first);
    // 50 minutes after issue: renewed, and the new token is accepted.
    offset.store(5 * 60, Ordering::SeqCst);
    assert!(
        sender
            .send(
                &batch(tokens(3), Transport::Http2),
                None,
                CancellationToken::new()
            )
            .await
            .all_accepted()
    );
    assert_eq!(
        issuer.lock().unwrap().current().unwrap().issued_at(),
        first + 50 * 60
    );
    assert_eq!(simulator.received().len(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_provider_token_that_is_too_young_to_renew_blames_the_clock() {
    let simulator = simulator(Rules::default()).await;
    let issuer = token_issuer(&simulator);
    // This computer's clock is two hours slow: every token looks expired to APNs.
    let clock: Clock = Arc::new(|| now() - 2 * 60 * 60);
    let sender = token_sender(&simulator, issuer, clock);
    let report = sender
        .send(
            &batch(tokens(1), Transport::Http2),
            None,
            CancellationToken::new(),
        )
        .await;
    let outcome = &report.outcomes[0];
    assert_eq!(outcome.kind(), OutcomeKind::Rejected);
    assert_eq!(
        outcome.reason().cloned(),
        Some(Reason::ExpiredProviderToken)
    );
    assert!(
        matches!(&outcome.verdict, Verdict::Rejected(refusal) if refusal.to_string().contains("clock")),
        "{outcome:?}"
    );
    assert_eq!(
        outcome.attempts, 1,
        "a token too young to renew is not renewed"
    );
    assert!(simulator.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_gives_its_reason_and_retries_follow_the_protocol() {
    let all = tokens(6);
    let rules = Rules {
        bad_tokens: vec![all[1].clone()],
        unregistered: vec![all[2].clone()],
        throttled: vec![all[3].clone()],
        flaky: vec![FlakyToken {
            token: all[4].clone(),
            failures: 2,
        }],
        ..Rules::default()
    };
    let simulator = simulator(rules).await;
    let report = cert_sender(&simulator)
        .send(
            &batch(all.clone(), Transport::Http2),
            None,
            CancellationToken::new(),
        )
        .await;
    let by_index = |index: usize| &report.outcomes[index];
    assert_eq!(by_index(0).kind(), OutcomeKind::Accepted);
    assert_eq!(
        (by_index(1).http_status(), by_index(1).reason().cloned()),
        (Some(400), Some(Reason::BadDeviceToken))
    );
    assert_eq!(by_index(1).attempts, 1, "BadDeviceToken is never retried");
    assert_eq!(
        (by_index(2).http_status(), by_index(2).reason().cloned()),
        (Some(410), Some(Reason::Unregistered))
    );
    let timestamp = by_index(2)
        .unregistered_since_ms()
        .expect("410 carries a timestamp");
    assert!(
        timestamp / 1000 + 60 >= now() && timestamp / 1000 <= now() + 60,
        "milliseconds near now"
    );
    assert_eq!(by_index(2).attempts, 1);
    assert_eq!(by_index(3).reason().cloned(), Some(Reason::TooManyRequests));
    assert_eq!(
        by_index(3).attempts,
        4,
        "429 retried after a delay up to max_attempts"
    );
    assert_eq!(
        by_index(4).kind(),
        OutcomeKind::Accepted,
        "503 twice, then accepted"
    );
    assert_eq!(by_index(4).attempts, 3);
    assert_eq!(by_index(5).kind(), OutcomeKind::Accepted);
    let counts = received_counts(&simulator);
    assert_eq!(counts.len(), 3);
    assert!([0, 4, 5].iter().all(|&i| counts[&all[i]] == 1));
    // The retry batch holds what may still succeed: the throttled token only.
    let retry = report.retry_batch(&batch(all.clone(), Transport::Http2));
    let retry_tokens: Vec<_> = retry
        .items()
        .iter()
        .map(|item| item.request.token.clone())
        .collect();
    assert_eq!(retry_tokens, vec![all[3].clone()]);
    assert!(report.needs_retry());
}

/// 2,000 notifications over `connections` connections to a simulator that sends GOAWAY
/// after every 300 streams: each is delivered exactly once.
async fn through_goaways_every_300(connections: usize) -> push_console::simulator::Simulator {
    let simulator = simulator(Rules {
        goaway_after_streams: Some(300),
        ..Rules::default()
    })
    .await;
    let mut sender = cert_sender(&simulator);
    sender.connections = connections;
    let report = sender
        .send(
            &batch(tokens(2000), Transport::Http2),
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(report.all_accepted(), "{:?}", report.failed().next());
    let counts = received_counts(&simulator);
    assert_eq!(counts.len(), 2000);
    assert!(
        counts.values().all(|&count| count == 1),
        "each delivered exactly once"
    );
    simulator
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goaway_mid_batch_moves_the_rest_to_a_new_connection() {
    let simulator = through_goaways_every_300(1).await;
    assert!(
        simulator.stats().connections >= 7,
        "{:?}",
        simulator.stats()
    );
}

/// How many notifications the simulator took on each connection, by connection id.
fn per_connection(simulator: &push_console::simulator::Simulator) -> Vec<(u64, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for received in simulator.received() {
        *counts.entry(received.connection).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_two_connections_shares_it_between_them() {
    let simulator = simulator(Rules::default()).await;
    let mut sender = cert_sender(&simulator);
    sender.connections = 2;
    let report = sender
        .send(
            &batch(tokens(1000), Transport::Http2),
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(report.all_accepted(), "{:?}", report.failed().next());
    assert!(
        received_counts(&simulator)
            .values()
            .all(|&count| count == 1)
    );
    let shares = per_connection(&simulator);
    assert_eq!(shares.len(), 2, "two connections: {shares:?}");
    assert!(
        shares.iter().all(|&(_, count)| count >= 100),
        "each carries a share: {shares:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goaways_on_two_connections_each_move_only_their_own_streams() {
    let simulator = through_goaways_every_300(2).await;
    let shares = per_connection(&simulator);
    assert!(
        shares.iter().all(|&(_, count)| count <= 300),
        "no connection took more than its GOAWAY allows: {shares:?}"
    );
    assert!(shares.len() >= 7, "{shares:?}");
    // The first two connections were open side by side, one per lane.
    assert!(
        shares[..2].iter().all(|&(_, count)| count > 0),
        "{shares:?}"
    );
}

/// A server that sends GOAWAY as each connection opens (a GOAWAY flood): the batch ends,
/// every notification failed with the GOAWAY or refusal named, nothing is called sent,
/// and the connections chased are bounded by the refusals and attempts allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_going_away_on_every_connection_is_not_chased_forever() {
    let simulator = simulator(Rules {
        goaway_after_streams: Some(0),
        ..Rules::default()
    })
    .await;
    let sender = cert_sender(&simulator);
    let count = 10;
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        sender.send(
            &batch(tokens(count), Transport::Http2),
            None,
            CancellationToken::new(),
        ),
    )
    .await
    .expect("the batch ends");
    assert!(simulator.received().is_empty());
    assert_eq!(
        report.count(OutcomeKind::Failed),
        count,
        "{:?}",
        report.outcomes
    );
    for outcome in &report.outcomes {
        let Verdict::Failed(cause) = &outcome.verdict else {
            panic!("{outcome:?}");
        };
        let words = cause.to_string();
        assert!(
            words.contains("GOAWAY") || words.contains("refused"),
            "names what the server did: {words}"
        );
    }
    // Per notification at most 16 refusals that do not count, then its attempts; the
    // notifications in flight share each connection the server turns away.
    let bound = count as u64 * (16 + u64::from(sender.retry.max_attempts));
    let connections = simulator.stats().connections;
    assert!(
        (2..=bound).contains(&connections),
        "{connections} connections, bound {bound}"
    );
    assert!(report.disconnections.len() as u64 <= connections);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_one_stream_start_of_token_auth_is_honoured() {
    let simulator = simulator(Rules {
        token_auth_single_stream: true,
        ..Rules::default()
    })
    .await;
    let mut sender = token_sender(&simulator, token_issuer(&simulator), system_clock());
    sender.concurrency = 50;
    let report = sender
        .send(
            &batch(tokens(200), Transport::Http2),
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(report.all_accepted(), "{:?}", report.failed().next());
    assert_eq!(simulator.received().len(), 200);
    assert_eq!(simulator.stats().max_concurrent_streams_seen, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_mid_batch_reports_exactly_what_was_not_sent() {
    let simulator = simulator(Rules {
        response_delay_ms: 20,
        ..Rules::default()
    })
    .await;
    let mut sender = cert_sender(&simulator);
    sender.concurrency = 10;
    let batch = batch(tokens(2000), Transport::Http2);
    let cancel = CancellationToken::new();
    let (events, mut receiver) = mpsc::unbounded_channel();
    let watcher_cancel = cancel.clone();
    let watcher = tokio::spawn(async move {
        let mut outcomes = 0;
        while let Some(event) = receiver.recv().await {
            if let SendEvent::Outcome { .. } = event {
                outcomes += 1;
                if outcomes == 100 {
                    watcher_cancel.cancel();
                }
            }
        }
    });
    let report = sender.send(&batch, Some(events), cancel).await;
    watcher.await.unwrap();
    assert!(report.cancelled);
    let not_sent = report.count(OutcomeKind::NotSent);
    let accepted = report.count(OutcomeKind::Accepted);
    assert!(
        not_sent > 1000,
        "most of the batch was never sent: {not_sent}"
    );
    assert_eq!(accepted + not_sent, 2000);
    let received: HashSet<_> = simulator.received().into_iter().map(|r| r.token).collect();
    let accepted_tokens: HashSet<_> = report
        .outcomes
        .iter()
        .filter(|o| o.kind() == OutcomeKind::Accepted)
        .map(|o| o.token.clone())
        .collect();
    assert_eq!(
        received, accepted_tokens,
        "what the simulator got is exactly what was reported accepted"
    );
    assert_eq!(report.retry_batch(&batch).len(), not_sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_with_bad_tokens_and_dropped_connections_deliver_every_good_token_once() {
    let all = tokens(10_000);
    let bad: Vec<_> = all.iter().step_by(100).cloned().collect();
    let simulator = simulator(Rules {
        bad_tokens: bad.clone(),
        close_after_notifications: Some(2000),
        ..Rules::default()
    })
    .await;
    let mut sender = cert_sender(&simulator);
    sender.concurrency = 200;
    let report = sender
        .send(
            &batch(all.clone(), Transport::Http2),
            None,
            CancellationToken::new(),
        )
        .await;
    assert_eq!(report.count(OutcomeKind::Rejected), 100);
    assert_eq!(report.count(OutcomeKind::Accepted), 9_900);
    let counts = received_counts(&simulator);
    assert_eq!(counts.len(), 9_900);
    assert!(
        counts.values().all(|&count| count == 1),
        "every good token exactly once"
    );
    assert!(bad.iter().all(|token| !counts.contains_key(token)));
    assert!(simulator.stats().connections >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_fails_every_token_with_a_reason() {
    let simulator = simulator(Rules::default()).await;
    let sender = cert_sender(&simulator);
    simulator.shutdown().await;
    let report = sender
        .send(
            &batch(tokens(3), Transport::Http2),
            None,
            CancellationToken::new(),
        )
        .await;
    assert_eq!(report.count(OutcomeKind::Failed), 3);
    for outcome in &report.outcomes {
        assert!(
            outcome
                .failure()
                .map(ToString::to_string)
                .unwrap_or_default()
                .contains("cannot connect"),
            "{outcome:?}"
        );
        assert_eq!(outcome.attempts, 4);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_reuses_connects_lazily_and_outdates_idle_connections() {
    use push_console::net::{Http2Auth, Http2Config, Pool, PoolKey, SharedHeaders};
    let simulator = simulator(Rules::default()).await;
    let pool = Pool::new();
    assert_eq!(
        simulator.stats().connections,
        0,
        "nothing connects before use"
    );
    let mut config = Http2Config::new(
        simulator.http2_endpoint(),
        Http2Auth::Certificate(certificate(&simulator)),
    );
    // Pings every 50 ms keep an idle connection alive and prove it still answers.
    config.keepalive_interval = std::time::Duration::from_millis(50);
    let key = PoolKey::of(&config);
    let mut first = pool.get(&key, &config).await.unwrap();
    let again = pool.get(&key, &config).await.unwrap();
    assert_eq!(first.id(), again.id());
    let fresh = pool.fresh(&config).await.unwrap();
    assert_ne!(fresh.id(), first.id());
    assert_eq!(simulator.stats().connections, 2);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !first.is_closed(),
        "answered keep-alive pings keep the connection open"
    );
    let item = batch(tokens(1), Transport::Http2).items()[0].clone();
    assert!(
        first
            .send(&item.request, &SharedHeaders::of(&item.request.headers))
            .await
            .unwrap()
            .response
            .is_accepted()
    );
    assert_eq!(pool.outdate(std::time::Duration::from_millis(100)).await, 0);
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    assert_eq!(pool.outdate(std::time::Duration::from_millis(100)).await, 1);
    assert!(first.is_closed());
    let replaced = pool.get(&key, &config).await.unwrap();
    assert_ne!(replaced.id(), first.id());
    pool.shutdown().await;
    assert!(pool.is_empty().await);
    assert!(replaced.is_closed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_goes_out_before_it_is_released_and_a_release_that_stops_leaves_the_rest_unsent() {
    let simulator = simulator(Rules::default()).await;
    let sender = Arc::new(cert_sender(&simulator));
    let batch = Arc::new(batch(tokens(300), Transport::Http2));
    // The history releases items as their rows are written; here the test plays the
    // history: 40 now, 120 later, then it stops (as a writer that failed would).
    let (release, released) = tokio::sync::watch::channel(40);
    let send = tokio::spawn({
        let (sender, batch) = (Arc::clone(&sender), Arc::clone(&batch));
        async move {
            sender
                .send_released(&batch, None, CancellationToken::new(), Some(released))
                .await
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while simulator.received().len() < 40 {
        assert!(std::time::Instant::now() < deadline, "the first 40 go out");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // Given time, still no more than was released.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(simulator.received().len(), 40);
    release.send_replace(120);
    drop(release);
    let report = send.await.expect("the send ends");
    assert_eq!(report.count(OutcomeKind::Accepted), 120);
    assert_eq!(report.count(OutcomeKind::NotSent), 180);
    let received: HashSet<_> = simulator.received().into_iter().map(|r| r.token).collect();
    let released_tokens: HashSet<_> = batch.items()[..120]
        .iter()
        .map(|item| item.request.token.clone())
        .collect();
    assert_eq!(
        received, released_tokens,
        "the first 120, in the batch's order"
    );
    for (index, outcome) in report.outcomes.iter().enumerate() {
        let expected = if index < 120 {
            OutcomeKind::Accepted
        } else {
            OutcomeKind::NotSent
        };
        assert_eq!(outcome.kind(), expected, "item {index}");
    }
}
