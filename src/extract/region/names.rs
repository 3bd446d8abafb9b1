//! How divisions are written in running text: which short forms a full name
//! has, and which of those forms are ordinary words that must not count as places.

use crate::normalize::is_han;
use crate::event::RegionLevel;

/// Ethnic group names that autonomous areas carry between the place name and
/// the 自治州/自治县 suffix (延边朝鲜族自治州 → 延边). One-character groups are
/// only stripped together with 族, because 回/白/水/土 alone end ordinary place names.
const ETHNIC: &[&str] = &[
    "维吾尔", "柯尔克孜", "乌孜别克", "塔吉克", "哈萨克", "达斡尔", "塔塔尔", "鄂伦春", "鄂温克", "俄罗斯",
    "蒙古", "布依", "朝鲜", "土家", "哈尼", "傈僳", "高山", "拉祜", "东乡", "纳西", "景颇", "仫佬", "布朗", "撒拉",
    "毛南", "仡佬", "锡伯", "阿昌", "普米", "德昂", "保安", "裕固", "独龙", "赫哲", "门巴", "珞巴", "基诺", "回",
    "藏", "苗", "彝", "壮", "满", "侗", "瑶", "白", "黎", "佤", "畲", "水", "土", "羌", "怒", "京",
];

/// Short forms that are ordinary words (资源, 和平, 新建, 中方) or firms and
/// landmarks far more often than the county they abbreviate; the list and
/// how it was made are in `data/divisions/common_words.txt`.
const COMMON_WORDS_TXT: &str = include_str!("../../../data/divisions/common_words.txt");

/// The common words, whitespace-separated, `#` comments skipped.
pub(super) fn common_words() -> impl Iterator<Item = &'static str> {
    COMMON_WORDS_TXT.lines().map(|l| l.split('#').next().unwrap_or("")).flat_map(str::split_whitespace)
}

/// Words after a short name that make it part of a street, school or firm
/// (中山路, 长安大学, 兴业银行), not a reference to the division.
pub(super) const NOT_PLACE_AFTER: &[&str] = &[
    "路", "街", "巷", "大道", "大街", "大学", "学院", "医院", "公园", "广场", "号", "银行", "饭店", "宾馆", "酒店",
    "中学", "小学", "花园", "小区", "镇",
];

/// Rivers, lakes, mountains and seas whose name ends in the first character
/// of a place's short name: 黄河|南岸 is not 河南, 长江|西岸 not 江西,
/// 泰山|东麓 not 山东, 沿海|南部 not 海南.
const FEATURES: &[&str] = &[
    "黄河", "淮河", "运河", "内河", "沿河", "长江", "珠江", "湘江", "赣江", "闽江", "汉江", "沿江", "太湖", "巢湖",
    "西湖", "泰山", "华山", "黄山", "衡山", "嵩山", "庐山", "天山", "燕山", "渤海", "黄海", "东海", "南海", "沿海",
    "近海", "出海",
];

/// Whether a short name starting right after `before` begins with the last
/// character of a natural feature's name (黄|河南岸).
pub(super) fn inside_feature_name(before: &str, short: &str) -> bool {
    let (Some(prev), Some(first)) = (before.chars().next_back(), short.chars().next()) else { return false };
    FEATURES.iter().any(|f| {
        let mut it = f.chars();
        it.next() == Some(prev) && it.next() == Some(first)
    })
}

/// Titles that precede a person's name (院长李卫东, 记者王平).
const TITLES: &[&str] = &[
    "长", "书记", "主任", "记者", "通讯员", "经理", "委员", "代表", "教授", "先生", "女士", "同志", "主席", "总裁", "董事",
];

/// Titles that follow a person's name (李卫东院长, 王平书记).
const TITLES_AFTER: &[&str] = &[
    "院长", "书记", "主任", "局长", "县长", "市长", "区长", "省长", "镇长", "乡长", "处长", "科长", "部长", "厅长", "主席",
    "经理", "董事长", "总经理", "总裁", "教授", "同志", "先生", "女士", "委员", "代表", "记者",
];


/// Whether a short name is a given name: a surname (any one character)
/// right before it and a title before that (院长李卫东) or after it (李卫东院长).
pub(super) fn is_given_name(before: &str, after: &str) -> bool {
    let Some(surname) = before.chars().next_back().filter(|&c| is_han(c)) else { return false };
    let rest = &before[..before.len() - surname.len_utf8()];
    TITLES.iter().any(|t| rest.ends_with(t)) || TITLES_AFTER.iter().any(|t| after.starts_with(t))
}

const WORD_EDGES_TXT: &str = include_str!("../../../data/divisions/word_edges.txt");

/// Common two-character words with their corpus frequency (see
/// `data/divisions/word_edges.txt`), for telling a county short name from
/// two characters that belong to the words around it (投资|兴业 → 资兴).
pub(super) fn word_edges() -> impl Iterator<Item = (&'static str, u32)> {
    WORD_EDGES_TXT
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .filter_map(|(w, f)| Some((w, f.trim().parse().ok()?)))
}

/// A word this frequent swallows the character it shares with a short name by itself.
const SWALLOWS_ALONE: u32 = 5000;
/// Two words this frequent on both sides split a short name between them.
const SWALLOWS_TOGETHER: u32 = 1000;

