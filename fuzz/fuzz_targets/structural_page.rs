//! 2.1/2.2 page decoding: a valid page of one of several layouts and encodings is built from
//! the fuzzer's values (mini-block with flat, bit-packed, run-length and variable-width
//! values and definition levels; full-zip; constant; fixed-size lists; both chunk word
//! widths), then its layout message, buffers and row count are mutated, and it is decoded.
#![no_main]

use arrow_schema::{DataType, Field};
use bytes::Bytes;
use lancer_encoding::proto21::compressive_encoding::Compression;
use lancer_encoding::proto21::{
    CompressiveEncoding, ConstantLayout, FixedSizeList, Flat, FullZipLayout, InlineBitpacking,
    MiniBlockLayout, PageLayout, Rle, Variable, full_zip_layout, page_layout::Layout,
};
use lancer_encoding::{StructuralPage, decode_structural_page};
use libfuzzer_sys::fuzz_target;

#[path = "shared/mutate.rs"]
mod shared;
use prost::Message;
use shared::mutate;

fn flat(bits: u64) -> CompressiveEncoding {
    CompressiveEncoding {
        compression: Some(Compression::Flat(Flat {
            bits_per_value: bits,
            data: None,
        })),
    }
}

fn pad8(bytes: &mut Vec<u8>) {
    while bytes.len() % 8 != 0 {
        bytes.push(0xFE);
    }
}

/// One chunk: header, optional rep and def blocks, value buffers (each padded to 8).
fn chunk(
    large: bool,
    levels: usize,
    rep: Option<&[u8]>,
    def: Option<&[u8]>,
    values: &[Vec<u8>],
) -> Vec<u8> {
    let mut out = (levels as u16).to_le_bytes().to_vec();
    for block in [rep, def].into_iter().flatten() {
        out.extend_from_slice(&(block.len() as u16).to_le_bytes());
    }
    for v in values {
        if large {
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(v.len() as u16).to_le_bytes());
        }
    }
    pad8(&mut out);
    for part in rep
        .into_iter()
        .chain(def)
        .chain(values.iter().map(|v| v.as_slice()))
    {
        out.extend_from_slice(part);
        pad8(&mut out);
    }
    out
}

/// A mini-block page of one chunk per `chunks` entry (items, values), the last one taking
/// the rest.
fn mini_block(
    large: bool,
    value: CompressiveEncoding,
    chunks: &[(usize, Vec<Vec<u8>>)],
    nulls: Option<&[bool]>,
) -> (Layout, Vec<Vec<u8>>) {
    let (mut meta, mut data) = (Vec::new(), Vec::new());
    let mut start = 0;
    for (i, (items, values)) in chunks.iter().enumerate() {
        let def: Option<Vec<u8>> = nulls.map(|n| {
            n[start..start + items]
                .iter()
                .flat_map(|null| (*null as u16).to_le_bytes())
                .collect()
        });
        let bytes = chunk(
            large,
            if nulls.is_some() { *items } else { 0 },
            None,
            def.as_deref(),
            values,
        );
        let log = if i + 1 == chunks.len() {
            0
        } else {
            items.trailing_zeros() as u64
        };
        let word = (((bytes.len() / 8 - 1) as u64) << 4) | log;
        if large {
            meta.extend_from_slice(&(word as u32).to_le_bytes());
        } else {
            meta.extend_from_slice(&(word as u16).to_le_bytes());
        }
        data.extend_from_slice(&bytes);
        start += items;
    }
    let layout = MiniBlockLayout {
        def_compression: nulls.map(|_| flat(16)),
        value_compression: Some(value),
        layers: vec![if nulls.is_some() { 3 } else { 1 }],
        num_buffers: chunks.first().map_or(1, |(_, v)| v.len() as u64),
        num_items: start as u64,
        has_large_chunk: large,
        ..Default::default()
    };
    (Layout::MiniBlock(layout), vec![meta, data])
}

fn ints(values: &[u8], width: usize, n: usize) -> Vec<u8> {
    (0..n * width)
        .map(|i| values.get(i % values.len().max(1)).copied().unwrap_or(0))
        .collect()
}

