//! Custom fields: the payload's top-level keys other than `aps` (an order id, a deep link),
//! each edited as a JSON value, removed, or added. Like the aps fields, text that is not
//! JSON stays in its field with the parser's complaint and is not written.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::ui::theme;

/// What the section keeps between frames: text that is not (yet) the JSON, per key, and
/// the row for adding a key.
#[derive(Clone, Debug, Default)]
pub(super) struct CustomDrafts {
    /// Text typed for a key, with the key's value at the time; dropped when the value moves.
    edits: HashMap<String, (String, Value, Option<String>)>,
    new_name: String,
    new_value: String,
    new_problem: Option<String>,
}

/// The custom keys of `root`, in payload order.
fn custom_keys(root: &Map<String, Value>) -> Vec<String> {
    root.keys().filter(|key| *key != "aps").cloned().collect()
}

/// Applies `text` typed for `key`: written when it is JSON, else kept with the reason.
fn take_edit(
    root: &mut Map<String, Value>,
    drafts: &mut CustomDrafts,
    key: &str,
    text: String,
) -> bool {
    let (changed, problem) = match serde_json::from_str::<Value>(&text) {
        Ok(value) => {
            let changed = root.get(key) != Some(&value);
            if let Some(slot) = root.get_mut(key) {
                *slot = value;
            }
            (changed, None)
        }
        Err(error) => (
            false,
            Some(format!("not JSON ({error}); text needs quotes")),
        ),
    };
    let value = root.get(key).cloned().unwrap_or(Value::Null);
    drafts.edits.insert(key.to_owned(), (text, value, problem));
    changed
}

/// Adds the key typed in the add row, or says why not.
fn add(root: &mut Map<String, Value>, drafts: &mut CustomDrafts) -> bool {
    let name = drafts.new_name.trim();
    let problem = if name.is_empty() {
        Some("name the field".to_owned())
    } else if name == "aps" {
        Some("aps is Apple's: use the fields above".to_owned())
    } else if root.contains_key(name) {
        Some(format!("{name} is already in the payload"))
    } else {
        match serde_json::from_str::<Value>(&drafts.new_value) {
            Ok(value) => {
                root.insert(name.to_owned(), value);
                drafts.new_name.clear();
                drafts.new_value.clear();
                None
            }
            Err(error) => Some(format!(
                "the value is not JSON ({error}); text needs quotes"
            )),
        }
    };
    let added = problem.is_none();
    drafts.new_problem = problem;
    added
}

/// Draws the custom fields of `root`; returns true when it changed.
pub(super) fn show(
    ui: &mut egui::Ui,
    root: &mut Map<String, Value>,
    drafts: &mut CustomDrafts,
) -> bool {
    let mut changed = false;
    let mut removed = None;
    egui::Grid::new("custom fields")
        .num_columns(2)
        .show(ui, |ui| {
            for key in custom_keys(root) {
                let value = root.get(&key).cloned().unwrap_or(Value::Null);
                if drafts
                    .edits
                    .get(&key)
                    .is_some_and(|(_, typed_over, _)| *typed_over != value)
                {
                    drafts.edits.remove(&key);
                }
                let mut text = drafts.edits.get(&key).map_or_else(
                    || serde_json::to_string(&value).unwrap_or_default(),
                    |(text, _, _)| text.clone(),
                );
                let label = ui.label(&key);
                ui.horizontal(|ui| {
                    let response = ui
                        .add(
                            egui::TextEdit::singleline(&mut text)
                                .code_editor()
                                .desired_width(theme::size::FIELD_XL),
                        )
                        .labelled_by(label.id);
                    if response.changed() {
                        changed |= take_edit(root, drafts, &key, text);
                    }
                    if ui.small_button(format!("Remove {key}")).clicked() {
                        removed = Some(key.clone());
                    }
                    if let Some((_, _, Some(problem))) = drafts.edits.get(&key) {
                        theme::problem(ui, problem.as_str());
                    }
                });
                ui.end_row();
            }
            let label = ui.label("New field");
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut drafts.new_name)
                        .hint_text("name")
                        .desired_width(theme::size::FIELD_S),
                )
                .labelled_by(label.id);
                let value_label = ui.label("value");
                ui.add(
                    egui::TextEdit::singleline(&mut drafts.new_value)
                        .code_editor()
                        .hint_text(r#""text", 42, true, {"id": 7}"#)
                        .desired_width(theme::size::FIELD_M),
                )
                .labelled_by(value_label.id);
                if ui.button("Add field").clicked() {
                    changed |= add(root, drafts);
                }
                if let Some(problem) = &drafts.new_problem {
                    theme::problem(ui, problem.as_str());
                }
            });
            ui.end_row();
        });
    if let Some(key) = removed {
        root.shift_remove(&key);
        drafts.edits.remove(&key);
        changed = true;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::super::object as root;
    use super::*;

    #[test]
    fn an_edit_that_is_json_is_written_in_place() {
        let mut map = root(r#"{"aps":{"badge":1},"order":7,"link":"x"}"#);
        let mut drafts = CustomDrafts::default();
        assert_eq!(custom_keys(&map), ["order", "link"]);
        assert!(take_edit(
            &mut map,
            &mut drafts,
            "order",
            r#"{"id":8}"#.into()
        ));
        assert_eq!(
            Value::Object(map).to_string(),
            r#"{"aps":{"badge":1},"order":{"id":8},"link":"x"}"#
        );
    }

    #[test]
    fn an_edit_that_is_not_json_keeps_the_value_and_says_why() {
        let mut map = root(r#"{"link":"x"}"#);
        let mut drafts = CustomDrafts::default();
        assert!(!take_edit(&mut map, &mut drafts, "link", "app://y".into()));
        assert_eq!(map["link"], "x");
        let (text, _, problem) = &drafts.edits["link"];
        assert_eq!(text, "app://y");
        assert!(
            problem
                .as_deref()
                .is_some_and(|p| p.contains("text needs quotes"))
        );
    }

    #[test]
    fn adding_checks_the_name_and_the_value() {
        let mut map = root(r#"{"aps":{},"order":7}"#);
        let mut drafts = CustomDrafts {
            new_name: "aps".into(),
            new_value: "1".into(),
            ..CustomDrafts::default()
        };
        assert!(!add(&mut map, &mut drafts));
        drafts.new_name = "order".into();
        assert!(!add(&mut map, &mut drafts), "taken");
        drafts.new_name = "link".into();
        drafts.new_value = "app://y".into();
        assert!(!add(&mut map, &mut drafts), "not JSON");
        drafts.new_value = r#""app://y""#.into();
        assert!(add(&mut map, &mut drafts));
        assert_eq!(
            Value::Object(map).to_string(),
            r#"{"aps":{},"order":7,"link":"app://y"}"#
        );
        assert!(drafts.new_name.is_empty() && drafts.new_problem.is_none());
    }
}
