//! The desktop app (eframe/egui). The UI never blocks: it sends commands to the
//! engine and drains its events once a frame; the engine asks for a repaint
//! after each event, so an idle window costs no CPU.

mod aps_form;
mod commands;
mod compose;
mod confirm;
mod conversation;
mod history;
mod history_view;
mod identities;
mod json_highlight;
mod live;
mod preview;
mod rules_form;
mod saved;
mod send;
mod send_view;
mod settings;
pub mod theme;
mod toast;

use std::sync::{Arc, OnceLock};

pub use compose::{ComposeState, SAMPLE_PAYLOAD, Signer, from_apns_file, meter, to_apns_file};
pub use conversation::{FeedbackForm, Link};
pub use history::{HistoryForm, HistoryTab, HistoryWindow};
pub use identities::{ConnectionTest, ConnectionTestForm, IdentitiesView, ImportForm, TestRecord};
pub use json_highlight::{JsonColors, json_layout_job, layouter as json_layouter};
pub use live::{ActivityForm, ChannelsForm, EventChoice, InputChoice, KnownChannel, SentState};
pub use saved::Named;
use send::ParsedTokens;
pub use send::{ProtocolChoice, Run, SAMPLE_TOKEN, SendForm, TargetChoice, parse_tokens};
use settings::{SettingsAction, SimulatorStatus};

use crate::engine::{
    Command, EngineHandle, EngineSettings, Event, ProbeVerdict, RequestId, SendRequest,
    SimulatorPorts,
};
use crate::store::DataPaths;
use crate::store::history::ConversationRow;
use crate::store::secrets::SecretStore;
use confirm::{Answer, Pending};
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
    /// Broadcast channels of an app.
    Channels,
    /// The Live Activity workbench.
    LiveActivity,
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
    /// Whether the History list looks for new sends every second (it does anyway while a
    /// send from this window runs).
    pub history_follow: bool,
    /// Which History list is open.
    pub history_tab: HistoryTab,
    /// Whether the notification preview shows a device in dark mode.
    pub preview_dark: bool,
    /// Where the feedback service is read from.
    pub feedback: FeedbackForm,
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
    /// Show times in UTC, as servers log them, instead of the system's zone.
    pub times_in_utc: bool,
    /// Serve the REST API while the app runs.
    pub rest_api: bool,
    /// Where it listens (empty: 127.0.0.1:8088); loopback only in the app.
    pub rest_listen: String,
    /// The Channels view.
    pub channels: ChannelsForm,
    /// The Live Activity workbench.
    pub activity: ActivityForm,
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

/// The app: its persisted state, the engine, and what the engine last said.
pub struct App {
    engine: EngineHandle,
    paths: DataPaths,
    secrets: Arc<dyn SecretStore>,
    /// The REST API served on this app's engine, when switched on in Settings.
    rest: Option<crate::rest::Server>,
    /// Why the REST API could not start.
    rest_problem: Option<String>,
    context: Arc<OnceLock<egui::Context>>,
    /// The persisted state.
    pub state: UiState,
    /// The current or last send.
    pub run: Option<Run>,
    /// The sends list: the pages on screen and the count of matches.
    pub history: HistoryWindow,
    /// The conversation views' lists, in `View::ALL` order.
    pub conversation: Vec<HistoryWindow<ConversationRow>>,
    /// The feedback read the app asked for, until it is answered.
    feedback_read: Option<RequestId>,
    /// A destructive action asking for the user's yes.
    confirm: Option<Pending>,
    /// The simulator rules' form drafts.
    rules_form: rules_form::RulesForm,
    /// The command palette, while it is open.
    palette: Option<commands::Palette>,
    /// Send was asked for by its keys, the menu or the palette this frame.
    send_requested: bool,
    identities: IdentitiesView,
    parsed_tokens: ParsedTokens,
    simulator: SimulatorStatus,
    /// The user asked to see a long token list as text despite its cost.
    edit_large_token_list: bool,
    message: Option<String>,
    toasts: toast::Toasts,
    started: bool,
    /// The Channels view's and the workbench's requests in flight and last answers.
    live: LiveStatus,
}

