//! Certificates from files (`--tls-cert`, `--tls-key`), issued at test time by a private CA.

use std::process::Command;
use std::time::{Duration, Instant};

use fyd_test_support::process::Process;
use fyd_test_support::tls::TestCa;
use fyd_test_support::{course_body, join_at, TestApp};
use reqwest::StatusCode;
use tokio::io::AsyncReadExt;

use super::{served_leaf, wait_until_served, SERVER};

#[tokio::test]
async fn a_whole_session_runs_over_https_with_a_trusted_certificate() {
    let ca = TestCa::new("fyd test CA");
    let app = TestApp::spawn_https(&ca, |_| {}).await;
    assert!(app.url.starts_with("https://127.0.0.1:"), "{}", app.url);

    let token = app.user_token("mina@example.com", "mina").await;
    let created = app.create_course(&token, "성수 산책").await;
    let listed = app.get("/chat/chat/", Some(&token)).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body[0]["id"], created["id"]);

    // The name in the certificate is checked too: `localhost` is in it, as is 127.0.0.1.
    let by_name = format!("https://localhost:{}/healthz", app.addr().port());
    let health = app.client.get(by_name).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    // A client that does not trust the CA gets no answer at all, and neither does plain HTTP.
    let stranger = reqwest::Client::builder().no_proxy().build().unwrap();
    let refused = stranger.get(format!("{}/healthz", app.url)).send().await.unwrap_err();
    assert!(format!("{refused:?}").contains("UnknownIssuer"), "{refused:?}");
    let plain = stranger.get(format!("http://{}/healthz", app.addr())).send().await;
    assert!(plain.is_err(), "plain HTTP answered on the HTTPS port: {plain:?}");
}

