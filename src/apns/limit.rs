//! Which payload limit applies, and how to say a size to a person.

use std::fmt;

use super::PushType;

/// The three framings of the legacy binary protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum LegacyFormat {
    /// Command 0: token and payload only.
    Simple,
    /// Command 1: adds an identifier and an expiry; errors are reported.
    Enhanced,
    /// Command 2: items in a frame; adds priority and larger payloads.
    #[default]
    Frame,
}

impl LegacyFormat {
    /// The command byte that starts each notification.
    pub fn command(self) -> u8 {
        match self {
            LegacyFormat::Simple => 0,
            LegacyFormat::Enhanced => 1,
            LegacyFormat::Frame => 2,
        }
    }

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            LegacyFormat::Simple => "simple",
            LegacyFormat::Enhanced => "enhanced",
            LegacyFormat::Frame => "frame",
        }
    }
}

/// How a notification travels: the HTTP/2 provider API or a legacy binary format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// The HTTP/2 provider API.
    Http2,
    /// The legacy binary gateway in one of its formats.
    Legacy(LegacyFormat),
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::Http2 => f.write_str("HTTP/2"),
            Transport::Legacy(format) => write!(f, "the legacy {} format", format.as_str()),
        }
    }
}

/// The largest payload APNs accepts for a transport and push type.
///
/// ```
/// use push_console::apns::{PayloadLimit, PushType, Transport};
/// let limit = PayloadLimit::new(Transport::Http2, &PushType::Voip);
/// assert_eq!(limit.bytes(), 5120);
/// assert_eq!(limit.to_string(), "the limit for voip over HTTP/2 is 5,120");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PayloadLimit {
    bytes: usize,
    transport: Transport,
    push_type: PushType,
    broadcast: bool,
}

impl PayloadLimit {
    /// The limit for `push_type` sent over `transport`.
    pub fn new(transport: Transport, push_type: &PushType) -> Self {
        let bytes = match (transport, push_type) {
            (Transport::Legacy(LegacyFormat::Simple | LegacyFormat::Enhanced), _) => 256,
            (Transport::Legacy(LegacyFormat::Frame), _) => 2048,
            (Transport::Http2, PushType::Voip) => 5120,
            (Transport::Http2, _) => 4096,
        };
        Self {
            bytes,
            transport,
            push_type: push_type.clone(),
            broadcast: false,
        }
    }

    /// The limit of a broadcast to a channel: 5,120 bytes, as for VoIP.
    pub fn broadcast() -> Self {
        Self {
            bytes: 5120,
            transport: Transport::Http2,
            push_type: PushType::LiveActivity,
            broadcast: true,
        }
    }

    /// The limit in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The transport the limit belongs to.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The share of the limit `size` uses, as a fraction (1.0 = full).
    pub fn usage(&self, size: usize) -> f64 {
        size as f64 / self.bytes as f64
    }

    /// Whether `size` bytes fit.
    pub fn allows(&self, size: usize) -> bool {
        size <= self.bytes
    }
}

impl fmt::Display for PayloadLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = group_thousands(self.bytes);
        match self.transport {
            Transport::Http2 if self.broadcast => {
                write!(f, "the limit for a broadcast is {bytes}")
            }
            Transport::Http2 => write!(
                f,
                "the limit for {} over {} is {bytes}",
                self.push_type, self.transport
            ),
            Transport::Legacy(_) => write!(f, "the limit for {} is {bytes}", self.transport),
        }
    }
}

/// A count with thousands separators, as the UI and error messages show sizes: `4,096`.
pub fn group_thousands(value: usize) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_transport_and_push_type() {
        let cases = [
            (
                Transport::Legacy(LegacyFormat::Simple),
                PushType::Alert,
                256,
            ),
            (
                Transport::Legacy(LegacyFormat::Enhanced),
                PushType::Voip,
                256,
            ),
            (
                Transport::Legacy(LegacyFormat::Frame),
                PushType::Alert,
                2048,
            ),
            (Transport::Http2, PushType::Alert, 4096),
            (Transport::Http2, PushType::Background, 4096),
            (Transport::Http2, PushType::Voip, 5120),
        ];
        for (transport, push_type, bytes) in cases {
            assert_eq!(PayloadLimit::new(transport, &push_type).bytes(), bytes);
        }
    }

    #[test]
    fn limits_describe_themselves() {
        assert_eq!(
            PayloadLimit::new(Transport::Http2, &PushType::Alert).to_string(),
            "the limit for alert over HTTP/2 is 4,096"
        );
        assert_eq!(
            PayloadLimit::new(Transport::Legacy(LegacyFormat::Frame), &PushType::Alert).to_string(),
            "the limit for the legacy frame format is 2,048"
        );
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(4096), "4,096");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
    }
}
