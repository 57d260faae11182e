//! Every failure as one JSON shape, pyapns' error envelope with a machine-readable kind:
//! `{"code": 400, "type": "error", "kind": "input", "error": "what to fix"}`. Never a
//! text/plain body, never a secret.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::engine::{ErrorKind, Failure};

/// A request that could not be carried out, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

/// The error body, as the OpenAPI document describes it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The HTTP status, repeated (pyapns' envelope).
    pub code: u16,
    /// Always `error` (pyapns' envelope).
    #[serde(rename = "type")]
    pub kind_of_body: String,
    /// What it was about: `input`, `auth`, `forbidden`, `not_found`, `identity`,
    /// `keychain`, `history`, `simulator`, `connection` or `engine`.
    pub kind: String,
    /// What went wrong and what to do.
    pub error: String,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
        }
    }

    /// Something in the request is not valid.
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "input", message)
    }

    /// Well-formed, and what the schema allows, but not something that can be done as it
    /// stands: a token that is not hex, a payload APNs would refuse, a time that is not one.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "input", message)
    }

    /// Nothing by that name or id.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// No or a wrong bearer token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "auth", message)
    }

    /// A request the server refuses whoever sends it (a foreign Host, an Origin).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// A body that is not JSON.
    pub fn not_json(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "input", message)
    }

    /// Axum's own refusal (a body too large, a method not allowed), reworded as JSON.
    pub fn with_status(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "input", message)
    }

    /// The engine is gone (the server is shutting down).
    pub fn engine_stopped() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "engine",
            "the engine stopped; restart `push-console serve`",
        )
    }

    /// An engine failure, with the status that fits what it was about.
    pub fn engine(failure: Failure) -> Self {
        let (status, kind) = match failure.kind {
            ErrorKind::Input => (StatusCode::UNPROCESSABLE_ENTITY, "input"),
            ErrorKind::Identity => (StatusCode::UNPROCESSABLE_ENTITY, "identity"),
            ErrorKind::Keychain => (StatusCode::SERVICE_UNAVAILABLE, "keychain"),
            ErrorKind::History => (StatusCode::INTERNAL_SERVER_ERROR, "history"),
            ErrorKind::Simulator => (StatusCode::SERVICE_UNAVAILABLE, "simulator"),
            ErrorKind::Connection => (StatusCode::BAD_GATEWAY, "connection"),
        };
        Self::new(status, kind, failure.message)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.status.as_u16(),
            kind_of_body: "error".into(),
            kind: self.kind.into(),
            error: self.message,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
