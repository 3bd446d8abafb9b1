//! Fingerprints of a normalised article and how two of them are compared.
//!
//! Why bottom-k sketches and not SimHash: a reprint cut after its first
//! third shares only a third of the full article's shingles, which SimHash
//! (and plain Jaccard) cannot tell from an unrelated text; containment
//! (|A∩B| / min(|A|,|B|)) can, and a bottom-k sketch estimates it from a
//! fixed-size sample. The smallest few hashes double as index anchors: if
//! A' ⊂ A, every anchor of A that lies in A' is also an anchor of A'.

use crate::normalize::is_han;
use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Characters per shingle. Five keeps unrelated articles on the same topic
/// (which share many four-character terms like 招商引资) apart.
pub const SHINGLE_CHARS: usize = 5;
/// Shingle hashes kept per article for verification.
pub const SKETCH_K: usize = 128;
/// The smallest hashes, looked up to find candidates.
pub const ANCHORS: usize = 32;
/// Anchors an article is indexed under: the smallest ones not already
/// shared by [`crate::dedup::index::POSTING_CAP`] articles (stock phrases
/// of a template family would otherwise hide a reprint's real anchors).
/// Any anchor of A inside its copy A' ranks no worse in A', so the copy's
/// [`ANCHORS`] lookups still meet it.
pub const INDEXED_ANCHORS: usize = 16;
/// Figures kept per article.
pub const FIGURES_K: usize = 48;
/// Distinct years kept per article.
pub const YEARS_K: usize = 16;

const SHINGLE_SEED: u64 = 0x7a68_616f_7368_616e;
const NUMBER_SEED: u64 = 0x6e75_6d62_6572_7321;

/// What the pipeline needs to recognise a story again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// SHA-256 of the normalised text (also the article's `content_sha256`).
    pub exact: [u8; 32],
    /// Distinct shingles in the canonical text.
    pub shingles: u32,
    /// Full 64-bit hashes of the [`ANCHORS`] smallest shingles, ascending.
    pub anchors: Vec<u64>,
    /// Top 32 bits of the [`SKETCH_K`] smallest shingle hashes, ascending.
    pub sketch: Vec<u32>,
    /// Distinct figures in the text (see [`is_figure`]).
    pub figures: u32,
    /// Top 32 bits of the [`FIGURES_K`] smallest figure hashes, ascending.
    pub figure_sketch: Vec<u32>,
    /// Years mentioned (1900–2100), ascending, at most [`YEARS_K`].
    pub years: Vec<u16>,
}

/// Fingerprint the normalised text. The text is folded further for the
/// near-duplicate part (Simplified script, Han characters and digits only)
/// so leftover ruby, punctuation, spacing and Latin furniture never count.
pub fn fingerprint(text: &str) -> Fingerprint {
    let exact: [u8; 32] = Sha256::digest(text.as_bytes()).into();
    let folded = fold(text);
    let canon: Vec<char> = folded.chars().filter(|c| is_han(*c) || c.is_ascii_digit()).collect();
    let mut hashes: Vec<u64> = shingle_hashes(&canon);
    hashes.sort_unstable();
    hashes.dedup();
    let shingles = hashes.len() as u32;
    let anchors = hashes.iter().take(ANCHORS).copied().collect();
    let sketch = hashes.iter().take(SKETCH_K).map(|h| (h >> 32) as u32).collect();
    let mut figures: Vec<u64> = Vec::new();
    let mut years: Vec<u16> = Vec::new();
    for token in number_tokens(&folded) {
        match year(token) {
            Some(y) => years.push(y),
            None if is_figure(token) => figures.push(xxh3_64_with_seed(token.as_bytes(), NUMBER_SEED)),
            None => {}
        }
    }
    figures.sort_unstable();
    figures.dedup();
    years.sort_unstable();
    years.dedup();
    years.truncate(YEARS_K);
    let figure_sketch = figures.iter().take(FIGURES_K).map(|h| (h >> 32) as u32).collect();
    Fingerprint { exact, shingles, anchors, sketch, figures: figures.len() as u32, figure_sketch, years }
}

