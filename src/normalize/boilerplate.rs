//! Line-level removal of site furniture from text that is already one
//! paragraph per line, Simplified and width-folded.
//!
//! Crawlers deliver most articles as text with the page chrome flattened
//! into lines: breadcrumbs, share bars, editor credits, disclaimers,
//! related-article teasers, injected spam. These rules look at one line (or
//! a run of lines) at a time, so they apply equally to crawled text and to
//! the text an HTML page yields. Title and dateline lines are protected:
//! the extractor resolves the article's region and date from them.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use super::width::is_han;

fn ac(patterns: &[&str]) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(patterns)
        .expect("static keyword set builds")
}

/// Markers of the legal footer. A line that starts with one ends the article.
static FOOTER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    ac(&[
        "免责声明", "版权声明", "版权所有", "版权归", "copyright", "all rights reserved", "icp备", "icp证",
        "公网安备", "主办单位", "承办单位", "主管单位", "协办单位", "技术支持:", "国新网许可证",
        "视听节目许可证", "不良信息举报", "本网站所刊登", "未经授权", "未经协议授权", "不得转载",
        "禁止转载", "转载请注明", "以上是网络信息转载", "信息真实性自行斟酌", "不代表本站", "不代表本网",
        "如有侵权", "联系删除", "本站所有页面", "网站标识码", "上一篇", "下一篇",
    ])
});

/// Headings of related-article teaser blocks.
const TEASER_HEADINGS: &[&str] = &[
    "延伸阅读", "相关阅读", "热点新闻", "推荐阅读", "相关新闻", "相关文章", "相关链接", "相关报道", "相关推荐",
    "热点视频", "热点舆情", "热门文章", "热门推荐", "热门新闻", "热门排行", "精彩推荐", "猜你喜欢", "为你推荐",
    "往期回顾", "最新文章", "最新新闻", "最新资讯", "图片新闻", "点击排行", "阅读排行", "今日推荐", "编辑推荐",
    "专题推荐", "网友评论", "热门评论", "推荐新闻", "更多新闻", "精彩图片", "今日热点", "热点推荐", "大家都在看",
];

/// Share bars, tool links and other page chrome; matched inside short lines.
static FURNITURE: LazyLock<AhoCorasick> = LazyLock::new(|| {
    ac(&[
        "分享到", "分享至", "分享好友", "一键分享", "频道列表", "看资讯首页", "返回首页", "返回顶部", "返回列表",
        "打印本页", "打印此文", "关闭窗口", "关闭本页", "字号变大", "字号变小", "字号:", "字体:", "【打印】",
        "【关闭】", "[打印]", "[关闭]", "扫一扫", "扫描二维码", "收藏本文", "加入收藏", "设为首页", "我要评论",
        "网站地图", "联系我们", "快乐分享", "支持ipv6", "用手机看", "手机看新闻", "微信公众号", "【纠错】",
        "默认字号", "【大 中 小】", "[大 中 小]", "发表评论", "查看评论", "参与评论", "复制链接",
    ])
});

/// Single-word chrome lines.
const FURNITURE_WORDS: &[&str] = &[
    "举报", "纠错", "打印", "关闭", "收藏", "分享", "评论", "更多", "返回", "上一页", "下一页", "首页", "layer",
    "top", "more", "大 中 小", "小 中 大", "分享:", "打印:",
];

/// Gambling and porn spam injected into hacked pages; two distinct hits condemn a line.
static SPAM: LazyLock<AhoCorasick> = LazyLock::new(|| {
    ac(&[
        "无码", "国产精品", "精品视频", "一区二区", "久久精品", "在线观看", "中文字幕", "人妻", "亚洲欧美", "欧美日韩",
        "日韩", "午夜", "百家乐", "六合彩", "时时彩", "娱乐城", "博彩", "老虎机", "狠狠", "夜夜", "福利视频",
        "成人视频", "黄色", "av在线", "偷拍", "自拍", "不卡", "免费视频", "高清视频", "真人娱乐", "澳门赌场",
        "彩票网", "开奖", "棋牌", "色情", "三级", "乱伦", "巨乳", "熟女", "主播",
    ])
});

static EDITOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[(\[【]?\s*(?:责任编辑|责编|编辑|编审|审核|审校|校对|监制|值班编辑|主编|终审|初审|复审|来稿编辑|网络编辑)\s*[::]?\s*[^。,;]{0,30}?[)\]】]?$")
        .expect("editor regex is valid")
});
static COUNTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[-•·*]?\s*(?:点击|阅读|浏览|访问|人气)(?:量|数|次数)?\s*[::]\s*[\d\[\]]*\s*次?$").expect("counter regex is valid")
});
static KEYWORDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:关键词|关键字|标签|tags?)\s*[::]").expect("keywords regex is valid"));
static CAPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:摄$|摄\)$|摄影[::]|资料图|图片来源|供图$|图源[::]|视频来源[::])").expect("caption regex is valid")
});
static BREADCRUMB_SEP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*(?:>>|>|»|›|→|\s/\s)\s*").expect("breadcrumb regex is valid"));
static FULL_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}|(?:19|20)\d{2}年\d{1,2}月|\d{1,2}月\d{1,2}日")
        .expect("date regex is valid")
});
static DATELINE_WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    ac(&["来源", "发布时间", "发布日期", "时间:", "日期:", "发布:", "更新", "作者", "记者", "稿源", "出处", "日讯", "日电", "讯", "消息"])
});
static SOURCE_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[-•·*(\[【]?\s*(?:来源|来源于|稿源|转自|出处|文章来源|信息来源|作者|发布时间|发布日期|时间|日期)\s*[::]")
        .expect("source regex is valid")
});
static TEASER_DATE_GLUED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{4}-\d{1,2}-\d{1,2}\s?[^\d\s:]").expect("teaser regex is valid"));
static LONE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[(\[]?\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?[)\]]?$").expect("date regex is valid")
});

/// Article text needed before a footer marker or teaser heading may cut
/// off everything after it: a marker above the story (a site banner) only
/// removes its own line.
const MIN_BODY_BEFORE_CUT: usize = 120;

fn han_count(s: &str) -> usize {
    s.chars().filter(|&c| is_han(c)).count()
}

/// Strip list bullets, numbering and brackets a heading may be wrapped in.
fn bare(line: &str) -> &str {
    line.trim_start_matches(|c: char| c.is_ascii_digit() || " .、-•·*|【[(".contains(c))
        .trim_end_matches(|c: char| " :】])>»|更多".contains(c))
}

/// Is this the line carrying the publication time or source? Kept whatever
/// else it contains, unless it is a legal notice.
pub fn is_dateline(line: &str) -> bool {
    let n = line.chars().count();
    if n > 120 {
        return false;
    }
    if SOURCE_START.is_match(line) {
        return true;
    }
    FULL_DATE.is_match(line) && (n <= 60 || DATELINE_WORDS.is_match(line))
}

fn is_footer_marker(line: &str) -> bool {
    // Only a marker in the first 12 characters counts, and none is longer
    // than 20: searching that head finds the same leftmost match as the whole
    // line, without scanning every long paragraph.
    let head_end = line.char_indices().nth(12 + 20).map_or(line.len(), |(i, _)| i);
    let head = &line[..head_end];
    FOOTER.find(head).is_some_and(|m| head[..m.start()].chars().count() <= 12) && line.chars().count() <= 300
}

fn is_teaser_heading(line: &str) -> bool {
    let b = bare(line);
    TEASER_HEADINGS.iter().any(|h| b == *h)
}

fn is_breadcrumb(line: &str) -> bool {
    let n = line.chars().count();
    if n > 80 || !BREADCRUMB_SEP.is_match(line) {
        return false;
    }
    let parts: Vec<&str> = BREADCRUMB_SEP.split(line).filter(|p| !p.trim().is_empty()).collect();
    let short = parts.iter().all(|p| p.chars().count() <= 16);
    let located = ["当前位置", "您的位置", "你的位置", "所在位置", "首页"].iter().any(|w| line.contains(w));
    short && (parts.len() >= 3 || (parts.len() >= 2 && located))
}

fn is_spam(line: &str) -> bool {
    let mut seen = HashSet::new();
    for m in SPAM.find_iter(line) {
        seen.insert(m.pattern());
        if seen.len() >= 2 {
            return true;
        }
    }
    false
}

