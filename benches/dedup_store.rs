//! Store scale benchmark: insert N fingerprints into one backend, then
//! query it, printing throughput, latency percentiles, peak RSS and size
//! on disk. Run by scripts/bench-dedup.sh, one process per backend so the
//! peak RSS is the backend's own.
//!
//!   cargo bench --bench dedup_store -- embedded 10000000 /path/to/state
//!   cargo bench --bench dedup_store -- redis 1000000 redis://127.0.0.1:16379/
//!
//! Fingerprints are synthetic (the store's cost does not depend on the
//! text): random anchors and sketches, one anchor in sixteen drawn from a
//! small pool of "stock phrases" so posting caps are exercised.

use std::time::{Duration, Instant};

use zhaoshang::config::{DedupBackend, DedupConfig, RedisFailurePolicy};
use zhaoshang::dedup::{self, DedupKey, Fingerprint, Verdict};

fn synthetic(rng: &mut fastrand::Rng) -> Fingerprint {
    let mut exact = [0u8; 32];
    exact.iter_mut().for_each(|b| *b = rng.u8(..));
    let mut anchors: Vec<u64> = (0..16).map(|i| if i == 0 { rng.u64(..1000) } else { rng.u64(..) }).collect();
    anchors.sort_unstable();
    let mut sketch: Vec<u32> = (0..128).map(|_| rng.u32(..)).collect();
    sketch.sort_unstable();
    let mut figure_sketch: Vec<u32> = (0..10).map(|_| rng.u32(..)).collect();
    figure_sketch.sort_unstable();
    Fingerprint { exact, shingles: 900, anchors, sketch, figures: 10, figure_sketch, years: vec![2025] }
}

fn key(id: &str, now: i64) -> DedupKey<'_> {
    DedupKey { article_id: id, origin: None, seen_at_unix: now }
}

struct Latencies(Vec<Duration>);

impl Latencies {
    fn report(&mut self, what: &str, total: Duration) {
        self.0.sort_unstable();
        let p = |q: f64| self.0[((self.0.len() as f64 * q) as usize).min(self.0.len() - 1)];
        println!(
            "{what}: {} ops in {:.1} s = {:.0} ops/s; p50 {:?} p99 {:?} p99.9 {:?} max {:?}",
            self.0.len(),
            total.as_secs_f64(),
            self.0.len() as f64 / total.as_secs_f64(),
            p(0.5),
            p(0.99),
            p(0.999),
            self.0.last().copied().unwrap_or_default()
        );
    }
}

fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn dir_size(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p).map_or(0, |d| d.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
}

/// Fingerprinting cost on our own fixture articles (CPU per article, not
/// store cost).
fn fingerprint_speed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dedup");
    let mut texts: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).filter_map(|e| std::fs::read_to_string(e.path()).ok()).collect())
        .unwrap_or_default();
    if texts.is_empty() {
        return;
    }
    // Article-sized inputs: each fixture four times over (~4 KB).
    texts.iter_mut().for_each(|t| *t = t.repeat(4));
    let bytes: usize = texts.iter().map(String::len).sum();
    let rounds = 200;
    let started = Instant::now();
    for _ in 0..rounds {
        for t in &texts {
            std::hint::black_box(dedup::fingerprint(t));
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fingerprint: {:.1} MB/s, {:.0} µs per {} B article",
        (bytes * rounds) as f64 / secs / 1e6,
        secs * 1e6 / (texts.len() * rounds) as f64,
        bytes / texts.len()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let backend = args.first().map(String::as_str).unwrap_or("embedded");
    let n: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let target = args.get(2).cloned().unwrap_or_else(|| "./bench-dedup-state".into());
    let queries: u64 = (n / 10).clamp(1, 200_000);
    let cfg = DedupConfig {
        backend: if backend == "redis" { DedupBackend::Redis } else { DedupBackend::Embedded },
        path: target.clone().into(),
        window_days: 30,
        redis_url: target.clone(),
        redis_key_prefix: format!("zhaoshang-bench:{}", std::process::id()),
        redis_failure_policy: RedisFailurePolicy::Fail,
        redis_timeout_ms: 5000,
        near_threshold: 0.5,
    };
    let store = dedup::open(&cfg).expect("open store");
    let now = chrono::Utc::now().timestamp();
    let mut rng = fastrand::Rng::with_seed(42);

    fingerprint_speed();
    println!("backend {backend}, {n} fingerprints, {queries} queries of each kind");
    let mut lat = Latencies(Vec::with_capacity(n as usize));
    let started = Instant::now();
    for i in 0..n {
        let fp = synthetic(&mut rng);
        let id = i.to_string();
        let t = Instant::now();
        let v = store.check_and_insert(&fp, &key(&id, now)).expect("insert");
        lat.0.push(t.elapsed());
        debug_assert_eq!(v, Verdict::Unique);
        if i % 1_000_000 == 999_999 {
            eprintln!("  {} inserted, {:.0} s, rss {} MiB", i + 1, started.elapsed().as_secs_f64(), peak_rss_bytes() >> 20);
        }
    }
    store.flush().expect("flush");
    lat.report("insert (unique, check+insert)", started.elapsed());

    // Lookups of stored fingerprints (exact hits) and of near copies
    // (same anchors and sketch, other content hash: candidates verified).
    for kind in ["exact-duplicate lookup", "near-duplicate lookup"] {
        let mut replay = fastrand::Rng::with_seed(42);
        let stride = (n / queries).max(1);
        let mut lat = Latencies(Vec::with_capacity(queries as usize));
        let mut found = 0u64;
        let started = Instant::now();
        for i in 0..n {
            let mut fp = synthetic(&mut replay);
            if i % stride != 0 {
                continue;
            }
            if kind.starts_with("near") {
                fp.exact[0] ^= 0xff;
            }
            let t = Instant::now();
            let v = store.check_and_insert(&fp, &key("q", now)).expect("lookup");
            lat.0.push(t.elapsed());
            found += matches!(v, Verdict::Duplicate { .. }) as u64;
        }
        lat.report(kind, started.elapsed());
        println!("  {found} of {} found as duplicates", lat.0.len());
    }
    let len = store.len().expect("len");
    drop(store);
    println!("entries {len}; peak RSS {} MiB", peak_rss_bytes() >> 20);
    if backend != "redis" {
        println!("on disk {} MiB ({target})", dir_size(std::path::Path::new(&target)) >> 20);
    }
}
