//! Extraction quality on the four shared corpora (`../shared/corpus/dev`,
//! `dev2`, `dev3`, `dev4`), measured by the contract's own `score.py`.
//!
//! Each corpus goes in as a feed would deliver it: one JSON envelope per
//! article, `{"id", "url", "published_at", "content"}`, in gold order (the
//! scorer judges duplicates in that order). `url` and the publication day
//! come from the corpus's `SOURCES.jsonl`; the text is read in place from
//! `<id>.txt` and the envelopes are written to a temporary directory, never
//! into the repository. The real binary processes them and `score.py`
//! scores its events and outcomes against the hand-made gold.
//!
//! Every figure is printed for every corpus (the notes and README quote
//! them); a test fails listing each figure below its floor, all at once.
//! The corpora live beside the repository (`../shared`, read-only, not ours
//! to copy); where they are absent the tests say so and check nothing else.
//! `scripts/score-dev.sh CORPUS N` reproduces one corpus's report with its
//! first N errors.

mod common;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// Floors under which a corpus's figures fail the test.
struct Floors {
    corpus: &'static str,
    strict_f1: f64,
    full_f1: f64,
    value_f1: f64,
    region_accuracy: f64,
    relevance_f1: f64,
}

/// These floors track progress: each sits 0.01–0.02 under the figure the
/// release binary measured when it was set (rounded down), so that a
/// regression fails while honest noise does not. Raise them as the figures
/// rise. They are not the aim: the targets are strict F1 ≥ 0.90 on
/// each corpus (dev ≥ 0.97), full F1 ≥ 0.88, value F1 ≥ 0.97, region
/// accuracy ≥ 0.95 and relevance F1 ≥ 0.98.
#[rustfmt::skip]
const FLOORS: &[Floors] = &[
    // measured when set (2026-12-07): strict 1.000, full 0.982, value 1.000, region 1.0, relevance 1.000
    Floors { corpus: "dev",  strict_f1: 0.99, full_f1: 0.97, value_f1: 0.99, region_accuracy: 0.99, relevance_f1: 0.99 },
    // strict 0.876, full 0.837, value 0.973, region 0.9238, relevance 0.977
    Floors { corpus: "dev2", strict_f1: 0.86, full_f1: 0.82, value_f1: 0.96, region_accuracy: 0.91, relevance_f1: 0.96 },
    // strict 0.877, full 0.857, value 0.967, region 0.9502, relevance 1.000 (first sight, before any of
    // dev3's errors were read: strict 0.841, full 0.769, value 0.950, region 0.9293, relevance 0.988)
    Floors { corpus: "dev3", strict_f1: 0.86, full_f1: 0.84, value_f1: 0.95, region_accuracy: 0.93, relevance_f1: 0.98 },
    // strict 0.791, full 0.649, value 0.946, region 0.8663, relevance 0.988
    Floors { corpus: "dev4", strict_f1: 0.77, full_f1: 0.63, value_f1: 0.93, region_accuracy: 0.85, relevance_f1: 0.97 },
];

/// Errors `score.py` lists under the figures (shown when a test fails).
const SHOW_ERRORS: u32 = 40;

// One test per corpus, so that a failure names the corpus.

#[test]
fn dev_quality() {
    corpus_quality("dev");
}

#[test]
fn dev2_quality() {
    corpus_quality("dev2");
}

#[test]
fn dev3_quality() {
    corpus_quality("dev3");
}

#[test]
fn dev4_quality() {
    corpus_quality("dev4");
}

fn corpus_quality(name: &str) {
    let floors = FLOORS.iter().find(|f| f.corpus == name).expect("a row in FLOORS for every corpus tested");
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let corpus = shared.join("corpus").join(name);
    let gold = corpus.join("gold.jsonl");
    let scorer = shared.join("tools/score.py");
    if !gold.is_file() || !scorer.is_file() {
        println!("SKIPPED: {} not found; the {name} corpus is needed to measure extraction quality", corpus.display());
        return;
    }

    let tmp = tempfile::tempdir().expect("a temporary directory");
    let envelopes = tmp.path().join(format!("{name}.jsonl"));
    let articles = write_envelopes(&corpus, &envelopes);
    // --min-f1 0: the floors below judge the figures; score.py failing means it could not score.
    let run = common::process_and_score(&envelopes, &gold, &scorer, "0", SHOW_ERRORS);
    assert_eq!(run.outcomes.lines().count(), articles, "{name}: one outcome per gold article:\n{}", run.outcomes);
    let Some((report, scored)) = run.score else {
        panic!("score.py vanished during the run");
    };
    assert!(scored, "{name}: score.py failed:\n{report}");

    let figures = Figures::read(&report).unwrap_or_else(|missing| panic!("{name}: score.py printed no {missing} line:\n{report}"));
    println!("{name}:\n{}", figures.summary());
    println!("{report}");

    let checks = [
        ("strict F1", Some(figures.strict.f1), floors.strict_f1),
        ("full F1", Some(figures.full.f1), floors.full_f1),
        ("value F1", Some(figures.value.f1), floors.value_f1),
        ("region accuracy", figures.region_accuracy, floors.region_accuracy),
        ("relevance F1", Some(figures.relevance.f1), floors.relevance_f1),
    ];
    let below: Vec<String> = checks
        .iter()
        .filter_map(|&(what, got, floor)| match got {
            Some(v) if v >= floor => None,
            Some(v) => Some(format!("{what} {v:.4} < floor {floor:.2}")),
            // score.py prints None when no gold fact has a region to judge
            None if floor <= 0.0 => None,
            None => Some(format!("{what} not measured (floor {floor:.2})")),
        })
        .collect();
    assert!(
        below.is_empty(),
        "{name}: {} figure(s) below the floor:\n  {}\n\n{}\n{report}",
        below.len(),
        below.join("\n  "),
        figures.summary()
    );
}

