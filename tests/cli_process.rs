//! `zhaoshang process` end to end through the real binary, over the bundled samples.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use zhaoshang::event::{Event, EventKind, Metric, OutcomeKind, OutcomeRecord, Script, EVENT_SCHEMA, OUTCOME_SCHEMA};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn samples() -> PathBuf {
    manifest_dir().join("samples")
}

/// The binary with a clean configuration environment, so a developer's
/// ZHAOSHANG__* variables cannot change what the tests see.
fn zhaoshang() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhaoshang"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ZHAOSHANG") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(manifest_dir());
    cmd
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = zhaoshang()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn zhaoshang");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(bytes) = stdin {
            input.write_all(bytes).expect("write stdin");
        }
    }
    child.wait_with_output().expect("wait for zhaoshang")
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn parse_events(bytes: &[u8]) -> Vec<Event> {
    let text = std::str::from_utf8(bytes).expect("events are UTF-8");
    text.lines()
        .map(|l| serde_json::from_str::<Event>(l).unwrap_or_else(|e| panic!("not an event ({e}): {l}")))
        .collect()
}

fn parse_outcomes(path: &Path) -> Vec<OutcomeRecord> {
    let text = std::fs::read_to_string(path).expect("outcomes file");
    text.lines()
        .map(|l| serde_json::from_str::<OutcomeRecord>(l).unwrap_or_else(|e| panic!("not an outcome ({e}): {l}")))
        .collect()
}

/// A run over some inputs with events on stdout and outcomes in a file.
struct Processed {
    events: Vec<Event>,
    outcomes: Vec<OutcomeRecord>,
    raw_events: Vec<u8>,
    stderr: String,
}

fn process(args: &[&str], stdin: Option<&[u8]>) -> Processed {
    let dir = tempfile::tempdir().expect("tempdir");
    let outcomes = dir.path().join("outcomes.jsonl");
    let mut all = vec!["process", "--no-state", "--outcomes", outcomes.to_str().expect("utf-8 temp path")];
    all.extend_from_slice(args);
    let out = run(&all, stdin);
    let stderr = stderr_of(&out);
    assert!(out.status.success(), "zhaoshang {all:?} failed: {stderr}");
    Processed { events: parse_events(&out.stdout), outcomes: parse_outcomes(&outcomes), raw_events: out.stdout, stderr }
}

fn sample_article_ids() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(samples())
        .expect("samples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt" || e == "html" || e == "htm"))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}

fn outcome_of<'a>(run: &'a Processed, id: &str) -> &'a OutcomeRecord {
    run.outcomes.iter().find(|o| o.article_id == id).unwrap_or_else(|| panic!("no outcome for {id}: {:?}", run.outcomes))
}

fn events_of<'a>(run: &'a Processed, id: &str) -> Vec<&'a Event> {
    run.events.iter().filter(|e| e.article.id == id).collect()
}

/// The headline figure of a sample: some event of `kind` carries this
/// amount (base units, exact) in this currency, about this region.
fn assert_amount(run: &Processed, id: &str, kind: EventKind, value: f64, currency: &str, adcode: &str) {
    let events = events_of(run, id);
    let found = events.iter().any(|e| {
        e.kind == kind
            && e.region.as_ref().is_some_and(|r| r.adcode == adcode)
            && e.measures.iter().any(|m| m.metric == Metric::Amount && m.value == value && m.currency.as_deref() == Some(currency))
    });
    let summary: Vec<String> = events
        .iter()
        .map(|e| {
            let ms: Vec<String> = e.measures.iter().map(|m| format!("{}={}{:?}", m.metric.as_str(), m.value, m.currency)).collect();
            format!("{} {:?} {}", e.kind.as_str(), e.region.as_ref().map(|r| &r.adcode), ms.join(","))
        })
        .collect();
    assert!(found, "{id}: no {} event with amount {value} {currency} in region {adcode}; got {summary:#?}", kind.as_str());
}

#[test]
fn every_sample_gets_exactly_one_outcome_and_events_follow_the_contract() {
    let run = process(&["samples/"], None);
    let ids: Vec<&str> = run.outcomes.iter().map(|o| o.article_id.as_str()).collect();
    let expected = sample_article_ids();
    assert!(expected.len() >= 6, "samples/ should hold at least 6 articles: {expected:?}");
    assert_eq!(ids, expected, "one outcome per article file, in name order, id = file name without extension");

    for o in &run.outcomes {
        assert_eq!(o.schema, OUTCOME_SCHEMA);
        let n = events_of(&run, &o.article_id).len();
        assert_eq!(o.events, n, "{}: outcome says {} events, {} were written", o.article_id, o.events, n);
        assert_eq!(o.outcome == OutcomeKind::Events, n > 0, "{}: outcome {:?} with {n} events", o.article_id, o.outcome);
    }
    for e in &run.events {
        assert_eq!(e.schema, EVENT_SCHEMA);
        assert_eq!(e.event_id.len(), 32, "event_id is 128 bits of hex: {}", e.event_id);
        assert_eq!(e.event_id, Event::compute_id(&e.article.id, e.kind, e.evidence.start, e.evidence.end));
        assert!(e.evidence.start < e.evidence.end && !e.evidence.text.is_empty(), "evidence of {}", e.event_id);
        assert!(!e.measures.is_empty(), "an event without a measure: {}", e.evidence.text);
        assert!(!e.extractor_version.is_empty());
        assert!(e.article.content_sha256.len() == 64);
    }
    let ids: std::collections::HashSet<&str> = run.events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), run.events.len(), "event ids are unique within a run");

    let summary = run.stderr.lines().last().unwrap_or_default();
    assert!(summary.contains(&format!("{} inputs", expected.len())), "summary line: {summary}");
    assert!(summary.contains(&format!("{} events", run.events.len())), "summary line: {summary}");
}

