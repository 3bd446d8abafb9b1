//! `zhaoshang process`: the pipeline over files, directories, JSON-lines
//! envelopes or stdin, with no Kafka. Same core as the daemon, so what a
//! user sees here is what the daemon emits.

use std::fs;
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};

use crate::dedup::DedupStore;
use crate::event::{OutcomeKind, SourceRef};
use crate::pipeline::{Pipeline, StoreFailure};

/// One input message, however it arrived.
pub struct Input {
    pub id_hint: Option<String>,
    pub bytes: Vec<u8>,
    pub source: SourceRef,
}

#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path} is neither a file nor a directory")]
    NotFound { path: PathBuf },
    #[error("cannot write output: {0}")]
    Write(#[from] io::Error),
    #[error("dedup store failed: {0}")]
    Dedup(#[from] crate::dedup::DedupError),
}

/// Counts for the one-line summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub inputs: u64,
    pub events: u64,
    pub by_outcome: [u64; 4],
}

impl Summary {
    fn add(&mut self, outcome: OutcomeKind, events: usize) {
        self.inputs += 1;
        self.events += events as u64;
        let i = OutcomeKind::ALL.iter().position(|k| *k == outcome).unwrap_or(0);
        self.by_outcome[i] += 1;
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} inputs, {} events", self.inputs, self.events)?;
        for (k, n) in OutcomeKind::ALL.iter().zip(self.by_outcome) {
            write!(f, ", {} {}", n, k.as_str())?;
        }
        Ok(())
    }
}

/// Files with these extensions are articles when found in a directory.
const ARTICLE_EXTENSIONS: [&str; 3] = ["txt", "html", "htm"];

/// Expand the command-line paths into a list of sources, in order.
/// Directories contribute their article files sorted by name; `.jsonl`
/// files are read only when named explicitly.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, OfflineError> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(p.clone());
            continue;
        }
        let meta = fs::metadata(p).map_err(|_| OfflineError::NotFound { path: p.clone() })?;
        if meta.is_dir() {
            let mut files: Vec<PathBuf> = fs::read_dir(p)
                .map_err(|e| OfflineError::Read { path: p.clone(), source: e })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && has_extension(f, &ARTICLE_EXTENSIONS))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn has_extension(p: &Path, exts: &[&str]) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Read one expanded path into inputs (a `.jsonl` file or stdin gives one
/// input per line when it looks like JSON lines, else the whole is one article).
pub fn read_inputs(path: &Path) -> Result<Vec<Input>, OfflineError> {
    let display = path.display().to_string();
    let read_err = |e| OfflineError::Read { path: path.to_owned(), source: e };
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        io::stdin().lock().read_to_end(&mut bytes).map_err(read_err)?;
        if looks_like_json_lines(&bytes) {
            return Ok(split_lines(&bytes, "-"));
        }
        return Ok(vec![Input { id_hint: Some("stdin".into()), bytes, source: SourceRef::File { path: "-".into(), line: None } }]);
    }
    if has_extension(path, &["jsonl", "ndjson"]) {
        let f = fs::File::open(path).map_err(read_err)?;
        let mut out = Vec::new();
        for (n, line) in io::BufReader::new(f).split(b'\n').enumerate() {
            let line = line.map_err(read_err)?;
            if line.trim_ascii().is_empty() {
                continue;
            }
            out.push(line_input(line, &display, n as u64 + 1));
        }
        return Ok(out);
    }
    let bytes = fs::read(path).map_err(read_err)?;
    let id = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    Ok(vec![Input { id_hint: id, bytes, source: SourceRef::File { path: display, line: None } }])
}

fn looks_like_json_lines(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().first() == Some(&b'{')
        && bytes.split(|&b| b == b'\n').filter(|l| !l.trim_ascii().is_empty()).all(|l| l.trim_ascii().first() == Some(&b'{'))
        && bytes.split(|&b| b == b'\n').filter(|l| !l.trim_ascii().is_empty()).count() > 1
}

fn split_lines(bytes: &[u8], path: &str) -> Vec<Input> {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.trim_ascii().is_empty())
        .map(|(n, l)| line_input(l.to_vec(), path, n as u64 + 1))
        .collect()
}

fn line_input(bytes: Vec<u8>, path: &str, line: u64) -> Input {
    let stem = Path::new(path).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    Input { id_hint: Some(format!("{stem}:{line}")), bytes, source: SourceRef::File { path: path.to_owned(), line: Some(line) } }
}

/// Run the pipeline over every input, writing events and outcome records
/// as JSON lines. Rejected inputs are outcomes, not errors.
pub fn process_all(
    pipeline: &Pipeline,
    store: &dyn DedupStore,
    paths: &[PathBuf],
    events_out: &mut dyn Write,
    mut outcomes_out: Option<&mut dyn Write>,
    mut on_input: impl FnMut(&Summary),
) -> Result<Summary, OfflineError> {
    let mut summary = Summary::default();
    let now = chrono::Utc::now().timestamp();
    for path in expand_paths(paths)? {
        for input in read_inputs(&path)? {
            let done = pipeline.process(&input.bytes, input.id_hint.as_deref(), Some(input.source), store, StoreFailure::Fail, now)?;
            for ev in &done.events {
                serde_json::to_writer(&mut *events_out, ev).map_err(io::Error::other)?;
                events_out.write_all(b"\n")?;
            }
            if let Some(out) = outcomes_out.as_deref_mut() {
                serde_json::to_writer(&mut *out, &done.outcome).map_err(io::Error::other)?;
                out.write_all(b"\n")?;
            }
            summary.add(done.outcome.outcome, done.events.len());
            on_input(&summary);
        }
    }
    events_out.flush()?;
    if let Some(out) = outcomes_out {
        out.flush()?;
    }
    Ok(summary)
}
