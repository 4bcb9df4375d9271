//! Property test of `conform_batch`: random batches of every type (nulls, null structs,
//! empty and sliced lists) brought to a schema differing only where values stay the same
//! (child names, offset widths, vectors as plain lists, metadata, `Etc/UTC`), then brought
//! back, come out equal to what went in; and nothing panics on the way.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, FieldRef, Fields, Schema, TimeUnit};
use lancer::{check_conformable, conform_batch};
use lancer_testkit::random::{Shape, every_type, random_batch};
use proptest::prelude::*;

/// A type holding the same values as `data_type`; `flip` chooses among the alternatives.
fn variant(data_type: &DataType, flip: &mut impl FnMut() -> bool) -> DataType {
    use DataType::*;
    let mut renamed = |field: &FieldRef, name: &str| -> FieldRef {
        Arc::new(
            Field::new(name, variant(field.data_type(), flip), field.is_nullable())
                .with_metadata(HashMap::from([("from".to_string(), "variant".to_string())])),
        )
    };
    match data_type {
        Utf8 => LargeUtf8,
        LargeUtf8 => Utf8,
        Binary => LargeBinary,
        LargeBinary => Binary,
        List(item) => {
            let item = renamed(item, "element");
            if flip() { LargeList(item) } else { List(item) }
        }
        LargeList(item) => {
            let item = renamed(item, "element");
            if flip() { List(item) } else { LargeList(item) }
        }
        FixedSizeList(item, n) => {
            let item = renamed(item, "element");
            if flip() {
                List(item)
            } else {
                FixedSizeList(item, *n)
            }
        }
        Struct(fields) => Struct(
            fields
                .iter()
                .map(|f| {
                    let name = f.name().clone();
                    renamed(f, &name)
                })
                .collect::<Fields>(),
        ),
        Map(entries, sorted) => {
            let DataType::Struct(kv) = entries.data_type() else {
                unreachable!("a map's entries are a struct")
            };
            let key = Field::new("keys", variant(kv[0].data_type(), flip), false);
            let value = Field::new(
                "values",
                variant(kv[1].data_type(), flip),
                kv[1].is_nullable(),
            );
            Map(
                Arc::new(Field::new(
                    "key_value",
                    Struct(Fields::from(vec![key, value])),
                    false,
                )),
                *sorted,
            )
        }
        Dictionary(key, value) => Dictionary(key.clone(), Box::new(variant(value, flip))),
        Timestamp(unit, Some(zone)) if zone.as_ref() == "UTC" => {
            Timestamp(*unit, Some("Etc/UTC".into()))
        }
        other => other.clone(),
    }
}

fn fields() -> Vec<Field> {
    let mut fields = every_type();
    fields.push(Field::new(
        "map",
        DataType::Map(
            Arc::new(Field::new(
                "entries",
                DataType::Struct(Fields::from(vec![
                    Field::new("key", DataType::Utf8, false),
                    Field::new("value", DataType::Int32, true),
                ])),
                false,
            )),
            false,
        ),
        true,
    ));
    fields.push(Field::new(
        "ts_utc_ms",
        DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        true,
    ));
    fields
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn there_and_back_again(seed in any::<u64>(), rows in 0usize..40, offset in 0usize..5, bits in any::<u64>(), null_structs in any::<bool>()) {
        let shape = Shape {
            struct_null_density: if null_structs { 0.3 } else { 0.0 },
            ..Shape::default()
        };
        let batch = random_batch(seed, &fields(), rows + offset, &shape);
        // A slice: offsets that do not start at 0.
        let batch = batch.slice(offset.min(batch.num_rows()), rows);
        let mut at = 0;
        let mut flip = || {
            at = (at + 1) % 64;
            bits >> at & 1 == 1
        };
        let there: Vec<Field> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), variant(f.data_type(), &mut flip), f.is_nullable()))
            .collect();
        let there = Arc::new(Schema::new(there));
        check_conformable(&batch.schema(), &there).unwrap();
        let moved = conform_batch(&batch, &there).unwrap();
        prop_assert_eq!(moved.schema(), there.clone());
        check_conformable(&there, &batch.schema()).unwrap();
        let back: RecordBatch = conform_batch(&moved, &batch.schema()).unwrap();
        prop_assert_eq!(back.schema(), batch.schema());
        for (i, (a, b)) in batch.columns().iter().zip(back.columns()).enumerate() {
            prop_assert_eq!(a.to_data(), b.to_data(), "column {}", batch.schema().field(i).name());
        }
    }
}
