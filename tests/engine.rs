//! The engine's Command/Event protocol, headless, with the real keychain, the built-in
//! simulator (or one in this process as a custom host) over TLS, and a real history file.
// The helpers below are test code too: a failed setup should stop the test where it fails.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use push_console::apns::{AuthKind, DeviceToken, Notification, OutcomeKind, Payload, PushType};
use push_console::engine::{
    Command, Connection, CredentialChoice, EngineHandle, EngineSettings, ErrorKind, Event,
    SendRequest, SimulatorPorts, Target,
};
use push_console::simulator::{Rules, Simulator, SimulatorConfig, TrustedKey};
use push_console::store::DataPaths;
use push_console::store::history::{Filter, History};
use push_console::store::identity::CredentialFiles;
use push_console::store::secrets::Keychain;

const TOKEN: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";
const TOPIC: &str = "com.example.app.push-type.liveactivity";
const LIVE_ACTIVITY: &str =
    r#"{"aps":{"timestamp":1700000000,"event":"update","content-state":{"score":"2-1"}}}"#;

struct Home {
    root: PathBuf,
    engine: EngineHandle,
}

impl Home {
    fn new() -> Self {
        let root = std::env::temp_dir().join(format!("pc-engine-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&root).unwrap();
        let engine = push_console::engine::spawn(EngineSettings {
            paths: DataPaths::under(&root),
            secrets: Arc::new(Keychain::open().expect("a keychain")),
            repaint: Arc::new(|| {}),
        })
        .unwrap();
        Self { root, engine }
    }

    fn command(&self, make: impl FnOnce(u64) -> Command) -> u64 {
        let id = self.engine.next_id();
        assert!(self.engine.command(make(id)));
        id
    }

    /// Every event answering `id` up to and including the one `last` accepts.
    fn events_until(&self, id: u64, last: impl Fn(&Event) -> bool) -> Vec<Event> {
        let mut seen = Vec::new();
        loop {
            let event = self.engine.wait_event().expect("the engine runs");
            if event.request_id() == Some(id) {
                let done = last(&event);
                seen.push(event);
                if done {
                    return seen;
                }
            }
        }
    }

    /// A .p8 token key written here, imported as `name`.
    fn import_token_key(&self, name: &str, key_id: &str) -> String {
        let pem = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .unwrap()
            .serialize_pem();
        let path = self.root.join(format!("AuthKey_{key_id}.p8"));
        std::fs::write(&path, &pem).unwrap();
        let files = CredentialFiles {
            path,
            key_id: Some(key_id.into()),
            team_id: Some("TEAM123456".into()),
            ..CredentialFiles::default()
        };
        let id = self.command(|id| Command::ImportIdentity {
            id,
            files: Box::new(files),
            name: Some(name.into()),
        });
        let events = self.events_until(id, |event| matches!(event, Event::Identities { .. }));
        assert!(
            matches!(&events[0], Event::Imported { result: Ok(_), .. }),
            "{events:?}"
        );
        pem
    }

    fn send(&self, request: SendRequest) -> (u64, Vec<Event>) {
        let id = self.command(|id| Command::Send {
            id,
            request: Box::new(request),
        });
        let events = self.events_until(id, |event| {
            matches!(event, Event::SendFinished { .. } | Event::Failed { .. })
        });
        (id, events)
    }

    fn delete(&self, name: &str) {
        let name = name.to_owned();
        let id = self.command(|id| Command::DeleteIdentity { id, name });
        self.events_until(id, |_| true);
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let paths = DataPaths::under(&self.root);
        let store = push_console::store::identity::IdentityStore::new(
            paths,
            Arc::new(Keychain::open().expect("a keychain")),
        );
        for identity in store.list().unwrap_or_default() {
            let _ = store.delete(&identity.name);
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn live_activity() -> Notification {
    let mut notification = Notification::new(
        TOKEN.parse().unwrap(),
        Payload::from_json(LIVE_ACTIVITY).unwrap(),
    );
    notification.push_type = PushType::LiveActivity;
    notification.topic = Some(TOPIC.parse().unwrap());
    notification
}

fn over(target: Target, credential: CredentialChoice) -> Connection {
    Connection {
        target,
        credential,
        ..Connection::default()
    }
}

fn outcomes(events: &[Event]) -> Vec<OutcomeKind> {
    events
        .iter()
        .flat_map(|event| match event {
            Event::Outcomes { outcomes, .. } => outcomes.iter().map(|(_, o)| o.kind()).collect(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn a_live_activity_push_with_a_p8_identity_is_accepted_and_recorded_as_the_cli_records_it() {
    let home = Home::new();
    home.import_token_key("LA key", "ABCDE12345");
    let request = SendRequest::new(
        over(Target::Simulator, CredentialChoice::Stored("LA key".into())),
        live_activity(),
        vec![TOKEN.parse().unwrap()],
    );
    let (_, events) = home.send(request);
    let Some(Event::SendStarted { labels, .. }) = events.first() else {
        panic!("the send did not start: {events:?}");
    };
    assert_eq!(labels.auth, AuthKind::Token);
    assert_eq!(outcomes(&events), [OutcomeKind::Accepted]);

    // The same send from the command line, over the same data folder and keychain.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_push-console"))
        .args([
            "send",
            "--identity",
            "LA key",
            "--push-type",
            "liveactivity",
            "--topic",
            TOPIC,
            "--payload",
            LIVE_ACTIVITY,
            "--token",
            TOKEN,
        ])
        .env("PUSH_CONSOLE_HOME", &home.root)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let history = History::open_read_only(&DataPaths::under(&home.root).history_db()).unwrap();
    let rows = history.rows_at(&Filter::default(), None, 0, 10).unwrap();
    assert_eq!(rows.len(), 2);
    let described = |index: usize| {
        let row = &rows[index];
        (
            row.identity.clone(),
            row.endpoint.clone(),
            row.topic.clone(),
            row.push_type.clone(),
            row.auth.clone(),
            row.protocol.clone(),
            row.state,
        )
    };
    assert_eq!(
        described(0),
        described(1),
        "the app and the CLI record alike"
    );
    assert_eq!(rows[0].auth.as_deref(), Some("token"));
    assert_eq!(rows[0].topic.as_deref(), Some(TOPIC));
    assert_eq!(rows[0].identity, "LA key");
}

#[test]
fn a_cancel_that_overtakes_the_resolution_sends_nothing() {
    let home = Home::new();
    // The simulator's restart holds the ordered queue, so the send waits behind it while
    // the Cancel, which is not queued, is honoured at once.
    home.command(|id| Command::ConfigureSimulator {
        id,
        rules: Box::new(Rules::default()),
        ports: SimulatorPorts::default(),
    });
    let tokens: Vec<DeviceToken> = (0..50u8)
        .map(|n| format!("{n:02x}").repeat(32).parse().unwrap())
        .collect();
    let mut request = SendRequest::new(
        over(Target::Simulator, CredentialChoice::SimulatorOwn),
        live_activity(),
        tokens,
    );
    request.template.push_type = PushType::Alert;
    request.template.topic = None;
    request.template.payload = Payload::from_json(r#"{"aps":{"alert":"hi"}}"#).unwrap();
    let id = home.command(|id| Command::Send {
        id,
        request: Box::new(request),
    });
    home.command(|_| Command::Cancel { id });
    let events = home.events_until(id, |event| {
        matches!(event, Event::SendFinished { .. } | Event::Failed { .. })
    });
    let kinds = outcomes(&events);
    assert_eq!(kinds.len(), 50, "every notification is answered once");
    assert!(
        kinds.iter().all(|kind| *kind == OutcomeKind::NotSent),
        "{kinds:?}"
    );
    assert!(matches!(
        events.last(),
        Some(Event::SendFinished { report, .. }) if report.cancelled
    ));
}

#[test]
fn failures_come_with_their_kind() {
    let home = Home::new();
    let notification = || {
        let mut notification = live_activity();
        notification.push_type = PushType::Alert;
        notification.payload = Payload::from_json(r#"{"aps":{"alert":"hi"}}"#).unwrap();
        notification
    };
    let kind_of = |connection: Connection| {
        let (_, events) = home.send(SendRequest::new(
            connection,
            notification(),
            vec![TOKEN.parse().unwrap()],
        ));
        match events.last() {
            Some(Event::Failed { error, .. }) => error.kind,
            other => panic!("expected a failure, got {other:?}"),
        }
    };
    assert_eq!(
        kind_of(over(Target::Sandbox, CredentialChoice::SimulatorOwn)),
        ErrorKind::Identity
    );
    assert_eq!(
        kind_of(over(
            Target::Simulator,
            CredentialChoice::Stored("nobody".into())
        )),
        ErrorKind::Identity
    );
    let missing_ca = Connection {
        ca: Some(home.root.join("no-such-ca.pem")),
        ..over(
            "127.0.0.1:9".parse().unwrap(),
            CredentialChoice::Files(CredentialFiles {
                path: home.root.join("no-such.p12"),
                ..CredentialFiles::default()
            }),
        )
    };
    assert_eq!(kind_of(missing_ca), ErrorKind::Input);
}

#[test]
fn imports_and_deletes_apply_in_the_order_they_were_sent() {
    let home = Home::new();
    let pem = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .unwrap()
        .serialize_pem();
    let path = home.root.join("AuthKey_ORDER00001.p8");
    std::fs::write(&path, pem).unwrap();
    let files = CredentialFiles {
        path,
        key_id: Some("ORDER00001".into()),
        team_id: Some("TEAM123456".into()),
        ..CredentialFiles::default()
    };
    // Sent back to back without waiting: the delete must see the import.
    home.command(|id| Command::ImportIdentity {
        id,
        files: Box::new(files),
        name: Some("Ordered".into()),
    });
    let deleted = home.command(|id| Command::DeleteIdentity {
        id,
        name: "Ordered".into(),
    });
    let events = home.events_until(deleted, |_| true);
    match &events[0] {
        Event::Identities { identities, .. } => assert!(identities.is_empty()),
        other => panic!("the delete failed: {other:?}"),
    }
}

#[test]
fn a_re_imported_identity_gets_a_new_connection() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let simulator = runtime
        .block_on(Simulator::start(SimulatorConfig::default()))
        .unwrap();
    let home = Home::new();
    let ca = home.root.join("ca.pem");
    std::fs::write(&ca, simulator.ca_pem()).unwrap();
    let connection = Connection {
        ca: Some(ca),
        ..over(
            simulator.http2_endpoint().address().parse().unwrap(),
            CredentialChoice::Stored("Team key".into()),
        )
    };
    let trust = |pem: &str, key_id: &str| {
        let key = push_console::apns::SigningKey::from_p8_pem(pem).unwrap();
        simulator.trust_token_key(TrustedKey {
            public_key: key.public_key().to_vec(),
            key_id: key_id.into(),
            team_id: "TEAM123456".into(),
        });
    };
    let send = || {
        let (_, events) = home.send(SendRequest::new(
            connection.clone(),
            live_activity(),
            vec![TOKEN.parse().unwrap()],
        ));
        assert_eq!(outcomes(&events), [OutcomeKind::Accepted], "{events:?}");
    };
    trust(
        &home.import_token_key("Team key", "FIRST00001"),
        "FIRST00001",
    );
    send();
    send();
    assert_eq!(
        simulator.stats().connections,
        1,
        "one credential, one connection"
    );
    home.delete("Team key");
    trust(
        &home.import_token_key("Team key", "AGAIN00001"),
        "AGAIN00001",
    );
    send();
    assert_eq!(
        simulator.stats().connections,
        2,
        "a new key under the old name never reuses the old connection"
    );
    std::thread::sleep(Duration::from_millis(10));
}
