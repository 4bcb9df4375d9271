//! Compaction through the Rust API: plan once, execute tasks concurrently (their JSON
//! travelling as it would between machines), commit one Rewrite; pylance reads the result
//! as the rows before, minus those it deleted, and appends after it. Concurrent changes
//! between plan and commit: appends survive, a task whose fragments pylance deleted from is
//! left out while the others commit, partial commits and re-runs commit each task once.

mod common;

use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch, RecordBatchIterator, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use common::run_json;
use lancer::{
    CommitParams, CompactionOptions, CompactionPlan, CompactionTask, Dataset, ErrorKind,
    FileVersion, LanceSchema, Operation, RewriteResult, WriteParams, write_fragments,
};
use lancer_testkit::oracle;
use serde_json::Value;

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
    ]))
}

fn rows(ids: std::ops::Range<i64>) -> RecordBatch {
    RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(Int64Array::from_iter_values(ids.clone())),
            Arc::new(StringArray::from_iter_values(ids.map(|i| format!("p{i}")))),
        ],
    )
    .unwrap()
}

async fn worker(
    uri: &str,
    ids: std::ops::Range<i64>,
    version: FileVersion,
) -> Vec<lancer::Fragment> {
    let reader = RecordBatchIterator::new([Ok(rows(ids))], schema());
    let params = WriteParams::default().with_data_storage_version(version);
    write_fragments(uri, reader, &params).await.unwrap()
}

/// A dataset of `fragments` fragments of 10 rows each (ids 0..10*fragments), one worker
/// call per fragment, committed at once.
async fn small_fragments(uri: &str, fragments: i64, version: FileVersion) -> Dataset {
    let mut all = Vec::new();
    for f in 0..fragments {
        all.extend(worker(uri, f * 10..f * 10 + 10, version).await);
    }
    let schema = LanceSchema::from_arrow(&schema()).unwrap();
    Dataset::commit(
        uri,
        Operation::overwrite(all, schema),
        0,
        &CommitParams::default(),
    )
    .await
    .unwrap()
}

async fn ids(dataset: &Dataset) -> Vec<i64> {
    let batch = dataset.scan().project(&["id"]).to_batch().await.unwrap();
    batch
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .values()
        .to_vec()
}

/// The plan, as a coordinator would ship it to workers and read it back.
fn shipped(plan: &CompactionPlan) -> CompactionPlan {
    let back = CompactionPlan::from_json(&plan.to_json()).unwrap();
    assert_eq!(&back, plan);
    back
}

