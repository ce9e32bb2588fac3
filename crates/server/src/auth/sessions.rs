//! Login sessions, the unit of revocation: opening one (its first token pair), recognising a
//! live access token, refreshing (with rotation and reuse detection) and closing.
//!
//! Every token names its session, and a token is only good while its session is stored, so
//! closing a session kills its access and refresh tokens at once. Nothing here speaks HTTP:
//! `api/` answers every [`SessionError::InvalidToken`] with 401 `token_not_valid`.

use std::sync::Arc;

use jiff::Timestamp;

use super::tokens::{random_id, Issued, TokenIssuer, TokenType};
use crate::store::{RefreshOutcome, SessionRecord, Store, StoreError};

pub struct Sessions {
    store: Arc<dyn Store>,
    tokens: TokenIssuer,
}

/// The user and session behind a live access token.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: u64,
    pub session_id: String,
}

/// The first tokens of a new session.
pub struct Opened {
    pub access: Issued,
    pub refresh: Issued,
}

/// A new access token, and a new refresh token when the old one was rotated away.
pub struct Refreshed {
    pub access: Issued,
    pub refresh: Option<Issued>,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Malformed, wrongly signed, expired, of the wrong type, not the caller's, rotated away,
    /// or its session has ended.
    #[error("the token is invalid, expired or revoked")]
    InvalidToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Sessions {
    pub fn new(store: Arc<dyn Store>, tokens: TokenIssuer) -> Self {
        Self { store, tokens }
    }

    /// Starts a session for `user_id` and signs its first token pair.
    pub async fn open(&self, user_id: u64, now: Timestamp) -> Result<Opened, StoreError> {
        let session = SessionRecord { id: random_id(), user_id, refresh_generation: 0 };
        self.store.create_session(&session).await?;
        Ok(Opened { access: self.tokens.access(user_id, &session.id, now), refresh: self.tokens.refresh(user_id, &session.id, 0, now) })
    }

    /// Accepts only a live access token: right signature and type, not expired, and its
    /// session not ended.
    pub async fn authenticate(&self, access_token: &str, now: Timestamp) -> Result<Principal, SessionError> {
        let claims = self.tokens.decode(access_token, TokenType::Access, now).map_err(|_| SessionError::InvalidToken)?;
        let user_id = claims.user_id().ok_or(SessionError::InvalidToken)?;
        match self.store.session(&claims.sid).await? {
            Some(session) if session.user_id == user_id => Ok(Principal { user_id, session_id: claims.sid.clone() }),
            _ => Err(SessionError::InvalidToken),
        }
    }

    /// A new access token for a live refresh token. With `rotate`, the refresh token is
    /// retired and a new one issued; presenting a retired one again ends the whole session.
    pub async fn refresh(&self, refresh_token: &str, rotate: bool, now: Timestamp) -> Result<Refreshed, SessionError> {
        let claims = self.tokens.decode(refresh_token, TokenType::Refresh, now).map_err(|_| SessionError::InvalidToken)?;
        let user_id = claims.user_id().ok_or(SessionError::InvalidToken)?;
        let (session, rotated) = match self.store.present_refresh(&claims.sid, user_id, claims.generation, rotate).await? {
            RefreshOutcome::Kept(session) => (session, false),
            RefreshOutcome::Rotated(session) => (session, true),
            RefreshOutcome::ReuseDetected => {
                tracing::warn!(user = user_id, "rotated-away refresh token presented again; session revoked");
                return Err(SessionError::InvalidToken);
            }
            RefreshOutcome::NoSession => return Err(SessionError::InvalidToken),
        };
        Ok(Refreshed {
            access: self.tokens.access(user_id, &session.id, now),
            refresh: rotated.then(|| self.tokens.refresh(user_id, &session.id, session.refresh_generation, now)),
        })
    }

    /// Ends the caller's session and the one `refresh_token` belongs to (normally the same),
    /// which must be the caller's own.
    pub async fn close(&self, principal: &Principal, refresh_token: &str, now: Timestamp) -> Result<(), SessionError> {
        let claims = self.tokens.decode(refresh_token, TokenType::Refresh, now).map_err(|_| SessionError::InvalidToken)?;
        if claims.user_id() != Some(principal.user_id) {
            return Err(SessionError::InvalidToken);
        }
        self.store.revoke_session(&principal.session_id).await?;
        if claims.sid != principal.session_id {
            self.store.revoke_session(&claims.sid).await?;
        }
        Ok(())
    }
}
