//! Near-duplicate quality on text we wrote ourselves: every reprint variant
//! of a base article is caught, and look-alike but different stories (one
//! template, other figures) never merge. Articles go through the real
//! pipeline (decode → normalize → fingerprint) into a real store.

mod dedup_support;

use std::path::PathBuf;

use dedup_support::generated_article;
use zhaoshang::decode::DecodeLimits;
use zhaoshang::dedup::{DedupKey, DedupStore, Fingerprint, MemoryStore, Verdict};
use zhaoshang::pipeline::{Pipeline, StageTimings};

/// Pinyin for the characters our fixtures use most: enough ruby to look
/// like the annotated reposts seen in feeds (`萬(wàn)州`).
const PINYIN: [(char, &str); 40] = [
    ('县', "xiàn"), ('市', "shì"), ('区', "qū"), ('项', "xiàng"), ('目', "mù"), ('投', "tóu"), ('资', "zī"),
    ('签', "qiān"), ('约', "yuē"), ('招', "zhāo"), ('商', "shāng"), ('产', "chǎn"), ('业', "yè"), ('亿', "yì"),
    ('元', "yuán"), ('企', "qǐ"), ('新', "xīn"), ('能', "néng"), ('源', "yuán"), ('发', "fā"), ('展', "zhǎn"),
    ('建', "jiàn"), ('设', "shè"), ('开', "kāi"), ('工', "gōng"), ('电', "diàn"), ('池', "chí"), ('数', "shù"),
    ('据', "jù"), ('万', "wàn"), ('州', "zhōu"), ('力', "lì"), ('争', "zhēng"), ('会', "huì"), ('经', "jīng"),
    ('济', "jì"), ('链', "liàn"), ('总', "zǒng"), ('额', "é"), ('计', "jì"),
];

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dedup").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Title line and paragraphs.
fn split(article: &str) -> (String, Vec<String>) {
    let mut lines = article.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned);
    let title = lines.next().unwrap_or_default();
    (title, lines.collect())
}

/// (a) Traditional script with inline pinyin ruby.
fn traditional_with_ruby(article: &str) -> String {
    hanconv::s2t(article)
        .chars()
        .map(|c| {
            let simplified = hanconv::t2s(c.to_string());
            let key = simplified.chars().next().unwrap_or(c);
            match PINYIN.iter().find(|(h, _)| *h == key) {
                Some((_, py)) => format!("{c}({py})"),
                None => c.to_string(),
            }
        })
        .collect()
}

/// (b) The same story on a site with navigation, teasers and a footer.
fn html_page(article: &str) -> String {
    let (title, paras) = split(article);
    let body: String = paras.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}_投资促进网</title>\
         <script>var _hmt = _hmt || [];</script><style>.nav{{color:#333}}</style></head><body>\
         <div class=\"nav\"><a href=\"/\">首页</a> | <a href=\"/news\">新闻中心</a> | <a href=\"/policy\">政策法规</a> | <a href=\"/guide\">投资指南</a></div>\
         <div class=\"article\"><h1>{title}</h1><div class=\"meta\">来源：投资促进网 发布时间：2024-05-06 09:30</div>\n{body}</div>\
         <div class=\"related\"><h3>相关阅读</h3><ul><li><a href=\"/n/1\">全省外资工作会议召开</a></li>\
         <li><a href=\"/n/2\">营商环境评价结果发布</a></li></ul></div>\
         <div class=\"footer\">主办单位：投资促进网 版权所有 备案号：某ICP备00000000号</div></body></html>"
    )
}

/// (b) Plain text as a second site republishes it, with breadcrumb lines.
fn plain_with_breadcrumbs(article: &str) -> String {
    let (title, paras) = split(article);
    format!(
        "当前位置：首页 > 新闻动态 > 招商引资\n{title}\n发布时间：2024-05-07 作者：本站编辑 浏览次数：1024\n{}\n责任编辑：王敏\n【打印本页】【关闭窗口】",
        paras.join("\n")
    )
}

/// (c) Cut after its first third.
fn first_third(article: &str) -> String {
    let n = article.chars().count();
    article.chars().take(n / 3).collect()
}

