//! The built-in simulator's rules as a form, with the JSON behind it: token lists one per
//! line, delays, when to GOAWAY or close, stream limits. Either side can be edited; a line
//! that is not a token is named under its field and keeps the JSON as it was.

use crate::apns::DeviceToken;
use crate::simulator::{FlakyToken, Rules};

use super::theme;

/// A token list being typed, and what is wrong with it.
#[derive(Debug, Default)]
struct Draft {
    text: String,
    problem: Option<String>,
}

impl Draft {
    fn of_tokens(tokens: &[DeviceToken]) -> Self {
        Self {
            text: tokens
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            problem: None,
        }
    }
}

/// The form's drafts, kept between frames (not saved): the JSON is what is saved.
#[derive(Debug, Default)]
pub struct RulesForm {
    /// The JSON the drafts were read from; when the JSON changes under them, they are read
    /// again.
    synced: Option<String>,
    bad: Draft,
    unregistered: Draft,
    throttled: Draft,
    flaky: Draft,
}

fn tokens(text: &str) -> Result<Vec<DeviceToken>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            line.trim()
                .parse()
                .map_err(|error| format!("line {}: {error}", number + 1))
        })
        .collect()
}

fn flaky(text: &str) -> Result<Vec<FlakyToken>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            let problem = |what: String| format!("line {}: {what}", number + 1);
            let mut words = line.split_whitespace();
            let token = words
                .next()
                .unwrap_or_default()
                .parse()
                .map_err(|error| problem(format!("{error}")))?;
            let failures = match words.next() {
                Some(count) => count
                    .parse()
                    .map_err(|_| problem(format!("{count:?} is not a number of failures")))?,
                None => 1,
            };
            Ok(FlakyToken { token, failures })
        })
        .collect()
}

/// A grid row with a list typed a line per item; the parsed list when an edit parses, and
/// the line at fault under the field when it does not.
fn list_field<T>(
    ui: &mut egui::Ui,
    name: &str,
    hint: &str,
    draft: &mut Draft,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let label = ui.label(name);
    let parsed = ui
        .vertical(|ui| {
            let response = ui
                .add(
                    theme::code_field(&mut draft.text, 2)
                        .desired_width(theme::size::FIELD_L + theme::size::FIELD_M)
                        .hint_text(hint),
                )
                .labelled_by(label.id);
            let parsed = if response.changed() {
                match parse(&draft.text) {
                    Ok(parsed) => {
                        draft.problem = None;
                        Some(parsed)
                    }
                    Err(problem) => {
                        draft.problem = Some(problem);
                        None
                    }
                }
            } else {
                None
            };
            if let Some(problem) = &draft.problem {
                theme::problem(ui, problem.as_str());
            }
            parsed
        })
        .inner;
    ui.end_row();
    parsed
}

