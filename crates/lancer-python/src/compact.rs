//! Compaction: plans, tasks and results cross as lancer's JSON (so they pickle and travel
//! to Ray workers and other processes), the work is done by the facade.

use lancer::{
    CommitParams, CompactionOptions, CompactionPlan, CompactionTask, Dataset, OpenParams,
    RewriteResult,
};
use pyo3::prelude::*;

use crate::dataset::NativeDataset;
use crate::errors::PyResultOf;
use crate::runtime::block_on;
use crate::write::{PyStorageOptions, store_options};

/// Plans a compaction of version `version` (the latest when None) and returns the plan's
/// JSON. Options are pylance's `CompactionOptions` names.
#[pyfunction]
#[pyo3(signature = (uri, version=None, *, target_rows_per_fragment=1024 * 1024, max_rows_per_group=1024, max_bytes_per_file=None, materialize_deletions=true, materialize_deletions_threshold=0.1, storage_options=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan_compaction(
    py: Python<'_>,
    uri: String,
    version: Option<u64>,
    target_rows_per_fragment: u64,
    max_rows_per_group: u64,
    max_bytes_per_file: Option<u64>,
    materialize_deletions: bool,
    materialize_deletions_threshold: f64,
    storage_options: PyStorageOptions,
) -> PyResultOf<String> {
    let mut options = CompactionOptions::default()
        .with_target_rows_per_fragment(target_rows_per_fragment)
        .with_max_rows_per_group(max_rows_per_group)
        .with_materialize_deletions(materialize_deletions)
        .with_materialize_deletions_threshold(materialize_deletions_threshold);
    if let Some(bytes) = max_bytes_per_file {
        options = options.with_max_bytes_per_file(bytes);
    }
    let mut params = OpenParams::default().with_storage_options(store_options(storage_options));
    if let Some(version) = version {
        params = params.with_version(version);
    }
    let plan = block_on(py, async move {
        Dataset::open_with(&uri, &params)
            .await?
            .plan_compaction(&options)
            .await
    })?;
    Ok(plan.to_json())
}

/// Executes one task (its JSON) on the dataset at `uri`; returns the result's JSON.
#[pyfunction]
#[pyo3(signature = (uri, task, *, storage_options=None))]
pub(crate) fn execute_compaction_task(
    py: Python<'_>,
    uri: String,
    task: &str,
    storage_options: PyStorageOptions,
) -> PyResultOf<String> {
    let task = CompactionTask::from_json(task)?;
    let params = OpenParams::default().with_storage_options(store_options(storage_options));
    let result = block_on(py, async move {
        let dataset = Dataset::open_with(&uri, &params).await?;
        task.execute(&dataset).await
    })?;
    Ok(result.to_json())
}

/// Commits results (their JSON), checked against `plan` when given; returns the new
/// version, the metrics (fragments removed and added, files removed and added), and the
/// tasks left out with why.
#[pyfunction]
#[pyo3(signature = (uri, results, *, plan=None, transaction_id=None, storage_options=None))]
#[allow(clippy::type_complexity)]
pub(crate) fn commit_compaction(
    py: Python<'_>,
    uri: String,
    results: Vec<String>,
    plan: Option<String>,
    transaction_id: Option<String>,
    storage_options: PyStorageOptions,
) -> PyResultOf<(
    NativeDataset,
    (usize, usize, usize, usize),
    Vec<(usize, String)>,
)> {
    let results = results
        .iter()
        .map(|text| RewriteResult::from_json(text))
        .collect::<lancer::Result<Vec<_>>>()?;
    let plan = plan
        .map(|text| CompactionPlan::from_json(&text))
        .transpose()?;
    let mut params = CommitParams::default().with_storage_options(store_options(storage_options));
    if let Some(id) = transaction_id {
        params = params.with_transaction_id(id);
    }
    let commit = block_on(py, async move {
        match &plan {
            Some(plan) => Dataset::commit_compaction(&uri, plan, &results, &params).await,
            None => Dataset::commit_compaction_results(&uri, &results, &params).await,
        }
    })?;
    let m = commit.metrics;
    Ok((
        NativeDataset(commit.dataset),
        (
            m.fragments_removed,
            m.fragments_added,
            m.files_removed,
            m.files_added,
        ),
        commit.skipped,
    ))
}

/// Deletes a result's files, when it will not be committed.
#[pyfunction]
#[pyo3(signature = (uri, result, *, storage_options=None))]
pub(crate) fn discard_compaction_result(
    py: Python<'_>,
    uri: String,
    result: &str,
    storage_options: PyStorageOptions,
) -> PyResultOf<()> {
    let result = RewriteResult::from_json(result)?;
    let params = OpenParams::default().with_storage_options(store_options(storage_options));
    block_on(py, async move {
        let dataset = Dataset::open_with(&uri, &params).await?;
        result.discard(&dataset).await
    })?;
    Ok(())
}

/// Each task of a plan (its JSON) as a JSON of its own, for a worker.
#[pyfunction]
pub(crate) fn plan_tasks(plan: &str) -> PyResultOf<Vec<String>> {
    Ok(CompactionPlan::from_json(plan)?
        .tasks()
        .iter()
        .map(CompactionTask::to_json)
        .collect())
}
