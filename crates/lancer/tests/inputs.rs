//! Inputs as users have them, through the Rust API: Parquet and Arrow IPC written by
//! pyarrow, Polars and DuckDB create datasets and append to datasets another writer
//! created (`item` and `element` lists, view types, large offsets, DuckDB's lists for
//! vectors), and pylance reads every result as the inputs' rows. Real type differences are
//! refused with the column named, and nothing is left in the dataset.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, Int32Array, Int64Array, RecordBatch, RecordBatchIterator, RecordBatchReader,
    StringArray, StringViewArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use lancer::{CommitParams, Dataset, Operation, WriteParams, schema_from_files, write_fragments};
use lancer_testkit::inputs::{self, InputFile, assert_pylance_reads, find};
use lancer_testkit::oracle;

/// The batches of an input file, as arrow-rs reads it.
fn read(input: &InputFile) -> Box<dyn RecordBatchReader + Send> {
    let file = File::open(&input.path).unwrap();
    match input.format.as_str() {
        "parquet" => Box::new(
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .unwrap()
                .with_batch_size(3)
                .build()
                .unwrap(),
        ),
        _ => Box::new(arrow_ipc::reader::FileReader::try_new(file, None).unwrap()),
    }
}

async fn create(uri: &str, input: &InputFile) -> Dataset {
    let fragments = write_fragments(uri, read(input), &WriteParams::default())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", input.label()));
    let schema = schema_from_files(uri, &fragments, &Default::default())
        .await
        .unwrap();
    Dataset::commit(
        uri,
        Operation::overwrite(fragments, schema),
        0,
        &CommitParams::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("{}: {e}", input.label()))
}

async fn append(uri: &str, input: &InputFile) -> Dataset {
    let read_version = Dataset::open(uri).await.unwrap().version();
    let fragments = write_fragments(uri, read(input), &WriteParams::default())
        .await
        .unwrap_or_else(|e| panic!("append {}: {e}", input.label()));
    Dataset::commit(
        uri,
        Operation::append(fragments),
        read_version,
        &CommitParams::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("append {}: {e}", input.label()))
}

