//! The HTTP surface: thin handlers over [`crate::store::Store`] and `fyd-core`, assembled
//! into one poem endpoint with path normalisation, JSON errors, CORS and request logs.

pub mod accounts;
pub mod auth;
pub mod courses;
pub mod error;
pub mod json;
pub mod ops;
pub mod recommend;

use std::sync::Arc;
use std::time::Instant;

use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::{Method, StatusCode};
use poem::middleware::{Cors, NormalizePath, TrailingSlash};
use poem::{get, Endpoint, EndpointExt, IntoResponse, Response, Route};
use poem_openapi::{OpenApiService, Tags};

use self::error::ApiError;
use crate::state::AppState;

#[derive(Tags)]
pub enum ApiTags {
    /// Accounts and tokens
    Accounts,
    /// Saved date courses
    Courses,
    /// Date course recommendations
    Recommend,
    /// Health and documentation
    Operations,
}

/// The whole application as one endpoint.
pub fn app(state: Arc<AppState>, cors_origins: &[String]) -> impl Endpoint<Output = Response> {
    let apis = (
        accounts::AccountsApi { state: state.clone() },
        courses::CoursesApi { state: state.clone() },
        recommend::RecommendApi { state: state.clone() },
        ops::OpsApi,
    );
    let service = OpenApiService::new(apis, "fyd", env!("CARGO_PKG_VERSION"))
        .description(
            "fyd (For Your Date) plans date courses in Korea. This API keeps the paths, fields, \
             token shapes and status codes of the Django service it replaces; every error is JSON \
             `{detail, code}`. Every path also works without its trailing slash.",
        )
        .external_document("https://example.invalid/fyd/api-contract");
    let spec = ops::Spec { json: service.spec(), yaml: service.spec_yaml() };
    let swagger_ui = service.swagger_ui();
    let redoc = service.redoc();

    let mut cors = Cors::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers(["content-type", "authorization"])
        .expose_headers(["link", "retry-after", "www-authenticate", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"])
        .max_age(86_400);
    for origin in cors_origins {
        cors = cors.allow_origin(origin.as_str());
    }

    let quota_state = state.clone();
    Route::new()
        .nest("/", service)
        .at("/api/schema", get(ops::schema).data(spec))
        .nest("/api/schema/swagger-ui", swagger_ui)
        .nest("/api/schema/redoc", redoc)
        // Every path answers with and without its trailing slash, with no redirect.
        .with(NormalizePath::new(TrailingSlash::Trim))
        .data(state)
        .catch_all_error(error_response)
        .around(move |endpoint, request| {
            let state = quota_state.clone();
            async move {
                let recommending = request.uri().path().starts_with("/chat/chatbot");
                let mut response = endpoint.call(request).await?.into_response();
                // The handler sets the rate-limit headers on everything it answers; a request
                // turned away before it (no valid token) still learns the limit and the reset.
                if recommending && state.daily_quota > 0 && !response.headers().contains_key("x-ratelimit-limit") {
                    let reset = crate::clock::next_seoul_midnight(state.clock.now()).as_second();
                    response.headers_mut().insert("x-ratelimit-limit", state.daily_quota.into());
                    response.headers_mut().insert("x-ratelimit-reset", reset.into());
                }
                Ok(response)
            }
        })
        .with(cors)
        .around(|endpoint, request| async move {
            let (method, path) = (request.method().clone(), request.uri().path().to_owned());
            let started = Instant::now();
            let response = endpoint.call(request).await?.into_response();
            tracing::info!(%method, %path, status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
            Ok(response)
        })
}

/// Turns every error, ours or poem's, into the JSON shape of the contract.
async fn error_response(err: poem::Error) -> Response {
    if err.is::<ApiError>() {
        return err.into_response();
    }
    let api_error = if err.is::<NotFoundError>() {
        ApiError::not_found()
    } else if err.is::<MethodNotAllowedError>() {
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed on this path.")
    } else if err.is::<poem_openapi::error::AuthorizationError>() {
        ApiError::not_authenticated()
    } else if err.status().is_server_error() {
        tracing::error!(error = %err, "unhandled error");
        ApiError::internal()
    } else {
        ApiError::new(err.status(), "invalid_input", err.to_string())
    };
    poem::error::ResponseError::as_response(&api_error)
}
