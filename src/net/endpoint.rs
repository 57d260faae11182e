//! Where to connect: Apple's hosts, the simulator, or any host:port.

use std::fmt;

use rustls_pki_types::CertificateDer;

/// Which APNs service an endpoint speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// The HTTP/2 provider API.
    Http2,
    /// The legacy binary gateway.
    LegacyGateway,
    /// The legacy feedback service.
    Feedback,
}

/// A server to connect to: host, port, and which certificate authorities to trust.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// Host name or IP address; also the TLS server name.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Extra CA certificates to trust (the simulator's CA, a company proxy's).
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Whether the public web PKI roots are trusted too (true for Apple's hosts).
    pub public_roots: bool,
}

impl Endpoint {
    fn apple(host: &str, port: u16) -> Self {
        Self {
            host: host.to_owned(),
            port,
            extra_roots: Vec::new(),
            public_roots: true,
        }
    }

    /// Apple's production HTTP/2 API.
    pub fn production() -> Self {
        Self::apple("api.push.apple.com", 443)
    }

    /// Apple's development (sandbox) HTTP/2 API.
    pub fn sandbox() -> Self {
        Self::apple("api.sandbox.push.apple.com", 443)
    }

    /// Apple's legacy gateway, production or sandbox.
    pub fn legacy_gateway(production: bool) -> Self {
        let host = if production {
            "gateway.push.apple.com"
        } else {
            "gateway.sandbox.push.apple.com"
        };
        Self::apple(host, 2195)
    }

    /// Apple's legacy feedback service, production or sandbox.
    pub fn legacy_feedback(production: bool) -> Self {
        let host = if production {
            "feedback.push.apple.com"
        } else {
            "feedback.sandbox.push.apple.com"
        };
        Self::apple(host, 2196)
    }

    /// Any host and port, trusting the public roots plus `extra_roots`.
    pub fn custom(
        host: impl Into<String>,
        port: u16,
        extra_roots: Vec<CertificateDer<'static>>,
    ) -> Self {
        Self {
            host: host.into(),
            port,
            public_roots: extra_roots.is_empty(),
            extra_roots,
        }
    }

    /// The same host on port 2197, for networks that block 443 to Apple.
    pub fn on_port_2197(mut self) -> Self {
        self.port = 2197;
        self
    }

    /// `host:port`, for connecting.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address())
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Endpoint({}, {} extra roots)",
            self.address(),
            self.extra_roots.len()
        )
    }
}
