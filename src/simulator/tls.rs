//! The server side of TLS: which certificate the simulator shows and which
//! client certificates it asks for.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

use super::SimulatorError;
use super::pki::Pki;

/// Whether a listener insists on a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientAuth {
    /// HTTP/2: a certificate selects certificate auth, none selects token auth.
    Optional,
    /// Legacy gateway and feedback: only certificate auth exists.
    Required,
}

fn tls_error(error: impl std::fmt::Display) -> SimulatorError {
    SimulatorError::Tls(error.to_string())
}

/// An acceptor serving the simulator's server certificate, trusting client
/// certificates signed by its CA, offering `alpn`.
pub(crate) fn acceptor(
    pki: &Pki,
    client_auth: ClientAuth,
    alpn: &[&[u8]],
) -> Result<TlsAcceptor, SimulatorError> {
    // Name the provider rather than rely on a process-wide default, which
    // rustls cannot pick when more than one crypto backend is compiled in.
    let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca_der()).map_err(tls_error)?;
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider));
    let verifier = match client_auth {
        ClientAuth::Optional => verifier.allow_unauthenticated(),
        ClientAuth::Required => verifier,
    }
    .build()
    .map_err(tls_error)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(pki.server_chain(), pki.server_key())
        .map_err(tls_error)?;
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    Ok(TlsAcceptor::from(Arc::new(config)))
}
