//! The conform step's cases: each kind of difference taken or refused, and values kept.

use super::*;
use arrow_array::builder::{FixedSizeListBuilder, Float32Builder, ListBuilder, StringBuilder};
use arrow_array::{Int32Array, Int64Array, StringArray, StringViewArray};
use arrow_schema::{Fields, TimeUnit};

fn schema(fields: Vec<Field>) -> SchemaRef {
    Arc::new(Schema::new(fields))
}

fn list_of(name: &str, item: DataType, nullable: bool) -> DataType {
    DataType::List(Arc::new(Field::new(name, item, nullable)))
}

#[test]
fn child_names_metadata_and_views_are_brought_over() {
    let mut builder = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
        "element",
        DataType::Utf8,
        true,
    )));
    builder.append_value([Some("a"), None]);
    builder.append_null();
    let tags = Arc::new(builder.finish()) as ArrayRef;
    let view = Arc::new(StringViewArray::from(vec![Some("x"), None])) as ArrayRef;
    let input = schema(vec![
        Field::new("name", DataType::Utf8View, true),
        Field::new("tags", tags.data_type().clone(), true),
    ]);
    let batch = RecordBatch::try_new(input.clone(), vec![view, tags]).unwrap();
    let target = schema(vec![
        Field::new("tags", list_of("item", DataType::Utf8, true), true).with_metadata(
            std::collections::HashMap::from([("k".to_string(), "v".to_string())]),
        ),
        Field::new("name", DataType::Utf8, true),
    ]);
    check_conformable(&input, &target).unwrap();
    let out = conform_batch(&batch, &target).unwrap();
    assert_eq!(out.schema(), target);
    assert_eq!(
        out.column(1).as_string::<i32>(),
        &StringArray::from(vec![Some("x"), None])
    );
    let tags = out.column(0).as_list::<i32>();
    assert_eq!(tags.value(0).as_string::<i32>().value(0), "a");
    assert!(tags.is_null(1));
}

#[test]
fn real_type_changes_are_refused_with_the_column() {
    let cases = [
        (DataType::Int32, DataType::Int64, "cast the column to Int64"),
        (
            DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, true)), 8),
            DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, true)), 16),
            "vectors have 16 values",
        ),
        (
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            DataType::Timestamp(TimeUnit::Microsecond, Some("+01:00".into())),
            "time zones differ",
        ),
        (
            DataType::Float64,
            DataType::Float32,
            "does not change numbers",
        ),
        (DataType::Utf8, DataType::Binary, "cast the column"),
    ];
    for (from, to, needle) in cases {
        let input = Schema::new(vec![Field::new("c", from.clone(), true)]);
        let target = Schema::new(vec![Field::new("c", to.clone(), true)]);
        let message = check_conformable(&input, &target).unwrap_err().to_string();
        assert!(message.contains("column `c`"), "{message}");
        assert!(message.contains(needle), "{from} -> {to}: {message}");
    }
    // Nested: the path names the child.
    let input = Schema::new(vec![Field::new(
        "s",
        DataType::Struct(vec![Field::new("x", DataType::Int32, true)].into()),
        true,
    )]);
    let target = Schema::new(vec![Field::new(
        "s",
        DataType::Struct(vec![Field::new("x", DataType::Int16, true)].into()),
        true,
    )]);
    let message = check_conformable(&input, &target).unwrap_err().to_string();
    assert!(message.contains("column `s.x`"), "{message}");
}

