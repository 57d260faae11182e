//! Extractors that turn every refusal into the API's JSON error: JSON bodies only (with
//! where a malformed one breaks), path and query values read or refused with a message.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON body of type `T`.
pub struct JsonBody<T>(pub T);

/// The most bytes a body may have (the server's `DefaultBodyLimit`), for the words of a
/// refusal.
#[derive(Clone, Copy)]
pub struct BodyLimit(pub usize);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::not_json(
                "the body must be JSON: send `Content-Type: application/json`",
            ));
        }
        let limit = request.extensions().get::<BodyLimit>().copied();
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| match limit {
                Some(BodyLimit(limit)) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::with_status(
                        rejection.status(),
                        format!(
                            "the body is over {} bytes, more than any request to this API takes; send fewer tokens per request",
                            crate::apns::group_thousands(limit)
                        ),
                    )
                }
                _ => ApiError::with_status(rejection.status(), rejection.body_text()),
            })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|error| {
                ApiError::input(format!("the body is not what this route takes: {error}"))
            })
    }
}

/// Path parameters of type `T`.
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| PathParams(value))
            .map_err(|rejection| ApiError::with_status(rejection.status(), rejection.body_text()))
    }
}

/// Query parameters of type `T`.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| QueryParams(value))
            .map_err(|rejection| ApiError::with_status(rejection.status(), rejection.body_text()))
    }
}
