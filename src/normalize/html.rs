//! HTML → one paragraph per line, with the page chrome removed.
//!
//! html5ever (through dom_query) parses; dom_smoothie's readability picks
//! the main content. Readability can keep too little on short pages (a
//! three-paragraph notice in a table layout), so a plain tag walk over the
//! cleaned tree is the fallback. The lines above the main content (where
//! the dateline lives) are handed back so the caller can keep the
//! publication-time and source line the extractor needs.

use std::sync::LazyLock;

use dom_query::{Document, Matcher};
use dom_smoothie::{Config, Readability, TextMode};
use regex::Regex;

static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<(?:!doctype|html|head|body|p|div|br|span|a|td|tr|li|ul|ol|table|h[1-6]|strong|b|font|img|section|article|meta|title)\b[^<>]*>|</[a-z][a-z0-9]{0,10}>")
        .expect("tag regex is valid")
});
/// Any tag or comment; used to strip stray markup from crawled text.
static ANY_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<(script|style)\b[^<>]*>.*?</(?:script|style)>|<!--.*?-->|</?[a-z][a-z0-9]{0,15}(?:\s[^<>]*)?/?>")
        .expect("markup regex is valid")
});
/// A date as datelines write it (`2024-04-02`, `2024年4月2日`, `2024/4/2`).
static DATE_HINT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}").expect("date hint regex is valid"));
static ENTITY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,8}));").expect("entity regex is valid"));

/// Elements whose text is never shown as text.
static INVISIBLE: LazyLock<Matcher> = LazyLock::new(|| {
    Matcher::new("script, style, noscript, template, iframe, object, embed, svg, canvas, head")
        .expect("invisible selector is valid")
});
/// Page chrome: never article text, though a dateline may sit in a header.
static JUNK: LazyLock<Matcher> = LazyLock::new(|| {
    Matcher::new(
        "form, select, button, input, textarea, nav, header, footer, aside, \
         [class*=share], [id*=share], [class*=breadcrumb], [class*=crumb], [id*=crumb], [class*=copyright], \
         [id*=copyright], [class*=footer], [id*=footer], [class*=navbar], [id*=nav], [class*=menu], [id*=menu], \
         [class*=related], [id*=related], [class*=recommend], [class*=sidebar], [id*=sidebar], [class*=comment], \
         [id*=comment], [class*=toolbar], [class*=hot-news], [class*=hotnews], [class*=friend-link], [class*=links]",
    )
    .expect("junk selector is valid")
});
static TITLE: LazyLock<Matcher> = LazyLock::new(|| Matcher::new("title").expect("title selector is valid"));
static H1: LazyLock<Matcher> = LazyLock::new(|| Matcher::new("h1").expect("h1 selector is valid"));
static BODY: LazyLock<Matcher> = LazyLock::new(|| Matcher::new("body").expect("body selector is valid"));

/// Readability's text must reach this share of the tag walk's text, else
/// it dropped real paragraphs and the walk is used instead.
const MIN_READABILITY_SHARE: f64 = 0.3;
/// Lines above the main content searched for a dateline.
const LEAD_LINES: usize = 25;

/// Is the body HTML (rather than text that merely contains a stray tag)?
pub fn looks_like_html(body: &str, content_type: Option<&str>) -> bool {
    if !body.contains('<') {
        return false;
    }
    if content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("html")) {
        return true;
    }
    let head: String = body.chars().take(1024).collect::<String>().to_ascii_lowercase();
    if ["<!doctype html", "<html", "<head", "<body"].iter().any(|m| head.contains(m)) {
        return true;
    }
    // Markup throughout: most non-empty lines carry a tag.
    let mut lines = 0usize;
    let mut tagged = 0usize;
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        lines += 1;
        if TAG.is_match(line) {
            tagged += 1;
        }
    }
    tagged >= 1 && tagged * 2 > lines && TAG.find_iter(body).take(3).count() >= 3
}

/// Text extracted from an HTML page.
#[derive(Debug, Default)]
pub struct HtmlText {
    /// Main content, paragraphs on separate lines (not yet normalised).
    pub text: String,
    /// `<h1>` when the `<title>` contains it, else `<title>` with the site name cut off.
    pub title: Option<String>,
    /// Lines of the page above the main content (dateline candidates).
    pub lead: Vec<String>,
}

/// Nesting beyond which the page is not handed to the DOM parser: tree
/// construction costs grow with depth per element, so a hostile page of
/// nested tags would take minutes. Real pages stay well under 100.
const MAX_NESTING: usize = 1_000;

