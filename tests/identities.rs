//! Identities: every kind of credential file imported into the real OS keychain,
//! every bad file refused with its own message, and no key material on disk.

use std::path::Path;
use std::sync::Arc;

use push_console::apns::{OID_DEVELOPMENT, OID_TOPICS};
use push_console::store::DataPaths;
use push_console::store::identity::{
    Credential, CredentialFile, IdentityKind, IdentityStore, Level, diagnose,
};
use push_console::store::secrets::{Keychain, SecretStore};
use rcgen::{CertificateParams, CustomExtension, DnType, KeyPair};

const TOPIC: &str = "com.example.fixture";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// A certificate shaped like Apple's, self-signed, valid between the two UNIX times.
fn apple_like(not_before: i64, not_after: i64, apple: bool) -> (String, String) {
    // rcgen takes calendar dates; day precision is all these tests need.
    let date = |unix: i64| {
        let text = push_console::apns::format_date(unix);
        let mut parts = text
            .split('-')
            .map(|part| part.parse::<i32>().expect("number"));
        let (year, month, day) = (
            parts.next().expect("y"),
            parts.next().expect("m"),
            parts.next().expect("d"),
        );
        rcgen::date_time_ymd(year, month as u8, day as u8)
    };
    let mut params = CertificateParams::default();
    params.not_before = date(not_before);
    params.not_after = date(not_after);
    params.distinguished_name.push(
        DnType::CustomDnType(vec![0, 9, 2342, 19200300, 100, 1, 1]),
        TOPIC,
    );
    params
        .distinguished_name
        .push(DnType::CommonName, format!("Apple Push Services: {TOPIC}"));
    if apple {
        let oid = |text: &str| -> Vec<u64> {
            text.split('.')
                .map(|part| part.parse().expect("number"))
                .collect()
        };
        let topics = {
            // SEQUENCE { UTF8String topic, SEQUENCE { UTF8String "app" } }
            let mut items = vec![0x0c, TOPIC.len() as u8];
            items.extend_from_slice(TOPIC.as_bytes());
            items.extend_from_slice(&[0x30, 0x05, 0x0c, 0x03, b'a', b'p', b'p']);
            let mut value = vec![0x30, items.len() as u8];
            value.extend(items);
            value
        };
        params.custom_extensions = vec![
            CustomExtension::from_oid_content(&oid(OID_DEVELOPMENT), vec![0x05, 0x00]),
            CustomExtension::from_oid_content(&oid(OID_TOPICS), topics),
        ];
    }
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("certificate");
    (cert.pem(), key.serialize_pem())
}

fn p12(cert_pem: &str, key_pem: &str, password: &str) -> Vec<u8> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    use rustls_pki_types::pem::PemObject;
    let cert = rustls_pki_types::CertificateDer::from_pem_slice(cert_pem.as_bytes()).expect("cert");
    let key =
        rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(key_pem.as_bytes()).expect("key");
    let chain = PrivateKeyChain::new(
        b"fixture".to_vec(),
        PrivateKey::from_der(key.secret_pkcs8_der()).expect("key der"),
        [Certificate::from_der(cert.as_ref()).expect("cert der")],
    );
    let mut store = KeyStore::new();
    store.add_entry("fixture", KeyStoreEntry::PrivateKeyChain(chain));
    store.writer(password).write().expect("p12 written")
}

fn store(root: &Path) -> IdentityStore {
    IdentityStore::new(
        DataPaths::under(root),
        Arc::new(Keychain::open().expect("keychain")),
    )
}

fn temp_root(name: &str) -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("push-console-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&root).expect("temp dir");
    root
}

