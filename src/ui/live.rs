//! Live Activities and broadcast in the app: the Channels view (create, list, read and
//! delete an app's channels) and the Live Activity workbench (start by push-to-start token,
//! update and end by token or over a channel, with the states sent kept per activity).
//! Both go through the engine with the Send view's endpoint and identity.

use super::theme::{self, Tone};
use crate::apns::{
    ActivityInput, Alert, AuthKind, Broadcast, ChannelAnswerError, ChannelId, ChannelOperation,
    ChannelReply, DeviceToken, Expiration, Lint, LiveActivityEvent, LiveActivityPush, Notification,
    Payload, Priority, PushType, Severity, StartKeys, StoragePolicy, Topic, Transport,
    fill_live_activity_timestamp, lint, lint_broadcast,
};
use crate::engine::{ChannelAnswer, ChannelRequest};

/// A channel as last seen: its id and, once created or read here, its storage policy.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KnownChannel {
    /// The channel id.
    pub id: String,
    /// 0 (no storage) or 1 (most recent stored), when known.
    pub policy: Option<u8>,
}

/// The Channels view's fields, kept across restarts.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ChannelsForm {
    /// The app's bundle id.
    pub app: String,
    /// New channels keep the most recent broadcast for offline devices.
    pub keep_most_recent: bool,
    /// The management API's HOST:PORT when the Send view's endpoint is a custom host.
    pub channels_endpoint: String,
    /// The channels the last list showed, with what is known of each.
    pub known: Vec<KnownChannel>,
}

impl ChannelsForm {
    /// The policy of `id`, when known.
    pub fn policy(&self, id: &str) -> Option<StoragePolicy> {
        self.known
            .iter()
            .find(|known| known.id == id)
            .and_then(|known| known.policy)
            .and_then(|value| StoragePolicy::from_value(value.into()))
    }

    /// Takes in what APNs answered.
    pub fn learn(&mut self, reply: &ChannelReply) {
        let mut note = |id: &ChannelId, policy: Option<StoragePolicy>| match self
            .known
            .iter_mut()
            .find(|known| known.id == id.as_str())
        {
            Some(known) => known.policy = policy.map(StoragePolicy::value).or(known.policy),
            None => self.known.push(KnownChannel {
                id: id.to_string(),
                policy: policy.map(StoragePolicy::value),
            }),
        };
        match reply {
            ChannelReply::Created { id, policy } => note(id, Some(*policy)),
            ChannelReply::Channel { id, policy, .. } => note(id, *policy),
            ChannelReply::Channels(ids) => {
                let before = std::mem::take(&mut self.known);
                self.known = ids
                    .iter()
                    .map(|id| KnownChannel {
                        id: id.to_string(),
                        policy: before
                            .iter()
                            .find(|known| known.id == id.as_str())
                            .and_then(|known| known.policy),
                    })
                    .collect();
            }
            ChannelReply::Deleted(id) => self.known.retain(|known| known.id != id.as_str()),
            ChannelReply::Broadcast(_) => {}
        }
    }
}

/// start, update or end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EventChoice {
    /// Start by push-to-start token.
    Start,
    /// Update the content state.
    #[default]
    Update,
    /// End.
    End,
}

impl EventChoice {
    fn event(self) -> LiveActivityEvent {
        match self {
            EventChoice::Start => LiveActivityEvent::Start,
            EventChoice::Update => LiveActivityEvent::Update,
            EventChoice::End => LiveActivityEvent::End,
        }
    }
}

/// What a started activity listens on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum InputChoice {
    /// Nothing asked for.
    None,
    /// An update token (`input-push-token: 1`).
    #[default]
    UpdateToken,
    /// A broadcast channel (`input-push-channel`).
    Channel,
}

/// A content state sent to an activity, and what came of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SentState {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The activity: `token <hex>` or `channel <id>`.
    pub activity: String,
    /// start, update or end.
    pub event: String,
    /// The content state as sent.
    pub state: String,
    /// What APNs answered, in words.
    pub answer: String,
}

/// How many sent states are kept.
const KEPT_STATES: usize = 200;

