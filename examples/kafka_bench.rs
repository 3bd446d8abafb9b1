//! Helper for scripts/bench-kafka.sh (a benchmark tool, not part of the product).
//!
//!   kafka_bench fill BROKERS TOPIC COUNT PARTITIONS   create TOPIC, write COUNT generated articles
//!   kafka_bench raw BROKERS TOPIC COUNT [BROKER_PID]  the baseline: a plain consumer that reads and discards
//!   kafka_bench jsonl - FILE COUNT                    the same stream's well-formed inputs as JSON lines,
//!                                                     for `zhaoshang process` (the pipeline's CPU without Kafka)
//!   kafka_bench measure BROKERS TOPIC COUNT           what the daemon writes for TOPIC: records and bytes
//!                                                     per article, per output topic
//!   kafka_bench passthrough BROKERS TOPIC COUNT [BROKER_PID]      consume TOPIC and produce exactly those
//!   kafka_bench passthrough-eos BROKERS TOPIC COUNT [BROKER_PID]  records, with no pipeline in between
//!
//! `raw` prints `raw_msgs_per_s=<rate>` measured from the first message to the COUNT-th, and
//! `raw_cpu_ms_per_msg=<ms>`: this process's CPU (utime+stime) over the same interval per message
//! (and the broker's, `raw_broker_cpu_ms_per_msg`, when BROKER_PID is given).
//!
//! `measure` and the passthroughs first read TOPIC once and run each input through the daemon's own
//! code — `kafka::message::process` (the pipeline, memory dedup store) and `kafka::message::records`
//! (events keyed by `region.adcode` or article id, one outcome record, DLQ records for rejected inputs,
//! headers naming the source topic/partition/offset) — so the records are byte for byte what
//! `zhaoshang run` writes for that input, except where copies of one story sit on different
//! partitions: which copy is kept then depends on timing in the daemon (it orders dedup per partition
//! only) and on the interleaving of partitions in this read. That pass is not timed. A passthrough then consumes TOPIC in a new group with the daemon's consumer and producer
//! settings (`kafka::consumer_config`/`producer_config`, so `ZHAOSHANG__KAFKA__PROPERTIES__*` apply)
//! and, per input, produces its records with the daemon's `message::produce`:
//!   passthrough      at-least-once: idempotent producer, up to `kafka.max_in_flight` inputs in flight,
//!                    an input's offset committed (every `kafka.commit_interval_ms`) only once all its
//!                    records are acknowledged — the daemon's at-least-once loop without the pipeline;
//!   passthrough-eos  exactly-once: a transaction per `kafka.commit_interval_ms` or `kafka.max_in_flight`
//!                    inputs, offsets added with send_offsets_to_transaction, then commit — the daemon's
//!                    exactly-once loop without the pipeline (the last batch commits as soon as the
//!                    COUNT-th input is produced instead of waiting for the interval).
//! They print what `measure` prints, then `<mode>_msgs_per_s` from the first consumed input to the
//! last one acknowledged (committed, for eos), and this process's and the broker's (BROKER_PID, when
//! given) CPU per input.

#[path = "../tests/support/articles.rs"]
mod articles;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::Message;
use zhaoshang::config::{Config, DedupBackend, Delivery, Sources};
use zhaoshang::kafka::message::{self, Input, OutRecord};
use zhaoshang::kafka::offsets::partition_list;
use zhaoshang::kafka::{self, Shared, StoreSync};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().ok_or_else(|| anyhow::anyhow!("usage: kafka_bench fill|raw|measure|passthrough|passthrough-eos BROKERS TOPIC COUNT [PARTITIONS|BROKER_PID]"));
    let (cmd, brokers, topic, count) = (arg(0)?, arg(1)?, arg(2)?, arg(3)?.parse::<usize>()?);
    match cmd.as_str() {
        "fill" => fill(&brokers, &topic, count, arg(4)?.parse()?),
        "raw" => raw(&brokers, &topic, count, args.get(4)),
        "jsonl" => jsonl(&topic, count),
        "measure" => measure(&brokers, &topic, count),
        "passthrough" => passthrough(&brokers, &topic, count, Delivery::AtLeastOnce, args.get(4)),
        "passthrough-eos" => passthrough(&brokers, &topic, count, Delivery::ExactlyOnce, args.get(4)),
        other => anyhow::bail!("unknown command {other}"),
    }
}

