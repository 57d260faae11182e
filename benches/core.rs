//! Costs of the protocol core: building and encoding one notification, and fitting
//! an oversized alert body. Run with `cargo bench --bench core`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use push_console::apns::{
    DeviceToken, LegacyFormat, Notification, Payload, PayloadLimit, Priority, PushType, Sound,
    Transport, legacy,
};

const TOKEN: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";

/// An alert whose payload is exactly 200 bytes.
fn alert_200() -> Payload {
    // {"aps":{"alert":"…","badge":3,"sound":"default"}} is 48 bytes plus the body.
    let payload = Payload::builder()
        .alert_text("m".repeat(152))
        .badge(3)
        .sound(Sound::named("default"))
        .build()
        .expect("valid payload");
    assert_eq!(payload.size(), 200);
    payload
}

fn build_and_encode(c: &mut Criterion) {
    let token: DeviceToken = TOKEN.parse().expect("valid token");
    let mut out = Vec::with_capacity(512);
    c.bench_function("build + encode 200-byte alert frame", |b| {
        b.iter(|| {
            let payload = Payload::builder()
                .alert_text(black_box("m".repeat(152)))
                .badge(3)
                .sound(Sound::named("default"))
                .build()
                .expect("valid payload");
            let mut notification = Notification::new(token.clone(), payload);
            notification.priority = Some(Priority::Immediate);
            out.clear();
            notification
                .encode_legacy(LegacyFormat::Frame, black_box(7), &mut out)
                .expect("encodes");
            black_box(&out);
        })
    });

    let payload = alert_200().to_bytes();
    c.bench_function("encode prepared 200-byte frame (batch path)", |b| {
        b.iter(|| {
            out.clear();
            legacy::encode(
                LegacyFormat::Frame,
                &legacy::LegacyNotification {
                    token: token.as_bytes(),
                    payload: black_box(&payload),
                    identifier: 7,
                    expiry: 0,
                    priority: Some(Priority::Immediate),
                },
                &mut out,
            )
            .expect("encodes");
            black_box(&out);
        })
    });

    let notification = Notification::new(token.clone(), alert_200());
    c.bench_function("HTTP/2 request for 200-byte alert", |b| {
        b.iter(|| black_box(notification.to_http2_request(None).expect("fits")))
    });
}

fn fit(c: &mut Criterion) {
    // A 4 KB alert body with multi-byte characters and escapes, over the HTTP/2 limit.
    let body: String = "Grüße \"aus\" Köln 🎉\n".repeat(220);
    let payload = Payload::builder()
        .alert_text(body)
        .build()
        .expect("valid payload");
    assert!(payload.size() > 4096);
    let limit = PayloadLimit::new(Transport::Http2, &PushType::Alert);
    c.bench_function("fit_alert_body on a 4 KB payload", |b| {
        b.iter(|| black_box(payload.fit_alert_body(&limit).expect("fits")))
    });
}

criterion_group!(benches, build_and_encode, fit);
criterion_main!(benches);
