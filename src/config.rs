//! Layered configuration: built-in defaults (`config/default.toml`), then an
//! optional config file, then an env file, then the process environment
//! (`ZHAOSHANG__SECTION__KEY`). Later layers win.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The defaults, compiled in so the binary runs with no files around it.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");
pub const ENV_PREFIX: &str = "ZHAOSHANG";
pub const ENV_FILE_VAR: &str = "ZHAOSHANG_ENV_FILE";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub delivery: Delivery,
    pub pipeline: PipelineConfig,
    pub dedup: DedupConfig,
    pub kafka: KafkaConfig,
    pub metrics: MetricsConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    AtLeastOnce,
    ExactlyOnce,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PipelineConfig {
    pub max_input_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DedupBackend {
    Embedded,
    Redis,
    Memory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedisFailurePolicy {
    /// Fail the message so it is retried (the default: never lose dedup).
    Fail,
    /// Treat the message as unique and go on (availability over dedup).
    Pass,
}

/// `[dedup]`: which store remembers fingerprints, and how long.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DedupConfig {
    pub backend: DedupBackend,
    /// Directory of the embedded store (`dedup.redb` inside).
    pub path: PathBuf,
    /// Days an entry lives after the later of publication and ingestion.
    pub window_days: u32,
    pub redis_url: String,
    /// Prefix of every Redis key, so deployments can share a server.
    pub redis_key_prefix: String,
    pub redis_failure_policy: RedisFailurePolicy,
    /// Bound on one Redis call (connect, read, write), so an outage turns
    /// into `Unavailable` instead of a stuck consumer.
    pub redis_timeout_ms: u64,
    /// Containment (0..=1) of the smaller article's shingles in the other
    /// above which two articles are the same story.
    pub near_threshold: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KafkaConfig {
    pub brokers: String,
    pub group_id: String,
    pub input_topics: Vec<String>,
    pub output_topic: String,
    pub outcomes_topic: String,
    pub dlq_topic: String,
    pub security_protocol: String,
    pub sasl_mechanism: String,
    pub sasl_username: String,
    pub sasl_password: String,
    pub max_in_flight: usize,
    pub max_retries: u32,
    pub retry_backoff_ms: u64,
    pub shutdown_grace_ms: u64,
    pub startup_timeout_ms: u64,
    pub transactional_id: String,
    #[serde(default)]
    pub properties: HashMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricsConfig {
    pub address: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogConfig {
    pub format: String,
    pub level: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read env file {path}: {message}")]
    EnvFile { path: PathBuf, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Where configuration comes from, besides the built-in defaults.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub file: Option<PathBuf>,
    pub env_file: Option<PathBuf>,
    /// The process environment (injected so tests need no `set_var`).
    pub env: HashMap<String, String>,
}

impl Sources {
    pub fn from_process(file: Option<PathBuf>, env_file: Option<PathBuf>) -> Self {
        let env: HashMap<String, String> = std::env::vars().collect();
        let env_file = env_file.or_else(|| env.get(ENV_FILE_VAR).map(PathBuf::from));
        Sources { file, env_file, env }
    }
}

impl Config {
    pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
        let mut b = config::Config::builder()
            .add_source(config::File::from_str(DEFAULT_TOML, config::FileFormat::Toml));
        if let Some(f) = &sources.file {
            b = b.add_source(config::File::from(f.as_path()));
        }
        let mut vars = HashMap::new();
        if let Some(path) = &sources.env_file {
            vars.extend(read_env_file(path)?);
        }
        vars.extend(sources.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        vars.retain(|k, _| k.starts_with(&format!("{ENV_PREFIX}__")));
        b = b.add_source(
            config::Environment::with_prefix(ENV_PREFIX)
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("kafka.input_topics")
                .try_parsing(true)
                .source(Some(vars)),
        );
        let built = b.build().map_err(|e| ConfigError::Invalid(e.to_string()))?;
        built.try_deserialize().map_err(|e| ConfigError::Invalid(e.to_string()))
    }
}

fn read_env_file(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let iter = dotenvy::from_path_iter(path)
        .map_err(|e| ConfigError::EnvFile { path: path.to_owned(), message: e.to_string() })?;
    iter.map(|item| item.map_err(|e| ConfigError::EnvFile { path: path.to_owned(), message: e.to_string() }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_without_any_file() {
        let c = Config::load(&Sources::default()).unwrap();
        assert_eq!(c.delivery, Delivery::AtLeastOnce);
        assert_eq!(c.dedup.backend, DedupBackend::Embedded);
        assert_eq!(c.kafka.input_topics, vec!["news.raw".to_string()]);
    }

    #[test]
    fn environment_overrides_defaults() {
        let env = HashMap::from([
            ("ZHAOSHANG__KAFKA__BROKERS".to_string(), "b1:9092,b2:9092".to_string()),
            ("ZHAOSHANG__KAFKA__INPUT_TOPICS".to_string(), "a,b".to_string()),
            ("ZHAOSHANG__DEDUP__PATH".to_string(), "/var/lib/zs".to_string()),
            ("ZHAOSHANG__DELIVERY".to_string(), "exactly_once".to_string()),
        ]);
        let c = Config::load(&Sources { env, ..Sources::default() }).unwrap();
        assert_eq!(c.kafka.brokers, "b1:9092,b2:9092");
        assert_eq!(c.kafka.input_topics, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(c.dedup.path, PathBuf::from("/var/lib/zs"));
        assert_eq!(c.delivery, Delivery::ExactlyOnce);
    }
}