fn fill(brokers: &str, topic: &str, count: usize, partitions: i32) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new().set("bootstrap.servers", brokers).create()?;
        let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        admin.create_topics(&[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))], &opts).await?;
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("enable.idempotence", "true")
            .set("linger.ms", "20")
            .create()?;
        let started = Instant::now();
        // Reposts (one in 17) and a poison message every 500th, as in a real feed.
        let stream = articles::stream(count, 200, 500, 500_000);
        for chunk in stream.chunks(2000) {
            let sends = chunk.iter().map(|(m, _)| {
                let mut r = FutureRecord::<str, [u8]>::to(topic).payload(&m.payload);
                if let Some(k) = &m.key {
                    r = r.key(k.as_str());
                }
                producer.send(r, Duration::from_secs(60))
            });
            for r in futures::future::join_all(sends).await {
                r.map_err(|(e, _)| e)?;
            }
        }
        let bytes: usize = stream.iter().map(|(m, _)| m.payload.len()).sum();
        let mut sizes: Vec<usize> = stream.iter().map(|(m, _)| m.payload.len()).collect();
        sizes.sort_unstable();
        println!(
            "filled {topic} with {count} messages ({} MB; payload mean {} B, median {} B) in {:.1} s",
            bytes / 1_000_000,
            bytes / count.max(1),
            sizes.get(sizes.len() / 2).copied().unwrap_or(0),
            started.elapsed().as_secs_f64()
        );
        Ok(())
    })
}

/// Same generator and parameters as `fill`; poison is left out (it is not
/// one JSON line) and so are the oversize inputs.
fn jsonl(path: &str, count: usize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut n = 0usize;
    for (m, poison) in articles::stream(count, 200, 500, 500_000) {
        if poison.is_none() {
            out.write_all(&m.payload)?;
            out.write_all(b"\n")?;
            n += 1;
        }
    }
    out.flush()?;
    println!("wrote {n} inputs to {path}");
    Ok(())
}

/// A consumer reading `topic` from the start in a group of its own.
fn reader(brokers: &str, topic: &str, name: &str) -> anyhow::Result<BaseConsumer> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("bench-{name}-{}", std::process::id()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "1000")
        .create()?;
    consumer.subscribe(&[topic])?;
    Ok(consumer)
}

/// Read `count` messages of `topic` (within 10 minutes), calling `each` on every one. Returns the
/// consumer too: closing it takes time that is not the reading's.
fn read_all(brokers: &str, topic: &str, count: usize, name: &str, mut each: impl FnMut(&rdkafka::message::BorrowedMessage<'_>) -> anyhow::Result<()>) -> anyhow::Result<(usize, BaseConsumer)> {
    let consumer = reader(brokers, topic, name)?;
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut n = 0usize;
    while n < count && Instant::now() < deadline {
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            each(&m?)?;
            n += 1;
        }
    }
    Ok((n, consumer))
}

fn raw(brokers: &str, topic: &str, count: usize, broker_pid: Option<&String>) -> anyhow::Result<()> {
    let mut clock: Option<Clock> = None;
    let mut bytes = 0usize;
    let (n, consumer) = read_all(brokers, topic, count, "raw", |m| {
        clock.get_or_insert_with(|| Clock::start(broker_pid));
        bytes += m.payload().map_or(0, <[u8]>::len);
        Ok(())
    })?;
    let clock = clock.unwrap_or_else(|| Clock::start(None));
    let (line, secs) = (clock.report("raw", n), clock.wall.elapsed().as_secs_f64());
    drop(consumer);
    println!("{line} raw_mb_per_s={:.1}", bytes as f64 / secs / 1e6);
    Ok(())
}

/// Wall time and CPU (this process's, and the broker's when its pid is known) since the first message.
struct Clock {
    wall: Instant,
    cpu: f64,
    broker: Option<(String, f64)>,
}

