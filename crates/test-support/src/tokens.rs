//! Forged tokens for the authorization suites. A server started with [`known_secret`] signs
//! with [`SECRET`], so a test can take a live token, change exactly one thing (its signature,
//! algorithm, type or subject) and sign the rest as the server would: each forgery is then
//! refused for that one reason, and [`resigned`] with nothing changed is accepted.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use fyd_server::config::Secret;
use fyd_server::Settings;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

/// The signing secret of a server started with [`known_secret`].
pub const SECRET: &str = "fyd test signing secret: 32 bytes or more";

/// A key the server does not know.
pub const OTHER_SECRET: &str = "not fyd's secret, though just as long";

/// Settings tweak: sign with [`SECRET`].
pub fn known_secret(settings: &mut Settings) {
    settings.jwt_secret = Some(Secret::new(SECRET));
}

/// The claims of `token`, unverified.
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url claims")).expect("JSON claims")
}

/// `claims` signed with `algorithm` (an HMAC one) and `key`.
pub fn sign(claims: &Value, algorithm: Algorithm, key: &str) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(key.as_bytes())).expect("HMAC signing")
}

/// `token`'s claims edited by `edit`, signed as the server signs (HS256 with [`SECRET`]).
pub fn resigned(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut claims = claims(token);
    edit(&mut claims);
    sign(&claims, Algorithm::HS256, SECRET)
}

/// `token` with the first character of its signature changed: header and claims untouched.
pub fn with_signature_changed(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').expect("a JWT has a signature");
    let first = if signature.starts_with('A') { 'B' } else { 'A' };
    format!("{signed}.{first}{}", &signature[1..])
}

/// `token` with its header swapped for `{"alg":"none"}` and no signature: the classic forgery
/// a JWT library must refuse.
pub fn alg_none(token: &str) -> String {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#))
}
