//! Store scale benchmark: insert N fingerprints into one backend, then
//! query it, printing throughput, latency percentiles, RSS, and size on
//! disk (embedded) or Redis `used_memory`. Run by scripts/bench-dedup.sh,
//! one process per backend so the peak RSS is the backend's own.
//!
//!   cargo bench --bench dedup_store -- embedded 10000000 /path/to/state [THREADS]
//!   cargo bench --bench dedup_store -- redis 10000000 redis://127.0.0.1:16479/ [THREADS]
//!
//! Fingerprints are synthetic but shaped like real ones (printed first,
//! from the fixture articles or from the directory in
//! `ZHAOSHANG_BENCH_TEXTS`): a bottom-128 sketch of 400–4000 shingles whose
//! first 32 values are the anchors' top halves, 3–40 figures, 1–3 years,
//! and the smallest anchor of one article in four drawn from 2 000 "stock
//! phrases" so posting caps are exercised. THREADS clients share the store
//! (default 1 for embedded, whose steps are serial anyway; 8 for Redis).
//! With `ZHAOSHANG_BENCH_EXPLAIN=1` each phase also says what its slowest
//! 1 % did that the rest did not (page faults, context switches, reads).
//! With `ZHAOSHANG_BENCH_PRELOAD=1` the embedded store's files are read once
//! before the lookups, which then measure the store in the page cache.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use zhaoshang::config::{DedupBackend, DedupConfig, RedisFailurePolicy};
use zhaoshang::dedup::index::Entry;
use zhaoshang::dedup::{self, DedupKey, DedupStore, Fingerprint, Verdict};

/// The allocator `zhaoshang` itself runs with, so RSS is what a user sees
/// (glibc's per-thread arenas held ~420 MB at 3 M entries).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const STOCK_PHRASES: u64 = 2_000;

/// Fingerprint number `i` of stream `seed`: the same pair gives the same
/// fingerprint, so queries can replay inserts without keeping them.
fn synthetic(seed: u64, i: u64) -> Fingerprint {
    let mut rng = fastrand::Rng::with_seed(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ i);
    let mut exact = [0u8; 32];
    exact.iter_mut().for_each(|b| *b = rng.u8(..));
    let shingles = rng.u32(400..4000);
    // The 128 smallest of `shingles` uniform 64-bit hashes lie below about
    // 128/shingles of the range.
    let span = (u64::MAX / u64::from(shingles)).saturating_mul(140);
    let mut hashes: Vec<u64> = (0..128).map(|_| rng.u64(STOCK_PHRASES..span)).collect();
    if rng.u8(..4) == 0 {
        hashes[0] = rng.u64(..STOCK_PHRASES);
    }
    hashes.sort_unstable();
    let anchors = hashes[..32].to_vec();
    let sketch = hashes.iter().map(|h| (h >> 32) as u32).collect();
    let figures = rng.u32(3..40);
    let mut figure_sketch: Vec<u32> = (0..figures.min(48)).map(|_| rng.u32(..)).collect();
    figure_sketch.sort_unstable();
    let mut years: Vec<u16> = (0..rng.u16(1..4)).map(|_| rng.u16(2015..2027)).collect();
    years.sort_unstable();
    years.dedup();
    Fingerprint { exact, shingles, anchors, sketch, figures, figure_sketch, years }
}

fn article_id(seed: u64, i: u64) -> String {
    format!("art-{seed}-{i:012}")
}

/// Latencies in nanoseconds (u32: 40 MB at 10 M, not 160 as Durations).
struct Latencies(Vec<u32>);

impl Latencies {
    fn push(&mut self, d: Duration) {
        self.0.push(u32::try_from(d.as_nanos()).unwrap_or(u32::MAX));
    }

