//! Compose: the payload as JSON, with its byte meter, the linter's warnings and
//! the notification's headers.

use super::theme::{self, Tone};
use crate::apns::{
    ApnsFile, AuthKind, DeviceToken, Lint, Notification, Payload, PayloadLimit, Priority, PushType,
    Severity, Transport, fill_live_activity_timestamp, group_thousands, lint,
};
use crate::engine::pick_topic;

/// The sample a new user starts with, so the first Send works.
pub const SAMPLE_PAYLOAD: &str = "{\n  \"aps\": {\n    \"alert\": {\n      \"title\": \"Hello from Push Console\",\n      \"body\": \"Your first push arrived.\"\n    },\n    \"badge\": 1,\n    \"sound\": \"default\"\n  }\n}";

/// The editable notification, as plain data.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ComposeState {
    /// The payload JSON as typed.
    pub json: String,
    /// apns-push-type.
    pub push_type: String,
    /// apns-topic (empty: the identity's).
    pub topic: String,
    /// apns-priority: 0 for "not sent", else 10, 5 or 1.
    pub priority: u8,
    /// apns-expiration in UNIX seconds ("0": deliver once; empty: not sent).
    pub expiration: String,
    /// apns-collapse-id (empty: not sent).
    pub collapse_id: String,
    /// apns-id for a single-token send (empty: one is made per notification).
    pub apns_id: String,
    /// Why "Fit alert body" could not fit it; not kept across restarts.
    #[serde(skip)]
    pub fit_problem: Option<String>,
}

impl Default for ComposeState {
    fn default() -> Self {
        Self {
            json: SAMPLE_PAYLOAD.to_owned(),
            push_type: "alert".to_owned(),
            topic: String::new(),
            priority: 0,
            expiration: String::new(),
            collapse_id: String::new(),
            apns_id: String::new(),
            fit_problem: None,
        }
    }
}

/// The starting points the Send view offers, one per kind of push, each sendable to the
/// built-in simulator as it stands (the engine sets a Live Activity's timestamp).
pub fn starters() -> Vec<(&'static str, ComposeState)> {
    let starter = |push_type: &str, json: &str, priority: u8, expiration: &str| ComposeState {
        json: json.to_owned(),
        push_type: push_type.to_owned(),
        priority,
        expiration: expiration.to_owned(),
        ..ComposeState::default()
    };
    vec![
        ("Alert", ComposeState::default()),
        (
            "Background refresh",
            starter(
                "background",
                "{\n  \"aps\": {\n    \"content-available\": 1\n  }\n}",
                5,
                "",
            ),
        ),
        (
            "Live Activity: start (push-to-start token)",
            starter(
                "liveactivity",
                "{\n  \"aps\": {\n    \"event\": \"start\",\n    \"content-state\": {\n      \"score\": 0\n    },\n    \"attributes-type\": \"MatchAttributes\",\n    \"attributes\": {\n      \"home\": \"Lyon\",\n      \"away\": \"Lens\"\n    },\n    \"alert\": {\n      \"title\": \"Kick-off\",\n      \"body\": \"Lyon v Lens has started\"\n    },\n    \"input-push-token\": 1\n  }\n}",
                10,
                "",
            ),
        ),
        (
            "Live Activity: update",
            starter(
                "liveactivity",
                "{\n  \"aps\": {\n    \"event\": \"update\",\n    \"content-state\": {\n      \"score\": 1\n    }\n  }\n}",
                5,
                "",
            ),
        ),
        (
            "Live Activity: end",
            starter(
                "liveactivity",
                "{\n  \"aps\": {\n    \"event\": \"end\",\n    \"content-state\": {\n      \"score\": 3\n    }\n  }\n}",
                10,
                "",
            ),
        ),
        (
            "Widgets: reload",
            starter(
                "widgets",
                "{\n  \"aps\": {\n    \"content-changed\": true\n  }\n}",
                0,
                "",
            ),
        ),
        (
            "Push to talk: active speaker",
            starter("pushtotalk", "{\n  \"activeSpeaker\": \"Ann\"\n}", 10, "0"),
        ),
        (
            "Location query",
            starter("location", "{\n  \"aps\": {}\n}", 10, ""),
        ),
    ]
}

