//! Secrets in the OS keychain (macOS Keychain, Windows Credential Manager, Linux
//! Secret Service or kernel keyutils), never anywhere else.

use std::fmt;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use zeroize::Zeroizing;

/// The keychain "service" every Push Console secret is filed under.
pub const SERVICE: &str = "push-console";

/// Windows limits one credential to 2,560 bytes; secrets are split into parts
/// of this size everywhere so that an RSA-4096 key fits on every platform.
const PART_BYTES: usize = 2048;

/// Why the keychain could not be used. Never falls back to plaintext.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The keychain is locked or refuses access.
    #[error(
        "the {backend} is locked or refused access ({detail}); unlock it (log in to your desktop session, or unlock the keychain) and try again"
    )]
    Locked {
        /// Which keychain.
        backend: &'static str,
        /// What it said.
        detail: String,
    },
    /// No keychain is available at all.
    #[error(
        "no keychain is available ({detail}); on Linux run a Secret Service (GNOME Keyring, KWallet) or allow kernel keyrings (keyutils)"
    )]
    Unavailable {
        /// What failed.
        detail: String,
    },
    /// The secret is missing.
    #[error(
        "the keychain has no secret for {account}: it was deleted outside Push Console, or (kernel keyring) lost at reboot; import the identity again"
    )]
    Missing {
        /// The account name.
        account: String,
    },
    /// The keychain failed.
    #[error("the {backend} failed: {detail}")]
    Failed {
        /// Which keychain.
        backend: &'static str,
        /// What it said.
        detail: String,
    },
    /// The stored bytes are damaged.
    #[error("the secret for {account} in the keychain is damaged; import the identity again")]
    Damaged {
        /// The account name.
        account: String,
    },
}

/// Somewhere to keep secrets by account name.
pub trait SecretStore: Send + Sync {
    /// Stores `secret` under `account`, replacing what was there.
    fn put(&self, account: &str, secret: &[u8]) -> Result<(), SecretError>;
    /// The secret under `account`.
    fn get(&self, account: &str) -> Result<Zeroizing<Vec<u8>>, SecretError>;
    /// Removes the secret under `account`; absent is not an error.
    fn delete(&self, account: &str) -> Result<(), SecretError>;
    /// Which keychain this is, and what that means for the user's keys.
    fn description(&self) -> String;
}

/// The OS keychain, or, when it cannot be opened, a store whose every operation says why:
/// nothing is ever kept anywhere else instead.
pub fn open_keychain() -> Arc<dyn SecretStore> {
    match Keychain::open() {
        Ok(keychain) => Arc::new(keychain),
        Err(error) => Arc::new(NoKeychain(error.to_string())),
    }
}

struct NoKeychain(String);

impl NoKeychain {
    fn error(&self) -> SecretError {
        SecretError::Unavailable {
            detail: self.0.clone(),
        }
    }
}

impl SecretStore for NoKeychain {
    fn put(&self, _: &str, _: &[u8]) -> Result<(), SecretError> {
        Err(self.error())
    }
    fn get(&self, _: &str) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        Err(self.error())
    }
    fn delete(&self, _: &str) -> Result<(), SecretError> {
        Err(self.error())
    }
    fn description(&self) -> String {
        format!("keychain, which is unavailable: {}", self.0)
    }
}

/// The operating system's keychain through `keyring-core`.
pub struct Keychain {
    store: Arc<CredentialStore>,
    backend: &'static str,
    note: &'static str,
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keychain({})", self.backend)
    }
}

fn part_account(account: &str, part: usize) -> String {
    if part == 0 {
        account.to_owned()
    } else {
        format!("{account}~{part}")
    }
}

impl Keychain {
    /// Opens the platform keychain. On Linux: Secret Service when a session bus
    /// offers one, else the kernel keyring (joining a session keyring when the
    /// process has none, as in containers and CI).
    pub fn open() -> Result<Self, SecretError> {
        platform::open()
    }

    fn entry(&self, account: &str) -> Result<Entry, SecretError> {
        Entry::new_in_store(&self.store, SERVICE, account)
            .map_err(|error| self.error(account, error))
    }

