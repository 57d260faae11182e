//! The simulator's HTTP/2 API over real TLS on 127.0.0.1, driven by the raw
//! client in `simulator_client`, independent of `push_console::net`.

mod simulator_client;

use std::time::Duration;

use push_console::apns::{KeyId, ProviderToken, SigningKey, TeamId, TokenIssuer};
use push_console::simulator::{
    FlakyToken, ReceivedVia, Rules, Simulator, SimulatorConfig, SimulatorError,
};
use simulator_client::*;
use tokio::net::TcpStream;

#[tokio::test]
async fn certificate_push_is_accepted_and_recorded() {
    let simulator = start(quick_rules()).await;
    let identity = simulator.client_identity_pem(&[TOPIC]).unwrap();
    let client = h2_connect(&simulator, Some(&identity)).await;
    let id = "123e4567-e89b-12d3-a456-426614174000";
    let answer = push(
        &client.send,
        &token(1),
        &[("apns-id", id), ("apns-push-type", "alert")],
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.apns_id.as_deref(), Some(id));
    assert!(answer.unique_id.is_some());
    assert_eq!(answer.reason, None);

    let received = simulator.received();
    assert_eq!(received.len(), 1);
    let first = &received[0];
    assert_eq!(first.service, ReceivedVia::Http2);
    assert_eq!(first.token, token(1));
    assert_eq!(first.topic.as_deref(), Some(TOPIC));
    assert_eq!(first.push_type.as_deref(), Some("alert"));
    assert_eq!(first.apns_id.unwrap().to_string(), id);
    assert_eq!(first.payload, PAYLOAD);

    // Without an apns-id the simulator makes one.
    let answer = push(&client.send, &token(2), &[]).await;
    assert_eq!(answer.status, 200);
    let made = answer.apns_id.unwrap();
    assert_eq!(simulator.received()[1].apns_id.unwrap().to_string(), made);

    let stats = simulator.stats();
    assert_eq!(
        (stats.connections, stats.http2_requests, stats.rejected),
        (1, 2, 0)
    );
    simulator.clear_received();
    assert!(simulator.received().is_empty());
    simulator.shutdown().await;
}

#[tokio::test]
async fn certificate_topics_are_enforced() {
    let simulator = start(quick_rules()).await;
    let identity = simulator
        .client_identity_pem(&[TOPIC, "com.example.app.voip"])
        .unwrap();
    let client = h2_connect(&simulator, Some(&identity)).await;
    let missing = push(&client.send, &token(1), &[]).await;
    assert_eq!(
        (missing.status, missing.reason.as_deref()),
        (400, Some("MissingTopic"))
    );
    let other = push(&client.send, &token(1), &[("apns-topic", "com.other")]).await;
    assert_eq!(other.reason.as_deref(), Some("TopicDisallowed"));
    let voip = push(
        &client.send,
        &token(1),
        &[
            ("apns-topic", "com.example.app.voip"),
            ("apns-push-type", "voip"),
        ],
    )
    .await;
    assert_eq!(voip.status, 200);
}

