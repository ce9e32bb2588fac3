//! A certificate from an ACME CA: pebble (the distribution's `pebble` package, which `.ci/run`
//! installs) on free ports, validating `localhost` with TLS-ALPN-01 against the fyd-server port.

use std::time::{Duration, Instant};

use fyd_test_support::tls::{free_port, Pebble};
use fyd_test_support::TestApp;
use reqwest::StatusCode;

use super::served_leaf;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_pebble_is_issued_served_stored_and_reused() {
    // fyd's own account of the order, shown when the test fails.
    let _ = tracing_subscriber::fmt().with_env_filter("fyd_server::tls=debug").with_test_writer().try_init();
    let port = free_port();
    let Some(pebble) = Pebble::start(port).await else {
        // `.ci/run` installs pebble, so CI never gets here quietly.
        assert!(std::env::var_os("CI").is_none(), "pebble is not installed on this CI machine (.ci/run installs it)");
        eprintln!("SKIPPED a_certificate_from_pebble…: no `pebble` on PATH (apt-get install pebble; .ci/run installs it)");
        return;
    };
    let mut app = TestApp::spawn_with(|s| {
        s.bind = format!("127.0.0.1:{port}");
        s.acme_domains = vec!["localhost".into()];
        s.acme_directory = pebble.directory.clone();
        s.acme_contacts = vec!["ops@fyd.example".into()];
        s.acme_ca_cert = Some(pebble.api_ca.ca_file.clone());
    })
    .await;
    assert_eq!(app.url, format!("https://127.0.0.1:{port}"));

    // The order runs in the background: account, order, TLS-ALPN-01 answered on this very
    // port, finalisation, download. Then the handshake presents a chain to pebble's root.
    let root = pebble.issuing_root().await;
    let started = Instant::now();
    let leaf = loop {
        match served_leaf(app.addr(), "localhost", &root).await {
            Ok(leaf) => break leaf,
            Err(_) if started.elapsed() < Duration::from_secs(60) => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(err) => panic!("no certificate from pebble after 60 s ({err}); pebble says:\n{}", pebble.log()),
        }
    };

    // A client that trusts only pebble's root talks to the API by name.
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_der(&root).unwrap())
        .build()
        .unwrap();
    let health = client.get(format!("https://localhost:{port}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    // The account and the certificate are kept in the data dir, readable by fyd alone.
    let directories: Vec<_> = std::fs::read_dir(app.settings.data_dir.join("acme")).unwrap().map(|entry| entry.unwrap().path()).collect();
    assert_eq!(directories.len(), 1, "one directory per ACME CA: {directories:?}");
    let acme = &directories[0];
    let account = std::fs::read(acme.join("account.json")).expect("the account is stored");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(acme), 0o700);
        for file in ["account.json", "cert.pem", "key.pem"] {
            assert_eq!(mode(&acme.join(file)), 0o600, "{file}");
        }
    }
    let orders = || pebble.log().matches("POST /order-plz").count();
    assert_eq!(orders(), 1, "{}", pebble.log());

    // After a restart the stored certificate is served at once, and nothing is ordered again.
    app.restart().await;
    assert_eq!(served_leaf(app.addr(), "localhost", &root).await.expect("served from the start"), leaf);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(orders(), 1, "ordered again:\n{}", pebble.log());
    assert_eq!(std::fs::read(acme.join("account.json")).unwrap(), account, "the account changed");
}
