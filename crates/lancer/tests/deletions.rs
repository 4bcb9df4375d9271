//! Datasets whose rows pylance deleted, in every form pylance 14 stores deletions (Arrow IPC
//! files, compressed from 18 rows on, and roaring bitmaps) and every data file version: lancer
//! reads the rows pylance reads, finds every file sound, and adds columns over them that
//! pylance then reads back, and pylance's compaction of them that lancer reads back.

mod common;

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Int64Array, RecordBatch};
use common::*;
use lancer::{CommitParams, Dataset, Operation};
use lancer_testkit::oracle;
use serde_json::Value;

fn doubled(batch: RecordBatch) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let ids = batch.column(0).as_primitive::<Int64Type>();
    let doubled: Int64Array = ids.iter().map(|v| v.map(|v| v * 2)).collect();
    RecordBatch::try_from_iter([("double", Arc::new(doubled) as _)])
}

fn ids(batch: &RecordBatch) -> Vec<i64> {
    batch
        .column_by_name("id")
        .unwrap()
        .as_primitive::<Int64Type>()
        .values()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_deletion_pylance_writes_reads_the_same() {
    let Some(python) = oracle::python("every_deletion_pylance_writes_reads_the_same") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let seen = run_json(&python, "deletion_sizes.py", &[&dir.path()]);
    for (case, version) in seen.as_array().unwrap().iter().zip(["2.0", "2.1", "2.2"]) {
        let uri = dir.path().join(version).to_str().unwrap().to_string();
        let types: Vec<&str> = case["deletion_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(
            types.contains(&"array") && types.contains(&"bitmap"),
            "{types:?}"
        );
        let expected: Vec<i64> = case["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let dataset = Dataset::open(&uri).await.unwrap();
        assert_eq!(
            dataset.count_rows().unwrap(),
            expected.len() as u64,
            "{version}"
        );
        let batch = dataset.scan().to_batch().await.unwrap();
        assert_eq!(ids(&batch), expected, "{version}");
        let check = dataset.check_files().await.unwrap();
        assert!(check.problems.is_empty(), "{version}: {:?}", check.problems);
        assert_eq!(
            check.files, 12,
            "{version}: six data and six deletion files"
        );

        // Columns added over the deleted rows line up with the rows pylance keeps.
        let mut merged = Vec::new();
        let mut schema = None;
        for fragment in dataset.get_fragments() {
            let (f, s) = fragment.merge_columns(doubled, &["id"]).await.unwrap();
            merged.push(f);
            schema = Some(s);
        }
        let operation = Operation::merge(merged, schema.unwrap(), dataset.schema());
        let v = Dataset::commit(&uri, operation, dataset.version(), &CommitParams::default())
            .await
            .unwrap();
        let batch = v
            .scan()
            .project(&["id", "double"])
            .to_batch()
            .await
            .unwrap();
        let lancer_rows = rows(&batch);
        let pylance = run_json(&python, "read_columns.py", &[&uri, &"id", &"double"]);
        assert_eq!(pylance["version"].as_u64(), Some(v.version()));
        assert_eq!(pylance["count"].as_u64(), Some(expected.len() as u64));
        assert_eq!(pylance["rows"], Value::Array(lancer_rows), "{version}");
        assert_eq!(ids(&batch), expected);

        // pylance compacts what lancer merged (dropping the deleted rows); lancer reads the
        // rewritten version as pylance does.
        let compacted = run_json(&python, "compact.py", &[&uri, &"id", &"double"]);
        assert_eq!(compacted["fragments"].as_u64(), Some(1), "{version}");
        let after = Dataset::open(&uri).await.unwrap();
        assert_eq!(Some(after.version()), compacted["version"].as_u64());
        let batch = after
            .scan()
            .project(&["id", "double"])
            .to_batch()
            .await
            .unwrap();
        assert_eq!(compacted["rows"], Value::Array(rows(&batch)), "{version}");
        assert!(after.check_files().await.unwrap().problems.is_empty());
    }
}
