//! Quantities as Chinese news writes them — `1788.02亿元`, `7500万美元`,
//! `400余家`, `一百二十亿元`, `60.13%` — turned into values in base units.
//!
//! This layer only reads the number and its unit; whether a quantity is a
//! measure, a threshold or noise is decided by the caller from context.

use regex::Regex;

use crate::event::Approx;

/// What the unit after a number says it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Money, with its ISO 4217 currency.
    Money(&'static str),
    /// A count with its classifier (个, 项, 家, 户, 场, 场次, 批次, 次).
    Count(Classifier),
    Percent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classifier {
    /// 个 / 项: generic, needs a noun nearby to mean anything.
    Item,
    /// 家 / 户: firms and households.
    Firm,
    /// 场 / 场次 / 批次 / 次: events and trips.
    Occasion,
}

/// One number with its unit, found in a text. Offsets are byte offsets
/// into the scanned string.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub start: usize,
    pub end: usize,
    /// In base units: yuan (not 亿元), a plain count, percent points.
    pub value: f64,
    pub unit: Unit,
    /// From 余/多 between the number and its unit (`400余家`).
    pub approx: Option<Approx>,
    /// The quantity as written (`1788.02亿元`).
    pub text: String,
    /// Money written without 元 (`总投资50亿`): CNY by convention, a
    /// measure only where money words are right before it.
    pub bare: bool,
}

/// Scans text for quantities. Built once: the pattern is compiled in `new`.
pub struct NumberScanner {
    re: Regex,
}

impl NumberScanner {
    pub fn new() -> Result<Self, regex::Error> {
        let re = Regex::new(
            r"(?x)
            (?P<num>
                [0-9]+亿[0-9]+(?:\.[0-9]+)?万
              | [0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?
              | [0-9]+(?:\.[0-9]+)?
              | [零〇一二两三四五六七八九十百千廿卅]+点[零〇一二三四五六七八九]+
              | [零〇一二两三四五六七八九十百千廿卅万亿]+
            )
            (?P<a1>余|多)?
            (?P<mult>个亿|万亿|千亿|百亿|亿|千万|百万|万)?
            (?P<a2>余|多)?
            (?P<unit>美元|美金|港元|港币|欧元|日元|英镑|韩元|元人民币|元|个|項|项|家|户|场次|场|批次|次|%|％)?",
        )?;
        Ok(NumberScanner { re })
    }

    /// All quantities in `text`, left to right.
    pub fn scan(&self, text: &str) -> Vec<Quantity> {
        let mut out = Vec::new();
        for caps in self.re.captures_iter(text) {
            let (Some(whole), Some(num)) = (caps.get(0), caps.name("num")) else {
                continue;
            };
            let mult_str = caps.name("mult").map(|m| m.as_str());
            // `总投资50亿`: an amount without 元, for the caller to accept
            // only next to money words; a bare number without a multiplier
            // is a year, a date, a code.
            let lead_digit = num.as_str().as_bytes().first().is_some_and(u8::is_ascii_digit);
            let unit_str = match caps.name("unit") {
                Some(u) => u.as_str(),
                // `超千亿`: a Chinese numeral ending in 亿 is money by itself
                None if (mult_str.is_some() && lead_digit) || (!lead_digit && num.as_str().ends_with('亿')) => {
                    let next = text[whole.end()..].chars().next();
                    if next.is_some_and(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) && !"的、左以余多".contains(c)) {
                        continue; // `3万人`, `5万吨`
                    }
                    ""
                }
                None => continue,
            };
            let before = &text[..whole.start()];
            // `第3批`, `第二十九届`: ordinals are not quantities; `数十亿`,
            // `几百个`: vague.
            // `项目总数19个` is a count, only `数十亿` is vague.
            if before.ends_with(['第', '几']) || (before.ends_with('数') && !lead_digit) || before.ends_with("若干") {
                continue;
            }
            // `25 7亿元`: a number split by a stray space is garbled, not 7亿.
            let mut tail = before.chars().rev();
            if let (Some(' '), Some(c)) = (tail.next(), tail.next()) {
                if c.is_ascii_digit() {
                    continue;
                }
            }
            // A digit run glued to a letter or dot (`p3`, `v2.1`) is a code.
            if let Some(c) = before.chars().next_back() {
                if c.is_ascii_alphanumeric() || c == '.' {
                    continue;
                }
            }
            let digits = num.as_str();
            let base = if let Some((yi, wan)) = digits.strip_suffix('万').and_then(|d| d.split_once('亿')) {
                // `1亿5000万元`
                match (yi.parse::<f64>(), wan.parse::<f64>()) {
                    (Ok(a), Ok(b)) => a * 1e8 + b * 1e4,
                    _ => continue,
                }
            } else if lead_digit {
                match digits.replace(',', "").parse::<f64>() {
                    Ok(v) => v,
                    Err(_) => continue,
                }
            } else {
                match chinese_decimal(digits) {
                    Some(v) => v,
                    None => continue,
                }
            };
            let mult = match mult_str {
                Some("万亿") => 1e12,
                Some("千亿") => 1e11,
                Some("百亿") => 1e10,
                Some("亿") | Some("个亿") => 1e8,
                Some("千万") => 1e7,
                Some("百万") => 1e6,
                Some("万") => 1e4,
                _ => 1.0,
            };
            let unit = match unit_str {
                "美元" | "美金" => Unit::Money("USD"),
                "港元" | "港币" => Unit::Money("HKD"),
                "欧元" => Unit::Money("EUR"),
                "日元" => Unit::Money("JPY"),
                "英镑" => Unit::Money("GBP"),
                "韩元" => Unit::Money("KRW"),
                "元" | "元人民币" | "" => Unit::Money("CNY"),
                "个" | "项" | "項" => Unit::Count(Classifier::Item),
                "家" | "户" => Unit::Count(Classifier::Firm),
                "%" | "％" => Unit::Percent,
                _ => Unit::Count(Classifier::Occasion),
            };
            // `5亿%` is not a thing.
            if unit == Unit::Percent && mult != 1.0 {
                continue;
            }
            let value = round_base(base * mult, unit);
            if !value.is_finite() {
                continue; // a digit run longer than any real figure
            }
            let approx = if caps.name("a1").is_some() || caps.name("a2").is_some() { Some(Approx::MoreThan) } else { None };
            out.push(Quantity {
                start: whole.start(),
                end: whole.end(),
                value,
                unit,
                approx,
                text: whole.as_str().to_owned(),
                bare: unit_str.is_empty(),
            });
        }
        out
    }
}

