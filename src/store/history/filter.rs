//! What to look for: the states a send can be in, and the filters of a query.

use std::fmt;
use std::str::FromStr;

use super::schema::state;
use crate::apns::ApnsId;

/// Where a notification stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendState {
    /// Recorded before it left; its sender is still running and has no answer yet.
    InFlight,
    /// APNs accepted it.
    Accepted,
    /// APNs refused it (see status and reason).
    Rejected,
    /// It could not be delivered (connection failures on every attempt).
    Failed,
    /// It was never sent: the batch was cancelled first.
    Cancelled,
    /// Legacy: written, but the gateway gave no answer that proves it took it.
    Unconfirmed,
    /// It was recorded in flight and its sender stopped (crashed, killed) before the answer
    /// was written: APNs may or may not have it.
    Unknown,
}

impl SendState {
    /// Every state, in display order.
    pub const ALL: [SendState; 7] = [
        SendState::Accepted,
        SendState::Rejected,
        SendState::Failed,
        SendState::Unconfirmed,
        SendState::Cancelled,
        SendState::InFlight,
        SendState::Unknown,
    ];

    /// The name used in output and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SendState::InFlight => "in_flight",
            SendState::Accepted => "accepted",
            SendState::Rejected => "rejected",
            SendState::Failed => "failed",
            SendState::Cancelled => "cancelled",
            SendState::Unconfirmed => "unconfirmed",
            SendState::Unknown => "unknown",
        }
    }

    pub(super) fn stored(code: i64, live: bool) -> Self {
        match code {
            state::ACCEPTED => SendState::Accepted,
            state::REJECTED => SendState::Rejected,
            state::FAILED => SendState::Failed,
            state::CANCELLED => SendState::Cancelled,
            state::UNCONFIRMED => SendState::Unconfirmed,
            state::IN_FLIGHT if live => SendState::InFlight,
            _ => SendState::Unknown,
        }
    }
}

impl fmt::Display for SendState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SendState {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| {
                format!("{text:?} is not a state; use accepted, rejected, failed, unconfirmed, cancelled, in_flight or unknown")
            })
    }
}

/// The start of a device token in hex, to find every send to tokens that begin with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenPrefix {
    hex: String,
}

/// A token prefix that is not hex.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not the start of a device token; use hex digits (0-9, a-f)")]
pub struct TokenPrefixError(String);

impl FromStr for TokenPrefix {
    type Err = TokenPrefixError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let hex: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '<' | '>'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(TokenPrefixError(text.to_owned()));
        }
        Ok(Self { hex })
    }
}

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    let padded = if hex.len() % 2 == 1 {
        format!("{hex}0")
    } else {
        hex.to_owned()
    };
    (0..padded.len())
        .step_by(2)
        .filter_map(|at| u8::from_str_radix(&padded[at..at + 2], 16).ok())
        .collect()
}

impl TokenPrefix {
    /// The prefix as lowercase hex.
    pub fn as_str(&self) -> &str {
        &self.hex
    }

    /// Tokens with this prefix are the blobs in `[lower, upper)`; no upper bound when the
    /// prefix is all `f`.
    pub(super) fn range(&self) -> (Vec<u8>, Option<Vec<u8>>) {
        let lower = hex_to_bytes(&self.hex);
        let mut digits: Vec<u32> = self.hex.chars().filter_map(|c| c.to_digit(16)).collect();
        while let Some(last) = digits.pop() {
            if last < 15 {
                digits.push(last + 1);
                let upper: String = digits
                    .iter()
                    .filter_map(|&digit| char::from_digit(digit, 16))
                    .collect();
                return (lower, Some(hex_to_bytes(&upper)));
            }
        }
        (lower, None)
    }
}

/// Which sends to show. Every field narrows the result; the default shows everything.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// The identity's name, exactly.
    pub identity: Option<String>,
    /// The endpoint's label (`simulator`, `host:port`), exactly.
    pub endpoint: Option<String>,
    /// One state.
    pub state: Option<SendState>,
    /// The APNs reason (`BadDeviceToken`), exactly.
    pub reason: Option<String>,
    /// Tokens starting with this.
    pub token: Option<TokenPrefix>,
    /// One apns-id.
    pub apns_id: Option<ApnsId>,
    /// Text anywhere in the payload, ignoring ASCII case.
    pub text: Option<String>,
    /// Recorded at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Recorded at or before this time (ms since the epoch).
    pub until_ms: Option<i64>,
    /// One batch (a send of one or many notifications), by its id.
    pub batch: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(prefix: &str) -> (Vec<u8>, Option<Vec<u8>>) {
        prefix.parse::<TokenPrefix>().unwrap().range()
    }

    #[test]
    fn prefixes_become_byte_ranges() {
        assert_eq!(range("ab"), (vec![0xab], Some(vec![0xac])));
        assert_eq!(range("<AB c>"), (vec![0xab, 0xc0], Some(vec![0xab, 0xd0])));
        assert_eq!(range("0f"), (vec![0x0f], Some(vec![0x10])));
        assert_eq!(range("ff"), (vec![0xff], None));
        assert_eq!(range("a5f"), (vec![0xa5, 0xf0], Some(vec![0xa6])));
        assert!("xyz".parse::<TokenPrefix>().is_err());
        assert!("".parse::<TokenPrefix>().is_err());
        assert_eq!("unknown".parse(), Ok(SendState::Unknown));
    }
}
