//! Committing a compaction: the results of any subset of a plan's tasks as one `Rewrite`,
//! built on the plan's version and rebased like any commit.

use std::collections::{BTreeMap, HashMap};

use lancer_table::{Fragment, Operation, RewriteGroup};

use super::{CompactionMetrics, CompactionPlan, CompactionTask, RewriteResult};
use crate::commit::CommitParams;
use crate::dataset::{Dataset, OpenParams};
use crate::error::{Error, ErrorKind, Result};

/// A committed compaction.
#[derive(Clone, Debug)]
pub struct CompactionCommit {
    /// The version the commit made (or that an earlier run of the same commit made).
    pub dataset: Dataset,
    /// The tasks whose results were committed, by index.
    pub committed: Vec<usize>,
    /// Tasks left out because their fragments changed after the plan (a Delete, say), with
    /// why; plan again to rewrite them.
    pub skipped: Vec<(usize, String)>,
    /// The committed tasks' metrics together.
    pub metrics: CompactionMetrics,
}

/// Commits attempted before giving up on concurrent changes to the planned fragments.
const ATTEMPTS: usize = 4;

impl Dataset {
    /// Commits `results` (of any subset of `plan`'s tasks) to the dataset at `uri` as one
    /// `Rewrite` built on the plan's version, never the latest, so the conflict matrix
    /// decides what may have happened since: appends are kept, and a task whose fragments
    /// another writer changed (a Delete) is left out and reported while the others commit.
    ///
    /// Results are checked first: each from a task of this plan, on this dataset and
    /// version, replacing exactly the task's fragments with as many rows as they show.
    /// Without a transaction id in `params`, one is derived from the plan and the tasks, so
    /// running the same commit again returns the version it made instead of rewriting
    /// twice.
    pub async fn commit_compaction(
        uri: &str,
        plan: &CompactionPlan,
        results: &[RewriteResult],
        params: &CommitParams,
    ) -> Result<CompactionCommit> {
        let mut by_task = check_results(plan, results)?;
        let open = OpenParams::default().with_storage_options(params.storage_options().clone());
        let planned = Dataset::open_with(uri, &open.clone().with_version(plan.read_version))
            .await
            .map_err(|e| {
                if e.kind() == ErrorKind::NotFound {
                    Error::not_found(format!(
                        "version {} of {uri}, which the compaction was planned on, is gone (cleaned up?); plan again",
                        plan.read_version
                    ))
                } else {
                    e
                }
            })?;
        if planned.manifest().transaction_file != plan.dataset_tag {
            return Err(Error::invalid_input(format!(
                "the compaction plan was made on another dataset, not on version {} of {uri}",
                plan.read_version
            )));
        }
        let mut skipped = Vec::new();
        for _ in 0..ATTEMPTS {
            let tasks: Vec<usize> = by_task.keys().copied().collect();
            let groups = by_task
                .iter()
                .map(|(task, result)| RewriteGroup {
                    old_fragments: plan.tasks[*task].fragments.clone(),
                    new_fragments: result.new_fragments.clone(),
                })
                .collect();
            let mut commit = params.clone();
            if !params.has_transaction_id() {
                commit = commit.with_transaction_id(derived_id(&plan.plan_id, &tasks));
            }
            let outcome = Dataset::commit(
                uri,
                Operation::Rewrite { groups },
                plan.read_version,
                &commit,
            )
            .await;
            match outcome {
                Ok(dataset) => {
                    let mut metrics = CompactionMetrics::default();
                    for result in by_task.values() {
                        metrics += result.metrics;
                    }
                    return Ok(CompactionCommit {
                        dataset,
                        committed: tasks,
                        skipped,
                        metrics,
                    });
                }
                Err(error) if error.kind() == ErrorKind::Rebuild => {
                    // Someone changed fragments since the plan: leave out the tasks whose
                    // fragments are not as planned, and commit the rest.
                    let latest = Dataset::open_with(uri, &open).await?;
                    let changed = changed_tasks(plan, by_task.keys().copied(), &latest);
                    if changed.is_empty() {
                        return Err(error);
                    }
                    for (task, why) in changed {
                        by_task.remove(&task);
                        skipped.push((task, why));
                    }
                    if by_task.is_empty() {
                        return Err(error.note(format!(
                            "(every task's fragments changed since version {}: plan again)",
                            plan.read_version
                        )));
                    }
                }
                Err(error) => return Err(error),
            }
        }
        Err(Error::new(
            ErrorKind::RetriesExhausted,
            format!(
                "the planned fragments kept changing under the compaction commit ({ATTEMPTS} attempts)"
            ),
        ))
    }
}