/// Whether the two characters of a short name read as the end of the word
/// before and the start of the word after (十大|新兴 → 大新, 幸福|建设 →
/// 福建), or — for a county's name, which is weaker evidence — its first
/// character as the end of a very common word (投资|兴业 → 资兴).
pub(super) fn straddles_words(
    edges: &std::collections::HashMap<&str, u32>,
    before: &str,
    short: &str,
    after: &str,
    county: bool,
) -> bool {
    let mut sc = short.chars();
    let (Some(first), Some(last), None) = (sc.next(), sc.next(), sc.next()) else { return false };
    let freq = |a: Option<char>, b: Option<char>| -> u32 {
        match (a, b) {
            (Some(a), Some(b)) => {
                let mut w = [0u8; 8];
                let n = a.encode_utf8(&mut w[..4]).len();
                let m = b.encode_utf8(&mut w[n..]).len();
                std::str::from_utf8(&w[..n + m]).ok().and_then(|w| edges.get(w)).copied().unwrap_or(0)
            }
            _ => 0,
        }
    };
    let left = freq(before.chars().next_back(), Some(first));
    let right = freq(Some(last), after.chars().next());
    (county && left >= SWALLOWS_ALONE) || (left >= SWALLOWS_TOGETHER && right >= SWALLOWS_TOGETHER)
}

/// Strips ethnic group names from the end of an autonomous area's base name:
/// 海西蒙古族藏族 → 海西, 伊犁哈萨克 → 伊犁, 积石山保安族东乡族撒拉族 → 积石山.
fn strip_ethnic(mut s: &str) -> &str {
    loop {
        let mut next = None;
        if let Some(r) = s.strip_suffix('族') {
            next = ETHNIC.iter().find_map(|e| r.strip_suffix(e));
        }
        if next.is_none() {
            next = ETHNIC.iter().filter(|e| e.chars().count() >= 2).find_map(|e| s.strip_suffix(e));
        }
        match next {
            Some(r) if r.chars().count() >= 2 => s = r,
            _ => return s,
        }
    }
}

/// Another way a division is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Variant {
    pub text: String,
    /// Short forms lack the administrative suffix and are ambiguous with
    /// ordinary words and same-named divisions; suffixed forms (延边州) are not.
    pub short: bool,
}

/// The forms under which a division appears in text, besides its full name:
/// the short name (铜山区 → 铜山, 延边朝鲜族自治州 → 延边, 内蒙古自治区 → 内蒙古)
/// and the colloquial suffixed form of autonomous areas (延边州, 大厂县).
/// A short name of one character is never produced: 沙, 赵, 和 are not places.
pub(super) fn variants(full: &str, level: RegionLevel) -> Vec<Variant> {
    let suffixes: &[&str] = match level {
        RegionLevel::Province => &["特别行政区", "自治区", "省", "市"],
        RegionLevel::City => &["自治州", "地区", "盟", "市"],
        RegionLevel::County => &["自治县", "自治旗", "林区", "特区", "新区", "矿区", "区", "县", "市", "旗"],
    };
    let mut out = Vec::new();
    for suffix in suffixes {
        let Some(base) = full.strip_suffix(suffix) else { continue };
        let autonomous = suffix.starts_with("自治");
        let base = if autonomous { strip_ethnic(base) } else { base };
        if base.chars().count() < 2 {
            break;
        }
        out.push(Variant { text: base.to_owned(), short: true });
        match *suffix {
            "自治州" => out.push(Variant { text: format!("{base}州"), short: false }),
            "自治县" => out.push(Variant { text: format!("{base}县"), short: false }),
            "自治旗" => out.push(Variant { text: format!("{base}旗"), short: false }),
            _ => {}
        }
        break;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_strip_suffix_and_ethnic_names() {
        let cases: &[(&str, RegionLevel, &[&str])] = &[
            ("铜山区", RegionLevel::County, &["铜山"]),
            ("铜川市", RegionLevel::City, &["铜川"]),
            ("甘肃省", RegionLevel::Province, &["甘肃"]),
            ("内蒙古自治区", RegionLevel::Province, &["内蒙古"]),
            ("新疆维吾尔自治区", RegionLevel::Province, &["新疆"]),
            ("广西壮族自治区", RegionLevel::Province, &["广西"]),
            ("延边朝鲜族自治州", RegionLevel::City, &["延边", "延边州"]),
            ("海西蒙古族藏族自治州", RegionLevel::City, &["海西", "海西州"]),
            ("伊犁哈萨克自治州", RegionLevel::City, &["伊犁", "伊犁州"]),
            ("积石山保安族东乡族撒拉族自治县", RegionLevel::County, &["积石山", "积石山县"]),
            ("锡林郭勒盟", RegionLevel::City, &["锡林郭勒"]),
            ("大兴安岭地区", RegionLevel::City, &["大兴安岭"]),
            ("浦东新区", RegionLevel::County, &["浦东"]),
            ("沙县区", RegionLevel::County, &["沙县"]),
            ("万州区", RegionLevel::County, &["万州"]),
            ("赵县", RegionLevel::County, &[]),
            ("城区", RegionLevel::County, &[]),
        ];
        for (full, level, want) in cases {
            let got: Vec<String> = variants(full, *level).into_iter().map(|v| v.text).collect();
            assert_eq!(&got, want, "{full}");
        }
    }
}
