//! Cleaning up and aborting through the Rust API: a dataset with overwrites, appends, a
//! merge, pylance's deletions, a pylance index and a tagged old version keeps exactly what
//! its latest and tagged versions need; orphans of uncommitted workers stay within the grace
//! period and go after it (or by abort); files a version references are never touched;
//! cleanups running while workers write and coordinators commit lose nothing.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arrow_array::{Int64Array, RecordBatch, RecordBatchIterator, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use common::run_json;
use lancer::{
    CleanupOptions, CommitParams, Dataset, Fragment, LanceSchema, Operation, StoreOptions,
    WriteParams, write_fragments,
};
use lancer_testkit::oracle;
use serde_json::Value;

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
    ]))
}

async fn worker(uri: &str, ids: std::ops::Range<i64>) -> Vec<Fragment> {
    let batch = RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(Int64Array::from_iter_values(ids.clone())),
            Arc::new(StringArray::from_iter_values(ids.map(|i| format!("p{i}")))),
        ],
    )
    .unwrap();
    let reader = RecordBatchIterator::new([Ok(batch)], schema());
    write_fragments(uri, reader, &WriteParams::default())
        .await
        .unwrap()
}

/// A worker for the dataset once it has the merged `twice` column.
async fn worker_twice(uri: &str, ids: std::ops::Range<i64>) -> Vec<Fragment> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("twice", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(ids.clone())),
            Arc::new(StringArray::from_iter_values(
                ids.clone().map(|i| format!("p{i}")),
            )),
            Arc::new(Int64Array::from_iter_values(ids.map(|i| 2 * i))),
        ],
    )
    .unwrap();
    let reader = RecordBatchIterator::new([Ok(batch)], schema);
    write_fragments(uri, reader, &WriteParams::default())
        .await
        .unwrap()
}

async fn commit(uri: &str, operation: Operation, read: u64) -> Dataset {
    Dataset::commit(uri, operation, read, &CommitParams::default())
        .await
        .unwrap()
}

/// Every file under the dataset, relative to it.
fn files(uri: &str) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(Path::new(uri), Path::new(uri), &mut out);
    out
}

/// The files a version needs: its manifest, data, deletion and transaction files, and its
/// index directories' files.
async fn needed(uri: &str, version: u64, all: &BTreeSet<String>) -> BTreeSet<String> {
    let open = lancer::OpenParams::default().with_version(version);
    let dataset = Dataset::open_with(uri, &open).await.unwrap();
    let manifest = dataset.manifest();
    let mut out = BTreeSet::new();
    for fragment in manifest.fragments.iter() {
        for file in &fragment.files {
            out.insert(format!("data/{}", file.path));
        }
        if let Some(deletion) = &fragment.deletion_file {
            out.insert(deletion.path(fragment.id));
        }
    }
    out.insert(format!("_transactions/{}", manifest.transaction_file));
    for index in manifest.indices().unwrap() {
        let uuid = uuid::Uuid::from_slice(&index.uuid.unwrap().uuid).unwrap();
        let prefix = format!("_indices/{}/", uuid.hyphenated());
        out.extend(all.iter().filter(|f| f.starts_with(&prefix)).cloned());
    }
    out
}

