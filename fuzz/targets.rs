//! What each fuzz target does with its input, in one place: the fuzz targets call these,
//! and `tests/fuzz_corpus.rs` replays every corpus and crash file through them under
//! `cargo test`. Each must never panic, hang or grow without bound, whatever the bytes.

use push_console::apns::legacy::ErrorResponse;
use push_console::apns::{
    APNS_BUNDLE_KEY, ApnsFile, Broadcast, ChannelId, ChannelOperation, Expiration, FeedbackDecoder,
    KeyId, LegacyDecoder, LegacyFormat, Payload, PayloadLimit, Priority, ProviderToken, PushType,
    SigningKey, StoragePolicy, TeamId, TokenList, Transport, check_live_activity, lint_broadcast,
    verify_provider_token,
};
use push_console::simulator::{RequestJudge, Rules, TrustedKey};
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

/// An `.apns` file: what reads writes back and reads again to the same payload and app;
/// what does not read says why.
pub fn apns_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let file = match ApnsFile::parse(&text) {
        Ok(file) => file,
        Err(error) => {
            assert!(!error.to_string().is_empty());
            return;
        }
    };
    let payload: serde_json::Value =
        serde_json::from_str(&file.payload).expect("a read payload is JSON");
    assert!(
        payload
            .as_object()
            .is_some_and(|object| !object.contains_key(APNS_BUNDLE_KEY)),
        "the app key stays out of the payload"
    );
    let bundle = file.bundle.as_deref().unwrap_or_default();
    let written = ApnsFile::write(&file.payload, bundle).expect("a read payload writes");
    let again = ApnsFile::parse(&written).expect("a written file reads");
    assert_eq!(again.payload, file.payload);
    let kept = Some(bundle.trim()).filter(|bundle| !bundle.is_empty());
    assert_eq!(again.bundle.as_deref(), kept);
}

/// The throwaway .p8 of the credential corpus (its first byte picks how that target reads).
fn corpus_signing_key() -> SigningKey {
    let file = include_bytes!("corpus/credential/p8");
    let pem = std::str::from_utf8(&file[1..]).expect("a PEM");
    SigningKey::from_p8_pem(pem).expect("the corpus .p8 is a P-256 key")
}

/// When the provider-token and simulator targets say it is.
const NOW: u64 = 1_764_064_800;
const KEY_ID: &str = "ABC123DEFG";
const TEAM_ID: &str = "DEF123GHIJ";

/// A provider token as APNs (and the simulator) verify it. The first two bytes date it
/// (seconds from now, times two), the third picks raw text (the rest is the JWT) or a
/// signed token edited by the rest, three bytes an edit (position, then the byte; a
/// position past the end cuts it there). An unedited token verifies exactly when it is
/// fresh; whatever verifies carries the claims it was signed with.
pub fn provider_token(data: &[u8]) {
    let [high, low, how, rest @ ..] = data else {
        return;
    };
    let key = corpus_signing_key();
    if how % 4 == 0 {
        let _ = verify_provider_token(&String::from_utf8_lossy(rest), key.public_key(), NOW, 60);
        return;
    }
    let offset = i64::from(i16::from_be_bytes([*high, *low])) * 2;
    let issued_at = NOW.saturating_add_signed(offset);
    let key_id: KeyId = KEY_ID.parse().expect("a key id");
    let team_id: TeamId = TEAM_ID.parse().expect("a team id");
    let token = ProviderToken::sign(&key, &key_id, &team_id, issued_at).expect("signed");
    let mut jwt = token.as_str().as_bytes().to_vec();
    for edit in rest.chunks_exact(3) {
        let at = usize::from(u16::from_be_bytes([edit[0], edit[1]]));
        match jwt.get_mut(at) {
            Some(byte) => *byte = edit[2],
            None => jwt.truncate(at % (jwt.len() + 1)),
        }
    }
    let edited = jwt != token.as_str().as_bytes();
    let result = verify_provider_token(&String::from_utf8_lossy(&jwt), key.public_key(), NOW, 60);
    if !edited {
        let fresh = offset <= 60 && -offset <= 3600;
        assert_eq!(result.is_ok(), fresh, "offset {offset}: {result:?}");
    }
    if let Ok(claims) = result {
        assert_eq!(
            (
                claims.key_id.as_str(),
                claims.team_id.as_str(),
                claims.issued_at
            ),
            (KEY_ID, TEAM_ID, issued_at),
            "verified with other claims than signed"
        );
    }
}

