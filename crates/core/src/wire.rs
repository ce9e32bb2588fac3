//! Request and response bodies of the HTTP API, shared by the server and the CLI, and the
//! paths clients call.
//!
//! Field names are the old Django service's (see `docs/api.md`); serde is the only
//! (de)serialiser, and the `openapi` feature only derives the documented schema.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The API's paths as clients call them, with the trailing slash the old web front sends (the
/// server answers with and without it). The server declares its routes in poem-openapi
/// attributes, which take literals only; a server test checks each of these against the
/// OpenAPI document.
pub mod paths {
    pub const JOIN: &str = "/user/join/";
    pub const LOGIN: &str = "/user/login/";
    pub const LOGOUT: &str = "/user/logout/";
    pub const TOKEN_REFRESH: &str = "/user/token/refresh/";
    pub const ME: &str = "/user/user/";
    pub const COURSES: &str = "/chat/chat/";
    pub const RECOMMEND: &str = "/chat/chatbot/";
    pub const RECOMMEND_STREAM: &str = "/chat/chatbot/stream/";

    /// Where share pages live: `/s/{token}`, and `/s/{token}.ics` for the calendar file.
    pub const SHARE_PAGES: &str = "/s/";

    /// One saved course.
    pub fn course(id: u64) -> String {
        format!("{COURSES}{id}/")
    }

    /// A saved course's share link: `POST` makes one, `DELETE` revokes it.
    pub fn course_share(id: u64) -> String {
        format!("{COURSES}{id}/share/")
    }

    /// A saved course as an iCalendar file.
    pub fn course_ics(id: u64) -> String {
        format!("{COURSES}{id}/ics")
    }
}

/// `POST /user/join/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct JoinRequest {
    #[cfg_attr(feature = "openapi", oai(validator(min_length = 1, max_length = 254, pattern = r"\S")))]
    pub email: String,
    #[cfg_attr(feature = "openapi", oai(validator(min_length = 1, max_length = 30, pattern = r"\S")))]
    pub nickname: String,
    /// 8 to 128 characters; not only digits, not common, not like the email or nickname.
    #[cfg_attr(feature = "openapi", oai(validator(min_length = 8, max_length = 128)))]
    pub password1: String,
    /// Must equal `password1`.
    pub password2: String,
}

/// `POST /user/login/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object), oai(example))]
pub struct LoginRequest {
    #[cfg_attr(feature = "openapi", oai(validator(min_length = 1, max_length = 254, pattern = r"\S")))]
    pub email: String,
    #[cfg_attr(feature = "openapi", oai(validator(min_length = 1, max_length = 128, pattern = r"\S")))]
    pub password: String,
}

/// The login the API document shows, which contract fuzzing sends as it is.
#[cfg(feature = "openapi")]
impl poem_openapi::types::Example for LoginRequest {
    fn example() -> Self {
        Self { email: "mina@example.com".into(), password: "달빛산책-2024x".into() }
    }
}

/// Tokens of a new session, as join and login answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
    pub user: User,
    /// When `access` expires (ISO 8601, +09:00).
    pub access_expiration: String,
    /// When `refresh` expires (ISO 8601, +09:00).
    pub refresh_expiration: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct User {
    pub pk: u64,
    pub email: String,
    pub nickname: String,
    pub quota: Quota,
}

/// Today's recommendations (Asia/Seoul calendar day).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Quota {
    /// Recommendations per day; 0 means no limit.
    pub limit: u32,
    /// Left today; absent when there is no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(skip_serializing_if_is_none))]
    pub remaining: Option<u32>,
    /// The next midnight in Seoul (ISO 8601, +09:00).
    pub resets_at: String,
}

/// `POST /user/token/refresh/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct RefreshRequest {
    pub refresh: String,
    /// Issue a new refresh token and retire this one; presenting a retired token again
    /// revokes the whole session.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", oai(default))]
    pub rotate: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct RefreshResponse {
    pub access: String,
    pub access_expiration: String,
    /// Only with `rotate: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(skip_serializing_if_is_none))]
    pub refresh: Option<String>,
    /// Only with `rotate: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(skip_serializing_if_is_none))]
    pub refresh_expiration: Option<String>,
}

/// `POST /user/token/verify/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct VerifyRequest {
    pub token: String,
}

/// `POST /user/logout/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct LogoutRequest {
    pub refresh: String,
}

/// A bare human message, as logout answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Detail {
    pub detail: String,
}

/// The empty object `{}` that verify answers with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Empty {}

/// `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Health {
    pub status: String,
}

/// Every error the API answers: a sentence for people and a stable code for programs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct ErrorBody {
    pub detail: String,
    pub code: String,
    /// Per-field messages, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(skip_serializing_if_is_none))]
    pub fields: Option<BTreeMap<String, Vec<String>>>,
    /// Known names close to an unknown place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(skip_serializing_if_is_none))]
    pub suggestions: Option<Vec<String>>,
}

