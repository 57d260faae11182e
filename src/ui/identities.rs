//! Identities: import a credential (file dialog, drag-and-drop or a typed path),
//! see the doctor's findings, list and delete.

use std::collections::HashMap;

use super::TargetChoice;
use super::theme::{self, Tone};
use crate::engine::ProbeVerdict;
use crate::store::identity::CredentialFiles;
use crate::store::identity::{Finding, IdentityKind, IdentityMetadata, Level};

/// The import form, as plain data. The password is never persisted.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ImportForm {
    /// The credential file.
    pub path: String,
    /// The private key file, for a certificate file that lacks its key.
    pub key_path: String,
    /// The .p12 password.
    #[serde(skip)]
    pub password: String,
    /// The .p8 key id.
    pub key_id: String,
    /// The team id.
    pub team_id: String,
    /// The name to give it (empty: automatic).
    pub name: String,
}

impl ImportForm {
    /// The files to import and the name to give them.
    pub fn request(&self) -> (CredentialFiles, Option<String>) {
        let optional = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_owned());
        let files = CredentialFiles {
            path: self.path.trim().into(),
            key_path: optional(&self.key_path).map(Into::into),
            password: Some(self.password.clone()),
            key_id: optional(&self.key_id),
            team_id: optional(&self.team_id),
            contents: None,
        };
        (files, optional(&self.name))
    }
}

/// Where and for which topic "Test connection" tries an identity, as plain data.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ConnectionTestForm {
    /// The endpoint (a custom host is the Send view's).
    pub target: TargetChoice,
    /// The topic to ask for; empty: a certificate's own.
    pub topic: String,
}

impl Default for ConnectionTestForm {
    fn default() -> Self {
        Self {
            target: TargetChoice::Sandbox,
            topic: String::new(),
        }
    }
}

/// A test connection's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionTest {
    /// Waiting for the answer.
    Running,
    /// What it found.
    Finished(ProbeVerdict),
}

/// An identity's latest test connection, and where it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRecord {
    /// The endpoint, as the picker names it.
    pub against: String,
    /// Running or finished.
    pub state: ConnectionTest,
}

/// What the identities view shows.
#[derive(Debug, Default)]
pub struct IdentitiesView {
    /// Identities as the engine last listed them.
    pub list: Vec<IdentityMetadata>,
    /// Which keychain holds their keys.
    pub keychain: String,
    /// The last import's result: findings, or why it was refused.
    pub last_import: Option<Result<(String, Vec<Finding>), String>>,
    /// The latest test connection of each identity, by name.
    pub tests: HashMap<String, TestRecord>,
}

/// What the user asked for this frame.
pub enum IdentityAction {
    /// Import the form's file.
    Import,
    /// Delete this identity.
    Delete(String),
    /// Test this identity's connection.
    Test(String),
}

fn finding_tone(level: Level) -> Tone {
    match level {
        Level::Info => Tone::Accepted,
        Level::Warning => Tone::Warning,
        Level::Error => Tone::Rejected,
    }
}

/// Draws the view; returns what was asked.
pub fn show(
    ui: &mut egui::Ui,
    form: &mut ImportForm,
    test: &mut ConnectionTestForm,
    view: &IdentitiesView,
) -> Option<IdentityAction> {
    let mut action = None;
    ui.heading("Import a credential");
    egui::Grid::new("import form")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label("File (.p12, .pem, .p8)");
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut form.path)
                        .desired_width(theme::size::FIELD_L)
                        .id_salt("import path"),
                )
                .labelled_by(label.id);
                if ui.button("Browse…").clicked()
                    && let Some(path) = rfd::FileDialog::new()
                        .add_filter("Push credentials", &["p12", "pfx", "pem", "p8"])
                        .pick_file()
                {
                    form.path = path.display().to_string();
                }
            });
            ui.end_row();
            let label = ui.label("Private key (.pem without its key)");
            ui.add(
                egui::TextEdit::singleline(&mut form.key_path)
                    .desired_width(theme::size::FIELD_L)
                    .hint_text("only if the file above lacks it")
                    .id_salt("import key path"),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Password (.p12)");
            ui.add(
                egui::TextEdit::singleline(&mut form.password)
                    .password(true)
                    .id_salt("import password"),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Key id, team id (.p8)");
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut form.key_id)
                        .desired_width(theme::size::FIELD_S)
                        .id_salt("key id"),
                )
                .labelled_by(label.id);
                ui.add(
                    egui::TextEdit::singleline(&mut form.team_id)
                        .desired_width(theme::size::FIELD_S)
                        .id_salt("team id"),
                )
                .labelled_by(label.id);
            });
            ui.end_row();
            let label = ui.label("Name");
            ui.add(
                egui::TextEdit::singleline(&mut form.name)
                    .hint_text("automatic")
                    .id_salt("import name"),
            )
            .labelled_by(label.id);
            ui.end_row();
        });
    if ui
        .add_enabled(!form.path.trim().is_empty(), egui::Button::new("Import"))
        .clicked()
    {
        action = Some(IdentityAction::Import);
    }
    match &view.last_import {
        Some(Ok((name, findings))) => {
            ui.label(theme::strong(format!("Imported {name}")));
            for finding in findings {
                ui.label(theme::toned(
                    ui,
                    finding.to_string(),
                    finding_tone(finding.level),
                ));
            }
        }
        Some(Err(problem)) => {
            theme::problem(ui, problem.as_str());
        }
        None => {}
    }
    ui.separator();
    ui.heading("Identities");
    if !view.keychain.is_empty() {
        ui.label(super::theme::quiet(format!(
            "Keys are in the {}",
            view.keychain
        )));
    }
    if view.list.is_empty() {
        ui.label("None yet: the built-in simulator needs none.");
    } else {
        test_bar(ui, test);
    }
    if !view.list.is_empty() {
        action = theme::wide_table(ui, "identities", |ui| table(ui, view)).or(action);
    }
    for identity in &view.list {
        match view.tests.get(&identity.name) {
            Some(TestRecord {
                against,
                state: ConnectionTest::Running,
            }) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("{}: testing against {against}…", identity.name));
                });
            }
            Some(TestRecord {
                against,
                state: ConnectionTest::Finished(verdict),
            }) => {
                let (mark, level) = if verdict.healthy {
                    ("Works", Level::Info)
                } else {
                    ("Fails", Level::Error)
                };
                let text = format!("{mark} against {against}: {}", verdict.summary);
                ui.label(theme::toned(ui, text, finding_tone(level)));
            }
            None => {}
        }
    }
    action
}