    fn report(mut self, what: &str, total: Duration, threads: usize, cpu: f64) {
        self.0.sort_unstable();
        let n = self.0.len().max(1);
        let p = |q: f64| Duration::from_nanos(u64::from(self.0.get(((n as f64 * q) as usize).min(n - 1)).copied().unwrap_or(0)));
        println!(
            "{what}: {} ops, {threads} thread(s), {:.1} s = {:.0} ops/s; CPU {:.1} s = {:.0} µs/op; p50 {:?} p99 {:?} p99.9 {:?} max {:?}",
            self.0.len(),
            total.as_secs_f64(),
            self.0.len() as f64 / total.as_secs_f64(),
            cpu,
            cpu * 1e6 / n as f64,
            p(0.5),
            p(0.99),
            p(0.999),
            p(1.0)
        );
    }
}

fn rss_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse().ok()).unwrap_or(0)
}

/// User + system CPU seconds of this process (all threads: the store's
/// background workers included); the machine is shared, so this is the
/// figure to compare, wall-clock throughput is noisy.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn rss() -> String {
    format!("RSS {} MiB (peak {} MiB)", rss_kib("VmRSS:") >> 10, rss_kib("VmHWM:") >> 10)
}

/// Every file under `p`, with its size.
fn files(p: &std::path::Path) -> Vec<(std::path::PathBuf, u64)> {
    let Ok(d) = std::fs::read_dir(p) else { return Vec::new() };
    d.filter_map(Result::ok)
        .flat_map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => files(&e.path()),
            Ok(m) => vec![(e.path(), m.len())],
            Err(_) => Vec::new(),
        })
        .collect()
}

fn dir_size(p: &std::path::Path) -> u64 {
    files(p).iter().map(|(_, len)| len).sum()
}

/// Read the whole store once, so lookups measure the store with its files
/// in the page cache (as on a host with memory to spare for it) rather than
/// whatever share of them the OS kept.
fn preload(p: &std::path::Path) {
    let started = Instant::now();
    let bytes: u64 = files(p).iter().filter_map(|(f, _)| std::fs::File::open(f).ok()).filter_map(|mut f| std::io::copy(&mut f, &mut std::io::sink()).ok()).sum();
    println!("preloaded {:.2} GB of store files in {:.1} s", bytes as f64 / 1e9, started.elapsed().as_secs_f64());
}

fn redis_memory(url: &str) -> String {
    let info: redis::RedisResult<String> = redis::Client::open(url).and_then(|c| c.get_connection()).and_then(|mut c| redis::cmd("INFO").arg("memory").query(&mut c));
    let info = info.unwrap_or_default();
    let field = |name: &str| info.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_owned()).unwrap_or_default();
    format!("redis used_memory {} ({}), peak {}", field("used_memory:"), field("used_memory_human:"), field("used_memory_peak_human:"))
}

/// Sizes of real fingerprints (fixture articles, or `ZHAOSHANG_BENCH_TEXTS`)
/// next to the synthetic ones, and the fingerprinting cost.
fn real_fingerprints() {
    let dir = std::env::var_os("ZHAOSHANG_BENCH_TEXTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dedup"));
    let texts: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).filter_map(|e| std::fs::read_to_string(e.path()).ok()).collect())
        .unwrap_or_default();
    if texts.is_empty() {
        return;
    }
    let record = |fp: &Fingerprint| {
        let mut fp = fp.clone();
        fp.anchors.truncate(dedup::fingerprint::INDEXED_ANCHORS);
        Entry { article_id: "art-1-000000000001".into(), origin: None, stamp_unix: 1_763_000_000, fp }.encode().len()
    };
    let median = |mut v: Vec<usize>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    let fps: Vec<Fingerprint> = texts.iter().map(|t| dedup::fingerprint(t)).collect();
    println!(
        "real fingerprints ({} texts in {}): median shingles {}, figures {}, years {}, record {} B",
        fps.len(),
        dir.display(),
        median(fps.iter().map(|f| f.shingles as usize).collect()),
        median(fps.iter().map(|f| f.figures as usize).collect()),
        median(fps.iter().map(|f| f.years.len()).collect()),
        median(fps.iter().map(record).collect()),
    );
    let synth: Vec<Fingerprint> = (0..1000).map(|i| synthetic(1, i)).collect();
    println!(
        "synthetic fingerprints: median shingles {}, figures {}, years {}, record {} B",
        median(synth.iter().map(|f| f.shingles as usize).collect()),
        median(synth.iter().map(|f| f.figures as usize).collect()),
        median(synth.iter().map(|f| f.years.len()).collect()),
        median(synth.iter().map(record).collect()),
    );
    let bytes: usize = texts.iter().map(String::len).sum();
    let rounds = 20;
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

