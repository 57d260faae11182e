//! The floor under `push-console send`: the same requests over the same libraries (h2,
//! rustls with aws-lc-rs, tokio's two-thread runtime), with nothing of Push Console's in
//! the way: no history, no retries, no outcomes, no output. `benches/http2-nginx.sh` runs
//! it beside h2load, so the gap between push-console and h2load splits into what these
//! libraries cost (h2load to this floor) and what Push Console adds (this floor to it).
//!
//! Usage: `h2_floor HOST:PORT CA.pem PAYLOAD.json COUNT CONCURRENCY BEARER`
//! Prints the accepted count and the rate on standard error; exits non-zero if any
//! request failed or was not answered 200.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Target {
    authority: String,
    payload: Bytes,
    bearer: String,
    count: usize,
    concurrency: usize,
    ca: Vec<CertificateDer<'static>>,
}

fn parse_args() -> Result<Target, Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [authority, ca, payload, count, concurrency, bearer] = args.as_slice() else {
        return Err(
            "usage: h2_floor HOST:PORT CA.pem PAYLOAD.json COUNT CONCURRENCY BEARER".into(),
        );
    };
    Ok(Target {
        authority: authority.clone(),
        payload: Bytes::from(std::fs::read(payload)?),
        bearer: format!("bearer {bearer}"),
        count: count.parse()?,
        concurrency: concurrency.parse()?,
        ca: CertificateDer::pem_file_iter(ca)?.collect::<Result<_, _>>()?,
    })
}

async fn connect(target: &Target) -> Result<h2::client::SendRequest<Bytes>, Error> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in &target.ca {
        roots.add(certificate.clone())?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let (host, _) = target
        .authority
        .rsplit_once(':')
        .ok_or("HOST:PORT expected")?;
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())?;
    let tcp = tokio::net::TcpStream::connect(&target.authority).await?;
    tcp.set_nodelay(true)?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?;
    let (send, connection) = h2::client::handshake(tls).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            eprintln!("connection ended: {error}");
        }
    });
    Ok(send.ready().await?)
}

/// One request: the headers push-console sends for a token-auth alert (a fresh `apns-id`
/// included, which the bench's nginx echoes as APNs does), the payload as the body, the
/// answer's body read to its end.
async fn post(
    send: &mut h2::client::SendRequest<Bytes>,
    target: &Target,
    index: usize,
) -> Result<bool, Error> {
    let mut request = http::Request::post(format!(
        "https://{}/3/device/{index:064x}",
        target.authority
    ))
    .header("apns-topic", "com.example.app")
    .header("apns-push-type", "alert")
    .header("apns-priority", "10")
    .header("authorization", target.bearer.as_str())
    .body(())?;
    // Unique per request, as push-console sends it: never indexed by HPACK.
    let mut apns_id = http::HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())?;
    apns_id.set_sensitive(true);
    request.headers_mut().insert("apns-id", apns_id);
    std::future::poll_fn(|cx| send.poll_ready(cx)).await?;
    let (response, mut body) = send.send_request(request, false)?;
    body.send_data(target.payload.clone(), true)?;
    let response = response.await?;
    let accepted = response.status() == http::StatusCode::OK;
    let mut answer = response.into_body();
    while let Some(chunk) = answer.data().await {
        let chunk = chunk?;
        let _ = answer.flow_control().release_capacity(chunk.len());
    }
    Ok(accepted)
}

async fn run(target: Arc<Target>) -> Result<usize, Error> {
    let send = connect(&target).await?;
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..target.concurrency.min(target.count) {
        let (mut send, target, next, accepted) = (
            send.clone(),
            Arc::clone(&target),
            Arc::clone(&next),
            Arc::clone(&accepted),
        );
        workers.spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= target.count {
                    return Ok::<(), Error>(());
                }
                if post(&mut send, &target, index).await? {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while let Some(worker) = workers.join_next().await {
        worker??;
    }
    Ok(accepted.load(Ordering::Relaxed))
}

fn main() -> Result<(), Error> {
    let target = Arc::new(parse_args()?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let started = Instant::now();
    let accepted = runtime.block_on(run(Arc::clone(&target)))?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{accepted} accepted of {} in {seconds:.3} s, {:.0}/s",
        target.count,
        accepted as f64 / seconds
    );
    if accepted == target.count {
        Ok(())
    } else {
        Err(format!("{} not accepted", target.count - accepted).into())
    }
}
