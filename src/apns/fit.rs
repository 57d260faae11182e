//! Shortening the alert body so that a payload fits its limit.

use super::{Payload, PayloadLimit, limit::group_thousands};

/// Appended to a shortened body so the reader sees it was cut.
pub const ELLIPSIS: char = '…';

/// Why the body could not be shortened to fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    /// There is no `aps.alert` string or `aps.alert.body` to shorten.
    #[error("the payload has no alert body to shorten; remove custom keys or other fields instead")]
    NoAlertBody,
    /// Even with an empty body the rest of the payload is over the limit.
    #[error(
        "even with an empty alert body the payload is {} bytes; {limit}: shorten other fields or custom keys",
        group_thousands(*size_without_body)
    )]
    RestTooLarge {
        /// The payload size with the body emptied.
        size_without_body: usize,
        /// What the limit is.
        limit: String,
    },
}

/// The result of a successful fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// The payload, shortened if it had to be.
    pub payload: Payload,
    /// How many characters of the original body were removed (0 if it already fit).
    pub removed_chars: usize,
}

/// The length of a character once serde_json has written it inside a string.
fn escaped_len(character: char) -> usize {
    match character {
        '"' | '\\' | '\u{08}' | '\u{0c}' | '\n' | '\r' | '\t' => 2,
        '\u{00}'..='\u{1f}' => 6,
        other => other.len_utf8(),
    }
}

