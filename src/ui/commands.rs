//! Every command a keyboard can give, declared once: its name, its shortcut, and where it
//! shows (the Commands menu and the command palette, Ctrl/Cmd+Shift+P, both read this
//! table, so a shortcut is never listed in one place and bound in another).

use egui::{Key, KeyboardShortcut, Modifiers};

use super::View;
use super::theme;

/// What a command does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send the composed push (when it can be sent).
    Send,
    /// Send as the next identity.
    NextIdentity,
    /// Open a view.
    Show(View),
    /// Open the command palette.
    Palette,
}

/// One command: what it does, what it is called, and its keys.
#[derive(Clone, Copy, Debug)]
pub struct Command {
    /// What it does.
    pub action: Action,
    /// Its name in the menu and the palette.
    pub name: &'static str,
    /// Its keys, if it has any.
    pub shortcut: Option<KeyboardShortcut>,
}

const fn with(modifiers: Modifiers, key: Key) -> Option<KeyboardShortcut> {
    Some(KeyboardShortcut::new(modifiers, key))
}

const COMMAND: Modifiers = Modifiers::COMMAND;
const COMMAND_SHIFT: Modifiers = Modifiers {
    shift: true,
    ..Modifiers::COMMAND
};

/// Every command, in menu order.
pub const ALL: [Command; 9] = [
    Command {
        action: Action::Send,
        name: "Send",
        shortcut: with(COMMAND, Key::Enter),
    },
    Command {
        action: Action::NextIdentity,
        name: "Switch to the next identity",
        shortcut: with(COMMAND, Key::K),
    },
    Command {
        action: Action::Show(View::Send),
        name: "Show Send",
        shortcut: with(COMMAND, Key::Num1),
    },
    Command {
        action: Action::Show(View::History),
        name: "Show History",
        shortcut: with(COMMAND, Key::Num2),
    },
    Command {
        action: Action::Show(View::Identities),
        name: "Show Identities",
        shortcut: with(COMMAND, Key::Num3),
    },
    Command {
        action: Action::Show(View::Settings),
        name: "Show Settings",
        shortcut: with(COMMAND, Key::Num4),
    },
    Command {
        action: Action::Show(View::Channels),
        name: "Show Channels",
        shortcut: with(COMMAND, Key::Num5),
    },
    Command {
        action: Action::Show(View::LiveActivity),
        name: "Show Live Activities",
        shortcut: with(COMMAND, Key::Num6),
    },
    Command {
        action: Action::Palette,
        name: "Command palette",
        shortcut: with(COMMAND_SHIFT, Key::P),
    },
];

/// The actions whose shortcut was pressed this frame (the keys are consumed, so no text
/// field also gets them). The longer combinations go first: Cmd+Shift+P is not Cmd+P.
pub fn pressed(ctx: &egui::Context) -> Vec<Action> {
    let mut commands: Vec<&Command> = ALL.iter().filter(|c| c.shortcut.is_some()).collect();
    commands.sort_by_key(|command| {
        std::cmp::Reverse(command.shortcut.map_or(0, |s| {
            u8::from(s.modifiers.shift) + u8::from(s.modifiers.alt)
        }))
    });
    ctx.input_mut(|input| {
        commands
            .into_iter()
            .filter_map(|command| {
                let shortcut = command.shortcut?;
                input.consume_shortcut(&shortcut).then_some(command.action)
            })
            .collect()
    })
}

/// A shortcut as this platform writes it.
pub fn keys(ctx: &egui::Context, command: &Command) -> String {
    command
        .shortcut
        .map(|shortcut| ctx.format_shortcut(&shortcut))
        .unwrap_or_default()
}

/// The Commands menu: every command with its keys; the one clicked.
pub fn menu(ui: &mut egui::Ui) -> Option<Action> {
    let mut chosen = None;
    ui.menu_button("Commands", |ui| {
        for command in &ALL {
            let keys = keys(ui.ctx(), command);
            if ui
                .add(egui::Button::new(command.name).shortcut_text(keys))
                .clicked()
            {
                chosen = Some(command.action);
                ui.close();
            }
        }
    });
    chosen
}

/// The palette's state while it is open.
#[derive(Debug, Default)]
pub struct Palette {
    /// What is typed.
    pub query: String,
}

/// The commands whose name holds every word of `query`, ignoring case.
pub fn matching(query: &str) -> Vec<&'static Command> {
    let query = query.to_lowercase();
    ALL.iter()
        .filter(|command| {
            let name = command.name.to_lowercase();
            query.split_whitespace().all(|word| name.contains(word))
        })
        .collect()
}

/// What the palette said this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaletteAnswer {
    /// Run this.
    Run(Action),
    /// Close without running anything.
    Close,
}

/// Draws the palette: a filter field (focused) over the matching commands; Enter runs the
/// first, a click runs any, Esc or a click outside closes it.
pub fn palette(ctx: &egui::Context, palette: &mut Palette) -> Option<PaletteAnswer> {
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("command palette")).show(ctx, |ui| {
        ui.set_width(theme::size::FIELD_L + theme::size::FIELD_M);
        let label = ui.label("Command");
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut palette.query)
                    .hint_text("type to filter")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        field.request_focus();
        let found = matching(&palette.query);
        if ui.input(|input| input.key_pressed(Key::Enter))
            && let Some(first) = found.first()
        {
            answer = Some(PaletteAnswer::Run(first.action));
        }
        for command in found {
            let keys = keys(ui.ctx(), command);
            if ui
                .add(
                    egui::Button::new(command.name)
                        .shortcut_text(keys)
                        .frame(false),
                )
                .clicked()
            {
                answer = Some(PaletteAnswer::Run(command.action));
            }
        }
    });
    answer.or_else(|| modal.should_close().then_some(PaletteAnswer::Close))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_commands_share_keys_and_words_filter_names() {
        for (index, command) in ALL.iter().enumerate() {
            for other in &ALL[index + 1..] {
                assert!(
                    command.shortcut.is_none() || command.shortcut != other.shortcut,
                    "{} and {} share keys",
                    command.name,
                    other.name
                );
            }
        }
        let names: Vec<&str> = matching("show hist").iter().map(|c| c.name).collect();
        assert_eq!(names, ["Show History"]);
        assert_eq!(matching("").len(), ALL.len());
    }
}
