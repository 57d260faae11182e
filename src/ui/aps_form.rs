//! The aps form: every key of the `aps` dictionary edited as a field, and the custom
//! top-level keys as JSON values, kept in sync with the JSON both ways. The JSON is the
//! truth; the form reads it every frame and writes back only the key that changed, so
//! other keys and key order survive. Which aps keys, and how each is edited, is the table
//! in [`keys`]; custom keys are in [`custom`].

mod custom;
mod keys;

use std::collections::HashMap;

use crate::ui::theme;
use serde_json::{Map, Value};

use keys::{COMMON_ROWS, Check, Field, FieldError, Kind, NO_CHOICE, SECTIONS, Typed};

/// Text typed into a field that the JSON does not show as typed: it does not
/// parse ("0.5x"), or it parses to a value printed differently ("0.50", "a,").
/// Kept while the key still holds `value`, so typing is never undone mid-word.
#[derive(Clone, Debug)]
struct Draft {
    text: String,
    /// The key's value when the text was typed.
    value: Option<Value>,
    error: Option<FieldError>,
}

/// The form over one payload for one frame.
struct Form {
    root: Map<String, Value>,
    /// By field label; kept across frames in egui's memory.
    drafts: HashMap<&'static str, Draft>,
    changed: bool,
}

impl Form {
    /// The draft of `field`, unless the JSON moved on since it was typed.
    fn draft(&mut self, field: &Field) -> Option<&Draft> {
        let current = field.get(&self.root);
        if self
            .drafts
            .get(field.label)
            .is_some_and(|draft| draft.value.as_ref() != current)
        {
            self.drafts.remove(field.label);
        }
        self.drafts.get(field.label)
    }

    /// What a typed field shows: its draft, else the key's value.
    fn shown_text(&mut self, field: &Field, typed: Typed) -> String {
        match self.draft(field) {
            Some(draft) => draft.text.clone(),
            None => typed.text(field.get(&self.root)),
        }
    }

    /// Takes text typed into a field: written when it parses, else kept with its error.
    fn take_typed(&mut self, field: &Field, typed: Typed, text: String) {
        let error = match field.write_typed(typed, &mut self.root, &text) {
            Ok(changed) => {
                self.changed |= changed;
                None
            }
            Err(error) => Some(error),
        };
        let value = field.get(&self.root).cloned();
        self.drafts
            .insert(field.label, Draft { text, value, error });
    }

    fn set(&mut self, field: &Field, value: Option<Value>) {
        field.set(&mut self.root, value);
        self.changed = true;
    }

    /// Draws `field`; `label_width` lines labels up outside a grid.
    fn field_ui(&mut self, ui: &mut egui::Ui, field: &Field, label_width: Option<f32>) {
        let label = |ui: &mut egui::Ui| match label_width {
            Some(width) => {
                ui.add_sized([width, 18.0], egui::Label::new(field.label))
                    .id
            }
            None => ui.label(field.label).id,
        };
        match field.kind {
            Kind::Typed(typed) => {
                let label = label(ui);
                ui.horizontal(|ui| self.typed_ui(ui, field, typed, label));
            }
            Kind::Choice(options) => {
                let label = label(ui);
                self.choice_ui(ui, field, options, label);
            }
            Kind::Check(check) => self.checkbox_ui(ui, field, check),
        }
    }

    fn checkbox_ui(&mut self, ui: &mut egui::Ui, field: &Field, check: Check) {
        let current = field.get(&self.root);
        let mut on = check.is_on(current);
        if ui.checkbox(&mut on, field.label).changed() {
            let value = check.toggled(on, current);
            self.set(field, value);
        }
    }

    fn typed_ui(&mut self, ui: &mut egui::Ui, field: &Field, typed: Typed, label: egui::Id) {
        let mut text = self.shown_text(field, typed);
        let mut json_layouter = super::json_highlight::layouter;
        let editor = match typed {
            Typed::Object => theme::code_field(&mut text, 2).layouter(&mut json_layouter),
            _ => egui::TextEdit::singleline(&mut text),
        };
        let enabled =
            typed != Typed::SoundVolume || Check::CriticalSound.is_on(field.get(&self.root));
        let response = ui
            .add_enabled(
                enabled,
                editor
                    .hint_text(typed.hint())
                    .desired_width(theme::size::FIELD_XL),
            )
            .labelled_by(label);
        if response.changed() {
            self.take_typed(field, typed, text);
        }
        if let Some(error) = self.drafts.get(field.label).and_then(|d| d.error.as_ref()) {
            super::theme::problem(ui, error.to_string());
        }
    }

