//! The legacy binary gateway protocol: notification framings and the error-response.

use std::fmt;

use super::limit::group_thousands;
use super::{LegacyFormat, PayloadLimit, Priority, PushType, Transport};

/// One notification as the legacy codec sees it: bytes already prepared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacyNotification<'a> {
    /// The raw device token.
    pub token: &'a [u8],
    /// The payload bytes as sent.
    pub payload: &'a [u8],
    /// Identifier echoed in an error-response (enhanced and frame formats).
    pub identifier: u32,
    /// Expiry in UNIX seconds, 0 for "don't store" (enhanced and frame formats).
    pub expiry: u32,
    /// Priority item (frame format only); left out when `None`.
    pub priority: Option<Priority>,
}

/// Why a notification cannot be written in a legacy format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyEncodeError {
    /// The payload is over the format's limit.
    #[error("payload is {} bytes; {limit}", group_thousands(*size))]
    PayloadTooLarge {
        /// The payload size.
        size: usize,
        /// The limit that applies, described.
        limit: String,
    },
    /// The legacy frame format only knows priorities 10 and 5.
    #[error("priority 1 does not exist in the legacy frame format; use 10 or 5")]
    PriorityNotInFrameFormat,
}

/// Item ids of the frame format (command 2).
mod item {
    pub const TOKEN: u8 = 1;
    pub const PAYLOAD: u8 = 2;
    pub const IDENTIFIER: u8 = 3;
    pub const EXPIRY: u8 = 4;
    pub const PRIORITY: u8 = 5;
}

fn put_u16(out: &mut Vec<u8>, value: usize) {
    // Callers bound `value` by the payload limit (2,048) and token limit (100).
    out.extend_from_slice(&(value as u16).to_be_bytes());
}

/// Appends `notification` in `format` to `out`, so a batch is one buffer.
///
/// ```
/// use push_console::apns::{legacy, LegacyFormat};
/// let mut out = Vec::new();
/// legacy::encode(LegacyFormat::Simple, &legacy::LegacyNotification {
///     token: &[0xab, 0xcd], payload: b"{}", identifier: 0, expiry: 0, priority: None,
/// }, &mut out).unwrap();
/// assert_eq!(out, [0, 0, 2, 0xab, 0xcd, 0, 2, b'{', b'}']);
/// ```
pub fn encode(
    format: LegacyFormat,
    notification: &LegacyNotification<'_>,
    out: &mut Vec<u8>,
) -> Result<(), LegacyEncodeError> {
    let limit = PayloadLimit::new(Transport::Legacy(format), &PushType::Alert);
    if !limit.allows(notification.payload.len()) {
        return Err(LegacyEncodeError::PayloadTooLarge {
            size: notification.payload.len(),
            limit: limit.to_string(),
        });
    }
    let LegacyNotification {
        token,
        payload,
        identifier,
        expiry,
        priority,
    } = *notification;
    if format == LegacyFormat::Frame && priority == Some(Priority::Low) {
        return Err(LegacyEncodeError::PriorityNotInFrameFormat);
    }
    out.push(format.command());
    match format {
        LegacyFormat::Simple => {
            put_u16(out, token.len());
            out.extend_from_slice(token);
            put_u16(out, payload.len());
            out.extend_from_slice(payload);
        }
        LegacyFormat::Enhanced => {
            out.extend_from_slice(&identifier.to_be_bytes());
            out.extend_from_slice(&expiry.to_be_bytes());
            put_u16(out, token.len());
            out.extend_from_slice(token);
            put_u16(out, payload.len());
            out.extend_from_slice(payload);
        }
        LegacyFormat::Frame => {
            let frame_len =
                3 + token.len() + 3 + payload.len() + 3 + 4 + 3 + 4 + priority.map_or(0, |_| 3 + 1);
            out.extend_from_slice(&(frame_len as u32).to_be_bytes());
            out.push(item::TOKEN);
            put_u16(out, token.len());
            out.extend_from_slice(token);
            out.push(item::PAYLOAD);
            put_u16(out, payload.len());
            out.extend_from_slice(payload);
            out.push(item::IDENTIFIER);
            put_u16(out, 4);
            out.extend_from_slice(&identifier.to_be_bytes());
            out.push(item::EXPIRY);
            put_u16(out, 4);
            out.extend_from_slice(&expiry.to_be_bytes());
            if let Some(priority) = priority {
                out.push(item::PRIORITY);
                put_u16(out, 1);
                out.push(priority.value());
            }
        }
    }
    Ok(())
}

/// The identifier of the confirmation a client ends a round with (enhanced and frame
/// formats): a notification without a device token, which a gateway must refuse with an
/// error-response naming it. A gateway reads in order and answers only the first failure,
/// so that answer proves it processed every notification before it on the connection.
/// Batch indexes, the other identifiers, stay below it.
pub const CONFIRMATION_IDENTIFIER: u32 = u32::MAX;

