//! Where courses come from. A [`Provider`] turns a checked request into a course: the
//! built-in planner (offline, no key) or any OpenAI-compatible chat-completions server
//! ([`openai`]), whose answers are checked with the same rules.

pub mod openai;

use async_trait::async_trait;
use fyd_core::catalogue::Catalogue;
use fyd_core::course::CourseContent;
use fyd_core::planner::{plan, PlanError};
use fyd_core::request::PlanRequest;
use fyd_core::wire::{FallbackReason, StreamEvent};
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The planner's own refusal (an unknown place, nothing open in the window).
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("the recommendation provider failed: {0}")]
    Upstream(String),
    #[error("the recommendation provider did not answer in time")]
    Timeout,
    /// The provider's task panicked (a bug); the request is answered as an internal error.
    #[error("the recommendation provider failed unexpectedly")]
    Panicked,
}

/// What a provider answers: a course and, when an LLM was asked but the course is not its own
/// answer, why not.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub course: CourseContent,
    pub fallback_reason: Option<FallbackReason>,
}

impl From<CourseContent> for Recommendation {
    fn from(course: CourseContent) -> Self {
        Self { course, fallback_reason: None }
    }
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Recorded in each course's `provider` field (a fallback course says so instead).
    fn name(&self) -> &'static str;
    async fn recommend(&self, request: &PlanRequest) -> Result<Recommendation, ProviderError>;

    /// As [`Provider::recommend`], sending `stop` (and `delta`) events as soon as they are
    /// known. The course returned is the final word; streamed stops are a preview of it.
    async fn recommend_stream(&self, request: &PlanRequest, events: &mpsc::Sender<StreamEvent>) -> Result<Recommendation, ProviderError> {
        let recommendation = self.recommend(request).await?;
        for stop in &recommendation.course.stops {
            // A client that went away just stops listening; the course is still returned.
            let _ = events.send(StreamEvent::stop(stop)).await;
        }
        Ok(recommendation)
    }
}

/// The built-in planner over the catalogue (the one compiled into `fyd-core`, with any
/// operator's files applied).
pub struct BuiltinProvider {
    pub catalogue: &'static Catalogue,
}

#[async_trait]
impl Provider for BuiltinProvider {
    fn name(&self) -> &'static str {
        fyd_core::render::BUILTIN_PROVIDER
    }

    async fn recommend(&self, request: &PlanRequest) -> Result<Recommendation, ProviderError> {
        Ok(plan(self.catalogue, request)?.course.into())
    }
}
