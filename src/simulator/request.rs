//! Checking one HTTP/2 request the way APNs does, before any rule applies.

use std::sync::Mutex;

use http::request::Parts;
use http::{HeaderMap, Method};

use crate::apns::{
    ApnsId, CollapseId, DeviceToken, Expiration, MAX_TOKEN_AGE_SECS, PayloadLimit, Priority,
    ProviderTokenError, PushType, Reason, STANDARD_TOKEN_LEN, Topic, Transport,
    verify_provider_token,
};

/// Forgiveness for provider tokens dated slightly in the future (clock skew).
const FUTURE_LEEWAY_SECS: u64 = 60;

/// How a connection authenticates, decided once after the TLS handshake.
#[derive(Debug)]
pub(crate) enum ConnectionAuth {
    /// A client certificate allowing these topics (base topic first); empty when
    /// the certificate is not shaped like a push certificate.
    Certificate(Vec<String>),
    /// No certificate: every request needs a provider token.
    Token(TokenCheck),
}

/// A token signing key the simulator accepts provider tokens from, as APNs accepts the
/// keys made in a team's developer account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    /// The key's public half (uncompressed P-256 point).
    pub public_key: Vec<u8>,
    /// The 10-character key id the tokens name.
    pub key_id: String,
    /// The 10-character team id the tokens name.
    pub team_id: String,
}

/// Verifies provider tokens for one connection. APNs checks a team's token once
/// and then only its age, so the last good token is remembered: verifying an
/// ES256 signature per request would cost more than everything else here.
#[derive(Debug)]
pub(crate) struct TokenCheck {
    keys: Vec<TrustedKey>,
    /// The last token that verified, with its `iat`.
    verified: Mutex<Option<(String, u64)>>,
}

impl TokenCheck {
    pub(crate) fn new(keys: Vec<TrustedKey>) -> Self {
        Self {
            keys,
            verified: Mutex::new(None),
        }
    }

    /// The claims of `jwt` when one of the trusted keys signed it for its own ids.
    fn verify(&self, jwt: &str, now: u64) -> Result<u64, Reason> {
        let mut refusal = Reason::InvalidProviderToken;
        for key in &self.keys {
            match verify_provider_token(jwt, &key.public_key, now, FUTURE_LEEWAY_SECS) {
                Ok(claims) if claims.key_id == key.key_id && claims.team_id == key.team_id => {
                    return Ok(claims.issued_at);
                }
                Ok(_) => {}
                Err(ProviderTokenError::Expired { .. }) => refusal = Reason::ExpiredProviderToken,
                Err(_) => {}
            }
        }
        Err(refusal)
    }

    fn check(&self, jwt: &str, now: u64) -> Result<(), Reason> {
        let remembered = self
            .verified
            .lock()
            .ok()
            .and_then(|verified| match verified.as_ref() {
                Some((known, issued_at)) if known == jwt => Some(*issued_at),
                _ => None,
            });
        let issued_at = match remembered {
            Some(issued_at) => issued_at,
            None => {
                let issued_at = self.verify(jwt, now)?;
                if let Ok(mut verified) = self.verified.lock() {
                    *verified = Some((jwt.to_owned(), issued_at));
                }
                issued_at
            }
        };
        if now.saturating_sub(issued_at) > MAX_TOKEN_AGE_SECS {
            return Err(Reason::ExpiredProviderToken);
        }
        Ok(())
    }
}

/// The simulator's provider port's judgement of one request, before its rules apply, with
/// no socket: the same checks in APNs's order, for fuzzing and tools. Like a connection,
/// it remembers the last provider token that verified.
#[derive(Debug)]
pub struct RequestJudge {
    auth: ConnectionAuth,
}

impl RequestJudge {
    /// As a connection made with a client certificate for `topics` (none: a certificate
    /// that is not a push certificate) judges.
    pub fn certificate(topics: Vec<String>) -> Self {
        Self {
            auth: ConnectionAuth::Certificate(topics),
        }
    }

    /// As a connection without a certificate judges, taking provider tokens of `keys`.
    pub fn token(keys: Vec<TrustedKey>) -> Self {
        Self {
            auth: ConnectionAuth::Token(TokenCheck::new(keys)),
        }
    }

    /// The reason the simulator would refuse `parts` with a body of `body_len` bytes at
    /// `now` (UNIX seconds), if any.
    pub fn judge(&self, parts: &Parts, body_len: usize, now: u64) -> Result<(), Reason> {
        check(parts, body_len, &self.auth, now).map(drop)
    }
}

