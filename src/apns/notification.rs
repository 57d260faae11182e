//! A notification to one device, and its mapping to an HTTP/2 request or legacy bytes.

use super::legacy::{self, LegacyEncodeError, LegacyNotification};
use super::limit::group_thousands;
use super::{
    ApnsId, CollapseId, DeviceToken, Expiration, LegacyFormat, Payload, PayloadLimit, Priority,
    PushType, Topic, Transport,
};

/// Everything APNs needs to deliver one push to one device.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// The device.
    pub token: DeviceToken,
    /// `apns-topic`; may be left out with a single-topic certificate.
    pub topic: Option<Topic>,
    /// `apns-push-type`.
    pub push_type: PushType,
    /// `apns-priority`; APNs assumes 10 when absent.
    pub priority: Option<Priority>,
    /// `apns-expiration`; `Some(Expiration::IMMEDIATELY)` is sent as `0`.
    pub expiration: Option<Expiration>,
    /// `apns-collapse-id`.
    pub collapse_id: Option<CollapseId>,
    /// `apns-id`; APNs makes one when absent.
    pub apns_id: Option<ApnsId>,
    /// The JSON body.
    pub payload: Payload,
}

/// The HTTP/2 request for a notification, before any transport touches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Http2Request {
    /// Always `POST`.
    pub method: &'static str,
    /// `/3/device/<hex token>`.
    pub path: String,
    /// Header names (lowercase) and values, in the order they are sent.
    pub headers: Vec<(&'static str, String)>,
    /// The payload bytes.
    pub body: Vec<u8>,
}

/// Why a notification cannot be sent as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    /// The payload is over the limit that applies.
    #[error("payload is {} bytes; {limit}", group_thousands(*size))]
    PayloadTooLarge {
        /// The payload size in bytes.
        size: usize,
        /// The limit, described.
        limit: String,
    },
    /// Legacy framing refused it.
    #[error(transparent)]
    Legacy(#[from] LegacyEncodeError),
}

/// The payload's bytes, or why they are over `limit`.
pub(super) fn sized_body(
    payload: &Payload,
    limit: &PayloadLimit,
) -> Result<Vec<u8>, NotificationError> {
    let body = payload.to_bytes();
    if !limit.allows(body.len()) {
        return Err(NotificationError::PayloadTooLarge {
            size: body.len(),
            limit: limit.to_string(),
        });
    }
    Ok(body)
}

impl Notification {
    /// A notification with defaults: alert push type, no optional headers.
    pub fn new(token: DeviceToken, payload: Payload) -> Self {
        Self {
            token,
            topic: None,
            push_type: PushType::Alert,
            priority: None,
            expiration: None,
            collapse_id: None,
            apns_id: None,
            payload,
        }
    }

    /// The payload limit for this notification over `transport`.
    pub fn limit(&self, transport: Transport) -> PayloadLimit {
        PayloadLimit::new(transport, &self.push_type)
    }

    /// The request path for a token.
    pub fn http2_path(token: &DeviceToken) -> String {
        format!("/3/device/{token}")
    }

    /// The request headers, in a fixed order. `bearer` is the provider token (JWT)
    /// for token auth, `None` for certificate auth.
    pub fn http2_headers(&self, bearer: Option<&str>) -> Vec<(&'static str, String)> {
        let mut headers = Vec::with_capacity(7);
        if let Some(jwt) = bearer {
            headers.push(("authorization", format!("bearer {jwt}")));
        }
        if let Some(id) = &self.apns_id {
            headers.push(("apns-id", id.to_string()));
        }
        headers.push(("apns-push-type", self.push_type.to_string()));
        if let Some(topic) = &self.topic {
            headers.push(("apns-topic", topic.to_string()));
        }
        if let Some(priority) = self.priority {
            headers.push(("apns-priority", priority.to_string()));
        }
        if let Some(expiration) = self.expiration {
            headers.push(("apns-expiration", expiration.to_string()));
        }
        if let Some(collapse_id) = &self.collapse_id {
            headers.push(("apns-collapse-id", collapse_id.to_string()));
        }
        headers
    }

