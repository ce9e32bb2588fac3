//! The owner's side of sharing: `POST`/`DELETE /chat/chat/{id}/share/` make and revoke a
//! course's link, and `GET /chat/chat/{id}/ics` is the course as a calendar file. The pages a
//! link opens are `public.rs`'s.

use std::sync::Arc;

use fyd_core::course::{parse_date, Course};
use fyd_core::wire::{ShareLink, ShareRequest};
use fyd_core::FieldErrors;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use poem::Request;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::PlainText;
use poem_openapi::{ApiResponse, OpenApi};

use super::auth::BearerAuth;
use super::courses::{course_id, own_course};
use super::error::{error_set, ApiError, Failure};
use super::json::Json;
use super::ApiTags;
use crate::clock::iso_seoul;
use crate::share::ics::{self, Export, IcsError};
use crate::share::page::reader_lang;
use crate::share::{log_id, page_path, ShareToken};
use crate::state::AppState;
use crate::store::{CourseJson, ShareOutcome, ShareRecord, StoreError};

error_set!(ShareErrors: [400, 401, 403, 404, 413, 500]);
error_set!(RevokeErrors: [401, 403, 404, 500]);
error_set!(IcsErrors: [400, 401, 403, 404, 500]);

#[derive(ApiResponse)]
pub enum ShareResponse {
    /// The link, with its token (shown this once: the server keeps only a hash).
    #[oai(status = 201)]
    Created(Json<ShareLink>),
}

#[derive(ApiResponse)]
pub enum RevokeResponse {
    /// The course has no working link now (also when it had none); no body.
    #[oai(status = 204)]
    Revoked,
}

#[derive(ApiResponse)]
pub enum IcsResponse {
    /// iCalendar (RFC 5545): one event per stop, in Asia/Seoul time.
    #[oai(status = 200, content_type = "text/calendar; charset=utf-8")]
    Calendar(
        PlainText<String>,
        /// `attachment; filename="fyd-….ics"`.
        #[oai(header = "Content-Disposition")]
        String,
    ),
}

pub struct SharesApi {
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Sharing")]
impl SharesApi {
    /// Share one of my courses
    ///
    /// A link anyone can open without an account: `url` is a read-only page of the course, and
    /// `url` + `.ics` its calendar file. A course has one link at a time: sharing again gives a
    /// new link and the earlier one stops opening (`replaced`).
    #[oai(path = "/chat/chat/:id/share", method = "post", operation_id = "share_course")]
    async fn share(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        body: Json<ShareRequest>,
        request: &Request,
    ) -> Result<ShareResponse, Failure<ShareErrors>> {
        let id = course_id(&id.0).ok_or_else(ApiError::not_found)?;
        body.0.check().map_err(ApiError::invalid)?;
        let base =
            self.state.sharing.base_url(request.header("host")).ok_or_else(|| {
                ApiError::invalid(FieldErrors::single("Host", "Send a Host header (or start the server with --public-url)."))
            })?;
        let now = self.state.clock.now();
        let expires_at = match body.0.expires_in_secs {
            Some(secs) => Some(now.checked_add(SignedDuration::from_secs(secs as i64)).map_err(|_| ApiError::internal())?),
            None => None,
        };
        let token = ShareToken::generate();
        let hash = token.hash();
        let record = ShareRecord {
            course: id,
            created_at: iso_seoul(now),
            expires_at: expires_at.map(Timestamp::as_second),
            show_nickname: body.0.show_nickname,
        };
        match self.state.store.put_share(hash, record, auth.0.user_id).await? {
            ShareOutcome::Done { had_link } => {
                tracing::info!(course = id, link = %log_id(&hash), replaced = had_link, "share link made");
                Ok(ShareResponse::Created(Json(ShareLink {
                    url: format!("{base}{}", page_path(&token)),
                    token: token.expose().to_owned(),
                    expires_at: expires_at.map(iso_seoul),
                    replaced: had_link,
                })))
            }
            ShareOutcome::NotFound => Err(ApiError::not_found().into()),
            ShareOutcome::NotOwner => Err(ApiError::forbidden().into()),
        }
    }

