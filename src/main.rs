//! The `zhaoshang` binary: parses the command line and dispatches.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use zhaoshang::config::{Config, DedupBackend, Sources};
use zhaoshang::decode::DecodeLimits;
use zhaoshang::dedup;
use zhaoshang::pipeline::Pipeline;

#[derive(Parser)]
#[command(name = "zhaoshang", version, about = "Investment-promotion (招商引资) events from Chinese news")]
struct Cli {
    /// A TOML config file layered over the built-in defaults.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// An env file of ZHAOSHANG__SECTION__KEY=value lines (also $ZHAOSHANG_ENV_FILE).
    #[arg(long, global = true)]
    env_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline over files, directories, .jsonl envelopes or stdin (`-`).
    Process {
        /// Inputs; `-` (the default) reads stdin.
        #[arg(default_value = "-")]
        paths: Vec<PathBuf>,
        /// Write events here instead of stdout.
        #[arg(long)]
        events: Option<PathBuf>,
        /// Write one outcome record per input here.
        #[arg(long)]
        outcomes: Option<PathBuf>,
        /// Dedup state directory (overrides dedup.path).
        #[arg(long)]
        state: Option<PathBuf>,
        /// Do not remember anything between runs.
        #[arg(long)]
        no_state: bool,
    },
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("zhaoshang: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let config = Config::load(&Sources::from_process(cli.config.clone(), cli.env_file.clone()))?;
    match cli.command {
        Command::Process { paths, events, outcomes, state, no_state } => {
            let pipeline = Pipeline::new(DecodeLimits { max_input_bytes: config.pipeline.max_input_bytes })?;
            let mut dedup_config = config.dedup.clone();
            if let Some(dir) = state {
                dedup_config.backend = DedupBackend::Embedded;
                dedup_config.path = dir;
            }
            if no_state {
                dedup_config.backend = DedupBackend::Memory;
            }
            let store = dedup::open(&dedup_config).context("cannot open the dedup store")?;
            let mut events_out: Box<dyn Write> = match &events {
                Some(p) => Box::new(io::BufWriter::new(
                    std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
                )),
                None => Box::new(io::BufWriter::new(io::stdout().lock())),
            };
            let mut outcomes_file = match &outcomes {
                Some(p) => Some(io::BufWriter::new(
                    std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
                )),
                None => None,
            };
            let summary = zhaoshang::offline::process_all(
                &pipeline,
                store.as_ref(),
                &paths,
                events_out.as_mut(),
                outcomes_file.as_mut().map(|f| f as &mut dyn Write),
                |_| {},
            )?;
            let _ = io::stderr().is_terminal();
            eprintln!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