/// (d) One paragraph re-edited: a new opening clause, its last sentence
/// dropped and a closing remark added.
fn one_paragraph_edited(article: &str) -> String {
    let (title, mut paras) = split(article);
    let p = &mut paras[1];
    let sentences: Vec<&str> = p.split_inclusive('。').collect();
    let kept = sentences[..sentences.len().saturating_sub(1).max(1)].concat();
    *p = format!("另据了解，{kept}相关工作正在有序推进。");
    format!("{title}\n{}", paras.join("\n"))
}

struct Harness {
    pipeline: Pipeline,
    store: MemoryStore,
}

impl Harness {
    fn new() -> Self {
        Harness { pipeline: Pipeline::new(DecodeLimits { max_input_bytes: 1 << 20 }).unwrap(), store: MemoryStore::default() }
    }

    fn fingerprint(&self, text: &str, id: &str) -> Fingerprint {
        let prepared = self.pipeline.prepare(text.as_bytes(), Some(id), &mut StageTimings::default()).expect("input accepted");
        prepared.fingerprint
    }

    fn check(&self, text: &str, id: &str) -> Verdict {
        let now = chrono::Utc::now().timestamp();
        let key = DedupKey { article_id: id, origin: Some("file:test"), seen_at_unix: now };
        self.store.check_and_insert(&self.fingerprint(text, id), &key).unwrap()
    }
}

const BASES: [&str; 5] = ["base_01.txt", "base_02.txt", "base_03.txt", "base_04.txt", "base_05.txt"];

#[test]
fn every_reprint_variant_is_caught() {
    type Variant = fn(&str) -> String;
    let variants: [(&str, Variant); 5] = [
        ("traditional+ruby", traditional_with_ruby),
        ("html furniture", html_page),
        ("breadcrumb furniture", plain_with_breadcrumbs),
        ("first third", first_third),
        ("one paragraph edited", one_paragraph_edited),
    ];
    let h = Harness::new();
    // The bases live among many look-alike stories, as in a real store.
    for i in 0..200 {
        assert_eq!(h.check(&generated_article(i), &format!("g{i}")), Verdict::Unique);
    }
    let mut missed = Vec::new();
    for base in BASES {
        let text = fixture(base);
        assert_eq!(h.check(&text, base), Verdict::Unique, "{base} is a new story");
        for (name, make) in variants {
            match h.check(&make(&text), &format!("{base}/{name}")) {
                Verdict::Duplicate { of, similarity, .. } => {
                    assert_eq!(of, base, "{base}/{name} matched the wrong story");
                    assert!(similarity > 0.0 && similarity <= 1.0);
                }
                Verdict::Unique => missed.push(format!("{base}/{name}")),
            }
        }
    }
    assert!(missed.is_empty(), "missed: {missed:?}");
}

#[test]
fn a_truncated_copy_seen_first_still_catches_the_full_story() {
    let h = Harness::new();
    for base in BASES {
        let text = fixture(base);
        let id = format!("{base}/cut");
        assert_eq!(h.check(&first_third(&text), &id), Verdict::Unique);
        assert!(matches!(h.check(&text, base), Verdict::Duplicate { of, .. } if of == id), "{base}");
    }
}

#[test]
fn same_template_other_story_never_merges() {
    let h = Harness::new();
    for pair in ["fair", "stock", "bulletin"] {
        let a = fixture(&format!("template_{pair}_a.txt"));
        let b = fixture(&format!("template_{pair}_b.txt"));
        assert_eq!(h.check(&a, &format!("{pair}-a")), Verdict::Unique);
        assert_eq!(h.check(&b, &format!("{pair}-b")), Verdict::Unique, "{pair}: another story on the same template");
    }
}

#[test]
fn a_thousand_generated_articles_never_merge() {
    let h = Harness::new();
    let merged: Vec<(u64, Verdict)> = (0..1000u64)
        .map(|i| (i, h.check(&generated_article(i), &format!("g{i}"))))
        .filter(|(_, v)| *v != Verdict::Unique)
        .collect();
    assert!(merged.is_empty(), "false merges: {merged:?}");
    assert_eq!(h.store.len().unwrap(), 1000);
}
