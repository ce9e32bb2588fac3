//! TLS for the tests, all real: a certificate authority made at test time with rcgen that
//! issues server certificates as PEM files, the certificate chain a server actually presents
//! in a handshake, and [`Pebble`] — the ACME test server from the distribution's `pebble`
//! package — started on free ports with a temporary config and killed when dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::RootCertStore;

/// A private CA, its certificate in `<dir>/ca.pem`.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pub ca_file: PathBuf,
    dir: tempfile::TempDir,
}

/// A server certificate the CA issued, with its key, as PEM.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: CertificateDer<'static>,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, issuer.pem()).unwrap();
        Self { issuer, ca_file, dir }
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    pub fn reqwest(&self) -> reqwest::Certificate {
        reqwest::Certificate::from_der(self.issuer.der()).unwrap()
    }

    /// A certificate for `names` (DNS names or IP addresses).
    pub fn issue(&self, names: &[&str]) -> Issued {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, names[0]);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Issued { cert_pem: cert.pem(), key_pem: key.serialize_pem(), der: cert.der().clone() }
    }

    /// A certificate for `localhost` and `127.0.0.1` written to `server-cert.pem` and
    /// `server-key.pem` beside the CA's file; returns (cert, key) paths.
    pub fn server_files(&self) -> (PathBuf, PathBuf) {
        let paths = (self.dir.path().join("server-cert.pem"), self.dir.path().join("server-key.pem"));
        self.issue(&["localhost", "127.0.0.1"]).write(&paths.0, &paths.1);
        paths
    }
}

impl Issued {
    /// Replaces `cert` and `key` the way a renewal does: each written beside and renamed over.
    pub fn write(&self, cert: &Path, key: &Path) {
        for (path, pem) in [(key, &self.key_pem), (cert, &self.cert_pem)] {
            let temporary = path.with_extension("new");
            std::fs::write(&temporary, pem).unwrap();
            std::fs::rename(&temporary, path).unwrap();
        }
    }
}

/// The chain `addr` presents for `server_name`, from a handshake that trusts only `roots`;
/// an error when the handshake fails (not trusted, wrong name, nothing served).
pub async fn served_chain(
    addr: SocketAddr,
    server_name: &str,
    roots: &[CertificateDer<'static>],
) -> std::io::Result<Vec<CertificateDer<'static>>> {
    let mut store = RootCertStore::empty();
    for root in roots {
        store.add(root.clone()).map_err(std::io::Error::other)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    let name = ServerName::try_from(server_name.to_owned()).map_err(std::io::Error::other)?;
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await?;
    Ok(tls.get_ref().1.peer_certificates().unwrap_or_default().to_vec())
}

/// A free TCP port on 127.0.0.1 (bound, then released for a child to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// pebble, the ACME test server, on free ports: its API over HTTPS with a certificate from a
/// [`TestCa`], validating challenges against `127.0.0.1` (`localhost` resolves there).
pub struct Pebble {
    child: Child,
    /// The ACME directory URL.
    pub directory: String,
    /// The CA of pebble's own HTTPS (for `--acme-ca-cert`).
    pub api_ca: TestCa,
    management: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Pebble {
    /// The `pebble` binary on PATH, if installed.
    pub fn binary() -> Option<PathBuf> {
        std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join("pebble")).find(|path| path.is_file())
    }

    /// Starts pebble validating TLS-ALPN-01 on `tls_port`; `None` when pebble is not installed.
    pub async fn start(tls_port: u16) -> Option<Self> {
        let binary = Self::binary()?;
        let api_ca = TestCa::new("pebble API test CA");
        let (cert, key) = api_ca.server_files();
        let dir = tempfile::tempdir().unwrap();
        let (listen, management) = (free_port(), free_port());
        let config = serde_json::json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{listen}"),
            "managementListenAddress": format!("127.0.0.1:{management}"),
            "certificate": cert, "privateKey": key,
            "httpPort": free_port(), "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": false
        }});
        let config_file = dir.path().join("pebble.json");
        std::fs::write(&config_file, config.to_string()).unwrap();
        let log = dir.path().join("pebble.log");
        let child = Command::new(binary)
            .arg("-config")
            .arg(&config_file)
            // No random pause before validating, and no nonces refused on purpose: the test
            // exercises fyd's flow, not its patience.
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("pebble starts");
        let pebble = Self { child, directory: format!("https://127.0.0.1:{listen}/dir"), api_ca, management, log, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", listen)).await.is_err() {
            assert!(Instant::now() < deadline, "pebble did not listen within 20 s:\n{}", pebble.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(pebble)
    }

    /// The root that pebble's issued chains lead to (it makes a new one at every start).
    pub async fn issuing_root(&self) -> CertificateDer<'static> {
        let client = reqwest::Client::builder().no_proxy().add_root_certificate(self.api_ca.reqwest()).build().unwrap();
        let pem = client.get(format!("https://127.0.0.1:{}/roots/0", self.management)).send().await.unwrap().bytes().await.unwrap();
        rustls::pki_types::pem::PemObject::from_pem_slice(&pem).expect("a PEM root")
    }

    /// What pebble has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
