//! `zhaoshang process` with the embedded store, through the real binary:
//! state survives between runs, so a second run over the same inputs
//! reports every input as a duplicate of its first-run self.

use std::path::Path;
use std::process::Command;

fn process(inputs: &Path, state: &Path, outcomes: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_zhaoshang"))
        .arg("process")
        .arg("--state")
        .arg(state)
        .arg("--events")
        .arg(outcomes.with_extension("events"))
        .arg("--outcomes")
        .arg(outcomes)
        .arg(inputs)
        .output()
        .expect("run zhaoshang");
    assert!(out.status.success(), "zhaoshang failed: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(outcomes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn second_run_over_the_same_inputs_is_all_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dedup");
    let state = tmp.path().join("state");
    let first = process(&inputs, &state, &tmp.path().join("first.jsonl"));
    assert!(first.len() >= 11);
    assert!(first.iter().all(|o| o["outcome"] != "duplicate"), "fixtures are distinct stories: {first:?}");

    let second = process(&inputs, &state, &tmp.path().join("second.jsonl"));
    assert_eq!(second.len(), first.len());
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(b["outcome"], "duplicate", "{b}");
        assert_eq!(b["duplicate_of"], a["article_id"], "duplicate of its first-run self");
        assert_eq!(b["similarity"], 1.0);
    }
}

#[test]
fn a_reprint_in_a_later_run_is_caught_from_the_stored_state() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dedup");
    let original = fixtures.join("base_03.txt");
    process(&original, &state, &tmp.path().join("a.jsonl"));

    let text = std::fs::read_to_string(&original).unwrap();
    let cut: String = text.chars().take(text.chars().count() / 3).collect();
    let repost = tmp.path().join("repost.txt");
    std::fs::write(&repost, format!("当前位置：首页 > 招商动态\n{cut}")).unwrap();
    let out = process(&repost, &state, &tmp.path().join("b.jsonl"));
    assert_eq!(out[0]["outcome"], "duplicate", "{}", out[0]);
    assert_eq!(out[0]["duplicate_of"], "base_03");
}
