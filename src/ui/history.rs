//! History: every send with its answer, and the rest of the conversation (batches,
//! error-responses, feedback, disconnections), filtered, each as a window over its whole
//! list.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::theme::{self, Tone, size};

use crate::engine::RequestId;

use crate::store::history::{
    ConversationRow, Cursor, Filter, SendRow, SendState, TokenPrefix, View,
};

/// Which list the History view shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HistoryTab {
    /// Every notification to every token.
    #[default]
    Sends,
    /// One of the conversation's other views.
    Conversation(View),
}

impl HistoryTab {
    /// Every tab, in order.
    pub const ALL: [HistoryTab; 7] = [
        HistoryTab::Sends,
        HistoryTab::Conversation(View::Batches),
        HistoryTab::Conversation(View::ErrorResponses),
        HistoryTab::Conversation(View::Feedback),
        HistoryTab::Conversation(View::Disconnections),
        HistoryTab::Conversation(View::Unregistered),
        HistoryTab::Conversation(View::Channels),
    ];

    /// Its title.
    pub fn title(self) -> &'static str {
        match self {
            HistoryTab::Sends => "Sends",
            HistoryTab::Conversation(view) => view.title(),
        }
    }
}

/// A row a history window can hold: what it is paged and selected by.
pub trait Listed: Clone {
    /// Its id; newer rows have higher ones.
    fn id(&self) -> i64;
}

impl Listed for SendRow {
    fn id(&self) -> i64 {
        self.id
    }
}

impl Listed for ConversationRow {
    fn id(&self) -> i64 {
        self.id
    }
}

/// The history filters, as plain data.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct HistoryForm {
    /// Token prefix (hex).
    pub token: String,
    /// Text in the payload.
    pub text: String,
    /// Only rejected, failed, ... (`None`: all).
    pub state: Option<String>,
    /// The identity's name, exactly.
    pub identity: String,
    /// The endpoint label (`simulator`, `host:port`), exactly.
    pub endpoint: String,
    /// Since when: UNIX seconds, RFC 3339, or a span back from now (`24h`, `7d`).
    pub since: String,
    /// One batch, by its id (empty: all).
    pub batch: String,
}

impl HistoryForm {
    /// The store's filter for `tab`, or why the form is not one. The sends' own filters
    /// (state, payload text) do not apply to the other views.
    pub fn filter_for(&self, tab: HistoryTab) -> Result<Filter, String> {
        let mut filter = self.filter()?;
        if let HistoryTab::Conversation(view) = tab {
            filter.state = None;
            filter.text = None;
            if !view.filters().contains(&"batch") {
                filter.batch = None;
            }
        }
        Ok(filter)
    }

    /// The store's filter for the sends, or why the form is not one.
    pub fn filter(&self) -> Result<Filter, String> {
        let mut filter = Filter::default();
        if !self.token.trim().is_empty() {
            filter.token = Some(
                self.token
                    .trim()
                    .parse::<TokenPrefix>()
                    .map_err(|error| error.to_string())?,
            );
        }
        if !self.text.trim().is_empty() {
            filter.text = Some(self.text.trim().to_owned());
        }
        let exact = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_owned());
        filter.identity = exact(&self.identity);
        filter.endpoint = exact(&self.endpoint);
        if let Some(since) = exact(&self.since) {
            let now = crate::store::history::now_ms();
            filter.since_ms = Some(
                crate::store::history::parse_time(&since, now)
                    .map_err(|error| error.to_string())?,
            );
        }
        if let Some(batch) = exact(&self.batch) {
            filter.batch = Some(
                batch
                    .parse()
                    .map_err(|_| format!("{batch:?} is not a batch id (a whole number)"))?,
            );
        }
        filter.state = self.state.as_deref().and_then(|name| {
            SendState::ALL
                .into_iter()
                .find(|state| state.as_str() == name)
        });
        Ok(filter)
    }
}

