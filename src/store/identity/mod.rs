//! Identities: credentials whose secrets live in the keychain and whose public
//! facts live in `identities.json` in the config folder.

mod doctor;
mod files;

use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};
use zeroize::Zeroizing;

pub use doctor::{CredentialFile, Diagnosis, Finding, Level, LoadedCredential, diagnose};
pub use files::{CredentialContents, CredentialFiles, load_files};

use super::secrets::{SecretError, SecretStore};
use super::{DataPaths, FileError, write_atomically};
use crate::apns::ClientIdentity;
use crate::apns::{KeyId, SigningKey, TeamId, TokenIssuer};

/// Certificate or token key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// A TLS client certificate (.p12 / .pem).
    Certificate,
    /// A .p8 token signing key.
    TokenKey,
}

/// What is known about an identity without touching its secret.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdentityMetadata {
    /// The name the user calls it by.
    pub name: String,
    /// Certificate or token key.
    pub kind: IdentityKind,
    /// Topics the certificate allows (empty for token keys: any of the team's apps).
    pub topics: Vec<String>,
    /// Usable with the sandbox.
    pub development: bool,
    /// Usable with production.
    pub production: bool,
    /// Certificate validity end, UNIX seconds.
    pub not_after: Option<i64>,
    /// The certificate's subject common name.
    pub subject: Option<String>,
    /// The .p8 key id.
    pub key_id: Option<String>,
    /// The team id.
    pub team_id: Option<String>,
    /// The public certificate chain, PEM (no key).
    pub certificate_chain_pem: Option<String>,
    /// Where the secret is filed in the keychain.
    pub keychain_account: String,
    /// When it was imported, UNIX seconds.
    pub created_at: i64,
    /// When it last sent, UNIX seconds.
    pub last_used_at: Option<i64>,
}

/// A loaded credential for sending.
pub enum Credential {
    /// A client certificate.
    Certificate(ClientIdentity),
    /// A token issuer from a .p8 key.
    Token(TokenIssuer),
}

