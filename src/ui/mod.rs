//! The desktop app (eframe/egui). The UI never blocks: it sends commands to the
//! engine and drains its events once a frame; the engine asks for a repaint
//! after each event, so an idle window costs no CPU.

mod aps_form;
mod compose;
mod history;
mod identities;
mod json_highlight;
mod saved;
mod send;

use std::sync::{Arc, OnceLock};

use egui::{Color32, RichText};

pub use compose::{ComposeState, SAMPLE_PAYLOAD, from_apns_file, meter, to_apns_file};
pub use history::{HistoryForm, HistoryWindow};
pub use identities::{ConnectionTest, ConnectionTestForm, IdentitiesView, ImportForm};
pub use json_highlight::{JsonColors, json_layout_job, layouter as json_layouter};
use send::ParsedTokens;
pub use send::{ProtocolChoice, Run, SAMPLE_TOKEN, SendForm, TargetChoice, parse_tokens};

use crate::apns::{AuthKind, Transport, group_thousands};
use crate::engine::{
    Command, EngineHandle, EngineSettings, Event, ProbeVerdict, RequestId, SendRequest,
    SimulatorPorts,
};
use crate::store::DataPaths;
use crate::store::history::{ExportFormat, Retention};
use crate::store::secrets::SecretStore;
use identities::IdentityAction;

/// The views.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum View {
    /// Compose a push and send it.
    #[default]
    Send,
    /// What was sent and answered.
    History,
    /// Credentials.
    Identities,
    /// Simulator rules, history retention, folders.
    Settings,
}

/// Everything that survives a restart. No secrets: the .p12 password is skipped.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct UiState {
    /// The open view.
    pub view: View,
    /// The payload and headers.
    pub compose: ComposeState,
    /// Target, identity, tokens.
    pub send: SendForm,
    /// History filters.
    pub history: HistoryForm,
    /// The import form.
    pub import: ImportForm,
    /// Where "Test connection" tries identities.
    pub connection_test: ConnectionTestForm,
    /// Light, dark, or the system's.
    pub theme: Theme,
    /// Saved payloads with their headers.
    pub templates: Vec<saved::Named<ComposeState>>,
    /// Saved token lists, each for one identity and endpoint.
    pub token_lists: Vec<saved::Named<TokenList>>,
    /// The name typed for saving a token list.
    pub token_list_name: String,
    /// The built-in simulator's rules, as JSON.
    pub simulator_rules: String,
    /// The built-in simulator's ports.
    pub simulator_ports: SimulatorPorts,
    /// The endpoint the Send view starts on (`None`: the last used).
    pub start_on: Option<TargetChoice>,
    /// History retention: days to keep (empty: no limit).
    pub keep_days: String,
    /// History retention: rows to keep (empty: no limit).
    pub keep_rows: String,
    /// The name typed for saving a template.
    pub template_name: String,
}

/// Tokens saved for one identity and endpoint (a test device fleet per environment).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TokenList {
    /// The identity it belongs with (`None`: the simulator's own).
    pub identity: Option<String>,
    /// The endpoint it belongs with.
    pub target: TargetChoice,
    /// The tokens, one per line.
    pub tokens: String,
}

