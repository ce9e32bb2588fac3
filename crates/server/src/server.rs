//! Starting and stopping the server: data directory, signing secret, store, listener (plain
//! HTTP, or HTTPS through `tls`, with an optional redirect port), and a graceful shutdown that
//! drains requests and flushes the store before it returns.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fyd_core::catalogue::Catalogue;
use jiff::SignedDuration;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::{Endpoint, Response};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::{sessions::Sessions, throttle::LoginThrottle, tokens::TokenIssuer};
use crate::clock::Clock;
use crate::config::{ProviderKind, Secret, Settings};
use crate::listener::IdleTimeoutAcceptor;
use crate::provider::openai::{OpenAiConfig, OpenAiProvider};
use crate::provider::{BuiltinProvider, Provider};
use crate::quota::DailyQuota;
use crate::share::limit::PageLimit;
use crate::share::Sharing;
use crate::state::AppState;
use crate::store::StoreError;
use crate::tls::redirect::RedirectToHttps;
use crate::tls::{Https, HttpsAcceptor, TlsError};

const SECRET_FILE: &str = "jwt-secret";
const MIN_SECRET_BYTES: usize = 32;
const LOGIN_WINDOW: SignedDuration = SignedDuration::from_mins(15);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot use the data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("FYD_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")]
    WeakSecret,
    #[error(
        "FYD_JWT_SECRET must be set when the database is shared ({0}): every replica must sign and check tokens with the same secret (at least {MIN_SECRET_BYTES} bytes, e.g. from `openssl rand -hex 32`)"
    )]
    SharedSecretRequired(crate::store::DatabaseUrl),
    #[error("cannot open the store: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("invalid setting: {0}")]
    Setting(String),
    #[error("cannot read the places file {path}: {source}")]
    PlacesFile { path: PathBuf, source: std::io::Error },
    #[error("the places file does not read: {0}")]
    Places(#[from] fyd_core::catalogue::CatalogueError),
    #[error(transparent)]
    Tls(#[from] TlsError),
}

/// A server accepting connections, until [`RunningServer::stop`].
pub struct RunningServer {
    pub addr: SocketAddr,
    /// The plain-HTTP port that redirects to HTTPS (`--http-redirect-bind`), if any.
    pub redirect_addr: Option<SocketAddr>,
    https: Option<Https>,
    shutdown: Option<watch::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        let scheme = if self.https.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Reads the TLS certificate files again (SIGHUP): the next handshake gets the new
    /// certificate, or the old one stays if the files are not usable (logged). False when the
    /// server has no certificate files (plain HTTP, or ACME).
    pub fn reload_tls(&self) -> bool {
        self.https.as_ref().is_some_and(Https::reload)
    }

    /// Stops accepting, lets requests in flight finish (10 s at most), flushes the store and
    /// releases the data directory.
    pub async fn stop(mut self) -> std::io::Result<()> {
        // Dropping the sender is the signal every listener waits for.
        self.shutdown.take();
        self.https.take();
        self.task.await.map_err(std::io::Error::other)?
    }

    /// Waits until the server ends by itself (which only happens on an I/O failure).
    pub async fn finished(&mut self) -> std::io::Result<()> {
        (&mut self.task).await.map_err(std::io::Error::other)?
    }
}

/// Opens everything `settings` names and starts serving on its `bind` address.
pub async fn spawn(settings: Settings, clock: Arc<dyn Clock>) -> Result<RunningServer, StartError> {
    let data_dir = &settings.data_dir;
    std::fs::create_dir_all(data_dir).map_err(|source| StartError::DataDir { path: data_dir.clone(), source })?;
    let database = settings.database();
    let secret = match &settings.jwt_secret {
        Some(secret) if secret.expose().len() < MIN_SECRET_BYTES => return Err(StartError::WeakSecret),
        Some(secret) => secret.expose().as_bytes().to_vec(),
        // A secret generated here would be this replica's alone: the others could not check its tokens.
        None if database.is_shared() => return Err(StartError::SharedSecretRequired(database)),
        None => load_or_create_secret(data_dir).map_err(|source| StartError::DataDir { path: data_dir.clone(), source })?,
    };
    let ttl =
        |d: humantime::Duration| SignedDuration::try_from(*d).map_err(|_| StartError::Setting(format!("token lifetime {d} is too long")));
    // Built (and the built-in one parsed) now rather than by the first request, which would wait
    // for it with every request that arrives meanwhile.
    let catalogue = catalogue(&settings.places)?;
    give_back_freed_heap();
    let store = crate::store::open(&settings).await?;
    let tokens = TokenIssuer::new(&secret, ttl(settings.access_ttl)?, ttl(settings.refresh_ttl)?);
    let https = Https::start(&settings)?;
    if https.is_none() && settings.http_redirect_bind.is_some() {
        return Err(StartError::Setting("--http-redirect-bind needs HTTPS (--tls-cert or --acme-domain)".into()));
    }
    let state = Arc::new(AppState {
        catalogue,
        store: store.clone(),
        sessions: Sessions::new(store.clone(), tokens),
        quota: DailyQuota::new(store.clone(), settings.daily_quota, settings.recommend_deadline()),
        clock,
        throttle: LoginThrottle::new(store.clone(), settings.login_max_failures, LOGIN_WINDOW),
        provider: provider(&settings, catalogue)?,
        keep_alive: Duration::from_secs(settings.sse_keep_alive_secs.max(1)),
        sharing: Sharing {
            public_url: settings.public_url.clone(),
            https: https.is_some(),
            limit: PageLimit::new(settings.share_rate_per_minute, settings.trusted_proxies.clone()),
        },
    });
    let app = crate::api::app(state, &settings.cors_origins);

    let (acceptor, addr) = bind(&settings.bind).await?;
    let redirect = match &settings.http_redirect_bind {
        Some(bind_to) => Some(bind(bind_to).await?),
        None => None,
    };
    let redirect_addr = redirect.as_ref().map(|(_, addr)| *addr);
    let idle_timeout = settings.idle_timeout();
    let (shutdown, signal) = watch::channel(());
    let stopped = move || {
        let mut signal = signal.clone();
        async move {
            let _ = signal.changed().await;
        }
    };
    let tcp = IdleTimeoutAcceptor::new(acceptor, idle_timeout);
    let served = match &https {
        Some(https) => tokio::spawn(serve(HttpsAcceptor::new(tcp, https.config.clone()), app, stopped())),
        None => tokio::spawn(serve(tcp, app, stopped())),
    };
    let redirecting = redirect.map(|(acceptor, redirect_addr)| {
        tracing::info!(addr = %redirect_addr, "redirecting plain HTTP to HTTPS");
        tokio::spawn(serve(IdleTimeoutAcceptor::new(acceptor, idle_timeout), RedirectToHttps { https_port: addr.port() }, stopped()))
    });
    let task = tokio::spawn(async move {
        let served = served.await.map_err(std::io::Error::other)?;
        if let Some(redirecting) = redirecting {
            if let Err(err) = redirecting.await.map_err(std::io::Error::other).and_then(|r| r) {
                tracing::error!(error = %err, "the redirect listener failed");
            }
        }
        if let Err(err) = store.flush().await {
            tracing::error!(error = %err, "final flush failed");
        }
        served
    });
    tracing::info!(%addr, https = https.is_some(), "listening");
    Ok(RunningServer { addr, redirect_addr, https, shutdown: Some(shutdown), task })
}

/// A TCP listener on `addr`, and the address it got (port 0 picks a free one).
async fn bind(addr: &str) -> Result<(TcpAcceptor, SocketAddr), StartError> {
    let bind_error = |source| StartError::Bind { addr: addr.to_owned(), source };
    let acceptor = TcpListener::bind(addr).into_acceptor().await.map_err(bind_error)?;
    let local = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| bind_error(std::io::Error::other("no local address")))?;
    Ok((acceptor, local))
}