    fn error(&self, account: &str, error: KeyringError) -> SecretError {
        match error {
            KeyringError::NoEntry => SecretError::Missing {
                account: account.to_owned(),
            },
            KeyringError::NoStorageAccess(detail) => SecretError::Locked {
                backend: self.backend,
                detail: detail.to_string(),
            },
            KeyringError::BadDataFormat(..) | KeyringError::BadEncoding(_) => {
                SecretError::Damaged {
                    account: account.to_owned(),
                }
            }
            other => SecretError::Failed {
                backend: self.backend,
                detail: other.to_string(),
            },
        }
    }
}

impl SecretStore for Keychain {
    fn put(&self, account: &str, secret: &[u8]) -> Result<(), SecretError> {
        // A shorter secret must not leave parts of the longer one behind.
        self.delete(account)?;
        let parts: Vec<&[u8]> = secret.chunks(PART_BYTES).collect();
        // The first part starts with the number of parts, so that reading knows where to stop.
        let count = u8::try_from(parts.len().max(1)).map_err(|_| SecretError::Failed {
            backend: self.backend,
            detail: "the secret is too large".into(),
        })?;
        for (index, part) in parts.iter().enumerate().rev() {
            let mut bytes = Zeroizing::new(Vec::with_capacity(part.len() + 1));
            if index == 0 {
                bytes.push(count);
            }
            bytes.extend_from_slice(part);
            let account_part = part_account(account, index);
            if let Err(error) = self.entry(&account_part).and_then(|entry| {
                entry
                    .set_secret(&bytes)
                    .map_err(|error| self.error(&account_part, error))
            }) {
                // Later parts went in first; don't leave them behind a failed write.
                for written in index + 1..parts.len() {
                    if let Ok(entry) = self.entry(&part_account(account, written)) {
                        let _ = entry.delete_credential();
                    }
                }
                return Err(error);
            }
        }
        if parts.is_empty() {
            self.entry(account)?
                .set_secret(&[1])
                .map_err(|error| self.error(account, error))?;
        }
        Ok(())
    }

    fn get(&self, account: &str) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        let first = Zeroizing::new(
            self.entry(account)?
                .get_secret()
                .map_err(|error| self.error(account, error))?,
        );
        let (&count, head) = first.split_first().ok_or_else(|| SecretError::Damaged {
            account: account.to_owned(),
        })?;
        let mut secret = Zeroizing::new(head.to_vec());
        for index in 1..usize::from(count) {
            let account_part = part_account(account, index);
            let part = Zeroizing::new(
                self.entry(&account_part)?
                    .get_secret()
                    .map_err(|error| self.error(&account_part, error))?,
            );
            secret.extend_from_slice(&part);
        }
        Ok(secret)
    }

    fn delete(&self, account: &str) -> Result<(), SecretError> {
        // The part count is in the first part; read it directly so that a
        // missing later part does not leave the first (most of a key) behind.
        let count = match self.entry(account)?.get_secret() {
            Ok(first) => usize::from(Zeroizing::new(first).first().copied().unwrap_or(1)).max(1),
            Err(KeyringError::NoEntry) => return Ok(()),
            Err(KeyringError::BadDataFormat(..) | KeyringError::BadEncoding(_)) => 1,
            Err(error) => return Err(self.error(account, error)),
        };
        for index in 0..count {
            let account_part = part_account(account, index);
            match self.entry(&account_part)?.delete_credential() {
                Ok(()) | Err(KeyringError::NoEntry) => {}
                Err(error) => return Err(self.error(&account_part, error)),
            }
        }
        Ok(())
    }

    fn description(&self) -> String {
        format!("{}: {}", self.backend, self.note)
    }
}

/// Secrets in this process's memory only, gone when it exits: for UI tests and
/// demos, never the app's store (it would lose keys without saying so).
#[derive(Default)]
pub struct MemoryStore {
    secrets: std::sync::Mutex<std::collections::HashMap<String, Zeroizing<Vec<u8>>>>,
}

