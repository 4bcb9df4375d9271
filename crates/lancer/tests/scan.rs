//! Reading datasets: projection, limits, batch sizes, fragment subsets, versions, and
//! deleted rows (both deletion file kinds pylance writes).

mod common;

use common::*;
use futures::TryStreamExt;
use lancer::{Dataset, OpenParams};
use lancer_testkit::oracle;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projection_limit_batches_and_fragments() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("seed").to_str().unwrap().to_string();
    let dataset = lancer_seed(&uri).await;
    let only_b = dataset
        .scan()
        .project(&["b_len", "a"])
        .to_batch()
        .await
        .unwrap();
    assert_eq!(
        only_b
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect::<Vec<_>>(),
        ["b_len", "a"]
    );
    assert_eq!(only_b.num_rows(), 8);
    let limited = dataset
        .scan()
        .limit(5)
        .batch_size(2)
        .try_into_stream()
        .unwrap();
    let batches: Vec<_> = limited.try_collect().await.unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 5);
    assert!(batches.iter().all(|b| b.num_rows() <= 2));
    let last = dataset.get_fragments().last().unwrap().id();
    let one = dataset
        .scan()
        .with_fragments(&[last])
        .to_batch()
        .await
        .unwrap();
    assert_eq!(
        rows(&one.project(&[0]).unwrap()),
        vec![serde_json::json!({"a": 7}), serde_json::json!({"a": 8})]
    );
    assert!(
        dataset
            .scan()
            .project(&["nope"])
            .to_batch()
            .await
            .unwrap_err()
            .to_string()
            .contains("no column `nope`")
    );
    // Older versions stay readable, with their own schema.
    let v1 = dataset.checkout_version(1).await.unwrap();
    assert_eq!(v1.scan().to_batch().await.unwrap().num_columns(), 2);
    assert_eq!(dataset.versions().await.unwrap().len(), 3);
    assert!(
        Dataset::open_with(&uri, &OpenParams::default().with_version(9))
            .await
            .unwrap_err()
            .to_string()
            .contains("not 9")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_rows_are_not_returned() {
    let Some(python) = oracle::python("deleted_rows_are_not_returned") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("deletions").to_str().unwrap().to_string();
    let seen = run_json(&python, "deletions.py", &[&uri]);
    let dataset = Dataset::open(&uri).await.unwrap();
    assert_eq!(dataset.version(), seen["version"].as_u64().unwrap());
    assert_eq!(
        dataset.count_rows().unwrap(),
        seen["count"].as_u64().unwrap()
    );
    let batch = dataset.scan().to_batch().await.unwrap();
    let ids: Vec<i64> = rows(&batch)
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len() as u64, seen["count"].as_u64().unwrap());
    assert_eq!(ids.iter().sum::<i64>(), seen["sum"].as_i64().unwrap());
    assert_eq!(serde_json::json!(ids[..20]), seen["first"]);
    assert_eq!(serde_json::json!(ids[ids.len() - 20..]), seen["last"]);
    assert!(!ids.contains(&50_000) && !ids.contains(&7) && ids.contains(&40_005));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_a_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let message = Dataset::open(dir.path().to_str().unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("is not a Lance dataset"), "{message}");
}
