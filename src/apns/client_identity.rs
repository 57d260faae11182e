//! A TLS client certificate and its private key, read from PEM or .p12 bytes.

use std::fmt;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A TLS client certificate with its private key. The key is never printed.
pub struct ClientIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// Why a client identity could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// No certificate in the PEM text.
    #[error("no certificate found (expected \"-----BEGIN CERTIFICATE-----\")")]
    NoCertificate,
    /// No private key in the PEM text.
    #[error(
        "no private key found (expected \"-----BEGIN PRIVATE KEY-----\", \"RSA PRIVATE KEY\" or \"EC PRIVATE KEY\"); give the private key file too"
    )]
    NoPrivateKey,
    /// The PEM text is damaged.
    #[error("the PEM file is damaged: {0}")]
    BadPem(String),
    /// The .p12 password is wrong.
    #[error("the .p12 password is wrong (an empty password is tried when none is given)")]
    WrongP12Password,
    /// The .p12 file could not be read.
    #[error("the .p12 file cannot be read: {0}")]
    BadP12(String),
    /// The .p12 file holds no certificate with its private key.
    #[error(
        "the .p12 file holds no certificate together with its private key; export the certificate and key from Keychain Access together"
    )]
    P12WithoutIdentity,
}

impl ClientIdentity {
    /// Reads a certificate chain and its key from PEM text: both in one file
    /// (`key_pem` = `None`) or in two.
    pub fn from_pem(cert_pem: &[u8], key_pem: Option<&[u8]>) -> Result<Self, IdentityError> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| IdentityError::BadPem(error.to_string()))?;
        if chain.is_empty() {
            return Err(IdentityError::NoCertificate);
        }
        let key =
            PrivateKeyDer::from_pem_slice(key_pem.unwrap_or(cert_pem)).map_err(
                |error| match error {
                    rustls_pki_types::pem::Error::NoItemsFound => IdentityError::NoPrivateKey,
                    other => IdentityError::BadPem(other.to_string()),
                },
            )?;
        Ok(Self { chain, key })
    }

    /// Reads a .p12/.pfx file (including the legacy RC2/3DES encryption that
    /// macOS Keychain Access exports), with `password` ("" for none).
    pub fn from_p12(bytes: &[u8], password: &str) -> Result<Self, IdentityError> {
        use p12_keystore::error::Error as P12Error;
        use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};
        let store = KeyStore::from_pkcs12(bytes, password, Pkcs12ImportPolicy::Relaxed).map_err(
            |error| match error {
                P12Error::MacError(_) => IdentityError::WrongP12Password,
                other => IdentityError::BadP12(other.to_string()),
            },
        )?;
        let chain = store
            .entries()
            .find_map(|(_, entry)| match entry {
                KeyStoreEntry::PrivateKeyChain(chain) if !chain.certs().is_empty() => Some(chain),
                _ => None,
            })
            .ok_or(IdentityError::P12WithoutIdentity)?;
        let certificates = chain
            .certs()
            .iter()
            .map(|cert| CertificateDer::from(cert.as_der().to_vec()))
            .collect();
        let key = PrivateKeyDer::try_from(chain.key().as_der().to_vec())
            .map_err(|error| IdentityError::BadP12(error.to_string()))?;
        Ok(Self::from_der(certificates, key))
    }

    /// Wraps DER parts already parsed (from a .p12 or the keychain).
    pub fn from_der(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Self {
        Self { chain, key }
    }

    /// The certificate chain, leaf first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// The private key, for storing it in the keychain and presenting it in TLS.
    pub(crate) fn key(&self) -> &PrivateKeyDer<'static> {
        &self.key
    }

    /// The leaf certificate.
    pub fn leaf(&self) -> &CertificateDer<'static> {
        &self.chain[0]
    }

    /// A SHA-256 over the chain and the key: two identities with the same fingerprint
    /// present the same credential, so a connection made with one serves the other.
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        for certificate in &self.chain {
            context.update(&(certificate.len() as u64).to_be_bytes());
            context.update(certificate);
        }
        context.update(self.key.secret_der());
        let mut fingerprint = [0; 32];
        fingerprint.copy_from_slice(context.finish().as_ref());
        fingerprint
    }
}

impl Clone for ClientIdentity {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ClientIdentity({} certificates, key hidden)",
            self.chain.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P12: &[u8] = include_bytes!("../../tests/fixtures/keychain-legacy-rc2-3des.p12");

    /// A self-signed certificate and its key, both PEM.
    fn pem_pair() -> (String, String) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let certificate = rcgen::CertificateParams::new(vec!["push.example".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (certificate.pem(), key.serialize_pem())
    }

    #[test]
    fn a_keychain_p12_opens_with_its_password_only() {
        let identity = ClientIdentity::from_p12(P12, "fixture").unwrap();
        assert!(!identity.chain().is_empty());
        assert_eq!(identity.leaf(), &identity.chain()[0]);
        assert!(matches!(
            ClientIdentity::from_p12(P12, "wrong"),
            Err(IdentityError::WrongP12Password)
        ));
        assert!(matches!(
            ClientIdentity::from_p12(b"not a p12", "fixture"),
            Err(IdentityError::BadP12(_))
        ));
    }

    #[test]
    fn pem_reads_a_certificate_with_its_key_in_one_file_or_two() {
        let (certificate, key) = pem_pair();
        let apart = ClientIdentity::from_pem(certificate.as_bytes(), Some(key.as_bytes())).unwrap();
        let together = format!("{certificate}{key}");
        let one_file = ClientIdentity::from_pem(together.as_bytes(), None).unwrap();
        assert_eq!(apart.chain(), one_file.chain());
        assert_eq!(apart.fingerprint(), one_file.fingerprint());
        assert_eq!(apart.key().secret_der(), one_file.key().secret_der());
        assert_eq!(
            format!("{apart:?}"),
            "ClientIdentity(1 certificates, key hidden)"
        );
        assert!(!format!("{apart:?}").contains("PRIVATE"));
    }

    #[test]
    fn pem_without_a_certificate_or_a_key_says_which_is_missing() {
        let (certificate, key) = pem_pair();
        assert!(matches!(
            ClientIdentity::from_pem(key.as_bytes(), None),
            Err(IdentityError::NoCertificate)
        ));
        assert!(matches!(
            ClientIdentity::from_pem(certificate.as_bytes(), None),
            Err(IdentityError::NoPrivateKey)
        ));
        let damaged = certificate.replacen('M', "*", 1);
        assert!(matches!(
            ClientIdentity::from_pem(damaged.as_bytes(), Some(key.as_bytes())),
            Err(IdentityError::BadPem(_))
        ));
    }

    #[test]
    fn the_fingerprint_covers_the_chain_and_the_key() {
        let (certificate, key) = pem_pair();
        let identity =
            ClientIdentity::from_pem(certificate.as_bytes(), Some(key.as_bytes())).unwrap();
        assert_eq!(identity.clone().fingerprint(), identity.fingerprint());
        assert_ne!(identity.fingerprint(), [0; 32]);
        let (other_certificate, other_key) = pem_pair();
        let other_key_same_chain =
            ClientIdentity::from_pem(certificate.as_bytes(), Some(other_key.as_bytes())).unwrap();
        assert_ne!(other_key_same_chain.fingerprint(), identity.fingerprint());
        let longer_chain = format!("{certificate}{other_certificate}");
        let two = ClientIdentity::from_pem(longer_chain.as_bytes(), Some(key.as_bytes())).unwrap();
        assert_eq!(two.chain().len(), 2);
        assert_ne!(two.fingerprint(), identity.fingerprint());
    }
}
