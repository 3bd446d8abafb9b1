//! The `zhaoshang` binary: parses the command line and dispatches.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use zhaoshang::config::{Config, DedupBackend, Sources};
use zhaoshang::decode::DecodeLimits;
use zhaoshang::dedup::{DedupStore, MemoryStore};
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
    /// Run the Kafka daemon until SIGTERM/SIGINT.
    Run,
    /// Validate the configuration and print it with secrets redacted.
    CheckConfig {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ConfigFormat::Toml)]
        format: ConfigFormat,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ConfigFormat {
    Toml,
    Json,
}

/// Exit status for bad configuration (EX_USAGE from sysexits.h).
const EXIT_CONFIG: u8 = 64;
/// Exit status when the daemon cannot start or stops on an error.
const EXIT_RUNTIME: u8 = 1;

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
    let config = match Config::load(&Sources::from_process(cli.config.clone(), cli.env_file.clone())) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("zhaoshang: {e}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    match cli.command {
        Command::Run => {
            zhaoshang::metrics::init_tracing(&config.log);
            match zhaoshang::kafka::run_until_signal(config) {
                Ok(()) => Ok(ExitCode::SUCCESS),
                Err(e) => {
                    tracing::error!(error = %e, "zhaoshang run failed");
                    eprintln!("zhaoshang: error: {e}");
                    Ok(ExitCode::from(EXIT_RUNTIME))
                }
            }
        }
        Command::CheckConfig { format } => {
            let redacted = config.redacted();
            let text = match format {
                ConfigFormat::Json => serde_json::to_string_pretty(&redacted)?,
                ConfigFormat::Toml => toml::to_string(&redacted)?,
            };
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Process { paths, events, outcomes, state: _, no_state: _ } => {
            let pipeline = Pipeline::new(DecodeLimits { max_input_bytes: config.pipeline.max_input_bytes })?;
            let store: Box<dyn DedupStore> = match config.dedup.backend {
                DedupBackend::Memory | DedupBackend::Embedded | DedupBackend::Redis => Box::new(MemoryStore::default()),
            };
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