pub fn to_text(html: &str) -> HtmlText {
    if nesting_depth(html) > MAX_NESTING {
        return HtmlText { text: strip_stray_markup(html), ..HtmlText::default() };
    }
    let doc = Document::from(html);
    let title = page_title(&doc);
    doc.select_matcher(&INVISIBLE).remove();
    // Datelines often sit in a <header> or an info bar the chrome rules
    // remove; the page's text before that removal is kept for the lead
    // only when the chrome holds a date (a second walk costs ~20%).
    let chrome_dated = doc.select_matcher(&JUNK).iter().any(|n| DATE_HINT.is_match(&n.text()));
    let full = chrome_dated.then(|| body_text(&doc));
    doc.select_matcher(&JUNK).remove();
    let walk = body_text(&doc);
    let cfg = Config { text_mode: TextMode::Formatted, ..Config::default() };
    let main = Readability::with_document(doc, None, Some(cfg))
        .ok()
        .and_then(|mut r| r.parse().ok())
        .map(|a| a.text_content.to_string())
        .unwrap_or_default();
    let walk_len = visible_len(&walk);
    let text = if walk_len > 0 && (visible_len(&main) as f64) < walk_len as f64 * MIN_READABILITY_SHARE {
        walk.clone()
    } else {
        main
    };
    let lead = lead_lines(full.as_deref().unwrap_or(&walk), &text);
    HtmlText { text, title, lead }
}

/// Elements that never take a closing tag.
const VOID: &[&str] = &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"];

/// Upper bound of the element nesting, counted from tags alone (no parse):
/// opening tags push, closing tags pop, void and self-closed tags do neither.
fn nesting_depth(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = bytes.get(i..).and_then(|b| b.iter().position(|&c| c == b'<')) {
        let start = i + off + 1;
        let closing = bytes.get(start) == Some(&b'/');
        let name_start = if closing { start + 1 } else { start };
        let name_len = bytes.get(name_start..).map_or(0, |b| b.iter().take_while(|c| c.is_ascii_alphanumeric()).count());
        i = name_start + name_len;
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            continue;
        }
        let name = html.get(name_start..name_start + name_len).unwrap_or_default().to_ascii_lowercase();
        let end = bytes.get(i..).and_then(|b| b.iter().position(|&c| c == b'>')).map(|p| i + p);
        let self_closed = end.is_some_and(|e| e > 0 && bytes[e - 1] == b'/');
        if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closed && !VOID.contains(&name.as_str()) {
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}

fn body_text(doc: &Document) -> String {
    match doc.select_single_matcher(&BODY).nodes().first() {
        Some(body) => body.formatted_text().to_string(),
        None => doc.formatted_text().to_string(),
    }
}

fn visible_len(s: &str) -> usize {
    s.chars().filter(|c| !c.is_whitespace()).count()
}

/// The walk's lines before the first line of the chosen main text.
fn lead_lines(walk: &str, main: &str) -> Vec<String> {
    let Some(first) = main.lines().map(str::trim).find(|l| l.chars().count() >= 8) else { return Vec::new() };
    let mut lead = Vec::new();
    for line in walk.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line == first || line.contains(first) {
            return lead;
        }
        lead.push(line.to_owned());
        if lead.len() > LEAD_LINES {
            lead.remove(0);
        }
    }
    // The main text starts with nothing the walk shows verbatim: no lead.
    Vec::new()
}

/// Separators between an article title and the site name in `<title>`.
const TITLE_SEPARATORS: &[&str] = &["_", "|", " - ", "--", "——", " — ", "-"];

fn page_title(doc: &Document) -> Option<String> {
    let title = doc.select_single_matcher(&TITLE).text().trim().to_owned();
    let h1 = doc.select_single_matcher(&H1).text().trim().to_owned();
    if !h1.is_empty() && (title.is_empty() || title.contains(&h1)) {
        return Some(h1);
    }
    if title.is_empty() {
        return None;
    }
    Some(strip_site_name(&title))
}

/// `我市签约项目38个_某某市人民政府` → `我市签约项目38个`: the longest part
/// between separators is the headline, the short ones are site and channel names.
pub fn strip_site_name(title: &str) -> String {
    for sep in TITLE_SEPARATORS {
        if title.contains(sep) {
            let best = title.split(sep).map(str::trim).max_by_key(|p| p.chars().count()).unwrap_or(title);
            if best.chars().count() >= 4 {
                return best.to_owned();
            }
        }
    }
    title.to_owned()
}

