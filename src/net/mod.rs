//! Network IO with tokio and rustls: the HTTP/2 client, the legacy gateway and
//! feedback clients, the connection pool and the batch sender.

mod connect;
mod endpoint;
mod error;
mod feedback;
mod http2;
mod legacy;
mod pool;
mod sender;
mod tls;

pub use endpoint::{Endpoint, Service};
pub use error::TransportError;
pub use feedback::{FeedbackClientError, FeedbackLimits, FeedbackRead, read_feedback};
pub use http2::{
    Answer, Clock, Http2Auth, Http2Config, Http2Connection, MAX_ANSWER_BODY, MAX_ANSWER_HEADERS,
    RawAnswer, SharedHeaders, system_clock,
};
pub use legacy::{DEFAULT_ANSWER_WAIT, LegacyConfig, LegacySender};
pub use pool::{Pool, PoolKey};
pub use sender::{Http2Sender, RetryPolicy};
pub use tls::{TlsSetupError, client_config, roots_from_pem};
