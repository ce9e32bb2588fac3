//! Certificates from an ACME CA (RFC 8555), what certbot did for the service fyd replaces:
//! instant-acme speaks the protocol, and the challenge is TLS-ALPN-01 (RFC 8737), answered on
//! the HTTPS port itself by [`Certificates`] — no port 80, no web root.
//!
//! State lives in `<data-dir>/acme/<directory>/` (directory 0700, files 0600): `account.json`
//! (the account's key and URL, created once and reused, so every renewal is by the same
//! account), `cert.pem` (the chain) and `key.pem`. A stored certificate is served from the
//! start; a background task orders a new one when there is none, when it does not name every
//! domain, or when a third of its lifetime is left (Let's Encrypt's advice: 30 days before a
//! 90-day certificate ends), and retries failures after 5 minutes, doubling up to 6 hours, to
//! stay inside the CA's rate limits.
//!
//! Why not poem's `AutoCert`: it makes a new account key on every start (nothing persists),
//! writes the certificate's private key with the default mode (0644 under the usual umask),
//! renews only 12 hours before expiry, builds its HTTP client itself (so no private ACME CA,
//! and no test against pebble), and brings its own TLS acceptor, which would bypass the idle
//! timeout of `listener.rs` and the shared certificate resolver. instant-acme does the protocol
//! only (its own tests run against pebble); fyd keeps the keys, the files and the timing.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use instant_acme::{
    Account, AccountBuilder, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus,
    RetryPolicy,
};
use jiff::{SignedDuration, Timestamp};
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::CertifiedKey;
use tokio::task::JoinHandle;

use super::{files, private_dir, provider, write_private, CertInfo, Certificates, TlsError};

/// The first pause after a failed order; it doubles with each failure in a row.
const FIRST_RETRY: Duration = Duration::from_secs(5 * 60);
const LAST_RETRY: Duration = Duration::from_secs(6 * 60 * 60);
/// The longest sleep between two looks at the certificate (clocks jump; suspended hosts wake).
const LOOK_AGAIN: Duration = Duration::from_secs(12 * 60 * 60);

