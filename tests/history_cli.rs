//! `send` and `feedback` record into the history; `history` answers "what happened to token
//! X?" and "which tokens are dead?", exports, and prunes.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use push_console::simulator::{Rules, Simulator};

const TOKEN: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";
const DEAD: &str = "ab0f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";

/// A temp folder with the simulator's CA and client identity, and a history home.
struct Setup {
    dir: PathBuf,
    simulator: Simulator,
    /// Runs the simulator while the test thread waits for the binary.
    _runtime: tokio::runtime::Runtime,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Setup {
    fn new(name: &str) -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let simulator = runtime.block_on(common::simulator(Rules {
            unregistered: vec![DEAD.parse().expect("hex token")],
            ..Rules::default()
        }));
        let dir = std::env::temp_dir().join(format!(
            "push-console-history-cli-{name}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("temp folder");
        let (cert, key) = simulator
            .client_identity_pem(&[common::TOPIC])
            .expect("client identity");
        std::fs::write(dir.join("ca.pem"), simulator.ca_pem()).expect("ca.pem");
        std::fs::write(dir.join("client.pem"), format!("{cert}\n{key}")).expect("client.pem");
        Self {
            dir,
            simulator,
            _runtime: runtime,
        }
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_push-console"))
            .env("PUSH_CONSOLE_HOME", self.dir.join("home"))
            .args(args)
            .output()
            .expect("the binary runs")
    }

    /// `send` to the simulator's `port` with its CA and client certificate.
    fn send_to(&self, port: u16, extra: &[&str]) -> Output {
        let endpoint = format!("127.0.0.1:{port}");
        let (ca, cert) = (self.file("ca.pem"), self.file("client.pem"));
        let mut args = vec![
            "send",
            "--endpoint",
            &endpoint,
            "--ca",
            &ca,
            "--cert",
            &cert,
            "--alert",
            "Hello QA",
        ];
        args.extend(extra);
        self.run(&args)
    }

    fn send(&self, extra: &[&str]) -> Output {
        let mut args = vec!["--topic", common::TOPIC, "--token", TOKEN, "--token", DEAD];
        args.extend(extra);
        self.send_to(self.simulator.http2_endpoint().port, &args)
    }

    fn history_db(&self) -> PathBuf {
        self.dir.join("home/data/history.sqlite3")
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8")
}

fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

#[test]
fn what_happened_to_a_token_and_which_tokens_are_dead() {
    let setup = Setup::new("token");
    assert_eq!(
        setup.send(&[]).status.code(),
        Some(1),
        "the 410 makes it exit 1"
    );

    let output = setup.run(&[
        "history",
        "--token",
        &TOKEN[..8],
        "--since",
        "24h",
        "--format",
        "jsonl",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rows = json_lines(&output);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["token"], TOKEN);
    assert_eq!(rows[0]["state"], "accepted");
    assert_eq!(rows[0]["status"], 200);
    assert_eq!(rows[0]["topic"], common::TOPIC);
    assert_eq!(rows[0]["payload"]["aps"]["alert"], "Hello QA");
    let endpoint = format!("127.0.0.1:{}", setup.simulator.http2_endpoint().port);
    assert_eq!(rows[0]["endpoint"], endpoint.as_str());
    assert_eq!(rows[0]["identity"], "client.pem");

    let output = setup.run(&["history", "--state", "rejected"]);
    let table = stdout(&output);
    assert_eq!(table.lines().count(), 1, "{table}");
    assert!(table.contains("rejected   410 Unregistered"), "{table}");
    assert!(table.contains(DEAD), "{table}");

    // The feedback service names the same token: one entry in the dead list, from both.
    let feedback = format!("127.0.0.1:{}", setup.simulator.feedback_endpoint().port);
    let (ca, cert) = (setup.file("ca.pem"), setup.file("client.pem"));
    let output = setup.run(&[
        "feedback",
        "--endpoint",
        &feedback,
        "--ca",
        &ca,
        "--cert",
        &cert,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // What the service listed, with when it was read, by whom and from where.
    let output = setup.run(&["history", "feedback", "--format", "jsonl"]);
    let entries = json_lines(&output);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["token"], DEAD);
    assert_eq!(entries[0]["identity"], "client.pem");
    assert_eq!(entries[0]["endpoint"], feedback.as_str());
    assert!(
        entries[0]["since"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );
    assert!(
        entries[0]["read_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );
    let output = setup.run(&["history", "unregistered"]);
    assert_eq!(stdout(&output), format!("{DEAD}\n"));
    let output = setup.run(&["history", "unregistered", "--format", "jsonl"]);
    let dead = json_lines(&output);
    assert_eq!(
        dead[0]["sources"],
        serde_json::json!(["http2-410", "feedback"])
    );

    let output = setup.run(&["history", "counts"]);
    let counts = stdout(&output);
    assert!(
        counts.contains("accepted   1\n") && counts.contains("total      2\n"),
        "{counts}"
    );

    let output = setup.run(&["history", "--format", "csv", "--text", "hello qa"]);
    let csv = stdout(&output);
    assert_eq!(csv.lines().count(), 3, "header and two rows: {csv}");
    assert!(
        csv.starts_with("id,time,identity,endpoint,protocol,topic"),
        "{csv}"
    );
}

#[test]
fn paging_prune_and_no_history() {
    let setup = Setup::new("paging");
    setup.send(&["--no-history"]);
    assert!(!setup.history_db().exists(), "--no-history records nothing");
    let output = setup.run(&["history"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("there is no history yet"),
        "{}",
        stderr(&output)
    );

    for _ in 0..3 {
        setup.send(&[]);
    }
    let output = setup.run(&["history", "--limit", "4"]);
    assert_eq!(stdout(&output).lines().count(), 4);
    let more = stderr(&output);
    let before = more
        .trim()
        .strip_prefix("more: --before ")
        .unwrap_or_else(|| panic!("a next-page hint: {more}"));
    let output = setup.run(&["history", "--limit", "4", "--before", before]);
    assert_eq!(stdout(&output).lines().count(), 2, "six rows in all");
    assert_eq!(stderr(&output), "");

    let output = setup.run(&["history", "prune", "--keep-rows", "3", "--save"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("dropped 3 sends"),
        "{}",
        stderr(&output)
    );
    // The saved rule runs after every send.
    setup.send(&[]);
    let output = setup.run(&["history", "counts"]);
    assert!(
        stdout(&output).contains("total      3\n"),
        "{}",
        stdout(&output)
    );
    let output = setup.run(&["history", "--since", "not a time"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("is not a time"));
}

/// `count` distinct tokens, and the same as lines of a token file.
fn token_list(count: usize) -> (Vec<String>, String) {
    let tokens: Vec<String> = (0..count)
        .map(|index| format!("{:064x}", index + 1))
        .collect();
    let text = tokens.join("\n");
    (tokens, text)
}

impl Setup {
    fn send_legacy(&self, tokens_file: &str) -> Output {
        self.send_to(
            self.simulator.legacy_endpoint().port,
            &[
                "--protocol",
                "legacy",
                "--format",
                "frame",
                "--tokens",
                tokens_file,
            ],
        )
    }

    fn view(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut all = vec!["history"];
        all.extend(args);
        all.extend(["--format", "jsonl"]);
        let output = self.run(&all);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        json_lines(&output)
    }
}

#[test]
fn the_legacy_worst_case_and_silent_closes_show_in_the_conversation_views() {
    let setup = Setup::new("conversation");
    let (tokens, text) = token_list(1000);
    std::fs::write(setup.dir.join("tokens.txt"), text).expect("token list");
    setup.simulator.set_rules(Rules {
        bad_tokens: vec![tokens[0].parse().expect("hex")],
        error_response_delay_ms: 1000,
        ..Rules::default()
    });
    let output = setup.send_legacy(&setup.file("tokens.txt"));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("1,000 notifications: 999 accepted, 1 rejected"),
        "{}",
        stderr(&output)
    );

    let responses = setup.view(&["error-responses"]);
    assert_eq!(responses.len(), 1, "{responses:?}");
    let response = &responses[0];
    assert_eq!(response["status"], 8);
    assert_eq!(response["status_text"], "invalid token");
    assert_eq!(response["token"], tokens[0].as_str());
    assert_eq!(response["identifier"], 0);
    assert_eq!(response["resent"], 999);
    assert!(
        response["payload"]
            .as_str()
            .is_some_and(|payload| payload.contains("Hello QA"))
    );
    let batches = setup.view(&["batches"]);
    assert_eq!(batches.len(), 1);
    let first = &batches[0];
    assert_eq!(first["accepted"], 999);
    assert_eq!(first["rejected"], 1);
    assert_eq!(first["unconfirmed"], 0);
    assert_eq!(first["resent"], 999);
    assert_eq!(first["possible_duplicates"], 0);
    assert_eq!(first["error_responses"], 1);
    assert_eq!(first["state"], "finished");
    assert_eq!(response["batch"], first["id"]);

    // A gateway that drops the connection silently every 300 notifications.
    setup.simulator.set_rules(Rules {
        close_after_notifications: Some(300),
        error_response_delay_ms: 20,
        ..Rules::default()
    });
    let closes_before = setup.simulator.stats().legacy_silent_closes;
    let output = setup.send_legacy(&setup.file("tokens.txt"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let closes = setup.simulator.stats().legacy_silent_closes - closes_before;
    let batches = setup.view(&["batches"]);
    let second = &batches[0];
    let batch = second["id"].to_string();
    let disconnections = setup.view(&["disconnections", "--batch", &batch]);
    assert_eq!(
        disconnections.len() as u64,
        closes,
        "one row per close the gateway made: {disconnections:?}"
    );
    assert!(
        disconnections
            .iter()
            .all(|row| row["cause"] == "silent-close")
    );
    assert!(disconnections.iter().all(|row| row["token"].is_string()));
    let resent: u64 = disconnections
        .iter()
        .map(|row| row["resent"].as_u64().expect("a count"))
        .sum();
    assert_eq!(second["possible_duplicates"].as_u64(), Some(resent));
    assert_eq!(second["accepted"], 1000);
    assert_eq!(second["disconnections"].as_u64(), Some(closes));
    // The sends of that batch alone.
    let sends = setup.view(&["--batch", &batch]);
    assert_eq!(sends.len(), 1000);

    // Filters the view cannot apply are refused with what it can.
    let refused = setup.run(&["history", "feedback", "--batch", "1"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("cannot be filtered by batch"));
}