/// The colour theme; follows the system unless chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Theme {
    /// Follow the operating system.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl Theme {
    fn preference(self) -> egui::ThemePreference {
        match self {
            Theme::System => egui::ThemePreference::System,
            Theme::Light => egui::ThemePreference::Light,
            Theme::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// What the Settings view knows of the built-in simulator.
#[derive(Debug, Default)]
struct SimulatorStatus {
    /// Its ports and CA file, once it listens.
    running: Option<(SimulatorPorts, Result<std::path::PathBuf, String>)>,
    /// Why the rules typed are not applied.
    problem: Option<String>,
    /// The configuration sent at start-up, which the user did not ask to be told about.
    startup_request: Option<RequestId>,
}

/// The app: its persisted state, the engine, and what the engine last said.
pub struct App {
    engine: EngineHandle,
    paths: DataPaths,
    context: Arc<OnceLock<egui::Context>>,
    /// The persisted state.
    pub state: UiState,
    /// The current or last send.
    pub run: Option<Run>,
    /// The history list: the pages on screen and the count of matches.
    pub history: HistoryWindow,
    identities: IdentitiesView,
    parsed_tokens: ParsedTokens,
    simulator: SimulatorStatus,
    /// The user asked to see a long token list as text despite its cost.
    edit_large_token_list: bool,
    message: Option<String>,
    notice: Option<String>,
    started: bool,
}

impl App {
    /// An app over a new engine using `paths` and `secrets`, starting from `state`.
    pub fn new(
        paths: DataPaths,
        secrets: Arc<dyn SecretStore>,
        state: UiState,
    ) -> std::io::Result<Self> {
        let context: Arc<OnceLock<egui::Context>> = Arc::new(OnceLock::new());
        let repaint_context = Arc::clone(&context);
        let engine = crate::engine::spawn(EngineSettings {
            paths: paths.clone(),
            secrets,
            repaint: Arc::new(move || {
                if let Some(context) = repaint_context.get() {
                    context.request_repaint();
                }
            }),
        })?;
        Ok(Self {
            engine,
            paths,
            context,
            state,
            run: None,
            history: HistoryWindow::default(),
            identities: IdentitiesView::default(),
            parsed_tokens: ParsedTokens::default(),
            simulator: SimulatorStatus::default(),
            edit_large_token_list: false,
            message: None,
            notice: None,
            started: false,
        })
    }

    fn request(&self, make: impl FnOnce(RequestId) -> Command) -> RequestId {
        let id = self.engine.next_id();
        self.engine.command(make(id));
        id
    }

    /// Starts the history list over: the filters changed or new sends were recorded.
    fn reload_history(&mut self) {
        if let Some(first) = self.history.restart(&self.state.history) {
            self.load_history_page(0, first);
        }
    }

    fn load_history_page(&mut self, page: u64, request: history::PageRequest) {
        let id = self.request(|id| Command::LoadHistory {
            id,
            filter: Box::new(request.filter),
            cursor: request.cursor,
            offset: request.offset,
            limit: history::PAGE_ROWS,
            count: request.count,
        });
        self.history.requested(id, page);
    }

    /// Applies what the engine reported since the last frame.
    pub fn drain_events(&mut self) {
        while let Some(event) = self.engine.try_event() {
            self.apply(event);
        }
    }

    fn apply(&mut self, event: Event) {
        let run_id = self.run.as_ref().map(|run| run.id);
        match event {
            Event::SendStarted { id, total } if Some(id) == run_id => {
                if let Some(run) = &mut self.run {
                    run.total = total;
                    run.outcomes = vec![None; total];
                }
            }
            Event::Progress { id, progress } if Some(id) == run_id => {
                if let Some(run) = &mut self.run {
                    run.progress = progress;
                }
            }
            Event::Outcome { id, index, outcome } if Some(id) == run_id => {
                if let Some(slot) = self
                    .run
                    .as_mut()
                    .and_then(|run| run.outcomes.get_mut(index))
                {
                    *slot = Some(*outcome);
                }
            }
            Event::SendFinished {
                id,
                report,
                history_problem,
            } if Some(id) == run_id => {
                if let Some(run) = &mut self.run {
                    run.finished = true;
                    run.notes.extend(report.errors.iter().cloned());
                    run.notes.extend(
                        history_problem
                            .map(|problem| format!("the history is incomplete: {problem}")),
                    );
                }
                self.reload_history();
            }
            Event::HistoryPage { id, rows, total } => {
                self.history.accept(id, rows, total);
            }
            Event::Identities {
                identities,
                keychain,
                ..
            } => {
                self.identities.list = identities;
                self.identities.keychain = keychain;
            }
            Event::Imported { result, .. } => {
                self.identities.last_import =
                    Some(result.map(|(identity, findings)| (identity.name, findings)));
            }
            Event::ConnectionTested {
                identity: Some(name),
                verdict,
                ..
            } => {
                self.identities
                    .tests
                    .insert(name, ConnectionTest::Finished(verdict));
            }
            Event::SimulatorRunning { ports, ca } => self.simulator.running = Some((ports, ca)),
            Event::Done { id, .. } if Some(id) == self.simulator.startup_request => {}
            Event::Done { message, .. } => self.notice = Some(message),
            Event::Failed { id, message } => {
                if self.history.failed(id, &message) {
                    return;
                }
                if let Some(run) = self.run.as_mut().filter(|run| run.id == id) {
                    run.finished = true;
                    run.notes.push(message);
                } else {
                    self.message = Some(message);
                }
            }
            // Events of an earlier send that was replaced.
            _ => {}
        }
    }

    fn start_send(&mut self, transport: Transport) {
        let auth = AuthKind::Certificate;
        let composed = self.state.compose.compose(transport, auth);
        self.parsed_tokens.update(&self.state.send.tokens);
        let tokens = self.parsed_tokens.tokens.clone();
        let (Some(template), None, false) =
            (composed.notification, composed.blocker, tokens.is_empty())
        else {
            return;
        };
        let target = match self.state.send.target() {
            Ok(target) => target,
            Err(problem) => {
                self.message = Some(problem);
                return;
            }
        };
        let request = SendRequest {
            target,
            identity: self.state.send.identity.clone(),
            template,
            tokens,
            transport,
            concurrency: self.state.send.concurrency,
            record_history: true,
        };
        self.submit(request);
    }

    fn submit(&mut self, mut request: SendRequest) {
        // The run keeps the request for "retry failed", which takes its tokens from the
        // outcomes: copying 100,000 tokens here would only stall this frame.
        let tokens = std::mem::take(&mut request.tokens);
        let kept = request.clone();
        request.tokens = tokens;
        let id = self.request(|id| Command::Send {
            id,
            request: Box::new(request),
        });
        self.run = Some(Run {
            id,
            request: Some(kept),
            ..Run::default()
        });
    }

    /// Sends again what the last run did not deliver and may still succeed:
    /// not sent, failed, or rejected for a retryable reason.
    fn retry_failed(&mut self) {
        let Some(run) = &self.run else { return };
        let Some(mut request) = run.request.clone() else {
            return;
        };
        request.tokens = run
            .outcomes
            .iter()
            .flatten()
            .filter(|outcome| outcome.needs_retry())
            .map(|outcome| outcome.token.clone())
            .collect();
        if !request.tokens.is_empty() {
            self.submit(request);
        }
    }

    /// One frame: drain the engine's events, then draw.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        if self.context.get().is_none() {
            let _ = self.context.set(ui.ctx().clone());
        }
        if !self.started {
            self.started = true;
            ui.ctx().set_theme(self.state.theme.preference());
            self.request(|id| Command::ListIdentities { id });
            self.simulator.startup_request = self.configure_simulator();
            if let Some(target) = self.state.start_on {
                self.state.send.target = target;
            }
            self.reload_history();
        }
        self.drain_events();
        self.accept_dropped_files(ui.ctx());
        if ui.input_mut(|input| input.consume_key(egui::Modifiers::COMMAND, egui::Key::K)) {
            self.next_identity();
        }
        egui::Panel::top("views").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("Push Console");
                ui.separator();
                for (view, label) in [
                    (View::Send, "Send"),
                    (View::History, "History"),
                    (View::Identities, "Identities"),
                    (View::Settings, "Settings"),
                ] {
                    if ui
                        .selectable_label(self.state.view == view, label)
                        .clicked()
                    {
                        self.state.view = view;
                        if view == View::History {
                            self.reload_history();
                        }
                    }
                }
                ui.separator();
                let before = self.state.theme;
                let label = ui.label("Theme");
                egui::ComboBox::from_id_salt("theme")
                    .selected_text(format!("{:?}", self.state.theme))
                    .show_ui(ui, |ui| {
                        for theme in [Theme::System, Theme::Light, Theme::Dark] {
                            ui.selectable_value(&mut self.state.theme, theme, format!("{theme:?}"));
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if self.state.theme != before {
                    ui.ctx().set_theme(self.state.theme.preference());
                }
            });
        });
        egui::CentralPanel::default().show(ui, |ui| {
            let mut dismissed = false;
            if let Some(message) = &self.message {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(message).color(Color32::from_rgb(0xdc, 0x26, 0x26)));
                    dismissed = ui.small_button("Dismiss").clicked();
                });
            }
            if dismissed {
                self.message = None;
            }
            if let Some(notice) = &self.notice {
                ui.label(RichText::new(notice).weak());
            }
            match self.state.view {
                View::Send => self.send_view(ui),
                View::History => self.history_view(ui),
                View::Settings => self.settings_view(ui),
                View::Identities => {
                    match identities::show(
                        ui,
                        &mut self.state.import,
                        &mut self.state.connection_test,
                        &self.identities,
                    ) {
                        Some(IdentityAction::Test(name)) => self.test_connection(name),
                        Some(IdentityAction::Import) => {
                            let request = self.state.import.request();
                            self.state.import.password.clear();
                            self.request(|id| Command::ImportIdentity {
                                id,
                                request: Box::new(request),
                            });
                        }
                        Some(IdentityAction::Delete(name)) => {
                            self.request(|id| Command::DeleteIdentity { id, name });
                        }
                        None => {}
                    }
                }
            }
        });
    }

    /// Ctrl/Cmd+K: the next identity for sending, the simulator's own after the last.
    fn next_identity(&mut self) {
        let names: Vec<Option<String>> = std::iter::once(None)
            .chain(self.identities.list.iter().map(|i| Some(i.name.clone())))
            .collect();
        let current = names
            .iter()
            .position(|name| *name == self.state.send.identity)
            .unwrap_or(0);
        let next = names[(current + 1) % names.len()].clone();
        self.notice = Some(format!(
            "Sending as {} (Ctrl/Cmd+K for the next identity)",
            next.as_deref().unwrap_or("the simulator's own identity")
        ));
        self.state.send.identity = next;
    }

    fn test_connection(&mut self, name: String) {
        let form = &self.state.connection_test;
        let topic = match form.topic.trim() {
            "" => None,
            topic => match topic.parse() {
                Ok(topic) => Some(topic),
                Err(error) => {
                    let verdict = ProbeVerdict::unsendable(format!("{error}"));
                    self.identities
                        .tests
                        .insert(name, ConnectionTest::Finished(verdict));
                    return;
                }
            },
        };
        // A custom host is the one typed in the Send view.
        let target = self.state.send.target_for(form.target);
        match target {
            Ok(target) => {
                self.request(|id| Command::TestConnection {
                    id,
                    target,
                    identity: Some(name.clone()),
                    topic,
                });
                self.identities.tests.insert(name, ConnectionTest::Running);
            }
            Err(problem) => {
                self.identities.tests.insert(
                    name,
                    ConnectionTest::Finished(ProbeVerdict::unsendable(format!(
                        "{problem} (set the custom host in the Send view)"
                    ))),
                );
            }
        }
    }

    fn accept_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|input| {
            input
                .raw
                .dropped_files
                .first()
                .map(|file| file.path().to_owned())
        });
        if let Some(path) = dropped {
            self.state.import.path = path.display().to_string();
            self.state.view = View::Identities;
        }
    }

    fn history_view(&mut self, ui: &mut egui::Ui) {
        let refresh = history::filters(ui, &mut self.state.history);
        match self
            .history
            .needs_restart(&self.state.history, std::time::Instant::now())
        {
            _ if refresh => self.reload_history(),
            Some(true) => self.reload_history(),
            Some(false) => {}
            None => ui.ctx().request_repaint_after(history::FILTER_SETTLE),
        }
        self.history_exports(ui);
        if let Some(send) = &self.history.selected {
            egui::CollapsingHeader::new("Selected send")
                .default_open(true)
                .show(ui, |ui| history::detail(ui, send));
        }
        let table = history::table(ui, &self.history);
        if let Some(send) = table.clicked {
            let reopened = self.history.selected.as_ref().map(|s| s.id) == Some(send.id);
            self.history.selected = (!reopened).then_some(send);
        }
        if let Some(visible) = table.visible {
            self.history.keep_near(&visible);
            for page in self.history.missing(&visible) {
                if let Some(request) = self.history.request(page) {
                    self.load_history_page(page, request);
                }
            }
        }
    }

    /// Export the filtered history, or the unregistered tokens to prune a database.
    fn history_exports(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            for (label, format, extension) in [
                ("Export CSV…", ExportFormat::Csv, "csv"),
                ("Export JSON Lines…", ExportFormat::JsonLines, "jsonl"),
            ] {
                if ui.button(label).clicked()
                    && let Ok(filter) = self.state.history.filter()
                    && let Some(path) = rfd::FileDialog::new()
                        .set_file_name(format!("push-history.{extension}"))
                        .save_file()
                {
                    self.request(|id| Command::ExportHistory {
                        id,
                        filter: Box::new(filter),
                        format,
                        path,
                    });
                }
            }
            if ui.button("Export unregistered tokens…").clicked()
                && let Some(path) = rfd::FileDialog::new()
                    .set_file_name("unregistered-tokens.txt")
                    .save_file()
            {
                self.request(|id| Command::ExportUnregistered { id, path });
            }
        });
    }

    /// Sends the simulator's rules and ports to the engine, which starts it if need be.
    fn configure_simulator(&mut self) -> Option<RequestId> {
        let text = self.state.simulator_rules.trim();
        let rules = if text.is_empty() {
            Ok(crate::simulator::Rules::default())
        } else {
            crate::simulator::Rules::from_json(text)
        };
        let rules = match rules {
            Ok(rules) => {
                self.simulator.problem = None;
                rules
            }
            Err(error) => {
                self.simulator.problem = Some(format!("the rules are not applied: {error}"));
                return None;
            }
        };
        let ports = self.state.simulator_ports;
        Some(self.request(|id| Command::ConfigureSimulator {
            id,
            rules: Box::new(rules),
            ports,
        }))
    }

    fn settings_view(&mut self, ui: &mut egui::Ui) {
        ui.heading("Simulator");
        match &self.simulator.running {
            Some((ports, ca)) => {
                ui.label(format!(
                    "Listening on 127.0.0.1: HTTP/2 port {}, legacy gateway {}, feedback {}",
                    ports.http2, ports.legacy, ports.feedback
                ));
                match ca {
                    Ok(path) => ui.label(format!("Its CA certificate: {}", path.display())),
                    Err(problem) => ui.colored_label(ui.visuals().error_fg_color, problem),
                };
            }
            None => {
                ui.label(RichText::new("Starting…").weak());
            }
        }
        ui.horizontal(|ui| {
            let ports = &mut self.state.simulator_ports;
            for (name, port) in [
                ("HTTP/2 port", &mut ports.http2),
                ("Legacy port", &mut ports.legacy),
                ("Feedback port", &mut ports.feedback),
            ] {
                let label = ui.label(name);
                ui.add(egui::DragValue::new(port)).labelled_by(label.id);
            }
            ui.label(RichText::new("0 picks any free port").weak());
            if ui.button("Apply ports").clicked() {
                let _ = self.configure_simulator();
            }
        });
        ui.label(
            RichText::new(
                "Rules as JSON: bad_tokens, unregistered, throttled, flaky, error_response_delay_ms, goaway_after_streams, close_after_notifications, max_concurrent_streams, token_auth_single_stream, response_delay_ms",
            )
            .weak(),
        );
        let label = ui.label("Rules (JSON)");
        ui.add(
            egui::TextEdit::multiline(&mut self.state.simulator_rules)
                .code_editor()
                .desired_rows(6)
                .desired_width(f32::INFINITY)
                .hint_text("{\"unregistered\": [\"<hex token>\"]}"),
        )
        .labelled_by(label.id);
        if ui.button("Apply rules").clicked() {
            let _ = self.configure_simulator();
        }
        if let Some(problem) = &self.simulator.problem {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
        ui.separator();
        ui.heading("Sending");
        ui.horizontal(|ui| {
            let label = ui.label("Start on endpoint");
            let name = |choice: Option<TargetChoice>| {
                choice.map_or_else(|| "the last used".to_owned(), |c| format!("{c:?}"))
            };
            egui::ComboBox::from_id_salt("start on")
                .selected_text(name(self.state.start_on))
                .show_ui(ui, |ui| {
                    for choice in std::iter::once(None).chain(TargetChoice::ALL.map(Some)) {
                        ui.selectable_value(&mut self.state.start_on, choice, name(choice));
                    }
                })
                .response
                .labelled_by(label.id);
            ui.label(
                RichText::new("e.g. Sandbox, so that a restart never resumes on Production").weak(),
            );
        });
        ui.separator();
        ui.heading("History retention");
        ui.horizontal(|ui| {
            let label = ui.label("Keep days");
            ui.add(
                egui::TextEdit::singleline(&mut self.state.keep_days)
                    .desired_width(60.0)
                    .hint_text("all"),
            )
            .labelled_by(label.id);
            let label = ui.label("Keep sends");
            ui.add(
                egui::TextEdit::singleline(&mut self.state.keep_rows)
                    .desired_width(100.0)
                    .hint_text("all"),
            )
            .labelled_by(label.id);
            if ui.button("Apply retention").clicked() {
                let days = self.state.keep_days.trim();
                let rows = self.state.keep_rows.trim();
                match (
                    (!days.is_empty()).then(|| days.parse::<u32>()).transpose(),
                    (!rows.is_empty()).then(|| rows.parse::<u64>()).transpose(),
                ) {
                    (Ok(max_age_days), Ok(max_rows)) => {
                        self.request(|id| Command::SetRetention {
                            id,
                            retention: Retention {
                                max_age_days,
                                max_rows,
                            },
                        });
                    }
                    _ => {
                        self.message = Some(
                            "retention takes whole numbers (or nothing, to keep everything)".into(),
                        )
                    }
                }
            }
        });
        ui.separator();
        ui.heading("About");
        ui.label(format!(
            "Push Console {} · MIT license · keys in the {}",
            env!("CARGO_PKG_VERSION"),
            self.identities.keychain
        ));
        ui.separator();
        ui.heading("Folders");
        ui.label(format!(
            "Identities and settings: {}",
            self.paths.config_dir.display()
        ));
        ui.label(format!("History: {}", self.paths.history_db().display()));
        ui.label(
            RichText::new("Set PUSH_CONSOLE_HOME to keep everything in another folder.").weak(),
        );
    }

    /// Templates and .apns files: save, load, delete, import, export.
    fn templates_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let compose = self.state.compose.clone();
            if let Some(template) = saved::bar(
                ui,
                &saved::Labels {
                    name: "Template",
                    load: "Load template",
                    save: "Save template",
                },
                &mut self.state.templates,
                &mut self.state.template_name,
                || compose,
                |_| true,
            ) {
                self.state.compose = template.value;
                self.state.template_name = template.name;
            }
            ui.separator();
            if ui.button("Import .apns…").clicked()
                && let Some(path) = rfd::FileDialog::new()
                    .add_filter("APNs payload", &["apns", "json"])
                    .pick_file()
            {
                match std::fs::read_to_string(&path)
                    .map_err(|error| error.to_string())
                    .and_then(|text| from_apns_file(&text))
                {
                    Ok(compose) => self.state.compose = compose,
                    Err(problem) => self.message = Some(format!("{}: {problem}", path.display())),
                }
            }
            if ui.button("Export .apns…").clicked()
                && let Some(path) = rfd::FileDialog::new()
                    .set_file_name("payload.apns")
                    .save_file()
            {
                let written = to_apns_file(&self.state.compose).and_then(|text| {
                    crate::store::write_atomically(&path, text.as_bytes())
                        .map_err(|error| error.to_string())
                });
                match written {
                    Ok(()) => self.notice = Some(format!("Exported {}", path.display())),
                    Err(problem) => self.message = Some(problem),
                }
            }
        });
    }

    fn send_view(&mut self, ui: &mut egui::Ui) {
        let transport = self.state.send.protocol.transport();
        self.templates_bar(ui);
        let composed = self.state.compose.compose(transport, AuthKind::Certificate);
        compose::show(ui, &mut self.state.compose, &composed);
        ui.separator();
        let form = &mut self.state.send;
        ui.horizontal(|ui| {
            let endpoint_label = ui.label("Endpoint");
            egui::ComboBox::from_id_salt("target")
                .selected_text(format!("{:?}", form.target))
                .show_ui(ui, |ui| {
                    for choice in TargetChoice::ALL {
                        ui.selectable_value(&mut form.target, choice, format!("{choice:?}"));
                    }
                })
                .response
                .labelled_by(endpoint_label.id);
            let label = ui.label("Protocol");
            egui::ComboBox::from_id_salt("protocol")
                .selected_text(form.protocol.label())
                .show_ui(ui, |ui| {
                    for choice in ProtocolChoice::ALL {
                        ui.selectable_value(&mut form.protocol, choice, choice.label());
                    }
                })
                .response
                .labelled_by(label.id);
            if form.target == TargetChoice::Custom {
                ui.add(
                    egui::TextEdit::singleline(&mut form.custom)
                        .hint_text("host:port")
                        .desired_width(160.0),
                )
                .labelled_by(endpoint_label.id);
                let label = ui.label("CA file");
                ui.add(
                    egui::TextEdit::singleline(&mut form.ca)
                        .hint_text("optional, e.g. a simulator's ca.pem")
                        .desired_width(200.0),
                )
                .labelled_by(label.id);
            }
            let label = ui.label("Identity");
            egui::ComboBox::from_id_salt("identity")
                .selected_text(
                    form.identity
                        .clone()
                        .unwrap_or_else(|| "simulator's own".into()),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut form.identity, None, "simulator's own");
                    for identity in &self.identities.list {
                        ui.selectable_value(
                            &mut form.identity,
                            Some(identity.name.clone()),
                            &identity.name,
                        );
                    }
                })
                .response
                .labelled_by(label.id);
            let label = ui.label("Concurrency");
            ui.add(egui::DragValue::new(&mut form.concurrency).range(1..=1000))
                .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            let (identity, target) = (form.identity.clone(), form.target);
            let list = || TokenList {
                identity: form.identity.clone(),
                target: form.target,
                tokens: form.tokens.clone(),
            };
            if let Some(loaded) = saved::bar(
                ui,
                &saved::Labels {
                    name: "Token list",
                    load: "Load token list",
                    save: "Save token list",
                },
                &mut self.state.token_lists,
                &mut self.state.token_list_name,
                list,
                |saved| saved.identity == identity && saved.target == target,
            ) {
                form.tokens = loaded.value.tokens;
                self.state.token_list_name = loaded.name;
            }
        });
        let label = ui.label("Device tokens, one per line");
        if ui.small_button("Import tokens from .txt/.csv…").clicked()
            && let Some(path) = rfd::FileDialog::new()
                .add_filter("Token lists", &["txt", "csv"])
                .pick_file()
        {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    if !form.tokens.ends_with('\n') && !form.tokens.is_empty() {
                        form.tokens.push('\n');
                    }
                    form.tokens.push_str(&text);
                }
                Err(error) => {
                    self.message = Some(format!("cannot read {}: {error}", path.display()))
                }
            }
        }
        self.parsed_tokens.update(&form.tokens);
        let token_count = self.parsed_tokens.tokens.len();
        // Asking to see one long list as text is not a wish to see every later one so.
        if form.tokens.len() <= send::LARGE_TOKEN_LIST_BYTES {
            self.edit_large_token_list = false;
        }
        if form.tokens.len() > send::LARGE_TOKEN_LIST_BYTES && !self.edit_large_token_list {
            ui.horizontal(|ui| {
                ui.label(format!(
                    "{} tokens ({:.1} MB of text), too many to show here",
                    group_thousands(token_count),
                    form.tokens.len() as f64 / 1e6
                ))
                .labelled_by(label.id);
                self.edit_large_token_list = ui.button("Edit as text").clicked();
                if ui.button("Clear tokens").clicked() {
                    form.tokens.clear();
                }
            });
        } else {
            // A long list scrolls in place instead of pushing Send off the window.
            egui::ScrollArea::vertical()
                .id_salt("tokens scroll")
                .max_height(110.0)
                .show(ui, |ui| {
                    ui.add(
                        egui::TextEdit::multiline(&mut form.tokens)
                            .code_editor()
                            .desired_rows(3)
                            .desired_width(f32::INFINITY)
                            .id_salt("tokens"),
                    )
                    .labelled_by(label.id);
                });
        }
        for reject in self.parsed_tokens.rejects.iter().take(5) {
            ui.label(RichText::new(reject).color(Color32::from_rgb(0xdc, 0x26, 0x26)));
        }
        let running = self.run.as_ref().is_some_and(|run| !run.finished);
        let blocked = composed
            .blocker
            .clone()
            .or_else(|| (token_count == 0).then(|| "add at least one device token".to_owned()))
            .or_else(|| running.then(|| "a send is running".to_owned()));
        let shortcut =
            ui.input_mut(|input| input.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter));
        let form_target_is_production = self.state.send.target == TargetChoice::Production;
        ui.horizontal(|ui| {
            let label = format!(
                "Send to {} token{}",
                token_count,
                if token_count == 1 { "" } else { "s" }
            );
            let clicked = ui
                .add_enabled(blocked.is_none(), egui::Button::new(label))
                .clicked();
            if form_target_is_production {
                ui.label(
                    RichText::new("PRODUCTION: real devices receive this")
                        .strong()
                        .color(Color32::from_rgb(0xdc, 0x26, 0x26)),
                );
            }
            if let Some(reason) = &blocked {
                ui.label(
                    RichText::new(format!("Can't send: {reason}"))
                        .color(Color32::from_rgb(0xdc, 0x26, 0x26)),
                );
            } else if clicked || shortcut {
                self.start_send(transport);
            }
        });
        if ui.button("Copy as CLI command").clicked()
            && let Some(notification) = &composed.notification
        {
            let command =
                send::cli_command(&self.state.send, notification, &self.parsed_tokens.tokens);
            ui.ctx().copy_text(command.clone());
            self.notice = Some(format!("Copied: {command}"));
        }
        let mut cancel = None;
        let mut retry = false;
        if let Some(run) = &self.run {
            if send::progress(ui, run) {
                cancel = Some(run.id);
            }
            let retryable = run
                .outcomes
                .iter()
                .flatten()
                .filter(|o| o.needs_retry())
                .count();
            if run.finished && retryable > 0 {
                retry = ui.button(format!("Retry {retryable} failed")).clicked();
            }
            send::results(ui, run);
        }
        if let Some(id) = cancel {
            self.engine.command(Command::Cancel { id });
        }
        if retry {
            self.retry_failed();
        }
    }
}

