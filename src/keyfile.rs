//! `CLAUDE_SDK_PATTERN_API_KEY_FILE`: the file that holds the server's API key when
//! `CLAUDE_SDK_PATTERN_API_KEY` is not set. An existing key is read from it; a missing (or
//! empty) file gets a newly generated key, written once with mode 600 and reused by every
//! later start. The container image sets it to `/data/api-key`, so `docker run` works with
//! no key configured and the key survives restarts in the data volume.
//!
//! This runs before the settings are validated (the key is one of them), so it only
//! reports what it did; the caller logs it once the logger exists, naming the file, never
//! the key.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use claude_sdk_pattern::config::ConfigError;

pub const KEY_VAR: &str = "CLAUDE_SDK_PATTERN_API_KEY";
pub const FILE_VAR: &str = "CLAUDE_SDK_PATTERN_API_KEY_FILE";

/// Random bytes in a generated key (hex-encoded: 48 characters, as `make run` makes).
const GENERATED_KEY_BYTES: usize = 24;

/// Where the key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `CLAUDE_SDK_PATTERN_API_KEY` (or neither variable: validation then says it is required).
    Environment,
    /// The key file: read from it, or generated into it now.
    File {
        path: PathBuf,
        generated: bool,
        /// The file is readable or writable by other users (it should be mode 600).
        loose_permissions: bool,
    },
}

impl KeySource {
    /// How an operator reads the key: inside a container, through the container engine.
    pub fn read_with(path: &Path) -> String {
        let in_container =
            Path::new("/.dockerenv").exists() || Path::new("/run/.containerenv").exists();
        if in_container {
            format!("docker exec <container> cat {}", path.display())
        } else {
            format!("cat {}", path.display())
        }
    }
}

/// With no `CLAUDE_SDK_PATTERN_API_KEY` in `vars` and a `CLAUDE_SDK_PATTERN_API_KEY_FILE`,
/// reads (or generates) the key and adds it to `vars` as `CLAUDE_SDK_PATTERN_API_KEY`.
pub fn resolve(vars: &mut Vec<(String, String)>) -> Result<KeySource, ConfigError> {
    let value = |name: &str| {
        vars.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    if value(KEY_VAR).is_some() {
        return Ok(KeySource::Environment);
    }
    let Some(file) = value(FILE_VAR) else {
        return Ok(KeySource::Environment);
    };
    let path = PathBuf::from(file);
    let (key, generated) = match read_key(&path)? {
        Some(key) => (key, false),
        None => (generate_into(&path)?, true),
    };
    let loose_permissions = std::fs::metadata(&path)
        .map(|m| m.permissions().mode() & 0o077 != 0)
        .unwrap_or(false);
    vars.retain(|(k, _)| k != KEY_VAR);
    vars.push((KEY_VAR.to_string(), key));
    Ok(KeySource::File {
        path,
        generated,
        loose_permissions,
    })
}

/// The key in `path`, trimmed; `None` when the file does not exist or is blank.
fn read_key(path: &Path) -> Result<Option<String>, ConfigError> {
    let mut text = String::new();
    match std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text)) {
        Ok(_) => {
            let key = text.trim();
            Ok((!key.is_empty()).then(|| key.to_string()))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(file_error(format!(
            "expected a readable key file, cannot read {} ({e})",
            path.display()
        ))),
    }
}

/// Writes a new random key into `path` (mode 600, its directory created if missing).
fn generate_into(path: &Path) -> Result<String, ConfigError> {
    let cannot = |what: &str, e: std::io::Error| {
        file_error(format!(
            "expected a writable location for the key file, cannot {what} {} ({e})",
            path.display()
        ))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| cannot("create the directory of", e))?;
    }
    let mut bytes = [0u8; GENERATED_KEY_BYTES];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut r| r.read_exact(&mut bytes))
        .map_err(|e| cannot("generate a key (/dev/urandom) for", e))?;
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    // A blank file (left by an interrupted first start, or made by hand) is replaced.
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(cannot("replace the blank", e)),
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| cannot("create", e))?;
    file.write_all(format!("{key}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| cannot("write", e))?;
    Ok(key)
}

fn file_error(expected: String) -> ConfigError {
    ConfigError {
        var: FILE_VAR,
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn key_in(vars: &[(String, String)]) -> Option<&str> {
        vars.iter()
            .find(|(k, _)| k == KEY_VAR)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn generates_once_with_mode_600_then_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/api-key");
        let file = path.to_str().unwrap();

        let mut first = vars(&[(FILE_VAR, file)]);
        let source = resolve(&mut first).unwrap();
        assert_eq!(
            source,
            KeySource::File {
                path: path.clone(),
                generated: true,
                loose_permissions: false
            }
        );
        let key = key_in(&first).unwrap().to_string();
        assert_eq!(key.len(), 2 * GENERATED_KEY_BYTES);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{key}\n"));

        let mut again = vars(&[(FILE_VAR, file)]);
        let source = resolve(&mut again).unwrap();
        assert!(matches!(
            source,
            KeySource::File {
                generated: false,
                ..
            }
        ));
        assert_eq!(key_in(&again), Some(key.as_str()));
    }

    #[test]
    fn the_environment_key_wins_and_the_file_is_not_touched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api-key");
        let mut v = vars(&[
            (KEY_VAR, "from-the-environment-0123"),
            (FILE_VAR, path.to_str().unwrap()),
        ]);
        assert_eq!(resolve(&mut v).unwrap(), KeySource::Environment);
        assert_eq!(key_in(&v), Some("from-the-environment-0123"));
        assert!(!path.exists());
    }

    #[test]
    fn neither_variable_leaves_the_key_unset() {
        let mut v = vars(&[(FILE_VAR, "  ")]);
        assert_eq!(resolve(&mut v).unwrap(), KeySource::Environment);
        assert_eq!(key_in(&v), None);
    }

    #[test]
    fn an_existing_key_is_trimmed_and_loose_permissions_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api-key");
        std::fs::write(&path, "my-own-key-0123456789\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut v = vars(&[(KEY_VAR, ""), (FILE_VAR, path.to_str().unwrap())]);
        let source = resolve(&mut v).unwrap();
        assert!(matches!(
            source,
            KeySource::File {
                generated: false,
                loose_permissions: true,
                ..
            }
        ));
        assert_eq!(key_in(&v), Some("my-own-key-0123456789"));
        assert_eq!(v.iter().filter(|(k, _)| k == KEY_VAR).count(), 1);
    }

    #[test]
    fn a_blank_file_gets_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api-key");
        std::fs::write(&path, "\n").unwrap();
        let mut v = vars(&[(FILE_VAR, path.to_str().unwrap())]);
        assert!(matches!(
            resolve(&mut v).unwrap(),
            KeySource::File {
                generated: true,
                ..
            }
        ));
        assert_eq!(key_in(&v).unwrap().len(), 2 * GENERATED_KEY_BYTES);
    }

    #[test]
    fn an_unusable_location_names_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        let not_a_dir = dir.path().join("file");
        std::fs::write(&not_a_dir, "x").unwrap();
        let mut v = vars(&[(FILE_VAR, not_a_dir.join("api-key").to_str().unwrap())]);
        let e = resolve(&mut v).unwrap_err();
        assert_eq!(e.var, FILE_VAR);
        assert!(e.expected.starts_with("expected"), "{e}");
        assert_eq!(key_in(&v), None);
    }
}
