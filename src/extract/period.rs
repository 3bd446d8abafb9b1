//! Period resolution: 今年, 去年底, 上半年, 1-8月, 2021年 → a year, using the
//! article's publication date as the anchor for relative expressions.
//!
//! A clause's own words win; then a year stated earlier in its paragraph,
//! then earlier in the article (a report opens with 2021年,… and the rest
//! of it speaks of that year). Comparisons (比去年同期, 较2020年) name a
//! baseline, never the period of the fact.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate};
use regex::Regex;

use crate::event::Period;

/// Year-month-day as headers write it: 2024-05-12, 2020/10/11, 2020年10月11日.
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})").expect("date pattern")
});

/// The part of a year after a year word: 上半年, 1-8月, 一季度, 年底 …
const PART: &str = r"(?:上半年|下半年|全年|年底|年末|年初以来|年初至今|年初|以来|前[一二三四1-4两]季度|第?[一二三四1-4]季度|前\d{1,2}个?月|前[一二三四五六七八九十]{1,2}个?月|\d{1,2}\s*[-—–~至到]\s*\d{1,2}\s*月份?|[一二三四五六七八九十]{1,3}\s*[-—–~至到]\s*[一二三四五六七八九十]{1,3}\s*月份?|\d{1,2}月份?(?:底|末|以来)?)";

/// Every time expression a clause may hold, in one alternation so the
/// leftmost one wins: an explicit year (with its part), a relative year
/// (with its part), or a part alone.
static ANCHOR: LazyLock<Regex> = LazyLock::new(|| {
    let explicit = r"(?P<y>(?:19|20)\d{2}|[〇零一二][〇零一二三四五六七八九]{3})\s*年(?:度)?";
    let relative = r"(?P<r>今年|本年度|本年|年内|当年|本届|去年|上年度|上年|前年|明年|来年|次年)";
    let now = r"(?P<n>今天|今日|当天|日前|近日|截至目前|目前)";
    // `2017中外知名企业四川行`, `2012香港山东周`: a year that opens an event's name
    // (`2000万元建设会展中心`, `2019家企业参会` are amounts and counts: the
    // year must be followed by a name, not a unit)
    let event = r"(?P<ye>(?:19|20)\d{2})[\p{Han}&&[^万亿千百余多家个项人元名户次场批年月日号]][\p{Han}()（）]{0,13}?(?:会|周|行|节|论坛|博览)";
    Regex::new(&format!(r"{explicit}(?P<yp>{PART})?|{event}|{relative}(?P<rp>{PART}|底|初|末)?|{now}|(?P<p>{PART})"))
        .expect("anchor pattern")
});

/// Words before a time expression that make it a comparison baseline.
const BASELINE_BEFORE: &[&str] = &["比", "较", "同比", "对比", "相比", "高于", "低于", "超过", "与", "和"];
/// Words in a clause that make it a plan: its months are ahead, not behind.
const PLAN_WORDS: &[&str] = &["力争", "目标", "计划", "预计", "确保", "将", "任务"];

/// When the article was published: the envelope's `published_at`, else a
/// date in the header lines (发布时间:2022-08-23, 2024-05-12 01:12,
/// 2020年10月11日, a dateline such as 10月11日讯 with the year unknown → None).
pub fn publication_date(published_at: Option<&str>, text: &str, url: Option<&str>) -> Option<NaiveDate> {
    publication_date_of_page(published_at, text).or_else(|| url.and_then(url_date))
}

/// A date in a url's path, as publishing systems write it (`/201905/`,
/// `t20190523_`, `/2019-05/23/`, `/2010/0719/`, `20211029101020905.html`):
/// the page's date when nothing else tells it. The day is the 1st when the
/// path gives only a month. The host is skipped: numbers there are no dates.
pub fn url_date(url: &str) -> Option<NaiveDate> {
    let path = match url.find("://") {
        Some(i) => &url[i + 3..],
        None => url,
    };
    let path = &path[path.find('/')?..];
    // A match with its day (`t20190523_`) beats a month alone (`/201905/`).
    let dates: Vec<(NaiveDate, bool)> = URL_DATE
        .captures_iter(path)
        .filter_map(|c| {
            let y = c[1].parse().ok()?;
            let m = c[2].parse().ok()?;
            let day = c.get(3).and_then(|d| d.as_str().parse().ok());
            NaiveDate::from_ymd_opt(y, m, day.unwrap_or(1)).filter(|date| date.year() >= 1990).map(|d| (d, day.is_some()))
        })
        .collect();
    dates.iter().find(|(_, has_day)| *has_day).or(dates.first()).map(|(d, _)| *d)
}