/// The workbench's fields, kept across restarts (the content state is kept between sends).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ActivityForm {
    /// The app's bundle id.
    pub app: String,
    /// The event.
    pub event: EventChoice,
    /// Update or end over a channel instead of a token.
    pub over_channel: bool,
    /// The push-to-start token (start) or the activity's update token.
    pub token: String,
    /// The channel, for an update or end over a channel.
    pub channel: String,
    /// Start: the ActivityAttributes type.
    pub attributes_type: String,
    /// Start: the static attributes, JSON.
    pub attributes: String,
    /// Start: what the activity listens on.
    pub input: InputChoice,
    /// Start: the channel to subscribe it to.
    pub input_channel: String,
    /// The content state, JSON.
    pub state: String,
    /// Alert title.
    pub title: String,
    /// Alert body.
    pub body: String,
    /// stale-date: minutes after sending, or a date and time (empty: none).
    pub stale_in: String,
    /// dismissal-date for an end: minutes after sending, or a date and time (empty: the
    /// system's four hours).
    pub dismiss_in: String,
    /// relevance-score (empty: none).
    pub relevance: String,
    /// Priority 5 instead of 10.
    pub low_priority: bool,
    /// The states sent, newest last.
    pub sent: Vec<SentState>,
}

impl Default for ActivityForm {
    fn default() -> Self {
        Self {
            app: crate::simulator::SIMULATOR_TOPIC.to_owned(),
            event: EventChoice::Update,
            over_channel: false,
            token: String::new(),
            channel: String::new(),
            attributes_type: String::new(),
            attributes: "{}".into(),
            input: InputChoice::UpdateToken,
            input_channel: String::new(),
            state: "{\n  \"score\": 0\n}".into(),
            title: String::new(),
            body: String::new(),
            stale_in: String::new(),
            dismiss_in: String::new(),
            relevance: String::new(),
            low_priority: false,
            sent: Vec::new(),
        }
    }
}

/// What the workbench will send, or why it cannot.
pub enum Prepared {
    /// To a device.
    Device(Notification),
    /// Over a channel.
    Channel(Box<Broadcast>, Option<StoragePolicy>),
}

/// The workbench's push, ready for the engine, with the linter's findings as it would be
/// sent now.
pub struct Composed {
    /// The push, or why it cannot be sent.
    pub prepared: Result<Prepared, String>,
    /// Warnings and errors.
    pub lints: Vec<Lint>,
    /// The payload as it will leave (timestamp filled), for the preview.
    pub payload: Option<String>,
}

/// A date field: minutes from `now` ("15"), or a date and time in this computer's zone or
/// RFC 3339 ("2026-12-02 18:30"); UNIX seconds out.
fn when(text: &str, what: &str, now: u64) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(minutes) = text.parse::<u64>() {
        return Ok(Some(now + minutes.saturating_mul(60)));
    }
    let at_ms = crate::store::history::parse_time(text, now as i64 * 1000)
        .ok()
        .filter(|_| text.contains(['-', ':']))
        .ok_or_else(|| {
            format!("{what}: give minutes from now (15) or a date and time (2026-12-02 18:30)")
        })?;
    Ok(Some((at_ms / 1000).max(0) as u64))
}

/// The content state's top-level keys as fields: a value is JSON when it reads as JSON
/// (numbers, true, objects), else text. Returns whether any changed.
fn state_fields(ui: &mut egui::Ui, state: &mut String) -> bool {
    let Ok(serde_json::Value::Object(mut keys)) = serde_json::from_str(state) else {
        return false;
    };
    let mut changed = false;
    egui::Grid::new("content state keys")
        .num_columns(2)
        .show(ui, |ui| {
            for (key, value) in keys.iter_mut() {
                let mut text = match &*value {
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                let label = ui.label(theme::quiet(key.as_str()));
                if ui
                    .add(egui::TextEdit::singleline(&mut text).desired_width(theme::size::FIELD_M))
                    .labelled_by(label.id)
                    .changed()
                {
                    *value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
                    changed = true;
                }
                ui.end_row();
            }
        });
    if changed {
        *state = serde_json::to_string_pretty(&keys).unwrap_or_default();
    }
    changed
}

fn json(text: &str, what: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|error| format!("{what} is not JSON: {error}"))
}

impl ActivityForm {
    fn activity_key(&self) -> String {
        if self.over_channel && self.event != EventChoice::Start {
            format!("channel {}", self.channel.trim())
        } else {
            format!("token {}", self.token.trim().to_lowercase())
        }
    }

