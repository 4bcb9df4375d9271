//! The seed's distributed write (`distributed-write.md`) with lancer, with pylance, and with
//! the two mixed, checked against pylance 14.0.2 at every version.

mod common;

use common::*;
use lancer::{CommitParams, Dataset, Fragment, LanceSchema, Operation};
use lancer_testkit::oracle;
use serde_json::Value;

fn uri(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lancer_seed_flow_is_read_exactly_by_pylance() {
    let dir = tempfile::tempdir().unwrap();
    let uri = uri(&dir, "seed");
    let dataset = lancer_seed(&uri).await;
    assert_eq!(dataset.version(), 3);
    // Workers and merge_columns wrote straight to disk: only finished data files remain,
    // each one referenced by the dataset.
    let mut on_disk: Vec<String> = std::fs::read_dir(dir.path().join("seed/data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut referenced: Vec<String> = dataset
        .manifest()
        .fragments
        .iter()
        .flat_map(|f| f.files.iter().map(|file| file.path.clone()))
        .collect();
    on_disk.sort();
    referenced.sort();
    assert_eq!(on_disk, referenced);
    for (version, columns, rows) in seed_expectation() {
        let (got_columns, got_rows) = lancer_view(&uri, version).await;
        assert_eq!(got_columns, columns, "lancer, version {version}");
        assert_eq!(Value::Array(got_rows), rows, "lancer, version {version}");
    }
    let Some(python) = oracle::python("lancer_seed_flow_is_read_exactly_by_pylance") else {
        return;
    };
    let seen = run_json(&python, "read_versions.py", &[&uri]);
    for ((version, columns, rows), view) in
        seed_expectation().into_iter().zip(seen.as_array().unwrap())
    {
        assert_eq!(view["version"], version);
        assert_eq!(
            view["columns"],
            serde_json::json!(columns),
            "pylance, version {version}"
        );
        assert_eq!(view["rows"], rows, "pylance, version {version}");
        assert_eq!(view["storage"], "2.2");
    }
}

/// The seed flow written as Lance 2.0, 2.1 and 2.2 datasets (2.2 is the default, lancer's and
/// pylance's): every data file has the dataset's version, and pylance reads every version
/// exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lancer_seed_flow_in_every_version_is_read_exactly_by_pylance() {
    let python = oracle::python("lancer_seed_flow_in_every_version_is_read_exactly_by_pylance");
    let dir = tempfile::tempdir().unwrap();
    for version in [
        lancer::FileVersion::V2_0,
        lancer::FileVersion::V2_1,
        lancer::FileVersion::V2_2,
    ] {
        let uri = uri(&dir, &format!("seed_{}", version.as_str()));
        let dataset = lancer_seed_in(&uri, version).await;
        assert_eq!(
            dataset.manifest().data_format.as_ref().unwrap().version,
            version.as_str()
        );
        let (_, minor) = version.manifest_numbers();
        for fragment in dataset.manifest().fragments.iter() {
            for file in &fragment.files {
                assert_eq!(
                    (file.file_major_version, file.file_minor_version),
                    (2, minor),
                    "{}",
                    file.path
                );
            }
        }
        for (v, columns, rows) in seed_expectation() {
            let (got_columns, got_rows) = lancer_view(&uri, v).await;
            assert_eq!(got_columns, columns, "lancer {version}, version {v}");
            assert_eq!(
                Value::Array(got_rows),
                rows,
                "lancer {version}, version {v}"
            );
        }
        let Some(python) = &python else { continue };
        let seen = run_json(python, "read_versions.py", &[&uri]);
        for ((v, columns, rows), view) in
            seed_expectation().into_iter().zip(seen.as_array().unwrap())
        {
            assert_eq!(
                view["columns"],
                serde_json::json!(columns),
                "pylance {version} v{v}"
            );
            assert_eq!(view["rows"], rows, "pylance {version}, version {v}");
            assert_eq!(view["storage"], version.as_str());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pylance_seed_flow_is_read_exactly_by_lancer() {
    let Some(python) = oracle::python("pylance_seed_flow_is_read_exactly_by_lancer") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let uri = uri(&dir, "seed_pylance");
    let seen = run_json(&python, "seed_pylance.py", &[&uri]);
    for ((version, columns, rows), view) in
        seed_expectation().into_iter().zip(seen.as_array().unwrap())
    {
        assert_eq!(
            view["rows"], rows,
            "pylance wrote what the seed says, version {version}"
        );
        let (got_columns, got_rows) = lancer_view(&uri, version).await;
        assert_eq!(
            got_columns, columns,
            "lancer reading pylance, version {version}"
        );
        assert_eq!(
            Value::Array(got_rows),
            rows,
            "lancer reading pylance, version {version}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pylance_workers_and_lancer_coordinator() {
    let Some(python) = oracle::python("pylance_workers_and_lancer_coordinator") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let uri = uri(&dir, "mixed1");
    let (w1, w2) = (dir.path().join("w1.json"), dir.path().join("w2.json"));
    run_json_or_nothing(&python, "worker.py", &[&uri, &w1, &"0", &"4"]);
    run_json_or_nothing(&python, "worker.py", &[&uri, &w2, &"100", &"3"]);
    let mut fragments = Vec::new();
    for path in [&w1, &w2] {
        fragments
            .extend(lancer::fragments_from_json(&std::fs::read_to_string(path).unwrap()).unwrap());
    }
    let schema = LanceSchema::from_arrow(&seed_schema()).unwrap();
    let dataset = Dataset::commit(
        &uri,
        Operation::overwrite(fragments, schema),
        0,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    assert_eq!(dataset.count_rows().unwrap(), 7);
    let seen = run_json(&python, "read_versions.py", &[&uri]);
    let rows = seen[0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[4], serde_json::json!({"a": 100, "b": "p100"}));
    let (_, ours) = lancer_view(&uri, 1).await;
    assert_eq!(&ours, rows);
}

fn run_json_or_nothing(python: &std::path::Path, name: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) {
    oracle::run_script(python, &script(name), args);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lancer_workers_and_pylance_coordinator() {
    let Some(python) = oracle::python("lancer_workers_and_pylance_coordinator") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let uri = uri(&dir, "mixed2");
    let w1 = worker(&uri, &[1, 2], &["one", "two"]).await;
    let w2 = worker(&uri, &[3], &["three"]).await;
    let texts: Vec<String> = w1.iter().chain(&w2).map(Fragment::to_json).collect();
    let path = dir.path().join("fragments.json");
    std::fs::write(&path, serde_json::to_string(&texts).unwrap()).unwrap();
    let version = run_json(
        &python,
        "coordinator.py",
        &[&uri, &"overwrite", &"0", &path],
    );
    assert_eq!(version, 1);
    let w3 = worker(&uri, &[4], &["four"]).await;
    std::fs::write(
        &path,
        serde_json::to_string(&w3.iter().map(Fragment::to_json).collect::<Vec<_>>()).unwrap(),
    )
    .unwrap();
    let version = run_json(&python, "coordinator.py", &[&uri, &"append", &"1", &path]);
    assert_eq!(version, 2);
    let (_, ours) = lancer_view(&uri, 2).await;
    assert_eq!(ours.len(), 4);
    assert_eq!(ours[3], serde_json::json!({"a": 4, "b": "four"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_columns_crosses_over() {
    let Some(python) = oracle::python("merge_columns_crosses_over") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // pylance adds a column to a dataset lancer made...
    let ours = uri(&dir, "lancer_made");
    create(&ours, &[1, 2, 3], &["a", "bb", "ccc"]).await;
    assert_eq!(run_json(&python, "merge_pylance.py", &[&ours]), 2);
    let (columns, rows) = lancer_view(&ours, 2).await;
    assert_eq!(columns, vec!["a", "b", "b_len"]);
    assert_eq!(rows[2], serde_json::json!({"a": 3, "b": "ccc", "b_len": 3}));
    // ...and lancer adds one to a dataset pylance made.
    let theirs = uri(&dir, "pylance_made");
    let path = dir.path().join("w.json");
    run_json_or_nothing(&python, "worker.py", &[&theirs, &path, &"10", &"3"]);
    run_json(
        &python,
        "coordinator.py",
        &[&theirs, &"overwrite", &"0", &path],
    );
    let merged = add_b_len(&theirs).await;
    assert_eq!(merged.version(), 2);
    let seen = run_json(&python, "read_versions.py", &[&theirs, &"2"]);
    assert_eq!(seen[0]["columns"], serde_json::json!(["a", "b", "b_len"]));
    assert_eq!(
        seen[0]["rows"][0],
        serde_json::json!({"a": 10, "b": "p10", "b_len": 3})
    );
}
