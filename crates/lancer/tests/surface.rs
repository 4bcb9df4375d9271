//! The dataset API beyond the distributed write: row ids and addresses, take, dotted
//! projections and batch sizes checked against what pylance reads from the same dataset;
//! write progress, merge batch sizes, dropping and adding columns, restore, tags and
//! `memory://` datasets.

mod common;

use std::sync::{Arc, Mutex};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, UInt64Type};
use arrow_array::{Array, Int32Array, RecordBatch, RecordBatchIterator};
use arrow_schema::{DataType, Field, Schema};
use common::{create, run_json, seed_batch, seed_schema, worker};
use lancer::{
    CommitParams, Dataset, ErrorKind, Operation, WriteEvent, WriteParams, write_fragments,
};
use lancer_testkit::oracle;
use serde_json::Value;

fn ints(values: &Value) -> Vec<i64> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_and_addresses_read_as_pylance_reads_them() {
    let Some(python) = oracle::python("positions_and_addresses_read_as_pylance_reads_them") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds").to_str().unwrap().to_string();
    let seen = run_json(&python, "row_addresses.py", &[&uri]);
    let ds = Dataset::open(&uri).await.unwrap();

    let scanned = ds
        .scan()
        .with_row_id(true)
        .with_row_address(true)
        .to_batch()
        .await
        .unwrap();
    let names: Vec<_> = scanned
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["a", "s", "_rowid", "_rowaddr"]);
    let column = |name: &str| -> Vec<i64> {
        scanned
            .column_by_name(name)
            .unwrap()
            .as_primitive::<UInt64Type>()
            .values()
            .iter()
            .map(|v| *v as i64)
            .collect()
    };
    assert_eq!(column("_rowaddr"), ints(&seen["rowaddr"]));
    assert_eq!(column("_rowid"), ints(&seen["rowid"]));

    let columns = ["a".to_string()];
    let taken = ds.take(&[0, 5, 2, 2, 7], Some(&columns)).await.unwrap();
    let taken: Vec<i64> = taken
        .column(0)
        .as_primitive::<Int64Type>()
        .values()
        .to_vec();
    assert_eq!(taken, ints(&seen["take"]));
    let fragment = ds.get_fragments().into_iter().nth(1).unwrap();
    let taken = fragment.take(&[0, 2], Some(&columns)).await.unwrap();
    let taken: Vec<i64> = taken
        .column(0)
        .as_primitive::<Int64Type>()
        .values()
        .to_vec();
    assert_eq!(taken, ints(&seen["take_fragment"]));
    let past = ds.take(&[8], None).await.unwrap_err();
    assert_eq!(past.kind(), ErrorKind::InvalidInput, "{past}");

    let dotted = ds.scan().project(&["s.y"]).to_batch().await.unwrap();
    assert_eq!(dotted.schema().field(0).name(), "s.y");
    let ys: Vec<Value> = (0..dotted.num_rows())
        .map(|i| {
            let column = dotted.column(0).as_string::<i32>();
            if column.is_null(i) {
                Value::Null
            } else {
                Value::from(column.value(i))
            }
        })
        .collect();
    assert_eq!(Value::from(ys), seen["s_y"]);
    let missing = ds.scan().project(&["s.nope"]).schema().unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::InvalidInput);

    let sizes: Vec<i64> = {
        use futures::TryStreamExt;
        let batches: Vec<RecordBatch> = ds
            .scan()
            .batch_size(3)
            .try_into_stream()
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        batches.iter().map(|b| b.num_rows() as i64).collect()
    };
    assert_eq!(sizes, ints(&seen["batches"]));
}

#[tokio::test]
async fn progress_hears_of_every_file_and_can_stop_the_write() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().to_str().unwrap().to_string();
    let events: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = events.clone();
    let params = WriteParams::default()
        .with_max_rows_per_file(2)
        .with_progress(Arc::new(move |event: WriteEvent<'_>| {
            let line = match event {
                WriteEvent::FileStarted { path } => format!("start {path}"),
                WriteEvent::FileWritten(fragment) => {
                    format!(
                        "done {} {:?}",
                        fragment.files[0].path, fragment.physical_rows
                    )
                }
                _ => "other".into(),
            };
            seen.lock().unwrap().push(line);
            Ok(())
        }));
    let batch = seed_batch(&[1, 2, 3, 4, 5], &["a", "b", "c", "d", "e"]);
    let reader = RecordBatchIterator::new([Ok(batch.clone())], seed_schema());
    let fragments = write_fragments(&uri, reader, &params).await.unwrap();
    assert_eq!(fragments.len(), 3);
    let events = events.lock().unwrap().clone();
    let mut expected = Vec::new();
    for fragment in &fragments {
        let path = &fragment.files[0].path;
        expected.push(format!("start {path}"));
        expected.push(format!("done {path} {:?}", fragment.physical_rows));
    }
    assert_eq!(events, expected);

    // A hook that fails after the second file stops the write and nothing is left.
    let other = dir.path().join("other").to_str().unwrap().to_string();
    let counter = Mutex::new(0);
    let failing = WriteParams::default()
        .with_max_rows_per_file(2)
        .with_progress(Arc::new(move |event: WriteEvent<'_>| {
            if let WriteEvent::FileWritten(_) = event {
                let mut written = counter.lock().unwrap();
                *written += 1;
                if *written == 2 {
                    return Err(lancer::Error::new(ErrorKind::InvalidInput, "enough"));
                }
            }
            Ok(())
        }));
    let reader = RecordBatchIterator::new([Ok(batch)], seed_schema());
    let error = write_fragments(&other, reader, &failing).await.unwrap_err();
    assert!(error.to_string().contains("enough"), "{error}");
    let left = std::fs::read_dir(dir.path().join("other/data")).map_or(0, |d| d.count());
    assert_eq!(left, 0, "a stopped write leaves no data file");
}

