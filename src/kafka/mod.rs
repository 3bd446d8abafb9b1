//! `zhaoshang run`: the Kafka daemon around the pure pipeline.
//!
//! # Layout
//!
//! - [`offsets`] — per-partition high-watermark tracking (what may be committed).
//! - [`context`] — the librdkafka callbacks: rebalance, commit results, statistics (lag).
//! - [`message`] — one input: pipeline on the blocking pool, output records, produce.
//! - [`at_least_once`] — the default loop: concurrent messages, retries, DLQ, periodic commits.
//! - [`exactly_once`] — transactions: outputs and input offsets commit or abort together.
//!
//! Invariants: an input offset is committed only once every output of every
//! message at or below it is acknowledged by the broker (or, exactly-once,
//! committed in the same transaction); a message that cannot be processed is
//! an outcome plus a DLQ record, never a crash and never silently dropped.

pub mod at_least_once;
pub mod context;
pub mod exactly_once;
pub mod message;
pub mod offsets;
pub mod order;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, Producer};

use crate::config::{Config, Delivery, KafkaConfig, RedisFailurePolicy};
use crate::decode::DecodeLimits;
use crate::dedup::DedupStore;
use crate::metrics::http::Health;
use crate::metrics::Metrics;
use crate::pipeline::{Pipeline, StoreFailure};

use context::DaemonContext;
use offsets::OffsetTracker;

