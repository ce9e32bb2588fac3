//! The HTTP client: fyd-server's API in `fyd-core`'s wire types, and the logged-in session
//! that refreshes an expired access token once, transparently (rotating the refresh token and
//! saving the new one), before giving up with "log in again".

use fyd_core::wire::{ErrorBody, RefreshRequest, RefreshResponse};
use reqwest::blocking::{Client as Http, RequestBuilder};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde::{de::DeserializeOwned, Serialize};

use crate::credentials::{self, Credentials};
use crate::error::{CliError, CliResult};

pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8000";

/// An error answer of the API: its status and `{detail, code}` body.
#[derive(Debug)]
pub struct ApiFailure {
    pub status: u16,
    pub body: ErrorBody,
}

pub struct Client {
    http: Http,
    pub server: String,
}

impl Client {
    pub fn new(server: &str) -> Self {
        let http = Http::builder()
            .user_agent(concat!("fyd/", env!("CARGO_PKG_VERSION")))
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .expect("the HTTP client builds");
        Self { http, server: server.trim_end_matches('/').to_owned() }
    }

    pub fn request<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&B>,
    ) -> CliResult<Result<R, ApiFailure>> {
        Ok(self.request_with_headers(method, path, token, body)?.map(|(body, _)| body))
    }

    /// As [`Client::request`], with the response headers of a success (the rate limit).
    pub fn request_with_headers<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&B>,
    ) -> CliResult<Result<(R, HeaderMap), ApiFailure>> {
        let mut builder: RequestBuilder = self.http.request(method, format!("{}{path}", self.server));
        if let Some(token) = token {
            builder = builder.bearer_auth(token);
        }
        if let Some(body) = body {
            builder = builder.json(body);
        }
        let response = builder.send().map_err(|err| CliError::Unreachable { url: self.server.clone(), reason: short(&err) })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().map_err(|err| CliError::Unreachable { url: self.server.clone(), reason: short(&err) })?;
        if (200..300).contains(&status) {
            let bytes = if bytes.is_empty() { &b"null"[..] } else { &bytes[..] };
            return serde_json::from_slice(bytes)
                .map(|body| Ok((body, headers)))
                .map_err(|err| CliError::Other(format!("the server at {} answered something fyd cannot read: {err}", self.server)));
        }
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| ErrorBody {
            detail: format!("the server answered {status}"),
            code: "unknown".into(),
            fields: None,
            suggestions: None,
        });
        Ok(Err(ApiFailure { status, body }))
    }
}

fn short(err: &reqwest::Error) -> String {
    if err.is_connect() {
        "connection refused".into()
    } else if err.is_timeout() {
        "timed out".into()
    } else {
        err.to_string()
    }
}

/// The saved login, ready to make authenticated calls.
pub struct Session {
    pub client: Client,
    pub credentials: Credentials,
}

impl Session {
    /// The saved login; `server` (flag or `FYD_SERVER`) overrides the saved server.
    pub fn load(server: Option<&str>) -> CliResult<Self> {
        let credentials = credentials::load()?.ok_or(CliError::NotLoggedIn)?;
        let client = Client::new(server.unwrap_or(&credentials.server));
        Ok(Self { client, credentials })
    }

    /// An authenticated call; a 401 triggers one refresh (rotating) and one retry.
    pub fn call<B: Serialize, R: DeserializeOwned>(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> CliResult<Result<R, ApiFailure>> {
        Ok(self.call_with_headers(method, path, body)?.map(|(body, _)| body))
    }

    pub fn call_with_headers<B: Serialize, R: DeserializeOwned>(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> CliResult<Result<(R, HeaderMap), ApiFailure>> {
        let first = self.client.request_with_headers(method.clone(), path, Some(&self.credentials.access), body)?;
        match first {
            Err(ApiFailure { status: 401, .. }) => {
                self.refresh()?;
                self.client.request_with_headers(method, path, Some(&self.credentials.access), body)
            }
            other => Ok(other),
        }
    }

    /// Opens a server-sent-event stream (POST with a JSON body); a 401 triggers one refresh.
    pub fn open_stream<B: Serialize>(&mut self, path: &str, body: &B) -> CliResult<Result<reqwest::blocking::Response, ApiFailure>> {
        let mut refreshed = false;
        loop {
            let response = self
                .client
                .http
                .post(format!("{}{path}", self.client.server))
                .bearer_auth(&self.credentials.access)
                .header("accept", "text/event-stream")
                .json(body)
                .send()
                .map_err(|err| CliError::Unreachable { url: self.client.server.clone(), reason: short(&err) })?;
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                return Ok(Ok(response));
            }
            if status == 401 && !refreshed {
                self.refresh()?;
                refreshed = true;
                continue;
            }
            let body = response.json().unwrap_or_else(|_| ErrorBody {
                detail: format!("the server answered {status}"),
                code: "unknown".into(),
                fields: None,
                suggestions: None,
            });
            return Ok(Err(ApiFailure { status, body }));
        }
    }

    fn refresh(&mut self) -> CliResult<()> {
        let request = RefreshRequest { refresh: self.credentials.refresh.clone(), rotate: true };
        match self.client.request::<_, RefreshResponse>(Method::POST, "/user/token/refresh/", None, Some(&request))? {
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

/// Turns an API error into the CLI's error, with what to do next.
pub fn explain(failure: ApiFailure) -> CliError {
    let ApiFailure { status, body } = failure;
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
