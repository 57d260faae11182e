//! `push-console serve`: the REST API on the engine, until Ctrl-C; `serve token` prints or
//! rotates its bearer token.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{CliError, output};
use crate::engine::{Command, SimulatorPorts, Target};
use crate::rest::{ApiToken, Environment, Environments, ServeConfig, TokenSource};

/// Serves the REST API on 127.0.0.1:8088 (see the README for its routes).
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Print the API token, or rotate it.
    #[command(subcommand)]
    pub action: Option<ServeAction>,
    /// Where to listen (port 0 picks a free one).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8088")]
    pub listen: SocketAddr,
    /// Allow --listen on an address other machines can reach (anyone who has the token
    /// can then send with your identities).
    #[arg(long)]
    pub allow_remote: bool,
    /// Send an environment to another gateway, e.g. sandbox=127.0.0.1:2197 (repeatable).
    #[arg(long, value_name = "ENV=HOST:PORT")]
    pub endpoint: Vec<String>,
    /// Trust a gateway named by --endpoint by this CA: ENV=FILE, or FILE for all of them.
    #[arg(long, value_name = "[ENV=]FILE")]
    pub ca: Vec<String>,
    /// The built-in simulator's rules, as JSON (as `simulate --rules`).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

/// What `serve` can do besides serving.
#[derive(Subcommand, Debug)]
pub enum ServeAction {
    /// Print the API token (made on first use), or make a new one with --rotate.
    Token {
        /// Replace the token; scripts holding the old one get 401 within a second.
        #[arg(long, conflicts_with = "revoke")]
        rotate: bool,
        /// Remove the token from the keychain and its file: a running server refuses
        /// every request; the next `serve` makes a new token.
        #[arg(long)]
        revoke: bool,
    },
}

fn environments(args: &ServeArgs) -> Result<Environments, CliError> {
    let mut environments = Environments::default();
    let environment = |text: &str| {
        crate::rest::Environment::parse(text)
            .ok()
            .filter(|environment| *environment != Environment::Simulator)
            .ok_or_else(|| CliError::ServeFlag(format!("{text:?} is not sandbox or production")))
    };
    for pair in &args.endpoint {
        let (name, address) = pair.split_once('=').ok_or_else(|| {
            CliError::ServeFlag(format!("--endpoint {pair:?} is not ENV=HOST:PORT"))
        })?;
        let target: Target = address.parse()?;
        environments
            .overrides
            .insert(environment(name)?, (target, None));
    }
    for ca in &args.ca {
        match ca.split_once('=') {
            Some((name, file)) => {
                let slot = environments
                    .overrides
                    .get_mut(&environment(name)?)
                    .ok_or_else(|| {
                        CliError::ServeFlag(format!("--ca {ca:?}: no --endpoint {name}=HOST:PORT"))
                    })?;
                slot.1 = Some(file.into());
            }
            None => {
                for slot in environments.overrides.values_mut() {
                    slot.1 = Some(ca.into());
                }
            }
        }
    }
    Ok(environments)
}

/// Runs `serve` or `serve token`.
pub fn run(args: ServeArgs) -> Result<ExitCode, CliError> {
    let paths = crate::store::DataPaths::from_env()?;
    let secrets = crate::store::secrets::open_keychain();
    if let Some(ServeAction::Token { rotate, revoke }) = args.action {
        if revoke {
            ApiToken::revoke(secrets.as_ref(), &paths)?;
            output::line("revoked: the API token is gone from the keychain and its file");
            return Ok(ExitCode::SUCCESS);
        }
        let token = if rotate {
            ApiToken::rotate(secrets.as_ref(), &paths)?
        } else {
            ApiToken::load_or_create(secrets.as_ref(), &paths)?
        };
        output::line(token.reveal());
        return Ok(ExitCode::SUCCESS);
    }
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        return Err(CliError::ServeFlag(format!(
            "{} is reachable from other machines; add --allow-remote if that is what you want",
            args.listen
        )));
    }
    let environments = environments(&args)?;
    let rules = super::simulate::rules_file(args.rules.as_deref())?;
    let token = ApiToken::load_or_create(secrets.as_ref(), &paths)?;
    let token = TokenSource::new(token, std::sync::Arc::clone(&secrets), paths.clone());
    let engine = super::engine_with(paths.clone(), secrets)?;
    let runtime = engine.runtime();
    engine.command(Command::ConfigureSimulator {
        id: engine.next_id(),
        rules: Box::new(rules),
        ports: SimulatorPorts::default(),
    });
    // Nobody reads the handle's own events (the simulator starting); keep its queue empty.
    let router = engine.router();
    std::thread::spawn(move || while engine.wait_event().is_some() {});
    let server = crate::rest::start(
        router,
        token,
        ServeConfig {
            listen: args.listen,
            environments,
            body_limit: crate::rest::DEFAULT_BODY_LIMIT,
        },
    )?;
    if !args.listen.ip().is_loopback() {
        output::warn(&format!(
            "serving on {}, reachable from other machines: anyone with the token can send as your identities",
            server.address()
        ));
    }
    output::line(&format!("REST API on http://{}", server.address()));
    output::line(&format!(
        "token: `push-console serve token` prints it; it is also in {}",
        ApiToken::file(&paths).display()
    ));
    runtime
        .block_on(tokio::signal::ctrl_c())
        .map_err(|source| CliError::Signal { source })?;
    drop(server);
    Ok(ExitCode::SUCCESS)
}
