//! Send: where to, with which identity, to which tokens; progress, cancel and a
//! live table of results.

use egui_extras::{Column, TableBuilder};

use super::theme::{self, Tone, size};
use crate::apns::Transport;
use crate::apns::{DeviceToken, Notification, TokenList, group_thousands};
use crate::apns::{Outcome, Progress, Refusal, Verdict};
use crate::engine::{Connection, CredentialChoice, SendRequest, Target};

/// A token that a new user can send to at once: the simulator accepts any 32 bytes.
pub const SAMPLE_TOKEN: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";

/// Where to send, as the picker shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TargetChoice {
    /// The built-in simulator.
    Simulator,
    /// Apple sandbox.
    Sandbox,
    /// Apple production.
    Production,
    /// host:port.
    Custom,
}

impl TargetChoice {
    /// Every choice, in picker order.
    pub const ALL: [TargetChoice; 4] = [
        TargetChoice::Simulator,
        TargetChoice::Sandbox,
        TargetChoice::Production,
        TargetChoice::Custom,
    ];
}

/// The wire protocol, as the picker shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ProtocolChoice {
    /// The HTTP/2 provider API.
    #[default]
    Http2,
    /// Legacy binary, command 0.
    LegacySimple,
    /// Legacy binary, command 1.
    LegacyEnhanced,
    /// Legacy binary, command 2.
    LegacyFrame,
}

impl ProtocolChoice {
    /// Every choice, in picker order.
    pub const ALL: [ProtocolChoice; 4] = [
        ProtocolChoice::Http2,
        ProtocolChoice::LegacySimple,
        ProtocolChoice::LegacyEnhanced,
        ProtocolChoice::LegacyFrame,
    ];

    /// The transport it selects.
    pub fn transport(self) -> crate::apns::Transport {
        use crate::apns::{LegacyFormat, Transport};
        match self {
            ProtocolChoice::Http2 => Transport::Http2,
            ProtocolChoice::LegacySimple => Transport::Legacy(LegacyFormat::Simple),
            ProtocolChoice::LegacyEnhanced => Transport::Legacy(LegacyFormat::Enhanced),
            ProtocolChoice::LegacyFrame => Transport::Legacy(LegacyFormat::Frame),
        }
    }

    /// Its name in the picker.
    pub fn label(self) -> &'static str {
        match self {
            ProtocolChoice::Http2 => "HTTP/2",
            ProtocolChoice::LegacySimple => "legacy simple",
            ProtocolChoice::LegacyEnhanced => "legacy enhanced",
            ProtocolChoice::LegacyFrame => "legacy frame",
        }
    }
}

/// A picker of where to send (or read, or test), labelled by `label`.
pub fn target_picker(ui: &mut egui::Ui, salt: &str, target: &mut TargetChoice, label: egui::Id) {
    egui::ComboBox::from_id_salt(salt)
        .selected_text(format!("{target:?}"))
        .show_ui(ui, |ui| {
            for choice in TargetChoice::ALL {
                ui.selectable_value(target, choice, format!("{choice:?}"));
            }
        })
        .response
        .labelled_by(label);
}

/// A picker of a stored identity among `names`, or the simulator's own (`None`).
pub fn identity_picker<'a>(
    ui: &mut egui::Ui,
    salt: &str,
    identity: &mut Option<String>,
    names: impl Iterator<Item = &'a str>,
    label: egui::Id,
) {
    egui::ComboBox::from_id_salt(salt)
        .selected_text(identity.clone().unwrap_or_else(|| "simulator's own".into()))
        .show_ui(ui, |ui| {
            ui.selectable_value(identity, None, "simulator's own");
            for name in names {
                ui.selectable_value(identity, Some(name.to_owned()), name);
            }
        })
        .response
        .labelled_by(label);
}

/// The send form, as plain data.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SendForm {
    /// Where to.
    pub target: TargetChoice,
    /// host:port for a custom target.
    pub custom: String,
    /// The stored identity to use; `None` is the simulator's own.
    pub identity: Option<String>,
    /// Tokens, one per line.
    pub tokens: String,
    /// A CA file to trust besides the system's (e.g. a simulator's ca.pem, or a TLS
    /// proxy's for Apple's endpoints).
    pub ca: String,
    /// Apple's alternative port, for networks that block 443.
    pub port_2197: bool,
    /// HTTP/2 or a legacy format.
    pub protocol: ProtocolChoice,
    /// Notifications in flight at once, over all connections.
    pub concurrency: usize,
    /// HTTP/2 connections a batch is spread over.
    pub connections: usize,
}

