//! `/s/{token}` and `/s/{token}.ics`: what a share link opens, for anyone, no account needed.
//!
//! These are pages for people, so unlike the API they answer HTML — their 404 (an unknown,
//! revoked, expired or malformed link, all alike) and 429 (past the per-IP limit) too — and
//! they are not in the OpenAPI document. Every page carries the strict
//! Content-Security-Policy of `share::page`, `noindex`, no referrer and no caching (a revoked
//! link must stop working at once, also for a browser's back button).

use std::sync::Arc;

use fyd_core::course::Course;
use fyd_core::request::Lang;
use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::{header, StatusCode};
use poem::web::{Data, Path};
use poem::{get, handler, Endpoint, EndpointExt, IntoResponse, Request, Response, Route};

use super::shares::{calendar_file, decode, CalendarProblem};
use crate::share::page::{course_page, not_found_page, reader_lang, too_many_page, SharedCourse, CONTENT_SECURITY_POLICY};
use crate::share::{log_id, ShareToken};
use crate::state::AppState;
use crate::store::StoreError;

/// The methods `/s/{token}` answers, for the `Allow` header of a 405.
pub const ALLOWED: &str = "GET, HEAD, OPTIONS";

/// The routes under `/s/`, errors answered as pages.
pub fn routes() -> impl Endpoint<Output = Response> {
    Route::new().at("/:name", get(open)).catch_all_error(|err: poem::Error| async move {
        if err.is::<MethodNotAllowedError>() {
            let mut response = page(StatusCode::METHOD_NOT_ALLOWED, not_found_page(Lang::En));
            response.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static(ALLOWED));
            response
        } else if err.is::<NotFoundError>() {
            page(StatusCode::NOT_FOUND, not_found_page(Lang::Ko))
        } else {
            tracing::error!(error = %err, "share page failed");
            page(StatusCode::INTERNAL_SERVER_ERROR, not_found_page(Lang::Ko))
        }
    })
}

/// How a path is written in the request log: a share token never is, only its hash's prefix.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    let Some(name) = path.strip_prefix(fyd_core::wire::paths::SHARE_PAGES) else {
        return path.into();
    };
    let (text, ics) = split_name(name.trim_end_matches('/'));
    let link = ShareToken::parse(text).map_or_else(|| "(not a token)".to_owned(), |token| format!("#{}", log_id(&token.hash())));
    format!("{}{link}{}", fyd_core::wire::paths::SHARE_PAGES, if ics { ".ics" } else { "" }).into()
}

/// `TOKEN.ics` → (`TOKEN`, true); `TOKEN` → (`TOKEN`, false).
fn split_name(name: &str) -> (&str, bool) {
    match name.strip_suffix(".ics") {
        Some(token) => (token, true),
        None => (name, false),
    }
}

#[handler]
async fn open(Data(state): Data<&Arc<AppState>>, Path(name): Path<String>, request: &Request) -> Response {
    let lang = reader_lang(request.header("accept-language"));
    if let Some(limit) = &state.sharing.limit {
        let peer = request.remote_addr().as_socket_addr().map(|addr| addr.ip());
        if let Err(wait) = limit.check(peer, request.header("x-forwarded-for")) {
            let mut response = page(StatusCode::TOO_MANY_REQUESTS, too_many_page(lang));
            response.headers_mut().insert(header::RETRY_AFTER, wait.into());
            return response;
        }
    }
    let (text, ics) = split_name(&name);
    let opened = match open_link(state, text).await {
        Ok(Some(opened)) => opened,
        Ok(None) => return page(StatusCode::NOT_FOUND, not_found_page(lang)),
        Err(err) => {
            tracing::error!(error = %err, "store failure");
            return page(StatusCode::INTERNAL_SERVER_ERROR, not_found_page(lang));
        }
    };
    if !ics {
        let shared = SharedCourse { course: &opened.course, nickname: opened.nickname.as_deref(), token: text };
        return page(StatusCode::OK, course_page(&shared, lang));
    }
    let asked = request.uri().query().and_then(|query| url::form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == "date"));
    match calendar_file(state, &opened.course, asked.as_ref().map(|(_, date)| date.as_ref()), request.header("accept-language")) {
        Ok(file) => Response::builder()
            .content_type("text/calendar; charset=utf-8")
            .header(header::CONTENT_DISPOSITION, file.disposition)
            .header(header::CACHE_CONTROL, "no-store")
            .header("x-content-type-options", "nosniff")
            .header("x-robots-tag", "noindex, nofollow")
            .body(file.text),
        Err(problem) => text_problem(&problem),
    }
}

/// A course a link opened, and its owner's nickname when they chose to show it.
struct Opened {
    course: Course,
    nickname: Option<String>,
}

/// What `text` opens: nothing unless it is a token of a stored, unexpired link to a course
/// that still exists.
async fn open_link(state: &AppState, text: &str) -> Result<Option<Opened>, StoreError> {
    let Some(token) = ShareToken::parse(text) else {
        return Ok(None);
    };
    let Some(share) = state.store.share(&token.hash()).await? else {
        return Ok(None);
    };
    if share.expires_at.is_some_and(|at| at <= state.clock.now().as_second()) {
        return Ok(None);
    }
    let Some(stored) = state.store.course(share.course).await? else {
        return Ok(None);
    };
    let nickname = match share.show_nickname {
        true => state.store.user(stored.author).await?.map(|user| user.nickname),
        false => None,
    };
    Ok(Some(Opened { course: decode(&stored)?, nickname }))
}

/// An HTML page with the headers every share page has.
fn page(status: StatusCode, html: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY.as_str())
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::VARY, "Accept-Language")
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header("x-content-type-options", "nosniff")
        .header("x-robots-tag", "noindex, nofollow")
        .body(html)
}

/// A calendar file that cannot be made as asked: plain text, for the person who asked.
fn text_problem(problem: &CalendarProblem) -> Response {
    (StatusCode::BAD_REQUEST, format!("{}: {problem}\n", problem.field())).into_response()
}
