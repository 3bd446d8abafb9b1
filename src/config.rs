//! Layered configuration: built-in defaults (`config/default.toml`), then an
//! optional config file, then an env file, then the process environment
//! (`ZHAOSHANG__SECTION__KEY`). Later layers win.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
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
    /// Directory of the embedded store (an LSM tree in `index/` inside).
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
    /// How often acknowledged offsets are committed (and, in exactly-once
    /// mode, how long a transaction collects messages before it commits).
    pub commit_interval_ms: u64,
    /// librdkafka statistics period; the consumer lag gauges update this often.
    pub statistics_interval_ms: u64,
    /// Must be unique per replica and stable across its restarts, so a
    /// restarted replica fences its own zombie. `{hostname}` is replaced.
    pub transactional_id: String,
    /// librdkafka properties passed to both clients as they are. Keys the
    /// daemon owns for its delivery guarantees are refused (see `MANAGED_PROPERTIES`).
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
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
    #[error("{0}")]
    Problems(Problems),
}

/// One bad value: the key, what was given, and why it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub value: String,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={:?} is not valid: {}", self.key, self.value, self.reason)
    }
}

/// Every bad value found, so a user fixes them all in one round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration ({} problem{}):", self.0.len(), if self.0.len() == 1 { "" } else { "s" })?;
        for p in &self.0 {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl Problems {
    fn push(&mut self, key: &str, value: impl fmt::Display, reason: impl Into<String>) {
        self.0.push(Problem { key: key.to_owned(), value: value.to_string(), reason: reason.into() });
    }
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
        let (b, env_properties) = builder(sources)?;
        let built = b.clone().build().map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let mut problems = check_types(&built);
        // Carry on with the defaults in place of mistyped values, so the
        // checks below still run and every problem is reported in one go.
        let mut b = b;
        if !problems.0.is_empty() {
            let defaults = config::Config::builder()
                .add_source(config::File::from_str(DEFAULT_TOML, config::FileFormat::Toml))
                .build()
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
            for p in &problems.0 {
                if let Ok(v) = defaults.get::<config::Value>(&p.key) {
                    b = b.set_override(p.key.as_str(), v).map_err(|e| ConfigError::Invalid(e.to_string()))?;
                }
            }
        }
        let built = b.build().map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let mut config: Config = match built.try_deserialize() {
            Ok(c) => c,
            Err(e) => {
                problems.push("(config)", "", e.to_string());
                return Err(ConfigError::Problems(problems));
            }
        };
        config.kafka.properties.extend(env_properties);
        if let Err(ConfigError::Problems(more)) = config.validate() {
            let typed: Vec<String> = problems.0.iter().map(|p| p.key.clone()).collect();
            problems.0.extend(more.0.into_iter().filter(|m| !typed.contains(&m.key)));
        }
        if problems.0.is_empty() { Ok(config) } else { Err(ConfigError::Problems(problems)) }
    }

    /// Cross-field and range checks; reports every problem at once.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut p = Problems::default();
        let k = &self.kafka;
        if k.brokers.trim().is_empty() {
            p.push("kafka.brokers", &k.brokers, "give at least one host:port, comma-separated");
        }
        for b in k.brokers.split(',').map(str::trim).filter(|b| !b.is_empty()) {
            let b = b.rsplit_once("://").map_or(b, |(_, rest)| rest);
            match b.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0) => {}
                _ => p.push("kafka.brokers", &k.brokers, format!("`{b}` is not host:port")),
            }
        }
        if k.group_id.trim().is_empty() {
            p.push("kafka.group_id", &k.group_id, "a consumer group id is required");
        }
        if k.input_topics.is_empty() {
            p.push("kafka.input_topics", "", "name at least one topic to consume");
        }
        for t in &k.input_topics {
            if let Err(why) = check_topic(t) {
                p.push("kafka.input_topics", k.input_topics.join(","), why);
            }
        }
        for (key, topic, required) in [
            ("kafka.output_topic", &k.output_topic, true),
            ("kafka.outcomes_topic", &k.outcomes_topic, false),
            ("kafka.dlq_topic", &k.dlq_topic, true),
        ] {
            if topic.is_empty() && !required {
                continue;
            }
            if let Err(why) = check_topic(topic) {
                p.push(key, topic, why);
            } else if k.input_topics.contains(topic) {
                p.push(key, topic, "is also an input topic: the daemon would consume its own output");
            }
        }
        const PROTOCOLS: [&str; 4] = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];
        if !PROTOCOLS.contains(&k.security_protocol.to_ascii_uppercase().as_str()) {
            p.push("kafka.security_protocol", &k.security_protocol, format!("expected one of {}", PROTOCOLS.join(", ")));
        }
        const MECHANISMS: [&str; 5] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", "OAUTHBEARER"];
        let sasl = k.security_protocol.to_ascii_uppercase().starts_with("SASL");
        let mech = k.sasl_mechanism.to_ascii_uppercase();
        if !mech.is_empty() && !MECHANISMS.contains(&mech.as_str()) {
            p.push("kafka.sasl_mechanism", &k.sasl_mechanism, format!("expected one of {}", MECHANISMS.join(", ")));
        }
        if sasl && mech.is_empty() {
            p.push("kafka.sasl_mechanism", "", format!("required with security_protocol {}", k.security_protocol));
        }
        if sasl && (mech == "PLAIN" || mech.starts_with("SCRAM")) {
            if k.sasl_username.is_empty() {
                p.push("kafka.sasl_username", "", format!("required with sasl_mechanism {mech}"));
            }
            if k.sasl_password.is_empty() {
                p.push("kafka.sasl_password", "", format!("required with sasl_mechanism {mech}"));
            }
        }
        if !(1..=100_000).contains(&k.max_in_flight) {
            p.push("kafka.max_in_flight", k.max_in_flight, "must be between 1 and 100000");
        }
        if k.max_retries > 1000 {
            p.push("kafka.max_retries", k.max_retries, "must be at most 1000");
        }
        for (key, v, min, max) in [
            ("kafka.retry_backoff_ms", k.retry_backoff_ms, 1, 600_000),
            ("kafka.shutdown_grace_ms", k.shutdown_grace_ms, 1, 3_600_000),
            ("kafka.startup_timeout_ms", k.startup_timeout_ms, 100, 3_600_000),
            ("kafka.commit_interval_ms", k.commit_interval_ms, 10, 600_000),
            ("kafka.statistics_interval_ms", k.statistics_interval_ms, 0, 3_600_000),
        ] {
            if !(min..=max).contains(&v) {
                p.push(key, v, format!("must be between {min} and {max} milliseconds"));
            }
        }
        if self.delivery == Delivery::ExactlyOnce && k.transactional_id.trim().is_empty() {
            p.push("kafka.transactional_id", &k.transactional_id, "required with delivery = \"exactly_once\"");
        }
        for (name, value) in &k.properties {
            if let Some(key) = MANAGED_PROPERTIES.iter().find(|m| m.0 == name) {
                p.push(&format!("kafka.properties.{name}"), redact_property(name, value), format!("set by the daemon ({})", key.1));
            }
        }
        if self.pipeline.max_input_bytes == 0 {
            p.push("pipeline.max_input_bytes", 0, "must be greater than 0");
        }
        if self.metrics.address.parse::<std::net::SocketAddr>().is_err() {
            p.push("metrics.address", &self.metrics.address, "expected ip:port, e.g. 0.0.0.0:9464 (127.0.0.1:0 picks a free port)");
        }
        if !["text", "json"].contains(&self.log.format.as_str()) {
            p.push("log.format", &self.log.format, "expected text or json");
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            p.push("log.level", &self.log.level, format!("not a tracing filter (e.g. info, zhaoshang=debug): {e}"));
        }
        if p.0.is_empty() { Ok(()) } else { Err(ConfigError::Problems(p)) }
    }

    /// The effective configuration as a JSON tree with every secret
    /// replaced, for `check-config` and the startup log.
    pub fn redacted(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        redact_value(&mut v);
        v
    }
}

