//! The `zhaoshang` binary: parses the command line, dispatches each
//! subcommand into the library, and owns the exit-code policy.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use zhaoshang::config::{Config, Sources};
use zhaoshang::offline::{self, ProcessArgs};

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
}

/// Exit codes, decided here and nowhere else (ripgrep's model):
/// 0 — the run completed, whatever the outcomes (rejected inputs are
///     outcomes, not failures), or the reader of stdout went away;
/// 2 — a usage, configuration or I/O error (clap also exits 2 on bad usage).
fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
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

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(&Sources::from_process(cli.config.clone(), cli.env_file.clone()))?;
    match &cli.command {
        Command::Process(args) => {
            offline::run_command(args, &config)?;
        }
    }
    Ok(())
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<offline::OfflineError>().is_some_and(offline::OfflineError::is_broken_pipe)
    })
}
