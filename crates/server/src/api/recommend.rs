//! `POST /chat/chatbot/` and `POST /chat/chatbot/stream/`: a date course for the couple's
//! request, within the daily quota.
//!
//! Both endpoints share one pipeline. [`accept`] checks the request (fields, place) before
//! anything is counted, then holds one quota unit in the store until a deadline; the provider
//! runs; [`finish`] spends the unit and saves the course (when asked) in one atomic write, or
//! gives the unit back if the provider failed. So only successes count, exactly, across
//! concurrent requests, restarts and kills: a request cut off before [`finish`] leaves a hold
//! that lapses (see `quota.rs`).

use std::sync::Arc;

use fyd_core::anchor::UnknownPlace;
use fyd_core::planner::PlanError;
use fyd_core::request::{validate_recommend, PlanRequest, RecommendRequest};
use fyd_core::wire::{RecommendDetail, RecommendResult, StreamEvent};
use fyd_core::FieldErrors;
use poem::http::StatusCode;
use poem::web::sse::Event;
use poem_openapi::payload::EventStream;
use poem_openapi::{ApiResponse, OpenApi};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::auth::BearerAuth;
use super::error::{error_set, ApiError, Failure};
use super::json::{Json, Parsed};
use super::ApiTags;
use crate::clock::iso_seoul;
use crate::provider::{Provider, ProviderError, Recommendation};
use crate::quota::{Allowance, QuotaError, Reservation, Standing};
use crate::state::AppState;
use crate::store::NewCourse;

error_set!(RecommendErrors: [400, 401, 413, 429, 500, 502, 504]);

#[derive(ApiResponse)]
pub enum RecommendResponse {
    /// A course. With no daily limit configured, the rate-limit headers are absent.
    #[oai(status = 200)]
    Ok(
        Json<RecommendResult>,
        /// Recommendations per Seoul day.
        #[oai(header = "X-RateLimit-Limit")]
        Option<String>,
        /// Left today after this one.
        #[oai(header = "X-RateLimit-Remaining")]
        Option<String>,
        /// Unix time of the next midnight in Seoul, when the count resets.
        #[oai(header = "X-RateLimit-Reset")]
        Option<String>,
    ),
}

#[derive(ApiResponse)]
pub enum StreamResponse {
    /// Server-sent events: `stop` (a Stop, as soon as known), `delta` (`{"text"}` from an
    /// LLM), then always one last event: `done` (the same detail as the plain endpoint) or
    /// `error` (`{detail, code}`; nothing is charged). A keep-alive comment comes at least
    /// every 15 s.
    #[oai(status = 200)]
    Ok(
        EventStream<ReceiverStream<StreamEvent>>,
        /// Recommendations per Seoul day.
        #[oai(header = "X-RateLimit-Limit")]
        Option<String>,
        /// Left today if this one succeeds.
        #[oai(header = "X-RateLimit-Remaining")]
        Option<String>,
        /// Unix time of the next midnight in Seoul, when the count resets.
        #[oai(header = "X-RateLimit-Reset")]
        Option<String>,
    ),
}

pub struct RecommendApi {
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Recommend")]
impl RecommendApi {
    /// Recommend a date course
    ///
    /// Body as the old web front sends it. Invalid input, an unknown place and provider
    /// failures cost no quota; `save: true` stores the course and returns its `id`.
    #[oai(path = "/chat/chatbot", method = "post", operation_id = "recommend")]
    async fn recommend(&self, auth: BearerAuth, body: Parsed<RecommendRequest>) -> Result<RecommendResponse, Failure<RecommendErrors>> {
        let accepted = accept(&self.state, auth.0.user_id, body.0).await?;
        let [limit, remaining, reset] = rate_headers(&accepted.reservation.standing);
        let outcome = self.state.provider.recommend(&accepted.request).await;
        let detail = finish(&self.state, accepted, outcome).await?;
        Ok(RecommendResponse::Ok(Json(RecommendResult { result: "success".to_owned(), detail }), limit, remaining, reset))
    }

