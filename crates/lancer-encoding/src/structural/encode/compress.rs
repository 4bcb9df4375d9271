//! Compressive encodings, the writing side: how a page's value slots are cut into mini-block
//! chunks and encoded (level blocks are in `levels.rs`).
//!
//! A [`Scheme`] is chosen once per page from all of its values (as pylance does) and then
//! applied to every chunk; per-chunk parameters (bit widths) travel inside the chunk. The
//! choices follow pylance 14's defaults closely enough that files come out about as small:
//! run-length encoding when runs are long, FastLanes bit packing when values are narrow,
//! plain values otherwise.

use std::ops::Range;

use arrow_buffer::BooleanBuffer;

use super::super::bits::{BLOCK, bit_width, pack_block};
use super::slots::{Offsets, Slots};
use crate::proto21::compressive_encoding::Compression;
use crate::proto21::{CompressiveEncoding, FixedSizeList, Flat, InlineBitpacking, Rle, Variable};

/// Most values a mini-block chunk holds (pylance's default; its reader takes up to 32768).
pub(crate) const MAX_CHUNK_VALUES: usize = 4096;
/// Bytes a chunk of fixed-width values stays under (pylance's 8186).
const FIXED_CHUNK_BYTES: usize = 8186;
/// Bytes a chunk of variable-width values aims at.
const VARIABLE_CHUNK_BYTES: usize = 4096;

/// How a page's value slots are encoded in each chunk.
#[derive(Clone, Debug)]
pub(crate) enum Scheme {
    /// Plain values (bits for booleans).
    Flat,
    /// FastLanes bit packing, 1024 values per chunk, each chunk with its own width.
    Bitpacked,
    /// Runs of equal values: values, then u8 lengths.
    RunLength,
    /// Byte `j` of every value together, for each `j` (only under a general compression,
    /// which it helps).
    ByteStreamSplit,
    /// Offsets from the buffer's start, then bytes.
    Variable,
    /// Variable-width values compressed with FSST: chunks as `Variable`, the page's
    /// symbol table in the encoding.
    Fsst(std::sync::Arc<Vec<u8>>),
    /// Fixed-size lists: the item validity (if any) as its own buffer, then the items.
    Lists(Box<Scheme>),
    /// Another scheme whose first buffer in each chunk is compressed with LZ4 or zstd (a
    /// field asks for it with `lance-encoding:compression`).
    General { inner: Box<Scheme>, codec: Codec },
}

/// A general-purpose compression a field asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Codec {
    Lz4,
    Zstd { level: i32 },
}

impl Codec {
    fn message(&self) -> crate::proto21::BufferCompression {
        use crate::proto21::CompressionScheme;
        match self {
            Codec::Lz4 => crate::proto21::BufferCompression {
                scheme: CompressionScheme::Lz4 as i32,
                level: None,
            },
            Codec::Zstd { level } => crate::proto21::BufferCompression {
                scheme: CompressionScheme::Zstd as i32,
                level: Some(*level),
            },
        }
    }

    /// One buffer compressed, framed as Lance reads it: `[u32 size][LZ4 block]` or
    /// `[u64 size][zstd frame]`.
    pub(crate) fn compress(&self, buffer: &[u8]) -> Vec<u8> {
        match self {
            Codec::Lz4 => {
                let mut out = (buffer.len() as u32).to_le_bytes().to_vec();
                out.extend_from_slice(&lz4_flex::block::compress(buffer));
                out
            }
            Codec::Zstd { level } => {
                let mut out = (buffer.len() as u64).to_le_bytes().to_vec();
                // Compressing a buffer in memory cannot fail short of running out of it.
                let frame = zstd::bulk::compress(buffer, *level).unwrap_or_else(|_| {
                    zstd::bulk::compress(buffer, 0).expect("zstd compresses in memory")
                });
                out.extend_from_slice(&frame);
                out
            }
        }
    }
}