/// Reads an `.apns` file (the iOS Simulator's drag-and-drop format): the payload, with
/// the app's bundle id moved to the topic.
pub fn from_apns_file(text: &str) -> Result<ComposeState, String> {
    let file = ApnsFile::parse(text).map_err(|error| error.to_string())?;
    Ok(ComposeState {
        json: file.payload,
        topic: file.bundle.unwrap_or_default(),
        ..ComposeState::default()
    })
}

/// Writes an `.apns` file: the payload plus the topic as the bundle to deliver to.
pub fn to_apns_file(state: &ComposeState) -> Result<String, String> {
    ApnsFile::write(&state.json, &state.topic).map_err(|error| error.to_string())
}

/// What the compose state means right now: derived each frame, never stored.
pub struct Composed {
    /// The notification, when everything parses.
    pub notification: Option<Notification>,
    /// The first problem that stops sending, in words.
    pub blocker: Option<String>,
    /// Payload size in bytes, when it parses.
    pub size: Option<usize>,
    /// The limit that applies.
    pub limit: PayloadLimit,
    /// Warnings and errors from the linter.
    pub lints: Vec<Lint>,
}

/// What the chosen identity means for composing: how it authenticates, and the topics its
/// certificate names (the engine sends with the first when the form names none).
#[derive(Clone, Copy, Debug)]
pub struct Signer<'a> {
    /// Certificate or token auth.
    pub auth: AuthKind,
    /// The certificate's topics; empty for a token key.
    pub topics: &'a [String],
    /// The simulator's own credential: its certificate, or its token key for the push
    /// types that need token auth, as the engine picks.
    pub simulator_own: bool,
}

impl<'a> Signer<'a> {
    /// How a push of `push_type` is signed, as the engine resolves it, and the topics its
    /// default topic comes from: the simulator's own credential is its token key, for its
    /// own app, where token auth is required.
    pub fn for_push_type(&self, push_type: &PushType) -> (AuthKind, &'a [String]) {
        static SIMULATOR_APP: std::sync::LazyLock<[String; 1]> =
            std::sync::LazyLock::new(|| [crate::simulator::SIMULATOR_TOPIC.to_owned()]);
        if self.simulator_own && push_type.needs_token_auth() {
            (AuthKind::Token, &SIMULATOR_APP[..])
        } else {
            (self.auth, self.topics)
        }
    }

    /// The built-in simulator's own certificate.
    pub const SIMULATOR: Signer<'static> = Signer {
        auth: AuthKind::Certificate,
        topics: &[],
        simulator_own: true,
    };
}

