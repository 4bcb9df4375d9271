//! The distributed write of Lance's guide (`distributed-write.md`), step by step, with
//! lancer: workers (threads here; processes, slurm tasks or pods in real life) write
//! fragments, their metadata travels as JSON, one coordinator commits.
//!
//!     cargo run -p lancer --example distributed_write -- /tmp/dist_write
//!
//! The result is an ordinary Lance dataset: `lance.dataset("/tmp/dist_write")` in pylance
//! opens every version.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Int32Array, RecordBatch, RecordBatchIterator, StringArray};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use lancer::{
    CommitParams, Dataset, Fragment, LanceSchema, Operation, WriteParams, fragments_from_json,
    write_fragments,
};

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("a", DataType::Int32, true),
        Field::new("b", DataType::Utf8, true),
    ]))
}

/// One worker: writes its rows as fragments and returns their metadata as JSON.
fn worker(uri: String, a: Vec<i32>, b: Vec<&'static str>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async move {
            let batch = RecordBatch::try_new(
                schema(),
                vec![
                    Arc::new(Int32Array::from(a)),
                    Arc::new(StringArray::from(b)),
                ],
            )
            .expect("a valid batch");
            let fragments = write_fragments(
                &uri,
                RecordBatchIterator::new([Ok(batch)], schema()),
                &WriteParams::default(),
            )
            .await
            .expect("the worker writes its fragments");
            lancer::fragments_to_json(&fragments)
        })
    })
}

/// The value function of the guide's "Add New Columns": the length of each `b`.
fn b_len(batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
    let lengths: Int32Array = batch
        .column(0)
        .as_string::<i32>()
        .iter()
        .map(|s| s.map(|s| s.chars().count() as i32))
        .collect();
    RecordBatch::try_from_iter([("b_len", Arc::new(lengths) as _)])
}

async fn show(title: &str, dataset: &Dataset) -> Result<(), lancer::Error> {
    let table = dataset.scan().to_batch().await?;
    println!(
        "{title} (version {}, {} fragments, {} rows):",
        dataset.version(),
        dataset.get_fragments().len(),
        table.num_rows()
    );
    println!("{}", arrow_cast::pretty::pretty_format_batches(&[table])?);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let uri = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "dist_write".to_string());
    if std::path::Path::new(&uri).exists() {
        return Err(format!("{uri} already exists; pick a new directory").into());
    }

    // Write new data: two workers write fragments of a dataset that does not exist yet.
    let worker1 = worker(uri.clone(), vec![1, 2, 3], vec!["x", "y", "z"]);
    let worker2 = worker(uri.clone(), vec![4, 5, 6], vec!["u", "v", "w"]);
    let json1 = worker1.join().expect("worker 1");
    let json2 = worker2.join().expect("worker 2");
    println!("Worker 1: {json1}\nWorker 2: {json2}\n");

    // On one coordinator, collect all fragments and commit them as version 1.
    let mut all_fragments = fragments_from_json(&json1)?;
    all_fragments.extend(fragments_from_json(&json2)?);
    let lance_schema = LanceSchema::from_arrow(&schema())?;
    let read_version = 0; // the dataset is empty at this time
    let dataset = Dataset::commit(
        &uri,
        Operation::overwrite(all_fragments, lance_schema),
        read_version,
        &CommitParams::default(),
    )
    .await?;
    assert_eq!(dataset.get_fragments().len(), 2);
    assert_eq!(dataset.version(), 1);
    show("After the first commit", &dataset).await?;

    // Append data: another worker, then an Append built on the version read.
    let read_version = Dataset::open(&uri).await?.version();
    let json3 = worker(uri.clone(), vec![7, 8], vec!["seven", "eight"])
        .join()
        .expect("worker 3");
    let dataset = Dataset::commit(
        &uri,
        Operation::append(fragments_from_json(&json3)?),
        read_version,
        &CommitParams::default(),
    )
    .await?;
    show("After the append", &dataset).await?;

    // Add new columns: each worker computes `b_len` for one fragment; one Merge commits them.
    let mut merged: Vec<Fragment> = Vec::new();
    let mut new_schema = None;
    for fragment in dataset.get_fragments() {
        let (fragment, schema) = fragment.merge_columns(b_len, &["b"]).await?;
        merged.push(Fragment::from_json(&fragment.to_json())?); // as it would travel
        new_schema = Some(schema);
    }
    let operation = Operation::merge(
        merged,
        new_schema.expect("fragments exist"),
        dataset.schema(),
    );
    let dataset =
        Dataset::commit(&uri, operation, dataset.version(), &CommitParams::default()).await?;
    show("After merge_columns", &dataset).await?;
    Ok(())
}
