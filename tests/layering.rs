//! The layers of `src/` point one way: `apns` <- `net` <- `simulator`; `apns` <- `store`;
//! those <- `engine` <- the front ends (`ui`, `cli`, `rest`). This test reads every `use`
//! and `crate::` path in `src/` and fails when a module reaches a layer it must not, or
//! when the protocol core or the app's views take up IO crates.

use std::path::{Path, PathBuf};

/// Which of our modules each layer may use.
const ALLOWED: &[(&str, &[&str])] = &[
    ("apns", &[]),
    ("net", &["apns"]),
    ("store", &["apns"]),
    ("simulator", &["apns", "net"]),
    ("engine", &["apns", "net", "store", "simulator"]),
    // Settings can serve the REST front end on the app's engine.
    ("ui", &["apns", "engine", "store", "simulator", "rest"]),
    // `push-console serve` starts the REST front end; the REST layer never reaches back.
    ("cli", &["apns", "engine", "store", "simulator", "rest"]),
    ("rest", &["apns", "engine", "store"]),
];

/// Crates a layer must not use at all.
const FORBIDDEN_CRATES: &[(&str, &[&str])] = &[
    (
        "apns",
        &[
            "tokio",
            "h2",
            "rustls",
            "tokio_rustls",
            "egui",
            "rusqlite",
            "keyring_core",
        ],
    ),
    // rustls's crypto provider checks that a key and its certificate belong together.
    ("store", &["tokio", "h2", "tokio_rustls", "egui"]),
    ("ui", &["tokio", "h2", "rustls", "tokio_rustls", "rusqlite"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Our modules a line names: `crate::net`, `use crate::{net, store}` and the like.
fn crate_modules(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            found.extend(
                group[..end]
                    .split(',')
                    .map(|part| part.trim().split("::").next().unwrap_or("").to_owned()),
            );
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

/// External crates a line uses: `use tokio::...`, `tokio::spawn(...)`.
fn names_crate(line: &str, krate: &str) -> bool {
    let code = line.trim_start();
    if code.starts_with("//") {
        return false;
    }
    let prefix = format!("{krate}::");
    code.match_indices(&prefix).any(|(at, _)| {
        at == 0
            || !code[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
    })
}

#[test]
fn no_module_reaches_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    let mut checked = 0;
    for (layer, allowed) in ALLOWED {
        let dir = src.join(layer);
        if !dir.exists() {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&dir, &mut files);
        let forbidden = FORBIDDEN_CRATES
            .iter()
            .find(|(name, _)| name == layer)
            .map_or(&[][..], |(_, crates)| crates);
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file is text");
            checked += 1;
            for (number, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for module in crate_modules(line) {
                    let ours = ALLOWED.iter().any(|(name, _)| *name == module);
                    if ours && module != *layer && !allowed.contains(&module.as_str()) {
                        problems.push(format!(
                            "{}:{}: {layer} uses crate::{module}",
                            file.display(),
                            number + 1
                        ));
                    }
                }
                for krate in forbidden {
                    if names_crate(line, krate) {
                        problems.push(format!(
                            "{}:{}: {layer} uses the {krate} crate",
                            file.display(),
                            number + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} files were read: is src/ where it was?"
    );
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_sees_what_it_must_refuse() {
    assert_eq!(crate_modules("use crate::net::Endpoint;"), ["net"]);
    assert_eq!(
        crate_modules("use crate::{apns::Topic, store::DataPaths};"),
        ["apns", "store"]
    );
    assert_eq!(
        crate_modules("let x = crate::engine::spawn(settings);"),
        ["engine"]
    );
    assert!(names_crate("use tokio::sync::mpsc;", "tokio"));
    assert!(names_crate("    tokio::spawn(async {});", "tokio"));
    assert!(!names_crate(
        "use tokio_util::sync::CancellationToken;",
        "tokio"
    ));
    assert!(!names_crate("// tokio::spawn is not used here", "tokio"));
}
