//! API keys: `csp_` and 64 hex digits (32 bytes from the operating system's generator),
//! shown once when made. The store keeps only the SHA-256 of the key and its first 12
//! characters (the *prefix*: `csp_` and 8 hex digits), which identify the key to people and
//! find its row; the presented key's hash is then compared with the stored one in constant
//! time.
//!
//! A fast hash is enough here: a key is 256 random bits, so there is no dictionary for a
//! slow password hash to slow down, and inverting SHA-256 is out of reach.

use sha2::{Digest, Sha256};

use crate::db::{models::now, ApiKey};
use crate::secret::{constant_time_eq, Secret};

/// What every key starts with (recognisable in a leaked file or a paste).
pub const KEY_PREFIX: &str = "csp_";
/// Random bytes in a key.
const SECRET_BYTES: usize = 32;
/// Hex digits of the random part kept as the display prefix.
const PREFIX_HEX: usize = 8;

/// A key just made: the secret (shown once) and its row (what is stored).
pub struct NewKey {
    pub key: Secret,
    pub row: ApiKey,
}

/// The operating system's random generator failed.
#[derive(Debug, thiserror::Error)]
#[error("no random bytes for a key: {0}")]
pub struct RandomError(String);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `key`, lowercase hex.
pub fn hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// Makes a key for `user_id`.
pub fn generate(user_id: &str) -> Result<NewKey, RandomError> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| RandomError(e.to_string()))?;
    let key = format!("{KEY_PREFIX}{}", hex(&bytes));
    let row = ApiKey {
        key_id: uuid::Uuid::new_v4().to_string(),
        user_id: user_id.to_string(),
        prefix: key[..KEY_PREFIX.len() + PREFIX_HEX].to_string(),
        key_hash: hash(&key),
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
    };
    Ok(NewKey {
        key: Secret::new(key),
        row,
    })
}

/// The prefix of a presented key that has the shape of one of ours; None for anything else
/// (the bootstrap key, a typo), which then never reaches the store.
pub fn prefix_of(presented: &str) -> Option<&str> {
    let random = presented.strip_prefix(KEY_PREFIX)?;
    let shaped = random.len() == SECRET_BYTES * 2
        && random
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    shaped.then(|| &presented[..KEY_PREFIX.len() + PREFIX_HEX])
}

/// Whether `presented` is the key `stored` was made from (constant time in the hash).
pub fn matches(presented: &str, stored: &ApiKey) -> bool {
    constant_time_eq(stored.key_hash.as_bytes(), hash(presented).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_long_random_and_only_its_hash_is_kept() {
        let a = generate("u1").unwrap();
        let b = generate("u1").unwrap();
        let key = a.key.expose();
        assert_eq!(key.len(), KEY_PREFIX.len() + 64);
        assert_ne!(key, b.key.expose());
        assert_eq!(prefix_of(key), Some(a.row.prefix.as_str()));
        assert_eq!(a.row.prefix.len(), 12);
        assert!(!a.row.key_hash.contains(&key[KEY_PREFIX.len()..]));
        assert_eq!(a.row.key_hash.len(), 64);
        assert!(matches(key, &a.row));
        assert!(!matches(b.key.expose(), &a.row));
    }

    #[test]
    fn only_our_shape_has_a_prefix() {
        for other in [
            "test-server-key-0123456789",
            "csp_",
            "csp_1234",
            &format!("csp_{}", "g".repeat(64)),
            &format!("csp_{}", "A".repeat(64)),
            &format!("csp_{}", "a".repeat(65)),
        ] {
            assert_eq!(prefix_of(other), None, "{other}");
        }
    }

    #[test]
    fn the_hash_is_sha256() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
