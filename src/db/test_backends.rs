//! Runs each repository test on both backends: [`backend_tests!`] turns
//! `async fn name(db: Db) { … }` into `name::sqlite` (a temp file) and `name::postgres` (a
//! database of its own on `TEST_DATABASE_URL`, skipped without it; see
//! [`super::test_support`]).

use super::test_support::PgTestDatabase;
use super::Db;

/// A fresh, migrated store and what must live as long as it.
pub(crate) struct TestDb {
    pub db: Db,
    // Dropped after `db`: the file's directory, or the PostgreSQL database.
    _sqlite: Option<tempfile::TempDir>,
    _pg: Option<PgTestDatabase>,
}

/// A fresh SQLite store in a temp directory (`nested/dir/test.db`: the directories are
/// created on open).
pub(crate) async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("nested/dir/test.db"))
        .await
        .unwrap();
    TestDb {
        db,
        _sqlite: Some(dir),
        _pg: None,
    }
}

/// A fresh PostgreSQL store, or None when there is no test server (see
/// [`PgTestDatabase::create`]).
pub(crate) async fn postgres() -> Option<TestDb> {
    let pg = tokio::task::spawn_blocking(|| PgTestDatabase::create("the repository tests"))
        .await
        .unwrap()?;
    let db = Db::connect(&pg.location()).await.unwrap();
    Some(TestDb {
        db,
        _sqlite: None,
        _pg: Some(pg),
    })
}

/// Each `async fn name(db: Db) { … }` becomes a module `name` with the tests `sqlite` and
/// `postgres`, each on a fresh store.
macro_rules! backend_tests {
    ($($(#[$meta:meta])* async fn $name:ident($db:ident: Db) $body:block)*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($db: Db) $body

                #[tokio::test]
                async fn sqlite() {
                    let t = $crate::db::test_backends::sqlite().await;
                    run(t.db.clone()).await;
                }

                #[tokio::test]
                async fn postgres() {
                    let Some(t) = $crate::db::test_backends::postgres().await else {
                        return;
                    };
                    run(t.db.clone()).await;
                }
            }
        )*
    };
}
pub(crate) use backend_tests;