#[test]
fn nulls_into_non_nullable_fields_are_refused_but_absent_nulls_pass() {
    let target = schema(vec![Field::new("a", DataType::Int64, false)]);
    let input = schema(vec![Field::new("a", DataType::Int64, true)]);
    check_conformable(&input, &target).unwrap();
    let fine =
        RecordBatch::try_new(input.clone(), vec![Arc::new(Int64Array::from(vec![1, 2]))]).unwrap();
    assert_eq!(conform_batch(&fine, &target).unwrap().schema(), target);
    let nulls = RecordBatch::try_new(
        input.clone(),
        vec![Arc::new(Int64Array::from(vec![Some(1), None]))],
    )
    .unwrap();
    assert!(conform_batch(&nulls, &target).is_err());

    // A non-nullable struct field may be null where its struct is.
    let x = Arc::new(Field::new("x", DataType::Int32, false));
    let structs = StructArray::try_new(
        vec![Arc::new(Field::new("x", DataType::Int32, true))].into(),
        vec![Arc::new(Int32Array::from(vec![Some(1), None]))],
        Some(vec![true, false].into()),
    )
    .unwrap();
    let input = schema(vec![Field::new("s", structs.data_type().clone(), true)]);
    let target = schema(vec![Field::new(
        "s",
        DataType::Struct(Fields::from(vec![x])),
        true,
    )]);
    let batch = RecordBatch::try_new(input, vec![Arc::new(structs)]).unwrap();
    conform_batch(&batch, &target).unwrap();
    // ... but not where it is not.
    let structs = StructArray::try_new(
        vec![Arc::new(Field::new("x", DataType::Int32, true))].into(),
        vec![Arc::new(Int32Array::from(vec![Some(1), None]))],
        None,
    )
    .unwrap();
    let batch = RecordBatch::try_new(
        schema(vec![Field::new("s", structs.data_type().clone(), true)]),
        vec![Arc::new(structs)],
    )
    .unwrap();
    let message = conform_batch(&batch, &target).unwrap_err().to_string();
    assert!(message.contains("column `s.x` holds 1 null"), "{message}");
}

#[test]
fn lists_of_the_right_length_become_vectors() {
    let mut builder = ListBuilder::new(Float32Builder::new()).with_field(Arc::new(Field::new(
        "element",
        DataType::Float32,
        true,
    )));
    builder.append_value([Some(1.0), Some(2.0)]);
    builder.append_null();
    builder.append_value([Some(3.0), None]);
    let lists = Arc::new(builder.finish()) as ArrayRef;
    let input = schema(vec![Field::new("v", lists.data_type().clone(), true)]);
    let item = Arc::new(Field::new("item", DataType::Float32, true));
    let target = schema(vec![Field::new(
        "v",
        DataType::FixedSizeList(item.clone(), 2),
        true,
    )]);
    check_conformable(&input, &target).unwrap();
    let batch = RecordBatch::try_new(input.clone(), vec![lists]).unwrap();
    let out = conform_batch(&batch, &target).unwrap();
    let mut expected = FixedSizeListBuilder::new(Float32Builder::new(), 2).with_field(item);
    expected.values().append_slice(&[1.0, 2.0]);
    expected.append(true);
    expected.values().append_nulls(2);
    expected.append(false);
    expected.values().append_value(3.0);
    expected.values().append_null();
    expected.append(true);
    assert_eq!(out.column(0).as_fixed_size_list(), &expected.finish());

    let mut builder = ListBuilder::new(Float32Builder::new());
    builder.append_value([Some(1.0)]);
    let short = RecordBatch::try_new(
        schema(vec![Field::new(
            "v",
            list_of("item", DataType::Float32, true),
            true,
        )]),
        vec![Arc::new(builder.finish())],
    )
    .unwrap();
    let message = conform_batch(&short, &target).unwrap_err().to_string();
    assert!(message.contains("row 0 holds 1 values"), "{message}");
}

#[test]
fn null_vectors_need_no_values_in_a_non_nullable_item() {
    let mut builder = ListBuilder::new(Float32Builder::new());
    builder.append_value([Some(1.0), Some(2.0)]);
    builder.append_null();
    let lists = Arc::new(builder.finish()) as ArrayRef;
    let input = schema(vec![Field::new("v", lists.data_type().clone(), true)]);
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    let target = schema(vec![Field::new(
        "v",
        DataType::FixedSizeList(item, 2),
        true,
    )]);
    let batch = RecordBatch::try_new(input, vec![lists]).unwrap();
    let out = conform_batch(&batch, &target).unwrap();
    assert!(out.column(0).is_null(1));
}