/// Year, month and optional day at the start of a path segment or after `t`/`_`.
static URL_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[/_\-=t])((?:19|20)\d{2})[-_/]?(0[1-9]|1[0-2])(?:[-_/]?(0[1-9]|[12]\d|3[01]))?(?:[/_.\-]|\d|$)")
        .expect("url date pattern")
});

fn publication_date_of_page(published_at: Option<&str>, text: &str) -> Option<NaiveDate> {
    if let Some(p) = published_at.map(str::trim).filter(|p| !p.is_empty()) {
        if let Ok(dt) = DateTime::parse_from_rfc3339(p) {
            return Some(dt.date_naive());
        }
        if let Some(d) = from_epoch(p) {
            return Some(d);
        }
        if let Some(d) = find_date(p) {
            return Some(d);
        }
    }
    // The header: lines before the first paragraph-length line (furniture,
    // title, source, date), and the opening words of that first paragraph.
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    for (n, line) in lines.by_ref().enumerate() {
        let long = line.chars().count() >= 60;
        if long || n >= 8 {
            let opening: String = line.chars().take(24).collect();
            if let Some(d) = find_date(&opening) {
                return Some(d);
            }
            break;
        }
        if let Some(d) = find_date(line) {
            return Some(d);
        }
    }
    // A labelled date anywhere, as footers give it (发布时间：2022-08-23).
    text.lines()
        .filter(|l| l.chars().count() < 80)
        .filter(|l| ["发布时间", "发布日期", "发表时间", "发稿时间", "日期:", "日期：", "时间:", "时间："].iter().any(|c| l.contains(c)))
        .find_map(find_date)
}

/// Crawlers also send Unix time, in seconds or milliseconds; the date is
/// taken in China Standard Time (UTC+8), where the articles are published.
fn from_epoch(s: &str) -> Option<NaiveDate> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = s.parse().ok()?;
    let secs = match s.len() {
        9 | 10 => n,
        12 | 13 => n / 1000,
        _ => return None,
    };
    let cst = chrono::FixedOffset::east_opt(8 * 3600)?;
    Some(DateTime::from_timestamp(secs, 0)?.with_timezone(&cst).date_naive())
}

fn find_date(s: &str) -> Option<NaiveDate> {
    DATE.captures_iter(s).find_map(|c| {
        let y = c[1].parse().ok()?;
        let m = c[2].parse().ok()?;
        let d = c[3].parse().ok()?;
        NaiveDate::from_ymd_opt(y, m, d)
    })
}

/// The period a clause speaks of: an explicit year (2021年, 二〇二一年), a
/// relative one (今年, 去年, 去年底, 明年), a part of a year (上半年, 1-8月,
/// 一季度) anchored on `published`. `context` is the text before the clause
/// (same paragraph first), for a year stated earlier and still in force.
pub fn clause_period(clause: &str, context: &str, published: Option<NaiveDate>) -> Period {
    ArticleAnchors::new(context).clause_period(clause, 0, context.len(), published)
}

/// The time expressions of a whole article, found once. Each fact's period
/// reads up to 4000 bytes of context before it; scanning that context per
/// fact cost more than the rest of extraction. A window's expressions are
/// the article's that lie inside it, judged against the window's edges.
pub struct ArticleAnchors<'t> {
    text: &'t str,
    found: Vec<Found>,
}

/// One match of [`ANCHOR`]: its byte span and what it says (`None`: a year
/// out of range, which is no anchor but still consumes its text).
#[derive(Debug, Clone, Copy)]
struct Found {
    start: usize,
    end: usize,
    kind: Option<Kind>,
}

impl<'t> ArticleAnchors<'t> {
    pub fn new(text: &'t str) -> Self {
        ArticleAnchors { text, found: scan(text, 0) }
    }

