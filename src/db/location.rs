//! Where the store lives, from `DATABASE_URL`: an SQLite file (a path, or `sqlite://path`;
//! the default) or a PostgreSQL server (`postgres://…` / `postgresql://…`). A PostgreSQL
//! URL can hold a password, so it is kept as a [`Secret`] and shown only with the password
//! replaced ([`Location::redacted`]).

use std::fmt;
use std::path::PathBuf;

use crate::secret::{Secret, REDACTED};

/// The SQLite file used when `DATABASE_URL` is unset.
pub const DEFAULT_SQLITE_PATH: &str = "./data/claude-sdk-pattern.db";

#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// The SQLite file.
    Sqlite(PathBuf),
    /// The PostgreSQL connection URL (libpq's URI form; never printed whole).
    Postgres(Secret),
}

impl Location {
    /// Reads a `DATABASE_URL` value (`None` or blank: the default SQLite file). The error
    /// says what was expected and never repeats a PostgreSQL URL.
    pub fn parse(value: Option<&str>) -> Result<Location, String> {
        let Some(url) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(Location::Sqlite(PathBuf::from(DEFAULT_SQLITE_PATH)));
        };
        if let Some(rest) = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
        {
            if rest.is_empty() || rest.starts_with('?') {
                return Err(
                    "expected postgres://user:password@host:port/database (the host or the \
                     database is missing)"
                        .to_string(),
                );
            }
            return Ok(Location::Postgres(Secret::new(url)));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || path == ":memory:" || path.ends_with('/') || path.contains("://") {
            return Err(format!(
                "expected the path of an SQLite file or a postgres:// URL, got {:?}",
                if url.contains('@') { REDACTED } else { url }
            ));
        }
        Ok(Location::Sqlite(PathBuf::from(path)))
    }

    /// `sqlite` or `postgres` (for logs and `/info`).
    pub fn backend(&self) -> &'static str {
        match self {
            Location::Sqlite(_) => "sqlite",
            Location::Postgres(_) => "postgres",
        }
    }

    /// What may be shown: the SQLite path, or the PostgreSQL URL with any password replaced
    /// by `[REDACTED]` (and the query string, which can carry one too, dropped).
    pub fn redacted(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => redact_url(url.expose()),
        }
    }

    /// What logs must never show: the PostgreSQL URL and the password in it.
    pub fn secrets(&self) -> Vec<Secret> {
        let Location::Postgres(url) = self else {
            return Vec::new();
        };
        let mut out = vec![url.clone()];
        let rest = url.expose().split_once("://").map_or("", |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            if let Some((_, password)) = userinfo.split_once(':') {
                if !password.is_empty() {
                    out.push(Secret::new(password));
                }
            }
        }
        out
    }

    /// The SQLite file, if that is the backend.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match self {
            Location::Sqlite(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }
}

fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{user}:{REDACTED}@{host}")
            } else {
                format!("{user}@{host}")
            }
        }
        None => authority.to_string(),
    };
    format!("{scheme}://{authority}{path}")
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Location::Postgres(_) => f.debug_tuple("Postgres").field(&self.redacted()).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_sqlite_urls_are_sqlite_files() {
        for (value, path) in [
            (None, DEFAULT_SQLITE_PATH),
            (Some(""), DEFAULT_SQLITE_PATH),
            (Some("/var/lib/x/db.sqlite"), "/var/lib/x/db.sqlite"),
            (Some("sqlite://data/x.db"), "data/x.db"),
            (Some("sqlite:x.db"), "x.db"),
        ] {
            assert_eq!(
                Location::parse(value).unwrap(),
                Location::Sqlite(PathBuf::from(path))
            );
        }
        for bad in [":memory:", "sqlite://", "dir/", "mysql://u:pw@h/db"] {
            let e = Location::parse(Some(bad)).unwrap_err();
            assert!(!e.contains("pw"), "{e}");
        }
    }

    #[test]
    fn postgres_urls_select_postgres_and_never_show_the_password() {
        for url in [
            "postgres://app:s3cret-pw@db.internal:5432/csp",
            "postgresql://app:s3cret-pw@db.internal/csp?sslmode=require&password=s3cret-pw",
        ] {
            let loc = Location::parse(Some(url)).unwrap();
            assert_eq!(loc.backend(), "postgres");
            let shown = [loc.redacted(), format!("{loc:?}")];
            for s in shown {
                assert!(!s.contains("s3cret-pw"), "{s}");
                assert!(s.contains("app:[REDACTED]@db.internal"), "{s}");
            }
        }
        assert_eq!(
            Location::parse(Some("postgres://localhost/csp"))
                .unwrap()
                .redacted(),
            "postgres://localhost/csp"
        );
        assert!(Location::parse(Some("postgres://")).is_err());
    }
}
