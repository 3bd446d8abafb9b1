//! Hostile bytes through the whole pipeline: every input yields exactly one
//! outcome record, none panics.
//!
//! Seeded (fastrand), so a failure reproduces: random bytes, mutations of
//! valid GBK/Big5/UTF-8/UTF-16/JSON/HTML articles, truncated multi-byte
//! sequences, empty and oversized inputs.

use encoding_rs::{BIG5, GB18030, GBK};
use zhaoshang::decode::DecodeLimits;
use zhaoshang::dedup::MemoryStore;
use zhaoshang::event::{OutcomeKind, SourceRef, OUTCOME_SCHEMA};
use zhaoshang::pipeline::{Pipeline, StoreFailure};

const SEED: u64 = 0x7A68_616F_7368_616E;
const CASES: usize = 12_000;
const LIMIT: usize = 64 * 1024;

const SIMPLIFIED: &str = "某某网 > 要闻 > 地方\n某县一季度签约项目38个 总投资216.5亿元\n\
发布时间:2024-04-02 10:00 来源:某县融媒体中心\n\
本报讯 一季度,某县新签约招商引资项目38个,总投资216.5亿元,其中亿元以上项目21个。\n\
县级领导带队外出招商12批次,对接企业140余家,到位资金45.3亿元,同比增长12.5%。\n\
延伸阅读\n邻县签约项目20个\n版权所有 某县人民政府";
const TRADITIONAL: &str = "萬(wàn)州力爭(zhēng)今年工業招商引資到位資金１２０億元\n\
來源:某某經濟信息網 時間:2017-10-17\n\
工業招商是招商引資的重頭戲。區政府印發方案,力爭今年工業招商引資到位資金120億元,簽約項目????30個。";
const HTML: &str = "<!DOCTYPE html><html><head><title>某市签约项目12个_某市政府</title><style>p{}</style></head>\
<body><div class=\"nav\">首页 新闻</div><div class=\"content\"><p>某市签约招商引资项目12个,总投资88亿元。</p>\
<p>其中外资项目3个,合同外资2.1亿美元。</p></div><script>var a=1;</script></body></html>";

fn seeds() -> Vec<Vec<u8>> {
    let json = serde_json::json!({"id": "seed", "title": "某县签约项目38个", "content": SIMPLIFIED, "content_type": "text/plain"});
    let json_html = serde_json::json!({"id": 7, "content": HTML, "content_type": "text/html"});
    let mut utf16 = vec![0xFF, 0xFE];
    for u in TRADITIONAL.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    vec![
        SIMPLIFIED.as_bytes().to_vec(),
        TRADITIONAL.as_bytes().to_vec(),
        HTML.as_bytes().to_vec(),
        GBK.encode(SIMPLIFIED).0.into_owned(),
        GB18030.encode(TRADITIONAL).0.into_owned(),
        BIG5.encode(&TRADITIONAL.replace("１２０", "120")).0.into_owned(),
        serde_json::to_vec(&json).expect("json"),
        serde_json::to_vec(&json_html).expect("json"),
        utf16,
        [b"\xEF\xBB\xBF".as_slice(), SIMPLIFIED.as_bytes()].concat(),
    ]
}

/// One hostile input, chosen by the RNG.
fn hostile(rng: &mut fastrand::Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let seed = &seeds[rng.usize(..seeds.len())];
    match rng.u8(..10) {
        // Pure random bytes of random length.
        0 => (0..rng.usize(..2048)).map(|_| rng.u8(..)).collect(),
        // Random bytes from the ranges GBK/Big5/UTF-8 lead and trail bytes live in.
        1 => (0..rng.usize(..1024)).map(|_| rng.u8(0x80..)).collect(),
        // Truncated at an arbitrary byte: cuts multi-byte sequences.
        2 => seed[..rng.usize(..=seed.len())].to_vec(),
        // Point mutations.
        3 | 4 => {
            let mut b = seed.clone();
            for _ in 0..rng.usize(1..16) {
                if b.is_empty() {
                    break;
                }
                let i = rng.usize(..b.len());
                b[i] = rng.u8(..);
            }
            b
        }
        // Splice: delete or duplicate a random range.
        5 => {
            let mut b = seed.clone();
            let i = rng.usize(..=b.len());
            let j = rng.usize(i..=b.len());
            if rng.bool() {
                b.drain(i..j);
            } else {
                let piece = b[i..j].to_vec();
                b.splice(i..i, piece);
            }
            b
        }
        // Insert hostile fragments: markup, ruby-like parentheses, question runs, NULs, BOMs.
        6 => {
            const BITS: &[&[u8]] = &[
                b"<", b">", b"<p>", b"</div>", b"<script>", b"&#xFFFFFF;", b"&nbsp;", b"(", b"(w\xc3\xa0n)", b"\xef\xbc\x88",
                b"????", b"\xef\xbf\xbd", b"\0", b"\xEF\xBB\xBF", b"\xFF\xFE", b"{\"", b"\"}", b"\\u0000", b"\n\n\n",
                b"\xe3\x80\x80", b"\xf0\x9f", b"\xc3",
            ];
            let mut b = seed.clone();
            for _ in 0..rng.usize(1..8) {
                let at = rng.usize(..=b.len());
                let bit = BITS[rng.usize(..BITS.len())];
                b.splice(at..at, bit.iter().copied());
            }
            b
        }
        // Empty, whitespace only, oversized.
        7 => match rng.u8(..4) {
            0 => Vec::new(),
            1 => b" \r\n\t ".to_vec(),
            2 => vec![b'x'; LIMIT + 1 + rng.usize(..100)],
            _ => seed.repeat(LIMIT / seed.len().max(1)).into_iter().take(LIMIT).collect(),
        },
        // JSON envelopes with odd field types.
        8 => {
            let content = match rng.u8(..5) {
                0 => serde_json::Value::Null,
                1 => serde_json::json!(12),
                2 => serde_json::json!(["a"]),
                3 => serde_json::json!(""),
                _ => serde_json::json!(String::from_utf8_lossy(seed)),
            };
            let id = match rng.u8(..3) {
                0 => serde_json::json!(rng.u64(..)),
                1 => serde_json::json!({"nested": true}),
                _ => serde_json::json!("x"),
            };
            let v = serde_json::json!({"id": id, "content": content, "title": rng.u32(..), "content_type": "text/html"});
            let mut b = serde_json::to_vec(&v).expect("json");
            if rng.bool() {
                let cut = rng.usize(..=b.len());
                b.truncate(cut);
            }
            b
        }
        // The unmodified seeds, so the clean path is exercised too.
        _ => seed.clone(),
    }
}

