//! Property: whatever lancer writes it reads back exactly, across page boundaries (values
//! larger than a page, many tiny values, pages filled exactly), batch boundaries, projections
//! and row ranges.

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use futures::TryStreamExt;
use lancer_file::{
    FileReader, FileVersion, FileWriter, FileWriterOptions, LanceSchema, Projection, ReadOptions,
};
use lancer_testkit::compare::assert_batches_equal;
use lancer_testkit::random::{Shape, random_batch};
use lancer_testkit::strategy::{any_field, any_structural_field, has_map};
use object_store::memory::InMemory;
use object_store::path::Path;
use proptest::prelude::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

async fn write(store: &Arc<InMemory>, batches: &[RecordBatch], page_bytes: usize) -> Path {
    write_version(store, batches, page_bytes, FileVersion::V2_0).await
}

async fn write_version(
    store: &Arc<InMemory>,
    batches: &[RecordBatch],
    page_bytes: usize,
    version: FileVersion,
) -> Path {
    let path = Path::from("t.lance");
    let schema = LanceSchema::from_arrow(&batches[0].schema()).unwrap();
    let options = FileWriterOptions::default()
        .with_page_bytes(page_bytes)
        .with_version(version);
    let mut writer = FileWriter::try_new(store.clone(), path.clone(), schema, options).unwrap();
    for batch in batches {
        writer.write_batch(batch).await.unwrap();
    }
    let written = writer.finish().await.unwrap();
    assert_eq!(
        written.num_rows,
        batches.iter().map(|b| b.num_rows() as u64).sum::<u64>()
    );
    path
}

async fn read(store: &Arc<InMemory>, path: &Path, options: ReadOptions) -> RecordBatch {
    let reader = FileReader::open(store.clone(), path).await.unwrap();
    let schema = reader.projected_schema(options.projection()).unwrap();
    let stream = reader.read_stream(options).unwrap();
    let batches: Vec<RecordBatch> = stream.try_collect().await.unwrap();
    arrow_select::concat::concat_batches(&schema, &batches).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn files_round_trip(
        a in any_field("a"),
        b in any_field("b"),
        batch_rows in prop::collection::vec(0usize..200, 1..5),
        page_bytes in prop_oneof![Just(1usize), 16usize..512, Just(8 << 20)],
        seed in any::<u64>(),
        null_density in prop_oneof![Just(0.0), Just(0.25), Just(1.0)],
        batch_size in 1usize..100,
        cut in (any::<u64>(), any::<u64>()),
    ) {
        let shape = Shape { null_density, max_string: 40, ..Shape::default() };
        let batches = batches(&[a, b], &batch_rows, seed, &shape);
        check_file(&batches, page_bytes, FileVersion::V2_0, batch_size, cut);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, failure_persistence: None, ..ProptestConfig::default() })]

    /// The same for files of versions 2.1 and 2.2, with what only they store (null structs,
    /// maps in 2.2).
    #[test]
    fn structural_files_round_trip(
        a in any_structural_field("a"),
        b in any_structural_field("b"),
        batch_rows in prop::collection::vec(0usize..200, 1..5),
        page_bytes in prop_oneof![Just(1usize), 16usize..512, Just(8 << 20)],
        seed in any::<u64>(),
        null_density in prop_oneof![Just(0.0), Just(0.25), Just(1.0)],
        struct_null_density in prop_oneof![Just(0.0), Just(0.3)],
        batch_size in 1usize..100,
        cut in (any::<u64>(), any::<u64>()),
        v2_2 in any::<bool>(),
    ) {
        let version = if v2_2 { FileVersion::V2_2 } else { FileVersion::V2_1 };
        prop_assume!(v2_2 || !(has_map(a.data_type()) || has_map(b.data_type())));
        let shape = Shape { null_density, struct_null_density, max_string: 40, ..Shape::default() };
        let batches = batches(&[a, b], &batch_rows, seed, &shape);
        check_file(&batches, page_bytes, version, batch_size, cut);
    }
}

/// Batches of `batch_rows` rows each of random data for `fields`.
fn batches(fields: &[Field], batch_rows: &[usize], seed: u64, shape: &Shape) -> Vec<RecordBatch> {
    batch_rows
        .iter()
        .enumerate()
        .map(|(i, &rows)| random_batch(seed.wrapping_add(i as u64), fields, rows, shape))
        .collect()
}

