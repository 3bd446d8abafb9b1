//! `zhaoshang process`: the pipeline over files, directories, JSON-lines
//! envelopes or stdin, with no Kafka. Same core as the daemon, so what a
//! user sees here is what the daemon emits.
//!
//! Inputs are streamed: a directory is listed (names and sizes only) and
//! each file is read when its turn comes; a `.jsonl` file or JSON lines on
//! stdin are read one line at a time. Memory stays bounded by the largest
//! single input, whatever the size of the run.

use std::fs;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{Config, DedupBackend};
use crate::decode::DecodeLimits;
use crate::dedup::DedupStore;
use crate::event::{OutcomeKind, SourceRef};
use crate::pipeline::{Pipeline, StoreFailure};

/// Command-line arguments of `zhaoshang process`, kept beside the code that
/// runs them so `main.rs` stays a dispatcher.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProcessArgs {
    /// Files (.txt, .html, .htm), directories of them, JSON-lines envelope
    /// files (.jsonl, .ndjson), or `-` for stdin (one article, or JSON lines).
    #[arg(value_name = "PATH", default_value = "-")]
    pub paths: Vec<PathBuf>,
    /// Write events to FILE instead of stdout (`-` means stdout).
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Write one outcome record per input to FILE (`-` means stdout).
    #[arg(long, value_name = "FILE")]
    pub outcomes: Option<PathBuf>,
    /// Dedup state directory (overrides dedup.path).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Remember nothing between runs: duplicates are found within this run only.
    #[arg(long, conflicts_with = "state")]
    pub no_state: bool,
}

/// One input message, however it arrived.
pub struct Input {
    pub id_hint: Option<String>,
    pub bytes: Vec<u8>,
    pub source: SourceRef,
}

#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("{path}: no such file or directory (each PATH must be a file, a directory or `-` for stdin)")]
    NotFound { path: PathBuf },
    #[error("{path} is neither a regular file nor a directory (each PATH must be a file, a directory or `-` for stdin)")]
    NotAFileOrDirectory { path: PathBuf },
    #[error("`-` (stdin) is given more than once; stdin can be read only once")]
    StdinTwice,
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot create the {what} file {path}: {source} (check that its directory exists and is writable)")]
    CreateOutput { what: &'static str, path: PathBuf, source: io::Error },
    #[error("cannot write {what} to {dest}: {source}")]
    Write { what: &'static str, dest: String, source: io::Error },
    #[error("cannot start the pipeline: {0}")]
    Pipeline(#[from] crate::extract::ExtractError),
    #[error("dedup store failed: {0}")]
    Dedup(#[from] crate::dedup::DedupError),
}

impl OfflineError {
    /// The reader went away (`zhaoshang process … | head`): not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, OfflineError::Write { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// Counts for the one-line summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub inputs: u64,
    pub events: u64,
    /// Indexed like [`OutcomeKind::ALL`].
    pub by_outcome: [u64; 4],
}

impl Summary {
    fn add(&mut self, outcome: OutcomeKind, events: usize) {
        self.inputs += 1;
        self.events += events as u64;
        let i = OutcomeKind::ALL.iter().position(|k| *k == outcome).unwrap_or(0);
        self.by_outcome[i] += 1;
    }

    pub fn count(&self, outcome: OutcomeKind) -> u64 {
        OutcomeKind::ALL.iter().position(|k| *k == outcome).map_or(0, |i| self.by_outcome[i])
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} inputs, {} events (", self.inputs, self.events)?;
        for (i, (k, n)) in OutcomeKind::ALL.iter().zip(self.by_outcome).enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{} {n}", k.as_str())?;
        }
        write!(f, ")")
    }
}

/// Files with these extensions are articles when found in a directory.
const ARTICLE_EXTENSIONS: [&str; 3] = ["txt", "html", "htm"];
/// Files with these extensions hold one JSON envelope per line.
const JSON_LINES_EXTENSIONS: [&str; 2] = ["jsonl", "ndjson"];

/// One command-line input, checked to exist before any work starts so a
/// typo in the last path does not surface after minutes of processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    Stdin,
    /// A single article file; `bytes` is its size, for the progress bar.
    Article { path: PathBuf, bytes: u64 },
    JsonLines { path: PathBuf, bytes: u64 },
}

/// Expand the command-line paths into the inputs to read, in order.
/// Directories contribute their article files sorted by name (not
/// recursing, and skipping `.jsonl` and anything else that is not an
/// article); files named explicitly are read whatever their extension.
pub fn plan(paths: &[PathBuf]) -> Result<Vec<Planned>, OfflineError> {
    let mut out = Vec::new();
    let mut stdin_seen = false;
    for p in paths {
        if p.as_os_str() == "-" {
            if stdin_seen {
                return Err(OfflineError::StdinTwice);
            }
            stdin_seen = true;
            out.push(Planned::Stdin);
            continue;
        }
        let meta = fs::metadata(p).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => OfflineError::NotFound { path: p.clone() },
            _ => OfflineError::Read { path: p.clone(), source: e },
        })?;
        if meta.is_dir() {
            let read_err = |e| OfflineError::Read { path: p.clone(), source: e };
            let mut files = Vec::new();
            for entry in fs::read_dir(p).map_err(read_err)? {
                let entry = entry.map_err(read_err)?;
                let path = entry.path();
                if !has_extension(&path, &ARTICLE_EXTENSIONS) {
                    continue;
                }
                // Follows symlinks, so a link to an article counts as one.
                match fs::metadata(&path) {
                    Ok(m) if m.is_file() => files.push(Planned::Article { path, bytes: m.len() }),
                    _ => continue,
                }
            }
            files.sort_by(|a, b| planned_path(a).cmp(&planned_path(b)));
            out.extend(files);
        } else if meta.is_file() {
            let bytes = meta.len();
            if has_extension(p, &JSON_LINES_EXTENSIONS) {
                out.push(Planned::JsonLines { path: p.clone(), bytes });
            } else {
                out.push(Planned::Article { path: p.clone(), bytes });
            }
        } else {
            return Err(OfflineError::NotAFileOrDirectory { path: p.clone() });
        }
    }
    Ok(out)
}

