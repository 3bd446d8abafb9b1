//! The dedup store contract, run against every backend (Redis when
//! ZHAOSHANG_TEST_REDIS names a real server), plus what only one backend
//! has to show: the embedded store survives kill -9, Redis races, outages
//! and expiry.

mod dedup_support;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Barrier};

use dedup_support::{config, generated_article, manual_clock, redis_url, unique_prefix};
use zhaoshang::config::DedupBackend;
use zhaoshang::decode::DecodeLimits;
use zhaoshang::dedup::{self, fingerprint, DedupError, DedupKey, DedupStore, DuplicateKind, Verdict};
use zhaoshang::event::SourceRef;
use zhaoshang::pipeline::{Pipeline, StoreFailure};

/// Real time, since Redis expires keys by its own clock.
fn t0() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}
const DAY: i64 = 86_400;

fn key<'a>(id: &'a str, origin: Option<&'a str>) -> DedupKey<'a> {
    DedupKey { article_id: id, origin, seen_at_unix: t0() }
}

fn check(store: &dyn DedupStore, text: &str, id: &str, origin: Option<&str>) -> Verdict {
    store.check_and_insert(&fingerprint(text), &key(id, origin)).expect("store answers")
}

fn duplicate_of(v: &Verdict) -> Option<(&str, DuplicateKind)> {
    match v {
        Verdict::Duplicate { of, kind, .. } => Some((of.as_str(), *kind)),
        Verdict::Unique => None,
    }
}

/// The behaviour every backend shares.
fn contract(backend: DedupBackend, redis: &str) {
    let dir = tempfile::tempdir().unwrap();
    let start = t0();
    let (now, clock) = manual_clock(start);
    let cfg = config(backend, dir.path(), redis, &unique_prefix("contract"));
    let store = dedup::open_with_clock(&cfg, clock).unwrap();
    let a = generated_article(1);
    let b = generated_article(2);

    assert_eq!(check(&*store, &a, "a", Some("kafka:news/0/1")), Verdict::Unique, "{}", store.backend());
    assert_eq!(check(&*store, &b, "b", Some("kafka:news/0/2")), Verdict::Unique);
    // Same text from another record: an exact duplicate of the first id.
    assert_eq!(duplicate_of(&check(&*store, &a, "a2", Some("kafka:news/1/9"))), Some(("a", DuplicateKind::Exact)));
    // The same Kafka record redelivered is not a duplicate of itself.
    assert_eq!(check(&*store, &a, "a", Some("kafka:news/0/1")), Verdict::Unique);
    // A truncated copy is a near duplicate.
    let cut: String = b.chars().take(b.chars().count() / 2).collect();
    assert_eq!(duplicate_of(&check(&*store, &cut, "b-cut", Some("kafka:news/0/3"))), Some(("b", DuplicateKind::Near)));
    assert_eq!(store.len().unwrap(), 2, "duplicates are not stored");

    // Offline origins never count as redelivery: a second run reports duplicates.
    let c = generated_article(3);
    assert_eq!(check(&*store, &c, "c", Some("file:in/c.txt")), Verdict::Unique);
    assert!(duplicate_of(&check(&*store, &c, "c", Some("file:in/c.txt"))).is_some());

    // forget undoes an insert whose output failed.
    store.forget("c").unwrap();
    assert_eq!(check(&*store, &c, "c", Some("kafka:news/0/5")), Verdict::Unique);
    assert_eq!(store.len().unwrap(), 3);

    // Past the window nothing matches, and expired entries are dropped.
    now.store(start + 31 * DAY, Ordering::SeqCst);
    assert_eq!(check(&*store, &a, "a3", Some("kafka:news/0/6")), Verdict::Unique);
    store.flush().unwrap();
    if backend != DedupBackend::Redis {
        assert_eq!(store.len().unwrap(), 1, "{}: expired entries swept on insert", store.backend());
    } else {
        assert!(store.len().unwrap() >= 1);
    }
}

#[test]
fn memory_store_keeps_the_contract() {
    contract(DedupBackend::Memory, "redis://127.0.0.1:1/");
}

#[test]
fn embedded_store_keeps_the_contract() {
    contract(DedupBackend::Embedded, "redis://127.0.0.1:1/");
}

