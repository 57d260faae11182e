//! The simulator's certificates: a CA made at start, the server certificate it
//! signs, client certificates shaped like Apple's push certificates, and a .p8
//! token key.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, CustomExtension, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::apns::{KeyId, PushCertificate, SigningKey, TeamId, Topic};

use super::{SimulatorError, der};

/// Apple's OIDs for push certificates.
const OID_DEVELOPMENT: &[u64] = &[1, 2, 840, 113635, 100, 6, 3, 1];
const OID_PRODUCTION: &[u64] = &[1, 2, 840, 113635, 100, 6, 3, 2];
const OID_TOPICS: &[u64] = &[1, 2, 840, 113635, 100, 6, 3, 6];
/// The subject's `UID` attribute, where Apple puts the base topic.
const OID_USER_ID: &[u64] = &[0, 9, 2342, 19200300, 100, 1, 1];

/// The key id the simulator's token key is registered under.
pub const SIMULATOR_KEY_ID: &str = "SIMKEY0001";
/// The topic of the certificate a send with no identity presents to the simulator.
pub const SIMULATOR_TOPIC: &str = "com.example.pushconsole";

/// The team id the simulator's token key belongs to.
pub const SIMULATOR_TEAM_ID: &str = "SIMTEAM001";

/// A .p8 token key the simulator accepts provider tokens from.
#[derive(Clone)]
pub struct TokenKey {
    /// The PKCS#8 PEM text, as Apple's .p8 download holds it.
    pub p8_pem: String,
    /// The key id to put in the JWT's `kid`.
    pub key_id: KeyId,
    /// The team id to put in the JWT's `iss`.
    pub team_id: TeamId,
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TokenKey(key_id: {}, team_id: {}, key hidden)",
            self.key_id, self.team_id
        )
    }
}

/// Everything the simulator signs or serves with.
pub(crate) struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivatePkcs8KeyDer<'static>,
    token_key: TokenKey,
    token_public_key: Vec<u8>,
}

impl fmt::Debug for Pki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pki(keys hidden)")
    }
}

/// The current year, to make certificates valid from last year to two years on.
fn current_year() -> i32 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    // Mean Gregorian year; a day off at a year boundary does not matter here.
    1970 + (seconds / 31_556_952) as i32
}

fn params_valid_now() -> CertificateParams {
    let year = current_year();
    let mut params = CertificateParams::default();
    params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + 2, 1, 1);
    let mut serial = *uuid::Uuid::new_v4().as_bytes();
    // A DER INTEGER with the top bit set is negative; serials must be positive.
    serial[0] &= 0x7f;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
}

fn new_key() -> Result<KeyPair, rcgen::Error> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
}

impl Pki {
    /// Makes the CA, a server certificate for localhost, 127.0.0.1, ::1 and
    /// `bind` (when it is another address), and the token key.
    pub(crate) fn generate(bind: IpAddr) -> Result<Self, SimulatorError> {
        let mut ca_params = params_valid_now();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Push Console Simulator CA");
        ca_params
            .distinguished_name
            .push(DnType::OrganizationName, "Push Console");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, new_key()?)?;

        let mut server_params = params_valid_now();
        server_params
            .distinguished_name
            .push(DnType::CommonName, "Push Console Simulator");
        let mut names = vec![
            SanType::DnsName("localhost".try_into()?),
            SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        ];
        if !bind.is_loopback() && !bind.is_unspecified() {
            names.push(SanType::IpAddress(bind));
        }
        server_params.subject_alt_names = names;
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server_params.use_authority_key_identifier_extension = true;
        let server_key = new_key()?;
        let server_cert = server_params.signed_by(&server_key, &ca)?;

        let token_pair = new_key()?;
        let p8_pem = token_pair.serialize_pem();
        let token_public_key = SigningKey::from_p8_pem(&p8_pem)?.public_key().to_vec();
        let token_key = TokenKey {
            p8_pem,
            key_id: SIMULATOR_KEY_ID
                .parse()
                .expect("SIMULATOR_KEY_ID is 10 letters and digits"),
            team_id: SIMULATOR_TEAM_ID
                .parse()
                .expect("SIMULATOR_TEAM_ID is 10 letters and digits"),
        };

