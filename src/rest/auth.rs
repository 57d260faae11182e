//! Who may call the API, and from where: a bearer token kept in the keychain (mirrored to
//! a file only its owner can read, for scripts), compared in constant time; `Host` values
//! naming the bound loopback address only (DNS rebinding); no `Origin` (no browser page
//! may call it, and no CORS header is ever sent).

use std::path::PathBuf;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use zeroize::Zeroizing;

use super::error::ApiError;
use crate::store::DataPaths;
use crate::store::secrets::{SecretError, SecretStore};

/// Where the token of the data folder `paths` is filed in the keychain: one per folder,
/// as a portable install has its own identities and its own token.
fn keychain_account(paths: &DataPaths) -> String {
    format!("rest-api-token:{}", paths.config_dir.display())
}

/// How long a served token is trusted before the keychain is asked again, so that
/// `serve token --rotate` takes effect in a running server within this time.
const TOKEN_RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// Routes anyone on this machine may read: the health check and the API's description.
const OPEN_PATHS: [&str; 2] = ["/v1/health", "/v1/openapi.json"];

/// Why the token could not be kept or read.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The keychain refused.
    #[error("the API token cannot be kept in the keychain: {0}")]
    Keychain(#[from] SecretError),
    /// The mirror file could not be written.
    #[error(transparent)]
    File(#[from] crate::store::FileError),
    /// The system's random source failed.
    #[error("no random bytes for an API token: the system's random source failed")]
    Random,
}

/// The API's bearer token: 32 random bytes, as 64 hex digits. Its `Debug` hides it.
#[derive(Clone)]
pub struct ApiToken(Zeroizing<String>);

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiToken(hidden)")
    }
}

impl ApiToken {
    /// The file scripts read the token from.
    pub fn file(paths: &DataPaths) -> PathBuf {
        paths.config_dir.join("api-token")
    }

    /// The token in the keychain, made on first use; the mirror file is rewritten to match.
    pub fn load_or_create(
        secrets: &dyn SecretStore,
        paths: &DataPaths,
    ) -> Result<Self, TokenError> {
        let token = match secrets.get(&keychain_account(paths)) {
            Ok(bytes) => match std::str::from_utf8(&bytes) {
                Ok(text) if text.len() == 64 => Self(Zeroizing::new(text.to_owned())),
                _ => return Self::rotate(secrets, paths),
            },
            Err(SecretError::Missing { .. }) => return Self::rotate(secrets, paths),
            Err(error) => return Err(error.into()),
        };
        token.mirror(paths)?;
        Ok(token)
    }

    /// A new token, replacing the old one in the keychain and in the file.
    pub fn rotate(secrets: &dyn SecretStore, paths: &DataPaths) -> Result<Self, TokenError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(bytes.as_mut()).map_err(|_| TokenError::Random)?;
        let text: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        let token = Self(Zeroizing::new(text));
        secrets.put(&keychain_account(paths), token.0.as_bytes())?;
        token.mirror(paths)?;
        Ok(token)
    }

    /// Removes the token from the keychain and its file: a running server refuses every
    /// request from then on, and the next `serve` makes a new one.
    pub fn revoke(secrets: &dyn SecretStore, paths: &DataPaths) -> Result<(), TokenError> {
        secrets.delete(&keychain_account(paths))?;
        let file = Self::file(paths);
        match std::fs::remove_file(&file) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(crate::store::FileError::writing(&file)(error).into())
            }
            _ => Ok(()),
        }
    }

    fn mirror(&self, paths: &DataPaths) -> Result<(), TokenError> {
        let file = Self::file(paths);
        if crate::store::read_file(&file).ok().as_deref() != Some(self.0.as_bytes()) {
            crate::store::write_private(&file, self.0.as_bytes())?;
        }
        Ok(())
    }

    /// The token's text, to print for the user who asked for it.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is the token, in time that does not depend on where they differ.
    fn matches(&self, presented: &str) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(self.0.as_bytes(), presented.as_bytes())
            .is_ok()
    }
}

/// Where the served token comes from, and the copy last read.
pub struct TokenSource {
    secrets: std::sync::Arc<dyn SecretStore>,
    paths: DataPaths,
    /// `None` once revoked: every request is refused until a new token is made.
    current: std::sync::Mutex<(Option<ApiToken>, std::time::Instant)>,
}

impl TokenSource {
    /// Serves `token`, rereading the keychain now and then for a rotated one.
    pub fn new(
        token: ApiToken,
        secrets: std::sync::Arc<dyn SecretStore>,
        paths: DataPaths,
    ) -> Self {
        Self {
            secrets,
            paths,
            current: std::sync::Mutex::new((Some(token), std::time::Instant::now())),
        }
    }

    fn matches(&self, presented: &str) -> bool {
        let Ok(mut current) = self.current.lock() else {
            return false;
        };
        if current.1.elapsed() >= TOKEN_RECHECK {
            match self.secrets.get(&keychain_account(&self.paths)) {
                Ok(bytes) => {
                    if let Ok(text) = std::str::from_utf8(&bytes)
                        && text.len() == 64
                    {
                        current.0 = Some(ApiToken(Zeroizing::new(text.to_owned())));
                    }
                }
                Err(SecretError::Missing { .. }) => current.0 = None,
                // A keychain that cannot be read just now keeps the token it gave before.
                Err(_) => {}
            }
            current.1 = std::time::Instant::now();
        }
        current
            .0
            .as_ref()
            .is_some_and(|token| token.matches(presented))
    }
}

/// What the guard checks requests against.
pub struct Guard {
    /// The token.
    pub token: TokenSource,
    /// The `Host` values accepted; empty accepts any (bound to a non-loopback address on
    /// purpose).
    pub hosts: Vec<String>,
}

impl Guard {
    /// The `Host` values that name `bound` when it is a loopback address; none to check
    /// otherwise.
    pub fn hosts_for(bound: std::net::SocketAddr) -> Vec<String> {
        let port = bound.port();
        match bound.ip() {
            ip if !ip.is_loopback() => Vec::new(),
            std::net::IpAddr::V4(ip) => vec![format!("{ip}:{port}"), format!("localhost:{port}")],
            std::net::IpAddr::V6(ip) => {
                vec![format!("[{ip}]:{port}"), format!("localhost:{port}")]
            }
        }
    }

    fn check(&self, request: &Request) -> Result<(), ApiError> {
        let headers = request.headers();
        if !self.hosts.is_empty() {
            let host = headers
                .get(header::HOST)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            if !self
                .hosts
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(host))
            {
                return Err(ApiError::forbidden(format!(
                    "Host {host:?} is not this server's address; call it as http://{}",
                    self.hosts.first().map_or("127.0.0.1", String::as_str)
                )));
            }
        }
        if headers.contains_key(header::ORIGIN) {
            return Err(ApiError::forbidden(
                "requests from web pages (with an Origin header) are refused; call the API from a script or a test",
            ));
        }
        if OPEN_PATHS.contains(&request.uri().path()) {
            return Ok(());
        }
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "no bearer token: send `Authorization: Bearer <token>`; `push-console serve token` prints it",
                )
            })?;
        if self.token.matches(presented.trim()) {
            Ok(())
        } else {
            Err(ApiError::unauthorized(
                "wrong bearer token; `push-console serve token` prints the current one",
            ))
        }
    }
}

/// The middleware: every request passes the guard first.
pub async fn guard(
    State(guard): State<std::sync::Arc<Guard>>,
    request: Request,
    next: Next,
) -> Response {
    match guard.check(&request) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}