impl Scheme {
    /// Picks the scheme for a page's slots: the smallest of plain, bit packed and run-length
    /// values, preferring run-length, then bit packing, when they beat plain (pylance's order).
    pub(crate) fn choose(slots: &Slots) -> Scheme {
        match slots {
            Slots::Bits(_) => Scheme::Flat,
            Slots::Variable { .. } => Scheme::Variable,
            Slots::Lists { items, .. } => Scheme::Lists(Box::new(match items.as_ref() {
                Slots::Lists { .. } => Scheme::choose(items),
                _ => Scheme::Flat,
            })),
            Slots::Fixed { width, data, len } => {
                if !matches!(width, 1 | 2 | 4 | 8) || *len == 0 {
                    return Scheme::Flat;
                }
                let raw = width * len;
                let values = Words::new(data, *width);
                let packed = bitpacked_size(&values, 0..*len);
                let runs = run_count(&values, 0..*len);
                let rle = runs * (width + 1);
                if rle < raw && rle < packed {
                    Scheme::RunLength
                } else if packed < raw {
                    Scheme::Bitpacked
                } else {
                    Scheme::Flat
                }
            }
        }
    }

    /// The scheme of a fixed-size list's items (plain unless chosen otherwise).
    fn items_scheme(&self) -> &Scheme {
        match self {
            Scheme::Lists(inner) => inner,
            _ => &Scheme::Flat,
        }
    }

    /// The plain scheme of `slots` (a field asked for no compression).
    pub(crate) fn plain(slots: &Slots) -> Scheme {
        match slots {
            Slots::Variable { .. } => Scheme::Variable,
            Slots::Lists { items, .. } => Scheme::Lists(Box::new(match items.as_ref() {
                Slots::Lists { .. } => Scheme::plain(items),
                _ => Scheme::Flat,
            })),
            _ => Scheme::Flat,
        }
    }

    /// The scheme under a general compression `codec`: the chosen scheme, or for 32- and
    /// 64-bit values byte stream split when it compresses better on the page's first chunks
    /// (pylance decides this from byte entropy; trying both is simpler and as good).
    pub(crate) fn choose_under(slots: &Slots, codec: Codec) -> Scheme {
        let general = |inner: Scheme| Scheme::General {
            inner: Box::new(inner),
            codec,
        };
        let chosen = general(Scheme::choose(slots));
        let Slots::Fixed { width: 4 | 8, .. } = slots else {
            return chosen;
        };
        let split = general(Scheme::ByteStreamSplit);
        let sample_bytes = |scheme: &Scheme| {
            let (mut start, mut bytes) = (0, 0);
            for _ in 0..8 {
                if start >= slots.len() {
                    break;
                }
                let n = scheme.chunk_len(slots, start);
                let mut out = Vec::new();
                scheme.encode_chunk(slots, start..start + n, &mut out);
                bytes += out.iter().map(Vec::len).sum::<usize>();
                start += n;
            }
            bytes * 1024 / start.max(1)
        };
        if sample_bytes(&split) < sample_bytes(&chosen) {
            split
        } else {
            chosen
        }
    }

    /// The scheme for dictionary indices: bit packed when that is smaller, else plain.
    pub(crate) fn choose_indices(slots: &Slots) -> Scheme {
        match Scheme::choose(slots) {
            Scheme::RunLength => match slots {
                Slots::Fixed { width, data, len } => {
                    let packed = bitpacked_size(&Words::new(data, *width), 0..*len);
                    if packed < width * len {
                        Scheme::Bitpacked
                    } else {
                        Scheme::Flat
                    }
                }
                _ => Scheme::Flat,
            },
            other => other,
        }
    }