    /// Recommend a date course, streamed
    ///
    /// Same body, checks and quota as `/chat/chatbot/`; the course arrives as server-sent
    /// events, each stop as soon as it is known.
    #[oai(path = "/chat/chatbot/stream", method = "post", operation_id = "recommend_stream")]
    async fn recommend_stream(&self, auth: BearerAuth, body: Parsed<RecommendRequest>) -> Result<StreamResponse, Failure<RecommendErrors>> {
        let accepted = accept(&self.state, auth.0.user_id, body.0).await?;
        let [limit, remaining, reset] = rate_headers(&accepted.reservation.standing);
        let (events, receiver) = mpsc::channel(64);
        let state = self.state.clone();
        tokio::spawn(async move {
            let outcome = recommend_stream(state.provider.clone(), accepted.request.clone(), events.clone()).await;
            let last = match finish(&state, accepted, outcome).await {
                Ok(detail) => StreamEvent::done(&detail),
                Err(err) => StreamEvent::error(&err.body()),
            };
            let _ = events.send(last).await;
        });
        let stream = EventStream::new(ReceiverStream::new(receiver))
            .keep_alive(self.state.keep_alive)
            .to_event(|e: StreamEvent| Event::message(e.data.to_string()).event_type(e.event));
        Ok(StreamResponse::Ok(stream, limit, remaining, reset))
    }
}

/// The provider's streamed recommendation, run as a task of its own so that even a panic in it
/// ends the stream with `error` (and gives the quota unit back) rather than cutting it off.
async fn recommend_stream(
    provider: Arc<dyn Provider>,
    request: PlanRequest,
    events: mpsc::Sender<StreamEvent>,
) -> Result<Recommendation, ProviderError> {
    let task = tokio::spawn(async move { provider.recommend_stream(&request, &events).await });
    task.await.unwrap_or(Err(ProviderError::Panicked))
}

/// The `X-RateLimit-*` headers for a standing (none when there is no daily limit).
fn rate_headers(standing: &Standing) -> [Option<String>; 3] {
    match standing.allowance {
        None => [None, None, None],
        Some(Allowance { per_day, remaining }) => {
            [Some(per_day.to_string()), Some(remaining.to_string()), Some(standing.resets_at.as_second().to_string())]
        }
    }
}

/// `err` with the rate-limit headers of `standing`: every answer of these endpoints has them.
fn with_rate_headers(standing: &Standing, mut err: ApiError) -> ApiError {
    let names = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"];
    for (name, value) in names.into_iter().zip(rate_headers(standing)) {
        if let Some(value) = value {
            err = err.with_header(name, value);
        }
    }
    err
}

/// A request that passed every check and holds one quota unit until [`finish`].
struct Accepted {
    user: u64,
    request: PlanRequest,
    save: bool,
    reservation: Reservation,
}

async fn accept(state: &AppState, user: u64, body: Result<RecommendRequest, ApiError>) -> Result<Accepted, ApiError> {
    let now = state.clock.now();
    // The checks that need no store first; the quota is read for a refusal's headers only.
    let checked = match body {
        Ok(body) => checked(state, &body).map(|request| (request, body.save == Some(true))).map_err(|err| *err),
        Err(err) => Err(err),
    };
    let (request, save) = match checked {
        Ok(checked) => checked,
        Err(err) => return Err(with_rate_headers(&state.quota.standing(user, now).await?, err)),
    };
    let reservation = state.quota.reserve(user, now).await.map_err(|err| match err {
        QuotaError::Exhausted { per_day, resets_at, .. } => {
            let used_up = Standing { allowance: Some(Allowance { per_day, remaining: 0 }), resets_at };
            with_rate_headers(&used_up, err.into())
        }
        err => err.into(),
    })?;
    Ok(Accepted { user, request, save, reservation })
}

/// The request, valid and naming a place fyd knows (a refusal is boxed: it is the rare path).
fn checked(state: &AppState, body: &RecommendRequest) -> Result<PlanRequest, Box<ApiError>> {
    let request = validate_recommend(body).map_err(|fields| Box::new(ApiError::invalid(fields)))?;
    if let Err(suggestions) = state.catalogue.resolve(&request.place) {
        return Err(Box::new(plan_error(PlanError::UnknownPlace(UnknownPlace { place: request.place, suggestions }))));
    }
    Ok(request)
}

/// Spends the quota unit and saves the course when asked, in one atomic write; gives the unit
/// back if the provider failed; spends and saves nothing if the hold lapsed meanwhile. A course
/// is a success, charged once, whoever planned it (a fallback course included).
async fn finish(state: &AppState, accepted: Accepted, outcome: Result<Recommendation, ProviderError>) -> Result<RecommendDetail, ApiError> {
    let Recommendation { course, fallback_reason } = match outcome {
        Ok(recommendation) => recommendation,
        Err(err) => return Err(with_rate_headers(&state.quota.release(accepted.reservation).await, provider_error(err))),
    };
    let now = state.clock.now();
    let to_save = accepted.save.then(|| NewCourse { created_at: iso_seoul(now), content: course.clone() });
    match state.quota.keep(&accepted.reservation, now, to_save).await {
        Ok(saved) => {
            let id = saved.map(|saved| saved.id);
            tracing::info!(
                user = accepted.user,
                provider = course.provider.as_deref().unwrap_or("?"),
                fallback_reason = fallback_reason.map(|r| r.code()),
                saved = id.is_some(),
                "recommended"
            );
            Ok(RecommendDetail { question: course.question.clone(), answer: course.answer.clone(), course, id, fallback_reason })
        }
        Err(QuotaError::Lapsed) => {
            tracing::warn!(user = accepted.user, "a recommendation finished after its quota hold lapsed; nothing charged or saved");
            let standing = state.quota.standing(accepted.user, now).await?;
            Err(with_rate_headers(&standing, QuotaError::Lapsed.into()))
        }
        // The write may or may not have happened; giving back a hold that was spent does nothing.
        Err(err) => Err(with_rate_headers(&state.quota.release(accepted.reservation).await, err.into())),
    }
}

fn provider_error(err: ProviderError) -> ApiError {
    match err {
        ProviderError::Plan(err) => plan_error(err),
        ProviderError::Upstream(reason) => {
            tracing::warn!(%reason, "provider failed");
            ApiError::new(StatusCode::BAD_GATEWAY, "upstream_error", "The recommendation service failed; please try again.")
        }
        ProviderError::Timeout => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "upstream_timeout",
            "The recommendation service did not answer in time; please try again.",
        ),
        ProviderError::Panicked => ApiError::internal(),
    }
}

