//! Datasets of Lance file versions 2.1 and 2.2 with nested columns (null structs, lists of
//! lists, maps, dictionaries, vectors): lancer writes and commits them, pylance reads them
//! exactly and appends its own files, and lancer reads both back.

mod common;

use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchIterator};
use common::run_json;
use lancer::{CommitParams, Dataset, FileVersion, LanceSchema, Operation, WriteParams};
use lancer_testkit::{cases, compare::assert_batches_equal, oracle};

fn write_ipc(path: &std::path::Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = arrow_ipc::writer::StreamWriter::try_new(file, &batch.schema()).unwrap();
    writer.write(batch).unwrap();
    writer.finish().unwrap();
}

/// Every type of the interop suite plus the nested shapes only 2.1/2.2 store, as one table.
fn table(maps: bool) -> RecordBatch {
    let mut columns = Vec::new();
    let mut fields = Vec::new();
    let every = cases::all()
        .into_iter()
        .find(|c| c.name == "every_type_batches")
        .unwrap()
        .table();
    let nested = cases::structural_only(maps)
        .into_iter()
        .find(|c| c.name == "structural_batches")
        .unwrap()
        .table();
    let rows = every.num_rows().min(nested.num_rows());
    for batch in [every, nested] {
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            fields.push(field.clone());
            columns.push(column.slice(0, rows));
        }
    }
    RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), columns).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_columns_in_2_1_and_2_2_datasets_cross_over_with_pylance() {
    let python = oracle::python("nested_columns_in_2_1_and_2_2_datasets_cross_over_with_pylance");
    let dir = tempfile::tempdir().unwrap();
    for version in [FileVersion::V2_1, FileVersion::V2_2] {
        let table = table(version == FileVersion::V2_2);
        let uri = dir
            .path()
            .join(format!("nested_{}", version.as_str()))
            .to_str()
            .unwrap()
            .to_string();
        // Two workers, small files so the scan crosses fragments.
        let params = WriteParams::default()
            .with_data_storage_version(version)
            .with_max_rows_per_file(97);
        let half = table.num_rows() / 2;
        let mut fragments = Vec::new();
        for part in [
            table.slice(0, half),
            table.slice(half, table.num_rows() - half),
        ] {
            let reader = RecordBatchIterator::new([Ok(part)], table.schema());
            fragments.extend(
                lancer::write_fragments(&uri, reader, &params)
                    .await
                    .unwrap(),
            );
        }
        let schema = LanceSchema::from_arrow(&table.schema()).unwrap();
        let dataset = Dataset::commit(
            &uri,
            Operation::overwrite(fragments, schema),
            0,
            &CommitParams::default(),
        )
        .await
        .unwrap();
        let back = dataset.scan().to_batch().await.unwrap();
        assert_batches_equal(
            &back,
            &table,
            &format!("lancer reading its {version} dataset"),
        );
        let Some(python) = &python else { continue };
        let expected = dir
            .path()
            .join(format!("expected_{}.arrow", version.as_str()));
        write_ipc(&expected, &table);
        let seen = run_json(python, "nested_dataset.py", &[&uri, &expected]);
        assert_eq!(seen["version"], 2);
        assert_eq!(seen["storage"], version.as_str());
        // pylance's appended files read back through lancer.
        let dataset = Dataset::open(&uri).await.unwrap();
        let both = dataset.scan().to_batch().await.unwrap();
        let twice =
            arrow_select::concat::concat_batches(&table.schema(), &[table.clone(), table.clone()])
                .unwrap();
        assert_batches_equal(
            &both,
            &twice,
            &format!("lancer reading pylance's {version} append"),
        );
        // lancer compacts lancer's and pylance's fragments together; both read the same.
        let before = dataset.get_fragments().len();
        let plan = dataset
            .plan_compaction(&lancer::CompactionOptions::default())
            .await
            .unwrap();
        assert!(plan.num_tasks() >= 1);
        let mut results = Vec::new();
        for task in plan.tasks() {
            results.push(task.execute(&dataset).await.unwrap());
        }
        let compacted = Dataset::commit_compaction(&uri, &plan, &results, &CommitParams::default())
            .await
            .unwrap()
            .dataset;
        assert!(compacted.get_fragments().len() < before);
        let after = compacted.scan().to_batch().await.unwrap();
        assert_batches_equal(
            &after,
            &twice,
            &format!("lancer reading its compacted {version}"),
        );
        let doubled = dir.path().join(format!("twice_{}.arrow", version.as_str()));
        write_ipc(&doubled, &twice);
        let seen = run_json(python, "read_equals.py", &[&uri, &doubled]);
        assert_eq!(seen["version"], 3);
    }
}
