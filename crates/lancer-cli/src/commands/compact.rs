//! Compaction: `lancer compact plan | execute | commit`, the three phases for a scheduler,
//! and `lancer compact URI`, all three on this machine.

use std::path::{Path, PathBuf};

use lancer::{
    CommitParams, CompactionCommit, CompactionOptions, CompactionPlan, Dataset, OpenParams,
    RewriteResult,
};

use crate::error::CliError;
use crate::{Context, emit};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    step: Option<Step>,
    /// The dataset to compact here and now (plan, execute every task, commit).
    uri: Option<String>,
    #[command(flatten)]
    options: PlanOptions,
    /// Tasks run at once (default: the machine's cores).
    #[arg(long, value_name = "N")]
    parallelism: Option<usize>,
    /// A UUID identifying the commit (by default one derived from the plan and the tasks).
    #[arg(long, value_name = "UUID")]
    transaction_id: Option<String>,
}

#[derive(clap::Subcommand)]
enum Step {
    /// Plan a compaction: print the plan (JSON), or write it to --output and print the
    /// number of tasks.
    Plan {
        /// The dataset.
        uri: String,
        #[command(flatten)]
        options: PlanOptions,
        /// Write the plan to FILE.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Execute one task of a plan (on a worker): print its result (JSON), or write it to
    /// --output.
    Execute {
        /// The dataset.
        uri: String,
        /// The plan (`-` reads stdin).
        #[arg(long, value_name = "PLAN.json")]
        plan: PathBuf,
        /// The task's index in the plan.
        #[arg(long, value_name = "K")]
        task: usize,
        /// Write the result to FILE.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Commit results (all or some of a plan's) as one version; print the version.
    Commit {
        /// The dataset.
        uri: String,
        /// The plan the results come from.
        #[arg(long, value_name = "PLAN.json")]
        plan: PathBuf,
        /// A UUID identifying the commit (by default one derived from the plan and the
        /// tasks, so re-running the same commit is safe).
        #[arg(long, value_name = "UUID")]
        transaction_id: Option<String>,
        /// Result files.
        #[arg(required = true, value_name = "RESULT.json")]
        results: Vec<PathBuf>,
    },
}

/// pylance's `CompactionOptions`, as flags.
#[derive(clap::Args, Clone)]
struct PlanOptions {
    /// Rows a rewritten fragment aims at; smaller fragments are candidates.
    #[arg(long, value_name = "N", default_value_t = 1024 * 1024)]
    target_rows_per_fragment: u64,
    /// pylance's row-group size (recorded; lancer sizes pages by bytes).
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_rows_per_group: u64,
    /// A deleted share over which a fragment is rewritten even alone.
    #[arg(long, value_name = "F", default_value_t = 0.1)]
    materialize_deletions_threshold: f64,
    /// Leave deleted rows in place (rewrite only small fragments).
    #[arg(long)]
    no_materialize_deletions: bool,
    /// Start a new file once one reaches about this many bytes.
    #[arg(long, value_name = "B")]
    max_bytes_per_file: Option<u64>,
    /// The most input bytes one task may take.
    #[arg(long, value_name = "B")]
    max_bytes_per_task: Option<u64>,
}

impl PlanOptions {
    fn options(&self) -> CompactionOptions {
        let mut options = CompactionOptions::default()
            .with_target_rows_per_fragment(self.target_rows_per_fragment)
            .with_max_rows_per_group(self.max_rows_per_group)
            .with_materialize_deletions(!self.no_materialize_deletions)
            .with_materialize_deletions_threshold(self.materialize_deletions_threshold);
        if let Some(bytes) = self.max_bytes_per_file {
            options = options.with_max_bytes_per_file(bytes);
        }
        if let Some(bytes) = self.max_bytes_per_task {
            options = options.with_max_bytes_per_task(bytes);
        }
        options
    }
}

fn read_text(path: &Path) -> Result<String, CliError> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| CliError::general(format!("cannot read stdin: {e}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| CliError::input(path, e.to_string()))
}

fn read_plan(path: &Path) -> Result<CompactionPlan, CliError> {
    CompactionPlan::from_json(&read_text(path)?).map_err(|e| CliError::input(path, e))
}

async fn open(uri: &str, context: &Context) -> Result<Dataset, CliError> {
    let params = OpenParams::default().with_storage_options(context.storage_options.clone());
    Ok(Dataset::open_with(uri, &params).await?)
}

fn commit_params(context: &Context, transaction_id: Option<String>) -> CommitParams {
    let mut params = CommitParams::default().with_storage_options(context.storage_options.clone());
    if let Some(id) = transaction_id {
        params = params.with_transaction_id(id);
    }
    params
}

/// Says on stderr what a commit did, and prints the version on stdout.
fn report(commit: &CompactionCommit, quiet: bool) -> Result<(), CliError> {
    if !quiet {
        let m = commit.metrics;
        eprintln!(
            "lancer: version {}: {} tasks committed, {} fragments rewritten as {}",
            commit.dataset.version(),
            commit.committed.len(),
            m.fragments_removed,
            m.fragments_added
        );
    }
    for (task, why) in &commit.skipped {
        eprintln!("lancer: task {task} left out: {why}");
    }
    emit(None, &commit.dataset.version().to_string())
}

pub async fn run(args: Args, context: &Context) -> Result<(), CliError> {
    match args.step {
        Some(Step::Plan {
            uri,
            options,
            output,
        }) => {
            let dataset = open(&uri, context).await?;
            let plan = dataset.plan_compaction(&options.options()).await?;
            if !context.quiet {
                eprintln!(
                    "lancer: {} tasks rewriting {} of {} fragments of version {}",
                    plan.num_tasks(),
                    plan.num_fragments(),
                    dataset.manifest().fragments.len(),
                    plan.read_version()
                );
            }
            match output {
                Some(path) => {
                    emit(Some(&path), &plan.to_json())?;
                    emit(None, &plan.num_tasks().to_string())
                }
                None => emit(None, &plan.to_json()),
            }
        }
        Some(Step::Execute {
            uri,
            plan,
            task,
            output,
        }) => {
            let plan = read_plan(&plan)?;
            let Some(task) = plan.tasks().get(task) else {
                return Err(CliError::usage(format!(
                    "--task {task}: the plan has {} tasks (0 to {})",
                    plan.num_tasks(),
                    plan.num_tasks().saturating_sub(1)
                )));
            };
            let dataset = open(&uri, context).await?;
            let result = task.execute(&dataset).await?;
            emit(output.as_ref(), &result.to_json())
        }
        Some(Step::Commit {
            uri,
            plan,
            transaction_id,
            results,
        }) => {
            let plan = read_plan(&plan)?;
            let results = results
                .iter()
                .map(|path| {
                    RewriteResult::from_json(&read_text(path)?)
                        .map_err(|e| CliError::input(path, e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let params = commit_params(context, transaction_id);
            let commit = Dataset::commit_compaction(&uri, &plan, &results, &params).await?;
            report(&commit, context.quiet)
        }
        None => {
            let uri = args.uri.ok_or_else(|| {
                CliError::usage(
                    "lancer compact needs a dataset URI, or one of plan, execute, commit",
                )
            })?;
            compact_here(
                &uri,
                &args.options,
                args.parallelism,
                args.transaction_id,
                context,
            )
            .await
        }
    }
}

/// Plan, every task on this machine (several at once), one commit.
async fn compact_here(
    uri: &str,
    options: &PlanOptions,
    parallelism: Option<usize>,
    transaction_id: Option<String>,
    context: &Context,
) -> Result<(), CliError> {
    use futures::StreamExt;
    let dataset = open(uri, context).await?;
    let plan = dataset.plan_compaction(&options.options()).await?;
    if plan.num_tasks() == 0 {
        if !context.quiet {
            eprintln!(
                "lancer: nothing to compact in version {}",
                dataset.version()
            );
        }
        return emit(None, &dataset.version().to_string());
    }
    let parallelism = parallelism
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(2)
        .max(1);
    let bar = crate::progress::rows(context.quiet, "compacted");
    let outcomes: Vec<lancer::Result<RewriteResult>> = futures::stream::iter(plan.tasks())
        .map(|task| {
            let (dataset, bar) = (&dataset, &bar);
            async move {
                let result = task.execute(dataset).await;
                bar.inc(task.rows());
                result
            }
        })
        .buffer_unordered(parallelism)
        .collect()
        .await;
    bar.finish_and_clear();
    if let Some(failed) = outcomes.iter().position(Result::is_err) {
        // Nothing is committed: the files the other tasks wrote go too.
        for result in outcomes.iter().flatten() {
            let _ = result.discard(&dataset).await;
        }
        let error = outcomes.into_iter().nth(failed).and_then(Result::err);
        return Err(error.map_or_else(|| CliError::general("a task failed"), CliError::from));
    }
    let results: Vec<RewriteResult> = outcomes.into_iter().flatten().collect();
    let params = commit_params(context, transaction_id);
    let commit = Dataset::commit_compaction(uri, &plan, &results, &params).await?;
    report(&commit, context.quiet)
}