impl Clock {
    fn start(broker_pid: Option<&String>) -> Clock {
        let broker = broker_pid.filter(|p| p.as_str() != "0").map(|p| (p.clone(), cpu_seconds(p)));
        Clock { wall: Instant::now(), cpu: cpu_seconds("self"), broker }
    }

    /// `<name>_msgs=… <name>_seconds=… <name>_msgs_per_s=… <name>_cpu_ms_per_msg=…`, and the broker's CPU.
    fn report(&self, name: &str, n: usize) -> String {
        let secs = self.wall.elapsed().as_secs_f64();
        let per = |cpu: f64| 1000.0 * cpu / n.max(1) as f64;
        let mut line = format!(
            "{name}_msgs={n} {name}_seconds={secs:.3} {name}_msgs_per_s={:.0} {name}_cpu_ms_per_msg={:.4}",
            n as f64 / secs,
            per(cpu_seconds("self") - self.cpu)
        );
        if let Some((pid, cpu0)) = &self.broker {
            line += &format!(" {name}_broker_cpu_ms_per_msg={:.4}", per(cpu_seconds(pid) - cpu0));
        }
        line
    }
}

/// The daemon's configuration (defaults, then `ZHAOSHANG__*` from the environment) pointed at
/// `topic`, with output topics and a group of its own, and the memory dedup store.
fn daemon_config(brokers: &str, topic: &str, delivery: Delivery) -> anyhow::Result<Config> {
    let mut c = Config::load(&Sources::from_process(None, None)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() % 1_000_000_000);
    let run = format!("{topic}-pass-{}-{nanos}", std::process::id());
    let k = &mut c.kafka;
    k.brokers = brokers.to_owned();
    k.group_id = run.clone();
    k.input_topics = vec![topic.to_owned()];
    k.output_topic = format!("{run}-events");
    k.outcomes_topic = format!("{run}-outcomes");
    k.dlq_topic = format!("{run}-dlq");
    k.transactional_id = run;
    for (name, value) in [("session.timeout.ms", "6000"), ("heartbeat.interval.ms", "1000")] {
        k.properties.entry(name.to_owned()).or_insert_with(|| value.to_owned());
    }
    c.delivery = delivery;
    c.dedup.backend = DedupBackend::Memory;
    Ok(c)
}

/// What the daemon's message tasks share, built as `kafka::run` builds it.
fn shared(config: &Config) -> anyhow::Result<Arc<Shared>> {
    let store = kafka::open_store(config)?;
    let pipeline = zhaoshang::pipeline::Pipeline::new(zhaoshang::decode::DecodeLimits { max_input_bytes: config.pipeline.max_input_bytes })?;
    let store_sync = Arc::new(StoreSync::new(store.clone()));
    let producer = kafka::producer_config(config).create()?;
    Ok(Arc::new(Shared::new(config, pipeline, store, store_sync, producer, zhaoshang::metrics::Metrics::new()?, Arc::default())))
}

/// Per input (partition, offset): the records the daemon writes for it (see the module comment).
type Plan = HashMap<(i32, i64), Vec<OutRecord>>;

fn plan(rt: &tokio::runtime::Runtime, shared: &Arc<Shared>, brokers: &str, topic: &str, count: usize) -> anyhow::Result<Plan> {
    let mut plan = Plan::with_capacity(count);
    let (n, _) = read_all(brokers, topic, count, "plan", |m| {
        let input = Arc::new(Input::from_message(m));
        let processed = rt.block_on(message::process(shared, &input, None))??;
        plan.insert((input.partition, input.offset), message::records(shared, &input, &processed)?);
        Ok(())
    })?;
    anyhow::ensure!(n == count, "read only {n} of {count} inputs from {topic}");
    Ok(plan)
}

/// Records and bytes (payload; and payload + key + headers) per input, per output topic.
fn measure(brokers: &str, topic: &str, count: usize) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let config = daemon_config(brokers, topic, Delivery::AtLeastOnce)?;
    let plan = plan(&rt, &shared(&config)?, brokers, topic, count)?;
    summarize(&config, &plan, count);
    Ok(())
}