/// What kind of credential it is, in a word.
pub fn kind_text(identity: &IdentityMetadata) -> &'static str {
    match identity.kind {
        IdentityKind::Certificate => "certificate",
        IdentityKind::TokenKey => "token key",
    }
}

/// Where it may send: a certificate names its environments; a token key works in both.
pub fn environment_text(identity: &IdentityMetadata) -> &'static str {
    match (identity.kind, identity.development, identity.production) {
        (IdentityKind::TokenKey, ..) => "sandbox + production",
        (_, true, true) => "sandbox + production",
        (_, true, false) => "sandbox only",
        (_, false, true) => "production only",
        (_, false, false) => "no push environment",
    }
}

/// When it expires, and how urgent that is: expired, within 30 days, or later.
pub fn expiry(identity: &IdentityMetadata) -> Option<(String, Tone)> {
    let not_after = identity.not_after?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    let days = (not_after - now).div_euclid(86_400);
    let date = crate::apns::format_date(not_after);
    Some(if days < 0 {
        (format!("expired on {date}"), Tone::Rejected)
    } else if days < 30 {
        (format!("expires {date}, in {days} days"), Tone::Warning)
    } else {
        (format!("expires {date}"), Tone::Accepted)
    })
}

/// The identities as a table, a row each, with Test connection and Delete per row.
fn table(ui: &mut egui::Ui, view: &IdentitiesView) -> Option<IdentityAction> {
    use egui_extras::{Column, TableBuilder};
    use theme::size;
    let mut action = None;
    TableBuilder::new(ui)
        .id_salt("identities")
        .striped(true)
        .column(Column::initial(size::NAME).resizable(true).clip(true))
        .column(Column::initial(size::STATUS))
        .column(Column::initial(size::NAME).resizable(true).clip(true))
        .column(Column::initial(size::NAME))
        .column(Column::initial(size::NAME).clip(true))
        .column(Column::initial(size::TIME))
        .column(Column::initial(size::STATUS + size::ROW))
        .column(Column::remainder())
        .header(size::HEADER, |mut header| {
            for title in [
                "name",
                "kind",
                "topics",
                "environments",
                "team · key",
                "expiry",
                "last used",
                "",
            ] {
                header.col(|ui| {
                    ui.label(theme::strong(title));
                });
            }
        })
        .body(|mut body| {
            for identity in &view.list {
                body.row(size::ROW + theme::space::S, |mut row| {
                    row.col(|ui| {
                        ui.label(theme::strong(&identity.name));
                    });
                    row.col(|ui| {
                        ui.label(kind_text(identity));
                    });
                    row.col(|ui| {
                        ui.label(identity.topics.join(", "));
                    });
                    row.col(|ui| {
                        ui.label(environment_text(identity));
                    });
                    row.col(|ui| {
                        if let (Some(team), Some(key)) = (&identity.team_id, &identity.key_id) {
                            ui.monospace(format!("{team} · {key}"));
                        }
                    });
                    row.col(|ui| {
                        if let Some((text, tone)) = expiry(identity) {
                            theme::chip(ui, &text, tone);
                        }
                    });
                    row.col(|ui| {
                        ui.label(identity.last_used_at.map_or_else(
                            || "never".to_owned(),
                            |at| super::history::time_text(ui, at.saturating_mul(1000)),
                        ));
                    });
                    // Side by side: stacked, the second spills out of the row.
                    row.col(|ui| {
                        ui.horizontal(|ui| {
                            let running = view
                                .tests
                                .get(&identity.name)
                                .is_some_and(|test| test.state == ConnectionTest::Running);
                            if ui
                                .add_enabled(!running, egui::Button::new("Test connection").small())
                                .clicked()
                            {
                                action = Some(IdentityAction::Test(identity.name.clone()));
                            }
                            if ui.small_button("Delete").clicked() {
                                action = Some(IdentityAction::Delete(identity.name.clone()));
                            }
                        });
                    });
                });
            }
        });
    action
}

/// Where "Test connection" goes, and for which topic.
fn test_bar(ui: &mut egui::Ui, test: &mut ConnectionTestForm) {
    ui.horizontal(|ui| {
        let label = ui.label("Test against");
        super::send::target_picker(ui, "test target", &mut test.target, label.id);
        let label = ui.label("Topic to test");
        ui.add(
            egui::TextEdit::singleline(&mut test.topic)
                .hint_text("bundle id (a certificate's own if empty; a token key needs one)")
                .desired_width(theme::size::FIELD_L),
        )
        .labelled_by(label.id);
        ui.label(super::theme::quiet(
            "one silent push to an all-zero token, which reaches no device",
        ));
    });
}
