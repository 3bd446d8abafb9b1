//! Shared helpers of the ops tests: finding the external tools they need,
//! reading the metric table of src/metrics.rs, and pulling metric and label
//! names out of PromQL found in deploy/.
#![allow(dead_code)] // each tests/ops_*.rs uses its own subset

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// CI sets ZHAOSHANG_REQUIRE_SERVICES=1: a missing tool or service is then a
/// failure instead of a skipped test.
pub fn services_required() -> bool {
    std::env::var("ZHAOSHANG_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// The value of `var` (a path or address), or `None` after a notice when it
/// is unset and services are not required.
pub fn service_env(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            assert!(
                !services_required(),
                "{var} is not set but ZHAOSHANG_REQUIRE_SERVICES=1 ({what}; see scripts/services/)"
            );
            eprintln!("notice: {var} is not set; skipping the part of this test that needs {what}");
            None
        }
    }
}

/// One row of the table in src/metrics.rs's module docs.
#[derive(Debug, Clone)]
pub struct MetricDef {
    pub name: String,
    /// counter | gauge | histogram
    pub kind: String,
    pub labels: BTreeSet<String>,
    /// Labels whose values the table lists as a closed set.
    pub label_values: BTreeMap<String, BTreeSet<String>>,
}

/// `process_*` families of the prometheus crate's process collector (Linux),
/// which src/metrics.rs registers besides its own table.
pub const PROCESS_METRICS: &[(&str, &str)] = &[
    ("process_cpu_seconds_total", "counter"),
    ("process_open_fds", "gauge"),
    ("process_max_fds", "gauge"),
    ("process_virtual_memory_bytes", "gauge"),
    ("process_virtual_memory_max_bytes", "gauge"),
    ("process_resident_memory_bytes", "gauge"),
    ("process_start_time_seconds", "gauge"),
    ("process_threads", "gauge"),
];

/// Labels Prometheus itself attaches or that histograms carry.
pub const TARGET_LABELS: &[&str] = &["job", "instance", "le"];

pub fn metric_table() -> BTreeMap<String, MetricDef> {
    let src = read("src/metrics.rs");
    let row = Regex::new(r"^//!\s*\|\s*`([a-z_:][a-z0-9_:]*)`\s*\|([^|]*)\|([^|]*)\|").expect("regex");
    let label = Regex::new(r"`([a-z_][a-z0-9_]*)`(\s*\(([^)]*)\))?").expect("regex");
    let word = Regex::new(r"^[a-z_][a-z0-9_]*$").expect("regex");
    let mut table = BTreeMap::new();
    for line in src.lines() {
        let Some(c) = row.captures(line) else { continue };
        let kind = c[2].split_whitespace().next().unwrap_or_default().to_string();
        let mut def = MetricDef {
            name: c[1].to_string(),
            kind,
            labels: BTreeSet::new(),
            label_values: BTreeMap::new(),
        };
        for l in label.captures_iter(&c[3]) {
            def.labels.insert(l[1].to_string());
            if let Some(values) = l.get(3) {
                let values: BTreeSet<String> = values.as_str().split(',').map(|v| v.trim().to_string()).collect();
                if values.iter().all(|v| word.is_match(v)) {
                    def.label_values.insert(l[1].to_string(), values);
                }
            }
        }
        table.insert(def.name.clone(), def);
    }
    for (name, kind) in PROCESS_METRICS {
        table.insert(
            name.to_string(),
            MetricDef {
                name: name.to_string(),
                kind: kind.to_string(),
                labels: BTreeSet::new(),
                label_values: BTreeMap::new(),
            },
        );
    }
    table
}

/// The table entry a series name belongs to: histograms export
/// `_bucket`, `_sum` and `_count` series.
pub fn family_of<'a>(table: &'a BTreeMap<String, MetricDef>, series: &str) -> Option<&'a MetricDef> {
    if let Some(d) = table.get(series) {
        return (d.kind != "histogram").then_some(d);
    }
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = series.strip_suffix(suffix) {
            if let Some(d) = table.get(base).filter(|d| d.kind == "histogram") {
                return Some(d);
            }
        }
    }
    None
}