impl Default for SendForm {
    fn default() -> Self {
        Self {
            target: TargetChoice::Simulator,
            custom: String::new(),
            identity: None,
            tokens: SAMPLE_TOKEN.to_owned(),
            ca: String::new(),
            port_2197: false,
            protocol: ProtocolChoice::Http2,
            concurrency: 100,
            connections: 1,
        }
    }
}

/// The tokens of the form: valid ones, deduplicated, and the rejects with why.
pub fn parse_tokens(text: &str) -> (Vec<DeviceToken>, Vec<String>) {
    let list = TokenList::parse(text);
    let rejects = list
        .rejects
        .iter()
        .map(|(line, error)| format!("line {line}: {error}"))
        .collect();
    (list.tokens, rejects)
}

/// Token lists longer than this are summarised rather than shown in the text box: laying
/// out 100,000 lines costs a quarter of a second and a gigabyte every frame.
pub const LARGE_TOKEN_LIST_BYTES: usize = 64 * 1024;

/// The token box parsed, kept until its text changes, so a 100,000-line list is parsed
/// once rather than every frame.
#[derive(Debug, Default)]
pub struct ParsedTokens {
    source: String,
    /// Valid tokens, deduplicated, in order.
    pub tokens: Vec<DeviceToken>,
    /// Lines that are not tokens, with why.
    pub rejects: Vec<String>,
}

impl ParsedTokens {
    /// Parses `text` again if it changed since the last call.
    pub fn update(&mut self, text: &str) {
        if self.source != text {
            (self.tokens, self.rejects) = parse_tokens(text);
            text.clone_into(&mut self.source);
        }
    }
}

impl SendForm {
    /// The engine's description of this form's connection, or why it names none.
    pub fn connection(&self) -> Result<Connection, String> {
        self.connection_for(self.target, self.identity.as_deref())
    }

    /// The engine's request to send `template` to `tokens` as this form says: where, as
    /// whom, how many in flight, over how many connections (one for the legacy protocol,
    /// which sends in order).
    pub fn request(
        &self,
        template: Notification,
        tokens: Vec<DeviceToken>,
    ) -> Result<SendRequest, String> {
        let mut request = SendRequest::new(self.connection()?, template, tokens);
        request.concurrency = self.concurrency;
        if self.protocol.transport() == Transport::Http2 {
            request.connections = self.connections;
        }
        Ok(request)
    }

    /// The engine's connection to `choice` with `identity` (`None`: the simulator's own),
    /// a custom host being this form's, over this form's protocol, trusting its CA file.
    pub fn connection_for(
        &self,
        choice: TargetChoice,
        identity: Option<&str>,
    ) -> Result<Connection, String> {
        let target = match choice {
            TargetChoice::Simulator => Target::Simulator,
            TargetChoice::Sandbox => Target::Sandbox,
            TargetChoice::Production => Target::Production,
            TargetChoice::Custom => self
                .custom
                .parse::<Target>()
                .ok()
                .filter(|target| matches!(target, Target::Custom { .. }))
                .ok_or_else(|| format!("{:?} is not HOST:PORT", self.custom))?,
        };
        let ca = self.ca.trim();
        Ok(Connection {
            target,
            port_2197: self.port_2197
                && matches!(choice, TargetChoice::Sandbox | TargetChoice::Production),
            ca: (!ca.is_empty() && choice != TargetChoice::Simulator).then(|| ca.into()),
            credential: identity.map_or(CredentialChoice::SimulatorOwn, |name| {
                CredentialChoice::Stored(name.to_owned())
            }),
            transport: self.protocol.transport(),
        })
    }
}

/// A send in progress or done.
#[derive(Debug, Default)]
pub struct Run {
    /// What was asked (its tokens aside), so that the failures can be sent again.
    pub request: Option<crate::engine::SendRequest>,
    /// The engine's request id.
    pub id: u64,
    /// Notifications in the batch.
    pub total: usize,
    /// Latest counts.
    pub progress: Progress,
    /// Outcomes by index, as they arrive.
    pub outcomes: Vec<Option<Outcome>>,
    /// Whether it has finished.
    pub finished: bool,
    /// Errors not tied to one token, and history problems.
    pub notes: Vec<String>,
}

