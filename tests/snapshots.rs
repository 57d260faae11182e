//! Every view of the app in the light and the dark theme, rendered by wgpu (a software
//! Vulkan driver where there is no GPU: Debian's `mesa-vulkan-drivers`) and compared with
//! the PNGs in `tests/snapshots/`, so a layout regression fails a test. After an intended
//! change: `UPDATE_SNAPSHOTS=1 cargo test --test snapshots`, and look at the new PNGs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use push_console::apns::{
    ApnsId, AuthKind, Batch, DeviceToken, Notification, Outcome, Payload, Reason, Refusal,
    Transport, Verdict,
};
use push_console::engine::SimulatorPorts;
use push_console::store::DataPaths;
use push_console::store::history::{BatchContext, History};
use push_console::store::secrets::MemoryStore;
use push_console::ui::{App, KnownChannel, SentState, Theme, UiState, View};

/// 2025-11-30 09:00 UTC: the seeded history's sends go out a minute apart from here.
const SENT_AT_MS: i64 = 1_764_493_200_000;

/// What a snapshot shows besides the view's empty state.
#[derive(Clone, Copy)]
enum Seed {
    Nothing,
    /// Three sends answered three ways, the newest selected.
    History,
    /// The checked-in legacy .p12, imported through the form.
    Identity,
    /// Two known channels, and a start subscribed to one with states sent before.
    Live,
}

/// Records three one-token sends to the simulator at fixed times, with fixed apns-ids:
/// one accepted, one refused as a bad token, one unregistered (410).
fn seed_history(paths: &DataPaths) {
    let mut history = History::open(&paths.history_db()).expect("the history opens");
    let context = BatchContext {
        identity: "com.example.app",
        endpoint: "simulator",
        transport: Transport::Http2,
        auth: AuthKind::Certificate,
    };
    let answers = [
        Verdict::Accepted {
            apns_unique_id: Some("74b78488-82ba-4b70-84a7-992d16ef4929".into()),
        },
        Verdict::Rejected(Refusal::Http2 {
            status: 400,
            reason: Reason::BadDeviceToken,
            timestamp_ms: None,
            apns_unique_id: None,
        }),
        Verdict::Rejected(Refusal::Http2 {
            status: 410,
            reason: Reason::Unregistered,
            timestamp_ms: Some(SENT_AT_MS as u64 - 86_400_000),
            apns_unique_id: None,
        }),
    ];
    for (index, verdict) in answers.into_iter().enumerate().rev() {
        let token = DeviceToken::from_bytes(&[0x40 + index as u8; 32]).expect("a token");
        let apns_id: ApnsId = format!("8f1d6c2e-5b3a-4c7e-9d10-2a6b4c8e0f1{index}")
            .parse()
            .expect("an apns-id");
        let mut notification = Notification::new(
            token.clone(),
            Payload::builder()
                .alert_text("Your order has shipped")
                .build()
                .expect("a payload"),
        );
        notification.topic = Some("com.example.app".parse().expect("a topic"));
        notification.apns_id = Some(apns_id);
        let batch = Batch::same_payload(&notification, vec![token.clone()], Transport::Http2)
            .expect("a batch");
        let at = SENT_AT_MS + 60_000 * (2 - index as i64);
        let recorded = history
            .record_batch(&context, &batch, at)
            .expect("the send is recorded");
        let mut outcome = Outcome::not_sent(token, apns_id);
        outcome.verdict = verdict;
        outcome.attempts = 1;
        outcome.latency = Duration::from_millis(38);
        history
            .apply_outcomes(&recorded, &[(0, outcome)], at + 38)
            .expect("the answer is recorded");
    }
}

