//! fyd-server over HTTPS, one test binary: `files` serves certificates made at test time by a
//! private CA (rcgen) — round trips, reloads on a file change and on SIGHUP (the real binary),
//! refusals at start, the idle timeout and the redirect port — and `acme` gets a certificate
//! from pebble, the ACME test server, through the whole TLS-ALPN-01 flow.

mod acme;
mod files;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fyd_test_support::tls::served_chain;
use rustls::pki_types::CertificateDer;

/// The server binary, as cargo built it.
const SERVER: &str = env!("CARGO_BIN_EXE_fyd-server");

/// The leaf certificate `addr` serves for `name`, trusting only `root`.
async fn served_leaf(addr: SocketAddr, name: &str, root: &CertificateDer<'static>) -> std::io::Result<CertificateDer<'static>> {
    let chain = served_chain(addr, name, std::slice::from_ref(root)).await?;
    chain.into_iter().next().ok_or_else(|| std::io::Error::other("no certificate presented"))
}

/// Waits up to `limit` for `addr` to serve `expected` (checked every 100 ms).
async fn wait_until_served(addr: SocketAddr, root: &CertificateDer<'static>, expected: &CertificateDer<'static>, limit: Duration) {
    let started = Instant::now();
    loop {
        let served = served_leaf(addr, "localhost", root).await.ok();
        if served.as_ref() == Some(expected) {
            return;
        }
        assert!(started.elapsed() < limit, "the new certificate is not served after {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
