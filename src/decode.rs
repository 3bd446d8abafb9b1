//! Stage 1 — decode: raw message bytes → [`RawArticle`] or a [`Rejection`].
//!
//! Accepts a JSON envelope (spec section 1) or bare article bytes, detects
//! the character encoding (UTF-8, UTF-16 with BOM, GB18030/GBK, Big5) and
//! decodes. Nothing here panics on input: every failure is a
//! [`RejectReason`] whose message tells the sender what to fix.

use encoding_rs::{Encoding, BIG5, GBK, UTF_16BE, UTF_16LE, UTF_8};
use serde_json::{Map, Value};

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

/// Share of replacement characters above which a decoded text is garbage
/// rather than a text with a few damaged characters.
const MAX_REPLACEMENT_SHARE: f64 = 0.10;
/// Share of control characters (other than tab, newline, carriage return,
/// form feed) above which the input is binary, not text.
const MAX_CONTROL_SHARE: f64 = 0.02;
/// Valid non-ASCII UTF-8 characters needed per invalid sequence for the
/// input to count as damaged UTF-8: a crawler that cut a page
/// mid-character leaves one bad sequence among hundreds of good ones, while
/// GBK or Big5 bytes are nearly all invalid as UTF-8.
const UTF8_GOOD_PER_BAD: usize = 50;

/// The id of an input that carries none: a content hash, so a redelivery
/// of the same bytes gets the same id.
pub fn fallback_id(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(bytes)[..8])
}

/// Decode one input. `id_hint` (a file name, a Kafka key) is used when the
/// envelope names no id.
pub fn decode(bytes: &[u8], id_hint: Option<&str>, limits: &DecodeLimits) -> Result<RawArticle, Rejection> {
    let default_id = || id_hint.filter(|h| !h.is_empty()).map(str::to_owned).unwrap_or_else(|| fallback_id(bytes));
    let reject = |reason| Rejection { article_id: default_id(), reason };
    if bytes.len() > limits.max_input_bytes {
        return Err(reject(RejectReason::TooLarge { size: bytes.len(), limit: limits.max_input_bytes }));
    }
    if bytes.trim_ascii().is_empty() {
        return Err(reject(RejectReason::Empty));
    }
    let (text, encoding) = decode_text(bytes).map_err(reject)?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(reject(RejectReason::Empty));
    }
    if looks_like_envelope(trimmed) {
        return envelope(trimmed, encoding, default_id);
    }
    Ok(RawArticle { id: default_id(), body: text, encoding, ..RawArticle::default() })
}

/// A JSON object opening (`{"`): anything else that starts with `{` is
/// article text (`{记者}` or a template placeholder).
fn looks_like_envelope(text: &str) -> bool {
    text.strip_prefix('{').is_some_and(|rest| rest.trim_start().starts_with('"') || rest.trim_start().starts_with('}'))
}

