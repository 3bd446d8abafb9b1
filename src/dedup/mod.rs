//! Stage 3 — dedup: drop the same story seen before, exactly or nearly.
//!
//! Fingerprints are computed on the normalised text (so script, ruby and
//! site furniture do not matter). Stores sit behind [`DedupStore`] so the
//! offline command and the daemon share one contract; which store runs is
//! configuration (`dedup.backend`).

use sha2::{Digest, Sha256};

/// What the pipeline needs to recognise a story again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// SHA-256 of the normalised text.
    pub exact: [u8; 32],
}

pub fn fingerprint(text: &str) -> Fingerprint {
    Fingerprint { exact: Sha256::digest(text.as_bytes()).into() }
}

/// Who is asking: the story's article id, and the identity of the input
/// message itself (see [`crate::event::SourceRef::origin`]) so that a
/// redelivery of the *same* message is not mistaken for a repost.
#[derive(Debug, Clone)]
pub struct DedupKey<'a> {
    pub article_id: &'a str,
    pub origin: Option<&'a str>,
    /// Publication or ingestion time, seconds since the epoch; entries
    /// expire `dedup.window_days` after it.
    pub seen_at_unix: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Unique,
    Duplicate { of: String, similarity: f64, kind: DuplicateKind },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateKind {
    Exact,
    Near,
}

impl DuplicateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DuplicateKind::Exact => "exact",
            DuplicateKind::Near => "near",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DedupError {
    #[error("dedup store unavailable: {0}")]
    Unavailable(String),
    #[error("dedup store I/O error: {0}")]
    Io(String),
}

/// Check-and-insert is one atomic step so two replicas racing on the same
/// story keep exactly one.
pub trait DedupStore: Send + Sync {
    fn check_and_insert(&self, fp: &Fingerprint, key: &DedupKey<'_>) -> Result<Verdict, DedupError>;
    /// Undo an insert whose output never reached the broker, so the story
    /// is not suppressed when it arrives again.
    fn forget(&self, article_id: &str) -> Result<(), DedupError>;
    /// Number of live entries (for `zhaoshang_dedup_store_entries`).
    fn len(&self) -> Result<u64, DedupError>;
    fn backend(&self) -> &'static str;
}

/// In-memory store for tests and throwaway runs.
#[derive(Default)]
pub struct MemoryStore {
    seen: std::sync::Mutex<std::collections::HashMap<[u8; 32], (String, Option<String>)>>,
}

impl DedupStore for MemoryStore {
    fn check_and_insert(&self, fp: &Fingerprint, key: &DedupKey<'_>) -> Result<Verdict, DedupError> {
        let mut seen = self.seen.lock().map_err(|e| DedupError::Io(e.to_string()))?;
        match seen.get(&fp.exact) {
            Some((id, origin)) if origin.is_none() || origin.as_deref() != key.origin => {
                Ok(Verdict::Duplicate { of: id.clone(), similarity: 1.0, kind: DuplicateKind::Exact })
            }
            Some(_) => Ok(Verdict::Unique),
            None => {
                seen.insert(fp.exact, (key.article_id.to_owned(), key.origin.map(str::to_owned)));
                Ok(Verdict::Unique)
            }
        }
    }

    fn forget(&self, article_id: &str) -> Result<(), DedupError> {
        let mut seen = self.seen.lock().map_err(|e| DedupError::Io(e.to_string()))?;
        seen.retain(|_, (id, _)| id != article_id);
        Ok(())
    }

    fn len(&self) -> Result<u64, DedupError> {
        Ok(self.seen.lock().map_err(|e| DedupError::Io(e.to_string()))?.len() as u64)
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}
