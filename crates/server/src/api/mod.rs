//! The HTTP surface: thin handlers over [`crate::store::Store`] and `fyd-core`, assembled
//! into one poem endpoint with path normalisation, JSON errors, CORS and request logs.

pub mod accounts;
pub mod auth;
pub mod courses;
pub mod error;
pub mod json;
pub mod ops;
pub mod public;
pub mod recommend;
pub mod shares;

use std::sync::Arc;
use std::time::Instant;

use poem::endpoint::make_sync;
use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::{Method, StatusCode};
use poem::middleware::{Cors, NormalizePath, TrailingSlash};
use poem::web::Html;
use poem::{get, Endpoint, EndpointExt, IntoResponse, Response, Route};
use poem_openapi::{OpenApiService, Tags};

use fyd_core::FieldErrors;

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
    /// Share links and calendar files of saved courses
    Sharing,
    /// Health and documentation
    Operations,
}

/// The whole application as one endpoint.
pub fn app(state: Arc<AppState>, cors_origins: &[String]) -> impl Endpoint<Output = Response> {
    let service = openapi_service(&state);
    let spec = ops::Spec { json: service.spec(), yaml: service.spec_yaml() };
    let allowed = Arc::new(AllowedMethods::from_spec(&spec.json));
    // The viewer pages inline 1–1.5 MB of JavaScript each; rendered per request instead of
    // held from start-up, they cost nothing while nobody reads the docs (idle RSS).
    let viewers = Arc::new(openapi_service(&state));
    let redoc_viewers = viewers.clone();

    let mut cors = Cors::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers(["content-type", "authorization"])
        .expose_headers(["link", "retry-after", "www-authenticate", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"])
        .max_age(86_400);
    for origin in cors_origins {
        cors = cors.allow_origin(origin.as_str());
    }

    let quota_state = state.clone();
    let allowed = allowed.clone();
    Route::new()
        .nest("/", service)
        .at(SCHEMA_PATHS[0], get(ops::schema).data(spec))
        .at(SCHEMA_PATHS[1], get(make_sync(move |_| Html(viewers.swagger_ui_html()))))
        .at(SCHEMA_PATHS[2], get(make_sync(move |_| Html(redoc_viewers.redoc_html()))))
        // Share pages: HTML for people, outside the OpenAPI document.
        .nest("/s", public::routes())
        // Every path answers with and without its trailing slash, with no redirect.
        .with(NormalizePath::new(TrailingSlash::Trim))
        .data(state)
        .catch_all_error(error_response)
        .around(move |endpoint, request| {
            let state = quota_state.clone();
            let allowed = allowed.clone();
            async move {
                let path = request.uri().path().to_owned();
                let recommending = path.starts_with("/chat/chatbot");
                let asks_options = request.method() == Method::OPTIONS;
                let mut response = endpoint.call(request).await?.into_response();
                if response.status() == StatusCode::METHOD_NOT_ALLOWED {
                    // A plain OPTIONS (a CORS preflight never gets here: `Cors` answers it)
                    // asks what the path allows; it is answered, not refused (RFC 9110 §9.3.7).
                    if asks_options {
                        response = StatusCode::NO_CONTENT.into_response();
                    }
                    if let Ok(value) = allowed.for_path(&path).parse() {
                        response.headers_mut().insert("allow", value);
                    }
                }
                // The handler sets the rate-limit headers on everything it answers; a request
                // turned away before it (no valid token) still learns the limit and the reset.
                if let Some(per_day) = state.quota.per_day().filter(|_| recommending) {
                    if !response.headers().contains_key("x-ratelimit-limit") {
                        let reset = crate::clock::next_seoul_midnight(state.clock.now()).as_second();
                        response.headers_mut().insert("x-ratelimit-limit", per_day.get().into());
                        response.headers_mut().insert("x-ratelimit-reset", reset.into());
                    }
                }
                Ok(response)
            }
        })
        .with(cors)
        .around(|endpoint, request| async move {
            let (method, path) = (request.method().clone(), request.uri().path().to_owned());
            let started = Instant::now();
            let response = endpoint.call(request).await?.into_response();
            let path = public::loggable_path(&path);
            tracing::info!(%method, %path, status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
            Ok(response)
        })
}

type Apis = (accounts::AccountsApi, courses::CoursesApi, shares::SharesApi, recommend::RecommendApi, ops::OpsApi);

fn openapi_service(state: &Arc<AppState>) -> OpenApiService<Apis, ()> {
    let apis = (
        accounts::AccountsApi { state: state.clone() },
        courses::CoursesApi { state: state.clone() },
        shares::SharesApi { state: state.clone() },
        recommend::RecommendApi { state: state.clone() },
        ops::OpsApi,
    );
    OpenApiService::new(apis, "fyd", env!("CARGO_PKG_VERSION")).description(
        "fyd (For Your Date) plans date courses in Korea. This API keeps the paths, fields, \
             token shapes and status codes of the Django service it replaces; every error is JSON \
             `{detail, code}`. Every path also works without its trailing slash. Share links \
             open read-only pages at `/s/{token}` (HTML, not part of this document). Why the \
             contract is as it is: docs/api.md in fyd's source.",
    )
}

/// The OpenAPI document and its two viewers: pages outside the document they serve.
const SCHEMA_PATHS: [&str; 3] = ["/api/schema", "/api/schema/swagger-ui", "/api/schema/redoc"];

/// Which methods each path answers, for the `Allow` header of a 405 or a plain OPTIONS (RFC
/// 9110). Read from the OpenAPI document, so it cannot drift from the routes; plus the share
/// pages and the document's own pages, which it leaves out.
struct AllowedMethods(Vec<(Vec<String>, String)>);

impl AllowedMethods {
    fn from_spec(spec: &str) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec).expect("the spec is JSON");
        let paths = spec["paths"].as_object().cloned().unwrap_or_default();
        Self(
            paths
                .iter()
                .map(|(path, operations)| {
                    let segments = segments(path).map(str::to_owned).collect();
                    let mut methods: Vec<String> =
                        operations.as_object().map(|o| o.keys().map(|m| m.to_uppercase()).collect()).unwrap_or_default();
                    methods.push("OPTIONS".into());
                    (segments, methods.join(", "))
                })
                .chain(
                    ["/s/{token}"]
                        .into_iter()
                        .chain(SCHEMA_PATHS)
                        .map(|path| (segments(path).map(str::to_owned).collect(), public::ALLOWED.to_owned())),
                )
                .collect(),
        )
    }

    fn for_path(&self, path: &str) -> String {
        let wanted: Vec<&str> = segments(path).collect();
        self.0
            .iter()
            .find(|(segments, _)| segments.len() == wanted.len() && segments.iter().zip(&wanted).all(|(s, w)| s.starts_with('{') || s == w))
            .map_or_else(|| "OPTIONS".to_owned(), |(_, methods)| methods.clone())
    }
}

/// A path's segments, without the slashes at either end (every path answers with and without
/// its trailing slash).
fn segments(path: &str) -> std::str::Split<'_, char> {
    path.trim_matches('/').split('/')
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
    } else if let Some(param) = err.downcast_ref::<poem_openapi::error::ParseParamError>() {
        ApiError::invalid(FieldErrors::single(param.name, param.reason.clone()))
    } else if err.status().is_server_error() {
        tracing::error!(error = %err, "unhandled error");
        ApiError::internal()
    } else {
        ApiError::new(err.status(), "invalid_input", err.to_string())
    };
    poem::error::ResponseError::as_response(&api_error)
}