/// Random Latin tag soup, stray words (`layer`) and lines of bare punctuation.
fn is_noise(line: &str) -> bool {
    let mut han = 0usize;
    let mut latin = 0usize;
    let mut digits = 0usize;
    let mut other = 0usize;
    for c in line.chars() {
        if is_han(c) {
            han += 1;
        } else if c.is_ascii_alphabetic() {
            latin += 1;
        } else if c.is_ascii_digit() {
            digits += 1;
        } else if !c.is_whitespace() {
            other += 1;
        }
    }
    if han == 0 && latin == 0 && digits == 0 {
        return true;
    }
    if han == 0 && digits == 0 && latin * 2 > latin + other {
        return true;
    }
    // Latin runs swamping a few Han characters: keyword-stuffed link soup.
    han > 0 && latin > 20 && han * 5 < latin && digits * 10 < latin
}

/// A menu row: several very short words, no sentence punctuation, no numbers.
fn is_menu(line: &str) -> bool {
    if line.chars().count() > 60 || line.chars().any(|c| c.is_ascii_digit() || "。,;:!?、“”".contains(c)) {
        return false;
    }
    let tokens: Vec<&str> = line.split([' ', '|']).filter(|t| !t.is_empty()).collect();
    tokens.len() >= 4 && tokens.iter().all(|t| t.chars().count() <= 6)
}

fn is_furniture(line: &str) -> bool {
    let n = line.chars().count();
    let b = bare(line);
    if FURNITURE_WORDS.iter().any(|w| b.eq_ignore_ascii_case(w)) {
        return true;
    }
    (n <= 40 && FURNITURE.is_match(line))
        || COUNTER.is_match(line)
        || KEYWORDS.is_match(line)
        || (n <= 30 && CAPTION.is_match(line))
        || is_breadcrumb(line)
}

/// A related-article teaser line: a date glued to a headline, or a
/// headline cut off with `...`.
fn is_teaser_line(line: &str) -> bool {
    TEASER_DATE_GLUED.is_match(line)
        || ((line.ends_with("...") || (line.ends_with('…') && !line.ends_with("……"))) && line.chars().count() <= 160)
}

/// Mark runs of teaser lines (and lone dates beside them) for removal; a
/// single line that merely ends with `...` stays.
fn teaser_runs(lines: &[&str]) -> Vec<bool> {
    let mut teaser: Vec<bool> = lines.iter().map(|l| is_teaser_line(l)).collect();
    let lone: Vec<bool> = lines.iter().map(|l| LONE_DATE.is_match(l)).collect();
    for i in 0..lines.len() {
        if lone[i] && ((i > 0 && teaser[i - 1]) || teaser.get(i + 1).copied().unwrap_or(false)) {
            teaser[i] = true;
        }
    }
    let mut out = vec![false; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        if !teaser[i] {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < lines.len() && teaser[j] {
            j += 1;
        }
        let real = (i..j).filter(|&k| !lone[k]).count();
        if real >= 2 {
            out[i..j].iter_mut().for_each(|x| *x = true);
        }
        i = j;
    }
    out
}

/// Why a line was dropped; tests assert on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    Footer,
    Teaser,
    Furniture,
    Editor,
    Spam,
    Noise,
    Menu,
}

/// Classify one line in isolation (no section or repetition context).
pub fn classify(line: &str) -> Verdict {
    if is_footer_marker(line) {
        return Verdict::Footer;
    }
    if is_teaser_heading(line) {
        return Verdict::Teaser;
    }
    if is_spam(line) {
        return Verdict::Spam;
    }
    if is_dateline(line) {
        return Verdict::Keep;
    }
    if EDITOR.is_match(line) {
        return Verdict::Editor;
    }
    if is_furniture(line) {
        return Verdict::Furniture;
    }
    if is_noise(line) {
        return Verdict::Noise;
    }
    if is_menu(line) {
        return Verdict::Menu;
    }
    Verdict::Keep
}

