//! The HTTP client: fyd-server's API as typed calls in `fyd-core`'s wire types, on the paths
//! of `fyd_core::wire::paths`.
//!
//! [`Client`] makes the calls that need no login (join, login); [`Session`] is the saved login
//! and makes the rest, refreshing an expired access token once, transparently (rotating the
//! refresh token and saving the new one), before giving up with "log in again". Every call
//! answers the CLI's own error, with the API's error turned into what to do next.
//!
//! The connection keeps credentials off the wire in clear text: a password only goes to an
//! `https://` server or one on this machine (else [`Client::refuse_clear_text`], unless
//! `--allow-insecure-http`), and a token sent over plain HTTP elsewhere gets one warning.
//! `--ca-cert` adds a private CA to the bundled web roots; a certificate that is not trusted
//! is its own error, which says so.

use std::io::{BufRead, BufReader, Lines};
use std::path::PathBuf;

use fyd_core::course::{Course, Stop};
use fyd_core::request::RecommendRequest;
use fyd_core::wire::{
    paths, Detail, ErrorBody, JoinRequest, LoginRequest, LogoutRequest, RecommendDetail, RecommendResult, RefreshRequest, RefreshResponse,
    ShareLink, ShareRequest, TokenPair, User,
};
use reqwest::blocking::{Client as Http, RequestBuilder, Response};
use reqwest::header::HeaderMap;
use reqwest::{Method, Url};
use serde::{de::DeserializeOwned, Serialize};

use crate::credentials::{self, Credentials};
use crate::error::{CliError, CliResult};

pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8000";

/// An error answer of the API: its status and `{detail, code}` body.
#[derive(Debug)]
struct ApiFailure {
    status: u16,
    body: ErrorBody,
}

impl ApiFailure {
    /// The answer's error body; one that is not the API's JSON (a proxy's HTML page, an empty
    /// body) still says which status came back.
    fn read(status: u16, bytes: &[u8]) -> Self {
        let body = serde_json::from_slice(bytes).unwrap_or_else(|_| ErrorBody {
            detail: format!("the server answered {status}"),
            code: "unknown".into(),
            fields: None,
            suggestions: None,
        });
        Self { status, body }
    }

    /// The CLI's error for this answer, with what to do next.
    fn explain(self) -> CliError {
        let Self { status, body } = self;
        let detail = match &body.fields {
            Some(fields) if !fields.is_empty() => {
                fields.iter().map(|(field, messages)| format!("{field}: {}", messages.join(" "))).collect::<Vec<_>>().join("; ")
            }
            _ => body.detail.clone(),
        };
        match (status, body.code.as_str()) {
            (429, "quota_exceeded") => CliError::QuotaExceeded(body.detail),
            (401, _) => CliError::NotLoggedIn,
            (403 | 404, _) => CliError::NotFound(detail),
            (400, "invalid_credentials") => CliError::LoginFailed("wrong email or password — check them, or run `fyd join`".into()),
            (429, _) => CliError::LoginFailed(body.detail),
            _ => CliError::Other(detail),
        }
    }

    /// As [`ApiFailure::explain`], except that 403 and 404 on a course read the same at the
    /// command line: it is not there for you.
    fn explain_for_course(self, id: u64) -> CliError {
        match self.status {
            403 | 404 => CliError::NotFound(format!("course {id} not found (or not yours) — see `fyd list`")),
            _ => self.explain(),
        }
    }
}

/// What one call came back with: the success body or the API's error answer, and the headers.
struct Answer<R> {
    body: Result<R, ApiFailure>,
    headers: HeaderMap,
}

/// A recommendation and how many are left today (absent when the server sets no limit).
pub struct Recommended {
    pub result: RecommendResult,
    pub remaining: Option<u32>,
}

/// How fyd may talk to a server: the extra CA it trusts, and whether plain HTTP to another
/// machine is accepted.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// A PEM file of CA certificates (`--ca-cert`, `FYD_CA_CERT`).
    pub ca_cert: Option<PathBuf>,
    /// `--allow-insecure-http`: the network to the server is trusted.
    pub allow_insecure_http: bool,
}

pub struct Client {
    http: Http,
    pub server: String,
    url: Url,
    allow_insecure_http: bool,
}

