//! Executing a compaction task on a worker: the task's fragments read back (deleted rows
//! dropped) and written as new files of the dataset, nothing committed.

use super::{CompactionMetrics, CompactionTask, RewriteResult};
use crate::dataset::Dataset;
use crate::error::{Error, ErrorKind, Result};
use crate::write::{WriteParams, write_batches};

impl CompactionTask {
    /// Rewrites the task's fragments as new data files of `dataset` and returns the result
    /// for [`Dataset::commit_compaction`]. `dataset` may be open at any version: the task
    /// reads the version it was planned on, and refuses a dataset (or a version) other
    /// than the plan's, or fragments that differ from the plan's. The new files are
    /// referenced by nothing until the commit; if anything fails they are removed (a
    /// worker killed midway leaves orphans for cleanup).
    pub async fn execute(&self, dataset: &Dataset) -> Result<RewriteResult> {
        let planned = dataset.checkout_version(self.read_version).await?;
        if planned.manifest().transaction_file != self.dataset_tag {
            return Err(Error::invalid_input(format!(
                "compaction task {} was planned on another dataset: version {} of {} is not the one planned on",
                self.index,
                self.read_version,
                dataset.uri()
            )));
        }
        for fragment in &self.fragments {
            if planned.fragment_metadata(fragment.id) != Some(fragment) {
                return Err(Error::invalid_input(format!(
                    "compaction task {}: fragment {} is not as version {} has it",
                    self.index, fragment.id, self.read_version
                )));
            }
        }
        let ids: Vec<u64> = self.fragments.iter().map(|f| f.id).collect();
        let rows = planned.scan().with_fragments(&ids).try_into_stream()?;
        let rows_per_file =
            usize::try_from(self.options.target_rows_per_fragment).unwrap_or(usize::MAX);
        let mut params = WriteParams::default().with_max_rows_per_file(rows_per_file);
        if let Some(bytes) = self.options.max_bytes_per_file {
            params = params.with_max_bytes_per_file(bytes);
        }
        let new_fragments = write_batches(&planned, rows, &params).await?;
        let written: u64 = new_fragments.iter().filter_map(|f| f.physical_rows).sum();
        if written != self.rows {
            let removal = remove_files(&planned, &new_fragments).await;
            let mut error = Error::new(
                ErrorKind::Corrupt,
                format!(
                    "compaction task {}: read {written} rows from fragments {ids:?}, which version {} says hold {}",
                    self.index, self.read_version, self.rows
                ),
            );
            if let Err(e) = removal {
                error = error.note(format!("(its new files could not be removed: {e})"));
            }
            return Err(error);
        }
        let metrics = CompactionMetrics {
            fragments_removed: self.fragments.len(),
            fragments_added: new_fragments.len(),
            files_removed: self
                .fragments
                .iter()
                .map(|f| f.files.len() + usize::from(f.deletion_file.is_some()))
                .sum(),
            files_added: new_fragments.iter().map(|f| f.files.len()).sum(),
        };
        Ok(RewriteResult {
            plan_id: self.plan_id.clone(),
            task: self.index,
            read_version: self.read_version,
            dataset_tag: self.dataset_tag.clone(),
            old_fragments: self.fragments.clone(),
            new_fragments,
            rows: written,
            metrics,
        })
    }
}

impl RewriteResult {
    /// Deletes the result's new data files, when it is not going to be committed (a
    /// compaction that failed elsewhere): files any version of `dataset` lists now are
    /// kept, whatever the result says.
    pub async fn discard(&self, dataset: &Dataset) -> Result<()> {
        let latest = dataset
            .checkout_version(dataset.latest_version().await?)
            .await?;
        let in_use: std::collections::HashSet<&str> = latest
            .manifest()
            .fragments
            .iter()
            .flat_map(|f| &f.files)
            .map(|f| f.path.as_str())
            .collect();
        let unused: Vec<lancer_table::Fragment> = self
            .new_fragments
            .iter()
            .filter(|f| {
                f.files
                    .iter()
                    .all(|file| !in_use.contains(file.path.as_str()))
            })
            .cloned()
            .collect();
        remove_files(dataset, &unused).await
    }
}

/// Deletes the data files of fragments this task wrote (and nothing references).
async fn remove_files(dataset: &Dataset, fragments: &[lancer_table::Fragment]) -> Result<()> {
    use object_store::ObjectStoreExt;
    for file in fragments.iter().flat_map(|f| &f.files) {
        match dataset
            .object_store()
            .delete(&dataset.data_path(&file.path))
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
