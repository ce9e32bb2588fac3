//! An OpenAI-compatible chat-completions server as a provider (OpenAI, Ollama, vLLM,
//! llama.cpp's server).
//!
//! The model is grounded in the catalogue: it gets the candidate places and the rules and
//! answers with `response_format: json_schema` (strict). Every answer is parsed and checked
//! with the built-in planner's rules; an invalid one gets one repair request listing its
//! problems, and if that fails too the built-in plan is returned, marked `builtin-fallback`.
//! Upstream 429/5xx and connection errors are retried with backoff inside one total deadline.
//! One pooled HTTP client serves every request, so many couples can wait at once.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use fyd_core::catalogue::Catalogue;
use fyd_core::course::CourseContent;
use fyd_core::llm::{self, Answer, ChatMessage, StopScanner};
use fyd_core::planner::{course_content, plan};
use fyd_core::request::PlanRequest;
use fyd_core::wire::StreamEvent;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Provider, ProviderError};
use crate::config::Secret;

/// Tries per upstream call for retryable failures (429, 5xx, connection errors).
const MAX_TRIES: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

pub struct OpenAiConfig {
    pub base_url: String,
    pub api_key: Option<Secret>,
    pub model: String,
    /// For one whole recommendation, retries and the repair request included.
    pub timeout: Duration,
}

pub struct OpenAiProvider {
    http: reqwest::Client,
    config: OpenAiConfig,
    catalogue: &'static Catalogue,
}

/// How one upstream call failed.
enum CallError {
    /// Worth another try (429, 5xx, no connection) if time allows; `Some` wait from Retry-After.
    Retryable(String, Option<Duration>),
    Fatal(String),
}

