//! `/user/…`: join, login, logout, token refresh and verify, and the current user.

use std::sync::Arc;

use fyd_core::account::{email_key, validate_join};
use fyd_core::wire::{
    Detail, Empty, JoinRequest, LoginRequest, LogoutRequest, RefreshRequest, RefreshResponse, TokenPair, User, VerifyRequest,
};
use fyd_core::FieldErrors;
use poem_openapi::{ApiResponse, OpenApi};

use super::auth::BearerAuth;
use super::error::{error_set, ApiError, Failure};
use super::json::Json;
use super::ApiTags;
use crate::auth::password;
use crate::auth::sessions::{Opened, Refreshed};
use crate::clock::iso_seoul;
use crate::state::AppState;
use crate::store::{NewUser, StoreError, UserRecord};

error_set!(JoinErrors: [400, 413, 500]);
error_set!(LoginErrors: [400, 413, 429, 500]);
error_set!(TokenErrors: [400, 401, 413, 500]);
error_set!(UserErrors: [401, 500]);

#[derive(ApiResponse)]
pub enum JoinResponse {
    /// The account exists and its first session is open.
    #[oai(status = 201)]
    Created(Json<TokenPair>),
}

pub struct AccountsApi {
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Accounts")]
impl AccountsApi {
    /// Create an account (and log in)
    ///
    /// Emails are unique case-insensitively, nicknames too; one message answers both, as
    /// the old service did. Passwords follow Django's rules: at least 8 characters, not only
    /// digits, not common, not close to the email or nickname.
    #[oai(path = "/user/join", method = "post", operation_id = "join")]
    async fn join(&self, body: Json<JoinRequest>) -> Result<JoinResponse, Failure<JoinErrors>> {
        let account = validate_join(&body.0).map_err(ApiError::invalid)?;
        let password_hash = password::hash(account.password).await.map_err(|err| {
            tracing::error!(error = %err, "password hashing failed");
            ApiError::internal()
        })?;
        let new_user =
            NewUser { email: account.email, nickname: account.nickname, password_hash, created_at: iso_seoul(self.state.clock.now()) };
        let user = match self.state.store.create_user(new_user).await {
            Err(StoreError::AlreadyRegistered) => {
                Err(ApiError::bad_request("already_registered", "A user is already registered with this email address or nickname."))?
            }
            other => other?,
        };
        tracing::info!(user = user.id, "account created");
        Ok(JoinResponse::Created(Json(self.open_session(&user).await?)))
    }

    /// Log in
    ///
    /// An unknown email and a wrong password get the same answer in about the same time.
    /// After repeated failures for one email, further attempts get 429 for a while.
    #[oai(path = "/user/login", method = "post", operation_id = "login")]
    async fn login(&self, body: Json<LoginRequest>) -> Result<Json<TokenPair>, Failure<LoginErrors>> {
        let LoginRequest { email, password } = body.0;
        let mut blanks = FieldErrors::new();
        for (field, value) in [("email", &email), ("password", &password)] {
            if value.trim().is_empty() {
                blanks.add(field, "This field may not be blank.");
            }
        }
        blanks.finish(()).map_err(ApiError::invalid)?;
        let key = email_key(&email);
        let now = self.state.clock.now();
        if let Some(seconds) = self.state.throttle.retry_after(&key, now).await? {
            Err(ApiError::too_many(
                "too_many_attempts",
                format!("Too many failed logins for this email; try again in {} minutes.", seconds.div_ceil(60)),
                seconds,
            ))?;
        }
        let user = self.state.store.user_by_email(&email).await?;
        // Always hash, so an unknown email costs the same time as a wrong password.
        let valid = password::verify(user.as_ref().map(|u| u.password_hash.clone()), password).await;
        match user {
            Some(user) if valid => {
                self.state.throttle.clear(&key).await?;
                Ok(Json(self.open_session(&user).await?))
            }
            _ => {
                self.state.throttle.record_failure(&key, now).await?;
                Err(ApiError::bad_request("invalid_credentials", "Unable to log in with provided credentials.").into())
            }
        }
    }

    /// Log out
    ///
    /// Revokes the session: its refresh token and every access token of it stop working.
    #[oai(path = "/user/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, auth: BearerAuth, body: Json<LogoutRequest>) -> Result<Json<Detail>, Failure<TokenErrors>> {
        self.state.sessions.close(&auth.0, &body.0.refresh, self.state.clock.now()).await?;
        Ok(Json(Detail { detail: "Successfully logged out.".to_owned() }))
    }

    /// Get a new access token
    ///
    /// Without `rotate` the same refresh token can be used again until it expires or its
    /// session is revoked (the old web front relies on this). With `rotate: true` a new
    /// refresh token is issued and the old one dies; presenting a rotated-away token again
    /// revokes the whole session.
    #[oai(path = "/user/token/refresh", method = "post", operation_id = "token_refresh")]
    async fn refresh(&self, body: Json<RefreshRequest>) -> Result<Json<RefreshResponse>, Failure<TokenErrors>> {
        let RefreshRequest { refresh, rotate } = body.0;
        let Refreshed { access, refresh } = self.state.sessions.refresh(&refresh, rotate, self.state.clock.now()).await?;
        Ok(Json(RefreshResponse {
            access: access.token,
            access_expiration: iso_seoul(access.expires_at),
            refresh_expiration: refresh.as_ref().map(|r| iso_seoul(r.expires_at)),
            refresh: refresh.map(|r| r.token),
        }))
    }

    /// Check a token
    ///
    /// 200 only for a live access token (not a refresh token, not a revoked session).
    #[oai(path = "/user/token/verify", method = "post", operation_id = "token_verify")]
    async fn verify(&self, body: Json<VerifyRequest>) -> Result<Json<Empty>, Failure<TokenErrors>> {
        self.state.sessions.authenticate(&body.0.token, self.state.clock.now()).await?;
        Ok(Json(Empty {}))
    }

    /// The current user, with today's quota
    #[oai(path = "/user/user", method = "get", operation_id = "current_user")]
    async fn user(&self, auth: BearerAuth) -> Result<Json<User>, Failure<UserErrors>> {
        let user = self.state.store.user(auth.0.user_id).await?.ok_or_else(ApiError::token_not_valid)?;
        Ok(Json(self.user_view(&user).await?))
    }
}

impl AccountsApi {
    /// Starts a session for `user`: its first token pair, as join and login answer.
    async fn open_session(&self, user: &UserRecord) -> Result<TokenPair, StoreError> {
        let Opened { access, refresh } = self.state.sessions.open(user.id, self.state.clock.now()).await?;
        Ok(TokenPair {
            access: access.token,
            refresh: refresh.token,
            user: self.user_view(user).await?,
            access_expiration: iso_seoul(access.expires_at),
            refresh_expiration: iso_seoul(refresh.expires_at),
        })
    }

    /// A user as the API shows it, with today's quota.
    async fn user_view(&self, user: &UserRecord) -> Result<User, StoreError> {
        let quota = self.state.quota.standing(user.id, self.state.clock.now()).await?;
        Ok(User { pk: user.id, email: user.email.clone(), nickname: user.nickname.clone(), quota: quota.into() })
    }
}