    /// The period of `clause`, whose context is `text[from..to]`.
    pub fn clause_period(&self, clause: &str, from: usize, to: usize, published: Option<NaiveDate>) -> Period {
        let context = &self.text[from..to];
        let paragraph_start = context.rfind('\n').map_or(from, |i| from + i + 1);
        // The year in force before this clause: the last framing year of the
        // paragraph, else of the text before it, else the first year the text
        // states at all (a lead such as 县长宣布2021年…项目集中开工).
        let inherited = || {
            self.last_year(paragraph_start, to, published).or_else(|| self.last_year(from, paragraph_start, published)).or_else(|| {
                let found = self.within(from, to);
                found.iter().filter_map(|f| judge(self.text, from, to, f)).find_map(|a| match a.kind {
                    Kind::Explicit(y) => Some(y),
                    _ => None,
                })
            })
        };
        let plan = PLAN_WORDS.iter().any(|w| clause.contains(w));
        if let Some(a) = anchors(clause).next() {
            let year = match a.kind {
                Kind::Explicit(y) => Some(y),
                Kind::Relative(offset) => published.map(|d| d.year() + offset),
                Kind::Now => published.map(|d| d.year()).or_else(inherited),
                Kind::SameYear => inherited().or(published.map(|d| d.year())),
                Kind::NextYear => inherited().or(published.map(|d| d.year())).map(|y| y + 1),
                Kind::Part { last_month } => match inherited() {
                    Some(y) => Some(y),
                    // 1-11月 in an article of January is last year's tally.
                    None => published.map(|d| {
                        let behind = !plan && last_month.is_some_and(|m| m > d.month());
                        d.year() - i32::from(behind)
                    }),
                },
            };
            return Period { text: Some(clause[a.start..a.end].trim().to_owned()), year };
        }
        // No time words: the year under discussion, else the news is of its day.
        Period { text: None, year: inherited().or(published.map(|d| d.year())) }
    }

