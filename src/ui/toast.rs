//! Notices that come and go: what just happened (exported, copied, applied), shown in the
//! window's corner for a few seconds, newest at the bottom. Problems that need action stay
//! in the message bar instead.

use std::time::{Duration, Instant};

use super::theme::{self, Tone};

/// How long a notice stays.
const SHOWN_FOR: Duration = Duration::from_secs(6);

/// At most this many at once; older ones make room.
const AT_MOST: usize = 4;

/// The notices on screen.
#[derive(Debug, Default)]
pub struct Toasts {
    shown: Vec<(String, Instant)>,
}

impl Toasts {
    /// Shows `text` from now on.
    pub fn push(&mut self, text: impl Into<String>) {
        self.shown.push((text.into(), Instant::now()));
        if self.shown.len() > AT_MOST {
            self.shown.remove(0);
        }
    }

    /// Draws them in the top-right corner and drops those whose time is up.
    pub fn show(&mut self, ctx: &egui::Context) {
        let now = Instant::now();
        self.shown
            .retain(|(_, since)| now.duration_since(*since) < SHOWN_FOR);
        let Some(oldest) = self.shown.first().map(|(_, since)| *since) else {
            return;
        };
        ctx.request_repaint_after(SHOWN_FOR.saturating_sub(now.duration_since(oldest)));
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(
                egui::Align2::RIGHT_TOP,
                egui::vec2(-theme::space::M, theme::space::L * 2.0),
            )
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                ui.set_max_width(theme::size::DETAIL);
                for (text, _) in &self.shown {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.horizontal_wrapped(|ui| {
                            ui.label(
                                theme::icon_text(Tone::Accepted.icon())
                                    .color(Tone::Accepted.text(ui.visuals().dark_mode)),
                            );
                            ui.label(text.as_str());
                        });
                    });
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_notices_make_room_for_new_ones() {
        let mut toasts = Toasts::default();
        for n in 0..6 {
            toasts.push(format!("notice {n}"));
        }
        let shown: Vec<&str> = toasts.shown.iter().map(|(text, _)| text.as_str()).collect();
        assert_eq!(shown, ["notice 2", "notice 3", "notice 4", "notice 5"]);
    }
}