/// Why the daemon could not start or had to stop. Each message says what to check.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot create the Kafka {client}: {source}")]
    Client { client: &'static str, source: KafkaError },
    #[error("brokers {brokers} did not answer within kafka.startup_timeout_ms={timeout_ms}: {source}")]
    Unreachable { brokers: String, timeout_ms: u64, source: KafkaError },
    #[error("cannot subscribe to {topics}: {source}")]
    Subscribe { topics: String, source: KafkaError },
    #[error("cannot initialise transactions for kafka.transactional_id={id}: {source}")]
    InitTransactions { id: String, source: KafkaError },
    #[error("transaction failed beyond recovery: {0}")]
    Transaction(KafkaError),
    #[error("{count} consecutive transactions failed; last error: {last}")]
    TransactionsKeepFailing { count: u32, last: String },
    #[error("cannot open the dedup store (dedup.backend): {0}")]
    Dedup(String),
    #[error("cannot build the pipeline: {0}")]
    Pipeline(String),
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsError),
    #[error(transparent)]
    Bind(#[from] crate::metrics::http::BindError),
    #[error("internal task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Dedup entries must be durable before the offsets of their messages are
/// committed, or a crash right after the commit forgets stories whose
/// inputs are never read again. The embedded store groups its fsyncs, so
/// the daemon flushes it before each commit — only when something was
/// inserted since the last flush, so an idle or all-duplicate stretch costs nothing.
pub struct StoreSync {
    store: Arc<dyn DedupStore>,
    dirty: AtomicBool,
}

impl StoreSync {
    pub fn new(store: Arc<dyn DedupStore>) -> StoreSync {
        StoreSync { store, dirty: AtomicBool::new(false) }
    }

    /// A message task inserted an entry.
    pub fn inserted(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    pub fn dirty(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }

    /// Blocking: call off the async workers. Covers every insert made
    /// before the call, so take the offsets to commit first, then flush.
    pub fn flush(&self) -> Result<(), crate::dedup::DedupError> {
        if self.dirty.swap(false, Ordering::AcqRel) {
            if let Err(e) = self.store.flush() {
                self.dirty.store(true, Ordering::Release);
                return Err(e);
            }
        }
        Ok(())
    }

    /// [`Self::flush`] from async code: on the blocking pool, and without
    /// the hop when nothing was inserted since the last flush.
    pub async fn flush_async(self: &Arc<Self>) -> Result<(), String> {
        if !self.dirty() {
            return Ok(());
        }
        let me = self.clone();
        match tokio::task::spawn_blocking(move || me.flush()).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// What every message task needs, shared behind one `Arc`.
pub struct Shared {
    pub pipeline: Pipeline,
    pub store: Arc<dyn DedupStore>,
    pub store_sync: Arc<StoreSync>,
    pub dedup_order: Arc<order::DedupOrder>,
    pub store_failure: StoreFailure,
    pub producer: FutureProducer,
    pub metrics: Metrics,
    pub kafka: KafkaConfig,
    pub tracker: Arc<Mutex<OffsetTracker>>,
}

impl Shared {
    /// What `run` shares with its message tasks (and the Kafka benchmark's
    /// passthrough with its own): the rest follows from `config`.
    pub fn new(
        config: &Config,
        pipeline: Pipeline,
        store: Arc<dyn DedupStore>,
        store_sync: Arc<StoreSync>,
        producer: FutureProducer,
        metrics: Metrics,
        tracker: Arc<Mutex<OffsetTracker>>,
    ) -> Self {
        let store_failure = match config.dedup.redis_failure_policy {
            RedisFailurePolicy::Fail => StoreFailure::Fail,
            RedisFailurePolicy::Pass => StoreFailure::Pass,
        };
        Shared { pipeline, store, store_sync, dedup_order: Arc::default(), store_failure, producer, metrics, kafka: config.kafka.clone(), tracker }
    }

    /// The offset tracker; a panic elsewhere while holding it leaves the
    /// offsets as they were, still usable.
    pub fn tracker(&self) -> std::sync::MutexGuard<'_, OffsetTracker> {
        self.tracker.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The dedup store named by `dedup.backend`.
pub fn open_store(config: &Config) -> Result<Arc<dyn DedupStore>, RunError> {
    crate::dedup::open(&config.dedup).map(Arc::from).map_err(|e| RunError::Dedup(e.to_string()))
}

/// Build, start and run the daemon until `shutdown` resolves (SIGTERM in the
/// binary, anything in tests). Returns after draining and committing.
pub async fn run(config: Config, store: Arc<dyn DedupStore>, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), RunError> {
    let metrics = Metrics::new()?;
    let health = Health::new(metrics.clone());
    let (stop_http_tx, stop_http_rx) = tokio::sync::oneshot::channel::<()>();
    let (addr, http) = crate::metrics::http::serve(&config.metrics.address, health.clone(), async {
        let _ = stop_http_rx.await;
    })
    .await?;
    tracing::info!(address = %addr, "metrics listener bound: /metrics /healthz /readyz");

    let pipeline = Pipeline::new(DecodeLimits { max_input_bytes: config.pipeline.max_input_bytes })
        .map_err(|e| RunError::Pipeline(e.to_string()))?;
    let k = &config.kafka;
    let tracker = Arc::new(Mutex::new(OffsetTracker::default()));
    let store_sync = Arc::new(StoreSync::new(store.clone()));
    let context = DaemonContext::new(
        metrics.clone(), health.clone(), tracker.clone(), store_sync.clone(), config.delivery, Duration::from_millis(k.shutdown_grace_ms),
    );
    let consumer: StreamConsumer<DaemonContext> = consumer_config(&config)
        .create_with_context(context)
        .map_err(|source| RunError::Client { client: "consumer", source })?;
    let consumer = Arc::new(consumer);
    let producer: FutureProducer = producer_config(&config)
        .create()
        .map_err(|source| RunError::Client { client: "producer", source })?;

    // One clear failure when the brokers are not there, instead of retrying forever.
    let timeout = Duration::from_millis(k.startup_timeout_ms);
    {
        let consumer = consumer.clone();
        tokio::task::spawn_blocking(move || consumer.fetch_metadata(None, timeout).map(|_| ()))
            .await?
            .map_err(|source| RunError::Unreachable { brokers: config.kafka.brokers.clone(), timeout_ms: k.startup_timeout_ms, source })?;
    }
    if config.delivery == Delivery::ExactlyOnce {
        let p = producer.clone();
        tokio::task::spawn_blocking(move || p.init_transactions(timeout))
            .await?
            .map_err(|source| RunError::InitTransactions { id: transactional_id(k), source })?;
    }
    let topics: Vec<&str> = k.input_topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(|source| RunError::Subscribe { topics: k.input_topics.join(","), source })?;
    tracing::info!(
        brokers = %k.brokers, group = %k.group_id, topics = %k.input_topics.join(","),
        delivery = ?config.delivery, max_in_flight = k.max_in_flight, "consuming"
    );

    let shared = Arc::new(Shared::new(&config, pipeline, store, store_sync, producer, metrics, tracker));
    let result = match config.delivery {
        Delivery::AtLeastOnce => at_least_once::run(shared.clone(), consumer.clone(), shutdown).await,
        Delivery::ExactlyOnce => exactly_once::run(shared.clone(), consumer.clone(), shutdown).await,
    };
    health.set_ready(false);
    // Leave the group now (not when the last Arc happens to drop) so the
    // partitions move to another replica without waiting for the session timeout.
    drop(consumer);
    let _ = stop_http_tx.send(());
    let _ = http.await;
    tracing::info!("stopped");
    result
}

/// `{hostname}` in kafka.transactional_id becomes the host (pod) name.
pub fn transactional_id(k: &KafkaConfig) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned());
    k.transactional_id.replace("{hostname}", &host)
}

/// Settings both clients share: brokers, security, pass-through properties.
fn common_config(config: &Config) -> ClientConfig {
    let k = &config.kafka;
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &k.brokers).set("security.protocol", &k.security_protocol);
    if !k.sasl_mechanism.is_empty() {
        c.set("sasl.mechanism", &k.sasl_mechanism);
    }
    if !k.sasl_username.is_empty() {
        c.set("sasl.username", &k.sasl_username);
    }
    if !k.sasl_password.is_empty() {
        c.set("sasl.password", &k.sasl_password);
    }
    c.set_log_level(RDKafkaLogLevel::Warning);
    c
}

/// Producer-only and consumer-only librdkafka names, so a pass-through
/// property reaches only the client that knows it (no warnings at startup).
fn applies_to(name: &str, producer: bool) -> bool {
    const CONSUMER_ONLY: [&str; 12] = [
        "auto.offset.reset", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
        "fetch.", "partition.assignment.strategy", "group.instance.id", "group.protocol",
        "queued.", "auto.commit.interval.ms", "check.crcs", "allow.auto.create.topics",
    ];
    const PRODUCER_ONLY: [&str; 9] = [
        "acks", "request.required.acks", "linger.ms", "queue.buffering.", "batch.", "compression.",
        "message.timeout.ms", "delivery.timeout.ms", "retries",
    ];
    let is = |list: &[&str]| list.iter().any(|p| name == *p || (p.ends_with('.') && name.starts_with(p)));
    if producer { !is(&CONSUMER_ONLY) } else { !is(&PRODUCER_ONLY) }
}

pub fn consumer_config(config: &Config) -> ClientConfig {
    let k = &config.kafka;
    let mut c = common_config(config);
    c.set("group.id", &k.group_id)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("statistics.interval.ms", k.statistics_interval_ms.to_string())
        .set("isolation.level", if config.delivery == Delivery::ExactlyOnce { "read_committed" } else { "read_uncommitted" });
    for (name, value) in k.properties.iter().filter(|(n, _)| applies_to(n, false)) {
        c.set(name, value);
    }
    c
}

pub fn producer_config(config: &Config) -> ClientConfig {
    let k = &config.kafka;
    let mut c = common_config(config);
    // linger.ms 50, not librdkafka's 5: ~9 records per input go out in fewer, larger produce
    // requests; measured (scripts/bench-kafka.sh, README) less daemon and broker CPU per article
    // and a higher rate. Latency grows by at most those 50 ms. kafka.properties can override it.
    c.set("enable.idempotence", "true").set("linger.ms", "50").set("message.max.bytes", MESSAGE_MAX_BYTES.to_string());
    if config.delivery == Delivery::ExactlyOnce {
        c.set("transactional.id", transactional_id(k))
            .set("transaction.timeout.ms", (k.commit_interval_ms + k.shutdown_grace_ms + 60_000).to_string());
    }
    for (name, value) in k.properties.iter().filter(|(n, _)| applies_to(n, true)) {
        c.set(name, value);
    }
    c
}

/// The producer's record size limit (librdkafka's default); DLQ payloads
/// above it are truncated with a header saying so, or they could never be written.
pub const MESSAGE_MAX_BYTES: usize = 1_000_000;

/// The record size limit the producer enforces: `message.max.bytes` from
/// kafka.properties when set, else [`MESSAGE_MAX_BYTES`].
pub fn message_max_bytes(k: &KafkaConfig) -> usize {
    k.properties.get("message.max.bytes").and_then(|v| v.trim().parse().ok()).unwrap_or(MESSAGE_MAX_BYTES)
}

/// Wait until `fut` resolves or `grace` passes; `false` on timeout.
pub(crate) async fn within<F: Future>(grace: Duration, fut: F) -> bool {
    tokio::time::timeout(grace, fut).await.is_ok()
}

/// Run `f` on this thread although it blocks: inside the multi-threaded
/// runtime the worker's other tasks move elsewhere first, so tasks the
/// blocking code waits for can still run.
pub(crate) fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// The binary's entry: its own runtime (worker threads for I/O, a blocking
/// pool sized to the cores for the pipeline), SIGTERM/SIGINT as shutdown.
pub fn run_until_signal(config: Config) -> Result<(), RunError> {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores.clamp(2, 8))
        // The pipeline is CPU-bound: more threads than cores only adds switching.
        .max_blocking_threads(cores + 2)
        .enable_all()
        .build()
        .map_err(|e| RunError::Pipeline(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let c = config.clone();
        let store = tokio::task::spawn_blocking(move || open_store(&c)).await??;
        run(config, store, shutdown_signal()).await
    })
}

/// Resolves on the first SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = int.recv() => tracing::info!("SIGINT received"),
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
