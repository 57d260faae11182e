//! Token-based (JWT) authentication: ES256 provider tokens from a .p8 key, and
//! when to renew them.

use std::fmt;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;

use super::{KeyId, TeamId};

/// How far the clock may step back before a token counts as from the future.
const CLOCK_STEP_SECS: u64 = 60;

/// The age, in seconds, after which APNs refuses a provider token.
pub const MAX_TOKEN_AGE_SECS: u64 = 60 * 60;

/// A .p8 signing key (PKCS#8, P-256). Its bytes are zeroed when dropped and never printed.
pub struct SigningKey {
    pkcs8: PrivatePkcs8KeyDer<'static>,
    public_key: Vec<u8>,
}

/// Why a provider token could not be made or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderTokenError {
    /// The text is not a PKCS#8 PEM private key.
    #[error(
        "the .p8 file does not hold a PKCS#8 private key (\"-----BEGIN PRIVATE KEY-----\"); download the key again from the Apple Developer account"
    )]
    NotPkcs8Pem,
    /// A PKCS#8 key, but not a P-256 EC key.
    #[error("the .p8 key is not a P-256 (ES256) key; APNs token keys are always P-256")]
    NotP256,
    /// Signing failed.
    #[error("the provider token could not be signed: {0}")]
    Signing(String),
    /// A token does not verify with the key.
    #[error("the provider token does not verify: {0}")]
    Invalid(String),
    /// A token is older than an hour.
    #[error("the provider token is {age_secs} s old; APNs refuses tokens older than an hour")]
    Expired {
        /// Age in seconds at `now`.
        age_secs: u64,
    },
    /// A token was issued in the future.
    #[error(
        "the provider token was issued {ahead_secs} s in the future: a clock is wrong on one side"
    )]
    IssuedInFuture {
        /// How far ahead of `now`.
        ahead_secs: u64,
    },
    /// A renewal asked for before APNs allows one.
    #[error(
        "the provider token is only {age_secs} s old; APNs answers TooManyProviderTokenUpdates to renewals within 20 minutes. If APNs says it expired, this computer's clock is probably wrong"
    )]
    TooSoonToRenew {
        /// Age in seconds at `now`.
        age_secs: u64,
    },
}

impl SigningKey {
    /// Reads a .p8 key as downloaded from Apple: PKCS#8 PEM, P-256.
    pub fn from_p8_pem(pem: &str) -> Result<Self, ProviderTokenError> {
        let pkcs8 = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|_| ProviderTokenError::NotPkcs8Pem)?;
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.secret_pkcs8_der())
                .map_err(|_| ProviderTokenError::NotP256)?;
        let public_key = pair.public_key().as_ref().to_vec();
        Ok(Self { pkcs8, public_key })
    }

    /// Reads the PKCS#8 DER form, as kept in the keychain.
    pub fn from_pkcs8_der(der: Vec<u8>) -> Result<Self, ProviderTokenError> {
        let pkcs8 = PrivatePkcs8KeyDer::from(der);
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.secret_pkcs8_der())
                .map_err(|_| ProviderTokenError::NotP256)?;
        let public_key = pair.public_key().as_ref().to_vec();
        Ok(Self { pkcs8, public_key })
    }

    /// The PKCS#8 DER form, for storing it in the keychain.
    pub fn pkcs8_der(&self) -> &[u8] {
        self.pkcs8.secret_pkcs8_der()
    }

    /// The public half as an uncompressed P-256 point (65 bytes), for verifying.
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.pkcs8.zeroize();
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(hidden)")
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Claims {
    iss: String,
    iat: u64,
}

/// A signed provider token and when it was issued.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderToken {
    jwt: String,
    issued_at: u64,
}

impl ProviderToken {
    /// Signs a token for `key_id` and `team_id` issued at `now` (UNIX seconds).
    pub fn sign(
        key: &SigningKey,
        key_id: &KeyId,
        team_id: &TeamId,
        now: u64,
    ) -> Result<Self, ProviderTokenError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(key_id.to_string());
        // APNs documents exactly {"alg","kid"}; the default "typ":"JWT" is harmless but not sent.
        header.typ = None;
        let claims = Claims {
            iss: team_id.to_string(),
            iat: now,
        };
        let encoding = EncodingKey::from_ec_der(key.pkcs8.secret_pkcs8_der());
        let jwt = jsonwebtoken::encode(&header, &claims, &encoding)
            .map_err(|error| ProviderTokenError::Signing(error.to_string()))?;
        Ok(Self {
            jwt,
            issued_at: now,
        })
    }

    /// The JWT, for `authorization: bearer <jwt>`.
    pub fn as_str(&self) -> &str {
        &self.jwt
    }

    /// When it was issued, UNIX seconds.
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// Its age at `now`, in seconds (0 if `now` is before issue).
    pub fn age(&self, now: u64) -> u64 {
        now.saturating_sub(self.issued_at)
    }
}