/// The rules as JSON with only what differs from no rules, so it reads as what is set.
pub fn to_json(rules: &Rules) -> String {
    let defaults = serde_json::to_value(Rules::default()).unwrap_or_default();
    let mut value = serde_json::to_value(rules).unwrap_or_default();
    if let (Some(object), Some(defaults)) = (value.as_object_mut(), defaults.as_object()) {
        object.retain(|key, value| defaults.get(key) != Some(value));
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// Draws the form over `json`; true when it changed the JSON.
pub fn show(ui: &mut egui::Ui, json: &mut String, form: &mut RulesForm) -> bool {
    let mut rules = match super::settings::rules(json) {
        Ok(rules) => rules,
        Err(error) => {
            theme::problem(
                ui,
                format!("Fix the JSON to edit the rules as a form: {error}"),
            );
            return false;
        }
    };
    if form.synced.as_deref() != Some(json.as_str()) {
        form.bad = Draft::of_tokens(&rules.bad_tokens);
        form.unregistered = Draft::of_tokens(&rules.unregistered);
        form.throttled = Draft::of_tokens(&rules.throttled);
        form.flaky = Draft {
            text: rules
                .flaky
                .iter()
                .map(|flaky| format!("{} {}", flaky.token, flaky.failures))
                .collect::<Vec<_>>()
                .join("\n"),
            problem: None,
        };
        form.synced = Some(json.clone());
    }
    let mut changed = false;
    egui::Grid::new("simulator rules")
        .num_columns(2)
        .spacing([theme::space::M, theme::space::S])
        .show(ui, |ui| {
            let lists: [(&str, &str, &mut Draft, &mut Vec<DeviceToken>); 3] = [
                (
                    "Bad tokens",
                    "400 BadDeviceToken; legacy: error-response 8",
                    &mut form.bad,
                    &mut rules.bad_tokens,
                ),
                (
                    "Unregistered tokens",
                    "410 Unregistered; listed by the feedback service",
                    &mut form.unregistered,
                    &mut rules.unregistered,
                ),
                (
                    "Throttled tokens",
                    "429 TooManyRequests, every time",
                    &mut form.throttled,
                    &mut rules.throttled,
                ),
            ];
            for (name, hint, draft, list) in lists {
                if let Some(parsed) = list_field(
                    ui,
                    name,
                    &format!("one hex token per line: {hint}"),
                    draft,
                    tokens,
                ) {
                    *list = parsed;
                    changed = true;
                }
            }
            if let Some(parsed) = list_field(
                ui,
                "Flaky tokens",
                "hex token and failures per line: 503 that many times, then accepted",
                &mut form.flaky,
                flaky,
            ) {
                rules.flaky = parsed;
                changed = true;
            }
            for (name, value, range) in [
                (
                    "Legacy error-response delay (ms)",
                    &mut rules.error_response_delay_ms,
                    0..=60_000,
                ),
                (
                    "HTTP/2 answer delay (ms)",
                    &mut rules.response_delay_ms,
                    0..=60_000,
                ),
            ] {
                let label = ui.label(name);
                changed |= ui
                    .add(egui::DragValue::new(value).range(range))
                    .labelled_by(label.id)
                    .changed();
                ui.end_row();
            }
            let label = ui.label("HTTP/2 max concurrent streams");
            changed |= ui
                .add(egui::DragValue::new(&mut rules.max_concurrent_streams).range(1..=100_000))
                .labelled_by(label.id)
                .changed();
            ui.end_row();
            for (name, after, what) in [
                (
                    "GOAWAY after streams",
                    &mut rules.goaway_after_streams,
                    "HTTP/2: GOAWAY after this many streams on a connection",
                ),
                (
                    "Close after notifications",
                    &mut rules.close_after_notifications,
                    "drop the connection without a word after this many",
                ),
            ] {
                let label = ui.label(name);
                ui.horizontal(|ui| {
                    let mut on = after.is_some();
                    if ui.checkbox(&mut on, "").labelled_by(label.id).changed() {
                        *after = on.then_some(after.unwrap_or(100));
                        changed = true;
                    }
                    if let Some(count) = after {
                        changed |= ui
                            .add(egui::DragValue::new(count).range(1..=1_000_000))
                            .labelled_by(label.id)
                            .changed();
                    }
                    ui.label(theme::quiet(what));
                });
                ui.end_row();
            }
            for (name, value) in [
                (
                    "Legacy gateway never answers",
                    &mut rules.legacy_never_answers,
                ),
                (
                    "Token auth: one stream until the token is accepted",
                    &mut rules.token_auth_single_stream,
                ),
            ] {
                ui.label("");
                changed |= ui.checkbox(value, name).changed();
                ui.end_row();
            }
        });
    if changed {
        *json = to_json(&rules);
        form.synced = Some(json.clone());
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_holds_only_what_is_set() {
        let rules = Rules {
            bad_tokens: vec!["00ff".parse().unwrap()],
            close_after_notifications: Some(300),
            ..Rules::default()
        };
        let json = to_json(&rules);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).unwrap(),
            serde_json::json!({"bad_tokens": ["00ff"], "close_after_notifications": 300})
        );
        assert_eq!(Rules::from_json(&json).unwrap(), rules);
        assert_eq!(to_json(&Rules::default()), "{}");
    }

    #[test]
    fn lines_that_are_not_tokens_are_named() {
        assert_eq!(tokens("00ff\n\nabcd").unwrap().len(), 2);
        assert!(tokens("00ff\nnope").unwrap_err().starts_with("line 2: "));
        let parsed = flaky("00ff 3\nabcd").unwrap();
        assert_eq!((parsed[0].failures, parsed[1].failures), (3, 1));
        assert!(
            flaky("00ff many")
                .unwrap_err()
                .contains("\"many\" is not a number")
        );
    }
}