fn year(token: &str) -> Option<u16> {
    let y: u16 = token.parse().ok()?;
    (token.len() == 4 && (1900..=2100).contains(&y)).then_some(y)
}

/// A number that identifies a story: a decimal (44.8亿元, 5.2%) or an
/// integer of three or more digits (655个, 1780户). Day, month and small
/// counts recur in every article and say nothing; years are kept apart.
pub fn is_figure(token: &str) -> bool {
    token.contains('.') || token.trim_start_matches('0').len() >= 3
}

/// Simplified script and ASCII digits, whatever the normaliser left.
fn fold(text: &str) -> String {
    let simplified = crate::normalize::t2s(text);
    simplified
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            _ => c,
        })
        .collect()
}


fn shingle_hashes(canon: &[char]) -> Vec<u64> {
    let mut buf = [0u8; SHINGLE_CHARS * 4];
    let hash = |w: &[char], buf: &mut [u8; SHINGLE_CHARS * 4]| {
        for (i, c) in w.iter().enumerate() {
            buf[i * 4..i * 4 + 4].copy_from_slice(&(*c as u32).to_le_bytes());
        }
        xxh3_64_with_seed(&buf[..w.len() * 4], SHINGLE_SEED)
    };
    if canon.is_empty() {
        return Vec::new();
    }
    if canon.len() < SHINGLE_CHARS {
        return vec![hash(canon, &mut buf)];
    }
    canon.windows(SHINGLE_CHARS).map(|w| hash(w, &mut buf)).collect()
}

/// Digit runs with an optional decimal part: `44.8`, `2020`, `17`.
fn number_tokens(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        }
        // Digits are ASCII, so these are character boundaries.
        text.get(start..i)
    })
}