impl fmt::Debug for ProviderToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProviderToken(issued_at: {})", self.issued_at)
    }
}

/// What a verified token claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedClaims {
    /// The `kid` header.
    pub key_id: String,
    /// The `iss` claim.
    pub team_id: String,
    /// The `iat` claim.
    pub issued_at: u64,
}

/// Checks a JWT's ES256 signature against `public_key` (an uncompressed P-256
/// point) and its age at `now`, as APNs does. `leeway_secs` forgives small clock
/// differences for tokens dated slightly in the future.
pub fn verify_provider_token(
    jwt: &str,
    public_key: &[u8],
    now: u64,
    leeway_secs: u64,
) -> Result<VerifiedClaims, ProviderTokenError> {
    let invalid =
        |error: jsonwebtoken::errors::Error| ProviderTokenError::Invalid(error.to_string());
    let header = jsonwebtoken::decode_header(jwt).map_err(invalid)?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data =
        jsonwebtoken::decode::<Claims>(jwt, &DecodingKey::from_ec_der(public_key), &validation)
            .map_err(invalid)?;
    let key_id = header
        .kid
        .ok_or_else(|| ProviderTokenError::Invalid("the header has no kid".into()))?;
    let issued_at = data.claims.iat;
    if issued_at > now + leeway_secs {
        return Err(ProviderTokenError::IssuedInFuture {
            ahead_secs: issued_at - now,
        });
    }
    let age_secs = now.saturating_sub(issued_at);
    if age_secs > MAX_TOKEN_AGE_SECS {
        return Err(ProviderTokenError::Expired { age_secs });
    }
    Ok(VerifiedClaims {
        key_id,
        team_id: data.claims.iss,
        issued_at,
    })
}

/// When to reuse a token and when to make a new one. Apple refuses tokens older
/// than an hour and throttles renewals more frequent than every 20 minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Never renew a token younger than this (seconds).
    pub min_reuse_secs: u64,
    /// Renew a token once it is this old (seconds), well before the hour.
    pub renew_after_secs: u64,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            min_reuse_secs: 20 * 60,
            renew_after_secs: 50 * 60,
        }
    }
}

/// Issues provider tokens for one key and team, reusing each per the policy.
/// One issuer serves every topic and connection of a team, so tokens are never
/// made per request or per topic.
#[derive(Debug)]
pub struct TokenIssuer {
    key: SigningKey,
    key_id: KeyId,
    team_id: TeamId,
    policy: RefreshPolicy,
    current: Option<ProviderToken>,
}

impl TokenIssuer {
    /// An issuer with the default policy (renew at 50 minutes).
    pub fn new(key: SigningKey, key_id: KeyId, team_id: TeamId) -> Self {
        Self::with_policy(key, key_id, team_id, RefreshPolicy::default())
    }

    /// An issuer with an explicit policy.
    pub fn with_policy(
        key: SigningKey,
        key_id: KeyId,
        team_id: TeamId,
        policy: RefreshPolicy,
    ) -> Self {
        Self {
            key,
            key_id,
            team_id,
            policy,
            current: None,
        }
    }

    /// The token to use at `now`: the current one, or a new one if there is none,
    /// it has reached the renewal age, or the clock went back more than a minute
    /// before its issue time.
    pub fn token(&mut self, now: u64) -> Result<&ProviderToken, ProviderTokenError> {
        let renew = match &self.current {
            None => true,
            // A clock stepping back by NTP's usual seconds keeps the token; one
            // dated well in the future would be refused by APNs.
            Some(token) => {
                token.issued_at > now + CLOCK_STEP_SECS
                    || token.age(now) >= self.policy.renew_after_secs
            }
        };
        if renew {
            self.current = Some(ProviderToken::sign(
                &self.key,
                &self.key_id,
                &self.team_id,
                now,
            )?);
        }
        self.current
            .as_ref()
            .ok_or_else(|| ProviderTokenError::Signing("no token was issued".into()))
    }

    /// A new token after APNs answered `ExpiredProviderToken` to the one issued
    /// at `rejected`. If another request already renewed it, the newer token is
    /// returned. If the rejected token is too young to renew, the clock, not the
    /// token, is at fault, and renewing would only earn TooManyProviderTokenUpdates.
    pub fn renew_after_expiry(
        &mut self,
        now: u64,
        rejected: u64,
    ) -> Result<&ProviderToken, ProviderTokenError> {
        if let Some(token) = &self.current {
            if token.issued_at != rejected {
                return self.token(now);
            }
            let age_secs = token.age(now);
            if age_secs < self.policy.min_reuse_secs && token.issued_at <= now {
                return Err(ProviderTokenError::TooSoonToRenew { age_secs });
            }
        }
        self.current = None;
        self.token(now)
    }

