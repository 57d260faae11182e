//! The app's frame time under load, drawn headless (layout only, no GPU):
//! scrolling and filtering a 1,000,000-row history, scrolling the 1,000,000-row
//! feedback and disconnection lists, and a 100,000-token send
//! running while frames are drawn. Prints median, 99th percentile and worst
//! frame, and the process's resident memory.
//!
//! `cargo bench --bench ui_load`. The history part reads the 1M-row database
//! that `cargo bench --bench history` builds (target/history-bench/home); it is
//! skipped, saying so, when that is missing.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use push_console::store::DataPaths;
use push_console::store::history::View as StoreView;
use push_console::store::secrets::MemoryStore;
use push_console::ui::{App, HistoryTab, UiState, View};

struct Frames {
    context: egui::Context,
    times: Vec<Duration>,
}

impl Frames {
    fn new() -> Self {
        Self {
            context: egui::Context::default(),
            times: Vec::new(),
        }
    }

    /// Draws one frame with `events`, timing the whole `run_ui` pass.
    fn draw(&mut self, app: &mut App, events: Vec<egui::Event>) {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1400.0, 900.0),
            )),
            events,
            ..egui::RawInput::default()
        };
        let started = Instant::now();
        let output = self.context.run_ui(input, |ui| app.show(ui));
        self.times.push(started.elapsed());
        std::hint::black_box(output);
    }

    fn clear(&mut self) {
        self.times.clear();
    }

    fn report(&mut self, what: &str) {
        self.times.sort();
        let at =
            |q: f64| self.times[((self.times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e3;
        println!(
            "| {what} | {} | {:.2} ms | {:.2} ms | {:.2} ms |",
            self.times.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        );
        self.clear();
    }
}

fn wheel(lines: f32) -> Vec<egui::Event> {
    vec![
        egui::Event::PointerMoved(egui::pos2(700.0, 600.0)),
        egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Line,
            delta: egui::vec2(0.0, -lines),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        },
    ]
}

/// Resident and peak memory of this process, from /proc (Linux).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or_else(|| "?".into(), |kb| format!("{:.0} MB", kb / 1024.0))
    };
    format!("resident {}, peak {}", field("VmRSS:"), field("VmHWM:"))
}

fn app(root: &Path, state: UiState) -> App {
    App::new(
        DataPaths::under(root),
        Arc::new(MemoryStore::default()),
        state,
    )
    .expect("engine starts")
}

/// Draws frames (one every 4 ms, as a busy window would) until `done`; panics after `limit`
/// so that a stuck engine is not reported as a result.
fn draw_until(frames: &mut Frames, app: &mut App, limit: Duration, done: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + limit;
    while !done(app) {
        assert!(
            Instant::now() < deadline,
            "nothing happened within {limit:?}"
        );
        frames.draw(app, Vec::new());
        std::thread::sleep(Duration::from_millis(4));
    }
}

fn history_at_a_million(frames: &mut Frames) {
    let home = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/history-bench/home");
    if !DataPaths::under(&home).history_db().exists() {
        println!("(no 1M-row database: run `cargo bench --bench history` first)");
        return;
    }
    let mut app = app(
        &home,
        UiState {
            view: View::History,
            ..UiState::default()
        },
    );
    draw_until(frames, &mut app, Duration::from_secs(30), |app| {
        app.history.total().is_some()
    });
    frames.clear();
    println!(
        "history: {} sends; {}",
        app.history.total().unwrap_or(0),
        memory()
    );
    // A user reading down the list: three lines per wheel notch.
    for _ in 0..600 {
        frames.draw(&mut app, wheel(3.0));
    }
    frames.report("history, 1M rows: wheel scrolling, 600 frames");
    // Flinging far: a page of rows per frame, reaching pages not loaded yet.
    for _ in 0..600 {
        frames.draw(&mut app, wheel(400.0));
        std::thread::sleep(Duration::from_millis(2));
    }
    frames.report("history, 1M rows: fast scrolling into unloaded pages");
    for state in ["rejected", "failed", "accepted"] {
        app.state.history.state = Some(state.into());
        // The list starts over once the filters have settled, and shows the new count.
        draw_until(frames, &mut app, Duration::from_secs(10), |app| {
            app.history.is_replacing()
        });
        draw_until(frames, &mut app, Duration::from_secs(10), |app| {
            !app.history.is_replacing()
        });
        for _ in 0..100 {
            frames.draw(&mut app, wheel(40.0));
            std::thread::sleep(Duration::from_millis(2));
        }
        println!("filter {state}: {} sends", app.history.total().unwrap_or(0));
    }
    frames.report("history, 1M rows: filter by state, then scroll");
    println!(
        "history after scrolling and filtering: {} rows held; {}",
        app.history.loaded_rows(),
        memory()
    );
}