/// What the Channels view and the Live Activity workbench wait for and last heard.
#[derive(Debug, Default)]
struct LiveStatus {
    channel_request: Option<RequestId>,
    channel_answer: Option<(String, theme::Tone)>,
    activity_request: Option<RequestId>,
    activity_answer: Option<(String, theme::Tone)>,
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
            secrets: Arc::clone(&secrets),
            repaint: Arc::new(move || {
                if let Some(context) = repaint_context.get() {
                    context.request_repaint();
                }
            }),
        })?;
        Ok(Self {
            engine,
            paths,
            secrets,
            rest: None,
            rest_problem: None,
            context,
            state,
            run: None,
            history: HistoryWindow::default(),
            conversation: crate::store::history::View::ALL
                .into_iter()
                .map(|view| HistoryWindow::new(HistoryTab::Conversation(view)))
                .collect(),
            feedback_read: None,
            confirm: None,
            rules_form: rules_form::RulesForm::default(),
            palette: None,
            send_requested: false,
            identities: IdentitiesView::default(),
            parsed_tokens: ParsedTokens::default(),
            simulator: SimulatorStatus::default(),
            edit_large_token_list: false,
            message: None,
            toasts: toast::Toasts::default(),
            started: false,
            live: LiveStatus::default(),
        })
    }

    fn request(&self, make: impl FnOnce(RequestId) -> Command) -> RequestId {
        let id = self.engine.next_id();
        self.engine.command(make(id));
        id
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
            Event::SendStarted { id, total, .. } if Some(id) == run_id => {
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
            Event::Outcomes { id, outcomes } if Some(id) == run_id => {
                if let Some(run) = self.run.as_mut() {
                    for (index, outcome) in outcomes {
                        if let Some(slot) = run.outcomes.get_mut(index) {
                            *slot = Some(outcome);
                        }
                    }
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
            Event::ChannelAnswered { id, answer, .. } if self.live.channel_request == Some(id) => {
                self.live.channel_request = None;
                if let Ok(reply) = &answer.result {
                    self.state.channels.learn(reply);
                }
                self.live.channel_answer = Some(live::answer_line(&answer));
                self.reload_history();
            }
            Event::ChannelAnswered { id, answer, .. } if self.live.activity_request == Some(id) => {
                self.live.activity_request = None;
                let line = live::answer_line(&answer);
                self.state
                    .activity
                    .remember(crate::store::history::now_ms(), line.0.clone());
                self.live.activity_answer = Some(line);
                self.reload_history();
            }
            Event::Outcomes { id, outcomes } if self.live.activity_request == Some(id) => {
                // The workbench sends one push at a time.
                if let Some((_, outcome)) = outcomes.into_iter().next() {
                    let line = match outcome.reason() {
                        Some(reason) => (
                            format!(
                                "{} {reason}: {}",
                                outcome.http_status().unwrap_or_default(),
                                reason.explanation()
                            ),
                            theme::Tone::Rejected,
                        ),
                        None if outcome.kind() == crate::apns::OutcomeKind::Accepted => {
                            ("200 accepted".to_owned(), theme::Tone::Accepted)
                        }
                        None => (
                            outcome.failure().map_or_else(
                                || outcome.kind().as_str().to_owned(),
                                ToString::to_string,
                            ),
                            theme::Tone::Rejected,
                        ),
                    };
                    self.state
                        .activity
                        .remember(crate::store::history::now_ms(), line.0.clone());
                    self.live.activity_answer = Some(line);
                }
            }
            Event::SendFinished { id, .. } if self.live.activity_request == Some(id) => {
                self.live.activity_request = None;
                self.reload_history();
            }
            Event::HistoryPage { id, rows, total } => {
                self.history.accept(id, rows, total);
            }
            Event::ViewPage { id, rows, total } => {
                if let Some(window) = self
                    .conversation
                    .iter_mut()
                    .find(|window| window.is_waiting_for(id))
                {
                    window.accept(id, rows, total);
                }
            }
            Event::Feedback {
                id,
                tuples,
                skipped,
                problem,
                history_problem,
            } if self.feedback_read == Some(id) => {
                self.feedback_read = None;
                let summary = history_view::feedback_summary(
                    tuples.len(),
                    skipped,
                    problem.as_ref(),
                    history_problem.as_ref(),
                );
                // A read that stopped early or went unrecorded needs a look, not a toast.
                if problem.is_some() || history_problem.is_some() {
                    self.message = Some(summary);
                } else {
                    self.toasts.push(summary);
                }
                self.reload_history();
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
                self.identities.last_import = Some(
                    result
                        .map(|(identity, findings)| (identity.name, findings))
                        .map_err(|failure| failure.message),
                );
            }
            Event::ConnectionTested {
                identity: Some(name),
                verdict,
                ..
            } => {
                if let Some(test) = self.identities.tests.get_mut(&name) {
                    test.state = ConnectionTest::Finished(verdict);
                }
            }
            Event::SimulatorRunning { ports, ca } => self.simulator.running = Some((ports, ca)),
            // Configuring at start-up is not news.
            Event::Done { id, .. } if self.simulator.configuring == Some((id, false)) => {}
            Event::Done { message, .. } => self.toasts.push(message),
            Event::Failed { id, error } => {
                let message = error.message;
                if self.history.failed(id, &message)
                    || self
                        .conversation
                        .iter_mut()
                        .any(|window| window.failed(id, &message))
                {
                    return;
                }
                if self.feedback_read == Some(id) {
                    self.feedback_read = None;
                }
                if self.live.channel_request == Some(id) {
                    self.live.channel_request = None;
                    self.live.channel_answer = Some((message, theme::Tone::Rejected));
                    return;
                }
                if self.live.activity_request == Some(id) {
                    self.live.activity_request = None;
                    self.live.activity_answer = Some((message, theme::Tone::Rejected));
                    return;
                }
                if self
                    .simulator
                    .configuring
                    .is_some_and(|(request, _)| request == id)
                {
                    self.simulator.running = None;
                    self.simulator.problem = Some(message);
                    return;
                }
                if let Some(run) = self.run.as_mut().filter(|run| run.id == id) {
                    run.finished = true;
                    run.notes.push(message);
                } else {
                    self.message = Some(message);
                }
            }
            // Events of an earlier send that was replaced, and tests of no stored identity.
            _ => {}
        }
    }

    /// How the chosen identity authenticates and which topics it names, as far as the
    /// identity list says: what the form lints with, as the engine will send.
    fn signer(&self) -> Signer<'_> {
        self.state
            .send
            .identity
            .as_deref()
            .and_then(|name| {
                self.identities
                    .list
                    .iter()
                    .find(|identity| identity.name == name)
            })
            .map_or(Signer::SIMULATOR, |identity| Signer {
                simulator_own: false,
                auth: crate::engine::auth_kind(identity),
                topics: &identity.topics,
            })
    }

    fn start_send(&mut self) {
        let composed = self
            .state
            .compose
            .compose(self.state.send.protocol.transport(), self.signer());
        self.parsed_tokens.update(&self.state.send.tokens);
        let tokens = self.parsed_tokens.tokens.clone();
        let (Some(template), None, false) =
            (composed.notification, composed.blocker, tokens.is_empty())
        else {
            return;
        };
        match self.state.send.request(template, tokens) {
            Ok(request) => self.submit(request),
            Err(problem) => self.message = Some(problem),
        }
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
            theme::install(ui.ctx());
            ui.ctx().set_theme(self.state.theme.preference());
            self.request(|id| Command::ListIdentities { id });
            self.configure_simulator(true);
            if let Some(target) = self.state.start_on {
                self.state.send.target = target;
            }
            self.reload_history();
            self.apply_rest_api();
        }
        history::set_times_in_utc(ui.ctx(), self.state.times_in_utc);
        self.drain_events();
        self.accept_dropped_files(ui.ctx());
        // A Send asked for outside the Send view does nothing, now or later.
        if self.state.view != View::Send {
            self.send_requested = false;
        }
        for action in commands::pressed(ui.ctx()) {
            self.run_action(action);
        }
        egui::Panel::top("views").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("Push Console");
                ui.separator();
                if let Some(action) = commands::menu(ui) {
                    self.run_action(action);
                }
                ui.separator();
                for (view, label) in [
                    (View::Send, "Send"),
                    (View::History, "History"),
                    (View::Identities, "Identities"),
                    (View::Settings, "Settings"),
                    (View::Channels, "Channels"),
                    (View::LiveActivity, "Live Activities"),
                ] {
                    if ui
                        .selectable_label(self.state.view == view, label)
                        .clicked()
                    {
                        self.run_action(commands::Action::Show(view));
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
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            let mut dismissed = false;
            if let Some(message) = &self.message {
                ui.horizontal(|ui| {
                    theme::problem(ui, message.as_str());
                    dismissed = ui.small_button("Dismiss").clicked();
                });
            }
            if dismissed {
                self.message = None;
            }
            match self.state.view {
                View::Send => self.send_view(ui),
                View::History => self.history_view(ui),
                View::Settings => self.settings_view(ui),
                View::Channels => self.channels_view(ui),
                View::LiveActivity => self.activity_view(ui),
                View::Identities => {
                    match identities::show(
                        ui,
                        &mut self.state.import,
                        &mut self.state.connection_test,
                        &self.identities,
                    ) {
                        Some(IdentityAction::Test(name)) => self.test_connection(name),
                        Some(IdentityAction::Import) => {
                            let (files, name) = self.state.import.request();
                            self.state.import.password.clear();
                            self.request(|id| Command::ImportIdentity {
                                id,
                                files: Box::new(files),
                                name,
                            });
                        }
                        Some(IdentityAction::Delete(name)) => {
                            self.confirm = Some(Pending::DeleteIdentity(name));
                        }
                        None => {}
                    }
                }
            }
        });
        let ctx = ui.ctx().clone();
        self.toasts.show(&ctx);
        self.confirm_pending(&ctx);
        if let Some(palette) = &mut self.palette {
            match commands::palette(&ctx, palette) {
                Some(commands::PaletteAnswer::Run(action)) => {
                    self.palette = None;
                    self.run_action(action);
                }
                Some(commands::PaletteAnswer::Close) => self.palette = None,
                None => {}
            }
        }
    }

    /// Carries out a command from its keys, the menu or the palette.
    fn run_action(&mut self, action: commands::Action) {
        match action {
            commands::Action::Send => self.send_requested = true,
            commands::Action::NextIdentity => self.next_identity(),
            commands::Action::Show(view) => {
                self.state.view = view;
                if view == View::History {
                    self.reload_history();
                }
            }
            commands::Action::Palette => self.palette = Some(commands::Palette::default()),
        }
    }

    /// The built-in simulator, the keychain in use, and the last send's totals.
    fn status_bar(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            match (&self.simulator.running, &self.simulator.problem) {
                (Some((ports, _)), _) => {
                    theme::chip(ui, "Simulator listening", theme::Tone::Accepted);
                    ui.label(theme::quiet(format!(
                        "127.0.0.1 · HTTP/2 {} · legacy {} · feedback {} · channels {}",
                        ports.http2, ports.legacy, ports.feedback, ports.channels
                    )));
                }
                (None, Some(_)) => {
                    theme::chip(ui, "Simulator not running", theme::Tone::Rejected);
                }
                (None, None) => {
                    theme::chip(ui, "Simulator starting", theme::Tone::Neutral);
                }
            }
            ui.separator();
            if let Some(address) = self.rest_address() {
                theme::chip(ui, "REST API", theme::Tone::Accepted);
                ui.label(theme::quiet(format!("http://{address}")));
                ui.separator();
            }
            if !self.identities.keychain.is_empty() {
                ui.label(theme::quiet(format!(
                    "Keys in the {}",
                    self.identities.keychain
                )));
                ui.separator();
            }
            if let Some(run) = &self.run {
                let progress = run.progress;
                let state = if run.finished { "Last send" } else { "Sending" };
                ui.label(theme::quiet(format!(
                    "{state}: {} of {} · {} accepted · {} rejected · {} failed{}",
                    crate::apns::group_thousands(progress.done),
                    crate::apns::group_thousands(run.total),
                    crate::apns::group_thousands(progress.accepted),
                    crate::apns::group_thousands(progress.rejected),
                    crate::apns::group_thousands(progress.failed),
                    if progress.unconfirmed > 0 {
                        format!(
                            " · {} unconfirmed",
                            crate::apns::group_thousands(progress.unconfirmed)
                        )
                    } else {
                        String::new()
                    }
                )));
            }
        });
    }

    /// The stored identities' names, as the engine last listed them.
    pub fn identity_names(&self) -> Vec<&str> {
        self.identities
            .list
            .iter()
            .map(|identity| identity.name.as_str())
            .collect()
    }

    /// Asks about the pending destructive action, and carries it out on a yes.
    fn confirm_pending(&mut self, ctx: &egui::Context) {
        let Some(pending) = &self.confirm else {
            return;
        };
        match confirm::ask(ctx, pending) {
            Some(Answer::Yes(pending)) => {
                self.confirm = None;
                self.carry_out(pending);
            }
            Some(Answer::No) => self.confirm = None,
            None => {}
        }
    }

    fn carry_out(&mut self, pending: Pending) {
        match pending {
            Pending::DeleteIdentity(name) => {
                self.identities.tests.remove(&name);
                self.request(|id| Command::DeleteIdentity { id, name });
            }
            Pending::DeleteTemplate(name) => {
                confirm::remove_saved(&mut self.state.templates, &name, |_| true);
            }
            Pending::DeleteTokenList {
                name,
                identity,
                target,
            } => confirm::remove_saved(&mut self.state.token_lists, &name, |list| {
                list.identity == identity && list.target == target
            }),
            Pending::SetRetention(retention) => {
                self.request(|id| Command::SetRetention { id, retention });
            }
            Pending::DeleteChannel(id) => {
                if let Ok(id) = id.parse() {
                    self.ask_channels(crate::apns::ChannelOperation::Delete(id));
                }
            }
        }
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
        self.toasts.push(format!(
            "Sending as {} (Ctrl/Cmd+K for the next identity)",
            next.as_deref().unwrap_or("the simulator's own identity")
        ));
        self.state.send.identity = next;
    }

    fn test_connection(&mut self, name: String) {
        let form = &self.state.connection_test;
        let against = format!("{:?}", form.target);
        let topic = match form.topic.trim() {
            "" => Ok(None),
            topic => topic.parse().map(Some).map_err(|error| format!("{error}")),
        };
        // "Custom" tests the host and CA typed in the Send view, not a copy of them.
        let connection = self
            .state
            .send
            .connection_for(form.target, Some(&name))
            .map_err(|problem| format!("{problem} (set the custom host in the Send view)"));
        let state = match (connection, topic) {
            (Ok(connection), Ok(topic)) => {
                self.request(|id| Command::TestConnection {
                    id,
                    connection: Box::new(connection),
                    topic,
                });
                ConnectionTest::Running
            }
            (Err(problem), _) | (_, Err(problem)) => {
                ConnectionTest::Finished(ProbeVerdict::unsendable(problem))
            }
        };
        self.identities
            .tests
            .insert(name, TestRecord { against, state });
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

    /// Sends the simulator's rules and ports to the engine, which starts it if need be.
    /// Rules that do not parse are not applied; at start-up the simulator then runs with none,
    /// rather than not at all.
    fn configure_simulator(&mut self, at_start_up: bool) {
        let rules = match settings::rules(&self.state.simulator_rules) {
            Ok(rules) => {
                self.simulator.problem = None;
                rules
            }
            Err(error) if at_start_up => {
                self.simulator.problem = Some(format!(
                    "the saved rules are not applied, the simulator runs without rules: {error}"
                ));
                crate::simulator::Rules::default()
            }
            Err(error) => {
                self.simulator.problem = Some(format!("the rules are not applied: {error}"));
                return;
            }
        };
        let ports = self.state.simulator_ports;
        let id = self.request(|id| Command::ConfigureSimulator {
            id,
            rules: Box::new(rules),
            ports,
        });
        self.simulator.configuring = Some((id, !at_start_up));
    }

    fn settings_view(&mut self, ui: &mut egui::Ui) {
        let about = settings::About {
            paths: &self.paths,
            keychain: &self.identities.keychain,
            rest: self.rest_address(),
            rest_problem: self.rest_problem.as_deref(),
        };
        match settings::show(
            ui,
            &mut self.state,
            &self.simulator,
            &mut self.rules_form,
            &about,
        ) {
            Some(SettingsAction::ConfigureSimulator) => self.configure_simulator(false),
            Some(SettingsAction::SetRetention(retention)) => {
                self.confirm = Some(Pending::SetRetention(retention));
            }
            Some(SettingsAction::Problem(problem)) => self.message = Some(problem),
            Some(SettingsAction::RestApi) => self.apply_rest_api(),
            None => {}
        }
    }

    /// Where the REST API listens, while the app serves it.
    pub fn rest_address(&self) -> Option<std::net::SocketAddr> {
        self.rest.as_ref().map(crate::rest::Server::address)
    }

    /// Starts or stops the REST API to match Settings.
    fn apply_rest_api(&mut self) {
        match (self.state.rest_api, self.rest.is_some()) {
            (true, false) => match self.start_rest_api() {
                Ok(server) => {
                    self.toasts
                        .push(format!("REST API on http://{}", server.address()));
                    self.rest = Some(server);
                    self.rest_problem = None;
                }
                Err(problem) => {
                    self.state.rest_api = false;
                    self.rest_problem = Some(problem);
                }
            },
            (false, true) => self.rest = None,
            _ => {}
        }
    }

    fn start_rest_api(&self) -> Result<crate::rest::Server, String> {
        let text = match self.state.rest_listen.trim() {
            "" => "127.0.0.1:8088",
            text => text,
        };
        let listen: std::net::SocketAddr = text
            .parse()
            .map_err(|_| format!("{text:?} is not ADDR:PORT, e.g. 127.0.0.1:8088"))?;
        if !listen.ip().is_loopback() {
            return Err(format!(
                "the app serves on this machine only (127.0.0.1); for {listen}, run `push-console serve --listen {listen} --allow-remote`"
            ));
        }
        let token = crate::rest::ApiToken::load_or_create(self.secrets.as_ref(), &self.paths)
            .map_err(|error| error.to_string())?;
        let token =
            crate::rest::TokenSource::new(token, Arc::clone(&self.secrets), self.paths.clone());
        crate::rest::start(
            self.engine.router(),
            token,
            crate::rest::ServeConfig {
                listen,
                environments: crate::rest::Environments::default(),
                body_limit: crate::rest::DEFAULT_BODY_LIMIT,
            },
        )
        .map_err(|error| error.to_string())
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

/// Why the window did not open, and what still works.
pub fn window_error(error: &eframe::Error) -> String {
    format!(
        "the window could not open: {error}; the command line still works, see `push-console --help`"
    )
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
            let secrets = crate::store::secrets::open_keychain();
            let app = App::new(paths, secrets, state)?;
            let _ = app.context.set(creation.egui_ctx.clone());
            Ok(Box::new(NativeApp(app)))
        }),
    )
}
