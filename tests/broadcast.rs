//! Live Activities and broadcast channels end to end: the CLI, run as a script runs it,
//! against a simulator over TLS on 127.0.0.1 with its token key.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use push_console::simulator::{RefusedChannel, Rules, Simulator, SimulatorConfig};

const APP: &str = "com.example.pushconsole";

/// A simulator on its own runtime, and the files a user's script would pass.
struct Setup {
    _runtime: tokio::runtime::Runtime,
    simulator: Simulator,
    dir: PathBuf,
}

impl Setup {
    fn new(name: &str, rules: Rules) -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let simulator = runtime
            .block_on(Simulator::start(SimulatorConfig {
                rules,
                ..SimulatorConfig::default()
            }))
            .expect("the simulator starts");
        let dir = std::env::temp_dir().join(format!(
            "push-console-broadcast-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test setup");
        std::fs::write(dir.join("ca.pem"), simulator.ca_pem()).expect("test setup");
        let key = simulator.token_key();
        std::fs::write(dir.join("key.p8"), &key.p8_pem).expect("test setup");
        let (cert, private) = simulator.client_identity_pem(&[APP]).expect("test setup");
        std::fs::write(dir.join("client.pem"), format!("{cert}{private}")).expect("test setup");
        Setup {
            _runtime: runtime,
            simulator,
            dir,
        }
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// The connection flags of a script that uses the simulator's token key.
    fn token_flags(&self) -> Vec<String> {
        let key = self.simulator.token_key();
        vec![
            "--endpoint".into(),
            self.simulator.http2_endpoint().address(),
            "--ca".into(),
            self.file("ca.pem"),
            "--p8".into(),
            self.file("key.p8"),
            "--key-id".into(),
            key.key_id.to_string(),
            "--team-id".into(),
            key.team_id.to_string(),
        ]
    }

    /// The same for the channel management API, which a custom endpoint does not name.
    fn channel_flags(&self, flags: &[String]) -> Vec<String> {
        let mut flags = flags.to_vec();
        flags.push("--channels-endpoint".into());
        flags.push(self.simulator.channels_endpoint().address());
        flags
    }

    fn run(&self, args: &[&str], flags: &[String]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_push-console"))
            .args(args)
            .args(flags)
            .env("PUSH_CONSOLE_HOME", home(&self.dir))
            .output()
            .expect("the binary runs")
    }
}

fn home(dir: &Path) -> PathBuf {
    dir.join("home")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn now() -> u64 {
    jiff::Timestamp::now().as_second() as u64
}

fn aps(payload: &[u8]) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_slice(payload).expect("JSON payload");
    value["aps"].clone()
}

#[test]
fn a_script_creates_a_channel_starts_an_activity_on_it_broadcasts_three_updates_and_ends_it() {
    let setup = Setup::new("script", Rules::default());
    let flags = setup.token_flags();
    let manage = setup.channel_flags(&flags);
    let app = ["--app", APP];

    let created = setup.run(
        &[
            &["channels", "create"][..],
            &app,
            &["--storage", "most-recent"],
        ]
        .concat(),
        &manage,
    );
    let channel = ok(&created).trim().to_owned();
    assert_eq!(
        channel.len(),
        24,
        "a base64 id alone on stdout: {channel:?}"
    );
    let listed = ok(&setup.run(&[&["channels", "list"][..], &app].concat(), &manage));
    assert_eq!(listed.lines().collect::<Vec<_>>(), [channel.as_str()]);

    // A push-to-start token is longer than a device token.
    let push_to_start = "5a".repeat(80);
    let before = now();
    ok(&setup.run(
        &[
            "activity",
            "start",
            "--token",
            &push_to_start,
            "--topic",
            APP,
            "--attributes-type",
            "MatchAttributes",
            "--attributes",
            r#"{"home":"Lyon"}"#,
            "--state",
            r#"{"score":0}"#,
            "--title",
            "Kick-off",
            "--body",
            "Lyon v Lens",
            "--input-channel",
            &channel,
        ],
        &flags,
    ));
    for score in 1..=3 {
        let state = format!(r#"{{"score":{score}}}"#);
        let answer = ok(&setup.run(
            &[
                "activity",
                "update",
                "--channel",
                &channel,
                "--topic",
                APP,
                "--state",
                &state,
                "--priority",
                "5",
                "--json",
            ],
            &flags,
        ));
        let answer: serde_json::Value = serde_json::from_str(answer.trim()).expect("JSON answer");
        assert_eq!(answer["succeeded"], true, "{answer}");
        assert_eq!(answer["channel"], channel.as_str());
        assert!(
            answer["request_id"].is_string() && answer["unique_id"].is_string(),
            "{answer}"
        );
    }
    ok(&setup.run(
        &[
            "activity",
            "end",
            "--channel",
            &channel,
            "--topic",
            APP,
            "--state",
            r#"{"score":3}"#,
            "--dismiss-in",
            "0",
        ],
        &flags,
    ));
    let after = now();

    let started = setup.simulator.received();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].token.to_string(), push_to_start);
    assert_eq!(started[0].push_type.as_deref(), Some("liveactivity"));
    assert_eq!(
        started[0].topic.as_deref(),
        Some("com.example.pushconsole.push-type.liveactivity")
    );
    let start = aps(&started[0].payload);
    assert_eq!(start["event"], "start");
    assert_eq!(start["input-push-channel"], channel.as_str());
    let stamped = start["timestamp"]
        .as_u64()
        .expect("the timestamp was filled in");
    assert!(
        (before..=after).contains(&stamped),
        "{stamped} not in {before}..={after}"
    );

