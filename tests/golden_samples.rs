//! Golden tests: the whole JSON the binary emits for each bundled sample
//! (`samples/`), events and outcome record, kept as insta snapshots in
//! `tests/snapshots/`. Any change of output — a region, a kind, an id, a
//! field — shows in review as a snapshot diff; accept an intended one with
//! `INSTA_UPDATE=always cargo test --test golden_samples` (or `cargo insta review`).

use std::path::Path;
use std::process::Command;

/// Runs `zhaoshang process FILE --no-state` with outcomes interleaved on stdout.
fn emitted(sample: &Path) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhaoshang"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ZHAOSHANG") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("process")
        .arg(sample)
        .args(["--no-state", "--outcomes", "-"])
        .output()
        .expect("the zhaoshang binary runs");
    assert!(out.status.success(), "zhaoshang process {} failed: {}", sample.display(), String::from_utf8_lossy(&out.stderr));
    // One JSON object per line, pretty-printed so that a diff names the field.
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("each line is JSON");
            serde_json::to_string_pretty(&v).expect("serialisable")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_sample_emits_its_golden_json() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut samples: Vec<_> = std::fs::read_dir(&dir)
        .expect("samples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("txt" | "html" | "htm" | "jsonl")))
        .collect();
    samples.sort();
    assert!(samples.len() >= 8, "the bundled samples are missing: {samples:?}");
    for sample in samples {
        let name = sample.file_stem().and_then(|s| s.to_str()).expect("a file name").to_owned();
        let path = sample.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(&sample).to_path_buf();
        insta::assert_snapshot!(name, emitted(&path));
    }
}
