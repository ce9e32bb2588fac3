//! `--database-url`: which backend holds the data, and how to name it in a log.
//!
//! `sled://PATH` is the embedded store in a directory (a relative path stays relative:
//! `sled://./fyd-data/db`, or `sled://fyd-data/db`); `postgres://…` and `postgresql://…` are
//! PostgreSQL connection URLs as libpq reads them. A PostgreSQL URL usually holds a password,
//! so it is kept as a [`Secret`] and shown only through [`DatabaseUrl::redacted`] (also what
//! `Debug` and `Display` print): the password, and a `password=` query parameter, become `***`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::config::Secret;

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// The sled directory.
    Sled(PathBuf),
    /// A PostgreSQL connection URL, password included.
    Postgres(Secret),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlError {
    #[error("a database URL starts with sled://, postgres:// or postgresql:// (got {0})")]
    Scheme(String),
    #[error("sled:// needs a directory, e.g. sled://./fyd-data/db")]
    NoPath,
    #[error("the PostgreSQL URL does not read: {0}")]
    Postgres(String),
}

impl DatabaseUrl {
    /// Whether several processes may share this store (then nothing per-process may decide
    /// what all of them must agree on).
    pub fn is_shared(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// The URL with any password replaced by `***`: what logs and errors show.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sled(path) => format!("sled://{}", path.display()),
            Self::Postgres(url) => redact(url.expose()),
        }
    }
}

