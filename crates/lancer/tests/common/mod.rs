//! Helpers for the dataset tests: the seed's data, lancer's side of the seed flow, and rows
//! as JSON for comparing with what pylance reads.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, Int32Array, RecordBatch, RecordBatchIterator, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use lancer::{
    CommitParams, Dataset, FileVersion, Fragment, LanceSchema, Operation, WriteParams,
    write_fragments,
};
use lancer_testkit::oracle;
use serde_json::{Value, json};

pub fn seed_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("a", DataType::Int32, true),
        Field::new("b", DataType::Utf8, true),
    ]))
}

pub fn seed_batch(a: &[i32], b: &[&str]) -> RecordBatch {
    RecordBatch::try_new(
        seed_schema(),
        vec![
            Arc::new(Int32Array::from(a.to_vec())),
            Arc::new(StringArray::from(b.to_vec())),
        ],
    )
    .unwrap()
}

/// A worker with the default parameters (a new dataset gets file version 2.2).
pub async fn worker(uri: &str, a: &[i32], b: &[&str]) -> Vec<Fragment> {
    let reader = RecordBatchIterator::new([Ok(seed_batch(a, b))], seed_schema());
    write_fragments(uri, reader, &WriteParams::default())
        .await
        .unwrap()
}

/// A worker writing files of `version` when it creates the dataset (an existing dataset's
/// own version otherwise).
pub async fn worker_in(uri: &str, a: &[i32], b: &[&str], version: FileVersion) -> Vec<Fragment> {
    let reader = RecordBatchIterator::new([Ok(seed_batch(a, b))], seed_schema());
    let params = WriteParams::default().with_data_storage_version(version);
    write_fragments(uri, reader, &params).await.unwrap()
}

/// Creates the dataset at `uri` (version 1) from one worker's rows.
pub async fn create(uri: &str, a: &[i32], b: &[&str]) -> Dataset {
    let fragments = worker(uri, a, b).await;
    let schema = LanceSchema::from_arrow(&seed_schema()).unwrap();
    Dataset::commit(
        uri,
        Operation::overwrite(fragments, schema),
        0,
        &CommitParams::default(),
    )
    .await
    .unwrap()
}

/// The seed flow by lancer: versions 1 (create from two workers), 2 (append), 3 (b_len).
pub async fn lancer_seed(uri: &str) -> Dataset {
    lancer_seed_in(uri, FileVersion::V2_2).await
}

/// The seed flow by lancer, with data files of `version`.
pub async fn lancer_seed_in(uri: &str, version: FileVersion) -> Dataset {
    let w1 = worker_in(uri, &[1, 2, 3], &["x", "y", "z"], version).await;
    let w2 = worker_in(uri, &[4, 5, 6], &["u", "v", "w"], version).await;
    let json: Vec<String> = w1.iter().chain(&w2).map(Fragment::to_json).collect();
    let fragments: Vec<Fragment> = json
        .iter()
        .map(|t| Fragment::from_json(t).unwrap())
        .collect();
    let schema = LanceSchema::from_arrow(&seed_schema()).unwrap();
    let v1 = Dataset::commit(
        uri,
        Operation::overwrite(fragments, schema),
        0,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    assert_eq!(v1.version(), 1);
    let w3 = worker(uri, &[7, 8], &["seven", "eight"]).await;
    let v2 = Dataset::commit(uri, Operation::append(w3), 1, &CommitParams::default())
        .await
        .unwrap();
    assert_eq!(v2.version(), 2);
    add_b_len(uri).await
}

/// Adds `b_len` to every fragment of the latest version with merge_columns and one Merge.
pub async fn add_b_len(uri: &str) -> Dataset {
    let dataset = Dataset::open(uri).await.unwrap();
    let mut fragments = Vec::new();
    let mut schema = None;
    for fragment in dataset.get_fragments() {
        let (merged, new_schema) = fragment.merge_columns(b_len, &["b"]).await.unwrap();
        fragments.push(merged);
        schema = Some(new_schema);
    }
    let operation = Operation::merge(fragments, schema.unwrap(), dataset.schema());
    Dataset::commit(uri, operation, dataset.version(), &CommitParams::default())
        .await
        .unwrap()
}

pub fn b_len(batch: RecordBatch) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let b = batch.column_by_name("b").unwrap().as_string::<i32>();
    let lengths: Int32Array = b
        .iter()
        .map(|s| s.map(|s| s.chars().count() as i32))
        .collect();
    RecordBatch::try_from_iter([("b_len", Arc::new(lengths) as _)])
}

/// The rows of a batch as JSON objects (int32, int64 and utf8 columns).
pub fn rows(batch: &RecordBatch) -> Vec<Value> {
    (0..batch.num_rows())
        .map(|row| {
            let mut object = serde_json::Map::new();
            for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                let value = if column.is_null(row) {
                    Value::Null
                } else {
                    match column.data_type() {
                        DataType::Int32 => json!(column.as_primitive::<Int32Type>().value(row)),
                        DataType::Int64 => json!(column.as_primitive::<Int64Type>().value(row)),
                        DataType::Utf8 => json!(column.as_string::<i32>().value(row)),
                        other => panic!("rows(): unsupported type {other}"),
                    }
                };
                object.insert(field.name().clone(), value);
            }
            Value::Object(object)
        })
        .collect()
}

pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/oracle")
        .join(name)
}

/// Runs an oracle script and parses its stdout's last line as JSON.
pub fn run_json(python: &Path, name: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Value {
    let output = oracle::run_script(python, &script(name), args);
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{name}: {e}: {text}"))
}

/// Everything lancer reads from `version` of the dataset at `uri`.
pub async fn lancer_view(uri: &str, version: u64) -> (Vec<String>, Vec<Value>) {
    let dataset = Dataset::open_with(uri, &lancer::OpenParams::default().with_version(version))
        .await
        .unwrap();
    let batch = dataset.scan().to_batch().await.unwrap();
    let columns = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    (columns, rows(&batch))
}

pub fn seed_expectation() -> Vec<(u64, Vec<&'static str>, Value)> {
    vec![
        (
            1,
            vec!["a", "b"],
            json!([{"a":1,"b":"x"},{"a":2,"b":"y"},{"a":3,"b":"z"},{"a":4,"b":"u"},{"a":5,"b":"v"},{"a":6,"b":"w"}]),
        ),
        (
            2,
            vec!["a", "b"],
            json!([{"a":1,"b":"x"},{"a":2,"b":"y"},{"a":3,"b":"z"},{"a":4,"b":"u"},{"a":5,"b":"v"},{"a":6,"b":"w"},{"a":7,"b":"seven"},{"a":8,"b":"eight"}]),
        ),
        (
            3,
            vec!["a", "b", "b_len"],
            json!([{"a":1,"b":"x","b_len":1},{"a":2,"b":"y","b_len":1},{"a":3,"b":"z","b_len":1},{"a":4,"b":"u","b_len":1},{"a":5,"b":"v","b_len":1},{"a":6,"b":"w","b_len":1},{"a":7,"b":"seven","b_len":5},{"a":8,"b":"eight","b_len":5}]),
        ),
    ]
}