fn data_files(uri: &str) -> BTreeSet<String> {
    std::fs::read_dir(Path::new(uri).join("data"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_writers_files_create_datasets_pylance_reads() {
    let Some(python) = oracle::python("every_writers_files_create_datasets_pylance_reads") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = inputs::make(&python, &dir.path().join("inputs"));
    let writers: BTreeSet<&str> = files.iter().map(|f| f.writer.as_str()).collect();
    assert_eq!(writers.len(), 3, "{writers:?}");
    for input in &files {
        let uri = dir.path().join(format!("ds-{}", input.label()));
        let uri = uri.to_str().unwrap();
        let dataset = create(uri, input).await;
        let rows = dataset.scan().to_batch().await.unwrap().num_rows();
        assert_eq!(rows as u64, dataset.count_rows().unwrap());
        // View types are stored as their plain types, as pylance stores them.
        for field in dataset.schema().to_arrow().unwrap().fields() {
            assert!(
                !format!("{:?}", field.data_type()).contains("View"),
                "{}: {field:?}",
                input.label()
            );
        }
        assert_pylance_reads(&python, uri, &[input]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_writer_creates_another_appends() {
    let Some(python) = oracle::python("one_writer_creates_another_appends") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = inputs::make(&python, &dir.path().join("inputs"));
    let common = |writer, format| find(&files, writer, format, "common");
    let pairs = [
        // Arrow's `item` lists, then Parquet's `element` lists, and the reverse.
        (common("pyarrow", "arrow"), common("pyarrow", "parquet")),
        (common("pyarrow", "parquet"), common("pyarrow", "arrow")),
        // Polars: view types and large lists (IPC), large strings (Parquet).
        (common("pyarrow", "arrow"), common("polars", "arrow")),
        (common("pyarrow", "parquet"), common("polars", "parquet")),
        (common("polars", "arrow"), common("pyarrow", "parquet")),
        // DuckDB writes its FLOAT[4] vectors as plain lists; the dataset keeps vectors,
        // and a dataset DuckDB's lists made takes vectors.
        (common("pyarrow", "arrow"), common("duckdb", "parquet")),
        (common("duckdb", "parquet"), common("pyarrow", "arrow")),
        (common("polars", "parquet"), common("duckdb", "parquet")),
    ];
    for (i, (first, second)) in pairs.into_iter().enumerate() {
        let uri = dir.path().join(format!("pair-{i}"));
        let uri = uri.to_str().unwrap();
        let created = create(uri, first).await;
        let schema = created.schema().clone();
        let appended = append(uri, second).await;
        assert_eq!(appended.schema(), &schema, "the dataset's schema stays");
        assert_pylance_reads(&python, uri, &[first, second]);
    }
}

fn one_column(name: &str, data_type: DataType, nullable: bool, array: ArrayRef) -> RecordBatch {
    RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new(name, data_type, nullable)])),
        vec![array],
    )
    .unwrap()
}

async fn refused(uri: &str, batches: Vec<RecordBatch>, needles: &[&str]) {
    let before = data_files(uri);
    let schema = batches[0].schema();
    let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema);
    // Small files, so a refusal in a later batch comes after files were written.
    let params = WriteParams::default().with_max_rows_per_file(1);
    let message = write_fragments(uri, reader, &params)
        .await
        .unwrap_err()
        .to_string();
    for needle in needles {
        assert!(message.contains(needle), "`{needle}` not in: {message}");
    }
    assert_eq!(data_files(uri), before, "{message}: files were left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_type_differences_are_refused_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds");
    let uri = uri.to_str().unwrap();
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let vector = DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, true)), 4);
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("ts", ts.clone(), true),
        Field::new("name", DataType::Utf8, true),
    ]));
    let first = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(TimestampMicrosecondArray::from(vec![1, 2]).with_timezone("UTC")),
            Arc::new(StringArray::from(vec!["a", "b"])),
        ],
    )
    .unwrap();
    let reader = RecordBatchIterator::new([Ok(first.clone())], schema.clone());
    let fragments = write_fragments(uri, reader, &WriteParams::default())
        .await
        .unwrap();
    let lance_schema = lancer::LanceSchema::from_arrow(&schema).unwrap();
    Dataset::commit(
        uri,
        Operation::overwrite(fragments, lance_schema),
        0,
        &CommitParams::default(),
    )
    .await
    .unwrap();

    // Each batch below differs from the dataset in one column; the rest stay right.
    let with = |column: usize, field: Field, array: ArrayRef| {
        let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        let mut columns = first.columns().to_vec();
        fields[column] = field;
        columns[column] = array;
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    };
    // A number type.
    let int32 = with(
        0,
        Field::new("id", DataType::Int32, false),
        Arc::new(Int32Array::from(vec![1, 2])),
    );
    refused(uri, vec![int32], &["column `id`", "Int32", "Int64"]).await;
    // A time zone.
    let paris = DataType::Timestamp(TimeUnit::Microsecond, Some("Europe/Paris".into()));
    let other_zone = with(
        1,
        Field::new("ts", paris, true),
        Arc::new(TimestampMicrosecondArray::from(vec![1, 2]).with_timezone("Europe/Paris")),
    );
    refused(uri, vec![other_zone], &["column `ts`", "time zones differ"]).await;
    // Nulls into the non-nullable `id`, after a good batch was written to a file.
    let nullable = with(
        0,
        Field::new("id", DataType::Int64, true),
        Arc::new(Int64Array::from(vec![Some(3), Some(4)])),
    );
    let nulls = with(
        0,
        Field::new("id", DataType::Int64, true),
        Arc::new(Int64Array::from(vec![Some(5), None])),
    );
    refused(
        uri,
        vec![nullable.clone(), nulls],
        &["column `id`", "not nullable"],
    )
    .await;
    // ... while the same nullable input without nulls is taken.
    let reader = RecordBatchIterator::new([Ok(nullable.clone())], nullable.schema());
    assert_eq!(
        write_fragments(uri, reader, &WriteParams::default())
            .await
            .unwrap()
            .len(),
        1
    );
    // A view type for a string column is taken too.
    let view = with(
        2,
        Field::new("name", DataType::Utf8View, true),
        Arc::new(StringViewArray::from(vec!["c", "d"])),
    );
    let reader = RecordBatchIterator::new([Ok(view.clone())], view.schema());
    write_fragments(uri, reader, &WriteParams::default())
        .await
        .unwrap();

    // A vector dimension.
    let vectors = dir.path().join("vectors");
    let vectors = vectors.to_str().unwrap();
    let values = arrow_array::Float32Array::from(vec![0.0; 8]);
    let four = arrow_array::FixedSizeListArray::try_new(
        Arc::new(Field::new("item", DataType::Float32, true)),
        4,
        Arc::new(values.clone()),
        None,
    )
    .unwrap();
    let batch = one_column("v", vector, true, Arc::new(four));
    let reader = RecordBatchIterator::new([Ok(batch.clone())], batch.schema());
    let fragments = write_fragments(vectors, reader, &WriteParams::default())
        .await
        .unwrap();
    let lance_schema = lancer::LanceSchema::from_arrow(&batch.schema()).unwrap();
    Dataset::commit(
        vectors,
        Operation::overwrite(fragments, lance_schema),
        0,
        &CommitParams::default(),
    )
    .await
    .unwrap();
    let two = arrow_array::FixedSizeListArray::try_new(
        Arc::new(Field::new("item", DataType::Float32, true)),
        2,
        Arc::new(arrow_array::Float32Array::from(vec![0.0; 4])),
        None,
    )
    .unwrap();
    let wrong = one_column("v", two.data_type().clone(), true, Arc::new(two));
    refused(
        vectors,
        vec![wrong],
        &["column `v`", "vectors have 4 values"],
    )
    .await;
    assert_eq!(Dataset::open(vectors).await.unwrap().version(), 1);
}

