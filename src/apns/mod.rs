//! The sans-IO APNs protocol core: tokens, payloads, limits, reasons, provider
//! tokens, client identities, the HTTP/2 request model, the legacy binary codec, and
//! the plain types of a batch and its outcomes that the senders, the history and the
//! front ends share.
//!
//! Nothing here opens a socket, reads a clock or touches a file: time is passed
//! in, and every function maps values to values, so each is tested with exact
//! bytes.

mod apns_file;
mod batch;
mod broadcast;
mod certificate;
mod client_identity;
mod feedback;
mod fit;
mod ids;
pub mod legacy;
mod legacy_decode;
mod limit;
mod lint;
mod live_activity;
mod notification;
mod outcome;
mod payload;
mod provider_token;
mod push_type;
mod reason;
mod response;
mod token;

pub use apns_file::{APNS_BUNDLE_KEY, ApnsFile, ApnsFileError};
pub use batch::{Batch, BatchItem, BatchReport, PreparedRequest, Progress, SendEvent};
pub use broadcast::{
    Broadcast, CHANNEL_PUSH_TYPE, ChannelAnswerError, ChannelId, ChannelIdError, ChannelOperation,
    ChannelRefusal, ChannelReply, MAX_CHANNEL_ID_LEN, StoragePolicy,
};
pub use certificate::{
    CertificateError, OID_DEVELOPMENT, OID_PRODUCTION, OID_TOPICS, OID_USER_ID, PushCertificate,
    format_date, parse_topics_extension,
};
pub use client_identity::{ClientIdentity, IdentityError};
pub use feedback::{FeedbackDecoder, FeedbackError, FeedbackTuple};
pub use fit::{ELLIPSIS, FitError, Fitted};
pub use ids::{ApnsId, CollapseId, IdError, KeyId, TeamId, Topic};
pub use legacy_decode::{DecodedNotification, LegacyDecodeError, LegacyDecoder};
pub use limit::{LegacyFormat, PayloadLimit, Transport, group_thousands};
pub use lint::{AuthKind, Lint, Severity, lint, lint_broadcast};
pub use live_activity::{
    ActivityInput, LiveActivityProblem, LiveActivityPush, STALE_TIMESTAMP_SECS, StartKeys,
    check_live_activity, fill_live_activity_timestamp, live_activity_event,
};
pub use notification::{Http2Request, Notification, NotificationError};
pub use outcome::{
    DisconnectCause, Disconnection, FailureCause, Outcome, OutcomeKind, Refusal, Verdict,
};
pub use payload::{
    Alert, InterruptionLevel, LiveActivityEvent, Payload, PayloadBuilder, PayloadError, Sound,
};
pub use provider_token::{
    MAX_TOKEN_AGE_SECS, ProviderToken, ProviderTokenError, RefreshPolicy, SigningKey, TokenIssuer,
    VerifiedClaims, verify_provider_token,
};
pub use push_type::{Expiration, HeaderValueError, Priority, PushType};
pub use reason::{Reason, RetryAdvice};
pub use response::{Rejection, Response, ResponseError, error_body};
pub use token::{DeviceToken, MAX_TOKEN_LEN, STANDARD_TOKEN_LEN, TokenError, TokenList};