/// Draws the filters that apply to `tab`; returns true when Refresh was clicked.
pub fn filters(ui: &mut egui::Ui, form: &mut HistoryForm, tab: HistoryTab) -> bool {
    let mut refresh = false;
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Token");
        ui.add(
            egui::TextEdit::singleline(&mut form.token)
                .hint_text("hex prefix")
                .desired_width(theme::size::FIELD_M),
        )
        .labelled_by(label.id);
        if tab == HistoryTab::Sends {
            let label = ui.label("Payload text");
            ui.add(egui::TextEdit::singleline(&mut form.text).desired_width(theme::size::FIELD_M))
                .labelled_by(label.id);
            let label = ui.label("State");
            egui::ComboBox::from_id_salt("history state")
                .selected_text(form.state.clone().unwrap_or_else(|| "all states".into()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut form.state, None, "all states");
                    for state in SendState::ALL {
                        ui.selectable_value(
                            &mut form.state,
                            Some(state.as_str().to_owned()),
                            state.as_str(),
                        );
                    }
                })
                .response
                .labelled_by(label.id);
        }
        let batch_applies = match tab {
            HistoryTab::Sends => true,
            HistoryTab::Conversation(view) => view.filters().contains(&"batch"),
        };
        let mut fields = vec![
            ("Identity", &mut form.identity, "exact name"),
            ("Endpoint", &mut form.endpoint, "simulator or host:port"),
            ("Since", &mut form.since, "24h, 7d, 2026-11-25"),
        ];
        if batch_applies {
            fields.push(("Batch", &mut form.batch, "batch id"));
        }
        for (name, value, hint) in fields {
            let label = ui.label(name);
            ui.add(
                egui::TextEdit::singleline(value)
                    .hint_text(hint)
                    .desired_width(theme::size::FIELD_S),
            )
            .labelled_by(label.id);
        }
        refresh = ui.button("Refresh").clicked();
    });
    refresh
}

/// How a send's state reads.
pub fn state_tone(state: SendState) -> Tone {
    match state {
        SendState::Accepted => Tone::Accepted,
        SendState::Rejected => Tone::Rejected,
        SendState::Failed => Tone::Failed,
        SendState::Unconfirmed => Tone::Unconfirmed,
        // Its sender stopped before the answer: APNs may or may not have it.
        SendState::Unknown => Tone::Warning,
        SendState::InFlight | SendState::Cancelled => Tone::Neutral,
    }
}

fn times_in_utc_id() -> egui::Id {
    egui::Id::unique("times in utc")
}

/// Whether `time_text` shows UTC (the Settings choice) from this frame on.
pub fn set_times_in_utc(ctx: &egui::Context, utc: bool) {
    ctx.data_mut(|data| data.insert_temp(times_in_utc_id(), utc));
}

/// A moment as the tables show it: in the user's time zone, or in UTC if chosen (UTC
/// on hover either way).
pub fn time_text(ui: &egui::Ui, ms: i64) -> String {
    if ui.data(|data| data.get_temp(times_in_utc_id()).unwrap_or(false)) {
        crate::store::history::format_time_in(ms, &jiff::tz::TimeZone::UTC)
    } else {
        crate::store::history::format_local_time(ms)
    }
}