/// The planner's refusals, in the planner's words: 400 with the field to change.
fn plan_error(err: PlanError) -> ApiError {
    match &err {
        PlanError::UnknownPlace(UnknownPlace { suggestions, .. }) => {
            let hint = match suggestions.as_slice() {
                [] => "Try an area such as 성수, 홍대, 해운대 or a city such as 서울, 부산, 제주.".to_owned(),
                names => format!("Did you mean {}?", names.join(", ")),
            };
            let mut api_error = ApiError::bad_request("unknown_place", format!("{err}. {hint}"));
            api_error.fields = Some(FieldErrors::single("datePlace", format!("Unknown place. {hint}")));
            api_error.suggestions = Some(suggestions.clone());
            api_error
        }
        // 400 rather than 422: the old web front alerts on a 400 and hangs on anything else.
        PlanError::NoCourse { .. } => {
            let message = err.to_string();
            let mut api_error = ApiError::bad_request("nothing_open", message.clone());
            api_error.fields = Some(FieldErrors::single("dateStart", message));
            api_error
        }
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;

    struct Panics;

    #[async_trait]
    impl Provider for Panics {
        fn name(&self) -> &'static str {
            "panics"
        }

        async fn recommend(&self, _: &PlanRequest) -> Result<Recommendation, ProviderError> {
            panic!("a provider bug")
        }
    }

    #[tokio::test]
    async fn a_provider_that_panics_ends_the_stream_with_an_internal_error() {
        let body = RecommendRequest {
            date_place: "성수".into(),
            date_season: Some("fall".into()),
            date_start: "14:00".into(),
            date_end: "21:00".into(),
            date_transport: "walk".into(),
            ..Default::default()
        };
        let (events, _receiver) = mpsc::channel(1);
        let outcome = recommend_stream(Arc::new(Panics), validate_recommend(&body).unwrap(), events).await;
        assert_eq!(outcome, Err(ProviderError::Panicked));
        let err = provider_error(ProviderError::Panicked);
        assert_eq!((err.status, err.code), (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"));
    }
}