    /// The whole HTTP/2 request, refusing a payload over its limit.
    ///
    /// ```
    /// use push_console::apns::{Notification, Payload, Expiration};
    /// let mut notification = Notification::new(
    ///     "abcd".parse().unwrap(),
    ///     Payload::builder().alert_text("Hi").build().unwrap(),
    /// );
    /// notification.topic = Some("com.example.app".parse().unwrap());
    /// notification.expiration = Some(Expiration::IMMEDIATELY);
    /// let request = notification.to_http2_request(None).unwrap();
    /// assert_eq!(request.path, "/3/device/abcd");
    /// assert_eq!(request.headers, [
    ///     ("apns-push-type", "alert".to_string()),
    ///     ("apns-topic", "com.example.app".to_string()),
    ///     ("apns-expiration", "0".to_string()),
    /// ]);
    /// assert_eq!(request.body, br#"{"aps":{"alert":"Hi"}}"#);
    /// ```
    pub fn to_http2_request(
        &self,
        bearer: Option<&str>,
    ) -> Result<Http2Request, NotificationError> {
        let body = sized_body(&self.payload, &self.limit(Transport::Http2))?;
        Ok(Http2Request {
            method: "POST",
            path: Self::http2_path(&self.token),
            headers: self.http2_headers(bearer),
            body,
        })
    }

    /// Appends the notification in a legacy `format` to `out`, with `identifier`
    /// as the number an error-response would name.
    pub fn encode_legacy(
        &self,
        format: LegacyFormat,
        identifier: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), NotificationError> {
        let payload = self.payload.to_bytes();
        legacy::encode(
            format,
            &LegacyNotification {
                token: self.token.as_bytes(),
                payload: &payload,
                identifier,
                expiry: self.expiration.map_or(0, Expiration::unix_seconds),
                priority: self.priority,
            },
            out,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Notification {
        let mut notification = Notification::new(
            "740F4707 BEBCF74F".parse().unwrap(),
            Payload::builder().content_available().build().unwrap(),
        );
        notification.topic = Some("com.example.app".parse().unwrap());
        notification.push_type = PushType::Background;
        notification.priority = Some(Priority::Normal);
        notification.expiration = Some(Expiration(1_700_000_000));
        notification.collapse_id = Some("score".parse().unwrap());
        notification.apns_id = Some("123e4567-e89b-12d3-a456-426614174000".parse().unwrap());
        notification
    }

    #[test]
    fn maps_every_header_in_order() {
        let request = full().to_http2_request(Some("eyJ.x.y")).unwrap();
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/3/device/740f4707bebcf74f");
        let expected: Vec<(&str, String)> = [
            ("authorization", "bearer eyJ.x.y"),
            ("apns-id", "123e4567-e89b-12d3-a456-426614174000"),
            ("apns-push-type", "background"),
            ("apns-topic", "com.example.app"),
            ("apns-priority", "5"),
            ("apns-expiration", "1700000000"),
            ("apns-collapse-id", "score"),
        ]
        .into_iter()
        .map(|(name, value)| (name, value.to_string()))
        .collect();
        assert_eq!(request.headers, expected);
        assert_eq!(request.body, br#"{"aps":{"content-available":1}}"#);
    }

    #[test]
    fn refuses_payloads_over_the_http2_limit_by_push_type() {
        let mut notification = full();
        notification.payload = Payload::builder()
            .custom("pad", serde_json::json!("x".repeat(4200)))
            .build()
            .unwrap();
        let err = notification.to_http2_request(None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "payload is 4,210 bytes; the limit for background over HTTP/2 is 4,096"
        );
        notification.push_type = PushType::Voip;
        assert!(notification.to_http2_request(None).is_ok());
    }

    #[test]
    fn legacy_encoding_uses_the_expiration_and_priority() {
        let mut out = Vec::new();
        full()
            .encode_legacy(LegacyFormat::Frame, 7, &mut out)
            .unwrap();
        // Frame: command, length, token item (3+8), payload (3+31), id (3+4), expiry (3+4), priority (3+1).
        assert_eq!(out.len(), 5 + 11 + 34 + 7 + 7 + 4);
        assert_eq!(
            &out[out.len() - 11..out.len() - 4],
            &[4, 0, 4, 0x65, 0x53, 0xf1, 0x00]
        );
        assert_eq!(&out[out.len() - 4..], &[5, 0, 1, 5]);
    }
}
