//! Where courses come from. A [`Provider`] turns a checked request into a course; the
//! built-in planner is the first (offline, no key), and an OpenAI-compatible one can sit
//! behind the same trait.

use async_trait::async_trait;
use fyd_core::course::CourseContent;
use fyd_core::planner::{plan, PlanError};
use fyd_core::render::course_content;
use fyd_core::request::PlanRequest;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    #[error("fyd cannot plan a date in {place:?} yet")]
    UnknownPlace { place: String, suggestions: Vec<String> },
    #[error("{0}")]
    NothingOpen(String),
    #[error("the recommendation provider failed: {0}")]
    Upstream(String),
    #[error("the recommendation provider did not answer in time")]
    Timeout,
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Recorded in each course's `provider` field.
    fn name(&self) -> &'static str;
    async fn recommend(&self, request: &PlanRequest) -> Result<CourseContent, ProviderError>;
}

/// The built-in planner over the catalogue compiled into `fyd-core`.
pub struct BuiltinProvider;

#[async_trait]
impl Provider for BuiltinProvider {
    fn name(&self) -> &'static str {
        fyd_core::render::BUILTIN_PROVIDER
    }

    async fn recommend(&self, request: &PlanRequest) -> Result<CourseContent, ProviderError> {
        match plan(request) {
            Ok(plan) => Ok(course_content(&plan, request)),
            Err(PlanError::UnknownPlace { place, suggestions }) => Err(ProviderError::UnknownPlace { place, suggestions }),
            Err(err @ PlanError::NothingOpen { .. }) => Err(ProviderError::NothingOpen(err.to_string())),
        }
    }
}
