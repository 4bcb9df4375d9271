//! Shared pieces of the commit tests: a small dataset with real data files, and an
//! object store that injects faults.

#![allow(dead_code)]

pub mod faulty;

use std::path::Path as FsPath;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use lancer_commit::{CommitOptions, DatasetStore};
use lancer_file::{FileVersion, FileWriter, FileWriterOptions, LanceSchema};
use lancer_table::{DataFile, Fragment, Operation, Transaction};
use object_store::ObjectStore;
use object_store::path::Path;

pub fn schema() -> LanceSchema {
    LanceSchema::from_arrow(&Schema::new(vec![Field::new("id", DataType::Int64, false)])).unwrap()
}

/// Writes a data file holding `ids` under the dataset's `data/` and returns its fragment.
pub async fn fragment(
    store: &Arc<dyn ObjectStore>,
    root: &Path,
    ids: std::ops::Range<i64>,
) -> Fragment {
    let name = lancer_table::naming::new_data_file_name();
    let path = root.clone().join("data").join(name.as_str());
    let arrow = Arc::new(schema().to_arrow().unwrap());
    let batch = RecordBatch::try_new(
        arrow,
        vec![Arc::new(Int64Array::from_iter_values(ids)) as ArrayRef],
    )
    .unwrap();
    let mut writer =
        FileWriter::try_new(store.clone(), path, schema(), FileWriterOptions::default()).unwrap();
    writer.write_batch(&batch).await.unwrap();
    let written = writer.finish().await.unwrap();
    Fragment::new(
        DataFile::new(
            name,
            vec![0],
            vec![0],
            FileVersion::V2_0,
            written.size_bytes,
        ),
        written.num_rows,
    )
}

/// A dataset at `root` with version 1 holding ids `0..rows`.
pub async fn create(store: Arc<dyn ObjectStore>, root: Path, rows: i64) -> DatasetStore {
    let dataset = DatasetStore::new(store.clone(), root.clone());
    let first = fragment(&store, &root, 0..rows).await;
    let create = Transaction::new(
        0,
        Operation::Overwrite {
            fragments: vec![first],
            schema: schema(),
            config_upsert: Default::default(),
        },
    );
    dataset
        .commit(&create, &CommitOptions::default())
        .await
        .unwrap();
    dataset
}

/// Every version of the dataset decodes, ids are unique and sorted in each, and the latest
/// holds exactly `expected` rows. Returns the latest version.
pub async fn check_consistent(dataset: &DatasetStore, expected_rows: Option<u64>) -> u64 {
    let versions = dataset.list_versions().await.unwrap();
    assert!(!versions.is_empty());
    for (i, entry) in versions.iter().enumerate() {
        assert_eq!(entry.version, i as u64 + 1, "versions are contiguous");
        let manifest = dataset.manifest(entry.version).await.unwrap();
        let ids: Vec<u64> = manifest.fragments.iter().map(|f| f.id).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "version {}: fragment ids {ids:?}",
            entry.version
        );
        dataset.transaction(entry.version).await.unwrap();
    }
    let latest = dataset.latest_manifest().await.unwrap().unwrap();
    if let Some(rows) = expected_rows {
        assert_eq!(
            latest.num_rows(),
            Some(rows),
            "rows in version {}",
            latest.version
        );
    }
    latest.version
}

pub fn local(dir: &FsPath) -> (Arc<dyn ObjectStore>, Path) {
    lancer_commit::open_store(dir.to_str().unwrap(), &Default::default()).unwrap()
}
