//! Device tokens: the hex string a device hands to its app, normalised and checked.

use std::fmt;
use std::str::FromStr;

/// The length of every device token Apple has issued so far, in bytes.
pub const STANDARD_TOKEN_LEN: usize = 32;

/// The longest token accepted. Apple documents tokens as variable length, and
/// Apple's own guidance is to not assume 32 bytes; 100 bytes bounds the legacy
/// frame format and keeps garbage input from becoming a "token".
pub const MAX_TOKEN_LEN: usize = 100;

/// A device token, stored as raw bytes and displayed as lowercase hex.
///
/// Parsing accepts what users paste: any case, spaces, and the `<...>` that
/// `NSData`'s description used to wrap tokens in.
///
/// ```
/// use push_console::apns::DeviceToken;
/// let token: DeviceToken = "<740F4707 BEBCF74F>".parse().unwrap();
/// assert_eq!(token.to_string(), "740f4707bebcf74f");
/// assert!(token.length_warning().is_some());
/// ```
///
/// Cloning shares the bytes: a token is copied into every outcome, event and history row
/// of its notification, and a batch may hold a million.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceToken(std::sync::Arc<[u8]>);

/// Why a string or byte sequence is not a device token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Nothing but separators was given.
    #[error("the device token is empty; paste the hex string the app logged")]
    Empty,
    /// A character that is neither a hex digit nor an accepted separator.
    #[error(
        "the device token has {character:?} at position {position}; a token is hex digits (0-9, a-f), optionally with spaces or <>"
    )]
    NotHex {
        /// 1-based position of the character in the input, counted in characters.
        position: usize,
        /// The offending character.
        character: char,
    },
    /// An odd number of hex digits cannot be whole bytes.
    #[error(
        "the device token has {digits} hex digits, an odd number; a digit is missing or extra (a 32-byte token has 64)"
    )]
    OddLength {
        /// How many hex digits were found.
        digits: usize,
    },
    /// More than [`MAX_TOKEN_LEN`] bytes.
    #[error("the device token is {bytes} bytes long; the longest accepted is {MAX_TOKEN_LEN}")]
    TooLong {
        /// The decoded length in bytes.
        bytes: usize,
    },
}

impl DeviceToken {
    /// Wraps raw token bytes, as read from the legacy feedback service.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TokenError> {
        Self::from_vec(bytes.to_vec())
    }

    fn from_vec(bytes: Vec<u8>) -> Result<Self, TokenError> {
        match bytes.len() {
            0 => Err(TokenError::Empty),
            n if n > MAX_TOKEN_LEN => Err(TokenError::TooLong { bytes: n }),
            _ => Ok(Self(bytes.into())),
        }
    }

    /// 32 zero bytes: a stand-in for checking a notification before its device is known.
    pub fn placeholder() -> Self {
        Self(vec![0; STANDARD_TOKEN_LEN].into())
    }

    /// The raw bytes, as written into legacy frames.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: an empty token cannot be constructed. Present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A note for the user when the token is shorter than the usual 32 bytes: most often
    /// a copy-paste slip. Longer tokens are real (push-to-start tokens, the iOS
    /// Simulator's) and pass without a word.
    pub fn length_warning(&self) -> Option<String> {
        (self.0.len() < STANDARD_TOKEN_LEN).then(|| {
            format!(
                "the device token is {} bytes; device tokens are at least {STANDARD_TOKEN_LEN} bytes (64 hex digits), check it was copied whole",
                self.0.len()
            )
        })
    }

    /// The first and last four hex digits, for logs: enough to tell tokens apart,
    /// not enough to push to one.
    pub fn masked(&self) -> String {
        let hex = self.to_string();
        let tail = &hex[hex.len().saturating_sub(4)..];
        if hex.len() <= 12 {
            format!("…{tail}")
        } else {
            format!("{}…{tail}", &hex[..4])
        }
    }
}

impl FromStr for DeviceToken {
    type Err = TokenError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut bytes = Vec::with_capacity(input.len() / 2);
        let mut high: Option<u8> = None;
        let mut digits = 0usize;
        for (index, character) in input.chars().enumerate() {
            if matches!(character, ' ' | '<' | '>' | '\t') {
                continue;
            }
            let value = character.to_digit(16).ok_or(TokenError::NotHex {
                position: index + 1,
                character,
            })? as u8;
            digits += 1;
            match high.take() {
                None => high = Some(value),
                Some(upper) => bytes.push(upper << 4 | value),
            }
        }
        if digits == 0 {
            return Err(TokenError::Empty);
        }
        if high.is_some() {
            return Err(TokenError::OddLength { digits });
        }
        Self::from_vec(bytes)
    }
}

impl fmt::Display for DeviceToken {
    /// Lower-case hex. Every HTTP/2 request's path and every `--json` line writes one, so
    /// it is written in pieces from a table rather than a byte at a time through `{:02x}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 128];
        for chunk in self.0.chunks(text.len() / 2) {
            for (pair, byte) in text.chunks_exact_mut(2).zip(chunk) {
                pair[0] = DIGITS[usize::from(byte >> 4)];
                pair[1] = DIGITS[usize::from(byte & 0x0f)];
            }
            let written = &text[..chunk.len() * 2];
            f.write_str(std::str::from_utf8(written).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceToken({})", self.masked())
    }
}

/// Tokens as pasted or exported: one per line, blank lines and `#` comments skipped,
/// a CSV's first column taken, duplicates dropped.
///
/// ```
/// use push_console::apns::TokenList;
/// let list = TokenList::parse("# fleet\nabcd,iPhone\nABCD\nxyz\n");
/// assert_eq!(list.tokens.len(), 1);
/// assert_eq!((list.duplicates, list.rejects[0].0), (1, 4));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenList {
    /// The valid tokens, in order, each once.
    pub tokens: Vec<DeviceToken>,
    /// Lines that are not tokens: 1-based line number and why.
    pub rejects: Vec<(usize, TokenError)>,
    /// Valid tokens left out because they came earlier.
    pub duplicates: usize,
}