    fn describe(&self, now: u64) -> Result<LiveActivityPush, String> {
        let mut push = LiveActivityPush::new(self.event.event());
        if !self.state.trim().is_empty() {
            push.content_state = Some(json(&self.state, "The content state")?);
        }
        if !self.title.trim().is_empty() || !self.body.trim().is_empty() {
            push.alert = Some(Alert {
                title: Some(self.title.trim().to_owned()).filter(|t| !t.is_empty()),
                body: Some(self.body.trim().to_owned()).filter(|b| !b.is_empty()),
                ..Alert::default()
            });
        }
        push.stale_date = when(&self.stale_in, "Stale at", now)?;
        if self.event == EventChoice::End {
            push.dismissal_date = when(&self.dismiss_in, "Dismiss at", now)?;
        }
        if !self.relevance.trim().is_empty() {
            push.relevance_score = Some(
                self.relevance
                    .trim()
                    .parse()
                    .map_err(|_| "The relevance score must be a number".to_owned())?,
            );
        }
        if self.event == EventChoice::Start {
            let input = match self.input {
                InputChoice::None => None,
                InputChoice::UpdateToken => Some(ActivityInput::PushToken),
                InputChoice::Channel => {
                    Some(ActivityInput::Channel(self.input_channel.parse().map_err(
                        |error: crate::apns::ChannelIdError| error.to_string(),
                    )?))
                }
            };
            push.start = Some(StartKeys {
                attributes_type: self.attributes_type.trim().to_owned(),
                attributes: json(&self.attributes, "The attributes")?,
                input,
            });
        }
        Ok(push)
    }

    /// The push as the engine will send it at `now` with `auth`, and the lints.
    pub fn compose(&self, auth: AuthKind, channels: &ChannelsForm, now: u64) -> Composed {
        let failed = |problem: String| Composed {
            prepared: Err(problem),
            lints: Vec::new(),
            payload: None,
        };
        let app: Topic = match self.app.trim().parse() {
            Ok(app) => app,
            Err(error) => return failed(format!("{error}")),
        };
        let payload: Payload = match self
            .describe(now)
            .and_then(|push| push.payload().map_err(|error| error.to_string()))
        {
            Ok(payload) => payload,
            Err(problem) => return failed(problem),
        };
        let priority = if self.low_priority {
            Priority::Normal
        } else {
            Priority::Immediate
        };
        let mut as_sent = payload.clone();
        fill_live_activity_timestamp(&mut as_sent, now);
        if self.over_channel && self.event != EventChoice::Start {
            let channel: ChannelId = match self.channel.parse() {
                Ok(channel) => channel,
                Err(error) => return failed(error.to_string()),
            };
            let policy = channels.policy(channel.as_str());
            let broadcast = Broadcast {
                bundle: app,
                channel,
                priority,
                expiration: Expiration::IMMEDIATELY,
                request_id: None,
                payload,
            };
            let mut linted = broadcast.clone();
            linted.payload = as_sent.clone();
            let lints = lint_broadcast(&linted, policy, now);
            return Composed {
                prepared: Ok(Prepared::Channel(Box::new(broadcast), policy)),
                lints,
                payload: Some(as_sent.to_pretty_json()),
            };
        }
        let token: DeviceToken = match self.token.parse() {
            Ok(token) => token,
            Err(error) => return failed(format!("{error}")),
        };
        let mut notification = Notification::new(token, payload);
        notification.push_type = PushType::LiveActivity;
        notification.topic = Some(app.for_push_type(&PushType::LiveActivity));
        notification.priority = Some(priority);
        let mut linted = notification.clone();
        linted.payload = as_sent.clone();
        let lints = lint(&linted, Transport::Http2, auth, now);
        Composed {
            prepared: Ok(Prepared::Device(notification)),
            lints,
            payload: Some(as_sent.to_pretty_json()),
        }
    }

    /// Keeps the state just sent and what came of it.
    pub fn remember(&mut self, at_ms: i64, answer: String) {
        self.sent.push(SentState {
            at_ms,
            activity: self.activity_key(),
            event: self.event.event().as_str().to_owned(),
            state: self.state.clone(),
            answer,
        });
        if self.sent.len() > KEPT_STATES {
            self.sent.remove(0);
        }
    }
}