impl ComposeState {
    /// Parses and checks the state for `transport`, as `signer` will send it. Cheap enough
    /// to run every frame: a 4 KB payload parses and lints in well under a millisecond.
    pub fn compose(&self, transport: Transport, signer: Signer<'_>) -> Composed {
        let push_type: PushType = self.push_type.parse().unwrap_or_default();
        let limit = PayloadLimit::new(transport, &push_type);
        let payload = match Payload::from_json(&self.json) {
            Ok(payload) => payload,
            Err(error) => {
                return Composed {
                    notification: None,
                    blocker: Some(error.to_string()),
                    size: None,
                    limit,
                    lints: Vec::new(),
                };
            }
        };
        let size = payload.size();
        // The token is a placeholder: the linter checks everything else.
        let mut notification = Notification::new(DeviceToken::placeholder(), payload);
        notification.push_type = push_type;
        let mut blocker = None;
        if !self.topic.trim().is_empty() {
            match self.topic.trim().parse() {
                Ok(topic) => notification.topic = Some(topic),
                Err(error) => blocker = Some(format!("{error}")),
            }
        }
        notification.priority = Priority::try_from(self.priority).ok();
        let optional = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_owned());
        if let Some(text) = optional(&self.expiration) {
            match text.parse() {
                Ok(expiration) => notification.expiration = Some(expiration),
                Err(error) => blocker = blocker.or(Some(format!("{error}"))),
            }
        }
        if let Some(text) = optional(&self.collapse_id) {
            match text.parse() {
                Ok(collapse_id) => notification.collapse_id = Some(collapse_id),
                Err(error) => blocker = blocker.or(Some(format!("{error}"))),
            }
        }
        if let Some(text) = optional(&self.apns_id) {
            match text.parse() {
                Ok(apns_id) => notification.apns_id = Some(apns_id),
                Err(error) => blocker = blocker.or(Some(format!("{error}"))),
            }
        }
        // Linted with the credential and topic the engine will pick, so the form and the
        // send agree.
        let (auth, topics) = signer.for_push_type(&notification.push_type);
        let mut as_sent = notification.clone();
        as_sent.topic = pick_topic(notification.topic.as_ref(), topics, &notification.push_type);
        let now = crate::store::history::now_secs();
        if as_sent.push_type == PushType::LiveActivity {
            // The engine dates a Live Activity push that has no timestamp when it sends it.
            fill_live_activity_timestamp(&mut as_sent.payload, now);
        }
        let lints = lint(&as_sent, transport, auth, now);
        if blocker.is_none() {
            blocker = lints
                .iter()
                .find(|finding| finding.severity() == Severity::Error)
                .map(ToString::to_string);
        }
        Composed {
            notification: Some(notification),
            blocker,
            size: Some(size),
            limit,
            lints,
        }
    }
}

/// The meter's text and tone: a warning from 90 % of the limit, rejected over it.
pub fn meter(size: usize, limit: &PayloadLimit) -> (String, Tone) {
    let text = format!(
        "{} / {} B",
        group_thousands(size),
        group_thousands(limit.bytes())
    );
    let tone = if !limit.allows(size) {
        Tone::Rejected
    } else if limit.usage(size) >= 0.9 {
        Tone::Warning
    } else {
        Tone::Accepted
    };
    (text, tone)
}

