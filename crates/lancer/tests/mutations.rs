//! Worker output changed at random (seeded, the changes of `lancer_testkit::mutate`) and
//! committed against a real small dataset: whatever lancer commits, pylance reads with the
//! rows lancer reads, and every file of it is sound; whatever lancer refuses leaves the
//! dataset as it was. The `commit_mutations` fuzz target drives the same changes.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use lancer::{CommitParams, Dataset, FileVersion, Fragment, LanceSchema, Operation};
use lancer_testkit::files;
use lancer_testkit::mutate::{Choices, Known, mutate, seeded_bytes};
use lancer_testkit::oracle;
use serde_json::Value;

const CASES_PER_VERSION: u64 = 150;

fn metadata_files(uri: &str) -> BTreeMap<String, Vec<u8>> {
    files::snapshot(Path::new(uri), &["_versions", "_transactions"])
}

/// A dataset (version 1, two fragments) with worker output waiting in `data/`: fragments
/// to append and, for each fragment, a merge adding `b_len`.
struct Template {
    uri: String,
    appended: Vec<Value>,
    merged: Vec<Value>,
    merged_schema: LanceSchema,
    known: Known,
}

async fn template(dir: &Path, version: FileVersion) -> Template {
    let uri = dir.join("ds").to_str().unwrap().to_string();
    let mut fragments = worker_in(&uri, &[1, 2, 3], &["x", "y", "zz"], version).await;
    fragments.extend(worker_in(&uri, &[4, 5], &["u", "vvv"], version).await);
    let schema = LanceSchema::from_arrow(&seed_schema()).unwrap();
    let v1 = Dataset::commit(
        &uri,
        Operation::overwrite(fragments, schema),
        0,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    let mut appended = worker(&uri, &[6, 7], &["p", "q"]).await;
    appended.extend(worker(&uri, &[8], &["r"]).await);
    let mut merged = Vec::new();
    let mut merged_schema = None;
    for fragment in v1.get_fragments() {
        let (f, s) = fragment.merge_columns(b_len, &["b"]).await.unwrap();
        merged.push(f);
        merged_schema = Some(s);
    }
    let as_json = |fragments: &[Fragment]| -> Vec<Value> {
        fragments
            .iter()
            .map(|f| serde_json::from_str(&f.to_json()).unwrap())
            .collect()
    };
    let known = Known {
        data_files: v1
            .manifest()
            .fragments
            .iter()
            .flat_map(|f| f.files.iter().map(|d| d.path.clone()))
            .collect(),
    };
    Template {
        uri,
        appended: as_json(&appended),
        merged: as_json(&merged),
        merged_schema: merged_schema.unwrap(),
        known,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatever_lancer_commits_pylance_reads_the_same() {
    let Some(python) = oracle::python("whatever_lancer_commits_pylance_reads_the_same") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut committed: Vec<(String, u64, Vec<Value>)> = Vec::new();
    let mut refused = 0;
    for version in [FileVersion::V2_0, FileVersion::V2_2] {
        let base = dir.path().join(format!("template-{version}"));
        let template = template(&base, version).await;
        let v1_schema = Dataset::open(&template.uri).await.unwrap().schema().clone();
        for seed in 0..CASES_PER_VERSION {
            let uri = dir.path().join(format!("case-{version}-{seed}"));
            files::copy_dir(Path::new(&template.uri), &uri).unwrap();
            let uri = uri.to_str().unwrap().to_string();
            let kind = seed % 3;
            let mut values = match kind {
                0 | 2 => template.appended.clone(),
                _ => template.merged.clone(),
            };
            let bytes = seeded_bytes(seed + 1000 * version.manifest_numbers().1 as u64, 48);
            let mut choices = Choices::new(&bytes);
            // A quarter of the cases stay as the workers wrote them: those must commit.
            mutate(
                &mut values,
                &template.known,
                &mut choices,
                seed as usize % 4,
            );
            let text = serde_json::to_string(&values).unwrap();
            let Ok(fragments) = lancer::fragments_from_json(&text) else {
                assert!(
                    seed % 4 != 0,
                    "case {version}/{seed}: workers' own JSON refused"
                );
                refused += 1;
                continue;
            };
            let operation = match kind {
                0 => Operation::append(fragments),
                1 => Operation::merge(fragments, template.merged_schema.clone(), &v1_schema),
                _ => Operation::overwrite(fragments, v1_schema.clone()),
            };
            let before = metadata_files(&uri);
            match Dataset::commit(&uri, operation, 1, &CommitParams::default()).await {
                Err(e) => {
                    assert!(
                        seed % 4 != 0,
                        "case {version}/{seed}: workers' own output refused: {e}"
                    );
                    assert!(
                        before == metadata_files(&uri),
                        "case {version}/{seed}: refused ({e}) but changed the dataset"
                    );
                    refused += 1;
                }
                Ok(dataset) => {
                    let batch = dataset.scan().to_batch().await.unwrap_or_else(|e| {
                        panic!(
                            "case {version}/{seed}: committed {text} but lancer cannot read it: {e}"
                        )
                    });
                    assert_eq!(
                        Some(batch.num_rows() as u64),
                        dataset.count_rows().ok(),
                        "case {version}/{seed}"
                    );
                    let check = dataset.check_files().await.unwrap();
                    assert!(
                        check.problems.is_empty(),
                        "case {version}/{seed}: {:?}",
                        check.problems
                    );
                    committed.push((uri, dataset.version(), rows(&batch)));
                }
            }
        }
    }
    // The generator must exercise both outcomes, or this test says nothing.
    assert!(
        committed.len() >= 10 && refused >= 20,
        "{} committed, {refused} refused",
        committed.len()
    );
    let uris: Vec<&dyn AsRef<std::ffi::OsStr>> = committed
        .iter()
        .map(|(uri, _, _)| uri as &dyn AsRef<std::ffi::OsStr>)
        .collect();
    let seen = run_json(&python, "read_many.py", &uris);
    for ((uri, _, lancer_rows), pylance) in committed.iter().zip(seen.as_array().unwrap()) {
        assert_eq!(pylance["uri"].as_str(), Some(uri.as_str()));
        assert!(
            pylance.get("error").is_none(),
            "{uri}: pylance cannot read what lancer committed: {}",
            pylance["error"]
        );
        assert_eq!(
            pylance["count"].as_u64(),
            Some(lancer_rows.len() as u64),
            "{uri}"
        );
        assert_eq!(
            &pylance["rows"],
            &Value::Array(lancer_rows.clone()),
            "{uri}"
        );
    }
}