#[test]
fn redis_store_keeps_the_contract() {
    let Some(url) = redis_url("redis_store_keeps_the_contract") else { return };
    contract(DedupBackend::Redis, &url);
}

/// Redis memory is bounded by TTLs: every key the store writes (bucketed
/// hashes included) expires, except the one id counter.
#[test]
fn redis_keys_all_expire() {
    let Some(url) = redis_url("redis_keys_all_expire") else { return };
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("ttl");
    let store = dedup::open(&config(DedupBackend::Redis, dir.path(), &url, &prefix)).unwrap();
    for i in 0..20 {
        assert_eq!(check(&*store, &generated_article(i), &format!("t{i}"), None), Verdict::Unique);
    }
    store.forget("t3").unwrap();
    assert_eq!(store.len().unwrap(), 19);
    let mut con = redis::Client::open(url.as_str()).unwrap().get_connection().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}:*")).query(&mut con).unwrap();
    assert!(keys.len() > 20, "{keys:?}");
    for k in keys.iter().filter(|k| !k.ends_with(":seq:")) {
        let ttl: i64 = redis::cmd("TTL").arg(k).query(&mut con).unwrap();
        assert!(ttl > 0, "{k} never expires (TTL {ttl})");
    }
}

#[test]
fn embedded_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(DedupBackend::Embedded, dir.path(), "", "");
    {
        let store = dedup::open(&cfg).unwrap();
        for i in 0..20 {
            assert_eq!(check(&*store, &generated_article(i), &format!("s{i}"), Some("file:x")), Verdict::Unique);
        }
    }
    let store = dedup::open(&cfg).unwrap();
    assert_eq!(store.len().unwrap(), 20);
    for i in 0..20 {
        assert_eq!(duplicate_of(&check(&*store, &generated_article(i), "again", Some("file:x"))).map(|d| d.0.to_owned()), Some(format!("s{i}")));
    }
}

const CRASH_CHILD: &str = "ZHAOSHANG_DEDUP_CRASH_CHILD";

/// Child half of the crash test: insert forever, announce once the first
/// batch is flushed, wait to be killed.
#[test]
fn crash_child_writer() {
    let Ok(path) = std::env::var(CRASH_CHILD) else { return };
    let cfg = config(DedupBackend::Embedded, std::path::Path::new(&path), "", "");
    let store = dedup::open(&cfg).unwrap();
    for i in 0u64.. {
        store.check_and_insert(&fingerprint(&generated_article(i)), &key(&format!("k{i}"), None)).unwrap();
        if i == 99 {
            store.flush().unwrap();
            println!("flushed");
        }
    }
}

#[test]
fn embedded_store_survives_kill_9_during_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child_writer", "--nocapture", "--test-threads=1"])
        .env(CRASH_CHILD, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("flushed") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child exited before flushing");
    }
    // Let it write (and commit) more before SIGKILL lands mid-stream.
    std::thread::sleep(std::time::Duration::from_millis(400));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let cfg = config(DedupBackend::Embedded, dir.path(), "", "");
    let store = dedup::open(&cfg).expect("a killed writer leaves a usable store");
    let n = store.len().unwrap();
    assert!(n >= 100, "the flushed batch survives, found {n}");
    for i in 0..100 {
        assert!(duplicate_of(&check(&*store, &generated_article(i), "again", None)).is_some(), "article {i} lost");
    }
    assert_eq!(check(&*store, "新的文章正文不应与任何已存文章相同，青川县今年引进项目共计七十二个并全部开工。", "fresh", None), Verdict::Unique);
    assert_eq!(store.len().unwrap(), n + 1);
}

#[test]
fn racing_redis_replicas_keep_exactly_one() {
    let Some(url) = redis_url("racing_redis_replicas_keep_exactly_one") else { return };
    let prefix = unique_prefix("race");
    for round in 0..20u64 {
        let text = generated_article(1000 + round);
        let replicas = 6;
        let barrier = Arc::new(Barrier::new(replicas));
        let handles: Vec<_> = (0..replicas)
            .map(|r| {
                let (url, prefix, text, barrier) = (url.clone(), prefix.clone(), text.clone(), barrier.clone());
                std::thread::spawn(move || {
                    // One store (own connections) per replica.
                    let store = dedup::open(&config(DedupBackend::Redis, std::path::Path::new("."), &url, &prefix)).unwrap();
                    // Replicas get the story from different sites: a truncated copy for odd ones.
                    let text = if r % 2 == 1 { text.chars().take(text.chars().count() * 2 / 3).collect() } else { text };
                    let origin = format!("kafka:news/{r}/{round}");
                    barrier.wait();
                    store.check_and_insert(&fingerprint(&text), &key(&format!("r{round}-{r}"), Some(&origin))).unwrap()
                })
            })
            .collect();
        let verdicts: Vec<Verdict> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let unique = verdicts.iter().filter(|v| **v == Verdict::Unique).count();
        assert_eq!(unique, 1, "round {round}: {verdicts:?}");
    }
}