    let broadcasts = setup.simulator.broadcasts();
    assert_eq!(broadcasts.len(), 4);
    for (index, broadcast) in broadcasts.iter().enumerate() {
        assert_eq!(broadcast.channel.as_str(), channel);
        assert_eq!(broadcast.app, APP);
        assert_eq!(broadcast.expiration.unix_seconds(), 0);
        let aps = aps(&broadcast.payload);
        let stamped = aps["timestamp"].as_u64().expect("filled in");
        assert!((before..=after).contains(&stamped));
        if index < 3 {
            assert_eq!(aps["event"], "update");
            assert_eq!(aps["content-state"]["score"], index as u64 + 1);
        } else {
            assert_eq!(aps["event"], "end");
            assert!(aps["dismissal-date"].as_u64().is_some());
        }
    }

    ok(&setup.run(
        &[&["channels", "delete"][..], &app, &["--channel", &channel]].concat(),
        &manage,
    ));
    assert_eq!(
        ok(&setup.run(&[&["channels", "list"][..], &app].concat(), &manage)),
        ""
    );

    // Every request and answer is in the history.
    let history = ok(&setup.run(&["history", "channels", "--format", "jsonl"], &[]));
    let rows: Vec<serde_json::Value> = history
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON line"))
        .collect();
    let operations: Vec<&str> = rows
        .iter()
        .rev()
        .map(|row| row["operation"].as_str().expect("an operation"))
        .collect();
    assert_eq!(
        operations,
        [
            "create",
            "list",
            "broadcast",
            "broadcast",
            "broadcast",
            "broadcast",
            "delete",
            "list"
        ]
    );
    assert!(rows.iter().all(|row| {
        row["status"]
            .as_i64()
            .is_some_and(|s| (200..300).contains(&s))
    }));
    let sends = ok(&setup.run(&["history", "--format", "jsonl"], &[]));
    assert_eq!(
        sends.lines().count(),
        1,
        "the start went to a device: {sends}"
    );
}

