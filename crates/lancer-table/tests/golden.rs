//! Golden interop with pylance 14.0.2: datasets pylance made (tests/oracle/make_datasets.py,
//! run at test time) are decoded completely by lancer; re-encoding loses nothing; pylance
//! opens, reads and appends to versions whose manifests lancer built.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use lancer_file::{FileVersion, FileWriter, FileWriterOptions};
use lancer_table::naming::{ManifestNaming, parse_manifest_name};
use lancer_table::{
    CommitInfo, DataFile, Fragment, Manifest, MapUpdate, Operation, OperationKind, Transaction,
    drop_fields, next_manifest, proto,
};
use lancer_testkit::oracle;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use serde_json::Value;

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/oracle")
        .join(name)
}

/// Every manifest of a dataset, oldest first, with its naming scheme.
fn manifests(dataset: &Path) -> Vec<(u64, ManifestNaming, Vec<u8>)> {
    let mut out: Vec<_> = fs::read_dir(dataset.join("_versions"))
        .unwrap()
        .filter_map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            let (version, naming) = parse_manifest_name(&name)?;
            Some((version, naming, fs::read(entry.path()).unwrap()))
        })
        .collect();
    out.sort_by_key(|m| m.0);
    out
}

fn now() -> proto::Timestamp {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    proto::Timestamp {
        seconds: elapsed.as_secs() as i64,
        nanos: elapsed.subsec_nanos() as i32,
    }
}

/// Commits like a (test-only, single-writer) coordinator: transaction file first, then the
/// manifest, created only if absent.
fn commit(
    dataset: &Path,
    naming: ManifestNaming,
    previous: &Manifest,
    operation: Operation,
) -> lancer_table::Result<Manifest> {
    let transaction = Transaction::new(previous.version, operation);
    let info = CommitInfo {
        version: previous.version + 1,
        timestamp: now(),
        restored: None,
    };
    let next = next_manifest(Some(previous), &transaction, info)?;
    fs::write(
        dataset.join("_transactions").join(transaction.file_name()),
        transaction.encode()?,
    )
    .unwrap();
    let path = dataset.join(naming.path(next.version));
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .unwrap();
    fs::write(&path, next.encode()).unwrap();
    Ok(next)
}

fn pylance_view(python: &Path, dataset: &Path, append: Option<usize>) -> Value {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&dataset];
    let rows = append.map(|n| n.to_string());
    if let Some(rows) = &rows {
        args.push(rows);
    }
    let output = oracle::run_script(python, &script("check_dataset.py"), &args);
    serde_json::from_slice(&output.stdout).unwrap()
}

const EXPECTED_OPERATIONS: [OperationKind; 7] = [
    OperationKind::Overwrite,
    OperationKind::Append,
    OperationKind::Merge,
    OperationKind::Delete,
    OperationKind::Delete,
    OperationKind::Overwrite,
    OperationKind::Restore,
];

