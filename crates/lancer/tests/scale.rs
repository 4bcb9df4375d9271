//! A table of a million fragments, made the way a long-running ingestion ends up: one
//! commit of synthetic fragments (their files are never read), then a worker's write, a
//! one-fragment Append, and a scan of that fragment; pylance 14.0.2 opens the result and
//! reads the same rows. Costs here must follow what a commit changes, not the table's
//! size, or this test would not finish in `cargo xtask test` (see docs/benchmarks.md for
//! the timings).

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

    // A worker and a coordinator in the large dataset, as in the seed's Append.
    let fragments = worker(&uri, &[7, 8], &["seven", "eight"]).await;
    let appended = Dataset::commit(
        &uri,
        Operation::append(fragments),
        1,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    assert_eq!(appended.version(), 2);
    drop(appended);

    let opened = Dataset::open(&uri).await.unwrap();
    assert_eq!(opened.get_fragments().len(), count + 1);
    let new_id = opened.manifest().fragments.last().unwrap().id;
    assert_eq!(new_id, count as u64);
    let batch = opened
        .scan()
        .with_fragments(&[new_id])
        .to_batch()
        .await
        .unwrap();
    assert_eq!(
        rows(&batch),
        vec![json!({"a": 7, "b": "seven"}), json!({"a": 8, "b": "eight"})]
    );
    // The transaction of the large Overwrite lives in its .txn file only.
    let first = Dataset::open_with(&uri, &lancer::OpenParams::default().with_version(1))
        .await
        .unwrap();
    assert_eq!(first.manifest().inline_transaction, None);
    drop((opened, first));

    let Some(python) = oracle::python("a_million_fragments_open_append_and_scan") else {
        return;
    };
    let seen = run_json(
        &python,
        "scale_check.py",
        &[&uri.as_str(), &new_id.to_string().as_str()],
    );
    assert_eq!(
        seen,
        json!({"version": 2, "fragments": count + 1, "rows": [[7, "seven"], [8, "eight"]]})
    );
}
