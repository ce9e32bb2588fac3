//! `/chat/chat/…`: a user's saved courses. Only the owner ever sees or deletes a course.

use std::sync::Arc;

use fyd_core::course::{validate_content, Course, CourseContent};
use fyd_core::wire::paths;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, OpenApi};

use super::auth::BearerAuth;
use super::error::{error_set, ApiError, Failure};
use super::json::{EncodedJson, Json};
use super::ApiTags;
use crate::clock::iso_seoul;
use crate::state::AppState;
use crate::store::{CourseJson, DeleteOutcome};

pub const DEFAULT_PAGE: usize = 100;

error_set!(ListErrors: [400, 401, 500]);
error_set!(CreateErrors: [400, 401, 413, 500]);
error_set!(CourseErrors: [401, 403, 404, 500]);

#[derive(ApiResponse)]
pub enum ListResponse {
    /// The caller's courses, newest first.
    #[oai(status = 200)]
    Ok(
        EncodedJson<Vec<Course>>,
        /// `<…?before=ID&limit=N>; rel="next"` when more courses exist.
        #[oai(header = "Link")]
        Option<String>,
    ),
}

#[derive(ApiResponse)]
pub enum CreateResponse {
    #[oai(status = 201)]
    Created(Json<Course>),
}

#[derive(ApiResponse)]
pub enum DeleteResponse {
    /// Deleted; no body.
    #[oai(status = 204)]
    Deleted,
}

pub struct CoursesApi {
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Courses")]
impl CoursesApi {
    /// List my saved courses
    ///
    /// Newest first, `limit` (1–100, default 100) at a time; a `Link` header with
    /// `rel="next"` points to the next page.
    #[oai(path = "/chat/chat", method = "get", operation_id = "list_courses")]
    async fn list(
        &self,
        auth: BearerAuth,
        /// Page size, 1–100 (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// Only courses with an id below this one.
        #[oai(validator(minimum(value = "0")))]
        before: Query<Option<u64>>,
    ) -> Result<ListResponse, Failure<ListErrors>> {
        let limit = limit.0.map_or(DEFAULT_PAGE, |n| n as usize);
        let mut courses = self.state.store.list_courses(auth.0.user_id, before.0, limit + 1).await?;
        let next = (courses.len() > limit).then(|| {
            courses.truncate(limit);
            let last = courses.last().map_or(0, |c| c.id);
            format!("<{}?before={last}&limit={limit}>; rel=\"next\"", paths::COURSES)
        });
        Ok(ListResponse::Ok(EncodedJson::array(courses.iter().map(|c| c.json.as_ref())), next))
    }

    /// Save a course
    ///
    /// `id`, `author` and `created_at` in the body are ignored.
    #[oai(path = "/chat/chat", method = "post", operation_id = "create_course")]
    async fn create(&self, auth: BearerAuth, body: Json<CourseContent>) -> Result<CreateResponse, Failure<CreateErrors>> {
        validate_content(&body.0).map_err(ApiError::invalid)?;
        let created_at = iso_seoul(self.state.clock.now());
        let course = self.state.store.create_course(auth.0.user_id, created_at, body.0).await?;
        Ok(CreateResponse::Created(Json(course)))
    }

    /// Get one of my courses
    #[oai(path = "/chat/chat/:id", method = "get", operation_id = "get_course")]
    async fn detail(&self, auth: BearerAuth, id: Path<String>) -> Result<EncodedJson<Course>, Failure<CourseErrors>> {
        Ok(EncodedJson::new(own_course(&self.state, &id.0, auth.0.user_id).await?.json))
    }

    /// Delete one of my courses
    #[oai(path = "/chat/chat/:id", method = "delete", operation_id = "delete_course")]
    async fn delete(&self, auth: BearerAuth, id: Path<String>) -> Result<DeleteResponse, Failure<CourseErrors>> {
        let id = course_id(&id.0).ok_or_else(ApiError::not_found)?;
        match self.state.store.delete_course(id, auth.0.user_id).await? {
            DeleteOutcome::Deleted => Ok(DeleteResponse::Deleted),
            DeleteOutcome::NotFound => Err(ApiError::not_found().into()),
            DeleteOutcome::NotOwner => Err(ApiError::forbidden().into()),
        }
    }
}

/// A course id in a path; anything else is no course (a 404).
pub(super) fn course_id(text: &str) -> Option<u64> {
    text.parse().ok()
}

/// The stored course a path names, if `user` wrote it: 404 when there is none (or the id is
/// not one), 403 when someone else did — the old front shows a different message for each.
pub(super) async fn own_course(state: &AppState, id: &str, user: u64) -> Result<CourseJson, ApiError> {
    let id = course_id(id).ok_or_else(ApiError::not_found)?;
    let course = state.store.course(id).await?.ok_or_else(ApiError::not_found)?;
    if course.author != user {
        return Err(ApiError::forbidden());
    }
    Ok(course)
}
