//! FSST string compression for 2.1/2.2 pages: one symbol table per page (trained on the
//! page's strings with the `fsst-rs` crate, stored in the 2312-byte layout Lance reads), each
//! string compressed on its own so chunks and full-zip values decode independently.

use std::ops::Range;

use arrow_buffer::{BooleanBuffer, Buffer, ScalarBuffer};

use super::slots::{Offsets, Slots};

/// Pages with less string data than this are not worth a symbol table (pylance's 32 KiB).
const MIN_BYTES: usize = 32 * 1024;
/// Nor are pages whose longest string is shorter than this.
const MIN_MAX_LENGTH: usize = 5;
/// Bytes of a serialized symbol table: a header word, 256 symbols, 256 lengths.
const TABLE_BYTES: usize = 8 + 256 * 8 + 256;
/// "FSST", in the header word's high half.
const MAGIC: u64 = 0x4653_5354 << 32;

/// Pages with more string bytes than this are compressed in parallel chunks of about this
/// size (each is far more work than handing it to another thread).
const PARALLEL_CHUNK_BYTES: usize = 128 * 1024;

/// A page's strings compressed, and the symbol table to decompress them.
pub(crate) struct Compressed {
    pub(crate) table: Vec<u8>,
    pub(crate) slots: Slots,
}

/// The page's strings FSST-compressed, when the page is large enough (or `forced`: a field
/// asked for FSST) and compression pays (pylance compresses text pages of 32 KiB or more,
/// never binary ones unless asked). Null slots become empty strings.
pub(crate) fn try_compress(
    slots: &Slots,
    valid: Option<&BooleanBuffer>,
    forced: bool,
) -> Option<Compressed> {
    let Slots::Variable { offsets, data } = slots else {
        return None;
    };
    let n = slots.len();
    let is_valid = |i: usize| valid.is_none_or(|v| v.value(i));
    let value = |i: usize| &data[offsets.get(i)..offsets.get(i + 1)];
    let (mut total, mut longest) = (0usize, 0usize);
    for i in (0..n).filter(|i| is_valid(*i)) {
        let len = offsets.get(i + 1) - offsets.get(i);
        total += len;
        longest = longest.max(len);
    }
    if !forced && (total < MIN_BYTES || longest < MIN_MAX_LENGTH) {
        return None;
    }
    let sample: Vec<&[u8]> = (0..n).filter(|i| is_valid(*i)).map(value).collect();
    let compressor = fsst::Compressor::train(&sample);
    drop(sample);
    let compress = |rows: Range<usize>| {
        let bytes = offsets.get(rows.end) - offsets.get(rows.start);
        let mut out = Vec::with_capacity(bytes / 2 + 16);
        let mut ends = Vec::with_capacity(rows.len());
        for i in rows {
            if is_valid(i) {
                out.extend_from_slice(&compressor.compress(value(i)));
            }
            ends.push(out.len());
        }
        (out, ends)
    };
    let pieces = split_rows(n, total);
    // The symbol table is fixed, so chunks compress independently and join to the same
    // bytes one pass gives; only the calling pool's threads are used (never rayon's global
    // pool, see lancer-file's writer).
    let parts: Vec<(Vec<u8>, Vec<usize>)> =
        if pieces.len() > 1 && rayon::current_thread_index().is_some() {
            use rayon::prelude::*;
            pieces.into_par_iter().map(compress).collect()
        } else {
            pieces.into_iter().map(compress).collect()
        };
    let (out, ends) = join(parts, n);
    if !forced && out.len() + TABLE_BYTES >= total {
        return None;
    }
    let offsets = match offsets {
        Offsets::Small(_) => {
            let ends: Option<Vec<i32>> = ends.iter().map(|e| i32::try_from(*e).ok()).collect();
            Offsets::Small(ScalarBuffer::from(ends?))
        }
        Offsets::Large(_) => Offsets::Large(ScalarBuffer::from(
            ends.iter().map(|e| *e as i64).collect::<Vec<_>>(),
        )),
    };
    Some(Compressed {
        table: table(&compressor),
        slots: Slots::Variable {
            offsets,
            data: Buffer::from_vec(out),
        },
    })
}

/// The row ranges a page of `n` strings holding `total` bytes is compressed in: one, or
/// chunks of about [`PARALLEL_CHUNK_BYTES`] each when running on a pool with threads to spare.
fn split_rows(n: usize, total: usize) -> Vec<Range<usize>> {
    let threads = rayon::current_thread_index().map_or(1, |_| rayon::current_num_threads());
    let chunks = (total / PARALLEL_CHUNK_BYTES)
        .clamp(1, 4 * threads)
        .min(n.max(1));
    if threads == 1 || chunks == 1 {
        return std::iter::once(0..n).collect();
    }
    let step = n.div_ceil(chunks);
    (0..n).step_by(step).map(|s| s..(s + step).min(n)).collect()
}

