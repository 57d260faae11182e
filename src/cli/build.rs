//! `push-console build`: what would be sent, without connecting.

use clap::Args;

use super::args::{MessageArgs, TransportArgs};
use super::{CliError, output};
use crate::apns::{AuthKind, Severity, Transport, lint};

/// Prints the exact request or bytes a notification becomes.
#[derive(Args, Debug)]
pub struct BuildArgs {
    /// The device token, in hex (spaces and <> are ignored).
    #[arg(long)]
    pub token: String,
    #[command(flatten)]
    pub message: MessageArgs,
    #[command(flatten)]
    pub transport: TransportArgs,
    /// Identifier echoed in legacy error-responses (enhanced and frame formats).
    #[arg(long, default_value_t = 0)]
    pub identifier: u32,
}

/// Runs `build`, printing warnings to stderr and the result to stdout.
pub fn run(args: &BuildArgs) -> Result<(), CliError> {
    let notification = args.message.notification(args.token.parse()?)?;
    let transport = args.transport.transport();
    // The auth mode is unknown here; certificate auth is the one that needs no topic.
    let now = crate::store::history::now_secs();
    for finding in lint(&notification, transport, AuthKind::Certificate, now) {
        if finding.severity() == Severity::Warning {
            output::warn(&finding.to_string());
        }
    }
    match transport {
        Transport::Http2 => {
            let request = notification.to_http2_request(None)?;
            output::http2_request(&request);
        }
        Transport::Legacy(format) => {
            let mut bytes = Vec::new();
            notification.encode_legacy(format, args.identifier, &mut bytes)?;
            output::hex_line(&bytes);
        }
    }
    Ok(())
}
