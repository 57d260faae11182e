//! A `send` killed with SIGKILL in the middle of a 50,000-token batch leaves a history that
//! passes SQLite's integrity check, has a row for everything the simulator accepted, and
//! claims no success the simulator did not see.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use push_console::simulator::Rules;
use push_console::store::history::{Filter, History, SendState};

const COUNT: usize = 50_000;

/// Accepted rows to wait for before the kill: well into the batch, far from its end.
const KILL_AFTER_ACCEPTED: u64 = 3_000;

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).expect("the temp folder is writable");
}

/// Accepted rows so far, or `None` while the database is not there or not set up yet.
fn accepted_so_far(db: &Path) -> Option<u64> {
    let history = History::open_read_only(db).ok()?;
    let counts = history.counts(&Filter::default()).ok()?;
    Some(counts.get(SendState::Accepted))
}

#[test]
fn a_send_killed_mid_batch_leaves_a_sound_history_that_claims_nothing_false() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    // A small answer delay and 50 streams in flight keep the batch running for seconds.
    let simulator = runtime.block_on(common::simulator(Rules {
        response_delay_ms: 5,
        ..Rules::default()
    }));
    let dir = TempDir(
        std::env::temp_dir().join(format!("push-console-history-crash-{}", std::process::id())),
    );
    std::fs::create_dir_all(&dir.0).expect("temp folder");
    let (cert, key) = simulator
        .client_identity_pem(&[common::TOPIC])
        .expect("client identity");
    write(&dir.0.join("ca.pem"), &simulator.ca_pem());
    write(&dir.0.join("client.pem"), &format!("{cert}\n{key}"));
    let tokens: String = common::tokens(COUNT)
        .iter()
        .map(|token| format!("{token}\n"))
        .collect();
    write(&dir.0.join("tokens.txt"), &tokens);
    let home = dir.0.join("home");
    let db = home.join("data").join("history.sqlite3");

    let path = |name: &str| dir.0.join(name).to_string_lossy().into_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_push-console"))
        .env("PUSH_CONSOLE_HOME", &home)
        .args(["send", "--endpoint"])
        .arg(format!("127.0.0.1:{}", simulator.http2_endpoint().port))
        .args(["--ca", &path("ca.pem"), "--cert", &path("client.pem")])
        .args(["--topic", common::TOPIC, "--tokens", &path("tokens.txt")])
        .args(["--alert", "crash test", "--concurrency", "50"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");

    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if accepted_so_far(&db).is_some_and(|accepted| accepted >= KILL_AFTER_ACCEPTED) {
            break;
        }
        if let Some(status) = child.try_wait().expect("the child can be polled") {
            panic!("the send ended ({status}) before it could be killed mid-batch");
        }
        assert!(
            Instant::now() < deadline,
            "no accepted rows showed up in time"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("the child is reaped");
    let received: HashSet<String> = simulator
        .received()
        .into_iter()
        .map(|received| received.token.to_string())
        .collect();
    runtime.block_on(simulator.shutdown());
    assert!(received.len() < COUNT, "the batch must have been cut short");

    let history = History::open_read_only(&db).expect("the history opens after the crash");
    history.integrity_check().expect("PRAGMA integrity_check");
    let counts = history.counts(&Filter::default()).expect("counts");
    assert_eq!(
        counts.total(),
        COUNT as u64,
        "every token was recorded before the batch started"
    );
    assert_eq!(
        counts.get(SendState::InFlight),
        0,
        "nobody is sending any more"
    );
    assert!(counts.get(SendState::Unknown) > 0, "{counts:?}");
    assert!(
        counts.get(SendState::Accepted) >= KILL_AFTER_ACCEPTED,
        "{counts:?}"
    );

    let mut recorded = HashSet::new();
    history
        .for_each_send(&Filter::default(), |row| {
            recorded.insert(row.token.clone());
            if row.state == SendState::Accepted {
                assert!(
                    received.contains(&row.token),
                    "{} claims success the simulator never saw",
                    row.token
                );
            }
            if received.contains(&row.token) {
                assert!(
                    matches!(row.state, SendState::Accepted | SendState::Unknown),
                    "{} reached the simulator but reads {}",
                    row.token,
                    row.state
                );
            }
            Ok::<_, ()>(())
        })
        .expect("rows read")
        .expect("no row failed");
    assert!(received.is_subset(&recorded));
}
