//! Named interop cases: every type lancer stores, in the shapes that exercise each encoding.

use std::sync::Arc;

use arrow_array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Fields, Schema};

use crate::random::{Shape, every_type, item, random_batch};

/// A case: a name (a valid file stem) and the batches to write, in order.
pub struct Case {
    /// File stem.
    pub name: String,
    /// Batches, all with the same schema.
    pub batches: Vec<RecordBatch>,
}

impl Case {
    fn new(name: impl Into<String>, batches: Vec<RecordBatch>) -> Self {
        Case {
            name: name.into(),
            batches,
        }
    }

    /// The schema.
    pub fn schema(&self) -> Arc<Schema> {
        self.batches[0].schema()
    }

    /// All batches as one.
    pub fn table(&self) -> RecordBatch {
        arrow_select::concat::concat_batches(&self.schema(), &self.batches).expect("same schema")
    }
}

/// Every interop case.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    let nulls = Shape::default();
    let no_nulls = Shape {
        null_density: 0.0,
        ..Shape::default()
    };
    let all_nulls = Shape {
        null_density: 1.0,
        ..Shape::default()
    };
    for (i, field) in every_type().into_iter().enumerate() {
        let name = field.name().clone();
        let seed = i as u64;
        cases.push(Case::new(
            name.clone(),
            vec![random_batch(
                seed,
                std::slice::from_ref(&field),
                300,
                &nulls,
            )],
        ));
        if field.is_nullable() && field.data_type() != &DataType::Null {
            cases.push(Case::new(
                format!("{name}_no_nulls"),
                vec![random_batch(
                    seed,
                    std::slice::from_ref(&field),
                    300,
                    &no_nulls,
                )],
            ));
            cases.push(Case::new(
                format!("{name}_all_nulls"),
                vec![random_batch(
                    seed,
                    std::slice::from_ref(&field),
                    300,
                    &all_nulls,
                )],
            ));
        }
    }
    // Several batches of every type at once.
    let fields = every_type();
    let batches = (0..4)
        .map(|s| random_batch(100 + s, &fields, 97 + 50 * s as usize, &nulls))
        .collect();
    cases.push(Case::new("every_type_batches", batches));
    // Shapes pylance encodes specially: low-cardinality strings (its automatic dictionary),
    // empty strings, tiny pages.
    let utf8 = Field::new("s", DataType::Utf8, true);
    let low: Vec<Option<String>> = (0..300)
        .map(|i| (i % 11 != 0).then(|| format!("v{}", i % 5)))
        .collect();
    cases.push(Case::new(
        "low_cardinality_utf8",
        vec![batch(&utf8, Arc::new(StringArray::from(low)))],
    ));
    let empty: Vec<Option<&str>> = (0..300).map(|_| Some("")).collect();
    cases.push(Case::new(
        "empty_strings",
        vec![batch(&utf8, Arc::new(StringArray::from(empty)))],
    ));
    let small: Vec<Option<&str>> = vec![Some("a"), Some("bb"), None, Some(""), Some("ccc")];
    cases.push(Case::new(
        "small_strings",
        vec![batch(&utf8, Arc::new(StringArray::from(small)))],
    ));
    let empty_lists = Field::new("l", DataType::List(item(DataType::Int32)), true);
    let shape = Shape {
        max_list: 0,
        ..Shape::default()
    };
    cases.push(Case::new(
        "empty_lists",
        vec![random_batch(7, &[empty_lists], 300, &shape)],
    ));
    let multipage = vec![
        Field::new("a", DataType::Int32, true),
        Field::new("b", DataType::Int64, true),
        Field::new("s", DataType::Utf8, true),
        Field::new("l", DataType::List(item(DataType::Int16)), true),
        Field::new(
            "v",
            DataType::FixedSizeList(item(DataType::Float32), 4),
            true,
        ),
    ];
    let batches = (0..30)
        .map(|s| random_batch(1000 + s, &multipage, 1000, &nulls))
        .collect();
    cases.push(Case::new("multipage", batches));
    let ints = Schema::new(vec![
        Field::new("a", DataType::Int32, true),
        Field::new("b", DataType::Int64, true),
    ]);
    let rows = 50_000;
    let big = RecordBatch::try_new(
        Arc::new(ints),
        vec![
            Arc::new(Int32Array::from_iter_values(0..rows)),
            Arc::new(Int64Array::from_iter_values(
                (0..rows as i64).map(|v| v * 3),
            )),
        ],
    )
    .expect("valid");
    cases.push(Case::new("multipage_one_batch", vec![big]));
    let zero = Schema::new(vec![
        Field::new("a", DataType::Int32, true),
        Field::new("b", DataType::Utf8, true),
    ]);
    cases.push(Case::new(
        "zero_rows",
        vec![RecordBatch::new_empty(Arc::new(zero))],
    ));
    cases
}

