//! `fyd-server`'s settings: flags, each with an environment variable and a default that
//! works with no configuration at all.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use crate::store::url::DatabaseUrl;

/// Reads a database URL for clap, saying what is wrong with it without repeating it: clap's
/// own message quotes the value, and a PostgreSQL URL may hold a password.
#[derive(Debug, Clone, Copy)]
pub struct DatabaseUrlParser;

impl clap::builder::TypedValueParser for DatabaseUrlParser {
    type Value = DatabaseUrl;

    fn parse_ref(&self, _: &clap::Command, arg: Option<&clap::Arg>, value: &std::ffi::OsStr) -> Result<DatabaseUrl, clap::Error> {
        let name = arg
            .map(|arg| {
                let flag = arg.get_long().map_or_else(|| arg.get_id().to_string(), |long| format!("--{long}"));
                arg.get_env().map_or(flag.clone(), |env| format!("{flag} ({})", env.to_string_lossy()))
            })
            .unwrap_or_else(|| "the database URL".to_owned());
        let invalid = |why: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid {name} (not shown: it may hold a password): {why}\n"),
            )
        };
        value
            .to_str()
            .ok_or_else(|| invalid("not UTF-8".to_owned()))?
            .parse()
            .map_err(|err: crate::store::url::UrlError| invalid(err.to_string()))
    }
}

/// Let's Encrypt's production ACME directory, the default of `--acme-directory`.
pub const LETS_ENCRYPT_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";

#[derive(Debug, Clone, Parser)]
#[command(name = "fyd-server", version, about = "fyd's API server: accounts, tokens, saved date courses and recommendations.")]
pub struct Settings {
    /// `fyd-server migrate …` copies a sled store into PostgreSQL; without a command, serve.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, env = "FYD_BIND", default_value = "127.0.0.1:8000")]
    pub bind: String,

    /// Directory of the sled database (by default), the generated JWT secret and ACME state.
    #[arg(long, env = "FYD_DATA_DIR", default_value = "./fyd-data")]
    pub data_dir: PathBuf,

    /// Where the data lives: `sled://PATH` (one process on one machine; the default is
    /// `sled://<data-dir>/db`) or `postgres://user:password@host:port/db` (also
    /// `postgresql://`; any number of replicas). Prefer the variable: a flag shows in `ps`.
    /// The password is never logged. TLS to a database off this machine is on and verified;
    /// `?sslmode=` (disable, prefer, require, verify-full) and `&sslrootcert=CA.pem` as libpq.
    #[arg(long, env = "FYD_DATABASE_URL", hide_env_values = true, value_parser = DatabaseUrlParser)]
    pub database_url: Option<DatabaseUrl>,

    /// Connections each replica keeps to PostgreSQL at most.
    #[arg(long, env = "FYD_DATABASE_POOL", default_value_t = 16)]
    pub database_pool: usize,

    /// Successful recommendations per user per Asia/Seoul calendar day; 0 = no limit.
    #[arg(long, env = "FYD_DAILY_QUOTA", default_value_t = 5)]
    pub daily_quota: u32,

    /// Origins allowed by CORS (repeat or comma-separate); any origin when none is given.
    #[arg(long = "cors-origin", env = "FYD_CORS_ORIGIN", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Lifetime of access tokens (e.g. 60m, 90s).
    #[arg(long, env = "FYD_ACCESS_TTL", default_value = "60m")]
    pub access_ttl: humantime::Duration,

    /// Lifetime of refresh tokens (e.g. 7d).
    #[arg(long, env = "FYD_REFRESH_TTL", default_value = "7d")]
    pub refresh_ttl: humantime::Duration,

    /// Failed logins for one email within 15 minutes before further attempts get 429.
    #[arg(long, env = "FYD_LOGIN_MAX_FAILURES", default_value_t = 10)]
    pub login_max_failures: usize,

    /// Where courses come from: `builtin` is fyd's offline planner, `openai` any
    /// OpenAI-compatible chat-completions server, `auto` openai when an API key is set.
    #[arg(long, env = "FYD_PROVIDER", value_enum, default_value_t = ProviderKind::Auto)]
    pub provider: ProviderKind,

    /// Base URL of the OpenAI-compatible API (OpenAI, Ollama, vLLM, llama.cpp…).
    #[arg(long, env = "FYD_OPENAI_BASE_URL", default_value = "https://api.openai.com/v1")]
    pub openai_base_url: String,