    /// The encoding message of this scheme for `slots`.
    pub(crate) fn encoding(&self, slots: &Slots) -> CompressiveEncoding {
        let compression = match (self, slots) {
            (Scheme::Flat, Slots::Bits(_)) => flat(1),
            (Scheme::Flat, Slots::Fixed { width, .. }) => flat(8 * *width as u64),
            (Scheme::Bitpacked, Slots::Fixed { width, .. }) => {
                Compression::InlineBitpacking(InlineBitpacking {
                    uncompressed_bits_per_value: 8 * *width as u64,
                    values: None,
                })
            }
            (Scheme::ByteStreamSplit, Slots::Fixed { width, .. }) => {
                Compression::ByteStreamSplit(Box::new(crate::proto21::ByteStreamSplit {
                    values: Some(Box::new(encoding(flat(8 * *width as u64)))),
                }))
            }
            (Scheme::RunLength, Slots::Fixed { width, .. }) => Compression::Rle(Box::new(Rle {
                values: Some(Box::new(encoding(flat(8 * *width as u64)))),
                run_lengths: Some(Box::new(encoding(flat(8)))),
            })),
            (Scheme::Variable, Slots::Variable { offsets, .. }) => variable(offsets.bits()),
            (Scheme::Fsst(table), Slots::Variable { offsets, .. }) => fsst(table, offsets.bits()),
            (
                Scheme::Lists(inner),
                Slots::Lists {
                    dim,
                    items,
                    validity,
                    ..
                },
            ) => Compression::FixedSizeList(Box::new(FixedSizeList {
                items_per_value: *dim as u64,
                values: Some(Box::new(inner.encoding(items))),
                has_validity: validity.is_some(),
            })),
            (Scheme::General { inner, codec }, slots) => {
                Compression::General(Box::new(crate::proto21::General {
                    compression: Some(codec.message()),
                    values: Some(Box::new(inner.encoding(slots))),
                }))
            }
            // Schemes are chosen for their slots; anything else is plain.
            (_, slots) => return Scheme::Flat.encoding(slots),
        };
        encoding(compression)
    }

    /// Value buffers per chunk.
    pub(crate) fn buffers(&self, slots: &Slots) -> usize {
        match (self, slots) {
            (Scheme::RunLength, _) => 2,
            (Scheme::General { inner, .. }, slots) => inner.buffers(slots),
            (
                Scheme::Lists(inner),
                Slots::Lists {
                    items, validity, ..
                },
            ) => validity.is_some() as usize + inner.buffers(items),
            _ => 1,
        }
    }

    /// Values in the chunk starting at `start`: all that remain if they fit, otherwise the
    /// largest power of two (at least 2) that does.
    pub(crate) fn chunk_len(&self, slots: &Slots, start: usize) -> usize {
        if let Scheme::General { inner, .. } = self {
            return inner.chunk_len(slots, start);
        }
        let remaining = slots.len() - start;
        let (cap, budget) = match self {
            Scheme::Bitpacked => (BLOCK, usize::MAX),
            Scheme::Variable | Scheme::Fsst(_) => (MAX_CHUNK_VALUES, VARIABLE_CHUNK_BYTES),
            _ => (MAX_CHUNK_VALUES, FIXED_CHUNK_BYTES),
        };
        let fits = |n: usize| n <= cap && self.chunk_bytes(slots, start..start + n) <= budget;
        if fits(remaining) {
            return remaining;
        }
        let mut n = 2usize;
        while n * 2 <= remaining && fits(n * 2) {
            n *= 2;
        }
        n.min(remaining)
    }

