//! Starting and stopping the server: data directory, signing secret, store, listener, and a
//! graceful shutdown that drains requests and flushes the store before it returns.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use poem::listener::{Acceptor, Listener, TcpListener};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::{sessions::Sessions, throttle::LoginThrottle, tokens::TokenIssuer};
use crate::clock::Clock;
use crate::config::{ProviderKind, Secret, Settings};
use crate::listener::IdleTimeoutAcceptor;
use crate::provider::openai::{OpenAiConfig, OpenAiProvider};
use crate::provider::{BuiltinProvider, Provider};
use crate::quota::DailyQuota;
use crate::state::AppState;
use crate::store::{SledStore, Store, StoreError};

const SECRET_FILE: &str = "jwt-secret";
const MIN_SECRET_BYTES: usize = 32;
const LOGIN_WINDOW: SignedDuration = SignedDuration::from_mins(15);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot use the data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("FYD_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")]
    WeakSecret,
    #[error("cannot open the store: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("invalid setting: {0}")]
    Setting(String),
}

/// A server accepting connections, until [`RunningServer::stop`].
pub struct RunningServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish (10 s at most), flushes the store and
    /// releases the data directory.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
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
    let secret = match &settings.jwt_secret {
        Some(secret) if secret.expose().len() < MIN_SECRET_BYTES => return Err(StartError::WeakSecret),
        Some(secret) => secret.expose().as_bytes().to_vec(),
        None => load_or_create_secret(data_dir).map_err(|source| StartError::DataDir { path: data_dir.clone(), source })?,
    };
    let ttl =
        |d: humantime::Duration| SignedDuration::try_from(*d).map_err(|_| StartError::Setting(format!("token lifetime {d} is too long")));
    // Parsed now rather than by the first request, which would wait for it (with every request
    // that arrives meanwhile).
    fyd_core::catalogue::catalogue();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&data_dir.join("db"), settings.cache_mb * 1024 * 1024)?);
    let tokens = TokenIssuer::new(&secret, ttl(settings.access_ttl)?, ttl(settings.refresh_ttl)?);
    let state = Arc::new(AppState {
        store: store.clone(),
        sessions: Sessions::new(store.clone(), tokens),
        quota: DailyQuota::new(store.clone(), settings.daily_quota, settings.recommend_deadline()),
        clock,
        throttle: LoginThrottle::new(settings.login_max_failures.max(1), LOGIN_WINDOW),
        provider: provider(&settings)?,
        keep_alive: Duration::from_secs(settings.sse_keep_alive_secs.max(1)),
    });
    let app = crate::api::app(state, &settings.cors_origins);

    let bind_error = |source| StartError::Bind { addr: settings.bind.clone(), source };
    let acceptor = TcpListener::bind(settings.bind.as_str()).into_acceptor().await.map_err(bind_error)?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| bind_error(std::io::Error::other("no local address")))?;
    let idle_timeout = settings.idle_timeout();
    let (shutdown, signal) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = poem::Server::new_with_acceptor(IdleTimeoutAcceptor::new(acceptor, idle_timeout))
            .run_with_graceful_shutdown(app, async { signal.await.unwrap_or(()) }, Some(Duration::from_secs(10)))
            .await;
        if let Err(err) = store.flush().await {
            tracing::error!(error = %err, "final flush failed");
        }
        served
    });
    tracing::info!(%addr, "listening");
    Ok(RunningServer { addr, shutdown: Some(shutdown), task })
}

/// The provider `settings` ask for; `auto` is the LLM when a key is configured.
fn provider(settings: &Settings) -> Result<Arc<dyn Provider>, StartError> {
    let openai = |key: Option<Secret>| -> Result<Arc<dyn Provider>, StartError> {
        let config = OpenAiConfig {
            base_url: settings.openai_base_url.trim_end_matches('/').to_owned(),
            api_key: key,
            model: settings.openai_model.clone(),
            timeout: settings.recommend_deadline(),
        };
        tracing::info!(base_url = %config.base_url, model = %config.model, "the OpenAI-compatible provider");
        Ok(Arc::new(OpenAiProvider::new(config).map_err(|err| StartError::Setting(err.to_string()))?))
    };
    let provider: Arc<dyn Provider> = match (settings.provider, &settings.openai_api_key) {
        (ProviderKind::Builtin, _) | (ProviderKind::Auto, None) => Arc::new(BuiltinProvider),
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