#[tokio::test]
async fn token_auth_with_a_fresh_jwt_is_accepted() {
    let simulator = start(quick_rules()).await;
    let key = simulator.token_key();
    let mut issuer = TokenIssuer::new(
        SigningKey::from_p8_pem(&key.p8_pem).unwrap(),
        key.key_id.clone(),
        key.team_id.clone(),
    );
    let jwt = format!("bearer {}", issuer.token(now_secs()).unwrap().as_str());
    let client = h2_connect(&simulator, None).await;
    for device in 1..=3 {
        let answer = push(
            &client.send,
            &token(device),
            &[("authorization", &jwt), ("apns-topic", TOPIC)],
        )
        .await;
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    assert_eq!(simulator.received().len(), 3);
    assert_eq!(simulator.received()[0].topic.as_deref(), Some(TOPIC));
}

#[tokio::test]
async fn token_auth_rejections() {
    let simulator = start(quick_rules()).await;
    let client = h2_connect(&simulator, None).await;

    let stale = bearer(&simulator, now_secs() - 2 * 3600);
    let answer = push(
        &client.send,
        &token(1),
        &[("authorization", &stale), ("apns-topic", TOPIC)],
    )
    .await;
    assert_eq!(
        (answer.status, answer.reason.as_deref()),
        (403, Some("ExpiredProviderToken"))
    );

    let answer = push(&client.send, &token(1), &[("apns-topic", TOPIC)]).await;
    assert_eq!(
        (answer.status, answer.reason.as_deref()),
        (403, Some("MissingProviderToken"))
    );

    // Signed by another key under the simulator's ids.
    let other_pem = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .unwrap()
        .serialize_pem();
    let other = SigningKey::from_p8_pem(&other_pem).unwrap();
    let key = simulator.token_key();
    let forged = ProviderToken::sign(&other, &key.key_id, &key.team_id, now_secs()).unwrap();
    let forged = format!("bearer {}", forged.as_str());
    let answer = push(
        &client.send,
        &token(1),
        &[("authorization", &forged), ("apns-topic", TOPIC)],
    )
    .await;
    assert_eq!(
        (answer.status, answer.reason.as_deref()),
        (403, Some("InvalidProviderToken"))
    );

    // The right key under another key id.
    let signing = SigningKey::from_p8_pem(&key.p8_pem).unwrap();
    let wrong_kid: KeyId = "OTHERKEY01".parse().unwrap();
    let team: TeamId = key.team_id.clone();
    let wrong = ProviderToken::sign(&signing, &wrong_kid, &team, now_secs()).unwrap();
    let wrong = format!("bearer {}", wrong.as_str());
    let answer = push(
        &client.send,
        &token(1),
        &[("authorization", &wrong), ("apns-topic", TOPIC)],
    )
    .await;
    assert_eq!(answer.reason.as_deref(), Some("InvalidProviderToken"));

    let fresh = bearer(&simulator, now_secs());
    let answer = push(&client.send, &token(1), &[("authorization", &fresh)]).await;
    assert_eq!(
        (answer.status, answer.reason.as_deref()),
        (400, Some("MissingTopic"))
    );

    assert!(simulator.received().is_empty());
    assert_eq!(simulator.stats().rejected, 5);
}

#[tokio::test]
async fn rules_answer_per_token() {
    let simulator = start(Rules {
        bad_tokens: vec![token(0xb0)],
        unregistered: vec![token(0x10)],
        throttled: vec![token(0x42)],
        flaky: vec![FlakyToken {
            token: token(0xf1),
            failures: 2,
        }],
        ..quick_rules()
    })
    .await;
    let identity = simulator.client_identity_pem(&[TOPIC]).unwrap();
    let client = h2_connect(&simulator, Some(&identity)).await;

    let bad = push(&client.send, &token(0xb0), &[]).await;
    assert_eq!(
        (bad.status, bad.reason.as_deref()),
        (400, Some("BadDeviceToken"))
    );
    assert_eq!(bad.timestamp, None);

    let before = now_secs() * 1000;
    let gone = push(&client.send, &token(0x10), &[]).await;
    let after = (now_secs() + 1) * 1000;
    assert_eq!(
        (gone.status, gone.reason.as_deref()),
        (410, Some("Unregistered"))
    );
    let timestamp = gone.timestamp.unwrap();
    assert!((before..=after).contains(&timestamp), "{timestamp}");

    for _ in 0..2 {
        let throttled = push(&client.send, &token(0x42), &[]).await;
        assert_eq!(
            (throttled.status, throttled.reason.as_deref()),
            (429, Some("TooManyRequests"))
        );
    }

    let statuses: Vec<u16> = {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(push(&client.send, &token(0xf1), &[]).await.status);
        }
        statuses
    };
    assert_eq!(statuses, [503, 503, 200]);
    assert_eq!(simulator.received().len(), 1);

    // New rules apply to the next request, and flaky counters restart.
    simulator.set_rules(Rules {
        throttled: vec![token(0xb0)],
        ..quick_rules()
    });
    let now_throttled = push(&client.send, &token(0xb0), &[]).await;
    assert_eq!(now_throttled.status, 429);
    assert_eq!(push(&client.send, &token(0x10), &[]).await.status, 200);
}