fn thread_cpu_ns() -> i64 {
    // SAFETY: clock_gettime writes one timespec, which we own.
    let t = unsafe {
        let mut t: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t);
        t
    };
    t.tv_sec * 1_000_000_000 + t.tv_nsec
}

/// What one thread spent besides wall time, from `getrusage(RUSAGE_THREAD)`
/// and `/proc/thread-self/io`: read around each operation (outside its
/// timing) when `ZHAOSHANG_BENCH_EXPLAIN` is set, to tell what the slow
/// ones did that the others did not.
#[derive(Clone, Copy, Default)]
struct Costs {
    /// Time on a CPU, ns, read right around the operation (not by
    /// `Costs::now`): an operation slow on the wall but not on the CPU
    /// waited (a read, a lock, the scheduler, or on a VM the hypervisor,
    /// whose steal the guest does not count).
    cpu_ns: i64,
    minor_faults: i64,
    major_faults: i64,
    voluntary_switches: i64,
    involuntary_switches: i64,
    read_calls: i64,
    read_bytes: i64,
    /// Of those, bytes the thread had to fetch from storage: page cache misses.
    storage_bytes: i64,
}

impl Costs {
    fn now() -> Costs {
        // SAFETY: getrusage writes one rusage struct, which we own.
        let usage = unsafe {
            let mut u: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_THREAD, &mut u);
            u
        };
        let io = std::fs::read_to_string("/proc/thread-self/io").unwrap_or_default();
        let field = |name: &str| io.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
        Costs {
            cpu_ns: 0,
            minor_faults: usage.ru_minflt,
            major_faults: usage.ru_majflt,
            voluntary_switches: usage.ru_nvcsw,
            involuntary_switches: usage.ru_nivcsw,
            read_calls: field("syscr:"),
            read_bytes: field("rchar:"),
            storage_bytes: field("read_bytes:"),
        }
    }

    fn zip(self, other: Costs, f: impl Fn(i64, i64) -> i64) -> Costs {
        Costs {
            cpu_ns: f(self.cpu_ns, other.cpu_ns),
            minor_faults: f(self.minor_faults, other.minor_faults),
            major_faults: f(self.major_faults, other.major_faults),
            voluntary_switches: f(self.voluntary_switches, other.voluntary_switches),
            involuntary_switches: f(self.involuntary_switches, other.involuntary_switches),
            read_calls: f(self.read_calls, other.read_calls),
            read_bytes: f(self.read_bytes, other.read_bytes),
            storage_bytes: f(self.storage_bytes, other.storage_bytes),
        }
    }

    fn since(self, before: Costs) -> Costs {
        self.zip(before, |a, b| a - b)
    }

    /// What taking `Costs::now` itself adds (the io file's own read): each
    /// field's least over a few tries.
    fn overhead() -> Costs {
        let gaps = (0..20).map(|_| Costs::now()).collect::<Vec<_>>().windows(2).map(|w| w[1].since(w[0])).collect::<Vec<_>>();
        gaps.into_iter().reduce(|a, b| a.zip(b, i64::min)).unwrap_or_default()
    }

    fn fields(self) -> [i64; 7] {
        [self.minor_faults, self.major_faults, self.voluntary_switches, self.involuntary_switches, self.read_calls, self.read_bytes, self.storage_bytes]
    }
}