fn summarize(config: &Config, plan: &Plan, count: usize) {
    let k = &config.kafka;
    let mut by_topic: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for r in plan.values().flatten() {
        let e = by_topic.entry(r.topic.as_str()).or_default();
        e.0 += 1;
        e.1 += r.payload.len();
        e.2 += r.payload.len() + r.key.len() + r.headers.iter().map(|(h, v)| h.len() + v.len()).sum::<usize>();
    }
    let per = |x: usize| x as f64 / count as f64;
    let (mut records, mut bytes) = (0, 0);
    for (name, t) in [("events", &k.output_topic), ("outcomes", &k.outcomes_topic), ("dlq", &k.dlq_topic)] {
        let (n, payload, total) = by_topic.get(t.as_str()).copied().unwrap_or_default();
        println!("measure {name}: {:.3} records/article, {:.0} B payload/article, {:.0} B with keys and headers/article", per(n), per(payload), per(total));
        records += n;
        bytes += total;
    }
    println!("measure_inputs={count} measure_records_per_msg={:.3} measure_bytes_per_msg={:.0}", per(records), per(bytes));
}

/// Consume `topic` again and produce the planned records per input, with no pipeline in between.
fn passthrough(brokers: &str, topic: &str, count: usize, delivery: Delivery, broker_pid: Option<&String>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let config = daemon_config(brokers, topic, delivery)?;
    let shared = shared(&config)?;
    let plan = plan(&rt, &shared, brokers, topic, count)?;
    summarize(&config, &plan, count);
    let records: usize = plan.values().map(Vec::len).sum();
    let consumer: StreamConsumer = {
        let _in_runtime = rt.enter();
        kafka::consumer_config(&config).create()?
    };
    consumer.subscribe(&[topic])?;
    let name = if delivery == Delivery::AtLeastOnce { "passthrough" } else { "passthrough_eos" };
    let k = &config.kafka;
    eprintln!("{name}: group {}, writing to {}, {} and {}", k.group_id, k.output_topic, k.outcomes_topic, k.dlq_topic);
    let line = rt.block_on(async {
        if delivery == Delivery::ExactlyOnce {
            let p = shared.producer.clone();
            tokio::task::spawn_blocking(move || p.init_transactions(Duration::from_secs(30))).await??;
            at_once(&shared, &consumer, plan, count, broker_pid).await.map(|c| c.report(name, count))
        } else {
            at_least_once(&shared, &consumer, plan, count, broker_pid, name).await
        }
    })?;
    println!("{line} {name}_records_per_msg={:.3}", records as f64 / count as f64);
    Ok(())
}

/// The planned records of one consumed input; its coordinates must be in the plan.
fn take(plan: &Mutex<Plan>, m: &rdkafka::message::BorrowedMessage<'_>) -> anyhow::Result<Vec<OutRecord>> {
    let mut plan = plan.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    plan.remove(&(m.partition(), m.offset())).ok_or_else(|| anyhow::anyhow!("no plan for partition {} offset {}", m.partition(), m.offset()))
}