/// Cases only Lance 2.1 and 2.2 files store: null structs at every depth, and (with `maps`,
/// for 2.2) maps.
pub fn structural_only(maps: bool) -> Vec<Case> {
    use DataType::*;
    let point = Fields::from(vec![
        Field::new("x", Int32, true),
        Field::new("y", Utf8, true),
    ]);
    let mut fields = vec![
        Field::new("struct_nulls", Struct(point.clone()), true),
        Field::new(
            "nested_struct_nulls",
            Struct(Fields::from(vec![
                Field::new(
                    "inner",
                    Struct(Fields::from(vec![Field::new("b", Int64, false)])),
                    true,
                ),
                Field::new("d", List(item(Int16)), true),
                Field::new("v", FixedSizeList(item(Float32), 2), true),
            ])),
            true,
        ),
        Field::new(
            "list_of_null_structs",
            List(item(Struct(point.clone()))),
            true,
        ),
        // Null structs above a list, inside null and empty lists: pylance reads these only
        // when the inner list's layer admits the nulls pushed down from the struct.
        Field::new(
            "list_of_null_structs_of_lists",
            List(item(Struct(Fields::from(vec![Field::new(
                "a",
                List(item(Int8)),
                true,
            )])))),
            true,
        ),
        Field::new(
            "struct_of_lists_of_lists",
            Struct(Fields::from(vec![Field::new(
                "ll",
                LargeList(item(List(item(Utf8)))),
                true,
            )])),
            true,
        ),
    ];
    if maps {
        let entries = |key: DataType, value: DataType| {
            Arc::new(Field::new(
                "entries",
                Struct(Fields::from(vec![
                    Field::new("key", key, false),
                    Field::new("value", value, true),
                ])),
                false,
            ))
        };
        fields.push(Field::new(
            "map_utf8_int32",
            Map(entries(Utf8, Int32), false),
            true,
        ));
        fields.push(Field::new(
            "map_int64_struct",
            Map(entries(Int64, Struct(point)), false),
            true,
        ));
    }
    let shape = Shape {
        struct_null_density: 0.25,
        ..Shape::default()
    };
    let mut cases: Vec<Case> = fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            Case::new(
                field.name().clone(),
                vec![random_batch(
                    500 + i as u64,
                    std::slice::from_ref(field),
                    300,
                    &shape,
                )],
            )
        })
        .collect();
    let batches = (0..3)
        .map(|s| random_batch(600 + s, &fields, 150 + 40 * s as usize, &shape))
        .collect();
    cases.push(Case::new("structural_batches", batches));
    for (name, inner_items, inner_nullable) in [
        ("null_structs_over_lists", vec![1], true),
        ("null_structs_over_empty_lists", vec![], false),
    ] {
        cases.push(null_structs_over_lists(name, inner_items, inner_nullable));
    }
    cases
}

/// `list<struct<a: list<int8>>>` rows `[null]`, `null`, `[]`, `[null, {a: ITEMS}]`: null
/// structs above a list whose own layer has no nulls, beside null and empty outer lists
/// (random data rarely leaves the inner layer without nulls of its own).
fn null_structs_over_lists(name: &str, items: Vec<i8>, inner_nullable: bool) -> Case {
    use DataType::*;
    use arrow_array::{Array, Int8Array, ListArray, StructArray};
    use arrow_buffer::{NullBuffer, OffsetBuffer};
    let inner_field = Arc::new(Field::new("a", List(item(Int8)), inner_nullable));
    let values = Arc::new(Int8Array::from(items.clone())) as ArrayRef;
    let inner = ListArray::new(
        item(Int8),
        OffsetBuffer::new(vec![0, 0, 0, items.len() as i32].into()),
        values,
        None,
    );
    let structs = StructArray::new(
        Fields::from(vec![inner_field]),
        vec![Arc::new(inner)],
        Some(NullBuffer::from(vec![false, false, true])),
    );
    let struct_field = item(structs.data_type().clone());
    let outer = ListArray::new(
        struct_field.clone(),
        OffsetBuffer::new(vec![0, 1, 1, 1, 3].into()),
        Arc::new(structs),
        Some(NullBuffer::from(vec![true, false, true, true])),
    );
    let field = Field::new("c", List(struct_field), true);
    Case::new(name, vec![batch(&field, Arc::new(outer))])
}

fn batch(field: &Field, array: ArrayRef) -> RecordBatch {
    RecordBatch::try_new(Arc::new(Schema::new(vec![field.clone()])), vec![array]).expect("valid")
}
