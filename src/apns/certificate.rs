//! What an Apple push certificate says about itself: topics, environments, validity.

use x509_parser::prelude::{FromDer, X509Certificate};

/// OID of the extension that marks a development (sandbox) push certificate.
pub const OID_DEVELOPMENT: &str = "1.2.840.113635.100.6.3.1";
/// OID of the extension that marks a production push certificate.
pub const OID_PRODUCTION: &str = "1.2.840.113635.100.6.3.2";
/// OID of the extension listing every topic a certificate may push to.
pub const OID_TOPICS: &str = "1.2.840.113635.100.6.3.6";
/// OID of the subject's `UID` attribute, which holds the base bundle id.
pub const OID_USER_ID: &str = "0.9.2342.19200300.100.1.1";

/// The facts of a push certificate that matter for sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushCertificate {
    /// The subject's common name, e.g. "Apple Push Services: com.example.app".
    pub common_name: Option<String>,
    /// The issuer's common name.
    pub issuer: String,
    /// Topics: the subject UID first, then the topics extension's.
    pub topics: Vec<String>,
    /// Marked for the development (sandbox) environment.
    pub development: bool,
    /// Marked for the production environment.
    pub production: bool,
    /// Start of validity, UNIX seconds.
    pub not_before: i64,
    /// End of validity, UNIX seconds.
    pub not_after: i64,
    /// The DER SubjectPublicKeyInfo, to check that a private key belongs to it.
    pub public_key_info: Vec<u8>,
}

/// Why a certificate cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the certificate is not valid X.509 DER: {0}")]
pub struct CertificateError(String);

impl PushCertificate {
    /// Reads the facts from a DER certificate.
    pub fn parse(der: &[u8]) -> Result<Self, CertificateError> {
        let (_, certificate) =
            X509Certificate::from_der(der).map_err(|error| CertificateError(error.to_string()))?;
        let common_name = certificate
            .subject()
            .iter_common_name()
            .find_map(|name| name.as_str().ok())
            .map(str::to_owned);
        let issuer = certificate
            .issuer()
            .iter_common_name()
            .find_map(|name| name.as_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut topics: Vec<String> = certificate
            .subject()
            .iter_attributes()
            .filter(|attribute| attribute.attr_type().to_id_string() == OID_USER_ID)
            .filter_map(|attribute| attribute.as_str().ok())
            .map(str::to_owned)
            .collect();
        let mut development = false;
        let mut production = false;
        for extension in certificate.extensions() {
            match extension.oid.to_id_string().as_str() {
                OID_DEVELOPMENT => development = true,
                OID_PRODUCTION => production = true,
                OID_TOPICS => {
                    for topic in parse_topics_extension(extension.value).unwrap_or_default() {
                        if !topics.contains(&topic) {
                            topics.push(topic);
                        }
                    }
                }
                _ => {}
            }
        }
        let validity = certificate.validity();
        Ok(Self {
            common_name,
            issuer,
            topics,
            development,
            production,
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            public_key_info: certificate.public_key().raw.to_vec(),
        })
    }

    /// Whether it carries one of Apple's push environment extensions.
    pub fn is_push_certificate(&self) -> bool {
        self.development || self.production
    }

    /// The base topic (bundle id), if any.
    pub fn base_topic(&self) -> Option<&str> {
        self.topics.first().map(String::as_str)
    }

    /// Whether it has expired at `now` (UNIX seconds).
    pub fn is_expired(&self, now: i64) -> bool {
        now > self.not_after
    }

    /// Whole days of validity left at `now` (negative once expired).
    pub fn days_left(&self, now: i64) -> i64 {
        (self.not_after - now).div_euclid(86_400)
    }
}

/// Reads one DER tag-length-value: (tag, content, rest).
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > std::mem::size_of::<usize>() || rest.len() < count {
            return None;
        }
        let (len_bytes, rest) = rest.split_at(count);
        let len = len_bytes
            .iter()
            .fold(0usize, |len, &byte| (len << 8) | usize::from(byte));
        (len, rest)
    };
    (rest.len() >= len).then(|| {
        let (content, rest) = rest.split_at(len);
        (tag, content, rest)
    })
}

/// The topics in Apple's topics extension: a SEQUENCE of UTF8String topics,
/// each followed by a SEQUENCE naming its kind ("app", "voip", ...).
pub fn parse_topics_extension(value: &[u8]) -> Option<Vec<String>> {
    const SEQUENCE: u8 = 0x30;
    const UTF8_STRING: u8 = 0x0c;
    let (tag, mut items, _) = read_tlv(value)?;
    if tag != SEQUENCE {
        return None;
    }
    let mut topics = Vec::new();
    while !items.is_empty() {
        let (tag, content, rest) = read_tlv(items)?;
        if tag == UTF8_STRING {
            topics.push(std::str::from_utf8(content).ok()?.to_owned());
        }
        items = rest;
    }
    Some(topics)
}

