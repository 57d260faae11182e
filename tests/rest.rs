//! `push-console serve` as scripts use it: the real server in its own process on a free
//! port, called with curl (a real HTTP client, the one the README's examples use), against
//! the built-in simulator or a simulator in another process, with the real keychain.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const GOOD: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";
const GONE: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
const BAD: &str = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";

fn push_console(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_push-console"))
        .args(args)
        .env("PUSH_CONSOLE_HOME", home)
        .output()
        .expect("the binary runs")
}

/// A data folder of its own; on drop, what was put in the keychain goes again.
struct Home(PathBuf);

impl Home {
    fn new() -> Self {
        let root = std::env::temp_dir().join(format!("push-console-rest-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&root).expect("temp dir");
        Self(root)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if let Ok(list) = std::fs::read_to_string(self.0.join("config/identities.json"))
            && let Ok(value) = serde_json::from_str::<Value>(&list)
        {
            for identity in value["identities"].as_array().into_iter().flatten() {
                let name = identity["name"].as_str().unwrap_or_default().to_owned();
                let _ = push_console(&self.0, &["identities", "delete", &name]);
            }
        }
        let _ = push_console(&self.0, &["serve", "token", "--revoke"]);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `push-console serve`.
struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    base: String,
    token: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(home: &Home, extra: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_push-console"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("PUSH_CONSOLE_HOME", &home.0)
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("REST API on ").map(str::to_owned))
        .expect("serve says where it listens");
    std::thread::spawn(move || for _ in lines {});
    let token = std::fs::read_to_string(home.0.join("config/api-token")).expect("the token file");
    Served { child, base, token }
}

/// What curl got: the status and the body, as JSON when it is.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

/// Runs curl with `args` (the URL among them); the status and content type are read from
/// its write-out, after the body.
fn curl(args: &[&str]) -> Answer {
    curl_with_body(args, None)
}

/// As [`curl`], with `body` on curl's standard input (`--data-binary @-`): a body of any
/// size, where an argument is limited.
fn curl_with_body(args: &[&str], body: Option<&str>) -> Answer {
    let mut child = Command::new("curl")
        .args(["-s", "-S", "-w", "\n%{http_code} %{content_type}"])
        .args(args)
        .args(body.map(|_| ["--data-binary", "@-"]).into_iter().flatten())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("curl runs (apt-get install curl)");
    let mut stdin = child.stdin.take().expect("piped");
    let body = body.unwrap_or_default().to_owned();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(body.as_bytes());
    });
    let output = child.wait_with_output().expect("curl ends");
    let _ = writer.join();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, trailer) = text.rsplit_once('\n').expect("curl's write-out");
    let (status, content_type) = trailer.split_once(' ').unwrap_or((trailer, ""));
    Answer {
        status: status.parse().expect("a status"),
        content_type: content_type.to_owned(),
        body: serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned())),
    }
}

impl Served {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn bearer(&self) -> String {
        format!("Authorization: Bearer {}", self.token)
    }

    fn get(&self, path: &str) -> Answer {
        curl(&["-H", &self.bearer(), &self.url(path)])
    }

    fn send(&self, method: &str, path: &str, body: &Value) -> Answer {
        curl_with_body(
            &[
                "-X",
                method,
                "-H",
                &self.bearer(),
                "-H",
                "Content-Type: application/json",
                &self.url(path),
            ],
            Some(&body.to_string()),
        )
    }

    fn post(&self, path: &str, body: &Value) -> Answer {
        self.send("POST", path, body)
    }
}

/// A simulator in another process, with its CA and a client certificate in `dir`.
struct Simulate {
    child: Child,
    http2: String,
    legacy: String,
    dir: PathBuf,
}