/// Everything recorded about one send: what left, and what came back; the link clicked.
pub fn detail(ui: &mut egui::Ui, send: &SendRow) -> Option<super::conversation::Link> {
    egui::Grid::new("send detail")
        .num_columns(2)
        .show(ui, |ui| {
            // Ids a user pastes elsewhere (a device log, Apple's console) get a copy button.
            let copyable = |ui: &mut egui::Ui, name: &str, value: &str| {
                ui.label(super::theme::quiet(name));
                ui.horizontal(|ui| {
                    ui.monospace(value);
                    theme::copy_button(ui, name, value);
                });
                ui.end_row();
            };
            copyable(ui, "token", &send.token);
            copyable(ui, "apns-id", &send.apns_id);
            if let Some(unique) = &send.apns_unique_id {
                copyable(ui, "apns-unique-id", unique);
                ui.label("");
                ui.hyperlink_to(
                    "Where to paste it: Apple's Delivery Log",
                    "https://icloud.developer.apple.com/dashboard/notifications",
                )
                .on_hover_text(
                    "In Apple's Push Notifications Console, Delivery Log takes this id and shows what happened to the notification on Apple's side (development environment only).",
                );
                ui.end_row();
            }
            let sent = time_text(ui, send.created_ms);
            let mut field = |name: &str, value: String| {
                ui.label(super::theme::quiet(name));
                ui.monospace(value);
                ui.end_row();
            };
            field("sent", sent);
            field("batch", send.batch_id.to_string());
            field(
                "identity · endpoint",
                format!("{} · {} ({})", send.identity, send.endpoint, send.protocol),
            );
            let headers = [
                ("apns-push-type", send.push_type.clone()),
                ("apns-topic", send.topic.clone()),
                ("apns-priority", send.priority.map(|p| p.to_string())),
                ("apns-expiration", send.expiration.map(|e| e.to_string())),
                ("apns-collapse-id", send.collapse_id.clone()),
            ];
            for (name, value) in headers {
                if let Some(value) = value {
                    field(name, value);
                }
            }
            field(
                "answer",
                format!(
                    "{} {} {}",
                    send.state.as_str(),
                    send.status
                        .map_or_else(String::new, |status| status.to_string()),
                    send.reason
                        .clone()
                        .or_else(|| send.error.clone())
                        .unwrap_or_default()
                ),
            );
            field("attempts", send.attempts.to_string());
            if let Some(latency) = send.latency_us {
                field("latency", format!("{:.1} ms", latency as f64 / 1000.0));
            }
        });
    let pretty = serde_json::from_str::<serde_json::Value>(&send.payload)
        .and_then(|value| serde_json::to_string_pretty(&value))
        .unwrap_or_else(|_| send.payload.clone());
    ui.label(RichText::new(format!("payload ({} bytes as sent)", send.payload.len())).weak());
    ui.monospace(pretty);
    let mut clicked = None;
    ui.horizontal(|ui| {
        for link in super::conversation::send_links(send.batch_id, &send.token) {
            if ui.button(link.label).clicked() {
                clicked = Some(link);
            }
        }
    });
    clicked
}

/// Rows fetched per request.
pub const PAGE_ROWS: usize = 200;
/// Pages kept around the visible rows; the rest are dropped, so memory stays flat however
/// far the list scrolls.
const KEPT_PAGES: u64 = 8;
/// Page requests in flight at once: a fling past thousands of rows asks for the pages it
/// stops at, not every page it passed.
const MAX_IN_FLIGHT: usize = 3;
/// How long the filters must stay unchanged before the list is fetched again, so typing a
/// token asks the database once rather than once per keystroke.
pub const FILTER_SETTLE: Duration = Duration::from_millis(300);
/// How often a list that follows new sends looks again.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// A history list as a window over every matching row: pages are fetched as they scroll
/// into view and dropped when far away, so a million rows cost a few pages of memory.
#[derive(Debug)]
pub struct HistoryWindow<R = SendRow> {
    /// What it lists.
    tab: HistoryTab,
    total: Option<u64>,
    pages: BTreeMap<u64, Vec<R>>,
    pending: HashMap<RequestId, u64>,
    /// The filters the pages were fetched for.
    loaded_for: Option<HistoryForm>,
    /// The query every page uses: built once, so a relative "since" does not slide between
    /// pages.
    filter: Option<Filter>,
    /// The newest match when the list was counted; later pages stop there, so sends
    /// recorded since do not shift them.
    newest_id: Option<i64>,
    /// Filters being edited, and since when.
    edited: Option<(HistoryForm, Instant)>,
    /// The pages shown are an earlier query's, until the new first page arrives.
    replacing: bool,
    /// When the list last started over.
    restarted_at: Option<Instant>,
    /// Why the list cannot be shown, above it.
    problem: Option<String>,
    /// The row opened in the detail pane, kept even when its page is dropped.
    pub selected: Option<R>,
}

impl Default for HistoryWindow<SendRow> {
    fn default() -> Self {
        Self::new(HistoryTab::Sends)
    }
}

/// One page to fetch: the query, where it stops, and which page.
#[derive(Clone, Debug)]
pub struct PageRequest {
    /// The filters.
    pub filter: Filter,
    /// Only sends older than this (none for the first page).
    pub cursor: Option<Cursor>,
    /// The page's first row among the matches.
    pub offset: u64,
    /// Whether to count the matches too (the first page).
    pub count: bool,
}

impl<R: Listed> HistoryWindow<R> {
    /// An empty window over `tab`.
    pub fn new(tab: HistoryTab) -> Self {
        Self {
            tab,
            total: None,
            pages: BTreeMap::new(),
            pending: HashMap::new(),
            loaded_for: None,
            filter: None,
            newest_id: None,
            edited: None,
            replacing: false,
            restarted_at: None,
            problem: None,
            selected: None,
        }
    }

