//! HTTPS in process with rustls (ring): the certificate every handshake is answered with,
//! where it comes from, and the acceptor that speaks TLS over the idle-timeout TCP acceptor.
//!
//! The certificate lives in one [`Certificates`] resolver and is swapped in place: the next
//! handshake gets the new one while open connections keep theirs, so nothing restarts. It
//! comes either from the operator's files ([`files`]: `--tls-cert`/`--tls-key`, reloaded on
//! SIGHUP or when the files change) or from an ACME CA ([`acme`]: `--acme-domain`, proved with
//! TLS-ALPN-01 on the HTTPS port itself, renewed when a third of its lifetime is left).
//! [`HttpsAcceptor`] wraps `listener::IdleTimeoutAcceptor`, so a client that stalls in the
//! handshake is dropped like one that stalls in its headers. [`redirect`] answers plain HTTP on
//! a second port with a redirect to HTTPS.
//!
//! Private keys are read, handed to rustls and (ACME) written with mode 0600, never logged:
//! every error names files and reasons only.

pub(crate) mod acme;
pub(crate) mod files;
pub(crate) mod redirect;

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};
use std::task::{ready, Context, Poll};

use jiff::Timestamp;
use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::JoinHandle;
use tokio_rustls::server::TlsStream;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::config::Settings;
use acme::Acme;
use files::CertFiles;

/// The ALPN protocol of an ACME TLS-ALPN-01 validation (RFC 8737).
const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// Why HTTPS cannot start or a certificate cannot be used. Never holds key material.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----); is it the key?")]
    NoCertificate { path: PathBuf },
    #[error("{path} holds no PEM private key (PKCS#8, PKCS#1 or SEC1): {reason}")]
    NoKey { path: PathBuf, reason: String },
    #[error("{path} is not a usable certificate: {reason}")]
    BadCertificate { path: PathBuf, reason: String },
    #[error("the key in {path} cannot sign (unsupported or damaged): {reason}")]
    BadKey { path: PathBuf, reason: String },
    #[error("the key {key} does not belong to the certificate {cert}")]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("{0}")]
    Setting(String),
    #[error("cannot keep ACME state in {path}: {source}")]
    AcmeStore { path: PathBuf, source: io::Error },
}

/// HTTPS as the settings ask for it: the server config, and what keeps its certificate current
/// (the file watcher or the ACME task, stopped when this is dropped).
pub(crate) struct Https {
    pub config: Arc<ServerConfig>,
    files: Option<Arc<CertFiles>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Https {
    /// `None` for plain HTTP. Must run on the tokio runtime (it spawns the background task).
    pub fn start(settings: &Settings) -> Result<Option<Self>, TlsError> {
        let certs = Arc::new(Certificates::default());
        let acme = !settings.acme_domains.is_empty();
        match (&settings.tls_cert, &settings.tls_key) {
            (None, None) if !acme => Ok(None),
            (Some(cert), Some(key)) if !acme => {
                let files = Arc::new(CertFiles::open(cert, key, certs.clone())?);
                let watcher = match settings.tls_watch_secs {
                    0 => Vec::new(),
                    secs => vec![files.clone().watch(std::time::Duration::from_secs(secs))],
                };
                Ok(Some(Self { config: server_config(certs, false), files: Some(files), tasks: watcher }))
            }
            (None, None) => {
                let acme = Acme::open(
                    &settings.acme_domains,
                    &settings.acme_directory,
                    &settings.acme_contacts,
                    settings.acme_ca_cert.as_deref(),
                    &settings.data_dir,
                    certs.clone(),
                )?;
                Ok(Some(Self { config: server_config(certs, true), files: None, tasks: vec![acme.run()] }))
            }
            (Some(_), Some(_)) => Err(TlsError::Setting("--tls-cert and --acme-domain exclude each other: pick one".into())),
            _ => Err(TlsError::Setting("--tls-cert and --tls-key go together".into())),
        }
    }

    /// Reads the certificate files again (SIGHUP) and logs how it went; false when the
    /// certificate does not come from files.
    pub fn reload(&self) -> bool {
        self.files.as_ref().map(|files| files.reload_logged()).is_some()
    }
}

impl Drop for Https {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

/// The TLS provider of every config fyd builds: ring, as reqwest already uses.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// What fyd knows of a certificate it serves, for logs and renewal.
#[derive(Debug, Clone)]
pub(crate) struct CertInfo {
    pub names: Vec<String>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
}

impl CertInfo {
    /// Names and validity of an end-entity certificate.
    pub fn parse(der: &CertificateDer<'_>) -> Result<Self, String> {
        let (_, cert) = X509Certificate::from_der(der.as_ref()).map_err(|err| err.to_string())?;
        let names = match cert.subject_alternative_name().map_err(|err| err.to_string())? {
            Some(san) => san
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                    GeneralName::IPAddress(bytes) => ip_text(bytes),
                    _ => None,
                })
                .collect(),
            None => Vec::new(),
        };
        let time = |t: x509_parser::time::ASN1Time| Timestamp::from_second(t.timestamp()).map_err(|err| err.to_string());
        Ok(Self { names, not_before: time(cert.validity().not_before)?, not_after: time(cert.validity().not_after)? })
    }
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => Some(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?).to_string()),
        16 => Some(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?).to_string()),
        _ => None,
    }
}

