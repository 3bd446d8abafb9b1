//! Extraction quality on the shared dev corpus, measured by the contract's
//! own scorer: the real binary writes events and outcomes, `score.py`
//! matches them against the hand-made gold and fails below strict F1 0.85.
//!
//! The corpus lives beside the repository (`../shared`, read-only, not ours
//! to copy); where it is absent the test says so and checks nothing else.

use std::path::PathBuf;
use std::process::Command;

const MIN_STRICT_F1: &str = "0.85";

#[test]
fn dev_corpus_strict_f1_meets_the_bar() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = manifest.join("../shared");
    let corpus = shared.join("corpus/dev");
    let gold = corpus.join("gold.jsonl");
    let scorer = shared.join("tools/score.py");
    if !gold.is_file() || !scorer.is_file() {
        println!("SKIPPED: {} not found; the dev corpus is needed to measure extraction quality", shared.display());
        return;
    }
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
        .arg(&corpus)
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
        .arg("40")
        .output()
        .expect("python3 runs score.py");
    let report = format!("{}{}", String::from_utf8_lossy(&score.stdout), String::from_utf8_lossy(&score.stderr));
    println!("{report}");
    assert!(score.status.success(), "strict F1 below {MIN_STRICT_F1} (or score.py failed):\n{report}");
    assert!(report.contains("facts_strict"), "score.py printed no facts_strict line:\n{report}");
}
