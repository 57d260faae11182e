//! The Send view: templates and .apns files, the compose form, where to and to whom, the
//! Send button and the run's progress and results.

use super::confirm::Pending;
use super::theme::{self, Tone};
use super::{App, ProtocolChoice, TargetChoice, TokenList};
use super::{compose, from_apns_file, saved, send, to_apns_file};
use crate::apns::{Transport, group_thousands};
use crate::engine::{Command, MAX_CONNECTIONS};

impl App {
    /// Templates and .apns files: save, load, delete, import, export.
    fn templates_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("Start from");
            egui::ComboBox::from_id_salt("starters")
                .selected_text("a kind of push…")
                .show_ui(ui, |ui| {
                    for (name, starter) in compose::starters() {
                        if ui.selectable_label(false, name).clicked() {
                            self.state.compose = starter;
                        }
                    }
                    ui.separator();
                    if ui
                        .selectable_label(false, "Broadcast update (Live Activity workbench)")
                        .clicked()
                    {
                        self.state.activity.over_channel = true;
                        self.state.activity.event = super::EventChoice::Update;
                        self.state.view = super::View::LiveActivity;
                    }
                })
                .response
                .labelled_by(label.id);
            ui.separator();
            let compose = self.state.compose.clone();
            match saved::bar(
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
                Some(saved::Picked::Load(template)) => {
                    self.state.compose = template.value;
                    self.state.template_name = template.name;
                }
                Some(saved::Picked::Delete(name)) => {
                    self.confirm = Some(Pending::DeleteTemplate(name));
                }
                None => {}
            }
            ui.separator();
            if ui.button("Import .apns…").clicked()
                && let Some(path) = rfd::FileDialog::new()
                    .add_filter("APNs payload", &["apns", "json"])
                    .pick_file()
            {
                match crate::store::read_limited(&path, crate::store::FileKind::Payload)
                    .map_err(|error| error.to_string())
                    .and_then(|bytes| from_apns_file(&String::from_utf8_lossy(&bytes)))
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
                    Ok(()) => self.toasts.push(format!("Exported {}", path.display())),
                    Err(problem) => self.message = Some(problem),
                }
            }
        });
    }

    /// The left side of the Send view: the identities to send as, the saved templates and
    /// the token lists of the chosen identity and endpoint, each a click away.
    fn send_sidebar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::left("send sidebar")
            .resizable(true)
            .default_size(theme::size::SIDEBAR)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("send sidebar scroll")
                    .show(ui, |ui| {
                        ui.label(theme::strong("Send as"));
                        let form = &mut self.state.send;
                        ui.selectable_value(&mut form.identity, None, "simulator's own");
                        for identity in &self.identities.list {
                            ui.selectable_value(
                                &mut form.identity,
                                Some(identity.name.clone()),
                                &identity.name,
                            );
                            ui.horizontal_wrapped(|ui| {
                                theme::chip(
                                    ui,
                                    super::identities::kind_text(identity),
                                    Tone::Neutral,
                                );
                                theme::chip(
                                    ui,
                                    super::identities::environment_text(identity),
                                    Tone::Neutral,
                                );
                                if let Some((text, tone)) = super::identities::expiry(identity) {
                                    theme::chip(ui, &text, tone);
                                }
                            });
                        }
                        ui.add_space(theme::space::M);
                        ui.label(theme::strong("Templates"));
                        if self.state.templates.is_empty() {
                            ui.label(theme::quiet("Save one above the payload."));
                        }
                        let mut load = None;
                        for template in &self.state.templates {
                            if ui
                                .selectable_label(
                                    self.state.template_name == template.name,
                                    &template.name,
                                )
                                .clicked()
                            {
                                load = Some(template.clone());
                            }
                        }
                        if let Some(template) = load {
                            self.state.compose = template.value;
                            self.state.template_name = template.name;
                        }
                        ui.add_space(theme::space::M);
                        ui.label(theme::strong("Token lists"));
                        let form = &self.state.send;
                        let fitting: Vec<&super::Named<TokenList>> = self
                            .state
                            .token_lists
                            .iter()
                            .filter(|list| {
                                list.value.identity == form.identity
                                    && list.value.target == form.target
                            })
                            .collect();
                        if fitting.is_empty() {
                            ui.label(theme::quiet("None for this identity and endpoint."));
                        }
                        let mut load = None;
                        for list in fitting {
                            if ui
                                .selectable_label(
                                    self.state.token_list_name == list.name,
                                    &list.name,
                                )
                                .clicked()
                            {
                                load = Some(list.clone());
                            }
                        }
                        if let Some(list) = load {
                            self.state.send.tokens = list.value.tokens;
                            self.state.token_list_name = list.name;
                        }
                    });
            });
    }

    /// Endpoint, protocol, port, CA, identity and concurrency: one row, at the top.
    fn connection_row(&mut self, ui: &mut egui::Ui) {
        let form = &mut self.state.send;
        ui.horizontal_wrapped(|ui| {
            let endpoint_label = ui.label("Endpoint");
            send::target_picker(ui, "target", &mut form.target, endpoint_label.id);
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
                        .desired_width(theme::size::FIELD_M),
                )
                .labelled_by(endpoint_label.id);
            }
            if matches!(
                form.target,
                TargetChoice::Sandbox | TargetChoice::Production
            ) {
                ui.checkbox(&mut form.port_2197, "Port 2197")
                    .on_hover_text("For networks that block port 443 to Apple");
            }
            if form.target != TargetChoice::Simulator {
                let label = ui.label("CA file");
                ui.add(
                    egui::TextEdit::singleline(&mut form.ca)
                        .hint_text("optional, e.g. a simulator's or a TLS proxy's ca.pem")
                        .desired_width(theme::size::FIELD_M),
                )
                .labelled_by(label.id);
            }
            let label = ui.label("Identity");
            let names = self
                .identities
                .list
                .iter()
                .map(|identity| identity.name.as_str());
            send::identity_picker(ui, "identity", &mut form.identity, names, label.id);
            let label = ui.label("Concurrency");
            ui.add(egui::DragValue::new(&mut form.concurrency).range(1..=1000))
                .labelled_by(label.id);
            if form.protocol.transport() == Transport::Http2 {
                let label = ui.label("Connections");
                ui.add(egui::DragValue::new(&mut form.connections).range(1..=MAX_CONNECTIONS))
                    .labelled_by(label.id)
                    .on_hover_text(
                        "HTTP/2 connections the tokens are spread over, each with its share of the concurrency",
                    );
            }
        });
    }

    pub(super) fn send_view(&mut self, ui: &mut egui::Ui) {
        let transport = self.state.send.protocol.transport();
        self.send_sidebar(ui);
        // Where to, as whom and to whom, then Send: where the eye starts, as in a request
        // tool's address bar. What is sent comes below, the run's answers at the bottom.
        self.connection_row(ui);
        self.tokens_field(ui);
        let composed = self.state.compose.compose(transport, self.signer());
        self.send_row(ui, &composed);
        self.results_panel(ui);
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("compose scroll")
            .show(ui, |ui| {
                self.templates_bar(ui);
                compose::show(
                    ui,
                    &mut self.state.compose,
                    &composed,
                    &mut self.state.preview_dark,
                );
            });
    }

    /// The device tokens to send to, with the saved token lists and a file import.
    fn tokens_field(&mut self, ui: &mut egui::Ui) {
        let form = &mut self.state.send;
        let mut label = None;
        ui.horizontal(|ui| {
            label = Some(ui.label(theme::strong("Device tokens, one per line")));
            if ui.small_button("Import tokens from .txt/.csv…").clicked()
                && let Some(path) = rfd::FileDialog::new()
                    .add_filter("Token lists", &["txt", "csv"])
                    .pick_file()
            {
                match crate::store::read_limited(&path, crate::store::FileKind::Tokens) {
                    Ok(bytes) => {
                        if !form.tokens.ends_with('\n') && !form.tokens.is_empty() {
                            form.tokens.push('\n');
                        }
                        form.tokens.push_str(&String::from_utf8_lossy(&bytes));
                    }
                    Err(error) => self.message = Some(error.to_string()),
                }
            }
            ui.separator();
            let (identity, target) = (form.identity.clone(), form.target);
            let list = || TokenList {
                identity: form.identity.clone(),
                target: form.target,
                tokens: form.tokens.clone(),
            };
            match saved::bar(
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
                Some(saved::Picked::Load(loaded)) => {
                    form.tokens = loaded.value.tokens;
                    self.state.token_list_name = loaded.name;
                }
                Some(saved::Picked::Delete(name)) => {
                    self.confirm = Some(Pending::DeleteTokenList {
                        name,
                        identity,
                        target,
                    });
                }
                None => {}
            }
        });
        let Some(label) = label else { return };
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
                .max_height(theme::size::TOKENS_HEIGHT)
                .show(ui, |ui| {
                    ui.add(
                        theme::code_field(&mut form.tokens, 2)
                            .desired_width(f32::INFINITY)
                            .id_salt("tokens"),
                    )
                    .labelled_by(label.id);
                });
        }
        for reject in self.parsed_tokens.rejects.iter().take(5) {
            theme::problem(ui, reject.as_str());
        }
    }

    /// The primary Send button with the token count and where it goes (Production
    /// unmistakable), why it can't send yet, and the CLI command for the same send.
    fn send_row(&mut self, ui: &mut egui::Ui, composed: &compose::Composed) {
        let token_count = self.parsed_tokens.tokens.len();
        let running = self.run.as_ref().is_some_and(|run| !run.finished);
        let blocked = composed
            .blocker
            .clone()
            .or_else(|| (token_count == 0).then(|| "add at least one device token".to_owned()))
            .or_else(|| running.then(|| "a send is running".to_owned()));
        let shortcut = std::mem::take(&mut self.send_requested);
        let form_target_is_production = self.state.send.target == TargetChoice::Production;
        ui.horizontal(|ui| {
            let label = format!(
                "Send to {} token{}",
                group_thousands(token_count),
                if token_count == 1 { "" } else { "s" }
            );
            let tone = theme::send_tone(form_target_is_production);
            let clicked = theme::primary_button(ui, &label, tone, blocked.is_none()).clicked();
            ui.label(theme::quiet(format!(
                "{:?} · {}",
                self.state.send.target,
                self.state.send.protocol.label()
            )));
            if form_target_is_production {
                theme::production_chip(ui);
            }
            if ui.button("Copy as CLI command").clicked()
                && let Some(notification) = &composed.notification
            {
                let tokens = self.parsed_tokens.tokens.clone();
                match self.state.send.request(notification.clone(), tokens) {
                    Ok(request) => {
                        let command = send::cli_command(&request);
                        ui.ctx().copy_text(command.clone());
                        self.toasts.push(format!("Copied: {command}"));
                    }
                    Err(problem) => self.message = Some(problem),
                }
            }
            if let Some(reason) = &blocked {
                theme::problem(ui, format!("Can't send: {reason}"));
            } else if clicked || shortcut {
                self.start_send();
            }
        });
    }

    /// The run's progress under the Send button, and its answers in a resizable pane at
    /// the bottom, so composing the next push keeps its place.
    fn results_panel(&mut self, ui: &mut egui::Ui) {
        let Some(run) = &self.run else { return };
        let mut cancel = None;
        if send::progress(ui, run) {
            cancel = Some(run.id);
        }
        let retryable = run
            .outcomes
            .iter()
            .flatten()
            .filter(|o| o.needs_retry())
            .count();
        let retry = run.finished
            && retryable > 0
            && ui.button(format!("Retry {retryable} failed")).clicked();
        egui::Panel::bottom("send results")
            .resizable(true)
            .default_size(theme::size::RESULTS_HEIGHT)
            .show(ui, |ui| send::results(ui, run));
        if let Some(id) = cancel {
            self.engine.command(Command::Cancel { id });
        }
        if retry {
            self.retry_failed();
        }
    }
}
