//! Where a send goes and with what. Every front end describes a connection as a
//! [`Connection`]; this module alone turns it into an endpoint, a credential, an auth kind,
//! a default topic and the labels the history records, so the app, the CLI and the REST
//! API cannot drift apart.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use super::error::EngineError;
use crate::apns::{AuthKind, PushType, Topic, Transport};
use crate::net::{Endpoint, Service, roots_from_pem};
use crate::simulator::{SIMULATOR_TOPIC, Simulator, TrustedKey};
use crate::store::identity::{Credential, CredentialFiles, IdentityMetadata, load_files};

/// Where to send.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Target {
    /// The built-in simulator (the default: works with no Apple account).
    Simulator,
    /// Apple's development environment.
    Sandbox,
    /// Apple's production environment.
    Production,
    /// Any host, e.g. an in-house gateway or a simulator elsewhere.
    Custom {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
}

impl FromStr for Target {
    type Err = EngineError;

    /// `simulator`, `sandbox`, `production` or `HOST:PORT` (an IPv6 host in brackets).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "simulator" => Ok(Target::Simulator),
            "sandbox" => Ok(Target::Sandbox),
            "production" => Ok(Target::Production),
            other => Endpoint::parse_host_port(other)
                .map(|(host, port)| Target::Custom { host, port })
                .ok_or_else(|| EngineError::BadTarget(other.to_owned())),
        }
    }
}

impl fmt::Display for Target {
    /// The text `from_str` reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Simulator => f.write_str("simulator"),
            Target::Sandbox => f.write_str("sandbox"),
            Target::Production => f.write_str("production"),
            Target::Custom { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Target::Custom { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

/// Which credential authenticates the send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialChoice {
    /// The built-in simulator's own certificate (only for the simulator).
    SimulatorOwn,
    /// An identity in the keychain, by name.
    Stored(String),
    /// Credential files used as they are, without importing them.
    Files(CredentialFiles),
}

/// Everything that decides where and how a notification travels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// Where to.
    pub target: Target,
    /// Apple's alternative port 2197 instead of 443 (HTTP/2 only).
    pub port_2197: bool,
    /// A PEM file of extra CA certificates to trust (a simulator's or a proxy's CA).
    pub ca: Option<PathBuf>,
    /// With what.
    pub credential: CredentialChoice,
    /// HTTP/2 or a legacy format.
    pub transport: Transport,
}

impl Default for Connection {
    fn default() -> Self {
        Self {
            target: Target::Simulator,
            port_2197: false,
            ca: None,
            credential: CredentialChoice::SimulatorOwn,
            transport: Transport::Http2,
        }
    }
}

/// How the history names a send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labels {
    /// The identity's name, the credential file's name, or `simulator`.
    pub identity: String,
    /// `simulator`, or the `host:port` connected to.
    pub endpoint: String,
    /// Certificate or token auth.
    pub auth: AuthKind,
}

/// A connection resolved: what the senders need.
pub struct Resolved {
    /// Where to connect.
    pub endpoint: Endpoint,
    /// How to authenticate.
    pub credential: Credential,
    /// How the history names the send.
    pub labels: Labels,
    /// The topics the certificate allows (empty for a token key).
    pub topics: Vec<String>,
}

/// The auth kind of a stored identity.
pub fn auth_kind(identity: &IdentityMetadata) -> AuthKind {
    match identity.kind {
        crate::store::identity::IdentityKind::Certificate => AuthKind::Certificate,
        crate::store::identity::IdentityKind::TokenKey => AuthKind::Token,
    }
}