/// Produce until every record is acknowledged (a benchmark retries; it does not dead-letter).
async fn produce_all(shared: &Shared, mut records: Vec<OutRecord>) {
    while let Err(e) = message::produce(shared, &mut records).await {
        eprintln!("produce failed ({e}); retrying {} records", records.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The at-least-once loop without the pipeline: bounded in-flight inputs, offsets committed
/// periodically up to the high watermark of inputs whose records are all acknowledged.
/// Returns the report of the interval up to the last acknowledgement (before the final commit).
async fn at_least_once(shared: &Arc<Shared>, consumer: &StreamConsumer, plan: Plan, count: usize, broker_pid: Option<&String>, name: &str) -> anyhow::Result<String> {
    let k = &shared.kafka;
    let plan = Mutex::new(plan);
    let permits = Arc::new(tokio::sync::Semaphore::new(k.max_in_flight));
    let acked = Arc::new(AtomicUsize::new(0));
    let all_acked = Arc::new(tokio::sync::Notify::new());
    let mut commit_tick = tokio::time::interval(Duration::from_millis(k.commit_interval_ms));
    let mut clock = None;
    let commit = |mode| {
        let offsets = shared.tracker().take_committable();
        if !offsets.is_empty() {
            partition_list(offsets.iter().map(|(tp, o)| (tp, o))).and_then(|tpl| consumer.commit(&tpl, mode)).map_err(|e| anyhow::anyhow!("commit: {e}"))?;
        }
        anyhow::Ok(())
    };
    loop {
        let next = async { (permits.clone().acquire_owned().await, consumer.recv().await) };
        tokio::select! {
            biased;
            () = all_acked.notified() => break,
            _ = commit_tick.tick() => commit(CommitMode::Async)?,
            (permit, m) = next => {
                let m = m?;
                clock.get_or_insert_with(|| Clock::start(broker_pid));
                let (topic, partition, offset) = (m.topic().to_owned(), m.partition(), m.offset());
                let records = take(&plan, &m)?;
                drop(m);
                shared.tracker().track(&topic, partition, offset);
                let (shared, acked, all_acked, permit) = (shared.clone(), acked.clone(), all_acked.clone(), permit?);
                tokio::spawn(async move {
                    produce_all(&shared, records).await;
                    shared.tracker().done(&topic, partition, offset);
                    if acked.fetch_add(1, Ordering::AcqRel) + 1 == count {
                        all_acked.notify_one();
                    }
                    drop(permit);
                });
            }
        }
    }
    let line = clock.ok_or_else(|| anyhow::anyhow!("nothing consumed"))?.report(name, count);
    commit(CommitMode::Sync)?;
    Ok(line)
}

/// The exactly-once loop without the pipeline: one transaction per `commit_interval_ms` or
/// `max_in_flight` inputs, their records produced inside it, then the offsets, then commit.
async fn at_once(shared: &Arc<Shared>, consumer: &StreamConsumer, plan: Plan, count: usize, broker_pid: Option<&String>) -> anyhow::Result<Clock> {
    let k = &shared.kafka;
    let plan = Mutex::new(plan);
    let mut clock = None;
    let mut seen = 0usize;
    let p = &shared.producer;
    let blocking = |f: &dyn Fn() -> rdkafka::error::KafkaResult<()>| tokio::task::block_in_place(f);
    while seen < count {
        let mut next: BTreeMap<(String, i32), i64> = BTreeMap::new();
        let mut tasks = FuturesUnordered::new();
        let mut batch = 0usize;
        let mut deadline = None;
        while batch < k.max_in_flight && seen < count {
            let until = deadline.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                biased;
                () = tokio::time::sleep_until(until) => break,
                Some(r) = tasks.next(), if !tasks.is_empty() => r?,
                m = consumer.recv() => {
                    let m = m?;
                    clock.get_or_insert_with(|| Clock::start(broker_pid));
                    if deadline.is_none() {
                        blocking(&|| p.begin_transaction())?;
                        deadline = Some(tokio::time::Instant::now() + Duration::from_millis(k.commit_interval_ms));
                    }
                    next.insert((m.topic().to_owned(), m.partition()), m.offset() + 1);
                    let records = take(&plan, &m)?;
                    drop(m);
                    let shared = shared.clone();
                    tasks.push(tokio::spawn(async move { produce_all(&shared, records).await }));
                    batch += 1;
                    seen += 1;
                }
            }
        }
        while let Some(r) = tasks.next().await {
            r?;
        }
        let tpl = partition_list(&next)?;
        let meta = consumer.group_metadata().ok_or_else(|| anyhow::anyhow!("the consumer has no group metadata"))?;
        let timeout = Duration::from_secs(30);
        blocking(&|| p.send_offsets_to_transaction(&tpl, &meta, timeout))?;
        blocking(&|| p.commit_transaction(timeout))?;
    }
    clock.ok_or_else(|| anyhow::anyhow!("nothing consumed"))
}

/// CPU seconds (user + system) process `pid` ("self": this one) has used: fields 14 and 15 of
/// /proc/PID/stat, in clock ticks (100 per second on Linux).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
