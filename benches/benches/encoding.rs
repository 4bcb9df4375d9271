//! Page encode and decode throughput per type family (MB/s of Arrow data).

use std::sync::Arc;

use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field};
use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lancer_encoding::{PageSource, decode_values, encode_values};
use lancer_testkit::random::{Rng, Shape, random_array};

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

criterion_group!(benches, bench);
criterion_main!(benches);