    /// Encoded bytes of values `range` (an estimate for bit packing).
    fn chunk_bytes(&self, slots: &Slots, range: Range<usize>) -> usize {
        let n = range.len();
        match (self, slots) {
            (_, Slots::Bits(_)) => n.div_ceil(8),
            (Scheme::RunLength, Slots::Fixed { width, data, .. }) => {
                run_count(&Words::new(data, *width), range) * (width + 1)
            }
            (Scheme::Bitpacked, Slots::Fixed { width, .. }) => width * (1 + n),
            (_, Slots::Fixed { width, .. }) => width * n,
            (_, Slots::Variable { offsets, .. }) => {
                (n + 1) * (offsets.bits() as usize / 8) + offsets.get(range.end)
                    - offsets.get(range.start)
            }
            (
                scheme,
                Slots::Lists {
                    dim,
                    items,
                    validity,
                    ..
                },
            ) => {
                let inner = scheme.items_scheme();
                let items_range = range.start * dim..range.end * dim;
                validity.as_ref().map_or(0, |_| (n * dim).div_ceil(8))
                    + inner.chunk_bytes(items, items_range)
            }
        }
    }

    /// Encodes values `range` as one chunk's value buffers.
    pub(crate) fn encode_chunk(&self, slots: &Slots, range: Range<usize>, out: &mut Vec<Vec<u8>>) {
        match (self, slots) {
            (Scheme::General { inner, codec }, slots) => {
                let first = out.len();
                inner.encode_chunk(slots, range, out);
                if let Some(buffer) = out.get_mut(first) {
                    *buffer = codec.compress(buffer);
                }
            }
            (_, Slots::Bits(bits)) => out.push(bits_bytes(bits, range)),
            (Scheme::Bitpacked, Slots::Fixed { width, data, .. }) => {
                let values = Words::new(data, *width);
                let mut buffer = Vec::new();
                inline_bitpack(&values, range, &mut buffer);
                out.push(buffer);
            }
            (Scheme::RunLength, Slots::Fixed { width, data, .. }) => {
                let (values, lengths) = run_length(&Words::new(data, *width), range);
                out.push(values);
                out.push(lengths);
            }
            (Scheme::ByteStreamSplit, Slots::Fixed { width, data, .. }) => {
                let values = &data[range.start * width..range.end * width];
                let n = range.len();
                let mut split = vec![0u8; values.len()];
                for (i, value) in values.chunks_exact(*width).enumerate() {
                    for (j, byte) in value.iter().enumerate() {
                        split[j * n + i] = *byte;
                    }
                }
                out.push(split);
            }
            (_, Slots::Fixed { width, data, .. }) => {
                out.push(data[range.start * width..range.end * width].to_vec())
            }
            (_, Slots::Variable { offsets, data }) => {
                out.push(variable_chunk(offsets, data, range))
            }
            (
                scheme,
                Slots::Lists {
                    dim,
                    items,
                    validity,
                    ..
                },
            ) => {
                let items_range = range.start * dim..range.end * dim;
                if let Some(validity) = validity {
                    out.push(bits_bytes(validity, items_range.clone()));
                }
                let inner = scheme.items_scheme();
                inner.encode_chunk(items, items_range, out);
            }
        }
    }
}

pub(crate) fn encoding(compression: Compression) -> CompressiveEncoding {
    CompressiveEncoding {
        compression: Some(compression),
    }
}

pub(crate) fn flat(bits: u64) -> Compression {
    Compression::Flat(Flat {
        bits_per_value: bits,
        data: None,
    })
}

/// FSST over variable-width values of `offset_bits` offsets.
pub(crate) fn fsst(table: &[u8], offset_bits: u32) -> Compression {
    Compression::Fsst(Box::new(crate::proto21::Fsst {
        symbol_table: table.to_vec(),
        values: Some(Box::new(encoding(variable(offset_bits)))),
    }))
}

pub(crate) fn variable(offset_bits: u32) -> Compression {
    Compression::Variable(Box::new(Variable {
        offsets: Some(Box::new(encoding(flat(offset_bits as u64)))),
        values: None,
    }))
}

/// Bits `range` of `bits`, LSB first from the first byte.
fn bits_bytes(bits: &BooleanBuffer, range: Range<usize>) -> Vec<u8> {
    let slice = bits.slice(range.start, range.len());
    let mut bytes = slice.sliced().as_slice().to_vec();
    bytes.truncate(range.len().div_ceil(8));
    bytes
}

