//! [`SessionId`]: a session's id, parsed once where it enters the server (a REST path, a
//! WebSocket frame) and carried as this type through the engine.
//!
//! Ids are UUIDs in their lowercase hyphenated form (what the CLI's `--session-id` takes and
//! what the store keeps). Ids read back from the store are trusted as they are.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A session's id (cheap to clone).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(Arc<str>);

/// An id that is not a UUID (the one wording of that error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("The session id must be a UUID such as 3f1c2a9e-8d4b-4c1e-9a57-2b7d1e0f6c3a.")]
pub struct InvalidSessionId;

impl SessionId {
    /// Parses a client's id: any UUID spelling, normalised to lowercase hyphenated.
    pub fn parse(raw: &str) -> Result<SessionId, InvalidSessionId> {
        uuid::Uuid::parse_str(raw)
            .map(|id| SessionId(id.hyphenated().to_string().into()))
            .map_err(|_| InvalidSessionId)
    }

    /// A new random id (a fresh conversation).
    pub fn random() -> SessionId {
        SessionId(uuid::Uuid::new_v4().hyphenated().to_string().into())
    }

    /// An id the server made itself and read back (the store, a CLI it started).
    pub fn from_stored(id: &str) -> SessionId {
        SessionId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Borrow<str> for SessionId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SessionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for SessionId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for SessionId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl slog::Value for SessionId {
    fn serialize(
        &self,
        _record: &slog::Record<'_>,
        key: slog::Key,
        serializer: &mut dyn slog::Serializer,
    ) -> slog::Result {
        serializer.emit_str(key, &self.0)
    }
}

impl Serialize for SessionId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SessionId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SessionId, D::Error> {
        let raw = String::deserialize(d)?;
        SessionId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids_normalised_to_lowercase_hyphenated() {
        let id = uuid::Uuid::new_v4();
        assert_eq!(
            SessionId::parse(&id.to_string()).unwrap(),
            id.to_string().as_str()
        );
        assert_eq!(
            SessionId::parse(&id.simple().to_string().to_uppercase()).unwrap(),
            id.to_string().as_str()
        );
        for bad in ["", "abc", "../etc", "123e4567-e89b-12d3-a456-42661417400"] {
            assert_eq!(SessionId::parse(bad), Err(InvalidSessionId));
        }
        let random = SessionId::random();
        assert_eq!(SessionId::parse(random.as_str()).unwrap(), random);
        assert_eq!(serde_json::to_value(&random).unwrap(), random.as_str());
        assert!(serde_json::from_str::<SessionId>("\"nope\"").is_err());
    }
}