    fn choice_ui(
        &mut self,
        ui: &mut egui::Ui,
        field: &Field,
        options: &[&'static str],
        label: egui::Id,
    ) {
        let current = field
            .get(&self.root)
            .map_or_else(|| NO_CHOICE.to_owned(), keys::plain);
        let mut chosen = current.clone();
        egui::ComboBox::from_id_salt(field.label)
            .selected_text(&chosen)
            .show_ui(ui, |ui| {
                for option in std::iter::once(&NO_CHOICE).chain(options) {
                    ui.selectable_value(&mut chosen, (*option).to_owned(), *option);
                }
            })
            .response
            .labelled_by(label);
        if chosen != current {
            self.set(field, keys::choice_value(chosen));
        }
    }
}

/// Draws the form over `json`; when a field changes, rewrites `json` (pretty) and returns true.
pub fn show(ui: &mut egui::Ui, json: &mut String) -> bool {
    let Ok(Value::Object(root)) = serde_json::from_str::<Value>(json) else {
        ui.label(super::theme::quiet("Fix the JSON to edit it as a form."));
        return false;
    };
    let drafts_id = ui.make_persistent_id("aps form drafts");
    let mut form = Form {
        root,
        drafts: ui.data(|data| data.get_temp(drafts_id)).unwrap_or_default(),
        changed: false,
    };
    let mut open: Vec<bool> = SECTIONS
        .iter()
        .map(|section| {
            let in_use = section
                .fields
                .iter()
                .any(|field| field.shows_a_value(&form.root));
            let id = ui.make_persistent_id(section.title);
            ui.data_mut(|data| *data.get_persisted_mut_or(id, in_use))
        })
        .collect();
    let custom_id = ui.make_persistent_id("custom fields open");
    let has_custom = form.root.keys().any(|key| key != "aps");
    let mut custom_open = ui.data_mut(|data| *data.get_persisted_mut_or(custom_id, has_custom));
    for (index, row) in COMMON_ROWS.iter().enumerate() {
        // Wrapped, so that a narrow window (or the preview beside it) moves the rarer keys'
        // toggles to a line of their own instead of widening the form.
        ui.horizontal_wrapped(|ui| {
            for field in *row {
                form.field_ui(ui, field, Some(super::theme::size::LABEL));
            }
            // The rarer keys open from the last row, so that the closed form is no
            // taller than the common keys: the Send button stays in view.
            if index + 1 == COMMON_ROWS.len() {
                ui.separator();
                for (section, open) in SECTIONS.iter().zip(&mut open) {
                    ui.toggle_value(open, section.title);
                }
                ui.toggle_value(&mut custom_open, "Custom fields");
            }
        });
    }
    ui.data_mut(|data| data.insert_persisted(custom_id, custom_open));
    for (section, open) in SECTIONS.iter().zip(open) {
        let id = ui.make_persistent_id(section.title);
        ui.data_mut(|data| data.insert_persisted(id, open));
        if open {
            ui.group(|ui| {
                egui::Grid::new(section.title)
                    .num_columns(2)
                    .show(ui, |ui| {
                        for field in section.fields {
                            form.field_ui(ui, field, None);
                            ui.end_row();
                        }
                    });
            });
        }
    }
    if custom_open {
        let custom_drafts_id = ui.make_persistent_id("custom field drafts");
        let mut drafts: custom::CustomDrafts = ui
            .data(|data| data.get_temp(custom_drafts_id))
            .unwrap_or_default();
        ui.group(|ui| form.changed |= custom::show(ui, &mut form.root, &mut drafts));
        ui.data_mut(|data| data.insert_temp(custom_drafts_id, drafts));
    }
    ui.data_mut(|data| data.insert_temp(drafts_id, form.drafts));
    if !form.changed {
        return false;
    }
    *json =
        serde_json::to_string_pretty(&Value::Object(form.root)).unwrap_or_else(|_| json.clone());
    true
}

/// The payload object `json`, for the form's tests.
#[cfg(test)]
fn object(json: &str) -> Map<String, Value> {
    match serde_json::from_str(json) {
        Ok(Value::Object(map)) => map,
        _ => panic!("not an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(json: &str) -> Form {
        Form {
            root: object(json),
            drafts: HashMap::new(),
            changed: false,
        }
    }

    /// Types `text` into the field labelled `label`, as the user would.
    fn type_into(form: &mut Form, label: &str, text: &str) {
        let (field, typed) = keys::typed_field(label);
        form.take_typed(&field, typed, text.to_owned());
    }

    fn shown(form: &mut Form, label: &str) -> String {
        let (field, typed) = keys::typed_field(label);
        form.shown_text(&field, typed)
    }

    fn error(form: &Form, label: &str) -> Option<String> {
        form.drafts
            .get(label)
            .and_then(|draft| draft.error.as_ref())
            .map(ToString::to_string)
    }

    #[test]
    fn typed_text_stays_on_screen_while_the_json_holds_its_value() {
        let mut form = form(r#"{"aps":{"loc-args":1}}"#);
        for (label, typed) in [
            ("relevance-score", "0.50"),
            ("loc-args", "Ann,"),
            ("content-state", "{ \"a\": 1 }"),
        ] {
            type_into(&mut form, label, typed);
            assert_eq!(shown(&mut form, label), typed);
        }
        assert!(form.changed);
        form.drafts.clear();
        assert_eq!(shown(&mut form, "relevance-score"), "0.5");
        assert_eq!(shown(&mut form, "loc-args"), "Ann");
    }

    #[test]
    fn text_that_does_not_parse_stays_with_its_error_and_the_json_keeps_the_old_value() {
        let mut form = form(r#"{"aps":{"relevance-score":0.5}}"#);
        type_into(&mut form, "relevance-score", "0.5x");
        assert_eq!(shown(&mut form, "relevance-score"), "0.5x");
        assert_eq!(
            error(&form, "relevance-score").as_deref(),
            Some("relevance-score takes a number from 0 to 1")
        );
        assert!(!form.changed);
        assert_eq!(
            Value::Object(form.root.clone()).to_string(),
            r#"{"aps":{"relevance-score":0.5}}"#
        );
        type_into(&mut form, "relevance-score", "0.25");
        assert_eq!(error(&form, "relevance-score"), None);
        assert!(form.changed);
    }

    #[test]
    fn a_draft_gives_way_when_the_json_is_edited_elsewhere() {
        let mut form = form(r#"{"aps":{"relevance-score":0.5}}"#);
        type_into(&mut form, "relevance-score", "0.5x");
        form.root = self::form(r#"{"aps":{"relevance-score":0.7}}"#).root;
        assert_eq!(shown(&mut form, "relevance-score"), "0.7");
        assert!(form.drafts.is_empty(), "its error goes with it");
    }
}