/// Appends the confirmation (see [`CONFIRMATION_IDENTIFIER`]) in `format` to `out`.
pub fn encode_confirmation(format: LegacyFormat, out: &mut Vec<u8>) {
    let confirmation = LegacyNotification {
        token: &[],
        payload: b"{}",
        identifier: CONFIRMATION_IDENTIFIER,
        expiry: 0,
        priority: None,
    };
    // Two bytes of payload and no token are within every format's limits.
    let _ = encode(format, &confirmation, out);
}

/// The status byte of an error-response, read unsigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LegacyStatus {
    /// 0: no errors.
    NoErrors,
    /// 1: processing error.
    ProcessingError,
    /// 2: missing device token.
    MissingDeviceToken,
    /// 3: missing topic.
    MissingTopic,
    /// 4: missing payload.
    MissingPayload,
    /// 5: invalid token size.
    InvalidTokenSize,
    /// 6: invalid topic size.
    InvalidTopicSize,
    /// 7: invalid payload size.
    InvalidPayloadSize,
    /// 8: invalid token.
    InvalidToken,
    /// 10: shutdown; the identifier is the last notification processed.
    Shutdown,
    /// 255: unknown error.
    Unknown,
    /// A code outside Apple's table, kept as received.
    Unlisted(u8),
}

impl LegacyStatus {
    /// The status for a code byte.
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => LegacyStatus::NoErrors,
            1 => LegacyStatus::ProcessingError,
            2 => LegacyStatus::MissingDeviceToken,
            3 => LegacyStatus::MissingTopic,
            4 => LegacyStatus::MissingPayload,
            5 => LegacyStatus::InvalidTokenSize,
            6 => LegacyStatus::InvalidTopicSize,
            7 => LegacyStatus::InvalidPayloadSize,
            8 => LegacyStatus::InvalidToken,
            10 => LegacyStatus::Shutdown,
            255 => LegacyStatus::Unknown,
            other => LegacyStatus::Unlisted(other),
        }
    }

    /// The code byte.
    pub fn code(self) -> u8 {
        match self {
            LegacyStatus::NoErrors => 0,
            LegacyStatus::ProcessingError => 1,
            LegacyStatus::MissingDeviceToken => 2,
            LegacyStatus::MissingTopic => 3,
            LegacyStatus::MissingPayload => 4,
            LegacyStatus::InvalidTokenSize => 5,
            LegacyStatus::InvalidTopicSize => 6,
            LegacyStatus::InvalidPayloadSize => 7,
            LegacyStatus::InvalidToken => 8,
            LegacyStatus::Shutdown => 10,
            LegacyStatus::Unknown => 255,
            LegacyStatus::Unlisted(code) => code,
        }
    }

    /// Apple's description of the code.
    pub fn description(self) -> &'static str {
        match self {
            LegacyStatus::NoErrors => "no errors",
            LegacyStatus::ProcessingError => "processing error",
            LegacyStatus::MissingDeviceToken => "missing device token",
            LegacyStatus::MissingTopic => "missing topic",
            LegacyStatus::MissingPayload => "missing payload",
            LegacyStatus::InvalidTokenSize => "invalid token size",
            LegacyStatus::InvalidTopicSize => "invalid topic size",
            LegacyStatus::InvalidPayloadSize => "invalid payload size",
            LegacyStatus::InvalidToken => "invalid token",
            LegacyStatus::Shutdown => "shutdown",
            LegacyStatus::Unknown => "unknown error",
            LegacyStatus::Unlisted(_) => "a status code outside Apple's table",
        }
    }

    /// Whether the notification the error names has a bad token (remove it).
    pub fn token_is_bad(self) -> bool {
        matches!(
            self,
            LegacyStatus::MissingDeviceToken
                | LegacyStatus::InvalidTokenSize
                | LegacyStatus::InvalidToken
        )
    }

    /// Whether the notifications after the failed one should be sent again.
    /// For missing topic or payload and bad sizes the cause is the connection's
    /// certificate or the shared payload, so a resend would fail the same way.
    pub fn retry_rest(self) -> bool {
        matches!(
            self,
            LegacyStatus::ProcessingError
                | LegacyStatus::MissingDeviceToken
                | LegacyStatus::InvalidTokenSize
                | LegacyStatus::InvalidToken
                | LegacyStatus::Shutdown
                | LegacyStatus::Unknown
                | LegacyStatus::Unlisted(_)
        )
    }

    /// Whether the named notification itself was processed (only for shutdown,
    /// whose identifier is the last one processed, not a failed one).
    pub fn named_was_processed(self) -> bool {
        self == LegacyStatus::Shutdown
    }
}