impl TokenList {
    /// Reads a list.
    pub fn parse(text: &str) -> Self {
        let mut list = Self::default();
        let mut seen = std::collections::HashSet::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // A CSV export keeps the token in its first column.
            let field = line.split([',', ';']).next().unwrap_or(line).trim();
            match field.parse::<DeviceToken>() {
                Ok(token) if seen.insert(token.clone()) => list.tokens.push(token),
                Ok(_) => list.duplicates += 1,
                Err(error) => list.rejects.push((index + 1, error)),
            }
        }
        list
    }
}

impl serde::Serialize for DeviceToken {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DeviceToken {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_spaces_and_angle_brackets() {
        let token: DeviceToken = "<AB cd EF 01>".parse().unwrap();
        assert_eq!(token.as_bytes(), &[0xab, 0xcd, 0xef, 0x01]);
        assert_eq!(token.to_string(), "abcdef01");
    }

    #[test]
    fn names_the_position_of_a_bad_character() {
        let err = "abcg".parse::<DeviceToken>().unwrap_err();
        assert_eq!(
            err,
            TokenError::NotHex {
                position: 4,
                character: 'g'
            }
        );
        let err = "<ab é>".parse::<DeviceToken>().unwrap_err();
        assert_eq!(
            err,
            TokenError::NotHex {
                position: 5,
                character: 'é'
            }
        );
        assert!(err.to_string().contains("position 5"));
    }

    #[test]
    fn rejects_empty_odd_and_too_long() {
        assert_eq!("".parse::<DeviceToken>(), Err(TokenError::Empty));
        assert_eq!(" <> ".parse::<DeviceToken>(), Err(TokenError::Empty));
        assert_eq!(
            "abc".parse::<DeviceToken>(),
            Err(TokenError::OddLength { digits: 3 })
        );
        let long = "ab".repeat(101);
        assert_eq!(
            long.parse::<DeviceToken>(),
            Err(TokenError::TooLong { bytes: 101 })
        );
        assert!("ab".repeat(100).parse::<DeviceToken>().is_ok());
        // The words a user reads for each.
        let words = |text: &str| text.parse::<DeviceToken>().unwrap_err().to_string();
        assert_eq!(
            words(""),
            "the device token is empty; paste the hex string the app logged"
        );
        assert_eq!(
            words("abc"),
            "the device token has 3 hex digits, an odd number; a digit is missing or extra (a 32-byte token has 64)"
        );
        assert_eq!(
            words(&long),
            "the device token is 101 bytes long; the longest accepted is 100"
        );
    }

    #[test]
    fn a_token_list_skips_comments_and_blanks_takes_first_columns_and_counts_the_rest() {
        let list = TokenList::parse(
            "# exported\n\nabcd,iPhone 15\n  \nABCD;again\nxyz\nabcd\n0011 2233\n# end\nzz\n",
        );
        let expected: Vec<DeviceToken> = vec!["abcd".parse().unwrap(), "00112233".parse().unwrap()];
        assert_eq!(list.tokens, expected);
        assert_eq!(list.duplicates, 2);
        let reject_lines: Vec<usize> = list.rejects.iter().map(|(line, _)| *line).collect();
        assert_eq!(reject_lines, [6, 10]);
    }

    #[test]
    fn hex_round_trips_at_every_length_the_display_writes_in_pieces() {
        for len in [1, 31, 32, 63, 64, 65, 80, 99, MAX_TOKEN_LEN] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let token = DeviceToken::from_bytes(&bytes).expect("a valid length");
            let hex = token.to_string();
            assert_eq!(hex.len(), len * 2);
            assert_eq!((token.len(), token.is_empty()), (len, false));
            let expected: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
            assert_eq!(hex, expected);
            assert_eq!(hex.parse::<DeviceToken>(), Ok(token));
        }
        assert_eq!(DeviceToken::from_bytes(&[]), Err(TokenError::Empty));
    }

    #[test]
    fn warns_of_short_tokens_and_takes_long_ones() {
        let short: DeviceToken = "abcd".parse().unwrap();
        assert!(short.length_warning().unwrap().contains("2 bytes"));
        let standard: DeviceToken = "ab".repeat(32).parse().unwrap();
        assert_eq!(standard.length_warning(), None);
        // A push-to-start or iOS Simulator token.
        let long: DeviceToken = "ab".repeat(80).parse().unwrap();
        assert_eq!(long.length_warning(), None);
    }

    #[test]
    fn masks_for_logs() {
        let token: DeviceToken = "0123456789abcdef".repeat(4).parse().unwrap();
        assert_eq!(token.masked(), "0123…cdef");
        assert_eq!(format!("{token:?}"), "DeviceToken(0123…cdef)");
    }
}