/// What the Channels view asks for.
pub enum ChannelsAction {
    /// Send this operation.
    Ask(ChannelOperation),
    /// Ask before deleting this channel.
    Delete(ChannelId),
    /// Open the workbench on this channel.
    UseInWorkbench(String),
}

/// An answer in words and its tone.
pub fn answer_line(answer: &ChannelAnswer) -> (String, Tone) {
    match &answer.result {
        Ok(reply) => (format!("{} {reply}", answer.status), Tone::Accepted),
        Err(ChannelAnswerError::Refused(refusal)) => (
            format!(
                "{} {}: {}",
                refusal.status,
                refusal.rejection.reason,
                refusal.rejection.reason.explanation()
            ),
            Tone::Rejected,
        ),
        Err(other) => (other.to_string(), Tone::Rejected),
    }
}

/// The Channels view; `busy` while an answer is awaited, `last` the last answer in words.
pub fn channels_view(
    ui: &mut egui::Ui,
    form: &mut ChannelsForm,
    custom_target: bool,
    where_to: &str,
    busy: bool,
    last: Option<&(String, Tone)>,
) -> Option<ChannelsAction> {
    let mut action = None;
    ui.heading("Broadcast channels");
    ui.label(theme::quiet(format!(
        "{where_to} (the endpoint and identity of the Send view). Channels are per app and environment; token auth or the app's certificate."
    )));
    ui.add_space(theme::space::S);
    egui::Grid::new("channels form")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label("App (bundle id)");
            ui.add(egui::TextEdit::singleline(&mut form.app).desired_width(theme::size::FIELD_L))
                .labelled_by(label.id);
            ui.end_row();
            if custom_target {
                let label = ui.label("Channel API host");
                ui.add(
                    egui::TextEdit::singleline(&mut form.channels_endpoint)
                        .hint_text("HOST:PORT of the gateway's channel management API")
                        .desired_width(theme::size::FIELD_L),
                )
                .labelled_by(label.id);
                ui.end_row();
            }
        });
    ui.horizontal(|ui| {
        ui.checkbox(
            &mut form.keep_most_recent,
            "Keep the most recent broadcast for offline devices",
        );
        let policy = if form.keep_most_recent {
            StoragePolicy::MostRecent
        } else {
            StoragePolicy::NoStorage
        };
        if ui
            .add_enabled(!busy, egui::Button::new("Create channel"))
            .clicked()
        {
            action = Some(ChannelsAction::Ask(ChannelOperation::Create(policy)));
        }
        if ui
            .add_enabled(!busy, egui::Button::new("Refresh channels"))
            .clicked()
        {
            action = Some(ChannelsAction::Ask(ChannelOperation::List));
        }
        if busy {
            ui.spinner();
        }
    });
    if let Some((text, tone)) = last {
        ui.label(theme::toned(ui, text.as_str(), *tone));
    }
    ui.add_space(theme::space::S);
    if form.known.is_empty() {
        ui.label(theme::quiet(
            "No channels listed yet: create one, or refresh.",
        ));
        return action;
    }
    egui::Grid::new("channels")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            ui.label(theme::strong("Channel"));
            ui.label(theme::strong("Storage"));
            ui.label("");
            ui.end_row();
            for known in &form.known {
                ui.monospace(&known.id);
                ui.label(
                    match known
                        .policy
                        .and_then(|p| StoragePolicy::from_value(p.into()))
                    {
                        Some(policy) => policy.describe(),
                        None => "not read yet",
                    },
                );
                ui.horizontal(|ui| {
                    theme::copy_button(ui, "channel id", &known.id);
                    let Ok(id) = known.id.parse::<ChannelId>() else {
                        return;
                    };
                    if ui.add_enabled(!busy, egui::Button::new("Read")).clicked() {
                        action = Some(ChannelsAction::Ask(ChannelOperation::Read(id.clone())));
                    }
                    if ui.button("Use for Live Activity").clicked() {
                        action = Some(ChannelsAction::UseInWorkbench(known.id.clone()));
                    }
                    if ui.add_enabled(!busy, egui::Button::new("Delete")).clicked() {
                        action = Some(ChannelsAction::Delete(id));
                    }
                });
                ui.end_row();
            }
        });
    action
}

