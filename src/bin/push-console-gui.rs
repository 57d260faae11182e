//! `push-console-gui`: the desktop app alone, what the Windows Start menu and the macOS
//! .app open. On Windows it is a GUI-subsystem program, so opening it shows no console
//! window; `push-console` stays a console program for the command line.

#![windows_subsystem = "windows"]

use std::process::ExitCode;

fn main() -> ExitCode {
    match push_console::ui::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // No console to print to: say it in a dialog.
            rfd::MessageDialog::new()
                .set_level(rfd::MessageLevel::Error)
                .set_title("Push Console")
                .set_description(push_console::ui::window_error(&error))
                .show();
            ExitCode::from(2)
        }
    }
}
