//! Runs the pure pipeline (prepare + extract) over a directory's articles a
//! given number of times, for instruction-count profiling under
//! `valgrind --tool=callgrind`: the criterion bench replicates to 50 MB,
//! which is too long at callgrind's ~50× slowdown.
//!
//! Usage: cargo run --release --example profile_pipeline -- DIR [PASSES]

use std::path::PathBuf;

use zhaoshang::decode::DecodeLimits;
use zhaoshang::pipeline::{Pipeline, StageTimings};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: profile_pipeline DIR [PASSES]")?);
    let passes: usize = args.next().map(|p| p.parse()).transpose()?.unwrap_or(1);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "txt" | "html" | "htm")))
        .collect();
    paths.sort();
    let inputs: Vec<(String, Vec<u8>)> = paths
        .iter()
        .map(|p| Ok((p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(), std::fs::read(p)?)))
        .collect::<Result<_, std::io::Error>>()?;
    let bytes: usize = inputs.iter().map(|(_, b)| b.len()).sum();
    let pipeline = Pipeline::new(DecodeLimits::default())?;
    let mut events = 0usize;
    for _ in 0..passes {
        for (id, b) in &inputs {
            let mut timings = StageTimings::default();
            if let Ok(prepared) = pipeline.prepare(b, Some(id), &mut timings) {
                events += std::hint::black_box(pipeline.extract(&prepared)).len();
            }
        }
    }
    println!("{} articles, {bytes} bytes, {passes} passes, {events} events", inputs.len());
    Ok(())
}