/// Writes `batches` as a file of `version` with pages of `page_bytes`, then reads it back
/// whole, by a row range `cut` picks and projected to column `b`: each must equal the input.
fn check_file(
    batches: &[RecordBatch],
    page_bytes: usize,
    version: FileVersion,
    batch_size: usize,
    cut: (u64, u64),
) {
    let expected = arrow_select::concat::concat_batches(&batches[0].schema(), batches).unwrap();
    runtime().block_on(async {
        let store = Arc::new(InMemory::new());
        let path = write_version(&store, batches, page_bytes, version).await;
        let all = read(
            &store,
            &path,
            ReadOptions::default().with_batch_size(batch_size),
        )
        .await;
        assert_batches_equal(&all, &expected, "whole file");
        let n = expected.num_rows() as u64;
        let (x, y) = (cut.0 % (n + 1), cut.1 % (n + 1));
        let rows = x.min(y)..x.max(y);
        let options = ReadOptions::default()
            .with_rows(rows.clone())
            .with_batch_size(batch_size);
        let part = read(&store, &path, options).await;
        let len = (rows.end - rows.start) as usize;
        assert_batches_equal(
            &part,
            &expected.slice(rows.start as usize, len),
            "row range",
        );
        let names = Projection::Names(vec!["b".into()]);
        let only_b = read(&store, &path, ReadOptions::default().with_projection(names)).await;
        assert_batches_equal(&only_b, &expected.project(&[1]).unwrap(), "projection");
    });
}

fn string_batch(values: Vec<String>) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, false)]));
    RecordBatch::try_new(
        schema,
        vec![Arc::new(StringArray::from(values)) as ArrayRef],
    )
    .unwrap()
}

#[test]
fn values_larger_than_a_page() {
    let batch = string_batch((0..20).map(|i| "x".repeat(1000 + i)).collect());
    runtime().block_on(async {
        let store = Arc::new(InMemory::new());
        let path = write(&store, std::slice::from_ref(&batch), 100).await;
        let reader = FileReader::open(store.clone(), &path).await.unwrap();
        // Every value is bigger than a page: one page per value.
        assert_eq!(reader.metadata().columns[0].pages.len(), 20);
        assert_batches_equal(
            &read(&store, &path, ReadOptions::default()).await,
            &batch,
            "big values",
        );
    });
}

#[test]
fn exactly_full_pages() {
    // 1024 int64 values of 8 bytes with 2048-byte pages: exactly four full pages.
    let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, false)]));
    let batch = RecordBatch::try_new(
        schema,
        vec![Arc::new(Int64Array::from_iter_values(0..1024)) as ArrayRef],
    )
    .unwrap();
    runtime().block_on(async {
        let store = Arc::new(InMemory::new());
        let path = write(&store, std::slice::from_ref(&batch), 2048).await;
        let reader = FileReader::open(store.clone(), &path).await.unwrap();
        let pages: Vec<u64> = reader.metadata().columns[0]
            .pages
            .iter()
            .map(|p| p.num_values)
            .collect();
        assert_eq!(pages, vec![256, 256, 256, 256]);
        for page in &reader.metadata().columns[0].pages {
            assert_eq!(
                page.buffers[0].start % 64,
                0,
                "page buffers are 64-byte aligned"
            );
        }
        assert_batches_equal(
            &read(&store, &path, ReadOptions::default().with_batch_size(100)).await,
            &batch,
            "full pages",
        );
    });
}

#[test]
fn many_tiny_values_in_many_batches() {
    let batches: Vec<RecordBatch> = (0..300)
        .map(|i| string_batch(vec![format!("{i}")]))
        .collect();
    let expected = arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap();
    runtime().block_on(async {
        let store = Arc::new(InMemory::new());
        let path = write(&store, &batches, 64).await;
        let reader = FileReader::open(store.clone(), &path).await.unwrap();
        assert!(reader.metadata().columns[0].pages.len() > 10);
        assert_batches_equal(
            &read(&store, &path, ReadOptions::default().with_batch_size(7)).await,
            &expected,
            "tiny values",
        );
    });
}