    /// What it lists.
    pub fn tab(&self) -> HistoryTab {
        self.tab
    }

    /// Forgets every page and builds the query for `form`; returns the first page to fetch,
    /// or `None` when the form is not a query (the problem is then shown above the list).
    pub fn restart(&mut self, form: &HistoryForm) -> Option<PageRequest> {
        // The old rows stay on screen until the new first page replaces them, so a reload
        // after each send does not flash "Loading…".
        self.replacing = true;
        self.restarted_at = Some(Instant::now());
        self.pending.clear();
        self.newest_id = None;
        self.edited = None;
        self.loaded_for = Some(form.clone());
        match form.filter_for(self.tab) {
            Ok(filter) => {
                self.problem = None;
                self.filter = Some(filter);
                self.request(0)
            }
            Err(problem) => {
                self.problem = Some(problem);
                self.filter = None;
                self.replacing = false;
                self.total = None;
                self.pages.clear();
                None
            }
        }
    }

    /// Whether the filters in `form` differ from the list's and have stayed so for
    /// [`FILTER_SETTLE`]; `None` while they are still being edited.
    pub fn needs_restart(&mut self, form: &HistoryForm, now: Instant) -> Option<bool> {
        if self.loaded_for.as_ref() == Some(form) {
            self.edited = None;
            return Some(false);
        }
        match &self.edited {
            Some((edited, since)) if edited == form => {
                (now.duration_since(*since) >= FILTER_SETTLE).then_some(true)
            }
            _ => {
                self.edited = Some((form.clone(), now));
                None
            }
        }
    }

    /// The request for page `page` of the current query.
    pub fn request(&self, page: u64) -> Option<PageRequest> {
        Some(PageRequest {
            filter: self.filter.clone()?,
            cursor: self.newest_id.map(|id| Cursor {
                before_id: id.saturating_add(1),
            }),
            offset: page * PAGE_ROWS as u64,
            count: page == 0,
        })
    }

    /// Whether a list that follows new sends is due to start over: `every` has passed since
    /// it last did, and it is not still waiting for that.
    pub fn due(&self, every: Duration, now: Instant) -> bool {
        !self.replacing
            && self
                .restarted_at
                .is_none_or(|at| now.duration_since(at) >= every)
    }

    /// Why the list cannot be shown, if it cannot.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Whether the rows shown are an earlier query's, waiting for the new first page.
    pub fn is_replacing(&self) -> bool {
        self.replacing
    }

    /// How many sends match, once counted.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// The row at `index` (0 is the newest match), when its page is loaded.
    pub fn row(&self, index: u64) -> Option<&R> {
        let rows = self.pages.get(&(index / PAGE_ROWS as u64))?;
        rows.get((index % PAGE_ROWS as u64) as usize)
    }

    /// Whether `request` is one of this list's page requests still unanswered.
    pub fn is_waiting_for(&self, request: RequestId) -> bool {
        self.pending.contains_key(&request)
    }

    /// Notes that `request` fetches page `page`.
    pub fn requested(&mut self, request: RequestId, page: u64) {
        self.pending.insert(request, page);
    }

    /// The pages that rows in `visible` need and nobody has asked for yet, as many as may
    /// be in flight.
    pub fn missing(&self, visible: &RangeInclusive<u64>) -> Vec<u64> {
        if self.replacing {
            return Vec::new();
        }
        let page_of = |index: u64| index / PAGE_ROWS as u64;
        (page_of(*visible.start())..=page_of(*visible.end()))
            .filter(|page| {
                !self.pages.contains_key(page) && !self.pending.values().any(|p| p == page)
            })
            .take(MAX_IN_FLIGHT.saturating_sub(self.pending.len()))
            .collect()
    }

    /// Takes a page the engine answered; false when it was not asked for (a request from
    /// before the filters changed, or for a page scrolled past).
    pub fn accept(&mut self, request: RequestId, rows: Vec<R>, total: Option<u64>) -> bool {
        let Some(page) = self.pending.remove(&request) else {
            return false;
        };
        if page == 0 {
            if self.replacing {
                self.replacing = false;
                self.pages.clear();
            }
            self.newest_id = rows.first().map(Listed::id);
        }
        if total.is_some() {
            self.total = total;
        }
        self.pages.insert(page, rows);
        true
    }