/// One provider-API request as the simulator's HTTP/2 port judges it before its rules: a
/// method line, a path line, `name: value` header lines up to a blank line, then the body.
/// The first byte picks the connection's auth: a push certificate, a certificate that is
/// not one, or token auth trusting the corpus key (a header `authorization: bearer
/// signed` carries a fresh token of it). A request judged acceptable is a POST to
/// `/3/device/` with a body APNs would take.
pub fn simulator_request(data: &[u8]) {
    let Some((&how, rest)) = data.split_first() else {
        return;
    };
    let key = corpus_signing_key();
    let judge = match how % 3 {
        0 => RequestJudge::certificate(vec![
            "com.example.app".into(),
            "com.example.app.voip".into(),
        ]),
        1 => RequestJudge::certificate(Vec::new()),
        _ => RequestJudge::token(vec![TrustedKey {
            public_key: key.public_key().to_vec(),
            key_id: KEY_ID.into(),
            team_id: TEAM_ID.into(),
        }]),
    };
    let (head, body) = match rest.windows(2).position(|pair| pair == b"\n\n") {
        Some(cut) => (&rest[..cut], &rest[cut + 2..]),
        None => (rest, &rest[..0]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let method = lines.next().unwrap_or_default();
    let path = lines.next().unwrap_or_default();
    let mut request = http::Request::builder().method(method).uri(path);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let value = if name.eq_ignore_ascii_case("authorization") && value == "bearer signed" {
            let key_id: KeyId = KEY_ID.parse().expect("a key id");
            let team_id: TeamId = TEAM_ID.parse().expect("a team id");
            let token = ProviderToken::sign(&key, &key_id, &team_id, NOW).expect("signed");
            format!("bearer {}", token.as_str())
        } else {
            value.to_owned()
        };
        request = request.header(name.trim(), value);
    }
    // Not a request http can hold (a bad method, URI or header): no server would see it.
    let Ok(request) = request.body(()) else {
        return;
    };
    let (parts, ()) = request.into_parts();
    if judge.judge(&parts, body.len(), NOW).is_ok() {
        assert_eq!(parts.method, http::Method::POST);
        assert!(parts.uri.path().starts_with("/3/device/"));
        assert!(
            PayloadLimit::new(Transport::Http2, &PushType::Voip).allows(body.len()),
            "{} bytes",
            body.len()
        );
    }
}

/// The REST API served once per process, as `push-console serve` serves it: a real engine
/// with the built-in simulator (standing in for sandbox and production too, so nothing
/// leaves the machine), its keychain in memory, its data in a scratch folder.
struct ServedApi {
    address: std::net::SocketAddr,
    bearer: String,
    _server: push_console::rest::Server,
}

fn served_api() -> &'static ServedApi {
    use push_console::engine::{Command, EngineSettings, SimulatorPorts, Target};
    use push_console::rest::{ApiToken, Environment, Environments, ServeConfig, TokenSource};
    use push_console::store::DataPaths;
    use push_console::store::secrets::{MemoryStore, SecretStore};
    use std::sync::{Arc, OnceLock};

    static SERVED: OnceLock<ServedApi> = OnceLock::new();
    SERVED.get_or_init(|| {
        let root =
            std::env::temp_dir().join(format!("push-console-fuzz-rest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let paths = DataPaths::under(&root);
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
        let engine = push_console::engine::spawn(EngineSettings {
            paths: paths.clone(),
            secrets: Arc::clone(&secrets),
            repaint: Arc::new(|| {}),
        })
        .expect("the engine starts");
        engine.command(Command::ConfigureSimulator {
            id: engine.next_id(),
            rules: Box::new(Rules::default()),
            ports: SimulatorPorts::default(),
        });
        let token = ApiToken::load_or_create(secrets.as_ref(), &paths).expect("an API token");
        let bearer = token.reveal().to_owned();
        let mut environments = Environments::default();
        for environment in [Environment::Sandbox, Environment::Production] {
            environments
                .overrides
                .insert(environment, (Target::Simulator, None));
        }
        let server = push_console::rest::start(
            engine.router(),
            TokenSource::new(token, secrets, paths),
            ServeConfig {
                listen: "127.0.0.1:0".parse().expect("an address"),
                environments,
                body_limit: 256 * 1024,
            },
        )
        .expect("the API serves");
        // Nobody reads the handle's own events; keep its queue empty.
        std::thread::spawn(move || while engine.wait_event().is_some() {});
        ServedApi {
            address: server.address(),
            bearer,
            _server: server,
        }
    })
}

/// The routes that take a JSON body, the first byte picking one.
const BODY_ROUTES: [&str; 8] = [
    "/v1/notifications",
    "/v1/notifications?dry_run=true",
    "/v1/jobs",
    "/v1/identities",
    "/apps/com.example.app/simulator",
    "/apps/com.example.app/sandbox/notifications",
    "/apps/com.example.app/simulator/notifications",
    "/apps/com.example.app/production",
];

/// Whether `body` names a gateway of its own (`endpoint`): the fuzzer must not make the
/// server connect to hosts elsewhere, so those bodies are left out.
fn names_an_endpoint(body: &[u8]) -> bool {
    let has = |value: &serde_json::Value| value.get("endpoint").is_some();
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Array(items)) => items.iter().any(has),
        Ok(value) => has(&value),
        Err(_) => false,
    }
}

/// A REST request body, posted over a real socket to a running API with a valid token: the
/// first byte picks the route, the rest is the body. Whatever the body, the answer is JSON
/// (an error being `{"type": "error", "error": "<what to fix>"}`), never a dropped
/// connection, a text body or a server error.
pub fn rest_body(data: &[u8]) {
    use std::io::{Read, Write};
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    if names_an_endpoint(body) {
        return;
    }
    let route = BODY_ROUTES[usize::from(pick) % BODY_ROUTES.len()];
    let api = served_api();
    let mut stream = std::net::TcpStream::connect(api.address).expect("the API listens");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("a timeout");
    let head = format!(
        "POST {route} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        api.address,
        api.bearer,
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("the request goes");
    stream.write_all(body).expect("the body goes");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("an answer");
    let text = String::from_utf8_lossy(&answer);
    let (head, json) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{route}: no HTTP answer to {body:?}: {text:?}"));
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("{route}: no status in {head:?}"));
    assert!(status < 500, "{route}: {status} for {body:?}: {json}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{route}: not JSON: {head}"
    );
    let value: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|error| panic!("{route}: {error}: {json:?}"));
    if status >= 400 {
        assert_eq!(value["type"], "error", "{route}: {json}");
        assert!(
            value["error"]
                .as_str()
                .is_some_and(|error| !error.trim().is_empty()),
            "{route}: an error that says nothing: {json}"
        );
    }
}
