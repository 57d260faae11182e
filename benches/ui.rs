//! The desktop app's per-frame costs: the byte meter and linter on a 4 KB payload,
//! the payload editor's JSON highlighting, and one whole frame of the app drawn
//! headless. Run: `cargo bench --bench ui`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use push_console::apns::Transport;
use push_console::ui::{
    App, ComposeState, JsonColors, Signer, UiState, json_layout_job, json_layouter,
};

fn compose(c: &mut Criterion) {
    let state = ComposeState {
        json: format!(
            r#"{{"aps":{{"alert":{{"title":"Sale","body":"{}"}},"badge":1,"sound":"default"}},"order":{{"id":7}}}}"#,
            "Grüße aus Köln ".repeat(250)
        ),
        ..ComposeState::default()
    };
    c.bench_function("meter + linter on a 4 KB payload (every keystroke)", |b| {
        b.iter(|| black_box(state.compose(Transport::Http2, Signer::SIMULATOR)))
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

/// A pretty-printed payload of about 4 KB with every kind of token, its first
/// number set to `revision` so that each revision lays out afresh.
fn payload_4kb(revision: u64) -> String {
    let items: Vec<_> = (0..32)
        .map(|i| {
            serde_json::json!({
                "id": i, "name": format!("Grüße {i}"), "price": 9.99, "in_stock": i % 2 == 0,
                "note": null,
            })
        })
        .collect();
    let payload = serde_json::json!({
        "revision": revision,
        "aps": {"alert": {"title": "Sale", "body": "Köln ☕"}, "badge": 1, "sound": "default"},
        "items": items,
    });
    serde_json::to_string_pretty(&payload).expect("serializes")
}

fn highlight(c: &mut Criterion) {
    let json = payload_4kb(0);
    assert!((3_900..4_300).contains(&json.len()), "{} bytes", json.len());
    let font = egui::FontId::monospace(12.0);
    let colors = JsonColors::for_theme(true);
    c.bench_function(
        "JSON highlighting of a 4 KB payload (tokens + LayoutJob)",
        |b| b.iter(|| black_box(json_layout_job(black_box(&json), &font, &colors))),
    );

    let context = egui::Context::default();
    let _ = context.run_ui(egui::RawInput::default(), |_| {});
    // A keystroke changes the text, so egui's galley cache misses: time the layout
    // of fresh text only, and end a pass now and then so the cache drops old galleys.
    let keystroke = |highlighted: bool, iterations: u64| {
        let mut total = Duration::ZERO;
        for revision in 0..iterations {
            let json = payload_4kb(revision);
            let started = Instant::now();
            let job = if highlighted {
                json_layout_job(&json, &font, &colors)
            } else {
                egui::text::LayoutJob::simple(json, font.clone(), colors.punctuation, f32::INFINITY)
            };
            black_box(context.fonts_mut(|fonts| fonts.layout_job(job)));
            total += started.elapsed();
            if revision % 64 == 63 {
                let _ = context.run_ui(egui::RawInput::default(), |_| {});
            }
        }
        total
    };
    c.bench_function("a keystroke in a 4 KB payload: highlight + lay out", |b| {
        b.iter_custom(|iterations| keystroke(true, iterations))
    });
    c.bench_function(
        "a keystroke in a 4 KB payload: lay out uncoloured (baseline)",
        |b| b.iter_custom(|iterations| keystroke(false, iterations)),
    );

    // Every other frame: the text is unchanged, so only the caches are consulted.
    c.bench_function(
        "a frame with an unchanged 4 KB payload: the editor's layouter",
        |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let _ = context.run_ui(egui::RawInput::default(), |ui| {
                        let started = Instant::now();
                        black_box(json_layouter(ui, &json, 600.0));
                        total += started.elapsed();
                    });
                }
                total
            })
        },
    );
}

criterion_group!(benches, compose, highlight, frame);
criterion_main!(benches);
