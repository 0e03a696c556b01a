//! Where the store and the server's own files live: `DATABASE_URL` (an SQLite file, or
//! PostgreSQL) and `DATA_DIR`.

use std::path::PathBuf;

use super::{err, present, ConfigError};

/// The store `DATABASE_URL` names (a path, `sqlite://path`, `postgres://…`), or the default
/// SQLite file.
pub(super) fn database(value: &Option<String>) -> Result<crate::db::Location, ConfigError> {
    crate::db::Location::parse(present(value)).map_err(|expected| err("DATABASE_URL", expected))
}

/// The store, from `DATABASE_URL` as the server reads it (the operator's command line needs
/// nothing else).
pub fn database_from_env() -> Result<crate::db::Location, ConfigError> {
    database(&std::env::var("DATABASE_URL").ok())
}

/// `DATA_DIR`, else the directory of the SQLite file, else (PostgreSQL) `./data`.
pub(super) fn data_dir(value: &Option<String>, database: &crate::db::Location) -> PathBuf {
    if let Some(dir) = present(value) {
        return PathBuf::from(dir);
    }
    match database.sqlite_path().and_then(std::path::Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        Some(_) => PathBuf::from("."),
        None => PathBuf::from("./data"),
    }
}
