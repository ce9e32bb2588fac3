//! A course for someone without an account: share links, the read-only page they open, and
//! the course as a calendar file.
//!
//! A share link is `/s/{token}`, where the token is 256 random bits (base64url, 43
//! characters). The store keeps only the token's SHA-256 ([`ShareToken::hash`]), so neither a
//! copy of the database nor a log opens a course: logs name a link by [`log_id`], a short
//! prefix of that hash. A course has at most one link; sharing again replaces it, and revoking
//! or deleting the course ends it.
//!
//! - [`page`]: the page (maud templates, every value escaped), its Content-Security-Policy and
//!   the reader's language from `Accept-Language`.
//! - [`ics`]: the course as an iCalendar file (the `icalendar` crate), one event per stop.
//! - [`limit`]: the per-IP limit on share-page requests.
//!
//! Nothing here reads the store or speaks poem's routing; `api::shares` (the owner's API)
//! and `api::public` (the `/s/` pages) do.

pub mod ics;
pub mod limit;
pub mod page;

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::store::ShareTokenHash;

/// What sharing needs besides the store: where links point, and the share-page limit.
pub struct Sharing {
    /// `--public-url`, without its trailing slash.
    pub public_url: Option<String>,
    /// Whether this server speaks HTTPS itself: the scheme of links made from `Host`.
    pub https: bool,
    /// `None`: no limit.
    pub limit: Option<limit::PageLimit>,
}

impl Sharing {
    /// Where links point: `--public-url`, else this server as the request named it in `Host`
    /// (the owner's own request, so a forged `Host` only misleads its sender). `None` without
    /// a usable `Host`.
    pub fn base_url(&self, host: Option<&str>) -> Option<String> {
        if let Some(url) = &self.public_url {
            return Some(url.clone());
        }
        let host: poem::http::uri::Authority = host?.parse().ok()?;
        let scheme = if self.https { "https" } else { "http" };
        (!host.as_str().contains('@')).then(|| format!("{scheme}://{host}"))
    }
}

/// Random bytes in a token: 256 bits, far past guessing.
const TOKEN_BYTES: usize = 32;

/// The secret part of a share link. Its `Debug` hides it, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ShareToken(String);

impl ShareToken {
    /// A new token from the operating system's randomness (rand's thread generator, a CSPRNG).
    pub fn generate() -> Self {
        Self(URL_SAFE_NO_PAD.encode(rand::random::<[u8; TOKEN_BYTES]>()))
    }

    /// The token in a link, if it is one this server could have made (anything else is a 404
    /// without a look in the store).
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        (bytes.len() == TOKEN_BYTES && URL_SAFE_NO_PAD.encode(&bytes) == text).then(|| Self(text.to_owned()))
    }

    /// What the store keeps and looks the link up by.
    pub fn hash(&self) -> ShareTokenHash {
        Sha256::digest(self.0.as_bytes()).into()
    }

    /// The token itself, for the link handed to its owner: never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ShareToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShareToken(…)")
    }
}

/// How logs name a share link: the first 8 hex digits of its token's hash, which say nothing
/// about the token.
pub fn log_id(hash: &ShareTokenHash) -> String {
    hash[..4].iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The path of a share page.
pub fn page_path(token: &ShareToken) -> String {
    format!("{}{}", fyd_core::wire::paths::SHARE_PAGES, token.expose())
}

/// A link a page may point to: an `https://` URL, written as the `url` crate normalises it
/// (percent-encoded, no spaces or line breaks). Courses can be saved with any text through
/// the API, so a stored `map_url` is used only when it passes.
pub fn safe_link(text: &str) -> Option<String> {
    url::Url::parse(text).ok().filter(|url| url.scheme() == "https" && url.host().is_some()).map(String::from)
}

/// A stop's map link: its own when it is a safe link, else a Kakao Map pin made from its name
/// and coordinates.
pub fn map_link(stop: &fyd_core::course::Stop) -> String {
    safe_link(&stop.map_url).unwrap_or_else(|| fyd_core::render::map_url(&stop.name, stop.lat, stop.lon))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_random_bits_and_only_well_formed_ones_parse() {
        let token = ShareToken::generate();
        assert_eq!(token.expose().len(), 43);
        assert_ne!(token, ShareToken::generate());
        assert_eq!(ShareToken::parse(token.expose()), Some(token.clone()));
        assert_eq!(token.hash(), ShareToken::parse(token.expose()).unwrap().hash());
        for bad in ["", "abc", &token.expose()[..42], &format!("{}A", token.expose()), &"+".repeat(43)] {
            assert_eq!(ShareToken::parse(bad), None, "{bad}");
        }
        assert!(!format!("{token:?}").contains(token.expose()));
        assert_eq!(log_id(&token.hash()).len(), 8);
    }

    #[test]
    fn links_point_to_the_public_url_or_the_host_asked() {
        let mut sharing = Sharing { public_url: None, https: false, limit: None };
        assert_eq!(sharing.base_url(Some("127.0.0.1:8000")).as_deref(), Some("http://127.0.0.1:8000"));
        assert_eq!(sharing.base_url(Some("user@evil.example")), None);
        assert_eq!(sharing.base_url(Some("a b")), None);
        assert_eq!(sharing.base_url(None), None);
        sharing.https = true;
        assert_eq!(sharing.base_url(Some("fyd.example.com")).as_deref(), Some("https://fyd.example.com"));
        sharing.public_url = Some("https://dates.example.com".into());
        assert_eq!(sharing.base_url(None).as_deref(), Some("https://dates.example.com"));
    }

    #[test]
    fn only_https_links_are_linked() {
        assert_eq!(
            safe_link("https://map.kakao.com/link/map/x,37.5,127.0").as_deref(),
            Some("https://map.kakao.com/link/map/x,37.5,127.0")
        );
        for bad in ["javascript:alert(1)", "data:text/html,<script>", "http://example.com/", "/relative", "https://"] {
            assert_eq!(safe_link(bad), None, "{bad}");
        }
        assert!(!safe_link("https://example.com/a b\r\nX: y").unwrap().contains(['\r', '\n', ' ']));
    }
}
