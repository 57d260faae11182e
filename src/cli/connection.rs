//! Where to send and with which credentials: the flags `send` and `feedback` share,
//! parsed into the engine's `Connection` and nothing more.

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use crate::apns::Transport;
use crate::engine::{Connection, CredentialChoice};
use crate::store::identity::CredentialFiles;

/// Endpoint and credential flags.
#[derive(Args, Debug, Clone)]
pub struct ConnectionArgs {
    /// simulator (built in, the default), sandbox, production, or HOST:PORT.
    #[arg(long, default_value = "simulator")]
    pub endpoint: String,
    /// Use port 2197 instead of 443 (for networks that block 443 to Apple).
    #[arg(long)]
    pub port_2197: bool,
    /// An identity imported with `identities import` (its key comes from the keychain).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["cert", "p8"])]
    pub identity: Option<String>,
    /// Push certificate: PEM (certificate and key, or certificate only with --key) or .p12/.pfx.
    #[arg(long, value_name = "FILE", conflicts_with = "p8")]
    pub cert: Option<PathBuf>,
    /// Private key PEM, when not in the --cert file.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Password of the .p12 file (empty when not given).
    #[arg(long, requires = "cert")]
    pub password: Option<String>,
    /// Token key (.p8) for token auth; needs --key-id and --team-id.
    #[arg(long, value_name = "FILE", requires_all = ["key_id", "team_id"])]
    pub p8: Option<PathBuf>,
    /// The .p8 key's 10-character key id.
    #[arg(long)]
    pub key_id: Option<String>,
    /// The 10-character team id.
    #[arg(long)]
    pub team_id: Option<String>,
    /// Extra CA certificate (PEM) to trust, e.g. a simulator's ca.pem.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
}

impl ConnectionArgs {
    /// The flags as the engine's description of a connection; the engine decides the rest.
    pub fn connection(&self, transport: Transport) -> Result<Connection, CliError> {
        let credential = if let Some(name) = &self.identity {
            CredentialChoice::Stored(name.clone())
        } else if let Some(path) = self.cert.as_ref().or(self.p8.as_ref()) {
            CredentialChoice::Files(CredentialFiles {
                path: path.clone(),
                key_path: self.key.clone(),
                password: self.password.clone(),
                key_id: self.key_id.clone(),
                team_id: self.team_id.clone(),
                ..CredentialFiles::default()
            })
        } else {
            CredentialChoice::SimulatorOwn
        };
        Ok(Connection {
            target: self.endpoint.parse()?,
            port_2197: self.port_2197,
            ca: self.ca.clone(),
            credential,
            transport,
        })
    }
}
