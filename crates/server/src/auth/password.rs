//! argon2id password hashing with OWASP's parameters (19 MiB, 2 passes, 1 lane).
//!
//! Hashing takes tens of milliseconds of CPU and 19 MiB on purpose, so it runs on tokio's
//! blocking pool (logins never stall the executor that serves everyone else), and at most one
//! hash per core runs at a time: a burst of logins queues instead of taking every core and
//! hundreds of megabytes.

use std::sync::LazyLock;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// One permit per core.
static HASHING: LazyLock<tokio::sync::Semaphore> =
    LazyLock::new(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

async fn on_hashing_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
    let _permit = HASHING.acquire().await.map_err(|err| HashError(err.to_string()))?;
    tokio::task::spawn_blocking(work).await.map_err(|err| HashError(err.to_string()))
}

pub async fn hash(password: String) -> Result<String, HashError> {
    on_hashing_pool(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await?
    .map_err(|err| HashError(err.to_string()))
}

/// Checks `password` against a stored hash; with no stored hash (unknown email) it checks a
/// dummy one, so that both failures cost the same time and cannot be told apart.
pub async fn verify(stored_hash: Option<String>, password: String) -> bool {
    static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
        let salt = SaltString::generate(&mut OsRng);
        hasher().hash_password(b"fyd dummy password", &salt).expect("hashing works").to_string()
    });
    let is_real = stored_hash.is_some();
    on_hashing_pool(move || {
        let hash = stored_hash.unwrap_or_else(|| DUMMY_HASH.clone());
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        hasher().verify_password(password.as_bytes(), &parsed).is_ok() && is_real
    })
    .await
    .unwrap_or(false)
}
