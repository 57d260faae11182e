//! The notification as iOS shows it: on the lock screen and as a banner, updated on every
//! keystroke; or, for pushes iOS shows nothing for, a plain statement of what the device does
//! instead. Localisation keys are shown as keys, since only the app holds their strings.

use egui::text::{LayoutJob, TextFormat, TextWrapping};
use egui::{Color32, CornerRadius, FontId, RichText, Stroke};
use serde_json::Value;

use super::theme::{self, Tone, space, text};
use crate::apns::PushType;

/// A line of an alert: text as it will read, or a localisation key the app resolves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// Text shown as is.
    Text(String),
    /// `*-loc-key` with its arguments: the app's Localizable.strings has the words.
    Key {
        /// The key.
        key: String,
        /// `*-loc-args`.
        args: Vec<String>,
    },
}

impl Line {
    /// How the preview writes it.
    pub fn shown(&self) -> String {
        match self {
            Line::Text(text) => text.clone(),
            Line::Key { key, args } if args.is_empty() => format!("«{key}»"),
            Line::Key { key, args } => format!("«{key}: {}»", args.join(", ")),
        }
    }
}

/// How loudly iOS presents it (`interruption-level`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Interruption {
    /// Added to the list quietly.
    Passive,
    /// The default: sound and banner.
    Active,
    /// Breaks through Focus; stays on the lock screen for an hour.
    TimeSensitive,
    /// Breaks through Focus and the mute switch (needs Apple's entitlement).
    Critical,
    /// A value this version does not know.
    Unknown(String),
}

/// The sound marker.
#[derive(Clone, Debug, PartialEq)]
pub enum Sound {
    /// `"default"` or a named sound file.
    Named(String),
    /// A critical alert sound, at this volume (0 to 1).
    Critical {
        /// The sound file.
        name: String,
        /// Its volume, when given.
        volume: Option<f64>,
    },
}

/// A visible alert.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Alert {
    /// The app's name as the notification header shows it (from the topic).
    pub app: String,
    /// Bold, one line.
    pub title: Option<Line>,
    /// One line under the title.
    pub subtitle: Option<Line>,
    /// The message.
    pub body: Option<Line>,
    /// The number on the app icon.
    pub badge: Option<i64>,
    /// What plays.
    pub sound: Option<Sound>,
    /// How it interrupts.
    pub interruption: Option<Interruption>,
}

/// What the device does with the payload.
#[derive(Clone, Debug, PartialEq)]
pub enum Preview {
    /// It shows an alert.
    Alert(Box<Alert>),
    /// It shows nothing by itself; this is what happens instead.
    Statement(String),
}

/// The app name iOS would show for `topic` (a bundle id): its last part, as the app's
/// display name usually is; "Your app" without one.
fn app_name(topic: &str) -> String {
    let topic = topic.split(".push-type.").next().unwrap_or(topic);
    let last = topic.rsplit('.').next().unwrap_or_default();
    let mut characters = last.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => "Your app".to_owned(),
    }
}

