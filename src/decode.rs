//! Stage 1 — decode: raw message bytes → [`RawArticle`] or a [`Rejection`].
//!
//! Accepts a JSON envelope (spec section 1) or bare article bytes, detects
//! the character encoding (UTF-8, GB18030/GBK, Big5) and decodes. Nothing
//! here panics on input: every failure is a [`RejectReason`].

use serde::Deserialize;

/// Limits that keep one hostile message from costing unbounded memory or CPU.
#[derive(Debug, Clone)]
pub struct DecodeLimits {
    pub max_input_bytes: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits { max_input_bytes: 8 * 1024 * 1024 }
    }
}

/// A decoded article: text and whatever metadata the envelope carried.
#[derive(Debug, Clone, Default)]
pub struct RawArticle {
    pub id: String,
    pub url: Option<String>,
    pub source: Option<String>,
    pub title: Option<String>,
    pub published_at: Option<String>,
    pub content_type: Option<String>,
    /// The content, decoded to UTF-8 but otherwise untouched (may be HTML).
    pub body: String,
    /// The encoding the body was decoded from (`UTF-8`, `GBK`, `Big5`).
    pub encoding: &'static str,
}

/// Why an input cannot be processed; `code()` is a bounded metric label.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RejectReason {
    #[error("empty input: the message has no content")]
    Empty,
    #[error("input of {size} bytes exceeds the limit of {limit} bytes (pipeline.max_input_bytes)")]
    TooLarge { size: usize, limit: usize },
    #[error("undecodable: {0}")]
    Undecodable(String),
    #[error("invalid envelope: {0}")]
    BadEnvelope(String),
}

impl RejectReason {
    pub fn code(&self) -> &'static str {
        match self {
            RejectReason::Empty => "empty",
            RejectReason::TooLarge { .. } => "too_large",
            RejectReason::Undecodable(_) => "undecodable",
            RejectReason::BadEnvelope(_) => "bad_envelope",
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{article_id}: {reason}")]
pub struct Rejection {
    pub article_id: String,
    pub reason: RejectReason,
}

#[derive(Deserialize)]
struct Envelope {
    id: Option<serde_json::Value>,
    url: Option<String>,
    source: Option<String>,
    title: Option<String>,
    published_at: Option<String>,
    content: Option<String>,
    content_type: Option<String>,
}

/// The id of an input that carries none: a content hash, so a redelivery
/// of the same bytes gets the same id.
pub fn fallback_id(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(bytes)[..8])
}

/// Decode one input. `id_hint` (a file name, a Kafka key) is used when the
/// envelope names no id.
pub fn decode(bytes: &[u8], id_hint: Option<&str>, limits: &DecodeLimits) -> Result<RawArticle, Rejection> {
    let default_id = || id_hint.map(str::to_owned).unwrap_or_else(|| fallback_id(bytes));
    let reject = |id: String, reason| Err(Rejection { article_id: id, reason });
    if bytes.len() > limits.max_input_bytes {
        return reject(default_id(), RejectReason::TooLarge { size: bytes.len(), limit: limits.max_input_bytes });
    }
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return reject(default_id(), RejectReason::Empty);
    }
    if trimmed.first() == Some(&b'{') {
        if let Ok(env) = serde_json::from_slice::<Envelope>(trimmed) {
            let id = match env.id {
                Some(serde_json::Value::String(s)) if !s.is_empty() => s,
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => default_id(),
            };
            let Some(content) = env.content.filter(|c| !c.trim().is_empty()) else {
                return reject(id, RejectReason::Empty);
            };
            return Ok(RawArticle {
                id,
                url: env.url,
                source: env.source,
                title: env.title,
                published_at: env.published_at,
                content_type: env.content_type,
                body: content,
                encoding: "UTF-8",
            });
        }
    }
    let (body, encoding) = decode_text(trimmed).map_err(|reason| Rejection { article_id: default_id(), reason })?;
    Ok(RawArticle { id: default_id(), body, encoding, ..RawArticle::default() })
}

/// Detect and decode a legacy-encoded or UTF-8 byte string.
fn decode_text(bytes: &[u8]) -> Result<(String, &'static str), RejectReason> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_owned(), "UTF-8"));
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let enc = det.guess(Some(b"cn"), chardetng::Utf8Detection::Allow);
    let (text, _, had_errors) = enc.decode(bytes);
    if had_errors {
        let bad = text.chars().filter(|&c| c == '\u{FFFD}').count();
        if bad * 10 > text.chars().count() {
            return Err(RejectReason::Undecodable(format!(
                "{bad} of {} characters are not valid {}",
                text.chars().count(),
                enc.name()
            )));
        }
    }
    Ok((text.into_owned(), enc.name()))
}
