//! The operator's certificate files (`--tls-cert`, `--tls-key`): read and checked at start —
//! a file that does not read, holds no PEM of its kind, or a key that does not belong to the
//! certificate stops the start — and read again on SIGHUP or when either file changes. Changes
//! are seen by polling a stamp of each file every `--tls-watch-secs` (modified time, size, inode,
//! following symlinks), which also catches a symlink swapped by certbot or a Kubernetes secret.
//! A reload that fails is logged and keeps the certificate being served.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use tokio::task::JoinHandle;

use super::{provider, CertInfo, Certificates, TlsError};

/// What identifies one version of a file on disk.
type Stamp = Option<(SystemTime, u64, u64)>;

pub(crate) struct CertFiles {
    cert: PathBuf,
    key: PathBuf,
    certs: Arc<Certificates>,
    /// The files as they were when last read.
    read: Mutex<(Stamp, Stamp)>,
}

impl CertFiles {
    /// Reads both files and serves them through `certs`.
    pub fn open(cert: &Path, key: &Path, certs: Arc<Certificates>) -> Result<Self, TlsError> {
        let files = Self { cert: cert.to_owned(), key: key.to_owned(), certs, read: Mutex::new((None, None)) };
        let info = files.reload()?;
        if info.not_after < jiff::Timestamp::now() {
            tracing::warn!(cert = %files.cert.display(), expired = %info.not_after, "the TLS certificate has expired; clients will refuse it");
        }
        tracing::info!(cert = %files.cert.display(), names = ?info.names, expires = %info.not_after, "serving HTTPS");
        Ok(files)
    }

    /// Reads both files again and serves them from the next handshake on; on an error the
    /// certificate served so far stays.
    pub fn reload(&self) -> Result<CertInfo, TlsError> {
        *self.read.lock().unwrap_or_else(PoisonError::into_inner) = (stamp(&self.cert), stamp(&self.key));
        let (key, info) = load(&self.cert, &self.key)?;
        self.certs.install(Arc::new(key));
        Ok(info)
    }

    /// [`CertFiles::reload`] with the outcome logged; SIGHUP's handler.
    pub fn reload_logged(&self) {
        match self.reload() {
            Ok(info) => tracing::info!(names = ?info.names, expires = %info.not_after, "TLS certificate reloaded"),
            Err(err) => tracing::warn!(error = %err, "TLS certificate not reloaded; still serving the previous one"),
        }
    }

    /// Reloads whenever either file changes, looking every `every`, until the task is aborted.
    pub fn watch(self: Arc<Self>, every: Duration) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let now = (stamp(&self.cert), stamp(&self.key));
                if now != *self.read.lock().unwrap_or_else(PoisonError::into_inner) {
                    self.reload_logged();
                }
            }
        })
    }
}

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some((meta.modified().ok()?, meta.len(), inode))
}

/// The certificate chain in `cert` with the private key in `key`, checked to belong together.
pub(crate) fn load(cert: &Path, key: &Path) -> Result<(CertifiedKey, CertInfo), TlsError> {
    let read = |path: &Path| std::fs::read(path).map_err(|source| TlsError::Read { path: path.to_owned(), source });
    let (cert_pem, key_pem) = (read(cert)?, read(key)?);
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| TlsError::BadCertificate { path: cert.to_owned(), reason: err.to_string() })?;
    let leaf = chain.first().ok_or_else(|| TlsError::NoCertificate { path: cert.to_owned() })?;
    let info = CertInfo::parse(leaf).map_err(|reason| TlsError::BadCertificate { path: cert.to_owned(), reason })?;
    let private =
        PrivateKeyDer::from_pem_slice(&key_pem).map_err(|err| TlsError::NoKey { path: key.to_owned(), reason: err.to_string() })?;
    let signer = provider()
        .key_provider
        .load_private_key(private)
        .map_err(|err| TlsError::BadKey { path: key.to_owned(), reason: err.to_string() })?;
    let certified = CertifiedKey::new(chain, signer);
    match certified.keys_match() {
        // A key type whose public half rustls cannot derive is taken as it is.
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok((certified, info)),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(TlsError::Mismatch { cert: cert.to_owned(), key: key.to_owned() })
        }
        Err(err) => Err(TlsError::BadCertificate { path: cert.to_owned(), reason: err.to_string() }),
    }
}