fn line(alert: &serde_json::Map<String, Value>, text: &str, key: &str, args: &str) -> Option<Line> {
    if let Some(key) = alert.get(key).and_then(Value::as_str) {
        let args = alert
            .get(args)
            .and_then(Value::as_array)
            .map(|args| {
                args.iter()
                    .map(|arg| arg.as_str().map_or_else(|| arg.to_string(), str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        return Some(Line::Key {
            key: key.to_owned(),
            args,
        });
    }
    alert
        .get(text)
        .and_then(Value::as_str)
        .map(|text| Line::Text(text.to_owned()))
}

impl Preview {
    /// What `payload` does on the device, sent as `push_type` to `topic`; `None` when the
    /// payload is not a JSON object.
    pub fn of(payload: &str, push_type: &PushType, topic: &str) -> Option<Preview> {
        let root: Value = serde_json::from_str(payload).ok()?;
        let aps = root.get("aps").and_then(Value::as_object);
        let statement = |text: String| Some(Preview::Statement(text));
        match push_type {
            PushType::Voip => {
                return statement(
                    "VoIP: PushKit wakes the app, which must report an incoming call to CallKit at once; iOS draws the call screen, not a notification.".into(),
                );
            }
            PushType::LiveActivity => {
                let event = aps
                    .and_then(|aps| aps.get("event"))
                    .and_then(Value::as_str)
                    .unwrap_or("update");
                let what = match event {
                    "start" => "starts a Live Activity (push-to-start)",
                    "end" => {
                        "ends the Live Activity (it stays on the lock screen until its dismissal date)"
                    }
                    _ => "updates the Live Activity's content-state",
                };
                return statement(format!(
                    "Live Activity: {what}; the app's widget draws it on the lock screen and in the Dynamic Island. An \"alert\" in aps lights the screen as well."
                ));
            }
            PushType::Location => {
                return statement("Location: the app's Location Push Service extension runs and may answer with the device's location; nothing is shown.".into());
            }
            PushType::Complication => {
                return statement("Complication: the watchOS app is woken to refresh its complication; nothing is shown.".into());
            }
            PushType::FileProvider => {
                return statement("File Provider: the extension is told its content changed and syncs; nothing is shown.".into());
            }
            PushType::Mdm => {
                return statement(
                    "MDM: the device checks in with its management server; nothing is shown."
                        .into(),
                );
            }
            PushType::PushToTalk => {
                return statement("Push to Talk: the app's channel is told of new audio; the system shows the talker, not a notification.".into());
            }
            PushType::Widgets => {
                return statement(
                    "Widgets: the app's widgets reload their timelines; nothing is shown.".into(),
                );
            }
            PushType::Alert | PushType::Background | PushType::Unknown(_) => {}
        }
        let alert = match aps.and_then(|aps| aps.get("alert")) {
            Some(Value::String(body)) => Alert {
                body: Some(Line::Text(body.clone())),
                ..Alert::default()
            },
            Some(Value::Object(alert)) => Alert {
                title: line(alert, "title", "title-loc-key", "title-loc-args"),
                subtitle: line(alert, "subtitle", "subtitle-loc-key", "subtitle-loc-args"),
                body: line(alert, "body", "loc-key", "loc-args"),
                ..Alert::default()
            },
            _ => Alert::default(),
        };
        let badge = aps.and_then(|aps| aps.get("badge")).and_then(Value::as_i64);
        let sound = aps
            .and_then(|aps| aps.get("sound"))
            .and_then(|sound| match sound {
                Value::String(name) => Some(Sound::Named(name.clone())),
                Value::Object(sound) => {
                    let name = sound
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("default")
                        .to_owned();
                    if sound.get("critical").and_then(Value::as_i64) == Some(1) {
                        Some(Sound::Critical {
                            name,
                            volume: sound.get("volume").and_then(Value::as_f64),
                        })
                    } else {
                        Some(Sound::Named(name))
                    }
                }
                _ => None,
            });
        let shows_something = alert.title.is_some()
            || alert.subtitle.is_some()
            || alert.body.is_some()
            || sound.is_some()
            || badge.is_some();
        if !shows_something {
            let background = aps
                .and_then(|aps| aps.get("content-available"))
                .and_then(Value::as_i64)
                == Some(1);
            return statement(if background {
                "Silent (background) push: the app is woken for up to 30 seconds to fetch content; nothing is shown. iOS may delay or drop it to save power, and never wakes an app the user force-quit.".into()
            } else {
                "Nothing to show: the payload has no alert, badge or sound, and no content-available to wake the app.".into()
            });
        }
        let interruption = aps
            .and_then(|aps| aps.get("interruption-level"))
            .and_then(Value::as_str)
            .map(|level| match level {
                "passive" => Interruption::Passive,
                "active" => Interruption::Active,
                "time-sensitive" => Interruption::TimeSensitive,
                "critical" => Interruption::Critical,
                other => Interruption::Unknown(other.to_owned()),
            });
        Some(Preview::Alert(Box::new(Alert {
            app: app_name(topic),
            badge,
            sound,
            interruption,
            ..alert
        })))
    }
}

/// Space between a card's edge and its text.
const CARD_MARGIN: f32 = 10.0;

/// How many lines of the body each presentation shows before "…".
const LOCK_SCREEN_BODY_LINES: usize = 4;
const BANNER_BODY_LINES: usize = 2;

/// Colours of a notification card, which follow the device's appearance, not the app's.
struct Card {
    fill: Color32,
    primary: Color32,
    secondary: Color32,
}

impl Card {
    fn of(dark: bool) -> Self {
        if dark {
            Self {
                fill: Color32::from_rgb(0x2c, 0x2c, 0x2e),
                primary: Color32::WHITE,
                secondary: Color32::from_rgb(0xae, 0xae, 0xb2),
            }
        } else {
            Self {
                fill: Color32::from_rgb(0xf2, 0xf2, 0xf7),
                primary: Color32::BLACK,
                secondary: Color32::from_rgb(0x6c, 0x6c, 0x70),
            }
        }
    }
}

/// `text` cut to `lines` lines of `width`, ending in "…" as iOS truncates.
fn truncated(text: &str, font_id: FontId, color: Color32, width: f32, lines: usize) -> LayoutJob {
    let mut job = LayoutJob::single_section(
        text.to_owned(),
        TextFormat {
            font_id,
            color,
            ..TextFormat::default()
        },
    );
    job.wrap = TextWrapping {
        max_width: width,
        max_rows: lines,
        break_anywhere: false,
        overflow_character: Some('…'),
    };
    job
}

/// Draws one card: the lock screen's (more lines) or the banner's.
fn card(ui: &mut egui::Ui, alert: &Alert, dark: bool, body_lines: usize, width: f32) {
    let colors = Card::of(dark);
    let critical = matches!(alert.interruption, Some(Interruption::Critical))
        || matches!(alert.sound, Some(Sound::Critical { .. }));
    let stroke = if critical {
        Stroke::new(2.0, Tone::Rejected.text(dark))
    } else {
        Stroke::NONE
    };
    egui::Frame::new()
        .fill(colors.fill)
        .stroke(stroke)
        .corner_radius(CornerRadius::same(14))
        .inner_margin(egui::Margin::same(CARD_MARGIN as i8))
        .show(ui, |ui| {
            // `width` is the card's outside; its text wraps inside the margins.
            let inner = width - 2.0 * CARD_MARGIN;
            ui.set_width(inner);
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(alert.app.to_uppercase())
                        .size(text::SMALL)
                        .color(colors.secondary),
                );
                let mut marks = Vec::new();
                match &alert.interruption {
                    Some(Interruption::TimeSensitive) => marks.push("TIME SENSITIVE".to_owned()),
                    Some(Interruption::Critical) => marks.push("CRITICAL".to_owned()),
                    Some(Interruption::Passive) => marks.push("passive".to_owned()),
                    Some(Interruption::Unknown(level)) => marks.push(level.clone()),
                    Some(Interruption::Active) | None => {}
                }
                for mark in marks {
                    ui.label(
                        theme::strong(mark)
                            .size(text::SMALL)
                            .color(Tone::Warning.text(dark)),
                    );
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.label(
                        RichText::new("now")
                            .size(text::SMALL)
                            .color(colors.secondary),
                    );
                });
            });
            // Bold, at the body's size, as iOS sets it.
            if let Some(title) = &alert.title {
                ui.label(truncated(
                    &title.shown(),
                    FontId::new(text::BODY + 1.0, theme::bold_family()),
                    colors.primary,
                    inner,
                    1,
                ));
            }
            if let Some(subtitle) = &alert.subtitle {
                ui.label(truncated(
                    &subtitle.shown(),
                    FontId::proportional(text::BODY),
                    colors.primary,
                    inner,
                    1,
                ));
            }
            if let Some(body) = &alert.body {
                ui.label(truncated(
                    &body.shown(),
                    FontId::proportional(text::BODY),
                    colors.primary,
                    inner,
                    body_lines,
                ));
            }
            let mut extras = Vec::new();
            if let Some(badge) = alert.badge {
                extras.push(format!("badge {badge}"));
            }
            match &alert.sound {
                Some(Sound::Named(name)) => {
                    extras.push(format!("{} sound {name}", theme::icon::SOUND))
                }
                Some(Sound::Critical { name, volume }) => extras.push(format!(
                    "{} critical sound {name}{}",
                    theme::icon::SOUND,
                    volume
                        .map_or_else(String::new, |volume| format!(" at {:.0} %", volume * 100.0))
                )),
                None => {}
            }
            if !extras.is_empty() {
                ui.label(
                    RichText::new(extras.join(" · "))
                        .size(text::SMALL)
                        .color(colors.secondary),
                );
            }
        });
}

