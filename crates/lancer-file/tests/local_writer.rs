//! Files written straight to the local disk (`FileWriter::create_local`) are the same bytes
//! as files written through an object store, appear only when finished, and leave nothing
//! behind when aborted or when a write fails.

use std::sync::Arc;

use arrow_array::{
    ArrayRef, FixedSizeListArray, Float32Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema};
use lancer_file::{FileReader, FileWriter, FileWriterOptions, LanceSchema, ReadOptions};
use object_store::local::LocalFileSystem;
use object_store::path::Path;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// Three batches with a wide column, so that the file spans several pages and chunks larger
/// than the local writer's gathering size.
fn batches() -> (LanceSchema, Vec<RecordBatch>) {
    let item = Arc::new(Field::new("item", DataType::Float32, true));
    let arrow = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("v", DataType::FixedSizeList(item.clone(), 64), true),
    ]));
    let batches = (0..3)
        .map(|b| {
            let rows = 20_000;
            let start = b * rows;
            let values =
                Float32Array::from_iter_values((0..rows * 64).map(|i| (start * 64 + i) as f32));
            let columns: Vec<ArrayRef> = vec![
                Arc::new(Int64Array::from_iter_values(
                    (start..start + rows).map(|i| i as i64),
                )),
                Arc::new(StringArray::from_iter(
                    (start..start + rows).map(|i| (i % 9 != 0).then(|| format!("row {i}"))),
                )),
                Arc::new(FixedSizeListArray::new(
                    item.clone(),
                    64,
                    Arc::new(values),
                    None,
                )),
            ];
            RecordBatch::try_new(arrow.clone(), columns).unwrap()
        })
        .collect();
    (LanceSchema::from_arrow(&arrow).unwrap(), batches)
}

fn small_pages() -> FileWriterOptions {
    FileWriterOptions::default()
        .with_page_bytes(1 << 20)
        .with_upload_chunk_bytes(1 << 20)
}

#[test]
fn local_files_are_the_bytes_a_store_writes_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let (schema, batches) = batches();
    runtime().block_on(async {
        let local_path = dir.path().join("data/local.lance");
        let mut local =
            FileWriter::create_local(&local_path, schema.clone(), small_pages()).unwrap();
        let store = Arc::new(LocalFileSystem::new());
        let store_path = Path::from_absolute_path(dir.path().join("data/store.lance")).unwrap();
        let mut through_store =
            FileWriter::try_new(store.clone(), store_path, schema, small_pages()).unwrap();
        for batch in &batches {
            local.write_batch(batch).await.unwrap();
            through_store.write_batch(batch).await.unwrap();
            assert!(!local_path.exists(), "the file appears only when finished");
        }
        let written = local.finish().await.unwrap();
        through_store.finish().await.unwrap();
        let local_bytes = std::fs::read(&local_path).unwrap();
        assert_eq!(local_bytes.len() as u64, written.size_bytes);
        assert_eq!(
            local_bytes,
            std::fs::read(dir.path().join("data/store.lance")).unwrap()
        );
        let names: Vec<_> = std::fs::read_dir(dir.path().join("data"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "no staging file is left: {names:?}");

        let reader = FileReader::open(store, &Path::from_absolute_path(&local_path).unwrap())
            .await
            .unwrap();
        let back = reader.read_all(ReadOptions::default()).await.unwrap();
        assert_eq!(
            back,
            arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap()
        );
    });
}

#[test]
fn an_aborted_local_file_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (schema, batches) = batches();
    runtime().block_on(async {
        let path = dir.path().join("data/aborted.lance");
        let mut writer = FileWriter::create_local(&path, schema, small_pages()).unwrap();
        writer.write_batch(&batches[0]).await.unwrap();
        writer.abort().await.unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path().join("data")).unwrap().count(),
            0
        );
    });
}

#[test]
fn a_local_file_that_cannot_be_created_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (schema, _) = batches();
    // `data` is a file, so nothing can be created under it.
    std::fs::write(dir.path().join("data"), b"in the way").unwrap();
    let error = FileWriter::create_local(dir.path().join("data/x.lance"), schema, small_pages())
        .err()
        .expect("refused");
    assert!(error.to_string().contains("x.lance"), "{error}");
}
