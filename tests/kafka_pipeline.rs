//! End-to-end through the real binary and a real broker (tansu, see
//! scripts/services/tansu.sh): 2 000 inputs with reposts and poison
//! messages; every input gets exactly one outcome, the events equal what
//! `zhaoshang process` gives offline, poison goes to the DLQ with its
//! reason, SIGTERM drains and commits so a restart consumes nothing twice,
//! and /metrics counts what happened.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::time::Duration;

use support::articles::{self, Poison};
use support::*;

const TOTAL: usize = 2000;
const MAX_INPUT: usize = 200_000;

#[test]
fn kafka_2000_articles_one_outcome_each_events_match_offline_and_sigterm_commits() {
    let Some(brokers) = service("ZHAOSHANG_TEST_KAFKA", "kafka_pipeline") else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (input, events, outcomes, dlq) = (unique("zs-in"), unique("zs-events"), unique("zs-outcomes"), unique("zs-dlq"));
    rt.block_on(create_topics(&brokers, &[(&input, 4), (&events, 2), (&outcomes, 2), (&dlq, 1)]));
    let stream = articles::stream(TOTAL, 60, 50, MAX_INPUT + 100_000);
    let msgs: Vec<Msg> = stream.iter().map(|(m, _)| m.clone()).collect();
    rt.block_on(produce(&brokers, &input, &msgs));

    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(&brokers, &unique("zs-group"), &input, &events, &outcomes, &dlq);
    env.push(("ZHAOSHANG__PIPELINE__MAX_INPUT_BYTES".into(), MAX_INPUT.to_string()));
    env.push(("ZHAOSHANG__KAFKA__MAX_IN_FLIGHT".into(), "64".into()));
    let mut daemon = Daemon::start(&env, &dir.path().join("run1.log"));
    assert!(daemon.wait_ready(Duration::from_secs(60)), "daemon not ready:\n{}", daemon.log_text());

    let got = read_topic(&brokers, &outcomes, false, Duration::from_secs(180), Duration::from_secs(2), |r| r.len() >= TOTAL);
    assert_eq!(got.len(), TOTAL, "outcome records; log:\n{}", tail(&daemon.log_text()));
    let by_source = outcomes_by_source(&got);
    assert_eq!(by_source.len(), TOTAL, "every input offset has its own outcome");

    // /metrics reflects the counts before shutdown.
    std::thread::sleep(Duration::from_millis(1500));
    let m = daemon.metrics();
    assert_eq!(metric(&m, &format!("zhaoshang_messages_consumed_total{{topic=\"{input}\"}}")), Some(TOTAL as f64), "{m}");
    let outcome_sum: f64 = ["events", "irrelevant", "duplicate", "rejected"]
        .iter()
        .filter_map(|o| metric(&m, &format!("zhaoshang_outcomes_total{{outcome=\"{o}\"}}")))
        .sum();
    assert_eq!(outcome_sum, TOTAL as f64);
    assert_eq!(metric(&m, "zhaoshang_in_flight_messages"), Some(0.0));
    assert_eq!(metric(&m, "zhaoshang_ready"), Some(1.0));
    assert!(m.contains("zhaoshang_consumer_lag_messages{"), "lag gauges from librdkafka statistics:\n{m}");
    assert!(m.contains("zhaoshang_build_info{version="));

    daemon.signal("TERM");
    assert_eq!(daemon.wait(Duration::from_secs(40)), Some(0), "SIGTERM exits 0; log:\n{}", tail(&daemon.log_text()));
    assert!(daemon.log_text().contains("drained and committed"));

    // Rejections: each one is in the DLQ with the raw bytes and a reason.
    let dlq_records = read_topic(&brokers, &dlq, false, Duration::from_secs(30), Duration::from_secs(1), |_| true);
    let rejected: Vec<&serde_json::Value> = by_source.values().filter(|o| o["outcome"] == "rejected").collect();
    assert_eq!(dlq_records.len(), rejected.len(), "one DLQ record per rejected input");
    let payload_of: HashMap<String, &Msg> = stream.iter().filter_map(|(m, _)| m.key.clone().map(|k| (k, m))).collect();
    for r in &dlq_records {
        let key = String::from_utf8(r.key.clone().unwrap_or_default()).unwrap();
        assert_eq!(r.payload, payload_of[&key].payload, "DLQ carries the raw input of {key}");
        assert!(r.headers.contains_key("zhaoshang.dlq.reason") && r.headers.contains_key("zhaoshang.source.offset"), "{:?}", r.headers);
    }
    let reasons: BTreeMap<String, String> = dlq_records
        .iter()
        .map(|r| (String::from_utf8_lossy(r.key.as_deref().unwrap_or_default()).into_owned(), r.headers["zhaoshang.dlq.reason"].clone()))
        .collect();
    for (i, (m, kind)) in stream.iter().enumerate() {
        let expected = match kind {
            Some(Poison::Empty | Poison::EmptyContent) => "empty",
            Some(Poison::Oversize) => "too_large",
            _ => continue,
        };
        let key = m.key.clone().unwrap();
        assert_eq!(reasons.get(&key).map(String::as_str), Some(expected), "input {i} ({kind:?})");
    }

    // Events equal what the offline command gives on the same inputs.
    let jsonl = dir.path().join("inputs.jsonl");
    let mut f = std::fs::File::create(&jsonl).unwrap();
    let mut poison_free = 0;
    for (m, kind) in &stream {
        if kind.is_none() {
            f.write_all(&m.payload).unwrap();
            f.write_all(b"\n").unwrap();
            poison_free += 1;
        }
    }
    drop(f);
    let offline_events = dir.path().join("events.jsonl");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_zhaoshang"))
        .args(["process", jsonl.to_str().unwrap(), "--events", offline_events.to_str().unwrap()])
        .env("ZHAOSHANG__DEDUP__BACKEND", "memory")
        .env("ZHAOSHANG__PIPELINE__MAX_INPUT_BYTES", MAX_INPUT.to_string())
        .env("ZHAOSHANG__DEDUP__PATH", dir.path().join("state"))
        .status()
        .unwrap();
    assert!(status.success());
    let offline: BTreeSet<String> = std::fs::read_to_string(&offline_events).unwrap().lines().map(canonical).collect();
    let event_records = read_topic(&brokers, &events, false, Duration::from_secs(60), Duration::from_secs(2), |r| r.len() >= offline.len());
    let online: BTreeSet<String> = event_records
        .iter()
        .filter(|r| !r.json()["article"]["id"].as_str().unwrap_or_default().starts_with("poison-"))
        .map(|r| canonical(std::str::from_utf8(&r.payload).unwrap()))
        .collect();
    assert!(poison_free > 1900);
    assert!(!offline.is_empty(), "the generated stories yield events");
    assert_eq!(online.len(), offline.len(), "event count online vs offline");
    assert!(
        online == offline,
        "events differ from `zhaoshang process`; online only: {:?}; offline only: {:?}",
        online.difference(&offline).take(2).collect::<Vec<_>>(),
        offline.difference(&online).take(2).collect::<Vec<_>>()
    );
    for r in &event_records {
        assert!(r.headers.contains_key("zhaoshang.source.topic") && r.headers.contains_key("zhaoshang.source.partition"));
        let ev = r.json();
        let key = ev["region"]["adcode"].as_str().or(ev["article"]["id"].as_str()).unwrap().to_owned();
        assert_eq!(r.key.as_deref(), Some(key.as_bytes()), "events keyed by region code or article id");
    }
    let duplicates = by_source.values().filter(|o| o["outcome"] == "duplicate").count();
    assert!(duplicates >= 90, "reposts are reported as duplicates ({duplicates})");

    // A restart after the drained shutdown consumes nothing again.
    let mut again = Daemon::start(&env, &dir.path().join("run2.log"));
    assert!(again.wait_ready(Duration::from_secs(60)), "restart not ready:\n{}", again.log_text());
    std::thread::sleep(Duration::from_secs(4));
    let m = again.metrics();
    assert_eq!(metric(&m, &format!("zhaoshang_messages_consumed_total{{topic=\"{input}\"}}")).unwrap_or(0.0), 0.0, "{m}");
    again.signal("TERM");
    assert_eq!(again.wait(Duration::from_secs(40)), Some(0));
    let got = read_topic(&brokers, &outcomes, false, Duration::from_secs(30), Duration::from_secs(1), |r| r.len() >= TOTAL);
    assert_eq!(got.len(), TOTAL, "no input was consumed twice");
}

