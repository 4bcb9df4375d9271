//! Lance datasets for distributed writes.
//!
//! Workers (threads, processes, slurm tasks, Kubernetes pods) call [`write_fragments`]
//! to write data files straight into the dataset's storage and hand back small
//! [`Fragment`] descriptions as JSON ([`Fragment::to_json`], identical to pylance's
//! `FragmentMetadata.to_json()`). One coordinator parses them ([`fragments_from_json`])
//! and commits them as one new version with [`Dataset::commit`]. Columns are added to
//! existing fragments without rewriting data with [`DatasetFragment::merge_columns`].
//! Everything lancer writes is a Lance dataset pylance and LanceDB read, and lancer reads
//! theirs (file format 2.0).
//!
//! The distributed write, end to end:
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use arrow_array::{Int32Array, RecordBatch, RecordBatchIterator, StringArray};
//! use arrow_schema::{DataType, Field, Schema};
//! use lancer::{CommitParams, Dataset, Fragment, Operation, WriteParams, fragments_from_json, write_fragments};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let uri = dir.path().join("dist_write");
//! let uri = uri.to_str().unwrap();
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("a", DataType::Int32, true),
//!     Field::new("b", DataType::Utf8, true),
//! ]));
//! let batch = |a: Vec<i32>, b: Vec<&str>| {
//!     RecordBatch::try_new(schema.clone(), vec![Arc::new(Int32Array::from(a)), Arc::new(StringArray::from(b))]).unwrap()
//! };
//!
//! // On two workers:
//! let reader = RecordBatchIterator::new([Ok(batch(vec![1, 2, 3], vec!["x", "y", "z"]))], schema.clone());
//! let worker1 = write_fragments(uri, reader, &WriteParams::default()).await.unwrap();
//! let reader = RecordBatchIterator::new([Ok(batch(vec![4, 5, 6], vec!["u", "v", "w"]))], schema.clone());
//! let worker2 = write_fragments(uri, reader, &WriteParams::default()).await.unwrap();
//!
//! // The fragments travel as JSON to one coordinator, which creates the dataset.
//! let json: Vec<String> = worker1.iter().chain(&worker2).map(Fragment::to_json).collect();
//! let fragments: Vec<Fragment> = json.iter().map(|j| Fragment::from_json(j).unwrap()).collect();
//! let lance_schema = lancer::LanceSchema::from_arrow(&schema).unwrap();
//! let dataset = Dataset::commit(uri, Operation::overwrite(fragments, lance_schema), 0, &CommitParams::default())
//!     .await
//!     .unwrap();
//! assert_eq!(dataset.version(), 1);
//! assert_eq!(dataset.get_fragments().len(), 2);
//! assert_eq!(dataset.count_rows().unwrap(), 6);
//! let table = dataset.scan().to_batch().await.unwrap();
//! assert_eq!(table.num_rows(), 6);
//! # });
//! ```
#![deny(missing_docs)]

// The handle, then one module per capability; each capability adds its methods to
// `Dataset`, and none is imported by `dataset`.
mod cleanup;
mod commit;
mod compact;
mod dataset;
mod error;
mod evolve;
mod fragment;
mod read;
mod tags;
mod validate;
mod write;

pub use cleanup::{AbortReport, CleanupOptions, CleanupReport, Progress};
pub use commit::{CommitParams, merged_schema, schema_from_files};
pub use compact::{
    CompactionCommit, CompactionMetrics, CompactionOptions, CompactionPlan, CompactionTask,
    RewriteResult,
};
pub use dataset::{Dataset, OpenParams, VersionInfo};
pub use error::{Error, ErrorKind, Result};
pub use evolve::{ColumnAlteration, projected_schema};
pub use fragment::DatasetFragment;
pub use read::{ROW_ADDRESS, ROW_ID, Scanner};
pub use tags::TagInfo;
pub use validate::{FileCheck, FileProblem};
pub use write::conform::{check_conformable, conform_batch, storable_schema};
pub use write::{
    WriteEvent, WriteParams, WriteProgress, parse_data_storage_version, write_fragments,
};

pub use lancer_commit::{CommitOptions, StoreOptions};
pub use lancer_file::{FileVersion, LanceField, LanceSchema};
pub use lancer_table::{
    DataFile, DeletionFile, Fragment, Operation, fragments_from_json, fragments_to_json,
};