/// Fixed-width little-endian values read as unsigned integers.
pub(crate) struct Words<'a> {
    data: &'a [u8],
    width: usize,
}

impl<'a> Words<'a> {
    pub(crate) fn new(data: &'a [u8], width: usize) -> Words<'a> {
        Words { data, width }
    }

    pub(crate) fn get(&self, i: usize) -> u64 {
        let bytes = &self.data[i * self.width..(i + 1) * self.width];
        match self.width {
            1 => bytes[0] as u64,
            2 => u16::from_le_bytes([bytes[0], bytes[1]]) as u64,
            4 => u32::from_le_bytes(bytes.try_into().expect("4 bytes")) as u64,
            _ => u64::from_le_bytes(bytes.try_into().expect("8 bytes")),
        }
    }

    fn bytes(&self, i: usize) -> &'a [u8] {
        &self.data[i * self.width..(i + 1) * self.width]
    }
}

/// Bytes of values `range` packed 1024 at a time, each group with its own width word.
fn bitpacked_size(values: &Words<'_>, range: Range<usize>) -> usize {
    let mut total = 0;
    let mut start = range.start;
    while start < range.end {
        let end = (start + BLOCK).min(range.end);
        let mut or = 0u64;
        for i in start..end {
            or |= values.get(i);
        }
        total += values.width + BLOCK * bit_width(or) as usize / 8;
        start = end;
    }
    total
}

/// `[width word][FastLanes block]` for each group of up to 1024 values of `range`.
pub(crate) fn inline_bitpack(values: &Words<'_>, range: Range<usize>, out: &mut Vec<u8>) {
    let bits = 8 * values.width as u32;
    let mut group = Vec::with_capacity(BLOCK);
    let mut start = range.start;
    while start < range.end {
        let end = (start + BLOCK).min(range.end);
        group.clear();
        group.extend((start..end).map(|i| values.get(i)));
        let width = bit_width(group.iter().fold(0, |a, v| a | v));
        out.extend_from_slice(&(width as u64).to_le_bytes()[..values.width]);
        pack_block(&group, bits, width, out);
        start = end;
    }
}

/// Runs of equal values in `range`, a run being at most 255 long.
pub(crate) fn run_count(values: &Words<'_>, range: Range<usize>) -> usize {
    // One loop per word size, comparing fixed-size arrays (a slice comparison of a runtime
    // length is a call per value).
    fn count<const N: usize>(data: &[u8], range: Range<usize>) -> usize {
        let (mut runs, mut length) = (0usize, 0usize);
        let mut previous = [0u8; N];
        for chunk in data[range.start * N..range.end * N].chunks_exact(N) {
            let word: [u8; N] = chunk.try_into().expect("N bytes");
            if length > 0 && length < 255 && word == previous {
                length += 1;
            } else {
                runs += 1;
                previous = word;
                length = 1;
            }
        }
        runs
    }
    match values.width {
        1 => count::<1>(values.data, range),
        2 => count::<2>(values.data, range),
        4 => count::<4>(values.data, range),
        8 => count::<8>(values.data, range),
        _ => run_length(values, range).1.len(),
    }
}

/// The run values and the u8 run lengths of `range`.
pub(crate) fn run_length(values: &Words<'_>, range: Range<usize>) -> (Vec<u8>, Vec<u8>) {
    let (mut runs, mut lengths) = (Vec::new(), Vec::new());
    let mut i = range.start;
    while i < range.end {
        let first = values.get(i);
        let mut j = i + 1;
        while j < range.end && j - i < 255 && values.get(j) == first {
            j += 1;
        }
        runs.extend_from_slice(values.bytes(i));
        lengths.push((j - i) as u8);
        i = j;
    }
    (runs, lengths)
}