#[test]
fn each_broadcast_refusal_made_by_a_rule_is_shown_in_words() {
    let setup = Setup::new(
        "reasons",
        Rules {
            broadcast_disabled: vec!["com.example.disabled".into()],
            max_channels_per_app: 1,
            refused_channels: vec![
                RefusedChannel {
                    channel: "UGFyYW1z".into(),
                    reason: "BadRequestParams".into(),
                },
                RefusedChannel {
                    channel: "TmV3ZXI=".into(),
                    reason: "ChannelQuotaExceeded".into(),
                },
            ],
            ..Rules::default()
        },
    );
    let flags = setup.token_flags();
    let manage = setup.channel_flags(&flags);
    let refused = |args: &[&str], flags: &[String]| {
        let output = setup.run(args, flags);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        text(&output.stderr)
    };
    let disabled = refused(
        &["channels", "list", "--app", "com.example.disabled"],
        &manage,
    );
    assert!(
        disabled.contains("400 FeatureNotEnabled: broadcast push is not enabled for this app"),
        "{disabled}"
    );

    let storing_nothing = ok(&setup.run(&["channels", "create", "--app", APP], &manage))
        .trim()
        .to_owned();
    let full = refused(&["channels", "create", "--app", APP], &manage);
    assert!(full.contains("400 CannotCreateChannelConfig"), "{full}");

    let unknown = refused(
        &[
            "send",
            "--channel",
            "AAAAAAAAAAAAAAAAAAAAAA==",
            "--topic",
            APP,
            "--payload",
            r#"{"aps":{"event":"update","content-state":{}}}"#,
        ],
        &flags,
    );
    assert!(
        unknown.contains("400 ChannelNotRegistered: the broadcast channel does not exist"),
        "{unknown}"
    );

    let stored = refused(
        &[
            "activity",
            "update",
            "--channel",
            &storing_nothing,
            "--topic",
            APP,
            "--state",
            "{}",
            "--expiration",
            "1900000000",
        ],
        &flags,
    );
    assert!(stored.contains("400 BadExpirationDate"), "{stored}");

    // Any reason, by rule: a known one in words, one newer than this version as Apple wrote it.
    let params = refused(
        &["channels", "read", "--app", APP, "--channel", "UGFyYW1z"],
        &manage,
    );
    assert!(
        params.contains("400 BadRequestParams: the broadcast request parameters are not valid"),
        "{params}"
    );
    let newer = refused(
        &[
            "activity",
            "update",
            "--channel",
            "TmV3ZXI=",
            "--topic",
            APP,
            "--state",
            "{}",
        ],
        &flags,
    );
    assert!(
        newer.contains("400 ChannelQuotaExceeded: APNs gave a reason this version of Push Console does not know"),
        "{newer}"
    );

    // A certificate for one app cannot manage another's channels.
    let certificate = [
        "--endpoint".to_owned(),
        setup.simulator.http2_endpoint().address(),
        "--channels-endpoint".to_owned(),
        setup.simulator.channels_endpoint().address(),
        "--ca".to_owned(),
        setup.file("ca.pem"),
        "--cert".to_owned(),
        setup.file("client.pem"),
    ];
    let mismatch = refused(
        &["channels", "list", "--app", "com.example.other"],
        &certificate,
    );
    assert!(
        mismatch.contains("403 TopicMismatch: the topic does not match the broadcast channel"),
        "{mismatch}"
    );
}

#[test]
fn a_live_activity_with_a_certificate_is_refused_before_anything_is_sent() {
    let setup = Setup::new("certificate", Rules::default());
    let flags = [
        "--endpoint".to_owned(),
        setup.simulator.http2_endpoint().address(),
        "--ca".to_owned(),
        setup.file("ca.pem"),
        "--cert".to_owned(),
        setup.file("client.pem"),
    ];
    let requests = setup.simulator.stats().http2_requests;
    let output = setup.run(
        &[
            "activity",
            "update",
            "--token",
            &"ab".repeat(32),
            "--topic",
            APP,
            "--state",
            "{}",
        ],
        &flags,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("Live Activity pushes need token auth (a .p8 key); a certificate identity cannot send them"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(
        setup.simulator.stats().http2_requests,
        requests,
        "nothing reached the simulator"
    );
    assert!(setup.simulator.received().is_empty());
}