/// Crawled text with markup injected into it: drop scripts, styles, tags
/// and comments, decode entities.
pub fn strip_stray_markup(text: &str) -> String {
    let text = if text.contains('<') { ANY_TAG.replace_all(text, "\n").into_owned() } else { text.to_owned() };
    if text.contains('&') {
        decode_entities(&text)
    } else {
        text
    }
}

fn decode_entities(text: &str) -> String {
    ENTITY
        .replace_all(text, |c: &regex::Captures| {
            let whole = c.get(0).map_or("", |m| m.as_str()).to_owned();
            let code = if let Some(d) = c.get(1) {
                d.as_str().parse::<u32>().ok()
            } else if let Some(h) = c.get(2) {
                u32::from_str_radix(h.as_str(), 16).ok()
            } else {
                let named = match c.get(3).map(|m| m.as_str()) {
                    Some("nbsp") | Some("ensp") | Some("emsp") => ' ',
                    Some("amp") => '&',
                    Some("lt") => '<',
                    Some("gt") => '>',
                    Some("quot") => '"',
                    Some("apos") => '\'',
                    Some("ldquo") => '“',
                    Some("rdquo") => '”',
                    Some("middot") => '·',
                    Some("mdash") => '—',
                    Some("hellip") => '…',
                    Some("copy") => '©',
                    _ => return whole,
                };
                return named.to_string();
            };
            code.and_then(char::from_u32).map_or(whole, |ch| ch.to_string())
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!DOCTYPE html><html><head><meta charset="utf-8">
<title>某县一季度签约项目38个 总投资216亿元_某县人民政府网</title>
<style>.nav{color:red}</style><script>var x = "签约项目999个";</script></head>
<body>
<div class="nav"><a href="/">首页</a><a href="/news">新闻</a><a href="/gov">政务</a></div>
<div class="crumb">首页 &gt; 新闻中心 &gt; 本地要闻</div>
<div class="article">
<h1>某县一季度签约项目38个 总投资216亿元</h1>
<div class="info">发布时间:2024-04-02 10:00 来源:某县融媒体中心</div>
<div class="content">
<p>本报讯 一季度,某县新签约招商引资项目38个,总投资216.5亿元,其中亿元以上项目21个,同比增长15%。</p>
<p>全县坚持把招商引资作为“一号工程”,县级领导带队外出招商12批次,对接企业140余家,到位资金45.3亿元。</p>
<p>下一步,某县将聚焦新能源、新材料等主导产业,开展精准招商,力争全年签约项目超过150个。</p>
</div>
<div class="share">分享到:微信 微博</div>
</div>
<div class="related"><h3>相关新闻</h3><ul><li><a href="/1">邻县签约项目20个</a></li></ul></div>
<div class="footer">版权所有 某县人民政府 ICP备00000000号</div>
</body></html>"#;

    #[test]
    fn extracts_main_text_title_and_dateline_lead() {
        let out = to_text(PAGE);
        assert_eq!(out.title.as_deref(), Some("某县一季度签约项目38个 总投资216亿元"));
        for para in ["新签约招商引资项目38个,总投资216.5亿元", "到位资金45.3亿元", "力争全年签约项目超过150个"] {
            assert!(out.text.contains(para), "missing {para:?} in {:?}", out.text);
        }
        for junk in ["签约项目999个", "color:red", "分享到", "邻县签约项目20个", "ICP备", "新闻中心"] {
            assert!(!out.text.contains(junk), "kept {junk:?} in {:?}", out.text);
        }
        let paragraphs: Vec<&str> = out.text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(paragraphs.len() >= 3, "paragraphs not split: {:?}", out.text);
        let lead = out.lead.join("\n") + "\n" + &out.text;
        assert!(lead.contains("发布时间:2024-04-02 10:00 来源:某县融媒体中心"), "dateline lost: {lead:?}");
    }

    #[test]
    fn dateline_inside_a_header_is_offered() {
        let page = "<html><body><article><header><h1>某区签约项目15个</h1>\
<p class=\"meta\">2024-03-18 08:30 来源:某区人民政府</p></header>\
<div class=\"content\"><p>今年以来,某区新签约项目15个,总投资42亿元,其中制造业项目9个,总投资30.5亿元,外资项目2个。</p>\
<p>某区还组织外出招商活动8次,对接企业60余家,一批重点项目正在加快推进,预计下半年陆续开工建设。</p></div>\
</article></body></html>";
        let out = to_text(page);
        assert!(out.lead.iter().any(|l| l.contains("2024-03-18 08:30 来源:某区人民政府")), "{:?}", out.lead);
        assert!(out.text.contains("总投资42亿元"), "{:?}", out.text);
    }

    #[test]
    fn deeply_nested_markup_does_not_overflow() {
        let depth = 200_000;
        let page = format!("{}某镇签约项目3个{}", "<div>".repeat(depth), "</div>".repeat(depth));
        let out = to_text(&page);
        assert!(out.text.contains("某镇签约项目3个"), "{:?}", out.text.chars().take(100).collect::<String>());
        assert!(!out.text.contains("<div>"));
    }

    #[test]
    fn nesting_depth_counts_open_elements() {
        let cases = [
            ("<div><p>a</p><p>b<br>c<img src=x/></p></div>", 2),
            ("<ul><li>a<li>b</ul>", 3),
            ("文本 < 5 且 <3", 0),
            ("<div><div><div></div></div></div>", 3),
            ("</div></div><p>", 1),
        ];
        for (html, want) in cases {
            assert_eq!(nesting_depth(html), want, "{html}");
        }
    }

    /// HTML-path throughput on a synthetic 60 KB page (run in release, by hand).
    #[test]
    #[ignore]
    fn html_throughput() {
        let para = "<p>今年以来,某县新签约招商引资项目38个,总投资216.5亿元,其中亿元以上项目21个,同比增长15%。</p>\n";
        let side = "<li><a href=\"/n/1\">邻县重点项目集中开工 总投资80亿元</a></li>\n";
        let page = format!(
            "<html><head><title>某县招商引资_某县政府</title><style>p{{}}</style></head><body><div class=\"nav\">{}</div>\
<div class=\"main\"><h1>某县招商引资</h1><div class=\"info\">2024-04-02 来源:某县</div><div class=\"content\">{}</div></div>\
<div class=\"side\"><ul>{}</ul></div><div class=\"footer\">版权所有</div></body></html>",
            "<a href=\"/\">首页</a>".repeat(40),
            para.repeat(250),
            side.repeat(100)
        );
        let rounds = 40;
        let t = std::time::Instant::now();
        let mut n = 0;
        for _ in 0..rounds {
            n += to_text(&page).text.len();
        }
        let secs = t.elapsed().as_secs_f64();
        println!("html to_text: {} bytes x {rounds} in {secs:.3}s = {:.1} MB/s ({n})", page.len(), (page.len() * rounds) as f64 / secs / 1e6);
    }

    #[test]
    fn short_fragment_falls_back_to_the_tag_walk() {
        let out = to_text("<p>某镇签约项目3个,总投资1.2亿元。</p><p>项目涉及农产品加工。</p>");
        assert!(out.text.contains("某镇签约项目3个,总投资1.2亿元。"), "{:?}", out.text);
        assert!(out.text.contains("项目涉及农产品加工。"), "{:?}", out.text);
    }

    #[test]
    fn detects_html() {
        let cases = [
            ("<html><body><p>正文</p></body></html>", None, true),
            ("<p>第一段</p>\n<p>第二段</p>\n<p>第三段</p>", None, true),
            ("纯文本,没有标签。", Some("text/html"), false),
            ("正文第一段\n<style id=\"x\"></style>\n正文第二段\n正文第三段\n正文第四段", None, false),
            ("增长<5%的企业有3家", None, false),
            ("任意内容 <b>加粗</b>", Some("text/html; charset=utf-8"), true),
        ];
        for (body, ct, want) in cases {
            assert_eq!(looks_like_html(body, ct), want, "body {body:?}");
        }
    }

    #[test]
    fn strips_site_names_from_titles() {
        let cases = [
            ("我市签约项目38个_某某市人民政府", "我市签约项目38个"),
            ("某区招商引资成效显著 - 某某新闻网", "某区招商引资成效显著"),
            ("要闻|某县重点项目集中开工", "某县重点项目集中开工"),
            ("没有分隔符的标题", "没有分隔符的标题"),
        ];
        for (t, want) in cases {
            assert_eq!(strip_site_name(t), want);
        }
    }

    #[test]
    fn strips_stray_markup_from_text() {
        let cases = [
            ("正文<style id=\"a\">.x{}</style>继续", "正文\n继续"),
            ("<p id=\"u\"></p>段落&nbsp;文字&amp;符号&#20013;", "\n\n段落 文字&符号中"),
            ("增长<5%且>3%", "增长<5%且>3%"),
            ("未知实体&foo;保留", "未知实体&foo;保留"),
        ];
        for (input, want) in cases {
            assert_eq!(strip_stray_markup(input), want, "input {input:?}");
        }
    }
}