/// Why an identity operation failed.
#[derive(Debug, thiserror::Error)]
pub enum IdentityStoreError {
    /// The doctor found the credential unusable.
    #[error("{0}")]
    Unusable(String),
    /// The name is taken.
    #[error("an identity named {0:?} exists; give another name or delete it first")]
    NameTaken(String),
    /// No such identity.
    #[error("no identity named {0:?}")]
    NotFound(String),
    /// A .p8 key without its ids.
    #[error(
        "a .p8 token key needs its key id and team id (10 characters each, from the Apple Developer account)"
    )]
    MissingKeyIds,
    /// A file that should be text is not.
    #[error("{} is not a text (PEM) file", .0.display())]
    NotText(std::path::PathBuf),
    /// The keychain failed; nothing was written in plaintext instead.
    #[error(transparent)]
    Keychain(#[from] SecretError),
    /// A credential file could not be read, or the metadata file written.
    #[error(transparent)]
    File(#[from] FileError),
    /// The metadata file is damaged.
    #[error("{path} is damaged ({detail}); move it away to start with an empty identity list")]
    BadMetadata {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
}

#[derive(Default, serde::Serialize, serde::Deserialize)]
struct MetadataFile {
    version: u32,
    identities: Vec<IdentityMetadata>,
}

const KEY_PKCS1: u8 = 1;
const KEY_SEC1: u8 = 2;
const KEY_PKCS8: u8 = 3;

fn key_blob(key: &PrivateKeyDer<'_>) -> Zeroizing<Vec<u8>> {
    let (tag, der) = match key {
        PrivateKeyDer::Pkcs1(der) => (KEY_PKCS1, der.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(der) => (KEY_SEC1, der.secret_sec1_der()),
        _ => (KEY_PKCS8, key.secret_der()),
    };
    let mut blob = Zeroizing::new(Vec::with_capacity(der.len() + 1));
    blob.push(tag);
    blob.extend_from_slice(der);
    blob
}

fn key_from_blob(blob: &[u8]) -> Option<PrivateKeyDer<'static>> {
    let (&tag, der) = blob.split_first()?;
    let der = der.to_vec();
    match tag {
        KEY_PKCS1 => Some(PrivatePkcs1KeyDer::from(der).into()),
        KEY_SEC1 => Some(PrivateSec1KeyDer::from(der).into()),
        KEY_PKCS8 => Some(PrivatePkcs8KeyDer::from(der).into()),
        _ => None,
    }
}

/// Identities on this computer.
pub struct IdentityStore {
    paths: DataPaths,
    secrets: Arc<dyn SecretStore>,
}

impl IdentityStore {
    /// The store over `paths`, keeping secrets in `secrets`.
    pub fn new(paths: DataPaths, secrets: Arc<dyn SecretStore>) -> Self {
        Self { paths, secrets }
    }

    /// Which keychain holds the secrets, and what that means.
    pub fn keychain_description(&self) -> String {
        self.secrets.description()
    }

    fn metadata_path(&self) -> std::path::PathBuf {
        self.paths.config_dir.join("identities.json")
    }

    fn load(&self) -> Result<MetadataFile, IdentityStoreError> {
        let path = self.metadata_path();
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|error| IdentityStoreError::BadMetadata {
                    path: path.display().to_string(),
                    detail: error.to_string(),
                })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(MetadataFile {
                version: 1,
                identities: Vec::new(),
            }),
            Err(error) => Err(IdentityStoreError::BadMetadata {
                path: path.display().to_string(),
                detail: error.to_string(),
            }),
        }
    }

    fn save(&self, file: &MetadataFile) -> Result<(), IdentityStoreError> {
        let bytes =
            serde_json::to_vec_pretty(file).map_err(|error| IdentityStoreError::BadMetadata {
                path: self.metadata_path().display().to_string(),
                detail: error.to_string(),
            })?;
        write_atomically(&self.metadata_path(), &bytes)?;
        Ok(())
    }

    /// Every identity, in import order.
    pub fn list(&self) -> Result<Vec<IdentityMetadata>, IdentityStoreError> {
        Ok(self.load()?.identities)
    }

    /// One identity by name.
    pub fn get(&self, name: &str) -> Result<IdentityMetadata, IdentityStoreError> {
        self.list()?
            .into_iter()
            .find(|identity| identity.name == name)
            .ok_or_else(|| IdentityStoreError::NotFound(name.to_owned()))
    }

    /// Checks `file` with the doctor and, if usable, stores its secret in the
    /// keychain and its public facts in the metadata file. Returns the metadata
    /// and the doctor's findings.
    pub fn import(
        &self,
        file: CredentialFile<'_>,
        name: Option<&str>,
        now: i64,
    ) -> Result<(IdentityMetadata, Vec<Finding>), IdentityStoreError> {
        let diagnosis = diagnose(file, now);
        if let Some(error) = diagnosis.first_error() {
            return Err(IdentityStoreError::Unusable(error.to_owned()));
        }
        let Some(credential) = diagnosis.credential else {
            return Err(IdentityStoreError::Unusable(
                "the credential could not be read".into(),
            ));
        };
        let account = format!("identity-{}", uuid::Uuid::new_v4());
        let (metadata, secret) = match &credential {
            LoadedCredential::Certificate {
                identity,
                certificate,
            } => (
                IdentityMetadata {
                    name: name
                        .map(str::to_owned)
                        .or_else(|| certificate.base_topic().map(str::to_owned))
                        .or_else(|| certificate.common_name.clone())
                        .unwrap_or_else(|| "certificate".into()),
                    kind: IdentityKind::Certificate,
                    topics: certificate.topics.clone(),
                    development: certificate.development,
                    production: certificate.production,
                    not_after: Some(certificate.not_after),
                    subject: certificate.common_name.clone(),
                    key_id: None,
                    team_id: None,
                    certificate_chain_pem: Some(doctor::chain_pem(identity.chain())),
                    keychain_account: account.clone(),
                    created_at: now,
                    last_used_at: None,
                },
                key_blob(identity.key()),
            ),
            LoadedCredential::TokenKey {
                key,
                key_id,
                team_id,
            } => (
                IdentityMetadata {
                    name: name
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("{team_id} key {key_id}")),
                    kind: IdentityKind::TokenKey,
                    topics: Vec::new(),
                    development: true,
                    production: true,
                    not_after: None,
                    subject: None,
                    key_id: Some(key_id.to_string()),
                    team_id: Some(team_id.to_string()),
                    certificate_chain_pem: None,
                    keychain_account: account.clone(),
                    created_at: now,
                    last_used_at: None,
                },
                key_blob(&PrivatePkcs8KeyDer::from(key.pkcs8_der().to_vec()).into()),
            ),
        };
        let mut file = self.load()?;
        if file
            .identities
            .iter()
            .any(|identity| identity.name == metadata.name)
        {
            return Err(IdentityStoreError::NameTaken(metadata.name));
        }
        self.secrets.put(&account, &secret)?;
        file.version = 1;
        file.identities.push(metadata.clone());
        if let Err(error) = self.save(&file) {
            // Don't leave an orphaned secret behind a failed import.
            let _ = self.secrets.delete(&account);
            return Err(error);
        }
        Ok((metadata, diagnosis.findings))
    }

    /// The doctor's findings on a stored identity: its key read back from the keychain and
    /// checked with its certificate (or ids) exactly as an import checks a file.
    pub fn doctor(&self, name: &str, now: i64) -> Result<Vec<Finding>, IdentityStoreError> {
        let metadata = self.get(name)?;
        let secret = self.secrets.get(&metadata.keychain_account)?;
        let key = key_from_blob(&secret).ok_or_else(|| SecretError::Damaged {
            account: metadata.keychain_account.clone(),
        })?;
        let label = match &key {
            PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
            PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
            _ => "PRIVATE KEY",
        };
        let key_pem = Zeroizing::new(pem::encode(&pem::Pem::new(
            label,
            key.secret_der().to_vec(),
        )));
        let diagnosis = match metadata.kind {
            IdentityKind::Certificate => {
                let chain = metadata
                    .certificate_chain_pem
                    .as_deref()
                    .unwrap_or_default();
                diagnose(
                    CredentialFile::Certificate {
                        bytes: chain.as_bytes(),
                        key: Some(key_pem.as_bytes()),
                        password: None,
                    },
                    now,
                )
            }
            IdentityKind::TokenKey => diagnose(
                CredentialFile::TokenKey {
                    pem: &key_pem,
                    key_id: metadata.key_id.as_deref().unwrap_or_default(),
                    team_id: metadata.team_id.as_deref().unwrap_or_default(),
                },
                now,
            ),
        };
        let mut findings = vec![Finding {
            level: Level::Info,
            message: format!("the key is in the {}", self.secrets.description()),
        }];
        findings.extend(diagnosis.findings);
        Ok(findings)
    }

    /// Loads an identity's credential from the keychain for sending, and notes its use.
    pub fn credential(
        &self,
        name: &str,
        now: i64,
    ) -> Result<(IdentityMetadata, Credential), IdentityStoreError> {
        let metadata = self.get(name)?;
        let metadata = &metadata;
        let secret = self.secrets.get(&metadata.keychain_account)?;
        let damaged = || SecretError::Damaged {
            account: metadata.keychain_account.clone(),
        };
        let key = key_from_blob(&secret).ok_or_else(damaged)?;
        let credential = match metadata.kind {
            IdentityKind::Certificate => {
                let chain = CertificateDer::pem_slice_iter(
                    metadata
                        .certificate_chain_pem
                        .as_deref()
                        .unwrap_or_default()
                        .as_bytes(),
                )
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| IdentityStoreError::BadMetadata {
                    path: self.metadata_path().display().to_string(),
                    detail: error.to_string(),
                })?;
                Credential::Certificate(ClientIdentity::from_der(chain, key))
            }
            IdentityKind::TokenKey => {
                let signing =
                    SigningKey::from_pkcs8_der(key.secret_der().to_vec()).map_err(|_| damaged())?;
                let bad_id = |detail: String| IdentityStoreError::BadMetadata {
                    path: self.metadata_path().display().to_string(),
                    detail,
                };
                let key_id: KeyId = metadata
                    .key_id
                    .as_deref()
                    .unwrap_or_default()
                    .parse()
                    .map_err(|e: crate::apns::IdError| bad_id(e.to_string()))?;
                let team_id: TeamId = metadata
                    .team_id
                    .as_deref()
                    .unwrap_or_default()
                    .parse()
                    .map_err(|e: crate::apns::IdError| bad_id(e.to_string()))?;
                Credential::Token(TokenIssuer::new(signing, key_id, team_id))
            }
        };
        let mut metadata = metadata.clone();
        metadata.last_used_at = Some(now);
        self.note_use(name, now);
        Ok((metadata, credential))
    }

    /// Records when an identity was last used. Read afresh just before writing,
    /// so an import running at the same time is not overwritten; a failure (a
    /// read-only folder) only loses the date, so it must not stop a send.
    fn note_use(&self, name: &str, now: i64) {
        let result = self.load().and_then(|mut file| {
            if let Some(identity) = file
                .identities
                .iter_mut()
                .find(|identity| identity.name == name)
            {
                identity.last_used_at = Some(now);
            }
            self.save(&file)
        });
        if let Err(error) = result {
            tracing::warn!(%error, "could not note when the identity was last used");
        }
    }

    /// Deletes an identity: its keychain secret, then its metadata.
    pub fn delete(&self, name: &str) -> Result<IdentityMetadata, IdentityStoreError> {
        let mut file = self.load()?;
        let index = file
            .identities
            .iter()
            .position(|identity| identity.name == name)
            .ok_or_else(|| IdentityStoreError::NotFound(name.to_owned()))?;
        self.secrets
            .delete(&file.identities[index].keychain_account)?;
        let removed = file.identities.remove(index);
        self.save(&file)?;
        Ok(removed)
    }
}