fn planned_path(p: &Planned) -> Option<&Path> {
    match p {
        Planned::Stdin => None,
        Planned::Article { path, .. } | Planned::JsonLines { path, .. } => Some(path),
    }
}

fn has_extension(p: &Path, exts: &[&str]) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Total size of the planned files, or `None` when stdin makes it unknowable.
fn total_bytes(plan: &[Planned]) -> Option<u64> {
    plan.iter()
        .map(|p| match p {
            Planned::Stdin => None,
            Planned::Article { bytes, .. } | Planned::JsonLines { bytes, .. } => Some(*bytes),
        })
        .sum()
}

/// Call `f` with each input of one planned source, in order, reading as it
/// goes. `f` gets the input and how many bytes of the source it consumed.
pub fn read_inputs(
    planned: &Planned,
    f: &mut dyn FnMut(Input, u64) -> Result<(), OfflineError>,
) -> Result<(), OfflineError> {
    match planned {
        Planned::Article { path, .. } => {
            let bytes = fs::read(path).map_err(|e| OfflineError::Read { path: path.clone(), source: e })?;
            let id = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            let n = bytes.len() as u64;
            let source = SourceRef::File { path: path.display().to_string(), line: None };
            f(Input { id_hint: id, bytes, source }, n)
        }
        Planned::JsonLines { path, .. } => {
            let file = fs::File::open(path).map_err(|e| OfflineError::Read { path: path.clone(), source: e })?;
            let origin = path.display().to_string();
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let mut reader = io::BufReader::new(file);
            for_each_line(&mut reader, Vec::new(), 0, &origin, &stem, f)
        }
        Planned::Stdin => read_stdin(&mut io::stdin().lock(), f),
    }
}

