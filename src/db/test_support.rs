//! Fresh databases for tests, on either backend (docs/testing.md, "PostgreSQL").
//!
//! `TEST_DATABASE_URL` names a PostgreSQL server where the test user may `CREATE DATABASE`
//! (`postgres://user:password@127.0.0.1:port/postgres`); each test gets a database of its
//! own, created here and dropped when its [`PgTestDatabase`] goes. Without the variable the
//! PostgreSQL runs are skipped with one `SKIPPED` line on stderr — unless
//! `REQUIRE_POSTGRES=1`, when they fail. Not used by the server itself.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

use diesel::prelude::*;

use super::Location;
use crate::secret::Secret;

/// The variable naming the test server.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// A database created for one test, dropped (with any connection still open) on drop.
pub struct PgTestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgTestDatabase {
    /// Creates a fresh, empty database on the `TEST_DATABASE_URL` server. `None` (after
    /// printing why, once per process) when the variable is unset; panics when it is unset
    /// and `REQUIRE_POSTGRES=1`, or when the server refuses.
    pub fn create(what: &str) -> Option<PgTestDatabase> {
        let admin_url = match std::env::var(TEST_DATABASE_URL) {
            Ok(url) if !url.trim().is_empty() => url,
            _ => {
                assert!(
                    std::env::var("REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "REQUIRE_POSTGRES=1 but {TEST_DATABASE_URL} is not set ({what})"
                );
                static SKIPPED: Once = Once::new();
                SKIPPED.call_once(|| {
                    // Straight to the process's stderr: the test harness does not capture it.
                    let _ = writeln!(
                        std::io::stderr(),
                        "SKIPPED: the PostgreSQL runs of {what} ({TEST_DATABASE_URL} is not \
                         set; scripts/with-postgres.sh starts a throwaway server)"
                    );
                });
                return None;
            }
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "csp_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
            panic!("cannot connect to {TEST_DATABASE_URL}: {e}");
        });
        static SWEPT: Once = Once::new();
        SWEPT.call_once(|| drop_stale(&mut admin));
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let url = with_database(&admin_url, &name);
        Some(PgTestDatabase {
            admin_url,
            name,
            url,
        })
    }

    /// The database's URL (with the test server's credentials).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database as a [`Location`].
    pub fn location(&self) -> Location {
        Location::Postgres(Secret::new(self.url.clone()))
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Drops the test databases of test processes that are gone (one that panicked past its
/// drop, or a database a server test kept to the end of its process).
fn drop_stale(admin: &mut PgConnection) {
    let names: Vec<Name> = diesel::sql_query(
        "SELECT datname::text AS name FROM pg_database WHERE datname LIKE 'csp\\_test\\_%'",
    )
    .load(admin)
    .unwrap_or_default();
    for Name { name } in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<i32>().ok());
        let alive = pid
            .is_some_and(|p| nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None).is_ok());
        if !alive {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(admin);
        }
    }
}

/// `url` with its database (the path) replaced by `name`; the query string is kept.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    let authority = rest.split('/').next().unwrap_or("");
    let mut out = format!("{scheme}://{authority}/{name}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            super::with_database("postgres://u:p@127.0.0.1:5/postgres?sslmode=disable", "t1"),
            "postgres://u:p@127.0.0.1:5/t1?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgresql://h", "t2"),
            "postgresql://h/t2"
        );
    }
}
