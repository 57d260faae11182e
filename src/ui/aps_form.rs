//! The aps form: common keys edited as fields, kept in sync with the JSON both
//! ways. The JSON is the truth; the form reads it every frame and writes back
//! only the key that changed, so custom keys and key order survive.

use serde_json::{Map, Value};

/// Fields the form shows, read from the payload JSON.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApsFields {
    /// aps.alert.title
    pub title: String,
    /// aps.alert.subtitle
    pub subtitle: String,
    /// aps.alert.body, or aps.alert when it is a string
    pub body: String,
    /// aps.badge, empty when absent
    pub badge: String,
    /// aps.sound when it is a string
    pub sound: String,
    /// aps.thread-id
    pub thread_id: String,
    /// aps.category
    pub category: String,
    /// aps.content-available = 1
    pub content_available: bool,
    /// aps.mutable-content = 1
    pub mutable_content: bool,
}

fn text(map: &Map<String, Value>, key: &str) -> String {
    map.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

impl ApsFields {
    /// The fields of `root` (a payload object).
    pub fn read(root: &Map<String, Value>) -> Self {
        let empty = Map::new();
        let aps = root.get("aps").and_then(Value::as_object).unwrap_or(&empty);
        let (title, subtitle, body) = match aps.get("alert") {
            Some(Value::String(body)) => (String::new(), String::new(), body.clone()),
            Some(Value::Object(alert)) => (
                text(alert, "title"),
                text(alert, "subtitle"),
                text(alert, "body"),
            ),
            _ => Default::default(),
        };
        Self {
            title,
            subtitle,
            body,
            badge: aps
                .get("badge")
                .map(ToString::to_string)
                .unwrap_or_default(),
            sound: text(aps, "sound"),
            thread_id: text(aps, "thread-id"),
            category: text(aps, "category"),
            content_available: aps.get("content-available").is_some_and(|v| v == 1),
            mutable_content: aps.get("mutable-content").is_some_and(|v| v == 1),
        }
    }

    /// Writes the fields that differ from `before` into `root`; an emptied field removes its key.
    pub fn write(&self, before: &Self, root: &mut Map<String, Value>) {
        let aps = root
            .entry("aps")
            .or_insert_with(|| Value::Object(Map::new()));
        if !aps.is_object() {
            *aps = Value::Object(Map::new());
        }
        let Value::Object(aps) = aps else { return };
        let set_text = |aps: &mut Map<String, Value>, key: &str, value: &str| {
            if value.is_empty() {
                aps.remove(key);
            } else {
                aps.insert(key.to_owned(), Value::String(value.to_owned()));
            }
        };
        if (&self.title, &self.subtitle, &self.body)
            != (&before.title, &before.subtitle, &before.body)
        {
            let mut alert = match aps.remove("alert") {
                Some(Value::Object(alert)) => alert,
                Some(Value::String(body)) => {
                    Map::from_iter([("body".to_owned(), Value::String(body))])
                }
                _ => Map::new(),
            };
            set_text(&mut alert, "title", &self.title);
            set_text(&mut alert, "subtitle", &self.subtitle);
            set_text(&mut alert, "body", &self.body);
            if !alert.is_empty() {
                aps.insert("alert".to_owned(), Value::Object(alert));
            }
        }
        if self.badge != before.badge {
            match self.badge.trim().parse::<u32>() {
                Ok(badge) => {
                    aps.insert("badge".to_owned(), badge.into());
                }
                Err(_) if self.badge.trim().is_empty() => {
                    aps.remove("badge");
                }
                Err(_) => {}
            }
        }
        for (key, now, was) in [
            ("sound", &self.sound, &before.sound),
            ("thread-id", &self.thread_id, &before.thread_id),
            ("category", &self.category, &before.category),
        ] {
            if now != was {
                set_text(aps, key, now);
            }
        }
        for (key, now, was) in [
            (
                "content-available",
                self.content_available,
                before.content_available,
            ),
            (
                "mutable-content",
                self.mutable_content,
                before.mutable_content,
            ),
        ] {
            if now != was {
                if now {
                    aps.insert(key.to_owned(), 1.into());
                } else {
                    aps.remove(key);
                }
            }
        }
    }
}

/// Draws the form over `json`; when a field changes, rewrites `json` (pretty) and returns true.
pub fn show(ui: &mut egui::Ui, json: &mut String) -> bool {
    let Ok(Value::Object(mut root)) = serde_json::from_str::<Value>(json) else {
        ui.label(egui::RichText::new("Fix the JSON to edit it as a form.").weak());
        return false;
    };
    let before = ApsFields::read(&root);
    let mut fields = before.clone();
    let text_field = |ui: &mut egui::Ui, name: &str, value: &mut String| {
        let label = ui.add_sized([70.0, 18.0], egui::Label::new(name));
        ui.add(egui::TextEdit::singleline(value).desired_width(300.0))
            .labelled_by(label.id);
    };
    ui.horizontal(|ui| {
        text_field(ui, "Title", &mut fields.title);
        text_field(ui, "Subtitle", &mut fields.subtitle);
    });
    ui.horizontal(|ui| {
        text_field(ui, "Body", &mut fields.body);
        text_field(ui, "Badge", &mut fields.badge);
    });
    ui.horizontal(|ui| {
        text_field(ui, "Sound", &mut fields.sound);
        text_field(ui, "Thread id", &mut fields.thread_id);
    });
    ui.horizontal(|ui| {
        text_field(ui, "Category", &mut fields.category);
        ui.checkbox(&mut fields.content_available, "content-available");
        ui.checkbox(&mut fields.mutable_content, "mutable-content");
    });
    if fields == before {
        return false;
    }
    fields.write(&before, &mut root);
    *json = serde_json::to_string_pretty(&Value::Object(root)).unwrap_or_else(|_| json.clone());
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(json: &str) -> Map<String, Value> {
        match serde_json::from_str(json) {
            Ok(Value::Object(map)) => map,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn reads_string_and_dictionary_alerts() {
        let fields = ApsFields::read(&root(
            r#"{"aps":{"alert":"Hi","badge":0,"content-available":1}}"#,
        ));
        assert_eq!((fields.body.as_str(), fields.badge.as_str()), ("Hi", "0"));
        assert!(fields.content_available);
        let fields = ApsFields::read(&root(r#"{"aps":{"alert":{"title":"T","body":"B"}}}"#));
        assert_eq!((fields.title.as_str(), fields.body.as_str()), ("T", "B"));
    }

    #[test]
    fn writes_only_what_changed_and_keeps_the_rest() {
        let mut map = root(r#"{"id":7,"aps":{"alert":"Hi","x-custom":true}}"#);
        let before = ApsFields::read(&map);
        let mut after = before.clone();
        after.title = "Title".into();
        after.badge = "0".into();
        after.mutable_content = true;
        after.write(&before, &mut map);
        assert_eq!(
            Value::Object(map).to_string(),
            r#"{"id":7,"aps":{"x-custom":true,"alert":{"body":"Hi","title":"Title"},"badge":0,"mutable-content":1}}"#
        );
    }

    #[test]
    fn emptying_a_field_removes_its_key() {
        let mut map = root(r#"{"aps":{"sound":"default","badge":3}}"#);
        let before = ApsFields::read(&map);
        let mut after = before.clone();
        after.sound.clear();
        after.badge.clear();
        after.write(&before, &mut map);
        assert_eq!(Value::Object(map).to_string(), r#"{"aps":{}}"#);
    }
}
