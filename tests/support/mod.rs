//! Shared helpers for the end-to-end tests: real brokers (started by
//! scripts/services/*.sh), the real binary, generated article streams.
#![allow(dead_code)]

pub mod articles;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Message, Offset, TopicPartitionList};

/// The broker address from `var`, or `None` (with a notice) when the
/// service is not running — unless `ZHAOSHANG_REQUIRE_SERVICES=1` (CI),
/// where a missing service fails the test.
pub fn service(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var("ZHAOSHANG_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!("{test}: {var} is not set but ZHAOSHANG_REQUIRE_SERVICES=1");
            }
            eprintln!("NOTICE: {test} skipped: set {var} (see scripts/services/) to run it");
            None
        }
    }
}

/// A name no earlier run used: topics and groups are never shared between tests.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{}", std::process::id(), nanos % 1_000_000_000_000)
}

pub async fn create_topics(brokers: &str, topics: &[(&str, i32)]) {
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", brokers).create().expect("admin client");
    let new: Vec<NewTopic> = topics.iter().map(|(t, p)| NewTopic::new(t, *p, TopicReplication::Fixed(1))).collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin.create_topics(&new, &opts).await.expect("create topics");
    for r in results {
        if let Err((t, e)) = r {
            panic!("cannot create topic {t}: {e}");
        }
    }
}

pub use articles::Msg;

pub async fn produce(brokers: &str, topic: &str, msgs: &[Msg]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("message.max.bytes", "2000000")
        .create()
        .expect("producer");
    for chunk in msgs.chunks(500) {
        let sends = chunk.iter().map(|m| {
            let mut r = FutureRecord::<str, [u8]>::to(topic).payload(&m.payload);
            if let Some(k) = &m.key {
                r = r.key(k.as_str());
            }
            producer.send(r, Duration::from_secs(30))
        });
        for r in futures::future::join_all(sends).await {
            r.map_err(|(e, _)| e).expect("produce test input");
        }
    }
}

/// A record read back from an output topic.
#[derive(Clone, Debug)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: HashMap<String, String>,
}

impl Record {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload).unwrap_or(serde_json::Value::Null)
    }
}

/// Read `topic` from the beginning until `done(records)` holds and nothing
/// new arrived for `idle`, or `deadline` passes.
pub fn read_topic(brokers: &str, topic: &str, read_committed: bool, deadline: Duration, idle: Duration, done: impl Fn(&[Record]) -> bool) -> Vec<Record> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", if read_committed { "read_committed" } else { "read_uncommitted" })
        .set("message.max.bytes", "2000000")
        .create()
        .expect("reader");
    let meta = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).expect("metadata");
    let mut tpl = TopicPartitionList::new();
    for t in meta.topics() {
        for p in t.partitions() {
            tpl.add_partition_offset(topic, p.id(), Offset::Beginning).expect("partition");
        }
    }
    consumer.assign(&tpl).expect("assign");
    let started = Instant::now();
    let mut last_new = Instant::now();
    let mut out = Vec::new();
    while started.elapsed() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let headers = m
                    .headers()
                    .map(|h| h.iter().map(|h| (h.key.to_owned(), String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned())).collect())
                    .unwrap_or_default();
                out.push(Record {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    payload: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                    headers,
                });
                last_new = Instant::now();
            }
            Some(Err(e)) => eprintln!("reader: {e}"),
            None => {
                if done(&out) && last_new.elapsed() >= idle {
                    break;
                }
            }
        }
    }
    out
}

/// A running `zhaoshang run` process.
pub struct Daemon {
    pub child: Child,
    pub metrics_addr: String,
    pub log: PathBuf,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// Environment for one daemon: tansu-friendly timeouts, small grace.
pub fn base_env(brokers: &str, group: &str, input: &str, output: &str, outcomes: &str, dlq: &str) -> Vec<(String, String)> {
    [
        ("ZHAOSHANG__KAFKA__BROKERS", brokers),
        ("ZHAOSHANG__KAFKA__GROUP_ID", group),
        ("ZHAOSHANG__KAFKA__INPUT_TOPICS", input),
        ("ZHAOSHANG__KAFKA__OUTPUT_TOPIC", output),
        ("ZHAOSHANG__KAFKA__OUTCOMES_TOPIC", outcomes),
        ("ZHAOSHANG__KAFKA__DLQ_TOPIC", dlq),
        ("ZHAOSHANG__KAFKA__STARTUP_TIMEOUT_MS", "15000"),
        ("ZHAOSHANG__KAFKA__SHUTDOWN_GRACE_MS", "15000"),
        ("ZHAOSHANG__KAFKA__COMMIT_INTERVAL_MS", "500"),
        ("ZHAOSHANG__KAFKA__STATISTICS_INTERVAL_MS", "1000"),
        ("ZHAOSHANG__KAFKA__PROPERTIES__SESSION_TIMEOUT_MS", "6000"),
        ("ZHAOSHANG__KAFKA__PROPERTIES__HEARTBEAT_INTERVAL_MS", "1000"),
        ("ZHAOSHANG__KAFKA__PROPERTIES__MESSAGE_MAX_BYTES", "2000000"),
        ("ZHAOSHANG__DEDUP__BACKEND", "memory"),
        ("ZHAOSHANG__LOG__LEVEL", "info,librdkafka=warn,rdkafka=warn"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

impl Daemon {
    pub fn start(env: &[(String, String)], log: &Path) -> Daemon {
        let port = free_port();
        let metrics_addr = format!("127.0.0.1:{port}");
        let logfile = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_zhaoshang"))
            .arg("run")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("ZHAOSHANG__METRICS__ADDRESS", &metrics_addr)
            .stdin(Stdio::null())
            .stdout(logfile.try_clone().expect("log"))
            .stderr(logfile)
            .spawn()
            .expect("start zhaoshang run");
        Daemon { child, metrics_addr, log: log.to_owned() }
    }

    /// Until /readyz says ready (partitions assigned) or `timeout`.
    pub fn wait_ready(&mut self, timeout: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if http_get(&self.metrics_addr, "/readyz").is_some_and(|(code, _)| code == 200) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    pub fn metrics(&self) -> String {
        http_get(&self.metrics_addr, "/metrics").map(|(_, body)| body).unwrap_or_default()
    }

    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill").arg(format!("-{sig}")).arg(self.child.id().to_string()).status();
    }

    /// Wait for exit; kill it after `timeout`. Returns the exit code.
    pub fn wait(&mut self, timeout: Duration) -> Option<i32> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Plain HTTP/1.0 GET on loopback: status and body.
pub fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((code, body))
}

/// The value of one sample line (`name{labels} value`) in a /metrics body.
pub fn metric(body: &str, series: &str) -> Option<f64> {
    body.lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.trim().parse().ok()))
}

pub fn headers_of(pairs: &[(&str, &str)]) -> OwnedHeaders {
    pairs.iter().fold(OwnedHeaders::new(), |h, (k, v)| h.insert(Header { key: k, value: Some(v.as_bytes()) }))
}
