//! `push-console identities` and `send --identity` as a user runs them, with the
//! real keychain and a simulator in another process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const TOKEN: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";
const TOPIC: &str = "com.example.pushconsole";

struct Home {
    root: PathBuf,
}

impl Home {
    fn new() -> Self {
        let root = std::env::temp_dir().join(format!("push-console-home-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&root).expect("temp dir");
        Self { root }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_push-console"))
            .args(args)
            .env("PUSH_CONSOLE_HOME", &self.root)
            .output()
            .expect("the binary runs")
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        // Delete what was imported so the keychain is left as it was found.
        if let Ok(list) = std::fs::read_to_string(self.root.join("config/identities.json"))
            && let Ok(value) = serde_json::from_str::<serde_json::Value>(&list)
        {
            for identity in value["identities"].as_array().into_iter().flatten() {
                let name = identity["name"].as_str().unwrap_or_default().to_owned();
                let _ = self.run(&["identities", "delete", &name]);
            }
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

struct Simulate {
    child: Child,
    http2: String,
    dir: PathBuf,
}

impl Drop for Simulate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn simulate() -> Simulate {
    let dir = std::env::temp_dir().join(format!("push-console-sim-{}", uuid::Uuid::new_v4()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_push-console"))
        .args(["simulate", "--tls-dir", dir.to_str().expect("UTF-8 path")])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the simulator starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut http2 = String::new();
    for line in lines.by_ref() {
        let line = line.expect("readable");
        if let Some(rest) = line.strip_prefix("HTTP/2 API") {
            http2 = rest.trim().to_owned();
        }
        if line.starts_with("running") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Simulate { child, http2, dir }
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().expect("UTF-8 path").to_owned()
}

#[test]
fn imported_identities_send_to_the_simulator_by_name() {
    let home = Home::new();
    let simulator = simulate();
    let ids = std::fs::read_to_string(simulator.dir.join("token-key.txt")).expect("ids");
    let id = |n: usize| {
        ids.lines()
            .nth(n)
            .and_then(|line| line.rsplit(' ').next())
            .expect("id")
            .to_owned()
    };

    let output = home.run(&[
        "identities",
        "import",
        &path(&simulator.dir, "client.pem"),
        "--name",
        "sim-cert",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains(&format!("topics: {TOPIC}")), "{stdout}");
    assert!(
        stdout.contains("environment: both sandbox and production"),
        "{stdout}"
    );
    assert!(
        stdout.contains("imported \"sim-cert\"; its key is in the "),
        "{stdout}"
    );

    let output = home.run(&[
        "identities",
        "import",
        &path(&simulator.dir, "token-key.p8"),
        "--key-id",
        &id(0),
        "--team-id",
        &id(1),
        "--name",
        "sim-token",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));

    let output = home.run(&["identities", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON list");
    assert_eq!(list[0]["name"], "sim-cert");
    assert_eq!(list[0]["topics"][0], TOPIC);
    assert_eq!(list[0]["production"], true);
    assert!(list[0]["not_after"].as_i64().is_some());
    assert_eq!(list[1]["kind"], "token_key");
    assert_eq!(list[1]["key_id"], id(0).as_str());

    // The certificate names the topic; the token key needs --topic.
    let ca = path(&simulator.dir, "ca.pem");
    let output = home.run(&[
        "send",
        "--endpoint",
        &simulator.http2,
        "--ca",
        &ca,
        "--identity",
        "sim-cert",
        "--token",
        TOKEN,
        "--alert",
        "Hi",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let output = home.run(&[
        "send",
        "--endpoint",
        &simulator.http2,
        "--ca",
        &ca,
        "--identity",
        "sim-token",
        "--topic",
        TOPIC,
        "--token",
        TOKEN,
        "--alert",
        "Hi",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let output = home.run(&["identities", "show", "sim-cert"]);
    assert!(
        text(&output.stdout).contains("last used"),
        "{}",
        text(&output.stdout)
    );
    assert!(!text(&output.stdout).contains("never"), "use is recorded");

    // No key material in the config or data folders.
    let mut pending = vec![home.root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                pending.push(entry.path());
            } else {
                let bytes = std::fs::read(entry.path()).expect("readable");
                assert!(
                    !bytes.windows(11).any(|w| w == b"PRIVATE KEY"),
                    "{}",
                    entry.path().display()
                );
            }
        }
    }

    let output = home.run(&["identities", "delete", "sim-token"]);
    assert!(output.status.success());
    let output = home.run(&[
        "send",
        "--identity",
        "sim-token",
        "--token",
        TOKEN,
        "--alert",
        "Hi",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "error: no identity named \"sim-token\" (`push-console identities list` shows the identities; --identity NAME, or --cert FILE / --p8 FILE --key-id ID --team-id ID)\n"
    );
}

#[test]
fn doctor_explains_a_bad_file_and_import_refuses_it() {
    let home = Home::new();
    let bad = home.root.join("garbage.p12");
    std::fs::write(&bad, b"\x30\x82 definitely not a p12").expect("write");
    let output = home.run(&["identities", "doctor", bad.to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stdout).contains("problem: the file is neither PEM nor a readable .p12"),
        "{}",
        text(&output.stdout)
    );
    let output = home.run(&["identities", "import", bad.to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).starts_with("error: the file is neither PEM nor a readable .p12"));
    let output = home.run(&[
        "identities",
        "import",
        "tests/fixtures/keychain-legacy-rc2-3des.p12",
        "--password",
        "wrong",
    ]);
    assert_eq!(
        text(&output.stderr),
        "error: the .p12 password is wrong (an empty password is tried when none is given)\n"
    );
    // A file past any credential's size is refused by its size, not read whole.
    let big = home.root.join("big.p12");
    std::fs::write(&big, vec![0u8; 1_048_577]).expect("write");
    let output = home.run(&["identities", "import", big.to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: {} is larger than 1,048,576 bytes, too large for a .p12, .pem or .p8 credential; check that this is the file meant\n",
            big.display()
        )
    );
    let output = home.run(&["identities", "list"]);
    assert_eq!(
        text(&output.stdout),
        "no identities yet: `push-console identities import FILE`\n"
    );
}
