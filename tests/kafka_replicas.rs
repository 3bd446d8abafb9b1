//! Two replicas in one consumer group sharing the Redis dedup store
//! (tansu for Kafka, scripts/services/redis.sh for Redis): reposts land on
//! other partitions, so on the other replica, and each story is still
//! emitted once.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use support::articles;
use support::*;

#[test]
fn kafka_two_replicas_with_redis_store_emit_each_story_once() {
    let Some(brokers) = service("ZHAOSHANG_TEST_KAFKA", "kafka_replicas") else { return };
    let Some(redis) = service("ZHAOSHANG_TEST_REDIS", "kafka_replicas") else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (input, events, outcomes, dlq) = (unique("zr-in"), unique("zr-events"), unique("zr-outcomes"), unique("zr-dlq"));
    rt.block_on(create_topics(&brokers, &[(&input, 4), (&events, 2), (&outcomes, 2), (&dlq, 1)]));

    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(&brokers, &unique("zr-group"), &input, &events, &outcomes, &dlq);
    env.retain(|(k, _)| k != "ZHAOSHANG__DEDUP__BACKEND");
    env.push(("ZHAOSHANG__DEDUP__BACKEND".into(), "redis".into()));
    env.push(("ZHAOSHANG__DEDUP__REDIS_URL".into(), redis));
    env.push(("ZHAOSHANG__DEDUP__REDIS_KEY_PREFIX".into(), unique("zr-dedup")));
    env.push(("ZHAOSHANG__KAFKA__MAX_IN_FLIGHT".into(), "32".into()));
    let mut a = Daemon::start(&env, &dir.path().join("a.log"));
    let mut b = Daemon::start(&env, &dir.path().join("b.log"));
    assert!(a.wait_ready(Duration::from_secs(60)), "replica a:\n{}", a.log_text());
    assert!(b.wait_ready(Duration::from_secs(60)), "replica b:\n{}", b.log_text());
    // Let the group settle with both members before the data arrives.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(20) && !(a.wait_ready(Duration::from_secs(1)) && b.wait_ready(Duration::from_secs(1))) {}

    const N: usize = 1000;
    // Reposts get their own key: they land on any partition, mostly on the other replica.
    let msgs: Vec<Msg> = articles::stream(N, 30, 1000, 1)
        .into_iter()
        .enumerate()
        .map(|(i, (mut m, _))| {
            if String::from_utf8_lossy(&m.payload).contains("\"repost-") {
                m.key = Some(format!("repost-key-{i}"));
            }
            m
        })
        .collect();
    let reposts = msgs.iter().filter(|m| m.key.as_deref().is_some_and(|k| k.starts_with("repost-key"))).count();
    rt.block_on(produce(&brokers, &input, &msgs));

    let got = read_topic(&brokers, &outcomes, false, Duration::from_secs(240), Duration::from_secs(2), |r| r.len() >= N);
    let consumed = |d: &Daemon| metric(&d.metrics(), &format!("zhaoshang_messages_consumed_total{{topic=\"{input}\"}}")).unwrap_or(0.0);
    let (ca, cb) = (consumed(&a), consumed(&b));
    a.signal("TERM");
    b.signal("TERM");
    assert_eq!(a.wait(Duration::from_secs(40)), Some(0));
    assert_eq!(b.wait(Duration::from_secs(40)), Some(0));
    assert!(ca > 0.0 && cb > 0.0, "both replicas worked: {ca} and {cb} messages");
    assert_eq!(got.len(), N, "one outcome per input");

    // Story number of an article id: a17 → 17, repost-17-230 → 17.
    let story = |id: &str| -> String {
        id.strip_prefix('a').map(str::to_owned).or_else(|| id.strip_prefix("repost-").and_then(|r| r.split('-').next()).map(str::to_owned)).unwrap_or_default()
    };
    let mut emitted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut duplicates = 0;
    for r in &got {
        let o = r.json();
        let id = o["article_id"].as_str().unwrap_or_default().to_owned();
        match o["outcome"].as_str() {
            Some("events" | "irrelevant") => {
                emitted.entry(story(&id)).or_default().insert(id);
            }
            Some("duplicate") => duplicates += 1,
            _ => {}
        }
    }
    let twice: Vec<_> = emitted.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(twice.is_empty(), "stories emitted by more than one copy: {twice:?}");
    assert_eq!(duplicates, reposts, "every repost is reported as a duplicate");
    let event_records = read_topic(&brokers, &events, false, Duration::from_secs(60), Duration::from_secs(2), |_| true);
    let ids: Vec<String> = event_records.iter().map(|r| r.json()["event_id"].as_str().unwrap_or_default().to_owned()).collect();
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "no event emitted twice");
}