/// Shortest and longest lifetime a share link may be given: a minute, a year.
pub const SHARE_SECS: std::ops::RangeInclusive<u64> = 60..=31_536_000;

/// `POST /chat/chat/{id}/share/`: how the link behaves; `{}` for the defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct ShareRequest {
    /// Seconds until the link stops opening: 60 to 31536000 (a year). Without it, the link
    /// works until it is revoked, replaced or the course is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(validator(minimum(value = "60"), maximum(value = "31536000"))))]
    pub expires_in_secs: Option<u64>,
    /// Show the owner's nickname on the page (never the email). Off unless asked.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", oai(default))]
    pub show_nickname: bool,
}

impl ShareRequest {
    /// Per-field problems, as a 400 reports them.
    pub fn check(&self) -> Result<(), crate::FieldErrors> {
        let mut errors = crate::FieldErrors::new();
        if self.expires_in_secs.is_some_and(|secs| !SHARE_SECS.contains(&secs)) {
            errors.add("expires_in_secs", format!("Give {} to {} seconds.", SHARE_SECS.start(), SHARE_SECS.end()));
        }
        errors.finish(())
    }
}

/// A new share link. The token is in it only this once: the server keeps a hash of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct ShareLink {
    /// The page to send: `…/s/{token}` (its calendar file is the same URL with `.ics`).
    pub url: String,
    pub token: String,
    /// When the link stops opening (ISO 8601, +09:00); absent: until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(skip_serializing_if_is_none))]
    pub expires_at: Option<String>,
    /// The course had a link before, which no longer opens.
    pub replaced: bool,
}

/// `POST /chat/chatbot/` answers `{"result": "success", "detail": …}`, as the old service did.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct RecommendResult {
    /// Always "success".
    pub result: String,
    pub detail: RecommendDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct RecommendDetail {
    /// The request as one Korean sentence.
    pub question: String,
    /// The course as readable text (HTML-safe).
    pub answer: String,
    /// The course itself: stops, legs, map links.
    pub course: crate::course::CourseContent,
    /// The saved course's id, with `save: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(skip_serializing_if_is_none))]
    pub id: Option<u64>,
    /// Why the course is not an LLM's own answer, when an LLM was asked and `course.provider`
    /// is `openai+planner` (the built-in planner around the places the LLM named) or
    /// `builtin-fallback` (the built-in planner alone). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(skip_serializing_if_is_none))]
    pub fallback_reason: Option<FallbackReason>,
}

/// Why a recommendation is not an LLM's own course (see docs/llm.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum), oai(rename_all = "snake_case"))]
pub enum FallbackReason {
    /// The LLM answered in prose, not the JSON asked for.
    ProseAnswer,
    /// The LLM's answers broke the rules, the repaired one too.
    InvalidAnswer,
    /// The LLM had no usable answer within its share of the deadline.
    Timeout,
    /// The LLM server failed: error statuses after retries, no connection, a stream that broke off.
    UpstreamError,
}

impl FallbackReason {
    /// The reason as it is written on the wire, for logs.
    pub fn code(self) -> &'static str {
        match self {
            Self::ProseAnswer => "prose_answer",
            Self::InvalidAnswer => "invalid_answer",
            Self::Timeout => "timeout",
            Self::UpstreamError => "upstream_error",
        }
    }
}

/// One server-sent event of `POST /chat/chatbot/stream/`: `event` is `stop` (a [`Stop`] as soon
/// as it is known), `delta` (`{"text"}` raw text from an LLM), `done` (the same
/// [`RecommendDetail`] as the plain endpoint) or `error` (an [`ErrorBody`]); `data` is its JSON.
///
/// [`Stop`]: crate::course::Stop
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct StreamEvent {
    pub event: String,
    pub data: serde_json::Value,
}

impl StreamEvent {
    pub fn stop(stop: &crate::course::Stop) -> Self {
        Self { event: "stop".into(), data: serde_json::to_value(stop).expect("stops serialise") }
    }

    pub fn delta(text: &str) -> Self {
        Self { event: "delta".into(), data: serde_json::json!({ "text": text }) }
    }

    pub fn done(detail: &RecommendDetail) -> Self {
        Self { event: "done".into(), data: serde_json::to_value(detail).expect("details serialise") }
    }

    pub fn error(body: &ErrorBody) -> Self {
        Self { event: "error".into(), data: serde_json::to_value(body).expect("errors serialise") }
    }
}

#[cfg(test)]
mod tests {
    use super::FallbackReason;

    #[test]
    fn fallback_reasons_are_logged_as_they_are_written_on_the_wire() {
        use FallbackReason::*;
        for reason in [ProseAnswer, InvalidAnswer, Timeout, UpstreamError] {
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.code());
        }
    }
}
