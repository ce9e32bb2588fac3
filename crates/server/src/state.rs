//! What every handler shares: the store, the token issuer, the clock, the login throttle and
//! the daily quota and the recommendation provider; and the few operations several endpoints need (sessions, quota view).

use std::sync::Arc;

use fyd_core::wire::{Quota, TokenPair, User};

use crate::api::error::ApiError;
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::{random_id, TokenIssuer, TokenType};
use crate::clock::{iso_seoul, next_seoul_midnight, seoul_day, Clock};
use crate::provider::Provider;
use crate::store::{SessionRecord, Store, UserRecord};

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub tokens: TokenIssuer,
    pub clock: Arc<dyn Clock>,
    pub throttle: LoginThrottle,
    pub daily_quota: u32,
    pub provider: Arc<dyn Provider>,
    /// Between keep-alive comments on event streams.
    pub keep_alive: std::time::Duration,
}

/// The user and session behind a live access token.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: u64,
    pub session_id: String,
}

impl AppState {
    /// Starts a session for `user` and signs its first token pair.
    pub async fn open_session(&self, user: &UserRecord) -> Result<TokenPair, ApiError> {
        let session = SessionRecord { id: random_id(), user_id: user.id, refresh_generation: 0 };
        self.store.create_session(&session).await?;
        let now = self.clock.now();
        let access = self.tokens.access(user.id, &session.id, now);
        let refresh = self.tokens.refresh(user.id, &session.id, 0, now);
        Ok(TokenPair {
            access: access.token,
            refresh: refresh.token,
            user: self.user_view(user).await?,
            access_expiration: iso_seoul(access.expires_at),
            refresh_expiration: iso_seoul(refresh.expires_at),
        })
    }

    /// Accepts only a live access token: right signature and type, not expired, and its
    /// session not revoked.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, ApiError> {
        let claims = self.tokens.decode(token, TokenType::Access, self.clock.now()).map_err(|_| ApiError::token_not_valid())?;
        let user_id = claims.user_id().ok_or_else(ApiError::token_not_valid)?;
        match self.store.session(&claims.sid).await? {
            Some(session) if session.user_id == user_id => Ok(Principal { user_id, session_id: claims.sid.clone() }),
            _ => Err(ApiError::token_not_valid()),
        }
    }

    pub async fn user_view(&self, user: &UserRecord) -> Result<User, ApiError> {
        Ok(User { pk: user.id, email: user.email.clone(), nickname: user.nickname.clone(), quota: self.quota_view(user.id).await? })
    }

    pub async fn quota_view(&self, user_id: u64) -> Result<Quota, ApiError> {
        let now = self.clock.now();
        let remaining = match self.daily_quota {
            0 => None,
            limit => {
                let used = self.store.quota_used(user_id, &seoul_day(now).to_string()).await?;
                Some(limit.saturating_sub(used))
            }
        };
        Ok(Quota { limit: self.daily_quota, remaining, resets_at: iso_seoul(next_seoul_midnight(now)) })
    }
}
