//! The commit protocol against real concurrency, conflicts and injected faults.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path as FsPath, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::faulty::{Faults, FaultyStore};
use common::{check_consistent, create, fragment, local, schema};
use lancer_commit::{CommitError, CommitOptions, DatasetStore};
use lancer_table::{
    MapUpdate, Operation, OperationKind, RewriteGroup, Transaction, add_fields, drop_fields,
};
use lancer_testkit::oracle;
use object_store::ObjectStore;
use object_store::memory::InMemory;
use object_store::path::Path;

fn patient() -> CommitOptions {
    CommitOptions::default()
        .with_max_retries(200)
        .with_backoff(Duration::from_millis(2), Duration::from_millis(200))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// Appends `commits` fragments of `rows` rows with ids from `base`, each its own commit.
async fn append_many(dir: &FsPath, base: i64, commits: i64, rows: i64) {
    let (store, root) = local(dir);
    let dataset = DatasetStore::new(store.clone(), root.clone());
    for i in 0..commits {
        let first = base + i * rows;
        let fragment = fragment(&store, &root, first..first + rows).await;
        let read_version = dataset.latest_version().await.unwrap().unwrap();
        let append = Transaction::new(
            read_version,
            Operation::Append {
                fragments: vec![fragment],
            },
        );
        dataset
            .commit(&append, &patient())
            .await
            .unwrap_or_else(|e| panic!("append at {first}: {e}"));
    }
}

/// Child process entry for the multi-process test: does nothing unless asked to.
#[test]
fn child_appender() {
    let Ok(dir) = std::env::var("LANCER_CHILD_DATASET") else {
        return;
    };
    let base: i64 = std::env::var("LANCER_CHILD_BASE").unwrap().parse().unwrap();
    runtime().block_on(append_many(FsPath::new(&dir), base, 5, 3));
}

fn spawn_child(dir: &FsPath, base: i64) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "child_appender",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("LANCER_CHILD_DATASET", dir)
        .env("LANCER_CHILD_BASE", base.to_string())
        .spawn()
        .unwrap()
}

fn pylance_ids(python: &FsPath, dir: &FsPath) -> (u64, Vec<i64>) {
    let script = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/read_ids.py");
    let output = oracle::run_script(python, &script, &[&dir]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    (
        value["version"].as_u64().unwrap(),
        serde_json::from_value(value["ids"].clone()).unwrap(),
    )
}

#[test]
fn sixteen_threads_and_four_processes_append_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, root) = local(dir.path());
    runtime().block_on(create(store, root, 10));
    // Ids: 0..10 initially; thread t appends ids 1000*(t+1).., process p 100_000*(p+1)..
    let children: Vec<_> = (0..4)
        .map(|p| spawn_child(dir.path(), 100_000 * (p + 1)))
        .collect();
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let dir: PathBuf = dir.path().to_path_buf();
            std::thread::spawn(move || runtime().block_on(append_many(&dir, 1000 * (t + 1), 5, 3)))
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a child appender failed");
    }
    let expected: BTreeSet<i64> = (0..10)
        .chain((0..16).flat_map(|t| 1000 * (t + 1)..1000 * (t + 1) + 15))
        .chain((0..4).flat_map(|p| 100_000 * (p + 1)..100_000 * (p + 1) + 15))
        .collect();
    let (store, root) = local(dir.path());
    let dataset = DatasetStore::new(store, root);
    let latest = runtime().block_on(check_consistent(&dataset, Some(expected.len() as u64)));
    assert_eq!(latest, 1 + 20 * 5, "every append is its own version");
    let manifest = runtime().block_on(dataset.manifest(latest)).unwrap();
    let ids: BTreeSet<u64> = manifest.fragments.iter().map(|f| f.id).collect();
    assert_eq!(
        ids.len(),
        manifest.fragments.len(),
        "no fragment id repeats"
    );
    if let Some(python) =
        oracle::python("sixteen_threads_and_four_processes_append_at_once (pylance check)")
    {
        let (version, read) = pylance_ids(&python, dir.path());
        assert_eq!(version, latest);
        assert_eq!(read.into_iter().collect::<BTreeSet<_>>(), expected);
    }
}