fn strings(values: &[u8], n: usize) -> Vec<u8> {
    // Offsets relative to the buffer, then the bytes: value i is values[..i % 5].
    let mut lengths = Vec::new();
    let mut bytes = Vec::new();
    for i in 0..n {
        let take = (i % 5).min(values.len());
        bytes.extend_from_slice(&values[..take]);
        lengths.push(take);
    }
    let mut out = Vec::new();
    let mut at = (4 * (n + 1)) as u32;
    out.extend_from_slice(&at.to_le_bytes());
    for length in lengths {
        at += length as u32;
        out.extend_from_slice(&at.to_le_bytes());
    }
    out.extend_from_slice(&bytes);
    out
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let kind = data[0] % 9;
    let large = data[1] & 1 == 1;
    let n = 2 + (u16::from_le_bytes([data[2], data[3]]) as usize % 600);
    let nulls: Vec<bool> = (0..n)
        .map(|i| data[4] != 0 && i % (data[4] as usize + 1) == 0)
        .collect();
    let nullable = data[5] & 1 == 1;
    let values = &data[6..data.len().min(40)];
    let mutations = &data[data.len().min(40)..];
    // Two chunks when there is room for a non-last chunk of 4 (a power of two) items.
    let split = |make: &dyn Fn(usize) -> Vec<Vec<u8>>| -> Vec<(usize, Vec<Vec<u8>>)> {
        if n > 4 {
            vec![(4, make(4)), (n - 4, make(n - 4))]
        } else {
            vec![(n, make(n))]
        }
    };
    let (data_type, layout, buffers) = match kind {
        0 => {
            let chunks = split(&|k| vec![ints(values, 4, k)]);
            let (layout, buffers) = mini_block(
                large,
                flat(32),
                &chunks,
                nullable.then_some(nulls.as_slice()),
            );
            (DataType::Int32, layout, buffers)
        }
        1 => {
            let chunks = split(&|k| vec![strings(values, k)]);
            let encoding = CompressiveEncoding {
                compression: Some(Compression::Variable(Box::new(Variable {
                    offsets: Some(Box::new(flat(32))),
                    values: None,
                }))),
            };
            let (layout, buffers) = mini_block(
                large,
                encoding,
                &chunks,
                nullable.then_some(nulls.as_slice()),
            );
            // Binary: the fuzzer's bytes are not UTF-8 (string checks are Arrow's).
            (DataType::Binary, layout, buffers)
        }
        2 => {
            // Bit packing at width 0 (every value 0) in one chunk of up to 1024 values.
            let n = n.min(1024);
            let encoding = CompressiveEncoding {
                compression: Some(Compression::InlineBitpacking(InlineBitpacking {
                    uncompressed_bits_per_value: 64,
                    values: None,
                })),
            };
            let (layout, buffers) = mini_block(large, encoding, &[(n, vec![vec![0; 8]])], None);
            (DataType::Int64, layout, buffers)
        }
        3 => {
            let runs = n.div_ceil(255);
            let lengths: Vec<u8> = (0..runs)
                .map(|r| {
                    if r + 1 == runs {
                        (n - 255 * r) as u8
                    } else {
                        255
                    }
                })
                .collect();
            let encoding = CompressiveEncoding {
                compression: Some(Compression::Rle(Box::new(Rle {
                    values: Some(Box::new(flat(16))),
                    run_lengths: Some(Box::new(flat(8))),
                }))),
            };
            let (layout, buffers) = mini_block(
                large,
                encoding,
                &[(n, vec![ints(values, 2, runs), lengths])],
                None,
            );
            (DataType::Int16, layout, buffers)
        }
        4 => {
            let mut zipped = Vec::new();
            for i in 0..n {
                zipped.push(nulls[i] as u8);
                if !nulls[i] {
                    let take = (i % 7).min(values.len());
                    zipped.extend_from_slice(&(take as u32).to_le_bytes());
                    zipped.extend_from_slice(&values[..take]);
                }
            }
            let layout = FullZipLayout {
                bits_def: 1,
                details: Some(full_zip_layout::Details::BitsPerOffset(32)),
                num_items: n as u32,
                num_visible_items: n as u32,
                value_compression: Some(CompressiveEncoding {
                    compression: Some(Compression::Variable(Box::new(Variable {
                        offsets: Some(Box::new(flat(32))),
                        values: None,
                    }))),
                }),
                layers: vec![3],
                ..Default::default()
            };
            (
                DataType::Binary,
                Layout::FullZip(layout),
                vec![zipped, Vec::new()],
            )
        }
        5 => {
            let layout = ConstantLayout {
                layers: vec![if nullable { 3 } else { 1 }],
                inline_value: (!nullable).then(|| ints(values, 4, 1)),
                ..Default::default()
            };
            (DataType::Int32, Layout::Constant(layout), vec![])
        }
        6 => {
            let encoding = CompressiveEncoding {
                compression: Some(Compression::FixedSizeList(Box::new(FixedSizeList {
                    items_per_value: 2,
                    values: Some(Box::new(flat(32))),
                    has_validity: nullable,
                }))),
            };
            let mut buffers = Vec::new();
            if nullable {
                buffers.push(vec![0xAA; (2 * n).div_ceil(8)]);
            }
            buffers.push(ints(values, 4, 2 * n));
            let (layout, buffers) = mini_block(large, encoding, &[(n, buffers)], None);
            let item = Field::new("item", DataType::Float32, true);
            (DataType::FixedSizeList(item.into(), 2), layout, buffers)
        }
        7 => {
            // list<int32>: rows of 0..3 items, every fifth row null, every seventh empty;
            // layers [nullable item, null-and-empty list] (defs: 1 null item, 2 null list,
            // 3 empty list), one chunk.
            let (mut rep, mut def, mut items) = (Vec::new(), Vec::new(), 0usize);
            for row in 0..n {
                let (r, d) = match row {
                    row if row % 5 == 0 => (vec![1u16], vec![2u16]),
                    row if row % 7 == 0 => (vec![1], vec![3]),
                    row => {
                        let k = 1 + row % 3;
                        items += k;
                        let r: Vec<u16> = (0..k).map(|j| (j == 0) as u16).collect();
                        let d: Vec<u16> = (0..k).map(|j| nulls[(row + j) % n] as u16).collect();
                        (r, d)
                    }
                };
                rep.extend(r);
                def.extend(d);
            }
            let levels = rep.len();
            let bytes = |l: &[u16]| -> Vec<u8> { l.iter().flat_map(|v| v.to_le_bytes()).collect() };
            let body = chunk(
                large,
                levels,
                Some(&bytes(&rep)),
                Some(&bytes(&def)),
                &[ints(values, 4, items)],
            );
            let word = ((body.len() / 8 - 1) as u64) << 4;
            let meta = if large {
                (word as u32).to_le_bytes().to_vec()
            } else {
                (word as u16).to_le_bytes().to_vec()
            };
            let layout = MiniBlockLayout {
                rep_compression: Some(flat(16)),
                def_compression: Some(flat(16)),
                value_compression: Some(flat(32)),
                layers: vec![3, 6],
                num_buffers: 1,
                repetition_index_depth: 1,
                num_items: items as u64,
                has_large_chunk: large,
                ..Default::default()
            };
            let item = Field::new("item", DataType::Int32, true);
            (
                DataType::List(item.into()),
                Layout::MiniBlock(layout),
                vec![meta, body, vec![0; 16]],
            )
        }
        _ => {
            let chunks = [(n, vec![ints(values, 1, n.div_ceil(8))])];
            let (layout, buffers) = mini_block(
                large,
                flat(1),
                &chunks,
                nullable.then_some(nulls.as_slice()),
            );
            (DataType::Boolean, layout, buffers)
        }
    };
    let mut layout = PageLayout {
        layout: Some(layout),
    }
    .encode_to_vec();
    let mut buffers = buffers;
    let half = mutations.len() / 2;
    mutate(&mut layout, &mutations[..half]);
    for buffer in &mut buffers {
        mutate(buffer, &mutations[half..]);
    }
    let rows = n as u64 ^ (mutations.first().copied().unwrap_or(0) as u64 & 3);
    let buffers: Vec<Bytes> = buffers.into_iter().map(Bytes::from).collect();
    let page = StructuralPage {
        layout: &layout,
        buffers: &buffers,
        num_rows: rows,
    };
    let decoded = decode_structural_page(page, &data_type);
    if mutations.is_empty() {
        // The pages built above are valid: if one fails, the builders (or the decoder) are wrong.
        let array = decoded.unwrap_or_else(|e| panic!("kind {kind}: {e}"));
        assert_eq!(array.len(), n);
    }
});