/// Stdin carries either one article or JSON lines. Decide from the first
/// non-blank line — a complete JSON object means JSON lines — so a stream
/// of envelopes is processed as it arrives instead of after EOF, while a
/// pretty-printed envelope or an HTML page is still read whole.
pub fn read_stdin(
    reader: &mut dyn BufRead,
    f: &mut dyn FnMut(Input, u64) -> Result<(), OfflineError>,
) -> Result<(), OfflineError> {
    let read_err = |e| OfflineError::Read { path: PathBuf::from("-"), source: e };
    let mut head = Vec::new();
    let mut lines_before = 0u64;
    loop {
        let start = head.len();
        if reader.read_until(b'\n', &mut head).map_err(read_err)? == 0 {
            break;
        }
        if !head[start..].trim_ascii().is_empty() {
            let first = &head[start..];
            if serde_json::from_slice::<serde::de::IgnoredAny>(first.trim_ascii()).is_ok()
                && first.trim_ascii_start().first() == Some(&b'{')
            {
                let first = first.to_vec();
                return for_each_line(reader, first, lines_before, "-", "stdin", f);
            }
            break;
        }
        lines_before += 1;
    }
    reader.read_to_end(&mut head).map_err(read_err)?;
    let n = head.len() as u64;
    f(Input { id_hint: Some("stdin".into()), bytes: head, source: SourceRef::File { path: "-".into(), line: None } }, n)
}

/// One input per non-blank line. `pending` is a line already read (by the
/// stdin sniffing) that comes after `skipped` lines.
fn for_each_line(
    reader: &mut dyn BufRead,
    pending: Vec<u8>,
    skipped: u64,
    origin: &str,
    stem: &str,
    f: &mut dyn FnMut(Input, u64) -> Result<(), OfflineError>,
) -> Result<(), OfflineError> {
    let read_err = |e| OfflineError::Read { path: PathBuf::from(origin), source: e };
    let mut line_no = skipped;
    let mut line = pending;
    loop {
        if line.is_empty() {
            if reader.read_until(b'\n', &mut line).map_err(read_err)? == 0 {
                return Ok(());
            }
        }
        line_no += 1;
        let consumed = line.len() as u64;
        let trimmed = line.trim_ascii();
        if !trimmed.is_empty() {
            let bytes = trimmed.to_vec();
            let input = Input {
                id_hint: Some(format!("{stem}:{line_no}")),
                bytes,
                source: SourceRef::File { path: origin.to_owned(), line: Some(line_no) },
            };
            f(input, consumed)?;
        }
        line.clear();
    }
}

/// Where events and outcome records go, as JSON lines.
pub struct Sinks<'a> {
    pub events: &'a mut dyn Write,
    pub events_dest: String,
    pub outcomes: Option<OutcomeSink<'a>>,
}

pub enum OutcomeSink<'a> {
    /// Interleaved with the events in their writer (both sent to stdout),
    /// so whole lines never mix.
    WithEvents,
    Separate(&'a mut dyn Write, String),
}

/// Run the pipeline over every planned input, writing events and outcome
/// records as JSON lines. Rejected inputs are outcomes, not errors.
/// `on_input` sees the running summary and the source bytes consumed so far.
pub fn process_planned(
    pipeline: &Pipeline,
    store: &dyn DedupStore,
    plan: &[Planned],
    sinks: &mut Sinks<'_>,
    mut on_input: impl FnMut(&Summary, u64),
) -> Result<Summary, OfflineError> {
    let mut summary = Summary::default();
    let mut consumed = 0u64;
    let now = chrono::Utc::now().timestamp();
    for planned in plan {
        read_inputs(planned, &mut |input, n| {
            let done = pipeline.process(&input.bytes, input.id_hint.as_deref(), Some(input.source), store, StoreFailure::Fail, now)?;
            for ev in &done.events {
                write_json_line(&mut *sinks.events, ev).map_err(|e| write_error("events", &sinks.events_dest, e))?;
            }
            match sinks.outcomes.as_mut() {
                Some(OutcomeSink::Separate(out, dest)) => {
                    write_json_line(&mut **out, &done.outcome).map_err(|e| write_error("outcomes", dest, e))?;
                }
                Some(OutcomeSink::WithEvents) => {
                    write_json_line(&mut *sinks.events, &done.outcome)
                        .map_err(|e| write_error("outcomes", &sinks.events_dest, e))?;
                }
                None => {}
            }
            summary.add(done.outcome.outcome, done.events.len());
            consumed += n;
            on_input(&summary, consumed);
            Ok(())
        })?;
    }
    sinks.events.flush().map_err(|e| write_error("events", &sinks.events_dest, e))?;
    if let Some(OutcomeSink::Separate(out, dest)) = sinks.outcomes.as_mut() {
        out.flush().map_err(|e| write_error("outcomes", dest, e))?;
    }
    Ok(summary)
}

