//! Settings: the built-in simulator (where it listens, its ports and rules), the endpoint
//! to start on, history retention, and where files live.

use std::path::PathBuf;

use super::{TargetChoice, UiState, theme};
use crate::engine::SimulatorPorts;
use crate::simulator::{Rules, SimulatorError};
use crate::store::DataPaths;
use crate::store::history::Retention;

/// What the Settings view knows of the built-in simulator.
#[derive(Debug, Default)]
pub struct SimulatorStatus {
    /// Its ports and CA file, once it listens.
    pub running: Option<(SimulatorPorts, Result<PathBuf, String>)>,
    /// Why the rules typed are not applied, or why it is not running.
    pub problem: Option<String>,
    /// The latest configuration request, and whether the user asked for it (start-up's is
    /// not news).
    pub configuring: Option<(crate::engine::RequestId, bool)>,
}

/// What the view shows about the app itself.
pub struct About<'a> {
    /// Where files live.
    pub paths: &'a DataPaths,
    /// The keychain, in words.
    pub keychain: &'a str,
    /// Where the REST API listens, while the app serves it.
    pub rest: Option<std::net::SocketAddr>,
    /// Why it could not start.
    pub rest_problem: Option<&'a str>,
}

/// What the user asked for.
pub enum SettingsAction {
    /// Apply the simulator's rules and ports.
    ConfigureSimulator,
    /// Apply this history retention.
    SetRetention(Retention),
    /// A setting that is not valid, in words.
    Problem(String),
    /// Start or stop the REST API, as `rest_api` now says.
    RestApi,
}

/// The simulator rules typed as JSON; empty is no rules.
pub fn rules(text: &str) -> Result<Rules, SimulatorError> {
    match text.trim() {
        "" => Ok(Rules::default()),
        text => Rules::from_json(text),
    }
}

