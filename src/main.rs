//! The `zhaoshang` binary: parses the command line, dispatches each
//! subcommand into the library, and owns the exit-code policy.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use zhaoshang::config::{Config, Sources};
use zhaoshang::offline::{self, ProcessArgs};

/// The pipeline allocates many short-lived strings per article, and the
/// daemon frees them on other threads than allocated them; glibc malloc
/// spent ~23 % of the daemon's CPU on that (perf), mimalloc much less.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "zhaoshang", version, about = "Investment-promotion (招商引资) events from Chinese news")]
struct Cli {
    /// A TOML config file layered over the built-in defaults.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// An env file of ZHAOSHANG__SECTION__KEY=value lines (also $ZHAOSHANG_ENV_FILE).
    #[arg(long, global = true, value_name = "FILE")]
    env_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline over files, directories, .jsonl envelopes or stdin (`-`).
    Process(ProcessArgs),
    /// Run the Kafka daemon until SIGTERM/SIGINT: consume, process, produce, commit.
    Run,
    /// Validate the configuration and print it, secrets redacted.
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

/// Exit codes, decided here and nowhere else (ripgrep's model):
/// 0 — the run completed, whatever the outcomes (rejected inputs are
///     outcomes, not failures), the daemon drained after SIGTERM/SIGINT,
///     or the reader of stdout went away;
/// 1 — the daemon could not start (brokers unreachable, port taken) or
///     stopped on an unrecoverable error;
/// 2 — a usage or I/O error (clap also exits 2 on bad usage);
/// 64 — invalid configuration (every problem is printed first).
const EXIT_DAEMON: u8 = 1;
const EXIT_CONFIG: u8 = 64;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("zhaoshang: error: {}", error_message(&err));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, skipping a cause whose text the
/// message before it already includes (library errors often embed it).
fn error_message(err: &anyhow::Error) -> String {
    let mut msg = err.to_string();
    let mut last = msg.clone();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !last.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        last = text;
    }
    msg
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
    match &cli.command {
        Command::Process(args) => {
            offline::run_command(args, &config)?;
        }
        Command::Run => {
            zhaoshang::metrics::init_tracing(&config.log);
            if let Err(e) = zhaoshang::kafka::run_until_signal(config) {
                tracing::error!(error = %e, "zhaoshang run failed");
                eprintln!("zhaoshang: error: {e}");
                return Ok(ExitCode::from(EXIT_DAEMON));
            }
        }
        Command::CheckConfig { format } => {
            let redacted = config.redacted();
            let text = match format {
                ConfigFormat::Json => serde_json::to_string_pretty(&redacted)?,
                ConfigFormat::Toml => toml::to_string(&redacted)?,
            };
            println!("{text}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<offline::OfflineError>().is_some_and(offline::OfflineError::is_broken_pipe)
    })
}