fn write_error(what: &'static str, dest: &str, source: io::Error) -> OfflineError {
    OfflineError::Write { what, dest: dest.to_owned(), source }
}

fn write_json_line<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// The dedup store for an offline run. The one place that maps
/// `dedup.backend` to a store: `--state DIR` means the embedded store in
/// DIR, `--no-state` an in-memory store that forgets everything at exit.
pub fn open_store(
    config: &Config,
    state_override: Option<&Path>,
    no_state: bool,
) -> Result<Box<dyn DedupStore>, OfflineError> {
    let mut dedup_config = config.dedup.clone();
    if let Some(dir) = state_override {
        dedup_config.backend = DedupBackend::Embedded;
        dedup_config.path = dir.to_owned();
    }
    if no_state {
        dedup_config.backend = DedupBackend::Memory;
    }
    Ok(crate::dedup::open(&dedup_config)?)
}

fn create_output(what: &'static str, path: &Path) -> Result<Box<dyn Write>, OfflineError> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::BufWriter::new(io::stdout())));
    }
    let f = fs::File::create(path).map_err(|e| OfflineError::CreateOutput { what, path: path.to_owned(), source: e })?;
    Ok(Box::new(io::BufWriter::new(f)))
}

fn dest_name(path: Option<&Path>) -> String {
    match path {
        Some(p) if p.as_os_str() != "-" => p.display().to_string(),
        _ => "stdout".to_owned(),
    }
}

/// `zhaoshang process`: everything between parsed arguments and the exit
/// code. Prints a progress bar (only when stderr is a terminal) and the
/// one-line summary on stderr.
pub fn run_command(args: &ProcessArgs, config: &Config) -> Result<Summary, OfflineError> {
    let started = Instant::now();
    // Every path is checked and every output opened before the first input
    // is read, so usage mistakes cost nothing.
    let plan = plan(&args.paths)?;
    let is_stdout = |p: &Option<PathBuf>| p.as_deref().is_none_or(|p| p.as_os_str() == "-");
    let mut events_out = match &args.events {
        Some(p) => create_output("events", p)?,
        None => Box::new(io::BufWriter::new(io::stdout())),
    };
    let outcomes_with_events = args.outcomes.is_some() && is_stdout(&args.outcomes) && is_stdout(&args.events);
    let mut outcomes_out = match &args.outcomes {
        Some(p) if !outcomes_with_events => Some(create_output("outcomes", p)?),
        _ => None,
    };
    let pipeline = Pipeline::new(DecodeLimits { max_input_bytes: config.pipeline.max_input_bytes })?;
    let store = open_store(config, args.state.as_deref(), args.no_state)?;

    if plan.contains(&Planned::Stdin) && io::stdin().is_terminal() {
        eprintln!("zhaoshang: reading articles from stdin (end with Ctrl-D); pass PATH arguments to read files");
    }
    // A bar redrawn between event lines on the same terminal would garble both.
    let stdout_used = is_stdout(&args.events) || (args.outcomes.is_some() && is_stdout(&args.outcomes));
    let stdout_on_terminal = stdout_used && io::stdout().is_terminal();
    let progress = if stdout_on_terminal { ProgressBar::hidden() } else { progress_bar(total_bytes(&plan)) };
    let mut sinks = Sinks {
        events: events_out.as_mut(),
        events_dest: dest_name(args.events.as_deref()),
        outcomes: match outcomes_out.as_mut() {
            Some(o) => Some(OutcomeSink::Separate(o.as_mut(), dest_name(args.outcomes.as_deref()))),
            None if outcomes_with_events => Some(OutcomeSink::WithEvents),
            None => None,
        },
    };
    let result = process_planned(&pipeline, store.as_ref(), &plan, &mut sinks, |s, consumed| {
        progress.set_position(consumed);
        progress.set_message(format!("{} inputs, {} events", s.inputs, s.events));
    });
    progress.finish_and_clear();
    let summary = result?;
    eprintln!("zhaoshang process: {summary} in {:.2} s", started.elapsed().as_secs_f64());
    Ok(summary)
}

