//! The legacy feedback service: a stream of `time | token_len | token` tuples.

use super::{DeviceToken, TokenError};

/// One feedback entry: the token stopped being valid at `time`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FeedbackTuple {
    /// UNIX seconds since which APNs saw the app as gone from the device.
    pub time: u32,
    /// The token to stop sending to, unless the device registered it again later.
    pub token: DeviceToken,
}

impl FeedbackTuple {
    /// Appends the tuple's wire form, as the simulator's feedback service sends it.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.time.to_be_bytes());
        // Tokens are at most 100 bytes, far below u16::MAX.
        out.extend_from_slice(&(self.token.len() as u16).to_be_bytes());
        out.extend_from_slice(self.token.as_bytes());
    }
}

/// Why the feedback stream could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedbackError {
    /// A tuple carries something that is not a token.
    #[error("the feedback service sent a bad token: {0}")]
    BadToken(#[from] TokenError),
    /// The stream ended inside a tuple.
    #[error("the feedback stream ended in the middle of an entry ({0} stray bytes)")]
    Truncated(usize),
}

const HEADER_LEN: usize = 6;

/// Decodes feedback tuples from bytes that arrive in chunks of any size.
///
/// ```
/// use push_console::apns::FeedbackDecoder;
/// let mut decoder = FeedbackDecoder::default();
/// decoder.feed(&[0, 0, 0, 5, 0, 2]);
/// assert_eq!(decoder.next_tuple().unwrap(), None); // the token has not arrived yet
/// decoder.feed(&[0xab, 0xcd]);
/// let tuple = decoder.next_tuple().unwrap().unwrap();
/// assert_eq!((tuple.time, tuple.token.to_string()), (5, "abcd".to_string()));
/// decoder.finish().unwrap();
/// ```
#[derive(Default, Debug)]
pub struct FeedbackDecoder {
    buffer: Vec<u8>,
    start: usize,
}

impl FeedbackDecoder {
    /// Adds bytes read from the connection.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete tuple, or `None` until more bytes arrive.
    pub fn next_tuple(&mut self) -> Result<Option<FeedbackTuple>, FeedbackError> {
        let pending = &self.buffer[self.start..];
        if pending.len() < HEADER_LEN {
            return Ok(None);
        }
        let token_len = usize::from(u16::from_be_bytes([pending[4], pending[5]]));
        let total = HEADER_LEN + token_len;
        if pending.len() < total {
            return Ok(None);
        }
        let time = u32::from_be_bytes([pending[0], pending[1], pending[2], pending[3]]);
        let token = DeviceToken::from_bytes(&pending[HEADER_LEN..total]);
        self.start += total;
        self.compact();
        Ok(Some(FeedbackTuple {
            time,
            token: token?,
        }))
    }

    /// Every tuple that is complete so far.
    pub fn drain(&mut self) -> Result<Vec<FeedbackTuple>, FeedbackError> {
        let mut tuples = Vec::new();
        while let Some(tuple) = self.next_tuple()? {
            tuples.push(tuple);
        }
        Ok(tuples)
    }

    /// Checks that the stream ended on a tuple boundary.
    pub fn finish(self) -> Result<(), FeedbackError> {
        match self.buffer.len() - self.start {
            0 => Ok(()),
            stray => Err(FeedbackError::Truncated(stray)),
        }
    }