#[test]
fn hard_negatives_yield_no_events() {
    let run = process(&["samples/"], None);
    for id in ["05_stock_market_negative", "06_family_doctor_negative"] {
        assert_eq!(outcome_of(&run, id).outcome, OutcomeKind::Irrelevant, "{id}");
        assert!(events_of(&run, id).is_empty(), "{id} yielded {:#?}", events_of(&run, id));
    }
}

#[test]
fn signing_samples_yield_their_headline_amounts() {
    let run = process(&["samples/", "samples/envelopes.jsonl"], None);
    // HTML with furniture, spam and teasers.
    assert_amount(&run, "01_huoqiu_signing", EventKind::Signing, 12_650_000_000.0, "CNY", "341522");
    // GBK bytes.
    assert_amount(&run, "02_zhoukou_review_gbk", EventKind::Signing, 215_680_000_000.0, "CNY", "411600");
    // Table layout, US dollars, province level.
    assert_amount(&run, "08_sichuan_foreign_investment", EventKind::Signing, 642_000_000.0, "USD", "510000");
    // Envelope whose 我市 resolves through `source`.
    assert_amount(&run, "env-ningxiang-0618", EventKind::Signing, 9_800_000_000.0, "CNY", "430182");
}

#[test]
fn teaser_figures_are_not_the_articles_facts() {
    let run = process(&["samples/01_huoqiu_signing.html"], None);
    for e in events_of(&run, "01_huoqiu_signing") {
        for m in &e.measures {
            assert!(
                !(m.metric == Metric::ProjectCount && m.value == 136.0) && !(m.metric == Metric::Amount && m.value == 4_500_000_000.0),
                "a 相关阅读 teaser figure leaked into the events: {}",
                e.evidence.text
            );
        }
        assert!(!e.evidence.text.contains('<'), "markup in evidence: {}", e.evidence.text);
        assert!(!e.evidence.text.contains("百家乐"), "spam in evidence: {}", e.evidence.text);
    }
}

#[test]
fn thresholds_are_qualifiers_not_measures() {
    let run = process(&["samples/"], None);
    for e in &run.events {
        for m in &e.measures {
            // 亿元以上项目 / 5亿美元以上外资项目 name a class of projects, never an amount.
            let t = m.text.as_str();
            assert!(
                !(m.metric == Metric::Amount && (t == "亿元" || t == "1亿元" || t == "5亿元" || t == "5亿美元" || t == "10亿元")),
                "threshold {t} emitted as a measure in: {}",
                e.evidence.text
            );
        }
    }
}

#[test]
fn big5_traditional_with_pinyin_ruby_is_decoded_and_converted() {
    let run = process(&["samples/03_wanzhou_big5_ruby.txt"], None);
    assert_amount(&run, "03_wanzhou_big5_ruby", EventKind::Signing, 31_260_000_000.0, "CNY", "500101");
    for e in events_of(&run, "03_wanzhou_big5_ruby") {
        assert_eq!(e.article.script, Script::Traditional);
        assert!(!e.evidence.text.contains("(wàn)"), "ruby left in evidence: {}", e.evidence.text);
    }
}

#[test]
fn full_width_digits_and_garbled_runs_are_handled() {
    let run = process(&["samples/04_gansu_fullwidth_garbled.txt"], None);
    assert_amount(&run, "04_gansu_fullwidth_garbled", EventKind::Signing, 432_150_000_000.0, "CNY", "620000");
}

#[test]
fn a_repost_under_other_furniture_is_a_duplicate() {
    let run = process(&["samples/01_huoqiu_signing.html", "samples/07_huoqiu_signing_repost.html"], None);
    let repost = outcome_of(&run, "07_huoqiu_signing_repost");
    assert_eq!(repost.outcome, OutcomeKind::Duplicate, "{repost:?}");
    assert_eq!(repost.duplicate_of.as_deref(), Some("01_huoqiu_signing"));
    assert!(events_of(&run, "07_huoqiu_signing_repost").is_empty());
}