    /// Model name for the OpenAI-compatible provider.
    #[arg(long, env = "FYD_OPENAI_MODEL", default_value = "gpt-5-mini")]
    pub openai_model: String,

    /// Total deadline for one recommendation through the LLM, retries included (seconds). A
    /// recommendation's quota unit is held for this long plus 30 s before it lapses.
    #[arg(long, env = "FYD_OPENAI_TIMEOUT_SECS", default_value_t = 60)]
    pub openai_timeout_secs: u64,

    /// What a couple gets when the LLM gives no usable course in time (it failed, broke off,
    /// or is too slow): `builtin`, the built-in planner's course (counted, marked
    /// `builtin-fallback` or, around the places the LLM named, `openai+planner`), answered
    /// before the deadline; `error`, 502 or 504 (not counted).
    #[arg(long, env = "FYD_OPENAI_FALLBACK", value_enum, default_value_t = OpenAiFallback::Builtin)]
    pub openai_fallback: OpenAiFallback,

    /// Seconds between keep-alive comments on streamed recommendations (proxies cut idle
    /// connections, often at 60 s).
    #[arg(long, env = "FYD_SSE_KEEP_ALIVE_SECS", default_value_t = 15)]
    pub sse_keep_alive_secs: u64,

    /// Close connections with no traffic for this long (slow or silent clients); 0 picks the
    /// LLM deadline plus 30 s, since a recommendation may wait that long in silence.
    #[arg(long, env = "FYD_IDLE_TIMEOUT_SECS", default_value_t = 0)]
    pub idle_timeout_secs: u64,

    /// PEM certificate chain to serve HTTPS with (leaf first); needs `--tls-key`. Reloaded
    /// without a restart on SIGHUP or when the file changes.
    #[arg(long, env = "FYD_TLS_CERT", requires = "tls_key", conflicts_with = "acme_domains")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of `--tls-cert` (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "FYD_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Seconds between looks at `--tls-cert`/`--tls-key` for a change; 0 = reload on SIGHUP only.
    #[arg(long, env = "FYD_TLS_WATCH_SECS", default_value_t = 2)]
    pub tls_watch_secs: u64,

    /// Serve HTTPS with a certificate for these domains from an ACME CA (Let's Encrypt by
    /// default), kept in the data dir and renewed before it expires (repeat, or comma-separate).
    /// The CA checks each domain with TLS-ALPN-01 on port 443, so `--bind` must be reachable there.
    #[arg(long = "acme-domain", env = "FYD_ACME_DOMAIN", value_delimiter = ',')]
    pub acme_domains: Vec<String>,

    /// ACME directory URL (Let's Encrypt staging is
    /// https://acme-staging-v02.api.letsencrypt.org/directory).
    #[arg(long, env = "FYD_ACME_DIRECTORY", default_value = LETS_ENCRYPT_PRODUCTION)]
    pub acme_directory: String,

    /// Contact e-mail for the ACME account (repeat, or comma-separate): the CA writes about
    /// problems with the certificates.
    #[arg(long = "acme-contact", env = "FYD_ACME_CONTACT", value_delimiter = ',')]
    pub acme_contacts: Vec<String>,

    /// PEM CA certificate that the ACME directory's HTTPS is signed by, for a private ACME CA;
    /// the system's roots otherwise.
    #[arg(long, env = "FYD_ACME_CA_CERT")]
    pub acme_ca_cert: Option<PathBuf>,

    /// With HTTPS: also listen on this address for plain HTTP and redirect every request to
    /// HTTPS (e.g. 0.0.0.0:80).
    #[arg(long, env = "FYD_HTTP_REDIRECT_BIND")]
    pub http_redirect_bind: Option<String>,

    /// The address people reach this server at (e.g. https://fyd.example.com), for the share
    /// links it hands out; without it, the request's `Host` with this server's own scheme.
    /// Needed behind a reverse proxy that terminates HTTPS.
    #[arg(long, env = "FYD_PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<String>,

    /// Share-page requests (`/s/…`) per client IP per minute, in bursts of as many; 0 = no limit.
    #[arg(long, env = "FYD_SHARE_RATE_PER_MINUTE", default_value_t = 60)]
    pub share_rate_per_minute: u32,

    /// Reverse proxies whose `X-Forwarded-For` names the client for the share-page limit
    /// (repeat, or comma-separate); without them the limit counts the TCP peer.
    #[arg(long = "trusted-proxy", env = "FYD_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// API key: from `FYD_OPENAI_API_KEY`, else `OPENAI_API_KEY`; never a flag, never logged.
    #[arg(skip)]
    pub openai_api_key: Option<Secret>,