impl Client {
    pub fn new(server: &str, connection: &Connection) -> CliResult<Self> {
        let server = server.trim_end_matches('/').to_owned();
        let url =
            Url::parse(&server).ok().filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some()).ok_or_else(|| {
                CliError::Usage(format!("the server {server:?} is not a URL like https://fyd.example.com or http://127.0.0.1:8000"))
            })?;
        let mut builder =
            Http::builder().user_agent(concat!("fyd/", env!("CARGO_PKG_VERSION"))).timeout(std::time::Duration::from_secs(120));
        if let Some(path) = &connection.ca_cert {
            for certificate in read_ca(path)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder.build().map_err(|err| CliError::Other(format!("the HTTP client cannot start: {err}")))?;
        Ok(Self { http, server, url, allow_insecure_http: connection.allow_insecure_http })
    }

    /// Whether what is sent to the server crosses a network unencrypted: plain HTTP to a host
    /// that is not this machine (loopback addresses and `localhost` are).
    fn in_clear_text(&self) -> bool {
        let on_this_machine = match self.url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        self.url.scheme() == "http" && !on_this_machine && !self.allow_insecure_http
    }

    /// For `join` and `login`, which send a password: a usage error (exit 2) before anything
    /// is sent when it would travel in clear text.
    pub fn refuse_clear_text(&self, command: &str) -> CliResult<()> {
        if !self.in_clear_text() {
            return Ok(());
        }
        Err(CliError::Usage(format!(
            "fyd {command} will not send your password unencrypted to {} — use its https:// address, or add --allow-insecure-http if the network to it is trusted",
            self.server
        )))
    }

    /// For the commands that send a token: one warning on stderr when it travels in clear text.
    pub fn warn_clear_text(&self) {
        if self.in_clear_text() {
            eprintln!(
                "fyd: warning: {} is plain HTTP, so your session token crosses the network unencrypted — use https:// (or --allow-insecure-http to accept it)",
                self.server
            );
        }
    }

    pub fn join(&self, request: &JoinRequest) -> CliResult<TokenPair> {
        self.call(Method::POST, paths::JOIN, None, Some(request))?.body.map_err(ApiFailure::explain)
    }

    pub fn login(&self, request: &LoginRequest) -> CliResult<TokenPair> {
        self.call(Method::POST, paths::LOGIN, None, Some(request))?.body.map_err(ApiFailure::explain)
    }

    fn send(&self, builder: RequestBuilder) -> CliResult<Response> {
        builder.send().map_err(|err| self.unreachable(&err))
    }

    fn unreachable(&self, err: &reqwest::Error) -> CliError {
        if let Some(reason) = certificate_problem(err) {
            return CliError::Untrusted { url: self.server.clone(), reason };
        }
        let reason = if err.is_connect() {
            "connection refused".into()
        } else if err.is_timeout() {
            "timed out".into()
        } else {
            err.to_string()
        };
        CliError::Unreachable { url: self.server.clone(), reason }
    }

    /// One call; an empty success body reads as JSON `null`.
    fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&B>,
    ) -> CliResult<Answer<R>> {
        let Answer { body: bytes, headers } = self.fetch(method, path, token, body, None)?;
        let body = match bytes {
            Err(failure) => Err(failure),
            Ok(bytes) => Ok(serde_json::from_slice(if bytes.is_empty() { b"null" } else { &bytes[..] })
                .map_err(|err| CliError::Other(format!("the server at {} answered something fyd cannot read: {err}", self.server)))?),
        };
        Ok(Answer { body, headers })
    }

    /// One call, its success body as it came, asking for `accept_language` when given.
    fn fetch<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&B>,
        accept_language: Option<&str>,
    ) -> CliResult<Answer<Vec<u8>>> {
        let mut builder = self.http.request(method, format!("{}{path}", self.server));
        if let Some(language) = accept_language {
            builder = builder.header("accept-language", language);
        }
        if let Some(token) = token {
            builder = builder.bearer_auth(token);
        }
        if let Some(body) = body {
            builder = builder.json(body);
        }
        let response = self.send(builder)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().map_err(|err| self.unreachable(&err))?;
        if !(200..300).contains(&status) {
            return Ok(Answer { body: Err(ApiFailure::read(status, &bytes)), headers });
        }
        Ok(Answer { body: Ok(bytes.to_vec()), headers })
    }
}

/// The CA certificates in the PEM file `path`; a file without one is a usage error.
fn read_ca(path: &std::path::Path) -> CliResult<Vec<reqwest::Certificate>> {
    let unusable = |why: String| CliError::Usage(format!("--ca-cert {}: {why}", path.display()));
    let pem = std::fs::read(path).map_err(|err| unusable(err.to_string()))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| unusable(err.to_string()))?;
    if certificates.is_empty() {
        return Err(unusable("no PEM certificate (-----BEGIN CERTIFICATE-----) in it".into()));
    }
    Ok(certificates)
}