#[tokio::test]
async fn a_renewed_certificate_file_is_served_without_a_restart() {
    let ca = TestCa::new("fyd test CA");
    let app = TestApp::spawn_https(&ca, |_| {}).await;
    let (cert, key) = (app.settings.tls_cert.clone().unwrap(), app.settings.tls_key.clone().unwrap());
    let token = app.user_token("mina@example.com", "mina").await;
    let before = served_leaf(app.addr(), "localhost", &ca.der()).await.unwrap();

    let renewed = ca.issue(&["localhost", "127.0.0.1"]);
    assert_ne!(renewed.der, before);
    renewed.write(&cert, &key);
    // The files are looked at every 2 s by default.
    wait_until_served(app.addr(), &ca.der(), &renewed.der, Duration::from_secs(10)).await;
    // The same client, on the same store and session, carries on.
    assert_eq!(app.get("/user/user/", Some(&token)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_broken_replacement_is_refused_and_the_served_certificate_stays() {
    let ca = TestCa::new("fyd test CA");
    let app = TestApp::spawn_https(&ca, |_| {}).await;
    let (cert, key) = (app.settings.tls_cert.clone().unwrap(), app.settings.tls_key.clone().unwrap());
    let before = served_leaf(app.addr(), "localhost", &ca.der()).await.unwrap();

    // A renewal half done: the new certificate beside the old key.
    let renewed = ca.issue(&["localhost", "127.0.0.1"]);
    std::fs::write(&cert, &renewed.cert_pem).unwrap();
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    assert_eq!(served_leaf(app.addr(), "localhost", &ca.der()).await.unwrap(), before, "a mismatched pair was served");
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);

    // Its key arrives: now the new pair is served.
    std::fs::write(&key, &renewed.key_pem).unwrap();
    wait_until_served(app.addr(), &ca.der(), &renewed.der, Duration::from_secs(10)).await;
}

#[cfg(unix)]
#[tokio::test]
async fn sighup_makes_the_real_binary_read_its_certificate_again() {
    let ca = TestCa::new("fyd test CA");
    let (cert, key) = ca.server_files();
    let data = tempfile::tempdir().unwrap();
    let (cert_arg, key_arg) = (cert.to_str().unwrap(), key.to_str().unwrap());
    // No watching: only the signal can make it read the files.
    let server = Process::start(SERVER, data.path(), &["--tls-cert", cert_arg, "--tls-key", key_arg, "--tls-watch-secs", "0"]);
    let addr = server.url.strip_prefix("https://").expect("an https URL is printed").parse().unwrap();
    let client = reqwest::Client::builder().no_proxy().add_root_certificate(ca.reqwest()).build().unwrap();
    let pair = join_at(&client, &server.url, "mina@example.com", "mina").await;
    let before = served_leaf(addr, "localhost", &ca.der()).await.unwrap();

    let renewed = ca.issue(&["localhost", "127.0.0.1"]);
    renewed.write(&cert, &key);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(served_leaf(addr, "localhost", &ca.der()).await.unwrap(), before, "reloaded without being asked");

    server.hangup();
    wait_until_served(addr, &ca.der(), &renewed.der, Duration::from_secs(5)).await;
    // Still the same process: the session made before the reload is good.
    let created = client
        .post(format!("{}/chat/chat/", server.url))
        .bearer_auth(pair["access"].as_str().unwrap())
        .json(&course_body("after the reload"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert!(server.terminate().success());
}

/// `fyd-server` with `args` on a fresh data dir, which must refuse to start: its stderr.
fn refused_start(args: &[&str]) -> String {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(SERVER)
        .args(["--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    assert!(!output.status.success(), "{args:?} started");
    assert!(output.stdout.is_empty(), "{args:?} listened: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn unusable_certificate_files_stop_the_start_with_a_clear_message() {
    let ca = TestCa::new("fyd test CA");
    let (cert, key) = ca.server_files();
    let other = ca.issue(&["localhost"]);
    let dir = tempfile::tempdir().unwrap();
    let other_key = dir.path().join("other-key.pem");
    std::fs::write(&other_key, &other.key_pem).unwrap();
    let garbled = dir.path().join("garbled.pem");
    std::fs::write(&garbled, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n").unwrap();
    let [cert, key, other_key, garbled, missing] =
        [cert, key, other_key, garbled, dir.path().join("missing.pem")].map(|p: std::path::PathBuf| p.to_str().unwrap().to_owned());
    let cases: [(Vec<&str>, String); 8] = [
        (vec!["--tls-cert", &cert, "--tls-key", &other_key], format!("the key {other_key} does not belong to the certificate {cert}")),
        (vec!["--tls-cert", &key, "--tls-key", &key], format!("{key} holds no PEM certificate")),
        (vec!["--tls-cert", &cert, "--tls-key", &cert], format!("{cert} holds no PEM private key")),
        (vec!["--tls-cert", &missing, "--tls-key", &key], format!("cannot read {missing}")),
        (vec!["--tls-cert", &garbled, "--tls-key", &key], format!("{garbled} is not a usable certificate")),
        (vec!["--tls-cert", &cert], "--tls-key".to_owned()),
        (vec!["--http-redirect-bind", "127.0.0.1:0"], "--http-redirect-bind needs HTTPS".to_owned()),
        (vec!["--acme-domain", "*.example.com"], "wildcards need the DNS-01 challenge".to_owned()),
    ];
    for (args, expected) in cases {
        let stderr = refused_start(&args);
        assert!(stderr.contains(&expected), "{args:?}: expected {expected:?} in:\n{stderr}");
        assert!(!stderr.contains("PRIVATE KEY"), "{args:?} printed key material:\n{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_clients_are_cut_off_during_and_after_the_handshake() {
    let ca = TestCa::new("fyd test CA");
    let app = TestApp::spawn_https(&ca, |s| s.idle_timeout_secs = 1).await;
    // One connects and never says hello; one completes the handshake and sends no request.
    let mut silent = tokio::net::TcpStream::connect(app.addr()).await.unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates({
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.der()).unwrap();
            roots
        })
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(app.addr()).await.unwrap();
    let mut quiet = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .expect("the handshake completes");

    let started = Instant::now();
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "a client that never said hello is still connected");
    let closed = tokio::time::timeout(Duration::from_secs(5), quiet.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "an idle TLS connection is still open");
    assert!(started.elapsed() >= Duration::from_millis(900), "closed before the idle timeout: {:?}", started.elapsed());
    // Others are served all along.
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn plain_http_on_the_redirect_port_is_sent_to_https() {
    let ca = TestCa::new("fyd test CA");
    let app = TestApp::spawn_https(&ca, |s| s.http_redirect_bind = Some("127.0.0.1:0".into())).await;
    let redirect = app.redirect_addr().expect("a redirect port");
    let plain = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = plain.post(format!("http://localhost:{}/user/login/?next=1", redirect.port())).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::PERMANENT_REDIRECT);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("https://localhost:{}/user/login/?next=1", app.addr().port()));

    // A client that follows redirects ends up on the API, encrypted.
    let health = app.client.get(format!("http://127.0.0.1:{}/healthz", redirect.port())).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.url().scheme(), "https");
}
