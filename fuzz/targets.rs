//! What each fuzz target does with its input, in one place: the fuzz targets call these,
//! and `tests/fuzz_corpus.rs` replays every corpus and crash file through them under
//! `cargo test`. Each must never panic, hang or grow without bound, whatever the bytes.

use push_console::apns::legacy::ErrorResponse;
use push_console::apns::{
    Broadcast, ChannelId, ChannelOperation, Expiration, FeedbackDecoder, LegacyDecoder,
    LegacyFormat, Payload, PayloadLimit, Priority, PushType, StoragePolicy, TokenList, Transport,
    check_live_activity, lint_broadcast,
};
use push_console::simulator::Rules;
use push_console::store::identity::{CredentialFile, diagnose};

/// The simulator's legacy decoder, fed in the chunks the first byte picks, then the
/// error-response decoder on every 6-byte window.
pub fn legacy_decoder(data: &[u8]) {
    let Some((&chunk, bytes)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut decoder = LegacyDecoder::default();
    for piece in bytes.chunks(chunk) {
        decoder.feed(piece);
        // Every notification that is complete, until it needs more or finds an error.
        while let Ok(Some(_)) = decoder.next_notification() {}
    }
    for window in bytes.windows(6).take(64) {
        let _ = ErrorResponse::decode(window);
    }
}

/// The feedback decoder, fed in random chunks: each tuple once, an error or the end.
pub fn feedback_decoder(data: &[u8]) {
    let Some((&chunk, bytes)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut decoder = FeedbackDecoder::default();
    let mut tuples = 0usize;
    for piece in bytes.chunks(chunk) {
        decoder.feed(piece);
        while let Ok(Some(_)) = decoder.next_tuple() {
            tuples += 1;
        }
    }
    // A tuple is at least 6 bytes: never more tuples than that allows.
    assert!(
        tuples <= bytes.len() / 6,
        "{tuples} tuples from {} bytes",
        bytes.len()
    );
    let _ = decoder.finish();
}

/// What APNs's broadcast and channel APIs answer, and a Live Activity payload: the first
/// two bytes are the status, the next byte picks the operation, then a line that is the
/// `apns-channel-id` header, then the body. The body is also read as a payload and linted as
/// a broadcast at a time from the status bytes.
pub fn broadcast(data: &[u8]) {
    let [high, low, pick, rest @ ..] = data else {
        return;
    };
    let status = u16::from_be_bytes([*high, *low]);
    let (header, body) = match rest.iter().position(|&byte| byte == b'\n') {
        Some(cut) => (&rest[..cut], &rest[cut + 1..]),
        None => (&rest[..0], rest),
    };
    let header = std::str::from_utf8(header).ok();
    let channel: ChannelId = "Y2hhbm5lbA==".parse().expect("a channel id");
    let operation = match pick % 4 {
        0 => ChannelOperation::Create(StoragePolicy::MostRecent),
        1 => ChannelOperation::Read(channel.clone()),
        2 => ChannelOperation::List,
        _ => ChannelOperation::Delete(channel.clone()),
    };
    // A success only with a 2xx status; every refusal names a reason.
    if let Ok(reply) = operation.parse_answer(status, header, body) {
        assert!((200..300).contains(&status), "{status} read as {reply}");
    }
    if let Some(text) = header {
        let _ = text.parse::<ChannelId>();
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return;
    };
    let Ok(payload) = Payload::from_json(text) else {
        return;
    };
    let now = u64::from(status) * 1_000_000;
    let _ = check_live_activity(&payload, now);
    let broadcast = Broadcast {
        bundle: "com.example.app".parse().expect("a bundle id"),
        channel,
        priority: Priority::Normal,
        expiration: Expiration::IMMEDIATELY,
        request_id: None,
        payload,
    };
    let _ = lint_broadcast(&broadcast, Some(StoragePolicy::NoStorage), now);
    if let Ok(request) = broadcast.to_http2_request() {
        assert!(PayloadLimit::broadcast().allows(request.body.len()));
    }
    assert!(broadcast.parse_answer(status, body).is_ok() == (status == 200));
}

/// A pasted token list: every line is a token, a duplicate or a reject with its line.
pub fn token_list(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let list = TokenList::parse(&text);
    let lines = text.lines().count();
    assert!(list.tokens.len() + list.duplicates + list.rejects.len() <= lines);
    for (line, _) in &list.rejects {
        assert!(
            (1..=lines).contains(line),
            "reject on line {line} of {lines}"
        );
    }
}

/// Payload JSON; when it has an alert body, `fit_alert_body` must give a payload that fits,
/// is valid UTF-8 JSON, and keeps a prefix of the body.
pub fn payload_fit(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(payload) = Payload::from_json(text) else {
        return;
    };
    for transport in [
        Transport::Http2,
        Transport::Legacy(LegacyFormat::Simple),
        Transport::Legacy(LegacyFormat::Frame),
    ] {
        let limit = PayloadLimit::new(transport, &PushType::Alert);
        if let Ok(fitted) = payload.fit_alert_body(&limit) {
            let bytes = fitted.payload.to_bytes();
            assert!(
                limit.allows(bytes.len()),
                "{} bytes over {limit}",
                bytes.len()
            );
            let again: serde_json::Value =
                serde_json::from_slice(&bytes).expect("a fitted payload is JSON");
            assert!(again.is_object());
            let (Some(before), Some(after)) = (payload.alert_body(), fitted.payload.alert_body())
            else {
                panic!("the alert body went missing");
            };
            let kept = after.strip_suffix('…').unwrap_or(after);
            assert!(
                before.starts_with(kept),
                "{after:?} is not a prefix of {before:?}"
            );
        }
    }
}

/// A credential file (.p12, .pem or .p8) through the doctor: findings, never a panic. The
/// first byte picks how it is read; the rest is the file.
pub fn credential(data: &[u8]) {
    let Some((&how, bytes)) = data.split_first() else {
        return;
    };
    let now = 1_764_064_800;
    let file = match how % 3 {
        0 => CredentialFile::Certificate {
            bytes,
            key: None,
            password: Some("fixture"),
        },
        1 => CredentialFile::Certificate {
            bytes,
            key: None,
            password: None,
        },
        _ => match std::str::from_utf8(bytes) {
            Ok(pem) => CredentialFile::TokenKey {
                pem,
                key_id: "ABC123DEFG",
                team_id: "DEF123GHIJ",
            },
            Err(_) => return,
        },
    };
    let diagnosis = diagnose(file, now);
    // A file that yields no credential says why, in words a user can act on.
    if diagnosis.credential.is_none() {
        assert!(
            diagnosis.has_errors(),
            "no credential and no reason: {:?}",
            diagnosis.findings
        );
    }
    assert!(
        diagnosis
            .findings
            .iter()
            .all(|finding| !finding.message.trim().is_empty())
    );
}

/// A simulator rules file.
pub fn rules(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = Rules::from_json(&text);
}