/// Joins compressed chunks into one buffer and its `n + 1` offsets.
fn join(parts: Vec<(Vec<u8>, Vec<usize>)>, n: usize) -> (Vec<u8>, Vec<usize>) {
    if parts.len() == 1 {
        let (out, chunk_ends) = parts.into_iter().next().unwrap_or_default();
        let mut ends = Vec::with_capacity(n + 1);
        ends.push(0);
        ends.extend(chunk_ends);
        return (out, ends);
    }
    let mut out = Vec::with_capacity(parts.iter().map(|(bytes, _)| bytes.len()).sum());
    let mut ends = Vec::with_capacity(n + 1);
    ends.push(0);
    for (bytes, chunk_ends) in parts {
        let base = out.len();
        ends.extend(chunk_ends.iter().map(|end| base + end));
        out.extend_from_slice(&bytes);
    }
    (out, ends)
}

/// The symbol table as Lance stores it: `[u64 header][u64 symbol x n][u8 length x n]`,
/// zero-filled to 2312 bytes. The header carries the magic, the "compressed" switch and the
/// symbol count; Lance's decoder reads nothing else of it.
fn table(compressor: &fsst::Compressor) -> Vec<u8> {
    let symbols = compressor.symbol_table();
    let lengths = compressor.symbol_lengths();
    let header = MAGIC | (1 << 24) | symbols.len() as u64;
    let mut table = Vec::with_capacity(TABLE_BYTES);
    table.extend_from_slice(&header.to_le_bytes());
    for symbol in symbols {
        table.extend_from_slice(&symbol.to_u64().to_le_bytes());
    }
    table.extend_from_slice(lengths);
    table.resize(TABLE_BYTES, 0);
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structural::fsst::fsst_decompress;
    use crate::structural::values::Values;
    use arrow_array::{Array, ArrayRef, StringArray};
    use std::sync::Arc;

    #[test]
    fn compressed_strings_decompress_with_lancers_decoder() {
        let words = ["alpha", "beta", "gamma", "delta", "\u{ff}\u{fe} raw", ""];
        let strings: Vec<String> = (0..6000)
            .map(|i| format!("{} {} {i}", words[i % 6], words[(i * 7) % 6]))
            .collect();
        let array: ArrayRef = Arc::new(StringArray::from_iter_values(&strings));
        let slots = Slots::of(&array).unwrap();
        let compressed =
            try_compress(&slots, None, false).expect("text this repetitive compresses");
        let Slots::Variable { offsets, data } = &compressed.slots else {
            panic!("variable")
        };
        assert!(data.len() < strings.iter().map(String::len).sum::<usize>() / 2);
        let offsets: Vec<u64> = (0..=strings.len()).map(|i| offsets.get(i) as u64).collect();
        let Values::Variable { offsets, data } =
            fsst_decompress(&compressed.table, &offsets, data).unwrap()
        else {
            panic!("variable")
        };
        for (i, s) in strings.iter().enumerate() {
            assert_eq!(
                &data[offsets[i] as usize..offsets[i + 1] as usize],
                s.as_bytes()
            );
        }
    }

    #[test]
    fn chunks_compressed_on_a_pool_join_to_the_bytes_of_one_pass() {
        // Over 4 MiB of text with nulls, so the page splits into several chunks.
        let strings: Vec<Option<String>> = (0..120_000)
            .map(|i| (i % 11 != 3).then(|| format!("row {i} of the page, word {}", i % 97)))
            .collect();
        let array: ArrayRef = Arc::new(StringArray::from(strings));
        let slots = Slots::of(&array).unwrap();
        let valid = array.logical_nulls().map(|n| n.into_inner());
        assert!(
            split_rows(array.len(), 4 << 20).len() == 1,
            "serial off a pool"
        );
        let serial = try_compress(&slots, valid.as_ref(), false).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let (chunks, parallel) = pool.install(|| {
            (
                split_rows(array.len(), 4 << 20).len(),
                try_compress(&slots, valid.as_ref(), false).unwrap(),
            )
        });
        assert!(chunks > 1, "{chunks} chunks");
        assert_eq!(serial.table, parallel.table);
        let (
            Slots::Variable {
                offsets: a,
                data: x,
            },
            Slots::Variable {
                offsets: b,
                data: y,
            },
        ) = (&serial.slots, &parallel.slots)
        else {
            panic!("variable")
        };
        assert_eq!(x, y);
        assert!((0..=array.len()).all(|i| a.get(i) == b.get(i)));
    }

    #[test]
    fn small_pages_are_left_alone() {
        let array: ArrayRef = Arc::new(StringArray::from_iter_values(["a long enough string"; 10]));
        assert!(try_compress(&Slots::of(&array).unwrap(), None, false).is_none());
        assert!(try_compress(&Slots::of(&array).unwrap(), None, true).is_some());
    }
}