/// rustls's reason when the server's certificate was refused, found among the error's causes.
fn certificate_problem(err: &reqwest::Error) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = cause {
        if let Some(rustls::Error::InvalidCertificate(problem)) = current.downcast_ref::<rustls::Error>() {
            return Some(format!("{problem:?}"));
        }
        // io::Error's `source` skips the error it wraps: step into it instead.
        cause = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    None
}

/// Today's recommendations left, from the answer's `X-RateLimit-Remaining`.
fn remaining(headers: &HeaderMap) -> Option<u32> {
    headers.get("x-ratelimit-remaining")?.to_str().ok()?.parse().ok()
}

/// The saved login, ready to make authenticated calls.
pub struct Session {
    pub client: Client,
    pub credentials: Credentials,
}

impl Session {
    /// The saved login; `server` (flag or `FYD_SERVER`) overrides the saved server. Warns once
    /// when the token would travel in clear text.
    pub fn load(server: Option<&str>, connection: &Connection) -> CliResult<Self> {
        let credentials = credentials::load()?.ok_or(CliError::NotLoggedIn)?;
        let client = Client::new(server.unwrap_or(&credentials.server), connection)?;
        client.warn_clear_text();
        Ok(Self { client, credentials })
    }

    /// The logged-in user, with today's quota.
    pub fn me(&mut self) -> CliResult<User> {
        self.call::<(), _>(Method::GET, paths::ME, None)?.body.map_err(ApiFailure::explain)
    }

    /// Ends the session on the server.
    pub fn logout(&mut self) -> CliResult<()> {
        let request = LogoutRequest { refresh: self.credentials.refresh.clone() };
        self.call::<_, Detail>(Method::POST, paths::LOGOUT, Some(&request))?.body.map_err(ApiFailure::explain)?;
        Ok(())
    }

    /// A course for `request`, in one answer.
    pub fn recommend(&mut self, request: &RecommendRequest) -> CliResult<Recommended> {
        let answer = self.call(Method::POST, paths::RECOMMEND, Some(request))?;
        Ok(Recommended { result: answer.body.map_err(ApiFailure::explain)?, remaining: remaining(&answer.headers) })
    }

