//! An OpenAI-compatible chat-completions server as a provider (OpenAI, Ollama, vLLM,
//! llama.cpp's server).
//!
//! The model is grounded in the catalogue: it gets the candidate places and the rules and
//! answers with `response_format: json_schema` (strict). Every answer is parsed and checked
//! with the built-in planner's rules. An answer in prose is planned around: the built-in
//! planner includes the candidate places it names (`openai+planner`). An invalid answer, or
//! prose that names nothing that fits, gets one repair request listing its problems.
//! Upstream 429/5xx and connection errors are retried with backoff inside one total deadline.
//!
//! The model has the deadline minus a share kept for the built-in plan ([`planner_share`]).
//! When it has no usable course by then — too slow, failed, broke off mid-stream, or wrong
//! twice — the built-in planner plans around whatever places the model named so far
//! (`openai+planner`, or `builtin-fallback` when none fits), before the deadline, and the
//! answer says why (`fallback_reason`). With `--openai-fallback error` these cases are 502 or
//! 504 instead. One pooled HTTP client serves every request, so many couples can wait at once.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use fyd_core::catalogue::{Catalogue, Place};
use fyd_core::llm::{self, ChatMessage, StopScanner};
use fyd_core::request::PlanRequest;
use fyd_core::wire::{FallbackReason, StreamEvent};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Provider, ProviderError, Recommendation};
use crate::config::{OpenAiFallback, Secret};

/// Tries per upstream call for retryable failures (429, 5xx, connection errors).
const MAX_TRIES: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The most of the deadline kept for the built-in plan (see [`planner_share`]).
const MAX_PLANNER_SHARE: Duration = Duration::from_millis(500);

pub struct OpenAiConfig {
    pub base_url: String,
    pub api_key: Option<Secret>,
    pub model: String,
    /// For one whole recommendation, retries, the repair request and any fallback included.
    pub timeout: Duration,
    pub fallback: OpenAiFallback,
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

/// Why the model gave no course of its own: the reason the answer gives, and the details for
/// the log.
#[derive(Debug)]
struct ModelFailure {
    reason: FallbackReason,
    detail: String,
}

impl ModelFailure {
    fn upstream(detail: String) -> Self {
        Self { reason: FallbackReason::UpstreamError, detail }
    }

    fn timeout(detail: impl Into<String>) -> Self {
        Self { reason: FallbackReason::Timeout, detail: detail.into() }
    }
}

/// Without the fallback: a timeout is a 504, anything else a 502.
impl From<ModelFailure> for ProviderError {
    fn from(failure: ModelFailure) -> Self {
        match failure.reason {
            FallbackReason::Timeout => ProviderError::Timeout,
            _ => ProviderError::Upstream(failure.detail),
        }
    }
}

/// Everything the model said during one recommendation, kept outside the deadline's reach:
/// when time runs out mid-answer, what it named so far is still there to plan around.
#[derive(Default)]
struct Transcript(Mutex<String>);

impl Transcript {
    fn add(&self, text: &str) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push_str(text);
    }

