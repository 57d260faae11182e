//! APNs rejection reasons, what they mean, and what to do about them.

use std::fmt;

/// What a sender should do after a rejection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetryAdvice {
    /// Retrying the same request cannot succeed.
    Never,
    /// Retry after waiting (429 TooManyRequests).
    AfterDelay,
    /// Retry with exponential back-off (500, 503).
    WithBackoff,
    /// Make a new provider token and retry once.
    RenewTokenOnce,
}

macro_rules! reasons {
    ($( $(#[$doc:meta])* $variant:ident = $status:literal, $words:literal; )*) => {
        /// A reason string from an APNs error body. Unknown strings are kept, not dropped.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum Reason {
            $( $(#[$doc])* $variant, )*
            /// A reason this version does not know, as APNs wrote it.
            Unknown(String),
        }

        impl Reason {
            /// Every known reason.
            pub const KNOWN: &'static [Reason] = &[ $( Reason::$variant, )* ];

            /// The reason string as APNs writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Reason::$variant => stringify!($variant), )*
                    Reason::Unknown(text) => text,
                }
            }

            /// The HTTP status APNs pairs with this reason (`None` for unknown reasons).
            pub fn status(&self) -> Option<u16> {
                match self {
                    $( Reason::$variant => Some($status), )*
                    Reason::Unknown(_) => None,
                }
            }

            /// What the reason means and what to do, in plain words.
            pub fn explanation(&self) -> &str {
                match self {
                    $( Reason::$variant => $words, )*
                    Reason::Unknown(_) => "APNs gave a reason this version of Push Console does not know; see Apple's documentation",
                }
            }
        }

        impl From<&str> for Reason {
            fn from(text: &str) -> Self {
                match text {
                    $( stringify!($variant) => Reason::$variant, )*
                    other => Reason::Unknown(other.to_owned()),
                }
            }
        }
    };
}

reasons! {
    /// The collapse id is over 64 bytes.
    BadCollapseId = 400, "the collapse id is too long; keep it to 64 bytes";
    /// The token is not valid for this environment or topic.
    BadDeviceToken = 400, "the device token is not valid here: most often a sandbox token sent to production or the reverse";
    /// The expiration header is not a valid time.
    BadExpirationDate = 400, "the apns-expiration value is not a valid UNIX time";
    /// The apns-id is not a UUID.
    BadMessageId = 400, "the apns-id is not a UUID";
    /// The priority is not 10, 5 or 1, or 10 for a background push.
    BadPriority = 400, "the priority is not allowed: use 10, 5 or 1, and 5 for background pushes";
    /// The topic is not allowed.
    BadTopic = 400, "the topic is not valid for this push";
    /// The token belongs to another app.
    DeviceTokenNotForTopic = 400, "the device token belongs to a different app (topic) than the one you sent to";
    /// A header was sent twice.
    DuplicateHeaders = 400, "a header was sent more than once";
    /// The connection was idle too long.
    IdleTimeout = 400, "the connection sat idle too long; a new connection will be used";
    /// The push type header is wrong for the payload.
    InvalidPushType = 400, "the apns-push-type is not valid for this payload or topic";
    /// No device token in the path.
    MissingDeviceToken = 400, "no device token was given in the request path";
    /// Topic missing where one is required.
    MissingTopic = 400, "apns-topic is required: with token auth, or a certificate for several topics";
    /// The body is empty.
    PayloadEmpty = 400, "the payload is empty";
    /// The topic may not be used.
    TopicDisallowed = 400, "pushing to this topic is not allowed";
    /// The client certificate was not accepted.
    BadCertificate = 403, "the certificate was rejected; check it is an Apple push certificate and not revoked";
    /// The certificate is for the other environment.
    BadCertificateEnvironment = 403, "the certificate is for the other environment (sandbox vs production)";
    /// The provider token is older than an hour.
    ExpiredProviderToken = 403, "the provider token (JWT) is over an hour old, or this computer's clock is wrong";
    /// The action is not allowed.
    Forbidden = 403, "APNs refused the request for this identity";
    /// The provider token does not verify.
    InvalidProviderToken = 403, "the provider token does not verify: check the key id, team id and .p8 key belong together";
    /// No provider token and no certificate.
    MissingProviderToken = 403, "no provider token was sent and no certificate identifies the sender";
    /// The key id is not related to the topic's team.
    UnrelatedKeyIdInToken = 403, "the .p8 key belongs to a team that does not own this topic";
    /// The key is not enabled for this environment.
    BadEnvironmentKeyIdInToken = 403, "the .p8 key is not enabled for this environment";
    /// The request path is wrong.
    BadPath = 404, "the request path is wrong; it must be /3/device/<token>";
    /// Only POST is accepted.
    MethodNotAllowed = 405, "only POST is accepted";
    /// The token has expired.
    ExpiredToken = 410, "the device token has expired; stop sending to it";
    /// The app was uninstalled or the token was revoked.
    Unregistered = 410, "the device token is no longer registered (app removed or token replaced); stop sending to it";
    /// The payload is over the limit.
    PayloadTooLarge = 413, "the payload is over the size limit; shorten it";
    /// The provider token was renewed too often.
    TooManyProviderTokenUpdates = 429, "the provider token was renewed too often (more than once every 20 minutes)";
    /// Too many requests to one token.
    TooManyRequests = 429, "too many pushes to this device in a short time; wait before sending again";
    /// APNs had an internal error.
    InternalServerError = 500, "APNs had an internal error; it will be retried";
    /// APNs is unavailable.
    ServiceUnavailable = 503, "APNs is unavailable; it will be retried";
    /// The server is shutting down.
    Shutdown = 503, "the APNs server is shutting down; it will be retried on a new connection";
    /// Broadcast is not enabled for the app.
    FeatureNotEnabled = 400, "broadcast push is not enabled for this app";
    /// Broadcast: no channel id.
    MissingChannelId = 400, "apns-channel-id is required for a broadcast";
    /// Broadcast: malformed channel id.
    BadChannelId = 400, "the apns-channel-id is not valid";
    /// Broadcast: the channel does not exist.
    ChannelNotRegistered = 400, "the broadcast channel does not exist";
    /// Broadcast: bad request parameters.
    BadRequestParams = 400, "the broadcast request parameters are not valid";
    /// Broadcast: bad payload.
    BadRequestPayload = 400, "the payload is not valid for this request: a Live Activity needs event, timestamp and content-state (a start also attributes-type, attributes and alert), and a broadcast cannot start one";
    /// Broadcast: push type missing.
    MissingPushType = 400, "apns-push-type is required for a broadcast";
    /// Broadcast: the channel configuration could not be made.
    CannotCreateChannelConfig = 400, "the broadcast channel configuration could not be created";
    /// Broadcast: the topic does not match the channel.
    TopicMismatch = 403, "the topic does not match the broadcast channel";
}

impl Reason {
    /// What a sender should do after this rejection.
    pub fn retry_advice(&self) -> RetryAdvice {
        match self {
            Reason::TooManyRequests => RetryAdvice::AfterDelay,
            Reason::InternalServerError | Reason::ServiceUnavailable | Reason::Shutdown => {
                RetryAdvice::WithBackoff
            }
            Reason::ExpiredProviderToken => RetryAdvice::RenewTokenOnce,
            _ => RetryAdvice::Never,
        }
    }

    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        self.retry_advice() != RetryAdvice::Never
    }

    /// Whether the token should be removed from the provider's database.
    /// `BadDeviceToken` is not here: it usually means the wrong environment.
    pub fn token_is_dead(&self) -> bool {
        matches!(self, Reason::Unregistered | Reason::ExpiredToken)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_round_trips() {
        assert_eq!(Reason::KNOWN.len(), 41);
        for reason in Reason::KNOWN {
            assert_eq!(&Reason::from(reason.as_str()), reason);
            assert!(reason.status().is_some());
            assert!(!reason.explanation().is_empty());
        }
        let unknown = Reason::from("SomethingNew");
        assert_eq!(unknown, Reason::Unknown("SomethingNew".into()));
        assert_eq!(unknown.as_str(), "SomethingNew");
        assert_eq!(unknown.status(), None);
    }

    #[test]
    fn reasons_carry_apples_status_and_say_what_to_do() {
        for (reason, status) in [
            (Reason::BadDeviceToken, 400),
            (Reason::BadCertificate, 403),
            (Reason::BadPath, 404),
            (Reason::MethodNotAllowed, 405),
            (Reason::Unregistered, 410),
            (Reason::PayloadTooLarge, 413),
            (Reason::TooManyRequests, 429),
            (Reason::InternalServerError, 500),
            (Reason::Shutdown, 503),
        ] {
            assert_eq!(reason.status(), Some(status), "{reason}");
        }
        assert_eq!(
            Reason::PayloadTooLarge.explanation(),
            "the payload is over the size limit; shorten it"
        );
        assert_eq!(Reason::BadTopic.to_string(), "BadTopic");
        let unknown = Reason::from("SomethingNew");
        assert!(unknown.explanation().contains("does not know"));
        assert_eq!(unknown.to_string(), "SomethingNew");
        assert_eq!(unknown.retry_advice(), RetryAdvice::Never);
    }

    #[test]
    fn retry_rules_follow_the_protocol() {
        for never in [
            Reason::BadDeviceToken,
            Reason::DeviceTokenNotForTopic,
            Reason::Forbidden,
            Reason::ExpiredToken,
            Reason::Unregistered,
            Reason::PayloadTooLarge,
        ] {
            assert!(!never.is_retryable(), "{never}");
        }
        assert_eq!(
            Reason::TooManyRequests.retry_advice(),
            RetryAdvice::AfterDelay
        );
        assert_eq!(
            Reason::InternalServerError.retry_advice(),
            RetryAdvice::WithBackoff
        );
        assert_eq!(
            Reason::ServiceUnavailable.retry_advice(),
            RetryAdvice::WithBackoff
        );
        assert_eq!(Reason::Shutdown.retry_advice(), RetryAdvice::WithBackoff);
        assert_eq!(
            Reason::ExpiredProviderToken.retry_advice(),
            RetryAdvice::RenewTokenOnce
        );
        assert!(Reason::ExpiredProviderToken.is_retryable());
        assert!(Reason::TooManyRequests.is_retryable());
    }

    #[test]
    fn only_unregistered_and_expired_tokens_are_dead() {
        let dead: Vec<_> = Reason::KNOWN.iter().filter(|r| r.token_is_dead()).collect();
        assert_eq!(dead, [&Reason::ExpiredToken, &Reason::Unregistered]);
    }
}
