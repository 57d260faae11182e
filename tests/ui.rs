//! The desktop app driven through its accessibility tree with egui_kittest,
//! against the real engine and the built-in simulator.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use push_console::apns::DeviceToken;
use push_console::simulator::{Rules, Simulator, SimulatorConfig};
use push_console::store::DataPaths;
use push_console::store::secrets::MemoryStore;
use push_console::ui::{App, TargetChoice, UiState, View};

struct Home(std::path::PathBuf);

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn app(state: UiState) -> (App, Home) {
    let root = std::env::temp_dir().join(format!("push-console-ui-{}", uuid::Uuid::new_v4()));
    let app = App::new(
        DataPaths::under(&root),
        Arc::new(MemoryStore::default()),
        state,
    )
    .expect("engine starts");
    (app, Home(root))
}

fn harness(app: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        // The engine answers from its own thread and each answer asks for a repaint, so a
        // frame may need a few more steps to settle than a UI alone would.
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut App| app.show(ui), app)
}

/// Steps frames until `done` holds, as the engine answers from its own thread.
fn run_until(harness: &mut Harness<'_, App>, what: &str, done: impl Fn(&Harness<'_, App>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(harness) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The app on the Identities view, after importing the checked-in legacy .p12.
fn with_the_legacy_p12_imported() -> (Harness<'static, App>, Home) {
    let mut state = UiState {
        view: View::Identities,
        ..UiState::default()
    };
    state.import.path = "tests/fixtures/keychain-legacy-rc2-3des.p12".into();
    state.import.password = "fixture".into();
    let (app, home) = app(state);
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Import").click();
    run_until_imported(&mut harness, "com.example.legacy");
    (harness, home)
}

/// Waits for the import's report and for the identity in the list: the engine
/// answers the import before it lists identities again, and a frame can fall between.
fn run_until_imported(harness: &mut Harness<'_, App>, name: &str) {
    let imported = format!("Imported {name}");
    run_until(harness, "the import", |h| {
        h.query_by_label(&imported).is_some() && h.state().identity_names().contains(&name)
    });
}

#[test]
fn a_first_send_to_the_simulator_shows_in_results_and_history() {
    let (app, _home) = app(UiState::default());
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Send to 1 token").click();
    run_until(&mut harness, "the send to finish", |h| {
        h.state().run.as_ref().is_some_and(|run| run.finished)
    });
    harness.run();
    assert!(
        harness.query_by_label("accepted").is_some(),
        "the results table shows the answer"
    );
    harness.get_by_label("History").click();
    harness.run();
    run_until(&mut harness, "the history row", |h| {
        h.query_by_label_contains("simulator · simulator").is_some()
    });
    assert!(harness.query_by_label("accepted").is_some());
    // Clicking the row opens what was sent and what came back.
    harness.get_by_label("simulator · simulator").click();
    harness.run();
    assert!(harness.query_by_label("Selected send").is_some());
    // Filters narrow what the history shows.
    harness.state_mut().state.history.identity = "nobody".into();
    harness.run();
    harness.get_by_label("Refresh").click();
    run_until(&mut harness, "the filtered page", |h| {
        h.query_by_label("No sends recorded yet.").is_some()
    });
    harness.state_mut().state.history.identity = "simulator".into();
    harness.state_mut().state.history.since = "1h".into();
    harness.get_by_label("Refresh").click();
    run_until(&mut harness, "the row again", |h| {
        h.query_all_by_label_contains("simulator · simulator")
            .next()
            .is_some()
    });
    assert!(
        harness
            .query_by_label_contains("\"Hello from Push Console\"")
            .is_some()
    );
}

#[test]
fn an_oversized_payload_turns_the_meter_red_and_disables_send_with_the_reason() {
    let mut state = UiState::default();
    state.compose.json = format!(r#"{{"aps":{{"alert":"{}"}}}}"#, "x".repeat(4100));
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    assert!(
        harness.query_by_label("4,120 / 4,096 B").is_some(),
        "the meter shows size and limit"
    );
    assert!(
        harness
            .query_by_label(
                "Can't send: payload is 4,120 bytes; the limit for alert over HTTP/2 is 4,096"
            )
            .is_some()
    );
    assert!(
        harness
            .get_by_label("Send to 1 token")
            .accesskit_node()
            .is_disabled()
    );
    harness.get_by_label("Fit alert body").click();
    harness.run();
    assert!(
        harness.query_by_label("4,096 / 4,096 B").is_some(),
        "fitting fills the limit exactly"
    );
    assert!(
        !harness
            .get_by_label("Send to 1 token")
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn copy_as_cli_command_reproduces_the_send() {
    let (app, _home) = app(UiState::default());
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Copy as CLI command").click();
    harness.run();
    assert!(
        harness
            .query_by_label_contains(
                "Copied: push-console send --endpoint simulator --push-type alert --payload"
            )
            .is_some()
    );
}

#[test]
fn the_form_and_the_json_stay_in_sync() {
    let mut state = UiState::default();
    state.compose.json = r#"{"aps":{"alert":"Hi"},"id":7}"#.into();
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    let title = harness.get_by_label("Title");
    title.focus();
    harness.run();
    harness.get_by_label("Title").type_text("Sale");
    harness.run();
    let json: serde_json::Value =
        serde_json::from_str(&harness.state().state.compose.json).expect("still JSON");
    assert_eq!(
        json,
        serde_json::json!({"aps": {"alert": {"body": "Hi", "title": "Sale"}}, "id": 7}),
        "the typed title lands in the JSON, custom keys kept"
    );
    // And the other way: JSON edited elsewhere shows in the form.
    harness.state_mut().state.compose.json = r#"{"aps":{"alert":{"body":"Changed"}}}"#.into();
    harness.run();
    assert_eq!(
        harness.get_by_label("Body").value().as_deref(),
        Some("Changed")
    );
}

#[test]
fn the_form_edits_rarer_keys_and_keeps_bad_numbers_out_of_the_json() {
    let mut state = UiState::default();
    state.compose.json = r#"{"aps":{"alert":"Hi","relevance-score":0.5},"id":7}"#.into();
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    let json = |harness: &Harness<'_, App>| -> serde_json::Value {
        serde_json::from_str(&harness.state().state.compose.json).expect("still JSON")
    };
    // Delivery starts open because the payload has one of its keys.
    harness.get_by_label("relevance-score").focus();
    harness.run();
    harness.get_by_label("relevance-score").type_text("x");
    harness.run();
    assert!(
        harness
            .query_by_label("relevance-score takes a number from 0 to 1")
            .is_some(),
        "the field says what it takes"
    );
    assert_eq!(
        harness.get_by_label("relevance-score").value().as_deref(),
        Some("0.5x"),
        "what was typed stays"
    );
    assert_eq!(json(&harness)["aps"]["relevance-score"], 0.5);
    // Live Activity starts closed; opened, its fields write JSON numbers.
    assert!(harness.query_by_label("timestamp").is_none());
    harness.get_by_label("Live Activity").click();
    harness.run();
    harness.get_by_label("timestamp").focus();
    harness.run();
    harness.get_by_label("timestamp").type_text("1767225600");
    harness.run();
    assert_eq!(
        json(&harness),
        serde_json::json!({
            "aps": {"alert": "Hi", "relevance-score": 0.5, "timestamp": 1_767_225_600},
            "id": 7
        })
    );
    // Custom fields start open because the payload has one: edit it, add another.
    harness.get_by_label("id").focus();
    harness.run();
    harness.get_by_label("id").type_text("8");
    harness.run();
    assert_eq!(json(&harness)["id"], 78, "typed after the 7");
    let type_into = |harness: &mut Harness<'_, App>, label: &str, text: &str| {
        // The composer scrolls under the tokens and Send: bring the field into view first.
        harness.get_by_label(label).scroll_to_me();
        harness.run();
        harness.get_by_label(label).focus();
        harness.run();
        harness.get_by_label(label).type_text(text);
        harness.run();
    };
    type_into(&mut harness, "New field", "link");
    type_into(&mut harness, "value", r#""app://x""#);
    harness.get_by_label("Add field").click();
    harness.run();
    assert_eq!(json(&harness)["link"], "app://x");
    type_into(&mut harness, "New field", "note");
    type_into(&mut harness, "value", "hello");
    harness.get_by_label("Add field").click();
    harness.run();
    assert!(
        harness
            .query_by_label_contains("the value is not JSON")
            .is_some(),
        "text needs quotes, and the field says so"
    );
    assert_eq!(json(&harness).get("note"), None);
}

#[test]
fn a_saved_template_loads_back() {
    let state = UiState {
        template_name: "welcome".into(),
        ..UiState::default()
    };
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Save template").click();
    harness.run();
    assert_eq!(harness.state().state.templates.len(), 1);
    let saved = harness.state().state.compose.json.clone();
    harness.state_mut().state.compose.json = "{}".into();
    harness.run();
    // The sidebar lists it: one click loads it.
    harness.get_by_label("welcome").click();
    harness.run();
    assert_eq!(harness.state().state.compose.json, saved);
    // Duplicate, then rename the copy to the typed name.
    let open_picker = |harness: &mut Harness<'_, App>| {
        harness
            .get_by_role_and_label(egui::accesskit::Role::ComboBox, "Load template")
            .click();
        harness.run();
    };
    open_picker(&mut harness);
    harness.get_by_label("Duplicate").click();
    harness.run();
    let names = |harness: &Harness<'_, App>| {
        harness
            .state()
            .state
            .templates
            .iter()
            .map(|t| t.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&harness), ["welcome", "welcome copy"]);
    harness.state_mut().state.template_name = "reminder".into();
    open_picker(&mut harness);
    harness
        .query_all_by_label("Rename to the typed name")
        .last()
        .expect("the copy's rename button")
        .click();
    harness.run();
    assert_eq!(names(&harness), ["welcome", "reminder"]);
    assert_eq!(harness.state().state.templates[1].value.json, saved);
}

#[test]
fn ctrl_or_cmd_k_switches_identity() {
    let (mut harness, _home) = with_the_legacy_p12_imported();
    assert_eq!(harness.state().state.send.identity, None);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    harness.step();
    assert_eq!(
        harness.state().state.send.identity.as_deref(),
        Some("com.example.legacy")
    );
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    harness.step();
    assert_eq!(harness.state().state.send.identity, None, "and round again");
}

#[test]
fn ctrl_or_cmd_enter_sends() {
    let (app, _home) = app(UiState::default());
    let mut harness = harness(app);
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    run_until(&mut harness, "the send to finish", |h| {
        h.state().run.as_ref().is_some_and(|run| run.finished)
    });
    assert_eq!(
        harness
            .state()
            .run
            .as_ref()
            .map(|run| run.progress.accepted),
        Some(1)
    );
}

/// Sends the sample push from the Send view and waits until the results show `answer`.
/// Steps rather than `run`: the engine's events keep the window repainting.
fn send_sample(harness: &mut Harness<'_, App>, answer: &str) {
    harness.get_by_label("Send").click();
    harness.step();
    harness.step();
    harness.get_by_label("Send to 1 token").click();
    run_until(harness, answer, |h| {
        h.state().run.as_ref().is_some_and(|run| run.finished) && h.query_by_label(answer).is_some()
    });
}

#[test]
fn simulator_rules_and_ports_from_settings_apply_at_start_and_when_changed() {
    let state = UiState {
        view: View::Settings,
        simulator_rules: format!(
            r#"{{"unregistered": ["{}"]}}"#,
            push_console::ui::SAMPLE_TOKEN
        ),
        ..UiState::default()
    };
    let (app, _home) = app(state);
    let mut harness = harness(app);
    run_until(&mut harness, "the simulator to listen", |h| {
        h.query_by_label_contains("Listening on 127.0.0.1: HTTP/2 port")
            .is_some()
    });
    // The saved rules hold from the start, without clicking Apply.
    send_sample(&mut harness, "rejected 410");
    assert!(
        harness
            .query_by_label_contains("Unregistered: the device token is no longer registered")
            .is_some()
    );
    // A chosen port restarts the simulator there; the rules stay. The port is one the OS
    // just handed out and took back; should another process take it meanwhile, Settings
    // says the simulator is not running and the next free port is tried.
    harness.get_by_label("Settings").click();
    let mut listening = None;
    for _ in 0..3 {
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        harness.state_mut().state.simulator_ports.http2 = free;
        harness.step();
        harness.step();
        harness.get_by_label("Apply ports").click();
        let started = format!("HTTP/2 port {free},");
        run_until(&mut harness, "the restart", |h| {
            h.query_by_label_contains(&started).is_some()
                || h.query_by_label("Not running.").is_some()
        });
        if harness.query_by_label_contains(&started).is_some() {
            listening = Some(free);
            break;
        }
    }
    assert!(
        listening.is_some(),
        "the simulator listens on a chosen port"
    );
    send_sample(&mut harness, "rejected 410");
}

#[test]
fn the_legacy_frame_format_sends_from_the_app() {
    let mut state = UiState::default();
    state.send.protocol = push_console::ui::ProtocolChoice::LegacyFrame;
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    assert!(
        harness.query_by_label("115 / 2,048 B").is_some(),
        "the frame format's limit applies"
    );
    harness.get_by_label("Send to 1 token").click();
    run_until(&mut harness, "the send to finish", |h| {
        h.state().run.as_ref().is_some_and(|run| run.finished)
    });
    assert_eq!(
        harness
            .state()
            .run
            .as_ref()
            .map(|run| run.progress.accepted),
        Some(1)
    );
}

#[test]
fn a_good_p12_imports_with_the_doctors_findings() {
    let (harness, _home) = with_the_legacy_p12_imported();
    assert!(
        harness
            .query_by_label("ok: environment: both sandbox and production")
            .is_some()
    );
    assert!(
        harness
            .query_by_label("ok: topics: com.example.legacy")
            .is_some()
    );
    assert!(
        harness.state().state.import.password.is_empty(),
        "the password is not kept after use"
    );
}

#[test]
fn ten_thousand_tokens_send_with_progress_and_land_in_history() {
    let mut state = UiState::default();
    state.send.tokens = (0..10_000u32).map(|i| format!("{i:064x}\n")).collect();
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    assert!(
        harness
            .query_by_label("10,000 tokens (0.7 MB of text), too many to show here")
            .is_some(),
        "a long list is summarised, not laid out as text every frame"
    );
    harness.get_by_label("Send to 10,000 tokens").click();
    run_until(&mut harness, "the batch to finish", |h| {
        h.state().run.as_ref().is_some_and(|run| run.finished)
    });
    let run = harness.state().run.as_ref().expect("a run");
    assert_eq!(run.progress.accepted, 10_000);
    assert_eq!(run.outcomes.iter().flatten().count(), 10_000);
    harness.get_by_label("History").click();
    run_until(&mut harness, "history rows", |h| {
        h.query_by_label("10,000 sends match").is_some()
            && h.query_all_by_label("accepted").count() >= 10
    });
    assert!(
        harness.query_by_label("0000…270f").is_some(),
        "the newest send is on top"
    );
    // Scrolling to the end fetches the pages there: the first token sent is the oldest row.
    harness.event(egui::Event::PointerMoved(egui::pos2(700.0, 600.0)));
    for _ in 0..5 {
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Page,
            delta: egui::vec2(0.0, -1_000.0),
            modifiers: egui::Modifiers::NONE,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
        });
        harness.step();
    }
    run_until(&mut harness, "the oldest rows", |h| {
        h.query_by_label("0000…0000").is_some()
    });
    assert!(
        harness.state().history.loaded_rows() <= 2_000,
        "pages far from the screen are dropped: {} rows held",
        harness.state().history.loaded_rows()
    );
}