/// Every file under `root`, read whole.
fn all_bytes(root: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push((path.clone(), std::fs::read(&path).expect("readable")));
            }
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[test]
fn each_kind_imports_into_the_keychain_lists_and_loads_back() {
    let root = temp_root("import");
    let store = store(&root);
    let year = 365 * 86_400;
    let (cert, key) = apple_like(now() - 86_400, now() + 2 * year, true);

    // PEM with certificate and key in one file.
    let combined = format!("{cert}{key}");
    let (pem_identity, findings) = store
        .import(
            CredentialFile::Certificate {
                bytes: combined.as_bytes(),
                key: None,
                password: None,
            },
            Some("pem"),
            now(),
        )
        .expect("PEM imports");
    assert_eq!(pem_identity.topics, [TOPIC]);
    assert!(pem_identity.development && !pem_identity.production);
    assert!(
        findings
            .iter()
            .any(|f| f.message == "environment: sandbox (development) only")
    );
    // Certificate and key in two files.
    store
        .import(
            CredentialFile::Certificate {
                bytes: cert.as_bytes(),
                key: Some(key.as_bytes()),
                password: None,
            },
            Some("two files"),
            now(),
        )
        .expect("separate key imports");
    // .p12 with a password, and with none.
    let with_password = p12(&cert, &key, "s3cret");
    store
        .import(
            CredentialFile::Certificate {
                bytes: &with_password,
                key: None,
                password: Some("s3cret"),
            },
            Some("p12"),
            now(),
        )
        .expect("p12 imports");
    let without_password = p12(&cert, &key, "");
    store
        .import(
            CredentialFile::Certificate {
                bytes: &without_password,
                key: None,
                password: None,
            },
            Some("p12 no password"),
            now(),
        )
        .expect("p12 without a password imports");
    // The legacy RC2-40/3DES export of macOS Keychain Access.
    let legacy = std::fs::read("tests/fixtures/keychain-legacy-rc2-3des.p12").expect("fixture");
    let (legacy_identity, _) = store
        .import(
            CredentialFile::Certificate {
                bytes: &legacy,
                key: None,
                password: Some("fixture"),
            },
            None,
            now(),
        )
        .expect("legacy p12 imports");
    assert_eq!(legacy_identity.name, "com.example.legacy");
    assert!(legacy_identity.development && legacy_identity.production);
    // A .p8 token key.
    let p8 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .expect("p8")
        .serialize_pem();
    let (token_identity, findings) = store
        .import(
            CredentialFile::TokenKey {
                pem: &p8,
                key_id: "ABC123DEFG",
                team_id: "TEAM123456",
            },
            None,
            now(),
        )
        .expect("p8 imports");
    assert_eq!(token_identity.name, "TEAM123456 key ABC123DEFG");
    assert_eq!(token_identity.kind, IdentityKind::TokenKey);
    assert!(
        findings
            .iter()
            .any(|f| f.message.contains("signs and verifies"))
    );

    let names: Vec<String> = store
        .list()
        .expect("list")
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(
        names,
        [
            "pem",
            "two files",
            "p12",
            "p12 no password",
            "com.example.legacy",
            "TEAM123456 key ABC123DEFG"
        ]
    );
    assert!(matches!(
        store.credential("p12", now()).expect("loads").1,
        Credential::Certificate(_)
    ));
    assert!(matches!(
        store
            .credential(&token_identity.name, now())
            .expect("loads")
            .1,
        Credential::Token(_)
    ));
    assert!(store.get("p12").expect("exists").last_used_at.is_some());

    // No key material anywhere under the config and data folders.
    let key_der =
        rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(key.as_bytes()).expect("key");
    use rustls_pki_types::pem::PemObject;
    for (path, bytes) in all_bytes(&root) {
        assert!(
            !contains(&bytes, b"PRIVATE KEY"),
            "{} holds a PEM key",
            path.display()
        );
        assert!(
            !contains(&bytes, &key_der.secret_pkcs8_der()[..64]),
            "{} holds key bytes",
            path.display()
        );
        assert!(
            !contains(&bytes, &with_password[..64]),
            "{} holds the .p12",
            path.display()
        );
        assert!(
            !contains(&bytes, b"s3cret"),
            "{} holds the password",
            path.display()
        );
    }

    // Deleting removes the keychain entry too.
    let keychain = Keychain::open().expect("keychain");
    for identity in store.list().expect("list") {
        let removed = store.delete(&identity.name).expect("deletes");
        assert!(
            keychain.get(&removed.keychain_account).is_err(),
            "keychain entry removed"
        );
    }
    assert!(store.list().expect("list").is_empty());
    std::fs::remove_dir_all(&root).expect("cleanup");
}

fn first_error(file: CredentialFile<'_>) -> String {
    let diagnosis = diagnose(file, now());
    diagnosis.first_error().unwrap_or("(no error)").to_owned()
}