/// Why one order failed; logged, then retried.
#[derive(Debug, thiserror::Error)]
enum OrderError {
    #[error("{0}")]
    Protocol(#[from] instant_acme::Error),
    #[error("{0}")]
    Refused(String),
    #[error("cannot make the challenge certificate: {0}")]
    Challenge(String),
    #[error("cannot store {path}: {source}")]
    Store { path: PathBuf, source: std::io::Error },
    #[error("the account file {path} does not read: {source}")]
    Account { path: PathBuf, source: serde_json::Error },
    #[error("the CA's certificate is not usable: {0}")]
    Issued(#[from] TlsError),
}

/// The domains, the CA and where the state is kept.
pub(crate) struct Acme {
    domains: Vec<String>,
    directory: String,
    contacts: Vec<String>,
    ca_cert: Option<PathBuf>,
    dir: PathBuf,
    certs: Arc<Certificates>,
    /// The certificate served now, if any.
    current: Option<CertInfo>,
}

impl Acme {
    /// Checks the settings, prepares the state directory and serves a stored certificate.
    pub fn open(
        domains: &[String],
        directory: &str,
        contacts: &[String],
        ca_cert: Option<&Path>,
        data_dir: &Path,
        certs: Arc<Certificates>,
    ) -> Result<Self, TlsError> {
        let domains = domains.iter().map(|domain| check_domain(domain)).collect::<Result<Vec<_>, _>>()?;
        if !directory.starts_with("https://") {
            return Err(TlsError::Setting(format!("the ACME directory must be an https:// URL, not {directory:?}")));
        }
        if let Some(path) = ca_cert {
            Account::builder_with_root(path)
                .map_err(|err| TlsError::Setting(format!("the ACME CA certificate {} is not usable: {err}", path.display())))?;
        }
        let contacts =
            contacts.iter().map(|contact| if contact.contains(':') { contact.clone() } else { format!("mailto:{contact}") }).collect();
        let dir = data_dir.join("acme").join(slug(directory));
        private_dir(&dir).map_err(|source| TlsError::AcmeStore { path: dir.clone(), source })?;
        let mut acme =
            Self { domains, directory: directory.to_owned(), contacts, ca_cert: ca_cert.map(Path::to_owned), dir, certs, current: None };
        let (cert, key) = (acme.dir.join("cert.pem"), acme.dir.join("key.pem"));
        if cert.exists() {
            match files::load(&cert, &key) {
                Ok((certified, info)) => {
                    tracing::info!(names = ?info.names, expires = %info.not_after, "serving the stored ACME certificate");
                    acme.certs.install(Arc::new(certified));
                    acme.current = Some(info);
                }
                Err(err) => tracing::warn!(error = %err, "the stored ACME certificate is not usable; ordering a new one"),
            }
        }
        Ok(acme)
    }

    /// Keeps a valid certificate served, ordering and renewing as needed, until aborted.
    pub fn run(mut self) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let wait = self.renew_at().duration_since(Timestamp::now());
                if wait.is_positive() {
                    let wait = Duration::try_from(wait).unwrap_or(LOOK_AGAIN).min(LOOK_AGAIN);
                    tokio::time::sleep(wait).await;
                    continue;
                }
                tracing::info!(domains = ?self.domains, directory = %self.directory, "ordering a certificate");
                match self.order().await {
                    Ok(info) => {
                        failures = 0;
                        tracing::info!(names = ?info.names, expires = %info.not_after, "certificate issued and served");
                        self.current = Some(info);
                    }
                    Err(err) => {
                        let pause = FIRST_RETRY.saturating_mul(1 << failures.min(10)).min(LAST_RETRY);
                        failures += 1;
                        tracing::error!(error = %err, retry_in_secs = pause.as_secs(), "the ACME order failed");
                        tokio::time::sleep(pause).await;
                    }
                }
            }
        })
    }

    /// When the certificate served now should be replaced: at once without one, or when it
    /// misses a domain; else when a third of its lifetime is left.
    fn renew_at(&self) -> Timestamp {
        match &self.current {
            Some(info) if self.domains.iter().all(|domain| info.names.iter().any(|name| name.eq_ignore_ascii_case(domain))) => {
                let lifetime = info.not_after.duration_since(info.not_before);
                info.not_after.checked_sub(lifetime / 3).unwrap_or(info.not_before)
            }
            _ => Timestamp::now() - SignedDuration::from_secs(1),
        }
    }

    /// One order through to a served certificate.
    async fn order(&self) -> Result<CertInfo, OrderError> {
        let account = self.account().await?;
        let identifiers: Vec<Identifier> = self.domains.iter().map(|domain| Identifier::Dns(domain.clone())).collect();
        let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
        let _answers = ClearChallenges(&self.certs);
        let mut authorizations = order.authorizations();
        while let Some(authorization) = authorizations.next().await {
            let mut authorization = authorization?;
            let domain = authorization.identifier().to_string();
            match authorization.status {
                AuthorizationStatus::Valid => continue,
                AuthorizationStatus::Pending => {}
                status => return Err(OrderError::Refused(format!("the CA holds the authorization of {domain} as {status:?}"))),
            }
            let mut challenge = authorization
                .challenge(ChallengeType::TlsAlpn01)
                .ok_or_else(|| OrderError::Refused(format!("the CA offers no tls-alpn-01 challenge for {domain}")))?;
            let answer = challenge_certificate(&domain, challenge.key_authorization().digest().as_ref())?;
            self.certs.set_challenge(&domain, Arc::new(answer));
            challenge.set_ready().await?;
        }
        let status = order.poll_ready(&RetryPolicy::new().timeout(Duration::from_secs(180))).await?;
        if status != OrderStatus::Ready {
            return Err(OrderError::Refused(format!(
                "the CA could not validate {} (status {status:?}): each must resolve to this server and reach it on port 443",
                self.domains.join(", ")
            )));
        }
        let key_pem = order.finalize().await?;
        let chain_pem = order.poll_certificate(&RetryPolicy::new().timeout(Duration::from_secs(120))).await?;
        let (cert, key) = (self.dir.join("cert.pem"), self.dir.join("key.pem"));
        // The key first: a crash between the two leaves a new key with the old certificate,
        // which fails the key check at the next start and orders again, never a wrong pair served.
        write_private(&key, key_pem.as_bytes()).map_err(|source| OrderError::Store { path: key.clone(), source })?;
        write_private(&cert, chain_pem.as_bytes()).map_err(|source| OrderError::Store { path: cert.clone(), source })?;
        let (certified, info) = files::load(&cert, &key)?;
        self.certs.install(Arc::new(certified));
        Ok(info)
    }

    /// The stored account for this directory, or a new one (stored with mode 0600).
    async fn account(&self) -> Result<Account, OrderError> {
        let path = self.dir.join("account.json");
        match std::fs::read(&path) {
            Ok(bytes) => {
                let credentials: AccountCredentials =
                    serde_json::from_slice(&bytes).map_err(|source| OrderError::Account { path: path.clone(), source })?;
                return Ok(self.builder()?.from_credentials(credentials).await?);
            }
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(OrderError::Store { path, source: err }),
            Err(_) => {}
        }
        let contacts: Vec<&str> = self.contacts.iter().map(String::as_str).collect();
        let new = NewAccount { contact: &contacts, terms_of_service_agreed: true, only_return_existing: false };
        let (account, credentials) = self.builder()?.create(&new, self.directory.clone(), None).await?;
        let json = serde_json::to_vec_pretty(&credentials).map_err(|source| OrderError::Account { path: path.clone(), source })?;
        write_private(&path, &json).map_err(|source| OrderError::Store { path: path.clone(), source })?;
        tracing::info!(directory = %self.directory, "ACME account created");
        Ok(account)
    }

    fn builder(&self) -> Result<AccountBuilder, instant_acme::Error> {
        match &self.ca_cert {
            Some(path) => Account::builder_with_root(path),
            None => Account::builder(),
        }
    }
}