/// `1788.02 * 1e8` is `178801999999.99997` in binary floating point; money
/// in base units is whole cents at most, counts are whole.
fn round_base(v: f64, unit: Unit) -> f64 {
    match unit {
        Unit::Money(_) => (v * 100.0).round() / 100.0,
        Unit::Count(_) => v.round(),
        Unit::Percent => (v * 1e6).round() / 1e6,
    }
}

fn digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// `八十六点五` → 86.5; a whole Chinese numeral as [`chinese_value`].
fn chinese_decimal(s: &str) -> Option<f64> {
    let Some((whole, frac)) = s.split_once('点') else {
        return chinese_value(s);
    };
    if whole.is_empty() || frac.is_empty() {
        return None;
    }
    let mut value = chinese_value(whole)?;
    let mut scale = 0.1;
    for c in frac.chars() {
        value += digit(c)? as f64 * scale;
        scale /= 10.0;
    }
    Some(value)
}

/// Value of a Chinese numeral (`三十五`, `一百二十`, `两千`, `一万五千`,
/// `十二亿`). `None` for runs that are not one number (`一二三`).
pub fn chinese_value(s: &str) -> Option<f64> {
    // 廿 and 卅 are twenty and thirty written as one character.
    if s.contains(['廿', '卅']) {
        return chinese_value(&s.replace('廿', "二十").replace('卅', "三十"));
    }
    let mut total: u64 = 0; // completed 亿 sections
    let mut section: u64 = 0; // below 亿, completed 万 part
    let mut group: u64 = 0; // below 万
    let mut pending: Option<u64> = None; // a digit waiting for its unit
    let mut last_unit: u64 = u64::MAX;
    for c in s.chars() {
        if let Some(d) = digit(c) {
            if pending.is_some() && d != 0 {
                return None; // two digits in a row: `一二三`
            }
            pending = if d == 0 { pending } else { Some(d) };
            continue;
        }
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            '万' => 10_000,
            '亿' => 100_000_000,
            _ => return None,
        };
        match unit {
            10 | 100 | 1000 => {
                if unit >= last_unit && last_unit < 10_000 {
                    return None; // `十百`
                }
                let d = pending.take().unwrap_or(1);
                group = group.checked_add(d * unit)?;
                last_unit = unit;
            }
            10_000 => {
                group += pending.take().unwrap_or(0);
                if group == 0 && section == 0 && total == 0 {
                    return None;
                }
                section = if section > 0 && section % 10_000 == 0 && section < 100_000_000 {
                    // a second 万 multiplies everything before it:
                    // 六万五千二百五十四万 = 65254 × 10⁴
                    section.checked_add(group)?.checked_mul(10_000)?
                } else {
                    section.checked_add(group.max(1).checked_mul(10_000)?)?
                };
                group = 0;
                last_unit = u64::MAX;
            }
            _ => {
                group += pending.take().unwrap_or(0);
                let part = section.checked_add(group)?;
                if part == 0 && total == 0 {
                    return None;
                }
                // `亿亿亿…` overflows: not a number anyone wrote
                total = total.checked_add(part.max(1))?.checked_mul(100_000_000)?;
                section = 0;
                group = 0;
                last_unit = u64::MAX;
            }
        }
    }
    let v = total.checked_add(section)?.checked_add(group)?.checked_add(pending.unwrap_or(0))?;
    if v == 0 && !s.chars().all(|c| c == '零' || c == '〇') {
        return None;
    }
    Some(v as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numerals() {
        for (s, v) in [
            ("三十五", Some(35.0)),
            ("一百二十", Some(120.0)),
            ("两千", Some(2000.0)),
            ("十二", Some(12.0)),
            ("一万五千", Some(15000.0)),
            ("一百零五", Some(105.0)),
            ("十亿", Some(1e9)),
            ("两", Some(2.0)),
            ("一二三", None),
            ("九千亿亿亿亿亿亿", None),
            ("十百", None),
            ("六万五千二百五十四万", Some(652_540_000.0)),
            ("一万五千万", Some(150_000_000.0)),
            ("廿三", Some(23.0)),
            ("一百廿", Some(120.0)),
        ] {
            assert_eq!(chinese_value(s), v, "{s}");
        }
        for (s, v) in [("八十六点五", Some(86.5)), ("三点一四", Some(3.14)), ("零点八", Some(0.8)), ("十二", Some(12.0)), ("点五", None)] {
            let thousandths = |x: f64| (x * 1000.0).round();
            assert_eq!(chinese_decimal(s).map(thousandths), v.map(thousandths), "{s}");
        }
    }

    #[test]
    fn quantities_in_base_units() {
        let s = NumberScanner::new().unwrap();
        let cases: &[(&str, f64, Unit, Option<Approx>)] = &[
            ("全县签约项目321个", 321.0, Unit::Count(Classifier::Item), None),
            ("涉及金额2345.67亿元", 234_567_000_000.0, Unit::Money("CNY"), None),
            ("外资到位6.25亿美元", 625_000_000.0, Unit::Money("USD"), None),
            ("合同外资8600万美元", 86_000_000.0, Unit::Money("USD"), None),
            ("全年投资2.4万亿元", 2.4e12, Unit::Money("CNY"), None),
            ("人均奖励3.5万元", 35_000.0, Unit::Money("CNY"), None),
            ("共签约一百二十亿元", 1.2e10, Unit::Money("CNY"), None),
            ("引进项目三十五个", 35.0, Unit::Count(Classifier::Item), None),
            ("投资总额八十六点五亿元", 8.65e9, Unit::Money("CNY"), None),
            ("走访企业300余家", 300.0, Unit::Count(Classifier::Firm), Some(Approx::MoreThan)),
            ("举办推介会20多场次", 20.0, Unit::Count(Classifier::Occasion), Some(Approx::MoreThan)),
            ("同比增长17.25%", 17.25, Unit::Percent, None),
            ("总额1,250.5亿元", 125_050_000_000.0, Unit::Money("CNY"), None),
            ("总额9亿多元", 900_000_000.0, Unit::Money("CNY"), Some(Approx::MoreThan)),
            ("投资港商项目1.2亿港元", 120_000_000.0, Unit::Money("HKD"), None),
            ("签约总金额86亿，", 8_600_000_000.0, Unit::Money("CNY"), None),
            ("到位资金2亿3500万元", 235_000_000.0, Unit::Money("CNY"), None),
            ("总投资20个亿，", 2_000_000_000.0, Unit::Money("CNY"), None),
        ];
        for (text, value, unit, approx) in cases {
            let q = s.scan(text);
            let q = q.last().unwrap_or_else(|| panic!("nothing in {text}"));
            assert_eq!((q.value, q.unit, q.approx), (*value, *unit, *approx), "{text}");
        }
    }

    #[test]
    fn not_quantities() {
        let s = NumberScanner::new().unwrap();
        for text in ["投资数十亿元", "参会3万人", "第3批项目", "第二十九届博览会", "实施一二三区改造", "p3级实验室", "协议总投资25 7亿元", "年产10万吨", "2023年7月"] {
            assert!(s.scan(text).is_empty(), "{text}: {:?}", s.scan(text));
        }
    }
}