/// The keychain could not be opened: every secret operation says why, and
/// nothing is ever kept anywhere else instead.
struct NoKeychain(String);

impl SecretStore for NoKeychain {
    fn put(&self, _: &str, _: &[u8]) -> Result<(), crate::store::secrets::SecretError> {
        Err(self.error())
    }
    fn get(
        &self,
        _: &str,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, crate::store::secrets::SecretError> {
        Err(self.error())
    }
    fn delete(&self, _: &str) -> Result<(), crate::store::secrets::SecretError> {
        Err(self.error())
    }
    fn description(&self) -> String {
        format!("keychain, which is unavailable: {}", self.0)
    }
}

impl NoKeychain {
    fn error(&self) -> crate::store::secrets::SecretError {
        crate::store::secrets::SecretError::Unavailable {
            detail: self.0.clone(),
        }
    }
}

struct NativeApp(App);

impl eframe::App for NativeApp {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.0.drain_events();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.0.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.0.state);
    }
}

/// Opens the window and runs until it is closed.
pub fn run() -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Push Console")
            .with_app_id("push-console")
            .with_icon(Arc::new(
                eframe::icon_data::from_png_bytes(include_bytes!(
                    "../../assets/icons/push-console-256.png"
                ))
                .unwrap_or_default(),
            ))
            .with_inner_size([1200.0, 800.0])
            .with_drag_and_drop(true),
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "Push Console",
        options,
        Box::new(|creation| {
            let state = creation
                .storage
                .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY))
                .unwrap_or_default();
            let paths = DataPaths::from_env()?;
            let secrets: Arc<dyn SecretStore> = match crate::store::secrets::Keychain::open() {
                Ok(keychain) => Arc::new(keychain),
                Err(error) => Arc::new(NoKeychain(error.to_string())),
            };
            let app = App::new(paths, secrets, state)?;
            let _ = app.context.set(creation.egui_ctx.clone());
            Ok(Box::new(NativeApp(app)))
        }),
    )
}
