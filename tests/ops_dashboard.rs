//! The Grafana dashboard as Grafana will load it: unique panel ids, panels
//! inside the 24-column grid and not on top of each other, every query on
//! the `${datasource}` variable, every `$variable` a query uses defined, and
//! the provisioning files pointing at it. (Its PromQL is checked by
//! ops_prometheus_rules.rs and ops_prometheus_live.rs, its names by
//! ops_metric_names.rs.)

mod ops_support;

use std::collections::BTreeSet;

use ops_support::read;
use regex::Regex;
use serde_json::Value;

fn dashboard() -> Value {
    serde_json::from_str(&read("deploy/grafana/dashboards/zhaoshang.json")).expect("dashboard is JSON")
}

fn panels(d: &Value) -> Vec<&Value> {
    d["panels"].as_array().expect("panels").iter().collect()
}

#[test]
fn panels_have_unique_ids_and_do_not_overlap() {
    let d = dashboard();
    let mut ids = BTreeSet::new();
    let mut boxes: Vec<(String, i64, i64, i64, i64)> = Vec::new();
    for p in panels(&d) {
        let id = p["id"].as_i64().expect("panel id");
        assert!(ids.insert(id), "panel id {id} used twice");
        let g = &p["gridPos"];
        let (x, y, w, h) = (g["x"].as_i64().expect("x"), g["y"].as_i64().expect("y"), g["w"].as_i64().expect("w"), g["h"].as_i64().expect("h"));
        let title = p["title"].as_str().unwrap_or_default().to_string();
        assert!(x >= 0 && w > 0 && x + w <= 24 && h > 0 && y >= 0, "{title}: gridPos {g} leaves the 24-column grid");
        for (other, ox, oy, ow, oh) in &boxes {
            let overlap = x < ox + ow && *ox < x + w && y < oy + oh && *oy < y + h;
            assert!(!overlap, "panels {title:?} and {other:?} overlap");
        }
        boxes.push((title, x, y, w, h));
    }
    assert!(ids.len() >= 20, "only {} panels", ids.len());
}

#[test]
fn queries_use_the_datasource_variable_and_defined_variables() {
    let d = dashboard();
    let vars: BTreeSet<String> = d["templating"]["list"]
        .as_array()
        .expect("templating")
        .iter()
        .map(|v| v["name"].as_str().expect("var name").to_string())
        .collect();
    for needed in ["datasource", "job", "instance"] {
        assert!(vars.contains(needed), "no ${needed} variable");
    }
    let var_use = Regex::new(r"\$\{?([a-zA-Z_][a-zA-Z0-9_]*)").expect("regex");
    for p in panels(&d).into_iter().filter(|p| p["type"] != "row") {
        let title = p["title"].as_str().unwrap_or_default();
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{title}: panel data source");
        assert!(p["description"].as_str().is_some_and(|s| !s.is_empty()), "{title}: no description");
        let targets = p["targets"].as_array().unwrap_or_else(|| panic!("{title}: no targets"));
        assert!(!targets.is_empty(), "{title}: no queries");
        let mut refs = BTreeSet::new();
        for t in targets {
            assert!(refs.insert(t["refId"].as_str().expect("refId")), "{title}: refId reused");
            assert_eq!(t["datasource"]["uid"], "${datasource}", "{title}: query data source");
            let expr = t["expr"].as_str().unwrap_or_else(|| panic!("{title}: query without expr"));
            for c in var_use.captures_iter(expr) {
                let name = &c[1];
                assert!(name.starts_with("__") || vars.contains(name), "{title}: ${name} is not a dashboard variable");
            }
        }
    }
}

#[test]
fn provisioning_loads_this_dashboard_from_prometheus() {
    let d = dashboard();
    assert_eq!(d["uid"], "zhaoshang-overview", "a stable uid keeps links and the home dashboard working");
    let datasource = read("deploy/grafana/provisioning/datasources/prometheus.yaml");
    assert!(datasource.contains("type: prometheus") && datasource.contains("isDefault: true"));
    let ds_var = d["templating"]["list"].as_array().expect("list").iter().find(|v| v["name"] == "datasource").expect("datasource var");
    assert_eq!(ds_var["query"], "prometheus", "the datasource variable must list Prometheus sources");
    let provider = read("deploy/grafana/provisioning/dashboards/zhaoshang.yaml");
    assert!(provider.contains("type: file"));
    let compose = read("deploy/compose/compose.yaml");
    assert!(compose.contains("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: /var/lib/grafana/dashboards/zhaoshang.json"));
}
