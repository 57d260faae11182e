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
    /// The broadcast channel management API.
    Channels,
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

    /// Apple's broadcast channel management API, production or sandbox.
    pub fn channel_management(production: bool) -> Self {
        if production {
            Self::apple("api-manage-broadcast.push.apple.com", 2196)
        } else {
            Self::apple("api-manage-broadcast.sandbox.push.apple.com", 2195)
        }
    }

    /// Apple's endpoint for `service` in production or the sandbox.
    pub fn apple_service(service: Service, production: bool) -> Self {
        match service {
            Service::Http2 if production => Self::production(),
            Service::Http2 => Self::sandbox(),
            Service::LegacyGateway => Self::legacy_gateway(production),
            Service::Feedback => Self::legacy_feedback(production),
            Service::Channels => Self::channel_management(production),
        }
    }

    /// Reads `HOST:PORT` (an IPv6 host in brackets), as a user types a custom endpoint.
    pub fn parse_host_port(text: &str) -> Option<(String, u16)> {
        let (host, port) = text.trim().rsplit_once(':')?;
        let host = match host.strip_prefix('[') {
            Some(bracketed) => bracketed.strip_suffix(']')?,
            // A colon outside brackets means an IPv6 address written without them.
            None if host.contains([':', ']']) => return None,
            None => host,
        };
        let port = port.parse().ok().filter(|port| *port != 0)?;
        (!host.is_empty()).then(|| (host.to_owned(), port))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_takes_names_addresses_and_bracketed_ipv6() {
        let parse = Endpoint::parse_host_port;
        assert_eq!(
            parse("push.example:8443"),
            Some(("push.example".into(), 8443))
        );
        assert_eq!(parse(" [::1]:2195 "), Some(("::1".into(), 2195)));
        assert_eq!(parse("push.example"), None);
        assert_eq!(parse(":443"), None);
        assert_eq!(parse("host:99999"), None);
        assert_eq!(parse("host:0"), None);
        assert_eq!(parse("::1"), None, "IPv6 needs brackets");
        assert_eq!(parse("[::1:2195"), None);
    }
}