/// Drop furniture lines; after a footer marker, editor credit or teaser
/// heading that follows enough article text, drop everything after it.
pub fn strip(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let teasers = teaser_runs(&lines);
    let mut kept = Kept::default();
    let mut body = 0usize;
    // After a teaser heading above the story: drop the list-like lines under it.
    let mut in_list = false;
    for (i, line) in lines.iter().enumerate() {
        if teasers[i] {
            continue;
        }
        let verdict = classify(line);
        let ends_article = matches!(verdict, Verdict::Footer | Verdict::Editor | Verdict::Teaser);
        if ends_article && body >= MIN_BODY_BEFORE_CUT {
            break;
        }
        if verdict == Verdict::Teaser {
            in_list = true;
            continue;
        }
        if verdict != Verdict::Keep {
            continue;
        }
        if in_list {
            if line.chars().count() <= 40 && !is_dateline(line) {
                continue;
            }
            in_list = false;
        }
        if kept.push(line) {
            body += han_count(line);
        }
    }
    kept.lines.join("\n")
}

/// Lines kept so far. A page that repeats a paragraph (image captions
/// repeating the headline, a crawler that stitched the page twice, a copy
/// cut short) keeps only its longest copy, at the first copy's place.
#[derive(Default)]
struct Kept<'a> {
    lines: Vec<&'a str>,
    /// First [`REPEAT_PREFIX`] characters → index in `lines`.
    by_prefix: HashMap<&'a str, Vec<usize>>,
}

/// Lines shorter than this are never treated as repeats (`(完)`, a lone date).
const REPEAT_MIN_CHARS: usize = 4;
/// Copies are recognised by their first characters, so lookup stays linear.
const REPEAT_PREFIX: usize = 20;