/// The Live Activity workbench; true when Send was clicked.
pub fn workbench(
    ui: &mut egui::Ui,
    form: &mut ActivityForm,
    composed: &Composed,
    where_to: &str,
    production: bool,
    busy: bool,
    last: Option<&(String, Tone)>,
) -> bool {
    let mut send = false;
    ui.heading("Live Activity workbench");
    ui.label(theme::quiet(format!(
        "{where_to} (the endpoint and identity of the Send view). Live Activities need token auth: a .p8 identity, or the simulator's own key."
    )));
    ui.add_space(theme::space::S);
    ui.horizontal(|ui| {
        for (choice, name) in [
            (EventChoice::Start, "Start"),
            (EventChoice::Update, "Update"),
            (EventChoice::End, "End"),
        ] {
            ui.selectable_value(&mut form.event, choice, name);
        }
        ui.separator();
        if form.event == EventChoice::Start {
            ui.label(theme::quiet(
                "by push-to-start token (a start cannot go over a channel)",
            ));
        } else {
            ui.selectable_value(&mut form.over_channel, false, "To a token");
            ui.selectable_value(&mut form.over_channel, true, "Over a channel");
        }
    });
    egui::Grid::new("activity form").num_columns(2).show(ui, |ui| {
        let field = |ui: &mut egui::Ui, name: &str, text: &mut String, hint: &str| {
            let label = ui.label(name);
            ui.add(
                egui::TextEdit::singleline(text)
                    .hint_text(hint)
                    .desired_width(theme::size::FIELD_L),
            )
            .labelled_by(label.id);
            ui.end_row();
        };
        field(ui, "App (bundle id)", &mut form.app, "com.example.app");
        if form.over_channel && form.event != EventChoice::Start {
            field(ui, "Channel", &mut form.channel, "from the Channels view");
        } else {
            let name = if form.event == EventChoice::Start {
                "Push-to-start token"
            } else {
                "Update token"
            };
            field(ui, name, &mut form.token, "hex, as the app logged it");
        }
        if form.event == EventChoice::Start {
            field(ui, "Attributes type", &mut form.attributes_type, "e.g. MatchAttributes");
            let label = ui.label("Attributes (JSON)");
            ui.add(theme::code_field(&mut form.attributes, 2)).labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Then listen on");
            ui.horizontal(|ui| {
                ui.selectable_value(&mut form.input, InputChoice::UpdateToken, "an update token");
                ui.selectable_value(&mut form.input, InputChoice::Channel, "a channel");
                ui.selectable_value(&mut form.input, InputChoice::None, "nothing");
            })
            .response
            .labelled_by(label.id);
            ui.end_row();
            if form.input == InputChoice::Channel {
                field(ui, "Subscribe to channel", &mut form.input_channel, "channel id");
            }
        }
        let label = ui.label("Content state (JSON)");
        ui.add(theme::code_field(&mut form.state, 4)).labelled_by(label.id);
        ui.end_row();
        ui.label("");
        state_fields(ui, &mut form.state);
        ui.end_row();
        field(ui, "Alert title", &mut form.title, "optional; required to start");
        field(ui, "Alert body", &mut form.body, "optional");
        field(ui, "Stale at", &mut form.stale_in, "minutes from now, or 2026-12-02 18:30; empty: never");
        if form.event == EventChoice::End {
            field(ui, "Dismiss at", &mut form.dismiss_in, "minutes from now (0: at once), or a date and time; empty: up to 4 hours");
        }
        field(ui, "Relevance score", &mut form.relevance, "which activity the Dynamic Island shows");
        let label = ui.label("Priority");
        ui.horizontal(|ui| {
            ui.selectable_value(&mut form.low_priority, false, "10");
            ui.selectable_value(&mut form.low_priority, true, "5");
            ui.label(theme::quiet(
                "10 is delivered at once but counts against the hourly budget of updates; 5 does not count and may be delayed",
            ));
        })
        .response
        .labelled_by(label.id);
        ui.end_row();
    });
    ui.label(theme::quiet(
        "timestamp: set to the send time by the engine (a stale one is dropped by the device)",
    ));
    for finding in &composed.lints {
        match finding.severity() {
            Severity::Error => theme::problem(ui, finding.to_string()),
            Severity::Warning => theme::warning(ui, finding.to_string()),
        };
    }
    let blocker = match &composed.prepared {
        Err(problem) => Some(problem.clone()),
        Ok(_) => composed
            .lints
            .iter()
            .find(|finding| finding.severity() == Severity::Error)
            .map(ToString::to_string),
    };
    if let (Some(problem), true) = (&blocker, composed.lints.is_empty()) {
        theme::problem(ui, problem.as_str());
    }
    ui.horizontal(|ui| {
        let label = match form.event {
            EventChoice::Start => "Start activity",
            EventChoice::Update => "Send update",
            EventChoice::End => "End activity",
        };
        // The same button as Send's.
        let tone = theme::send_tone(production);
        send = theme::primary_button(ui, label, tone, blocker.is_none() && !busy).clicked();
        if production {
            theme::production_chip(ui);
        }
        if busy {
            ui.spinner();
        }
        if let Some((text, tone)) = last {
            ui.label(theme::toned(ui, text.as_str(), *tone));
        }
    });
    if let Some(payload) = &composed.payload {
        egui::CollapsingHeader::new("Payload as it will be sent")
            .default_open(false)
            .show(ui, |ui| {
                ui.monospace(payload);
            });
    }
    let key = form.activity_key();
    let history: Vec<&SentState> = form
        .sent
        .iter()
        .rev()
        .filter(|s| s.activity == key)
        .collect();
    if !history.is_empty() {
        ui.add_space(theme::space::S);
        ui.label(theme::strong(format!(
            "States sent to this activity ({})",
            history.len()
        )));
        let mut reuse = None;
        egui::Grid::new("sent states")
            .num_columns(4)
            .striped(true)
            .show(ui, |ui| {
                for sent in history.iter().take(20) {
                    ui.label(super::history::time_text(ui, sent.at_ms));
                    ui.label(&sent.event);
                    ui.monospace(sent.state.replace('\n', " "));
                    ui.horizontal(|ui| {
                        ui.label(&sent.answer);
                        if ui.small_button("Use this state").clicked() {
                            reuse = Some(sent.state.clone());
                        }
                    });
                    ui.end_row();
                }
            });
        if let Some(state) = reuse {
            form.state = state;
        }
    }
    send
}