/// `url` without its password: the userinfo's password and a `password` query parameter.
fn redact(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        // Unreadable as a URL: show the scheme only, never the rest.
        return format!("{}://***", url.split("://").next().unwrap_or("postgres"));
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query_pairs().any(|(key, _)| key == "password") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if key == "password" { "***".to_owned() } else { value.into_owned() };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

impl FromStr for DatabaseUrl {
    type Err = UrlError;

    fn from_str(text: &str) -> Result<Self, UrlError> {
        if let Some(path) = text.strip_prefix("sled://") {
            if path.is_empty() {
                return Err(UrlError::NoPath);
            }
            return Ok(Self::Sled(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            // Checked now, so a typo stops the start with the reason rather than later; the
            // driver's message names no part of the URL.
            postgres_config(text)?;
            return Ok(Self::Postgres(Secret::new(text)));
        }
        Err(UrlError::Scheme(text.split("://").next().filter(|s| s.len() < text.len()).unwrap_or("no scheme").to_owned()))
    }
}

/// How fyd protects its connection to PostgreSQL, from libpq's `sslmode` and `sslrootcert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgTls {
    pub mode: SslMode,
    /// PEM certificates to trust besides the public roots (a private or cloud CA).
    pub root_cert: Option<PathBuf>,
}

/// libpq's `sslmode`, as fyd reads it: it never connects with TLS it has not verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// `disable`: in the clear, whatever the server offers.
    Disable,
    /// `prefer`, or no `sslmode`: verified TLS to a host off this machine, in the clear to
    /// loopback addresses and Unix sockets.
    Prefer,
    /// `require`, `verify-ca`, `verify-full`: verified TLS (chain and host name), or no
    /// connection.
    Verify,
}

/// The driver's configuration and the TLS policy a PostgreSQL URL asks for. libpq's TLS
/// parameters are read here (the driver knows `sslmode` without the verify modes, and not
/// `sslrootcert`) and taken out before the driver reads the rest.
pub fn postgres_config(text: &str) -> Result<(tokio_postgres::Config, PgTls), UrlError> {
    // The query is split by hand and the driver's pairs passed on exactly as written: a URL
    // parser would re-encode them (`%20` as `+`, which libpq and the driver read literally)
    // and refuses libpq's multi-host form (`h1:5432,h2:5433`).
    let (base, query) = text.split_once('?').unwrap_or((text, ""));
    let mut tls = PgTls { mode: SslMode::Prefer, root_cert: None };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = || percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned();
        match percent_encoding::percent_decode_str(key).decode_utf8_lossy().as_ref() {
            "sslmode" => {
                tls.mode = match value().as_str() {
                    "disable" => SslMode::Disable,
                    "prefer" | "allow" => SslMode::Prefer,
                    "require" | "verify-ca" | "verify-full" => SslMode::Verify,
                    other => {
                        return Err(UrlError::Postgres(format!(
                            "sslmode {other:?} is none of disable, prefer, require, verify-ca, verify-full"
                        )))
                    }
                }
            }
            "sslrootcert" => tls.root_cert = Some(PathBuf::from(value())),
            _ => kept.push(pair),
        }
    }
    let driver = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    let config = tokio_postgres::Config::from_str(&driver).map_err(|err| UrlError::Postgres(err.to_string()))?;
    Ok((config, tls))
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend_and_a_password_never_shows() {
        assert_eq!("sled://./fyd-data/db".parse::<DatabaseUrl>().unwrap(), DatabaseUrl::Sled("./fyd-data/db".into()));
        assert_eq!("sled:///var/lib/fyd/db".parse::<DatabaseUrl>().unwrap(), DatabaseUrl::Sled("/var/lib/fyd/db".into()));
        assert_eq!("sled://".parse::<DatabaseUrl>().unwrap_err(), UrlError::NoPath);
        assert!(matches!("mysql://a@b/c".parse::<DatabaseUrl>(), Err(UrlError::Scheme(s)) if s == "mysql"));
        for text in [
            "postgres://fyd:hunter2-secret@db.internal:5432/fyd",
            "postgresql://fyd:hunter2-secret@db.internal/fyd?sslmode=disable",
            "postgres://fyd@db.internal/fyd?password=hunter2-secret&application_name=fyd",
        ] {
            let url: DatabaseUrl = text.parse().unwrap();
            assert!(url.is_shared());
            for shown in [url.redacted(), format!("{url}"), format!("{url:?}")] {
                assert!(!shown.contains("hunter2"), "{shown}");
                assert!(shown.contains("db.internal") && shown.contains("***"), "{shown}");
            }
        }
        let bad = "postgres://fyd:hunter2-secret@db.internal:notaport/fyd".parse::<DatabaseUrl>().unwrap_err();
        assert!(!bad.to_string().contains("hunter2"), "{bad}");
    }

    #[test]
    fn libpq_tls_parameters_are_read_and_the_rest_goes_to_the_driver() {
        let tls = |text: &str| postgres_config(text).map(|(_, tls)| tls);
        assert_eq!(tls("postgres://fyd@db/fyd").unwrap(), PgTls { mode: SslMode::Prefer, root_cert: None });
        assert_eq!(tls("postgres://fyd@db/fyd?sslmode=disable").unwrap().mode, SslMode::Disable);
        for mode in ["require", "verify-ca", "verify-full"] {
            let read = tls(&format!("postgres://fyd@db/fyd?sslmode={mode}&sslrootcert=/etc/fyd/db-ca.pem")).unwrap();
            assert_eq!(read, PgTls { mode: SslMode::Verify, root_cert: Some("/etc/fyd/db-ca.pem".into()) });
        }
        let (config, _) = postgres_config("postgres://fyd@db:6432/fyd?sslmode=verify-full&application_name=x&sslrootcert=ca.pem").unwrap();
        assert_eq!((config.get_ports(), config.get_application_name()), (&[6432][..], Some("x")));
        // The driver's pairs pass exactly as written; libpq's multi-host form is kept.
        let (config, _) = postgres_config("postgres://fyd@db/fyd?options=-c%20statement_timeout%3D5000&password=a%2Bb+c").unwrap();
        assert_eq!(config.get_options(), Some("-c statement_timeout=5000"));
        assert_eq!(config.get_password(), Some(&b"a+b+c"[..]));
        let (config, tls_read) = postgres_config("postgres://fyd@h1:5432,h2:5433/fyd?sslrootcert=/etc/ca+x%20y.pem").unwrap();
        assert_eq!((config.get_hosts().len(), config.get_ports()), (2, &[5432, 5433][..]));
        assert_eq!(tls_read.root_cert, Some("/etc/ca+x y.pem".into()));
        let err = tls("postgres://fyd@db/fyd?sslmode=sometimes").unwrap_err();
        assert!(err.to_string().contains("sslmode \"sometimes\""), "{err}");
    }
}