fn envelope(text: &str, encoding: &'static str, default_id: impl Fn() -> String) -> Result<RawArticle, Rejection> {
    let bad = |id: String, msg: String| Err(Rejection { article_id: id, reason: RejectReason::BadEnvelope(msg) });
    let map: Map<String, Value> = match serde_json::from_str(text) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return bad(default_id(), "the message is JSON but not an object".into()),
        Err(e) => {
            return bad(default_id(), format!("the message starts like a JSON envelope but does not parse ({e}); send valid JSON or the bare article"))
        }
    };
    let id = match map.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => default_id(),
    };
    let body = match map.get("content") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => {
            return bad(id, "the envelope has no `content` field (the article text or HTML is required)".into())
        }
        Some(other) => {
            return bad(id, format!("`content` must be a string holding the article text or HTML, found {}", json_kind(other)))
        }
    };
    if body.trim().is_empty() {
        return Err(Rejection { article_id: id, reason: RejectReason::Empty });
    }
    let field = |name: &str| match map.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    Ok(RawArticle {
        url: field("url"),
        source: field("source"),
        title: field("title"),
        published_at: field("published_at"),
        content_type: field("content_type"),
        body,
        encoding,
        id,
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Detect and decode: BOM first, then UTF-8 (tolerating a truncated
/// character or two), then chardetng's guess among the legacy encodings.
fn decode_text(bytes: &[u8]) -> Result<(String, &'static str), RejectReason> {
    if let Some(kind) = binary_magic(bytes) {
        return Err(RejectReason::Undecodable(format!("the message is {kind}, not text; send the article text or HTML")));
    }
    let (text, enc) = if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let rest = bytes.get(bom_len..).unwrap_or_default();
        if enc == UTF_16LE || enc == UTF_16BE {
            if rest.len() % 2 == 1 {
                return Err(RejectReason::Undecodable(format!(
                    "the message has a {} byte-order mark but an odd number of bytes; it was cut short or is not UTF-16",
                    enc.name()
                )));
            }
        }
        (enc.decode_without_bom_handling(rest).0.into_owned(), enc)
    } else if mostly_utf8(bytes) {
        (String::from_utf8_lossy(bytes).into_owned(), UTF_8)
    } else {
        let enc = guess_legacy(bytes);
        (enc.decode_without_bom_handling(bytes).0.into_owned(), enc)
    };
    check_text(&text, enc)?;
    Ok((text, enc.name()))
}

/// UTF-8 with at most a few damaged sequences (all of it, when valid).
fn mostly_utf8(bytes: &[u8]) -> bool {
    let mut bad = 0usize;
    let mut good = 0usize;
    for chunk in bytes.utf8_chunks() {
        good += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        if !chunk.invalid().is_empty() {
            bad += 1;
        }
    }
    bad * UTF8_GOOD_PER_BAD <= good
}

/// GBK (which encoding_rs decodes as the GB18030 superset) or Big5.
///
/// Big5 double bytes are mostly valid GBK too. Measured on a 14- and a
/// 126-character sentence: with the `cn` hint chardetng reads Big5 bytes as
/// GBK (nonsense Simplified text), with `tw` it reads GBK bytes as Big5;
/// with no hint it gets all of them right. So no hint, and `cn` only when
/// the unhinted guess is neither Chinese encoding (mainland feeds make GBK
/// the better bet then).
fn guess_legacy(bytes: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let generic = det.guess(None, chardetng::Utf8Detection::Deny);
    if generic == BIG5 || generic == GBK {
        return generic;
    }
    let cn = det.guess(Some(b"cn"), chardetng::Utf8Detection::Deny);
    if cn == BIG5 || cn == GBK {
        cn
    } else {
        generic
    }
}

/// Known binary formats sent by mistake: name them so the sender knows what went wrong.
fn binary_magic(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x1f\x8b", "gzip-compressed data"),
        (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
        (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
        (b"%PDF-", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x7fELF", "an executable"),
    ];
    MAGIC.iter().find(|(m, _)| bytes.starts_with(m)).map(|(_, name)| *name)
}

/// Reject decoded text that is mostly replacement or control characters.
fn check_text(text: &str, enc: &'static Encoding) -> Result<(), RejectReason> {
    let mut total = 0usize;
    let mut replacement = 0usize;
    let mut control = 0usize;
    for c in text.chars() {
        total += 1;
        if c == '\u{FFFD}' {
            replacement += 1;
        } else if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{0C}') {
            control += 1;
        }
    }
    if total == 0 {
        return Ok(());
    }
    if control as f64 > total as f64 * MAX_CONTROL_SHARE {
        return Err(RejectReason::Undecodable(format!(
            "{control} of {total} characters are control characters: the message looks like binary data, not text"
        )));
    }
    if replacement as f64 > total as f64 * MAX_REPLACEMENT_SHARE {
        return Err(RejectReason::Undecodable(format!(
            "{replacement} of {total} characters are not valid {}; send UTF-8, GB18030/GBK or Big5 text",
            enc.name()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENTENCE: &str = "今年一季度,全市新签约招商引资项目38个,总投资216.5亿元,其中亿元以上项目21个,\
同比增长百分之十五。市商务局负责人表示,将继续围绕新能源、新材料、高端装备制造等主导产业开展精准招商,\
力争全年签约项目超过一百五十个,为经济高质量发展注入强劲动力。";
    const TRADITIONAL: &str = "今年一季度,全市新簽約招商引資項目38個,總投資216.5億元,其中億元以上項目21個,\
同比增長百分之十五。市商務局負責人表示,將繼續圍繞新能源、新材料、高端裝備製造等主導產業開展精準招商,\
力爭全年簽約項目超過一百五十個,為經濟高質量發展注入強勁動力。";

    fn dec(bytes: &[u8]) -> Result<RawArticle, Rejection> {
        decode(bytes, Some("hint"), &DecodeLimits::default())
    }

    fn encode(enc: &'static Encoding, s: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = enc.encode(s);
        assert!(!unmappable, "test sentence not representable in {}", enc.name());
        bytes.into_owned()
    }

    #[test]
    fn detects_and_decodes_legacy_encodings() {
        let gb18030 = encoding_rs::GB18030;
        let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
            ("gbk simplified", encode(GBK, SENTENCE), SENTENCE, "GBK"),
            ("gb18030 simplified", encode(gb18030, SENTENCE), SENTENCE, "GBK"),
            ("gbk traditional", encode(GBK, TRADITIONAL), TRADITIONAL, "GBK"),
            ("big5 traditional", encode(BIG5, TRADITIONAL), TRADITIONAL, "Big5"),
            ("utf-8", SENTENCE.as_bytes().to_vec(), SENTENCE, "UTF-8"),
            ("utf-8 traditional", TRADITIONAL.as_bytes().to_vec(), TRADITIONAL, "UTF-8"),
        ];
        for (name, bytes, want, enc) in cases {
            let raw = dec(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(raw.body, want, "{name}");
            assert_eq!(raw.encoding, enc, "{name}");
        }
    }

    #[test]
    fn short_big5_and_gbk_headlines() {
        let cases = [("縣裡舉行重點項目集中簽約儀式 總投資四十四億元", BIG5), ("县里举行重点项目集中签约仪式 总投资四十四亿元", GBK)];
        for (text, enc) in cases {
            let raw = dec(&encode(enc, text)).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(raw.body, text);
        }
    }

    #[test]
    fn byte_order_marks() {
        let mut utf8 = vec![0xEF, 0xBB, 0xBF];
        utf8.extend_from_slice(SENTENCE.as_bytes());
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in SENTENCE.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        for (name, bytes, enc) in [("utf-8 bom", utf8, "UTF-8"), ("utf-16le", le, "UTF-16LE"), ("utf-16be", be, "UTF-16BE")] {
            let raw = dec(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(raw.body, SENTENCE, "{name}");
            assert_eq!(raw.encoding, enc, "{name}");
        }
        let mut odd = vec![0xFF, 0xFE];
        odd.extend_from_slice(&[0x41, 0x00, 0x42]);
        assert_eq!(dec(&odd).map_err(|e| e.reason.code()).err(), Some("undecodable"));
    }

    #[test]
    fn utf8_cut_mid_character_stays_utf8() {
        let mut bytes = SENTENCE.as_bytes().to_vec();
        bytes.extend_from_slice(&"项目".as_bytes()[..4]);
        let raw = dec(&bytes).expect("decodes");
        assert_eq!(raw.encoding, "UTF-8");
        assert!(raw.body.starts_with(SENTENCE));
        assert!(raw.body.contains("项\u{FFFD}"), "{:?}", raw.body);
    }

    #[test]
    fn envelope_variants() {
        let cases: Vec<(&str, &str, Option<&str>, Option<&str>, &str)> = vec![
            (r#"{"id":"a1","content":"正文"}"#, "a1", None, None, "正文"),
            (r#"{"id":42,"content":"正文"}"#, "42", None, None, "正文"),
            (r#"{"content":"正文","title":"标题"}"#, "hint", Some("标题"), None, "正文"),
            (
                r#"{"id":"x","url":"https://example.cn/a","source":"某报","title":" 标题 ","published_at":"2024-05-12T01:12:00+08:00","content":"<p>正文</p>","content_type":"text/html","extra":[1,2]}"#,
                "x",
                Some("标题"),
                Some("text/html"),
                "<p>正文</p>",
            ),
            ("  \n{\"id\":\"\",\"content\":\"正文\"}\n", "hint", None, None, "正文"),
            (r#"{"id":null,"title":7,"content":"正文"}"#, "hint", Some("7"), None, "正文"),
            ("{记者}今天报道了签约项目", "hint", None, None, "{记者}今天报道了签约项目"),
        ];
        for (input, id, title, ct, body) in cases {
            let raw = dec(input.as_bytes()).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(raw.id, id, "{input}");
            assert_eq!(raw.title.as_deref(), title, "{input}");
            assert_eq!(raw.content_type.as_deref(), ct, "{input}");
            assert_eq!(raw.body, body, "{input}");
        }
        let raw = dec(br#"{"id":"u","url":"https://example.cn/a","source":"S","published_at":"2024-01-01","content":"x"}"#).expect("decodes");
        assert_eq!(
            (raw.url.as_deref(), raw.source.as_deref(), raw.published_at.as_deref()),
            (Some("https://example.cn/a"), Some("S"), Some("2024-01-01"))
        );
    }

    #[test]
    fn envelope_in_utf16_and_gbk() {
        let json = format!(r#"{{"id":"g1","content":"{SENTENCE}"}}"#);
        let mut le = vec![0xFF, 0xFE];
        for u in json.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        for bytes in [le, encode(GBK, &json)] {
            let raw = dec(&bytes).expect("decodes");
            assert_eq!((raw.id.as_str(), raw.body.as_str()), ("g1", SENTENCE));
        }
    }

    #[test]
    fn rejections_name_the_problem() {
        let limits = DecodeLimits { max_input_bytes: 64 };
        let big = vec![b'a'; 65];
        assert_eq!(decode(&big, None, &limits).map_err(|e| e.reason).err(), Some(RejectReason::TooLarge { size: 65, limit: 64 }));
        let mut noise = fastrand::Rng::with_seed(7);
        let random: Vec<u8> = (0..4096).map(|_| noise.u8(..)).collect();
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (Vec::new(), "empty", "no content"),
            (b" \n\t ".to_vec(), "empty", "no content"),
            (br#"{"id":"e","content":"   "}"#.to_vec(), "empty", "no content"),
            (br#"{"id":"e","title":"t"}"#.to_vec(), "bad_envelope", "no `content` field"),
            (br#"{"id":"e","content":12}"#.to_vec(), "bad_envelope", "found a number"),
            (br#"{"id":"e","content":"#.to_vec(), "bad_envelope", "does not parse"),
            (b"\x1f\x8b\x08\x00\x00\x00\x00\x00".to_vec(), "undecodable", "gzip"),
            (b"%PDF-1.7 ...".to_vec(), "undecodable", "PDF"),
            (random, "undecodable", "binary"),
            (vec![0u8; 100], "undecodable", "binary"),
        ];
        for (bytes, code, words) in cases {
            let err = dec(&bytes).expect_err("must be rejected");
            assert_eq!(err.reason.code(), code, "{:?}", err.reason);
            assert!(err.to_string().contains(words), "{err}");
        }
        let err = dec(br#"{"id":"e7","content":12}"#).expect_err("rejected");
        assert_eq!(err.article_id, "e7", "the envelope's id names the rejection");
    }
}
