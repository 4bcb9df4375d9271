//! Tables of very many fragments. A million, made the way a long-running ingestion ends
//! up: one commit of synthetic fragments (their files are never read), then a worker's
//! write, a one-fragment Append and a scan of that fragment, pylance 14.0.2 opening the
//! result and reading the same rows; and 100,000 made by pylance, appended to by lancer.
//! Costs here must follow what a commit changes, not the table's size, or these tests
//! would not finish in `cargo xtask test` (see docs/benchmarks.md for the timings).

mod common;

use common::*;
use lancer::{CommitParams, Dataset, LanceSchema, Operation};
use lancer_testkit::oracle;
use serde_json::json;

/// Fragments in the large test: a million in a full run, fewer otherwise (a plain
/// `cargo test` should stay quick).
fn fragment_count() -> usize {
    if oracle::full_run() {
        1_000_000
    } else {
        20_000
    }
}

/// A worker and a coordinator appending two rows to version 1 of the large dataset, as in
/// the seed's Append.
async fn append_two_rows(uri: &str) -> Dataset {
    let fragments = worker(uri, &[7, 8], &["seven", "eight"]).await;
    let appended = Dataset::commit(
        uri,
        Operation::append(fragments),
        1,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    assert_eq!(appended.version(), 2);
    appended
}

/// The appended fragment holds the two rows, read alone.
async fn assert_appended_rows(dataset: &Dataset, id: u64) {
    let batch = dataset
        .scan()
        .with_fragments(&[id])
        .to_batch()
        .await
        .unwrap();
    assert_eq!(
        rows(&batch),
        vec![json!({"a": 7, "b": "seven"}), json!({"a": 8, "b": "eight"})]
    );
}

/// pylance opens version 2, lists `count` fragments and reads the appended one.
fn assert_pylance_sees(python: &std::path::Path, uri: &str, id: u64, count: usize) {
    let seen = run_json(python, "scale_check.py", &[&uri, &id.to_string().as_str()]);
    assert_eq!(
        seen,
        json!({"version": 2, "fragments": count, "rows": [[7, "seven"], [8, "eight"]]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_fragments_open_append_and_scan() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("large").to_str().unwrap().to_string();
    let count = fragment_count();

    // One real data file as the template; the synthetic fragments name files of their own
    // (a version lists each file once) that nothing reads.
    let template = worker(&uri, &[1, 2, 3], &["x", "y", "z"]).await.remove(0);
    let synthetic: Vec<_> = (0..count)
        .map(|i| {
            let mut fragment = template.clone();
            fragment.files[0].path = format!("{i:08}-synthetic.lance");
            fragment
        })
        .collect();
    let schema = LanceSchema::from_arrow(&seed_schema()).unwrap();
    let unchecked = CommitParams::default().with_validation(false);
    let created = Dataset::commit(&uri, Operation::overwrite(synthetic, schema), 0, &unchecked)
        .await
        .unwrap();
    assert_eq!(created.get_fragments().len(), count);
    drop(created);

    drop(append_two_rows(&uri).await);

    let opened = Dataset::open(&uri).await.unwrap();
    assert_eq!(opened.get_fragments().len(), count + 1);
    let new_id = opened.manifest().fragments.last().unwrap().id;
    assert_eq!(new_id, count as u64);
    assert_appended_rows(&opened, new_id).await;
    // The transaction of the large Overwrite lives in its .txn file only.
    let first = Dataset::open_with(&uri, &lancer::OpenParams::default().with_version(1))
        .await
        .unwrap();
    assert_eq!(first.manifest().inline_transaction, None);
    drop((opened, first));

    let Some(python) = oracle::python("a_million_fragments_open_append_and_scan") else {
        return;
    };
    assert_pylance_sees(&python, &uri, new_id, count + 1);
}

/// The other way: pylance makes a dataset of 100,000 fragments (fewer outside a full run),
/// lancer's worker and coordinator append to it, and pylance reads the result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lancer_appends_to_a_hundred_thousand_fragments_pylance_made() {
    let Some(python) =
        oracle::python("lancer_appends_to_a_hundred_thousand_fragments_pylance_made")
    else {
        return;
    };
    let count: usize = if oracle::full_run() { 100_000 } else { 5_000 };
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("theirs").to_str().unwrap().to_string();
    let made = run_json(
        &python,
        "pylance_scale.py",
        &[&uri.as_str(), &count.to_string().as_str()],
    );
    assert_eq!(made, json!({"version": 1}));

    let appended = append_two_rows(&uri).await;
    assert_eq!(appended.get_fragments().len(), count + 1);
    let new_id = appended.manifest().fragments.last().unwrap().id;
    assert_appended_rows(&appended, new_id).await;
    assert_pylance_sees(&python, &uri, new_id, count + 1);
}
