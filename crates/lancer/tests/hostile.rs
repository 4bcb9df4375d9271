//! The coordinator against hostile worker output, through the Rust API: every commit here is
//! refused with a message naming the fragment, file or column at fault, and the dataset is
//! left byte for byte as it was (same versions, same manifests, same transactions).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Int32Array, RecordBatch, RecordBatchIterator, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use common::*;
use lancer::{
    CommitParams, Dataset, DeletionFile, FileVersion, Fragment, LanceSchema, Operation,
    WriteParams, write_fragments,
};
use lancer_table::DeletionFileType;
use lancer_testkit::files;

/// Every file under `_versions/` and `_transactions/` with its bytes.
fn snapshot(uri: &str) -> BTreeMap<String, Vec<u8>> {
    files::snapshot(Path::new(uri), &["_versions", "_transactions"])
}

/// Commits `operation` on `read_version`, expects a refusal mentioning every one of
/// `needles`, and checks nothing under `_versions/` or `_transactions/` changed.
async fn refused(uri: &str, operation: Operation, read_version: u64, needles: &[&str]) -> String {
    refused_with(
        uri,
        operation,
        read_version,
        &CommitParams::default(),
        needles,
    )
    .await
}

async fn refused_with(
    uri: &str,
    operation: Operation,
    read_version: u64,
    params: &CommitParams,
    needles: &[&str],
) -> String {
    let before = snapshot(uri);
    let message = match Dataset::commit(uri, operation, read_version, params).await {
        Ok(d) => panic!("committed version {} (wanted {needles:?})", d.version()),
        Err(e) => e.to_string(),
    };
    files::assert_mentions(&message, needles);
    assert!(
        before == snapshot(uri),
        "the refused commit changed the dataset: {message}"
    );
    message
}

async fn dataset(dir: &tempfile::TempDir, version: FileVersion) -> String {
    let uri = dir.path().join("ds").to_str().unwrap().to_string();
    let mut fragments = worker_in(&uri, &[1, 2, 3], &["x", "y", "z"], version).await;
    fragments.extend(worker_in(&uri, &[4, 5], &["u", "v"], version).await);
    let schema = LanceSchema::from_arrow(&seed_schema()).unwrap();
    Dataset::commit(
        &uri,
        Operation::overwrite(fragments, schema),
        0,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    uri
}

async fn latest(uri: &str) -> Dataset {
    Dataset::open(uri).await.unwrap()
}

/// Writes an Arrow deletion file deleting `rows` of fragment `id` and returns it.
fn deletion_file(uri: &str, id: u64, read_version: u64, rows: &[u32]) -> DeletionFile {
    let deletion = DeletionFile {
        file_type: DeletionFileType::Array,
        read_version,
        id: 42,
        num_deleted_rows: Some(rows.len() as u64),
        base_id: None,
    };
    let path = Path::new(uri).join(deletion.path(id));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "row_id",
        DataType::UInt32,
        false,
    )]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(UInt32Array::from(rows.to_vec()))],
    )
    .unwrap();
    let mut writer =
        arrow_ipc::writer::FileWriter::try_new(std::fs::File::create(&path).unwrap(), &schema)
            .unwrap();
    writer.write(&batch).unwrap();
    writer.finish().unwrap();
    deletion
}

