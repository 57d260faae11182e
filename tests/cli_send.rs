//! `push-console send`, `feedback` and `simulate` run as a user runs them.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

const TOKEN: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";
const UNREGISTERED: &str = "ab0f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";

/// Runs the binary with its history and identities in a throwaway folder, never the user's.
fn push_console(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_push-console"))
        .args(args)
        .env("PUSH_CONSOLE_HOME", scratch_home())
        .output()
        .expect("the binary runs")
}

fn scratch_home() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("push-console-cli-send-{}", std::process::id()))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

#[test]
fn a_first_push_to_the_built_in_simulator_needs_no_credentials() {
    let output = push_console(&["send", "--token", TOKEN, "--alert", "Hello", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let line: serde_json::Value =
        serde_json::from_str(text(&output.stdout).trim()).expect("one JSON line");
    assert_eq!(line["token"], TOKEN);
    assert_eq!(line["outcome"], "accepted");
    assert_eq!(line["status"], 200);
    assert_eq!(line["attempts"], 1);
    assert!(line["apns_id"].as_str().is_some_and(|id| id.len() == 36));
    assert!(line["apns_unique_id"].is_string());
    assert!(text(&output.stderr).contains("1 notification: 1 accepted"));
}

#[test]
fn a_rejected_token_exits_1_and_says_why() {
    // The simulator, like APNs, refuses tokens that are not 32 bytes.
    let output = push_console(&[
        "send", "--token", TOKEN, "--token", "abcd", "--alert", "Hello",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains(&format!("{TOKEN}  accepted")), "{stdout}");
    assert!(
        stdout.contains("abcd  rejected  400 BadDeviceToken"),
        "{stdout}"
    );
}

#[test]
fn bad_token_lists_and_missing_credentials_exit_2() {
    let dir = std::env::temp_dir().join(format!("push-console-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("tokens.txt");
    std::fs::write(&list, format!("{TOKEN}\n# a comment\n\n{TOKEN}zz\n")).unwrap();
    let output = push_console(&["send", "--tokens", list.to_str().unwrap(), "--alert", "x"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: {} line 4: the device token has 'z' at position 65; a token is hex digits (0-9, a-f), optionally with spaces or <>\n",
            list.display()
        )
    );
    let output = push_console(&[
        "send",
        "--endpoint",
        "sandbox",
        "--token",
        TOKEN,
        "--alert",
        "x",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).starts_with("error: sending to sandbox needs an identity"),
        "{}",
        text(&output.stderr)
    );
    let output = push_console(&[
        "send",
        "--endpoint",
        "nowhere",
        "--token",
        TOKEN,
        "--alert",
        "x",
    ]);
    assert_eq!(
        text(&output.stderr),
        "error: \"nowhere\" is not simulator, sandbox, production or HOST:PORT\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn endless_token_and_rules_files_are_refused_at_their_limits() {
    // /dev/zero never ends: each read stops one byte past its kind's limit and says so,
    // before anything is sent or any port is bound.
    let output = push_console(&["send", "--tokens", "/dev/zero", "--alert", "x"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "error: /dev/zero is larger than 268,435,456 bytes, too large for a token list; split it into several sends\n"
    );
    let output = push_console(&["simulate", "--rules", "/dev/zero"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).starts_with(
            "error: /dev/zero is larger than 67,108,864 bytes, too large for a rules file"
        ),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn connections_spread_a_send_and_a_count_that_cannot_be_kept_exits_2() {
    let second = "750f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";
    let output = push_console(&[
        "send",
        "--token",
        TOKEN,
        "--token",
        second,
        "--alert",
        "Hello",
        "--connections",
        "2",
        "--concurrency",
        "2",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("2 notifications: 2 accepted"),
        "{}",
        text(&output.stderr)
    );
    let output = push_console(&["send", "--token", TOKEN, "--connections", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "error: connections: from 1 to 64, not 0\n"
    );
    let output = push_console(&[
        "send",
        "--token",
        TOKEN,
        "--protocol",
        "legacy",
        "--connections",
        "2",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "error: the legacy protocol sends over one connection, in order; more connections are for HTTP/2\n"
    );
}

struct Simulate {
    child: Child,
    http2: String,
    legacy: String,
    feedback: String,
}

fn simulate(dir: &Path, rules: &Path) -> Simulate {
    let mut child = Command::new(env!("CARGO_BIN_EXE_push-console"))
        .env("PUSH_CONSOLE_HOME", scratch_home())
        .args([
            "simulate",
            "--tls-dir",
            dir.to_str().expect("UTF-8 path"),
            "--rules",
            rules.to_str().expect("UTF-8 path"),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the simulator starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut address = |prefix: &str| loop {
        let line = lines.next().expect("simulator output").expect("readable");
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.trim().to_owned();
        }
    };
    let http2 = address("HTTP/2 API");
    let legacy = address("legacy gateway");
    let feedback = address("feedback service");
    // Written files are in place once "running" is printed.
    while !lines
        .next()
        .expect("simulator output")
        .expect("readable")
        .starts_with("running")
    {}
    std::thread::spawn(move || for _ in lines {});
    Simulate {
        child,
        http2,
        legacy,
        feedback,
    }
}

#[test]
fn simulate_serves_token_auth_legacy_and_feedback_then_stops_on_ctrl_c() {
    let dir = std::env::temp_dir().join(format!("push-console-simulate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.json");
    std::fs::File::create(&rules)
        .unwrap()
        .write_all(
            format!(r#"{{"unregistered": ["{UNREGISTERED}"], "error_response_delay_ms": 50}}"#)
                .as_bytes(),
        )
        .unwrap();
    let mut simulator = simulate(&dir, &rules);
    let ca = dir.join("ca.pem");
    let client = dir.join("client.pem");
    let key_ids = std::fs::read_to_string(dir.join("token-key.txt")).unwrap();
    let key_id = key_ids
        .lines()
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    let team_id = key_ids
        .lines()
        .nth(1)
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();

    let output = push_console(&[
        "send",
        "--endpoint",
        &simulator.http2,
        "--ca",
        ca.to_str().unwrap(),
        "--p8",
        dir.join("token-key.p8").to_str().unwrap(),
        "--key-id",
        &key_id,
        "--team-id",
        &team_id,
        "--topic",
        "com.example.pushconsole",
        "--token",
        TOKEN,
        "--token",
        UNREGISTERED,
        "--alert",
        "Hi",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines[0]["outcome"], "accepted");
    assert_eq!(lines[1]["status"], 410);
    assert_eq!(lines[1]["reason"], "Unregistered");
    assert!(lines[1]["timestamp"].as_u64().is_some());

    let output = push_console(&[
        "send",
        "--endpoint",
        &simulator.legacy,
        "--protocol",
        "legacy",
        "--format",
        "enhanced",
        "--ca",
        ca.to_str().unwrap(),
        "--cert",
        client.to_str().unwrap(),
        "--token",
        TOKEN,
        "--alert",
        "Hi",
        "--answer-wait-ms",
        "200",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let output = push_console(&[
        "feedback",
        "--endpoint",
        &simulator.legacy,
        "--feedback-endpoint",
        &simulator.feedback,
        "--ca",
        ca.to_str().unwrap(),
        "--cert",
        client.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let (token, time) = stdout.trim().split_once(' ').expect("token time");
    assert_eq!(token, UNREGISTERED);
    assert!(time.parse::<u32>().is_ok());

    let interrupted = Command::new("kill")
        .args(["-INT", &simulator.child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = simulator.child.wait().unwrap();
    assert!(
        status.success(),
        "Ctrl-C stops the simulator cleanly: {status}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