#[test]
fn json_lines_give_one_outcome_per_line_and_rejections_exit_zero() {
    let run = process(&["samples/envelopes.jsonl"], None);
    let ids: Vec<&str> = run.outcomes.iter().map(|o| o.article_id.as_str()).collect();
    assert_eq!(ids, ["env-ningxiang-0618", "env-sihong-0902", "env-empty-0903", "4"]);
    let empty = outcome_of(&run, "env-empty-0903");
    assert_eq!(empty.outcome, OutcomeKind::Rejected);
    assert!(empty.reason.as_deref().is_some_and(|r| r.contains("empty")), "{empty:?}");
    assert_eq!(outcome_of(&run, "4").outcome, OutcomeKind::Irrelevant, "a football signing is not investment promotion");
    for (n, o) in run.outcomes.iter().enumerate() {
        let want = zhaoshang::event::SourceRef::File { path: "samples/envelopes.jsonl".into(), line: Some(n as u64 + 1) };
        assert_eq!(o.source.as_ref(), Some(&want));
    }
    assert!(run.stderr.contains("rejected 1"), "summary: {}", run.stderr);
}

#[test]
fn stdin_takes_one_article_or_json_lines() {
    let html = std::fs::read(samples().join("01_huoqiu_signing.html")).expect("sample");
    let one = process(&["-"], Some(&html));
    assert_eq!(one.outcomes.len(), 1);
    assert_eq!(one.outcomes[0].article_id, "stdin");
    assert_amount(&one, "stdin", EventKind::Signing, 12_650_000_000.0, "CNY", "341522");

    let lines = std::fs::read(samples().join("envelopes.jsonl")).expect("sample");
    let many = process(&[], Some(&lines)); // no PATH means stdin
    let ids: Vec<&str> = many.outcomes.iter().map(|o| o.article_id.as_str()).collect();
    assert_eq!(ids, ["env-ningxiang-0618", "env-sihong-0902", "env-empty-0903", "4"]);
    let from_file = process(&["samples/envelopes.jsonl"], None);
    assert_eq!(many.raw_events, from_file.raw_events, "same envelopes, same events, whether from stdin or a file");
}

#[test]
fn events_are_identical_across_runs() {
    let args = ["samples/", "samples/envelopes.jsonl"];
    let a = process(&args, None);
    let b = process(&args, None);
    assert!(!a.raw_events.is_empty());
    assert_eq!(a.raw_events, b.raw_events);
    assert_eq!(a.outcomes, b.outcomes);
}

#[test]
fn events_file_receives_the_events_instead_of_stdout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = dir.path().join("events.jsonl");
    let out = run(&["process", "--no-state", "--events", events.to_str().expect("utf-8"), "samples/"], None);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty(), "stdout must stay empty with --events");
    let from_stdout = process(&["samples/"], None);
    assert_eq!(std::fs::read(&events).expect("events file"), from_stdout.raw_events);
}

#[test]
fn a_missing_path_is_a_usage_error_that_names_it_and_processes_nothing() {
    let out = run(&["process", "--no-state", "samples/", "samples/no-such-article.txt"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("samples/no-such-article.txt"), "{err}");
    assert!(err.contains("a file, a directory or `-`"), "{err}");
    assert!(out.stdout.is_empty(), "nothing is processed before all paths are checked");
}

#[test]
fn an_unwritable_output_file_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("no-such-dir").join("outcomes.jsonl");
    let out = run(&["process", "--no-state", "--outcomes", bad.to_str().expect("utf-8"), "samples/"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains(bad.to_str().expect("utf-8")) && err.contains("writable"), "{err}");
}

#[test]
fn usage_mistakes_exit_two() {
    assert_eq!(run(&["process", "--no-such-flag"], None).status.code(), Some(2));
    let twice = run(&["process", "--no-state", "-", "-"], Some(b""));
    assert_eq!(twice.status.code(), Some(2));
    assert!(stderr_of(&twice).contains("stdin"), "{}", stderr_of(&twice));
}

#[test]
fn a_closed_stdout_ends_the_run_quietly_with_success() {
    // Enough input that the output overflows the pipe buffer after the reader is gone.
    let dir = tempfile::tempdir().expect("tempdir");
    let feed = dir.path().join("feed.jsonl");
    let mut f = std::fs::File::create(&feed).expect("feed");
    for i in 0..5000 {
        writeln!(f, r#"{{"id":"n{i}","content":"第{i}号简讯：某县举办春季运动会，共有{i}名选手参加。"}}"#).expect("write feed");
    }
    drop(f);
    let mut child = zhaoshang()
        .args(["process", "--no-state", "--outcomes", "-", feed.to_str().expect("utf-8")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    reader.read_line(&mut first).expect("first line");
    assert!(first.contains(OUTCOME_SCHEMA), "{first}");
    drop(reader); // like `| head -1`
    let out = child.wait_with_output().expect("wait");
    let err = stderr_of(&out);
    assert!(out.status.success(), "exit {:?}: {err}", out.status.code());
    assert!(!err.contains("error"), "a broken pipe is not an error to report: {err}");
}
