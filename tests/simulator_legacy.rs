//! The simulator's legacy gateway and feedback service over real TLS on
//! 127.0.0.1, driven by the raw client in `simulator_client`.

mod simulator_client;

use push_console::apns::legacy::{ErrorResponse, LegacyStatus};
use push_console::apns::{DeviceToken, FeedbackDecoder, LegacyFormat};
use push_console::simulator::{ReceivedVia, Rules};
use simulator_client::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn legacy_batch_with_a_bad_token_gets_an_error_response() {
    let simulator = start(Rules {
        bad_tokens: vec![token(0xbb)],
        ..quick_rules()
    })
    .await;
    let identity = simulator.client_identity_pem(&[TOPIC]).unwrap();
    let mut tls = tls_connect(&simulator.legacy_endpoint(), Some(&identity), &[]).await;
    let batch: Vec<(u32, DeviceToken)> = (1..=6)
        .map(|identifier| {
            (
                identifier,
                if identifier == 4 {
                    token(0xbb)
                } else {
                    token(identifier as u8)
                },
            )
        })
        .collect();
    tls.write_all(&legacy_batch(LegacyFormat::Frame, &batch))
        .await
        .unwrap();
    tls.flush().await.unwrap();

    let answer = read_until_closed(&mut tls).await;
    let response = ErrorResponse::decode(&answer).unwrap();
    assert_eq!(response.status, LegacyStatus::InvalidToken);
    assert_eq!(response.identifier, 4);

    let received = simulator.received();
    let identifiers: Vec<Option<u32>> = received.iter().map(|r| r.identifier).collect();
    assert_eq!(identifiers, [Some(1), Some(2), Some(3)]);
    assert_eq!(
        received[0].service,
        ReceivedVia::Legacy(LegacyFormat::Frame)
    );
    assert_eq!(received[0].topic.as_deref(), Some(TOPIC));
    assert_eq!(received[0].payload, PAYLOAD);
    let stats = simulator.stats();
    assert_eq!(stats.legacy_discarded, 2);
    assert_eq!(stats.error_responses_sent, 1);
}

#[tokio::test]
async fn legacy_simple_format_failure_closes_without_an_answer() {
    let simulator = start(quick_rules()).await;
    let identity = simulator.client_identity_pem(&[TOPIC]).unwrap();
    let mut tls = tls_connect(&simulator.legacy_endpoint(), Some(&identity), &[]).await;
    let short = DeviceToken::from_bytes(&[1, 2, 3]).unwrap();
    let batch = legacy_batch(
        LegacyFormat::Simple,
        &[(0, token(1)), (0, short), (0, token(2))],
    );
    tls.write_all(&batch).await.unwrap();
    assert!(read_until_closed(&mut tls).await.is_empty());
    let received = simulator.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].identifier, None);
    assert_eq!(simulator.stats().error_responses_sent, 0);
}

#[tokio::test]
async fn legacy_connection_closes_silently_after_n() {
    let simulator = start(Rules {
        close_after_notifications: Some(2),
        ..quick_rules()
    })
    .await;
    let identity = simulator.client_identity_pem(&[TOPIC]).unwrap();
    let mut tls = tls_connect(&simulator.legacy_endpoint(), Some(&identity), &[]).await;
    let batch: Vec<(u32, DeviceToken)> = (1..=5).map(|i| (i, token(i as u8))).collect();
    tls.write_all(&legacy_batch(LegacyFormat::Enhanced, &batch))
        .await
        .unwrap();
    assert!(read_until_closed(&mut tls).await.is_empty());
    let identifiers: Vec<Option<u32>> = simulator.received().iter().map(|r| r.identifier).collect();
    assert_eq!(identifiers, [Some(1), Some(2)]);
    assert_eq!(simulator.stats().error_responses_sent, 0);
}

#[tokio::test]
async fn legacy_gateway_requires_a_client_certificate() {
    let simulator = start(quick_rules()).await;
    let endpoint = simulator.legacy_endpoint();
    let mut tls = tls_connect(&endpoint, None, &[]).await;
    // TLS 1.3 finishes the client side before the server refuses; the refusal
    // shows on the first read.
    let _ = tls
        .write_all(&legacy_batch(LegacyFormat::Frame, &[(1, token(1))]))
        .await;
    let mut buffer = [0u8; 16];
    assert!(!matches!(tls.read(&mut buffer).await, Ok(count) if count > 0));
    assert!(simulator.received().is_empty());
}

#[tokio::test]
async fn feedback_lists_unregistered_tokens() {
    let simulator = start(Rules {
        unregistered: vec![token(0x10), token(0x11)],
        ..quick_rules()
    })
    .await;
    let identity = simulator.client_identity_pem(&[TOPIC]).unwrap();
    let before = now_secs();
    let mut tls = tls_connect(&simulator.feedback_endpoint(), Some(&identity), &[]).await;
    let mut bytes = Vec::new();
    tls.read_to_end(&mut bytes).await.unwrap();
    let mut decoder = FeedbackDecoder::default();
    decoder.feed(&bytes);
    let tuples = decoder.drain().unwrap();
    decoder.finish().unwrap();
    let tokens: Vec<DeviceToken> = tuples.iter().map(|tuple| tuple.token.clone()).collect();
    assert_eq!(tokens, [token(0x10), token(0x11)]);
    for tuple in &tuples {
        assert!((before..=now_secs()).contains(&u64::from(tuple.time)));
    }
}
