//! Every error the API answers: JSON `{"detail", "code"}` (plus `fields` / `suggestions`),
//! never HTML, with `WWW-Authenticate` on 401 and `Retry-After` on 429.
//!
//! [`ApiError`] is what handlers produce; [`Failure<S>`] is the same error as a handler's
//! documented return type, where `S` lists the statuses that endpoint can answer, so that
//! the OpenAPI document names exactly the errors that happen.

use std::marker::PhantomData;

use fyd_core::wire::ErrorBody;
use fyd_core::FieldErrors;
use poem::error::ResponseError;
use poem::http::{header, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::ApiResponse;

use crate::auth::sessions::SessionError;
use crate::quota::QuotaError;
use crate::store::StoreError;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {detail}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub fields: Option<FieldErrors>,
    pub suggestions: Option<Vec<String>>,
    pub retry_after: Option<u64>,
    pub extra_headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, detail: detail.into(), fields: None, suggestions: None, retry_after: None, extra_headers: Vec::new() }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn invalid(fields: FieldErrors) -> Self {
        let mut err = Self::bad_request("invalid_input", fields.summary());
        err.fields = Some(fields);
        err
    }

    pub fn token_not_valid() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "token_not_valid", "Token is invalid or expired.")
    }

    pub fn not_authenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "token_not_valid", "Authentication credentials were not provided.")
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "permission_denied", "You do not have permission to perform this action.")
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found.")
    }

    pub fn too_many(code: &'static str, detail: impl Into<String>, retry_after: u64) -> Self {
        let mut err = Self::new(StatusCode::TOO_MANY_REQUESTS, code, detail);
        err.retry_after = Some(retry_after);
        err
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "The server failed; please try again.")
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.extra_headers.push((name, value));
        self
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            fields: self.fields.clone().map(FieldErrors::into_map),
            suggestions: self.suggestions.clone(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        tracing::error!(error = %err, "store failure");
        Self::internal()
    }
}

impl From<SessionError> for ApiError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::InvalidToken => Self::token_not_valid(),
            SessionError::Store(err) => err.into(),
        }
    }
}

impl From<QuotaError> for ApiError {
    fn from(err: QuotaError) -> Self {
        match err {
            QuotaError::Exhausted { retry_after_secs, .. } => Self::too_many("quota_exceeded", err.to_string(), retry_after_secs),
            QuotaError::Lapsed => Self::new(StatusCode::GATEWAY_TIMEOUT, "deadline_exceeded", err.to_string()),
            QuotaError::Store(err) => err.into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        let mut response = Response::builder()
            .status(self.status)
            .content_type("application/json")
            .body(serde_json::to_vec(&self.body()).expect("error bodies serialise"));
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, "Bearer".parse().unwrap());
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        }
        for (name, value) in &self.extra_headers {
            if let Ok(value) = value.parse() {
                response.headers_mut().insert(*name, value);
            }
        }
        response
    }
}

/// The statuses an endpoint's errors can have, for its OpenAPI description.
pub trait ErrorSet: Send + Sync + 'static {
    const STATUSES: &'static [u16];
}

/// An [`ApiError`] as a documented handler error; `?` converts into it.
pub struct Failure<S>(pub ApiError, PhantomData<fn() -> S>);

impl<S> From<ApiError> for Failure<S> {
    fn from(err: ApiError) -> Self {
        Self(err, PhantomData)
    }
}

/// `?` on a domain error in a handler: each converts through its [`ApiError`] mapping.
macro_rules! failure_from {
    ($($error:ty),*) => {$(
        impl<S> From<$error> for Failure<S> {
            fn from(err: $error) -> Self {
                ApiError::from(err).into()
            }
        }
    )*};
}
failure_from!(StoreError, SessionError);

impl<S> From<Failure<S>> for poem::Error {
    fn from(failure: Failure<S>) -> Self {
        poem::Error::from(failure.0)
    }
}

impl<S> IntoResponse for Failure<S> {
    fn into_response(self) -> Response {
        self.0.as_response()
    }
}

impl<S: ErrorSet> ApiResponse for Failure<S> {
    fn meta() -> MetaResponses {
        let responses = S::STATUSES
            .iter()
            .map(|&status| MetaResponse {
                description: describe(status),
                status: Some(status),
                status_range: None,
                content: vec![MetaMediaType { content_type: "application/json", schema: ErrorBody::schema_ref() }],
                headers: match status {
                    401 => vec![header_meta("WWW-Authenticate", "Always `Bearer`.")],
                    429 => vec![header_meta("Retry-After", "Seconds until a new attempt can succeed.")],
                    _ => vec![],
                },
            })
            .collect();
        MetaResponses { responses }
    }

    fn register(registry: &mut Registry) {
        ErrorBody::register(registry);
    }
}

fn header_meta(name: &str, description: &str) -> MetaHeader {
    MetaHeader {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        required: true,
        deprecated: false,
        schema: String::schema_ref(),
    }
}

fn describe(status: u16) -> &'static str {
    match status {
        400 => "Invalid input: malformed JSON, a body that is not an object, or field errors (`fields`).",
        401 => "Missing, malformed, expired or revoked token (`token_not_valid`).",
        403 => "The course belongs to another user (`permission_denied`).",
        404 => "No such course (`not_found`).",
        413 => "Body larger than 64 KiB (`payload_too_large`).",
        429 => "Too many attempts or the daily quota is used up.",
        500 => "The server failed (`internal_error`).",
        502 => "The recommendation provider failed (`upstream_error`).",
        504 => "The recommendation did not finish in time (`upstream_timeout`: the provider; `deadline_exceeded`: the request's own deadline); nothing was charged.",
        _ => "Error.",
    }
}

/// Declares an [`ErrorSet`] marker type.
macro_rules! error_set {
    ($(#[$meta:meta])* $name:ident: [$($status:literal),*]) => {
        $(#[$meta])*
        pub struct $name;
        impl $crate::api::error::ErrorSet for $name {
            const STATUSES: &'static [u16] = &[$($status),*];
        }
    };
}
pub(crate) use error_set;
