//! Page encode and decode throughput per type family (MB/s of Arrow data): 2.0 pages, and
//! 2.2 pages (pylance's default) of flat and nested families.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field};
use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lancer_encoding::{
    PageSource, StructuralPage, StructuralVersion, decode_structural_page, decode_values,
    encode_structural_pages, encode_values, leaf_types,
};
use lancer_testkit::random::{Rng, Shape, random_array};
use prost::Message;

fn families() -> Vec<(&'static str, Field)> {
    let item = |t| Arc::new(Field::new("item", t, true));
    vec![
        ("int64", Field::new("a", DataType::Int64, false)),
        ("float32_nullable", Field::new("a", DataType::Float32, true)),
        ("bool", Field::new("a", DataType::Boolean, true)),
        ("utf8", Field::new("a", DataType::Utf8, true)),
        ("large_binary", Field::new("a", DataType::LargeBinary, true)),
        (
            "vector_f32_128",
            Field::new(
                "a",
                DataType::FixedSizeList(item(DataType::Float32), 128),
                true,
            ),
        ),
        (
            "dictionary_utf8",
            Field::new(
                "a",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                true,
            ),
        ),
        (
            "decimal128",
            Field::new("a", DataType::Decimal128(20, 4), true),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let shape = Shape {
        null_density: 0.1,
        max_string: 40,
        ..Shape::default()
    };
    for (name, field) in families() {
        let rows = if matches!(field.data_type(), DataType::FixedSizeList(..)) {
            8_192
        } else {
            262_144
        };
        let array: ArrayRef = random_array(&mut Rng::new(7), &field, rows, &shape);
        let bytes = array.get_buffer_memory_size() as u64;
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function("encode", |b| {
            b.iter(|| encode_values(field.data_type(), std::slice::from_ref(&array)).unwrap())
        });
        let page = encode_values(field.data_type(), std::slice::from_ref(&array)).unwrap();
        let buffers: Vec<Bytes> = page.buffers.iter().map(|b| b.to_contiguous()).collect();
        group.bench_function("decode", |b| {
            b.iter(|| {
                let source = PageSource {
                    encoding: &page.encoding,
                    buffers: &buffers,
                    num_values: page.num_values,
                };
                decode_values(source, 0..rows, field.data_type()).unwrap()
            })
        });
        group.finish();
    }
}

/// A 2.2 page as a file holds it: layout bytes, buffers, rows.
type EncodedLeafPage = (Vec<u8>, Vec<Bytes>, u64);

/// Families only 2.1/2.2 files nest, with flat ones for comparison with the 2.0 figures.
fn structural_families() -> Vec<(&'static str, Field)> {
    let item = |t| Arc::new(Field::new("item", t, true));
    let point = arrow_schema::Fields::from(vec![
        Field::new("x", DataType::Int64, true),
        Field::new("y", DataType::Utf8, true),
    ]);
    vec![
        ("v2_2/int64", Field::new("a", DataType::Int64, false)),
        ("v2_2/utf8", Field::new("a", DataType::Utf8, true)),
        (
            "v2_2/vector_f32_128",
            Field::new(
                "a",
                DataType::FixedSizeList(item(DataType::Float32), 128),
                true,
            ),
        ),
        (
            "v2_2/list_int64",
            Field::new("a", DataType::List(item(DataType::Int64)), true),
        ),
        (
            "v2_2/struct_int64_utf8",
            Field::new("a", DataType::Struct(point.clone()), true),
        ),
        (
            "v2_2/list_of_structs",
            Field::new("a", DataType::List(item(DataType::Struct(point))), true),
        ),
    ]
}

fn bench_structural(c: &mut Criterion) {
    let shape = Shape {
        null_density: 0.1,
        struct_null_density: 0.1,
        max_string: 40,
        ..Shape::default()
    };
    for (name, field) in structural_families() {
        let rows = if name.contains("vector") {
            8_192
        } else {
            131_072
        };
        let array: ArrayRef = random_array(&mut Rng::new(11), &field, rows, &shape);
        bench_structural_pages(c, name, &field, &array);
    }
}

/// The columns of the reference table `cargo xtask bench` writes (ids, uniform floats,
/// random text, a low-cardinality category, nullable scores, vectors): the shapes the
/// side-by-side figures are made of, one family each.
fn bench_reference_columns(c: &mut Criterion) {
    let batch = lancer_benches::reference::batch(0, 131_072);
    let vectors = lancer_benches::reference::batch(0, 8_192);
    for field in batch.schema().fields() {
        let array = match field.name().as_str() {
            "vector" => vectors.column_by_name("vector").expect("vector").clone(),
            name => batch.column_by_name(name).expect("column").clone(),
        };
        let name: &'static str =
            Box::leak(format!("v2_2/reference_{}", field.name()).into_boxed_str());
        bench_structural_pages(c, name, field, &array);
    }
}

/// Encode and decode of `array` as 2.2 pages of `field`, MB/s of its Arrow buffers.
fn bench_structural_pages(c: &mut Criterion, name: &str, field: &Field, array: &ArrayRef) {
    let bytes = array.get_buffer_memory_size() as u64;
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes));
    let leaves = leaf_types(field.data_type());
    let encode = || -> Vec<_> {
        (0..leaves.len())
            .map(|leaf| {
                encode_structural_pages(
                    field,
                    leaf,
                    std::slice::from_ref(array),
                    StructuralVersion::V2_2,
                )
                .unwrap()
            })
            .collect()
    };
    group.bench_function("encode", |b| b.iter(encode));
    let pages: Vec<Vec<EncodedLeafPage>> = encode()
        .into_iter()
        .map(|pages| {
            pages
                .into_iter()
                .map(|p| {
                    let buffers = p.buffers.iter().map(|b| b.to_contiguous()).collect();
                    (p.layout.encode_to_vec(), buffers, p.num_rows)
                })
                .collect()
        })
        .collect();
    group.bench_function("decode", |b| {
        b.iter(|| {
            for (leaf_pages, leaf_type) in pages.iter().zip(&leaves) {
                for (layout, buffers, rows) in leaf_pages {
                    let page = StructuralPage {
                        layout,
                        buffers,
                        num_rows: *rows,
                    };
                    decode_structural_page(page, leaf_type).unwrap();
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_structural, bench_reference_columns);
criterion_main!(benches);