impl<'a> Kept<'a> {
    /// Keep `line` unless it repeats a kept one; `false` when dropped.
    fn push(&mut self, line: &'a str) -> bool {
        if line.chars().count() < REPEAT_MIN_CHARS {
            self.lines.push(line);
            return true;
        }
        let key = match line.char_indices().nth(REPEAT_PREFIX) {
            Some((i, _)) => &line[..i],
            None => line,
        };
        let slots = self.by_prefix.entry(key).or_default();
        for &i in slots.iter() {
            let old = self.lines[i];
            if old.starts_with(line) {
                return false;
            }
            if line.starts_with(old) && old.chars().count() >= REPEAT_PREFIX {
                self.lines[i] = line;
                return false;
            }
        }
        slots.push(self.lines.len());
        self.lines.push(line);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_furniture_lines() {
        let cases = [
            ("本网讯 3月5日,我县举行重点项目集中签约仪式,共签约项目12个,总投资35.6亿元。", Verdict::Keep),
            ("我县举行一季度重点项目集中签约仪式", Verdict::Keep),
            ("发布时间:2023-04-02 09:15:00 来源:某某日报", Verdict::Keep),
            ("2024-03-18 08:30 来源:某某市人民政府", Verdict::Keep),
            ("- 时间:2023-06-01", Verdict::Keep),
            ("- 来源:某某报", Verdict::Keep),
            ("东方日报 2021-09-14 07:45", Verdict::Keep),
            ("第二十届博览会落幕 共签约项目1172个 总额5607.69亿元", Verdict::Keep),
            ("编辑: 来源:某某省人民政府 更新:2022年05月10日 10:20 点击:[]", Verdict::Keep),
            ("某某网 > 要闻 > 地方", Verdict::Furniture),
            ("首页 >> 新闻中心 >> 本地新闻 >> 正文", Verdict::Furniture),
            ("当前位置:首页 > 政务动态", Verdict::Furniture),
            ("分享好友 看资讯首页 频道列表", Verdict::Furniture),
            ("分享到:", Verdict::Furniture),
            ("字号变大| 字号变小", Verdict::Furniture),
            ("- 点击:512", Verdict::Furniture),
            ("关键词:签约 项目 投资", Verdict::Furniture),
            ("资料图。王五 摄", Verdict::Furniture),
            ("layer", Verdict::Furniture),
            ("|", Verdict::Noise),
            ("xkqz utfaj pwemr lzoqv", Verdict::Noise),
            ("(责任编辑:赵六)", Verdict::Editor),
            ("责任编辑:钱七", Verdict::Editor),
            ("(责编:孙八)", Verdict::Editor),
            ("版权所有:某某信息网 京ICP备12345678号-1", Verdict::Footer),
            ("免责声明:", Verdict::Footer),
            ("版权及免责声明:凡本网所属版权作品,转载时须获得授权。", Verdict::Footer),
            ("copyright © 2005-2020 www.example.cn All Rights Reserved", Verdict::Footer),
            ("上一篇:", Verdict::Footer),
            ("延伸阅读", Verdict::Teaser),
            ("【相关新闻】", Verdict::Teaser),
            ("热点新闻", Verdict::Teaser),
            ("国产精品无码视频,亚洲欧美日韩在线观看,午夜福利视频", Verdict::Spam),
            ("首页 新闻 政务 服务 互动 专题", Verdict::Menu),
            // Real text that merely mentions such words stays.
            ("该公司注册成立于2019年,当年实现产值3亿元。", Verdict::Keep),
            ("明确思路 为招引重特大项目赋能", Verdict::Keep),
            ("粤港澳大湾区合作项目签约,澳门企业参与投资5亿元", Verdict::Keep),
        ];
        for (line, want) in cases {
            assert_eq!(classify(line), want, "line {line:?}");
        }
    }

    #[test]
    fn strips_a_crawled_page() {
        let page = "分享好友 看资讯首页 频道列表\n\
某某网 > 要闻 > 地方\n\
我市一季度招商引资签约项目38个\n\
2024-04-02 10:00 来源:某某市人民政府\n\
本报讯 一季度,全市新签约招商引资项目38个,总投资216.5亿元,其中亿元以上项目21个。\n\
分享到:\n\
全市坚持把招商引资作为“一号工程”,市级领导带队外出招商12批次,对接企业140余家,到位资金45.3亿元。\n\
全市坚持把招商引资作为“一号工程”,市级领导带队外出招商12批次,对接企业140余家,到位资金45.3亿元。\n\
国产精品无码视频,亚洲欧美日韩在线观看\n\
(责任编辑:赵六)\n\
延伸阅读\n\
邻县签约项目20个 总投资80亿元\n\
版权所有:某某网 京ICP备00000000号";
        let want = "我市一季度招商引资签约项目38个\n\
2024-04-02 10:00 来源:某某市人民政府\n\
本报讯 一季度,全市新签约招商引资项目38个,总投资216.5亿元,其中亿元以上项目21个。\n\
全市坚持把招商引资作为“一号工程”,市级领导带队外出招商12批次,对接企业140余家,到位资金45.3亿元。";
        assert_eq!(strip(page), want);
    }

    #[test]
    fn teaser_runs_go_but_a_single_ellipsis_stays() {
        let page = "某队与一名后卫续约两年,合同保障额度为80%,双方均表示满意,俱乐部将在下周公布细节。\n\
他说:“我们还会继续努力...”\n\
体育快讯8月10日 某前锋加盟新球队,队友发文告别...\n\
2025-08-10体育快讯8月10日 某中场因伤宣布退役,年仅23岁...\n\
2025-08-10体育快讯8月10日 某俱乐部准备租借一名前锋...\n\
2025-08-10";
        let want = "某队与一名后卫续约两年,合同保障额度为80%,双方均表示满意,俱乐部将在下周公布细节。\n\
他说:“我们还会继续努力...”";
        assert_eq!(strip(page), want);
    }

    #[test]
    fn repeated_and_truncated_copies_keep_the_longest_once() {
        let page = "某县举行重点项目集中开工仪式\n\
3月11日,某县15个重点项目集中开工,总投资68亿元,涵盖新材料、食品加工等产业。\n\
某县举行重点项目集中开工仪式\n\
据了解,今年一季度全县外出招商20次,签约项目9个,其中亿元以上项目6个\n\
3月11日,某县15个重点项目集中开工,总投资68亿元,涵盖新材料\n\
据了解,今年一季度全县外出招商20次,签约项目9个,其中亿元以上项目6个,总投资45亿元。\n\
(完)\n\
(完)";
        let want = "某县举行重点项目集中开工仪式\n\
3月11日,某县15个重点项目集中开工,总投资68亿元,涵盖新材料、食品加工等产业。\n\
据了解,今年一季度全县外出招商20次,签约项目9个,其中亿元以上项目6个,总投资45亿元。\n\
(完)\n\
(完)";
        assert_eq!(strip(page), want);
    }

    #[test]
    fn marker_above_the_story_removes_only_its_line() {
        let page = "本站支持IPv6\n免责声明\n今年以来全区签约项目15个,总投资42亿元。\n其中工业项目9个。";
        assert_eq!(strip(page), "今年以来全区签约项目15个,总投资42亿元。\n其中工业项目9个。");
    }
}