/// Serves `app` on `acceptor` until `stopped`, then drains requests (10 s at most).
async fn serve<A, E>(acceptor: A, app: E, stopped: impl Future<Output = ()>) -> std::io::Result<()>
where
    A: Acceptor + 'static,
    E: Endpoint<Output = Response> + 'static,
{
    poem::Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(app, stopped, Some(Duration::from_secs(10))).await
}

/// The built-in catalogue, or — with an operator's places files — the built-in one with those
/// files applied, made once and kept for the life of the process.
fn catalogue(files: &[PathBuf]) -> Result<&'static Catalogue, StartError> {
    if files.is_empty() {
        return Ok(fyd_core::catalogue::catalogue());
    }
    let texts = files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|source| StartError::PlacesFile { path: path.clone(), source })?;
            Ok((path.display().to_string(), text))
        })
        .collect::<Result<Vec<_>, StartError>>()?;
    let named: Vec<(&str, &str)> = texts.iter().map(|(name, text)| (name.as_str(), text.as_str())).collect();
    let catalogue = Catalogue::load(&named)?;
    tracing::info!(files = files.len(), places = catalogue.places.len(), areas = catalogue.areas.len(), "operator's places applied");
    // Every request plans with it until the process ends: one allocation, never freed.
    Ok(Box::leak(Box::new(catalogue)))
}