fn assert_unavailable<T: std::fmt::Debug>(r: Result<T, DedupError>) {
    match r {
        Err(DedupError::Unavailable(_)) => {}
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[test]
fn redis_down_is_unavailable_not_a_hang() {
    // Nothing listens on a port we just released.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = config(DedupBackend::Redis, std::path::Path::new("."), &format!("redis://127.0.0.1:{port}/"), "x");
    cfg.redis_timeout_ms = 300;
    assert_unavailable(dedup::open(&cfg).map(|_| ()));

    // A server that accepts and never answers: the read timeout must fire.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    cfg.redis_url = format!("redis://{}/", silent.local_addr().unwrap());
    let held = std::thread::spawn(move || silent.incoming().take(4).filter_map(Result::ok).collect::<Vec<_>>());
    match dedup::open(&cfg) {
        Err(e) => assert!(matches!(e, DedupError::Unavailable(_)), "{e}"),
        Ok(store) => assert_unavailable(store.check_and_insert(&fingerprint("文本"), &key("a", None))),
    }
    drop(held);
}

#[test]
fn pipeline_applies_the_failure_policy_when_redis_goes_away() {
    let Some(url) = redis_url("pipeline_applies_the_failure_policy_when_redis_goes_away") else { return };
    // A store connected to a live server that then vanishes: a proxy we stop.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_addr = proxy.local_addr().unwrap();
    let upstream = url.trim_start_matches("redis://").trim_end_matches('/').to_owned();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let open_conns: Arc<std::sync::Mutex<Vec<std::net::TcpStream>>> = Arc::default();
    let (stop2, conns2) = (stop.clone(), open_conns.clone());
    let proxy_thread = std::thread::spawn(move || {
        for client in proxy.incoming() {
            if stop2.load(Ordering::SeqCst) {
                break;
            }
            let client = client.unwrap();
            let server = std::net::TcpStream::connect(&upstream).unwrap();
            conns2.lock().unwrap().push(client.try_clone().unwrap());
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut c1, mut s1) = (client, server);
            std::thread::spawn(move || std::io::copy(&mut c1, &mut s1));
            std::thread::spawn(move || std::io::copy(&mut s2, &mut c2));
        }
    });
    let mut cfg = config(DedupBackend::Redis, std::path::Path::new("."), &format!("redis://{proxy_addr}/"), &unique_prefix("policy"));
    cfg.redis_timeout_ms = 300;
    let store = dedup::open(&cfg).unwrap();
    let pipeline = Pipeline::new(DecodeLimits { max_input_bytes: 1 << 20 }).unwrap();
    let article = generated_article(7);
    let src = |o: i64| Some(SourceRef::Kafka { topic: "news".into(), partition: 0, offset: o });
    assert!(pipeline.process(article.as_bytes(), Some("p1"), src(1), &*store, StoreFailure::Fail, t0()).is_ok());

    // Take the proxy down: existing connections die, new ones are refused.
    stop.store(true, Ordering::SeqCst);
    let _ = std::net::TcpStream::connect(proxy_addr);
    proxy_thread.join().unwrap();
    for c in open_conns.lock().unwrap().iter() {
        let _ = c.shutdown(std::net::Shutdown::Both);
    }
    let other = generated_article(8);
    let failed = pipeline.process(other.as_bytes(), Some("p2"), src(2), &*store, StoreFailure::Fail, t0());
    assert!(matches!(failed, Err(DedupError::Unavailable(_))), "{failed:?}");
    let passed = pipeline.process(other.as_bytes(), Some("p2"), src(2), &*store, StoreFailure::Pass, t0()).unwrap();
    assert!(passed.dedup_bypassed.is_some());
    assert_eq!(passed.duplicate_kind, None);
}
