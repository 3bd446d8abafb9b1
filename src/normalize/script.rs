//! Traditional → Simplified with OpenCC's phrase-level `t2s` tables (hanconv).
//!
//! `t2s`, not `tw2sp`: the Taiwan variant also rewrites mainland vocabulary
//! (建立→创建), which would change the words the extractor keys on.

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Anchored, Input, MatchKind, StartKind};
use hanconv::Dictionary;

use crate::event::Script;

use super::width::is_han;

/// Share of Han characters that conversion must change before the article
/// counts as Traditional. Measured on the dev corpus: Traditional articles
/// change 30–50% of their Han characters, Simplified ones 0%; a Simplified
/// article quoting a Traditional name changes a few percent.
const TRADITIONAL_SHARE: f64 = 0.15;
/// Below this many changed characters the article is Simplified whatever
/// the share (a three-character headline with one variant).
const TRADITIONAL_MIN_CHANGED: usize = 3;

/// Convert to Simplified and report which script the input was in.
pub fn to_simplified(text: &str) -> (String, Script) {
    if text.is_ascii() {
        return (text.to_owned(), Script::Simplified);
    }
    let converted = t2s(text);
    let (han, changed) = count_changes(text, &converted);
    let traditional = changed >= TRADITIONAL_MIN_CHANGED && changed as f64 >= han as f64 * TRADITIONAL_SHARE;
    (converted, if traditional { Script::Traditional } else { Script::Simplified })
}

/// Han characters in `before` and how many differ in `after`. Phrase
/// conversion is almost always one character for one; where a phrase
/// changes length, the counts are taken line by line so one odd phrase
/// does not misalign the rest.
pub(super) fn count_changes(before: &str, after: &str) -> (usize, usize) {
    let han = before.chars().filter(|&c| is_han(c)).count();
    if before.chars().count() == after.chars().count() {
        let changed = before.chars().zip(after.chars()).filter(|(a, b)| a != b).count();
        return (han, changed);
    }
    let mut changed = 0;
    for (a, b) in before.lines().zip(after.lines()) {
        if a.chars().count() == b.chars().count() {
            changed += a.chars().zip(b.chars()).filter(|(x, y)| x != y).count();
        } else {
            // Characters of the line that the conversion made disappear.
            let kept: std::collections::HashSet<char> = b.chars().collect();
            changed += a.chars().filter(|&c| is_han(c) && !kept.contains(&c)).count();
        }
    }
    (han, changed)
}

/// Convert a short string (a title) whose script is already decided by the body.
pub fn convert(text: &str) -> String {
    if text.is_ascii() {
        text.to_owned()
    } else {
        t2s(text)
    }
}

/// hanconv's T2S tables (phrases, then characters, a later entry replacing
/// an earlier one): an anchored longest-key automaton, and the characters a
/// key can start with.
struct T2s {
    keys: AhoCorasick,
    values: Vec<&'static str>,
    /// Bit per code point: whether some key starts with it.
    starts: Vec<u64>,
    /// Bit per code point: whether some key of two or more characters starts with it.
    starts_phrase: Vec<u64>,
    /// Single-character keys: the key → index in `values`.
    single: HashMap<char, usize>,
}

fn has(bits: &[u64], c: char) -> bool {
    let c = c as usize;
    bits[c / 64] & (1 << (c % 64)) != 0
}

fn set(bits: &mut [u64], c: char) {
    let c = c as usize;
    bits[c / 64] |= 1 << (c % 64);
}

static T2S: LazyLock<T2s> = LazyLock::new(|| {
    let mut table: HashMap<&'static str, &'static str> = HashMap::new();
    let mut order: Vec<&'static str> = Vec::new();
    for (key, value) in Dictionary::TSPhrases.iter().chain(Dictionary::TSCharacters.iter()) {
        if !key.is_empty() && table.insert(key, value).is_none() {
            order.push(key);
        }
    }
    let keys = AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .start_kind(StartKind::Anchored)
        .build(&order)
        .expect("the T2S keys build");
    let mut starts = vec![0u64; (char::MAX as usize) / 64 + 1];
    let mut starts_phrase = starts.clone();
    let mut single = HashMap::new();
    for (i, key) in order.iter().enumerate() {
        let mut chars = key.chars();
        if let Some(c) = chars.next() {
            set(&mut starts, c);
            if chars.next().is_some() {
                set(&mut starts_phrase, c);
            } else {
                single.insert(c, i);
            }
        }
    }
    let values = order.iter().map(|k| table[k]).collect();
    T2s { keys, values, starts, starts_phrase, single }
});

