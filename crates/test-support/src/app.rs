//! The real fyd-server in-process: on 127.0.0.1:0, with its own temporary data dir and a clock
//! the test moves, and a reqwest client that talks HTTP to it — or HTTPS, with a certificate
//! from a [`TestCa`] that the client trusts. [`TestApp`] is for async tests
//! (the server's suites); [`BackgroundApp`] runs the same server on its own runtime for
//! synchronous tests (the CLI's).
//!
//! The store is sled in the data dir, unless `FYD_TEST_BACKEND=postgres`: then each app gets
//! a database of its own in real PostgreSQL ([`crate::postgres`]) and a shared JWT secret, so
//! a whole suite runs against the PostgreSQL store (`.ci/run` runs the api suite both ways).

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use fyd_server::clock::ManualClock;
use fyd_server::{RunningServer, Settings};
use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::fixtures::{course_body, join_body};
use crate::tls::TestCa;

/// Noon in Seoul on 2026-11-26, when every test server's clock starts.
const START: &str = "2026-11-26T03:00:00Z";

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    clock: Arc<ManualClock>,
    pub settings: Settings,
    server: Option<RunningServer>,
    /// The PostgreSQL database the app stores in, when it does.
    _database: Option<crate::postgres::TestDatabase>,
    _dir: tempfile::TempDir,
}

/// Whether `FYD_TEST_BACKEND` asks for PostgreSQL (`postgres`) rather than sled (unset, `sled`).
pub fn postgres_backend() -> bool {
    match std::env::var("FYD_TEST_BACKEND").as_deref() {
        Ok("postgres") => true,
        Ok("sled") | Ok("") | Err(_) => false,
        Ok(other) => panic!("FYD_TEST_BACKEND={other}: use sled or postgres"),
    }
}

/// The signing secret of apps on PostgreSQL, where one is required.
pub const SHARED_SECRET: &str = "a shared test secret of more than 32 bytes";

/// An answer: status, headers, and the body as JSON (`Null` when empty, a string when not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts with default settings adjusted by `tweak`, at [`START`].
    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_serving(tweak, reqwest::Client::builder().no_proxy().build().unwrap()).await
    }

    /// Serves HTTPS with a certificate for `localhost` and `127.0.0.1` from `ca`, which the
    /// client trusts; otherwise as [`TestApp::spawn_with`].
    pub async fn spawn_https(ca: &TestCa, tweak: impl FnOnce(&mut Settings)) -> Self {
        let (cert, key) = ca.server_files();
        let client = reqwest::Client::builder().no_proxy().add_root_certificate(ca.reqwest()).build().unwrap();
        let tls = |settings: &mut Settings| {
            settings.tls_cert = Some(cert);
            settings.tls_key = Some(key);
            tweak(settings);
        };
        Self::spawn_serving(tls, client).await
    }

    async fn spawn_serving(tweak: impl FnOnce(&mut Settings), client: reqwest::Client) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::with_data_dir(dir.path());
        settings.bind = "127.0.0.1:0".into();
        let database = match postgres_backend() {
            true => Some(crate::postgres::TestDatabase::create().await.expect("FYD_TEST_BACKEND=postgres needs PostgreSQL")),
            false => None,
        };
        if let Some(database) = &database {
            settings.database_url = Some(database.url.parse().expect("a database URL"));
            settings.jwt_secret = Some(fyd_server::config::Secret::new(SHARED_SECRET));
        }
        tweak(&mut settings);
        let clock = Arc::new(ManualClock::new(START.parse().unwrap()));
        let server = fyd_server::spawn(settings.clone(), clock.clone()).await.expect("server starts");
        Self { url: server.url(), client, clock, settings, server: Some(server), _database: database, _dir: dir }
    }

    /// Stops the server gracefully and starts a new one on the same data dir and clock.
    pub async fn restart(&mut self) {
        self.stop().await.expect("clean stop");
        let server = fyd_server::spawn(self.settings.clone(), self.clock.clone()).await.expect("server restarts");
        self.url = server.url();
        self.server = Some(server);
    }

    /// Stops the server gracefully (requests drained, store flushed).
    async fn stop(&mut self) -> std::io::Result<()> {
        match self.server.take() {
            Some(server) => server.stop().await,
            None => Ok(()),
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.as_ref().expect("the server runs").addr
    }

    /// The plain-HTTP port that redirects to HTTPS, when `http_redirect_bind` was set.
    pub fn redirect_addr(&self) -> Option<std::net::SocketAddr> {
        self.server.as_ref().expect("the server runs").redirect_addr
    }

    pub fn advance(&self, by: SignedDuration) {
        self.clock.advance(by);
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::from(request.send().await.expect("server answers")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::DELETE, path, token, None).await
    }

    /// Joins a new user and returns the TokenPair.
    pub async fn join(&self, email: &str, nickname: &str) -> Value {
        join_at(&self.client, &self.url, email, nickname).await
    }

    /// Joins and returns the access token.
    pub async fn user_token(&self, email: &str, nickname: &str) -> String {
        self.join(email, nickname).await["access"].as_str().unwrap().to_owned()
    }

    pub async fn create_course(&self, token: &str, title: &str) -> Value {
        let reply = self.post("/chat/chat/", Some(token), course_body(title)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "create failed: {}", reply.body);
        reply.body
    }

    /// The recommendations the user of `token` has left today, as `GET /user/user/` says.
    pub async fn remaining(&self, token: &str) -> Value {
        self.get("/user/user/", Some(token)).await.body["quota"]["remaining"].clone()
    }
}

/// Joins a user on the server at `url` and returns its token pair.
pub async fn join_at(client: &reqwest::Client, url: &str, email: &str, nickname: &str) -> Value {
    let response = client.post(format!("{url}/user/join/")).json(&join_body(email, nickname)).send().await.expect("server answers");
    assert_eq!(response.status(), StatusCode::CREATED, "join {email}");
    response.json().await.expect("a token pair")
}

impl Reply {
    pub async fn from(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body reads");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Self { status, headers, body }
    }

    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A [`TestApp`] on a runtime of its own, for tests that are not async (the CLI's, which run
/// the blocking `fyd` binary). Stopped gracefully when dropped.
pub struct BackgroundApp {
    runtime: tokio::runtime::Runtime,
    app: TestApp,
}

impl BackgroundApp {
    pub fn start(tweak: impl FnOnce(&mut Settings)) -> Self {
        Self::on_runtime(|| TestApp::spawn_with(tweak))
    }

    /// As [`TestApp::spawn_https`].
    pub fn start_https(ca: &TestCa, tweak: impl FnOnce(&mut Settings)) -> Self {
        Self::on_runtime(|| TestApp::spawn_https(ca, tweak))
    }

    fn on_runtime<F: Future<Output = TestApp>>(spawn: impl FnOnce() -> F) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
        let app = runtime.block_on(spawn());
        Self { runtime, app }
    }

    /// Runs one of the app's async calls to completion.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl Deref for BackgroundApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

impl Drop for BackgroundApp {
    fn drop(&mut self) {
        // A failed test may be unwinding already: report nothing more from here.
        let _ = self.runtime.block_on(self.app.stop());
    }
}