/// Outcome records by (partition, offset) of their input.
pub fn outcomes_by_source(records: &[Record]) -> BTreeMap<(i64, i64), serde_json::Value> {
    let mut out = BTreeMap::new();
    for r in records {
        let o = r.json();
        let key = (o["source"]["partition"].as_i64().unwrap(), o["source"]["offset"].as_i64().unwrap());
        out.insert(key, o);
    }
    out
}

fn canonical(line: &str) -> String {
    serde_json::from_str::<serde_json::Value>(line).map(|v| v.to_string()).unwrap_or_default()
}

fn tail(log: &str) -> String {
    log.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// Exactly-once against noida-db (scripts/services/noida.sh, the broker
/// here whose transactions are right): inputs whose outcome record is larger
/// than the producer accepts (`message.max.bytes`; their article id alone is
/// 60 kB) abort their transaction every time. Each one must end in the DLQ —
/// raw bytes, reason and origin headers, committed with its offset — while
/// the daemon keeps running, every other input is processed once, and the
/// group's offsets reach the end of the input topic.
#[test]
fn kafka_exactly_once_persistently_failing_message_goes_to_dlq_and_partition_moves_on() {
    let Some(brokers) = service("ZHAOSHANG_TEST_KAFKA_EOS", "kafka_pipeline exactly-once DLQ") else { return };
    const N: usize = 400;
    const LIMIT: usize = 100_000;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (input, events, outcomes, dlq) = (unique("zd-in"), unique("zd-events"), unique("zd-outcomes"), unique("zd-dlq"));
    rt.block_on(create_topics(&brokers, &[(&input, 2), (&events, 2), (&outcomes, 2), (&dlq, 1)]));
    let mut msgs: Vec<Msg> = articles::stream(N, 40, N + 1, 1).into_iter().map(|(m, _)| m).collect();
    let huge: Vec<Msg> = [60, 210, 333]
        .iter()
        .map(|&i| {
            let (title, body) = articles::article(10_000 + i);
            // The id once in the input, twice (key and body) in its outcome record.
            let id = format!("huge-{i}-{}", "x".repeat(60_000));
            let payload = serde_json::to_vec(&serde_json::json!({ "id": id, "title": title, "content": body })).unwrap();
            Msg { key: Some(format!("huge-{i}")), payload }
        })
        .collect();
    for (n, m) in huge.iter().enumerate() {
        msgs.insert(60 + n * 150, m.clone());
    }
    assert!(huge.iter().all(|m| m.payload.len() < LIMIT), "the inputs themselves fit");
    rt.block_on(produce(&brokers, &input, &msgs));
    let total = msgs.len();

    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(&brokers, &unique("zd-group"), &input, &events, &outcomes, &dlq);
    env.retain(|(k, _)| k != "ZHAOSHANG__KAFKA__PROPERTIES__MESSAGE_MAX_BYTES");
    env.extend(
        [
            ("ZHAOSHANG__KAFKA__PROPERTIES__MESSAGE_MAX_BYTES", LIMIT.to_string()),
            ("ZHAOSHANG__DELIVERY", "exactly_once".to_owned()),
            ("ZHAOSHANG__KAFKA__TRANSACTIONAL_ID", unique("zd-txn")),
            ("ZHAOSHANG__KAFKA__COMMIT_INTERVAL_MS", "300".to_owned()),
            ("ZHAOSHANG__KAFKA__MAX_IN_FLIGHT", "64".to_owned()),
            ("ZHAOSHANG__KAFKA__MAX_RETRIES", "2".to_owned()),
            ("ZHAOSHANG__KAFKA__RETRY_BACKOFF_MS", "50".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    let mut daemon = Daemon::start(&env, &dir.path().join("run.log"));
    assert!(daemon.wait_ready(Duration::from_secs(60)), "daemon not ready:\n{}", daemon.log_text());

    // Wait on the daemon's own count (it counts an outcome once its
    // transaction commits), then read: a read_committed reader that starts
    // on noida-db while the first transactions abort can stall (seen here).
    let started = std::time::Instant::now();
    let committed_outcomes = |m: &str| -> f64 {
        ["events", "irrelevant", "duplicate", "rejected"].iter().filter_map(|o| metric(m, &format!("zhaoshang_outcomes_total{{outcome=\"{o}\"}}"))).sum()
    };
    while committed_outcomes(&daemon.metrics()) < total as f64 && started.elapsed() < Duration::from_secs(180) {
        assert_eq!(daemon.child.try_wait().ok().flatten(), None, "the daemon keeps running; log:\n{}", tail(&daemon.log_text()));
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(daemon.child.try_wait().ok().flatten(), None, "the daemon keeps running; log:\n{}", tail(&daemon.log_text()));
    let got = read_topic(&brokers, &outcomes, true, Duration::from_secs(60), Duration::from_secs(2), |r| r.len() >= total);
    let by_source = outcomes_by_source(&got);
    assert_eq!(got.len(), total, "one committed outcome per input; log:\n{}", tail(&daemon.log_text()));
    assert_eq!(by_source.len(), total);
    let rejected: Vec<&serde_json::Value> = by_source.values().filter(|o| o["outcome"] == "rejected").collect();
    assert_eq!(rejected.len(), huge.len(), "only the oversized inputs are rejected: {rejected:?}");
    for o in &rejected {
        let reason = o["reason"].as_str().unwrap_or_default();
        assert!(reason.starts_with("retries_exhausted: ") && reason.to_lowercase().contains("too large"), "{reason}");
        assert!(o["article_id"].as_str().is_some_and(|id| id.starts_with("huge-")), "{o}");
    }

    // The DLQ holds each of them once, raw, with reason and origin.
    let dlq_records = read_topic(&brokers, &dlq, true, Duration::from_secs(30), Duration::from_secs(1), |r| r.len() >= huge.len());
    assert_eq!(dlq_records.len(), huge.len(), "one committed DLQ record per failing input");
    for r in &dlq_records {
        let key = String::from_utf8(r.key.clone().unwrap_or_default()).unwrap();
        let original = huge.iter().find(|m| m.key.as_deref() == Some(key.as_str())).expect("a failing input");
        assert_eq!(r.payload, original.payload, "DLQ carries the raw input of {key}");
        assert_eq!(r.headers.get("zhaoshang.dlq.reason").map(String::as_str), Some("retries_exhausted"));
        assert!(r.headers.get("zhaoshang.dlq.detail").is_some_and(|d| d.to_lowercase().contains("too large")), "{:?}", r.headers);
        let offset: i64 = r.headers["zhaoshang.source.offset"].parse().unwrap();
        let partition: i64 = r.headers["zhaoshang.source.partition"].parse().unwrap();
        assert_eq!(by_source[&(partition, offset)]["outcome"], "rejected", "the DLQ record names its input");
    }

    // Everything else went through once, with its events.
    let event_records = read_topic(&brokers, &events, true, Duration::from_secs(60), Duration::from_secs(2), |_| true);
    assert!(!event_records.is_empty());
    let mut event_ids = BTreeSet::new();
    for r in &event_records {
        let ev = r.json();
        assert!(!ev["article"]["id"].as_str().unwrap_or_default().starts_with("huge-"), "no event of an aborted input is visible");
        assert!(event_ids.insert(ev["event_id"].as_str().unwrap_or_default().to_owned()), "event seen twice");
    }
    let m = daemon.metrics();
    assert_eq!(metric(&m, "zhaoshang_dlq_messages_total{reason=\"retries_exhausted\"}"), Some(huge.len() as f64), "{m}");

    // SIGTERM: exit 0, and the group's committed offsets reach the end of the input.
    daemon.signal("TERM");
    assert_eq!(daemon.wait(Duration::from_secs(40)), Some(0), "log:\n{}", tail(&daemon.log_text()));
    let group = env.iter().find(|(k, _)| k == "ZHAOSHANG__KAFKA__GROUP_ID").map(|(_, v)| v.clone()).unwrap();
    let (committed, ends) = committed_and_end_offsets(&brokers, &group, &input);
    assert_eq!(committed, ends, "committed offsets per partition vs the end of the input topic");
}

/// The group's committed offset and the high watermark of each partition of `topic`.
fn committed_and_end_offsets(brokers: &str, group: &str, topic: &str) -> (Vec<i64>, Vec<i64>) {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::{Offset, TopicPartitionList};
    let c: BaseConsumer = rdkafka::ClientConfig::new().set("bootstrap.servers", brokers).set("group.id", group).create().unwrap();
    let meta = c.fetch_metadata(Some(topic), Duration::from_secs(10)).unwrap();
    let partitions: Vec<i32> = meta.topics()[0].partitions().iter().map(|p| p.id()).collect();
    let mut tpl = TopicPartitionList::new();
    for p in &partitions {
        tpl.add_partition(topic, *p);
    }
    let committed = c.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
    let committed = partitions
        .iter()
        .map(|p| match committed.find_partition(topic, *p).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => o,
            _ => -1,
        })
        .collect();
    let ends = partitions.iter().map(|p| c.fetch_watermarks(topic, *p, Duration::from_secs(10)).unwrap().1).collect();
    (committed, ends)
}