/// Every PromQL expression in the Grafana dashboard (panel targets and
/// template variable queries), with Grafana's variables replaced so that the
/// result is plain PromQL.
pub fn dashboard_exprs(json: &serde_json::Value) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("expr", serde_json::Value::String(s)) => out.push(s.clone()),
                        ("definition", serde_json::Value::String(s)) => out.push(s.clone()),
                        _ => walk(v, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(json, &mut out);
    out.iter().map(|e| grafana_to_promql(e)).collect()
}

pub fn grafana_to_promql(expr: &str) -> String {
    let label_values = Regex::new(r"^label_values\((.*),\s*[a-z_]+\)$").expect("regex");
    let e = expr
        .replace("$__rate_interval", "5m")
        .replace("$__interval", "1m")
        .replace("$job", "zhaoshang")
        .replace("$instance", ".*");
    // label_values(selector, label) is Grafana's; its selector is PromQL.
    match label_values.captures(&e) {
        Some(c) => c[1].to_string(),
        None => e,
    }
}

/// The PromQL expressions of an alert rules file, read without a YAML parser:
/// `expr:` on one line or as a `|` block.
pub fn rule_exprs(yaml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lines: Vec<&str> = yaml.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("expr:") {
            let rest = rest.trim();
            if rest == "|" || rest == "|-" || rest == ">" {
                let indent = line.len() - trimmed.len();
                let mut block = String::new();
                i += 1;
                while i < lines.len() {
                    let l = lines[i];
                    let t = l.trim_start();
                    if !t.is_empty() && l.len() - t.len() <= indent {
                        break;
                    }
                    block.push_str(t);
                    block.push('\n');
                    i += 1;
                }
                out.push(block);
                continue;
            }
            out.push(rest.to_string());
        }
        i += 1;
    }
    out
}

/// A metric reference in PromQL: the name and the label names of the
/// matchers written right after it, with the value of each `=` matcher.
#[derive(Debug)]
pub struct MetricRef {
    pub name: String,
    pub matchers: Vec<(String, String, String)>,
}

pub fn metric_refs(promql: &str) -> Vec<MetricRef> {
    let name = Regex::new(r"\b(zhaoshang_[a-z0-9_]+|process_[a-z0-9_]+|up)\b(\s*\{([^}]*)\})?").expect("regex");
    let matcher = Regex::new(r#"([a-z_][a-z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)""#).expect("regex");
    name.captures_iter(promql)
        .filter(|c| {
            // `up` only as a metric, not inside a word or a label name.
            let m = c.get(1).expect("group 1");
            let after = &promql[m.end()..];
            !(c[1] == *"up" && (after.trim_start().starts_with('=') || after.starts_with('_')))
        })
        .map(|c| MetricRef {
            name: c[1].to_string(),
            matchers: c
                .get(3)
                .map(|m| {
                    matcher
                        .captures_iter(m.as_str())
                        .map(|mc| (mc[1].to_string(), mc[2].to_string(), mc[3].to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// Label names in `by (...)`, `without (...)`, `on (...)`, `ignoring (...)`.
pub fn grouping_labels(promql: &str) -> Vec<String> {
    let grouping = Regex::new(r"\b(by|without|on|ignoring)\s*\(([^)]*)\)").expect("regex");
    grouping
        .captures_iter(promql)
        .flat_map(|c| c[2].split(',').map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect::<Vec<_>>())
        .collect()
}

/// A bounded HTTP/1.0 GET on loopback; returns status and body.
pub fn http_get(addr: SocketAddr, path_and_query: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(2)))?;
    write!(s, "GET {path_and_query} HTTP/1.0\r\nHost: {addr}\r\nAccept: */*\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw.as_str(), ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("no HTTP status in {head:?}")))?;
    Ok((status, body.to_string()))
}

/// Percent-encodes a PromQL query for a URL query string.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A free loopback port (bound, then released for the child to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// Runs a tool and returns (success, stdout+stderr).
pub fn run_tool(tool: &Path, args: &[&str], cwd: &Path) -> (bool, String) {
    let out = std::process::Command::new(tool)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

pub fn tool_path(var: &str, what: &str) -> Option<PathBuf> {
    service_env(var, what).map(PathBuf::from)
}