    /// A course for `request`, stop by stop as the server finds them.
    pub fn recommend_stream(&mut self, request: &RecommendRequest) -> CliResult<RecommendStream> {
        let mut refreshed = false;
        loop {
            let builder = self
                .client
                .http
                .post(format!("{}{}", self.client.server, paths::RECOMMEND_STREAM))
                .bearer_auth(&self.credentials.access)
                .header("accept", "text/event-stream")
                .json(request);
            let response = self.client.send(builder)?;
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                let remaining = remaining(response.headers());
                return Ok(RecommendStream { remaining, lines: BufReader::new(response).lines() });
            }
            if status == 401 && !refreshed {
                self.refresh()?;
                refreshed = true;
                continue;
            }
            let bytes = response.bytes().map_err(|err| self.client.unreachable(&err))?;
            return Err(ApiFailure::read(status, &bytes).explain());
        }
    }

    /// My saved courses, newest first: `limit` of them, with ids below `before` when given.
    pub fn courses(&mut self, limit: u32, before: Option<u64>) -> CliResult<Vec<Course>> {
        let mut path = format!("{}?limit={limit}", paths::COURSES);
        if let Some(before) = before {
            path.push_str(&format!("&before={before}"));
        }
        self.call::<(), _>(Method::GET, &path, None)?.body.map_err(ApiFailure::explain)
    }

    pub fn course(&mut self, id: u64) -> CliResult<Course> {
        self.call::<(), _>(Method::GET, &paths::course(id), None)?.body.map_err(|failure| failure.explain_for_course(id))
    }

    pub fn delete_course(&mut self, id: u64) -> CliResult<()> {
        self.call::<(), ()>(Method::DELETE, &paths::course(id), None)?.body.map_err(|failure| failure.explain_for_course(id))
    }

    /// A link anyone can open to course `id` (replacing its earlier one).
    pub fn share(&mut self, id: u64, request: &ShareRequest) -> CliResult<ShareLink> {
        self.call(Method::POST, &paths::course_share(id), Some(request))?.body.map_err(|failure| failure.explain_for_course(id))
    }

    /// Ends course `id`'s share link, if it has one.
    pub fn revoke_share(&mut self, id: u64) -> CliResult<()> {
        self.call::<(), ()>(Method::DELETE, &paths::course_share(id), None)?.body.map_err(|failure| failure.explain_for_course(id))
    }

    /// Course `id` as an iCalendar file, on `date` (else its own), its words in `lang`.
    pub fn course_ics(&mut self, id: u64, date: Option<&str>, lang: &str) -> CliResult<Vec<u8>> {
        let path = match date {
            Some(date) => format!("{}?date={date}", paths::course_ics(id)),
            None => paths::course_ics(id),
        };
        let answer = self.authenticated(|client, token| client.fetch::<()>(Method::GET, &path, Some(token), None, Some(lang)))?;
        answer.body.map_err(|failure| match failure.body.fields.as_ref().and_then(|fields| fields.get("date")) {
            Some(messages) => CliError::Usage(format!("--date: {}", messages.join(" "))),
            None => failure.explain_for_course(id),
        })
    }

    /// An authenticated call; a 401 triggers one refresh (rotating) and one retry.
    fn call<B: Serialize, R: DeserializeOwned>(&mut self, method: Method, path: &str, body: Option<&B>) -> CliResult<Answer<R>> {
        self.authenticated(|client, token| client.call(method.clone(), path, Some(token), body))
    }

    /// `attempt` with the access token; on a 401, once more after a refresh (rotating).
    fn authenticated<R>(&mut self, attempt: impl Fn(&Client, &str) -> CliResult<Answer<R>>) -> CliResult<Answer<R>> {
        match attempt(&self.client, &self.credentials.access)? {
            Answer { body: Err(ApiFailure { status: 401, .. }), .. } => {
                self.refresh()?;
                attempt(&self.client, &self.credentials.access)
            }
            answer => Ok(answer),
        }
    }

    fn refresh(&mut self) -> CliResult<()> {
        let request = RefreshRequest { refresh: self.credentials.refresh.clone(), rotate: true };
        match self.client.call::<_, RefreshResponse>(Method::POST, paths::TOKEN_REFRESH, None, Some(&request))?.body {
            Ok(fresh) => {
                self.credentials.access = fresh.access;
                if let Some(refresh) = fresh.refresh {
                    self.credentials.refresh = refresh;
                }
                credentials::save(&self.credentials)
            }
            Err(_) => Err(CliError::SessionEnded(self.credentials.email.clone())),
        }
    }
}

/// What a streamed recommendation sends, in order: stops as they are known, then the course.
pub enum StreamEvent {
    Stop(Stop),
    Done(Box<RecommendDetail>),
}

/// A streamed recommendation being read (server-sent events).
pub struct RecommendStream {
    /// Left today if this one succeeds.
    pub remaining: Option<u32>,
    lines: Lines<BufReader<Response>>,
}

impl RecommendStream {
    /// The next `stop` or the final `done`; an `error` event is the server's reason, and a
    /// stream that ends before `done` is an error too.
    pub fn next_event(&mut self) -> CliResult<StreamEvent> {
        let (mut event, mut data) = (String::new(), String::new());
        for line in self.lines.by_ref() {
            let line = line.map_err(|err| CliError::Other(format!("the stream from the server broke off: {err}")))?;
            if let Some(name) = line.strip_prefix("event:") {
                event = name.trim().to_owned();
            } else if let Some(chunk) = line.strip_prefix("data:") {
                data.push_str(chunk.trim_start());
            } else if line.is_empty() && !data.is_empty() {
                let unreadable = |err: serde_json::Error| CliError::Other(format!("the server sent an unreadable {event} event: {err}"));
                match event.as_str() {
                    "stop" => return serde_json::from_str(&data).map(StreamEvent::Stop).map_err(unreadable),
                    "done" => return serde_json::from_str(&data).map(|detail| StreamEvent::Done(Box::new(detail))).map_err(unreadable),
                    "error" => {
                        let body: ErrorBody = serde_json::from_str(&data).map_err(unreadable)?;
                        let status = if body.code == "upstream_timeout" { 504 } else { 502 };
                        return Err(ApiFailure { status, body }.explain());
                    }
                    // `delta` (an LLM's raw text) and events this version does not know.
                    _ => (event.clear(), data.clear()),
                };
            }
        }
        Err(CliError::Other("the server ended the stream before the course was complete — try again".into()))
    }
}