    /// Revoke my course's share link
    ///
    /// The link stops opening at once, page and calendar file alike.
    #[oai(path = "/chat/chat/:id/share", method = "delete", operation_id = "revoke_share")]
    async fn revoke(&self, auth: BearerAuth, id: Path<String>) -> Result<RevokeResponse, Failure<RevokeErrors>> {
        let id = course_id(&id.0).ok_or_else(ApiError::not_found)?;
        match self.state.store.revoke_share(id, auth.0.user_id).await? {
            ShareOutcome::Done { had_link } => {
                if had_link {
                    tracing::info!(course = id, "share link revoked");
                }
                Ok(RevokeResponse::Revoked)
            }
            ShareOutcome::NotFound => Err(ApiError::not_found().into()),
            ShareOutcome::NotOwner => Err(ApiError::forbidden().into()),
        }
    }

    /// Get one of my courses as a calendar file
    ///
    /// One event per stop (start, end, place, coordinates, map link) in Asia/Seoul time; stops
    /// after midnight are on the next day. The day is the course's own `date`, or `date` here
    /// for a course planned for a season.
    #[oai(path = "/chat/chat/:id/ics", method = "get", operation_id = "course_ics")]
    async fn ics(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        /// The day (YYYY-MM-DD); needed when the course has no date of its own.
        date: Query<Option<String>>,
        /// `ko` or `en` for the events' words (Korean by default).
        #[oai(name = "Accept-Language")]
        accept_language: Header<Option<String>>,
    ) -> Result<IcsResponse, Failure<IcsErrors>> {
        let course = decode(&own_course(&self.state, &id.0, auth.0.user_id).await?)?;
        let file = calendar_file(&self.state, &course, date.0.as_deref(), accept_language.0.as_deref())
            .map_err(|problem| ApiError::invalid(FieldErrors::single(problem.field(), problem.to_string())))?;
        Ok(IcsResponse::Calendar(PlainText(file.text), file.disposition))
    }
}

/// A stored course, decoded (the share page and the calendar read its parts).
pub(super) fn decode(stored: &CourseJson) -> Result<Course, StoreError> {
    serde_json::from_slice(&stored.json).map_err(|err| StoreError::Corrupt(format!("course {}: {err}", stored.id)))
}

/// A calendar file and the `Content-Disposition` it is sent with.
pub(super) struct CalendarFile {
    pub text: String,
    pub disposition: String,
}

/// Why a course could not be made a calendar file: each is the asker's to fix.
#[derive(Debug, thiserror::Error)]
pub(super) enum CalendarProblem {
    #[error("Use a real day as YYYY-MM-DD.")]
    BadDate,
    #[error("This course has no date of its own: say which day (date=YYYY-MM-DD).")]
    NoDate,
    #[error(transparent)]
    Course(#[from] IcsError),
}

impl CalendarProblem {
    /// The request field it is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::BadDate | Self::NoDate => "date",
            Self::Course(_) => "stops",
        }
    }
}

/// `course` as a calendar file on the day asked for, else on its own date.
pub(super) fn calendar_file(
    state: &AppState,
    course: &Course,
    asked: Option<&str>,
    accept_language: Option<&str>,
) -> Result<CalendarFile, CalendarProblem> {
    let date: Date = match asked {
        Some(text) => parse_date(text).ok_or(CalendarProblem::BadDate)?,
        None => course.content.date.as_deref().and_then(parse_date).ok_or(CalendarProblem::NoDate)?,
    };
    let export = Export {
        content: &course.content,
        date,
        uid: format!("course{}", course.id),
        lang: reader_lang(accept_language),
        now: state.clock.now(),
    };
    Ok(CalendarFile { text: ics::calendar(&export)?, disposition: format!("attachment; filename=\"fyd-{date}.ics\"") })
}
