//! `lancer`: distributed writes of Lance datasets from any scheduler.
//!
//! Workers run `lancer write-fragments` (or `merge-columns`) and print fragment JSON; a
//! coordinator runs `lancer commit`. Machine output goes to stdout, progress and errors to
//! stderr. See `docs/distributed-write.md`.

mod commands;
mod error;
mod io;
mod progress;
mod secrets;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::error::{CliError, EXIT_CODES};

// Large per-batch buffers are freed and allocated again constantly; mimalloc reuses them
// instead of page-faulting fresh memory each time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "lancer", version, about = "Distributed writes of Lance datasets from any scheduler", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Object store option KEY=VALUE (repeatable), e.g. aws_region=eu-west-1. The usual
    /// AWS_*, AZURE_* and GOOGLE_* environment variables are read too.
    #[arg(long = "storage-option", global = true, value_name = "KEY=VALUE", value_parser = parse_option)]
    storage_options: Vec<(String, String)>,

    /// No progress output on stderr.
    #[arg(long, short, global = true)]
    quiet: bool,
}

fn parse_option(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err("expected KEY=VALUE".to_string()),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Write input files as new data files of a dataset, without committing; print the
    /// fragments as JSON (pylance's FragmentMetadata.to_json() shape).
    WriteFragments(commands::write::Args),
    /// Commit fragments from workers as one new version; print the version number.
    Commit(commands::commit::Args),
    /// Worker side of a merge: add columns to one fragment as a new data file; print the
    /// updated fragment as JSON for `lancer commit --operation merge`.
    MergeColumns(commands::merge::Args),
    /// Compact small fragments and deleted rows: `plan`, `execute` and `commit` for a
    /// scheduler, or `lancer compact URI` to do all three here.
    Compact(commands::compact::Args),
    /// Remove old versions, then the files no kept version references (older than the
    /// grace period, unless a removed version referenced them).
    Cleanup(commands::cleanup::CleanupArgs),
    /// Delete the data files of a failed job's fragments (never files a version references).
    Abort(commands::cleanup::AbortArgs),
    /// Print rows of a dataset (a table, or a .parquet/.csv/.jsonl/.arrow file).
    Scan(commands::read::ScanArgs),
    /// Print a version's schema, rows, fragments, files and format.
    Show(commands::read::ShowArgs),
    /// List the versions of a dataset.
    Versions(commands::read::VersionsArgs),
    /// Check that every file a version references exists with the recorded size and a
    /// readable footer; exits non-zero if not.
    Validate(commands::validate::ValidateArgs),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write man pages (lancer.1 and one per command) into a directory.
    Man {
        /// The directory (created if missing).
        dir: PathBuf,
    },
    /// Run the distributed-write guide end to end with worker processes of this binary.
    Demo(commands::demo::Args),
    /// The demo's value function (reads Arrow IPC on stdin, writes Arrow IPC on stdout).
    #[command(hide = true)]
    DemoValueFunction,
}

/// What every command gets.
pub struct Context {
    pub storage_options: lancer::StoreOptions,
    pub quiet: bool,
    pub raw_options: Vec<(String, String)>,
}

fn main() -> ExitCode {
    // Secrets are known before clap runs: its usage errors quote the arguments they refuse.
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    secrets::init(&args);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let text = secrets::redact(&e.render().to_string());
            if e.use_stderr() {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
            return ExitCode::from(if e.use_stderr() {
                error::USAGE
            } else {
                error::OK
            });
        }
    };
    let mut options = lancer::StoreOptions::default();
    for (key, value) in &cli.storage_options {
        options = options.with(key, value);
    }
    let context = Context {
        storage_options: options,
        quiet: cli.quiet,
        raw_options: cli.storage_options.clone(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("lancer: cannot start: {e}");
            return ExitCode::from(error::ERROR);
        }
    };
    let result = runtime.block_on(run(cli.command, &context));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let message = secrets::redact(&e.message).replace('\n', " ");
            eprintln!("lancer: {message}");
            ExitCode::from(e.code)
        }
    }
}

async fn run(command: Command, context: &Context) -> Result<(), CliError> {
    match command {
        Command::WriteFragments(args) => commands::write::run(args, context).await,
        Command::Commit(args) => commands::commit::run(args, context).await,
        Command::MergeColumns(args) => commands::merge::run(args, context).await,
        Command::Compact(args) => commands::compact::run(args, context).await,
        Command::Cleanup(args) => commands::cleanup::cleanup(args, context).await,
        Command::Abort(args) => commands::cleanup::abort(args, context).await,
        Command::Scan(args) => commands::read::scan(args, context).await,
        Command::Show(args) => commands::read::show(args, context).await,
        Command::Versions(args) => commands::read::versions(args, context).await,
        Command::Validate(args) => commands::validate::validate(args, context).await,
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "lancer", &mut std::io::stdout());
            Ok(())
        }
        Command::Man { dir } => man_pages(&dir),
        Command::Demo(args) => commands::demo::run(args, context).await,
        Command::DemoValueFunction => commands::demo::value_function(),
    }
}

/// Writes `lancer.1` and a `lancer-<command>.1` page per visible command into `dir`.
fn man_pages(dir: &std::path::Path) -> Result<(), CliError> {
    let failed = |e: std::io::Error| CliError::general(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(failed)?;
    let top = Cli::command();
    let mut pages = vec![("lancer".to_string(), top.clone())];
    for command in top.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = format!("lancer-{}", command.get_name());
        pages.push((name.clone(), command.clone().name(name)));
    }
    for (name, command) in pages {
        let mut page = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut page)
            .map_err(failed)?;
        std::fs::write(dir.join(format!("{name}.1")), page).map_err(failed)?;
    }
    Ok(())
}

/// Writes machine output to stdout, or to `--output FILE` when given.
pub fn emit(output: Option<&PathBuf>, text: &str) -> Result<(), CliError> {
    match output {
        Some(path) => std::fs::write(path, format!("{text}\n"))
            .map_err(|e| CliError::general(format!("cannot write {}: {e}", path.display()))),
        None => {
            println!("{text}");
            Ok(())
        }
    }
}
