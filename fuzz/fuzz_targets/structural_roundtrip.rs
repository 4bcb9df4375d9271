//! 2.1/2.2 pages written by lancer's encoder, of a nested type the fuzzer picks (null
//! structs, lists of lists, maps, lists of structs, vectors, dictionaries, short and long
//! strings) with data from its bytes: each leaf's pages must decode back to the array
//! exactly; then the pages are mutated with the rest of the input and decoded again, which
//! may fail but must not panic, hang or over-allocate.
#![no_main]

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Fields, Schema};
use bytes::Bytes;
use lancer_encoding::{
    StructuralPage, StructuralVersion, decode_structural_page, encode_structural_pages,
    join_leaves, leaf_types,
};
use lancer_testkit::compare::assert_batches_equal;
use lancer_testkit::random::{Rng, Shape, random_array};
use libfuzzer_sys::fuzz_target;
use prost::Message;

#[path = "shared/mutate.rs"]
mod shared;
use shared::mutate;

fn item(data_type: DataType) -> Arc<Field> {
    Arc::new(Field::new("item", data_type, true))
}

fn types() -> Vec<DataType> {
    use DataType::*;
    let xy = Fields::from(vec![
        Field::new("x", Int32, true),
        Field::new("y", Utf8, true),
    ]);
    let entries = |value: DataType| {
        Arc::new(Field::new(
            "entries",
            Struct(Fields::from(vec![
                Field::new("key", Utf8, false),
                Field::new("value", value, true),
            ])),
            false,
        ))
    };
    vec![
        Int64,
        Utf8,
        LargeBinary,
        Struct(xy.clone()),
        List(item(List(item(Int32)))),
        LargeList(item(Struct(xy.clone()))),
        Map(entries(Int64), false),
        Map(entries(List(item(Utf8))), false),
        FixedSizeList(item(Float32), 4),
        FixedSizeList(item(Float32), 80),
        Dictionary(Box::new(Int16), Box::new(Utf8)),
        Struct(Fields::from(vec![
            Field::new("s", Struct(xy), true),
            Field::new("l", List(item(Boolean)), true),
        ])),
        List(item(Null)),
    ]
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 12 {
        return;
    }
    let all = types();
    let data_type = all[data[0] as usize % all.len()].clone();
    let version = if data[1] & 1 == 1 {
        StructuralVersion::V2_2
    } else {
        StructuralVersion::V2_1
    };
    if version == StructuralVersion::V2_1 && format!("{data_type}").contains("Map") {
        return;
    }
    let rows = u16::from_le_bytes([data[2], data[3]]) as usize % 3000;
    let seed = u64::from_le_bytes(data[4..12].try_into().unwrap());
    let shape = Shape {
        null_density: (data[1] >> 1 & 3) as f64 / 4.0,
        struct_null_density: (data[1] >> 3 & 3) as f64 / 4.0,
        max_string: if data[1] & 0x20 != 0 { 400 } else { 20 },
        max_list: 1 + (data[1] >> 6) as usize * 3,
        ..Shape::default()
    };
    let field = Field::new("f", data_type.clone(), true);
    let array: ArrayRef = random_array(&mut Rng::new(seed), &field, rows, &shape);
    let mutations = &data[12..];
    let mut leaves = Vec::new();
    for (leaf, leaf_type) in leaf_types(&data_type).iter().enumerate() {
        let pages = encode_structural_pages(&field, leaf, std::slice::from_ref(&array), version)
            .expect("valid arrays encode");
        let mut parts = Vec::new();
        for page in &pages {
            let layout = page.layout.encode_to_vec();
            let buffers: Vec<Bytes> = page.buffers.iter().map(|b| b.to_contiguous()).collect();
            let source = StructuralPage {
                layout: &layout,
                buffers: &buffers,
                num_rows: page.num_rows,
            };
            parts.push(decode_structural_page(source, leaf_type).expect("lancer's pages decode"));
            // The same page, mutated: any outcome but a panic.
            let mut layout = layout.clone();
            let mut buffers: Vec<Vec<u8>> = buffers.iter().map(|b| b.to_vec()).collect();
            let half = mutations.len() / 2;
            mutate(&mut layout, &mutations[..half]);
            for buffer in &mut buffers {
                mutate(buffer, &mutations[half..]);
            }
            let buffers: Vec<Bytes> = buffers.into_iter().map(Bytes::from).collect();
            let rows = page.num_rows ^ (mutations.first().copied().unwrap_or(0) as u64 & 1);
            let mutated = StructuralPage {
                layout: &layout,
                buffers: &buffers,
                num_rows: rows,
            };
            let _ = decode_structural_page(mutated, leaf_type);
        }
        let refs: Vec<&dyn Array> = parts.iter().map(|p| p.as_ref()).collect();
        leaves.push(match refs.len() {
            0 => arrow_array::new_empty_array(leaf_type),
            _ => arrow_select::concat::concat(&refs).unwrap(),
        });
    }
    let joined = join_leaves(&data_type, leaves).expect("the leaves join");
    let schema = Arc::new(Schema::new(vec![field]));
    let got = RecordBatch::try_new(schema.clone(), vec![joined]).unwrap();
    let want = RecordBatch::try_new(schema, vec![array]).unwrap();
    assert_batches_equal(&got, &want, "structural round trip");
});