    /// Catalogue files of places, areas, spots or cities applied over the built-in catalogue
    /// (repeat, or `:`-separate in the variable); see docs/catalogue.md.
    #[arg(long = "places", env = "FYD_PLACES", value_delimiter = ':')]
    pub places: Vec<PathBuf>,

    /// sled page cache in MiB (sled's own default is 1 GiB, far more than fyd needs).
    #[arg(long, env = "FYD_CACHE_MB", default_value_t = 8)]
    pub cache_mb: u64,

    /// Token signing secret; read from `FYD_JWT_SECRET` only (a flag would show in `ps`).
    /// Without it a secret is generated once into the data dir (mode 0600) and reused.
    #[arg(skip)]
    pub jwt_secret: Option<Secret>,
}

/// What `fyd-server` does besides serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Copy a sled store into PostgreSQL: users with their password hashes, sessions, courses
    /// (same ids), share links and today's quota. Resumable: run it again after an
    /// interruption and it carries on. Stop the server on the sled store first.
    Migrate {
        /// The sled store to read, e.g. sled://./fyd-data/db.
        #[arg(long, value_parser = DatabaseUrlParser)]
        from: DatabaseUrl,
        /// The PostgreSQL database to fill, e.g. postgres://fyd:…@db.internal/fyd.
        #[arg(long, env = "FYD_DATABASE_URL", hide_env_values = true, value_parser = DatabaseUrlParser)]
        to: DatabaseUrl,
        /// Copy even into a database that already holds data from elsewhere (ids must not
        /// collide: rows whose id is taken are skipped).
        #[arg(long)]
        into_non_empty: bool,
    },
}

impl Settings {
    /// The store these settings name: `--database-url`, else sled in the data dir.
    pub fn database(&self) -> DatabaseUrl {
        self.database_url.clone().unwrap_or_else(|| DatabaseUrl::Sled(self.data_dir.join("db")))
    }

    /// The longest one recommendation may take: the LLM's total deadline.
    pub fn recommend_deadline(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.openai_timeout_secs.max(1))
    }

    pub fn idle_timeout(&self) -> std::time::Duration {
        match self.idle_timeout_secs {
            0 => self.recommend_deadline() + std::time::Duration::from_secs(30),
            secs => std::time::Duration::from_secs(secs),
        }
    }

    /// Settings with every default and the given data directory.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        let mut settings = Self::parse_from(["fyd-server"]);
        settings.data_dir = data_dir.into();
        settings
    }
}

/// `--public-url`: an http(s) URL with a host and nothing after it but a path, without its
/// trailing slash.
fn public_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|err| err.to_string())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err("give an http:// or https:// address such as https://fyd.example.com".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderKind {
    Auto,
    Builtin,
    Openai,
}

/// See [`Settings::openai_fallback`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OpenAiFallback {
    Builtin,
    Error,
}

/// A secret (API key, signing key) that `Debug` and logs never show.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// A non-empty environment variable as a secret.
pub fn secret_from_env(names: &[&str]) -> Option<Secret> {
    names.iter().find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()).map(Secret::new))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_fallback_defaults_to_the_built_in_planner_and_has_its_flag_and_variable() {
        assert_eq!(Settings::parse_from(["fyd-server"]).openai_fallback, OpenAiFallback::Builtin);
        assert_eq!(Settings::parse_from(["fyd-server", "--openai-fallback", "error"]).openai_fallback, OpenAiFallback::Error);
        assert!(Settings::try_parse_from(["fyd-server", "--openai-fallback", "never"]).is_err());
        let command = Settings::command();
        let argument = command.get_arguments().find(|a| a.get_id() == "openai_fallback").unwrap();
        assert_eq!(argument.get_env().and_then(|v| v.to_str()), Some("FYD_OPENAI_FALLBACK"));
    }

    #[test]
    fn the_public_url_is_an_http_address_kept_without_its_trailing_slash() {
        let parse = |url: &str| Settings::try_parse_from(["fyd-server", "--public-url", url]).map(|s| s.public_url.unwrap());
        assert_eq!(parse("https://fyd.example.com/").unwrap(), "https://fyd.example.com");
        assert_eq!(parse("https://example.com/fyd/").unwrap(), "https://example.com/fyd");
        for bad in ["fyd.example.com", "ftp://example.com", "https://example.com/?a=b"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
