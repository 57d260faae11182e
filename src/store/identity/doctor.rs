//! The doctor: reads a credential file and says, in plain words, what it is and
//! what is wrong with it.

use std::fmt;

use rustls_pki_types::CertificateDer;

use crate::apns::{ClientIdentity, IdentityError};
use crate::apns::{
    KeyId, ProviderToken, PushCertificate, SigningKey, TeamId, format_date, verify_provider_token,
};

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A fact worth knowing (topics, environment).
    Info,
    /// Works, but needs attention soon (expiring, unusual).
    Warning,
    /// Cannot be used; import is refused.
    Error,
}

/// One plain-language finding.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// How much it matters.
    pub level: Level,
    /// What the user should know or do.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.level {
            Level::Info => "ok",
            Level::Warning => "warning",
            Level::Error => "problem",
        };
        write!(f, "{label}: {}", self.message)
    }
}

fn finding(level: Level, message: impl Into<String>) -> Finding {
    Finding {
        level,
        message: message.into(),
    }
}

/// A credential file as given by the user. Its `Debug` hides the contents.
#[derive(Clone, Copy)]
pub enum CredentialFile<'a> {
    /// A certificate: PEM (with the key, or the key in `key`) or .p12/.pfx.
    Certificate {
        /// The file's bytes.
        bytes: &'a [u8],
        /// A separate PEM key file.
        key: Option<&'a [u8]>,
        /// The .p12 password.
        password: Option<&'a str>,
    },
    /// A .p8 token key with its ids.
    TokenKey {
        /// The PEM text.
        pem: &'a str,
        /// The 10-character key id.
        key_id: &'a str,
        /// The 10-character team id.
        team_id: &'a str,
    },
}

impl fmt::Debug for CredentialFile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialFile::Certificate { bytes, .. } => {
                write!(
                    f,
                    "CredentialFile::Certificate({} bytes, hidden)",
                    bytes.len()
                )
            }
            CredentialFile::TokenKey { key_id, .. } => {
                write!(f, "CredentialFile::TokenKey({key_id}, hidden)")
            }
        }
    }
}

/// A credential that loaded, ready to store or use.
pub enum LoadedCredential {
    /// A client certificate and its key, with what the certificate says.
    Certificate {
        /// Chain and key.
        identity: ClientIdentity,
        /// The leaf's facts.
        certificate: PushCertificate,
    },
    /// A token key and its ids.
    TokenKey {
        /// The signing key.
        key: SigningKey,
        /// Its key id.
        key_id: KeyId,
        /// Its team id.
        team_id: TeamId,
    },
}

/// What the doctor found.
pub struct Diagnosis {
    /// The credential, when it loaded at all.
    pub credential: Option<LoadedCredential>,
    /// Findings, worst first.
    pub findings: Vec<Finding>,
}

impl Diagnosis {
    /// Whether anything makes the credential unusable.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.level == Level::Error)
    }

    /// The first error's message.
    pub fn first_error(&self) -> Option<&str> {
        self.findings
            .iter()
            .find(|f| f.level == Level::Error)
            .map(|f| f.message.as_str())
    }
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|window| window == b"-----BEGIN ")
}

fn load_error(error: IdentityError) -> Finding {
    let message = match error {
        IdentityError::NoPrivateKey => "the private key is missing from the file: export the certificate together with its key (Keychain Access: select both, Export 2 items as .p12), or give the private key file with it".to_owned(),
        IdentityError::NoCertificate => "the file holds no certificate".to_owned(),
        other => other.to_string(),
    };
    finding(Level::Error, message)
}

/// Examines a credential file at `now` (UNIX seconds). Never panics on garbage.
pub fn diagnose(file: CredentialFile<'_>, now: i64) -> Diagnosis {
    match file {
        CredentialFile::Certificate {
            bytes,
            key,
            password,
        } => diagnose_certificate(bytes, key, password, now),
        CredentialFile::TokenKey {
            pem,
            key_id,
            team_id,
        } => diagnose_token_key(pem, key_id, team_id, now),
    }
}

