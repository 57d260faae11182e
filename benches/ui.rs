//! The desktop app's per-frame costs: the byte meter and linter on a 4 KB payload,
//! and one whole frame of the app drawn headless. Run: `cargo bench --bench ui`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use push_console::apns::{AuthKind, Transport};
use push_console::ui::{App, ComposeState, UiState};

fn compose(c: &mut Criterion) {
    let state = ComposeState {
        json: format!(
            r#"{{"aps":{{"alert":{{"title":"Sale","body":"{}"}},"badge":1,"sound":"default"}},"order":{{"id":7}}}}"#,
            "Grüße aus Köln ".repeat(250)
        ),
        ..ComposeState::default()
    };
    c.bench_function("meter + linter on a 4 KB payload (every keystroke)", |b| {
        b.iter(|| black_box(state.compose(Transport::Http2, AuthKind::Certificate)))
    });
}

fn frame(c: &mut Criterion) {
    let root = std::env::temp_dir().join(format!("push-console-ui-bench-{}", std::process::id()));
    let app = App::new(
        push_console::store::DataPaths::under(&root),
        std::sync::Arc::new(push_console::store::secrets::MemoryStore::default()),
        UiState::default(),
    )
    .expect("engine starts");
    let context = egui::Context::default();
    let mut app = app;
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 860.0),
        )),
        ..egui::RawInput::default()
    };
    // Warm up: fonts and layout caches.
    for _ in 0..3 {
        let _ = context.run_ui(input(), |ui| app.show(ui));
    }
    c.bench_function(
        "one frame of the Send view (layout + tessellation-free pass)",
        |b| b.iter(|| black_box(context.run_ui(input(), |ui| app.show(ui)))),
    );
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, compose, frame);
criterion_main!(benches);
