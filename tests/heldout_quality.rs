//! Extraction quality on articles the engine was never tuned on: a held-out
//! set the team wrote in its own words (`tests/fixtures/heldout/`, with its
//! gold in the contract's format), scored by the contract's own `score.py`.
//!
//! The dev corpus measures fit; this set measures generalisation. It leans
//! on what the dev corpus has little of: county articles whose title names
//! city and county, `分别为` lists, several targets in one `力争` sentence,
//! Traditional script with pinyin ruby, HTML with teasers, several places
//! with their own figures, USD/EUR and 万元 amounts, Chinese numerals,
//! `400余家`, thresholds, and hard negatives (a stock order, fixed-asset
//! statistics, graduates' and a footballer's 签约).
//!
//! The floor sits a little below the measured strict F1, so that it guards
//! against regressions rather than stating an aim. Where the scorer (kept
//! beside the repository in `../shared`) is absent, the test says so and
//! checks only that the binary accounts for every article.

use std::path::PathBuf;
use std::process::Command;

/// Measured 0.902 before the held-out fixes; see the commit history.
const MIN_STRICT_F1: &str = "0.88";

/// Articles in the held-out set: each gets one outcome record.
const ARTICLES: usize = 18;

#[test]
fn heldout_strict_f1_meets_the_floor() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let heldout = manifest.join("tests/fixtures/heldout");
    let gold = heldout.join("gold.jsonl");
    let scorer = manifest.join("../shared/tools/score.py");
    let out = tempfile::tempdir().expect("a temporary directory");
    let events = out.path().join("events.jsonl");
    let outcomes = out.path().join("outcomes.jsonl");

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhaoshang"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ZHAOSHANG") {
            cmd.env_remove(k);
        }
    }
    let run = cmd
        .current_dir(&manifest)
        .arg("process")
        .arg(&heldout)
        .arg("--no-state")
        .arg("--events")
        .arg(&events)
        .arg("--outcomes")
        .arg(&outcomes)
        .output()
        .expect("the zhaoshang binary runs");
    assert!(
        run.status.success(),
        "zhaoshang process failed ({}):\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    let outcome_lines = std::fs::read_to_string(&outcomes).expect("the outcomes file");
    assert_eq!(outcome_lines.lines().count(), ARTICLES, "one outcome per held-out article:\n{outcome_lines}");

    if !scorer.is_file() {
        println!("SKIPPED scoring: {} not found; it is needed to measure held-out quality", scorer.display());
        return;
    }
    let score = Command::new("python3")
        .arg(&scorer)
        .arg("--gold")
        .arg(&gold)
        .arg("--events")
        .arg(&events)
        .arg("--outcomes")
        .arg(&outcomes)
        .arg("--min-f1")
        .arg(MIN_STRICT_F1)
        .arg("--show-errors")
        .arg("60")
        .output()
        .expect("python3 runs score.py");
    let report = format!("{}{}", String::from_utf8_lossy(&score.stdout), String::from_utf8_lossy(&score.stderr));
    println!("{report}");
    assert!(report.contains("facts_strict"), "score.py printed no facts_strict line:\n{report}");
    assert!(report.contains("outcomes_missing 0"), "an article has no outcome record:\n{report}");
    assert!(score.status.success(), "held-out strict F1 below {MIN_STRICT_F1} (or score.py failed):\n{report}");
}