/// A bar over the input bytes, or a spinner when stdin makes the total
/// unknown; hidden unless stderr is a terminal so logs and pipes stay clean.
fn progress_bar(total: Option<u64>) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    match total {
        Some(n) => {
            let style = ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {msg} [{elapsed}, eta {eta}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            ProgressBar::new(n).with_style(style)
        }
        None => {
            let style = ProgressStyle::with_template("{spinner} {bytes} read, {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            ProgressBar::new_spinner().with_style(style)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_stdin(text: &str) -> Vec<(Option<String>, String, SourceRef)> {
        let mut got = Vec::new();
        let mut reader = io::Cursor::new(text.as_bytes().to_vec());
        read_stdin(&mut reader, &mut |i, _| {
            got.push((i.id_hint, String::from_utf8_lossy(&i.bytes).into_owned(), i.source));
            Ok(())
        })
        .unwrap();
        got
    }

    #[test]
    fn stdin_json_lines_give_one_input_per_line_with_line_numbers() {
        let got = collect_stdin("\n{\"content\":\"甲\"}\n\n{\"content\":\"乙\"}\r\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0.as_deref(), Some("stdin:2"));
        assert_eq!(got[0].1, "{\"content\":\"甲\"}");
        assert_eq!(got[1].0.as_deref(), Some("stdin:4"));
        assert_eq!(got[1].2, SourceRef::File { path: "-".into(), line: Some(4) });
    }

    #[test]
    fn stdin_article_or_pretty_envelope_is_one_input() {
        let html = "<html><body>\n<p>某县签约项目12个</p>\n</body></html>\n";
        let got = collect_stdin(html);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, html);
        assert_eq!(got[0].0.as_deref(), Some("stdin"));

        let pretty = "{\n  \"content\": \"某县签约项目12个\"\n}\n";
        let got = collect_stdin(pretty);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, pretty);

        // A bracketed first line that is not JSON is article text, not JSON lines.
        let text = "{记者 王五} 本报讯\n正文\n";
        assert_eq!(collect_stdin(text).len(), 1);
    }

    #[test]
    fn empty_stdin_is_one_empty_input_so_it_gets_an_outcome() {
        let got = collect_stdin("");
        assert_eq!(got.len(), 1);
        assert!(got[0].1.is_empty());
    }

    #[test]
    fn plan_sorts_directory_articles_and_skips_other_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.html", "a.txt", "c.HTM", "notes.md", "feed.jsonl"] {
            fs::write(dir.path().join(name), "x").unwrap();
        }
        fs::create_dir(dir.path().join("sub.txt")).unwrap();
        let plan = plan(&[dir.path().to_owned()]).unwrap();
        let names: Vec<_> = plan
            .iter()
            .map(|p| planned_path(p).and_then(|p| p.file_name()).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.txt", "b.html", "c.HTM"]);
    }

    #[test]
    fn plan_names_the_missing_path_and_what_it_should_be() {
        let err = plan(&[PathBuf::from("/nonexistent/zs-input")]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/nonexistent/zs-input"), "{msg}");
        assert!(msg.contains("a file, a directory or `-`"), "{msg}");
        assert!(matches!(plan(&["-".into(), "-".into()]), Err(OfflineError::StdinTwice)));
    }

    #[test]
    fn summary_line_lists_every_outcome() {
        let mut s = Summary::default();
        s.add(OutcomeKind::Events, 3);
        s.add(OutcomeKind::Rejected, 0);
        assert_eq!(s.to_string(), "2 inputs, 3 events (events 1, irrelevant 0, duplicate 0, rejected 1)");
        assert_eq!(s.count(OutcomeKind::Rejected), 1);
    }
}