    /// The token currently in use, if one was issued.
    pub fn current(&self) -> Option<&ProviderToken> {
        self.current.as_ref()
    }

    /// The key id the tokens carry.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The team id the tokens carry.
    pub fn team_id(&self) -> &TeamId {
        &self.team_id
    }

    /// The public half of the signing key, as a server verifies the tokens with.
    pub fn public_key(&self) -> &[u8] {
        self.key.public_key()
    }

    /// A SHA-256 over the key and its ids: issuers with the same fingerprint sign the
    /// same tokens, so a connection authenticated by one serves the other.
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        context.update(self.key.pkcs8_der());
        context.update(self.key_id.as_str().as_bytes());
        context.update(self.team_id.as_str().as_bytes());
        let mut fingerprint = [0; 32];
        fingerprint.copy_from_slice(context.finish().as_ref());
        fingerprint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p8() -> String {
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .unwrap()
            .serialize_pem()
    }

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(
            SigningKey::from_p8_pem(&p8()).unwrap(),
            "ABC123DEFG".parse().unwrap(),
            "TEAM123456".parse().unwrap(),
        )
    }

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn a_token_verifies_with_the_public_half() {
        let mut issuer = issuer();
        let public_key = issuer.key.public_key().to_vec();
        let token = issuer.token(NOW).unwrap().clone();
        let claims = verify_provider_token(token.as_str(), &public_key, NOW + 10, 0).unwrap();
        assert_eq!(
            claims,
            VerifiedClaims {
                key_id: "ABC123DEFG".into(),
                team_id: "TEAM123456".into(),
                issued_at: NOW
            }
        );
        let header = jsonwebtoken::decode_header(token.as_str()).unwrap();
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.typ, None);
        // The signature is the raw 64-byte r||s, base64url without padding: 86 characters.
        let signature = token.as_str().rsplit('.').next().unwrap();
        assert_eq!(signature.len(), 86);
        assert!(!token.as_str().contains('='));
    }

    #[test]
    fn another_key_or_a_tampered_token_does_not_verify() {
        let mut issuer = issuer();
        let token = issuer.token(NOW).unwrap().as_str().to_owned();
        let other = SigningKey::from_p8_pem(&p8()).unwrap();
        assert!(matches!(
            verify_provider_token(&token, other.public_key(), NOW, 0),
            Err(ProviderTokenError::Invalid(_))
        ));
        let tampered = token.replacen('.', ".e", 1);
        assert!(verify_provider_token(&tampered, issuer.key.public_key(), NOW, 0).is_err());
    }

    #[test]
    fn age_is_checked_at_verification() {
        let mut issuer = issuer();
        let public_key = issuer.key.public_key().to_vec();
        let token = issuer.token(NOW).unwrap().as_str().to_owned();
        assert_eq!(
            verify_provider_token(&token, &public_key, NOW + 3601, 0),
            Err(ProviderTokenError::Expired { age_secs: 3601 })
        );
        assert_eq!(
            verify_provider_token(&token, &public_key, NOW - 100, 10),
            Err(ProviderTokenError::IssuedInFuture { ahead_secs: 100 })
        );
        assert!(verify_provider_token(&token, &public_key, NOW - 5, 10).is_ok());
    }

    #[test]
    fn tokens_are_reused_until_fifty_minutes() {
        let mut issuer = issuer();
        let first = issuer.token(NOW).unwrap().clone();
        assert_eq!(issuer.token(NOW + 49 * 60).unwrap(), &first);
        let second = issuer.token(NOW + 50 * 60).unwrap().clone();
        assert_ne!(second, first);
        assert_eq!(second.issued_at(), NOW + 50 * 60);
        // A clock that steps back a little keeps the token; one that jumps back
        // gets a fresh token rather than one "from the future".
        assert_eq!(issuer.token(NOW + 50 * 60 - 30).unwrap(), &second);
        let third = issuer.token(NOW).unwrap().clone();
        assert_eq!(third.issued_at(), NOW);
    }

    #[test]
    fn renewal_after_expiry_respects_twenty_minutes() {
        let mut issuer = issuer();
        issuer.token(NOW).unwrap();
        assert_eq!(
            issuer.renew_after_expiry(NOW + 300, NOW).unwrap_err(),
            ProviderTokenError::TooSoonToRenew { age_secs: 300 }
        );
        let renewed = issuer.renew_after_expiry(NOW + 20 * 60, NOW).unwrap();
        assert_eq!(renewed.issued_at(), NOW + 20 * 60);
        // Other streams rejected with the old token get the renewed one, not another renewal.
        let again = issuer.renew_after_expiry(NOW + 20 * 60 + 1, NOW).unwrap();
        assert_eq!(again.issued_at(), NOW + 20 * 60);
    }

    #[test]
    fn the_age_limits_are_inclusive() {
        let mut issuer = issuer();
        let public_key = issuer.public_key().to_vec();
        let token = issuer.token(NOW).unwrap().as_str().to_owned();
        assert!(verify_provider_token(&token, &public_key, NOW + 3600, 0).is_ok());
        // Dated exactly the leeway ahead is forgiven; a second more is not.
        assert!(verify_provider_token(&token, &public_key, NOW - 10, 10).is_ok());
        assert_eq!(
            verify_provider_token(&token, &public_key, NOW - 11, 10),
            Err(ProviderTokenError::IssuedInFuture { ahead_secs: 11 })
        );
    }

    #[test]
    fn a_token_without_a_key_id_does_not_verify() {
        let key = SigningKey::from_p8_pem(&p8()).unwrap();
        let claims = Claims {
            iss: "TEAM123456".into(),
            iat: NOW,
        };
        let jwt = jsonwebtoken::encode(
            &Header::new(Algorithm::ES256),
            &claims,
            &EncodingKey::from_ec_der(key.pkcs8_der()),
        )
        .unwrap();
        assert_eq!(
            verify_provider_token(&jwt, key.public_key(), NOW, 0),
            Err(ProviderTokenError::Invalid("the header has no kid".into()))
        );
    }

    #[test]
    fn a_clock_a_minute_back_keeps_the_token_and_one_further_back_renews_it() {
        let mut issuer = issuer();
        assert!(issuer.current().is_none());
        let first = issuer.token(NOW).unwrap().clone();
        assert_eq!(issuer.current(), Some(&first));
        assert_eq!(issuer.token(NOW - 60).unwrap(), &first);
        assert_eq!(issuer.token(NOW - 61).unwrap().issued_at(), NOW - 61);
    }

    #[test]
    fn renewal_refuses_a_token_of_now_but_not_one_dated_after_now() {
        let mut issuer = issuer();
        issuer.token(NOW).unwrap();
        assert_eq!(
            issuer.renew_after_expiry(NOW, NOW).unwrap_err(),
            ProviderTokenError::TooSoonToRenew { age_secs: 0 }
        );
        // Rejected because this clock is behind the token's: a token of this clock's now.
        let renewed = issuer.renew_after_expiry(NOW - 30, NOW).unwrap();
        assert_eq!(renewed.issued_at(), NOW - 30);
    }

    #[test]
    fn a_token_tells_its_age_and_never_prints_itself() {
        let token = issuer().token(NOW).unwrap().clone();
        assert_eq!(token.age(NOW + 5), 5);
        assert_eq!(token.age(NOW - 5), 0);
        let debug = format!("{token:?}");
        assert_eq!(debug, format!("ProviderToken(issued_at: {NOW})"));
        assert!(!debug.contains(token.as_str()));
    }

    #[test]
    fn a_key_round_trips_through_its_keychain_form() {
        let key = SigningKey::from_p8_pem(&p8()).unwrap();
        let again = SigningKey::from_pkcs8_der(key.pkcs8_der().to_vec()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(key.public_key().len(), 65);
        assert_eq!(
            SigningKey::from_pkcs8_der(vec![0x30, 0x00]).unwrap_err(),
            ProviderTokenError::NotP256
        );
    }

    #[test]
    fn issuers_of_one_key_and_ids_share_a_fingerprint() {
        let pem = p8();
        let make = |team: &str| {
            TokenIssuer::new(
                SigningKey::from_p8_pem(&pem).unwrap(),
                "ABC123DEFG".parse().unwrap(),
                team.parse().unwrap(),
            )
        };
        let one = make("TEAM123456");
        assert_eq!(one.key_id().as_str(), "ABC123DEFG");
        assert_eq!(one.team_id().as_str(), "TEAM123456");
        assert_eq!(one.fingerprint(), make("TEAM123456").fingerprint());
        assert_ne!(one.fingerprint(), make("TEAM654321").fingerprint());
        assert_ne!(one.fingerprint(), issuer().fingerprint());
        assert_ne!(one.fingerprint(), [0; 32]);
    }

    #[test]
    fn rejects_keys_that_are_not_p8_p256() {
        assert_eq!(
            SigningKey::from_p8_pem("garbage").unwrap_err(),
            ProviderTokenError::NotPkcs8Pem
        );
        let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)
            .unwrap()
            .serialize_pem();
        assert_eq!(
            SigningKey::from_p8_pem(&p384).unwrap_err(),
            ProviderTokenError::NotP256
        );
        let debug = format!("{:?}", SigningKey::from_p8_pem(&p8()).unwrap());
        assert_eq!(debug, "SigningKey(hidden)");
    }
}