/// Draws the view; returns what was asked.
pub fn show(
    ui: &mut egui::Ui,
    state: &mut UiState,
    status: &SimulatorStatus,
    rules_form: &mut super::rules_form::RulesForm,
    about: &About<'_>,
) -> Option<SettingsAction> {
    let mut action = None;
    ui.heading("Simulator");
    match &status.running {
        Some((ports, ca)) => {
            ui.label(format!(
                "Listening on 127.0.0.1: HTTP/2 port {}, legacy gateway {}, feedback {}, channel API {}",
                ports.http2, ports.legacy, ports.feedback, ports.channels
            ));
            match ca {
                Ok(path) => ui.label(format!("Its CA certificate: {}", path.display())),
                Err(problem) => super::theme::problem(ui, problem.as_str()),
            };
        }
        None if status.problem.is_some() => {
            ui.label("Not running.");
        }
        None => {
            ui.label(super::theme::quiet("Starting…"));
        }
    }
    ui.horizontal(|ui| {
        let ports = &mut state.simulator_ports;
        for (name, port) in [
            ("HTTP/2 port", &mut ports.http2),
            ("Legacy port", &mut ports.legacy),
            ("Feedback port", &mut ports.feedback),
            ("Channel API port", &mut ports.channels),
        ] {
            let label = ui.label(name);
            ui.add(egui::DragValue::new(port)).labelled_by(label.id);
        }
        ui.label(super::theme::quiet("0 picks any free port"));
        if ui.button("Apply ports").clicked() {
            action = Some(SettingsAction::ConfigureSimulator);
        }
    });
    ui.label(super::theme::quiet(
        "How the simulator misbehaves on purpose; Apply rules to use them.",
    ));
    super::rules_form::show(ui, &mut state.simulator_rules, rules_form);
    egui::CollapsingHeader::new("Rules as JSON").show(ui, |ui| {
        let label = ui.label("Rules (JSON)");
        ui.add(
            theme::code_field(&mut state.simulator_rules, 6)
                .desired_width(f32::INFINITY)
                .hint_text("{\"unregistered\": [\"<hex token>\"]}"),
        )
        .labelled_by(label.id);
    });
    if ui.button("Apply rules").clicked() {
        action = Some(SettingsAction::ConfigureSimulator);
    }
    if let Some(problem) = &status.problem {
        super::theme::problem(ui, problem.as_str());
    }
    ui.separator();
    ui.heading("Sending");
    ui.horizontal(|ui| {
        let label = ui.label("Start on endpoint");
        let name = |choice: Option<TargetChoice>| {
            choice.map_or_else(|| "the last used".to_owned(), |c| format!("{c:?}"))
        };
        egui::ComboBox::from_id_salt("start on")
            .selected_text(name(state.start_on))
            .show_ui(ui, |ui| {
                for choice in std::iter::once(None).chain(TargetChoice::ALL.map(Some)) {
                    ui.selectable_value(&mut state.start_on, choice, name(choice));
                }
            })
            .response
            .labelled_by(label.id);
        ui.label(super::theme::quiet(
            "e.g. Sandbox, so that a restart never resumes on Production",
        ));
    });
    ui.separator();
    ui.heading("History retention");
    ui.horizontal(|ui| {
        for (name, value, width) in [
            (
                "Keep days",
                &mut state.keep_days,
                super::theme::size::FIELD_XS,
            ),
            (
                "Keep sends",
                &mut state.keep_rows,
                super::theme::size::FIELD_S,
            ),
        ] {
            let label = ui.label(name);
            ui.add(
                egui::TextEdit::singleline(value)
                    .desired_width(width)
                    .hint_text("all"),
            )
            .labelled_by(label.id);
        }
        if ui.button("Apply retention").clicked() {
            let days = state.keep_days.trim();
            let rows = state.keep_rows.trim();
            match (
                (!days.is_empty()).then(|| days.parse::<u32>()).transpose(),
                (!rows.is_empty()).then(|| rows.parse::<u64>()).transpose(),
            ) {
                (Ok(max_age_days), Ok(max_rows)) => {
                    action = Some(SettingsAction::SetRetention(Retention {
                        max_age_days,
                        max_rows,
                    }));
                }
                _ => {
                    action = Some(SettingsAction::Problem(
                        "retention takes whole numbers (or nothing, to keep everything)".into(),
                    ))
                }
            }
        }
    });
    ui.checkbox(
        &mut state.times_in_utc,
        "Show times in UTC, as servers log them (the system's time zone otherwise)",
    );
    ui.separator();
    ui.heading("REST API");
    if ui
        .checkbox(
            &mut state.rest_api,
            "Serve the REST API while the app runs (the same API as `push-console serve`)",
        )
        .changed()
    {
        action = Some(SettingsAction::RestApi);
    }
    ui.horizontal(|ui| {
        let label = ui.label("Listen on");
        ui.add_enabled(
            about.rest.is_none(),
            egui::TextEdit::singleline(&mut state.rest_listen)
                .hint_text("127.0.0.1:8088")
                .desired_width(theme::size::FIELD_M),
        )
        .labelled_by(label.id);
        if let Some(address) = about.rest {
            theme::chip(
                ui,
                &format!("listening on http://{address}"),
                theme::Tone::Accepted,
            );
        }
    });
    if let Some(problem) = about.rest_problem {
        theme::problem(ui, problem);
    }
    ui.label(theme::quiet(format!(
        "Every call but /v1/health takes `Authorization: Bearer <token>`: `push-console serve token` prints it; it is also in {}",
        crate::rest::ApiToken::file(about.paths).display()
    )));
    ui.separator();
    ui.heading("About");
    ui.label(format!(
        "Push Console {} · MIT license · keys in the {}",
        env!("CARGO_PKG_VERSION"),
        about.keychain
    ));
    ui.separator();
    ui.heading("Folders");
    ui.label(format!(
        "Identities and settings: {}",
        about.paths.config_dir.display()
    ));
    ui.label(format!("History: {}", about.paths.history_db().display()));
    ui.label(super::theme::quiet(
        "Set PUSH_CONSOLE_HOME to keep everything in another folder.",
    ));
    action
}