/// Draws the compose view; `preview_dark` is the preview's device appearance.
pub fn show(
    ui: &mut egui::Ui,
    state: &mut ComposeState,
    composed: &Composed,
    preview_dark: &mut bool,
) {
    ui.horizontal(|ui| {
        let label = ui.label("Push type");
        egui::ComboBox::from_id_salt("push type")
            .selected_text(state.push_type.clone())
            .show_ui(ui, |ui| {
                for push_type in PushType::ALL {
                    ui.selectable_value(
                        &mut state.push_type,
                        push_type.to_string(),
                        push_type.as_str(),
                    );
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Topic");
        ui.add(
            egui::TextEdit::singleline(&mut state.topic)
                .hint_text("bundle id (default: the identity's)"),
        )
        .labelled_by(label.id);
        let label = ui.label("Priority");
        egui::ComboBox::from_id_salt("priority")
            .selected_text(match state.priority {
                10 => "10 (immediate)",
                5 => "5 (normal)",
                1 => "1 (low)",
                _ => "default",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.priority, 0, "default");
                ui.selectable_value(&mut state.priority, 10, "10 (immediate)");
                ui.selectable_value(&mut state.priority, 5, "5 (normal)");
                ui.selectable_value(&mut state.priority, 1, "1 (low)");
            })
            .response
            .labelled_by(label.id);
    });
    ui.horizontal(|ui| {
        for (name, value, hint, width) in [
            (
                "Expiration",
                &mut state.expiration,
                "UNIX seconds; 0 = once",
                theme::size::FIELD_M,
            ),
            (
                "Collapse id",
                &mut state.collapse_id,
                "at most 64 bytes",
                theme::size::FIELD_M,
            ),
            (
                "apns-id",
                &mut state.apns_id,
                "UUID (one token only)",
                theme::size::ID,
            ),
        ] {
            let label = ui.label(name);
            ui.add(
                egui::TextEdit::singleline(value)
                    .hint_text(hint)
                    .desired_width(width),
            )
            .labelled_by(label.id);
        }
    });
    ui.horizontal(|ui| {
        match composed.size {
            Some(size) => {
                let (text, tone) = meter(size, &composed.limit);
                ui.label(theme::toned(ui, text, tone).family(theme::bold_family()));
            }
            None => {
                ui.label(super::theme::quiet("— / — B"));
            }
        }
        if composed
            .size
            .is_some_and(|size| !composed.limit.allows(size))
            && ui.button("Fit alert body").clicked()
            && let Ok(payload) = Payload::from_json(&state.json)
        {
            match payload.fit_alert_body(&composed.limit) {
                Ok(fitted) => {
                    state.json = fitted.payload.to_pretty_json();
                    state.fit_problem = None;
                }
                Err(error) => state.fit_problem = Some(error.to_string()),
            }
        }
    });
    if let Some(problem) = &state.fit_problem {
        theme::problem(ui, problem.as_str());
    }
    if let Some(blocker) = &composed.blocker {
        theme::problem(ui, blocker.as_str());
    }
    for finding in composed
        .lints
        .iter()
        .filter(|f| f.severity() == Severity::Warning)
    {
        theme::warning(ui, format!("warning: {finding}"));
    }
    // The form and the JSON on the left, the preview beside them where the eye checks it.
    ui.horizontal_top(|ui| {
        let left = (ui.available_width() - theme::size::PREVIEW - theme::space::L)
            .max(theme::size::FIELD_L);
        ui.vertical(|ui| {
            ui.set_width(left);
            egui::CollapsingHeader::new("Form")
                .default_open(true)
                .show(ui, |ui| {
                    super::aps_form::show(ui, &mut state.json);
                });
            let label = ui.label("Payload (JSON)");
            ui.add(
                theme::code_field(&mut state.json, 12)
                    .desired_width(f32::INFINITY)
                    .layouter(&mut super::json_highlight::layouter)
                    .id_salt("payload json"),
            )
            .labelled_by(label.id);
        });
        ui.add_space(theme::space::L);
        ui.vertical(|ui| {
            ui.set_width(theme::size::PREVIEW);
            ui.horizontal(|ui| {
                ui.label(theme::strong("Preview"));
                ui.checkbox(preview_dark, "Dark device");
            });
            let push_type = state.push_type.parse().unwrap_or_default();
            let topic = composed
                .notification
                .as_ref()
                .and_then(|notification| notification.topic.as_ref())
                .map_or_else(|| state.topic.clone(), ToString::to_string);
            let preview = super::preview::Preview::of(&state.json, &push_type, &topic);
            super::preview::show(ui, preview.as_ref(), *preview_dark);
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_starter_is_sendable_to_the_simulator_as_it_stands() {
        for (name, starter) in starters() {
            let composed = starter.compose(Transport::Http2, Signer::SIMULATOR);
            assert!(composed.notification.is_some(), "{name}");
            assert_eq!(composed.blocker, None, "{name}");
            assert!(composed.lints.is_empty(), "{name}: {:?}", composed.lints);
        }
    }

    #[test]
    fn apns_files_round_trip_with_the_bundle_as_topic() {
        let state =
            from_apns_file(r#"{"Simulator Target Bundle":"com.example.app","aps":{"alert":"Hi"}}"#)
                .unwrap();
        assert_eq!(state.topic, "com.example.app");
        assert!(!state.json.contains("Simulator Target Bundle"));
        let written = to_apns_file(&state).unwrap();
        let again = from_apns_file(&written).unwrap();
        assert_eq!((again.topic, again.json), (state.topic, state.json));
        assert!(from_apns_file("[1]").is_err());
    }

    #[test]
    fn a_4kb_payload_composes_with_its_lints() {
        let state = ComposeState {
            json: format!(r#"{{"aps":{{"alert":"{}"}}}}"#, "x".repeat(4000)),
            ..ComposeState::default()
        };
        let composed = state.compose(Transport::Http2, Signer::SIMULATOR);
        assert_eq!(composed.size, Some(4020));
        assert!(
            composed
                .lints
                .iter()
                .any(|lint| matches!(lint, Lint::PayloadNearLimit { .. }))
        );
        assert_eq!(composed.blocker, None);
    }
}