/// Takes the challenge answers down when an order ends, however it ends.
struct ClearChallenges<'a>(&'a Certificates);

impl Drop for ClearChallenges<'_> {
    fn drop(&mut self) {
        self.0.clear_challenges();
    }
}

/// The self-signed certificate a TLS-ALPN-01 validation of `domain` expects: the domain as its
/// only name and the key authorization's digest in the acmeIdentifier extension.
fn challenge_certificate(domain: &str, digest: &[u8]) -> Result<CertifiedKey, OrderError> {
    let failed = |err: rcgen::Error| OrderError::Challenge(err.to_string());
    let key = rcgen::KeyPair::generate().map_err(failed)?;
    let mut params = rcgen::CertificateParams::new(vec![domain.to_owned()]).map_err(failed)?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let cert = params.self_signed(&key).map_err(failed)?;
    let private = PrivateKeyDer::Pkcs8(key.serialize_der().into());
    // Not `CertifiedKey::from_der`: its key check parses the certificate with webpki, which
    // refuses the critical acmeIdentifier extension this certificate must carry.
    let signer = provider().key_provider.load_private_key(private).map_err(|err| OrderError::Challenge(err.to_string()))?;
    Ok(CertifiedKey::new(vec![cert.der().clone()], signer))
}

/// A domain the CA can validate with TLS-ALPN-01: a DNS name, lower-cased; no wildcard (those
/// need DNS-01), no address, no port.
fn check_domain(domain: &str) -> Result<String, TlsError> {
    let domain = domain.trim().to_ascii_lowercase();
    let refuse = |why: &str| Err(TlsError::Setting(format!("--acme-domain {domain:?}: {why}")));
    if domain.is_empty() {
        return refuse("empty");
    }
    if domain.contains('*') {
        return refuse("wildcards need the DNS-01 challenge, which fyd does not do; list each name");
    }
    if domain.parse::<IpAddr>().is_ok() {
        return refuse("an address, not a domain name");
    }
    if !domain.split('.').all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')) {
        return refuse("not a domain name (letters, digits, '-' and '.' only, no scheme, port or path)");
    }
    Ok(domain)
}

/// A directory name for the state of one ACME directory URL (staging and production apart).
fn slug(directory: &str) -> String {
    let rest = directory.split_once("://").map_or(directory, |(_, rest)| rest);
    rest.trim_end_matches('/').chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_dns_names_only() {
        assert_eq!(check_domain(" Fyd.Example.COM ").unwrap(), "fyd.example.com");
        for bad in ["", "*.example.com", "127.0.0.1", "::1", "https://example.com", "example.com:443", "a..b", "exa mple.com"] {
            assert!(check_domain(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_certificate_is_renewed_with_a_third_of_its_life_left_or_at_once_when_it_misses_a_domain() {
        let dir = tempfile::tempdir().unwrap();
        let domains = ["fyd.example.com".to_owned(), "api.fyd.example.com".to_owned()];
        let mut acme = Acme::open(&domains, "https://ca.example/dir", &[], None, dir.path(), Arc::default()).unwrap();
        let now = Timestamp::now();
        assert!(acme.renew_at() <= now, "no certificate: order at once");

        let not_before: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let not_after = not_before + SignedDuration::from_hours(90 * 24);
        let names = domains.to_vec();
        acme.current = Some(CertInfo { names, not_before, not_after });
        assert_eq!(acme.renew_at(), not_after - SignedDuration::from_hours(30 * 24));

        acme.current = Some(CertInfo { names: vec!["fyd.example.com".into()], not_before, not_after });
        assert!(acme.renew_at() <= Timestamp::now(), "a domain was added: order at once");
    }

    #[test]
    fn each_directory_keeps_its_own_state() {
        assert_eq!(slug("https://acme-v02.api.letsencrypt.org/directory"), "acme-v02.api.letsencrypt.org_directory");
        assert_eq!(slug("https://127.0.0.1:14000/dir"), "127.0.0.1_14000_dir");
        assert_ne!(slug(crate::config::LETS_ENCRYPT_PRODUCTION), slug("https://acme-staging-v02.api.letsencrypt.org/directory"));
    }
}