    /// Drops consumed bytes once they dominate, so a long stream uses bounded memory.
    fn compact(&mut self) {
        if self.start > 4096 && self.start * 2 > self.buffer.len() {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample_stream() -> (Vec<u8>, Vec<FeedbackTuple>) {
        let tuples: Vec<FeedbackTuple> = (0..50u32)
            .map(|index| FeedbackTuple {
                time: 1_600_000_000 + index,
                token: DeviceToken::from_bytes(&[index as u8 + 1; 32]).unwrap(),
            })
            .collect();
        let mut bytes = Vec::new();
        for tuple in &tuples {
            tuple.encode(&mut bytes);
        }
        (bytes, tuples)
    }

    #[test]
    fn exact_bytes_of_a_tuple() {
        let tuple = FeedbackTuple {
            time: 0x5f5e_1000,
            token: DeviceToken::from_bytes(&[0xde, 0xad]).unwrap(),
        };
        let mut out = Vec::new();
        tuple.encode(&mut out);
        assert_eq!(out, [0x5f, 0x5e, 0x10, 0x00, 0x00, 0x02, 0xde, 0xad]);
    }

    #[test]
    fn decodes_one_byte_at_a_time() {
        let (bytes, expected) = sample_stream();
        let mut decoder = FeedbackDecoder::default();
        let mut decoded = Vec::new();
        for byte in bytes {
            decoder.feed(&[byte]);
            decoded.extend(decoder.drain().unwrap());
        }
        decoder.finish().unwrap();
        assert_eq!(decoded, expected);
    }

    #[test]
    fn a_stream_cut_mid_tuple_is_reported() {
        let (bytes, _) = sample_stream();
        let mut decoder = FeedbackDecoder::default();
        decoder.feed(&bytes[..bytes.len() - 3]);
        assert_eq!(decoder.drain().unwrap().len(), 49);
        assert_eq!(decoder.finish(), Err(FeedbackError::Truncated(35)));
        assert_eq!(
            FeedbackError::Truncated(35).to_string(),
            "the feedback stream ended in the middle of an entry (35 stray bytes)"
        );
    }

    #[test]
    fn an_empty_token_is_an_error_and_decoding_goes_on() {
        let mut decoder = FeedbackDecoder::default();
        decoder.feed(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1, 0xaa]);
        assert_eq!(
            decoder.next_tuple(),
            Err(FeedbackError::BadToken(TokenError::Empty))
        );
        assert_eq!(decoder.next_tuple().unwrap().unwrap().time, 2);
    }

    #[test]
    fn an_empty_token_at_the_very_end_is_reported_not_left_stray() {
        let mut decoder = FeedbackDecoder::default();
        decoder.feed(&[0, 0, 0, 1, 0, 0]);
        assert_eq!(
            decoder.next_tuple(),
            Err(FeedbackError::BadToken(TokenError::Empty))
        );
        assert_eq!(decoder.finish(), Ok(()));
    }

    #[test]
    fn an_endless_stream_is_held_in_bounded_memory() {
        let (bytes, expected) = sample_stream();
        let mut decoder = FeedbackDecoder::default();
        let mut decoded = 0;
        let mut most_held = 0;
        // 1,000 times 50 tuples of 38 bytes, in chunks of 50 that mostly end mid-tuple, so
        // something is pending and only compaction frees what was read.
        let endless: Vec<u8> = bytes
            .iter()
            .copied()
            .cycle()
            .take(bytes.len() * 1000)
            .collect();
        for chunk in endless.chunks(50) {
            decoder.feed(chunk);
            decoded += decoder.drain().unwrap().len();
            most_held = most_held.max(decoder.buffer.len());
        }
        decoder.finish().unwrap();
        assert_eq!(decoded, expected.len() * 1000);
        // What was read is let go as soon as it passes 4 KiB: at most that, a tuple and a
        // chunk are held.
        assert!(
            most_held <= 4096 + 38 + 2 * 50,
            "{most_held} bytes held for a {} byte stream",
            endless.len()
        );
    }

    proptest! {
        #[test]
        fn decodes_in_random_chunks(cuts in proptest::collection::vec(0usize..2000, 0..40)) {
            let (bytes, expected) = sample_stream();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
            cuts.push(0);
            cuts.push(bytes.len());
            cuts.sort_unstable();
            let mut decoder = FeedbackDecoder::default();
            let mut decoded = Vec::new();
            for window in cuts.windows(2) {
                decoder.feed(&bytes[window[0]..window[1]]);
                decoded.extend(decoder.drain().unwrap());
            }
            decoder.finish().unwrap();
            prop_assert_eq!(decoded, expected);
        }
    }
}
