//! The env files and manifests in deploy/ configure the real loader: every
//! ZHAOSHANG__ key they set must be read by `Config::load` into the value
//! they mean, or a user copying them gets a daemon that ignores a setting.

mod ops_support;

use std::collections::HashMap;
use std::path::PathBuf;

use ops_support::{read, repo};
use zhaoshang::config::{Config, DedupBackend, Delivery, RedisFailurePolicy, Sources};

/// `KEY=value` lines of a dotenv-style text (comments and blanks skipped).
fn env_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.trim().to_string(), v.trim().to_string())))
        .collect()
}

#[test]
fn env_example_loads_with_the_values_it_shows() {
    let path = repo().join("deploy/zhaoshang.env.example");
    let config = Config::load(&Sources { env_file: Some(path), ..Sources::default() })
        .unwrap_or_else(|e| panic!("deploy/zhaoshang.env.example does not load: {e}"));
    assert_eq!(config.delivery, Delivery::AtLeastOnce);
    assert_eq!(config.kafka.brokers, "kafka:9092");
    assert_eq!(config.kafka.input_topics, vec!["news.raw".to_string()]);
    assert_eq!(config.kafka.outcomes_topic, "");
    assert_eq!(config.dedup.backend, DedupBackend::Embedded);
    assert_eq!(config.dedup.path, PathBuf::from("/var/lib/zhaoshang"));
    assert_eq!(config.dedup.redis_failure_policy, RedisFailurePolicy::Fail);
    assert_eq!(config.metrics.address, "0.0.0.0:9464");
    assert_eq!(config.log.format, "json");
}

/// Every key the example sets is a real key: a typo would be ignored
/// silently by the layered loader, so compare with the defaults' key set.
#[test]
fn env_example_names_only_real_keys() {
    // default.toml is flat sections of `key = value`: enough to list keys.
    let mut known = Vec::new();
    let mut section = String::new();
    for line in read("config/default.toml").lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.replace('.', "__").to_uppercase();
        } else if let Some((key, _)) = line.split_once('=').filter(|_| !line.starts_with('#')) {
            let key = key.trim().to_uppercase();
            known.push(if section.is_empty() { format!("ZHAOSHANG__{key}") } else { format!("ZHAOSHANG__{section}__{key}") });
        }
    }
    let example = read("deploy/zhaoshang.env.example");
    let commented_keys = example
        .lines()
        .filter_map(|l| l.trim().strip_prefix('#'))
        .map(str::trim)
        .filter(|l| l.starts_with("ZHAOSHANG__") && !l.starts_with("ZHAOSHANG__KAFKA__PROPERTIES__"))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_string()));
    let keys: Vec<String> = env_lines(&example).into_iter().map(|(k, _)| k).chain(commented_keys).collect();
    assert!(keys.len() > 20, "too few keys in the example: {keys:?}");
    for key in &keys {
        assert!(known.contains(key), "deploy/zhaoshang.env.example sets {key}, which is not a config key");
    }
    // and the example documents every key there is
    for key in &known {
        assert!(keys.contains(key), "deploy/zhaoshang.env.example does not mention {key}");
    }
}

/// The Kubernetes ConfigMap and Secret together: the environment of a pod.
fn manifest_env() -> HashMap<String, String> {
    let mut env: HashMap<String, String> = HashMap::new();
    for file in ["deploy/kubernetes/configmap.yaml", "deploy/kubernetes/secret.example.yaml"] {
        let text = read(file);
        let data = text.split_once("\ndata:\n").or_else(|| text.split_once("\nstringData:\n"));
        let (_, data) = data.unwrap_or_else(|| panic!("{file}: no data/stringData section"));
        for line in data.lines().take_while(|l| l.starts_with("  ") || l.trim().is_empty() || l.trim_start().starts_with('#')) {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line.split_once(':').unwrap_or_else(|| panic!("{file}: {line}"));
            env.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
        }
    }
    env
}

#[test]
fn kubernetes_configmap_and_secret_load() {
    let env = manifest_env();
    assert!(env.contains_key("ZHAOSHANG__KAFKA__SASL_PASSWORD"), "the SASL password belongs in the Secret");
    let config = Config::load(&Sources { env, ..Sources::default() }).unwrap_or_else(|e| panic!("manifests do not load: {e}"));
    // More than one replica: the shared store.
    assert_eq!(config.dedup.backend, DedupBackend::Redis);
    assert_eq!(config.kafka.security_protocol, "SASL_SSL");
    assert_eq!(config.metrics.address, "0.0.0.0:9464");
}

/// The daemon's own validation (stricter than loading: every value checked)
/// accepts what deploy/ gives it, and never prints the Secret's password.
#[test]
fn binary_accepts_the_deploy_configurations() {
    let check = |env: &HashMap<String, String>, env_file: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zhaoshang"));
        if let Some(f) = env_file {
            cmd.arg("--env-file").arg(repo().join(f));
        }
        let out = cmd.args(["check-config", "--format", "json"]).env_clear().envs(env).output().expect("run check-config");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "check-config refused {env_file:?}: {}", String::from_utf8_lossy(&out.stderr));
        stdout
    };
    check(&HashMap::new(), Some("deploy/zhaoshang.env.example"));
    check(&HashMap::new(), Some("deploy/compose/zhaoshang.env"));
    let env = manifest_env();
    let secret = env["ZHAOSHANG__KAFKA__SASL_PASSWORD"].clone();
    let shown = check(&env, None);
    assert!(!shown.contains(&secret), "check-config printed the SASL password");
    assert!(shown.contains("\"sasl_username\": \"zhaoshang\""), "{shown}");
}

/// README.md tells users to put librdkafka properties in a TOML file;
/// the example there must load into `kafka.properties` unchanged.
#[test]
fn readme_kafka_properties_example_loads() {
    let readme = read("README.md");
    let (_, rest) = readme.split_once("```toml\n").expect("README has a TOML example");
    let (example, _) = rest.split_once("```").expect("closed code block");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("zhaoshang.toml");
    std::fs::write(&file, example).expect("write");
    let config = Config::load(&Sources { file: Some(file), ..Sources::default() })
        .unwrap_or_else(|e| panic!("README's [kafka.properties] example does not load: {e}"));
    assert_eq!(config.kafka.properties.get("ssl.ca.location").map(String::as_str), Some("/etc/zhaoshang/ca.pem"));
    assert_eq!(config.kafka.properties.get("fetch.max.bytes").map(String::as_str), Some("10485760"));

    // and the environment form it shows
    let line = "ZHAOSHANG__KAFKA__PROPERTIES__SSL_CA_LOCATION=/etc/zhaoshang/ca.pem";
    assert!(readme.contains(line), "README no longer shows {line}");
    let (k, v) = line.split_once('=').expect("KEY=value");
    let env = HashMap::from([(k.to_string(), v.to_string())]);
    let config = Config::load(&Sources { env, ..Sources::default() }).expect("env form loads");
    assert_eq!(config.kafka.properties.get("ssl.ca.location").map(String::as_str), Some("/etc/zhaoshang/ca.pem"));
}