impl Payload {
    /// Shortens the alert body, on a character boundary and with a trailing `…`,
    /// so that the whole payload fits `limit`. Keeps as much of the body as fits.
    ///
    /// ```
    /// use push_console::apns::{Payload, PayloadLimit, PushType, Transport, LegacyFormat};
    /// let long = Payload::from_json(&format!(r#"{{"aps":{{"alert":"{}"}}}}"#, "é".repeat(200))).unwrap();
    /// let limit = PayloadLimit::new(Transport::Legacy(LegacyFormat::Simple), &PushType::Alert);
    /// let fitted = long.fit_alert_body(&limit).unwrap();
    /// assert!(fitted.payload.size() <= 256);
    /// assert!(fitted.payload.alert_body().unwrap().ends_with('…'));
    /// ```
    pub fn fit_alert_body(&self, limit: &PayloadLimit) -> Result<Fitted, FitError> {
        let body = self.alert_body().ok_or(FitError::NoAlertBody)?;
        if limit.allows(self.size()) {
            return Ok(Fitted {
                payload: self.clone(),
                removed_chars: 0,
            });
        }
        let mut shortened = self.clone();
        shortened.set_alert_body(String::new());
        let size_without_body = shortened.size();
        if !limit.allows(size_without_body) {
            return Err(FitError::RestTooLarge {
                size_without_body,
                limit: limit.to_string(),
            });
        }
        let room = limit.bytes() - size_without_body;
        let total_chars = body.chars().count();
        let ellipsis_len = ELLIPSIS.len_utf8();
        let mut kept_chars = 0;
        let new_body = if room < ellipsis_len {
            String::new()
        } else {
            let mut used = ellipsis_len;
            let mut cut = 0;
            for (offset, character) in body.char_indices() {
                used += escaped_len(character);
                if used > room {
                    break;
                }
                cut = offset + character.len_utf8();
                kept_chars += 1;
            }
            let mut kept = body[..cut].to_owned();
            kept.push(ELLIPSIS);
            kept
        };
        shortened.set_alert_body(new_body);
        Ok(Fitted {
            payload: shortened,
            removed_chars: total_chars - kept_chars,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apns::{LegacyFormat, PushType, Transport};
    use proptest::prelude::*;

    fn simple_limit() -> PayloadLimit {
        PayloadLimit::new(Transport::Legacy(LegacyFormat::Simple), &PushType::Alert)
    }

    fn alert_payload(body: &str) -> Payload {
        Payload::builder().alert_text(body).build().unwrap()
    }

    #[test]
    fn a_payload_that_fits_is_unchanged() {
        let payload = alert_payload("short");
        let fitted = payload.fit_alert_body(&simple_limit()).unwrap();
        assert_eq!(fitted.payload, payload);
        assert_eq!(fitted.removed_chars, 0);
    }

    #[test]
    fn fills_the_limit_exactly_when_it_can() {
        // {"aps":{"alert":""}} is 20 bytes; 256 - 20 = 236 for the body: 233 'a' plus '…' (3 bytes).
        let fitted = alert_payload(&"a".repeat(300))
            .fit_alert_body(&simple_limit())
            .unwrap();
        assert_eq!(fitted.payload.size(), 256);
        assert_eq!(fitted.payload.alert_body().unwrap(), "a".repeat(233) + "…");
        assert_eq!(fitted.removed_chars, 67);
    }

    #[test]
    fn an_ellipsis_alone_when_only_it_fits_and_nothing_when_it_does_not() {
        let base = Payload::from_json(r#"{"aps":{"alert":""},"pad":""}"#)
            .unwrap()
            .size();
        for (room, expected_body) in [(4, "l…"), (3, "…"), (2, ""), (0, "")] {
            // Pad the rest of the payload so that exactly `room` bytes are left for the body.
            let pad = "p".repeat(256 - room - base);
            let payload = Payload::from_json(&format!(
                r#"{{"aps":{{"alert":"long body"}},"pad":"{pad}"}}"#
            ))
            .unwrap();
            let fitted = payload.fit_alert_body(&simple_limit()).unwrap();
            assert_eq!(
                fitted.payload.alert_body(),
                Some(expected_body),
                "{room} bytes"
            );
            assert!(fitted.payload.size() <= 256);
            assert_eq!(
                fitted.removed_chars,
                "long body".len() - expected_body.trim_end_matches('…').len()
            );
        }
    }

    #[test]
    fn counts_escapes_as_written() {
        // Each '"' costs two bytes once escaped: 116 of them and '…' fill 235 of the 236 bytes.
        let fitted = alert_payload(&"\"".repeat(300))
            .fit_alert_body(&simple_limit())
            .unwrap();
        assert!(fitted.payload.size() <= 256);
        assert_eq!(fitted.payload.size(), 20 + 116 * 2 + 3);
    }

    #[test]
    fn shortens_the_body_key_of_an_alert_dictionary() {
        let payload = Payload::from_json(&format!(
            r#"{{"aps":{{"alert":{{"title":"T","body":"{}"}}}},"id":7}}"#,
            "x".repeat(400)
        ))
        .unwrap();
        let fitted = payload.fit_alert_body(&simple_limit()).unwrap();
        assert_eq!(fitted.payload.size(), 256);
        assert_eq!(fitted.payload.as_map()["id"], 7);
        assert_eq!(fitted.payload.aps().unwrap()["alert"]["title"], "T");
    }

    #[test]
    fn errors_without_a_body_or_when_the_rest_is_too_big() {
        let no_body = Payload::builder().badge(1).build().unwrap();
        assert_eq!(
            no_body.fit_alert_body(&simple_limit()),
            Err(FitError::NoAlertBody)
        );
        let huge = Payload::builder()
            .alert_text("hi")
            .custom("blob", serde_json::json!("z".repeat(300)))
            .build()
            .unwrap();
        let err = huge.fit_alert_body(&simple_limit()).unwrap_err();
        assert!(matches!(err, FitError::RestTooLarge { .. }));
        assert!(
            err.to_string()
                .contains("the limit for the legacy simple format is 256")
        );
    }

    proptest! {
        #[test]
        fn the_result_always_fits_and_never_splits_a_character(
            body in "\\PC{0,600}",
            custom in "[a-z\"\\\\\n]{0,80}",
            limit_choice in 0usize..3,
        ) {
            let limit = [
                simple_limit(),
                PayloadLimit::new(Transport::Legacy(LegacyFormat::Frame), &PushType::Alert),
                PayloadLimit::new(Transport::Http2, &PushType::Alert),
            ][limit_choice].clone();
            let payload = Payload::builder()
                .alert_text(body.clone())
                .custom("c", serde_json::json!(custom))
                .build()
                .unwrap();
            if let Ok(fitted) = payload.fit_alert_body(&limit) {
                prop_assert!(limit.allows(fitted.payload.size()));
                let new_body = fitted.payload.alert_body().unwrap().to_owned();
                if fitted.removed_chars == 0 {
                    prop_assert_eq!(&new_body, &body);
                } else {
                    // What is kept is a prefix of whole characters of the original.
                    let kept = new_body.strip_suffix(ELLIPSIS).unwrap_or(&new_body);
                    prop_assert!(body.starts_with(kept));
                    prop_assert!(body.is_char_boundary(kept.len()));
                    // And it is the longest such prefix: one more character would not fit.
                    let next = body[kept.len()..].chars().next().unwrap();
                    let mut longer = payload.clone();
                    longer.set_alert_body(format!("{kept}{next}{ELLIPSIS}"));
                    prop_assert!(!limit.allows(longer.size()) || new_body.is_empty());
                }
            }
        }
    }
}
