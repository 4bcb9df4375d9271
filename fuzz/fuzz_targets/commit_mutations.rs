//! Worker output changed by the fuzzer (the changes of `lancer_testkit::mutate`) and
//! committed, through the dataset API, against a real small dataset: nothing panics; a
//! refused commit leaves the dataset's versions and transactions as they were; a commit that
//! goes through can be read back whole, with as many rows as its manifest counts, and every
//! file of it is sound. (`crates/lancer/tests/mutations.rs` makes the same changes from
//! seeds and has pylance read everything committed.)
#![no_main]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use arrow_array::{Int32Array, RecordBatch, RecordBatchIterator};
use arrow_schema::{DataType, Field, Schema};
use lancer::{CommitParams, Dataset, LanceSchema, Operation, WriteParams, write_fragments};
use lancer_testkit::mutate::{Choices, Known, mutate};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

struct Template {
    dir: PathBuf,
    appended: Vec<Value>,
    merged: Vec<Value>,
    schema: LanceSchema,
    merged_schema: LanceSchema,
    known: Known,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    })
}

fn batch(values: &[i32]) -> (Arc<Schema>, RecordBatch) {
    let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int32, true)]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int32Array::from(values.to_vec()))],
    )
    .expect("batch");
    (schema, batch)
}

async fn worker(uri: &str, values: &[i32]) -> Vec<lancer::Fragment> {
    let (schema, batch) = batch(values);
    let reader = RecordBatchIterator::new([Ok(batch)], schema);
    write_fragments(uri, reader, &WriteParams::default())
        .await
        .expect("worker")
}

fn as_json(fragments: &[lancer::Fragment]) -> Vec<Value> {
    fragments
        .iter()
        .map(|f| serde_json::from_str(&f.to_json()).expect("fragment JSON"))
        .collect()
}

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        runtime().block_on(async {
            let dir =
                std::env::temp_dir().join(format!("lancer-fuzz-commit-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let uri = dir.join("ds").to_str().expect("utf-8").to_string();
            let mut fragments = worker(&uri, &[1, 2, 3]).await;
            fragments.extend(worker(&uri, &[4, 5]).await);
            let schema = LanceSchema::from_arrow(&batch(&[]).0).expect("schema");
            let v1 = Dataset::commit(
                &uri,
                Operation::overwrite(fragments, schema.clone()),
                0,
                &CommitParams::default(),
            )
            .await
            .expect("create");
            let appended = worker(&uri, &[6, 7]).await;
            let mut merged = Vec::new();
            let mut merged_schema = None;
            for fragment in v1.get_fragments() {
                let (f, s) = fragment
                    .merge_columns(
                        |b| {
                            let doubled: Int32Array = b
                                .column(0)
                                .as_any()
                                .downcast_ref::<Int32Array>()
                                .expect("int32")
                                .iter()
                                .map(|v| v.map(|v| v * 2))
                                .collect();
                            RecordBatch::try_from_iter([("d", Arc::new(doubled) as _)])
                        },
                        &["a"],
                    )
                    .await
                    .expect("merge");
                merged.push(f);
                merged_schema = Some(s);
            }
            let known = Known {
                data_files: v1
                    .manifest()
                    .fragments
                    .iter()
                    .flat_map(|f| f.files.iter().map(|d| d.path.clone()))
                    .collect(),
            };
            Template {
                dir: dir.join("ds"),
                appended: as_json(&appended),
                merged: as_json(&merged),
                schema,
                merged_schema: merged_schema.expect("two fragments"),
                known,
            }
        })
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn metadata_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in ["_versions", "_transactions"] {
        for entry in std::fs::read_dir(dir.join(sub)).expect("list") {
            let entry = entry.expect("entry");
            let bytes = std::fs::read(entry.path()).expect("read");
            out.insert(
                format!("{sub}/{}", entry.file_name().to_string_lossy()),
                bytes,
            );
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    static CASE: AtomicU64 = AtomicU64::new(0);
    let template = template();
    let mut choices = Choices::new(data);
    let kind = choices.below(3);
    let steps = choices.below(6);
    let mut values = if kind == 1 {
        template.merged.clone()
    } else {
        template.appended.clone()
    };
    mutate(&mut values, &template.known, &mut choices, steps);
    let Ok(fragments) = lancer::fragments_from_json(&serde_json::to_string(&values).expect("json"))
    else {
        return;
    };
    let operation = match kind {
        0 => Operation::append(fragments),
        1 => Operation::merge(fragments, template.merged_schema.clone(), &template.schema),
        _ => Operation::overwrite(fragments, template.schema.clone()),
    };
    let case = template
        .dir
        .with_file_name(format!("case-{}", CASE.fetch_add(1, Ordering::Relaxed)));
    copy_dir(&template.dir, &case);
    let uri = case.to_str().expect("utf-8").to_string();
    let before = metadata_files(&case);
    runtime().block_on(async {
        match Dataset::commit(&uri, operation, 1, &CommitParams::default()).await {
            Err(_) => assert!(
                before == metadata_files(&case),
                "a refused commit changed the dataset"
            ),
            Ok(dataset) => {
                let batch = dataset
                    .scan()
                    .to_batch()
                    .await
                    .expect("what was committed reads back");
                assert_eq!(Some(batch.num_rows() as u64), dataset.count_rows().ok());
                let check = dataset.check_files().await.expect("check");
                assert!(check.problems.is_empty(), "{:?}", check.problems);
            }
        }
    });
    let _ = std::fs::remove_dir_all(&case);
});
