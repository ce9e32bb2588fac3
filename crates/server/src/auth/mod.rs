//! Credentials: argon2id password hashes, JWT access/refresh tokens, and the throttle on
//! failed logins. Nothing here talks HTTP or storage.

pub mod password;
pub mod throttle;
pub mod tokens;