/// For the operations at or above p99 and those below it: mean time on the
/// wall and on a CPU, the share that had each kind of cost, and its mean.
fn explain(mut ops: Vec<(u32, Costs)>) {
    if ops.is_empty() {
        return;
    }
    ops.sort_unstable_by_key(|(ns, _)| *ns);
    let cut = (ops.len() as f64 * 0.99) as usize;
    let names = ["minor faults", "major faults", "voluntary switches", "involuntary switches", "read calls", "bytes read", "bytes from storage"];
    for (label, part) in [("  below p99", &ops[..cut]), ("  p99 and up", &ops[cut..])] {
        let n = part.len().max(1) as f64;
        let described: Vec<String> = (0..names.len())
            .map(|k| {
                let with = part.iter().filter(|(_, c)| c.fields()[k] > 0).count() as f64;
                let sum: i64 = part.iter().map(|(_, c)| c.fields()[k]).sum();
                format!("{} {:.1} % (mean {:.2})", names[k], with * 100.0 / n, sum as f64 / n)
            })
            .collect();
        let wall: f64 = part.iter().map(|(ns, _)| f64::from(*ns)).sum::<f64>() / n / 1e3;
        let cpu: f64 = part.iter().map(|(_, c)| c.cpu_ns as f64).sum::<f64>() / n / 1e3;
        println!("{label} ({} ops): mean {wall:.1} µs, {cpu:.1} µs of it on a CPU; {}", part.len(), described.join(", "));
    }
}

