//! A session's CLI transcript (the JSONL file `--resume` reads) kept in the database, so the
//! session can resume on another replica (docs/operations.md "Replicas").
//!
//! The owner appends the file's new bytes as a chunk at the stored length after every turn
//! and at the stop ([`TranscriptSync::save`], run by the session's ordered store queue);
//! a file that shrank or whose saved part changed replaces every chunk. Before a `--resume`
//! (or a fork reading it) a missing or shorter local file is written from the store first
//! ([`restore`]).

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::db::{Db, DbError};

/// What this replica last knew to be stored: its length and the SHA-256 of those bytes.
#[derive(Debug, Default)]
pub struct TranscriptSync {
    known: Option<(u64, [u8; 32])>,
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// How a save changed the stored transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// No file, or nothing new.
    Unchanged,
    /// This many bytes appended.
    Appended(u64),
    /// Every chunk replaced by the whole file (it shrank or was rewritten).
    Replaced(u64),
}

impl TranscriptSync {
    /// Stores what the file at `path` has beyond what is stored.
    pub async fn save(&mut self, db: &Db, session_id: &str, path: &Path) -> Result<Saved, DbError> {
        let data = match tokio::fs::read(path).await {
            Ok(data) => data,
            Err(_) => return Ok(Saved::Unchanged),
        };
        let (len, hash) = match self.known {
            Some(known) => known,
            None => {
                let stored = db.transcript(session_id).await?;
                (stored.len() as u64, digest(&stored))
            }
        };
        let file_len = data.len() as u64;
        let same_prefix = file_len >= len && digest(&data[..len as usize]) == hash;
        let saved = if same_prefix && file_len == len {
            Saved::Unchanged
        } else if same_prefix {
            db.append_transcript(session_id, len, data[len as usize..].to_vec())
                .await?;
            Saved::Appended(file_len - len)
        } else {
            db.append_transcript(session_id, 0, data.clone()).await?;
            Saved::Replaced(file_len)
        };
        self.known = Some((file_len, digest(&data)));
        Ok(saved)
    }
}

/// Before a `--resume` here: when the store holds more of `session_id`'s transcript than the
/// file at `path` (missing, or shorter: it ran on another replica), the stored bytes are
/// written there. True when the file was written.
pub async fn restore(db: &Db, session_id: &str, path: &Path) -> Result<bool, DbError> {
    let stored_len = db.transcript_len(session_id).await?;
    if stored_len == 0 {
        return Ok(false);
    }
    let local = tokio::fs::metadata(path)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    if local >= stored_len {
        return Ok(false);
    }
    let data = db.transcript(session_id).await?;
    let write = async {
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        // Written aside and renamed: a CLI never reads half a file.
        let tmp = path.with_extension("jsonl.restoring");
        tokio::fs::write(&tmp, &data).await?;
        tokio::fs::rename(&tmp, path).await
    };
    write.await.map_err(|source| DbError::DataDir {
        path: path.display().to_string(),
        source,
    })?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_backends::backend_tests;
    use crate::db::{Session, BOOTSTRAP_USER_ID};

    const ID: &str = "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f";

    backend_tests! {
        async fn saves_appends_and_rewrites_and_restores_elsewhere(db: Db) {
            db.save(&Session::new(ID, BOOTSTRAP_USER_ID)).await.unwrap();
            let here = tempfile::tempdir().unwrap();
            let file = here.path().join("t.jsonl");
            let mut sync = TranscriptSync::default();
            assert_eq!(sync.save(&db, ID, &file).await.unwrap(), Saved::Unchanged);
            std::fs::write(&file, b"{\"n\":1}\n").unwrap();
            assert_eq!(sync.save(&db, ID, &file).await.unwrap(), Saved::Appended(8));
            std::fs::write(&file, b"{\"n\":1}\n{\"n\":2}\n").unwrap();
            assert_eq!(sync.save(&db, ID, &file).await.unwrap(), Saved::Appended(8));
            assert_eq!(sync.save(&db, ID, &file).await.unwrap(), Saved::Unchanged);
            // A new owner (no memory) appends too, having checked the stored prefix.
            std::fs::write(&file, b"{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n").unwrap();
            let mut other = TranscriptSync::default();
            assert_eq!(other.save(&db, ID, &file).await.unwrap(), Saved::Appended(8));
            // Rewritten with the same length, or shrunk: replaced.
            std::fs::write(&file, b"{\"n\":9}\n{\"n\":2}\n{\"n\":3}\n").unwrap();
            assert_eq!(other.save(&db, ID, &file).await.unwrap(), Saved::Replaced(24));
            std::fs::write(&file, b"{\"x\":0}\n").unwrap();
            assert_eq!(other.save(&db, ID, &file).await.unwrap(), Saved::Replaced(8));
            std::fs::write(&file, b"{\"x\":0}\n{\"x\":1}\n").unwrap();
            assert_eq!(other.save(&db, ID, &file).await.unwrap(), Saved::Appended(8));

            // Another host: missing file → restored; as long → left alone.
            let there = tempfile::tempdir().unwrap();
            let elsewhere = there.path().join("projects/enc/t.jsonl");
            assert!(restore(&db, ID, &elsewhere).await.unwrap());
            assert_eq!(std::fs::read(&elsewhere).unwrap(), b"{\"x\":0}\n{\"x\":1}\n");
            assert!(!restore(&db, ID, &elsewhere).await.unwrap());
            std::fs::write(&elsewhere, b"{\"x\":0}\n").unwrap();
            assert!(restore(&db, ID, &elsewhere).await.unwrap());
            assert_eq!(std::fs::read(&elsewhere).unwrap().len(), 16);
            // Nothing stored: nothing written.
            let none = there.path().join("none.jsonl");
            db.append_transcript(ID, 0, Vec::new()).await.unwrap();
            assert!(!restore(&db, ID, &none).await.unwrap());
            assert!(!none.exists());
        }
    }
}
