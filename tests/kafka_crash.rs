//! Crash safety through the real binary: SIGKILL at random points, restart,
//! and account for every input.
//!
//! - at-least-once against tansu (scripts/services/tansu.sh): no input lost;
//! - exactly-once against noida-db (scripts/services/noida.sh), the broker
//!   here whose transactions are right: a read_committed reader sees every
//!   input's outcome and every event exactly once.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use support::articles;
use support::*;

/// (partition, offset) of the input each outcome record names → how many.
fn outcome_counts(records: &[Record]) -> BTreeMap<(i64, i64), usize> {
    let mut out = BTreeMap::new();
    for r in records {
        let o = r.json();
        *out.entry((o["source"]["partition"].as_i64().unwrap_or(-1), o["source"]["offset"].as_i64().unwrap_or(-1))).or_insert(0) += 1;
    }
    out
}

/// Input (partition, offset) pairs actually written, read back from the topic.
fn input_positions(brokers: &str, topic: &str, n: usize) -> Vec<(i64, i64)> {
    let recs = read_topic(brokers, topic, false, Duration::from_secs(60), Duration::from_millis(500), |r| r.len() >= n);
    assert_eq!(recs.len(), n);
    recs.iter().map(|r| (i64::from(r.partition), r.offset)).collect()
}

/// Topics (input, events, outcomes, dlq) with `n` inputs written, and
/// the (partition, offset) of each input.
struct Setup {
    topics: [String; 4],
    positions: Vec<(i64, i64)>,
    dir: tempfile::TempDir,
}

fn setup(brokers: &str, prefix: &str, partitions: i32, n: usize, repost_gap: usize) -> Setup {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let topics = ["in", "events", "outcomes", "dlq"].map(|t| unique(&format!("{prefix}-{t}")));
    rt.block_on(create_topics(brokers, &[(&topics[0], partitions), (&topics[1], 2), (&topics[2], 2), (&topics[3], 1)]));
    let msgs: Vec<Msg> = articles::stream(n, repost_gap, 40, 300_000).into_iter().map(|(m, _)| m).collect();
    rt.block_on(produce(brokers, &topics[0], &msgs));
    Setup { positions: input_positions(brokers, &topics[0], n), topics, dir: tempfile::tempdir().unwrap() }
}

impl Setup {
    fn env(&self, brokers: &str, prefix: &str) -> Vec<(String, String)> {
        let [input, events, outcomes, dlq] = &self.topics;
        let mut env = base_env(brokers, &unique(&format!("{prefix}-group")), input, events, outcomes, dlq);
        env.push(("ZHAOSHANG__PIPELINE__MAX_INPUT_BYTES".into(), "200000".into()));
        env
    }
}

/// Start, SIGKILL after a random moment, restart — `kills` times; then let
/// the last one run until `complete` holds.
fn kill_and_restart(env: &[(String, String)], dir: &std::path::Path, kills: usize, seed: u64, complete: impl Fn() -> bool) -> Daemon {
    let mut rng = fastrand::Rng::with_seed(seed);
    for round in 0..kills {
        let mut d = Daemon::start(env, &dir.join(format!("run{round}.log")));
        assert!(d.wait_ready(Duration::from_secs(60)), "round {round} not ready:\n{}", d.log_text());
        std::thread::sleep(Duration::from_millis(rng.u64(300..2500)));
        d.signal("KILL");
        assert_eq!(d.wait(Duration::from_secs(10)), None, "killed by a signal, no exit code");
        eprintln!("round {round}: killed");
    }
    let mut d = Daemon::start(env, &dir.join("final.log"));
    assert!(d.wait_ready(Duration::from_secs(60)), "final run not ready:\n{}", d.log_text());
    let started = Instant::now();
    while !complete() && started.elapsed() < Duration::from_secs(240) {
        std::thread::sleep(Duration::from_secs(2));
    }
    d
}

