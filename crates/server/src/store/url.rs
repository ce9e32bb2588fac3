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
    let invalid = |what: &str| UrlError::Postgres(format!("invalid {what}"));
    let mut parsed = url::Url::parse(text).map_err(|_| invalid("URL"))?;
    let mut tls = PgTls { mode: SslMode::Prefer, root_cert: None };
    let mut kept = Vec::new();
    for (key, value) in parsed.query_pairs() {
        match key.as_ref() {
            "sslmode" => {
                tls.mode = match value.as_ref() {
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
            "sslrootcert" => tls.root_cert = Some(PathBuf::from(value.as_ref())),
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    let config = tokio_postgres::Config::from_str(parsed.as_str()).map_err(|err| UrlError::Postgres(err.to_string()))?;
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
        let err = tls("postgres://fyd@db/fyd?sslmode=sometimes").unwrap_err();
        assert!(err.to_string().contains("sslmode \"sometimes\""), "{err}");
    }
}
