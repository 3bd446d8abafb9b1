//! Inline pinyin ruby removal: `萬(wàn)州力爭(zhēng)` → `萬州力爭`.
//!
//! Runs before script conversion, because the conversion works on phrases
//! and a `(wàn)` between two characters would split the phrase. Only a
//! parenthesised *single pinyin syllable* right after a Han character goes,
//! so `(记者 张三)`, `(2021年)` and `华为(Huawei)` stay.

use std::sync::LazyLock;

use regex::{Captures, Regex};

/// A Han character (absent when a lossy source ate it), then a
/// parenthesised run of Latin letters with pinyin tone marks (ASCII or
/// full-width parentheses). The regex crate runs it in linear time.
static RUBY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\p{Han})?[(（]\s?([a-zA-Z\u{00C0}-\u{024F}\u{0300}-\u{036F}ḿ]{1,7})\s?[)）]")
        .expect("ruby regex is valid")
});

/// Pinyin syllable shape after tone marks are removed and case folded.
static SYLLABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?(?:iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|ei|ao|ou|an|en|in|un|vn|ia|ie|iu|ua|uo|ui|ue|ve|er|a|o|e|i|u|v)(?:r)?$|^(?:m|n|ng|hm|hng)$",
    )
    .expect("syllable regex is valid")
});

/// Map a tone-marked vowel to its base letter; `ü` → `v` as in input methods.
fn base_letter(c: char) -> Option<char> {
    let b = match c {
        'a'..='z' => c,
        'A'..='Z' => c.to_ascii_lowercase(),
        'ā' | 'á' | 'ǎ' | 'à' | 'Ā' | 'Á' | 'Ǎ' | 'À' => 'a',
        'ē' | 'é' | 'ě' | 'è' | 'Ē' | 'É' | 'Ě' | 'È' | 'ê' => 'e',
        'ī' | 'í' | 'ǐ' | 'ì' | 'Ī' | 'Í' | 'Ǐ' | 'Ì' => 'i',
        'ō' | 'ó' | 'ǒ' | 'ò' | 'Ō' | 'Ó' | 'Ǒ' | 'Ò' => 'o',
        'ū' | 'ú' | 'ǔ' | 'ù' | 'Ū' | 'Ú' | 'Ǔ' | 'Ù' => 'u',
        'ü' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' | 'Ü' => 'v',
        'ń' | 'ň' | 'ǹ' => 'n',
        'ḿ' => 'm',
        _ => return None,
    };
    Some(b)
}

fn has_tone_mark(s: &str) -> bool {
    s.chars().any(|c| !c.is_ascii())
}

/// Is `s` one pinyin syllable (tone-marked or not)?
fn is_syllable(s: &str) -> bool {
    let mut base = String::with_capacity(s.len());
    for c in s.chars() {
        match base_letter(c) {
            Some(b) => base.push(b),
            // Combining tone marks (decomposed input) carry no letter.
            None if ('\u{0300}'..='\u{036F}').contains(&c) => {}
            None => return false,
        }
    }
    SYLLABLE.is_match(&base)
}

/// Remove pinyin ruby annotations. Toneless syllables (`(de)`, `(ma)`) are
/// only removed when the text carries tone-marked ruby elsewhere, so an
/// English gloss like `(man)` in ordinary text is left alone.
pub fn strip_ruby(text: &str) -> String {
    if !text.contains('(') && !text.contains('（') {
        return text.to_owned();
    }
    let annotated = RUBY
        .captures_iter(text)
        .filter(|c| c.get(1).is_some() && c.get(2).is_some_and(|m| has_tone_mark(m.as_str()) && is_syllable(m.as_str())))
        .take(2)
        .count()
        >= 2;
    RUBY.replace_all(text, |caps: &Captures| {
        let whole = caps.get(0).map_or("", |m| m.as_str());
        let Some(py) = caps.get(2).map(|m| m.as_str()) else { return whole.to_owned() };
        match caps.get(1) {
            Some(han) if is_syllable(py) && (annotated || has_tone_mark(py)) => han.as_str().to_owned(),
            // A tone-marked syllable whose character was lost (`a(chǎn)`):
            // tone marks never occur in Chinese news outside ruby.
            None if is_syllable(py) && has_tone_mark(py) => String::new(),
            _ => whole.to_owned(),
        }
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_pinyin_ruby_and_keeps_real_parentheses() {
        let cases = [
            ("萬(wàn)州力爭(zhēng)今年", "萬州力爭今年"),
            ("臺(tái)海網(wǎng)訊", "臺海網訊"),
            ("項（xiàng）目（mù）簽約", "項目簽約"),
            ("綠(lǜ)色發(fā)展", "綠色發展"),
            ("(通訊員 郭揚(yáng) 記者 李四)", "(通訊員 郭揚 記者 李四)"),
            ("(记者 张三)报道", "(记者 张三)报道"),
            ("(通讯员 郭扬)", "(通讯员 郭扬)"),
            ("规划(2021年)发布", "规划(2021年)发布"),
            ("华为(Huawei)公司", "华为(Huawei)公司"),
            ("英文名(China)不动", "英文名(China)不动"),
            ("首字母缩写(GDP)", "首字母缩写(GDP)"),
            // Toneless syllables only go when the article carries tone-marked ruby.
            ("他的(de)书", "他的(de)书"),
            ("萬(wàn)州的(de)項(xiàng)目", "萬州的項目"),
            ("没有括号的文本", "没有括号的文本"),
            // The character before the ruby was lost to a lossy source.
            ("环保科技a(chǎn)业园", "环保科技a业园"),
            ("(ABC)公司(2020)", "(ABC)公司(2020)"),
        ];
        for (input, want) in cases {
            assert_eq!(strip_ruby(input), want, "input {input:?}");
        }
    }

    #[test]
    fn syllable_shapes() {
        for s in ["wàn", "zhēng", "xiàng", "lǜ", "er", "ng", "chuang", "yue", "qiong"] {
            assert!(is_syllable(s), "{s}");
        }
        for s in ["China", "GDP", "abc", "Huawei", "ok", "xyz"] {
            assert!(!is_syllable(s), "{s}");
        }
    }
}