#[test]
fn token_lists_are_kept_per_identity_and_endpoint() {
    let state = UiState {
        token_list_name: "test phones".into(),
        ..UiState::default()
    };
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    let saved_tokens = harness.state().state.send.tokens.clone();
    harness.get_by_label("Save token list").click();
    harness.run();
    harness.state_mut().state.send.tokens.clear();
    harness.run();
    // The sidebar lists the lists of this identity and endpoint.
    harness.get_by_label("test phones").click();
    harness.run();
    assert_eq!(harness.state().state.send.tokens, saved_tokens);
    // Another endpoint has its own lists.
    harness.state_mut().state.send.target = push_console::ui::TargetChoice::Sandbox;
    harness.run();
    let picker = harness.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Load token list");
    assert_eq!(picker.value().as_deref(), Some("0 saved"));
    assert!(
        harness.query_by_label("test phones").is_none(),
        "the sidebar shows only this identity and endpoint's lists"
    );
}

#[test]
fn invalid_json_shows_where_it_breaks() {
    let mut state = UiState::default();
    state.compose.json = "{\n  \"aps\": {\"alert\": \"x\",}\n}".into();
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    assert!(
        harness
            .query_by_label("the payload is not valid JSON: trailing comma at line 2, column 24")
            .is_some()
    );
    assert!(
        harness
            .get_by_label("Send to 1 token")
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn importing_a_bad_p12_shows_the_doctors_message() {
    let state = UiState {
        view: View::Identities,
        ..UiState::default()
    };
    let (app, home) = app(state);
    let bad = home.0.join("broken.p12");
    std::fs::create_dir_all(&home.0).expect("dir");
    std::fs::write(&bad, b"\x30\x82 not a p12 at all").expect("write");
    let mut harness = harness(app);
    harness.state_mut().state.import.path = bad.display().to_string();
    harness.run();
    harness.get_by_label("Import").click();
    run_until(&mut harness, "the doctor's finding", |h| {
        h.query_by_label_contains("the file is neither PEM nor a readable .p12")
            .is_some()
    });
}

#[test]
fn cancel_mid_batch_stops_and_reports_what_was_not_sent() {
    let mut state = UiState::default();
    state.send.tokens = (0..3_000u32).map(|i| format!("{i:064x}\n")).collect();
    state.send.concurrency = 1;
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Send to 3,000 tokens").click();
    run_until(&mut harness, "some answers", |h| {
        h.state()
            .run
            .as_ref()
            .is_some_and(|run| run.progress.done > 20)
    });
    harness.get_by_label("Cancel").click();
    run_until(&mut harness, "the cancelled send to end", |h| {
        h.state().run.as_ref().is_some_and(|run| run.finished)
    });
    let (not_sent, outcomes) = {
        let run = harness.state().run.as_ref().expect("a run");
        let not_sent = run
            .outcomes
            .iter()
            .flatten()
            .filter(|outcome| outcome.kind() == push_console::apns::OutcomeKind::NotSent)
            .count();
        (not_sent, run.outcomes.iter().flatten().count())
    };
    assert!(not_sent > 1_000, "most were never sent: {not_sent}");
    assert_eq!(outcomes, 3_000, "every token has an outcome");
    // What was not sent goes out again with one click.
    harness
        .get_by_label(&format!("Retry {not_sent} failed"))
        .click();
    run_until(&mut harness, "the retry to finish", |h| {
        h.state()
            .run
            .as_ref()
            .is_some_and(|run| run.finished && run.total == not_sent)
    });
    let retry = harness.state().run.as_ref().expect("the retry run");
    assert_eq!(
        retry.progress.accepted, not_sent,
        "every remaining token delivered"
    );
}

#[test]
fn test_connection_reports_accepted_credentials_and_a_refused_certificate() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let simulator = runtime.block_on(Simulator::start(SimulatorConfig::default()));
    let simulator = simulator.expect("the simulator starts");
    // APNs refuses an all-zero token once it has accepted everything else.
    simulator.set_rules(Rules {
        bad_tokens: vec![DeviceToken::placeholder()],
        ..Rules::default()
    });
    let (app, home) = app(UiState {
        view: View::Identities,
        ..UiState::default()
    });
    let (cert, key) = simulator
        .client_identity_pem(&["com.example.tested"])
        .expect("a client certificate");
    std::fs::create_dir_all(&home.0).expect("a folder");
    let pem = home.0.join("tested.pem");
    std::fs::write(&pem, format!("{cert}{key}")).expect("written");
    let ca = home.0.join("ca.pem");
    std::fs::write(&ca, simulator.ca_pem()).expect("written");
    let mut harness = harness(app);
    {
        let state = &mut harness.state_mut().state;
        state.import.path = pem.display().to_string();
        state.send.custom = format!("127.0.0.1:{}", simulator.http2_endpoint().port);
        state.send.ca = ca.display().to_string();
        state.connection_test.target = TargetChoice::Custom;
    }
    harness.run();
    harness.get_by_label("Import").click();
    run_until(&mut harness, "the import", |h| {
        h.query_by_label("Test connection").is_some()
    });
    harness.get_by_label("Test connection").click();
    run_until(&mut harness, "the test", |h| {
        h.query_by_label_contains("Works against Custom: credentials and topic accepted")
            .is_some()
    });
    // The legacy fixture's certificate was not issued by this simulator's CA.
    harness.state_mut().state.import.path = "tests/fixtures/keychain-legacy-rc2-3des.p12".into();
    harness.state_mut().state.import.password = "fixture".into();
    harness.run();
    harness.get_by_label("Import").click();
    run_until(&mut harness, "the second identity", |h| {
        h.query_all_by_label("Test connection").count() == 2
    });
    harness
        .query_all_by_label("Test connection")
        .last()
        .expect("the second identity's button")
        .click();
    run_until(&mut harness, "the refusal", |h| {
        h.query_by_label_contains("Fails against Custom: could not send")
            .is_some()
    });
    assert!(
        harness
            .query_by_label_contains("refused the client certificate")
            .is_some(),
        "the refusal says what it means"
    );
}

#[test]
fn a_followed_history_shows_sends_from_another_process_without_refresh() {
    let (watcher, home) = app(UiState {
        view: View::History,
        history_follow: true,
        ..UiState::default()
    });
    let mut watcher = harness(watcher);
    run_until(&mut watcher, "the empty list", |h| {
        h.query_by_label("No sends recorded yet.").is_some()
    });
    // Another window on the same data folder sends, as a script or a second app would.
    let sender = App::new(
        DataPaths::under(&home.0),
        Arc::new(MemoryStore::default()),
        UiState::default(),
    )
    .expect("engine starts");
    let mut sender = harness(sender);
    sender.run();
    sender.get_by_label("Send to 1 token").click();
    run_until(&mut sender, "the send", |h| {
        h.state().run.as_ref().is_some_and(|run| run.finished)
    });
    run_until(&mut watcher, "the row, without Refresh", |h| {
        h.query_by_label("1 send matches").is_some()
    });
}

#[test]
fn the_app_starts_on_the_chosen_endpoint_and_marks_production() {
    let mut state = UiState {
        start_on: Some(TargetChoice::Sandbox),
        ..UiState::default()
    };
    state.send.target = TargetChoice::Production;
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    assert_eq!(harness.state().state.send.target, TargetChoice::Sandbox);
    let warning = "PRODUCTION: real devices receive this";
    assert!(harness.query_by_label(warning).is_none());
    harness.state_mut().state.send.target = TargetChoice::Production;
    harness.run();
    assert!(harness.query_by_label(warning).is_some());
}

#[test]
fn an_error_says_what_to_do_and_can_be_dismissed() {
    let state = UiState {
        view: View::Settings,
        keep_days: "a week".into(),
        ..UiState::default()
    };
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Apply retention").click();
    harness.run();
    let message = "retention takes whole numbers (or nothing, to keep everything)";
    assert!(harness.query_by_label(message).is_some());
    harness.get_by_label("Dismiss").click();
    harness.run();
    assert!(harness.query_by_label(message).is_none());
}

/// A data folder and the real keychain, shared with the command line; the identities
/// imported under it leave the keychain with it.
struct SharedHome(std::path::PathBuf);

impl Drop for SharedHome {
    fn drop(&mut self) {
        let store = push_console::store::identity::IdentityStore::new(
            DataPaths::under(&self.0),
            Arc::new(push_console::store::secrets::Keychain::open().expect("a keychain")),
        );
        for identity in store.list().unwrap_or_default() {
            let _ = store.delete(&identity.name);
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The app over the real keychain and a fresh data folder the CLI can share.
fn app_sharing_with_the_cli(state: UiState) -> (Harness<'static, App>, SharedHome) {
    let root = std::env::temp_dir().join(format!("push-console-ui-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&root).expect("a data folder");
    let home = SharedHome(root);
    let app = App::new(
        DataPaths::under(&home.0),
        Arc::new(push_console::store::secrets::Keychain::open().expect("a keychain")),
        state,
    )
    .expect("engine starts");
    (harness(app), home)
}

/// Fills the Identities view's import form, clicks Import and waits for the doctor.
fn import_through_the_form(harness: &mut Harness<'_, App>, form: push_console::ui::ImportForm) {
    let name = form.name.clone();
    harness.state_mut().state.view = View::Identities;
    harness.state_mut().state.import = form;
    harness.run();
    harness.get_by_label("Import").click();
    run_until_imported(harness, &name);
}

fn send_and_expect_accepted(harness: &mut Harness<'_, App>, label: &str) {
    let send = harness.get_by_label(label);
    assert!(!send.accesskit_node().is_disabled(), "{label} is enabled");
    let before = harness.state().run.as_ref().map(|run| run.id);
    send.click();
    run_until(harness, "the send to finish", |h| {
        h.state()
            .run
            .as_ref()
            .is_some_and(|run| run.finished && Some(run.id) != before)
    });
    assert_eq!(
        harness
            .state()
            .run
            .as_ref()
            .map(|run| (run.progress.done, run.progress.accepted)),
        Some((1, 1)),
        "the simulator accepted it"
    );
}

/// Clicks "Copy as CLI command" and runs what lands on the clipboard in a shell, as a
/// user would paste it, over the app's data folder and keychain.
fn run_the_copied_cli_command(harness: &mut Harness<'_, App>, home: &SharedHome) -> String {
    harness.get_by_label("Copy as CLI command").click();
    harness.step();
    let copied = harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|command| match command {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .expect("the command is copied");
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_push-console"));
    let path = format!(
        "{}:{}",
        binary.parent().expect("a folder").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &copied])
        .env("PATH", path)
        .env("PUSH_CONSOLE_HOME", &home.0)
        .output()
        .expect("sh runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{copied}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    copied
}

/// What the history knows of each send, newest first, bar times: the apns-id last, as
/// it differs between two sends unless the user fixed it.
fn recorded(home: &SharedHome) -> Vec<[Option<String>; 13]> {
    let history = push_console::store::history::History::open_read_only(
        &DataPaths::under(&home.0).history_db(),
    )
    .expect("the history");
    let rows = history
        .rows_at(
            &push_console::store::history::Filter::default(),
            None,
            0,
            100,
        )
        .expect("its rows");
    rows.into_iter()
        .map(|row| {
            [
                Some(row.identity),
                Some(row.endpoint),
                Some(row.protocol),
                row.auth,
                row.topic,
                row.push_type,
                row.priority.map(|priority| priority.to_string()),
                row.expiration.map(|expiration| expiration.to_string()),
                row.collapse_id,
                Some(row.token),
                Some(format!("{:?}", row.state)),
                Some(row.payload),
                Some(row.apns_id),
            ]
        })
        .collect()
}

#[test]
fn a_live_activity_push_with_a_p8_identity_sends_and_its_copied_cli_command_sends_alike() {
    const TOPIC: &str = "com.example.app.push-type.liveactivity";
    let (mut harness, home) = app_sharing_with_the_cli(UiState::default());
    let key = home.0.join("AuthKey_ABCDE12345.p8");
    let pem = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .expect("a P-256 key")
        .serialize_pem();
    std::fs::write(&key, pem).expect("the key file");
    import_through_the_form(
        &mut harness,
        push_console::ui::ImportForm {
            path: key.display().to_string(),
            key_id: "ABCDE12345".into(),
            team_id: "TEAM123456".into(),
            name: "LA key".into(),
            ..Default::default()
        },
    );

    {
        let state = &mut harness.state_mut().state;
        state.view = View::Send;
        state.send.identity = Some("LA key".into());
        state.compose.push_type = "liveactivity".into();
        state.compose.topic = TOPIC.into();
        state.compose.json =
            r#"{"aps":{"timestamp":1700000000,"event":"update","content-state":{"score":"2-1"}}}"#
                .into();
    }
    harness.run();
    send_and_expect_accepted(&mut harness, "Send to 1 token");
    let copied = run_the_copied_cli_command(&mut harness, &home);

    let rows = recorded(&home);
    assert_eq!(rows.len(), 2, "one send from the app, one from the CLI");
    assert_eq!(rows[0][..12], rows[1][..12], "{copied}");
    assert_eq!(rows[0][3].as_deref(), Some("token"));
    assert_eq!(rows[0][4].as_deref(), Some(TOPIC));
}

#[test]
fn the_copied_cli_command_repeats_the_custom_host_ca_certificate_and_protocol() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let simulator = runtime.block_on(Simulator::start(SimulatorConfig::default()));
    let simulator = simulator.expect("the simulator starts");
    let (mut harness, home) = app_sharing_with_the_cli(UiState::default());
    let (cert, key) = simulator
        .client_identity_pem(&["com.example.copied"])
        .expect("a client certificate");
    // The certificate and its key in two files, as openssl often leaves them.
    let pem = home.0.join("copied.pem");
    std::fs::write(&pem, cert).expect("written");
    let key_pem = home.0.join("copied.key");
    std::fs::write(&key_pem, key).expect("written");
    // A path a shell must quote.
    let ca = home.0.join("the simulator's ca.pem");
    std::fs::write(&ca, simulator.ca_pem()).expect("written");
    import_through_the_form(
        &mut harness,
        push_console::ui::ImportForm {
            path: pem.display().to_string(),
            key_path: key_pem.display().to_string(),
            name: "Copied app".into(),
            ..Default::default()
        },
    );
    {
        let state = &mut harness.state_mut().state;
        state.view = View::Send;
        state.send.identity = Some("Copied app".into());
        state.send.target = TargetChoice::Custom;
        state.send.custom = format!("127.0.0.1:{}", simulator.http2_endpoint().port);
        state.send.ca = ca.display().to_string();
        state.compose.priority = 5;
        state.compose.collapse_id = "score".into();
        state.compose.expiration = "0".into();
        state.compose.apns_id = "7b7a2c4e-5d1f-4c3a-9e0b-2f6d8a1c3e5f".into();
    }
    harness.run();
    send_and_expect_accepted(&mut harness, "Send to 1 token");
    let copied = run_the_copied_cli_command(&mut harness, &home);
    assert!(
        copied.contains("--apns-id 7b7a2c4e-5d1f-4c3a-9e0b-2f6d8a1c3e5f"),
        "{copied}"
    );
    let rows = recorded(&home);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], rows[1], "{copied}: the same apns-id too");
    assert_eq!(
        rows[0][4].as_deref(),
        Some("com.example.copied"),
        "the certificate's topic"
    );

    // The legacy binary protocol, to the same simulator's legacy port.
    {
        let state = &mut harness.state_mut().state;
        state.send.custom = format!("127.0.0.1:{}", simulator.legacy_endpoint().port);
        state.send.protocol = push_console::ui::ProtocolChoice::LegacyFrame;
        state.compose.apns_id.clear();
    }
    harness.run();
    send_and_expect_accepted(&mut harness, "Send to 1 token");
    let copied = run_the_copied_cli_command(&mut harness, &home);
    assert!(
        copied.contains("--protocol legacy --format frame"),
        "{copied}"
    );
    let rows = recorded(&home);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0][..12], rows[1][..12], "{copied}");
    assert_eq!(rows[0][2].as_deref(), Some("legacy-frame"));
}

/// Opens History on `tab`.
fn open_history_tab(harness: &mut Harness<'_, App>, tab: &str) {
    harness.get_by_label("History").click();
    harness.run();
    harness.get_by_label(tab).click();
    harness.run();
}

#[test]
fn a_legacy_error_response_and_its_disconnection_show_in_history_and_lead_to_the_send() {
    let tokens: Vec<String> = (1..=20u32).map(|i| format!("{i:064x}")).collect();
    let state = UiState {
        simulator_rules: format!(
            r#"{{"bad_tokens": ["{}"], "error_response_delay_ms": 100}}"#,
            tokens[0]
        ),
        send: push_console::ui::SendForm {
            protocol: push_console::ui::ProtocolChoice::LegacyFrame,
            tokens: tokens.join("\n"),
            ..push_console::ui::SendForm::default()
        },
        ..UiState::default()
    };
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Send to 20 tokens").click();
    run_until(&mut harness, "the send to finish", |h| {
        h.state().run.as_ref().is_some_and(|run| run.finished)
    });
    let progress = harness.state().run.as_ref().map(|run| run.progress);
    assert_eq!(
        progress.map(|p| (p.accepted, p.rejected, p.unconfirmed)),
        Some((19, 1, 0)),
        "the gateway confirmed the other 19"
    );

    open_history_tab(&mut harness, "Error responses");
    run_until(&mut harness, "the error response", |h| {
        h.query_by_label("invalid token").is_some()
    });
    assert!(harness.query_by_label("1 error responses match").is_some());
    harness.get_by_label("invalid token").click();
    harness.run();
    assert!(harness.query_by_label("Selected error response").is_some());
    assert!(
        harness.query_by_label(&tokens[0]).is_some(),
        "the detail names the failed token in full"
    );
    harness.get_by_label("The notification it names").click();
    run_until(&mut harness, "the send it names", |h| {
        h.query_by_label("1 send matches").is_some()
    });
    assert_eq!(harness.state().state.history.token, tokens[0]);
    assert!(harness.query_by_label("rejected").is_some());

    open_history_tab(&mut harness, "Disconnections");
    run_until(&mut harness, "the disconnection", |h| {
        h.query_by_label("error-response").is_some()
    });
    open_history_tab(&mut harness, "Batches");
    run_until(&mut harness, "the batch", |h| {
        h.query_by_label("legacy-frame").is_some()
    });
    harness.get_by_label("legacy-frame").click();
    harness.run();
    harness.get_by_label("Its sends").click();
    run_until(&mut harness, "the batch's sends", |h| {
        h.query_by_label("20 sends match").is_some()
    });
}

#[test]
fn feedback_read_from_the_app_lands_in_the_feedback_view() {
    let dead = "ab".repeat(32);
    let state = UiState {
        simulator_rules: format!(r#"{{"unregistered": ["{dead}"]}}"#),
        ..UiState::default()
    };
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    open_history_tab(&mut harness, "Feedback");
    run_until(&mut harness, "an empty list", |h| {
        h.query_by_label("No feedback recorded yet.").is_some()
    });
    harness.get_by_label("Read feedback").click();
    run_until(&mut harness, "the summary", |h| {
        h.query_by_label_contains("the feedback service listed 1 token")
            .is_some()
    });
    run_until(&mut harness, "the entry", |h| {
        h.query_by_label("1 feedback match").is_some()
    });
    assert!(harness.query_by_label("abab…abab").is_some());
    harness.get_by_label("abab…abab").click();
    harness.run();
    assert!(harness.query_by_label("Selected feedback entry").is_some());
    assert!(
        harness.query_all_by_label("simulator").count() >= 2,
        "read by whom (the simulator's own identity), from where"
    );
    // A token the feedback service listed is dead until a send to it is accepted.
    open_history_tab(&mut harness, "Unregistered tokens");
    run_until(&mut harness, "the dead token", |h| {
        h.query_by_label("1 unregistered tokens match").is_some()
    });
    assert!(
        harness.query_by_label("feedback").is_some(),
        "learned from feedback"
    );
}

#[test]
fn the_preview_follows_the_payload_as_ios_would_show_it() {
    let mut state = UiState::default();
    state.compose.topic = "com.example.shop".into();
    state.compose.json =
        r#"{"aps":{"alert":{"title":"Flash sale","body":"20% off today"},"badge":2,"sound":"default"}}"#
            .into();
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    // Lock screen and banner both show it.
    assert_eq!(harness.query_all_by_label("Flash sale").count(), 2);
    assert_eq!(harness.query_all_by_label("SHOP").count(), 2);
    assert_eq!(harness.query_all_by_label_contains("badge 2").count(), 2);
    harness.state_mut().state.compose.json =
        r#"{"aps":{"alert":{"title-loc-key":"SALE_TITLE","title-loc-args":["20%"]}}}"#.into();
    harness.run();
    assert_eq!(
        harness.query_all_by_label("«SALE_TITLE: 20%»").count(),
        2,
        "a localisation key shows as the key"
    );
    harness.state_mut().state.compose.push_type = "background".into();
    harness.state_mut().state.compose.json = r#"{"aps":{"content-available":1}}"#.into();
    harness.run();
    assert!(
        harness
            .query_by_label_contains("Silent (background) push")
            .is_some()
    );
}

#[test]
fn deleting_an_identity_or_a_template_asks_first() {
    let (mut harness, _home) = with_the_legacy_p12_imported();
    harness.get_by_label("Delete").click();
    harness.run();
    assert!(
        harness
            .query_by_label("Delete the identity \"com.example.legacy\"?")
            .is_some()
    );
    // Cancel keeps it.
    harness.get_by_label("Cancel").click();
    harness.run();
    assert!(
        harness
            .query_by_label("Delete the identity \"com.example.legacy\"?")
            .is_none()
    );
    assert_eq!(harness.state().identity_names(), ["com.example.legacy"]);
    // Yes removes it.
    harness.get_by_label("Delete").click();
    harness.run();
    harness.get_by_label("Delete identity").click();
    run_until(&mut harness, "the identity to go", |h| {
        h.state().identity_names().is_empty()
    });

    // A template asks too, from the picker.
    harness.state_mut().state.view = View::Send;
    harness.state_mut().state.templates = vec![push_console::ui::Named {
        name: "Sale".into(),
        value: push_console::ui::ComposeState::default(),
    }];
    harness.run();
    harness.get_by_label("Load template").click();
    harness.run();
    harness.get_by_label("Delete").click();
    harness.run();
    harness.get_by_label("Delete template").click();
    harness.run();
    assert!(harness.state().state.templates.is_empty());
}

#[test]
fn a_sends_detail_copies_its_ids_and_says_where_to_paste_the_unique_one() {
    let (app, _home) = app(UiState::default());
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Send to 1 token").click();
    run_until(&mut harness, "the send to finish", |h| {
        h.state().run.as_ref().is_some_and(|run| run.finished)
    });
    harness.get_by_label("History").click();
    run_until(&mut harness, "the history row", |h| {
        h.query_by_label_contains("simulator · simulator").is_some()
    });
    harness.get_by_label("simulator · simulator").click();
    harness.run();
    assert!(harness.query_by_label("Selected send").is_some());
    let unique = harness
        .state()
        .history
        .selected
        .as_ref()
        .and_then(|send| send.apns_unique_id.clone())
        .expect("the simulator gives an apns-unique-id");
    harness.get_by_label("Copy apns-unique-id").click();
    harness.step();
    let copied =
        harness
            .output()
            .platform_output
            .commands
            .iter()
            .find_map(|command| match command {
                egui::OutputCommand::CopyText(text) => Some(text.clone()),
                _ => None,
            });
    assert_eq!(copied.as_deref(), Some(unique.as_str()));
    assert!(
        harness
            .query_by_label("Where to paste it: Apple's Delivery Log")
            .is_some()
    );
    assert!(harness.query_by_label("Copy token").is_some());
    assert!(harness.query_by_label("Copy apns-id").is_some());
}

#[test]
fn the_simulator_rules_form_writes_the_json_and_applies() {
    let (app, _home) = app(UiState {
        view: View::Settings,
        ..UiState::default()
    });
    let mut harness = harness(app);
    run_until(&mut harness, "the simulator to listen", |h| {
        h.query_by_label_contains("Listening on 127.0.0.1")
            .is_some()
    });
    harness.get_by_label("Bad tokens").focus();
    harness.run();
    harness.get_by_label("Bad tokens").type_text("not hex");
    harness.run();
    assert!(
        harness.query_by_label_contains("line 1: ").is_some(),
        "a line that is not a token is named"
    );
    assert_eq!(
        harness.state().state.simulator_rules,
        "",
        "the JSON is untouched"
    );
    for _ in 0.."not hex".len() {
        harness.key_press(egui::Key::Backspace);
    }
    harness.run();
    harness
        .get_by_label("Bad tokens")
        .type_text(push_console::ui::SAMPLE_TOKEN);
    harness.run();
    let rules: serde_json::Value =
        serde_json::from_str(&harness.state().state.simulator_rules).expect("JSON");
    assert_eq!(
        rules,
        serde_json::json!({"bad_tokens": [push_console::ui::SAMPLE_TOKEN]})
    );
    harness.get_by_label("Apply rules").click();
    harness.run();
    send_sample(&mut harness, "rejected 400");
}

#[test]
fn the_command_palette_and_view_shortcuts_run_the_same_commands() {
    let (app, _home) = app(UiState::default());
    let mut harness = harness(app);
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num2);
    harness.run();
    assert_eq!(harness.state().state.view, View::History);
    let palette = egui::Modifiers {
        shift: true,
        ..egui::Modifiers::COMMAND
    };
    harness.key_press_modifiers(palette, egui::Key::P);
    harness.run();
    assert!(
        harness.query_by_label("Command").is_some(),
        "the palette is open"
    );
    harness.get_by_label("Command").type_text("show ident");
    harness.run();
    assert!(harness.query_by_label_contains("Show Identities").is_some());
    assert!(
        harness.query_by_label("Show Settings").is_none(),
        "filtered out"
    );
    harness.key_press(egui::Key::Enter);
    harness.run();
    assert_eq!(harness.state().state.view, View::Identities);
    assert!(
        harness.query_by_label("Command").is_none(),
        "closed after running"
    );
    // The menu lists the same commands.
    harness.get_by_label("Commands").click();
    harness.run();
    assert!(
        harness
            .query_by_label_contains("Switch to the next identity")
            .is_some()
    );
}

/// The label of the control that has the keyboard focus, if any.
fn focused_label(harness: &Harness<'_, App>) -> Option<String> {
    harness
        .query_by(|node| node.is_focused())
        .map(|node| node.accesskit_node().label().unwrap_or_default())
}

#[test]
fn tab_walks_the_send_view_from_where_to_the_send_button_and_no_field_traps_it() {
    let (app, _home) = app(UiState::default());
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Endpoint").focus();
    harness.run();
    let mut order = vec![focused_label(&harness).expect("the endpoint picker takes focus")];
    while order.last().map(String::as_str) != Some("Payload (JSON)") {
        assert!(
            order.len() < 80,
            "Tab never reached the end of the form: {order:?}"
        );
        harness.key_press(egui::Key::Tab);
        harness.run();
        let label = focused_label(&harness).expect("every Tab lands on a control");
        assert_ne!(
            order.last(),
            Some(&label),
            "Tab stayed in {label:?}: a field traps the keyboard"
        );
        order.push(label);
    }
    // Where to, as whom and to whom, then Send, then what: the reading order.
    let reading_order = [
        "Endpoint",
        "Protocol",
        "Identity",
        "Device tokens, one per line",
        "Send to 1 token",
        "Push type",
        "Topic",
        "Priority",
        "Title",
        "Body",
        "Payload (JSON)",
    ];
    let positions: Vec<usize> = reading_order
        .iter()
        .map(|want| {
            order
                .iter()
                .position(|label| label == want)
                .unwrap_or_else(|| panic!("Tab never reached {want:?}: {order:?}"))
        })
        .collect();
    assert!(
        positions.is_sorted(),
        "Tab went out of reading order: {order:?}"
    );

    harness.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Tab);
    harness.run();
    assert_eq!(
        focused_label(&harness).as_ref(),
        order.get(order.len() - 2),
        "Shift+Tab goes back"
    );
}

#[test]
fn tab_cycles_through_every_view_without_a_trap() {
    for view in [View::History, View::Identities, View::Settings] {
        let (app, _home) = app(UiState {
            view,
            ..UiState::default()
        });
        let mut harness = harness(app);
        harness.run();
        harness.get_by_label("Commands").focus();
        harness.run();
        let start = focused_id(&harness).expect("the menu takes focus");
        let mut visited = vec![start.clone()];
        loop {
            harness.key_press(egui::Key::Tab);
            harness.run();
            let id = focused_id(&harness).expect("every Tab lands on a control");
            if id == start {
                break;
            }
            assert!(
                !visited.contains(&id),
                "{view:?}: Tab came back to a control before it went round"
            );
            assert!(visited.len() < 200, "{view:?}: Tab never went round");
            visited.push(id);
        }
        assert!(
            visited.len() > 5,
            "{view:?}: Tab reached only {} controls",
            visited.len()
        );
    }
}

/// Which node has the focus, as a value that tells two nodes with one label apart.
fn focused_id(harness: &Harness<'_, App>) -> Option<String> {
    harness
        .query_by(|node| node.is_focused())
        .map(|node| format!("{:?}", node.accesskit_node().id()))
}

#[test]
fn a_send_through_the_rest_api_served_by_the_app_appears_in_its_followed_history() {
    let (app, home) = app(UiState {
        view: View::History,
        rest_api: true,
        rest_listen: "127.0.0.1:0".into(),
        history_follow: true,
        ..UiState::default()
    });
    let mut harness = harness(app);
    run_until(&mut harness, "the REST API", |h| {
        h.state().rest_address().is_some()
    });
    assert!(
        harness.query_by_label("REST API").is_some(),
        "the status bar says so"
    );
    let address = harness.state().rest_address().expect("listening");
    let token = std::fs::read_to_string(home.0.join("config/api-token")).expect("token file");
    let body = serde_json::json!({
        "tokens": ["740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad"],
        "payload": {"aps": {"alert": "from a script"}},
    });
    let curl = std::process::Command::new("curl")
        .args(["-s", "-H", &format!("Authorization: Bearer {token}")])
        .args(["-H", "Content-Type: application/json", "--data-binary"])
        .arg(body.to_string())
        .arg(format!("http://{address}/v1/notifications"))
        .output()
        .expect("curl runs");
    let answer: serde_json::Value = serde_json::from_slice(&curl.stdout).expect("JSON");
    assert_eq!(answer["results"][0]["outcome"], "accepted", "{answer}");
    run_until(&mut harness, "the API's send in History", |h| {
        h.query_by_label("1 send matches").is_some()
    });
    assert!(
        harness.state().run.is_none(),
        "the API's send went to the API, not into the app's own results"
    );
}

#[test]
fn from_the_app_a_channel_is_created_an_activity_started_on_it_updated_ended_and_the_channel_deleted()
 {
    let state = UiState {
        view: View::Channels,
        ..UiState::default()
    };
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    run_until(&mut harness, "the simulator", |h| {
        h.query_by_label("Simulator listening").is_some()
    });
    harness.get_by_label("Create channel").click();
    run_until(&mut harness, "the new channel", |h| {
        h.query_by_label_contains("201 created channel").is_some()
    });
    let channel = harness.state().state.channels.known[0].id.clone();
    harness.get_by_label("Refresh channels").click();
    run_until(&mut harness, "the list", |h| {
        h.query_by_label("200 1 channel").is_some()
    });
    harness.get_by_label("Use for Live Activity").click();
    harness.run();
    assert_eq!(harness.state().state.view, View::LiveActivity);

    // Start with a push-to-start token, subscribing the activity to the channel.
    harness.get_by_label("Start").click();
    harness.run();
    {
        let activity = &mut harness.state_mut().state.activity;
        activity.token = "5a".repeat(80);
        activity.attributes_type = "MatchAttributes".into();
        activity.title = "Kick-off".into();
    }
    harness.get_by_label("a channel").click();
    harness.state_mut().state.activity.input_channel = channel.clone();
    harness.run();
    harness.get_by_label("Start activity").click();
    run_until(&mut harness, "the start", |h| {
        h.state().state.activity.sent.len() == 1
    });

    // Three updates and the end, over the channel.
    harness.get_by_label("Update").click();
    harness.run();
    harness.get_by_label("Over a channel").click();
    harness.run();
    for score in 1..=3 {
        harness.state_mut().state.activity.state = format!(r#"{{"score":{score}}}"#);
        harness.run();
        harness.get_by_label("Send update").click();
        run_until(&mut harness, "the broadcast", |h| {
            h.state().state.activity.sent.len() == 1 + score
        });
    }
    harness.get_by_label("End").click();
    harness.run();
    harness.get_by_label("End activity").click();
    run_until(&mut harness, "the end", |h| {
        h.state().state.activity.sent.len() == 5
    });
    let sent = &harness.state().state.activity.sent;
    assert!(
        sent.iter().all(|state| state.answer.starts_with("200 ")),
        "{sent:?}"
    );
    assert!(
        harness
            .query_by_label_contains("States sent to this activity (4)")
            .is_some(),
        "the channel's four states are listed"
    );

    // Delete, after saying yes.
    harness.get_by_label("Channels").click();
    harness.run();
    harness.get_by_label("Delete").click();
    harness.run();
    harness.get_by_label("Delete channel").click();
    run_until(&mut harness, "the deletion", |h| {
        h.query_by_label_contains("204 deleted channel").is_some()
    });
    assert!(harness.state().state.channels.known.is_empty());

    // Every request and answer is in History.
    harness.get_by_label("History").click();
    harness.run();
    open_history_tab(&mut harness, "Channel requests");
    run_until(&mut harness, "the channel rows", |h| {
        h.query_all_by_label("broadcast").count() == 4
    });
    assert!(harness.query_by_label("create").is_some());
    assert!(harness.query_by_label("delete").is_some());
}

#[test]
fn a_live_activity_starter_sends_to_the_simulator_with_no_identity() {
    let (app, _home) = app(UiState::default());
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Start from").click();
    harness.run();
    harness
        .get_by_label("Live Activity: start (push-to-start token)")
        .click();
    harness.run();
    assert_eq!(harness.state().state.compose.push_type, "liveactivity");
    harness.get_by_label("Send to 1 token").click();
    run_until(&mut harness, "the send to finish", |h| {
        h.state().run.as_ref().is_some_and(|run| run.finished)
    });
    let run = harness.state().run.as_ref().expect("a run");
    let outcome = run.outcomes[0].as_ref().expect("an outcome");
    assert_eq!(
        outcome.kind(),
        push_console::apns::OutcomeKind::Accepted,
        "{outcome:?}"
    );
}

#[test]
fn a_content_state_key_typed_in_its_field_lands_in_the_json() {
    let mut state = UiState {
        view: View::LiveActivity,
        ..UiState::default()
    };
    state.activity.state = r#"{"team": "", "score": 0}"#.into();
    let (app, _home) = app(state);
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("team").focus();
    harness.run();
    harness.get_by_label("team").type_text("Lyon");
    harness.run();
    let json: serde_json::Value =
        serde_json::from_str(&harness.state().state.activity.state).expect("JSON");
    assert_eq!(json, serde_json::json!({"team": "Lyon", "score": 0}));
}