/// A UNIX time as a calendar date, `YYYY-MM-DD` (UTC), for messages.
///
/// ```
/// assert_eq!(push_console::apns::format_date(1_764_064_800), "2025-11-25");
/// ```
pub fn format_date(unix_seconds: i64) -> String {
    jiff::Timestamp::from_second(unix_seconds).map_or_else(
        |_| format!("{unix_seconds} s after 1970"),
        |at| at.strftime("%Y-%m-%d").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Apple's topics extension for "com.example" and its VoIP topic.
    fn apple_topics() -> Vec<u8> {
        [
            &[0x30, 0x2e][..],
            &[0x0c, 11],
            b"com.example",
            &[0x30, 0x05, 0x0c, 0x03],
            b"app",
            &[0x0c, 16],
            b"com.example.voip",
            &[0x30, 0x06, 0x0c, 0x04],
            b"voip",
        ]
        .concat()
    }

    #[test]
    fn topics_extension_in_apples_shape() {
        assert_eq!(
            parse_topics_extension(&apple_topics()).unwrap(),
            ["com.example", "com.example.voip"]
        );
        assert_eq!(parse_topics_extension(&[0x30, 0x05, 0x0c]), None);
        assert_eq!(parse_topics_extension(&[0x04, 0x00]), None);
    }

    /// A SEQUENCE of `topics` UTF8Strings whose lengths take the long form.
    fn long_form_sequence(topics: &[String]) -> Vec<u8> {
        let mut items = Vec::new();
        for topic in topics {
            items.extend([0x0c, 0x81, u8::try_from(topic.len()).unwrap()]);
            items.extend(topic.as_bytes());
        }
        let length = u16::try_from(items.len()).unwrap().to_be_bytes();
        [&[0x30, 0x82][..], &length, &items].concat()
    }

    #[test]
    fn long_form_lengths_are_read_and_impossible_ones_refused() {
        let topics = ["a".repeat(130), "b".repeat(200)];
        assert_eq!(
            parse_topics_extension(&long_form_sequence(&topics)).unwrap(),
            topics
        );
        // 0x80 (indefinite), more length bytes than a usize, fewer than announced,
        // and a length past the end.
        for value in [
            &[0x30, 0x80, 0x00][..],
            &[0x30, 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0],
            &[0x30, 0x82, 0x01],
            &[0x30, 0x81, 0x05, 0x0c, 0x00],
        ] {
            assert_eq!(parse_topics_extension(value), None, "{value:02x?}");
        }
        // 0x80 is never a short length of 128, even with 128 bytes after it.
        let indefinite = [&[0x30, 0x80][..], &[0x0c, 126], &[b'x'; 126]].concat();
        assert_eq!(parse_topics_extension(&indefinite), None);
        // Eight length bytes fit a usize; one length byte may announce an empty SEQUENCE.
        assert_eq!(
            parse_topics_extension(&[0x30, 0x88, 0, 0, 0, 0, 0, 0, 0, 3, 0x0c, 0x01, b'x'])
                .unwrap(),
            ["x"]
        );
        assert_eq!(
            parse_topics_extension(&[0x30, 0x81, 0x00]),
            Some(Vec::new())
        );
        // Items that are not UTF8Strings (the kind's SEQUENCE) are skipped.
        assert_eq!(
            parse_topics_extension(&[0x30, 0x05, 0x30, 0x00, 0x0c, 0x01, b'x']).unwrap(),
            ["x"]
        );
        assert_eq!(
            parse_topics_extension(&[0x30, 0x02, 0x0c, 0x00]).unwrap(),
            [""]
        );
    }

    /// A self-signed certificate with Apple's subject and the given extensions.
    fn certificate(development: bool, production: bool) -> (Vec<u8>, Vec<u8>) {
        use rcgen::{CertificateParams, CustomExtension, DnType, KeyPair, PublicKeyData};
        let null = vec![0x05, 0x00];
        let oid =
            |text: &str| -> Vec<u64> { text.split('.').map(|n| n.parse().unwrap()).collect() };
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CustomDnType(oid(OID_USER_ID)), "com.example");
        params
            .distinguished_name
            .push(DnType::CommonName, "Apple Push Services: com.example");
        params.not_before = rcgen::date_time_ymd(2025, 11, 25);
        params.not_after = rcgen::date_time_ymd(2026, 11, 25);
        params.custom_extensions = [
            development
                .then(|| CustomExtension::from_oid_content(&oid(OID_DEVELOPMENT), null.clone())),
            production
                .then(|| CustomExtension::from_oid_content(&oid(OID_PRODUCTION), null.clone())),
            Some(CustomExtension::from_oid_content(
                &oid(OID_TOPICS),
                apple_topics(),
            )),
        ]
        .into_iter()
        .flatten()
        .collect();
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let der = params.self_signed(&key).unwrap().der().to_vec();
        (der, key.subject_public_key_info())
    }

    #[test]
    fn an_apple_shaped_certificate_says_what_it_is_for() {
        let (der, public_key_info) = certificate(true, false);
        let parsed = PushCertificate::parse(&der).unwrap();
        let not_before = 1_764_028_800;
        let not_after = 1_795_564_800;
        assert_eq!(
            parsed,
            PushCertificate {
                common_name: Some("Apple Push Services: com.example".into()),
                // Self-signed: the issuer is the subject.
                issuer: "Apple Push Services: com.example".into(),
                // The subject's UID once, though the extension repeats it.
                topics: vec!["com.example".into(), "com.example.voip".into()],
                development: true,
                production: false,
                not_before,
                not_after,
                public_key_info,
            }
        );
        assert_eq!(parsed.base_topic(), Some("com.example"));
        assert!(parsed.is_push_certificate());
        assert!(!parsed.is_expired(not_after));
        assert!(parsed.is_expired(not_after + 1));
        assert_eq!(parsed.days_left(not_after - 86_400), 1);
        assert_eq!(parsed.days_left(not_after - 1), 0);
        assert_eq!(parsed.days_left(not_after + 1), -1);
        let production = PushCertificate::parse(&certificate(false, true).0).unwrap();
        assert!(production.production && !production.development);
        assert!(production.is_push_certificate());
        let neither = PushCertificate::parse(&certificate(false, false).0).unwrap();
        assert!(!neither.is_push_certificate());
    }

    #[test]
    fn dates_are_calendar_dates() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(1_772_323_200), "2026-03-01");
        assert_eq!(format_date(951_782_400), "2000-02-29");
        assert_eq!(format_date(-86_400), "1969-12-31");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(PushCertificate::parse(b"not a certificate").is_err());
    }
}
