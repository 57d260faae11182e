//! History's conversation views (batches, error-responses, feedback, disconnections): one
//! table over any view's columns, a row's detail, and the links from a row to what it
//! involves.

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::TargetChoice;
use super::history::{HistoryTab, HistoryWindow, TableResponse, time_text};
use super::theme::{self, Tone, size};
use crate::store::history::{Cell, ConversationRow, View};

/// Where the app reads the legacy feedback service from, as plain data.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct FeedbackForm {
    /// The certificate identity to read with (`None`: the simulator's own).
    pub identity: Option<String>,
    /// Where: the built-in simulator, Apple's sandbox or production, or a custom host.
    pub target: TargetChoice,
    /// host:port of a custom feedback service.
    pub custom: String,
}

impl Default for FeedbackForm {
    fn default() -> Self {
        Self {
            identity: None,
            target: TargetChoice::Simulator,
            custom: String::new(),
        }
    }
}

/// Where a row leads: another list, narrowed to one batch (and a token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The list to open.
    pub tab: HistoryTab,
    /// Its batch.
    pub batch: Option<i64>,
    /// Its token, when the link is about one notification.
    pub token: Option<String>,
    /// The button's words.
    pub label: &'static str,
}

/// Columns too long for a table row; the detail shows them.
const DETAIL_ONLY: [&str; 1] = ["payload"];

fn cell_text(ui: &egui::Ui, cell: &Cell) -> String {
    match cell {
        Cell::Time(ms) => time_text(ui, *ms),
        other => other.to_utc_text(),
    }
}

/// How a batch's state reads: abandoned means its sender stopped before finishing.
fn batch_state_tone(state: &str) -> Tone {
    match state {
        "running" => Tone::Accent,
        "abandoned" => Tone::Warning,
        _ => Tone::Neutral,
    }
}

/// The columns a view's table shows.
fn shown(view: View) -> Vec<(usize, &'static str)> {
    view.columns()
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, name)| !DETAIL_ONLY.contains(name))
        .collect()
}

/// The rows of `window`'s view, newest first, virtualised over every match.
pub fn table(
    ui: &mut egui::Ui,
    view: View,
    window: &HistoryWindow<ConversationRow>,
) -> TableResponse<ConversationRow> {
    let mut response = TableResponse::default();
    if let Some(problem) = window.problem() {
        super::theme::problem(ui, problem);
        return response;
    }
    let total = match window.total() {
        None => {
            ui.label(super::theme::quiet("Loading…"));
            return response;
        }
        Some(0) => {
            ui.label(
                RichText::new(format!("No {} recorded yet.", view.title().to_lowercase())).weak(),
            );
            return response;
        }
        Some(count) => count,
    };
    ui.label(
        RichText::new(format!(
            "{} {} match",
            crate::apns::group_thousands(total as usize),
            view.title().to_lowercase()
        ))
        .weak(),
    );
    let columns = shown(view);
    let selected = window.selected.as_ref().map(|row| row.id);
    ui.style_mut().interaction.selectable_labels = false;
    let mut builder = TableBuilder::new(ui)
        .id_salt(("conversation", view.as_str()))
        .sense(egui::Sense::click())
        .striped(true);
    for (_, name) in &columns[..columns.len() - 1] {
        let width = match *name {
            "time" | "started" | "finished" | "read_at" | "since" => size::TIME,
            "token" => size::TOKEN,
            "identity" | "endpoint" | "status_text" | "cause" | "state" => size::NAME,
            _ => size::STATUS,
        };
        builder = builder.column(Column::initial(width).resizable(true).clip(true));
    }
    builder
        .column(Column::remainder().clip(true))
        .header(size::HEADER, |mut header| {
            for (_, name) in &columns {
                header.col(|ui| {
                    ui.label(theme::strong(name.replace('_', " ")));
                });
            }
        })
        .body(|body| {
            body.rows(size::ROW, total as usize, |mut row| {
                let index = row.index() as u64;
                response.saw(index);
                let Some(record) = window.row(index) else {
                    row.col(|ui| {
                        ui.label(super::theme::quiet("…"));
                    });
                    return;
                };
                row.set_selected(selected == Some(record.id));
                for (position, name) in &columns {
                    let cell = record.cells.get(*position).unwrap_or(&Cell::Empty);
                    row.col(|ui| {
                        let text = cell_text(ui, cell);
                        if *name == "token" && text.len() > 8 {
                            ui.monospace(format!("{}…{}", &text[..4], &text[text.len() - 4..]));
                        } else if *name == "state" {
                            theme::chip(ui, &text, batch_state_tone(&text));
                        } else if let Cell::Time(ms) = cell {
                            ui.label(text)
                                .on_hover_text(crate::store::history::format_time(*ms));
                        } else {
                            ui.label(text);
                        }
                    });
                }
                if row.response().clicked() {
                    response.clicked = Some(record.clone());
                }
            });
        });
    response
}