impl super::App {
    /// The Send view's endpoint and identity, in words.
    fn where_to(&self) -> String {
        let identity = self
            .state
            .send
            .identity
            .clone()
            .unwrap_or_else(|| "the simulator's own credential".to_owned());
        let target = self.state.send.connection().map_or_else(
            |problem| problem,
            |connection| connection.target.to_string(),
        );
        format!("Sending to {target} with {identity}")
    }

    /// The connection for `request`: the Send view's, over HTTP/2; for channel management
    /// on a custom host, the channel API's own host.
    fn live_connection(&self, manage: bool) -> Result<crate::engine::Connection, String> {
        let mut connection = self.state.send.connection()?;
        connection.transport = Transport::Http2;
        if manage && let crate::engine::Target::Custom { .. } = connection.target {
            connection.target = self
                .state
                .channels
                .channels_endpoint
                .parse()
                .ok()
                .filter(|target| matches!(target, crate::engine::Target::Custom { .. }))
                .ok_or_else(|| {
                    "a custom endpoint names the provider API only: give the channel API's HOST:PORT"
                        .to_owned()
                })?;
        }
        Ok(connection)
    }

    /// Sends a channel operation of the Channels view.
    pub(super) fn ask_channels(&mut self, operation: ChannelOperation) {
        let app: Topic = match self.state.channels.app.trim().parse() {
            Ok(app) => app,
            Err(error) => {
                self.live.channel_answer = Some((format!("{error}"), Tone::Rejected));
                return;
            }
        };
        let connection = match self.live_connection(true) {
            Ok(connection) => connection,
            Err(problem) => {
                self.live.channel_answer = Some((problem, Tone::Rejected));
                return;
            }
        };
        let id = self.request(|id| crate::engine::Command::Channel {
            id,
            connection: Box::new(connection),
            request: ChannelRequest::Manage { app, operation },
            record_history: true,
        });
        self.live.channel_request = Some(id);
    }

