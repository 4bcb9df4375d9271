//! Committers killed with SIGKILL at random points: the dataset always opens at a
//! consistent version, and re-running the same commits (same transaction ids) completes each
//! exactly once. Replay a failing run with `LANCER_CRASH_SEED=<seed>`.

mod common;

use std::collections::HashMap;
use std::path::Path as FsPath;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{check_consistent, create, fragment, local};
use lancer_commit::{CommitOptions, DatasetStore};
use lancer_table::{Operation, Transaction};
use lancer_testkit::random::Rng;

const RUNS: u64 = 50;
const COMMITS_PER_RUN: usize = 4;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// Child process entry: commits the transactions in `$LANCER_CRASH_DIR/txn-*.bin` in order.
#[test]
fn child_committer() {
    let Ok(dir) = std::env::var("LANCER_CRASH_DIR") else {
        return;
    };
    let dir = FsPath::new(&dir);
    let (store, root) = local(&dir.join("dataset"));
    let dataset = DatasetStore::new(store, root);
    runtime().block_on(async {
        for i in 0..COMMITS_PER_RUN {
            let bytes = std::fs::read(dir.join(format!("txn-{i}.bin"))).unwrap();
            let transaction = Transaction::decode(&bytes).unwrap();
            dataset
                .commit(&transaction, &CommitOptions::default())
                .await
                .unwrap();
        }
    });
}

#[test]
fn killed_committers_leave_consistent_datasets_and_rerun_exactly_once() {
    let seed = std::env::var("LANCER_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("crash test seed {seed} (replay with LANCER_CRASH_SEED={seed})");
    let mut rng = Rng::new(seed);
    let mut outcomes: HashMap<&str, usize> = HashMap::new();
    // Kill times spread over how long an uninterrupted child takes (measured on run 0),
    // so kills land before, during and after the commits.
    let mut window = Duration::from_millis(40);
    for run in 0..RUNS {
        let work = tempfile::tempdir().unwrap();
        let dataset_dir = work.path().join("dataset");
        let (store, root) = local(&dataset_dir);
        let transactions: Vec<Transaction> = runtime().block_on(async {
            create(store.clone(), root.clone(), 3).await;
            let mut out = Vec::new();
            for i in 0..COMMITS_PER_RUN as i64 {
                let f = fragment(&store, &root, 100 * (i + 1)..100 * (i + 1) + 2).await;
                out.push(Transaction::new(
                    1,
                    Operation::Append { fragments: vec![f] },
                ));
            }
            out
        });
        for (i, transaction) in transactions.iter().enumerate() {
            std::fs::write(
                work.path().join(format!("txn-{i}.bin")),
                transaction.encode().unwrap(),
            )
            .unwrap();
        }
        let delay = if run == 0 {
            Duration::from_secs(60)
        } else {
            Duration::from_micros(rng.below(window.as_micros() as u64))
        };
        let started = std::time::Instant::now();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "child_committer",
                "--exact",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("LANCER_CRASH_DIR", work.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        while started.elapsed() < delay && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_micros(200));
        }
        if run == 0 {
            window = started.elapsed().mul_f64(1.2);
            eprintln!("an uninterrupted committer takes {:?}", started.elapsed());
        }
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let context = format!("run {run} (seed {seed}, killed after {delay:?})");

        let (store, root) = local(&dataset_dir);
        let dataset = DatasetStore::new(store, root);
        let before = runtime().block_on(check_consistent(&dataset, None));
        *outcomes
            .entry(if finished {
                "finished before the kill"
            } else if before == 1 {
                "killed before any commit"
            } else {
                "killed mid-way"
            })
            .or_default() += 1;

        // Re-run every commit with the same transaction: each lands exactly once.
        runtime().block_on(async {
            for transaction in &transactions {
                dataset
                    .commit(transaction, &CommitOptions::default())
                    .await
                    .unwrap_or_else(|e| panic!("{context}: {e}"));
            }
            let latest = check_consistent(&dataset, Some(3 + 2 * COMMITS_PER_RUN as u64)).await;
            assert_eq!(latest, 1 + COMMITS_PER_RUN as u64, "{context}");
            let mut seen = HashMap::new();
            for version in 1..=latest {
                let uuid = dataset.transaction(version).await.unwrap().uuid.clone();
                assert!(
                    seen.insert(uuid, version).is_none(),
                    "{context}: a transaction was committed twice"
                );
            }
            for transaction in &transactions {
                assert!(
                    seen.contains_key(&transaction.uuid),
                    "{context}: a commit was lost"
                );
            }
        });
    }
    eprintln!("crash outcomes over {RUNS} runs: {outcomes:?}");
}