/// Env prefix of the librdkafka pass-through map.
const PROPERTIES_ENV_PREFIX: &str = "ZHAOSHANG__KAFKA__PROPERTIES__";

/// librdkafka properties the daemon sets itself because the delivery
/// guarantees depend on them; a pass-through value would silently break those.
pub const MANAGED_PROPERTIES: [(&str, &str); 8] = [
    ("bootstrap.servers", "use kafka.brokers"),
    ("group.id", "use kafka.group_id"),
    ("enable.auto.commit", "offsets are committed only after output is acknowledged"),
    ("enable.auto.offset.store", "offsets are committed only after output is acknowledged"),
    ("enable.idempotence", "always on"),
    ("transactional.id", "use kafka.transactional_id"),
    ("isolation.level", "read_committed in exactly_once mode"),
    ("sasl.password", "use kafka.sasl_password"),
];

/// Shown instead of a secret.
pub const REDACTED: &str = "<redacted>";

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "secret", "token", "sasl.oauthbearer.config", "private.key"].iter().any(|s| k.contains(s))
}

fn redact_property(name: &str, value: &str) -> String {
    if is_secret_key(name) { REDACTED.to_owned() } else { value.to_owned() }
}

/// Secret-named keys are replaced; a URL's password (`redis://:pw@host`) too.
fn redact_value(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                match child {
                    serde_json::Value::String(s) if is_secret_key(k) && !s.is_empty() => *s = REDACTED.to_owned(),
                    _ => redact_value(child),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_value),
        serde_json::Value::String(s) => {
            if let Some(redacted) = redact_url_password(s) {
                *s = redacted;
            }
        }
        _ => {}
    }
}