/// A chunk of variable-width values: offsets from the buffer's start, the bytes, padding to
/// the offset width (0x48, as pylance).
fn variable_chunk(offsets: &Offsets, data: &[u8], range: Range<usize>) -> Vec<u8> {
    let width = offsets.bits() as usize / 8;
    let n = range.len();
    let (first, last) = (offsets.get(range.start), offsets.get(range.end));
    let header = (n + 1) * width;
    let mut out = Vec::with_capacity(header + last - first + width);
    for i in range.clone().chain(std::iter::once(range.end)) {
        let at = (header + offsets.get(i) - first) as u64;
        out.extend_from_slice(&at.to_le_bytes()[..width]);
    }
    out.extend_from_slice(&data[first..last]);
    while out.len() % width != 0 {
        out.push(0x48);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structural::compressive::{Input, decode};
    use crate::structural::values::Values;
    use arrow_array::{Array, ArrayRef, cast::AsArray};
    use arrow_array::{Int32Array, Int64Array, StringArray};
    use std::sync::Arc;

    proptest::proptest! {
        /// The run count of any words, of any width, over any range, is the number of runs
        /// `run_length` makes (runs of equal words, at most 255 long).
        #[test]
        fn run_counts_match_the_runs_made(
            width in proptest::sample::select(vec![1usize, 2, 4, 8]),
            words in proptest::collection::vec(0u8..3, 0..700),
            repeat in 1usize..300,
            cut in 0usize..50,
        ) {
            // Long runs: each drawn word repeated `repeat` times, as bytes of `width`.
            let mut data = Vec::new();
            for w in &words {
                for _ in 0..repeat.min(600 / words.len().max(1) + 1) {
                    data.extend(std::iter::repeat_n(*w, width));
                }
            }
            let n = data.len() / width;
            let range = cut.min(n)..n;
            let values = Words::new(&data, width);
            let (_, lengths) = run_length(&values, range.clone());
            proptest::prop_assert_eq!(run_count(&values, range), lengths.len());
        }
    }

    fn round_trip(array: ArrayRef) {
        let slots = Slots::of(&array).unwrap();
        let scheme = Scheme::choose(&slots);
        let encoding = scheme.encoding(&slots);
        let mut start = 0;
        while start < slots.len() {
            let n = scheme.chunk_len(&slots, start);
            let mut buffers = Vec::new();
            scheme.encode_chunk(&slots, start..start + n, &mut buffers);
            assert_eq!(buffers.len(), scheme.buffers(&slots));
            let refs: Vec<&[u8]> = buffers.iter().map(|b| b.as_slice()).collect();
            let decoded = decode(&encoding, Input::Chunk(&refs), n).unwrap();
            let expected = array.slice(start, n);
            match decoded {
                Values::Fixed { data, .. } => {
                    assert_eq!(
                        data,
                        expected.to_data().buffers()[0].as_slice()[..data.len()]
                    )
                }
                Values::Variable { offsets, data } => {
                    let strings = expected.as_string::<i32>();
                    for (k, pair) in offsets.windows(2).enumerate() {
                        assert_eq!(
                            &data[pair[0] as usize..pair[1] as usize],
                            strings.value(k).as_bytes()
                        );
                    }
                }
                other => panic!("unexpected {other:?}"),
            }
            start += n;
        }
    }

    #[test]
    fn schemes_round_trip_through_the_decoder() {
        round_trip(Arc::new(Int64Array::from_iter_values(
            (0..5000).map(|i| i % 1000),
        )));
        round_trip(Arc::new(Int32Array::from_iter_values(
            (0..9000).map(|i| i / 700),
        )));
        round_trip(Arc::new(Int32Array::from_iter_values(
            (0..3000).map(|i| i * 7919 - 100_000),
        )));
        round_trip(Arc::new(StringArray::from_iter_values(
            (0..3000).map(|i| format!("value-{i}")),
        )));
    }
}
