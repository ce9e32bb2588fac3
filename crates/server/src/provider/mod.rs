//! Where courses come from. A [`Provider`] turns a checked request into a course: the
//! built-in planner (offline, no key) or any OpenAI-compatible chat-completions server
//! ([`openai`]), whose answers are checked with the same rules.

pub mod openai;

use async_trait::async_trait;
use fyd_core::catalogue::Catalogue;
use fyd_core::course::CourseContent;
use fyd_core::planner::{course_content, plan, PlanError};
use fyd_core::request::PlanRequest;
use fyd_core::wire::StreamEvent;
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
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Recorded in each course's `provider` field (a fallback course says so instead).
    fn name(&self) -> &'static str;
    async fn recommend(&self, request: &PlanRequest) -> Result<CourseContent, ProviderError>;

    /// As [`Provider::recommend`], sending `stop` (and `delta`) events as soon as they are
    /// known. The course returned is the final word; streamed stops are a preview of it.
    async fn recommend_stream(&self, request: &PlanRequest, events: &mpsc::Sender<StreamEvent>) -> Result<CourseContent, ProviderError> {
        let course = self.recommend(request).await?;
        for stop in &course.stops {
            // A client that went away just stops listening; the course is still returned.
            let _ = events.send(StreamEvent::stop(stop)).await;
        }
        Ok(course)
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

    async fn recommend(&self, request: &PlanRequest) -> Result<CourseContent, ProviderError> {
        Ok(course_content(self.catalogue, &plan(self.catalogue, request)?, request))
    }
}