/// Parsing the catalogue allocates and frees a few MB of records and strings, which glibc keeps
/// for reuse: about 1.8 MB of an idle server's memory held for nothing. Hand it back once.
fn give_back_freed_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the OS; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The provider `settings` ask for; `auto` is the LLM when a key is configured.
fn provider(settings: &Settings, catalogue: &'static Catalogue) -> Result<Arc<dyn Provider>, StartError> {
    let openai = |key: Option<Secret>| -> Result<Arc<dyn Provider>, StartError> {
        let config = OpenAiConfig {
            base_url: settings.openai_base_url.trim_end_matches('/').to_owned(),
            api_key: key,
            model: settings.openai_model.clone(),
            timeout: settings.recommend_deadline(),
            fallback: settings.openai_fallback,
        };
        tracing::info!(base_url = %config.base_url, model = %config.model, fallback = ?config.fallback, "the OpenAI-compatible provider");
        Ok(Arc::new(OpenAiProvider::new(config, catalogue).map_err(|err| StartError::Setting(err.to_string()))?))
    };
    let provider: Arc<dyn Provider> = match (settings.provider, &settings.openai_api_key) {
        (ProviderKind::Builtin, _) | (ProviderKind::Auto, None) => Arc::new(BuiltinProvider { catalogue }),
        (ProviderKind::Auto, Some(key)) => openai(Some(key.clone()))?,
        // Local servers (Ollama, llama.cpp) need no key.
        (ProviderKind::Openai, key) => openai(key.clone())?,
    };
    tracing::info!(provider = provider.name(), "recommending");
    Ok(provider)
}

/// The signing secret kept in the data dir: created once (mode 0600) so tokens survive restarts.
fn load_or_create_secret(data_dir: &Path) -> std::io::Result<Vec<u8>> {
    let path = data_dir.join(SECRET_FILE);
    match std::fs::read(&path) {
        Ok(secret) if secret.len() >= MIN_SECRET_BYTES => return Ok(secret),
        Ok(_) => return Err(std::io::Error::other(format!("{} is too short; delete it to make a new one", path.display()))),
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
        Err(_) => {}
    }
    let secret = format!("{:032x}{:032x}", rand::random::<u128>(), rand::random::<u128>()).into_bytes();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    file.write_all(&secret)?;
    file.sync_all()?;
    Ok(secret)
}