#[test]
fn pylance_datasets_decode_completely_and_reencode_losslessly() {
    let Some(python) = oracle::python("pylance_datasets_decode_completely_and_reencode_losslessly")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    oracle::run_script(&python, &script("make_datasets.py"), &[&dir.path()]);
    let mut checked = 0;
    for name in [
        "golden_2_0_v1_names",
        "golden_2_0_v2_names",
        "golden_2_2_v1_names",
        "golden_2_2_v2_names",
    ] {
        let dataset = dir.path().join(name);
        let expected: Vec<Value> = serde_json::from_str(
            &fs::read_to_string(dir.path().join(format!("{name}.versions.json"))).unwrap(),
        )
        .unwrap();
        let all = manifests(&dataset);
        assert_eq!(all.len(), 7, "{name}");
        let naming = if name.contains("v2_names") {
            ManifestNaming::V2
        } else {
            ManifestNaming::V1
        };
        for ((version, found_naming, bytes), want) in all.iter().zip(&expected) {
            let context = format!("{name} version {version}");
            assert_eq!(*found_naming, naming, "{context}");
            let manifest = Manifest::decode(bytes).unwrap_or_else(|e| panic!("{context}: {e}"));
            assert_eq!(manifest.version, *version, "{context}");
            assert_eq!(want["version"].as_u64(), Some(*version));
            let columns: Vec<String> = manifest
                .schema
                .fields
                .iter()
                .map(|f| f.name.clone())
                .collect();
            let want_columns: Vec<String> =
                serde_json::from_value(want["columns"].clone()).unwrap();
            assert_eq!(columns, want_columns, "{context}");
            let ids: Vec<u64> = manifest.fragments.iter().map(|f| f.id).collect();
            let want_ids: Vec<u64> = serde_json::from_value(want["fragments"].clone()).unwrap();
            assert_eq!(ids, want_ids, "{context}");
            assert_eq!(
                manifest.num_rows(),
                Some(want["rows"].as_array().unwrap().len() as u64),
                "{context}"
            );
            let storage = if name.contains("2_0") { "2.0" } else { "2.2" };
            assert_eq!(
                manifest.data_format.as_ref().map(|f| f.version.as_str()),
                Some(storage),
                "{context}"
            );
            lancer_table::features::check_readable(&manifest).unwrap();

            // The transaction: in the .txn file and inline, identical, of the expected kind.
            let file = fs::read(
                dataset
                    .join("_transactions")
                    .join(&manifest.transaction_file),
            )
            .unwrap();
            let transaction =
                Transaction::decode(&file).unwrap_or_else(|e| panic!("{context}: {e}"));
            assert_eq!(
                transaction.operation.kind(),
                EXPECTED_OPERATIONS[*version as usize - 1],
                "{context}"
            );
            assert_eq!(
                transaction.file_name(),
                manifest.transaction_file,
                "{context}"
            );
            if let Some(inline) = &manifest.inline_transaction {
                assert_eq!(
                    inline, &file,
                    "{context}: inline transaction differs from the .txn file"
                );
            }
            if let Operation::Merge {
                schema, fragments, ..
            } = &transaction.operation
            {
                assert_eq!(schema.fields.len(), 3, "{context}");
                assert!(fragments.iter().all(|f| f.files.len() == 2), "{context}");
            }

            // Re-encoding loses nothing: decoding what lancer encodes gives the same manifest,
            // and the bytes are pylance's own.
            let again = manifest.encode();
            assert_eq!(Manifest::decode(&again).unwrap(), manifest, "{context}");
            assert_eq!(
                again, *bytes,
                "{context}: re-encoded bytes differ from pylance's"
            );
            // Encoding copies the fragments' bytes from the file read; encoding each again
            // gives pylance's bytes too, so copying changes nothing.
            assert_eq!(
                manifest.encode_from_scratch(),
                *bytes,
                "{context}: fragments encoded anew differ from pylance's"
            );
            // A version built on pylance's (one fragment appended, one deleted) encodes to
            // the same bytes whether unchanged fragments are copied or encoded anew.
            if let Some(first) = manifest.fragments.first() {
                let mut fresh = first.clone();
                fresh.id = 0;
                fresh.deletion_file = None;
                for file in &mut fresh.files {
                    file.path = format!("{}-appended.lance", file.path.trim_end_matches(".lance"));
                }
                let info = |version| CommitInfo {
                    version,
                    timestamp: now(),
                    restored: None,
                };
                let appended = next_manifest(
                    Some(&manifest),
                    &Transaction::new(manifest.version, Operation::append(vec![fresh])),
                    info(manifest.version + 1),
                )
                .unwrap_or_else(|e| panic!("{context}: {e}"));
                assert_eq!(
                    appended.encode(),
                    appended.encode_from_scratch(),
                    "{context}"
                );
                if manifest.fragments.len() > 1 {
                    let deleted = next_manifest(
                        Some(&manifest),
                        &Transaction::new(
                            manifest.version,
                            Operation::Delete {
                                updated_fragments: vec![],
                                deleted_fragment_ids: vec![first.id],
                                predicate: "true".into(),
                            },
                        ),
                        info(manifest.version + 1),
                    )
                    .unwrap_or_else(|e| panic!("{context}: {e}"));
                    assert_eq!(deleted.encode(), deleted.encode_from_scratch(), "{context}");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 28);
}

#[test]
fn unknown_manifest_fields_survive_a_rewrite() {
    let Some(python) = oracle::python("unknown_manifest_fields_survive_a_rewrite") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    oracle::run_script(&python, &script("make_datasets.py"), &[&dir.path()]);
    let (_, _, bytes) = manifests(&dir.path().join("golden_2_2_v2_names"))
        .pop()
        .unwrap();
    let mut manifest = Manifest::decode(&bytes).unwrap();
    assert!(
        manifest.unknown_fields.is_empty(),
        "pylance 14 fields are all modelled"
    );
    // A field a future pylance might add: tag 99, a string.
    let future = vec![0x9a, 0x06, 0x03, b'n', b'e', b'w'];
    manifest.unknown_fields = future.clone();
    let rewritten = Manifest::decode(&manifest.encode()).unwrap();
    assert_eq!(rewritten.unknown_fields, future);
    // And it is carried into the next version lancer builds.
    let transaction = Transaction::new(
        rewritten.version,
        Operation::UpdateConfig {
            config: MapUpdate::default(),
            table_metadata: MapUpdate::default(),
        },
    );
    let info = CommitInfo {
        version: rewritten.version + 1,
        timestamp: now(),
        restored: None,
    };
    let next = next_manifest(Some(&rewritten), &transaction, info).unwrap();
    assert_eq!(
        Manifest::decode(&next.encode()).unwrap().unknown_fields,
        future
    );
}

fn lancer_data_file(
    dataset: &Path,
    manifest: &Manifest,
    ids: std::ops::Range<i64>,
) -> (DataFile, u64) {
    let arrow = Arc::new(manifest.schema.to_arrow().unwrap());
    let columns: Vec<ArrayRef> = arrow
        .fields()
        .iter()
        .map(|f| match f.name().as_str() {
            "id" => Arc::new(Int64Array::from_iter_values(ids.clone())) as ArrayRef,
            "name" => Arc::new(StringArray::from_iter_values(
                ids.clone().map(|i| format!("lancer{i}")),
            )),
            _ => Arc::new(Int64Array::from_iter_values(ids.clone().map(|i| i * 2))),
        })
        .collect();
    let batch = RecordBatch::try_new(arrow, columns).unwrap();
    let name = lancer_table::naming::new_data_file_name();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let written = runtime.block_on(async {
        let store = Arc::new(LocalFileSystem::new_with_prefix(dataset.join("data")).unwrap());
        let mut writer = FileWriter::try_new(
            store,
            StorePath::from(name.as_str()),
            manifest.schema.clone(),
            FileWriterOptions::default(),
        )
        .unwrap();
        writer.write_batch(&batch).await.unwrap();
        writer.finish().await.unwrap()
    });
    let fields = manifest.schema.field_ids();
    let columns = (0..fields.len() as i32).collect();
    (
        DataFile::new(name, fields, columns, FileVersion::V2_0, written.size_bytes),
        written.num_rows,
    )
}

#[test]
fn pylance_opens_reads_and_appends_to_versions_lancer_built() {
    let Some(python) = oracle::python("pylance_opens_reads_and_appends_to_versions_lancer_built")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    oracle::run_script(&python, &script("make_datasets.py"), &[&dir.path()]);

    // A 2.0 dataset with V1 names: lancer appends a fragment it wrote itself.
    let dataset = dir.path().join("golden_2_0_v1_names");
    let (_, naming, bytes) = manifests(&dataset).pop().unwrap();
    let v7 = Manifest::decode(&bytes).unwrap();
    let before = pylance_view(&python, &dataset, None);
    let (file, rows) = lancer_data_file(&dataset, &v7, 500..503);
    let v8 = commit(
        &dataset,
        naming,
        &v7,
        Operation::Append {
            fragments: vec![Fragment::new(file, rows)],
        },
    )
    .unwrap();
    // Fragment 3 existed only in version 6 (overwritten, then restored away); its id stays used.
    assert_eq!(
        v8.fragments.last().unwrap().id,
        4,
        "ids continue after the high-water mark"
    );
    let seen = pylance_view(&python, &dataset, Some(2));
    assert_eq!(seen["version"], 8);
    assert_eq!(
        seen["rows"].as_array().unwrap().len(),
        before["rows"].as_array().unwrap().len() + 3
    );
    assert_eq!(
        seen["rows"].as_array().unwrap().last().unwrap()["name"],
        "lancer502"
    );
    assert_eq!(
        seen["appended_version"], 9,
        "pylance commits on top of lancer's version"
    );
    assert_eq!(
        seen["appended_rows"],
        seen["rows"].as_array().unwrap().len() + 2
    );

    // A 2.2 dataset with V2 names: lancer's 2.0 files are refused (no mixed versions), a
    // config change and a column drop are committed, and pylance follows.
    let dataset = dir.path().join("golden_2_2_v2_names");
    let (_, naming, bytes) = manifests(&dataset).pop().unwrap();
    let v7 = Manifest::decode(&bytes).unwrap();
    let (file, rows) = lancer_data_file(&dataset, &v7, 600..601);
    let refused = commit(
        &dataset,
        naming,
        &v7,
        Operation::Append {
            fragments: vec![Fragment::new(file, rows)],
        },
    )
    .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("does not match the dataset's 2.2"),
        "{refused}"
    );
    let config = MapUpdate {
        entries: BTreeMap::from([("lancer.test".to_string(), Some("yes".to_string()))]),
        replace: false,
    };
    let v8 = commit(
        &dataset,
        naming,
        &v7,
        Operation::UpdateConfig {
            config,
            table_metadata: MapUpdate::default(),
        },
    )
    .unwrap();
    assert_eq!(
        v8.writer_feature_flags,
        lancer_table::features::TABLE_CONFIG
    );
    let schema = drop_fields(&v8.schema, &["id2"]).unwrap();
    commit(&dataset, naming, &v8, Operation::Project { schema }).unwrap();
    let seen = pylance_view(&python, &dataset, Some(1));
    assert_eq!(seen["version"], 9);
    assert_eq!(seen["columns"], serde_json::json!(["id", "name"]));
    assert_eq!(seen["appended_version"], 10);
}

#[test]
fn fragment_json_crosses_over_byte_for_byte() {
    let Some(python) = oracle::python("fragment_json_crosses_over_byte_for_byte") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    oracle::run_script(&python, &script("make_datasets.py"), &[&dir.path()]);
    // pylance -> lancer: fragments with several files and with deletion files.
    let texts: Vec<String> =
        serde_json::from_str(&fs::read_to_string(dir.path().join("fragments.json")).unwrap())
            .unwrap();
    assert!(texts.len() > 10);
    assert!(texts.iter().any(|t| t.contains("\"deletion_file\": {")));
    assert!(texts.iter().any(|t| t.matches("\"path\"").count() == 2));
    for text in &texts {
        let fragment = Fragment::from_json(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(&fragment.to_json(), text);
    }
    // lancer -> pylance: what lancer prints, pylance parses and prints identically.
    let ours: Vec<String> = texts
        .iter()
        .map(|t| {
            let mut fragment = Fragment::from_json(t).unwrap();
            fragment.id += 7;
            fragment.to_json()
        })
        .collect();
    let source = dir.path().join("lancer.json");
    let target = dir.path().join("pylance.json");
    fs::write(&source, serde_json::to_string(&ours).unwrap()).unwrap();
    oracle::run_script(&python, &script("json_roundtrip.py"), &[&source, &target]);
    let theirs: Vec<String> = serde_json::from_str(&fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(theirs, ours);
}