/// The topic a notification goes out with: the one given, else the certificate's own
/// bundle id with the push type's suffix (a token key names no app, so none).
pub fn pick_topic(given: Option<&Topic>, topics: &[String], push_type: &PushType) -> Option<Topic> {
    if let Some(topic) = given {
        return Some(topic.clone());
    }
    let base: Topic = topics.first()?.parse().ok()?;
    Some(base.for_push_type(push_type))
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// What resolving needs from the engine: the identities and the built-in simulator.
pub(super) trait Resolver {
    /// A stored identity's metadata and credential (marks it used).
    fn stored(&self, name: &str, now: i64) -> Result<(IdentityMetadata, Credential), EngineError>;
    /// The running built-in simulator, started if it is not.
    async fn simulator(&self) -> Result<Arc<Simulator>, EngineError>;
}

fn read_ca(
    path: &std::path::Path,
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, EngineError> {
    let pem = crate::store::read_limited(path, crate::store::FileKind::CaCertificates)?;
    roots_from_pem(&pem).ok_or_else(|| EngineError::BadCa(path.to_owned()))
}

/// Resolves `connection` for `service`. The one place that decides endpoints, ports, trust,
/// credentials and labels. `needs_token` says the request takes token auth only (a Live
/// Activity, a location push, a broadcast): the simulator's own credential is then its
/// token key, for its own app. Blocking work (keychain, files) runs in place: call it from
/// a multi-threaded runtime.
pub(super) async fn resolve(
    resolver: &impl Resolver,
    connection: &Connection,
    service: Service,
    needs_token: bool,
) -> Result<Resolved, EngineError> {
    let now = now_secs();
    let (credential, topics, identity_label) = match &connection.credential {
        CredentialChoice::SimulatorOwn if needs_token => (
            None,
            vec![SIMULATOR_TOPIC.to_owned()],
            "simulator".to_owned(),
        ),
        CredentialChoice::SimulatorOwn => (None, Vec::new(), "simulator".to_owned()),
        CredentialChoice::Stored(name) => {
            let (metadata, credential) =
                tokio::task::block_in_place(|| resolver.stored(name, now))?;
            (Some(credential), metadata.topics, metadata.name)
        }
        CredentialChoice::Files(files) => {
            let (credential, topics) = tokio::task::block_in_place(|| load_files(files, now))?;
            (Some(credential), topics, files.label())
        }
    };
    let extra_roots = match &connection.ca {
        Some(path) => tokio::task::block_in_place(|| read_ca(path))?,
        None => Vec::new(),
    };
    let (endpoint, credential) = match &connection.target {
        Target::Simulator => {
            let simulator = resolver.simulator().await?;
            let endpoint = match service {
                Service::Http2 => simulator.http2_endpoint(),
                Service::LegacyGateway => simulator.legacy_endpoint(),
                Service::Feedback => simulator.feedback_endpoint(),
                Service::Channels => simulator.channels_endpoint(),
            };
            let credential = match credential {
                Some(credential) => credential,
                None if needs_token => Credential::Token(simulator.token_issuer()?),
                None => Credential::Certificate(simulator.client_identity(SIMULATOR_TOPIC)?),
            };
            // The simulator trusts a user's token key as APNs trusts the keys of the account.
            if let Credential::Token(issuer) = &credential {
                simulator.trust_token_key(TrustedKey {
                    public_key: issuer.public_key().to_vec(),
                    key_id: issuer.key_id().to_string(),
                    team_id: issuer.team_id().to_string(),
                });
            }
            (endpoint, credential)
        }
        target => {
            let credential =
                credential.ok_or_else(|| EngineError::NeedsIdentity(target.to_string()))?;
            let endpoint = match target {
                Target::Custom { host, port } => Endpoint::custom(host.clone(), *port, extra_roots),
                _ => {
                    let mut endpoint =
                        Endpoint::apple_service(service, *target == Target::Production);
                    if connection.port_2197 && service == Service::Http2 {
                        endpoint = endpoint.on_port_2197();
                    }
                    endpoint.extra_roots = extra_roots;
                    endpoint
                }
            };
            (endpoint, credential)
        }
    };
    let auth = match &credential {
        Credential::Certificate(_) => AuthKind::Certificate,
        Credential::Token(_) => AuthKind::Token,
    };
    if auth == AuthKind::Token && matches!(service, Service::LegacyGateway | Service::Feedback) {
        return Err(EngineError::LegacyNeedsCertificate);
    }
    let labels = Labels {
        identity: identity_label,
        endpoint: match connection.target {
            Target::Simulator => "simulator".to_owned(),
            _ => endpoint.address(),
        },
        auth,
    };
    Ok(Resolved {
        endpoint,
        credential,
        labels,
        topics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_front_end_reads_endpoints_the_same_way() {
        for text in [
            "simulator",
            "sandbox",
            "production",
            "gw.example:2195",
            "[::1]:8443",
        ] {
            let target: Target = text.parse().unwrap();
            assert_eq!(target.to_string(), text, "written back as read");
        }
        assert!(matches!(
            "gateway".parse::<Target>(),
            Err(EngineError::BadTarget(_))
        ));
    }

    #[test]
    fn a_certificate_names_the_topic_and_a_token_key_does_not() {
        let topics = vec![
            "com.example.app".to_owned(),
            "com.example.app.voip".to_owned(),
        ];
        assert_eq!(
            pick_topic(None, &topics, &PushType::LiveActivity).map(|t| t.to_string()),
            Some("com.example.app.push-type.liveactivity".to_owned())
        );
        assert_eq!(pick_topic(None, &[], &PushType::Alert), None);
        let given: Topic = "com.other".parse().unwrap();
        assert_eq!(
            pick_topic(Some(&given), &topics, &PushType::Alert),
            Some(given)
        );
    }
}
