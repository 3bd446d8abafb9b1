//! Stage 2 — normalize: decoded article → clean, Simplified, folded text.
//!
//! Everything after this stage (dedup fingerprints, extraction, evidence
//! offsets) reads [`Normalized::text`], so script, pinyin ruby, site
//! furniture and full-width forms never matter downstream.
//!
//! Order matters: markup goes first (tags hide line structure), ruby before
//! script conversion (a `(wàn)` inside a phrase defeats phrase lookup),
//! width folding and conversion before the furniture rules (so those rules
//! are written once, in Simplified ASCII-punctuated form).

mod boilerplate;
mod html;
mod ruby;
mod script;
mod width;

/// Whether a character is a CJK ideograph: the one definition the crate uses.
pub use width::is_han;

pub use boilerplate::is_dateline;
pub use script::t2s;

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

/// Headline-like lines: long enough to name something, short enough not to be a paragraph.
const TITLE_MIN_HAN: usize = 8;
const TITLE_MAX_CHARS: usize = 60;
/// Datelines taken from above an HTML page's main content.
const MAX_LEAD_DATELINES: usize = 2;

/// Normalise one decoded article. Pure and infallible: whatever the input,
/// the output is some (possibly empty) text.
pub fn normalize(raw: &RawArticle) -> Normalized {
    let (body, page_title, lead) = if html::looks_like_html(&raw.body, raw.content_type.as_deref()) {
        let h = html::to_text(&raw.body);
        (h.text, h.title, h.lead)
    } else {
        (html::strip_stray_markup(&raw.body), None, Vec::new())
    };
    let (mut text, script) = clean_text(&body);

    let page_title = page_title.map(|t| clean_line(&t)).filter(|t| !t.is_empty());
    if !lead.is_empty() || page_title.is_some() {
        text = with_header(&text, page_title.as_deref(), &lead);
    }
    let text = boilerplate::strip(&text);

    let title = raw
        .title
        .as_deref()
        .map(clean_line)
        .filter(|t| !t.is_empty())
        .or(page_title)
        .or_else(|| headline(&text));
    Normalized { text, title, script }
}

/// Ruby, width, garbled runs, whitespace, script — everything but furniture.
fn clean_text(s: &str) -> (String, Script) {
    let s = ruby::strip_ruby(s);
    let s = width::fold(&s);
    let s = width::drop_garbled_runs(&s);
    let s = width::tidy_lines(&s);
    script::to_simplified(&s)
}

/// A title or other single line, cleaned the same way as the text.
fn clean_line(s: &str) -> String {
    let s = ruby::strip_ruby(s);
    let s = width::fold(&s).replace('\n', " ");
    let s = width::drop_garbled_runs(&s);
    script::convert(&width::tidy_lines(&s))
}

/// An HTML page's text, headed by its title and the dateline found above
/// the main content (readability drops both, crawled text keeps them).
fn with_header(text: &str, title: Option<&str>, lead: &[String]) -> String {
    let mut head = String::new();
    let opening: Vec<&str> = text.lines().take(3).collect();
    if let Some(t) = title {
        if !opening.iter().any(|l| l.contains(t)) {
            head.push_str(t);
            head.push('\n');
        }
    }
    let datelines = lead
        .iter()
        .map(|l| clean_line(l))
        .filter(|l| boilerplate::classify(l) == boilerplate::Verdict::Keep && is_dateline(l))
        .filter(|l| !text.contains(l.as_str()))
        .take(MAX_LEAD_DATELINES);
    for d in datelines {
        head.push_str(&d);
        head.push('\n');
    }
    if head.is_empty() {
        return text.to_owned();
    }
    head + text
}

