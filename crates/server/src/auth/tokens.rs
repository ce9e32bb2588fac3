//! JWT access and refresh tokens (HS256, algorithm pinned).
//!
//! Claims: `sub` (user id), `iat`, `exp`, `token_type` ("access" | "refresh"), `sid` (the
//! session, which revocation removes), `generation` (refresh tokens: which rotation of the
//! session this token is) and `jti`. Expiry is checked against the injected clock rather than
//! jsonwebtoken's own reading of the system time, so tests can age tokens instantly.
//!
//! Verified tokens are remembered (bounded, keyed by the whole token string): a client sends
//! the same access token on every request, and jsonwebtoken's verification (header and claims
//! parsed twice, an HMAC set up per call) was a tenth of a course read's CPU. Only a token
//! whose exact bytes once passed verification can hit; type and expiry are checked every time.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub token_type: TokenType,
    pub sid: String,
    #[serde(default)]
    pub generation: u32,
    pub jti: String,
}

impl Claims {
    pub fn user_id(&self) -> Option<u64> {
        self.sub.parse().ok()
    }
}

/// A signed token and the instant it stops being valid.
pub struct Issued {
    pub token: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token is malformed or its signature is wrong")]
    Invalid,
    #[error("token has expired")]
    Expired,
    #[error("token is of the wrong type")]
    WrongType,
}

pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: SignedDuration,
    refresh_ttl: SignedDuration,
    verified: quick_cache::sync::Cache<String, Arc<Claims>>,
}

/// How many verified tokens are remembered: ~0.5 KB each, so at most ~2 MB.
const VERIFIED_TOKENS: usize = 4096;

impl TokenIssuer {
    pub fn new(secret: &[u8], access_ttl: SignedDuration, refresh_ttl: SignedDuration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
            refresh_ttl,
            verified: quick_cache::sync::Cache::new(VERIFIED_TOKENS),
        }
    }

    pub fn access(&self, user_id: u64, session_id: &str, now: Timestamp) -> Issued {
        self.sign(TokenType::Access, user_id, session_id, 0, now, self.access_ttl)
    }

    pub fn refresh(&self, user_id: u64, session_id: &str, generation: u32, now: Timestamp) -> Issued {
        self.sign(TokenType::Refresh, user_id, session_id, generation, now, self.refresh_ttl)
    }

    fn sign(&self, token_type: TokenType, user_id: u64, session_id: &str, generation: u32, now: Timestamp, ttl: SignedDuration) -> Issued {
        let expires_at = now + ttl;
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.as_second(),
            exp: expires_at.as_second(),
            token_type,
            sid: session_id.to_owned(),
            generation,
            jti: random_id(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail");
        Issued { token, expires_at }
    }

    /// Verifies signature, algorithm, type and expiry. Session liveness is the caller's check.
    pub fn decode(&self, token: &str, expected: TokenType, now: Timestamp) -> Result<Arc<Claims>, TokenError> {
        let claims = match self.verified.get(token) {
            Some(claims) => claims,
            None => {
                let claims =
                    jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|_| TokenError::Invalid)?.claims;
                let claims = Arc::new(claims);
                self.verified.insert(token.to_owned(), claims.clone());
                claims
            }
        };
        if claims.token_type != expected {
            return Err(TokenError::WrongType);
        }
        if claims.exp <= now.as_second() {
            return Err(TokenError::Expired);
        }
        if claims.user_id().is_none() {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

/// 128 random bits as hex: session ids and token ids.
pub fn random_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(b"test secret", SignedDuration::from_mins(60), SignedDuration::from_hours(24 * 7))
    }

    #[test]
    fn round_trips_and_pins_type_and_expiry() {
        let now: Timestamp = "2026-11-26T00:00:00Z".parse().unwrap();
        let tokens = issuer();
        let access = tokens.access(7, "sid", now);
        let claims = tokens.decode(&access.token, TokenType::Access, now).unwrap();
        assert_eq!((claims.user_id(), claims.sid.as_str()), (Some(7), "sid"));
        assert_eq!(tokens.decode(&access.token, TokenType::Refresh, now).unwrap_err(), TokenError::WrongType);
        let later = now + SignedDuration::from_mins(60);
        assert_eq!(tokens.decode(&access.token, TokenType::Access, later).unwrap_err(), TokenError::Expired);
        let other = TokenIssuer::new(b"other", SignedDuration::from_mins(1), SignedDuration::from_mins(1));
        assert_eq!(other.decode(&access.token, TokenType::Access, now).unwrap_err(), TokenError::Invalid);
    }

    #[test]
    fn a_remembered_token_is_still_checked_for_type_and_expiry_and_a_tampered_one_misses() {
        let now: Timestamp = "2026-11-26T00:00:00Z".parse().unwrap();
        let tokens = issuer();
        let access = tokens.access(7, "sid", now).token;
        tokens.decode(&access, TokenType::Access, now).unwrap();
        // Now remembered: the checks after verification still apply.
        assert_eq!(tokens.decode(&access, TokenType::Refresh, now).unwrap_err(), TokenError::WrongType);
        assert_eq!(tokens.decode(&access, TokenType::Access, now + SignedDuration::from_mins(60)).unwrap_err(), TokenError::Expired);
        // A token differing in one byte of its signature is verified afresh, and fails.
        let mut tampered = access.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(tokens.decode(&tampered, TokenType::Access, now).unwrap_err(), TokenError::Invalid);
        assert_eq!(tokens.decode(&access, TokenType::Access, now).unwrap().user_id(), Some(7));
    }
}
