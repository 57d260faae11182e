//! The History view: its lists (sends and the rest of the conversation), their filters,
//! details and links, exports, and reading the feedback service.

use std::ops::RangeInclusive;
use std::time::Instant;

use super::history::{self, HistoryForm, HistoryTab, HistoryWindow, Listed, PageRequest};
use super::{App, TargetChoice, conversation, send, theme};
use crate::engine::{Command, Failure};
use crate::store::history::{ConversationRow, ExportFormat, View};

/// Whether `window` must start over this frame (Refresh, filters that settled, or a
/// followed list that is due); the first page to fetch if so.
fn restart_if_due<R: Listed>(
    ui: &egui::Ui,
    window: &mut HistoryWindow<R>,
    form: &HistoryForm,
    refresh: bool,
    follow: bool,
) -> Option<Option<PageRequest>> {
    let now = Instant::now();
    let settled = window.needs_restart(form, now);
    if settled.is_none() {
        ui.ctx().request_repaint_after(history::FILTER_SETTLE);
    }
    if follow {
        ui.ctx().request_repaint_after(history::FOLLOW_EVERY);
    }
    let due = follow && window.due(history::FOLLOW_EVERY, now);
    (refresh || settled == Some(true) || due).then(|| window.restart(form))
}

/// The pages that rows now on screen need, after dropping those far away.
fn pages_for<R: Listed>(
    window: &mut HistoryWindow<R>,
    visible: &RangeInclusive<u64>,
) -> Vec<(u64, PageRequest)> {
    window.keep_near(visible);
    window
        .missing(visible)
        .into_iter()
        .filter_map(|page| window.request(page).map(|request| (page, request)))
        .collect()
}

/// What a feedback read found, in words.
pub fn feedback_summary(
    read: usize,
    skipped: usize,
    problem: Option<&Failure>,
    history_problem: Option<&Failure>,
) -> String {
    let mut summary = match read {
        0 => "the feedback service listed no tokens".to_owned(),
        1 => "the feedback service listed 1 token".to_owned(),
        many => format!(
            "the feedback service listed {} tokens",
            crate::apns::group_thousands(many)
        ),
    };
    // Only what the history really holds is said to be there.
    match history_problem {
        Some(problem) => summary.push_str(&format!(
            "; the history could not record them: {}",
            problem.message
        )),
        None if read == 1 => summary.push_str("; it is in History › Feedback"),
        None if read > 1 => summary.push_str("; they are in History › Feedback"),
        None => {}
    }
    if skipped > 0 {
        summary.push_str(&format!(
            "; {skipped} entries with an unusable token were left out"
        ));
    }
    if let Some(problem) = problem {
        summary.push_str(&format!("; the read stopped early: {}", problem.message));
    }
    summary
}

impl App {
    fn window_of(&mut self, view: View) -> &mut HistoryWindow<ConversationRow> {
        let index = View::ALL
            .iter()
            .position(|each| *each == view)
            .unwrap_or_default();
        &mut self.conversation[index]
    }

    /// Starts the open history list over: the filters changed or new sends were recorded.
    pub(super) fn reload_history(&mut self) {
        let form = self.state.history.clone();
        match self.state.history_tab {
            HistoryTab::Sends => {
                if let Some(first) = self.history.restart(&form) {
                    self.load_sends_page(0, first);
                }
            }
            HistoryTab::Conversation(view) => {
                if let Some(first) = self.window_of(view).restart(&form) {
                    self.load_view_page(view, 0, first);
                }
            }
        }
    }

    fn load_sends_page(&mut self, page: u64, request: PageRequest) {
        let id = self.request(|id| Command::LoadHistory {
            id,
            filter: Box::new(request.filter),
            cursor: request.cursor,
            offset: request.offset,
            limit: history::PAGE_ROWS,
            count: request.count,
        });
        self.history.requested(id, page);
    }