/// Everything a row holds, and the buttons that open what it involves; the clicked one.
pub fn detail(ui: &mut egui::Ui, view: View, row: &ConversationRow) -> Option<Link> {
    egui::Grid::new(("conversation detail", view.as_str()))
        .num_columns(2)
        .show(ui, |ui| {
            for (name, cell) in view.columns().iter().zip(&row.cells) {
                if *cell == Cell::Empty {
                    continue;
                }
                ui.label(super::theme::quiet(name.replace('_', " ")));
                let text = cell_text(ui, cell);
                // Times show in the user's zone; UTC is a hover away.
                if let Cell::Time(ms) = cell {
                    ui.monospace(text)
                        .on_hover_text(crate::store::history::format_time(*ms));
                } else {
                    ui.monospace(text);
                }
                ui.end_row();
            }
        });
    let mut clicked = None;
    ui.horizontal(|ui| {
        for link in links(view, row) {
            if ui.button(link.label).clicked() {
                clicked = Some(link);
            }
        }
    });
    clicked
}

fn links(view: View, row: &ConversationRow) -> Vec<Link> {
    let token = match row.get(view, "token") {
        Some(Cell::Text(token)) => Some(token.clone()),
        _ => None,
    };
    let count = |column| match row.get(view, column) {
        Some(Cell::Int(count)) => *count,
        _ => 0,
    };
    let to = |tab, token: Option<String>, label| Link {
        tab,
        batch: row.batch_id,
        token,
        label,
    };
    match view {
        View::Batches => {
            let mut links = vec![to(HistoryTab::Sends, None, "Its sends")];
            if count("error_responses") > 0 {
                links.push(to(
                    HistoryTab::Conversation(View::ErrorResponses),
                    None,
                    "Its error responses",
                ));
            }
            if count("disconnections") > 0 {
                links.push(to(
                    HistoryTab::Conversation(View::Disconnections),
                    None,
                    "Its disconnections",
                ));
            }
            links
        }
        View::ErrorResponses | View::Disconnections => {
            let mut links = Vec::new();
            if token.is_some() {
                links.push(to(HistoryTab::Sends, token, "The notification it names"));
            }
            if row.batch_id.is_some() {
                links.push(to(
                    HistoryTab::Conversation(View::Batches),
                    None,
                    "Its batch",
                ));
            }
            links
        }
        // A channel request names no device; its channel is in its cells.
        View::Channels => Vec::new(),
        View::Feedback | View::Unregistered => vec![Link {
            tab: HistoryTab::Sends,
            batch: None,
            token,
            label: "Sends to this token",
        }],
    }
}

/// The links from a send's detail: its batch, and the error-responses and disconnections
/// of that batch that name its token.
pub fn send_links(batch: i64, token: &str) -> Vec<Link> {
    let to = |view, token: Option<String>, label| Link {
        tab: HistoryTab::Conversation(view),
        batch: Some(batch),
        token,
        label,
    };
    vec![
        to(View::Batches, None, "Its batch"),
        to(
            View::ErrorResponses,
            Some(token.to_owned()),
            "Error responses naming it",
        ),
        to(
            View::Disconnections,
            Some(token.to_owned()),
            "Disconnections it caused",
        ),
    ]
}
