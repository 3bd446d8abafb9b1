//! Extraction quality on the shared dev corpus, measured by the contract's
//! own scorer: the real binary writes events and outcomes, `score.py`
//! matches them against the hand-made gold and fails below strict F1 0.85.
//!
//! The corpus lives beside the repository (`../shared`, read-only, not ours
//! to copy); where it is absent the test says so and checks nothing else.

mod common;

use std::path::PathBuf;

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
    let run = common::process_and_score(&corpus, &gold, &scorer, MIN_STRICT_F1, 40);
    let articles = std::fs::read_to_string(&gold).expect("the gold file").lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(run.outcomes.lines().count(), articles, "one outcome per annotated article:\n{}", run.outcomes);
    let Some((report, passed)) = run.score else {
        panic!("score.py vanished during the run");
    };
    println!("{report}");
    assert!(passed, "strict F1 below {MIN_STRICT_F1} (or score.py failed):\n{report}");
    assert!(report.contains("facts_strict"), "score.py printed no facts_strict line:\n{report}");
}