    pub(super) fn channels_view(&mut self, ui: &mut egui::Ui) {
        if self.state.channels.app.is_empty() {
            self.state.channels.app = self.state.activity.app.clone();
        }
        let custom = self.state.send.target == super::TargetChoice::Custom;
        let where_to = self.where_to();
        let action = channels_view(
            ui,
            &mut self.state.channels,
            custom,
            &where_to,
            self.live.channel_request.is_some(),
            self.live.channel_answer.as_ref(),
        );
        match action {
            Some(ChannelsAction::Ask(operation)) => self.ask_channels(operation),
            Some(ChannelsAction::Delete(id)) => {
                self.confirm = Some(super::confirm::Pending::DeleteChannel(id.to_string()));
            }
            Some(ChannelsAction::UseInWorkbench(id)) => {
                let activity = &mut self.state.activity;
                activity.channel = id;
                activity.app = self.state.channels.app.clone();
                activity.over_channel = true;
                if activity.event == EventChoice::Start {
                    activity.input = InputChoice::Channel;
                    activity.input_channel = activity.channel.clone();
                }
                self.state.view = super::View::LiveActivity;
            }
            None => {}
        }
    }

    pub(super) fn activity_view(&mut self, ui: &mut egui::Ui) {
        let now = crate::store::history::now_secs();
        let (auth, _) = self.signer().for_push_type(&PushType::LiveActivity);
        let composed = self.state.activity.compose(auth, &self.state.channels, now);
        let where_to = self.where_to();
        let clicked = workbench(
            ui,
            &mut self.state.activity,
            &composed,
            &where_to,
            self.state.send.target == super::TargetChoice::Production,
            self.live.activity_request.is_some(),
            self.live.activity_answer.as_ref(),
        );
        if !clicked {
            return;
        }
        let Ok(prepared) = composed.prepared else {
            return;
        };
        let connection = match self.live_connection(false) {
            Ok(connection) => connection,
            Err(problem) => {
                self.live.activity_answer = Some((problem, Tone::Rejected));
                return;
            }
        };
        let id = match prepared {
            Prepared::Device(notification) => {
                let token = notification.token.clone();
                let request =
                    crate::engine::SendRequest::new(connection, notification, vec![token]);
                self.request(|id| crate::engine::Command::Send {
                    id,
                    request: Box::new(request),
                })
            }
            Prepared::Channel(broadcast, policy) => {
                self.request(|id| crate::engine::Command::Channel {
                    id,
                    connection: Box::new(connection),
                    request: ChannelRequest::Broadcast { broadcast, policy },
                    record_history: true,
                })
            }
        };
        self.live.activity_request = Some(id);
        self.live.activity_answer = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn date_fields_take_minutes_or_a_date_and_time() {
        assert_eq!(when("", "Stale at", NOW), Ok(None));
        assert_eq!(when("15", "Stale at", NOW), Ok(Some(NOW + 900)));
        assert_eq!(
            when("2027-01-15T08:30:00Z", "Stale at", NOW),
            Ok(Some(NOW + 1800))
        );
        let error = when("soon", "Stale at", NOW).unwrap_err();
        assert!(error.starts_with("Stale at: give minutes"), "{error}");
    }

    #[test]
    fn the_workbench_composes_a_start_by_token_and_an_update_over_a_channel() {
        let mut form = ActivityForm {
            event: EventChoice::Start,
            token: "5a".repeat(80),
            attributes_type: "MatchAttributes".into(),
            title: "Kick-off".into(),
            ..ActivityForm::default()
        };
        let channels = ChannelsForm::default();
        let start = form.compose(AuthKind::Token, &channels, NOW);
        assert!(matches!(start.prepared, Ok(Prepared::Device(_))));
        assert_eq!(start.lints, []);
        assert!(
            start
                .payload
                .unwrap()
                .contains(&format!("\"timestamp\": {NOW}"))
        );
        let refused = form.compose(AuthKind::Certificate, &channels, NOW);
        assert_eq!(
            refused.lints,
            [Lint::NeedsTokenAuth(PushType::LiveActivity)]
        );

        form.event = EventChoice::Update;
        form.over_channel = true;
        form.channel = "Y2hhbm5lbA==".into();
        form.stale_in = "30".into();
        let update = form.compose(AuthKind::Token, &channels, NOW);
        let Ok(Prepared::Channel(broadcast, None)) = update.prepared else {
            panic!("a broadcast");
        };
        assert_eq!(broadcast.expiration, Expiration::IMMEDIATELY);
        assert_eq!(
            broadcast.payload.aps().unwrap()["stale-date"],
            serde_json::json!(NOW + 1800)
        );
        form.remember(1, "200 broadcast accepted".into());
        assert_eq!(form.sent[0].activity, "channel Y2hhbm5lbA==");
    }
}
