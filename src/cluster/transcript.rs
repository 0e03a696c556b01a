//! A session's CLI transcript (the JSONL file `--resume` reads) kept in the database, so the
//! session can resume on another replica (docs/operations.md "Replicas").
//!
//! The owner appends the file's new bytes as a chunk at the stored length after every turn
//! and at the stop ([`TranscriptSync::save`], run by the session's ordered store queue);
//! a file that shrank or whose saved part changed (its first 4 KiB or the 64 KiB before the
//! new bytes differ) replaces every chunk. A save reads those windows and the new bytes, so
//! a turn costs what it added, not the conversation's length. Before a `--resume`
//! (or a fork reading it) a missing or shorter local file is written from the store first
//! ([`restore`]).

use std::io::SeekFrom;
use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::db::{Db, DbError};

/// How much of the stored transcript's start a save compares with the file.
const HEAD: usize = 4 << 10;
/// How much of the stored transcript's end a save compares with the file (the bytes just
/// before the new ones: where a CLI rewriting its last entries would differ).
const TAIL: usize = 64 << 10;

/// What this replica last knew to be stored: its length, and its first and last bytes.
/// A save reads only those windows and the new bytes, not the whole file (after the first
/// save of a process's life, which compares the whole stored transcript once).
#[derive(Debug, Default)]
pub struct TranscriptSync {
    known: Option<Known>,
}

#[derive(Debug)]
struct Known {
    len: u64,
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl Known {
    fn of(data: &[u8]) -> Known {
        Known {
            len: data.len() as u64,
            head: data[..data.len().min(HEAD)].to_vec(),
            tail: data[data.len().saturating_sub(TAIL)..].to_vec(),
        }
    }

    /// The same after `more` was appended.
    fn grown(mut self, more: &[u8]) -> Known {
        self.len += more.len() as u64;
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(more.len());
            self.head.extend_from_slice(&more[..take]);
        }
        self.tail.extend_from_slice(more);
        let extra = self.tail.len().saturating_sub(TAIL);
        self.tail.drain(..extra);
        self
    }
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

/// `len` bytes of `file` from `at`.
async fn read_at(file: &mut tokio::fs::File, at: u64, len: usize) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(at)).await?;
    let mut buf = vec![0; len];
    file.read_exact(&mut buf).await?;
    Ok(buf)
}

impl TranscriptSync {
    /// Stores what the file at `path` has beyond what is stored.
    pub async fn save(&mut self, db: &Db, session_id: &str, path: &Path) -> Result<Saved, DbError> {
        let Ok(mut file) = tokio::fs::File::open(path).await else {
            return Ok(Saved::Unchanged);
        };
        let Some(known) = self.known.take() else {
            // First save here: compare with the whole stored transcript once.
            let mut data = Vec::new();
            if file.read_to_end(&mut data).await.is_err() {
                return Ok(Saved::Unchanged);
            }
            let stored = db.transcript(session_id).await?;
            let known = Known::of(&data);
            let saved = if data.starts_with(&stored) {
                append(db, session_id, stored.len() as u64, &data[stored.len()..]).await?
            } else {
                replace(db, session_id, data).await?
            };
            self.known = Some(known);
            return Ok(saved);
        };
        let file_len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
        let tail_at = known.len - known.tail.len() as u64;
        let same = file_len >= known.len
            && read_at(&mut file, 0, known.head.len())
                .await
                .is_ok_and(|b| b == known.head)
            && read_at(&mut file, tail_at, known.tail.len())
                .await
                .is_ok_and(|b| b == known.tail);
        if same {
            let more = read_at(&mut file, known.len, (file_len - known.len) as usize)
                .await
                .unwrap_or_default();
            // Remembered only once stored: after a failed write the next save compares
            // the whole transcript again.
            let saved = append(db, session_id, known.len, &more).await?;
            self.known = Some(known.grown(&more));
            return Ok(saved);
        }
        let mut data = Vec::new();
        let read = async {
            file.seek(SeekFrom::Start(0)).await?;
            file.read_to_end(&mut data).await
        };
        if read.await.is_err() {
            self.known = Some(known);
            return Ok(Saved::Unchanged);
        }
        let known = Known::of(&data);
        let saved = replace(db, session_id, data).await?;
        self.known = Some(known);
        Ok(saved)
    }
}

/// Stores `more` at `at` (nothing when empty).
async fn append(db: &Db, session_id: &str, at: u64, more: &[u8]) -> Result<Saved, DbError> {
    if more.is_empty() {
        return Ok(Saved::Unchanged);
    }
    db.append_transcript(session_id, at, more.to_vec()).await?;
    Ok(Saved::Appended(more.len() as u64))
}

/// Replaces every stored chunk with `data`.
async fn replace(db: &Db, session_id: &str, data: Vec<u8>) -> Result<Saved, DbError> {
    let len = data.len() as u64;
    db.append_transcript(session_id, 0, data).await?;
    Ok(Saved::Replaced(len))
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

            // A long transcript: a turn's save stores what it added; a rewrite of the last
            // entries (within the compared tail) or of the start replaces it.
            let long: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
            std::fs::write(&file, &long).unwrap();
            assert_eq!(other.save(&db, ID, &file).await.unwrap(), Saved::Replaced(200_000));
            let mut grown = long.clone();
            grown.extend_from_slice(b"{\"n\":4}\n");
            std::fs::write(&file, &grown).unwrap();
            assert_eq!(other.save(&db, ID, &file).await.unwrap(), Saved::Appended(8));
            assert_eq!(db.transcript(ID).await.unwrap(), grown);
            let mut rewritten = grown.clone();
            rewritten[190_000] = b'!';
            rewritten.extend_from_slice(b"{\"n\":5}\n");
            std::fs::write(&file, &rewritten).unwrap();
            assert_eq!(other.save(&db, ID, &file).await.unwrap(), Saved::Replaced(200_016));
            rewritten[10] = b'!';
            std::fs::write(&file, &rewritten).unwrap();
            assert_eq!(other.save(&db, ID, &file).await.unwrap(), Saved::Replaced(200_016));
            assert_eq!(db.transcript(ID).await.unwrap(), rewritten);
            std::fs::write(&file, b"{\"x\":0}\n{\"x\":1}\n").unwrap();
            assert_eq!(other.save(&db, ID, &file).await.unwrap(), Saved::Replaced(16));

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
