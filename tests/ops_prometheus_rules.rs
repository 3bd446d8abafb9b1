//! The alert rules, the Prometheus configs and the dashboard's PromQL, checked
//! by the real promtool (Debian's `prometheus` package, installed by
//! `scripts/services/prometheus.sh install`; path in ZHAOSHANG_TEST_PROMTOOL).

mod ops_support;

use ops_support::{dashboard_exprs, read, repo, run_tool, tool_path};
use regex::Regex;

fn promtool() -> Option<std::path::PathBuf> {
    tool_path("ZHAOSHANG_TEST_PROMTOOL", "promtool")
}

#[test]
fn alert_rules_pass_promtool_check() {
    let Some(promtool) = promtool() else { return };
    let (ok, out) = run_tool(&promtool, &["check", "rules", "deploy/prometheus/alerts.yml"], repo());
    assert!(ok, "promtool check rules failed:\n{out}");
    assert!(out.contains("SUCCESS"), "{out}");
}

#[test]
fn alert_rules_pass_their_unit_tests() {
    let Some(promtool) = promtool() else { return };
    let (ok, out) = run_tool(&promtool, &["test", "rules", "deploy/prometheus/alerts_test.yml"], repo());
    assert!(ok, "promtool test rules failed:\n{out}");
    assert!(out.contains("SUCCESS"), "{out}");
}

#[test]
fn prometheus_configs_pass_promtool_check() {
    let Some(promtool) = promtool() else { return };
    let (ok, out) = run_tool(&promtool, &["check", "config", "deploy/prometheus/prometheus.yml"], repo());
    assert!(ok, "promtool check config deploy/prometheus/prometheus.yml failed:\n{out}");

    // Debian builds Prometheus without Kubernetes discovery, so its promtool
    // rejects `kubernetes_sd_configs`. Where that is the case, the discovery
    // block is swapped for a static target and everything else (relabelling
    // regexes, rule files) is still checked.
    let k8s = read("deploy/prometheus/kubernetes-scrape.yml");
    let (ok, out) = run_tool(&promtool, &["check", "config", "deploy/prometheus/kubernetes-scrape.yml"], repo());
    if !ok {
        assert!(out.contains("field kubernetes_sd_configs not found"), "kubernetes-scrape.yml:\n{out}");
        let sd = "kubernetes_sd_configs:\n      - role: pod\n";
        assert!(k8s.contains(sd), "kubernetes-scrape.yml: discovery block not in the expected form");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::copy(repo().join("deploy/prometheus/alerts.yml"), dir.path().join("alerts.yml")).expect("copy rules");
        let file = dir.path().join("kubernetes-scrape.yml");
        std::fs::write(&file, k8s.replace(sd, "static_configs:\n      - targets: [\"127.0.0.1:9464\"]\n")).expect("write");
        let (ok, out) = run_tool(&promtool, &["check", "config", file.to_str().expect("utf-8 path")], repo());
        assert!(ok, "kubernetes-scrape.yml (with static discovery) failed:\n{out}");
    }
}

/// Grafana only shows a broken query as an empty panel; here every dashboard
/// expression goes through Prometheus' own parser as a recording rule.
#[test]
fn dashboard_queries_are_valid_promql() {
    let Some(promtool) = promtool() else { return };
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("deploy/grafana/dashboards/zhaoshang.json")).expect("dashboard is JSON");
    let exprs = dashboard_exprs(&dashboard);
    assert!(exprs.len() >= 20, "only {} queries found in the dashboard", exprs.len());
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, e) in exprs.iter().enumerate() {
        let quoted = serde_json::to_string(e.trim()).expect("string"); // JSON strings are YAML strings
        rules.push_str(&format!("      - record: dashboard:query_{i}\n        expr: {quoted}\n"));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("dashboard_rules.yml");
    std::fs::write(&file, rules).expect("write rules");
    let (ok, out) = run_tool(&promtool, &["check", "rules", file.to_str().expect("utf-8 path")], repo());
    assert!(ok, "a dashboard query is not valid PromQL:\n{out}");
}

/// Every alert carries what the on-call needs and is covered by a unit test
/// and a runbook entry in README.md. Needs no tool.
#[test]
fn every_alert_has_severity_annotations_test_and_runbook() {
    let rules = read("deploy/prometheus/alerts.yml");
    let tests = read("deploy/prometheus/alerts_test.yml");
    let readme = read("README.md");
    let alert = Regex::new(r"(?m)^\s*- alert: (\w+)\s*$").expect("regex");
    let starts: Vec<(usize, String)> = alert.captures_iter(&rules).map(|c| (c.get(0).expect("match").start(), c[1].to_string())).collect();
    assert!(starts.len() >= 6, "expected at least the six alerts of issue 5, found {}", starts.len());
    for required in [
        "ZhaoshangConsumerLagGrowing",
        "ZhaoshangDlqRateHigh",
        "ZhaoshangNoEvents",
        "ZhaoshangCommitFailures",
        "ZhaoshangDedupStoreErrors",
        "ZhaoshangDown",
    ] {
        assert!(starts.iter().any(|(_, n)| n == required), "alert {required} is missing");
    }
    let severity = Regex::new(r"\n\s+severity: (critical|warning)\n").expect("regex");
    for (i, (start, name)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(rules.len(), |(s, _)| *s);
        let block = &rules[*start..end];
        assert!(severity.is_match(block), "{name}: no severity label critical|warning");
        for annotation in ["summary:", "description:", "runbook:"] {
            assert!(block.contains(annotation), "{name}: no {annotation} annotation");
        }
        let tested = Regex::new(&format!(r"alertname: {name}\s*\n\s*exp_alerts:\s*\n\s*- exp_labels")).expect("regex");
        assert!(tested.is_match(&tests), "{name}: alerts_test.yml has no case where it fires");
        assert!(readme.contains(&format!("`{name}`")), "{name}: no runbook entry in README.md");
    }
}