/// The results by task, each checked against the plan.
fn check_results<'a>(
    plan: &CompactionPlan,
    results: &'a [RewriteResult],
) -> Result<BTreeMap<usize, &'a RewriteResult>> {
    if results.is_empty() {
        return Err(Error::invalid_input("no compaction results to commit"));
    }
    let mut by_task = BTreeMap::new();
    for result in results {
        let refused = |why: String| {
            Error::invalid_input(format!("compaction result of task {}: {why}", result.task))
        };
        let refuse = |why: String| Err(refused(why));
        if result.plan_id != plan.plan_id {
            return refuse(format!(
                "it comes from plan {}, not from plan {}",
                result.plan_id, plan.plan_id
            ));
        }
        if result.read_version != plan.read_version || result.dataset_tag != plan.dataset_tag {
            return refuse("it was made on another version or dataset than the plan".into());
        }
        let Some(task) = plan.tasks.get(result.task) else {
            return refuse(format!("the plan has {} tasks", plan.tasks.len()));
        };
        check_result(task, result).map_err(refused)?;
        if by_task.insert(result.task, result).is_some() {
            return refuse("given twice".into());
        }
    }
    Ok(by_task)
}

fn check_result(task: &CompactionTask, result: &RewriteResult) -> std::result::Result<(), String> {
    let planned: Vec<u64> = task.fragments.iter().map(|f| f.id).collect();
    if result.old_fragments != planned {
        return Err(format!(
            "it replaces fragments {:?}, the task {planned:?}",
            result.old_fragments
        ));
    }
    if let Some(numbered) = result.new_fragments.iter().find(|f| f.id != 0) {
        return Err(format!(
            "new fragment {} has an id; new fragments get theirs when committed",
            numbered.id
        ));
    }
    if let Some(deleted) = result
        .new_fragments
        .iter()
        .find(|f| f.deletion_file.is_some())
    {
        return Err(format!(
            "a new fragment (data file {:?}) has a deletion file",
            deleted.files.first().map(|f| &f.path)
        ));
    }
    let rows: Option<u64> = result.new_fragments.iter().map(|f| f.physical_rows).sum();
    match rows {
        Some(rows) if rows == task.rows && rows == result.rows => Ok(()),
        Some(rows) => Err(format!(
            "its new fragments hold {rows} rows, the task's fragments show {}",
            task.rows
        )),
        None => Err("a new fragment does not say how many rows it holds".into()),
    }
}

/// The tasks (among `tasks`) whose fragments `latest` does not have as the plan does.
fn changed_tasks(
    plan: &CompactionPlan,
    tasks: impl Iterator<Item = usize>,
    latest: &Dataset,
) -> Vec<(usize, String)> {
    let now: HashMap<u64, &Fragment> = latest
        .manifest()
        .fragments
        .iter()
        .map(|f| (f.id, f))
        .collect();
    tasks
        .filter_map(|task| {
            plan.tasks[task].fragments.iter().find_map(|planned| {
                match now.get(&planned.id) {
                    None => Some(format!(
                        "fragment {} is gone in version {}",
                        planned.id,
                        latest.version()
                    )),
                    Some(current) if *current != planned => Some(format!(
                        "fragment {} changed after version {} (in version {} its files or deletions differ)",
                        planned.id,
                        plan.read_version,
                        latest.version()
                    )),
                    Some(_) => None,
                }
                .map(|why| (task, why))
            })
        })
        .collect()
}

/// A transaction id that names this plan's commit of these tasks, the same in every run
/// and on every machine: a UUID (version 8) made of two FNV-1a hashes of the plan's id and
/// the task indices.
fn derived_id(plan_id: &str, tasks: &[usize]) -> String {
    let hash = |seed: u64| {
        let mut bytes: Vec<u8> = plan_id.bytes().collect();
        for task in tasks {
            bytes.extend_from_slice(&(*task as u64).to_le_bytes());
        }
        bytes.iter().fold(seed, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (a, b) = (hash(0xcbf2_9ce4_8422_2325), hash(0x8422_2325_cbf2_9ce4));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_uuids_per_plan_and_tasks() {
        let plan = "00000000-0000-4000-8000-000000000001";
        let id = derived_id(plan, &[0, 2]);
        assert_eq!(id, derived_id(plan, &[0, 2]));
        assert_ne!(id, derived_id(plan, &[0, 1]));
        assert_ne!(
            id,
            derived_id("00000000-0000-4000-8000-000000000002", &[0, 2])
        );
        lancer_table::naming::check_transaction_uuid(&id).unwrap();
    }
}