fn delete(fragment: Fragment) -> Operation {
    Operation::Delete {
        updated_fragments: vec![fragment],
        deleted_fragment_ids: vec![],
        predicate: "a < 3".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_or_partial_merges_are_refused() {
    for version in [FileVersion::V2_0, FileVersion::V2_2] {
        let dir = tempfile::tempdir().unwrap();
        let uri = dataset(&dir, version).await;
        let v1 = latest(&uri).await;
        // Worker: add a column to every fragment of version 1.
        let mut merged = Vec::new();
        let mut schema = None;
        for fragment in v1.get_fragments() {
            let (f, s) = fragment.merge_columns(b_len, &["b"]).await.unwrap();
            merged.push(f);
            schema = Some(s);
        }
        let schema = schema.unwrap();
        // Meanwhile rows of fragment 0 are deleted (version 2).
        let mut deleting = v1.get_fragments()[0].metadata().clone();
        deleting.deletion_file = Some(deletion_file(&uri, deleting.id, 1, &[0, 1]));
        Dataset::commit(&uri, delete(deleting), 1, &CommitParams::default())
            .await
            .unwrap();
        assert_eq!(latest(&uri).await.count_rows().unwrap(), 3);
        // The stale Merge, claiming to be built on version 2, would bring them back.
        let previous = latest(&uri).await.schema().clone();
        refused(
            &uri,
            Operation::merge(merged.clone(), schema.clone(), &previous),
            2,
            &["fragment 0", "deletion_file", "_deletions/0-1-42.arrow"],
        )
        .await;
        // Honest about its read version, it must be rebuilt.
        refused(
            &uri,
            Operation::merge(merged.clone(), schema.clone(), &previous),
            1,
            &["Merge", "Delete", "version 2"],
        )
        .await;
        // A merge listing only the new file of a fragment would read its old columns as null.
        let v2 = latest(&uri).await;
        let mut only_new = Vec::new();
        for fragment in v2.get_fragments() {
            let (mut f, _) = fragment.merge_columns(b_len, &["b"]).await.unwrap();
            only_new.push(f.clone());
            if f.id == 1 {
                f.files.remove(0);
                *only_new.last_mut().unwrap() = f;
            }
        }
        refused(
            &uri,
            Operation::merge(only_new.clone(), schema.clone(), &previous),
            2,
            &["fragment 1", "drops data file"],
        )
        .await;
        // Rebuilt on version 2 and complete, it commits, deleted rows still deleted.
        only_new[1] = v2.get_fragments()[1]
            .merge_columns(b_len, &["b"])
            .await
            .unwrap()
            .0;
        let v3 = Dataset::commit(
            &uri,
            Operation::merge(only_new, schema, &previous),
            2,
            &CommitParams::default(),
        )
        .await
        .unwrap();
        assert_eq!(v3.scan().to_batch().await.unwrap().num_rows(), 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_data_file_is_committed_twice() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(&dir, FileVersion::V2_2).await;
    let existing = latest(&uri).await.get_fragments()[0].metadata().clone();
    let mut again = existing.clone();
    again.id = 0;
    refused(
        &uri,
        Operation::append(vec![again.clone()]),
        1,
        &["already in fragment 0", &existing.files[0].path],
    )
    .await;
    let new = worker(&uri, &[7], &["q"]).await.remove(0);
    refused(
        &uri,
        Operation::append(vec![new.clone(), new.clone()]),
        1,
        &["listed by two fragments", &new.files[0].path],
    )
    .await;
    // 20,000 copies of one fragment, as JSON a worker could hand over.
    let json = lancer::fragments_to_json(&vec![new.clone(); 20_000]);
    let copies = lancer::fragments_from_json(&json).unwrap();
    refused(
        &uri,
        Operation::append(copies),
        1,
        &["listed by two fragments"],
    )
    .await;
    // An Overwrite listing one file twice.
    let schema = latest(&uri).await.schema().clone();
    refused(
        &uri,
        Operation::overwrite(vec![new.clone(), new.clone()], schema),
        1,
        &[&new.files[0].path],
    )
    .await;
    // Once, it commits; a later commit of the same fragment (another transaction) does not.
    Dataset::commit(
        &uri,
        Operation::append(vec![new.clone()]),
        1,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    refused(
        &uri,
        Operation::append(vec![new.clone()]),
        1,
        &["already in fragment 2"],
    )
    .await;
    refused(
        &uri,
        Operation::append(vec![new]),
        2,
        &["already in fragment 2"],
    )
    .await;
    assert_eq!(latest(&uri).await.count_rows().unwrap(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_id_commits_once_whatever_the_read_version() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(&dir, FileVersion::V2_2).await;
    let fragments = worker(&uri, &[7, 8], &["q", "r"]).await;
    let id = "6a3f8f5e-43a5-4c57-9a55-0d0c47d2a001";
    let params = CommitParams::default().with_transaction_id(id);
    let first = Dataset::commit(&uri, Operation::append(fragments.clone()), 1, &params)
        .await
        .unwrap();
    assert_eq!(first.version(), 2);
    let other = worker(&uri, &[9], &["s"]).await;
    Dataset::commit(&uri, Operation::append(other), 2, &CommitParams::default())
        .await
        .unwrap();
    for read_version in [1, 2, 3] {
        let again = Dataset::commit(
            &uri,
            Operation::append(fragments.clone()),
            read_version,
            &params,
        )
        .await
        .unwrap();
        assert_eq!(again.version(), 2, "re-run on {read_version}");
    }
    assert_eq!(latest(&uri).await.version(), 3);
    assert_eq!(latest(&uri).await.count_rows().unwrap(), 8);
    // An id that is not a UUID would name a transaction file elsewhere.
    for bad in [
        "../../escape",
        "",
        "6a3f8f5e43a54c579a550d0c47d2a001",
        "x/y",
    ] {
        let params = CommitParams::default().with_transaction_id(bad);
        refused_with(
            &uri,
            Operation::append(fragments.clone()),
            3,
            &params,
            &["not a hyphenated UUID"],
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn column_indices_must_match_the_file() {
    for version in [FileVersion::V2_0, FileVersion::V2_1, FileVersion::V2_2] {
        let dir = tempfile::tempdir().unwrap();
        let uri = dataset(&dir, version).await;
        let good = worker(&uri, &[7, 8], &["q", "r"]).await.remove(0);
        for bad in [vec![1, 0], vec![0, 0], vec![5, 6], vec![-1, -1], vec![0, 2]] {
            let mut fragment = good.clone();
            fragment.files[0].column_indices = bad.clone();
            refused(
                &uri,
                Operation::append(vec![fragment]),
                1,
                &["fragment #0", &good.files[0].path, "column"],
            )
            .await;
        }
        // Fields swapped against their columns are caught as well.
        let mut fragment = good.clone();
        fragment.files[0].fields = vec![1, 0];
        refused(
            &uri,
            Operation::append(vec![fragment]),
            1,
            &[&good.files[0].path],
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_and_links_outside_data_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(&dir, FileVersion::V2_2).await;
    let good = worker(&uri, &[7], &["q"]).await.remove(0);
    let data = Path::new(&uri).join("data");
    // A subdirectory of data/ (pylance would look for `data/sub%2Fx.lance`).
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::copy(data.join(&good.files[0].path), data.join("sub/x.lance")).unwrap();
    let mut fragment = good.clone();
    fragment.files[0].path = "sub/x.lance".into();
    refused(
        &uri,
        Operation::append(vec![fragment]),
        1,
        &["sub/x.lance", "subdirectory"],
    )
    .await;
    // A symbolic link in data/ to a file outside the dataset.
    let outside = dir.path().join("outside.lance");
    std::fs::copy(data.join(&good.files[0].path), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, data.join("link.lance")).unwrap();
    let mut fragment = good.clone();
    fragment.files[0].path = "link.lance".into();
    refused(
        &uri,
        Operation::append(vec![fragment]),
        1,
        &["link.lance", "symbolic link"],
    )
    .await;
    // A link to a file inside the dataset is fine.
    std::os::unix::fs::symlink(data.join(&good.files[0].path), data.join("inside.lance")).unwrap();
    let mut fragment = good.clone();
    fragment.files[0].path = "inside.lance".into();
    Dataset::commit(
        &uri,
        Operation::append(vec![fragment]),
        1,
        &CommitParams::default(),
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_need_distinct_names() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds").to_str().unwrap().to_string();
    for names in [["a", "a"], ["a", ""], ["", ""]] {
        let schema = Arc::new(Schema::new(vec![
            Field::new(names[0], DataType::Int32, true),
            Field::new(names[1], DataType::Int32, true),
        ]));
        let column = Arc::new(Int32Array::from(vec![1, 2]));
        let batch = RecordBatch::try_new(schema.clone(), vec![column.clone(), column]).unwrap();
        let reader = RecordBatchIterator::new([Ok(batch)], schema.clone());
        // The worker refuses to write it.
        let message = write_fragments(&uri, reader, &WriteParams::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(message.contains("column"), "{names:?}: {message}");
        assert!(
            !Path::new(&uri).join("data").exists()
                || std::fs::read_dir(Path::new(&uri).join("data"))
                    .unwrap()
                    .next()
                    .is_none()
        );
    }
    // The coordinator refuses a schema with two `a`.
    let uri = dataset(&dir, FileVersion::V2_2).await;
    let fragments = latest(&uri).await.manifest().fragments.to_vec();
    let mut schema = latest(&uri).await.schema().clone();
    schema.fields[1].name = "a".into();
    refused(
        &uri,
        Operation::overwrite(fragments, schema),
        1,
        &["two columns named `a`"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_files_must_exist_and_fit() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(&dir, FileVersion::V2_2).await;
    let fragment = latest(&uri).await.get_fragments()[0].metadata().clone();
    // Named but never written.
    let mut missing = fragment.clone();
    missing.deletion_file = Some(DeletionFile {
        file_type: DeletionFileType::Bitmap,
        read_version: 1,
        id: 99,
        num_deleted_rows: Some(1),
        base_id: None,
    });
    refused(
        &uri,
        delete(missing),
        1,
        &["fragment 0", "_deletions/0-1-99.bin", "does not exist"],
    )
    .await;
    // Deleting a row the fragment does not have.
    let mut beyond = fragment.clone();
    beyond.deletion_file = Some(deletion_file(&uri, 0, 1, &[1, 3]));
    refused(&uri, delete(beyond), 1, &["fragment 0", "deletes row 3"]).await;
    // A count that does not match the file.
    let mut miscounted = fragment.clone();
    let mut file = deletion_file(&uri, 0, 1, &[1, 2]);
    file.num_deleted_rows = Some(1);
    miscounted.deletion_file = Some(file);
    refused(
        &uri,
        delete(miscounted),
        1,
        &["holds 2 deleted rows, the manifest says 1"],
    )
    .await;
    // The last fragment id is refused (no id would be left for the next fragment).
    let mut last = fragment.clone();
    last.id = u64::from(u32::MAX);
    refused(&uri, delete(last), 1, &["fragment 4294967295", "id"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manifest_row_count_bounds_what_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(&dir, FileVersion::V2_2).await;
    let mut fewer = worker(&uri, &[7, 8, 9], &["q", "r", "s"]).await.remove(0);
    fewer.physical_rows = Some(2);
    // Checked, the lie is refused.
    refused(
        &uri,
        Operation::append(vec![fewer.clone()]),
        1,
        &["says 2 rows, the file has 3"],
    )
    .await;
    // Unchecked, readers see the rows the manifest promises, not more.
    let unchecked = CommitParams::default().with_validation(false);
    let v2 = Dataset::commit(&uri, Operation::append(vec![fewer]), 1, &unchecked)
        .await
        .unwrap();
    assert_eq!(v2.count_rows().unwrap(), 7);
    assert_eq!(v2.scan().to_batch().await.unwrap().num_rows(), 7);
    let problems = v2.check_files().await.unwrap().problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("3 rows, the manifest says 2"));
    // More rows than the file has: an error naming the file, not made-up rows.
    let mut more = worker(&uri, &[10], &["t"]).await.remove(0);
    more.physical_rows = Some(5);
    let v3 = Dataset::commit(&uri, Operation::append(vec![more.clone()]), 2, &unchecked)
        .await
        .unwrap();
    let message = v3.scan().to_batch().await.unwrap_err().to_string();
    assert!(
        message.contains(&more.files[0].path) && message.contains("says 5 rows"),
        "{message}"
    );
}
