//! Where to send and with which credentials: the flags `send` and `feedback` share.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clap::Args;
use rustls_pki_types::CertificateDer;

use super::CliError;
use crate::apns::{SigningKey, TokenIssuer};
use crate::engine::{SIMULATOR_TOPIC, simulator_identity};
use crate::apns::ClientIdentity;
use crate::net::{Endpoint, Http2Auth, Service, roots_from_pem, system_clock};
use crate::simulator::{Simulator, SimulatorConfig};
use crate::store::identity::{Credential, IdentityMetadata};

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

/// A resolved connection: the endpoint, credentials, and the in-process
/// simulator when one was started (kept alive for as long as this lives).
pub struct Resolved {
    /// Where to connect.
    pub endpoint: Endpoint,
    /// How to authenticate.
    pub credentials: Credential,
    /// The built-in simulator, when `--endpoint simulator`.
    pub simulator: Option<Simulator>,
    /// The stored identity used, when `--identity`.
    pub identity: Option<IdentityMetadata>,
}

impl Resolved {
    /// The HTTP/2 authentication these credentials give.
    pub fn http2_auth(self) -> (Endpoint, Http2Auth, Option<Simulator>) {
        let auth = match self.credentials {
            Credential::Certificate(identity) => Http2Auth::Certificate(identity),
            Credential::Token(issuer) => Http2Auth::Token {
                issuer: Arc::new(Mutex::new(issuer)),
                clock: system_clock(),
            },
        };
        (self.endpoint, auth, self.simulator)
    }
}

pub fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::ReadFile {
        path: path.to_owned(),
        source,
    })
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|window| window == b"-----BEGIN ")
}

impl ConnectionArgs {
    fn credentials(&self) -> Result<(Option<Credential>, Option<IdentityMetadata>), CliError> {
        if let Some(name) = &self.identity {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs() as i64);
            let (metadata, credential) = super::identities::open_store()?.credential(name, now)?;
            return Ok((Some(credential), Some(metadata)));
        }
        Ok((self.file_credentials()?, None))
    }

    fn file_credentials(&self) -> Result<Option<Credential>, CliError> {
        if let Some(path) = &self.cert {
            let bytes = read_file(path)?;
            let identity = if looks_like_pem(&bytes) {
                let key = self.key.as_deref().map(read_file).transpose()?;
                ClientIdentity::from_pem(&bytes, key.as_deref())
            } else {
                ClientIdentity::from_p12(&bytes, self.password.as_deref().unwrap_or(""))
            }
            .map_err(|source| CliError::Identity {
                path: path.clone(),
                source,
            })?;
            return Ok(Some(Credential::Certificate(identity)));
        }
        if let Some(path) = &self.p8 {
            let pem = String::from_utf8_lossy(&read_file(path)?).into_owned();
            let key = SigningKey::from_p8_pem(&pem)?;
            let key_id = self.key_id.as_deref().unwrap_or_default().parse()?;
            let team_id = self.team_id.as_deref().unwrap_or_default().parse()?;
            return Ok(Some(Credential::Token(TokenIssuer::new(
                key, key_id, team_id,
            ))));
        }
        Ok(None)
    }

    fn extra_roots(&self) -> Result<Vec<CertificateDer<'static>>, CliError> {
        let Some(path) = &self.ca else {
            return Ok(Vec::new());
        };
        roots_from_pem(&read_file(path)?).ok_or_else(|| CliError::BadCa(path.clone()))
    }

    /// Resolves the flags for `service`, starting the built-in simulator when asked.
    /// `topic` picks the simulator's client certificate when no credentials are given.
    pub async fn resolve(
        &self,
        service: Service,
        topic: Option<&str>,
    ) -> Result<Resolved, CliError> {
        let (credentials, identity) = self.credentials()?;
        let production = match self.endpoint.as_str() {
            "simulator" => {
                let simulator = Simulator::start(SimulatorConfig::default()).await?;
                let endpoint = match service {
                    Service::Http2 => simulator.http2_endpoint(),
                    Service::LegacyGateway => simulator.legacy_endpoint(),
                    Service::Feedback => simulator.feedback_endpoint(),
                };
                let credentials = match credentials {
                    Some(credentials) => credentials,
                    None => Credential::Certificate(simulator_identity(
                        &simulator,
                        topic.unwrap_or(SIMULATOR_TOPIC),
                    )?),
                };
                return Ok(Resolved {
                    endpoint,
                    credentials,
                    simulator: Some(simulator),
                    identity,
                });
            }
            "production" => true,
            "sandbox" => false,
            custom => {
                let (host, port) = Endpoint::parse_host_port(custom)
                    .ok_or_else(|| CliError::BadEndpoint(custom.to_owned()))?;
                let credentials = credentials.ok_or(CliError::MissingCredentials)?;
                let extra_roots = self.extra_roots()?;
                return Ok(Resolved {
                    endpoint: Endpoint::custom(host, port, extra_roots),
                    credentials,
                    simulator: None,
                    identity,
                });
            }
        };
        let mut endpoint = Endpoint::apple_service(service, production);
        if self.port_2197 && service == Service::Http2 {
            endpoint = endpoint.on_port_2197();
        }
        endpoint.extra_roots = self.extra_roots()?;
        Ok(Resolved {
            endpoint,
            credentials: credentials.ok_or(CliError::MissingCredentials)?,
            simulator: None,
            identity,
        })
    }
}
