//! proptest strategies over the Arrow types lancer stores.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, TimeUnit};
use proptest::prelude::*;

/// Leaf types with a fixed width (allowed inside vectors).
pub fn fixed_width_type() -> impl Strategy<Value = DataType> {
    use DataType::*;
    prop_oneof![
        Just(Int8),
        Just(Int16),
        Just(Int32),
        Just(Int64),
        Just(UInt8),
        Just(UInt16),
        Just(UInt32),
        Just(UInt64),
        Just(Float16),
        Just(Float32),
        Just(Float64),
        Just(Date32),
        Just(Date64),
        Just(Time32(TimeUnit::Millisecond)),
        Just(Time64(TimeUnit::Nanosecond)),
        Just(Timestamp(TimeUnit::Microsecond, None)),
        Just(Timestamp(TimeUnit::Second, Some("UTC".into()))),
        Just(Duration(TimeUnit::Millisecond)),
        Just(Decimal128(18, 3)),
        Just(Decimal256(40, 5)),
        (1i32..9).prop_map(FixedSizeBinary),
        Just(Boolean),
    ]
}

/// Every leaf type.
pub fn leaf_type() -> impl Strategy<Value = DataType> {
    use DataType::*;
    prop_oneof![
        4 => fixed_width_type(),
        1 => Just(Utf8), 1 => Just(LargeUtf8), 1 => Just(Binary), 1 => Just(LargeBinary),
        1 => Just(Null),
        1 => Just(Dictionary(Box::new(Int32), Box::new(Utf8))),
        1 => Just(Dictionary(Box::new(UInt8), Box::new(Int64))),
        2 => (fixed_width_type(), 1i32..20).prop_map(|(t, n)| FixedSizeList(Arc::new(Field::new("item", t, true)), n)),
    ]
}

/// Any type a Lance 2.0 file stores, nested up to a few levels.
pub fn any_type() -> impl Strategy<Value = DataType> {
    leaf_type().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| DataType::List(item_field(t))),
            inner
                .clone()
                .prop_map(|t| DataType::LargeList(item_field(t))),
            prop::collection::vec((inner, any::<bool>()), 1..4).prop_map(struct_of),
        ]
    })
}

/// A list's item field.
fn item_field(data_type: DataType) -> Arc<Field> {
    Arc::new(Field::new("item", data_type, true))
}

/// A struct of the children's types, `f0`, `f1`, ... (Null children are always nullable).
fn struct_of(children: Vec<(DataType, bool)>) -> DataType {
    DataType::Struct(Fields::from(
        children
            .into_iter()
            .enumerate()
            .map(|(i, (t, nullable))| {
                Field::new(format!("f{i}"), t.clone(), nullable || t == DataType::Null)
            })
            .collect::<Vec<_>>(),
    ))
}

/// A top-level field called `name` of a type `types` gives; nullable most of the time.
fn field_of(
    name: &'static str,
    types: impl Strategy<Value = DataType>,
) -> impl Strategy<Value = Field> {
    (types, prop::bool::weighted(0.8))
        .prop_map(move |(t, nullable)| Field::new(name, t.clone(), nullable || t == DataType::Null))
}

/// A top-level field of any type; nullable most of the time.
pub fn any_field(name: &'static str) -> impl Strategy<Value = Field> {
    field_of(name, any_type())
}

/// Any type a Lance 2.1/2.2 file stores: those of [`any_type`] and maps, nested up to a
/// few levels (map keys are non-null strings or integers).
pub fn any_structural_type() -> impl Strategy<Value = DataType> {
    leaf_type().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| DataType::List(item_field(t))),
            inner
                .clone()
                .prop_map(|t| DataType::LargeList(item_field(t))),
            (
                prop_oneof![Just(DataType::Utf8), Just(DataType::Int64)],
                inner.clone()
            )
                .prop_map(|(key, value)| {
                    let entries = Field::new(
                        "entries",
                        DataType::Struct(Fields::from(vec![
                            Field::new("key", key, false),
                            Field::new("value", value, true),
                        ])),
                        false,
                    );
                    DataType::Map(Arc::new(entries), false)
                }),
            prop::collection::vec((inner, any::<bool>()), 1..4).prop_map(struct_of),
        ]
    })
}

/// A top-level field of any type a 2.1/2.2 file stores; nullable most of the time.
pub fn any_structural_field(name: &'static str) -> impl Strategy<Value = Field> {
    field_of(name, any_structural_type())
}

/// Whether `data_type` holds a map anywhere.
pub fn has_map(data_type: &DataType) -> bool {
    match data_type {
        DataType::Map(..) => true,
        DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _) => {
            has_map(item.data_type())
        }
        DataType::Struct(fields) => fields.iter().any(|f| has_map(f.data_type())),
        _ => false,
    }
}
