//! Throughput of the pure pipeline (decode → normalize → extract, no dedup
//! store) on one thread, over the dev corpus replicated to at least 50 MB.
//!
//! Why replicate: per-article costs (HTML parse, region index lookups) only
//! show their steady state over many articles, and 50 MB keeps one pass long
//! enough that timer noise and warm caches do not flatter the figure.
//! `scripts/bench-pipeline.sh` runs this and prints MB/s and articles/s.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

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

fn bench_pipeline(c: &mut Criterion) {
    let dir = corpus_dir();
    let articles = load_articles(&dir);
    assert!(!articles.is_empty(), "no articles in {}", dir.display());
    let one_pass: usize = articles.iter().map(|(_, b)| b.len()).sum();
    let copies = TARGET_BYTES.div_ceil(one_pass);
    let inputs: Vec<(String, &[u8])> = (0..copies)
        .flat_map(|n| articles.iter().map(move |(id, b)| (format!("{id}-{n}"), b.as_slice())))
        .collect();
    let total_bytes: usize = inputs.iter().map(|(_, b)| b.len()).sum();
    // Read by scripts/bench-pipeline.sh to turn bytes/s into articles/s.
    println!("corpus: {} articles, {} bytes ({} copies of {})", inputs.len(), total_bytes, copies, dir.display());

    let pipeline = Pipeline::new(DecodeLimits::default()).expect("pipeline");
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Bytes(total_bytes as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("prepare_extract", |b| {
        b.iter(|| {
            let mut events = 0usize;
            for (id, bytes) in &inputs {
                let mut timings = StageTimings::default();
                if let Ok(prepared) = pipeline.prepare(bytes, Some(id), &mut timings) {
                    events += pipeline.extract(&prepared).len();
                }
            }
            black_box(events)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_pipeline);
criterion_main!(benches);
