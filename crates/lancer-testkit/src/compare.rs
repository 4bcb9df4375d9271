//! Comparing batches.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};

/// Replaces dictionary arrays (at the top level) by their decoded values, so dictionaries
/// that differ only in how values are shared compare equal.
pub fn decode_dictionaries(batch: &RecordBatch) -> RecordBatch {
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let (f, c) = decode_column(field, column);
        fields.push(f);
        columns.push(c);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("same shape")
}

fn decode_column(field: &Field, column: &ArrayRef) -> (Field, ArrayRef) {
    match field.data_type() {
        DataType::Dictionary(_, value) => {
            let decoded = arrow_cast::cast(column, value).expect("dictionary decodes");
            (
                field.clone().with_data_type(value.as_ref().clone()),
                decoded,
            )
        }
        _ => (field.clone(), column.clone()),
    }
}

/// Asserts two batches hold the same schema and values (dictionaries compared decoded),
/// with a readable message naming the first differing column.
pub fn assert_batches_equal(actual: &RecordBatch, expected: &RecordBatch, context: &str) {
    let actual = decode_dictionaries(actual);
    let expected = decode_dictionaries(expected);
    assert_eq!(
        actual.schema().fields(),
        expected.schema().fields(),
        "{context}: schemas differ"
    );
    assert_eq!(
        actual.num_rows(),
        expected.num_rows(),
        "{context}: row counts differ"
    );
    for (i, field) in expected.schema().fields().iter().enumerate() {
        let (a, e) = (actual.column(i), expected.column(i));
        if a.to_data() != e.to_data() {
            let first = (0..e.len())
                .find(|&r| a.slice(r, 1).to_data() != e.slice(r, 1).to_data())
                .unwrap_or(0);
            panic!(
                "{context}: column `{}` differs (first at row {first}):\nactual:   {:?}\nexpected: {:?}",
                field.name(),
                a.slice(first, 1),
                e.slice(first, 1)
            );
        }
    }
}