fn diagnose_certificate(
    bytes: &[u8],
    key: Option<&[u8]>,
    password: Option<&str>,
    now: i64,
) -> Diagnosis {
    let failed = |finding: Finding| Diagnosis {
        credential: None,
        findings: vec![finding],
    };
    if bytes.is_empty() {
        return failed(finding(Level::Error, "the file is empty"));
    }
    let is_pem = looks_like_pem(bytes);
    if is_pem && bytes.windows(23).any(|w| w == b"ENCRYPTED PRIVATE KEY--") {
        return failed(finding(
            Level::Error,
            "the PEM key is encrypted, which Push Console cannot read yet; decrypt it with `openssl pkcs8 -in key.pem -out key-plain.pem`, import, then delete the plain file",
        ));
    }
    let loaded = if is_pem {
        ClientIdentity::from_pem(bytes, key)
    } else {
        ClientIdentity::from_p12(bytes, password.unwrap_or(""))
    };
    let identity = match loaded {
        Ok(identity) => identity,
        Err(IdentityError::BadP12(detail)) => {
            return failed(finding(
                Level::Error,
                format!(
                    "the file is neither PEM nor a readable .p12 ({detail}); is it truncated or another kind of file?"
                ),
            ));
        }
        Err(error) => return failed(load_error(error)),
    };
    let certificate = match PushCertificate::parse(identity.leaf()) {
        Ok(certificate) => certificate,
        Err(error) => return failed(finding(Level::Error, error.to_string())),
    };
    let mut findings = Vec::new();
    if !key_matches(&identity, &certificate) {
        findings.push(finding(
            Level::Error,
            "the certificate and the private key do not belong together; export them again as a pair",
        ));
    }
    let name = certificate
        .base_topic()
        .unwrap_or("this certificate")
        .to_owned();
    if certificate.is_expired(now) {
        findings.push(finding(
            Level::Error,
            format!("the certificate for {name} expired on {}; make a new one in the Apple Developer account", format_date(certificate.not_after)),
        ));
    } else if now < certificate.not_before {
        findings.push(finding(
            Level::Error,
            format!(
                "the certificate for {name} is not valid before {}; check this computer's clock",
                format_date(certificate.not_before)
            ),
        ));
    } else if certificate.days_left(now) < 30 {
        findings.push(finding(
            Level::Warning,
            format!(
                "the certificate for {name} expires on {} (in {} days); renew it soon",
                format_date(certificate.not_after),
                certificate.days_left(now)
            ),
        ));
    } else {
        findings.push(finding(
            Level::Info,
            format!("valid until {}", format_date(certificate.not_after)),
        ));
    }
    if certificate.is_push_certificate() {
        let environment = match (certificate.development, certificate.production) {
            (true, true) => "both sandbox and production",
            (true, false) => "sandbox (development) only",
            _ => "production only",
        };
        findings.push(finding(Level::Info, format!("environment: {environment}")));
    } else {
        findings.push(finding(
            Level::Warning,
            format!("not an Apple push certificate (no APNs environment extension; issued by {:?}); Apple will refuse it, though a custom gateway may not", certificate.issuer),
        ));
    }
    if certificate.topics.is_empty() {
        findings.push(finding(
            Level::Warning,
            "the certificate names no topic (bundle id); give the topic with each send",
        ));
    } else {
        findings.push(finding(
            Level::Info,
            format!("topics: {}", certificate.topics.join(", ")),
        ));
    }
    findings.sort_by_key(|finding| std::cmp::Reverse(finding.level));
    Diagnosis {
        credential: Some(LoadedCredential::Certificate {
            identity,
            certificate,
        }),
        findings,
    }
}

/// Whether the private key's public half is the certificate's public key.
fn key_matches(identity: &ClientIdentity, certificate: &PushCertificate) -> bool {
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    match provider
        .key_provider
        .load_private_key(identity.key().clone_key())
    {
        Ok(signing_key) => signing_key
            .public_key()
            .is_none_or(|public| public.as_ref() == certificate.public_key_info.as_slice()),
        Err(_) => false,
    }
}

fn diagnose_token_key(pem: &str, key_id: &str, team_id: &str, now: i64) -> Diagnosis {
    let mut findings = Vec::new();
    let key = SigningKey::from_p8_pem(pem)
        .map_err(|error| findings.push(finding(Level::Error, error.to_string())))
        .ok();
    let key_id = key_id
        .parse::<KeyId>()
        .map_err(|error| findings.push(finding(Level::Error, error.to_string())))
        .ok();
    let team_id = team_id
        .parse::<TeamId>()
        .map_err(|error| findings.push(finding(Level::Error, error.to_string())))
        .ok();
    let (Some(key), Some(key_id), Some(team_id)) = (key, key_id, team_id) else {
        return Diagnosis {
            credential: None,
            findings,
        };
    };
    findings.push(finding(Level::Info, "the key is a P-256 (ES256) key"));
    let now = u64::try_from(now).unwrap_or_default();
    match ProviderToken::sign(&key, &key_id, &team_id, now)
        .and_then(|token| verify_provider_token(token.as_str(), key.public_key(), now, 0))
    {
        Ok(_) => findings.push(finding(
            Level::Info,
            format!("a provider token for key {key_id}, team {team_id} signs and verifies; if APNs answers ExpiredProviderToken for a fresh token, this computer's clock is wrong"),
        )),
        Err(error) => findings.push(finding(Level::Error, format!("a provider token cannot be made: {error}"))),
    }
    findings.push(finding(
        Level::Info,
        "token keys work for every app of the team and both environments; give the topic (the app's bundle id) with each send",
    ));
    Diagnosis {
        credential: Some(LoadedCredential::TokenKey {
            key,
            key_id,
            team_id,
        }),
        findings,
    }
}

/// PEM text of a certificate chain (public; kept in the identity metadata).
pub fn chain_pem(chain: &[CertificateDer<'_>]) -> String {
    chain
        .iter()
        .map(|cert| pem::encode(&pem::Pem::new("CERTIFICATE", cert.as_ref().to_vec())))
        .collect()
}
