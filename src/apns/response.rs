//! The answer to an HTTP/2 request, parsed from status, headers and body.

use super::{ApnsId, Reason};

/// An APNs answer. A rejection is an answer, not a transport error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The `apns-id` APNs echoed or made.
    pub apns_id: Option<ApnsId>,
    /// The `apns-unique-id` (development environment only), the key to Apple's delivery log.
    pub apns_unique_id: Option<String>,
    /// Why it was rejected; `None` when accepted.
    pub rejection: Option<Rejection>,
}

/// A rejection: the reason and, for 410, when the token stopped being valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The reason from the error body.
    pub reason: Reason,
    /// For 410: milliseconds since the UNIX epoch since which the token is invalid.
    pub timestamp_ms: Option<u64>,
}

/// Why an answer could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// A non-200 answer whose body is not `{"reason": ...}`.
    #[error("APNs answered {status} with a body that is not an APNs error: {excerpt:?}")]
    MalformedBody {
        /// The HTTP status.
        status: u16,
        /// The start of the body, for the user to see.
        excerpt: String,
    },
    /// The apns-id header is not a UUID.
    #[error("APNs answered with an apns-id that is not a UUID: {0:?}")]
    BadApnsId(String),
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    reason: String,
    #[serde(default)]
    timestamp: Option<u64>,
}

impl Response {
    /// Parses an answer from its status, its `apns-id` and `apns-unique-id` header
    /// values, and its body.
    ///
    /// ```
    /// use push_console::apns::{Reason, Response};
    /// let response = Response::parse(410, None, None, br#"{"reason":"Unregistered","timestamp":1700000000000}"#).unwrap();
    /// let rejection = response.rejection.unwrap();
    /// assert_eq!(rejection.reason, Reason::Unregistered);
    /// assert_eq!(rejection.timestamp_ms, Some(1_700_000_000_000));
    /// ```
    pub fn parse(
        status: u16,
        apns_id: Option<&str>,
        apns_unique_id: Option<&str>,
        body: &[u8],
    ) -> Result<Self, ResponseError> {
        let apns_id = apns_id
            .map(|text| {
                text.parse()
                    .map_err(|_| ResponseError::BadApnsId(text.to_owned()))
            })
            .transpose()?;
        let rejection = if status == 200 {
            None
        } else {
            let parsed: ErrorBody =
                serde_json::from_slice(body).map_err(|_| ResponseError::MalformedBody {
                    status,
                    excerpt: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
                })?;
            Some(Rejection {
                reason: Reason::from(parsed.reason.as_str()),
                timestamp_ms: parsed.timestamp,
            })
        };
        Ok(Self {
            status,
            apns_id,
            apns_unique_id: apns_unique_id.map(str::to_owned),
            rejection,
        })
    }

    /// Whether APNs accepted the notification.
    pub fn is_accepted(&self) -> bool {
        self.status == 200
    }

    /// The rejection reason, if any.
    pub fn reason(&self) -> Option<&Reason> {
        self.rejection.as_ref().map(|rejection| &rejection.reason)
    }
}

/// The error body APNs writes for `reason`, as the simulator sends it.
pub fn error_body(reason: &Reason, timestamp_ms: Option<u64>) -> Vec<u8> {
    let body = match timestamp_ms {
        Some(timestamp) => serde_json::json!({"reason": reason.as_str(), "timestamp": timestamp}),
        None => serde_json::json!({"reason": reason.as_str()}),
    };
    body.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_answer_keeps_ids() {
        let response = Response::parse(
            200,
            Some("123E4567-E89B-12D3-A456-426614174000"),
            Some("b7a6c1a2-0000-4000-8000-000000000000"),
            b"",
        )
        .unwrap();
        assert!(response.is_accepted());
        assert_eq!(
            response.apns_id.unwrap().to_string(),
            "123e4567-e89b-12d3-a456-426614174000"
        );
        assert_eq!(
            response.apns_unique_id.as_deref(),
            Some("b7a6c1a2-0000-4000-8000-000000000000")
        );
        assert_eq!(response.reason(), None);
    }

    #[test]
    fn every_reason_round_trips_through_an_error_body() {
        for reason in Reason::KNOWN {
            let status = reason.status().unwrap();
            let timestamp = (status == 410).then_some(1_700_000_000_123);
            let response =
                Response::parse(status, None, None, &error_body(reason, timestamp)).unwrap();
            let rejection = response.rejection.unwrap();
            assert_eq!(&rejection.reason, reason);
            assert_eq!(rejection.timestamp_ms, timestamp);
        }
    }

    #[test]
    fn unknown_reasons_are_kept() {
        let response = Response::parse(400, None, None, br#"{"reason":"BrandNew"}"#).unwrap();
        assert_eq!(response.reason(), Some(&Reason::Unknown("BrandNew".into())));
    }

    #[test]
    fn malformed_bodies_are_errors() {
        for body in [
            &b""[..],
            b"<html>oops</html>",
            br#"{"why":"x"}"#,
            br#"{"reason":5}"#,
        ] {
            let err = Response::parse(400, None, None, body).unwrap_err();
            assert!(matches!(
                err,
                ResponseError::MalformedBody { status: 400, .. }
            ));
        }
        assert_eq!(
            Response::parse(200, Some("nope"), None, b""),
            Err(ResponseError::BadApnsId("nope".into()))
        );
    }

    #[test]
    fn a_refusal_is_not_accepted_and_a_long_bad_body_is_cut_to_200_bytes() {
        let refused = Response::parse(410, None, None, &error_body(&Reason::Unregistered, None));
        assert!(!refused.unwrap().is_accepted());
        let page = "x".repeat(300);
        assert_eq!(
            Response::parse(502, None, None, page.as_bytes()),
            Err(ResponseError::MalformedBody {
                status: 502,
                excerpt: "x".repeat(200)
            })
        );
        assert_eq!(
            Response::parse(500, None, None, b"short")
                .unwrap_err()
                .to_string(),
            "APNs answered 500 with a body that is not an APNs error: \"short\""
        );
    }
}