#[test]
fn zero_row_file_keeps_its_schema() {
    let batch = random_batch(
        1,
        &lancer_testkit::random::every_type(),
        0,
        &Shape::default(),
    );
    runtime().block_on(async {
        let store = Arc::new(InMemory::new());
        let path = write(&store, std::slice::from_ref(&batch), 1 << 20).await;
        let reader = FileReader::open(store.clone(), &path).await.unwrap();
        assert_eq!(reader.num_rows(), 0);
        assert!(reader.metadata().columns.iter().all(|c| c.pages.is_empty()));
        assert_eq!(
            reader.schema().to_arrow().unwrap().fields(),
            batch.schema().fields()
        );
    });
}

#[test]
fn field_ids_come_from_the_caller() {
    // A file written for a Merge holds only the new field, with the dataset's id.
    let schema = Arc::new(Schema::new(vec![Field::new(
        "name_len",
        DataType::Int64,
        true,
    )]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(vec![5, 3])) as ArrayRef],
    )
    .unwrap();
    let mut lance = LanceSchema::from_arrow(&schema).unwrap();
    lance.assign_ids(2);
    runtime().block_on(async {
        let store = Arc::new(InMemory::new());
        let path = Path::from("merge.lance");
        let mut writer = FileWriter::try_new(
            store.clone(),
            path.clone(),
            lance,
            FileWriterOptions::default(),
        )
        .unwrap();
        writer.write_batch(&batch).await.unwrap();
        let written = writer.finish().await.unwrap();
        assert_eq!(written.schema.field_ids(), vec![2]);
        let reader = FileReader::open(store.clone(), &path).await.unwrap();
        assert_eq!(reader.schema().field_ids(), vec![2]);
        let got = reader
            .read_all(ReadOptions::default().with_projection(Projection::FieldIds(vec![2])))
            .await
            .unwrap();
        assert_batches_equal(&got, &batch, "by field id");
    });
}

#[test]
fn types_2_0_cannot_store_are_refused_naming_column_and_type() {
    use arrow_schema::{Fields, UnionFields, UnionMode};
    let entries = Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("value", DataType::Int32, true),
        ])),
        false,
    );
    let union = DataType::Union(
        UnionFields::try_new(vec![0], vec![Field::new("i", DataType::Int32, true)]).unwrap(),
        UnionMode::Dense,
    );
    for (field, needle) in [
        (
            Field::new("m", DataType::Map(Arc::new(entries), false), true),
            "maps need file version 2.2",
        ),
        (Field::new("u", union, true), "unions"),
        (Field::new("v", DataType::Utf8View, true), "view type"),
        (Field::new("b", DataType::BinaryView, true), "view type"),
    ] {
        let schema = Schema::new(vec![field.clone()]);
        let result = LanceSchema::from_arrow(&schema)
            .map_err(|e| e.to_string())
            .and_then(|lance| {
                FileWriter::try_new(
                    Arc::new(InMemory::new()),
                    Path::from("x.lance"),
                    lance,
                    FileWriterOptions::default(),
                )
                .map(|_| ())
                .map_err(|e| e.to_string())
            });
        let message = result.expect_err("refused");
        assert!(
            message.contains(&format!("`{}`", field.name())) || message.contains(field.name()),
            "{message}"
        );
        assert!(
            message.contains(needle) || message.contains("no Lance logical type"),
            "{message}"
        );
    }
    // Struct values that are null: refused when the batch arrives, naming the column.
    let fields = Fields::from(vec![Field::new("x", DataType::Int32, true)]);
    let x: ArrayRef = Arc::new(arrow_array::Int32Array::from(vec![1, 2]));
    let structs =
        arrow_array::StructArray::new(fields.clone(), vec![x], Some(vec![true, false].into()));
    let schema = Arc::new(Schema::new(vec![Field::new(
        "s",
        DataType::Struct(fields),
        true,
    )]));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(structs) as ArrayRef]).unwrap();
    runtime().block_on(async {
        let lance = LanceSchema::from_arrow(&schema).unwrap();
        let mut writer = FileWriter::try_new(
            Arc::new(InMemory::new()),
            Path::from("s.lance"),
            lance,
            FileWriterOptions::default(),
        )
        .unwrap();
        let message = writer.write_batch(&batch).await.unwrap_err().to_string();
        assert!(
            message.contains("`s`") && message.contains("struct validity"),
            "{message}"
        );
    });
}

