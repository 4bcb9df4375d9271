//! Aborting a failed job: the data files its workers wrote, deleted, unless a version
//! references them.

use std::collections::HashMap;

use lancer_commit::{DatasetStore, StoreOptions};
use lancer_table::Fragment;
use lancer_table::naming::DATA_DIR;
use object_store::ObjectStoreExt;

use crate::dataset::Dataset;
use crate::error::{Error, Result};

/// What an abort did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AbortReport {
    /// Data files removed (paths under `data/`).
    pub removed: Vec<String>,
    /// Data files already gone (a re-run, or files never written).
    pub missing: Vec<String>,
    /// Data files kept because a version references them, with the first such version.
    pub referenced: Vec<(String, u64)>,
}

impl Dataset {
    /// Deletes the data files of `fragments` (what a failed job's workers returned, as
    /// handed to a commit), but never one that any version of the dataset references:
    /// every manifest is read, not only the latest. Paths are checked as a commit checks
    /// them. Running it again is harmless: files already gone are reported as missing.
    ///
    /// A coordinator must not commit these fragments at the same time: a commit landing
    /// after the abort would name deleted files.
    pub async fn abort(
        uri: &str,
        fragments: &[Fragment],
        storage_options: &StoreOptions,
    ) -> Result<AbortReport> {
        let store = DatasetStore::open(uri, storage_options)?;
        let mut wanted: Vec<String> = Vec::new();
        for fragment in fragments {
            for file in &fragment.files {
                lancer_table::check_relative_path(&file.path).map_err(|why| {
                    Error::in_data_file(fragment.id.to_string(), file.path.clone(), why)
                })?;
                if !wanted.contains(&file.path) {
                    wanted.push(file.path.clone());
                }
            }
        }
        remove_unreferenced(&store, wanted).await
    }

    /// Deletes every data file whose name carries `job`'s tag (written with
    /// [`WriteParams::with_job`](crate::WriteParams::with_job)), but never one any version
    /// references. This finds the files of workers that died before returning their
    /// fragments, which [`Dataset::abort`] cannot know of. Running it again is harmless.
    pub async fn abort_job(
        uri: &str,
        job: &str,
        storage_options: &StoreOptions,
    ) -> Result<AbortReport> {
        use futures::TryStreamExt;
        lancer_table::naming::check_job_tag(job).map_err(Error::invalid_input)?;
        let store = DatasetStore::open(uri, storage_options)?;
        let data = store.path(DATA_DIR);
        let listed: Vec<_> = store.object_store().list(Some(&data)).try_collect().await?;
        let mut wanted: Vec<String> = listed
            .iter()
            .filter_map(|object| {
                // Only files directly under data/, as workers write them.
                let relative: Vec<_> = object.location.prefix_match(&data)?.collect();
                match relative.as_slice() {
                    [name] => Some(name.as_ref().to_string()),
                    _ => None,
                }
            })
            .filter(|name| lancer_table::naming::data_file_job(name) == Some(job))
            .collect();
        wanted.sort();
        remove_unreferenced(&store, wanted).await
    }
}

/// Deletes the data files `wanted` (paths under `data/`) that no version references.
async fn remove_unreferenced(store: &DatasetStore, wanted: Vec<String>) -> Result<AbortReport> {
    let referenced = referencing_versions(store, &wanted).await?;
    let mut report = AbortReport::default();
    for path in wanted {
        if let Some(version) = referenced.get(&path) {
            report.referenced.push((path, *version));
            continue;
        }
        let location = store.path(&format!("{DATA_DIR}/{path}"));
        // Asked first: some stores (S3) do not say whether a deleted object existed.
        match store.object_store().head(&location).await {
            Err(object_store::Error::NotFound { .. }) => {
                report.missing.push(path);
                continue;
            }
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        match store.object_store().delete(&location).await {
            Ok(()) => report.removed.push(path),
            Err(object_store::Error::NotFound { .. }) => report.missing.push(path),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(report)
}

/// For each of `paths` a version references, the first such version.
async fn referencing_versions(
    store: &DatasetStore,
    paths: &[String],
) -> Result<HashMap<String, u64>> {
    let mut found = HashMap::new();
    if paths.is_empty() {
        return Ok(found);
    }
    let wanted: std::collections::HashSet<&str> = paths.iter().map(String::as_str).collect();
    // A dataset with no version yet: nothing references anything.
    for entry in store.list_versions().await? {
        let manifest = store.manifest(entry.version).await?;
        for file in manifest.fragments.iter().flat_map(|f| &f.files) {
            if wanted.contains(file.path.as_str()) {
                found.entry(file.path.clone()).or_insert(entry.version);
            }
        }
    }
    Ok(found)
}
