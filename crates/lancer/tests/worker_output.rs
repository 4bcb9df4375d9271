//! Worker output that does not match what it claims is refused before anything is
//! committed: missing files, truncated files, files of another schema, paths outside the
//! dataset, incomplete Merges, and writes into datasets of another file version.

mod common;

use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch, RecordBatchIterator, StringArray};
use arrow_schema::{DataType, Field, Schema};
use common::*;
use futures::TryStreamExt;
use lancer::{
    CommitParams, Dataset, Fragment, LanceSchema, Operation, WriteParams, write_fragments,
};
use lancer_testkit::oracle;

async fn created(dir: &tempfile::TempDir) -> String {
    let uri = dir.path().join("ds").to_str().unwrap().to_string();
    create(&uri, &[1, 2, 3], &["x", "y", "z"]).await;
    uri
}

async fn transaction_files(uri: &str) -> usize {
    let (store, root) = lancer_commit::open_store(uri, &Default::default()).unwrap();
    let listed: Vec<_> = store
        .list(Some(&root.join("_transactions")))
        .try_collect()
        .await
        .unwrap();
    listed.len()
}

/// Appending `fragments` is refused with an error mentioning `needle`, and the dataset is
/// left exactly as it was.
async fn refused(uri: &str, fragments: Vec<Fragment>, needle: &str) {
    let before = transaction_files(uri).await;
    let error = Dataset::commit(
        uri,
        Operation::append(fragments),
        1,
        &CommitParams::default(),
    )
    .await
    .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(needle),
        "expected `{needle}` in: {message}"
    );
    let dataset = Dataset::open(uri).await.unwrap();
    assert_eq!(dataset.version(), 1, "no version was created");
    assert_eq!(
        transaction_files(uri).await,
        before,
        "no transaction file was written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let uri = created(&dir).await;
    let mut fragment = worker(&uri, &[9], &["n"]).await.remove(0);
    fragment.files[0].path = "0000000000000000000000001234567890abcdef1234567890.lance".into();
    refused(&uri, vec![fragment], "does not exist").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let uri = created(&dir).await;
    let fragment = worker(&uri, &[9], &["n"]).await.remove(0);
    let path = dir.path().join("ds/data").join(&fragment.files[0].path);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
    refused(&uri, vec![fragment.clone()], "bytes, the file has").await;
    // With no size in the JSON the file itself is found unreadable.
    let mut unsized_fragment = fragment;
    unsized_fragment.files[0].file_size_bytes = None;
    refused(
        &uri,
        vec![unsized_fragment],
        "cannot be read as a Lance file",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_of_another_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let uri = created(&dir).await;
    // A worker that wrote `a` as int64 into a scratch dataset, then handed the file over.
    let scratch = dir.path().join("scratch").to_str().unwrap().to_string();
    let other = Arc::new(Schema::new(vec![
        Field::new("a", DataType::Int64, true),
        Field::new("b", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        other.clone(),
        vec![
            Arc::new(Int64Array::from(vec![7])),
            Arc::new(StringArray::from(vec!["q"])),
        ],
    )
    .unwrap();
    let fragment = write_fragments(
        &scratch,
        RecordBatchIterator::new([Ok(batch)], other),
        &WriteParams::default(),
    )
    .await
    .unwrap()
    .remove(0);
    let name = &fragment.files[0].path;
    std::fs::rename(
        dir.path().join("scratch/data").join(name),
        dir.path().join("ds/data").join(name),
    )
    .unwrap();
    refused(
        &uri,
        vec![fragment],
        "is `a` (int64) in the file but `a` (int32) in the schema",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_outside_the_dataset_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let uri = created(&dir).await;
    let fragment = worker(&uri, &[9], &["n"]).await.remove(0);
    let json = fragment
        .to_json()
        .replace(&fragment.files[0].path, "../../etc/passwd");
    let message = Fragment::from_json(&json).unwrap_err().to_string();
    assert!(message.contains("files[0].path"), "{message}");
    let mut hostile = fragment;
    hostile.files[0].path = "../escape.lance".into();
    refused(&uri, vec![hostile], "escapes the dataset").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_missing_fragments_is_refused_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let uri = created(&dir).await;
    let w = worker(&uri, &[4], &["four"]).await;
    Dataset::commit(&uri, Operation::append(w), 1, &CommitParams::default())
        .await
        .unwrap();
    let dataset = Dataset::open(&uri).await.unwrap();
    let (merged, schema) = dataset.get_fragments()[0]
        .merge_columns(b_len, &["b"])
        .await
        .unwrap();
    let operation = Operation::merge(vec![merged], schema, dataset.schema());
    let error = Dataset::commit(&uri, operation, 2, &CommitParams::default())
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("missing fragment ids [1]"),
        "{error}"
    );
    assert_eq!(Dataset::open(&uri).await.unwrap().version(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_row_counts_are_filled_from_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let uri = created(&dir).await;
    let mut fragment = worker(&uri, &[4, 5], &["four", "five"]).await.remove(0);
    let json = fragment
        .to_json()
        .replace("\"physical_rows\": 2", "\"physical_rows\": null");
    fragment = Fragment::from_json(&json).unwrap();
    assert_eq!(fragment.physical_rows, None);
    let dataset = Dataset::commit(
        &uri,
        Operation::append(vec![fragment]),
        1,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    assert_eq!(dataset.get_fragments()[1].metadata().physical_rows, Some(2));
    assert_eq!(dataset.count_rows().unwrap(), 5);
}

/// A dataset made by pylance with its defaults (file version 2.2): lancer commits pylance
/// workers' fragments, lancer workers append to it and add a column with merge_columns,
/// all in 2.2 files (no mixed versions), and pylance reads every version back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pylance_default_datasets_take_lancer_workers_and_merge_columns() {
    let Some(python) =
        oracle::python("pylance_default_datasets_take_lancer_workers_and_merge_columns")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("v22").to_str().unwrap().to_string();
    // pylance workers writing its default (2.2) files; lancer commits them after reading
    // only their footers.
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        script.path(),
        "import json, sys, pyarrow as pa\nfrom lance.fragment import write_fragments\n\
         f = write_fragments({'a': [1, 2], 'b': ['x', 'y']}, sys.argv[1], schema=pa.schema([('a', pa.int32()), ('b', pa.string())]))\n\
         json.dump([json.dumps(x.to_json()) for x in f], open(sys.argv[2], 'w'))\n",
    )
    .unwrap();
    let out = dir.path().join("f.json");
    oracle::run_script(&python, script.path(), &[&uri, &out]);
    let fragments = lancer::fragments_from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(fragments[0].files[0].file_minor_version, 2);
    let schema = LanceSchema::from_arrow(&seed_schema()).unwrap();
    let dataset = Dataset::commit(
        &uri,
        Operation::overwrite(fragments, schema),
        0,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        dataset.manifest().data_format.as_ref().unwrap().version,
        "2.2"
    );
    // A lancer worker appends: its files take the dataset's version without being told.
    let appended = worker(&uri, &[3], &["zed"]).await;
    assert_eq!(appended[0].files[0].file_minor_version, 2);
    Dataset::commit(
        &uri,
        Operation::append(appended),
        1,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    let merged = add_b_len(&uri).await;
    assert_eq!(merged.version(), 3);
    for fragment in merged.manifest().fragments.iter() {
        for file in &fragment.files {
            assert_eq!(file.file_minor_version, 2, "{}", file.path);
        }
    }
    assert_eq!(
        merged.manifest().writer_feature_flags & lancer_table::features::MIXED_FILE_VERSIONS,
        0
    );
    let seen = run_json(&python, "read_versions.py", &[&uri]);
    let views = seen.as_array().unwrap();
    assert_eq!(views.len(), 3);
    assert_eq!(
        views[2]["rows"],
        serde_json::json!([
            {"a": 1, "b": "x", "b_len": 1},
            {"a": 2, "b": "y", "b_len": 1},
            {"a": 3, "b": "zed", "b_len": 3}
        ])
    );
    assert_eq!(views[2]["storage"], "2.2");
    let (_, ours) = lancer_view(&uri, 3).await;
    assert_eq!(serde_json::Value::Array(ours), views[2]["rows"]);
}
