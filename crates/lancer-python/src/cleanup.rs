//! Cleaning up old versions, and aborting a failed job's fragments.

use std::time::Duration;

use lancer::{CleanupOptions, Dataset, Fragment};
use pyo3::prelude::*;

use crate::errors::PyResultOf;
use crate::runtime::block_on;
use crate::write::{PyStorageOptions, store_options};

/// What pylance's `CleanupStats` holds, in its order.
type Stats = (u64, u64, u64, u64, u64, u64, u64);

/// Removes old versions and unreferenced files; returns (bytes_removed, old_versions,
/// data_files_removed, transaction_files_removed, index_files_removed,
/// deletion_files_removed, failed_deletes).
#[pyfunction]
#[pyo3(signature = (uri, *, older_than_micros=None, retain_versions=None, grace_seconds=7 * 24 * 3600, error_if_tagged_old_versions=true, dry_run=false, storage_options=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn cleanup(
    py: Python<'_>,
    uri: String,
    older_than_micros: Option<u64>,
    retain_versions: Option<u64>,
    grace_seconds: u64,
    error_if_tagged_old_versions: bool,
    dry_run: bool,
    storage_options: PyStorageOptions,
) -> PyResultOf<Stats> {
    let mut options = CleanupOptions::default()
        .with_grace(Duration::from_secs(grace_seconds))
        .with_error_if_tagged_old_versions(error_if_tagged_old_versions)
        .with_dry_run(dry_run);
    if let Some(micros) = older_than_micros {
        options = options.with_older_than(Duration::from_micros(micros));
    }
    if let Some(versions) = retain_versions {
        options = options.with_retain_versions(versions);
    }
    let store = store_options(storage_options);
    let report = block_on(
        py,
        async move { Dataset::cleanup(&uri, &options, &store).await },
    )?;
    Ok((
        report.bytes_removed,
        report.removed_versions.len() as u64,
        report.data_files_removed,
        report.transaction_files_removed,
        report.index_files_removed,
        report.deletion_files_removed,
        report.failed_deletes,
    ))
}

/// Deletes the data files of fragments (their JSON) a failed job wrote, never files a
/// version references; returns (removed, missing, referenced as (path, version)).
#[pyfunction]
#[pyo3(signature = (uri, fragments, *, storage_options=None))]
#[allow(clippy::type_complexity)]
pub(crate) fn abort(
    py: Python<'_>,
    uri: String,
    fragments: Vec<String>,
    storage_options: PyStorageOptions,
) -> PyResultOf<(Vec<String>, Vec<String>, Vec<(String, u64)>)> {
    let fragments = fragments
        .iter()
        .map(|text| Fragment::from_json(text))
        .collect::<Result<Vec<_>, _>>()?;
    let store = store_options(storage_options);
    let report = block_on(
        py,
        async move { Dataset::abort(&uri, &fragments, &store).await },
    )?;
    Ok((report.removed, report.missing, report.referenced))
}

/// Deletes the data files named with `job`'s tag, never files a version references; returns
/// (removed, missing, referenced as (path, version)).
#[pyfunction]
#[pyo3(signature = (uri, job, *, storage_options=None))]
#[allow(clippy::type_complexity)]
pub(crate) fn abort_job(
    py: Python<'_>,
    uri: String,
    job: String,
    storage_options: PyStorageOptions,
) -> PyResultOf<(Vec<String>, Vec<String>, Vec<(String, u64)>)> {
    let store = store_options(storage_options);
    let report = block_on(
        py,
        async move { Dataset::abort_job(&uri, &job, &store).await },
    )?;
    Ok((report.removed, report.missing, report.referenced))
}