/// Draws the preview: the lock screen and the banner in the device's appearance (`dark`),
/// or the statement.
pub fn show(ui: &mut egui::Ui, preview: Option<&Preview>, dark: bool) {
    match preview {
        None => {
            ui.label(theme::quiet("Fix the JSON to see the preview."));
        }
        Some(Preview::Statement(statement)) => {
            ui.label(statement.as_str());
        }
        Some(Preview::Alert(alert)) => {
            let width = ui.available_width();
            ui.label(theme::quiet("Lock screen"));
            card(ui, alert, dark, LOCK_SCREEN_BODY_LINES, width);
            ui.add_space(space::S);
            ui.label(theme::quiet("Banner"));
            card(ui, alert, dark, BANNER_BODY_LINES, width);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(payload: &str) -> Alert {
        match Preview::of(payload, &PushType::Alert, "com.example.shop") {
            Some(Preview::Alert(alert)) => *alert,
            other => panic!("not an alert: {other:?}"),
        }
    }

    #[test]
    fn a_rich_alert_reads_as_ios_shows_it() {
        let alert = alert(
            r#"{"aps":{"alert":{"title":"Sale","subtitle":"Today only","body":"20% off"},"badge":3,"sound":"default","interruption-level":"time-sensitive"}}"#,
        );
        assert_eq!(alert.app, "Shop");
        assert_eq!(alert.title, Some(Line::Text("Sale".into())));
        assert_eq!(alert.subtitle, Some(Line::Text("Today only".into())));
        assert_eq!(alert.body, Some(Line::Text("20% off".into())));
        assert_eq!(alert.badge, Some(3));
        assert_eq!(alert.sound, Some(Sound::Named("default".into())));
        assert_eq!(alert.interruption, Some(Interruption::TimeSensitive));
    }

    #[test]
    fn localisation_keys_show_as_keys_with_their_arguments() {
        let alert = alert(
            r#"{"aps":{"alert":{"title-loc-key":"GAME_INVITE","title-loc-args":["Ann"],"loc-key":"BODY","loc-args":["Ann", 3]}}}"#,
        );
        assert_eq!(
            alert.title.map(|title| title.shown()).as_deref(),
            Some("«GAME_INVITE: Ann»")
        );
        assert_eq!(
            alert.body.map(|body| body.shown()).as_deref(),
            Some("«BODY: Ann, 3»")
        );
    }

    #[test]
    fn a_critical_sound_and_a_string_alert() {
        let alert = alert(
            r#"{"aps":{"alert":"Door open","sound":{"critical":1,"name":"alarm.caf","volume":0.8}}}"#,
        );
        assert_eq!(alert.body, Some(Line::Text("Door open".into())));
        assert_eq!(
            alert.sound,
            Some(Sound::Critical {
                name: "alarm.caf".into(),
                volume: Some(0.8)
            })
        );
    }

    #[test]
    fn pushes_that_show_nothing_say_what_happens_instead() {
        let statement =
            |payload: &str, push_type: PushType| match Preview::of(payload, &push_type, "") {
                Some(Preview::Statement(text)) => text,
                other => panic!("{other:?}"),
            };
        assert!(
            statement(r#"{"aps":{"content-available":1}}"#, PushType::Background)
                .starts_with("Silent (background) push")
        );
        assert!(statement(r#"{"aps":{}}"#, PushType::Voip).contains("CallKit"));
        assert!(
            statement(
                r#"{"aps":{"event":"end","timestamp":1}}"#,
                PushType::LiveActivity
            )
            .contains("ends the Live Activity")
        );
        assert!(statement(r#"{"aps":{}}"#, PushType::Alert).starts_with("Nothing to show"));
        assert_eq!(Preview::of("{oops", &PushType::Alert, ""), None);
    }

    #[test]
    fn the_app_name_comes_from_the_topic() {
        assert_eq!(app_name("com.example.shop"), "Shop");
        assert_eq!(app_name("com.example.shop.push-type.liveactivity"), "Shop");
        assert_eq!(app_name(""), "Your app");
    }
}