/// What an acceptable request carries, for the rules and the record.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Checked {
    pub(crate) token: DeviceToken,
    pub(crate) topic: Option<String>,
    pub(crate) push_type: Option<String>,
    pub(crate) apns_id: Option<ApnsId>,
}

pub(crate) fn header<'a>(
    headers: &'a HeaderMap,
    name: &str,
    bad: Reason,
) -> Result<Option<&'a str>, Reason> {
    headers
        .get(name)
        .map(|value| value.to_str().map_err(|_| bad))
        .transpose()
}

/// Who sent a request: a certificate allowing some topics, or a verified provider token,
/// which allows every app of its team.
pub(crate) enum Sender<'a> {
    /// The certificate's topics, base topic first.
    Certificate(&'a [String]),
    /// A provider token the simulator trusts.
    Token,
}

impl Sender<'_> {
    /// Whether the sender may act for the app `bundle` (a bundle id without suffix).
    pub(crate) fn covers_app(&self, bundle: &str) -> bool {
        match self {
            Sender::Certificate(allowed) => allowed.iter().any(|topic| {
                topic
                    .parse::<Topic>()
                    .is_ok_and(|topic| topic.bundle_id() == bundle)
            }),
            Sender::Token => true,
        }
    }
}

/// Checks the certificate or the provider token of a request.
pub(crate) fn authenticate<'a>(
    headers: &HeaderMap,
    auth: &'a ConnectionAuth,
    now: u64,
) -> Result<Sender<'a>, Reason> {
    match auth {
        ConnectionAuth::Certificate(allowed) if allowed.is_empty() => Err(Reason::BadCertificate),
        ConnectionAuth::Certificate(allowed) => Ok(Sender::Certificate(allowed)),
        ConnectionAuth::Token(tokens) => {
            let jwt = header(headers, "authorization", Reason::MissingProviderToken)?
                .and_then(|value| {
                    let (scheme, jwt) = value.split_once(' ')?;
                    scheme.eq_ignore_ascii_case("bearer").then(|| jwt.trim())
                })
                .filter(|jwt| !jwt.is_empty())
                .ok_or(Reason::MissingProviderToken)?;
            tokens.check(jwt, now)?;
            Ok(Sender::Token)
        }
    }
}

/// Whether any `apns-*` header came more than once.
pub(crate) fn has_duplicate_headers(headers: &HeaderMap) -> bool {
    headers.keys().any(|name| {
        name.as_str().starts_with("apns-") && headers.get_all(name).iter().nth(1).is_some()
    })
}

