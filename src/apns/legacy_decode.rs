//! Reading the legacy gateway's byte stream, as a server (the simulator) does.

use super::LegacyFormat;
use super::legacy::LegacyStatus;

/// One notification read off the gateway stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedNotification {
    /// The framing it came in.
    pub format: LegacyFormat,
    /// The identifier (0 for the simple format, which has none).
    pub identifier: u32,
    /// The expiry (0 for the simple format).
    pub expiry: u32,
    /// The raw token bytes.
    pub token: Vec<u8>,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// The priority item of a frame, if present.
    pub priority: Option<u8>,
}

impl DecodedNotification {
    /// The status Apple's gateway would answer for this notification, checking
    /// what it checks: token present and 32 bytes, payload present and within
    /// the format's limit, a priority of 10 or 5.
    pub fn check(&self) -> LegacyStatus {
        let limit = match self.format {
            LegacyFormat::Simple | LegacyFormat::Enhanced => 256,
            LegacyFormat::Frame => 2048,
        };
        if self.token.is_empty() {
            LegacyStatus::MissingDeviceToken
        } else if self.token.len() != 32 {
            LegacyStatus::InvalidTokenSize
        } else if self.payload.is_empty() {
            LegacyStatus::MissingPayload
        } else if self.payload.len() > limit {
            LegacyStatus::InvalidPayloadSize
        } else if self.priority.is_some_and(|p| p != 10 && p != 5) {
            LegacyStatus::ProcessingError
        } else {
            LegacyStatus::NoErrors
        }
    }
}

/// The stream cannot be read further; the gateway answers `ProcessingError`
/// (naming `identifier` when it was readable) and closes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyDecodeError {
    /// The first byte of a notification is not 0, 1 or 2.
    #[error("unknown command {0} on the legacy gateway")]
    UnknownCommand(u8),
    /// A frame's items do not add up to its length, or an item has a bad size.
    #[error("malformed frame: {0}")]
    MalformedFrame(&'static str),
}

/// Decodes notifications from bytes that arrive in chunks of any size.
#[derive(Default, Debug)]
pub struct LegacyDecoder {
    buffer: Vec<u8>,
    start: usize,
}

