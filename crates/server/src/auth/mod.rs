//! Credentials: argon2id password hashes, JWT access/refresh tokens, login sessions over the
//! store, and the throttle on failed logins. Nothing here talks HTTP.

pub mod password;
pub mod sessions;
pub mod throttle;
pub mod tokens;