#[test]
fn lists_of_dictionaries_with_no_items() {
    // Found by files_round_trip: a one-row list<dictionary> column whose list is null (or
    // empty) leaves the items column a page with no rows to encode.
    use arrow_array::builder::{ListBuilder, StringDictionaryBuilder};
    use arrow_array::types::Int32Type;
    let cases: [Vec<Option<Vec<&str>>>; 3] =
        [vec![None], vec![Some(vec![])], vec![None, Some(vec![])]];
    for lists in cases {
        let mut builder = ListBuilder::new(StringDictionaryBuilder::<Int32Type>::new());
        for list in &lists {
            match list {
                None => builder.append_null(),
                Some(items) => {
                    for item in items.iter().copied() {
                        builder.values().append_value(item);
                    }
                    builder.append(true);
                }
            }
        }
        let column: ArrayRef = Arc::new(builder.finish());
        let schema = Arc::new(Schema::new(vec![Field::new(
            "b",
            column.data_type().clone(),
            true,
        )]));
        let batch = RecordBatch::try_new(schema, vec![column]).unwrap();
        for page_bytes in [1, 8 << 20] {
            runtime().block_on(async {
                let store = Arc::new(InMemory::new());
                let path = write(&store, std::slice::from_ref(&batch), page_bytes).await;
                assert_batches_equal(
                    &read(&store, &path, ReadOptions::default()).await,
                    &batch,
                    &format!("{lists:?} with {page_bytes}-byte pages"),
                );
            });
        }
    }
}

/// Large 2.2 mini-block pages are read a segment of rows at a time (with the next
/// segment's bytes fetched ahead): batches of any size, aligned or not, and a row range
/// starting and ending inside segments, must still give every row once.
#[test]
fn large_2_2_pages_read_in_segments_give_every_row_once() {
    large_pages_read_in_segments_give_every_row_once(FileVersion::V2_2);
}

/// The same for 2.0 pages of plain values (read by byte range, a segment at a time).
#[test]
fn large_2_0_pages_read_in_segments_give_every_row_once() {
    large_pages_read_in_segments_give_every_row_once(FileVersion::V2_0);
}

fn large_pages_read_in_segments_give_every_row_once(version: FileVersion) {
    use arrow_array::Float64Array;
    let rows = 700_000usize;
    let schema = Arc::new(Schema::new(vec![
        Field::new("x", DataType::Float64, false),
        Field::new("y", DataType::Int64, true),
    ]));
    let x = Float64Array::from_iter_values((0..rows).map(|i| (i as f64 * 0.618).fract()));
    let y = Int64Array::from_iter((0..rows).map(|i| (i % 7 != 3).then_some(i as i64 * 31 % 1000)));
    let batch = RecordBatch::try_new(schema, vec![Arc::new(x) as ArrayRef, Arc::new(y)]).unwrap();
    runtime().block_on(async {
        let store = Arc::new(InMemory::new());
        let path = write_version(
            &store,
            std::slice::from_ref(&batch),
            8 * 1024 * 1024,
            version,
        )
        .await;
        let reader = FileReader::open(store.clone(), &path).await.unwrap();
        // The case needs pages several segments long (segments are a few MiB).
        let largest = reader.metadata().columns[0]
            .pages
            .iter()
            .map(|p| p.buffers.iter().map(|b| b.end - b.start).sum::<u64>())
            .max()
            .unwrap();
        assert!(largest >= 5 << 20, "largest page {largest} bytes");
        for batch_size in [8192, 10_007, 65_536 + 3] {
            let all = read(
                &store,
                &path,
                ReadOptions::default().with_batch_size(batch_size),
            )
            .await;
            assert_batches_equal(&all, &batch, &format!("batches of {batch_size}"));
        }
        let part = read(
            &store,
            &path,
            ReadOptions::default()
                .with_rows(123_457..654_321)
                .with_batch_size(5000),
        )
        .await;
        assert_batches_equal(&part, &batch.slice(123_457, 654_321 - 123_457), "a range");
    });
}