fn age(uri: &str, relative: &str, days: u64) {
    let file = std::fs::File::options()
        .write(true)
        .open(Path::new(uri).join(relative))
        .unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(days * 24 * 3600))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_keeps_what_the_latest_and_tagged_versions_need() {
    let Some(python) = oracle::python("cleanup_keeps_what_the_latest_and_tagged_versions_need")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds");
    let uri = uri.to_str().unwrap();
    let lance_schema = LanceSchema::from_arrow(&schema()).unwrap();
    // 1 create, 2 append, 3 overwrite, 4 append, 5 merge (b_len), 6 pylance delete,
    // 7 pylance index, 8 tag of version 2 (no version), 8 append.
    commit(
        uri,
        Operation::overwrite(worker(uri, 0..100).await, lance_schema.clone()),
        0,
    )
    .await;
    commit(uri, Operation::append(worker(uri, 100..150).await), 1).await;
    commit(
        uri,
        Operation::overwrite(worker(uri, 1000..1100).await, lance_schema),
        2,
    )
    .await;
    commit(uri, Operation::append(worker(uri, 1100..1150).await), 3).await;
    let v4 = Dataset::open(uri).await.unwrap();
    let mut merged = Vec::new();
    let mut new_schema = None;
    for fragment in v4.get_fragments() {
        let (f, s) = fragment
            .merge_columns(
                |batch| {
                    let ids = batch
                        .column(0)
                        .as_any()
                        .downcast_ref::<Int64Array>()
                        .unwrap();
                    let twice: Int64Array = ids.iter().map(|i| i.map(|i| 2 * i)).collect();
                    RecordBatch::try_from_iter([("twice", Arc::new(twice) as _)])
                },
                &["id"],
            )
            .await
            .unwrap();
        merged.push(f);
        new_schema = Some(s);
    }
    commit(
        uri,
        Operation::merge(merged, new_schema.unwrap(), v4.schema()),
        4,
    )
    .await;
    run_json(&python, "ops.py", &[&"delete", &uri, &"id % 10 = 0"]);
    run_json(&python, "ops.py", &[&"index", &uri]);
    run_json(&python, "ops.py", &[&"tag", &uri, &"keep", &"2"]);
    let latest = Dataset::open(uri).await.unwrap();
    commit(
        uri,
        Operation::append(worker_twice(uri, 2000..2010).await),
        latest.version(),
    )
    .await;
    let latest = Dataset::open(uri).await.unwrap().version();
    assert_eq!(latest, 8);
    // An orphan of a worker that never committed, written just now.
    let orphan = worker_twice(uri, 5000..5001).await;
    let orphan_file = format!("data/{}", orphan[0].files[0].path);

    let before = files(uri);
    let sizes: std::collections::HashMap<String, u64> = before
        .iter()
        .map(|f| {
            (
                f.clone(),
                std::fs::metadata(Path::new(uri).join(f)).unwrap().len(),
            )
        })
        .collect();
    let report = Dataset::cleanup(
        uri,
        &CleanupOptions::default().with_older_than(Duration::ZERO),
        &StoreOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.removed_versions, vec![1, 3, 4, 5, 6, 7]);
    assert_eq!(report.young_files_kept, 1, "{report:?}");
    let after = files(uri);
    let mut wanted: BTreeSet<String> = needed(uri, 2, &before).await;
    wanted.extend(needed(uri, 8, &before).await);
    wanted.insert(orphan_file.clone());
    let left_data: BTreeSet<&String> = after
        .iter()
        .filter(|f| {
            f.starts_with("data/")
                || f.starts_with("_deletions/")
                || f.starts_with("_indices/")
                || f.starts_with("_transactions/")
        })
        .collect();
    assert_eq!(
        left_data,
        wanted.iter().collect(),
        "exactly what versions 2 and 8 need"
    );
    // Versions 2 and 8 still need every data file; each removed version leaves its
    // transaction file behind.
    assert_eq!(report.transaction_files_removed, 6, "{report:?}");
    let removed_bytes: u64 = before.difference(&after).map(|f| sizes[f]).sum();
    assert_eq!(report.bytes_removed, removed_bytes);
    let seen = run_json(&python, "ops.py", &[&"kept", &uri, &"2", &"8"]);
    let ids = |v: &Value| v.as_array().unwrap().len();
    assert_eq!(ids(&seen["rows"]["2"]), 150);
    assert_eq!(ids(&seen["rows"]["8"]), 150 - 15 + 10);
    assert_eq!(seen["indexed"], true, "{seen}");
    assert_eq!(seen["indices"], 1);
    assert_eq!(seen["found"], serde_json::json!([1007]));
    // pylance's own cleanup removes nothing more than the orphan (it deletes unverified
    // files here, lancer kept it for its grace period).
    assert_eq!(seen["pylance_cleanup"]["old_versions"], 0, "{seen}");
    let after_pylance = files(uri);
    let mut expected_after = after.clone();
    expected_after.remove(&orphan_file);
    let data_after: BTreeSet<&String> = after_pylance
        .iter()
        .filter(|f| !f.starts_with("_versions/") && !f.starts_with("_refs/"))
        .collect();
    let expected: BTreeSet<&String> = expected_after
        .iter()
        .filter(|f| !f.starts_with("_versions/") && !f.starts_with("_refs/"))
        .collect();
    assert_eq!(data_after, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_go_after_the_grace_period_or_by_abort() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds");
    let uri = uri.to_str().unwrap();
    let lance_schema = LanceSchema::from_arrow(&schema()).unwrap();
    let committed = worker(uri, 0..10).await;
    commit(
        uri,
        Operation::overwrite(committed.clone(), lance_schema),
        0,
    )
    .await;
    let first = worker(uri, 10..20).await;
    let second = worker(uri, 20..30).await;
    let path = |f: &[Fragment]| format!("data/{}", f[0].files[0].path);
    let options = CleanupOptions::default();
    let report = Dataset::cleanup(uri, &options, &StoreOptions::default())
        .await
        .unwrap();
    assert_eq!((report.data_files_removed, report.young_files_kept), (0, 2));
    // Eight days later (by the files' clocks), the first orphan goes.
    age(uri, &path(&first), 8);
    let dry = Dataset::cleanup(
        uri,
        &options.clone().with_dry_run(true),
        &StoreOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(dry.data_files_removed, 1);
    assert!(
        Path::new(uri).join(path(&first)).exists(),
        "a dry run removes nothing"
    );
    let report = Dataset::cleanup(uri, &options, &StoreOptions::default())
        .await
        .unwrap();
    assert_eq!((report.data_files_removed, report.young_files_kept), (1, 1));
    assert!(!Path::new(uri).join(path(&first)).exists());
    // The second by abort, twice (the second time finds it gone).
    let aborted = Dataset::abort(uri, &second, &StoreOptions::default())
        .await
        .unwrap();
    assert_eq!(aborted.removed, vec![second[0].files[0].path.clone()]);
    let again = Dataset::abort(uri, &second, &StoreOptions::default())
        .await
        .unwrap();
    assert_eq!(again.missing.len(), 1);
    assert!(again.removed.is_empty());
    // Committed fragments are never aborted.
    let refused = Dataset::abort(uri, &committed, &StoreOptions::default())
        .await
        .unwrap();
    assert!(refused.removed.is_empty());
    assert_eq!(
        refused.referenced,
        vec![(committed[0].files[0].path.clone(), 1)]
    );
    assert!(Path::new(uri).join(path(&committed)).exists());
    assert_eq!(Dataset::open(uri).await.unwrap().count_rows().unwrap(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cleanup_racing_writers_and_committers_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds").to_str().unwrap().to_string();
    let lance_schema = LanceSchema::from_arrow(&schema()).unwrap();
    commit(
        &uri,
        Operation::overwrite(worker(&uri, 0..10).await, lance_schema),
        0,
    )
    .await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Aggressive cleanups in a loop (every old version, the grace kept at its default).
    let cleaner = {
        let (uri, stop) = (uri.clone(), stop.clone());
        tokio::spawn(async move {
            let mut runs = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let options = CleanupOptions::default().with_older_than(Duration::ZERO);
                Dataset::cleanup(&uri, &options, &StoreOptions::default())
                    .await
                    .unwrap();
                runs += 1;
            }
            runs
        })
    };
    // Two writers each appending 15 times: write, then commit on the latest version.
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let uri = uri.clone();
            tokio::spawn(async move {
                for i in 0..15i64 {
                    let start = 1000 * (w + 1) + 10 * i;
                    let fragments = worker(&uri, start..start + 10).await;
                    // A cleanup may remove the version a commit was built on (and its
                    // transaction) before the commit lands: it then asks for a rebuild,
                    // which for an append is the same fragments on the latest version.
                    loop {
                        let read = Dataset::open(&uri).await.unwrap().version();
                        let operation = Operation::append(fragments.clone());
                        match Dataset::commit(&uri, operation, read, &CommitParams::default()).await
                        {
                            Ok(_) => break,
                            Err(e) if e.kind() == lancer::ErrorKind::Rebuild => continue,
                            Err(e) => panic!("commit failed: {e}"),
                        }
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let runs = cleaner.await.unwrap();
    assert!(runs > 0);
    let dataset = Dataset::open(&uri).await.unwrap();
    assert_eq!(dataset.count_rows().unwrap(), 10 + 2 * 15 * 10);
    let batch = dataset.scan().to_batch().await.unwrap();
    assert_eq!(batch.num_rows(), 310);
    assert!(dataset.check_files().await.unwrap().problems.is_empty());
    // Every version left opens and reads.
    for version in dataset.versions().await.unwrap() {
        let open = lancer::OpenParams::default().with_version(version.version);
        let old = Dataset::open_with(&uri, &open).await.unwrap();
        old.scan().to_batch().await.unwrap();
    }
}
