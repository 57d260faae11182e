//! The `push-console` binary: the CLI with a subcommand; the desktop app without one.

use std::process::ExitCode;

use clap::Parser;
use push_console::cli::{Cli, run};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(command) => run(command),
        #[cfg(feature = "gui")]
        None => match push_console::ui::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {}", push_console::ui::window_error(&error));
                ExitCode::from(2)
            }
        },
        #[cfg(not(feature = "gui"))]
        None => {
            eprintln!(
                "error: this build has no desktop app (built without the `gui` feature); give a command, see --help"
            );
            ExitCode::from(2)
        }
    }
}