/// The conversation views over their 1,000,000 rows each (feedback, disconnections): read
/// down with the wheel, then flung far into pages not loaded yet.
fn conversation_at_a_million(frames: &mut Frames) {
    let home = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/history-bench/home");
    if !DataPaths::under(&home).history_db().exists() {
        return;
    }
    for (position, view) in [(2, StoreView::Feedback), (3, StoreView::Disconnections)] {
        assert_eq!(StoreView::ALL[position], view);
        let mut app = app(
            &home,
            UiState {
                view: View::History,
                history_tab: HistoryTab::Conversation(view),
                ..UiState::default()
            },
        );
        draw_until(frames, &mut app, Duration::from_secs(30), |app| {
            app.conversation[position].total().is_some()
        });
        frames.clear();
        println!(
            "{}: {} rows; {}",
            view.as_str(),
            app.conversation[position].total().unwrap_or(0),
            memory()
        );
        for _ in 0..600 {
            frames.draw(&mut app, wheel(3.0));
        }
        frames.report(&format!("{}, 1M rows: wheel scrolling", view.as_str()));
        for _ in 0..600 {
            frames.draw(&mut app, wheel(400.0));
            std::thread::sleep(Duration::from_millis(2));
        }
        frames.report(&format!(
            "{}, 1M rows: fast scrolling into unloaded pages",
            view.as_str()
        ));
        println!(
            "{} after scrolling: {} rows held; {}",
            view.as_str(),
            app.conversation[position].loaded_rows(),
            memory()
        );
    }
}

fn hundred_thousand_send(frames: &mut Frames) {
    let root = std::env::temp_dir().join(format!("push-console-ui-load-{}", std::process::id()));
    let mut state = UiState::default();
    state.send.tokens = (0..100_000u32).map(|i| format!("{i:064x}\n")).collect();
    let mut app = app(&root, state);
    for _ in 0..3 {
        frames.draw(&mut app, Vec::new());
    }
    frames.clear();
    let started = Instant::now();
    frames.draw(
        &mut app,
        vec![egui::Event::Key {
            key: egui::Key::Enter,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: egui::Modifiers::COMMAND,
        }],
    );
    draw_until(frames, &mut app, Duration::from_secs(300), |app| {
        app.run.as_ref().is_some_and(|run| run.finished)
    });
    let elapsed = started.elapsed();
    let accepted = app.run.as_ref().map_or(0, |run| run.progress.accepted);
    frames.report("Send view during a 100,000-token send to the simulator");
    // The same view once the send is over: the UI's own cost with 100,000 results in the
    // table, without the sender and the simulator competing for the 2 cores.
    for _ in 0..300 {
        frames.draw(&mut app, wheel(3.0));
    }
    frames.report("Send view after it, scrolling 100,000 results");
    println!(
        "100,000-token send: {accepted} accepted in {:.1} s; {}",
        elapsed.as_secs_f64(),
        memory()
    );
    let _ = std::fs::remove_dir_all(&root);
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    println!("| frames | count | median | 99th percentile | worst |");
    println!("|---|---|---|---|---|");
    let mut frames = Frames::new();
    // The history first, so its memory is not the send's.
    history_at_a_million(&mut frames);
    conversation_at_a_million(&mut frames);
    hundred_thousand_send(&mut frames);
}