    /// Takes a failed page request: the list says why instead of waiting for it forever.
    /// False when it was not one of the list's requests.
    pub fn failed(&mut self, request: RequestId, message: &str) -> bool {
        if self.pending.remove(&request).is_none() {
            return false;
        }
        self.problem = Some(format!("the history cannot be read: {message}"));
        self.replacing = false;
        true
    }

    /// Drops the pages far from the rows on screen, and forgets requests for them; not the
    /// first page's, which carries the count (and replaces an earlier query's rows).
    pub fn keep_near(&mut self, visible: &RangeInclusive<u64>) {
        let centre = (visible.start() + visible.end()) / 2 / PAGE_ROWS as u64;
        let near = |page: &u64| page.abs_diff(centre) <= KEPT_PAGES / 2;
        self.pages.retain(|page, _| near(page));
        self.pending.retain(|_, page| *page == 0 || near(page));
    }

    /// How many rows are held in memory.
    pub fn loaded_rows(&self) -> usize {
        self.pages.values().map(Vec::len).sum()
    }
}

/// What a table reports back: a clicked row and the rows on screen.
#[derive(Debug)]
pub struct TableResponse<R> {
    /// A row the user clicked.
    pub clicked: Option<R>,
    /// The indices drawn this frame.
    pub visible: Option<RangeInclusive<u64>>,
}

impl<R> Default for TableResponse<R> {
    /// Nothing clicked, nothing drawn yet.
    fn default() -> Self {
        Self {
            clicked: None,
            visible: None,
        }
    }
}

impl<R> TableResponse<R> {
    /// Notes that the row at `index` was drawn.
    pub fn saw(&mut self, index: u64) {
        self.visible = Some(match &self.visible {
            Some(range) => *range.start().min(&index)..=*range.end().max(&index),
            None => index..=index,
        });
    }
}