impl OpenAiProvider {
    pub fn new(config: OpenAiConfig, catalogue: &'static Catalogue) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(64)
            .user_agent(concat!("fyd-server/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, config, catalogue })
    }

    async fn run(&self, request: &PlanRequest, events: Option<&mpsc::Sender<StreamEvent>>) -> Result<CourseContent, ProviderError> {
        let deadline = Instant::now() + self.config.timeout;
        match tokio::time::timeout_at(deadline, self.plan_with_model(request, events, deadline)).await {
            Ok(result) => result,
            Err(_) => Err(ProviderError::Timeout),
        }
    }

    async fn plan_with_model(
        &self,
        request: &PlanRequest,
        events: Option<&mpsc::Sender<StreamEvent>>,
        deadline: Instant,
    ) -> Result<CourseContent, ProviderError> {
        let candidates = llm::candidates(self.catalogue, request);
        let mut messages = llm::messages(self.catalogue, request, &candidates);
        let mut problems = Vec::new();
        // The first answer streams to the client; the repair request (if any) does not.
        for stream in [events, None] {
            let text = self.complete(&messages, stream, request, deadline).await?;
            let outcome = llm::parse_answer(&text)
                .map_err(|problem| vec![problem])
                .and_then(|answer: Answer| llm::course_from_answer(self.catalogue, &answer, request, self.name(), &self.config.model));
            match outcome {
                Ok(course) => return Ok(course),
                Err(found) => {
                    tracing::info!(problems = found.len(), "LLM answer failed the checks");
                    problems = found;
                    messages.push(ChatMessage::new("assistant", text));
                    messages.push(llm::repair_message(&problems));
                }
            }
        }
        tracing::warn!(?problems, "LLM answers failed twice; using the built-in planner");
        let mut course = course_content(self.catalogue, &plan(self.catalogue, request)?, request);
        course.provider = Some(llm::FALLBACK_PROVIDER.to_owned());
        course.model = Some(self.config.model.clone());
        Ok(course)
    }

    /// One chat completion's text, retried on retryable failures while time allows.
    async fn complete(
        &self,
        messages: &[ChatMessage],
        events: Option<&mpsc::Sender<StreamEvent>>,
        request: &PlanRequest,
        deadline: Instant,
    ) -> Result<String, ProviderError> {
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "date_course", "strict": true, "schema": llm::answer_schema()}
            },
            "stream": events.is_some(),
        });
        if events.is_some() {
            body["stream_options"] = json!({"include_usage": true});
        }
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=MAX_TRIES {
            let result = match events {
                Some(events) => self.call_streaming(&body, events, request).await,
                None => self.call(&body).await,
            };
            match result {
                Ok(text) => return Ok(text),
                Err(CallError::Fatal(reason)) => return Err(ProviderError::Upstream(reason)),
                Err(CallError::Retryable(reason, _)) if attempt == MAX_TRIES => return Err(ProviderError::Upstream(reason)),
                Err(CallError::Retryable(reason, retry_after)) => {
                    let wait = retry_after.unwrap_or(backoff).min(Duration::from_secs(10));
                    if Instant::now() + wait >= deadline {
                        return Err(ProviderError::Timeout);
                    }
                    tracing::info!(%reason, attempt, wait_ms = wait.as_millis() as u64, "retrying the LLM call");
                    tokio::time::sleep(wait).await;
                    backoff *= 2;
                }
            }
        }
        unreachable!("the loop returns on its last try")
    }

    fn post(&self, body: &Value) -> reqwest::RequestBuilder {
        let request = self.http.post(format!("{}/chat/completions", self.config.base_url)).json(body);
        match &self.config.api_key {
            Some(key) => request.bearer_auth(key.expose()),
            None => request,
        }
    }

    async fn send(&self, body: &Value) -> Result<reqwest::Response, CallError> {
        let response = self
            .post(body)
            .send()
            .await
            .map_err(|err| CallError::Retryable(format!("cannot reach the LLM server: {}", without_url(&err)), None))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after =
            response.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse::<f64>().ok()).map(Duration::from_secs_f64);
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| text.chars().take(200).collect());
        let reason = format!("the LLM server answered {status}: {message}");
        if status.as_u16() == 429 || status.is_server_error() {
            Err(CallError::Retryable(reason, retry_after))
        } else {
            Err(CallError::Fatal(reason))
        }
    }

    async fn call(&self, body: &Value) -> Result<String, CallError> {
        let response = self.send(body).await?;
        let value: Value = response.json().await.map_err(|err| CallError::Retryable(format!("unreadable LLM answer: {err}"), None))?;
        value["choices"][0]["message"]["content"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| CallError::Fatal("the LLM answer has no message content".into()))
    }

    /// Reads the SSE chunks (`data: {…}` … `data: [DONE]`), forwarding text as `delta` events
    /// and each stop as a `stop` event the moment its JSON object closes.
    async fn call_streaming(&self, body: &Value, events: &mpsc::Sender<StreamEvent>, request: &PlanRequest) -> Result<String, CallError> {
        let response = self.send(body).await?;
        let mut bytes = response.bytes_stream();
        let mut pending = Vec::new();
        let mut scanner = StopScanner::default();
        let mut received_any = false;
        loop {
            let chunk = match bytes.next().await {
                Some(Ok(chunk)) => chunk,
                Some(Err(err)) if !received_any => return Err(CallError::Retryable(format!("the LLM stream failed: {err}"), None)),
                Some(Err(err)) => return Err(CallError::Fatal(format!("the LLM stream broke off: {err}"))),
                None => return Err(CallError::Fatal("the LLM stream ended without [DONE]".into())),
            };
            received_any = true;
            pending.extend_from_slice(&chunk);
            while let Some(newline) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=newline).collect();
                let line = String::from_utf8_lossy(&line);
                let Some(data) = line.trim().strip_prefix("data:").map(str::trim) else {
                    continue;
                };
                if data == "[DONE]" {
                    return Ok(scanner.text().to_owned());
                }
                let Ok(value) = serde_json::from_str::<Value>(data) else {
                    continue;
                };
                // The final usage chunk has no choices; some servers send role-only deltas.
                let Some(text) = value["choices"][0]["delta"]["content"].as_str().filter(|t| !t.is_empty()) else {
                    continue;
                };
                let _ = events.send(StreamEvent::delta(text)).await;
                for stop in scanner.feed(text) {
                    if let Some(preview) = llm::preview_stop(self.catalogue, &stop, request) {
                        let _ = events.send(StreamEvent::stop(&preview)).await;
                    }
                }
            }
        }
    }
}

/// reqwest errors name the URL; the reason alone is enough for logs and clients.
fn without_url(err: &reqwest::Error) -> String {
    if err.is_connect() {
        "connection refused".into()
    } else if err.is_timeout() {
        "timed out".into()
    } else {
        err.to_string()
    }
}

#[async_trait]
impl Provider for OpenAiProvider {
    fn name(&self) -> &'static str {
        "openai"
    }

    async fn recommend(&self, request: &PlanRequest) -> Result<CourseContent, ProviderError> {
        self.run(request, None).await
    }

    async fn recommend_stream(&self, request: &PlanRequest, events: &mpsc::Sender<StreamEvent>) -> Result<CourseContent, ProviderError> {
        self.run(request, Some(events)).await
    }
}
