//! `POST /chat/chatbot/`: a date course for the couple's request, within the daily quota.
//!
//! Order matters for the quota: the request is checked (fields, place) before anything is
//! counted; then one unit is reserved atomically in the store, and given back if the provider
//! or the save fails. So only successes count, exactly, across concurrent requests and restarts.

use std::sync::Arc;

use fyd_core::catalogue::catalogue;
use fyd_core::request::{validate_recommend, RecommendRequest};
use fyd_core::wire::{RecommendDetail, RecommendResult};
use fyd_core::FieldErrors;
use jiff::Timestamp;
use poem::http::StatusCode;
use poem_openapi::{ApiResponse, OpenApi};

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

pub struct RecommendApi {
    pub state: Arc<AppState>,
}

/// The quota as the `X-RateLimit-*` headers report it.
struct RateLimit {
    limit: u32,
    remaining: u32,
    reset: Timestamp,
}

impl RateLimit {
    fn headers(&self) -> [(&'static str, String); 3] {
        [
            ("X-RateLimit-Limit", self.limit.to_string()),
            ("X-RateLimit-Remaining", self.remaining.to_string()),
            ("X-RateLimit-Reset", self.reset.as_second().to_string()),
        ]
    }

    fn attach(&self, mut err: ApiError) -> ApiError {
        for (name, value) in self.headers() {
            err = err.with_header(name, value);
        }
        err
    }
}

#[OpenApi(tag = "ApiTags::Recommend")]
impl RecommendApi {
    /// Recommend a date course
    ///
    /// Body as the old web front sends it. Invalid input, an unknown place and provider
    /// failures cost no quota; `save: true` stores the course and returns its `id`.
    #[oai(path = "/chat/chatbot", method = "post", operation_id = "recommend")]
    async fn recommend(&self, auth: BearerAuth, body: Parsed<RecommendRequest>) -> Result<RecommendResponse, Failure<RecommendErrors>> {
        let state = &self.state;
        let user = auth.0.user_id;
        let now = state.clock.now();
        let day = seoul_day(now).to_string();
        let limit = state.daily_quota;
        let reset = next_seoul_midnight(now);
        let rate = |remaining| (limit > 0).then_some(RateLimit { limit, remaining, reset });
        let remaining_now = match limit {
            0 => 0,
            _ => limit.saturating_sub(state.store.quota_used(user, &day).await?),
        };
        let with_rate = |err: ApiError, remaining| match rate(remaining) {
            Some(rate) => rate.attach(err),
            None => err,
        };

        let body = body.0.map_err(|err| with_rate(err, remaining_now))?;
        let request = validate_recommend(&body).map_err(|fields| with_rate(ApiError::invalid(fields), remaining_now))?;
        if let Err(suggestions) = catalogue().resolve(&request.place) {
            Err(with_rate(unknown_place(&request.place, suggestions), remaining_now))?;
        }

        let remaining_after = match limit {
            0 => 0,
            _ => match state.store.reserve_quota(user, &day, limit).await? {
                QuotaReservation::Granted { remaining } => remaining,
                QuotaReservation::Exhausted => {
                    let wait = (reset.as_second() - now.as_second()).max(1) as u64;
                    let err = ApiError::too_many(
                        "quota_exceeded",
                        format!("Today's {limit} recommendations are used up; more from {} (Seoul time).", iso_seoul(reset)),
                        wait,
                    );
                    Err(with_rate(err, 0))?
                }
            },
        };
        let give_back = || async {
            if limit > 0 {
                if let Err(err) = state.store.release_quota(user, &day).await {
                    tracing::error!(error = %err, user, "could not give back a quota unit");
                }
            }
        };

        let course = match state.provider.recommend(&request).await {
            Ok(course) => course,
            Err(err) => {
                give_back().await;
                Err(with_rate(provider_error(err), remaining_after + 1))?
            }
        };
        let id = if body.save == Some(true) {
            match state.store.create_course(user, iso_seoul(state.clock.now()), course.clone()).await {
                Ok(saved) => Some(saved.id),
                Err(err) => {
                    give_back().await;
                    Err(with_rate(ApiError::from(err), remaining_after + 1))?
                }
            }
        } else {
            None
        };
        tracing::info!(user, provider = state.provider.name(), saved = id.is_some(), "recommended");
        let detail = RecommendDetail { question: course.question.clone(), answer: course.answer.clone(), course, id };
        let headers = rate(remaining_after).map(|r| r.headers());
        let header = |i: usize| headers.as_ref().map(|h| h[i].1.clone());
        Ok(RecommendResponse::Ok(
            Json(RecommendResult { result: "success".to_owned(), detail }),
            header(0),
            header(1),
            header(2),
        ))
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
