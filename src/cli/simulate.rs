//! `push-console simulate`: run the APNs simulator in the foreground.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{CliError, output};
use crate::simulator::SIMULATOR_TOPIC;
use crate::simulator::{Rules, Simulator, SimulatorConfig};
use crate::store::{FileError, FileKind, read_limited};

/// Runs the simulator until Ctrl-C.
#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// HTTP/2 API port (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub http2_port: u16,
    /// Legacy gateway port (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub legacy_port: u16,
    /// Feedback service port (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub feedback_port: u16,
    /// Broadcast channel management API port (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub channels_port: u16,
    /// Rules as JSON: bad_tokens, unregistered, throttled, flaky, error_response_delay_ms, ...
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Write the CA (ca.pem), a client identity (client.pem) and a token key
    /// (token-key.p8, with its ids in token-key.txt) here, for other programs to connect.
    #[arg(long, value_name = "DIR")]
    pub tls_dir: Option<PathBuf>,
    /// Topics of the client identity written to --tls-dir.
    #[arg(long = "topic", default_value = SIMULATOR_TOPIC)]
    pub topics: Vec<String>,
}

fn write(dir: &Path, name: &str, contents: &str) -> Result<PathBuf, CliError> {
    let path = dir.join(name);
    std::fs::write(&path, contents).map_err(FileError::writing(&path))?;
    Ok(path)
}

/// The simulator's rules from `--rules FILE`, or none.
pub(super) fn rules_file(path: Option<&Path>) -> Result<Rules, CliError> {
    match path {
        Some(path) => Ok(Rules::from_json(&String::from_utf8_lossy(&read_limited(
            path,
            FileKind::Rules,
        )?))?),
        None => Ok(Rules::default()),
    }
}

/// Runs `simulate`.
pub async fn run(args: SimulateArgs) -> Result<ExitCode, CliError> {
    let rules = rules_file(args.rules.as_deref())?;
    let config = SimulatorConfig {
        http2_port: args.http2_port,
        legacy_port: args.legacy_port,
        feedback_port: args.feedback_port,
        channels_port: args.channels_port,
        rules,
        ..SimulatorConfig::default()
    };
    let simulator = Simulator::start(config).await?;
    output::line(&format!("HTTP/2 API        {}", simulator.http2_endpoint()));
    output::line(&format!(
        "legacy gateway    {}",
        simulator.legacy_endpoint()
    ));
    output::line(&format!(
        "feedback service  {}",
        simulator.feedback_endpoint()
    ));
    output::line(&format!(
        "channel API       {}",
        simulator.channels_endpoint()
    ));
    if let Some(dir) = &args.tls_dir {
        std::fs::create_dir_all(dir).map_err(FileError::writing(dir))?;
        let topics: Vec<&str> = args.topics.iter().map(String::as_str).collect();
        let (cert, key) = simulator.client_identity_pem(&topics)?;
        let ca = write(dir, "ca.pem", &simulator.ca_pem())?;
        let client = write(dir, "client.pem", &format!("{cert}{key}"))?;
        let token_key = simulator.token_key();
        let p8 = write(dir, "token-key.p8", &token_key.p8_pem)?;
        write(
            dir,
            "token-key.txt",
            &format!(
                "key id {}\nteam id {}\n",
                token_key.key_id, token_key.team_id
            ),
        )?;
        output::line(&format!(
            "\nsend with a certificate:\n  push-console send --endpoint {} --ca {} --cert {} --topic {} --token <hex> --alert Hello",
            simulator.http2_endpoint(),
            ca.display(),
            client.display(),
            topics.first().unwrap_or(&SIMULATOR_TOPIC),
        ));
        output::line(&format!(
            "send with a token key:\n  push-console send --endpoint {} --ca {} --p8 {} --key-id {} --team-id {} --topic {} --token <hex> --alert Hello",
            simulator.http2_endpoint(),
            ca.display(),
            p8.display(),
            token_key.key_id,
            token_key.team_id,
            topics.first().unwrap_or(&SIMULATOR_TOPIC),
        ));
    }
    output::line("\nrunning; press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .map_err(|source| CliError::Signal { source })?;
    let stats = simulator.stats();
    simulator.shutdown().await;
    output::line(&format!(
        "stopped after {} connections and {} HTTP/2 requests",
        stats.connections, stats.http2_requests
    ));
    Ok(ExitCode::SUCCESS)
}
