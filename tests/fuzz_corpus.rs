//! Every file of the fuzz corpus (`fuzz/corpus/TARGET/`) and every crash the fuzzer kept
//! (`fuzz/artifacts/TARGET/`), replayed through its target under `cargo test`, so CI checks
//! them without the fuzzer. The targets' bodies are `fuzz/targets.rs`, shared with the fuzzer.

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::Path;

/// What a fuzz target does with one input.
type Target = fn(&[u8]);

/// Feeds every file under `fuzz/{corpus,artifacts}/name` to `target`; returns how many.
fn replay(name: &str, target: Target) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut fed = 0;
    for folder in ["corpus", "artifacts"] {
        let Ok(entries) = std::fs::read_dir(root.join(folder).join(name)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let bytes = std::fs::read(&path).expect("a corpus file");
            let result = std::panic::catch_unwind(|| target(&bytes));
            assert!(result.is_ok(), "{} made {name} panic", path.display());
            fed += 1;
        }
    }
    fed
}

#[test]
fn every_corpus_and_crash_file_replays_without_a_panic() {
    let targets: [(&str, Target); 11] = [
        ("legacy_decoder", targets::legacy_decoder),
        ("feedback_decoder", targets::feedback_decoder),
        ("token_list", targets::token_list),
        ("payload_fit", targets::payload_fit),
        ("credential", targets::credential),
        ("rules", targets::rules),
        ("broadcast", targets::broadcast),
        ("apns_file", targets::apns_file),
        ("provider_token", targets::provider_token),
        ("simulator_request", targets::simulator_request),
        ("rest_body", targets::rest_body),
    ];
    for (name, target) in targets {
        assert!(replay(name, target) > 0, "no corpus for {name}");
    }
}
