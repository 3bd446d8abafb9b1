//! Throughput of the pure pipeline (decode → normalize → extract, no dedup
//! store) on one thread, over the dev corpus replicated to at least 50 MB.
//!
//! Why replicate: per-article costs (HTML parse, region index lookups) only
//! show their steady state over many articles, and 50 MB keeps one pass long
//! enough that timer noise and warm caches do not flatter the figure.
//! `scripts/bench-pipeline.sh` runs this and prints MB/s and articles/s.
//!
//! `--one-pass` (after `--`) skips criterion and times a single pass with a
//! per-stage split: criterion needs ten passes, too long while the pipeline
//! is far below its target, and the split says where the time goes.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};

use zhaoshang::decode::DecodeLimits;
use zhaoshang::pipeline::{Pipeline, StageTimings};

const TARGET_BYTES: usize = 50 * 1024 * 1024;

/// The dev corpus when the shared tree is present, else the bundled samples.
fn corpus_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dev = root.join("../shared/corpus/dev");
    if dev.is_dir() {
        dev
    } else {
        root.join("samples")
    }
}

/// Article files only (the gold and source lists are not articles).
fn load_articles(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "txt" | "html" | "htm")))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let id = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
            (id, bytes)
        })
        .collect()
}

/// The corpus replicated to at least [`TARGET_BYTES`]; ids differ per copy.
struct Inputs {
    items: Vec<(String, Vec<u8>)>,
    total_bytes: usize,
}

fn load_inputs() -> Inputs {
    let dir = corpus_dir();
    let articles = load_articles(&dir);
    assert!(!articles.is_empty(), "no articles in {}", dir.display());
    let one_pass: usize = articles.iter().map(|(_, b)| b.len()).sum();
    let copies = TARGET_BYTES.div_ceil(one_pass);
    let items: Vec<(String, Vec<u8>)> = (0..copies)
        .flat_map(|n| articles.iter().map(move |(id, b)| (format!("{id}-{n}"), b.clone())))
        .collect();
    let total_bytes = items.iter().map(|(_, b)| b.len()).sum();
    // Read by scripts/bench-pipeline.sh to turn bytes/s into articles/s.
    println!("corpus: {} articles, {} bytes ({} copies of {})", items.len(), total_bytes, copies, dir.display());
    Inputs { items, total_bytes }
}

fn pipeline() -> Pipeline {
    Pipeline::new(DecodeLimits::default()).expect("pipeline")
}

/// One pass; returns the events found so the work cannot be optimised away.
fn run_pass(pipeline: &Pipeline, inputs: &Inputs, split: &mut [Duration; 3]) -> usize {
    let mut events = 0usize;
    for (id, bytes) in &inputs.items {
        let mut timings = StageTimings::default();
        let prepared = pipeline.prepare(bytes, Some(id), &mut timings);
        split[0] += timings.decode;
        split[1] += timings.normalize;
        if let Ok(prepared) = prepared {
            let t = Instant::now();
            events += black_box(pipeline.extract(&prepared)).len();
            split[2] += t.elapsed();
        }
    }
    events
}

fn bench_pipeline(c: &mut Criterion) {
    let inputs = load_inputs();
    let pipeline = pipeline();
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Bytes(inputs.total_bytes as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("prepare_extract", |b| {
        b.iter(|| {
            let mut split = [Duration::ZERO; 3];
            black_box(run_pass(&pipeline, &inputs, &mut split))
        })
    });
    group.finish();
}

/// Prints the lines scripts/bench-pipeline.sh reads: `pass:` and `stage:`.
fn one_pass() {
    let inputs = load_inputs();
    let pipeline = pipeline();
    let mut split = [Duration::ZERO; 3];
    let cpu_before = cpu_time();
    let t = Instant::now();
    let events = run_pass(&pipeline, &inputs, &mut split);
    let elapsed = t.elapsed();
    println!("pass: {:.3} s, {events} events", elapsed.as_secs_f64());
    // On a shared machine the wall clock counts time other processes held
    // the core; CPU time is what one idle core would take.
    if let (Some(a), Some(b)) = (cpu_before, cpu_time()) {
        println!("cpu: {:.3} s", (b - a).as_secs_f64());
    }
    for (name, d) in ["decode", "normalize", "extract"].iter().zip(split) {
        println!("stage: {name} {:.3} s", d.as_secs_f64());
    }
}

/// Time this thread has run on a CPU (Linux `schedstat`, nanoseconds).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

criterion_group!(benches, bench_pipeline);

fn main() {
    if std::env::args().any(|a| a == "--one-pass") {
        one_pass();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
