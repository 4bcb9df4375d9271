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
        let by_task = check_results(plan, results)?;
        let groups = by_task
            .into_iter()
            .map(|(task, result)| (task, (plan.tasks[task].fragments.clone(), result)))
            .collect();
        let origin = Origin {
            plan_id: &plan.plan_id,
            read_version: plan.read_version,
            dataset_tag: &plan.dataset_tag,
        };
        commit_groups(uri, origin, groups, params).await
    }

    /// [`commit_compaction`](Self::commit_compaction) without the plan (pylance's
    /// `Compaction.commit(dataset, rewrites)`): the results must come from one plan, and
    /// each names the fragments it replaces, which must be those of the plan's version.
    pub async fn commit_compaction_results(
        uri: &str,
        results: &[RewriteResult],
        params: &CommitParams,
    ) -> Result<CompactionCommit> {
        let Some(first) = results.first() else {
            return Err(Error::invalid_input("no compaction results to commit"));
        };
        let mut groups = BTreeMap::new();
        for result in results {
            if result.plan_id != first.plan_id
                || result.read_version != first.read_version
                || result.dataset_tag != first.dataset_tag
            {
                return Err(Error::invalid_input(format!(
                    "compaction results of tasks {} and {} come from different plans",
                    first.task, result.task
                )));
            }
            if groups
                .insert(result.task, (result.old_fragments.clone(), result))
                .is_some()
            {
                return Err(Error::invalid_input(format!(
                    "compaction result of task {}: given twice",
                    result.task
                )));
            }
        }
        let origin = Origin {
            plan_id: &first.plan_id,
            read_version: first.read_version,
            dataset_tag: &first.dataset_tag,
        };
        commit_groups(uri, origin, groups, params).await
    }
}

/// The plan results come from.
#[derive(Clone, Copy)]
struct Origin<'a> {
    plan_id: &'a str,
    read_version: u64,
    dataset_tag: &'a str,
}

/// One task's rewrite: the fragments it replaces, and its result.
type Group<'a> = (Vec<Fragment>, &'a RewriteResult);

async fn commit_groups(
    uri: &str,
    origin: Origin<'_>,
    mut groups: BTreeMap<usize, Group<'_>>,
    params: &CommitParams,
) -> Result<CompactionCommit> {
    let open = OpenParams::default().with_storage_options(params.storage_options().clone());
    let planned = Dataset::open_with(uri, &open.clone().with_version(origin.read_version))
        .await
        .map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                Error::not_found(format!(
                    "version {} of {uri}, which the compaction was planned on, is gone (cleaned up?); plan again",
                    origin.read_version
                ))
            } else {
                e
            }
        })?;
    if planned.manifest().transaction_file != origin.dataset_tag {
        return Err(Error::invalid_input(format!(
            "the compaction was planned on another dataset, not on version {} of {uri}",
            origin.read_version
        )));
    }
    for (task, (old, result)) in &groups {
        check_against_version(&planned, old, result).map_err(|why| {
            Error::invalid_input(format!("compaction result of task {task}: {why}"))
        })?;
    }
    let mut skipped = Vec::new();
    for _ in 0..ATTEMPTS {
        let tasks: Vec<usize> = groups.keys().copied().collect();
        let rewrite = groups
            .values()
            .map(|(old, result)| RewriteGroup {
                old_fragments: old.clone(),
                new_fragments: result.new_fragments.clone(),
            })
            .collect();
        let mut commit = params.clone();
        if !params.has_transaction_id() {
            commit = commit.with_transaction_id(derived_id(origin.plan_id, &tasks));
        }
        let outcome = Dataset::commit(
            uri,
            Operation::Rewrite { groups: rewrite },
            origin.read_version,
            &commit,
        )
        .await;
        match outcome {
            Ok(dataset) => {
                let mut metrics = CompactionMetrics::default();
                for (_, result) in groups.values() {
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
                let changed = changed_tasks(&groups, origin.read_version, &latest);
                if changed.is_empty() {
                    return Err(error);
                }
                for (task, why) in changed {
                    groups.remove(&task);
                    skipped.push((task, why));
                }
                if groups.is_empty() {
                    return Err(error.note(format!(
                        "(every task's fragments changed since version {}: plan again)",
                        origin.read_version
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
        if result.plan_id != plan.plan_id {
            return Err(refused(format!(
                "it comes from plan {}, not from plan {}",
                result.plan_id, plan.plan_id
            )));
        }
        if result.read_version != plan.read_version || result.dataset_tag != plan.dataset_tag {
            return Err(refused(
                "it was made on another version or dataset than the plan".into(),
            ));
        }
        let Some(task) = plan.tasks.get(result.task) else {
            return Err(refused(format!("the plan has {} tasks", plan.tasks.len())));
        };
        check_result(task, result).map_err(refused)?;
        if by_task.insert(result.task, result).is_some() {
            return Err(refused("given twice".into()));
        }
    }
    Ok(by_task)
}

fn check_result(task: &CompactionTask, result: &RewriteResult) -> std::result::Result<(), String> {
    let planned: Vec<u64> = task.fragments.iter().map(|f| f.id).collect();
    let replaced: Vec<u64> = result.old_fragments.iter().map(|f| f.id).collect();
    if replaced != planned {
        return Err(format!(
            "it replaces fragments {replaced:?}, the task {planned:?}"
        ));
    }
    Ok(())
}

/// Checks a result against the version it was planned on: the fragments it replaces are
/// that version's, and its new fragments (ids to come, no deletions) hold the rows those
/// show.
fn check_against_version(
    planned: &Dataset,
    old: &[Fragment],
    result: &RewriteResult,
) -> std::result::Result<(), String> {
    if old.is_empty() {
        return Err("it replaces no fragment".into());
    }
    let mut shown = 0u64;
    for fragment in old {
        if planned.fragment_metadata(fragment.id) != Some(fragment) {
            return Err(format!(
                "fragment {} is not as version {} has it",
                fragment.id,
                planned.version()
            ));
        }
        shown += fragment
            .num_rows()
            .ok_or_else(|| format!("fragment {} does not record its rows", fragment.id))?;
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
        Some(rows) if rows == shown && rows == result.rows => Ok(()),
        Some(rows) => Err(format!(
            "its new fragments hold {rows} rows, the fragments they replace show {shown}"
        )),
        None => Err("a new fragment does not say how many rows it holds".into()),
    }
}

/// The tasks whose fragments `latest` does not have as the plan's version does.
fn changed_tasks(
    groups: &BTreeMap<usize, Group<'_>>,
    read_version: u64,
    latest: &Dataset,
) -> Vec<(usize, String)> {
    let now: HashMap<u64, &Fragment> = latest
        .manifest()
        .fragments
        .iter()
        .map(|f| (f.id, f))
        .collect();
    groups
        .iter()
        .filter_map(|(task, (old, _))| {
            old.iter().find_map(|planned| {
                match now.get(&planned.id) {
                    None => Some(format!(
                        "fragment {} is gone in version {}",
                        planned.id,
                        latest.version()
                    )),
                    Some(current) if *current != planned => Some(format!(
                        "fragment {} changed after version {read_version} (in version {} its files or deletions differ)",
                        planned.id,
                        latest.version()
                    )),
                    Some(_) => None,
                }
                .map(|why| (*task, why))
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