#[test]
fn pylance_and_lancer_append_interleaved() {
    let Some(python) = oracle::python("pylance_and_lancer_append_interleaved") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (store, root) = local(dir.path());
    runtime().block_on(create(store, root, 10));
    let script = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/append.py");
    let pylance: Vec<_> = (0..2)
        .map(|p| {
            Command::new(&python)
                .arg(&script)
                .arg(dir.path())
                .args([(500_000 * (p + 1)).to_string(), "8".into(), "4".into()])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Start lancer's appenders once pylance has committed, so the two really interleave.
    let (store, root) = local(dir.path());
    let watcher = DatasetStore::new(store, root);
    runtime().block_on(async {
        while watcher.latest_version().await.unwrap() == Some(1) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let dir: PathBuf = dir.path().to_path_buf();
            std::thread::spawn(move || runtime().block_on(append_many(&dir, 1000 * (t + 1), 5, 3)))
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let mut pylance_versions = Vec::new();
    for child in pylance {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "a pylance appender failed");
        let versions: Vec<u64> = serde_json::from_slice(&output.stdout).unwrap();
        pylance_versions.extend(versions);
    }
    pylance_versions.sort();
    let lancer_between = (pylance_versions[0]..*pylance_versions.last().unwrap())
        .filter(|v| !pylance_versions.contains(v))
        .count();
    eprintln!(
        "pylance committed versions {pylance_versions:?}; {lancer_between} lancer versions in between"
    );
    let expected: BTreeSet<i64> = (0..10)
        .chain((0..6).flat_map(|t| 1000 * (t + 1)..1000 * (t + 1) + 15))
        .chain((0..2).flat_map(|p| 500_000 * (p + 1)..500_000 * (p + 1) + 32))
        .collect();
    let (store, root) = local(dir.path());
    let dataset = DatasetStore::new(store, root);
    let latest = runtime().block_on(check_consistent(&dataset, Some(expected.len() as u64)));
    assert_eq!(latest, 1 + 6 * 5 + 2 * 8);
    let (version, read) = pylance_ids(&python, dir.path());
    assert_eq!(version, latest);
    assert_eq!(read.into_iter().collect::<BTreeSet<_>>(), expected);
}

/// Commits `theirs` and then `mine`, both built on the same version.
async fn race(
    dataset: &DatasetStore,
    theirs: Operation,
    mine: Operation,
) -> Result<u64, CommitError> {
    let read = dataset.latest_version().await.unwrap().unwrap();
    dataset
        .commit(&Transaction::new(read, theirs), &CommitOptions::default())
        .await
        .unwrap();
    dataset
        .commit(&Transaction::new(read, mine), &CommitOptions::default())
        .await
        .map(|c| c.version)
}

/// A fresh in-memory dataset with two fragments (ids 0 and 1).
async fn two_fragments() -> (DatasetStore, Arc<dyn ObjectStore>, Path) {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let root = Path::from("ds");
    let dataset = create(store.clone(), root.clone(), 5).await;
    let second = fragment(&store, &root, 5..10).await;
    dataset
        .commit(
            &Transaction::new(
                1,
                Operation::Append {
                    fragments: vec![second],
                },
            ),
            &CommitOptions::default(),
        )
        .await
        .unwrap();
    (dataset, store, root)
}

fn deleting(dataset_manifest: &lancer_table::Manifest, id: u64) -> Operation {
    let mut fragment = dataset_manifest
        .fragments
        .iter()
        .find(|f| f.id == id)
        .unwrap()
        .clone();
    fragment.deletion_file = Some(lancer_table::DeletionFile {
        file_type: lancer_table::DeletionFileType::Array,
        read_version: dataset_manifest.version,
        id: 7 + id,
        num_deleted_rows: Some(1),
        base_id: None,
    });
    Operation::Delete {
        updated_fragments: vec![fragment],
        deleted_fragment_ids: vec![],
        predicate: "id = 0".into(),
    }
}

#[test]
fn conflicts_through_the_real_protocol() {
    runtime().block_on(async {
        // Append after Overwrite: incompatible.
        let (dataset, store, root) = two_fragments().await;
        let replacement = fragment(&store, &root, 100..101).await;
        let extra = fragment(&store, &root, 200..201).await;
        let overwrite = Operation::Overwrite {
            fragments: vec![replacement],
            schema: schema(),
            config_upsert: Default::default(),
        };
        match race(
            &dataset,
            overwrite,
            Operation::Append {
                fragments: vec![extra],
            },
        )
        .await
        {
            Err(CommitError::Conflict {
                mine: OperationKind::Append,
                theirs: OperationKind::Overwrite,
                version: 3,
                read_version: 2,
                ..
            }) => {}
            other => panic!("append after overwrite: {other:?}"),
        }

        // Merge after Append: rebuild.
        let (dataset, store, root) = two_fragments().await;
        let v2 = dataset.manifest(2).await.unwrap();
        let schema = add_fields(
            &v2,
            &[arrow_schema::Field::new(
                "x",
                arrow_schema::DataType::Int32,
                true,
            )],
        )
        .unwrap();
        let merge = Operation::Merge {
            fragments: v2.fragments.to_vec(),
            schema,
            preserves_nullability: false,
        };
        let extra = fragment(&store, &root, 300..301).await;
        match race(
            &dataset,
            Operation::Append {
                fragments: vec![extra],
            },
            merge,
        )
        .await
        {
            Err(CommitError::Rebuild {
                mine: OperationKind::Merge,
                theirs: OperationKind::Append,
                ..
            }) => {}
            other => panic!("merge after append: {other:?}"),
        }

        // Delete after Delete: the same fragment must be rebuilt, another one rebases.
        let (dataset, _, _) = two_fragments().await;
        let v2 = dataset.manifest(2).await.unwrap();
        match race(&dataset, deleting(&v2, 0), deleting(&v2, 0)).await {
            Err(CommitError::Rebuild {
                mine: OperationKind::Delete,
                theirs: OperationKind::Delete,
                ..
            }) => {}
            other => panic!("delete after delete of the same fragment: {other:?}"),
        }
        let (dataset, _, _) = two_fragments().await;
        let v2 = dataset.manifest(2).await.unwrap();
        let version = race(&dataset, deleting(&v2, 0), deleting(&v2, 1))
            .await
            .unwrap();
        let both = dataset.manifest(version).await.unwrap();
        assert!(
            both.fragments.iter().all(|f| f.deletion_file.is_some()),
            "both deletions kept"
        );
    });
}

#[test]
fn every_matrix_row_through_the_real_protocol() {
    // For each operation lancer commits: one committed-before operation it rebases over and
    // one that stops it, with the outcome the matrix gives.
    runtime().block_on(async {
        type Maker = Box<dyn Fn(&lancer_table::Manifest, Vec<lancer_table::Fragment>) -> Operation>;
        let rows: Vec<(&str, Maker, Maker, &str)> = vec![
            (
                "Append",
                Box::new(|_, f| Operation::Append { fragments: f }),
                Box::new(|_, _| Operation::ReserveFragments { num_fragments: 1 }),
                "ok",
            ),
            (
                "Append",
                Box::new(|_, f| Operation::Append { fragments: f }),
                Box::new(|_, _| Operation::Restore { version: 1 }),
                "conflict",
            ),
            (
                "Overwrite",
                Box::new(|_, f| Operation::Overwrite {
                    fragments: f,
                    schema: schema(),
                    config_upsert: Default::default(),
                }),
                Box::new(|_, f| Operation::Append { fragments: f }),
                "ok",
            ),
            (
                "Overwrite",
                Box::new(|_, f| Operation::Overwrite {
                    fragments: f,
                    schema: schema(),
                    config_upsert: Default::default(),
                }),
                Box::new(|_, f| Operation::Overwrite {
                    fragments: f,
                    schema: schema(),
                    config_upsert: Default::default(),
                }),
                "rebuild",
            ),
            (
                "Merge",
                Box::new(|m, _| Operation::Merge {
                    fragments: m.fragments.to_vec(),
                    schema: m.schema.clone(),
                    preserves_nullability: false,
                }),
                Box::new(|_, _| config("a")),
                "ok",
            ),
            (
                "Merge",
                Box::new(|m, _| Operation::Merge {
                    fragments: m.fragments.to_vec(),
                    schema: m.schema.clone(),
                    preserves_nullability: false,
                }),
                Box::new(|_, f| Operation::Overwrite {
                    fragments: f,
                    schema: schema(),
                    config_upsert: Default::default(),
                }),
                "conflict",
            ),
            (
                "Delete",
                Box::new(|m, _| deleting(m, 1)),
                Box::new(|m, _| deleting(m, 0)),
                "ok",
            ),
            (
                "Delete",
                Box::new(|m, _| deleting(m, 1)),
                Box::new(|_, f| Operation::Overwrite {
                    fragments: f,
                    schema: schema(),
                    config_upsert: Default::default(),
                }),
                "conflict",
            ),
            (
                "Rewrite",
                Box::new(|m, f| Operation::Rewrite {
                    groups: vec![RewriteGroup {
                        old_fragments: vec![m.fragments[0].clone()],
                        new_fragments: f,
                    }],
                }),
                Box::new(|_, f| Operation::Append { fragments: f }),
                "ok",
            ),
            (
                "Rewrite",
                Box::new(|m, f| Operation::Rewrite {
                    groups: vec![RewriteGroup {
                        old_fragments: vec![m.fragments[0].clone()],
                        new_fragments: f,
                    }],
                }),
                Box::new(|m, _| deleting(m, 0)),
                "rebuild",
            ),
            (
                "Restore",
                Box::new(|_, _| Operation::Restore { version: 1 }),
                Box::new(|_, f| Operation::Append { fragments: f }),
                "ok",
            ),
            (
                "Project",
                Box::new(|m, _| Operation::Project {
                    schema: m.schema.clone(),
                }),
                Box::new(|_, _| config("a")),
                "ok",
            ),
            (
                "Project",
                Box::new(|m, _| Operation::Project {
                    schema: m.schema.clone(),
                }),
                Box::new(|_, f| Operation::Append { fragments: f }),
                "rebuild",
            ),
            (
                "UpdateConfig",
                Box::new(|_, _| config("a")),
                Box::new(|_, _| config("b")),
                "ok",
            ),
            (
                "UpdateConfig",
                Box::new(|_, _| config("a")),
                Box::new(|_, _| config("a")),
                "rebuild",
            ),
            (
                "ReserveFragments",
                Box::new(|_, _| Operation::ReserveFragments { num_fragments: 2 }),
                Box::new(|_, f| Operation::Append { fragments: f }),
                "ok",
            ),
            (
                "ReserveFragments",
                Box::new(|_, _| Operation::ReserveFragments { num_fragments: 2 }),
                Box::new(|_, f| Operation::Overwrite {
                    fragments: f,
                    schema: schema(),
                    config_upsert: Default::default(),
                }),
                "rebuild",
            ),
        ];
        for (name, mine, theirs, expect) in rows {
            let (dataset, store, root) = two_fragments().await;
            let v2 = dataset.manifest(2).await.unwrap();
            let f1 = vec![fragment(&store, &root, 900..901).await];
            // Five rows: as many as fragment 0, which the Rewrite rows replace.
            let f2 = vec![fragment(&store, &root, 950..955).await];
            let theirs_op = theirs(&v2, f1);
            let theirs_name = theirs_op.kind();
            let outcome = race(&dataset, theirs_op, mine(&v2, f2)).await;
            let got = match &outcome {
                Ok(_) => "ok",
                Err(CommitError::Rebuild { .. }) => "rebuild",
                Err(CommitError::Conflict { .. }) => "conflict",
                Err(other) => panic!("{name} after {theirs_name}: {other}"),
            };
            assert_eq!(got, expect, "{name} after {theirs_name}: {outcome:?}");
            check_consistent(&dataset, None).await;
        }
    });
}

fn config(key: &str) -> Operation {
    Operation::UpdateConfig {
        config: MapUpdate {
            entries: [(key.to_string(), Some("1".to_string()))].into(),
            replace: false,
        },
        table_metadata: MapUpdate::default(),
    }
}

/// Runs `commits` appends on a store with faults; every one must land exactly once.
async fn survive(
    store: Arc<dyn ObjectStore>,
    injected: impl Fn() -> Vec<&'static str>,
    what: &str,
) {
    let root = Path::from("faulty");
    let dataset = loop {
        // Creating the dataset faces the same faults; retry until it exists.
        let dataset = DatasetStore::new(store.clone(), root.clone());
        let first = fragment(&store, &root, 0..3).await;
        let create = Transaction::new(
            0,
            Operation::Overwrite {
                fragments: vec![first],
                schema: schema(),
                config_upsert: Default::default(),
            },
        );
        if dataset.commit(&create, &patient()).await.is_ok() {
            break dataset;
        }
    };
    let mut uuids = Vec::new();
    for i in 0..20 {
        let fragment = fragment(&store, &root, 100 * (i + 1)..100 * (i + 1) + 2).await;
        let read = loop {
            if let Ok(Some(v)) = dataset.latest_version().await {
                break v;
            }
        };
        let append = Transaction::new(
            read,
            Operation::Append {
                fragments: vec![fragment],
            },
        );
        let committed = dataset
            .commit(&append, &patient())
            .await
            .unwrap_or_else(|e| panic!("{what}: append {i}: {e}"));
        uuids.push((append.uuid.clone(), committed.version));
    }
    let fresh = DatasetStore::new(store.clone(), root.clone());
    let latest = loop {
        if let Ok(v) = fresh.latest_version().await {
            break v.unwrap();
        }
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    for version in 1..=latest {
        let transaction = loop {
            if let Ok(t) = fresh.transaction(version).await {
                break t;
            }
        };
        assert!(
            seen.insert(transaction.uuid.clone(), version).is_none(),
            "{what}: transaction committed twice"
        );
    }
    for (uuid, version) in &uuids {
        assert_eq!(
            seen.get(uuid),
            Some(version),
            "{what}: commit lost or reported at the wrong version"
        );
    }
    let manifest = loop {
        if let Ok(m) = fresh.manifest(latest).await {
            break m;
        }
    };
    assert_eq!(manifest.num_rows(), Some(3 + 20 * 2), "{what}");
    assert!(!injected().is_empty(), "{what}: no fault was injected");
}

#[test]
fn injected_faults_lose_and_duplicate_nothing() {
    let cases = [
        (
            "error before put",
            Faults {
                fail_before_put: 0.3,
                ..Faults::default()
            },
        ),
        (
            "lost acknowledgement",
            Faults {
                fail_after_put: 0.3,
                ..Faults::default()
            },
        ),
        (
            "slow puts",
            Faults {
                slow_put: Some(Duration::from_millis(3)),
                fail_after_put: 0.05,
                ..Faults::default()
            },
        ),
        (
            "failing listings",
            Faults {
                fail_list: 0.5,
                ..Faults::default()
            },
        ),
        (
            "torn reads",
            Faults {
                torn_read: 0.3,
                ..Faults::default()
            },
        ),
        (
            "everything",
            Faults {
                fail_before_put: 0.1,
                fail_after_put: 0.1,
                slow_put: None,
                fail_list: 0.2,
                torn_read: 0.1,
            },
        ),
    ];
    runtime().block_on(async {
        for (i, (what, faults)) in cases.into_iter().enumerate() {
            let seed = 1000 + i as u64;
            eprintln!("fault case `{what}`, seed {seed}");
            let memory = Arc::new(FaultyStore::new(InMemory::new(), faults, seed));
            let store: Arc<dyn ObjectStore> = memory.clone();
            survive(
                store,
                || memory.injected.lock().unwrap().clone(),
                &format!("{what} (memory)"),
            )
            .await;
            let dir = tempfile::tempdir().unwrap();
            let disk = Arc::new(FaultyStore::new(
                object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap(),
                faults,
                seed,
            ));
            let store: Arc<dyn ObjectStore> = disk.clone();
            survive(
                store,
                || disk.injected.lock().unwrap().clone(),
                &format!("{what} (local)"),
            )
            .await;
        }
    });
}

#[test]
fn read_version_rules() {
    runtime().block_on(async {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let root = Path::from("rules");
        let dataset = DatasetStore::new(store.clone(), root.clone());
        let f = fragment(&store, &root, 0..1).await;
        // Only an Overwrite creates a dataset.
        let append = Transaction::new(
            0,
            Operation::Append {
                fragments: vec![f.clone()],
            },
        );
        assert!(matches!(
            dataset.commit(&append, &CommitOptions::default()).await,
            Err(CommitError::Invalid(_))
        ));
        let create = |f| {
            Transaction::new(
                0,
                Operation::Overwrite {
                    fragments: vec![f],
                    schema: schema(),
                    config_upsert: Default::default(),
                },
            )
        };
        dataset
            .commit(&create(f.clone()), &CommitOptions::default())
            .await
            .unwrap();
        // read_version 0 on an existing dataset is refused, naming the latest version.
        let message = dataset
            .commit(&create(f.clone()), &CommitOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("read_version 0 only creates a dataset")
                && message.contains("latest version 1"),
            "{message}"
        );
        // A read version from the future is refused.
        let future = Transaction::new(
            9,
            Operation::Append {
                fragments: vec![f.clone()],
            },
        );
        let message = dataset
            .commit(&future, &CommitOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("newer than the latest version 1"),
            "{message}"
        );
        // Project to nothing, Merge dropping fragments: refused, and nothing was committed.
        let project = Transaction::new(
            1,
            Operation::Project {
                schema: drop_fields(&schema(), &["id"]).unwrap(),
            },
        );
        assert!(matches!(
            dataset.commit(&project, &CommitOptions::default()).await,
            Err(CommitError::Invalid(_))
        ));
        let merge = Transaction::new(
            1,
            Operation::Merge {
                fragments: vec![],
                schema: schema(),
                preserves_nullability: false,
            },
        );
        let message = dataset
            .commit(&merge, &CommitOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(message.contains("missing fragment ids [0]"), "{message}");
        assert_eq!(dataset.latest_version().await.unwrap(), Some(1));
        // Refused before anything was written: only the creation's transaction file exists.
        use futures::TryStreamExt;
        let transactions: Vec<_> = store
            .list(Some(&dataset.path("_transactions")))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(transactions.len(), 1, "{transactions:?}");
    });
}

#[test]
fn naming_schemes_are_detected_kept_and_never_mixed() {
    use lancer_table::naming::ManifestNaming;
    use object_store::{ObjectStoreExt, PutPayload};
    runtime().block_on(async {
        // A V1-named dataset (as pylance writes with enable_v2_manifest_paths=False).
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let root = Path::from("v1");
        let v2_named = create(store.clone(), root.clone(), 2).await;
        let bytes = store
            .get(&v2_named.path(&ManifestNaming::V2.path(1)))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        store
            .delete(&v2_named.path(&ManifestNaming::V2.path(1)))
            .await
            .unwrap();
        store
            .put(
                &v2_named.path("_versions/1.manifest"),
                PutPayload::from(bytes.clone()),
            )
            .await
            .unwrap();
        let dataset = DatasetStore::new(store.clone(), root.clone());
        assert_eq!(dataset.naming().await.unwrap(), Some(ManifestNaming::V1));
        let f = fragment(&store, &root, 10..11).await;
        let committed = dataset
            .commit(
                &Transaction::new(1, Operation::Append { fragments: vec![f] }),
                &CommitOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(committed.version, 2);
        store
            .head(&dataset.path("_versions/2.manifest"))
            .await
            .expect("the V1 scheme is kept");
        // Both schemes in one directory: refused.
        store
            .put(
                &dataset.path(&ManifestNaming::V2.path(3)),
                PutPayload::from(bytes),
            )
            .await
            .unwrap();
        let message = DatasetStore::new(store, root)
            .list_versions()
            .await
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("mixes manifest naming schemes"),
            "{message}"
        );
    });
}

#[test]
fn a_wrong_hint_never_hides_versions() {
    use object_store::{ObjectStoreExt, PutPayload};
    runtime().block_on(async {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let root = Path::from("hints");
        let dataset = create(store.clone(), root.clone(), 2).await;
        for read in 1..4 {
            let f = fragment(&store, &root, 10 * read..10 * read + 1).await;
            dataset
                .commit(
                    &Transaction::new(read as u64, Operation::Append { fragments: vec![f] }),
                    &CommitOptions::default(),
                )
                .await
                .unwrap();
        }
        let hint = dataset.path("_versions/latest_version_hint.json");
        for bogus in [
            &br#"{"version":2}"#[..],
            br#"{"version":99}"#,
            b"garbage",
            br#"{"version":0}"#,
        ] {
            store
                .put(&hint, PutPayload::from(bogus.to_vec()))
                .await
                .unwrap();
            let fresh = DatasetStore::new(store.clone(), root.clone());
            assert_eq!(
                fresh.latest_version().await.unwrap(),
                Some(4),
                "hint {:?}",
                String::from_utf8_lossy(bogus)
            );
        }
        store.delete(&hint).await.unwrap();
        assert_eq!(
            DatasetStore::new(store, root)
                .latest_version()
                .await
                .unwrap(),
            Some(4)
        );
    });
}

#[test]
fn a_store_without_create_if_absent_is_refused() {
    runtime().block_on(async {
        let store: Arc<dyn ObjectStore> =
            Arc::new(common::faulty::NoConditionalPut(InMemory::new()));
        let root = Path::from("unsafe");
        let dataset = DatasetStore::new(store.clone(), root.clone());
        let f = fragment(&store, &root, 0..1).await;
        let create = Transaction::new(
            0,
            Operation::Overwrite {
                fragments: vec![f],
                schema: schema(),
                config_upsert: Default::default(),
            },
        );
        let error = dataset
            .commit(&create, &CommitOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(error, CommitError::UnsafeStore(_)), "{error}");
        assert!(
            error.to_string().contains("only if it is absent"),
            "{error}"
        );
        assert_eq!(
            dataset.latest_version().await.unwrap(),
            None,
            "nothing was committed"
        );
    });
}

#[test]
fn a_store_ignoring_the_create_condition_is_detected_and_refused() {
    runtime().block_on(async {
        let store: Arc<dyn ObjectStore> =
            Arc::new(common::faulty::IgnoresCondition(InMemory::new()));
        let root = Path::from("ignores");
        let dataset = DatasetStore::new(store.clone(), root.clone());
        let f = fragment(&store, &root, 0..1).await;
        let create = Transaction::new(
            0,
            Operation::Overwrite {
                fragments: vec![f],
                schema: schema(),
                config_upsert: Default::default(),
            },
        );
        let error = dataset
            .commit(&create, &CommitOptions::default())
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("accepted a second create-if-absent"),
            "{error}"
        );
        assert_eq!(
            dataset.latest_version().await.unwrap(),
            None,
            "nothing was committed"
        );
    });
}

#[test]
fn a_rerun_naming_another_read_version_finds_the_first_run() {
    runtime().block_on(async {
        let (dataset, store, root) = two_fragments().await;
        let once = fragment(&store, &root, 10..15).await;
        let mut first = Transaction::new(2, Operation::append(vec![once.clone()]));
        first.uuid = "00000000-0000-4000-8000-00000000a11d".into();
        let v3 = dataset
            .commit(&first, &CommitOptions::default())
            .await
            .unwrap();
        assert_eq!(v3.version, 3);
        let other = fragment(&store, &root, 15..20).await;
        let v4 = Transaction::new(3, Operation::append(vec![other]));
        dataset
            .commit(&v4, &CommitOptions::default())
            .await
            .unwrap();
        // Re-runs of the same transaction id naming read versions 3 and 4 (after version 3,
        // which they created, and after a later commit) and 1 (before it) all find it.
        for read_version in [3, 4, 1] {
            let mut again = first.clone();
            again.read_version = read_version;
            let found = dataset
                .commit(&again, &CommitOptions::default())
                .await
                .unwrap();
            assert_eq!(
                (found.version, found.already_committed),
                (3, true),
                "{read_version}"
            );
        }
        assert_eq!(dataset.latest_version().await.unwrap(), Some(4));
        // A caller that says the id is fresh skips the search (and would commit again):
        // the search is what makes the re-run safe.
        let mut again = first.clone();
        again.read_version = 4;
        let options = CommitOptions::default().with_earlier_run_search(false);
        assert!(
            dataset
                .commit(&again, &options)
                .await
                .is_err_and(|e| e.to_string().contains("already in fragment"))
        );
    });
}
