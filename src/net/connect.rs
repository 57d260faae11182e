//! Opening a TLS connection, shared by the legacy gateway and feedback clients.

use std::time::Duration;

use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::{Endpoint, TransportError, client_config};
use crate::apns::ClientIdentity;

/// Connects over TCP and completes a TLS handshake presenting `identity`, within `timeout`.
pub async fn connect_tls(
    endpoint: &Endpoint,
    identity: Option<&ClientIdentity>,
    alpn: &[&[u8]],
    timeout: Duration,
) -> Result<TlsStream<TcpStream>, TransportError> {
    let timed_out = || TransportError::Connect {
        endpoint: endpoint.address(),
        source: std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out"),
    };
    tokio::time::timeout(timeout, async {
        let tls = client_config(endpoint, identity, alpn)?;
        let tcp = TcpStream::connect(endpoint.address())
            .await
            .map_err(|source| TransportError::Connect {
                endpoint: endpoint.address(),
                source,
            })?;
        tcp.set_nodelay(true).ok();
        let server_name = ServerName::try_from(endpoint.host.clone())
            .map_err(|_| TransportError::BadHost(endpoint.host.clone()))?;
        TlsConnector::from(tls)
            .connect(server_name, tcp)
            .await
            .map_err(|source| TransportError::Tls {
                endpoint: endpoint.address(),
                source,
            })
    })
    .await
    .unwrap_or_else(|_| Err(timed_out()))
}