/// The certificate served now, and the TLS-ALPN-01 answers of a pending ACME order.
#[derive(Default)]
pub(crate) struct Certificates {
    current: RwLock<Option<Arc<CertifiedKey>>>,
    challenges: RwLock<HashMap<String, Arc<CertifiedKey>>>,
}

impl Certificates {
    /// Serves `key` from the next handshake on.
    pub fn install(&self, key: Arc<CertifiedKey>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(key);
    }

    pub fn current(&self) -> Option<Arc<CertifiedKey>> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Answers ACME validations of `domain` with `key` until [`Certificates::clear_challenges`].
    pub fn set_challenge(&self, domain: &str, key: Arc<CertifiedKey>) {
        self.challenges.write().unwrap_or_else(PoisonError::into_inner).insert(domain.to_ascii_lowercase(), key);
    }

    pub fn clear_challenges(&self) {
        self.challenges.write().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

impl std::fmt::Debug for Certificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificates").finish_non_exhaustive()
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let validation = hello.alpn().is_some_and(|mut protocols| protocols.any(|p| p == ACME_TLS_ALPN));
        if validation {
            let name = hello.server_name()?.to_ascii_lowercase();
            return self.challenges.read().unwrap_or_else(PoisonError::into_inner).get(&name).cloned();
        }
        self.current()
    }
}

/// A server config answering every handshake from `certs`; with `acme`, it also accepts the
/// `acme-tls/1` protocol of TLS-ALPN-01 validations.
pub(crate) fn server_config(certs: Arc<Certificates>, acme: bool) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(certs);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    if acme {
        config.alpn_protocols.push(ACME_TLS_ALPN.to_vec());
    }
    Arc::new(config)
}

/// Creates `path` (and its parents) with mode 0700 where it does not exist yet.
pub(crate) fn private_dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Writes `bytes` to `path` atomically (a temporary file beside it, synced, renamed, and the
/// directory synced) with mode 0600 from the first byte.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let temporary = path.with_extension("tmp");
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// TLS over the connections of `inner`; the handshake runs in the connection's own task (on its
/// first read or write), so a slow client never holds up the accept loop.
pub(crate) struct HttpsAcceptor<A> {
    inner: A,
    tls: tokio_rustls::TlsAcceptor,
}

impl<A> HttpsAcceptor<A> {
    pub fn new(inner: A, config: Arc<ServerConfig>) -> Self {
        Self { inner, tls: tokio_rustls::TlsAcceptor::from(config) }
    }
}

impl<A: Acceptor> Acceptor for HttpsAcceptor<A> {
    type Io = HttpsIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote, _) = self.inner.accept().await?;
        Ok((HttpsIo::Handshake(Box::new(self.tls.accept(io))), local, remote, Scheme::HTTPS))
    }
}

/// One connection: handshaking, then encrypted (each state about a kilobyte, so boxed).
pub(crate) enum HttpsIo<T> {
    Handshake(Box<tokio_rustls::Accept<T>>),
    Ready(Box<TlsStream<T>>),
    Failed,
}

impl<T: AsyncRead + AsyncWrite + Unpin> HttpsIo<T> {
    fn poll_stream(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&mut TlsStream<T>>> {
        if let Self::Handshake(accept) = self {
            match ready!(Pin::new(&mut **accept).poll(cx)) {
                Ok(stream) => *self = Self::Ready(Box::new(stream)),
                Err(err) => {
                    *self = Self::Failed;
                    return Poll::Ready(Err(err));
                }
            }
        }
        match self {
            Self::Ready(stream) => Poll::Ready(Ok(stream)),
            _ => Poll::Ready(Err(io::Error::new(io::ErrorKind::NotConnected, "the TLS handshake failed"))),
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for HttpsIo<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let stream = ready!(self.get_mut().poll_stream(cx))?;
        Pin::new(stream).poll_read(cx, buf)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for HttpsIo<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let stream = ready!(self.get_mut().poll_stream(cx))?;
        Pin::new(stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let stream = ready!(self.get_mut().poll_stream(cx))?;
        Pin::new(stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let stream = ready!(self.get_mut().poll_stream(cx))?;
        Pin::new(stream).poll_shutdown(cx)
    }
}