#[test]
fn every_hostile_input_yields_one_valid_outcome() {
    let pipeline = Pipeline::new(DecodeLimits { max_input_bytes: LIMIT }).expect("pipeline builds");
    let store = MemoryStore::default();
    let seeds = seeds();
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut counts = std::collections::HashMap::new();
    for i in 0..CASES {
        let bytes = hostile(&mut rng, &seeds);
        let source = SourceRef::Kafka { topic: "fuzz".into(), partition: 0, offset: i as i64 };
        let hint = format!("fuzz-{i}");
        let processed = pipeline
            .process(&bytes, Some(&hint), Some(source.clone()), &store, StoreFailure::Fail, 1_700_000_000)
            .unwrap_or_else(|e| panic!("case {i}: the memory store cannot fail, got {e}"));
        let o = &processed.outcome;
        assert_eq!(o.schema, OUTCOME_SCHEMA, "case {i}");
        assert_eq!(o.source.as_ref(), Some(&source), "case {i}");
        assert!(!o.article_id.is_empty(), "case {i}: outcome without an article id");
        assert_eq!(o.events, processed.events.len(), "case {i}");
        match o.outcome {
            OutcomeKind::Rejected => {
                let r = processed.rejection.as_ref().unwrap_or_else(|| panic!("case {i}: rejected without a rejection"));
                assert_eq!(o.reason.as_deref(), Some(r.reason.to_string().as_str()), "case {i}");
                assert!(processed.events.is_empty(), "case {i}");
            }
            OutcomeKind::Duplicate => {
                assert!(o.duplicate_of.is_some() && o.similarity.is_some(), "case {i}: duplicate without its original");
                assert!(processed.events.is_empty(), "case {i}");
            }
            OutcomeKind::Events => assert!(!processed.events.is_empty(), "case {i}"),
            OutcomeKind::Irrelevant => assert!(processed.events.is_empty(), "case {i}"),
        }
        if bytes.len() > LIMIT {
            assert_eq!(processed.rejection.as_ref().map(|r| r.reason.code()), Some("too_large"), "case {i}");
        }
        if bytes.trim_ascii().is_empty() {
            assert_eq!(processed.rejection.as_ref().map(|r| r.reason.code()), Some("empty"), "case {i}");
        }
        *counts.entry(o.outcome.as_str()).or_insert(0usize) += 1;
        let line = serde_json::to_string(o).expect("outcome serialises");
        assert!(line.contains(o.outcome.as_str()), "case {i}");
    }
    // The generator must reach every outcome, or the test is not testing them.
    for kind in ["events", "irrelevant", "duplicate", "rejected"] {
        assert!(counts.get(kind).copied().unwrap_or(0) > 0, "no {kind} outcome in {counts:?}");
    }
}

#[test]
fn every_byte_prefix_of_legacy_articles_is_handled() {
    let pipeline = Pipeline::new(DecodeLimits::default()).expect("pipeline builds");
    let store = MemoryStore::default();
    for seed in seeds() {
        for cut in 0..=seed.len() {
            let p = pipeline
                .process(&seed[..cut], Some("prefix"), None, &store, StoreFailure::Pass, 0)
                .expect("pass policy never fails");
            assert!(!p.outcome.article_id.is_empty());
            if cut > 0 && !seed[..cut].trim_ascii().is_empty() && p.outcome.outcome == OutcomeKind::Rejected {
                // Only genuinely unusable prefixes may be rejected.
                let code = p.rejection.as_ref().map(|r| r.reason.code());
                assert!(matches!(code, Some("undecodable" | "bad_envelope" | "empty")), "cut {cut}: {code:?}");
            }
        }
    }
}