/// The first short, headline-shaped line before the first paragraph.
fn headline(text: &str) -> Option<String> {
    for line in text.lines().take(6) {
        let n = line.chars().count();
        if is_dateline(line) {
            continue;
        }
        let han = line.chars().filter(|&c| width::is_han(c)).count();
        let sentence = line.contains('。') || line.ends_with([',', ';', ':']);
        if n <= TITLE_MAX_CHARS && han >= TITLE_MIN_HAN && !sentence {
            return Some(line.to_owned());
        }
        if n > TITLE_MAX_CHARS {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(body: &str) -> RawArticle {
        RawArticle { id: "t".into(), body: body.into(), encoding: "UTF-8", ..RawArticle::default() }
    }

    #[test]
    fn normalises_a_traditional_crawled_page() {
        let body = "分享好友 看資訊首頁 頻道列表\n\
萬(wàn)州力爭(zhēng)今年工業招商引資到位資金１２０億元\n\
來源:某某經濟信息網\u{3000}時間:2017-10-17\n\
\u{3000}\u{3000}工業招商是招商引資的重頭戲。日前,區政府辦公室印發方案,力爭(zhēng)今年工業招商引資到位資金１２０億元。\n\
\u{3000}\u{3000}方案提出,(2017年)完成到位資金120億元,並將任務分解落實到責任單位(通訊員 郭揚(yáng))。\n\
版權所有:某某網 京ICP備00000000號";
        let n = normalize(&raw(body));
        assert_eq!(n.script, Script::Traditional);
        assert_eq!(n.title.as_deref(), Some("万州力争今年工业招商引资到位资金120亿元"));
        assert_eq!(
            n.text,
            "万州力争今年工业招商引资到位资金120亿元\n\
来源:某某经济信息网 时间:2017-10-17\n\
工业招商是招商引资的重头戏。日前,区政府办公室印发方案,力争今年工业招商引资到位资金120亿元。\n\
方案提出,(2017年)完成到位资金120亿元,并将任务分解落实到责任单位(通讯员 郭扬)。"
        );
    }

    #[test]
    fn envelope_title_wins_and_is_normalised() {
        let mut r = raw("全区签约项目15个,总投资42亿元。");
        r.title = Some("某區簽約項目１５個".into());
        let n = normalize(&r);
        assert_eq!(n.title.as_deref(), Some("某区签约项目15个"));
        assert_eq!(n.text, "全区签约项目15个,总投资42亿元。");
        assert_eq!(n.script, Script::Simplified);
    }

    #[test]
    fn html_page_keeps_title_dateline_and_paragraphs() {
        let page = "<html><head><title>某县签约项目38个_某县人民政府</title></head><body>\
<div class=\"nav\">首页 新闻 政务</div>\
<div class=\"info\">发布时间:2024-04-02 10:00 来源:某县融媒体中心</div>\
<div class=\"content\"><p>一季度,某县新签约招商引资项目38个,总投资216.5亿元,其中亿元以上项目21个。</p>\
<p>县级领导带队外出招商12批次,对接企业140余家,到位资金45.3亿元,同比增长12%。</p></div>\
<div class=\"footer\">版权所有 某县人民政府</div></body></html>";
        let mut r = raw(page);
        r.content_type = Some("text/html".into());
        let n = normalize(&r);
        assert_eq!(n.title.as_deref(), Some("某县签约项目38个"));
        let lines: Vec<&str> = n.text.lines().collect();
        assert_eq!(lines.first().copied(), Some("某县签约项目38个"), "{:?}", n.text);
        assert!(n.text.contains("发布时间:2024-04-02 10:00 来源:某县融媒体中心"), "{:?}", n.text);
        assert!(n.text.contains("新签约招商引资项目38个,总投资216.5亿元,其中亿元以上项目21个。"));
        assert!(n.text.contains("到位资金45.3亿元,同比增长12%。"));
        assert!(!n.text.contains("版权所有") && !n.text.contains("政务"), "{:?}", n.text);
    }

    #[test]
    fn headline_is_the_first_short_line() {
        let cases = [
            ("某市召开招商引资推进大会 签约项目20个\n2024-01-05 来源:某某日报\n正文段落。", Some("某市召开招商引资推进大会 签约项目20个")),
            ("2024-01-05 来源:某某日报\n某市召开招商引资推进大会\n正文。", Some("某市召开招商引资推进大会")),
            ("今年以来,全市新签约项目120个,总投资560亿元,同比增长18%,其中制造业项目占比超过六成,新兴产业项目持续增加。\n短行标题也不算", None),
            ("要闻\n", None),
            ("时政要闻\n第二十届博览会落幕 共签约项目1172个 总额5607.69亿元\n正文。", Some("第二十届博览会落幕 共签约项目1172个 总额5607.69亿元")),
        ];
        for (text, want) in cases {
            assert_eq!(headline(text).as_deref(), want, "text {text:?}");
        }
    }

    #[test]
    fn garbage_in_gives_text_out() {
        for body in ["", "\u{FFFD}\u{FFFD}\u{FFFD}", "<<<>>>", "????", "<html>", "&#99999999;", "(wàn)", "\0\0"] {
            let n = normalize(&raw(body));
            assert!(!n.text.contains('\u{FFFD}'), "{body:?} → {:?}", n.text);
        }
    }
}

/// Corpus checks run by hand: `cargo test --release --lib normalize::corpus -- --ignored --nocapture`.
/// The corpus stays where it is (`ZHAOSHANG_CORPUS`, default the shared dev
/// corpus); output goes to /tmp, never into the project.
#[cfg(test)]
mod corpus {
    use super::*;
    use crate::decode::{decode, DecodeLimits};

    fn corpus() -> Vec<(String, Vec<u8>)> {
        let dir = std::env::var("ZHAOSHANG_CORPUS").unwrap_or_else(|_| "/work/shared/corpus/dev".into());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "txt")).collect())
            .unwrap_or_default();
        files.sort();
        files
            .into_iter()
            .filter_map(|p| Some((p.file_stem()?.to_string_lossy().into_owned(), std::fs::read(&p).ok()?)))
            .collect()
    }

    /// Writes each normalised article to /tmp/zhaoshang-normalized/ for inspection.
    #[test]
    #[ignore]
    fn dump_normalized_corpus() {
        let out = std::path::Path::new("/tmp/zhaoshang-normalized");
        std::fs::create_dir_all(out).expect("create /tmp output dir");
        let docs = corpus();
        assert!(!docs.is_empty(), "no corpus found");
        for (id, bytes) in docs {
            let raw = decode(&bytes, Some(&id), &DecodeLimits::default()).expect("corpus file decodes");
            let cleaned = width::tidy_lines(&width::fold(&ruby::strip_ruby(&raw.body)));
            let (han, changed) = script::count_changes(&cleaned, &hanconv::t2s(&cleaned));
            let n = normalize(&raw);
            let (all, _) = clean_text(&html::strip_stray_markup(&raw.body));
            let dropped: Vec<&str> = all
                .lines()
                .filter(|l| l.chars().any(|c| c.is_ascii_digit()) && !n.text.contains(*l))
                .collect();
            std::fs::write(out.join(format!("{id}.dropped")), dropped.join("\n")).expect("write dropped lines");
            let report = format!(
                "# id={id} script={:?} changed={changed}/{han} ({:.3}) title={:?}\n{}\n",
                n.script,
                changed as f64 / han.max(1) as f64,
                n.title,
                n.text
            );
            std::fs::write(out.join(format!("{id}.txt")), report).expect("write normalised text");
        }
    }

    /// Prints normalize throughput over the corpus (meaningful in release mode).
    #[test]
    #[ignore]
    fn normalize_throughput() {
        let raws: Vec<RawArticle> = corpus()
            .into_iter()
            .filter_map(|(id, b)| decode(&b, Some(&id), &DecodeLimits::default()).ok())
            .collect();
        let bytes: usize = raws.iter().map(|r| r.body.len()).sum();
        assert!(bytes > 0, "no corpus found");
        let rounds = 50;
        let t = std::time::Instant::now();
        let mut out = 0usize;
        for _ in 0..rounds {
            for r in &raws {
                out += normalize(r).text.len();
            }
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "normalize: {} articles, {bytes} bytes x {rounds} rounds in {secs:.3}s = {:.1} MB/s ({out} bytes out)",
            raws.len(),
            (bytes * rounds) as f64 / secs / 1e6
        );
    }

    /// Per-stage throughput, to see where normalize spends its time.
    #[test]
    #[ignore]
    fn stage_throughput() {
        let texts: Vec<String> = corpus().into_iter().map(|(_, b)| String::from_utf8_lossy(&b).into_owned()).collect();
        let rounds = 50;
        let bytes = texts.iter().map(String::len).sum::<usize>() * rounds;
        assert!(bytes > 0, "no corpus found");
        let time = |name: &str, f: &dyn Fn(&str) -> usize| {
            let t = std::time::Instant::now();
            let mut n = 0;
            for _ in 0..rounds {
                for s in &texts {
                    n += f(s);
                }
            }
            println!("{name}: {:.1} MB/s ({n})", bytes as f64 / t.elapsed().as_secs_f64() / 1e6);
        };
        time("markup", &|s| html::strip_stray_markup(s).len());
        time("ruby", &|s| ruby::strip_ruby(s).len());
        time("fold", &|s| width::fold(s).len());
        time("garbled", &|s| width::drop_garbled_runs(s).len());
        time("tidy", &|s| width::tidy_lines(s).len());
        time("t2s", &|s| hanconv::t2s(s).len());
        time("script", &|s| script::to_simplified(s).0.len());
        time("boilerplate", &|s| boilerplate::strip(s).len());
        time("normalize", &|s| normalize(&RawArticle { body: s.to_owned(), ..RawArticle::default() }).text.len());
    }
}