#[test]
fn each_bad_file_gets_its_own_message_and_nothing_panics() {
    let day = 86_400;
    let (cert, key) = apple_like(now() - 400 * day, now() + 400 * day, true);
    let (other_cert, _) = apple_like(now() - day, now() + 400 * day, true);
    let (expired_cert, expired_key) = apple_like(1_700_000_000 - 400 * day, 1_772_323_200, true);
    let good = p12(&cert, &key, "right");

    let expired = format!("{expired_cert}{expired_key}");
    assert_eq!(
        first_error(CredentialFile::Certificate {
            bytes: expired.as_bytes(),
            key: None,
            password: None
        }),
        format!(
            "the certificate for {TOPIC} expired on 2026-03-01; make a new one in the Apple Developer account"
        )
    );
    assert_eq!(
        first_error(CredentialFile::Certificate {
            bytes: other_cert.as_bytes(),
            key: Some(key.as_bytes()),
            password: None
        }),
        "the certificate and the private key do not belong together; export them again as a pair"
    );
    assert!(
        first_error(CredentialFile::Certificate {
            bytes: cert.as_bytes(),
            key: None,
            password: None
        })
        .starts_with("the private key is missing from the file")
    );
    assert_eq!(
        first_error(CredentialFile::Certificate {
            bytes: &good,
            key: None,
            password: Some("wrong")
        }),
        "the .p12 password is wrong (an empty password is tried when none is given)"
    );
    assert!(
        first_error(CredentialFile::Certificate {
            bytes: &good[..good.len() / 2],
            key: None,
            password: Some("right")
        })
        .starts_with("the file is neither PEM nor a readable .p12")
    );
    assert!(
        first_error(CredentialFile::Certificate {
            bytes: b"\x00\x01garbage",
            key: None,
            password: None
        })
        .starts_with("the file is neither PEM nor a readable .p12")
    );
    assert_eq!(
        first_error(CredentialFile::Certificate {
            bytes: b"",
            key: None,
            password: None
        }),
        "the file is empty"
    );
    let encrypted =
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    assert!(
        first_error(CredentialFile::Certificate {
            bytes: format!("{cert}{encrypted}").as_bytes(),
            key: None,
            password: None
        })
        .starts_with("the PEM key is encrypted")
    );

    // Expiring soon and not-Apple certificates import with warnings, not errors.
    let (soon_cert, soon_key) = apple_like(now() - day, now() + 10 * day, true);
    let soon = diagnose(
        CredentialFile::Certificate {
            bytes: format!("{soon_cert}{soon_key}").as_bytes(),
            key: None,
            password: None,
        },
        now(),
    );
    assert!(!soon.has_errors());
    assert!(
        soon.findings
            .iter()
            .any(|f| f.level == Level::Warning && f.message.contains("renew it soon"))
    );
    let (plain_cert, plain_key) = apple_like(now() - day, now() + 400 * day, false);
    let plain = diagnose(
        CredentialFile::Certificate {
            bytes: format!("{plain_cert}{plain_key}").as_bytes(),
            key: None,
            password: None,
        },
        now(),
    );
    assert!(plain.findings.iter().any(
        |f| f.level == Level::Warning && f.message.starts_with("not an Apple push certificate")
    ));

    // Token keys: wrong curve, garbage, bad ids.
    let p384 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)
        .expect("key")
        .serialize_pem();
    assert_eq!(
        first_error(CredentialFile::TokenKey {
            pem: &p384,
            key_id: "ABC123DEFG",
            team_id: "TEAM123456"
        }),
        "the .p8 key is not a P-256 (ES256) key; APNs token keys are always P-256"
    );
    assert!(
        first_error(CredentialFile::TokenKey {
            pem: "nonsense",
            key_id: "ABC123DEFG",
            team_id: "TEAM123456"
        })
        .starts_with("the .p8 file does not hold a PKCS#8 private key")
    );
    let p8 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .expect("key")
        .serialize_pem();
    assert!(
        first_error(CredentialFile::TokenKey {
            pem: &p8,
            key_id: "SHORT",
            team_id: "TEAM123456"
        })
        .starts_with("the key id \"SHORT\" is not 10 letters and digits")
    );
}

#[test]
fn refused_imports_leave_nothing_behind_and_names_are_unique() {
    let root = temp_root("refused");
    let store = store(&root);
    let (expired_cert, expired_key) = apple_like(1_600_000_000, 1_700_000_000, true);
    let expired = format!("{expired_cert}{expired_key}");
    let error = store
        .import(
            CredentialFile::Certificate {
                bytes: expired.as_bytes(),
                key: None,
                password: None,
            },
            None,
            now(),
        )
        .expect_err("expired is refused");
    assert!(
        error.to_string().contains("expired on 2023-11-14"),
        "{error}"
    );
    assert!(store.list().expect("list").is_empty());
    let (cert, key) = apple_like(now() - 86_400, now() + 400 * 86_400, true);
    let combined = format!("{cert}{key}");
    let file = CredentialFile::Certificate {
        bytes: combined.as_bytes(),
        key: None,
        password: None,
    };
    store.import(file, None, now()).expect("first import");
    let error = store
        .import(file, None, now())
        .expect_err("same name again");
    assert_eq!(
        error.to_string(),
        format!("an identity named \"{TOPIC}\" exists; give another name or delete it first")
    );
    store.delete(TOPIC).expect("delete");
    assert_eq!(
        store.delete(TOPIC).expect_err("gone").to_string(),
        format!("no identity named \"{TOPIC}\"")
    );
    std::fs::remove_dir_all(&root).expect("cleanup");
}
