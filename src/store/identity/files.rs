//! Credential files as a user names them, and the one place that decides what kind of
//! credential they hold and which ids it needs: imports and one-off sends both read here.

use std::fmt;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::doctor::{CredentialFile, LoadedCredential, diagnose};
use super::{Credential, IdentityStoreError};

/// A certificate (.p12/.pfx/.pem, with an optional separate key) or a .p8 token key with
/// its ids. Its `Debug` hides the password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CredentialFiles {
    /// The .p12/.pfx/.pem/.p8 file.
    pub path: PathBuf,
    /// A separate PEM private key, for a certificate in a PEM file of its own.
    pub key_path: Option<PathBuf>,
    /// The .p12 password (none: the empty password is tried).
    pub password: Option<String>,
    /// The .p8 key's 10-character key id.
    pub key_id: Option<String>,
    /// The 10-character team id.
    pub team_id: Option<String>,
    /// The credential's bytes, when they arrive as text rather than as a file (PEM text
    /// posted to the REST API): `path` then only names it, and nothing is written to disk.
    pub contents: Option<Zeroizing<Vec<u8>>>,
}

impl fmt::Debug for CredentialFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialFiles")
            .field("path", &self.path)
            .field("key_path", &self.key_path)
            .field("password", &self.password.as_ref().map(|_| "hidden"))
            .field("key_id", &self.key_id)
            .field("team_id", &self.team_id)
            .field("contents", &self.contents.as_ref().map(|_| "hidden"))
            .finish()
    }
}

/// What credential files hold, read once; the bytes are zeroed when dropped.
pub struct CredentialContents<'a> {
    files: &'a CredentialFiles,
    bytes: Zeroizing<Vec<u8>>,
    key: Option<Zeroizing<Vec<u8>>>,
}

fn read(path: &Path) -> Result<Zeroizing<Vec<u8>>, IdentityStoreError> {
    Ok(Zeroizing::new(crate::store::read_limited(
        path,
        crate::store::FileKind::Credential,
    )?))
}

impl CredentialFiles {
    /// Whether these name a .p8 token key: by the file's extension, or because a key id or
    /// team id is given (a token key saved under another name).
    pub fn is_token_key(&self) -> bool {
        self.key_id.is_some()
            || self.team_id.is_some()
            || self
                .path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("p8"))
    }

    /// The name a one-off send is recorded under: the file's name.
    pub fn label(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        )
    }

    /// Reads the files.
    pub fn read(&self) -> Result<CredentialContents<'_>, IdentityStoreError> {
        let bytes = match &self.contents {
            Some(contents) => contents.clone(),
            None => read(&self.path)?,
        };
        Ok(CredentialContents {
            files: self,
            bytes,
            key: self.key_path.as_deref().map(read).transpose()?,
        })
    }
}

impl CredentialContents<'_> {
    /// The credential as the doctor reads it.
    pub fn file(&self) -> Result<CredentialFile<'_>, IdentityStoreError> {
        let files = self.files;
        if files.is_token_key() {
            let (Some(key_id), Some(team_id)) = (files.key_id.as_deref(), files.team_id.as_deref())
            else {
                return Err(IdentityStoreError::MissingKeyIds);
            };
            let pem = std::str::from_utf8(&self.bytes)
                .map_err(|_| IdentityStoreError::NotText(files.path.clone()))?;
            return Ok(CredentialFile::TokenKey {
                pem,
                key_id,
                team_id,
            });
        }
        Ok(CredentialFile::Certificate {
            bytes: &self.bytes,
            key: self.key.as_deref().map(Vec::as_slice),
            password: files.password.as_deref(),
        })
    }
}

/// Credential files loaded for use without importing them, checked by the doctor exactly as
/// an import is: the credential and the topics its certificate names.
pub fn load_files(
    files: &CredentialFiles,
    now: i64,
) -> Result<(Credential, Vec<String>), IdentityStoreError> {
    let contents = files.read()?;
    let diagnosis = diagnose(contents.file()?, now);
    if let Some(error) = diagnosis.first_error() {
        return Err(IdentityStoreError::Unusable(format!(
            "{}: {error}",
            files.path.display()
        )));
    }
    match diagnosis.credential {
        Some(LoadedCredential::Certificate {
            identity,
            certificate,
        }) => Ok((Credential::Certificate(identity), certificate.topics)),
        Some(LoadedCredential::TokenKey {
            key,
            key_id,
            team_id,
        }) => Ok((
            Credential::Token(crate::apns::TokenIssuer::new(key, key_id, team_id)),
            Vec::new(),
        )),
        None => Err(IdentityStoreError::Unusable(format!(
            "{}: the credential could not be read",
            files.path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_key_is_told_by_its_extension_or_its_ids() {
        let named = |path: &str| CredentialFiles {
            path: path.into(),
            ..CredentialFiles::default()
        };
        assert!(named("AuthKey_ABC.P8").is_token_key());
        assert!(!named("push.p12").is_token_key());
        let renamed = CredentialFiles {
            key_id: Some("ABCDE12345".into()),
            ..named("key.txt")
        };
        assert!(renamed.is_token_key());
    }

    #[test]
    fn a_token_key_without_its_ids_says_which_it_needs() {
        let dir = std::env::temp_dir().join(format!("pc-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("AuthKey.p8");
        std::fs::write(&path, "-----BEGIN PRIVATE KEY-----\n").unwrap();
        let files = CredentialFiles {
            path,
            ..CredentialFiles::default()
        };
        let contents = files.read().unwrap();
        assert!(matches!(
            contents.file(),
            Err(IdentityStoreError::MissingKeyIds)
        ));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_password_is_not_printed() {
        let files = CredentialFiles {
            path: "push.p12".into(),
            password: Some("s3cret".into()),
            ..CredentialFiles::default()
        };
        assert!(!format!("{files:?}").contains("s3cret"));
    }
}