/// Every task executed at once, each from its own JSON, results back through JSON.
async fn execute_all(uri: &str, plan: &CompactionPlan) -> Vec<RewriteResult> {
    let runs = plan.tasks().iter().map(|task| {
        let json = task.to_json();
        let uri = uri.to_string();
        tokio::spawn(async move {
            let task = CompactionTask::from_json(&json).unwrap();
            let dataset = Dataset::open(&uri).await.unwrap();
            let result = task.execute(&dataset).await.unwrap();
            RewriteResult::from_json(&result.to_json()).unwrap()
        })
    });
    futures::future::join_all(runs)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

fn pylance(python: &std::path::Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Value {
    run_json(python, "ops.py", args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_execute_commit_as_pylance_reads_it() {
    let Some(python) = oracle::python("plan_execute_commit_as_pylance_reads_it") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for version in [FileVersion::V2_2, FileVersion::V2_0] {
        let uri = dir.path().join(format!("ds-{version}"));
        let uri = uri.to_str().unwrap();
        small_fragments(uri, 200, version).await;
        pylance(&python, &[&"delete", &uri, &"id % 7 = 0"]);
        let before = Dataset::open(uri).await.unwrap();
        let expected = ids(&before).await;
        assert_eq!(expected.len(), 2000 - 286);

        let options = CompactionOptions::default().with_target_rows_per_fragment(500);
        let plan = shipped(&before.plan_compaction(&options).await.unwrap());
        assert_eq!(plan.num_fragments(), 200, "every fragment is small");
        assert!(plan.num_tasks() >= 3, "{} tasks", plan.num_tasks());
        for task in plan.tasks() {
            assert!(
                task.rows() >= 500,
                "task {} holds {}",
                task.index(),
                task.rows()
            );
        }
        let results = execute_all(uri, &plan).await;
        let committed = Dataset::commit_compaction(uri, &plan, &results, &CommitParams::default())
            .await
            .unwrap();
        assert!(committed.skipped.is_empty());
        let after = committed.dataset;
        assert_eq!(after.version(), before.version() + 1);
        assert_eq!(ids(&after).await, expected, "{version}");
        // Each task's rows in files of at most the target (as pylance writes them).
        let written: usize = results.iter().map(|r| r.new_fragments().len()).sum();
        assert_eq!(after.get_fragments().len(), written);
        assert!(written <= 2 * plan.num_tasks());
        for fragment in after.get_fragments() {
            assert!(fragment.metadata().physical_rows.unwrap() <= 500);
        }
        assert!(
            after
                .manifest()
                .fragments
                .iter()
                .all(|f| f.deletion_file.is_none())
        );
        assert!(after.check_files().await.unwrap().problems.is_empty());
        assert_eq!(committed.metrics.fragments_removed, 200);

        // pylance reads the same rows and appends after the rewrite; lancer reads that.
        let seen = pylance(&python, &[&"read", &uri]);
        assert_eq!(seen["version"].as_u64(), Some(after.version()));
        let theirs: Vec<i64> = seen["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(theirs, expected);
        pylance(&python, &[&"append", &uri, &"5000", &"5010"]);
        let appended = Dataset::open(uri).await.unwrap();
        assert_eq!(appended.count_rows().unwrap(), expected.len() as u64 + 10);
        // Planning again only takes what is still small: the last rewritten fragment and
        // pylance's append.
        let again = appended.plan_compaction(&options).await.unwrap();
        assert!(again.num_tasks() <= 1, "{}", again.to_json());
        for fragment in again.tasks().iter().flat_map(|t| t.fragments()) {
            assert!(fragment.physical_rows.unwrap() < 500);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_between_plan_and_commit() {
    let Some(python) = oracle::python("changes_between_plan_and_commit") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds");
    let uri = uri.to_str().unwrap();
    small_fragments(uri, 40, FileVersion::V2_2).await;
    let dataset = Dataset::open(uri).await.unwrap();
    let options = CompactionOptions::default().with_target_rows_per_fragment(100);
    let plan = dataset.plan_compaction(&options).await.unwrap();
    assert_eq!(plan.num_tasks(), 4);
    let results = execute_all(uri, &plan).await;

    // An append by lancer, then a delete by pylance in task 1's fragments.
    let appended = worker(uri, 1000..1005, FileVersion::V2_2).await;
    Dataset::commit(
        uri,
        Operation::append(appended),
        1,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    let task1: Vec<i64> = plan.tasks()[1]
        .fragments()
        .iter()
        .map(|f| f.id as i64)
        .collect();
    let first_id = task1[0] * 10;
    pylance(&python, &[&"delete", &uri, &format!("id = {first_id}")]);

    // Half the results first: tasks 0 and 1 (1 is refused, 0 commits).
    let first = Dataset::commit_compaction(uri, &plan, &results[..2], &CommitParams::default())
        .await
        .unwrap();
    assert_eq!(first.committed, vec![0]);
    assert_eq!(first.skipped.len(), 1);
    assert_eq!(first.skipped[0].0, 1);
    assert!(
        first.skipped[0].1.contains("changed"),
        "{}",
        first.skipped[0].1
    );
    // The rest later; then the same again, which finds it committed.
    let second = Dataset::commit_compaction(uri, &plan, &results[2..], &CommitParams::default())
        .await
        .unwrap();
    assert_eq!(second.committed, vec![2, 3]);
    let versions = second.dataset.latest_version().await.unwrap();
    let rerun = Dataset::commit_compaction(uri, &plan, &results[2..], &CommitParams::default())
        .await
        .unwrap();
    assert_eq!(rerun.dataset.version(), second.dataset.version());
    assert_eq!(rerun.dataset.latest_version().await.unwrap(), versions);
    // Results of tasks already committed cannot be committed again under another id.
    let again = Dataset::commit_compaction(
        uri,
        &plan,
        &results[..1],
        &CommitParams::default().with_transaction_id("00000000-0000-4000-8000-0000000000aa"),
    )
    .await
    .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Rebuild, "{again}");

    let latest = Dataset::open(uri).await.unwrap();
    let mut expected: Vec<i64> = (0..400)
        .chain(1000..1005)
        .filter(|i| *i != first_id)
        .collect();
    expected.sort_unstable();
    let mut got = ids(&latest).await;
    got.sort_unstable();
    assert_eq!(got, expected);
    // Task 1's fragments are still there, with pylance's deletion, as they were.
    for id in &task1 {
        assert!(
            latest
                .manifest()
                .fragments
                .iter()
                .any(|f| f.id == *id as u64)
        );
    }
    assert!(latest.check_files().await.unwrap().problems.is_empty());
    let seen = pylance(&python, &[&"read", &uri]);
    assert_eq!(seen["count"].as_u64(), Some(expected.len() as u64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_that_do_not_belong_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds");
    let uri = uri.to_str().unwrap();
    small_fragments(uri, 20, FileVersion::V2_2).await;
    let dataset = Dataset::open(uri).await.unwrap();
    let options = CompactionOptions::default().with_target_rows_per_fragment(100);
    let plan = dataset.plan_compaction(&options).await.unwrap();
    let other = dataset.plan_compaction(&options).await.unwrap();
    let results = execute_all(uri, &plan).await;
    let refused = |results: Vec<RewriteResult>, plan: &CompactionPlan, needle: &str| {
        let plan = plan.clone();
        let needle = needle.to_string();
        async move {
            let e = Dataset::commit_compaction(uri, &plan, &results, &CommitParams::default())
                .await
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(e.to_string().contains(&needle), "{e}");
        }
    };
    refused(results.clone(), &other, "comes from plan").await;
    let mut doubled = results.clone();
    doubled.push(results[0].clone());
    refused(doubled, &plan, "given twice").await;
    // A result edited by hand: fewer rows than its task's fragments show.
    let mut text: Value = serde_json::from_str(&results[0].to_json()).unwrap();
    text["new_fragments"][0]["physical_rows"] = Value::from(3);
    text["rows"] = Value::from(3);
    let short = RewriteResult::from_json(&text.to_string()).unwrap();
    refused(vec![short], &plan, "hold").await;
    // A task's JSON with a path out of the dataset does not even parse.
    let mut task: Value = serde_json::from_str(&plan.tasks()[0].to_json()).unwrap();
    task["fragments"][0]["files"][0]["path"] = Value::from("../escape.lance");
    assert!(CompactionTask::from_json(&task.to_string()).is_err());
    let mut newer: Value = serde_json::from_str(&plan.to_json()).unwrap();
    newer["format_version"] = Value::from(2);
    let message = CompactionPlan::from_json(&newer.to_string())
        .unwrap_err()
        .to_string();
    assert!(message.contains("newer lancer"), "{message}");
    assert_eq!(
        Dataset::open(uri).await.unwrap().version(),
        1,
        "nothing committed"
    );
}
