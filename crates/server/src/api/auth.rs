//! The bearer-token security scheme: an extractor that yields the [`Principal`] of a live
//! access token or answers 401 `token_not_valid`.

use std::sync::Arc;

use poem::Request;
use poem_openapi::auth::Bearer;
use poem_openapi::SecurityScheme;

use crate::auth::sessions::Principal;
use crate::state::AppState;

/// A JWT access token from `POST /user/login/` or `/user/join/`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "authenticate")]
pub struct BearerAuth(pub Principal);

async fn authenticate(request: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let state = request.data::<Arc<AppState>>().expect("AppState is attached to every route");
    Ok(state.sessions.authenticate(&bearer.token, state.clock.now()).await.map_err(super::error::ApiError::from)?)
}