impl SecretStore for MemoryStore {
    fn put(&self, account: &str, secret: &[u8]) -> Result<(), SecretError> {
        let mut secrets = self
            .secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        secrets.insert(account.to_owned(), Zeroizing::new(secret.to_vec()));
        Ok(())
    }

    fn get(&self, account: &str) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        let secrets = self
            .secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        secrets
            .get(account)
            .cloned()
            .ok_or_else(|| SecretError::Missing {
                account: account.to_owned(),
            })
    }

    fn delete(&self, account: &str) -> Result<(), SecretError> {
        let mut secrets = self
            .secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        secrets.remove(account);
        Ok(())
    }

    fn description(&self) -> String {
        "memory of this process (test store): gone when it exits".to_owned()
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use super::*;

    const KEYUTILS: &str = "Linux kernel keyring (keyutils)";
    const SECRET_SERVICE: &str = "Secret Service keyring";

    pub fn open() -> Result<Keychain, SecretError> {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
            && let Ok(store) = zbus_secret_service_keyring_store::Store::new()
        {
            let keychain = Keychain {
                store,
                backend: SECRET_SERVICE,
                note: "kept encrypted on disk by your desktop keyring (GNOME Keyring, KWallet)",
            };
            // A bus without a running service fails here; fall back to keyutils then.
            match keychain.entry("probe").and_then(|entry| {
                entry
                    .get_secret()
                    .map_err(|error| keychain.error("probe", error))
            }) {
                Ok(_) | Err(SecretError::Missing { .. }) => return Ok(keychain),
                Err(error) => tracing::debug!(%error, "Secret Service unusable; using keyutils"),
            }
        }
        // Processes started outside a login session (containers, CI, services)
        // have no session keyring; creating one lets keyutils work there too.
        linux_keyutils::KeyRing::from_special_id(linux_keyutils::KeyRingIdentifier::Session, true)
            .map_err(|error| SecretError::Unavailable {
                detail: format!("kernel keyring: {error:?}"),
            })?;
        let store = linux_keyutils_keyring_store::Store::new().map_err(|error| {
            SecretError::Unavailable {
                detail: error.to_string(),
            }
        })?;
        Ok(Keychain {
            store,
            backend: KEYUTILS,
            note: "kept in kernel memory only: lost at reboot, and dropped after 3 days unused; run a Secret Service (GNOME Keyring, KWallet) to keep keys across reboots",
        })
    }
}

#[cfg(target_os = "macos")]
mod platform {
    use super::*;

    pub fn open() -> Result<Keychain, SecretError> {
        let store = apple_native_keyring_store::keychain::Store::new().map_err(|error| {
            SecretError::Unavailable {
                detail: error.to_string(),
            }
        })?;
        Ok(Keychain {
            store,
            backend: "macOS Keychain",
            note: "kept in your login keychain",
        })
    }
}

#[cfg(target_os = "windows")]
mod platform {
    use super::*;

    pub fn open() -> Result<Keychain, SecretError> {
        let store = windows_native_keyring_store::Store::new().map_err(|error| {
            SecretError::Unavailable {
                detail: error.to_string(),
            }
        })?;
        Ok(Keychain {
            store,
            backend: "Windows Credential Manager",
            note: "kept in your Windows credentials",
        })
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
mod platform {
    use super::*;

    pub fn open() -> Result<Keychain, SecretError> {
        Err(SecretError::Unavailable {
            detail: "this operating system has no supported keychain".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_through_the_real_keychain_in_parts() {
        let keychain = Keychain::open().expect("a keychain is available");
        let account = format!("test-{}", uuid::Uuid::new_v4());
        let secret: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        keychain.put(&account, &secret).unwrap();
        assert_eq!(*keychain.get(&account).unwrap(), secret);
        keychain.put(&account, b"short").unwrap();
        assert_eq!(*keychain.get(&account).unwrap(), b"short");
        keychain.delete(&account).unwrap();
        assert!(matches!(
            keychain.get(&account),
            Err(SecretError::Missing { .. })
        ));
        keychain.delete(&account).unwrap();
        assert!(!keychain.description().is_empty());
    }
}
