//! Property: any array of any supported type, split into any number of pieces, encodes to a
//! page that decodes back to the same values, for the whole page and for any range of it.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field};
use bytes::Bytes;
use lancer_encoding::{
    ColumnKind, ColumnSlice, PageSource, decode_list_offsets, decode_values, encode_list_offsets,
    encode_values,
};
use lancer_testkit::compare::assert_batches_equal;
use lancer_testkit::random::{Rng, Shape, random_array};
use lancer_testkit::strategy::{any_field, any_structural_field, has_map};
use proptest::prelude::*;

fn contiguous(page: &lancer_encoding::EncodedPage) -> Vec<Bytes> {
    page.buffers.iter().map(|b| b.to_contiguous()).collect()
}

fn split(array: &ArrayRef, cuts: &[usize]) -> Vec<ArrayRef> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (array.len() + 1)).collect();
    points.sort();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points.into_iter().chain([array.len()]) {
        out.push(array.slice(start, p - start));
        start = p;
    }
    out
}

fn values_equal(a: &dyn Array, b: &dyn Array) -> bool {
    match (a.data_type(), b.data_type()) {
        (DataType::Dictionary(_, v), DataType::Dictionary(_, _)) => {
            arrow_cast::cast(a, v).unwrap().to_data() == arrow_cast::cast(b, v).unwrap().to_data()
        }
        _ => a.to_data() == b.to_data(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_column_of_any_type_round_trips(
        field in any_field("c"),
        rows in 0usize..300,
        seed in any::<u64>(),
        null_density in prop_oneof![Just(0.0), Just(0.3), Just(1.0)],
        cuts in prop::collection::vec(any::<usize>(), 0..4),
        range in (any::<usize>(), any::<usize>()),
    ) {
        let shape = Shape { null_density, ..Shape::default() };
        let array = random_array(&mut Rng::new(seed), &field, rows, &shape);
        // Encode each column of the field from pieces of the array, as the file writer does
        // when a page gathers several batches.
        let mut per_column: Vec<Vec<ColumnSlice>> = Vec::new();
        for piece in split(&array, &cuts) {
            let mut slices = Vec::new();
            lancer_encoding::shred(&field, &piece, &mut slices).unwrap();
            per_column.resize_with(slices.len(), Vec::new);
            for (i, s) in slices.into_iter().enumerate() {
                per_column[i].push(s);
            }
        }
        let mut whole = Vec::new();
        lancer_encoding::shred(&field, &array, &mut whole).unwrap();
        let mut kinds = Vec::new();
        lancer_encoding::column_kinds(field.data_type(), &mut kinds);
        for ((kind, pieces), expected) in kinds.iter().zip(per_column).zip(whole) {
            match (kind, expected) {
                (ColumnKind::Values, ColumnSlice::Values(expected)) => {
                    let arrays: Vec<ArrayRef> = pieces.into_iter().map(|s| match s { ColumnSlice::Values(a) => a, _ => unreachable!() }).collect();
                    let page = encode_values(expected.data_type(), &arrays).unwrap();
                    let buffers = contiguous(&page);
                    let source = PageSource { encoding: &page.encoding, buffers: &buffers, num_values: page.num_values };
                    prop_assert_eq!(page.num_values as usize, expected.len());
                    let all = decode_values(source, 0..expected.len(), expected.data_type()).unwrap();
                    prop_assert!(values_equal(all.as_ref(), expected.as_ref()), "{:?}\n!=\n{:?}", all, expected);
                    let n = expected.len();
                    let (a, b) = (range.0 % (n + 1), range.1 % (n + 1));
                    let (a, b) = (a.min(b), a.max(b));
                    let part = decode_values(source, a..b, expected.data_type()).unwrap();
                    prop_assert!(values_equal(part.as_ref(), expected.slice(a, b - a).as_ref()));
                }
                (ColumnKind::ListOffsets, ColumnSlice::ListOffsets(expected)) => {
                    let arrays: Vec<ArrayRef> = pieces.into_iter().map(|s| match s { ColumnSlice::ListOffsets(a) => a, _ => unreachable!() }).collect();
                    let page = encode_list_offsets(&arrays).unwrap();
                    let buffers = contiguous(&page);
                    let source = PageSource { encoding: &page.encoding, buffers: &buffers, num_values: page.num_values };
                    let slice = decode_list_offsets(source, 0..expected.len()).unwrap();
                    let data = expected.to_data();
                    let offsets: Vec<i64> = match expected.data_type() {
                        DataType::List(_) => data.buffer::<i32>(0)[data.offset()..data.offset() + data.len() + 1].iter().map(|&o| o as i64).collect(),
                        _ => data.buffer::<i64>(0)[data.offset()..data.offset() + data.len() + 1].to_vec(),
                    };
                    let relative: Vec<u64> = offsets.iter().map(|o| (o - offsets[0]) as u64).collect();
                    prop_assert_eq!(slice.offsets, relative);
                    let validity: Vec<bool> = (0..expected.len()).map(|i| expected.is_valid(i)).collect();
                    let got: Vec<bool> = (0..expected.len()).map(|i| slice.validity.as_ref().is_none_or(|v| v.is_valid(i))).collect();
                    prop_assert_eq!(got, validity);
                }
                (ColumnKind::StructHeader, ColumnSlice::StructHeader(n)) => {
                    let counted: usize = pieces.iter().map(ColumnSlice::len).sum();
                    prop_assert_eq!(counted, n);
                }
                other => prop_assert!(false, "column kind and slice disagree: {:?}", other.0),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

    /// 2.1/2.2: every leaf of any field (null structs, maps, lists of lists included), encoded
    /// from pieces of an array as the file writer gathers them, decodes page by page to its
    /// single-leaf arrays, and those join back into the array.
    #[test]
    fn every_leaf_of_any_field_round_trips_in_2_1_and_2_2(
        field in any_structural_field("c"),
        rows in prop_oneof![3 => 0usize..300, 1 => 2000usize..5000],
        seed in any::<u64>(),
        null_density in prop_oneof![Just(0.0), Just(0.3), Just(1.0)],
        struct_null_density in prop_oneof![Just(0.0), Just(0.3)],
        cuts in prop::collection::vec(any::<usize>(), 0..4),
        v2_2 in any::<bool>(),
        range in (any::<u64>(), any::<u64>()),
    ) {
        use lancer_encoding::{RowRange, StructuralPage, StructuralVersion, decode_structural_page, encode_structural_pages, join_leaves, leaf_types};
        use prost::Message;
        prop_assume!(v2_2 || !has_map(field.data_type()));
        let version = if v2_2 { StructuralVersion::V2_2 } else { StructuralVersion::V2_1 };
        let shape = Shape { null_density, struct_null_density, ..Shape::default() };
        let array = random_array(&mut Rng::new(seed), &field, rows, &shape);
        let pieces = split(&array, &cuts);
        let mut leaves = Vec::new();
        for (leaf, leaf_type) in leaf_types(field.data_type()).iter().enumerate() {
            let pages = encode_structural_pages(&field, leaf, &pieces, version).unwrap();
            let mut parts = Vec::new();
            for page in &pages {
                let layout = page.layout.encode_to_vec();
                let buffers: Vec<Bytes> = page.buffers.iter().map(|b| b.to_contiguous()).collect();
                let source = StructuralPage { layout: &layout, buffers: &buffers, num_rows: page.num_rows };
                let decoded = decode_structural_page(source, leaf_type)
                    .unwrap_or_else(|e| panic!("leaf {leaf} ({leaf_type}) of {}: {e}", field.data_type()));
                prop_assert_eq!(decoded.len() as u64, page.num_rows);
                // Some rows of it, reading only the bytes the plan asks for.
                let n = page.num_rows;
                let (x, y) = (range.0 % (n + 1), range.1 % (n + 1));
                let rows = x.min(y)..x.max(y);
                let sizes: Vec<u64> = buffers.iter().map(|b| b.len() as u64).collect();
                if let Some(mut read) = RowRange::new(&layout, &sizes, n, rows.clone()).unwrap() {
                    let fetch = |ranges: Vec<(usize, std::ops::Range<u64>)>| -> Vec<Bytes> {
                        ranges.into_iter().map(|(b, r)| buffers[b].slice(r.start as usize..r.end as usize)).collect()
                    };
                    let index = fetch(read.index_ranges().unwrap());
                    let data = fetch(read.data_ranges(&index).unwrap());
                    let part = read.decode(&data, leaf_type)
                        .unwrap_or_else(|e| panic!("rows {rows:?} of leaf {leaf} ({leaf_type}): {e}"));
                    let want = decoded.slice(rows.start as usize, (rows.end - rows.start) as usize);
                    let schema = Arc::new(arrow_schema::Schema::new(vec![Field::new("x", leaf_type.clone(), true)]));
                    let got = arrow_array::RecordBatch::try_new(schema.clone(), vec![part]).unwrap();
                    let want = arrow_array::RecordBatch::try_new(schema, vec![want]).unwrap();
                    assert_batches_equal(&got, &want, &format!("rows {rows:?} of leaf {leaf} ({leaf_type})"));
                }
                parts.push(decoded);
            }
            let refs: Vec<&dyn Array> = parts.iter().map(|p| p.as_ref()).collect();
            leaves.push(match refs.len() {
                0 => arrow_array::new_empty_array(leaf_type),
                _ => arrow_select::concat::concat(&refs).unwrap(),
            });
        }
        let joined = join_leaves(field.data_type(), leaves).unwrap();
        let schema = Arc::new(arrow_schema::Schema::new(vec![field.clone()]));
        let got = arrow_array::RecordBatch::try_new(schema.clone(), vec![joined]).unwrap();
        let want = arrow_array::RecordBatch::try_new(schema, vec![array]).unwrap();
        assert_batches_equal(&got, &want, &format!("{} in {version:?}", field.data_type()));
    }
}

#[test]
fn strings_keep_null_adjusted_offsets_like_pylance() {
    // file-format.md 6.5: ["a", "bb", null, "", "ccc"] -> adjustment 7, indices [1, 3, 10, 3, 6].
    let strings: ArrayRef = Arc::new(arrow_array::StringArray::from(vec![
        Some("a"),
        Some("bb"),
        None,
        Some(""),
        Some("ccc"),
    ]));
    let page = encode_values(&DataType::Utf8, &[strings]).unwrap();
    let indices = page.buffers[0].to_contiguous();
    let values: Vec<u64> = indices
        .chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(values, vec![1, 3, 10, 3, 6]);
    assert_eq!(page.buffers[1].to_contiguous().as_ref(), b"abbccc");
}

#[test]
fn list_offsets_restart_per_page_and_mark_nulls() {
    // file-format.md 6.7: [null, [0], [1, 2], [3, 4, 5], []] -> [7, 1, 3, 6, 6], adjustment 7.
    let lists =
        arrow_array::ListArray::from_iter_primitive::<arrow_array::types::Int32Type, _, _>(vec![
            None,
            Some(vec![Some(0)]),
            Some(vec![Some(1), Some(2)]),
            Some(vec![Some(3), Some(4), Some(5)]),
            Some(vec![]),
        ]);
    let page = encode_list_offsets(&[Arc::new(lists) as ArrayRef]).unwrap();
    let stored: Vec<u64> = page.buffers[0]
        .to_contiguous()
        .chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(stored, vec![7, 1, 3, 6, 6]);
    let Some(lancer_encoding::proto::array_encoding::Kind::List(list)) = &page.encoding.kind else {
        panic!()
    };
    assert_eq!((list.null_offset_adjustment, list.num_items), (7, 6));
}

#[test]
fn a_struct_with_null_entries_is_refused_naming_the_column() {
    let fields = arrow_schema::Fields::from(vec![Field::new("x", DataType::Int32, true)]);
    let x: ArrayRef = Arc::new(arrow_array::Int32Array::from(vec![1, 2]));
    let structs =
        arrow_array::StructArray::new(fields.clone(), vec![x], Some(vec![true, false].into()));
    let field = Field::new("s", DataType::Struct(fields), true);
    let mut out = Vec::new();
    let error = lancer_encoding::shred(&field, &(Arc::new(structs) as ArrayRef), &mut out)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`s`") && error.contains("struct validity"),
        "{error}"
    );
}

#[test]
fn nulls_in_a_non_nullable_field_are_refused() {
    let field = Field::new("a", DataType::Int32, false);
    let array: ArrayRef = Arc::new(arrow_array::Int32Array::from(vec![Some(1), None]));
    let error = lancer_encoding::shred(&field, &array, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(error.contains("not nullable"), "{error}");
}