fn be_u16(bytes: &[u8]) -> usize {
    usize::from(u16::from_be_bytes([bytes[0], bytes[1]]))
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// Decoded bytes the buffer keeps before they are let go of: the buffer stays bounded however
/// long the connection lives, and most reads move nothing.
const KEEP_DECODED_BYTES: usize = 64 * 1024;

impl LegacyDecoder {
    /// Adds bytes read from the connection, first letting go of what was decoded once it
    /// passes `KEEP_DECODED_BYTES`.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > KEEP_DECODED_BYTES {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// Bytes received but not yet decoded.
    pub fn pending(&self) -> usize {
        self.buffer.len() - self.start
    }

    /// The next complete notification, or `None` until more bytes arrive.
    pub fn next_notification(&mut self) -> Result<Option<DecodedNotification>, LegacyDecodeError> {
        let pending = &self.buffer[self.start..];
        let Some(&command) = pending.first() else {
            return Ok(None);
        };
        let decoded = match command {
            0 => decode_simple(pending),
            1 => decode_enhanced(pending),
            2 => decode_frame(pending)?,
            other => return Err(LegacyDecodeError::UnknownCommand(other)),
        };
        Ok(decoded.map(|(notification, used)| {
            self.start += used;
            notification
        }))
    }
}

fn decode_simple(bytes: &[u8]) -> Option<(DecodedNotification, usize)> {
    let token_len = be_u16(bytes.get(1..3)?);
    let token = bytes.get(3..3 + token_len)?;
    let at = 3 + token_len;
    let payload_len = be_u16(bytes.get(at..at + 2)?);
    let payload = bytes.get(at + 2..at + 2 + payload_len)?;
    Some((
        DecodedNotification {
            format: LegacyFormat::Simple,
            identifier: 0,
            expiry: 0,
            token: token.to_vec(),
            payload: payload.to_vec(),
            priority: None,
        },
        at + 2 + payload_len,
    ))
}

fn decode_enhanced(bytes: &[u8]) -> Option<(DecodedNotification, usize)> {
    let identifier = be_u32(bytes.get(1..5)?);
    let expiry = be_u32(bytes.get(5..9)?);
    let token_len = be_u16(bytes.get(9..11)?);
    let token = bytes.get(11..11 + token_len)?;
    let at = 11 + token_len;
    let payload_len = be_u16(bytes.get(at..at + 2)?);
    let payload = bytes.get(at + 2..at + 2 + payload_len)?;
    Some((
        DecodedNotification {
            format: LegacyFormat::Enhanced,
            identifier,
            expiry,
            token: token.to_vec(),
            payload: payload.to_vec(),
            priority: None,
        },
        at + 2 + payload_len,
    ))
}

fn decode_frame(bytes: &[u8]) -> Result<Option<(DecodedNotification, usize)>, LegacyDecodeError> {
    let Some(length) = bytes.get(1..5).map(be_u32) else {
        return Ok(None);
    };
    let length = length as usize;
    let Some(mut items) = bytes.get(5..5 + length) else {
        return Ok(None);
    };
    let mut notification = DecodedNotification {
        format: LegacyFormat::Frame,
        identifier: 0,
        expiry: 0,
        token: Vec::new(),
        payload: Vec::new(),
        priority: None,
    };
    while !items.is_empty() {
        if items.len() < 3 {
            return Err(LegacyDecodeError::MalformedFrame(
                "an item header is cut short",
            ));
        }
        let id = items[0];
        let item_len = be_u16(&items[1..3]);
        let data = items
            .get(3..3 + item_len)
            .ok_or(LegacyDecodeError::MalformedFrame(
                "an item runs past the frame",
            ))?;
        match (id, item_len) {
            (1, _) => notification.token = data.to_vec(),
            (2, _) => notification.payload = data.to_vec(),
            (3, 4) => notification.identifier = be_u32(data),
            (4, 4) => notification.expiry = be_u32(data),
            (5, 1) => notification.priority = Some(data[0]),
            (3..=5, _) => {
                return Err(LegacyDecodeError::MalformedFrame(
                    "an item has the wrong size",
                ));
            }
            _ => return Err(LegacyDecodeError::MalformedFrame("unknown item id")),
        }
        items = &items[3 + item_len..];
    }
    Ok(Some((notification, 5 + length)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apns::Priority;
    use crate::apns::legacy::{LegacyNotification, encode};

    const TOKEN: [u8; 32] = [7; 32];

    fn stream() -> Vec<u8> {
        let mut out = Vec::new();
        for (index, format) in [
            LegacyFormat::Simple,
            LegacyFormat::Enhanced,
            LegacyFormat::Frame,
        ]
        .into_iter()
        .enumerate()
        {
            encode(
                format,
                &LegacyNotification {
                    token: &TOKEN,
                    payload: br#"{"aps":{}}"#,
                    identifier: index as u32 + 10,
                    expiry: 99,
                    priority: Some(Priority::Normal),
                },
                &mut out,
            )
            .unwrap();
        }
        out
    }

    #[test]
    fn decodes_what_the_encoder_writes_byte_by_byte() {
        let bytes = stream();
        let mut decoder = LegacyDecoder::default();
        let mut decoded = Vec::new();
        for byte in bytes {
            decoder.feed(&[byte]);
            while let Some(notification) = decoder.next_notification().unwrap() {
                decoded.push(notification);
            }
        }
        assert_eq!(decoder.pending(), 0);
        assert_eq!(decoded.len(), 3);
        assert_eq!(decoded[0].format, LegacyFormat::Simple);
        assert_eq!((decoded[0].identifier, decoded[0].expiry), (0, 0));
        assert_eq!((decoded[1].identifier, decoded[1].expiry), (11, 99));
        assert_eq!(decoded[2].priority, Some(5));
        assert_eq!((decoded[2].identifier, decoded[2].expiry), (12, 99));
        for notification in &decoded {
            assert_eq!(notification.token, TOKEN);
            assert_eq!(notification.payload, br#"{"aps":{}}"#);
            assert_eq!(notification.check(), LegacyStatus::NoErrors);
        }
    }

    #[test]
    fn checks_what_apple_checks() {
        let mut notification = LegacyDecoder::default();
        notification.feed(&[0, 0, 2, 0xab, 0xcd, 0, 2, b'{', b'}']);
        let short = notification.next_notification().unwrap().unwrap();
        assert_eq!(short.check(), LegacyStatus::InvalidTokenSize);
        let mut empty_payload = short.clone();
        empty_payload.token = TOKEN.to_vec();
        empty_payload.payload.clear();
        assert_eq!(empty_payload.check(), LegacyStatus::MissingPayload);
        let mut big = empty_payload.clone();
        big.payload = vec![b'x'; 257];
        assert_eq!(big.check(), LegacyStatus::InvalidPayloadSize);
        big.format = LegacyFormat::Frame;
        assert_eq!(big.check(), LegacyStatus::NoErrors);
        let mut no_token = big.clone();
        no_token.token.clear();
        assert_eq!(no_token.check(), LegacyStatus::MissingDeviceToken);
    }

    #[test]
    fn each_formats_limit_is_inclusive_and_a_priority_is_10_or_5() {
        let mut notification = DecodedNotification {
            format: LegacyFormat::Enhanced,
            identifier: 1,
            expiry: 0,
            token: TOKEN.to_vec(),
            payload: vec![b'x'; 256],
            priority: None,
        };
        assert_eq!(notification.check(), LegacyStatus::NoErrors);
        notification.format = LegacyFormat::Simple;
        assert_eq!(notification.check(), LegacyStatus::NoErrors);
        notification.payload.push(b'x');
        assert_eq!(notification.check(), LegacyStatus::InvalidPayloadSize);
        notification.format = LegacyFormat::Frame;
        notification.payload = vec![b'x'; 2048];
        assert_eq!(notification.check(), LegacyStatus::NoErrors);
        notification.payload.push(b'x');
        assert_eq!(notification.check(), LegacyStatus::InvalidPayloadSize);
        notification.payload.truncate(2048);
        for (priority, status) in [
            (10, LegacyStatus::NoErrors),
            (5, LegacyStatus::NoErrors),
            (1, LegacyStatus::ProcessingError),
            (7, LegacyStatus::ProcessingError),
        ] {
            notification.priority = Some(priority);
            assert_eq!(notification.check(), status, "priority {priority}");
        }
    }

    #[test]
    fn a_long_stream_in_chunks_that_cut_notifications_is_compacted_and_loses_nothing() {
        let stream = stream().repeat(1_000);
        let mut decoder = LegacyDecoder::default();
        let mut decoded = Vec::new();
        let mut most_held = 0;
        // Chunks end mid-notification, so decoded bytes are never all of the buffer:
        // well past 64 KiB of them must be let go of, keeping the unfinished rest.
        for chunk in stream.chunks(1_000) {
            decoder.feed(chunk);
            most_held = most_held.max(decoder.buffer.len());
            while let Some(notification) = decoder.next_notification().unwrap() {
                decoded.push(notification.identifier);
            }
        }
        assert_eq!(decoder.pending(), 0);
        assert_eq!(decoded.len(), 3_000);
        assert!(decoded.chunks(3).all(|three| three == [0, 11, 12]));
        assert!(
            most_held <= KEEP_DECODED_BYTES + 2 * 1_000,
            "held {most_held} bytes"
        );
    }

    #[test]
    fn decoded_bytes_are_let_go_of_only_once_past_64_kib() {
        // 256 simple notifications of 256 bytes each (37 of header and token, 219 of
        // payload) are exactly 64 KiB.
        let payload = [b' '; 219];
        let mut one = Vec::new();
        encode(
            LegacyFormat::Simple,
            &LegacyNotification {
                token: &TOKEN,
                payload: &payload,
                identifier: 0,
                expiry: 0,
                priority: None,
            },
            &mut one,
        )
        .unwrap();
        assert_eq!(one.len(), 256);
        let mut decoder = LegacyDecoder::default();
        for fed in 1..=256 {
            decoder.feed(&one);
            assert!(decoder.next_notification().unwrap().is_some());
            // Below the threshold a read only appends: nothing is moved.
            assert_eq!(decoder.buffer.len(), fed * 256);
        }
        decoder.feed(&one[..1]);
        assert_eq!(
            decoder.buffer.len(),
            KEEP_DECODED_BYTES + 1,
            "64 KiB read is not yet past it"
        );
        decoder.feed(&one[1..]);
        assert!(decoder.next_notification().unwrap().is_some());
        decoder.feed(&one);
        assert_eq!(
            decoder.buffer.len(),
            256,
            "past 64 KiB, what was read is let go of"
        );
        assert_eq!(
            decoder.next_notification().unwrap().unwrap().payload,
            payload
        );
        assert_eq!(decoder.pending(), 0);
    }

    #[test]
    fn a_lone_notification_decodes_when_its_last_byte_arrives_and_not_before() {
        for format in [
            LegacyFormat::Simple,
            LegacyFormat::Enhanced,
            LegacyFormat::Frame,
        ] {
            let mut bytes = Vec::new();
            encode(
                format,
                &LegacyNotification {
                    token: &TOKEN,
                    payload: br#"{"aps":{}}"#,
                    identifier: 3,
                    expiry: 0,
                    priority: None,
                },
                &mut bytes,
            )
            .unwrap();
            let (last, most) = bytes.split_last().unwrap();
            let mut decoder = LegacyDecoder::default();
            decoder.feed(most);
            assert_eq!(decoder.next_notification(), Ok(None), "{format:?}");
            decoder.feed(&[*last]);
            let decoded = decoder.next_notification().unwrap().expect("decoded");
            assert_eq!(decoded.format, format);
            assert_eq!(decoded.payload, br#"{"aps":{}}"#);
        }
        // A frame item of exactly a header (an empty token) is read, then checked.
        let mut decoder = LegacyDecoder::default();
        decoder.feed(&[2, 0, 0, 0, 3, 1, 0, 0]);
        let empty_token = decoder.next_notification().unwrap().expect("decoded");
        assert_eq!(empty_token.check(), LegacyStatus::MissingDeviceToken);
    }

    #[test]
    fn bytes_left_in_the_buffer_are_kept_while_more_arrive() {
        let bytes = stream();
        let mut decoder = LegacyDecoder::default();
        // One whole notification and the start of the next, then the rest.
        let simple = 3 + 32 + 2 + br#"{"aps":{}}"#.len();
        decoder.feed(&bytes[..simple + 4]);
        assert!(decoder.next_notification().unwrap().is_some());
        assert_eq!(decoder.pending(), 4);
        decoder.feed(&bytes[simple + 4..]);
        assert_eq!(decoder.pending(), bytes.len() - simple);
        let second = decoder.next_notification().unwrap().unwrap();
        assert_eq!(second.identifier, 11);
    }

    #[test]
    fn malformed_streams_are_errors() {
        let mut decoder = LegacyDecoder::default();
        decoder.feed(&[9, 1, 2]);
        assert_eq!(
            decoder.next_notification(),
            Err(LegacyDecodeError::UnknownCommand(9))
        );
        let mut decoder = LegacyDecoder::default();
        // A 5-byte frame whose only item claims 4 bytes of data but has 2.
        decoder.feed(&[2, 0, 0, 0, 5, 3, 0, 4, 1, 2]);
        assert_eq!(
            decoder.next_notification(),
            Err(LegacyDecodeError::MalformedFrame(
                "an item runs past the frame"
            ))
        );
        for (frame, problem) in [
            (&[2, 0, 0, 0, 2, 1, 0][..], "an item header is cut short"),
            (
                &[2, 0, 0, 0, 5, 3, 0, 2, 0, 1],
                "an item has the wrong size",
            ),
            (&[2, 0, 0, 0, 4, 4, 0, 1, 0], "an item has the wrong size"),
            (
                &[2, 0, 0, 0, 5, 5, 0, 2, 10, 10],
                "an item has the wrong size",
            ),
            (&[2, 0, 0, 0, 4, 6, 0, 1, 0], "unknown item id"),
        ] {
            let mut decoder = LegacyDecoder::default();
            decoder.feed(frame);
            assert_eq!(
                decoder.next_notification(),
                Err(LegacyDecodeError::MalformedFrame(problem)),
                "{frame:?}"
            );
        }
        // A frame still arriving is not an error.
        let mut decoder = LegacyDecoder::default();
        decoder.feed(&[2, 0, 0, 0, 9, 1, 0]);
        assert_eq!(decoder.next_notification(), Ok(None));
        decoder.feed(&[2]);
        assert_eq!(decoder.next_notification(), Ok(None));
    }
}
