//! Dashboards and alerts may only use what the daemon exports: every metric
//! name, label and closed label value in deploy/ must be in src/metrics.rs's
//! table (the live scrape in ops_prometheus_live.rs checks the table against
//! the daemon). A rename in src/ without deploy/ fails here.

mod ops_support;

use std::collections::BTreeMap;

use ops_support::{
    dashboard_exprs, family_of, grouping_labels, metric_refs, metric_table, read, rule_exprs, MetricDef, TARGET_LABELS,
};
use regex::Regex;

/// Everything in deploy/ that names metrics, as (file, PromQL) pairs.
fn deploy_promql() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("deploy/grafana/dashboards/zhaoshang.json")).expect("dashboard is JSON");
    out.extend(dashboard_exprs(&dashboard).into_iter().map(|e| ("dashboard", e)));
    out.extend(rule_exprs(&read("deploy/prometheus/alerts.yml")).into_iter().map(|e| ("alerts.yml", e)));
    out
}

fn problems_in(table: &BTreeMap<String, MetricDef>, file: &str, expr: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let refs = metric_refs(expr);
    let mut labels_in_expr: Vec<&str> = TARGET_LABELS.to_vec();
    for r in &refs {
        if r.name == "up" {
            continue;
        }
        let Some(def) = family_of(table, &r.name) else {
            problems.push(format!("{file}: `{}` is not exported (not in src/metrics.rs): {expr}", r.name));
            continue;
        };
        labels_in_expr.extend(def.labels.iter().map(String::as_str));
        for (label, op, value) in &r.matchers {
            if TARGET_LABELS.contains(&label.as_str()) {
                continue;
            }
            if !def.labels.contains(label) {
                problems.push(format!("{file}: `{}` has no label `{label}`: {expr}", r.name));
            } else if op == "=" {
                if let Some(allowed) = def.label_values.get(label) {
                    if !allowed.contains(value) {
                        problems.push(format!("{file}: `{}{{{label}=\"{value}\"}}` never exists; values: {allowed:?}", r.name));
                    }
                }
            }
        }
    }
    for label in grouping_labels(expr) {
        if !labels_in_expr.contains(&label.as_str()) {
            problems.push(format!("{file}: grouping by `{label}`, which no metric in the expression has: {expr}"));
        }
    }
    // rate()/increase() only make sense over counters (and histogram series).
    let rate = Regex::new(r"\b(rate|irate|increase)\s*\(\s*([a-z_:][a-z0-9_:]*)").expect("regex");
    for c in rate.captures_iter(expr) {
        if let Some(def) = table.get(&c[2]) {
            if def.kind == "gauge" {
                problems.push(format!("{file}: {}() over the gauge `{}`: {expr}", &c[1], &c[2]));
            }
        }
    }
    problems
}

#[test]
fn metric_table_is_readable() {
    let table = metric_table();
    let own: Vec<&MetricDef> = table.values().filter(|d| d.name.starts_with("zhaoshang_")).collect();
    assert!(own.len() >= 15, "only {} zhaoshang_ metrics parsed from src/metrics.rs", own.len());
    let outcomes = &table["zhaoshang_outcomes_total"];
    assert_eq!(outcomes.kind, "counter");
    assert!(outcomes.label_values["outcome"].contains("duplicate"));
    let lag = &table["zhaoshang_consumer_lag_messages"];
    assert_eq!(lag.kind, "gauge");
    assert!(lag.labels.contains("partition") && lag.labels.contains("topic"));
    for d in own {
        assert!(["counter", "gauge", "histogram"].contains(&d.kind.as_str()), "{}: type {:?}", d.name, d.kind);
        assert_eq!(d.kind == "counter", d.name.ends_with("_total"), "{}: counters and only counters end in _total", d.name);
    }
}

#[test]
fn dashboard_and_alerts_use_only_exported_metrics() {
    let table = metric_table();
    let promql = deploy_promql();
    let problems: Vec<String> = promql.iter().flat_map(|(file, e)| problems_in(&table, file, e)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The checker itself must catch the mistakes it exists for.
#[test]
fn checker_rejects_wrong_names_labels_and_values() {
    let table = metric_table();
    for bad in [
        "sum(rate(zhaoshang_messages_total[5m]))",
        "sum by (reason) (rate(zhaoshang_outcomes_total[5m]))",
        "zhaoshang_outcomes_total{outcome=\"dropped\"}",
        "zhaoshang_dlq_messages_total{stage=\"decode\"}",
        "rate(zhaoshang_in_flight_messages[5m])",
        "histogram_quantile(0.9, rate(zhaoshang_stage_duration_seconds_total[5m]))",
    ] {
        assert!(!problems_in(&table, "case", bad).is_empty(), "not caught: {bad}");
    }
    let good = "histogram_quantile(0.9, sum by (stage, le) (rate(zhaoshang_stage_duration_seconds_bucket{job=\"zhaoshang\"}[5m])))";
    assert_eq!(problems_in(&table, "case", good), Vec::<String>::new());
}

/// The dashboard covers what operators look at first (issue 5).
#[test]
fn dashboard_covers_the_operational_questions() {
    let all: String = deploy_promql().into_iter().filter(|(f, _)| *f == "dashboard").map(|(_, e)| e).collect();
    for needed in [
        "zhaoshang_messages_consumed_total",
        "zhaoshang_outcomes_total",
        "zhaoshang_events_emitted_total",
        "zhaoshang_dlq_messages_total",
        "zhaoshang_consumer_lag_messages",
        "zhaoshang_stage_duration_seconds_bucket",
        "zhaoshang_end_to_end_latency_seconds_bucket",
        "zhaoshang_in_flight_messages",
        "zhaoshang_dedup_store_entries",
        "zhaoshang_dedup_store_errors_total",
        "process_resident_memory_bytes",
    ] {
        assert!(all.contains(needed), "the dashboard has no panel over {needed}");
    }
}

/// README.md explains every metric the daemon documents, and names
/// no metric that does not exist.
#[test]
fn readme_explains_every_metric_and_only_real_ones() {
    let table = metric_table();
    let readme = read("README.md");
    for def in table.values().filter(|d| d.name.starts_with("zhaoshang_")) {
        assert!(readme.contains(&format!("| `{}` |", def.name)), "README.md has no row for {}", def.name);
    }
    let name = Regex::new(r"\b(zhaoshang_[a-z0-9_]+|process_[a-z0-9_]+)\b").expect("regex");
    for m in name.find_iter(&readme) {
        let known = table.contains_key(m.as_str()) || family_of(&table, m.as_str()).is_some();
        assert!(known, "README.md names {}, which is not exported", m.as_str());
    }
}