/// `label` (a view) and `pair` (a list whose child is `element`) for rows of `id`.
fn computed(batch: RecordBatch, view: bool) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let ids = batch
        .column_by_name("id")
        .unwrap()
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    let text: Vec<String> = ids.iter().map(|i| format!("#{}", i.unwrap())).collect();
    let (label, label_type): (ArrayRef, DataType) = if view {
        (
            Arc::new(StringViewArray::from_iter_values(&text)),
            DataType::Utf8View,
        )
    } else {
        (
            Arc::new(StringArray::from_iter_values(&text)),
            DataType::Utf8,
        )
    };
    let child = if view { "element" } else { "item" };
    let mut list =
        arrow_array::builder::ListBuilder::new(arrow_array::builder::Int64Builder::new())
            .with_field(Arc::new(Field::new(child, DataType::Int64, true)));
    for id in ids.iter() {
        list.append_value([id, id.map(|i| i * 2)]);
    }
    let list = list.finish();
    let list_type = list.data_type().clone();
    RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("label", label_type, true),
            Field::new("pair", list_type, true),
        ])),
        vec![label, Arc::new(list)],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn value_functions_may_return_views_and_element_lists() {
    let Some(python) = oracle::python("value_functions_may_return_views_and_element_lists") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = inputs::make(&python, &dir.path().join("inputs"));
    let input = find(&files, "pyarrow", "arrow", "common");
    let expected: Vec<serde_json::Value> = (0..7)
        .map(|i| serde_json::json!({"id": i, "label": format!("#{i}"), "pair": [i, i * 2]}))
        .collect();
    // merge_columns with a value function returning a view and an `element` list; then
    // merge_batches whose first batch does and whose second does not.
    for mixed in [false, true] {
        let uri = dir.path().join(format!("ds-{mixed}"));
        let uri = uri.to_str().unwrap();
        let dataset = create(uri, input).await;
        let fragment = &dataset.get_fragments()[0];
        let (merged, schema) = if mixed {
            let whole = fragment.scan().project(&["id"]).to_batch().await.unwrap();
            let first = computed(whole.slice(0, 3), true).unwrap();
            let second = computed(whole.slice(3, 4), false).unwrap();
            let stream = futures::stream::iter([Ok(first.clone()), Ok(second)]);
            fragment
                .merge_batches(first.schema(), stream)
                .await
                .unwrap()
        } else {
            fragment
                .merge_columns(|batch| computed(batch, true), &["id"])
                .await
                .unwrap()
        };
        let operation = Operation::merge(vec![merged], schema, dataset.schema());
        let merged = Dataset::commit(uri, operation, dataset.version(), &CommitParams::default())
            .await
            .unwrap();
        let arrow = merged.schema().to_arrow().unwrap();
        assert_eq!(
            arrow.field_with_name("label").unwrap().data_type(),
            &DataType::Utf8
        );
        let output = lancer_testkit::oracle::run_script(
            &python,
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/read_columns.py"),
            &[&uri, &"id", &"label", &"pair"],
        );
        let text = String::from_utf8_lossy(&output.stdout);
        let seen: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(
            seen["rows"],
            serde_json::Value::Array(expected.clone()),
            "{text}"
        );
    }
}
