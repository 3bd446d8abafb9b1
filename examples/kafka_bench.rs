//! Helper for scripts/bench-kafka.sh (a benchmark tool, not part of the product).
//!
//!   kafka_bench fill BROKERS TOPIC COUNT PARTITIONS   create TOPIC, write COUNT generated articles
//!   kafka_bench raw BROKERS TOPIC COUNT               the baseline: a plain consumer that reads and discards
//!   kafka_bench jsonl - FILE COUNT                    the same stream's well-formed inputs as JSON lines,
//!                                                     for `zhaoshang process` (the pipeline's CPU without Kafka)
//!
//! `raw` prints `raw_msgs_per_s=<rate>` measured from the first message to the COUNT-th, and
//! `raw_cpu_ms_per_msg=<ms>`: this process's CPU (utime+stime) over the same interval per message.

#[path = "../tests/support/articles.rs"]
mod articles;

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::Message;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().ok_or_else(|| anyhow::anyhow!("usage: kafka_bench fill|raw BROKERS TOPIC COUNT [PARTITIONS]"));
    let (cmd, brokers, topic, count) = (arg(0)?, arg(1)?, arg(2)?, arg(3)?.parse::<usize>()?);
    match cmd.as_str() {
        "fill" => fill(&brokers, &topic, count, arg(4)?.parse()?),
        "raw" => raw(&brokers, &topic, count),
        "jsonl" => jsonl(&topic, count),
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

fn raw(brokers: &str, topic: &str, count: usize) -> anyhow::Result<()> {
    let group = format!("bench-raw-{}", std::process::id());
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", &group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "1000")
        .create()?;
    consumer.subscribe(&[topic])?;
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut first: Option<Instant> = None;
    let mut cpu0 = 0.0;
    let mut n = 0usize;
    let mut bytes = 0usize;
    while n < count && Instant::now() < deadline {
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            let m = m?;
            if first.is_none() {
                first = Some(Instant::now());
                cpu0 = cpu_seconds();
            }
            bytes += m.payload().map_or(0, <[u8]>::len);
            n += 1;
        }
    }
    let secs = first.map_or(0.0, |f| f.elapsed().as_secs_f64());
    let cpu_ms = 1000.0 * (cpu_seconds() - cpu0) / n.max(1) as f64;
    println!(
        "raw_msgs={n} raw_seconds={secs:.3} raw_msgs_per_s={:.0} raw_mb_per_s={:.1} raw_cpu_ms_per_msg={cpu_ms:.4}",
        n as f64 / secs,
        bytes as f64 / secs / 1e6
    );
    Ok(())
}

/// CPU seconds (user + system) this process has used: fields 14 and 15 of
/// /proc/self/stat, in clock ticks (100 per second on Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