/// Traditional → Simplified, exactly as `hanconv::t2s` converts: at each
/// position the longest key starting there, else the character itself.
/// hanconv walks its trie with a hash lookup per character; here most
/// characters (Simplified text is most of the input, and the text is
/// converted twice per article, here and in the dedup fingerprint's fold)
/// are passed over with one bit test, a character that is a key only by
/// itself is looked up, and only one that starts a longer key runs the
/// anchored automaton.
pub fn t2s(text: &str) -> String {
    let t2s = &*T2S;
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        let found = if !has(&t2s.starts, c) {
            None
        } else if has(&t2s.starts_phrase, c) {
            t2s.keys.find(Input::new(text).range(at..).anchored(Anchored::Yes)).map(|m| (m.pattern().as_usize(), m.end()))
        } else {
            t2s.single.get(&c).map(|&i| (i, at + c.len_utf8()))
        };
        match found {
            Some((key, end)) => {
                out.push_str(&text[copied..at]);
                out.push_str(t2s.values[key]);
                copied = end;
                at = end;
            }
            None => at += c.len_utf8(),
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_detects_script() {
        let cases = [
            ("臺海網訊 縣裡舉行招商項目集中簽約儀式,計劃總投資44.8億元", "台海网讯 县里举行招商项目集中签约仪式,计划总投资44.8亿元", Script::Traditional),
            ("萬州力爭今年工業招商引資到位資金120億元", "万州力争今年工业招商引资到位资金120亿元", Script::Traditional),
            ("全市签约项目655个,涉及金额1788.02亿元", "全市签约项目655个,涉及金额1788.02亿元", Script::Simplified),
            // A few Traditional characters quoted in Simplified text do not flip the script.
            (
                "本市今年共引进项目一百多个,其中有一家公司名叫“臺灣精機”,总投资超过十亿元,带动就业五千人,预计明年全面投产,产值将突破五十亿元。",
                "本市今年共引进项目一百多个,其中有一家公司名叫“台湾精机”,总投资超过十亿元,带动就业五千人,预计明年全面投产,产值将突破五十亿元。",
                Script::Simplified,
            ),
            ("", "", Script::Simplified),
            ("plain ASCII 123", "plain ASCII 123", Script::Simplified),
        ];
        for (input, want, script) in cases {
            let (got, s) = to_simplified(input);
            assert_eq!(got, want, "input {input:?}");
            assert_eq!(s, script, "input {input:?}");
        }
    }

    /// Every table key, alone and run together with its neighbours (where
    /// longer keys compete with shorter ones), converts as hanconv does.
    #[test]
    fn converts_exactly_as_hanconv() {
        let keys: Vec<&str> = Dictionary::TSPhrases.iter().chain(Dictionary::TSCharacters.iter()).map(|(k, _)| k).collect();
        for key in &keys {
            assert_eq!(t2s(key), hanconv::t2s(key), "{key}");
        }
        for run in keys.chunks(7) {
            let text = format!("项目{}簽約,2021年", run.join(""));
            assert_eq!(t2s(&text), hanconv::t2s(&text), "{text}");
        }
        let mixed = "臺海網訊 縣裡舉行招商項目集中簽約儀式,乾縣旋乾轉坤,幺麼小丑 (wàn) ABC 123";
        assert_eq!(t2s(mixed), hanconv::t2s(mixed));
    }

    #[test]
    fn keeps_mainland_vocabulary() {
        // tw2sp would turn 建立 into 创建 and 核心 into 内核.
        let (got, _) = to_simplified("建立核心產業鏈");
        assert_eq!(got, "建立核心产业链");
    }
}