/// Writes one envelope per gold article, in gold order, to `to`; returns how
/// many. Ids without a `SOURCES.jsonl` row (some in dev) get just id and content.
fn write_envelopes(corpus: &Path, to: &Path) -> usize {
    let sources_text = std::fs::read_to_string(corpus.join("SOURCES.jsonl")).unwrap_or_default();
    let sources: HashMap<String, Value> = json_lines(&sources_text).map(|row| (id_of(&row), row)).collect();
    let gold = std::fs::read_to_string(corpus.join("gold.jsonl")).expect("the gold file");
    let mut out = String::new();
    let mut n = 0;
    for g in json_lines(&gold) {
        let id = id_of(&g);
        let text = corpus.join(format!("{id}.txt"));
        let content = std::fs::read(&text).unwrap_or_else(|e| panic!("{}: {e}", text.display()));
        let mut env = Map::new();
        env.insert("id".into(), Value::String(id.clone()));
        if let Some(src) = sources.get(&id) {
            if let Some(url) = src.get("url").and_then(Value::as_str) {
                env.insert("url".into(), url.into());
            }
            if let Some(day) = src.get("published").and_then(Value::as_str) {
                env.insert("published_at".into(), published_at(day).into());
            }
        }
        // Lossy, as a crawler would pass on a stray byte rather than drop the page.
        env.insert("content".into(), String::from_utf8_lossy(&content).into_owned().into());
        out.push_str(&Value::Object(env).to_string());
        out.push('\n');
        n += 1;
    }
    std::fs::write(to, out).expect("the envelopes file");
    n
}

/// A feed sends a timestamp, SOURCES records the day: a full date becomes
/// that day at 08:00 China time (safely inside the day in any zone the
/// engine might convert to). A month alone (`2011-04`) goes as it is, for
/// the decoder to read what it can.
fn published_at(day: &str) -> String {
    let is_day = day.len() == 10 && day.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if is_day {
        format!("{day}T08:00:00+08:00")
    } else {
        day.to_string()
    }
}

fn json_lines(text: &str) -> impl Iterator<Item = Value> + '_ {
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("a JSON line"))
}

/// Ids are strings in the corpora; a number is taken as written.
fn id_of(row: &Value) -> String {
    match &row["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Precision, recall and F1 from one `score.py` line.
struct Prf {
    p: f64,
    r: f64,
    f1: f64,
}

/// The figures `score.py` prints (its stdout), parsed.
struct Figures {
    strict: Prf,
    full: Prf,
    value: Prf,
    relevance: Prf,
    duplicates: Prf,
    /// `None` when the gold has no region to judge.
    region_accuracy: Option<f64>,
}

impl Figures {
    /// Reads the figures, or names the first line that is missing.
    fn read(report: &str) -> Result<Figures, &'static str> {
        let prf = |key: &'static str| -> Result<Prf, &'static str> {
            let rest = figure_line(report, key).ok_or(key)?;
            let field = |label: &str| {
                rest.split_whitespace().find_map(|w| w.strip_prefix(label)).and_then(|v| v.parse::<f64>().ok()).ok_or(key)
            };
            Ok(Prf { p: field("P=")?, r: field("R=")?, f1: field("F1=")? })
        };
        let region = figure_line(report, "region_accuracy").ok_or("region_accuracy")?;
        Ok(Figures {
            strict: prf("facts_strict")?,
            full: prf("facts_full")?,
            value: prf("facts_value")?,
            relevance: prf("relevance")?,
            duplicates: prf("duplicates")?,
            region_accuracy: region.trim().parse().ok(),
        })
    }

    fn summary(&self) -> String {
        let mut s = String::new();
        for (what, x) in [
            ("facts_strict", &self.strict),
            ("facts_full", &self.full),
            ("facts_value", &self.value),
            ("relevance", &self.relevance),
            ("duplicates", &self.duplicates),
        ] {
            let _ = writeln!(s, "  {what:15} P={:.3} R={:.3} F1={:.3}", x.p, x.r, x.f1);
        }
        match self.region_accuracy {
            Some(a) => {
                let _ = write!(s, "  {:15} {a:.4}", "region_accuracy");
            }
            None => s.push_str("  region_accuracy none (no gold region)"),
        }
        s
    }
}

/// What follows `key` on the report line that begins with it.
fn figure_line<'a>(report: &'a str, key: &str) -> Option<&'a str> {
    report.lines().find_map(|l| l.strip_prefix(key).filter(|rest| rest.starts_with(char::is_whitespace)))
}