impl fmt::Display for LegacyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.description(), self.code())
    }
}

/// The 6-byte error-response: `08 | status | identifier`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ErrorResponse {
    /// What went wrong.
    pub status: LegacyStatus,
    /// The identifier of the notification it concerns.
    pub identifier: u32,
}

/// The command byte of an error-response.
pub const ERROR_RESPONSE_COMMAND: u8 = 8;

/// The length of an error-response.
pub const ERROR_RESPONSE_LEN: usize = 6;

/// Why bytes are not an error-response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorResponseError {
    /// Not exactly 6 bytes.
    #[error("an error-response is 6 bytes; the gateway sent {0}")]
    WrongLength(usize),
    /// The first byte is not 8.
    #[error("an error-response starts with 8; the gateway sent command {0}")]
    WrongCommand(u8),
}

impl ErrorResponse {
    /// Decodes the 6 bytes the gateway sends before it closes.
    ///
    /// ```
    /// use push_console::apns::legacy::{ErrorResponse, LegacyStatus};
    /// let response = ErrorResponse::decode(&[8, 255, 0, 0, 1, 2]).unwrap();
    /// assert_eq!(response.status, LegacyStatus::Unknown);
    /// assert_eq!(response.identifier, 258);
    /// ```
    pub fn decode(bytes: &[u8]) -> Result<Self, ErrorResponseError> {
        let bytes: [u8; ERROR_RESPONSE_LEN] = bytes
            .try_into()
            .map_err(|_| ErrorResponseError::WrongLength(bytes.len()))?;
        if bytes[0] != ERROR_RESPONSE_COMMAND {
            return Err(ErrorResponseError::WrongCommand(bytes[0]));
        }
        Ok(Self {
            status: LegacyStatus::from_code(bytes[1]),
            identifier: u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]),
        })
    }

    /// The 6 bytes, as the simulator sends them.
    pub fn encode(&self) -> [u8; ERROR_RESPONSE_LEN] {
        let id = self.identifier.to_be_bytes();
        [
            ERROR_RESPONSE_COMMAND,
            self.status.code(),
            id[0],
            id[1],
            id[2],
            id[3],
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: [u8; 32] = [
        0x74, 0x0f, 0x47, 0x07, 0xbe, 0xbc, 0xf7, 0x4f, 0x9b, 0x7c, 0x25, 0xd4, 0x8e, 0x33, 0x58,
        0x94, 0x5f, 0x6a, 0xa0, 0x1d, 0xa5, 0xdd, 0xb3, 0x87, 0x46, 0x2c, 0x7e, 0xaf, 0x61, 0xbb,
        0x78, 0xad,
    ];
    const PAYLOAD: &[u8] = br#"{"aps":{"alert":"Hi"}}"#; // 22 bytes = 0x16

    fn encoded(format: LegacyFormat, priority: Option<Priority>) -> Vec<u8> {
        let mut out = Vec::new();
        encode(
            format,
            &LegacyNotification {
                token: &TOKEN,
                payload: PAYLOAD,
                identifier: 0x0102_0304,
                expiry: 0x5f5e_1000,
                priority,
            },
            &mut out,
        )
        .unwrap();
        out
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    const TOKEN_HEX: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";
    const PAYLOAD_HEX: &str = "7b22617073223a7b22616c657274223a224869227d7d";

    #[test]
    fn simple_format_bytes() {
        // 00 | 0020 | token | 0016 | payload
        let expected = format!("000020{TOKEN_HEX}0016{PAYLOAD_HEX}");
        assert_eq!(hex(&encoded(LegacyFormat::Simple, None)), expected);
    }

    #[test]
    fn enhanced_format_bytes() {
        // 01 | 01020304 | 5f5e1000 | 0020 | token | 0016 | payload
        let expected = format!("01010203045f5e10000020{TOKEN_HEX}0016{PAYLOAD_HEX}");
        assert_eq!(hex(&encoded(LegacyFormat::Enhanced, None)), expected);
    }

    #[test]
    fn frame_format_bytes() {
        // Items: token 3+32, payload 3+22, identifier 3+4, expiry 3+4, priority 3+1 = 78 = 0x4e.
        let expected = format!(
            "02{}{}{}{}{}{}",
            "0000004e",
            format_args!("010020{TOKEN_HEX}"),
            format_args!("020016{PAYLOAD_HEX}"),
            "03000401020304",
            "0400045f5e1000",
            "05000105"
        );
        assert_eq!(
            hex(&encoded(LegacyFormat::Frame, Some(Priority::Normal))),
            expected
        );
        // Without a priority the item is left out: 74 = 0x4a.
        let without = hex(&encoded(LegacyFormat::Frame, None));
        assert!(without.starts_with("020000004a"));
        assert!(without.ends_with("0400045f5e1000"));
    }

    #[test]
    fn frames_concatenate_in_one_buffer() {
        let mut out = Vec::new();
        for identifier in 0..3 {
            let notification = LegacyNotification {
                token: &TOKEN,
                payload: PAYLOAD,
                identifier,
                expiry: 0,
                priority: Some(Priority::Immediate),
            };
            encode(LegacyFormat::Frame, &notification, &mut out).unwrap();
        }
        assert_eq!(out.len(), 3 * (5 + 78));
    }

    #[test]
    fn limits_and_priorities_are_enforced() {
        let big = vec![b'x'; 257];
        let notification = LegacyNotification {
            token: &TOKEN,
            payload: &big,
            identifier: 1,
            expiry: 0,
            priority: Some(Priority::Low),
        };
        let mut out = Vec::new();
        let err = encode(LegacyFormat::Enhanced, &notification, &mut out).unwrap_err();
        assert_eq!(
            err.to_string(),
            "payload is 257 bytes; the limit for the legacy enhanced format is 256"
        );
        assert_eq!(
            encode(LegacyFormat::Frame, &notification, &mut out),
            Err(LegacyEncodeError::PriorityNotInFrameFormat)
        );
        assert!(
            out.is_empty(),
            "nothing is written for a refused notification"
        );
    }

    #[test]
    fn every_status_decodes_unsigned() {
        let table = [
            (0, LegacyStatus::NoErrors, false, false),
            (1, LegacyStatus::ProcessingError, false, true),
            (2, LegacyStatus::MissingDeviceToken, true, true),
            (3, LegacyStatus::MissingTopic, false, false),
            (4, LegacyStatus::MissingPayload, false, false),
            (5, LegacyStatus::InvalidTokenSize, true, true),
            (6, LegacyStatus::InvalidTopicSize, false, false),
            (7, LegacyStatus::InvalidPayloadSize, false, false),
            (8, LegacyStatus::InvalidToken, true, true),
            (10, LegacyStatus::Shutdown, false, true),
            (255, LegacyStatus::Unknown, false, true),
            (9, LegacyStatus::Unlisted(9), false, true),
            (200, LegacyStatus::Unlisted(200), false, true),
        ];
        for (code, status, bad_token, retry) in table {
            let response = ErrorResponse::decode(&[8, code, 0xff, 0xff, 0xff, 0xfe]).unwrap();
            assert_eq!(response.status, status);
            assert_eq!(response.identifier, 0xffff_fffe);
            assert_eq!(status.code(), code);
            assert_eq!(status.token_is_bad(), bad_token, "{status}");
            assert_eq!(status.retry_rest(), retry, "{status}");
            assert_eq!(
                status.named_was_processed(),
                status == LegacyStatus::Shutdown,
                "{status}"
            );
            assert_eq!(response.encode(), [8, code, 0xff, 0xff, 0xff, 0xfe]);
        }
    }

    #[test]
    fn statuses_read_as_apple_words_them_with_their_code() {
        assert_eq!(LegacyStatus::InvalidToken.to_string(), "invalid token (8)");
        assert_eq!(LegacyStatus::Shutdown.to_string(), "shutdown (10)");
        assert_eq!(
            LegacyStatus::Unlisted(42).to_string(),
            "a status code outside Apple's table (42)"
        );
    }

    #[test]
    fn a_confirmation_is_a_tokenless_notification_under_its_own_identifier() {
        let mut enhanced = Vec::new();
        encode_confirmation(LegacyFormat::Enhanced, &mut enhanced);
        // 01 | ffffffff | 00000000 | 0000 (no token) | 0002 | {}
        assert_eq!(hex(&enhanced), "01ffffffff00000000000000027b7d");
        let mut frame = Vec::new();
        encode_confirmation(LegacyFormat::Frame, &mut frame);
        // Items: token 3+0, payload 3+2, identifier 3+4, expiry 3+4 = 22 = 0x16.
        assert_eq!(
            hex(&frame),
            "02000000160100000200027b7d030004ffffffff04000400000000"
        );
    }

    #[test]
    fn malformed_error_responses_are_errors() {
        assert_eq!(
            ErrorResponse::decode(&[8, 1, 0, 0, 0]),
            Err(ErrorResponseError::WrongLength(5))
        );
        assert_eq!(
            ErrorResponse::decode(&[7, 1, 0, 0, 0, 1]),
            Err(ErrorResponseError::WrongCommand(7))
        );
        assert_eq!(
            ErrorResponseError::WrongLength(5).to_string(),
            "an error-response is 6 bytes; the gateway sent 5"
        );
        assert_eq!(
            ErrorResponseError::WrongCommand(7).to_string(),
            "an error-response starts with 8; the gateway sent command 7"
        );
    }
}
