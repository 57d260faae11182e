//! Destructive actions ask first: a modal with the question, what will be lost, and the
//! action named on its button; Esc, a click outside or Cancel keep everything.

use super::theme::{self, Tone};
use super::{TargetChoice, saved};
use crate::store::history::Retention;

/// A destructive action waiting for the user's yes.
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    /// Remove an identity and its key from the keychain.
    DeleteIdentity(String),
    /// Remove a saved payload template.
    DeleteTemplate(String),
    /// Remove a saved token list of an identity and endpoint.
    DeleteTokenList {
        /// Its name.
        name: String,
        /// The identity it belongs with.
        identity: Option<String>,
        /// The endpoint it belongs with.
        target: TargetChoice,
    },
    /// Delete a broadcast channel on APNs.
    DeleteChannel(String),
    /// Keep only what a retention rule allows, from the next send on.
    SetRetention(Retention),
}

impl Pending {
    /// The question, what it costs, and the button's words.
    fn wording(&self) -> (String, String, &'static str) {
        match self {
            Pending::DeleteIdentity(name) => (
                format!("Delete the identity {name:?}?"),
                "Its private key is removed from the keychain; to use it again, import the file again.".into(),
                "Delete identity",
            ),
            Pending::DeleteTemplate(name) => (
                format!("Delete the template {name:?}?"),
                "The saved payload and headers are gone; the history keeps what was sent with it.".into(),
                "Delete template",
            ),
            Pending::DeleteTokenList { name, .. } => (
                format!("Delete the token list {name:?}?"),
                "The saved tokens are gone; the history keeps every send to them.".into(),
                "Delete token list",
            ),
            Pending::DeleteChannel(id) => (
                format!("Delete the channel {id}?"),
                "APNs deletes it for every device subscribed; activities on it get no more updates, and its id cannot be made again.".into(),
                "Delete channel",
            ),
            Pending::SetRetention(retention) => {
                let mut rules = Vec::new();
                if let Some(days) = retention.max_age_days {
                    rules.push(format!("sends older than {days} days"));
                }
                if let Some(rows) = retention.max_rows {
                    rules.push(format!("all but the newest {rows} sends"));
                }
                let what = if rules.is_empty() {
                    "Nothing will be dropped from now on.".to_owned()
                } else {
                    format!(
                        "After each send, the history drops {} with their answers; they cannot be brought back.",
                        rules.join(" and ")
                    )
                };
                ("Apply this retention rule?".into(), what, "Yes, apply the rule")
            }
        }
    }
}

/// What the user answered this frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// Go ahead.
    Yes(Pending),
    /// Keep everything.
    No,
}

/// Shows the question for `pending`; the answer once given.
pub fn ask(ctx: &egui::Context, pending: &Pending) -> Option<Answer> {
    let (question, detail, yes) = pending.wording();
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("confirm")).show(ctx, |ui| {
        ui.set_max_width(theme::size::FIELD_L + theme::size::FIELD_M);
        ui.heading(question);
        ui.label(detail);
        ui.add_space(theme::space::M);
        ui.horizontal(|ui| {
            if theme::primary_button(ui, yes, Tone::Rejected, true).clicked() {
                answer = Some(Answer::Yes(pending.clone()));
            }
            if ui.button("Cancel").clicked() {
                answer = Some(Answer::No);
            }
        });
    });
    answer.or_else(|| modal.should_close().then_some(Answer::No))
}

/// Removes the saved item named `name` for which `fits` holds.
pub fn remove_saved<T>(items: &mut Vec<saved::Named<T>>, name: &str, fits: impl Fn(&T) -> bool) {
    items.retain(|item| !(item.name == name && fits(&item.value)));
}