/// Run `op` on `make(i)` for i in 0..n over `threads` clients; latencies
/// of all. Only `op` is timed: making the fingerprint is not the store's.
fn run(n: u64, threads: usize, make: &(dyn Fn(u64) -> (Fingerprint, String) + Sync), op: &(dyn Fn(&Fingerprint, &str) -> Verdict + Sync), progress: bool) -> (Latencies, Duration, f64, u64) {
    let overhead = std::env::var_os("ZHAOSHANG_BENCH_EXPLAIN").map(|_| Costs::overhead());
    let cpu = cpu_seconds();
    let next = AtomicU64::new(0);
    let found = AtomicU64::new(0);
    let started = Instant::now();
    let step = (n / 10).max(1);
    let parts: Vec<(Vec<u32>, Vec<(u32, Costs)>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut lat = Latencies(Vec::with_capacity((n as usize / threads) + 16));
                    let mut costs = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        let (fp, id) = make(i);
                        let probe = overhead.map(|o| (o, Costs::now(), thread_cpu_ns()));
                        let t = Instant::now();
                        let v = op(&fp, &id);
                        lat.push(t.elapsed());
                        if let Some((overhead, before, cpu)) = probe {
                            let cpu_ns = thread_cpu_ns() - cpu;
                            costs.push((lat.0.last().copied().unwrap_or(0), Costs { cpu_ns, ..Costs::now().since(before).since(overhead) }));
                        }
                        if matches!(v, Verdict::Duplicate { .. }) {
                            found.fetch_add(1, Ordering::Relaxed);
                        }
                        if progress && i % step == step - 1 {
                            eprintln!("  {} done, {:.0} s, CPU {:.0} s, {}", i + 1, started.elapsed().as_secs_f64(), cpu_seconds() - cpu, rss());
                        }
                    }
                    (lat.0, costs)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("bench thread")).collect()
    });
    let (lat, costs): (Vec<Vec<u32>>, Vec<Vec<(u32, Costs)>>) = parts.into_iter().unzip();
    explain(costs.concat());
    (Latencies(lat.concat()), started.elapsed(), cpu_seconds() - cpu, found.load(Ordering::Relaxed))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let backend = args.first().map(String::as_str).unwrap_or("embedded");
    let n: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let target = args.get(2).cloned().unwrap_or_else(|| "./bench-dedup-state".into());
    let threads: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(if backend == "redis" { 8 } else { 1 }).max(1);
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

    // The stores' own warnings (a failed sync, the compaction watch
    // stepping in) on stderr, as the daemon would log them.
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(tracing::Level::WARN).init();
    real_fingerprints();
    println!("before opening the store: {}", rss());
    let store: Box<dyn DedupStore> = dedup::open(&cfg).expect("open store");
    let now = chrono::Utc::now().timestamp();
    let check = |fp: &Fingerprint, id: &str| store.check_and_insert(fp, &DedupKey { article_id: id, origin: None, seen_at_unix: now }).expect("dedup store");
    println!("backend {backend}, {n} fingerprints, {queries} queries of each kind");

    // A store kept from an earlier run with this N already holds stream 1:
    // measure lookups only (a 10 M insert phase takes hours here).
    let held = store.len().expect("len");
    // Lookups before the key filter is rebuilt read the tree for every key:
    // measure the store as it runs once warm, and say how long that took.
    let opened = Instant::now();
    while store.warming_up() {
        std::thread::sleep(Duration::from_millis(100));
    }
    if held > 0 {
        println!("key filter rebuilt over {held} entries in {:.1} s; {}", opened.elapsed().as_secs_f64(), rss());
    }
    if held >= n {
        println!("the store already holds {held} entries: insert phase skipped; {}", rss());
    } else {
        let (lat, took, cpu, dups) = run(n, threads, &|i| (synthetic(1, i), article_id(1, i)), &check, true);
        store.flush().expect("flush");
        lat.report("insert (unseen: check finds nothing, inserts)", took, threads, cpu);
        println!("  {dups} of {n} taken for duplicates (random stock-phrase overlaps only)");
        println!("after inserting: {}", rss());
    }

    if backend == "embedded" && std::env::var_os("ZHAOSHANG_BENCH_PRELOAD").is_some() {
        preload(std::path::Path::new(&target));
    }
    // Lookups ask for stored articles in random order, exact ones from the
    // first half of the ids, near ones from the second, so that no lookup
    // finds its record in the block cache because a neighbour's read it
    // (a block holds several records of consecutive ids).
    let half = (n / 2).max(1);
    let pick = |i: u64| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 1) % half;
    let exact = |i: u64| (synthetic(1, pick(i)), "q".to_owned());
    let near = |i: u64| {
        let mut fp = synthetic(1, half + pick(i));
        fp.exact[0] ^= 0xff;
        (fp, "q".to_owned())
    };
    let kinds: [(&str, &(dyn Fn(u64) -> (Fingerprint, String) + Sync)); 2] = [("exact-duplicate lookup", &exact), ("near-duplicate lookup", &near)];
    for (kind, make) in kinds {
        let (lat, took, cpu, found) = run(queries, threads, make, &check, false);
        lat.report(kind, took, threads, cpu);
        println!("  {found} of {queries} found as duplicates");
    }
    // Unseen fingerprints at full size: the common case in a stream.
    // A fresh stream per run, so a repeated run on a kept store still misses.
    let miss_seed = if held >= n { 2 + u64::from(std::process::id()) } else { 2 };
    let (lat, took, cpu, dups) = run(queries, threads, &|i| (synthetic(miss_seed, i), article_id(miss_seed, i)), &check, false);
    store.flush().expect("flush");
    lat.report("miss (unseen at full size: check finds nothing, inserts)", took, threads, cpu);
    println!("  {dups} of {queries} taken for duplicates");

    let len = store.len().expect("len");
    drop(store);
    println!("entries {len}; {}", rss());
    if backend == "redis" {
        println!("{}", redis_memory(&target));
    } else {
        let bytes = dir_size(std::path::Path::new(&target));
        println!("on disk {} MiB, {:.0} B per entry ({target})", bytes >> 20, bytes as f64 / len.max(1) as f64);
    }
}
