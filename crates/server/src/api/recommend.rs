//! `POST /chat/chatbot/` and `POST /chat/chatbot/stream/`: a date course for the couple's
//! request, within the daily quota.
//!
//! Both endpoints share one pipeline. [`accept`] checks the request (fields, place) before
//! anything is counted, then reserves one quota unit atomically in the store; the provider
//! runs; [`finish`] saves the course when asked, or gives the unit back if anything failed.
//! So only successes count, exactly, across concurrent requests and restarts.

use std::sync::Arc;

use fyd_core::catalogue::catalogue;
use fyd_core::course::CourseContent;
use fyd_core::request::{validate_recommend, PlanRequest, RecommendRequest};
use fyd_core::wire::{RecommendDetail, RecommendResult, StreamEvent};
use fyd_core::FieldErrors;
use jiff::Timestamp;
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
use crate::clock::{iso_seoul, next_seoul_midnight, seoul_day};
use crate::provider::ProviderError;
use crate::state::AppState;
use crate::store::QuotaReservation;

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
    /// LLM), then `done` (the same detail as the plain endpoint) or `error` (`{detail, code}`;
    /// nothing is charged). A keep-alive comment comes at least every 15 s.
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
        let outcome = self.state.provider.recommend(&accepted.request).await;
        let detail = finish(&self.state, &accepted, outcome).await?;
        let [limit, remaining, reset] = accepted.rate.headers();
        Ok(RecommendResponse::Ok(Json(RecommendResult { result: "success".to_owned(), detail }), limit, remaining, reset))
    }

    /// Recommend a date course, streamed
    ///
    /// Same body, checks and quota as `/chat/chatbot/`; the course arrives as server-sent
    /// events, each stop as soon as it is known.
    #[oai(path = "/chat/chatbot/stream", method = "post", operation_id = "recommend_stream")]
    async fn recommend_stream(&self, auth: BearerAuth, body: Parsed<RecommendRequest>) -> Result<StreamResponse, Failure<RecommendErrors>> {
        let accepted = accept(&self.state, auth.0.user_id, body.0).await?;
        let [limit, remaining, reset] = accepted.rate.headers();
        let (events, receiver) = mpsc::channel(64);
        let state = self.state.clone();
        tokio::spawn(async move {
            let outcome = state.provider.recommend_stream(&accepted.request, &events).await;
            let last = match finish(&state, &accepted, outcome).await {
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

/// The quota as the `X-RateLimit-*` headers report it (`limit` 0: no limit, no headers).
#[derive(Clone, Copy)]
struct RateLimit {
    limit: u32,
    remaining: u32,
    reset: Timestamp,
}

impl RateLimit {
    fn with_remaining(self, remaining: u32) -> Self {
        Self { remaining, ..self }
    }

    fn headers(&self) -> [Option<String>; 3] {
        if self.limit == 0 {
            return [None, None, None];
        }
        [Some(self.limit.to_string()), Some(self.remaining.to_string()), Some(self.reset.as_second().to_string())]
    }

    fn attach(&self, mut err: ApiError) -> ApiError {
        let names = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"];
        for (name, value) in names.into_iter().zip(self.headers()) {
            if let Some(value) = value {
                err = err.with_header(name, value);
            }
        }
        err
    }
}

/// A request that passed every check and holds one quota unit until [`finish`].
struct Accepted {
    user: u64,
    day: String,
    request: PlanRequest,
    save: bool,
    /// The quota as it will be if this request succeeds.
    rate: RateLimit,
}

async fn accept(state: &AppState, user: u64, body: Result<RecommendRequest, ApiError>) -> Result<Accepted, ApiError> {
    let now = state.clock.now();
    let day = seoul_day(now).to_string();
    let limit = state.daily_quota;
    let used = match limit {
        0 => 0,
        _ => state.store.quota_used(user, &day).await?,
    };
    let rate = RateLimit { limit, remaining: limit.saturating_sub(used), reset: next_seoul_midnight(now) };

    let body = body.map_err(|err| rate.attach(err))?;
    let request = validate_recommend(&body).map_err(|fields| rate.attach(ApiError::invalid(fields)))?;
    if let Err(suggestions) = catalogue().resolve(&request.place) {
        return Err(rate.attach(unknown_place(&request.place, suggestions)));
    }
    let remaining = match limit {
        0 => 0,
        _ => match state.store.reserve_quota(user, &day, limit).await? {
            QuotaReservation::Granted { remaining } => remaining,
            QuotaReservation::Exhausted => {
                let wait = (rate.reset.as_second() - now.as_second()).max(1) as u64;
                let err = ApiError::too_many(
                    "quota_exceeded",
                    format!("Today's {limit} recommendations are used up; more from {} (Seoul time).", iso_seoul(rate.reset)),
                    wait,
                );
                return Err(rate.with_remaining(0).attach(err));
            }
        },
    };
    Ok(Accepted { user, day, request, save: body.save == Some(true), rate: rate.with_remaining(remaining) })
}

/// Saves the course when asked; on any failure gives the quota unit back.
async fn finish(state: &AppState, accepted: &Accepted, outcome: Result<CourseContent, ProviderError>) -> Result<RecommendDetail, ApiError> {
    let saved = match outcome {
        Ok(course) if accepted.save => state
            .store
            .create_course(accepted.user, iso_seoul(state.clock.now()), course.clone())
            .await
            .map(|saved| (course, Some(saved.id)))
            .map_err(ApiError::from),
        Ok(course) => Ok((course, None)),
        Err(err) => Err(provider_error(err)),
    };
    match saved {
        Ok((course, id)) => {
            tracing::info!(user = accepted.user, provider = course.provider.as_deref().unwrap_or("?"), saved = id.is_some(), "recommended");
            Ok(RecommendDetail { question: course.question.clone(), answer: course.answer.clone(), course, id })
        }
        Err(err) => {
            if accepted.rate.limit > 0 {
                if let Err(store_err) = state.store.release_quota(accepted.user, &accepted.day).await {
                    tracing::error!(error = %store_err, user = accepted.user, "could not give back a quota unit");
                }
            }
            Err(accepted.rate.with_remaining(accepted.rate.remaining + 1).attach(err))
        }
    }
}

fn unknown_place(place: &str, suggestions: Vec<String>) -> ApiError {
    let hint = match suggestions.as_slice() {
        [] => "Try an area such as 성수, 홍대, 해운대 or a city such as 서울, 부산, 제주.".to_owned(),
        names => format!("Did you mean {}?", names.join(", ")),
    };
    let mut err = ApiError::bad_request("unknown_place", format!("fyd cannot plan a date in {place:?} yet. {hint}"));
    err.fields = Some(FieldErrors::single("datePlace", format!("Unknown place. {hint}")));
    err.suggestions = Some(suggestions);
    err
}

fn provider_error(err: ProviderError) -> ApiError {
    match err {
        ProviderError::UnknownPlace { place, suggestions } => unknown_place(&place, suggestions),
        ProviderError::NothingOpen(message) => {
            let mut err = ApiError::bad_request("nothing_open", message.clone());
            err.fields = Some(FieldErrors::single("dateStart", message));
            err
        }
        ProviderError::Upstream(reason) => {
            tracing::warn!(%reason, "provider failed");
            ApiError::new(StatusCode::BAD_GATEWAY, "upstream_error", "The recommendation service failed; please try again.")
        }
        ProviderError::Timeout => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "upstream_timeout",
            "The recommendation service did not answer in time; please try again.",
        ),
    }
}
