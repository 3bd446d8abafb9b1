//! The compose stack hangs together without a Docker engine to run it: the
//! files it mounts and builds from exist, its env files load into the
//! configuration it means, the topics it creates are the ones zhaoshang
//! uses, and Prometheus and Grafana find what they are pointed at.

mod ops_support;

use std::collections::HashMap;

use ops_support::{read, repo};
use regex::Regex;
use zhaoshang::config::{Config, DedupBackend, Sources};

const COMPOSE: &str = "deploy/compose/compose.yaml";

fn compose_dir() -> std::path::PathBuf {
    repo().join("deploy/compose")
}

/// `- host:container[:ro]` bind mounts with a relative host path.
fn bind_mounts(compose: &str) -> Vec<(String, String)> {
    let mount = Regex::new(r#"(?m)^\s*-\s*"?(\.{1,2}/[^:"]+):([^:"]+)(:ro)?"?\s*$"#).expect("regex");
    mount.captures_iter(compose).map(|c| (c[1].to_string(), c[2].to_string())).collect()
}

#[test]
fn mounted_and_built_paths_exist() {
    let compose = read(COMPOSE);
    let mounts = bind_mounts(&compose);
    assert!(mounts.len() >= 3, "expected the Prometheus and Grafana mounts, found {mounts:?}");
    for (host, _) in &mounts {
        assert!(compose_dir().join(host).exists(), "{COMPOSE} mounts {host}, which does not exist");
    }
    let context = Regex::new(r"(?m)^\s*context:\s*(\S+)").expect("regex").captures(&compose).expect("build context")[1].to_string();
    let dockerfile = Regex::new(r"(?m)^\s*dockerfile:\s*(\S+)").expect("regex").captures(&compose).expect("dockerfile")[1].to_string();
    let context = compose_dir().join(context);
    assert!(context.join(&dockerfile).is_file(), "build context {} has no {dockerfile}", context.display());
    assert!(context.join("Cargo.lock").is_file(), "build context is not the repository root");

    // Grafana: the dashboard provider reads the directory the dashboards are mounted at.
    let provider = read("deploy/grafana/provisioning/dashboards/zhaoshang.yaml");
    let path = Regex::new(r"(?m)^\s*path:\s*(\S+)").expect("regex").captures(&provider).expect("provider path")[1].to_string();
    assert!(
        mounts.iter().any(|(host, target)| host.ends_with("grafana/dashboards") && *target == path),
        "no mount puts the dashboards at the provider's path {path}"
    );
    // Prometheus: the config is mounted where --config.file points.
    assert!(mounts.iter().any(|(host, target)| host.ends_with("prometheus") && target == "/etc/prometheus"));
    assert!(compose.contains("--config.file=/etc/prometheus/prometheus.yml"));
}

/// The env files in the order compose reads them (later wins), loaded by the
/// real configuration loader.
fn zhaoshang_config() -> Config {
    let compose = read(COMPOSE);
    let (_, after) = compose.split_once("env_file:\n").expect("zhaoshang has env_file");
    let files: Vec<String> = after
        .lines()
        .take_while(|l| l.trim_start().starts_with("- "))
        .map(|l| l.trim_start().trim_start_matches("- ").trim().to_string())
        .collect();
    assert!(files.len() >= 2, "env files: {files:?}");
    let mut env = HashMap::new();
    for file in &files {
        let text = std::fs::read_to_string(compose_dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (k, v) = line.split_once('=').unwrap_or_else(|| panic!("{file}: {line}"));
            env.insert(k.to_string(), v.to_string());
        }
    }
    Config::load(&Sources { env, ..Sources::default() }).unwrap_or_else(|e| panic!("compose env files do not load: {e}"))
}

#[test]
fn env_files_configure_the_stack() {
    let config = zhaoshang_config();
    let compose = read(COMPOSE);
    assert_eq!(config.kafka.brokers, "kafka:9092");
    assert!(compose.contains("PLAINTEXT://kafka:9092"), "Kafka does not advertise kafka:9092");
    assert_eq!(config.dedup.backend, DedupBackend::Redis, "two replicas need the shared store");
    assert_eq!(config.dedup.redis_url, "redis://redis:6379/");
    let replicas = Regex::new(r"replicas:\s*(\d+)").expect("regex").captures(&compose).expect("replicas")[1].parse::<u32>().expect("n");
    assert!(replicas > 1, "the stack shows scaling out");
    // KRaft: no ZooKeeper anywhere.
    assert!(compose.contains("KAFKA_PROCESS_ROLES: broker,controller"));
    assert!(!compose.contains("ZOOKEEPER_CONNECT") && !compose.contains("image: zookeeper"));
}

#[test]
fn created_topics_are_the_configured_ones() {
    let config = zhaoshang_config();
    let compose = read(COMPOSE);
    let specs = Regex::new(r"for spec in ([^;]+);").expect("regex").captures(&compose).expect("topic list")[1].to_string();
    let topics: Vec<&str> = specs.split_whitespace().filter_map(|s| s.split(':').next()).collect();
    let mut needed: Vec<String> = config.kafka.input_topics.clone();
    needed.push(config.kafka.output_topic.clone());
    needed.push(config.kafka.dlq_topic.clone());
    if !config.kafka.outcomes_topic.is_empty() {
        needed.push(config.kafka.outcomes_topic.clone());
    }
    for topic in needed {
        assert!(topics.contains(&topic.as_str()), "kafka-init does not create {topic} (creates {topics:?})");
    }
}

#[test]
fn prometheus_scrapes_the_metrics_port_of_every_replica() {
    let config = zhaoshang_config();
    let port = config.metrics.address.rsplit(':').next().expect("port");
    let prom = read("deploy/prometheus/prometheus.yml");
    assert!(prom.contains("job_name: zhaoshang"), "alerts select job=\"zhaoshang\"");
    assert!(prom.contains("dns_sd_configs") && prom.contains("names: [\"zhaoshang\"]"), "one static target would hit one replica");
    assert!(prom.contains(&format!("port: {port}")), "Prometheus does not scrape port {port}");
    let datasource = read("deploy/grafana/provisioning/datasources/prometheus.yaml");
    assert!(datasource.contains("url: http://prometheus:9090"));
}

/// `docker compose config` cannot run here; the compose-spec JSON schema
/// (vendored by check-jsonschema, `deploy/tools.sh env`) can.
#[test]
fn compose_file_matches_the_compose_spec_schema() {
    let Some(check) = ops_support::tool_path("ZHAOSHANG_TEST_CHECK_JSONSCHEMA", "check-jsonschema (deploy/tools.sh env)") else {
        return;
    };
    let (ok, out) = ops_support::run_tool(&check, &["--builtin-schema", "vendor.compose-spec", COMPOSE], repo());
    assert!(ok, "{COMPOSE} does not match the compose-spec schema:\n{out}");
    assert!(out.contains("validation done"), "{out}");
}
