//! Every view of the app in the light and the dark theme, rendered by wgpu (a software
//! Vulkan driver where there is no GPU: Debian's `mesa-vulkan-drivers`) and compared with
//! the PNGs in `tests/snapshots/`, so a layout regression fails a test. After an intended
//! change: `UPDATE_SNAPSHOTS=1 cargo test --test snapshots`, and look at the new PNGs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use push_console::engine::SimulatorPorts;
use push_console::store::DataPaths;
use push_console::store::secrets::MemoryStore;
use push_console::ui::{App, Theme, UiState, View};

/// Renders `view` in `theme` once the built-in simulator listens, and compares it. The
/// data folder and the simulator's ports are fixed per snapshot, so paths and ports
/// read the same on every run.
fn snapshot(view: View, theme: Theme, name: &str, first_port: u16) {
    let root = std::env::temp_dir().join(format!("push-console-snapshot-{name}"));
    let _ = std::fs::remove_dir_all(&root);
    let state = UiState {
        view,
        theme,
        simulator_ports: SimulatorPorts {
            http2: first_port,
            legacy: first_port + 1,
            feedback: first_port + 2,
        },
        ..UiState::default()
    };
    let app = App::new(
        DataPaths::under(&root),
        Arc::new(MemoryStore::default()),
        state,
    )
    .expect("engine starts");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_max_steps(64)
        .wgpu()
        .build_ui_state(|ui, app: &mut App| app.show(ui), app);
    let deadline = Instant::now() + Duration::from_secs(20);
    while harness.query_by_label("Simulator listening").is_none() {
        assert!(Instant::now() < deadline, "the simulator did not start");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run();
    harness.snapshot(name);
    drop(harness);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn send_light() {
    snapshot(View::Send, Theme::Light, "send_light", 46_110);
}

#[test]
fn send_dark() {
    snapshot(View::Send, Theme::Dark, "send_dark", 46_120);
}

#[test]
fn history_light() {
    snapshot(View::History, Theme::Light, "history_light", 46_130);
}

#[test]
fn history_dark() {
    snapshot(View::History, Theme::Dark, "history_dark", 46_140);
}

#[test]
fn identities_light() {
    snapshot(View::Identities, Theme::Light, "identities_light", 46_150);
}

#[test]
fn identities_dark() {
    snapshot(View::Identities, Theme::Dark, "identities_dark", 46_160);
}

#[test]
fn settings_light() {
    snapshot(View::Settings, Theme::Light, "settings_light", 46_170);
}

#[test]
fn settings_dark() {
    snapshot(View::Settings, Theme::Dark, "settings_dark", 46_180);
}