    fn text(&self) -> String {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// The part of the deadline kept for the built-in plan: a quarter of a short deadline, at most
/// [`MAX_PLANNER_SHARE`]. A plan takes well under 5 ms (docs/performance.md); the rest is room
/// for a busy machine and for writing the answer.
fn planner_share(timeout: Duration) -> Duration {
    (timeout / 4).min(MAX_PLANNER_SHARE)
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

    async fn run(&self, request: &PlanRequest, events: Option<&mpsc::Sender<StreamEvent>>) -> Result<Recommendation, ProviderError> {
        let deadline = Instant::now() + self.config.timeout;
        let model_deadline = match self.config.fallback {
            OpenAiFallback::Builtin => deadline - planner_share(self.config.timeout),
            OpenAiFallback::Error => deadline,
        };
        let candidates = llm::candidates(self.catalogue, request);
        let said = Transcript::default();
        let asking = self.plan_with_model(request, &candidates, events, &said, model_deadline);
        let failure = match tokio::time::timeout_at(model_deadline, asking).await {
            Ok(Ok(recommendation)) => return Ok(recommendation),
            Ok(Err(failure)) => failure,
            Err(_) => ModelFailure::timeout("the LLM had no usable answer within its share of the deadline"),
        };
        if self.config.fallback == OpenAiFallback::Error {
            return Err(failure.into());
        }
        let named = llm::named_places(&said.text(), &candidates);
        let planned = llm::plan_around(self.catalogue, request, &named, &self.config.model)?;
        tracing::warn!(
            reason = failure.reason.code(),
            detail = %failure.detail,
            provider = planned.course.provider.as_deref().unwrap_or_default(),
            kept = ?planned.kept.iter().map(|p| &p.id).collect::<Vec<_>>(),
            "no usable course from the LLM; the built-in planner planned instead"
        );
        Ok(Recommendation { course: planned.course, fallback_reason: Some(failure.reason) })
    }

    /// The model's course: its answer if valid; else, for prose, the built-in planner's course
    /// around the places it names; else the same after one repair request.
    async fn plan_with_model(
        &self,
        request: &PlanRequest,
        candidates: &[&Place],
        events: Option<&mpsc::Sender<StreamEvent>>,
        said: &Transcript,
        deadline: Instant,
    ) -> Result<Recommendation, ModelFailure> {
        let mut messages = llm::messages(self.catalogue, request, candidates);
        // The first answer streams to the client; the repair request (if any) does not.
        let mut stream = events;
        let mut repairing = false;
        loop {
            let text = self.complete(&messages, stream, request, said, deadline).await?;
            let (reason, problems) = match llm::parse_answer(&text) {
                Ok(answer) => match llm::course_from_answer(self.catalogue, &answer, request, self.name(), &self.config.model) {
                    Ok(course) => return Ok(course.into()),
                    Err(problems) => (FallbackReason::InvalidAnswer, problems),
                },
                Err(problem) => match self.plan_around_prose(&text, candidates, request) {
                    Some(recommendation) => return Ok(recommendation),
                    None => (FallbackReason::ProseAnswer, vec![format!("{problem}, and it names no candidate place that fits")]),
                },
            };
            let failure = ModelFailure { reason, detail: problems.join("; ") };
            if repairing {
                return Err(failure);
            }
            tracing::info!(reason = reason.code(), detail = %failure.detail, "the LLM answer is unusable; asking once more");
            messages.push(ChatMessage::new("assistant", text));
            messages.push(llm::repair_message(&problems));
            (stream, repairing) = (None, true);
        }
    }

    /// For an answer in prose: the built-in planner's course around the candidate places it
    /// names, if it keeps at least one of them.
    fn plan_around_prose(&self, text: &str, candidates: &[&Place], request: &PlanRequest) -> Option<Recommendation> {
        let named = llm::named_places(text, candidates);
        if named.is_empty() {
            return None;
        }
        let planned = llm::plan_around(self.catalogue, request, &named, &self.config.model).ok().filter(|p| !p.kept.is_empty())?;
        tracing::info!(kept = ?planned.kept.iter().map(|p| &p.id).collect::<Vec<_>>(), "the LLM answered in prose; planned around the places it named");
        Some(Recommendation { course: planned.course, fallback_reason: Some(FallbackReason::ProseAnswer) })
    }

    /// One chat completion's text, retried on retryable failures while time allows; the text
    /// goes to `said` as it arrives.
    async fn complete(
        &self,
        messages: &[ChatMessage],
        events: Option<&mpsc::Sender<StreamEvent>>,
        request: &PlanRequest,
        said: &Transcript,
        deadline: Instant,
    ) -> Result<String, ModelFailure> {
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
            // Answers apart, so that no name runs on from one into the next.
            said.add("\n");
            let result = match events {
                Some(events) => self.call_streaming(&body, events, request, said).await,
                None => self.call(&body, said).await,
            };
            match result {
                Ok(text) => return Ok(text),
                Err(CallError::Fatal(reason)) => return Err(ModelFailure::upstream(reason)),
                Err(CallError::Retryable(reason, _)) if attempt == MAX_TRIES => return Err(ModelFailure::upstream(reason)),
                Err(CallError::Retryable(reason, retry_after)) => {
                    let wait = retry_after.unwrap_or(backoff).min(Duration::from_secs(10));
                    if Instant::now() + wait >= deadline {
                        return Err(ModelFailure::timeout(format!("{reason}, and no time is left to try again")));
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
            .map_err(|err| CallError::Retryable(format!("cannot reach the LLM server: {}", without_url(err)), None))?;
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

    async fn call(&self, body: &Value, said: &Transcript) -> Result<String, CallError> {
        let response = self.send(body).await?;
        let value: Value =
            response.json().await.map_err(|err| CallError::Retryable(format!("unreadable LLM answer: {}", without_url(err)), None))?;
        let text = value["choices"][0]["message"]["content"]
            .as_str()
            .ok_or_else(|| CallError::Fatal("the LLM answer has no message content".into()))?;
        said.add(text);
        Ok(text.to_owned())
    }

    /// Reads the SSE chunks (`data: {…}` … `data: [DONE]`), forwarding text as `delta` events
    /// and each stop as a `stop` event the moment its JSON object closes.
    async fn call_streaming(
        &self,
        body: &Value,
        events: &mpsc::Sender<StreamEvent>,
        request: &PlanRequest,
        said: &Transcript,
    ) -> Result<String, CallError> {
        let response = self.send(body).await?;
        let mut bytes = response.bytes_stream();
        let mut pending = Vec::new();
        let mut scanner = StopScanner::default();
        let mut received_any = false;
        loop {
            let chunk = match bytes.next().await {
                Some(Ok(chunk)) => chunk,
                Some(Err(err)) if !received_any => {
                    return Err(CallError::Retryable(format!("the LLM stream failed: {}", without_url(err)), None))
                }
                Some(Err(err)) => return Err(CallError::Fatal(format!("the LLM stream broke off: {}", without_url(err)))),
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
                said.add(text);
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
fn without_url(err: reqwest::Error) -> String {
    if err.is_connect() {
        "connection refused".into()
    } else if err.is_timeout() {
        "timed out".into()
    } else {
        err.without_url().to_string()
    }
}

#[async_trait]
impl Provider for OpenAiProvider {
    fn name(&self) -> &'static str {
        "openai"
    }

    async fn recommend(&self, request: &PlanRequest) -> Result<Recommendation, ProviderError> {
        self.run(request, None).await
    }

    async fn recommend_stream(&self, request: &PlanRequest, events: &mpsc::Sender<StreamEvent>) -> Result<Recommendation, ProviderError> {
        self.run(request, Some(events)).await
    }
}