        Ok(Self {
            server_chain: vec![server_cert.der().clone(), ca.der().clone()],
            server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
            ca,
            token_key,
            token_public_key,
        })
    }

    pub(crate) fn ca_der(&self) -> CertificateDer<'static> {
        self.ca.der().clone()
    }

    pub(crate) fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    pub(crate) fn server_chain(&self) -> Vec<CertificateDer<'static>> {
        self.server_chain.clone()
    }

    pub(crate) fn server_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.server_key.clone_key())
    }

    pub(crate) fn token_key(&self) -> &TokenKey {
        &self.token_key
    }

    /// The token key's public half, as an uncompressed P-256 point.
    pub(crate) fn token_public_key(&self) -> &[u8] {
        &self.token_public_key
    }

    /// A client certificate and PKCS#8 key, both PEM, shaped like an Apple push
    /// certificate for `topics` (the first is the base topic), valid for both
    /// environments.
    pub(crate) fn client_identity(
        &self,
        topics: &[&str],
    ) -> Result<(String, String), SimulatorError> {
        let first = *topics.first().ok_or(SimulatorError::NoTopics)?;
        for topic in topics {
            topic.parse::<Topic>()?;
        }
        let mut params = params_valid_now();
        let name = &mut params.distinguished_name;
        name.push(DnType::CustomDnType(OID_USER_ID.to_vec()), first);
        name.push(DnType::CommonName, format!("Apple Push Services: {first}"));
        name.push(DnType::OrganizationalUnitName, SIMULATOR_TEAM_ID);
        name.push(DnType::OrganizationName, "Push Console Simulator");
        name.push(DnType::CountryName, "US");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.use_authority_key_identifier_extension = true;
        let mut null = Vec::new();
        der::write(der::NULL, &[], &mut null);
        params.custom_extensions = vec![
            CustomExtension::from_oid_content(OID_DEVELOPMENT, null.clone()),
            CustomExtension::from_oid_content(OID_PRODUCTION, null),
            CustomExtension::from_oid_content(OID_TOPICS, der::topics_extension(topics)),
        ];
        let key = new_key()?;
        let cert = params.signed_by(&key, &self.ca)?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

/// The topics a client certificate allows: its `UID` first, then those of the
/// topics extension. Empty when it is not shaped like a push certificate.
pub(crate) fn certificate_topics(der: &[u8]) -> Vec<String> {
    PushCertificate::parse(der)
        .map(|certificate| certificate.topics)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn client_certificate_carries_apples_extensions() {
        let pki = Pki::generate(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
        let (cert_pem, key_pem) = pki
            .client_identity(&["com.example.app", "com.example.app.voip"])
            .unwrap();
        assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let der = CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap();
        assert_eq!(
            certificate_topics(&der),
            ["com.example.app", "com.example.app.voip"]
        );
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
        let subject = parsed.subject().to_string();
        assert!(
            subject.contains("Apple Push Services: com.example.app"),
            "{subject}"
        );
        let oids: Vec<String> = parsed
            .extensions()
            .iter()
            .map(|extension| extension.oid.to_id_string())
            .collect();
        assert!(oids.contains(&"1.2.840.113635.100.6.3.1".to_owned()));
        assert!(oids.contains(&"1.2.840.113635.100.6.3.2".to_owned()));
        let development = parsed
            .extensions()
            .iter()
            .find(|extension| extension.oid.to_id_string() == "1.2.840.113635.100.6.3.1")
            .unwrap();
        assert_eq!(development.value, [0x05, 0x00]);
        assert!(parsed.validity().is_valid());
    }

    #[test]
    fn client_identity_needs_a_valid_topic() {
        let pki = Pki::generate(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
        assert!(matches!(
            pki.client_identity(&[]),
            Err(SimulatorError::NoTopics)
        ));
        assert!(matches!(
            pki.client_identity(&["com.example app"]),
            Err(SimulatorError::BadTopic(_))
        ));
    }

    #[test]
    fn token_key_is_a_p8_with_ten_character_ids() {
        let pki = Pki::generate(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
        let key = SigningKey::from_p8_pem(&pki.token_key().p8_pem).unwrap();
        assert_eq!(key.public_key(), pki.token_public_key());
        assert_eq!(pki.token_key().key_id.as_str(), "SIMKEY0001");
        assert!(!format!("{:?}", pki.token_key()).contains("PRIVATE"));
    }

    #[test]
    fn a_plain_certificate_has_no_topics() {
        let pki = Pki::generate(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
        assert!(certificate_topics(&pki.server_chain()[0]).is_empty());
        assert!(certificate_topics(b"not a certificate").is_empty());
    }
}