#[tokio::test]
async fn payload_and_priority_are_checked() {
    let simulator = start(quick_rules()).await;
    let identity = simulator.client_identity_pem(&[TOPIC]).unwrap();
    let client = h2_connect(&simulator, Some(&identity)).await;

    let big = vec![b'x'; 4097];
    let answer = try_push(&client.send, &token(1), &[], &big).await.unwrap();
    assert_eq!(
        (answer.status, answer.reason.as_deref()),
        (413, Some("PayloadTooLarge"))
    );
    let answer = try_push(&client.send, &token(1), &[], &big[..4096])
        .await
        .unwrap();
    assert_eq!(answer.status, 200);

    let answer = push(
        &client.send,
        &token(1),
        &[("apns-push-type", "background"), ("apns-priority", "10")],
    )
    .await;
    assert_eq!(
        (answer.status, answer.reason.as_deref()),
        (400, Some("BadPriority"))
    );
    let answer = push(
        &client.send,
        &token(1),
        &[("apns-push-type", "background"), ("apns-priority", "5")],
    )
    .await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn goaway_after_streams_ends_the_connection_gracefully() {
    let simulator = start(Rules {
        goaway_after_streams: Some(2),
        ..quick_rules()
    })
    .await;
    let identity = simulator.client_identity_pem(&[TOPIC]).unwrap();
    let mut client = h2_connect(&simulator, Some(&identity)).await;
    assert_eq!(push(&client.send, &token(1), &[]).await.status, 200);
    assert_eq!(push(&client.send, &token(2), &[]).await.status, 200);
    // The GOAWAY closes the client's connection once the two streams are done.
    let closed = tokio::time::timeout(Duration::from_secs(10), &mut client.connection)
        .await
        .expect("the connection should close after GOAWAY");
    assert!(closed.unwrap().is_ok());
    assert!(
        try_push(&client.send, &token(3), &[], PAYLOAD)
            .await
            .is_err()
    );

    let again = h2_connect(&simulator, Some(&identity)).await;
    assert_eq!(push(&again.send, &token(3), &[]).await.status, 200);
    assert_eq!(simulator.stats().connections, 2);
}

#[tokio::test]
async fn http2_connection_is_dropped_after_n_streams() {
    let simulator = start(Rules {
        close_after_notifications: Some(2),
        ..quick_rules()
    })
    .await;
    let identity = simulator.client_identity_pem(&[TOPIC]).unwrap();
    let mut client = h2_connect(&simulator, Some(&identity)).await;
    assert_eq!(push(&client.send, &token(1), &[]).await.status, 200);
    assert_eq!(push(&client.send, &token(2), &[]).await.status, 200);
    let connection = tokio::time::timeout(Duration::from_secs(10), &mut client.connection)
        .await
        .expect("the connection should be dropped");
    // Dropped without GOAWAY or close_notify: the client sees an error or a bare EOF.
    drop(connection);
    assert!(
        try_push(&client.send, &token(3), &[], PAYLOAD)
            .await
            .is_err()
    );
    assert_eq!(simulator.received().len(), 2);
}

#[tokio::test]
async fn token_auth_connections_can_start_with_one_stream() {
    let simulator = start(Rules {
        token_auth_single_stream: true,
        response_delay_ms: 30,
        ..quick_rules()
    })
    .await;
    let jwt = bearer(&simulator, now_secs());
    let client = h2_connect(&simulator, None).await;
    // Streams opened before the server's SETTINGS arrive may exceed its limit and
    // be refused (REFUSED_STREAM), as with Apple; one answer proves SETTINGS came.
    let first = push(
        &client.send,
        &token(9),
        &[("authorization", &jwt), ("apns-topic", TOPIC)],
    )
    .await;
    assert_eq!(first.status, 200);
    let pushes = (1..=4).map(|device| {
        let send = client.send.clone();
        let jwt = jwt.clone();
        tokio::spawn(async move {
            push(
                &send,
                &token(device),
                &[("authorization", &jwt), ("apns-topic", TOPIC)],
            )
            .await
            .status
        })
    });
    for handle in pushes.collect::<Vec<_>>() {
        assert_eq!(handle.await.unwrap(), 200);
    }
    assert_eq!(simulator.stats().max_concurrent_streams_seen, 1);

    // A certificate connection gets the full limit.
    let identity = simulator.client_identity_pem(&[TOPIC]).unwrap();
    let client = h2_connect(&simulator, Some(&identity)).await;
    assert_eq!(push(&client.send, &token(9), &[]).await.status, 200);
    let pushes = (1..=4).map(|device| {
        let send = client.send.clone();
        tokio::spawn(async move { push(&send, &token(device), &[]).await.status })
    });
    for handle in pushes.collect::<Vec<_>>() {
        assert_eq!(handle.await.unwrap(), 200);
    }
    assert!(simulator.stats().max_concurrent_streams_seen > 1);
}

#[tokio::test]
async fn rules_json_errors_name_the_field() {
    let error = Rules::from_json(r#"{"goaway_after": 3}"#).unwrap_err();
    assert!(matches!(error, SimulatorError::Rules { line: 1, .. }));
    let message = error.to_string();
    assert!(message.contains("goaway_after"), "{message}");
    assert!(message.contains("goaway_after_streams"), "{message}");

    let rules = Rules::from_json(r#"{"flaky": [{"token": "0a0b", "failures": 2}]}"#).unwrap();
    assert_eq!(rules.flaky[0].failures, 2);
}

#[tokio::test]
async fn ports_in_use_are_named() {
    let first = start(quick_rules()).await;
    let taken = first.http2_endpoint().port;
    let error = Simulator::start(SimulatorConfig {
        http2_port: taken,
        ..SimulatorConfig::default()
    })
    .await
    .unwrap_err();
    assert!(error.to_string().contains(&taken.to_string()), "{error}");
    assert!(error.to_string().contains("HTTP/2"), "{error}");
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let simulator = start(quick_rules()).await;
    let address = simulator.http2_endpoint().address();
    assert!(
        simulator
            .ca_pem()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    simulator.shutdown().await;
    assert!(TcpStream::connect(address).await.is_err());
}
