//! Cleaning up: `lancer cleanup` (old versions and unreferenced files) and `lancer abort`
//! (a failed job's files).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lancer::{CleanupOptions, Dataset, Fragment};
use serde_json::json;

use crate::error::CliError;
use crate::{Context, emit};

#[derive(clap::Args)]
pub struct CleanupArgs {
    /// The dataset.
    uri: String,
    /// Remove versions older than this (e.g. 14d, 12h, 0s). Default 14 days unless
    /// --retain-versions is given.
    #[arg(long, value_name = "AGE", value_parser = duration)]
    older_than: Option<Duration>,
    /// Keep the newest N versions.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    retain_versions: Option<u64>,
    /// Keep files no version references until they are this old (default 7d): a write in
    /// flight may be about to commit them. 0s deletes them at once: only safe while no
    /// one writes to the dataset.
    #[arg(long, value_name = "AGE", value_parser = duration, default_value = "7d")]
    grace: Duration,
    /// Say what would be removed, remove nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct AbortArgs {
    /// The dataset.
    uri: String,
    /// Fragment JSON files of the failed job (as workers wrote them); `-` reads stdin.
    #[arg(value_name = "FRAGMENTS_FILE", required_unless_present = "job")]
    fragments: Vec<PathBuf>,
    /// Instead of fragment files: every data file whose name carries this job tag (what
    /// `write-fragments --job` wrote), including files of workers that died before
    /// printing their fragments.
    #[arg(long, value_name = "TAG", conflicts_with = "fragments")]
    job: Option<String>,
}

fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("`{text}`: {e} (e.g. 14d, 12h, 0s)"))
}

pub async fn cleanup(args: CleanupArgs, context: &Context) -> Result<(), CliError> {
    let mut options = CleanupOptions::default()
        .with_grace(args.grace)
        .with_dry_run(args.dry_run);
    if let Some(age) = args.older_than {
        options = options.with_older_than(age);
    }
    if let Some(versions) = args.retain_versions {
        options = options.with_retain_versions(versions);
    }
    let bar = crate::progress::count(context.quiet, "objects removed");
    let progress_bar = bar.clone();
    options = options.with_progress(Arc::new(move |done| progress_bar.set_position(done)));
    let report = Dataset::cleanup(&args.uri, &options, &context.storage_options).await?;
    bar.finish_and_clear();
    if args.json {
        let value = json!({
            "dry_run": report.dry_run,
            "removed_versions": report.removed_versions,
            "bytes_removed": report.bytes_removed,
            "data_files_removed": report.data_files_removed,
            "deletion_files_removed": report.deletion_files_removed,
            "transaction_files_removed": report.transaction_files_removed,
            "index_files_removed": report.index_files_removed,
            "young_files_kept": report.young_files_kept,
            "failed_deletes": report.failed_deletes,
        });
        emit(None, &value.to_string())?;
    } else {
        let verb = if report.dry_run {
            "would remove"
        } else {
            "removed"
        };
        println!(
            "{verb} {} versions {:?}, {} data files, {} deletion files, {} transaction files, {} index files, {} bytes",
            report.removed_versions.len(),
            report.removed_versions,
            report.data_files_removed,
            report.deletion_files_removed,
            report.transaction_files_removed,
            report.index_files_removed,
            report.bytes_removed
        );
        if report.young_files_kept > 0 {
            println!(
                "kept {} unreferenced files younger than the grace period",
                report.young_files_kept
            );
        }
    }
    if report.failed_deletes > 0 {
        return Err(CliError::general(format!(
            "{} deletions failed; run the cleanup again",
            report.failed_deletes
        )));
    }
    Ok(())
}

pub async fn abort(args: AbortArgs, context: &Context) -> Result<(), CliError> {
    let report = match &args.job {
        Some(job) => Dataset::abort_job(&args.uri, job, &context.storage_options).await?,
        None => {
            let fragments: Vec<Fragment> = super::commit::read_fragments(&args.fragments)?;
            Dataset::abort(&args.uri, &fragments, &context.storage_options).await?
        }
    };
    for path in &report.removed {
        println!("removed data/{path}");
    }
    for path in &report.missing {
        println!("already gone data/{path}");
    }
    if report.referenced.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = report
        .referenced
        .iter()
        .map(|(path, version)| format!("data/{path} (version {version})"))
        .collect();
    Err(CliError::general(format!(
        "kept {} data files that committed versions reference: {}",
        listed.len(),
        listed.join(", ")
    )))
}
