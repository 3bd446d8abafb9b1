//! Stage 3 — dedup: drop the same story seen before, exactly or nearly.
//!
//! Fingerprints are computed on the normalised text (so script, ruby and
//! site furniture do not matter). Stores sit behind [`DedupStore`] so the
//! offline command and the daemon share one contract; which store runs is
//! configuration (`dedup.backend`).

use std::sync::{Arc, Mutex};

use crate::config::{DedupBackend, DedupConfig};

mod embedded;
pub mod fingerprint;
pub mod index;
mod key_filter;
mod memory;
mod redis;

pub use embedded::EmbeddedStore;
pub use fingerprint::{fingerprint, Fingerprint};
pub use memory::MemoryStore;
pub use redis::RedisStore;

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
    #[error("invalid dedup configuration: {0}")]
    Config(String),
}

/// Check-and-insert is one atomic step so two replicas racing on the same
/// story keep exactly one.
pub trait DedupStore: Send + Sync {
    fn check_and_insert(&self, fp: &Fingerprint, key: &DedupKey<'_>) -> Result<Verdict, DedupError>;
    /// Undo an insert whose output never reached the broker, so the story
    /// is not suppressed when it arrives again.
    fn forget(&self, article_id: &str) -> Result<(), DedupError>;
    /// Number of entries (for `zhaoshang_dedup_store_entries`); entries past
    /// their window count until the next expiry sweep drops them.
    fn len(&self) -> Result<u64, DedupError>;
    fn backend(&self) -> &'static str;
    /// Make every insert so far durable (the embedded store groups fsyncs;
    /// call before committing offsets for what was just checked).
    fn flush(&self) -> Result<(), DedupError> {
        Ok(())
    }
    /// True while the store rebuilds an in-memory index it keeps in front of
    /// its tables (the embedded store's key filter, after opening and when
    /// it fills up): lookups stay correct, but read the tables for every key
    /// meanwhile, so they are slower.
    fn warming_up(&self) -> bool {
        false
    }
}

/// Seconds since the epoch; injected so expiry can be tested.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| chrono::Utc::now().timestamp())
}

/// The store `dedup.backend` names, opened and ready.
pub fn open(config: &DedupConfig) -> Result<Box<dyn DedupStore>, DedupError> {
    open_with_clock(config, system_clock())
}

pub fn open_with_clock(config: &DedupConfig, clock: Clock) -> Result<Box<dyn DedupStore>, DedupError> {
    if !(0.0..=1.0).contains(&config.near_threshold) {
        return Err(DedupError::Config(format!("dedup.near_threshold must be within 0..=1, got {}", config.near_threshold)));
    }
    if config.window_days == 0 {
        return Err(DedupError::Config("dedup.window_days must be at least 1".into()));
    }
    let matcher = index::Matcher::new(config.near_threshold, config.window_days);
    Ok(match config.backend {
        DedupBackend::Memory => Box::new(MemoryStore::with_clock(matcher, clock)),
        DedupBackend::Embedded => Box::new(EmbeddedStore::open(&config.path, matcher, clock)?),
        DedupBackend::Redis => Box::new(RedisStore::open(config, matcher, clock)?),
    })
}

/// Lock a store's mutex; a panic elsewhere while holding it leaves state
/// that is still consistent (every step is one transaction), so go on.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