#[test]
fn kafka_sigkill_five_times_at_least_once_loses_nothing() {
    let Some(brokers) = service("ZHAOSHANG_TEST_KAFKA", "kafka_crash at-least-once") else { return };
    const N: usize = 3000;
    let s = setup(&brokers, "zk", 4, N, 60);
    let (outcomes, positions, dir) = (&s.topics[2], &s.positions, &s.dir);
    let mut env = s.env(&brokers, "zk");
    env.retain(|(k, _)| k != "ZHAOSHANG__DEDUP__BACKEND");
    env.push(("ZHAOSHANG__DEDUP__BACKEND".into(), "embedded".into()));
    env.push(("ZHAOSHANG__DEDUP__PATH".into(), dir.path().join("state").display().to_string()));
    env.push(("ZHAOSHANG__KAFKA__MAX_IN_FLIGHT".into(), "128".into()));
    let read = || read_topic(&brokers, outcomes, false, Duration::from_secs(30), Duration::from_millis(500), |r| r.len() >= N);
    let mut d = kill_and_restart(&env, dir.path(), 5, 42, || outcome_counts(&read()).len() >= N);
    d.signal("TERM");
    assert_eq!(d.wait(Duration::from_secs(40)), Some(0));

    let counts = outcome_counts(&read());
    let missing: Vec<_> = positions.iter().filter(|p| !counts.contains_key(p)).collect();
    assert!(missing.is_empty(), "{} inputs have no outcome, e.g. {:?}", missing.len(), &missing[..missing.len().min(5)]);
    let redelivered = counts.values().filter(|&&c| c > 1).count();
    eprintln!("all {N} inputs have an outcome; {redelivered} were processed more than once (at-least-once)");
}

#[test]
fn kafka_sigkill_exactly_once_read_committed_sees_each_event_once() {
    let Some(brokers) = service("ZHAOSHANG_TEST_KAFKA_EOS", "kafka_crash exactly-once") else { return };
    const N: usize = 1200;
    let s = setup(&brokers, "ze", 2, N, 40);
    let (events, outcomes, positions, dir) = (&s.topics[1], &s.topics[2], &s.positions, &s.dir);
    let mut env = s.env(&brokers, "ze");
    env.push(("ZHAOSHANG__DELIVERY".into(), "exactly_once".into()));
    env.push(("ZHAOSHANG__KAFKA__TRANSACTIONAL_ID".into(), unique("ze-txn")));
    env.push(("ZHAOSHANG__KAFKA__COMMIT_INTERVAL_MS".into(), "300".into()));
    // noida-db never evicts a SIGKILLed member, so its restart would wait
    // forever to join; static membership (which real deployments should use
    // too, one id per replica) lets the restart take the dead member's place.
    env.push(("ZHAOSHANG__KAFKA__PROPERTIES__GROUP_INSTANCE_ID".into(), unique("ze-replica")));
    env.push(("ZHAOSHANG__KAFKA__MAX_IN_FLIGHT".into(), "100".into()));
    let read = || read_topic(&brokers, outcomes, true, Duration::from_secs(30), Duration::from_millis(500), |r| r.len() >= N);
    let mut d = kill_and_restart(&env, dir.path(), 5, 7, || outcome_counts(&read()).len() >= N);
    d.signal("TERM");
    assert_eq!(d.wait(Duration::from_secs(40)), Some(0), "{}", d.log_text());

    let counts = outcome_counts(&read());
    let missing = positions.iter().filter(|p| !counts.contains_key(p)).count();
    assert_eq!(missing, 0, "inputs without a committed outcome");
    let twice: Vec<_> = counts.iter().filter(|(_, &c)| c > 1).collect();
    assert!(twice.is_empty(), "{} inputs have more than one committed outcome, e.g. {:?}", twice.len(), &twice[..twice.len().min(5)]);
    let events = read_topic(&brokers, events, true, Duration::from_secs(60), Duration::from_secs(1), |_| true);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in &events {
        *seen.entry(r.json()["event_id"].as_str().unwrap_or_default().to_owned()).or_insert(0) += 1;
    }
    assert!(!seen.is_empty());
    let repeated = seen.values().filter(|&&c| c > 1).count();
    assert_eq!(repeated, 0, "event ids seen more than once by a read_committed reader");
}