/// Renders `view` in `theme` once the built-in simulator listens, and compares it. The
/// data folder and the simulator's ports are fixed per snapshot, so paths and ports
/// read the same on every run. The ports sit below Linux's ephemeral range (32768 and up),
/// where any outgoing connection, this suite's own included, may hold one of them.
/// One snapshot at a time: ten apps rendering with lavapipe at once on two cores starve
/// each other past the deadline.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn snapshot(view: View, theme: Theme, name: &str, first_port: u16, seed: Seed) {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = std::env::temp_dir().join(format!("push-console-snapshot-{name}"));
    let _ = std::fs::remove_dir_all(&root);
    let paths = DataPaths::under(&root);
    if let Seed::History = seed {
        seed_history(&paths);
    }
    let mut state = UiState {
        view,
        theme,
        // Times read the same in every time zone the tests run in.
        times_in_utc: true,
        simulator_ports: SimulatorPorts {
            http2: first_port,
            legacy: first_port + 1,
            feedback: first_port + 2,
            channels: first_port + 3,
        },
        ..UiState::default()
    };
    if let Seed::Live = seed {
        let channel = "e0TX+JwRTuadWmvh2mIbnw==";
        state.channels.app = "com.example.pushconsole".into();
        state.channels.known = vec![
            KnownChannel {
                id: channel.into(),
                policy: Some(1),
            },
            KnownChannel {
                id: "Q2hhbm5lbFR3b0lkZW50aXR5".into(),
                policy: None,
            },
        ];
        let activity = &mut state.activity;
        activity.over_channel = true;
        activity.channel = channel.into();
        activity.state = "{\n  \"home\": 2,\n  \"away\": 1\n}".into();
        activity.title = "Goal!".into();
        activity.stale_in = "15".into();
        for (minute, score) in [
            (0, "{\"home\":1,\"away\":1}"),
            (7, "{\"home\":2,\"away\":1}"),
        ] {
            activity.sent.push(SentState {
                at_ms: 1_764_064_800_000 + minute * 60_000,
                activity: format!("channel {channel}"),
                event: "update".into(),
                state: score.into(),
                answer: "200 broadcast accepted on channel e0TX+JwRTuadWmvh2mIbnw==".into(),
            });
        }
    }
    if let Seed::Identity = seed {
        state.import.path = "tests/fixtures/keychain-legacy-rc2-3des.p12".into();
        state.import.password = "fixture".into();
    }
    let app = App::new(paths, Arc::new(MemoryStore::default()), state).expect("engine starts");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_max_steps(64)
        .wgpu()
        .build_ui_state(|ui, app: &mut App| app.show(ui), app);
    let deadline = Instant::now() + Duration::from_secs(20);
    let wait_for = |harness: &mut Harness<'_, App>, label: &str| {
        while harness.query_by_label(label).is_none() {
            assert!(
                harness.query_by_label("Simulator not running").is_none(),
                "{name}: the simulator did not start (is a port from {first_port} to {} taken?)",
                first_port + 3
            );
            assert!(Instant::now() < deadline, "{name}: no {label:?} in time");
            harness.step();
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait_for(&mut harness, "Simulator listening");
    match seed {
        Seed::Nothing => {}
        Seed::History => {
            wait_for(&mut harness, "3 sends match");
            harness.get_by_label("accepted").click();
            wait_for(&mut harness, "Selected send");
        }
        Seed::Live => {}
        Seed::Identity => {
            harness.get_by_label("Import").click();
            wait_for(&mut harness, "Imported com.example.legacy");
        }
    }
    harness.run();
    harness.snapshot(name);
    drop(harness);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn send_light() {
    snapshot(
        View::Send,
        Theme::Light,
        "send_light",
        26_110,
        Seed::Nothing,
    );
}

#[test]
fn send_dark() {
    snapshot(View::Send, Theme::Dark, "send_dark", 26_120, Seed::Nothing);
}

#[test]
fn history_light() {
    snapshot(
        View::History,
        Theme::Light,
        "history_light",
        26_130,
        Seed::History,
    );
}

#[test]
fn history_dark() {
    snapshot(
        View::History,
        Theme::Dark,
        "history_dark",
        26_140,
        Seed::History,
    );
}

#[test]
fn identities_light() {
    snapshot(
        View::Identities,
        Theme::Light,
        "identities_light",
        26_150,
        Seed::Identity,
    );
}

#[test]
fn identities_dark() {
    snapshot(
        View::Identities,
        Theme::Dark,
        "identities_dark",
        26_160,
        Seed::Identity,
    );
}

#[test]
fn settings_light() {
    snapshot(
        View::Settings,
        Theme::Light,
        "settings_light",
        26_170,
        Seed::Nothing,
    );
}

#[test]
fn settings_dark() {
    snapshot(
        View::Settings,
        Theme::Dark,
        "settings_dark",
        26_180,
        Seed::Nothing,
    );
}

#[test]
fn channels_light() {
    snapshot(
        View::Channels,
        Theme::Light,
        "channels_light",
        26_190,
        Seed::Live,
    );
}

#[test]
fn live_activity_light() {
    snapshot(
        View::LiveActivity,
        Theme::Light,
        "live_activity_light",
        26_200,
        Seed::Live,
    );
}

#[test]
fn channels_dark() {
    snapshot(
        View::Channels,
        Theme::Dark,
        "channels_dark",
        26_210,
        Seed::Live,
    );
}

#[test]
fn live_activity_dark() {
    snapshot(
        View::LiveActivity,
        Theme::Dark,
        "live_activity_dark",
        26_220,
        Seed::Live,
    );
}
