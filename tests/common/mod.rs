//! Shared by the quality tests: the real binary over a directory of articles, its output scored by the contract's `score.py`.

use std::path::Path;
use std::process::Command;

/// What one quality run produced.
pub struct Run {
    /// The outcome records, one line per input article.
    pub outcomes: String,
    /// `score.py`'s printed report and whether it passed `--min-f1`; `None`
    /// when the scorer is not there to run.
    pub score: Option<(String, bool)>,
}

/// Runs `zhaoshang process <articles> --no-state` into a temporary directory,
/// then, when `scorer` exists, scores the events and outcomes against `gold`.
pub fn process_and_score(articles: &Path, gold: &Path, scorer: &Path, min_f1: &str, show_errors: u32) -> Run {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
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
        .current_dir(manifest)
        .arg("process")
        .arg(articles)
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
    if !scorer.is_file() {
        return Run { outcomes: outcome_lines, score: None };
    }
    let score = Command::new("python3")
        .arg(scorer)
        .arg("--gold")
        .arg(gold)
        .arg("--events")
        .arg(&events)
        .arg("--outcomes")
        .arg(&outcomes)
        .arg("--min-f1")
        .arg(min_f1)
        .arg("--show-errors")
        .arg(show_errors.to_string())
        .output()
        .expect("python3 runs score.py");
    let report = format!("{}{}", String::from_utf8_lossy(&score.stdout), String::from_utf8_lossy(&score.stderr));
    Run { outcomes: outcome_lines, score: Some((report, score.status.success())) }
}
