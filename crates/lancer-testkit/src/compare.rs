//! Comparing batches.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};

/// Replaces dictionary arrays (at any depth) by their decoded values, so dictionaries
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
    let plain = without_dictionaries(field.data_type());
    if &plain == field.data_type() {
        return (field.clone(), column.clone());
    }
    let decoded = arrow_cast::cast(column, &plain).expect("dictionaries decode");
    (field.clone().with_data_type(plain), decoded)
}

/// The type with every dictionary (at any depth) replaced by its value type.
fn without_dictionaries(data_type: &DataType) -> DataType {
    let field = |f: &Arc<Field>| {
        Arc::new(
            f.as_ref()
                .clone()
                .with_data_type(without_dictionaries(f.data_type())),
        )
    };
    match data_type {
        DataType::Dictionary(_, value) => without_dictionaries(value),
        DataType::List(item) => DataType::List(field(item)),
        DataType::LargeList(item) => DataType::LargeList(field(item)),
        DataType::FixedSizeList(item, n) => DataType::FixedSizeList(field(item), *n),
        DataType::Struct(children) => DataType::Struct(children.iter().map(field).collect()),
        DataType::Map(entries, sorted) => DataType::Map(field(entries), *sorted),
        other => other.clone(),
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