fn redact_url_password(s: &str) -> Option<String> {
    let (scheme, rest) = s.split_once("://")?;
    let (userinfo, host) = rest.split_once('@')?;
    let (user, _password) = userinfo.split_once(':')?;
    Some(format!("{scheme}://{user}:{REDACTED}@{host}"))
}

/// Kafka topic names: 1–249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
fn check_topic(t: &str) -> Result<(), String> {
    if t.is_empty() {
        return Err("a topic name is required".into());
    }
    if t.len() > 249 || t == "." || t == ".." {
        return Err(format!("`{t}` is not a valid topic name"));
    }
    match t.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        Some(c) => Err(format!("`{t}` contains {c:?}; topic names use only a-z A-Z 0-9 . _ -")),
        None => Ok(()),
    }
}

/// The shape each scalar key must have. Checked key by key, before serde
/// sees the whole tree, so every wrong type is reported, not just the first.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Count,
    OneOf(&'static [&'static str]),
}

const TYPED_KEYS: [(&str, Kind); 22] = [
    ("delivery", Kind::OneOf(&["at_least_once", "exactly_once"])),
    ("pipeline.max_input_bytes", Kind::Count),
    ("kafka.brokers", Kind::Text),
    ("kafka.group_id", Kind::Text),
    ("kafka.output_topic", Kind::Text),
    ("kafka.outcomes_topic", Kind::Text),
    ("kafka.dlq_topic", Kind::Text),
    ("kafka.security_protocol", Kind::Text),
    ("kafka.sasl_mechanism", Kind::Text),
    ("kafka.sasl_username", Kind::Text),
    ("kafka.sasl_password", Kind::Text),
    ("kafka.max_in_flight", Kind::Count),
    ("kafka.max_retries", Kind::Count),
    ("kafka.retry_backoff_ms", Kind::Count),
    ("kafka.shutdown_grace_ms", Kind::Count),
    ("kafka.startup_timeout_ms", Kind::Count),
    ("kafka.commit_interval_ms", Kind::Count),
    ("kafka.statistics_interval_ms", Kind::Count),
    ("kafka.transactional_id", Kind::Text),
    ("metrics.address", Kind::Text),
    ("log.format", Kind::Text),
    ("log.level", Kind::Text),
];