#[test]
fn masks_reach_every_level_and_vectors_into_lists() {
    // s: struct<a: struct<b: int32>>, row 1 null at `s` with a null `b` under it.
    let b = Arc::new(Int32Array::from(vec![Some(1), None])) as ArrayRef;
    let a_fields = Fields::from(vec![Field::new("b", DataType::Int32, true)]);
    let a = Arc::new(StructArray::try_new(a_fields.clone(), vec![b], None).unwrap()) as ArrayRef;
    let s_fields = Fields::from(vec![Field::new("a", DataType::Struct(a_fields), true)]);
    let s = StructArray::try_new(s_fields, vec![a], Some(vec![true, false].into())).unwrap();
    let input = schema(vec![Field::new("s", s.data_type().clone(), true)]);
    let required_b = Fields::from(vec![Field::new("b", DataType::Int32, false)]);
    let target = schema(vec![Field::new(
        "s",
        DataType::Struct(Fields::from(vec![Field::new(
            "a",
            DataType::Struct(required_b),
            true,
        )])),
        true,
    )]);
    let batch = RecordBatch::try_new(input, vec![Arc::new(s)]).unwrap();
    conform_batch(&batch, &target).unwrap();

    // Vectors with a null one into a list whose items are not nullable.
    let vectors = FixedSizeListArray::try_new(
        Arc::new(Field::new("item", DataType::Int32, true)),
        1,
        Arc::new(Int32Array::from(vec![Some(5), None])),
        Some(vec![true, false].into()),
    )
    .unwrap();
    let input = schema(vec![Field::new("l", vectors.data_type().clone(), true)]);
    let target = schema(vec![Field::new(
        "l",
        list_of("item", DataType::Int32, false),
        true,
    )]);
    let batch = RecordBatch::try_new(input, vec![Arc::new(vectors)]).unwrap();
    let out = conform_batch(&batch, &target).unwrap();
    let lists = out.column(0).as_list::<i32>();
    assert_eq!(
        lists
            .value(0)
            .as_primitive::<arrow_array::types::Int32Type>()
            .values(),
        &[5]
    );
    assert!(lists.is_null(1));
}

#[test]
fn an_input_struct_naming_a_field_twice_is_refused() {
    let twice = DataType::Struct(Fields::from(vec![
        Field::new("x", DataType::Int32, true),
        Field::new("x", DataType::Utf8, true),
    ]));
    let once = DataType::Struct(Fields::from(vec![Field::new("x", DataType::Int32, true)]));
    let message = check_conformable(
        &Schema::new(vec![Field::new("s", twice, true)]),
        &Schema::new(vec![Field::new("s", once, true)]),
    )
    .unwrap_err()
    .to_string();
    assert!(message.contains("two fields named `x`"), "{message}");
}

#[test]
fn all_null_columns_fit_any_nullable_field() {
    let input = schema(vec![Field::new("s", DataType::Null, true)]);
    let batch = RecordBatch::try_new(
        input.clone(),
        vec![Arc::new(arrow_array::NullArray::new(3))],
    )
    .unwrap();
    let target = schema(vec![Field::new(
        "s",
        list_of("item", DataType::Utf8, true),
        true,
    )]);
    check_conformable(&input, &target).unwrap();
    let out = conform_batch(&batch, &target).unwrap();
    assert_eq!(out.column(0).null_count(), 3);
    let required = schema(vec![Field::new("s", DataType::Utf8, false)]);
    let message = conform_batch(&batch, &required).unwrap_err().to_string();
    assert!(message.contains("holds 3 null"), "{message}");
}

#[test]
fn storable_schemas_drop_view_types_only() {
    let input = Schema::new(vec![
        Field::new("s", DataType::Utf8View, true),
        Field::new("l", list_of("element", DataType::BinaryView, true), false),
        Field::new("i", DataType::Int8, true),
    ]);
    let stored = storable_schema(&input).unwrap();
    assert_eq!(stored.field(0).data_type(), &DataType::Utf8);
    assert_eq!(
        stored.field(1).data_type(),
        &list_of("element", DataType::Binary, true)
    );
    assert!(!stored.field(1).is_nullable());
    assert_eq!(stored.field(2), input.field(2));
    let json = Field::new("doc", DataType::Utf8, true).with_metadata(
        std::collections::HashMap::from([(EXTENSION_NAME.to_string(), "arrow.json".to_string())]),
    );
    let message = storable_schema(&Schema::new(vec![Field::new(
        "s",
        DataType::Struct(Fields::from(vec![json])),
        true,
    )]))
    .unwrap_err()
    .to_string();
    assert!(
        message.contains("column `s.doc`") && message.contains("arrow.json"),
        "{message}"
    );
}
