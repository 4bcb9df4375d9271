//! The reference table both lancer and pylance are measured on: int64 ids, float64 values,
//! utf8 of 4-40 characters, a low-cardinality utf8 column, a nullable float32 (10% nulls)
//! and 128-d float32 vectors. About 580 bytes per row in Arrow.

use std::sync::Arc;

use arrow_array::{
    ArrayRef, FixedSizeListArray, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use lancer_testkit::random::Rng;

/// Vector dimension.
pub const DIM: i32 = 128;

/// The schema.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("value", DataType::Float64, true),
        Field::new("text", DataType::Utf8, true),
        Field::new("category", DataType::Utf8, true),
        Field::new("score", DataType::Float32, true),
        Field::new(
            "vector",
            DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, true)), DIM),
            true,
        ),
    ]))
}

const CATEGORIES: &[&str] = &[
    "red", "green", "blue", "cyan", "magenta", "yellow", "black", "white",
];

/// Rows `start..start + rows` of the table (deterministic: the same rows every time).
pub fn batch(start: u64, rows: usize) -> RecordBatch {
    let mut rng = Rng::new(start);
    let id = Int64Array::from_iter_values((start..start + rows as u64).map(|i| i as i64));
    let value =
        Float64Array::from_iter_values((0..rows).map(|_| rng.next_u64() as f64 / u64::MAX as f64));
    let text = StringArray::from_iter_values((0..rows).map(|_| {
        let len = 4 + rng.below(37) as usize;
        (0..len)
            .map(|_| (b'a' + rng.below(26) as u8) as char)
            .collect::<String>()
    }));
    let category = StringArray::from_iter_values(
        (0..rows).map(|_| CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize]),
    );
    let score = Float32Array::from_iter(
        (0..rows).map(|_| (!rng.chance(0.1)).then(|| rng.below(1000) as f32 / 10.0)),
    );
    let values = Float32Array::from_iter_values(
        (0..rows * DIM as usize).map(|_| (rng.next_u64() >> 40) as f32 / 16777216.0),
    );
    let vector = FixedSizeListArray::new(
        Arc::new(Field::new("item", DataType::Float32, true)),
        DIM,
        Arc::new(values),
        None,
    );
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id),
        Arc::new(value),
        Arc::new(text),
        Arc::new(category),
        Arc::new(score),
        Arc::new(vector),
    ];
    RecordBatch::try_new(schema(), columns).expect("valid reference batch")
}

/// The whole table as batches of `batch_rows`.
pub fn batches(rows: usize, batch_rows: usize) -> Vec<RecordBatch> {
    (0..rows)
        .step_by(batch_rows)
        .map(|start| batch(start as u64, batch_rows.min(rows - start)))
        .collect()
}

/// The share of the table's Arrow bytes held by `column` (measured on a sample of rows), so
/// a one-column scan's throughput counts the bytes it actually delivers.
///
/// ```
/// let all: f64 = ["id", "value", "text", "category", "score", "vector"]
///     .iter()
///     .map(|c| lancer_benches::reference::column_share(c))
///     .sum();
/// assert!((all - 1.0).abs() < 1e-9);
/// ```
pub fn column_share(column: &str) -> f64 {
    let sample = batch(0, 10_000);
    let size = |array: &ArrayRef| array.to_data().get_slice_memory_size().unwrap_or(0) as f64;
    let total: f64 = sample.columns().iter().map(size).sum();
    sample
        .column_by_name(column)
        .map_or(0.0, |c| size(c) / total)
}