fn describe(outcome: &Outcome) -> (String, String, Tone) {
    match &outcome.verdict {
        Verdict::Accepted { .. } => ("accepted".into(), String::new(), Tone::Accepted),
        Verdict::Rejected(Refusal::Http2 { status, reason, .. }) => (
            format!("rejected {status}"),
            format!("{reason}: {}", reason.explanation()),
            Tone::Rejected,
        ),
        Verdict::Rejected(Refusal::Legacy(status)) => (
            "rejected".into(),
            format!("the gateway answered: {status}"),
            Tone::Rejected,
        ),
        Verdict::Failed(cause) => ("failed".into(), cause.to_string(), Tone::Failed),
        Verdict::NotSent => ("not sent".into(), "cancelled".into(), Tone::Neutral),
        Verdict::Unconfirmed => (
            "unconfirmed".into(),
            "sent; the gateway gave no answer that proves it took it".into(),
            Tone::Unconfirmed,
        ),
    }
}

/// Draws the progress of `run`, with Cancel while it runs. Returns true when Cancel was clicked.
pub fn progress(ui: &mut egui::Ui, run: &Run) -> bool {
    let progress = run.progress;
    let fraction = if run.total == 0 {
        0.0
    } else {
        progress.done as f32 / run.total as f32
    };
    let eta = progress
        .eta()
        .filter(|_| !run.finished)
        .map_or_else(String::new, |eta| {
            format!(" · ETA {:.1} s", eta.as_secs_f64())
        });
    let mut cancel = false;
    ui.horizontal(|ui| {
        ui.add(
            egui::ProgressBar::new(fraction)
                .desired_width(size::PROGRESS)
                .text(format!(
                    "{} / {}",
                    group_thousands(progress.done),
                    group_thousands(run.total)
                )),
        );
        let unconfirmed = if progress.unconfirmed > 0 {
            format!(" · {} unconfirmed", group_thousands(progress.unconfirmed))
        } else {
            String::new()
        };
        ui.label(format!(
            "{} accepted · {} rejected · {} failed{unconfirmed} · {}/s{eta}",
            group_thousands(progress.accepted),
            group_thousands(progress.rejected),
            group_thousands(progress.failed),
            group_thousands(progress.rate() as usize)
        ));
        if !run.finished {
            cancel = ui.button("Cancel").clicked();
        } else {
            ui.label(theme::strong("done"));
        }
    });
    for note in &run.notes {
        theme::warning(ui, note.as_str());
    }
    cancel
}

/// The live results table; rows are virtualised, so 100,000 results scroll smoothly.
pub fn results(ui: &mut egui::Ui, run: &Run) {
    let done: Vec<&Outcome> = run.outcomes.iter().flatten().collect();
    TableBuilder::new(ui)
        .id_salt("results")
        .striped(true)
        .column(Column::initial(size::TOKEN).resizable(true))
        .column(Column::initial(size::STATUS + size::ROW))
        .column(Column::initial(size::ID).resizable(true))
        .column(Column::initial(size::ID).resizable(true))
        .column(Column::initial(size::ID).resizable(true))
        .column(Column::remainder())
        .header(size::HEADER, |mut header| {
            for title in [
                "token",
                "status",
                "reason",
                "apns-id",
                "apns-unique-id",
                "latency",
            ] {
                header.col(|ui| {
                    ui.label(theme::strong(title));
                });
            }
        })
        .body(|body| {
            body.rows(size::ROW, done.len(), |mut row| {
                let outcome = done[row.index()];
                let (status, reason, tone) = describe(outcome);
                row.col(|ui| {
                    ui.monospace(outcome.token.masked());
                });
                row.col(|ui| {
                    theme::chip(ui, &status, tone);
                });
                row.col(|ui| {
                    ui.label(reason);
                });
                row.col(|ui| {
                    ui.monospace(outcome.apns_id.to_string());
                });
                row.col(|ui| {
                    ui.monospace(outcome.apns_unique_id().unwrap_or_default());
                });
                row.col(|ui| {
                    ui.label(format!("{:.0} ms", outcome.latency.as_secs_f64() * 1000.0));
                });
            });
        });
}

/// Quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@".contains(c))
    {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The `push-console send` command line that repeats this send, for scripts and CI: every
/// choice the engine will act on (endpoint, identity, CA, protocol and format, headers,
/// payload, concurrency, connections, tokens).
pub fn cli_command(request: &SendRequest) -> String {
    let SendRequest {
        connection,
        template: notification,
        tokens,
        concurrency,
        connections,
        ..
    } = request;
    let mut words: Vec<String> = vec![
        "push-console".into(),
        "send".into(),
        "--endpoint".into(),
        shell_quote(&connection.target.to_string()),
    ];
    if connection.port_2197 {
        words.push("--port-2197".into());
    }
    let mut flag = |name: &str, value: &str| words.extend([name.to_owned(), shell_quote(value)]);
    if let CredentialChoice::Stored(identity) = &connection.credential {
        flag("--identity", identity);
    }
    if let Some(ca) = &connection.ca {
        flag("--ca", &ca.display().to_string());
    }
    if let Transport::Legacy(format) = connection.transport {
        flag("--protocol", "legacy");
        flag("--format", format.as_str());
    }
    for (name, value) in notification.http2_headers(None) {
        let name = match name {
            "apns-push-type" => "--push-type",
            "apns-topic" => "--topic",
            "apns-priority" => "--priority",
            "apns-expiration" => "--expiration",
            "apns-collapse-id" => "--collapse-id",
            "apns-id" => "--apns-id",
            _ => continue,
        };
        flag(name, &value);
    }
    flag("--payload", &notification.payload.to_json());
    let defaults = SendForm::default();
    if *concurrency != defaults.concurrency {
        flag("--concurrency", &concurrency.to_string());
    }
    if *connections != defaults.connections {
        flag("--connections", &connections.to_string());
    }
    match tokens.as_slice() {
        [] => {}
        tokens if tokens.len() <= 5 => {
            for token in tokens {
                flag("--token", &token.to_string());
            }
        }
        _ => flag("--tokens", "tokens.txt"),
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apns::Payload;

    #[test]
    fn the_cli_command_repeats_the_send() {
        let mut notification = Notification::new(
            SAMPLE_TOKEN.parse().unwrap(),
            Payload::from_json(r#"{"aps":{"alert":"it's here"}}"#).unwrap(),
        );
        notification.topic = Some("com.example.app".parse().unwrap());
        let form = SendForm {
            identity: Some("My App".into()),
            target: TargetChoice::Custom,
            custom: "127.0.0.1:2195".into(),
            ca: "/tmp/ca dir/ca.pem".into(),
            protocol: ProtocolChoice::LegacyEnhanced,
            ..SendForm::default()
        };
        let tokens = vec![SAMPLE_TOKEN.parse().unwrap()];
        assert_eq!(
            cli_command(&form.request(notification, tokens).unwrap()),
            format!(
                "push-console send --endpoint 127.0.0.1:2195 --identity 'My App' --ca '/tmp/ca dir/ca.pem' --protocol legacy --format enhanced --push-type alert --topic com.example.app --payload '{{\"aps\":{{\"alert\":\"it'\\''s here\"}}}}' --token {SAMPLE_TOKEN}"
            )
        );
    }

    #[test]
    fn connections_go_with_http2_only() {
        let notification = Notification::new(
            SAMPLE_TOKEN.parse().unwrap(),
            Payload::from_json(r#"{"aps":{"alert":"Hi"}}"#).unwrap(),
        );
        let mut form = SendForm {
            connections: 3,
            ..SendForm::default()
        };
        let request = form.request(notification.clone(), Vec::new()).unwrap();
        assert_eq!(request.connections, 3);
        assert!(cli_command(&request).ends_with(" --connections 3"));
        form.protocol = ProtocolChoice::LegacyFrame;
        let request = form.request(notification, Vec::new()).unwrap();
        assert_eq!(request.connections, 1);
        assert!(!cli_command(&request).contains("--connections"));
    }

    #[test]
    fn apple_endpoints_keep_port_2197_and_a_proxy_ca_and_the_simulator_ignores_both() {
        let notification = Notification::new(
            SAMPLE_TOKEN.parse().unwrap(),
            Payload::from_json(r#"{"aps":{"alert":"Hi"}}"#).unwrap(),
        );
        let mut form = SendForm {
            identity: Some("Prod".into()),
            target: TargetChoice::Production,
            ca: "/etc/proxy-ca.pem".into(),
            port_2197: true,
            ..SendForm::default()
        };
        let command = cli_command(&form.request(notification, Vec::new()).unwrap());
        assert!(
            command.starts_with(
                "push-console send --endpoint production --port-2197 --identity Prod --ca /etc/proxy-ca.pem "
            ),
            "{command}"
        );
        form.target = TargetChoice::Simulator;
        let connection = form.connection().unwrap();
        assert!(
            !connection.port_2197 && connection.ca.is_none(),
            "{connection:?}"
        );
    }

    #[test]
    fn token_lists_keep_their_rejects_with_line_numbers() {
        let (tokens, rejects) =
            parse_tokens(&format!("{SAMPLE_TOKEN}\n\n# note\nxyz\n{SAMPLE_TOKEN}\n"));
        assert_eq!(tokens.len(), 1, "duplicates are dropped");
        assert_eq!(rejects.len(), 1);
        assert!(rejects[0].starts_with("line 4: "));
    }
}
