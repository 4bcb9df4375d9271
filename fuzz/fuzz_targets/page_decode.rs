//! Page decoding for every encoding: a valid page is built from random data of a chosen type
//! (so each encoding is reached), then its encoding message and buffers are mutated by the
//! fuzzer's bytes, and every value range is decoded.
#![no_main]

use arrow_schema::Field;
use bytes::Bytes;
use lancer_encoding::{ColumnKind, ColumnSlice, PageSource, proto::ArrayEncoding};
use lancer_testkit::random::{Rng, Shape, every_type, random_array};
use libfuzzer_sys::fuzz_target;

#[path = "shared/mutate.rs"]
mod shared;
use prost::Message;
use shared::mutate;

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let types = every_type();
    let field: &Field = &types[data[0] as usize % types.len()];
    let rows = u16::from_le_bytes([data[1], data[2]]) as usize % 700;
    let seed = data[3] as u64;
    let split = data[4] as usize % 2;
    let mutations = &data[5..];

    let mut rng = Rng::new(seed);
    let array = random_array(&mut rng, field, rows, &Shape::default());
    let mut slices = Vec::new();
    if lancer_encoding::shred(field, &array, &mut slices).is_err() {
        return;
    }
    // Decode the first column as the kind the writer would give it.
    let mut kinds = Vec::new();
    lancer_encoding::column_kinds(field.data_type(), &mut kinds);
    let page = match (&slices[0], kinds[0]) {
        (ColumnSlice::Values(a), ColumnKind::Values) => {
            lancer_encoding::encode_values(field.data_type(), &[a.clone()])
        }
        (ColumnSlice::ListOffsets(a), ColumnKind::ListOffsets) => {
            lancer_encoding::encode_list_offsets(&[a.clone()])
        }
        _ => return,
    };
    let Ok(page) = page else { return };
    let mut encoding = page.encoding.encode_to_vec();
    let mut buffers: Vec<Vec<u8>> = page
        .buffers
        .iter()
        .map(|b| b.to_contiguous().to_vec())
        .collect();
    let half = mutations.len() / 2;
    if split == 0 {
        mutate(&mut encoding, &mutations[..half]);
    }
    for buffer in &mut buffers {
        mutate(buffer, &mutations[half..]);
    }
    if mutations.len() % 7 == 0 && !buffers.is_empty() {
        let last = buffers.len() - 1;
        let keep = buffers[last].len() / 2;
        buffers[last].truncate(keep);
    }
    let Ok(encoding) = ArrayEncoding::decode(encoding.as_slice()) else {
        return;
    };
    let buffers: Vec<Bytes> = buffers.into_iter().map(Bytes::from).collect();
    let num_values = page.num_values ^ (mutations.first().copied().unwrap_or(0) as u64 & 3);
    let source = PageSource {
        encoding: &encoding,
        buffers: &buffers,
        num_values,
    };
    let n = num_values as usize;
    for range in [0..n, n / 3..n, 0..0, n.saturating_sub(1)..n] {
        match kinds[0] {
            ColumnKind::Values => {
                let _ = lancer_encoding::decode_values(source, range, field.data_type());
            }
            _ => {
                let _ = lancer_encoding::decode_list_offsets(source, range);
            }
        }
    }
});