fn check_types(built: &config::Config) -> Problems {
    let mut p = Problems::default();
    for (key, kind) in TYPED_KEYS {
        let value = match built.get_string(key) {
            Ok(v) => v,
            Err(config::ConfigError::NotFound(_)) => {
                p.push(key, "", "missing");
                continue;
            }
            Err(e) => {
                p.push(key, "", format!("expected a single value ({e})"));
                continue;
            }
        };
        let shown = if is_secret_key(key) { REDACTED.to_owned() } else { value.clone() };
        match kind {
            Kind::Text => {}
            Kind::Count => {
                if value.trim().parse::<u64>().is_err() {
                    p.push(key, shown, "expected a whole number (units are in the key name)");
                }
            }
            Kind::OneOf(allowed) => {
                if !allowed.contains(&value.as_str()) {
                    p.push(key, shown, format!("expected one of {}", allowed.join(", ")));
                }
            }
        }
    }
    if let Err(e) = built.get::<Vec<String>>("kafka.input_topics") {
        p.push("kafka.input_topics", "", format!("expected a list of topics (comma-separated in the environment): {e}"));
    }
    p
}

type Builder = config::ConfigBuilder<config::builder::DefaultState>;

/// The layers in order; the librdkafka properties found in the environment
/// come back separately (see [`PROPERTIES_ENV_PREFIX`]).
fn builder(sources: &Sources) -> Result<(Builder, BTreeMap<String, String>), ConfigError> {
    let mut b = config::Config::builder().add_source(config::File::from_str(DEFAULT_TOML, config::FileFormat::Toml));
    if let Some(f) = &sources.file {
        b = b.add_source(config::File::from(f.as_path()));
    }
    let mut vars = HashMap::new();
    if let Some(path) = &sources.env_file {
        vars.extend(read_env_file(path)?);
    }
    vars.extend(sources.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    vars.retain(|k, _| k.starts_with(&format!("{ENV_PREFIX}__")));
    // librdkafka names are dotted; the env form spells the dots as `_`
    // (no librdkafka property has an underscore), so pull them out
    // before the config crate would read the dots as nesting.
    let mut env_properties = BTreeMap::new();
    vars.retain(|k, v| match k.strip_prefix(PROPERTIES_ENV_PREFIX) {
        Some(name) => {
            env_properties.insert(name.to_ascii_lowercase().replace('_', "."), v.clone());
            false
        }
        None => true,
    });
    b = b.add_source(
        config::Environment::with_prefix(ENV_PREFIX)
            .separator("__")
            .list_separator(",")
            .with_list_parse_key("kafka.input_topics")
            .try_parsing(true)
            .source(Some(vars)),
    );
    Ok((b, env_properties))
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

    fn env(pairs: &[(&str, &str)]) -> Sources {
        let env = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Sources { env, ..Sources::default() }
    }

    fn problems(sources: &Sources) -> Vec<Problem> {
        match Config::load(sources) {
            Err(ConfigError::Problems(p)) => p.0,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let found = problems(&env(&[
            ("ZHAOSHANG__KAFKA__BROKERS", ""),
            ("ZHAOSHANG__KAFKA__OUTPUT_TOPIC", "events out"),
            ("ZHAOSHANG__KAFKA__SECURITY_PROTOCOL", "SASL_SSL"),
            ("ZHAOSHANG__METRICS__ADDRESS", "localhost"),
        ]));
        let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            ["kafka.brokers", "kafka.output_topic", "kafka.sasl_mechanism", "metrics.address"],
            "{found:?}"
        );
        assert_eq!(found[0].to_string(), r#"kafka.brokers="" is not valid: give at least one host:port, comma-separated"#);
    }

    #[test]
    fn wrong_types_are_reported_per_key() {
        let found = problems(&env(&[
            ("ZHAOSHANG__KAFKA__MAX_IN_FLIGHT", "lots"),
            ("ZHAOSHANG__KAFKA__RETRY_BACKOFF_MS", "5s"),
            ("ZHAOSHANG__DELIVERY", "exactly-once"),
            ("ZHAOSHANG__KAFKA__GROUP_ID", ""),
        ]));
        let shown: Vec<String> = found.iter().map(Problem::to_string).collect();
        assert_eq!(shown.len(), 4, "{shown:?}");
        assert!(shown[3].starts_with(r#"kafka.group_id="" is not valid"#), "{shown:?}");
        assert!(shown[0].starts_with(r#"delivery="exactly-once" is not valid: expected one of at_least_once, exactly_once"#));
        assert!(shown[1].starts_with(r#"kafka.max_in_flight="lots" is not valid"#));
        assert!(shown[2].starts_with(r#"kafka.retry_backoff_ms="5s" is not valid"#));
    }

    #[test]
    fn properties_pass_through_from_env_with_dots() {
        let c = Config::load(&env(&[
            ("ZHAOSHANG__KAFKA__PROPERTIES__SSL_CA_LOCATION", "/etc/ca.pem"),
            ("ZHAOSHANG__KAFKA__PROPERTIES__SSL_KEY_PASSWORD", "hunter2"),
        ]))
        .unwrap();
        assert_eq!(c.kafka.properties.get("ssl.ca.location").map(String::as_str), Some("/etc/ca.pem"));
        let shown = c.redacted().to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("/etc/ca.pem"));
    }

    #[test]
    fn properties_from_a_toml_file_keep_dotted_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zs.toml");
        std::fs::write(&path, "[kafka.properties]\n\"fetch.max.bytes\" = \"1048576\"\n").unwrap();
        let c = Config::load(&Sources { file: Some(path), ..Sources::default() }).unwrap();
        assert_eq!(c.kafka.properties.get("fetch.max.bytes").map(String::as_str), Some("1048576"));
    }

    #[test]
    fn managed_properties_are_refused() {
        let found = problems(&env(&[("ZHAOSHANG__KAFKA__PROPERTIES__ENABLE_AUTO_COMMIT", "true")]));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key, "kafka.properties.enable.auto.commit");
    }

    #[test]
    fn env_file_sits_between_file_and_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zs.env");
        std::fs::write(&path, "ZHAOSHANG__KAFKA__GROUP_ID=from-file\nZHAOSHANG__KAFKA__DLQ_TOPIC=dlq.file\n").unwrap();
        let mut s = env(&[("ZHAOSHANG__KAFKA__GROUP_ID", "from-env")]);
        s.env_file = Some(path);
        let c = Config::load(&s).unwrap();
        assert_eq!(c.kafka.group_id, "from-env");
        assert_eq!(c.kafka.dlq_topic, "dlq.file");
    }

    #[test]
    fn secrets_are_redacted() {
        let c = Config::load(&env(&[
            ("ZHAOSHANG__KAFKA__SECURITY_PROTOCOL", "SASL_SSL"),
            ("ZHAOSHANG__KAFKA__SASL_MECHANISM", "SCRAM-SHA-512"),
            ("ZHAOSHANG__KAFKA__SASL_USERNAME", "zs"),
            ("ZHAOSHANG__KAFKA__SASL_PASSWORD", "s3cret-pw"),
            ("ZHAOSHANG__DEDUP__REDIS_URL", "redis://app:pw123@redis:6379/0"),
        ]))
        .unwrap();
        let shown = c.redacted().to_string();
        assert!(!shown.contains("s3cret-pw") && !shown.contains("pw123"), "{shown}");
        assert!(shown.contains("redis://app:<redacted>@redis:6379/0"));
    }
}

#[cfg(test)]
mod example_env {
    use super::*;

    /// config/example.env is the users' reference: it must load, name every
    /// key of the defaults, and give each its default value.
    #[test]
    fn example_env_lists_every_key_with_its_default() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/example.env");
        let from_file = Config::load(&Sources { env_file: Some(path.clone()), ..Sources::default() }).unwrap();
        let defaults = Config::load(&Sources::default()).unwrap();
        assert_eq!(from_file.redacted(), defaults.redacted());
        let text = std::fs::read_to_string(&path).unwrap();
        let mut missing = Vec::new();
        let tree = defaults.redacted();
        for (section, v) in tree.as_object().unwrap() {
            match v.as_object() {
                Some(keys) => {
                    for key in keys.keys().filter(|k| *k != "properties") {
                        let var = format!("ZHAOSHANG__{}__{}=", section.to_uppercase(), key.to_uppercase());
                        if !text.contains(&var) {
                            missing.push(var);
                        }
                    }
                }
                None => {
                    if !text.contains(&format!("ZHAOSHANG__{}=", section.to_uppercase())) {
                        missing.push(section.clone());
                    }
                }
            }
        }
        assert!(missing.is_empty(), "config/example.env lacks {missing:?}");
    }
}