    fn load_view_page(&mut self, view: View, page: u64, request: PageRequest) {
        let id = self.request(|id| Command::LoadView {
            id,
            view,
            filter: Box::new(request.filter),
            cursor: request.cursor,
            offset: request.offset,
            limit: history::PAGE_ROWS,
            count: request.count,
        });
        self.window_of(view).requested(id, page);
    }

    /// Opens the list a link leads to, narrowed to its batch and token.
    fn follow(&mut self, link: conversation::Link) {
        self.state.history = HistoryForm {
            batch: link
                .batch
                .map(|batch| batch.to_string())
                .unwrap_or_default(),
            token: link.token.unwrap_or_default(),
            ..HistoryForm::default()
        };
        self.state.history_tab = link.tab;
        self.reload_history();
    }

    pub(super) fn history_view(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            for tab in HistoryTab::ALL {
                if ui
                    .selectable_label(self.state.history_tab == tab, tab.title())
                    .clicked()
                    && self.state.history_tab != tab
                {
                    self.state.history_tab = tab;
                    self.reload_history();
                }
            }
        });
        let tab = self.state.history_tab;
        let refresh = history::filters(ui, &mut self.state.history, tab);
        self.history_exports(ui, tab);
        let running = self.run.as_ref().is_some_and(|run| !run.finished);
        ui.checkbox(
            &mut self.state.history_follow,
            "Follow new sends (sends from scripts too; always while this window sends)",
        );
        let follow = self.state.history_follow || running;
        let form = self.state.history.clone();
        match tab {
            HistoryTab::Sends => {
                if let Some(Some(first)) =
                    restart_if_due(ui, &mut self.history, &form, refresh, follow)
                {
                    self.load_sends_page(0, first);
                }
                self.sends_list(ui);
            }
            HistoryTab::Conversation(view) => {
                if view == View::Feedback {
                    self.feedback_reader(ui);
                }
                let window = self.window_of(view);
                if let Some(Some(first)) = restart_if_due(ui, window, &form, refresh, follow) {
                    self.load_view_page(view, 0, first);
                }
                self.conversation_list(ui, view);
            }
        }
    }

    fn sends_list(&mut self, ui: &mut egui::Ui) {
        let mut link = None;
        if let Some(send) = &self.history.selected {
            detail_panel(ui, "Selected send", |ui| link = history::detail(ui, send));
        }
        let table = theme::wide_table(ui, "history table", |ui| history::table(ui, &self.history));
        if let Some(send) = table.clicked {
            let reopened = self.history.selected.as_ref().map(|s| s.id) == Some(send.id);
            self.history.selected = (!reopened).then_some(send);
        }
        if let Some(visible) = table.visible {
            for (page, request) in pages_for(&mut self.history, &visible) {
                self.load_sends_page(page, request);
            }
        }
        if let Some(link) = link {
            self.follow(link);
        }
    }

    fn conversation_list(&mut self, ui: &mut egui::Ui, view: View) {
        let mut link = None;
        let window = self.window_of(view);
        if let Some(row) = &window.selected {
            let title = format!("Selected {}", singular(view));
            detail_panel(ui, &title, |ui| link = conversation::detail(ui, view, row));
        }
        let table = theme::wide_table(ui, "history table", |ui| {
            conversation::table(ui, view, window)
        });
        if let Some(row) = table.clicked {
            let reopened = window.selected.as_ref().map(|r| r.id) == Some(row.id);
            window.selected = (!reopened).then_some(row);
        }
        if let Some(visible) = table.visible {
            for (page, request) in pages_for(window, &visible) {
                self.load_view_page(view, page, request);
            }
        }
        if let Some(link) = link {
            self.follow(link);
        }
    }

    /// Reading the legacy feedback service, per identity and endpoint; what it lists lands
    /// in the Feedback list.
    fn feedback_reader(&mut self, ui: &mut egui::Ui) {
        let certificates: Vec<String> = self
            .identities
            .list
            .iter()
            .filter(|identity| identity.kind == crate::store::identity::IdentityKind::Certificate)
            .map(|identity| identity.name.clone())
            .collect();
        let form = &mut self.state.feedback;
        let mut read = false;
        ui.horizontal_wrapped(|ui| {
            ui.label(theme::strong("Read the feedback service"));
            let label = ui.label("with");
            let names = certificates.iter().map(String::as_str);
            send::identity_picker(ui, "feedback identity", &mut form.identity, names, label.id);
            let label = ui.label("from");
            send::target_picker(ui, "feedback target", &mut form.target, label.id);
            if form.target == TargetChoice::Custom {
                ui.add(
                    egui::TextEdit::singleline(&mut form.custom)
                        .hint_text("feedback host:port")
                        .desired_width(theme::size::FIELD_M),
                )
                .labelled_by(label.id);
            }
            let reading = self.feedback_read.is_some();
            read = ui
                .add_enabled(!reading, egui::Button::new("Read feedback"))
                .clicked();
            if reading {
                ui.spinner();
            }
        });
        if !read {
            return;
        }
        let feedback = self.state.feedback.clone();
        let mut send_form = self.state.send.clone();
        send_form.custom = feedback.custom;
        match send_form.connection_for(feedback.target, feedback.identity.as_deref()) {
            Ok(connection) => {
                let id = self.request(|id| Command::ReadFeedback {
                    id,
                    connection: Box::new(connection),
                    record_history: true,
                });
                self.feedback_read = Some(id);
            }
            Err(problem) => self.message = Some(problem),
        }
    }

    /// Export the open list as filtered, or the unregistered tokens to prune a database.
    fn history_exports(&mut self, ui: &mut egui::Ui, tab: HistoryTab) {
        ui.horizontal(|ui| {
            let (view, name) = match tab {
                HistoryTab::Sends => (None, "history".to_owned()),
                HistoryTab::Conversation(view) => (Some(view), view.as_str().to_owned()),
            };
            for (label, format, extension) in [
                ("Export CSV…", ExportFormat::Csv, "csv"),
                ("Export JSON Lines…", ExportFormat::JsonLines, "jsonl"),
            ] {
                if ui.button(label).clicked()
                    && let Ok(filter) = self.state.history.filter_for(tab)
                    && let Some(path) = rfd::FileDialog::new()
                        .set_file_name(format!("push-{name}.{extension}"))
                        .save_file()
                {
                    self.request(|id| Command::ExportHistory {
                        id,
                        view,
                        filter: Box::new(filter),
                        format,
                        path,
                    });
                }
            }
            if ui.button("Export unregistered tokens as a list…").clicked()
                && let Some(path) = rfd::FileDialog::new()
                    .set_file_name("unregistered-tokens.txt")
                    .save_file()
            {
                self.request(|id| Command::ExportUnregistered { id, path });
            }
        });
    }
}

