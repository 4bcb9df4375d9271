//! Writes a Lance 2.0 file from generated data and reads it back: the whole path through
//! lancer-encoding and lancer-file on the local filesystem.
//!
//!     cargo run -p lancer-file --example roundtrip -- /tmp/example.lance
//!
//! The file is a plain Lance file: `lance.file.LanceFileReader("/tmp/example.lance")` in
//! pylance reads it too.

use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, FixedSizeListArray, Float32Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema};
use futures::TryStreamExt;
use lancer_file::{
    FileReader, FileWriter, FileWriterOptions, LanceSchema, Projection, ReadOptions,
};
use object_store::local::LocalFileSystem;
use object_store::path::Path;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "example.lance".to_string());
    let target = std::path::absolute(&target)?;
    let directory = target
        .parent()
        .ok_or("the target needs a parent directory")?;
    std::fs::create_dir_all(directory)?;
    let store = Arc::new(LocalFileSystem::new_with_prefix(directory)?);
    let path = Path::from(
        target
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("bad file name")?,
    );

    let item = Arc::new(Field::new("item", DataType::Float32, true));
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("embedding", DataType::FixedSizeList(item.clone(), 4), true),
    ]));
    let rows = 10_000;
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(0..rows)) as ArrayRef,
            Arc::new(StringArray::from_iter(
                (0..rows).map(|i| (i % 10 != 0).then(|| format!("row-{i}"))),
            )),
            Arc::new(FixedSizeListArray::new(
                item,
                4,
                Arc::new(Float32Array::from_iter_values(
                    (0..rows * 4).map(|v| v as f32 / 4.0),
                )),
                None,
            )),
        ],
    )?;

    let lance_schema = LanceSchema::from_arrow(&schema)?;
    let mut writer = FileWriter::try_new(
        store.clone(),
        path.clone(),
        lance_schema,
        FileWriterOptions::default(),
    )?;
    writer.write_batch(&batch).await?;
    let written = writer.finish().await?;
    println!(
        "wrote {} rows, {} bytes, file format {} to {}",
        written.num_rows,
        written.size_bytes,
        written.version,
        target.display()
    );

    let reader = FileReader::open(store, &path).await?;
    let names = ReadOptions::default()
        .with_projection(Projection::Names(vec!["id".into(), "name".into()]))
        .with_rows(9_995..10_000);
    let batches: Vec<RecordBatch> = reader.read_stream(names)?.try_collect().await?;
    println!("the last five rows (id, name):");
    for batch in &batches {
        println!("{}", render(batch));
    }
    let everything = reader.read_all(ReadOptions::default()).await?;
    assert_eq!(everything, batch, "read back exactly what was written");
    println!("read back all {} rows exactly", everything.num_rows());
    Ok(())
}

fn render(batch: &RecordBatch) -> String {
    let ids = batch
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .expect("int64 ids");
    let names = batch
        .column(1)
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("utf8 names");
    (0..batch.num_rows())
        .map(|i| {
            format!(
                "  {:>5}  {}",
                ids.value(i),
                if names.is_null(i) {
                    "null"
                } else {
                    names.value(i)
                }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