/// Containment of the smaller set in the larger, estimated from two
/// bottom-k sketches: below the smaller of the two k-th values both sets
/// are known exactly, and that hash range is a uniform sample of both.
/// Returns the estimate and the sample size it rests on.
pub fn containment(a: &[u32], a_total: u32, b: &[u32], b_total: u32, k: usize) -> (f64, usize) {
    debug_assert!(a.len() <= k && b.len() <= k);
    // A sketch holding the whole set knows it over the full hash range.
    let threshold = |s: &[u32], total: u32| if (total as usize) > s.len() { s.last().copied().unwrap_or(0) } else { u32::MAX };
    let t = threshold(a, a_total).min(threshold(b, b_total));
    let a_t: Vec<u32> = a.iter().copied().filter(|v| *v <= t).collect();
    let b_t: Vec<u32> = b.iter().copied().filter(|v| *v <= t).collect();
    let smaller = a_t.len().min(b_t.len());
    if smaller == 0 {
        return (0.0, 0);
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a_t.len() && j < b_t.len() {
        match a_t[i].cmp(&b_t[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (common as f64 / smaller as f64, smaller)
}

/// How two fingerprints relate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// Estimated share of the smaller article's shingles found in the other.
    pub text: f64,
    /// Share of the smaller article's figures found in the other (`None`
    /// when either has fewer than [`MIN_FIGURES`]).
    pub figures: Option<f64>,
    /// Both articles name years and none in common.
    pub years_disjoint: bool,
}

/// Below this many shingles a text is too short for a near-duplicate
/// verdict (a one-line notice would be "contained" in many articles); it
/// can still be an exact duplicate.
pub const MIN_NEAR_SHINGLES: u32 = 40;
/// Figures both articles need before figures may veto or support.
pub const MIN_FIGURES: u32 = 3;
/// Figures of a true copy agree; below this share they are another story
/// written from the same template (next month's bulletin, another day's
/// market report).
pub const FIGURE_AGREEMENT: f64 = 0.5;
/// A rewrite of the same report (another outlet's own words) shares few
/// shingles but its figures: accepted when this much text and
/// [`REWRITE_FIGURES`] of the figures agree.
pub const REWRITE_TEXT: f64 = 0.15;
pub const REWRITE_FIGURES: f64 = 0.8;

pub fn compare(a: &Fingerprint, b: &Fingerprint) -> Comparison {
    let (text, _) = containment(&a.sketch, a.shingles, &b.sketch, b.shingles, SKETCH_K);
    let figures = if a.figures.min(b.figures) >= MIN_FIGURES {
        Some(containment(&a.figure_sketch, a.figures, &b.figure_sketch, b.figures, FIGURES_K).0)
    } else {
        None
    };
    let years_disjoint = !a.years.is_empty() && !b.years.is_empty() && !a.years.iter().any(|y| b.years.contains(y));
    Comparison { text, figures, years_disjoint }
}

impl Comparison {
    /// The near-duplicate verdict: the similarity to report, or `None`.
    pub fn near_duplicate(&self, a: &Fingerprint, b: &Fingerprint, threshold: f64) -> Option<f64> {
        if a.shingles.min(b.shingles) < MIN_NEAR_SHINGLES {
            return None;
        }
        if self.years_disjoint {
            return None;
        }
        let copied = self.text >= threshold && self.figures.is_none_or(|n| n >= FIGURE_AGREEMENT);
        let rewritten = self.text >= REWRITE_TEXT && self.figures.is_some_and(|n| n >= REWRITE_FIGURES);
        (copied || rewritten).then_some(self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "4月18日，青川县在成都举行2024年文旅康养产业招商推介会，现场集中签约项目12个，协议总投资达86.5亿元，涵盖生态康养、山地运动、农特产品精深加工等领域。\n\
        推介会上，县委主要负责人介绍了青川的区位交通、资源禀赋和营商环境，表示将以最优政策、最好服务支持项目落地。\n\
        据了解，今年以来青川县已开展外出招商活动23批次，对接企业140余家，新引进亿元以上项目9个，预计带动就业1200人。";

    #[test]
    fn identical_texts_contain_each_other_fully() {
        let a = fingerprint(BASE);
        let c = compare(&a, &a);
        assert_eq!(c.text, 1.0);
        assert_eq!(c.figures, Some(1.0));
        assert!(!c.years_disjoint);
    }

    #[test]
    fn a_truncated_copy_is_contained() {
        let full = fingerprint(BASE);
        let cut: String = BASE.chars().take(BASE.chars().count() / 3).collect();
        let part = fingerprint(&cut);
        let c = compare(&part, &full);
        assert_eq!(c.text, 1.0, "a prefix is a subset of the whole");
        assert!(c.near_duplicate(&part, &full, 0.5).is_some());
    }

    #[test]
    fn traditional_script_and_ruby_fold_away() {
        let trad = hanconv::s2t(BASE).replacen("青川", "青(qīng)川(chuān)", 2);
        let c = compare(&fingerprint(&trad), &fingerprint(BASE));
        assert!(c.text > 0.9, "{c:?}");
    }

    #[test]
    fn same_template_other_figures_is_not_a_duplicate() {
        let other = BASE.replace("4月18日", "9月3日")
            .replace("2024", "2025")
            .replace("12个", "15个")
            .replace("86.5", "103.2")
            .replace("23批次", "31批次")
            .replace("140余家", "175余家")
            .replace("9个", "6个");
        let (a, b) = (fingerprint(BASE), fingerprint(&other));
        let c = compare(&a, &b);
        assert!(c.near_duplicate(&a, &b, 0.5).is_none(), "{c:?}");
    }

    #[test]
    fn short_texts_are_never_near_duplicates() {
        let (a, b) = (fingerprint("青川县招商推介会举行"), fingerprint(BASE));
        assert!(compare(&a, &b).near_duplicate(&a, &b, 0.0).is_none());
    }

    #[test]
    fn figures_are_decimals_and_long_integers() {
        assert!(is_figure("44.8") && is_figure("655") && is_figure("1780"));
        assert!(!is_figure("17") && !is_figure("08") && !is_figure("0009"));
        assert_eq!(year("2020"), Some(2020));
        assert_eq!(year("3000"), None);
    }

    #[test]
    fn number_tokens_keep_decimals() {
        let t: Vec<&str> = number_tokens("总投资44.8亿元，项目17个。2020.").collect();
        assert_eq!(t, ["44.8", "17", "2020"]);
    }

    #[test]
    fn empty_text_has_an_empty_fingerprint() {
        let f = fingerprint("");
        assert_eq!((f.shingles, f.sketch.len(), f.figures), (0, 0, 0));
    }
}
