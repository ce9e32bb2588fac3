//! The test harness: a real fyd-server on 127.0.0.1:0 with its own temporary data dir and a
//! clock the test moves, and a reqwest client that talks HTTP to it.
#![allow(dead_code)] // each test binary uses its own subset of helpers

use std::sync::Arc;

use fyd_server::clock::ManualClock;
use fyd_server::{RunningServer, Settings};
use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub mod process;
pub mod upstream;

pub const PASSWORD: &str = "달빛산책-2024x";

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub settings: Settings,
    server: Option<RunningServer>,
    _dir: Arc<tempfile::TempDir>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts with default settings adjusted by `tweak`, at noon in Seoul on 2026-11-26.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let mut settings = Settings::with_data_dir(dir.path());
        settings.bind = "127.0.0.1:0".into();
        tweak(&mut settings);
        let clock = Arc::new(ManualClock::new("2026-11-26T03:00:00Z".parse().unwrap()));
        let server = fyd_server::spawn(settings.clone(), clock.clone()).await.expect("server starts");
        Self {
            url: server.url(),
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            clock,
            settings,
            server: Some(server),
            _dir: dir,
        }
    }

    /// Stops the server gracefully and starts a new one on the same data dir and clock.
    pub async fn restart(&mut self) {
        self.server.take().unwrap().stop().await.expect("clean stop");
        let server = fyd_server::spawn(self.settings.clone(), self.clock.clone()).await.expect("server restarts");
        self.url = server.url();
        self.server = Some(server);
    }

    pub fn advance(&self, by: SignedDuration) {
        self.clock.advance(by);
    }

    pub fn now(&self) -> Timestamp {
        use fyd_server::clock::Clock;
        self.clock.now()
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
}

/// Joins a user on the server at `url` and returns its token pair.
pub async fn join_at(client: &reqwest::Client, url: &str, email: &str, nickname: &str) -> Value {
    let body = json!({"email": email, "nickname": nickname, "password1": PASSWORD, "password2": PASSWORD});
    let response = client.post(format!("{url}/user/join/")).json(&body).send().await.expect("server answers");
    assert_eq!(response.status(), StatusCode::CREATED, "join {email}");
    response.json().await.expect("a token pair")
}

pub fn course_body(title: &str) -> Value {
    json!({"title": title, "datetime": "오후 2시 ~ 오후 9시", "question": "성수에서 가을 데이트", "answer": "1. 서울숲 산책"})
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