#[tokio::test]
async fn merge_functions_see_batches_of_at_most_batch_size() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().to_str().unwrap().to_string();
    let values: Vec<i32> = (0..1000).collect();
    let names: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let ds = create(&uri, &values, &names).await;
    let fragment = ds.get_fragments().remove(0);
    let mut sizes = Vec::new();
    let (merged, schema) = fragment
        .merge_columns_in_batches(
            |batch| {
                sizes.push(batch.num_rows());
                let a = batch.column(0).as_primitive::<Int32Type>();
                let doubled: Int32Array = a.iter().map(|v| v.map(|v| v * 2)).collect();
                let schema = Arc::new(Schema::new(vec![Field::new("d", DataType::Int32, true)]));
                RecordBatch::try_new(schema, vec![Arc::new(doubled)])
            },
            &["a"],
            64,
        )
        .await
        .unwrap();
    assert!(sizes.iter().all(|&n| n <= 64), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 1000);
    let previous = ds.schema().clone();
    let done = Dataset::commit(
        &uri,
        Operation::merge(vec![merged], schema, &previous),
        1,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    let d = done.scan().project(&["d"]).to_batch().await.unwrap();
    assert_eq!(d.column(0).as_primitive::<Int32Type>().value(999), 1998);
    let zero = fragment
        .merge_columns_in_batches(Ok, &["a"], 0)
        .await
        .unwrap_err();
    assert_eq!(zero.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn columns_come_and_go_and_versions_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().to_str().unwrap().to_string();
    let ds = create(&uri, &[1, 2, 3], &["x", "y", "z"]).await;
    let params = CommitParams::default();

    let nulls = ds
        .add_null_columns(&[Field::new("n", DataType::Utf8, true)], &params)
        .await
        .unwrap();
    assert_eq!(nulls.version(), 2);
    let n = nulls.scan().project(&["n"]).to_batch().await.unwrap();
    assert_eq!(n.column(0).null_count(), 3);
    let strict = nulls
        .add_null_columns(&[Field::new("m", DataType::Int32, false)], &params)
        .await
        .unwrap_err();
    assert_eq!(strict.kind(), ErrorKind::InvalidInput);
    let twice = nulls
        .add_null_columns(&[Field::new("n", DataType::Utf8, true)], &params)
        .await
        .unwrap_err();
    assert_eq!(twice.kind(), ErrorKind::InvalidInput, "{twice}");

    let dropped = nulls.drop_columns(&["b"], &params).await.unwrap();
    let names: Vec<_> = dropped
        .schema()
        .fields
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert_eq!(names, ["a", "n"]);
    assert_eq!(
        dropped
            .drop_columns(&["a", "n"], &params)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        dropped
            .drop_columns(&["zz"], &params)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );

    let first = dropped.checkout_version(1).await.unwrap();
    let restored = first.restore(&params).await.unwrap();
    assert_eq!(restored.version(), 4);
    let names: Vec<_> = restored
        .schema()
        .fields
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(restored.count_rows().unwrap(), 3);
    // Appends after a restore go on from the restored content.
    let more = worker(&uri, &[4], &["w"]).await;
    let appended = Dataset::commit(&uri, Operation::append(more), 4, &params)
        .await
        .unwrap();
    assert_eq!(appended.count_rows().unwrap(), 4);
}

#[tokio::test]
async fn tags_name_versions() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().to_str().unwrap().to_string();
    create(&uri, &[1], &["x"]).await;
    let more = worker(&uri, &[2], &["y"]).await;
    let ds = Dataset::commit(&uri, Operation::append(more), 1, &CommitParams::default())
        .await
        .unwrap();
    ds.create_tag("first", 1).await.unwrap();
    assert_eq!(
        ds.create_tag("first", 2).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    for bad in ["../x", "a/b", "", ".hidden"] {
        assert_eq!(
            ds.create_tag(bad, 1).await.unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{bad}"
        );
    }
    assert_eq!(
        ds.create_tag("nowhere", 9).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let tags = ds.tags().await.unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags["first"].version, 1);
    assert!(tags["first"].manifest_size > 0);
    assert_eq!(
        ds.checkout_tag("first")
            .await
            .unwrap()
            .count_rows()
            .unwrap(),
        1
    );
    ds.update_tag("first", 2).await.unwrap();
    assert_eq!(ds.tag_version("first").await.unwrap(), 2);
    ds.delete_tag("first").await.unwrap();
    assert!(ds.tags().await.unwrap().is_empty());
    assert_eq!(
        ds.delete_tag("first").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn memory_datasets_work_end_to_end() {
    let uri = "memory://surface-test/ds";
    let ds = create(uri, &[1, 2], &["x", "y"]).await;
    let more = worker(uri, &[3], &["z"]).await;
    Dataset::commit(
        uri,
        Operation::append(more),
        ds.version(),
        &CommitParams::default(),
    )
    .await
    .unwrap();
    let again = Dataset::open(uri).await.unwrap();
    assert_eq!(again.version(), 2);
    let b = again.scan().project(&["b"]).to_batch().await.unwrap();
    let b: Vec<&str> = b.column(0).as_string::<i32>().iter().flatten().collect();
    assert_eq!(b, ["x", "y", "z"]);
}

#[tokio::test]
async fn renamed_and_tightened_columns_read_back() {
    use arrow_array::{Int64Array, StructArray};
    use lancer::{ColumnAlteration, LanceSchema};
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().to_str().unwrap().to_string();
    let inner = Field::new("x", DataType::Int64, true);
    let schema = Arc::new(Schema::new(vec![
        Field::new("a", DataType::Int64, true),
        Field::new("s", DataType::Struct(vec![inner.clone()].into()), true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(StructArray::from(vec![(
                Arc::new(inner),
                Arc::new(Int64Array::from(vec![10, 20])) as _,
            )])),
        ],
    )
    .unwrap();
    let reader = RecordBatchIterator::new([Ok(batch)], schema.clone());
    let fragments = write_fragments(&uri, reader, &WriteParams::default())
        .await
        .unwrap();
    let params = CommitParams::default();
    let ds = Dataset::commit(
        &uri,
        Operation::overwrite(fragments, LanceSchema::from_arrow(&schema).unwrap()),
        0,
        &params,
    )
    .await
    .unwrap();
    let altered = ds
        .alter_columns(
            &[
                ColumnAlteration::new("a").rename("id").nullable(false),
                ColumnAlteration::new("s.x").rename("z"),
            ],
            &params,
        )
        .await
        .unwrap();
    let read = altered.scan().to_batch().await.unwrap();
    assert_eq!(read.schema().field(0).name(), "id");
    assert!(!read.schema().field(0).is_nullable());
    let s = read.column(1).as_struct();
    assert_eq!(s.column_names(), ["z"]);
    assert_eq!(
        s.column(0).as_primitive::<Int64Type>().values().to_vec(),
        [10, 20]
    );
    let z = altered.scan().project(&["s.z"]).to_batch().await.unwrap();
    assert_eq!(
        z.column(0).as_primitive::<Int64Type>().values().to_vec(),
        [10, 20]
    );
    for bad in [
        ColumnAlteration::new("id").rename("s"),
        ColumnAlteration::new("nope").rename("q"),
        ColumnAlteration::new("id").rename("p.q"),
    ] {
        let error = altered
            .alter_columns(std::slice::from_ref(&bad), &params)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad:?}: {error}");
    }
}

#[tokio::test]
async fn columns_from_a_reader_line_up_with_visible_rows() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().to_str().unwrap().to_string();
    let first = worker(&uri, &[0, 1, 2], &["a", "b", "c"]).await;
    let second = worker(&uri, &[3, 4], &["d", "e"]).await;
    let schema = lancer::LanceSchema::from_arrow(&seed_schema()).unwrap();
    let params = CommitParams::default();
    let ds = Dataset::commit(
        &uri,
        Operation::overwrite([first, second].concat(), schema),
        0,
        &params,
    )
    .await
    .unwrap();
    let extra = |n: i32| {
        let schema = Arc::new(Schema::new(vec![Field::new("c", DataType::Int32, false)]));
        let batches: Vec<_> = (0..n)
            .collect::<Vec<_>>()
            .chunks(2)
            .map(|chunk| {
                RecordBatch::try_new(
                    schema.clone(),
                    vec![Arc::new(Int32Array::from(chunk.to_vec()))],
                )
            })
            .collect();
        RecordBatchIterator::new(batches, schema)
    };
    let files_before = std::fs::read_dir(dir.path().join("data")).unwrap().count();
    for wrong in [4, 6] {
        let error = ds
            .add_columns_from_reader(extra(wrong), &params)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{wrong}: {error}");
        let files = std::fs::read_dir(dir.path().join("data")).unwrap().count();
        assert_eq!(files, files_before, "{wrong} rows left files behind");
    }
    let done = ds.add_columns_from_reader(extra(5), &params).await.unwrap();
    let c = done.scan().project(&["c"]).to_batch().await.unwrap();
    assert_eq!(
        c.column(0).as_primitive::<Int32Type>().values().to_vec(),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(done.get_fragments()[1].metadata().files.len(), 2);
}