impl Drop for Simulate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn simulate(rules: &Value) -> Simulate {
    let dir = std::env::temp_dir().join(format!("push-console-rest-sim-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rules_file = dir.join("rules.json");
    std::fs::write(&rules_file, rules.to_string()).expect("rules written");
    let mut child = Command::new(env!("CARGO_BIN_EXE_push-console"))
        .args(["simulate", "--tls-dir", path(&dir, "tls").as_str()])
        .args(["--rules", path(&dir, "rules.json").as_str()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the simulator starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let (mut http2, mut legacy) = (String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.expect("readable");
        if let Some(rest) = line.strip_prefix("HTTP/2 API") {
            http2 = rest.trim().to_owned();
        }
        if let Some(rest) = line.strip_prefix("legacy gateway") {
            legacy = rest.trim().to_owned();
        }
        if line.starts_with("running") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Simulate {
        child,
        http2,
        legacy,
        dir,
    }
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().expect("UTF-8 path").to_owned()
}

#[test]
fn the_pyapns_flow_provisions_sends_and_reads_feedback_and_disconnections() {
    let simulator = simulate(&json!({"unregistered": [GONE], "bad_tokens": [BAD]}));
    let tls = simulator.dir.join("tls");
    let home = Home::new();
    let served = serve(
        &home,
        &[
            "--endpoint",
            &format!("sandbox={}", simulator.http2),
            "--ca",
            &path(&tls, "ca.pem"),
        ],
    );

    // Provision with a path, then again (replacing it) with the PEM text itself.
    let provisioned = served.post(
        "/apps/demo/sandbox",
        &json!({"certificate": path(&tls, "client.pem"), "timeout": 15}),
    );
    assert_eq!(provisioned.status, 201, "{provisioned:?}");
    assert_eq!(provisioned.body["code"], 201);
    assert_eq!(
        provisioned.body["response"]["identity"]["name"],
        "demo@sandbox"
    );
    let pem = std::fs::read_to_string(tls.join("client.pem")).expect("client.pem");
    let replaced = served.post("/apps/demo/sandbox", &json!({"certificate": pem}));
    assert_eq!(replaced.status, 201, "{replaced:?}");
    let refused = served.post(
        "/apps/demo/sandbox",
        &json!({"certificate": "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"}),
    );
    assert_eq!(refused.status, 422, "{refused:?}");
    assert_eq!(refused.body["type"], "error");
    let apps = served.get("/apps");
    assert_eq!(apps.body["code"], 200);
    let listed = apps.body["response"].as_array().expect("a list");
    assert_eq!(
        listed.len(),
        1,
        "re-provisioning replaced the app: {listed:?}"
    );
    assert_eq!(listed[0]["app_id"], "demo");
    assert_eq!(served.get("/apps/demo/sandbox").status, 200);
    let doctor = served.get("/v1/identities/demo@sandbox/doctor");
    assert_eq!(doctor.body["healthy"], true, "{doctor:?}");
    let findings: Vec<&str> = doctor.body["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|finding| finding["message"].as_str())
        .collect();
    assert!(
        findings[0].starts_with("the key is in the "),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|finding| finding.starts_with("topics: ")),
        "{findings:?}"
    );
    assert_eq!(served.get("/v1/identities/nobody/doctor").status, 404);
    let missing = served.get("/apps/nobody/sandbox");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["type"], "error");

    // A list of notifications, two payloads: each answer in the list's order.
    let sent = served.post(
        "/apps/demo/sandbox/notifications",
        &json!([
            {"token": GOOD, "payload": {"aps": {"alert": "one"}}, "identifier": 1, "expiry": 0},
            {"token": GONE, "payload": {"aps": {"alert": "one"}}, "identifier": 2, "expiry": 0},
            {"token": GOOD, "payload": {"aps": {"badge": 3}}, "identifier": 3},
        ]),
    );
    assert_eq!(sent.status, 200, "{sent:?}");
    let results = sent.body["response"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["outcome"], "accepted");
    assert_eq!(results[0]["identifier"], 1);
    assert_eq!(results[1]["outcome"], "rejected");
    assert_eq!(results[1]["status"], 410);
    assert_eq!(results[1]["reason"], "Unregistered");
    assert!(results[1]["timestamp"].as_u64().is_some(), "{results:?}");
    assert_eq!(results[2]["outcome"], "accepted");
    assert_eq!(results[2]["identifier"], 3);

    // A legacy send to the gateway's legacy port: the bad token's error-response ends
    // the connection, and the disconnection log names it.
    let legacy = served.post(
        "/v1/notifications",
        &json!({
            "identity": "demo@sandbox",
            "endpoint": simulator.legacy,
            "ca": path(&tls, "ca.pem"),
            "protocol": "legacy-enhanced",
            "tokens": [GOOD, BAD, GOOD],
            "payload": {"aps": {"alert": "legacy"}},
        }),
    );
    assert_eq!(legacy.status, 200, "{legacy:?}");
    assert_eq!(legacy.body["results"][1]["outcome"], "rejected");

    let feedback = served.get("/apps/demo/sandbox/feedback");
    assert_eq!(feedback.status, 200, "{feedback:?}");
    let entries = feedback.body["response"].as_array().expect("entries");
    assert!(
        entries
            .iter()
            .any(|entry| entry["token"] == GONE && entry["source"] == "410"),
        "{entries:?}"
    );
    let disconnections = served.get("/apps/demo/sandbox/disconnections");
    assert_eq!(disconnections.status, 200, "{disconnections:?}");
    let rows = disconnections.body["response"].as_array().expect("rows");
    assert!(
        rows.iter()
            .any(|row| row["token"] == BAD && row["cause"] == "error-response"),
        "{rows:?}"
    );
}

#[test]
fn a_v1_send_returns_every_token_s_outcome_and_lands_in_the_history() {
    let home = Home::new();
    let rules = home.0.join("rules.json");
    std::fs::write(&rules, json!({"bad_tokens": [BAD]}).to_string()).expect("rules");
    let served = serve(&home, &["--rules", rules.to_str().expect("UTF-8")]);
    let sent = served.post(
        "/v1/notifications",
        &json!({"tokens": [GOOD, BAD], "payload": {"aps": {"alert": "hi"}}, "priority": 5}),
    );
    assert_eq!(sent.status, 200, "{sent:?}");
    assert_eq!(sent.content_type, "application/json");
    let results = sent.body["results"].as_array().expect("results");
    assert_eq!(results[0]["token"], GOOD);
    assert_eq!(results[0]["outcome"], "accepted");
    assert_eq!(results[0]["status"], 200);
    assert!(
        results[0]["apns_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
    assert!(results[0]["latency_ms"].as_f64().is_some());
    assert_eq!(results[1]["outcome"], "rejected");
    assert_eq!(results[1]["status"], 400);
    assert_eq!(results[1]["reason"], "BadDeviceToken");
    assert_eq!(sent.body["totals"]["accepted"], 1);
    assert_eq!(sent.body["totals"]["rejected"], 1);

    // The same send is in the history the app and the CLI read.
    let history = served.get("/v1/history/sends?state=rejected");
    assert_eq!(history.body["total"], 1, "{history:?}");
    assert_eq!(history.body["rows"][0]["token"], BAD);
    let cli = push_console(&home.0, &["history", "--format", "jsonl"]);
    let cli = String::from_utf8_lossy(&cli.stdout);
    assert_eq!(cli.lines().count(), 2, "{cli}");

    // A dry run builds the request and sends nothing.
    let built = served.post(
        "/v1/notifications?dry_run=true",
        &json!({"tokens": [GOOD], "payload": {"aps": {"alert": "hi"}}, "collapse_id": "c1"}),
    );
    assert_eq!(built.status, 200, "{built:?}");
    assert_eq!(
        built.body["requests"][0]["path"],
        format!("/3/device/{GOOD}")
    );
    assert_eq!(
        built.body["requests"][0]["headers"]["apns-collapse-id"],
        "c1"
    );
    assert_eq!(served.get("/v1/history/sends").body["total"], 2);

    // More sends reuse the connection: the server holds no more sockets after twenty
    // (each send once presented a new certificate of the simulator's, on a new connection
    // left open; found by the rest_body fuzz target when the server ran out of files).
    let open_files = || {
        std::fs::read_dir(format!("/proc/{}/fd", served.child.id()))
            .map(|entries| entries.count())
            .unwrap_or_default()
    };
    let before = open_files();
    for _ in 0..20 {
        let again = served.post(
            "/v1/notifications",
            &json!({"tokens": [GOOD], "payload": {"aps": {"alert": "again"}}}),
        );
        assert_eq!(again.body["totals"]["accepted"], 1, "{again:?}");
    }
    assert!(
        open_files() <= before + 2,
        "{before} open files before twenty sends, {} after",
        open_files()
    );
}

#[test]
fn a_job_reports_progress_and_every_outcome_when_it_finishes() {
    let home = Home::new();
    let rules = home.0.join("rules.json");
    std::fs::write(&rules, json!({"response_delay_ms": 2}).to_string()).expect("rules");
    let served = serve(&home, &["--rules", rules.to_str().expect("UTF-8")]);
    let tokens: Vec<String> = (0..2000u32)
        .map(|index| format!("{index:08x}{}", &GOOD[8..]))
        .collect();
    let started = served.post(
        "/v1/jobs",
        &json!({"tokens": tokens, "payload": {"aps": {"alert": "many"}}, "concurrency": 10, "connections": 2}),
    );
    assert_eq!(started.status, 202, "{started:?}");
    let id = started.body["id"].as_u64().expect("a job id");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen_running = false;
    let finished = loop {
        let job = served.get(&format!("/v1/jobs/{id}"));
        assert_eq!(job.status, 200, "{job:?}");
        match job.body["state"].as_str() {
            Some("finished") => break job,
            Some("running") => {
                seen_running = true;
                assert_eq!(job.body["progress"]["total"], 2000);
            }
            other => panic!("a job in state {other:?}: {job:?}"),
        }
        assert!(Instant::now() < deadline, "the job did not finish");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(seen_running, "the job was seen while it ran");
    assert_eq!(finished.body["progress"]["accepted"], 2000);
    let results = finished.body["result"]["results"]
        .as_array()
        .expect("results");
    assert_eq!(results.len(), 2000);
    assert_eq!(results[1999]["token"], tokens[1999]);
    assert_eq!(served.get("/v1/jobs/999").status, 404);
}

#[test]
fn bad_requests_get_a_json_error_that_says_what_to_fix() {
    let home = Home::new();
    let served = serve(&home, &[]);
    let url = served.url("/v1/identities");
    // Checks the error's shape and returns its words.
    let json_error = |answer: &Answer, status: u16| -> String {
        assert_eq!(answer.status, status, "{answer:?}");
        assert_eq!(answer.content_type, "application/json", "{answer:?}");
        assert_eq!(answer.body["type"], "error", "{answer:?}");
        let words = answer.body["error"].as_str().unwrap_or_default();
        assert!(!words.is_empty(), "{answer:?}");
        words.to_owned()
    };

    json_error(&curl(&[&url]), 401);
    json_error(&curl(&["-H", "Authorization: Bearer 00", &url]), 401);
    json_error(
        &curl(&[
            "-H",
            &served.bearer(),
            "-H",
            "Host: attacker.example:80",
            &url,
        ]),
        403,
    );
    json_error(
        &curl(&[
            "-H",
            &served.bearer(),
            "-H",
            "Origin: http://attacker.example",
            &url,
        ]),
        403,
    );
    assert_eq!(
        curl(&[&served.url("/v1/health")]).status,
        200,
        "health needs no token"
    );
    let spec = curl(&[&served.url("/v1/openapi.json")]);
    assert_eq!(spec.body["openapi"], "3.1.0", "the spec needs no token");

    let post = |body: &str, content_type: &str| {
        curl(&[
            "-H",
            &served.bearer(),
            "-H",
            &format!("Content-Type: {content_type}"),
            "--data-binary",
            body,
            &served.url("/v1/notifications"),
        ])
    };
    let malformed = post("{\"tokens\": [", "application/json");
    json_error(&malformed, 400);
    assert!(
        malformed.body["error"]
            .as_str()
            .is_some_and(|text| text.contains("line 1 column")),
        "{malformed:?}"
    );
    assert_eq!(
        json_error(&post("tokens=1", "application/x-www-form-urlencoded"), 415),
        "the body must be JSON: send `Content-Type: application/json`"
    );
    let wrong_type = json_error(
        &post(
            &json!({"tokens": "abc", "payload": {"aps": {}}}).to_string(),
            "application/json",
        ),
        400,
    );
    assert!(
        wrong_type.starts_with("the body is not what this route takes: invalid type"),
        "{wrong_type}"
    );
    let bad_token = post(
        &json!({"tokens": ["abc"], "payload": {"aps": {}}}).to_string(),
        "application/json",
    );
    json_error(&bad_token, 422);
    assert!(
        bad_token.body["error"]
            .as_str()
            .is_some_and(|text| text.starts_with("tokens[0]"))
    );
    let device = curl(&[
        "-H",
        &served.bearer(),
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &json!({"certificate": "/dev/zero"}).to_string(),
        &served.url("/v1/identities"),
    ]);
    json_error(&device, 422);
    assert!(
        device.body["error"]
            .as_str()
            .is_some_and(|text| text.starts_with("certificate: /dev/zero is not a regular file")),
        "{device:?}"
    );
    let too_many = post(
        &json!({"tokens": [GOOD], "payload": {"aps": {}}, "connections": 65}).to_string(),
        "application/json",
    );
    json_error(&too_many, 400);
    assert!(
        too_many.body["error"]
            .as_str()
            .is_some_and(|text| text.starts_with("connections: from 1 to 64")),
        "{too_many:?}"
    );
    let oversized = home.0.join("oversized.json");
    let filler = "0".repeat(17 * 1024 * 1024);
    std::fs::write(&oversized, format!("{{\"tokens\": [\"{filler}\"]}}")).expect("written");
    let too_large = curl(&[
        "-H",
        &served.bearer(),
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &format!("@{}", oversized.display()),
        &served.url("/v1/notifications"),
    ]);
    assert_eq!(
        json_error(&too_large, 413),
        "the body is over 16,777,216 bytes, more than any request to this API takes; send fewer tokens per request"
    );
    let nowhere = json_error(&served.get("/v1/nowhere"), 404);
    assert!(nowhere.starts_with("no route /v1/nowhere"), "{nowhere}");
    let method = json_error(&served.send("PUT", "/v1/health", &json!({})), 405);
    assert!(method.contains("does not take this method"), "{method}");
    json_error(&served.get("/v1/history/sends?limit=0"), 400);
    let list = json_error(&served.get("/v1/history/nothing"), 404);
    assert!(list.starts_with("no history list \"nothing\""), "{list}");
    let job = json_error(&served.get("/v1/jobs/abc"), 400);
    assert!(job.contains("abc"), "{job}");
    json_error(&served.get("/v1/history/feedback?state=accepted"), 422);
}

#[test]
fn a_rotated_token_replaces_the_old_one_in_a_running_server() {
    let home = Home::new();
    let served = serve(&home, &[]);
    assert_eq!(served.get("/v1/identities").status, 200);
    let printed = push_console(&home.0, &["serve", "token"]);
    assert_eq!(
        String::from_utf8_lossy(&printed.stdout).trim(),
        served.token
    );
    let rotated = push_console(&home.0, &["serve", "token", "--rotate"]);
    let new_token = String::from_utf8_lossy(&rotated.stdout).trim().to_owned();
    assert_eq!(new_token.len(), 64);
    assert_ne!(new_token, served.token);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        served.get("/v1/identities").status,
        401,
        "the old token is refused"
    );
    let with_new = curl(&[
        "-H",
        &format!("Authorization: Bearer {new_token}"),
        &served.url("/v1/identities"),
    ]);
    assert_eq!(with_new.status, 200);
}
