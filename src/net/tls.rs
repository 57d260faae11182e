//! TLS settings: which servers to trust and which client certificate to present.

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;

use super::Endpoint;
use crate::apns::ClientIdentity;

/// Why a TLS configuration could not be made from an identity and an endpoint's trust.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// rustls refused the certificate and key (for example they do not match).
    #[error("the certificate and key cannot be used together: {0}")]
    Rejected(#[from] rustls::Error),
    /// An extra CA certificate could not be trusted.
    #[error("the CA certificate cannot be trusted: {0}")]
    BadRoot(String),
}

/// The certificates of a PEM file of CA certificates (e.g. a simulator's ca.pem), or
/// `None` when it holds none.
pub fn roots_from_pem(pem: &[u8]) -> Option<Vec<CertificateDer<'static>>> {
    use rustls_pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .ok()
        .filter(|roots| !roots.is_empty())
}

/// The rustls configuration to reach `endpoint`, presenting `identity` if given,
/// offering `alpn` protocols (`[b"h2"]` for HTTP/2, none for the legacy services).
pub fn client_config(
    endpoint: &Endpoint,
    identity: Option<&ClientIdentity>,
    alpn: &[&[u8]],
) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    if endpoint.public_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for root in &endpoint.extra_roots {
        roots
            .add(root.clone())
            .map_err(|error| TlsSetupError::BadRoot(error.to_string()))?;
    }
    let builder = ClientConfig::builder().with_root_certificates(roots);
    let mut config = match identity {
        Some(identity) => {
            builder.with_client_auth_cert(identity.chain().to_vec(), identity.key().clone_key())?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    Ok(Arc::new(config))
}