/// Checks `parts` and a body of `body_len` bytes as APNs does, in APNs' order,
/// at `now` (UNIX seconds); the error is the reason to answer with.
pub(crate) fn check(
    parts: &Parts,
    body_len: usize,
    auth: &ConnectionAuth,
    now: u64,
) -> Result<Checked, Reason> {
    if parts.method != Method::POST {
        return Err(Reason::MethodNotAllowed);
    }
    let hex = parts
        .uri
        .path()
        .strip_prefix("/3/device/")
        .ok_or(Reason::BadPath)?;
    if hex.is_empty() {
        return Err(Reason::MissingDeviceToken);
    }
    let token: DeviceToken = hex.parse().map_err(|_| Reason::BadDeviceToken)?;
    // Push-to-start and iOS Simulator tokens are longer than the usual 32 bytes.
    if token.len() < STANDARD_TOKEN_LEN {
        return Err(Reason::BadDeviceToken);
    }

    let headers = &parts.headers;
    if has_duplicate_headers(headers) {
        return Err(Reason::DuplicateHeaders);
    }
    let apns_id = header(headers, "apns-id", Reason::BadMessageId)?
        .map(|text| text.parse::<ApnsId>().map_err(|_| Reason::BadMessageId))
        .transpose()?;
    let push_type_text = header(headers, "apns-push-type", Reason::InvalidPushType)?;
    let push_type = push_type_text
        .map(|text| match text.parse::<PushType>() {
            Ok(PushType::Unknown(_)) | Err(_) => Err(Reason::InvalidPushType),
            Ok(known) => Ok(known),
        })
        .transpose()?;
    if let Some(text) = header(headers, "apns-priority", Reason::BadPriority)? {
        let priority: Priority = text.parse().map_err(|_| Reason::BadPriority)?;
        if priority == Priority::Immediate && push_type == Some(PushType::Background) {
            return Err(Reason::BadPriority);
        }
    }
    if let Some(text) = header(headers, "apns-expiration", Reason::BadExpirationDate)? {
        text.parse::<Expiration>()
            .map_err(|_| Reason::BadExpirationDate)?;
    }
    if let Some(text) = header(headers, "apns-collapse-id", Reason::BadCollapseId)?
        && text.len() > CollapseId::MAX_BYTES
    {
        return Err(Reason::BadCollapseId);
    }

    let topic_text = header(headers, "apns-topic", Reason::BadTopic)?;
    let topic = match authenticate(headers, auth, now)? {
        Sender::Certificate(allowed) => match topic_text {
            Some(text) => {
                let topic: Topic = text.parse().map_err(|_| Reason::BadTopic)?;
                if !allowed.iter().any(|allowed| allowed == topic.as_str()) {
                    return Err(Reason::TopicDisallowed);
                }
                topic
            }
            None if allowed.len() == 1 => allowed[0].parse().map_err(|_| Reason::BadCertificate)?,
            None => return Err(Reason::MissingTopic),
        },
        Sender::Token => topic_text
            .ok_or(Reason::MissingTopic)?
            .parse()
            .map_err(|_| Reason::BadTopic)?,
    };
    if push_type.as_ref().is_some_and(PushType::needs_token_auth)
        && matches!(auth, ConnectionAuth::Certificate(_))
    {
        // APNs takes these only with token auth; its exact answer to a certificate is not
        // documented, and this one says what is missing.
        return Err(Reason::MissingProviderToken);
    }
    if let Some(push_type) = &push_type
        && !topic.suits(push_type)
    {
        return Err(Reason::BadTopic);
    }

    if body_len == 0 {
        return Err(Reason::PayloadEmpty);
    }
    let limit = PayloadLimit::new(
        Transport::Http2,
        push_type.as_ref().unwrap_or(&PushType::Alert),
    );
    if !limit.allows(body_len) {
        return Err(Reason::PayloadTooLarge);
    }
    Ok(Checked {
        token,
        topic: Some(topic.into()),
        push_type: push_type_text.map(str::to_owned),
        apns_id,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::apns::{KeyId, ProviderToken, SigningKey, TeamId};

    const NOW: u64 = 1_700_000_000;
    const TOKEN: &str = "0000000000000000000000000000000000000000000000000000000000000001";

    /// A request's head, as h2 hands it to the checks.
    pub(crate) fn parts(method: &str, path: &str, headers: &[(&str, &str)]) -> Parts {
        let mut request = http::Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    /// A connection authenticated by a certificate for `topics`.
    pub(crate) fn cert(topics: &[&str]) -> ConnectionAuth {
        ConnectionAuth::Certificate(topics.iter().map(|t| t.to_string()).collect())
    }

    fn post(headers: &[(&str, &str)]) -> Parts {
        parts("POST", &format!("/3/device/{TOKEN}"), headers)
    }

    fn reason(parts: &Parts, body_len: usize, auth: &ConnectionAuth) -> Reason {
        check(parts, body_len, auth, NOW).unwrap_err()
    }

    #[test]
    fn accepts_a_plain_certificate_push() {
        let checked = check(&post(&[]), 10, &cert(&["com.example"]), NOW).unwrap();
        assert_eq!(checked.token.to_string(), TOKEN);
        assert_eq!(checked.topic.as_deref(), Some("com.example"));
        assert_eq!(checked.apns_id, None);
    }

    #[test]
    fn path_and_method_come_first() {
        let auth = cert(&["com.example"]);
        assert_eq!(
            reason(&parts("GET", "/3/device/zz", &[]), 0, &auth),
            Reason::MethodNotAllowed
        );
        assert_eq!(
            reason(&parts("POST", "/2/device/ab", &[]), 1, &auth),
            Reason::BadPath
        );
        assert_eq!(
            reason(&parts("POST", "/3/device/", &[]), 1, &auth),
            Reason::MissingDeviceToken
        );
        assert_eq!(
            reason(&parts("POST", "/3/device/abcd", &[]), 1, &auth),
            Reason::BadDeviceToken
        );
        assert_eq!(
            reason(&parts("POST", "/3/device/xyz", &[]), 1, &auth),
            Reason::BadDeviceToken
        );
    }

    #[test]
    fn headers_are_checked_like_apns() {
        let auth = cert(&["com.example", "com.example.voip"]);
        let long = "c".repeat(65);
        let cases: &[(&[(&str, &str)], Reason)] = &[
            (
                &[("apns-topic", "com.example"), ("apns-topic", "com.example")],
                Reason::DuplicateHeaders,
            ),
            (&[("apns-id", "nope")], Reason::BadMessageId),
            (&[("apns-push-type", "fax")], Reason::InvalidPushType),
            (&[("apns-priority", "7")], Reason::BadPriority),
            (
                &[("apns-push-type", "background"), ("apns-priority", "10")],
                Reason::BadPriority,
            ),
            (&[("apns-expiration", "-1")], Reason::BadExpirationDate),
            (
                &[("apns-collapse-id", long.as_str())],
                Reason::BadCollapseId,
            ),
            (&[], Reason::MissingTopic),
            (&[("apns-topic", "com.other")], Reason::TopicDisallowed),
            (&[("apns-topic", "com example")], Reason::BadTopic),
            (
                &[("apns-topic", "com.example"), ("apns-push-type", "voip")],
                Reason::BadTopic,
            ),
        ];
        for (headers, expected) in cases {
            assert_eq!(&reason(&post(headers), 10, &auth), expected, "{headers:?}");
        }
        let voip = [
            ("apns-topic", "com.example.voip"),
            ("apns-push-type", "voip"),
        ];
        assert!(check(&post(&voip), 5000, &auth, NOW).is_ok());
        assert_eq!(reason(&post(&voip), 5121, &auth), Reason::PayloadTooLarge);
        let alert = [("apns-topic", "com.example")];
        assert_eq!(reason(&post(&alert), 4097, &auth), Reason::PayloadTooLarge);
        assert_eq!(reason(&post(&alert), 0, &auth), Reason::PayloadEmpty);
        assert_eq!(reason(&post(&[]), 10, &cert(&[])), Reason::BadCertificate);
    }

    fn token_auth() -> (ConnectionAuth, SigningKey) {
        let pem = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .unwrap()
            .serialize_pem();
        let key = SigningKey::from_p8_pem(&pem).unwrap();
        let check = TokenCheck::new(vec![TrustedKey {
            public_key: key.public_key().to_vec(),
            key_id: "SIMKEY0001".into(),
            team_id: "SIMTEAM001".into(),
        }]);
        (ConnectionAuth::Token(check), key)
    }

    fn jwt(key: &SigningKey, key_id: &str, issued_at: u64) -> String {
        let key_id: KeyId = key_id.parse().unwrap();
        let team_id: TeamId = "SIMTEAM001".parse().unwrap();
        let token = ProviderToken::sign(key, &key_id, &team_id, issued_at).unwrap();
        format!("bearer {}", token.as_str())
    }

    #[test]
    fn token_auth_checks_the_jwt_then_the_topic() {
        let (auth, key) = token_auth();
        let good = jwt(&key, "SIMKEY0001", NOW - 10);
        assert_eq!(
            reason(&post(&[("apns-topic", "com.example")]), 1, &auth),
            Reason::MissingProviderToken
        );
        assert_eq!(
            reason(&post(&[("authorization", "bearer ")]), 1, &auth),
            Reason::MissingProviderToken
        );
        assert_eq!(
            reason(&post(&[("authorization", "bearer abc")]), 1, &auth),
            Reason::InvalidProviderToken
        );
        let wrong_kid = jwt(&key, "OTHERKEY01", NOW);
        assert_eq!(
            reason(&post(&[("authorization", &wrong_kid)]), 1, &auth),
            Reason::InvalidProviderToken
        );
        let stale = jwt(&key, "SIMKEY0001", NOW - 7200);
        assert_eq!(
            reason(&post(&[("authorization", &stale)]), 1, &auth),
            Reason::ExpiredProviderToken
        );
        assert_eq!(
            reason(&post(&[("authorization", &good)]), 1, &auth),
            Reason::MissingTopic
        );
        let headers = [
            ("authorization", good.as_str()),
            ("apns-topic", "com.example"),
        ];
        assert!(check(&post(&headers), 1, &auth, NOW).is_ok());
        // The remembered token still ages.
        assert_eq!(
            check(&post(&headers), 1, &auth, NOW + MAX_TOKEN_AGE_SECS + 60).unwrap_err(),
            Reason::ExpiredProviderToken
        );
    }
}