/// The rows, newest first, virtualised over every match: rows whose page has not arrived
/// yet show as loading.
pub fn table(ui: &mut egui::Ui, window: &HistoryWindow) -> TableResponse<SendRow> {
    let mut response = TableResponse::default();
    if let Some(problem) = &window.problem {
        super::theme::problem(ui, problem.as_str());
        return response;
    }
    let total = window.total.unwrap_or(0);
    match window.total {
        None => {
            ui.label(super::theme::quiet("Loading…"));
            return response;
        }
        Some(0) => {
            ui.label(super::theme::quiet("No sends recorded yet."));
            return response;
        }
        Some(count) => {
            let matches = if count == 1 {
                "send matches"
            } else {
                "sends match"
            };
            ui.label(
                RichText::new(format!(
                    "{} {matches}",
                    crate::apns::group_thousands(count as usize)
                ))
                .weak(),
            );
        }
    }
    let selected = window.selected.as_ref().map(|send| send.id);
    // Cells are for clicking a row open, not for selecting text.
    ui.style_mut().interaction.selectable_labels = false;
    TableBuilder::new(ui)
        .id_salt("history")
        .sense(egui::Sense::click())
        .striped(true)
        .column(Column::initial(size::TIME))
        .column(Column::initial(size::TOKEN).resizable(true))
        .column(Column::initial(size::STATUS + size::ROW))
        .column(Column::initial(size::STATUS))
        .column(Column::initial(size::NAME).resizable(true).clip(true))
        .column(Column::remainder().clip(true))
        .header(size::HEADER, |mut header| {
            for title in [
                "time",
                "token",
                "state",
                "status",
                "reason",
                "identity · endpoint",
            ] {
                header.col(|ui| {
                    ui.label(theme::strong(title));
                });
            }
        })
        .body(|body| {
            body.rows(size::ROW, total as usize, |mut row| {
                let index = row.index() as u64;
                response.saw(index);
                let Some(send) = window.row(index) else {
                    row.col(|ui| {
                        ui.label(super::theme::quiet("…"));
                    });
                    return;
                };
                row.set_selected(selected == Some(send.id));
                row.col(|ui| {
                    ui.label(time_text(ui, send.created_ms))
                        .on_hover_text(crate::store::history::format_time(send.created_ms));
                });
                row.col(|ui| {
                    ui.monospace(format!(
                        "{}…{}",
                        &send.token[..4.min(send.token.len())],
                        &send.token[send.token.len().saturating_sub(4)..]
                    ));
                });
                row.col(|ui| {
                    theme::chip(ui, send.state.as_str(), state_tone(send.state));
                });
                row.col(|ui| {
                    ui.label(
                        send.status
                            .map_or_else(String::new, |status| status.to_string()),
                    );
                });
                row.col(|ui| {
                    ui.label(
                        send.reason
                            .clone()
                            .or_else(|| send.error.clone())
                            .unwrap_or_default(),
                    );
                });
                row.col(|ui| {
                    ui.label(format!("{} · {}", send.identity, send.endpoint));
                });
                if row.response().clicked() {
                    response.clicked = Some(send.clone());
                }
            });
        });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(token: &str) -> HistoryForm {
        HistoryForm {
            token: token.into(),
            ..HistoryForm::default()
        }
    }

    #[test]
    fn edited_filters_restart_the_list_once_they_settle() {
        let mut window = HistoryWindow::default();
        let start = Instant::now();
        assert!(window.restart(&form("")).is_some());
        assert_eq!(window.needs_restart(&form(""), start), Some(false));
        assert_eq!(window.needs_restart(&form("ab"), start), None, "typing");
        assert_eq!(
            window.needs_restart(&form("abc"), start),
            None,
            "still typing"
        );
        let later = start + FILTER_SETTLE;
        assert_eq!(window.needs_restart(&form("abc"), later), Some(true));
    }

    #[test]
    fn a_filter_that_is_not_a_query_says_why_and_fetches_nothing() {
        let mut window = HistoryWindow::default();
        assert!(window.restart(&form("xyz")).is_none());
        assert!(window.problem.is_some());
        assert!(window.request(1).is_none());
    }

    #[test]
    fn few_pages_are_in_flight_and_a_failed_one_is_reported() {
        let mut window = HistoryWindow::default();
        let first = window.restart(&form("")).expect("a query");
        assert!(first.count && first.cursor.is_none() && first.offset == 0);
        window.requested(1, 0);
        assert!(window.accept(1, Vec::new(), Some(100_000)));
        assert!(!window.accept(1, Vec::new(), None), "answered once");
        let wanted = window.missing(&(0..=10 * PAGE_ROWS as u64));
        assert_eq!(
            wanted,
            [1, 2, 3],
            "page 0 is loaded; at most {MAX_IN_FLIGHT} at once"
        );
        for (id, page) in (2..).zip(&wanted) {
            window.requested(id, *page);
        }
        assert!(window.missing(&(0..=10 * PAGE_ROWS as u64)).is_empty());
        assert!(window.failed(3, "disk I/O error"));
        assert!(!window.failed(99, "not ours"));
        assert_eq!(
            window.problem.as_deref(),
            Some("the history cannot be read: disk I/O error")
        );
    }

    #[test]
    fn a_followed_list_is_due_each_period_once_its_last_reload_arrived() {
        let mut window = HistoryWindow::default();
        let now = Instant::now();
        assert!(window.due(FOLLOW_EVERY, now), "never loaded");
        window.restart(&form(""));
        window.requested(1, 0);
        let later = Instant::now() + FOLLOW_EVERY;
        assert!(!window.due(FOLLOW_EVERY, later), "still waiting for it");
        window.accept(1, Vec::new(), Some(1));
        assert!(!window.due(FOLLOW_EVERY, Instant::now()), "just reloaded");
        assert!(window.due(FOLLOW_EVERY, later + FOLLOW_EVERY));
    }

    #[test]
    fn a_reload_keeps_the_old_rows_until_the_new_first_page() {
        let mut window = HistoryWindow::default();
        window.restart(&form(""));
        window.requested(1, 0);
        window.accept(1, Vec::new(), Some(5));
        window.restart(&form(""));
        assert_eq!(window.total(), Some(5), "no flash of Loading…");
        assert!(
            window.missing(&(0..=10)).is_empty(),
            "no pages of the old query"
        );
        window.requested(2, 0);
        // Scrolled far down, the new first page is still awaited.
        window.keep_near(&(50_000..=50_040));
        window.accept(2, Vec::new(), Some(6));
        assert_eq!(window.total(), Some(6));
    }
}