    /// What a regex scan of `text[from..to]` alone would find: the article's
    /// matches inside it, unless one crosses an edge (then the window may
    /// match differently, and is scanned itself). Exact because [`ANCHOR`]
    /// has no look-around: a match depends only on the text it covers.
    fn within(&self, from: usize, to: usize) -> Cow<'_, [Found]> {
        let i = self.found.partition_point(|f| f.end <= from);
        let j = self.found.partition_point(|f| f.start < to);
        let crosses_from = self.found.get(i).is_some_and(|f| f.start < from);
        let crosses_to = j > i && self.found[j - 1].end > to;
        if crosses_from || crosses_to {
            Cow::Owned(scan(&self.text[from..to], from))
        } else {
            Cow::Borrowed(&self.found[i..j])
        }
    }

    /// The year in force at the end of `text[from..to]`: its last explicit or relative year.
    fn last_year(&self, from: usize, to: usize, published: Option<NaiveDate>) -> Option<i32> {
        self.within(from, to).iter().rev().filter_map(|f| judge(self.text, from, to, f)).filter(|a| a.topic).find_map(|a| {
            match a.kind {
                Kind::Explicit(y) => Some(y),
                Kind::Relative(offset) => published.map(|d| d.year() + offset),
                _ => None,
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Explicit(i32),
    /// 今年 0, 去年 −1, 明年 +1, 前年 −2: relative to publication.
    Relative(i32),
    /// 当年: the year under discussion.
    SameYear,
    /// 今天, 日前, 目前: the time of publication.
    Now,
    /// 次年: the year after the one under discussion.
    NextYear,
    /// 上半年, 1-8月 with no year: the year under discussion, else publication's.
    Part { last_month: Option<u32> },
}

#[derive(Debug, Clone, PartialEq)]
struct Anchor {
    /// Byte span in the scanned text.
    start: usize,
    end: usize,
    kind: Kind,
    /// Whether the expression frames what follows it, so that it stays in force.
    topic: bool,
}

/// Whether an expression right after `before` opens a clause or a sentence.
fn opens_clause(before: &str) -> bool {
    before.is_empty()
        || before.ends_with(['\n', '。', ',', '，', ';', '；', ':', '：', '!', '！', '?', '？', ')', '）', '“', '"'])
        || ["其中", "截至", "截止", "到", "在"].iter().any(|w| before.ends_with(w))
}

/// Time expressions of `s`, left to right, baselines (比去年同期) left out.
/// Lazy, so that a caller wanting the first one does not scan all of `s`.
fn anchors(s: &str) -> impl Iterator<Item = Anchor> + '_ {
    ANCHOR.captures_iter(s).filter_map(move |c| judge(s, 0, s.len(), &found(&c, 0)?))
}

/// Every match of [`ANCHOR`] in `s`, offsets shifted by `offset`.
fn scan(s: &str, offset: usize) -> Vec<Found> {
    ANCHOR.captures_iter(s).filter_map(|c| found(&c, offset)).collect()
}

fn found(c: &regex::Captures<'_>, offset: usize) -> Option<Found> {
    let m = c.get(0)?;
    let kind = if let Some(y) = c.name("y").or_else(|| c.name("ye")) {
        parse_year(y.as_str()).map(Kind::Explicit)
    } else if let Some(r) = c.name("r") {
        Some(match r.as_str() {
            // 本届 (this edition of a fair) is held the year it is reported
            "今年" | "本年度" | "本年" | "年内" | "本届" => Kind::Relative(0),
            "去年" | "上年度" | "上年" => Kind::Relative(-1),
            "前年" => Kind::Relative(-2),
            "明年" | "来年" => Kind::Relative(1),
            "次年" => Kind::NextYear,
            _ => Kind::SameYear,
        })
    } else if c.name("n").is_some() {
        Some(Kind::Now)
    } else {
        Some(Kind::Part { last_month: last_month(m.as_str()) })
    };
    Some(Found { start: offset + m.start(), end: offset + m.end(), kind })
}

/// The match `f` as an anchor of the window `text[from..to]`, or `None` when
/// it is a baseline there or no anchor at all.
fn judge(text: &str, from: usize, to: usize, f: &Found) -> Option<Anchor> {
    let kind = f.kind?;
    let before = text[from..f.start].trim_end();
    let after = &text[f.end..to];
    if BASELINE_BEFORE.iter().any(|w| before.ends_with(w)) || after.starts_with("同期") {
        return None;
    }
    // A year that opens its clause or is set off by a comma is the topic
    // of what follows (2021年,全市…); one inside a phrase (10个2020年度
    // 先进集体) qualifies a noun; one with 以来 spans up to now.
    let topic = (opens_clause(before) || after.trim_start().starts_with([',', '，'])) && !text[f.start..f.end].ends_with("以来");
    Some(Anchor { start: f.start - from, end: f.end - from, kind, topic })
}

fn parse_year(s: &str) -> Option<i32> {
    let digits: String = s
        .chars()
        .map(|c| match c {
            '〇' | '零' => '0',
            '一' => '1',
            '二' => '2',
            '三' => '3',
            '四' => '4',
            '五' => '5',
            '六' => '6',
            '七' => '7',
            '八' => '8',
            '九' => '9',
            c => c,
        })
        .collect();
    digits.parse().ok().filter(|y| (1949..=2100).contains(y))
}

/// The last month a part of a year covers, when it says: 1-8月 → 8,
/// 前三季度 → 9, 上半年 → 6; 全年 and 以来 say nothing.
fn last_month(part: &str) -> Option<u32> {
    if part.contains("上半年") {
        return Some(6);
    }
    if part.contains("下半年") {
        return Some(12);
    }
    if let Some(i) = part.find("季度") {
        let q = part[..i].chars().last().and_then(|c| c.to_digit(10).or_else(|| cn_number(&c.to_string())))?;
        return Some(q * 3);
    }
    let i = part.find('月')?;
    // The end of a range (1-8月, 一至八月), or the month itself (前七个月, 8月底).
    let head = &part[..i];
    let last = head.rsplit(['-', '—', '–', '~', '至', '到']).next().unwrap_or(head);
    let last = last.trim().trim_start_matches('前').trim_end_matches('个').trim();
    last.parse().ok().or_else(|| cn_number(last)).filter(|m| (1..=12).contains(m))
}

/// 一 … 十二 as a number.
fn cn_number(s: &str) -> Option<u32> {
    let digit = |c: char| "一二三四五六七八九".chars().position(|d| d == c).map(|i| i as u32 + 1);
    let cs: Vec<char> = s.chars().collect();
    match cs[..] {
        ['十'] => Some(10),
        [c] => digit(c),
        ['十', c] => digit(c).map(|n| 10 + n),
        [c, '十'] => digit(c).map(|n| n * 10),
        [a, '十', b] => Some(digit(a)? * 10 + digit(b)?),
        _ => None,
    }
}

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn dates_in_url_paths() {
        let cases: &[(&str, Option<(i32, u32, u32)>)] = &[
            ("http://www.scspc.gov.cn/html/zhyw_11/2010/0719/55208.html", Some((2010, 7, 19))),
            ("https://lzq.gov.cn/news/show/20211029101020905.html", Some((2021, 10, 29))),
            ("http://www.example.gov.cn/art/201905/t20190523_123.html", Some((2019, 5, 23))),
            ("http://news.example.com/2019-05/23/content_1.htm", Some((2019, 5, 23))),
            ("http://net.cfenews.com/net/2022/1101/58077.html", Some((2022, 11, 1))),
            ("https://jkq.huainan.gov.cn/tzzs/zsqk/91814158.html", None),
            ("http://www.lyredcross.com/xy/zs/142354.html", None),
            ("http://www.2020news.com/a/1.html", None),
        ];
        for (url, want) in cases {
            let want = want.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
            assert_eq!(url_date(url), want, "{url}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    #[test]
    fn publication_date_from_envelope_then_header() {
        let cases: &[(Option<&str>, &str, Option<&str>)] = &[
            (Some("2024-05-12T01:12:00+08:00"), "", Some("2024-05-12")),
            (Some("2024-05-11T20:30:00-05:00"), "", Some("2024-05-11")),
            (Some("2022-08-23"), "", Some("2022-08-23")),
            (Some("2022-08-23 10:57:00"), "", Some("2022-08-23")),
            // Unix time, seconds and milliseconds: 2024-05-11 17:12 UTC is 05-12 in China.
            (Some("1715447520"), "", Some("2024-05-12")),
            (Some("1715447520000"), "", Some("2024-05-12")),
            (Some("20240512"), "", None),
            (Some("  "), "分享\n招商工作推进会召开\n2024-05-12 01:12  来源:某市人民政府\n正文。", Some("2024-05-12")),
            (None, "首页 > 新闻\n某县签约仪式举行\n发布时间:2022-08-23 阅读:12\n", Some("2022-08-23")),
            (None, "标题\n2020年10月11日 星期日\n", Some("2020-10-11")),
            (None, "标题\n时间:2020/10/11\n", Some("2020-10-11")),
            // A dateline without a year, and a date deep in the body: no publication date.
            (
                None,
                "某网10月11日讯 日前,某县举行第三季度招商项目集中签约仪式,共签约招商项目17个,计划总投资44.8亿元,其中新签约项目9个。\n项目于2019年3月5日开工。",
                None,
            ),
            (None, "标题\n2020-02-30\n", None),
        ];
        for (env, text, want) in cases {
            assert_eq!(publication_date(*env, text, None), want.and_then(date), "{env:?} {text}");
        }
    }

    /// A window of the article's anchors is what scanning the window alone
    /// finds, also where an expression crosses the window's edge
    /// (`今年|1-8月`, `比|去年同期`, `2021\n年`).
    #[test]
    fn article_anchors_match_a_scan_of_any_window() {
        let text = "2019年,全市签约。\n今年1-8月,比去年同期增加113个;上半年完成,2021\n年底前,较2020年度增长。";
        let index = ArticleAnchors::new(text);
        let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        for (n, &from) in bounds.iter().enumerate() {
            for &to in &bounds[n..] {
                let direct: Vec<Anchor> = anchors(&text[from..to]).collect();
                let indexed: Vec<Anchor> = index.within(from, to).iter().filter_map(|f| judge(text, from, to, f)).collect();
                assert_eq!(indexed, direct, "window {from}..{to}: {}", &text[from..to]);
            }
        }
    }

    #[test]
    fn last_month_of_a_part() {
        let cases: &[(&str, Option<u32>)] = &[
            ("1-8月", Some(8)),
            ("1—11月份", Some(11)),
            ("一至八月", Some(8)),
            ("前七个月", Some(7)),
            ("前十一个月", Some(11)),
            ("8月底", Some(8)),
            ("前三季度", Some(9)),
            ("第一季度", Some(3)),
            ("上半年", Some(6)),
            ("全年", None),
            ("以来", None),
        ];
        for (part, want) in cases {
            assert_eq!(last_month(part), *want, "{part}");
        }
    }

    #[test]
    fn clause_periods() {
        let pub2020 = date("2020-10-11");
        let pub_jan = date("2021-01-15");
        // clause, context, publication date, expected period text and year
        type Case<'a> = (&'a str, &'a str, Option<NaiveDate>, Option<&'a str>, Option<i32>);
        let cases: &[Case] = &[
            ("2021年全市签约项目655个", "", pub2020, Some("2021年"), Some(2021)),
            ("二〇二一年签约项目30个", "", None, Some("二〇二一年"), Some(2021)),
            ("2021年1-8月引进资金80亿元", "", None, Some("2021年1-8月"), Some(2021)),
            ("今年以来签约项目20个", "", pub2020, Some("今年以来"), Some(2020)),
            ("力争今年到位资金120亿元", "", pub2020, Some("今年"), Some(2020)),
            ("去年底累计签约项目50个", "", pub2020, Some("去年底"), Some(2019)),
            ("上年度完成投资30亿元", "", pub2020, Some("上年度"), Some(2019)),
            ("明年计划引进项目40个", "", pub2020, Some("明年"), Some(2021)),
            ("前年签约项目10个", "", pub2020, Some("前年"), Some(2018)),
            ("上半年签约项目15个", "", pub2020, Some("上半年"), Some(2020)),
            ("1—8月到位资金60亿元", "", pub2020, Some("1—8月"), Some(2020)),
            ("前三季度签约项目33个", "", pub2020, Some("前三季度"), Some(2020)),
            ("一至十一月签约项目90个", "", pub_jan, Some("一至十一月"), Some(2020)),
            ("前七个月签约项目90个", "", pub2020, Some("前七个月"), Some(2020)),
            ("前十一个月签约项目90个", "", pub_jan, Some("前十一个月"), Some(2020)),
            // A January report of 1-11月 speaks of the year before.
            ("1-11月签约项目90个", "", pub_jan, Some("1-11月"), Some(2020)),
            ("力争上半年开工项目20个", "", pub_jan, Some("上半年"), Some(2021)),
            // A year stated earlier in the paragraph, or the article, still applies.
            ("签约项目655个", "2019年,全市招商工作稳步推进,", pub2020, None, Some(2019)),
            ("签约项目655个", "2019年,全市招商工作稳步推进。\n聚焦重点领域,", pub2020, None, Some(2019)),
            ("上半年签约项目15个", "2019年,全市招商工作稳步推进,", pub2020, Some("上半年"), Some(2019)),
            ("当年建成项目104个", "2019年签约项目300个,", pub2020, Some("当年"), Some(2019)),
            // Baselines are not periods.
            ("比去年同期增加113个", "今年1-8月,", pub2020, None, Some(2020)),
            ("较2019年增长20%", "", None, None, None),
            ("今年1-8月落实项目4684个,比去年同期增加113个", "", pub2020, Some("今年1-8月"), Some(2020)),
            // Relative words need the publication date.
            ("今年签约项目20个", "", None, Some("今年"), None),
            // No time words: the year in force, else the year of publication.
            ("签约项目20个", "", pub2020, None, Some(2020)),
            ("签约项目20个", "", None, None, None),
            // Without a publication date, the only year the text gives is the best guess.
            ("今天集中开工的40个项目", "2019年以来,我县签约项目80个。", None, Some("今天"), Some(2019)),
            ("今天集中开工的40个项目", "我县签约项目80个。", None, Some("今天"), None),
            ("今天集中开工的40个项目", "", pub2020, Some("今天"), Some(2020)),
            // Only a year that frames what follows stays in force.
            ("争取专项资金200万元", "2019年,全市招商工作稳步推进。\n对10个2018年度先进集体进行了重奖。", pub2020, None, Some(2019)),
            ("签约项目24个", "2019年启动攻坚。\n2018年以来,我县不断优化环境,", None, None, Some(2019)),
            ("签约项目24个", "县长宣布2019年一季度项目开工。\n2018年以来,我县不断优化环境,", None, None, Some(2019)),
            ("一季度到位资金43亿元", "2019年以来,全区不断完善机制,", None, Some("一季度"), Some(2019)),
        ];
        for (clause, ctx, published, text, year) in cases {
            let p = clause_period(clause, ctx, *published);
            assert_eq!((p.text.as_deref(), p.year), (*text, *year), "{clause} | {ctx}");
        }
    }
}