/// The selected row's detail, on the right of its table, scrolling on its own.
fn detail_panel(ui: &mut egui::Ui, title: &str, contents: impl FnOnce(&mut egui::Ui)) {
    egui::Panel::right("history detail")
        .resizable(true)
        .default_size(theme::size::DETAIL)
        .min_size(theme::size::FIELD_L)
        .show(ui, |ui| {
            ui.heading(title);
            egui::ScrollArea::vertical()
                .id_salt("history detail scroll")
                .show(ui, contents);
        });
}

fn singular(view: View) -> &'static str {
    match view {
        View::Batches => "batch",
        View::ErrorResponses => "error response",
        View::Feedback => "feedback entry",
        View::Disconnections => "disconnection",
        View::Unregistered => "unregistered token",
        View::Channels => "channel request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ErrorKind;

    #[test]
    fn a_feedback_read_the_history_could_not_keep_is_not_said_to_be_in_it() {
        let failure = Failure {
            kind: ErrorKind::History,
            message: "disk full".into(),
        };
        let kept = feedback_summary(2, 0, None, None);
        assert_eq!(
            kept,
            "the feedback service listed 2 tokens; they are in History › Feedback"
        );
        let lost = feedback_summary(2, 0, None, Some(&failure));
        assert!(!lost.contains("History ›"), "{lost}");
        assert!(lost.contains("could not record them: disk full"), "{lost}");
    }
}
