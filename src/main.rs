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
        None => match push_console::ui::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {}", push_console::ui::window_error(&error));
                ExitCode::from(2)
            }
        },
    }
}
