//! Compressive encodings, the writing side: how a page's value slots are cut into mini-block
//! chunks and encoded, and how level blocks are encoded.
//!
//! A [`Scheme`] is chosen once per page from all of its values (as pylance does) and then
//! applied to every chunk; per-chunk parameters (bit widths) travel inside the chunk. The
//! choices follow pylance 14's defaults closely enough that files come out about as small:
//! run-length encoding when runs are long, FastLanes bit packing when values are narrow,
//! plain values otherwise.

use std::ops::Range;

use arrow_array::{Array, ArrayRef, cast::AsArray};
use arrow_buffer::{BooleanBuffer, Buffer, ScalarBuffer};
use arrow_schema::DataType;

use super::super::bits::{BLOCK, bit_width, pack_block};
use crate::error::{Error, Result};
use crate::proto21::compressive_encoding::Compression;
use crate::proto21::{
    CompressiveEncoding, FixedSizeList, Flat, InlineBitpacking, OutOfLineBitpacking, Rle, Variable,
};

/// Most values a mini-block chunk holds (pylance's default; its reader takes up to 32768).
pub(crate) const MAX_CHUNK_VALUES: usize = 4096;
/// Bytes a chunk of fixed-width values stays under (pylance's 8186).
const FIXED_CHUNK_BYTES: usize = 8186;
/// Bytes a chunk of variable-width values aims at.
const VARIABLE_CHUNK_BYTES: usize = 4096;

/// A page's value slots, as the encoders read them (sharing the Arrow buffers).
#[derive(Clone, Debug)]
pub(crate) enum Slots {
    /// `width` bytes per value.
    Fixed {
        width: usize,
        data: Buffer,
        len: usize,
    },
    /// One bit per value.
    Bits(BooleanBuffer),
    /// Offsets (one more than values) into `data`.
    Variable { offsets: Offsets, data: Buffer },
    /// Fixed-size lists of `dim` items; `validity` marks each item (and every item of a
    /// null list) when any is missing.
    Lists {
        dim: usize,
        items: Box<Slots>,
        validity: Option<BooleanBuffer>,
        len: usize,
    },
}

/// Offsets of variable-width values, 32 or 64 bits.
#[derive(Clone, Debug)]
pub(crate) enum Offsets {
    Small(ScalarBuffer<i32>),
    Large(ScalarBuffer<i64>),
}

impl Offsets {
    pub(crate) fn get(&self, i: usize) -> usize {
        match self {
            Offsets::Small(o) => o[i] as usize,
            Offsets::Large(o) => o[i] as usize,
        }
    }

    pub(crate) fn bits(&self) -> u32 {
        match self {
            Offsets::Small(_) => 32,
            Offsets::Large(_) => 64,
        }
    }
}

impl Slots {
    /// The slots of `array` (a leaf type: no structs, lists or dictionaries).
    pub(crate) fn of(array: &ArrayRef) -> Result<Slots> {
        let data_type = array.data_type();
        Ok(match data_type {
            DataType::Boolean => Slots::Bits(array.as_boolean().values().clone()),
            DataType::Utf8 | DataType::Binary => {
                let data = array.to_data();
                let offsets = ScalarBuffer::<i32>::new(
                    data.buffers()[0].clone(),
                    data.offset(),
                    data.len() + 1,
                );
                Slots::Variable {
                    offsets: Offsets::Small(offsets),
                    data: data.buffers()[1].clone(),
                }
            }
            DataType::LargeUtf8 | DataType::LargeBinary => {
                let data = array.to_data();
                let offsets = ScalarBuffer::<i64>::new(
                    data.buffers()[0].clone(),
                    data.offset(),
                    data.len() + 1,
                );
                Slots::Variable {
                    offsets: Offsets::Large(offsets),
                    data: data.buffers()[1].clone(),
                }
            }
            DataType::FixedSizeList(_, dim) => {
                let lists = array.as_fixed_size_list();
                let dim = usize::try_from(*dim).map_err(|_| unsupported(data_type))?;
                let items = lists
                    .values()
                    .slice(lists.value_offset_at(0), lists.len() * dim);
                let validity = match (lists.nulls(), items.logical_nulls()) {
                    (None, None) => None,
                    (rows, items_nulls) => {
                        let mut bits = arrow_buffer::BooleanBufferBuilder::new(items.len());
                        for row in 0..lists.len() {
                            let row_valid = rows.is_none_or(|r| r.is_valid(row));
                            for j in 0..dim {
                                let item = row * dim + j;
                                bits.append(
                                    row_valid
                                        && items_nulls.as_ref().is_none_or(|n| n.is_valid(item)),
                                );
                            }
                        }
                        Some(bits.finish())
                    }
                };
                Slots::Lists {
                    dim,
                    items: Box::new(Slots::of(&items)?),
                    validity,
                    len: lists.len(),
                }
            }
            other => {
                let width =
                    crate::columns::fixed_width_bytes(other).ok_or_else(|| unsupported(other))?;
                let data = array.to_data();
                let buffer =
                    data.buffers()[0].slice_with_length(data.offset() * width, data.len() * width);
                Slots::Fixed {
                    width,
                    data: buffer,
                    len: data.len(),
                }
            }
        })
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Slots::Fixed { len, .. } | Slots::Lists { len, .. } => *len,
            Slots::Bits(bits) => bits.len(),
            Slots::Variable { offsets, .. } => match offsets {
                Offsets::Small(o) => o.len() - 1,
                Offsets::Large(o) => o.len() - 1,
            },
        }
    }

    /// Bytes of one value, when all have the same width (booleans round up to one byte).
    pub(crate) fn fixed_value_bytes(&self) -> Option<usize> {
        match self {
            Slots::Fixed { width, .. } => Some(*width),
            Slots::Bits(_) => Some(1),
            Slots::Variable { .. } => None,
            Slots::Lists {
                dim,
                items,
                validity,
                ..
            } => {
                let item_bytes = match items.as_ref() {
                    Slots::Bits(_) => {
                        return Some(dim.div_ceil(8) * (1 + validity.is_some() as usize));
                    }
                    other => other.fixed_value_bytes()?,
                };
                Some(dim * item_bytes + validity.as_ref().map_or(0, |_| dim.div_ceil(8)))
            }
        }
    }

    /// The bytes of fixed-width value `i`.
    pub(crate) fn fixed_value(&self, i: usize) -> &[u8] {
        match self {
            Slots::Fixed { width, data, .. } => &data[i * width..(i + 1) * width],
            _ => &[],
        }
    }
}

fn unsupported(data_type: &DataType) -> Error {
    Error::UnsupportedType {
        column: String::new(),
        data_type: data_type.clone(),
        reason: "lancer does not write this type into 2.1/2.2 files".to_string(),
    }
}

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
                let inner = match scheme {
                    Scheme::Lists(inner) => inner.as_ref(),
                    _ => &Scheme::Flat,
                };
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
                let inner = match scheme {
                    Scheme::Lists(inner) => inner.as_ref(),
                    _ => &Scheme::Flat,
                };
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
fn inline_bitpack(values: &Words<'_>, range: Range<usize>, out: &mut Vec<u8>) {
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
fn run_count(values: &Words<'_>, range: Range<usize>) -> usize {
    let mut runs = 0;
    let mut i = range.start;
    while i < range.end {
        let first = values.bytes(i);
        let mut j = i + 1;
        while j < range.end && j - i < 255 && values.bytes(j) == first {
            j += 1;
        }
        runs += 1;
        i = j;
    }
    runs
}

/// The run values and the u8 run lengths of `range`.
fn run_length(values: &Words<'_>, range: Range<usize>) -> (Vec<u8>, Vec<u8>) {
    let (mut runs, mut lengths) = (Vec::new(), Vec::new());
    let mut i = range.start;
    while i < range.end {
        let first = values.bytes(i);
        let mut j = i + 1;
        while j < range.end && j - i < 255 && values.bytes(j) == first {
            j += 1;
        }
        runs.extend_from_slice(first);
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

/// How a page's repetition or definition levels are encoded, one block per chunk.
#[derive(Clone, Copy, Debug)]
pub(crate) enum LevelScheme {
    /// Raw u16.
    Flat,
    /// One group of at most 1024 levels: `[u16 width][FastLanes block]`.
    Inline,
    /// One width for all: FastLanes blocks of 1024, a short tail packed or raw.
    OutOfLine { width: u32 },
    /// `[u64 size of the run values][u16 run values][u8 run lengths]` (2.2).
    RunLength,
}

impl LevelScheme {
    /// The smallest encoding of a page's levels (given whole; each chunk gets a block).
    /// Run-length blocks need 2.2.
    pub(crate) fn choose(levels: &[u16], allow_run_length: bool) -> LevelScheme {
        let raw = 2 * levels.len();
        let max = levels.iter().copied().max().unwrap_or(0);
        let width = bit_width(max as u64);
        let packed = if levels.len() <= BLOCK {
            2 + BLOCK * width as usize / 8
        } else {
            levels.len().div_ceil(BLOCK) * (BLOCK * width as usize / 8)
        };
        let bitpacking = if levels.len() <= BLOCK {
            LevelScheme::Inline
        } else {
            LevelScheme::OutOfLine { width }
        };
        let mut best = (raw, LevelScheme::Flat);
        if width < 16 && packed < best.0 {
            best = (packed, bitpacking);
        }
        if allow_run_length {
            let words = level_words(levels);
            let runs = run_count(&Words::new(&words, 2), 0..levels.len());
            let rle = 8 + 3 * runs;
            if rle < best.0 {
                best = (rle, LevelScheme::RunLength);
            }
        }
        best.1
    }

    pub(crate) fn encoding(&self) -> CompressiveEncoding {
        encoding(match self {
            LevelScheme::Flat => flat(16),
            LevelScheme::Inline => Compression::InlineBitpacking(InlineBitpacking {
                uncompressed_bits_per_value: 16,
                values: None,
            }),
            LevelScheme::OutOfLine { width } => {
                Compression::OutOfLineBitpacking(Box::new(OutOfLineBitpacking {
                    uncompressed_bits_per_value: 16,
                    values: Some(Box::new(encoding(flat(*width as u64)))),
                }))
            }
            LevelScheme::RunLength => Compression::Rle(Box::new(Rle {
                values: Some(Box::new(encoding(flat(16)))),
                run_lengths: Some(Box::new(encoding(flat(8)))),
            })),
        })
    }

    /// One block of `levels`.
    pub(crate) fn encode(&self, levels: &[u16]) -> Vec<u8> {
        let words = level_words(levels);
        match self {
            LevelScheme::Flat => words,
            LevelScheme::Inline => {
                let mut out = Vec::new();
                inline_bitpack(&Words::new(&words, 2), 0..levels.len(), &mut out);
                out
            }
            LevelScheme::OutOfLine { width } => {
                let values: Vec<u64> = levels.iter().map(|l| *l as u64).collect();
                let mut out = Vec::new();
                let full = values.len() / BLOCK * BLOCK;
                for block in values[..full].chunks(BLOCK) {
                    pack_block(block, 16, *width, &mut out);
                }
                let tail = &values[full..];
                if !tail.is_empty() {
                    // A short tail is packed as a whole block only when that is smaller
                    // than storing it raw (pylance's rule; the reader tells the two apart
                    // by length, preferring raw when they are equal).
                    let w = *width as usize;
                    if w * (BLOCK - tail.len()) < (16 - w) * tail.len() {
                        pack_block(tail, 16, *width, &mut out);
                    } else {
                        out.extend_from_slice(&words[2 * full..]);
                    }
                }
                out
            }
            LevelScheme::RunLength => {
                let (values, lengths) = run_length(&Words::new(&words, 2), 0..levels.len());
                let mut out = Vec::with_capacity(8 + values.len() + lengths.len());
                out.extend_from_slice(&(values.len() as u64).to_le_bytes());
                out.extend_from_slice(&values);
                out.extend_from_slice(&lengths);
                out
            }
        }
    }
}

fn level_words(levels: &[u16]) -> Vec<u8> {
    levels.iter().flat_map(|l| l.to_le_bytes()).collect()
}

/// The value of a constant page.
pub(crate) enum Constant {
    /// A fixed-width value of at most 32 bytes, stored in the layout.
    Inline(Vec<u8>),
    /// Any other value, as its own buffer: `[u32 buffer count][u32 size per buffer][buffers]`,
    /// the buffers of a one-value Arrow array (offsets and bytes for a string).
    Buffer(Vec<u8>),
}

/// The value every valid slot holds, when they all hold the same one (and there is one).
pub(crate) fn constant_value(slots: &Slots, validity: Option<&BooleanBuffer>) -> Option<Constant> {
    let valid = |i: usize| validity.is_none_or(|v| v.value(i));
    let first = (0..slots.len()).find(|i| valid(*i))?;
    match slots {
        Slots::Fixed { width, .. } => {
            let value = slots.fixed_value(first);
            let same = (first..slots.len()).all(|i| !valid(i) || slots.fixed_value(i) == value);
            if !same {
                return None;
            }
            Some(if *width <= 32 {
                Constant::Inline(value.to_vec())
            } else {
                Constant::Buffer(scalar_buffer(&[value]))
            })
        }
        Slots::Variable { offsets, data } => {
            let at = |i: usize| &data[offsets.get(i)..offsets.get(i + 1)];
            let value = at(first);
            let same = (first..slots.len()).all(|i| !valid(i) || at(i) == value);
            if !same {
                return None;
            }
            let width = offsets.bits() as usize / 8;
            let mut value_offsets = vec![0u8; width];
            value_offsets.extend_from_slice(&(value.len() as u64).to_le_bytes()[..width]);
            Some(Constant::Buffer(scalar_buffer(&[&value_offsets, value])))
        }
        _ => None,
    }
}

fn scalar_buffer(buffers: &[&[u8]]) -> Vec<u8> {
    let mut out = (buffers.len() as u32).to_le_bytes().to_vec();
    for buffer in buffers {
        out.extend_from_slice(&(buffer.len() as u32).to_le_bytes());
    }
    for buffer in buffers {
        out.extend_from_slice(buffer);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structural::compressive::{Input, decode, decode_levels};
    use crate::structural::values::Values;
    use arrow_array::{Int32Array, Int64Array, StringArray};
    use std::sync::Arc;

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

    #[test]
    fn level_schemes_round_trip_through_the_decoder() {
        for levels in [
            vec![0u16, 1, 0, 2, 2, 1],
            (0..3000).map(|i| (i % 3) as u16).collect(),
            (0..2500).map(|i| (i / 600) as u16).collect(),
            vec![1; 1500],
        ] {
            for scheme in [
                LevelScheme::choose(&levels, false),
                LevelScheme::choose(&levels, true),
                LevelScheme::Flat,
            ] {
                let block = scheme.encode(&levels);
                let back = decode_levels(&scheme.encoding(), &block, levels.len()).unwrap();
                assert_eq!(back, levels, "{scheme:?}");
            }
        }
    }
}
#[cfg(test)]
mod out_of_line_tests {
    use super::*;
    use crate::structural::compressive::decode_levels;

    #[test]
    fn out_of_line_levels_of_every_length_round_trip() {
        for width in [1u32, 2, 3, 5] {
            for n in [
                1usize, 100, 191, 192, 193, 1023, 1024, 1025, 1500, 2047, 2048, 2100, 3333,
            ] {
                let levels: Vec<u16> = (0..n)
                    .map(|i| ((i * 7 + i / 3) % (1 << width)) as u16)
                    .collect();
                let scheme = LevelScheme::OutOfLine { width };
                let block = scheme.encode(&levels);
                let back = decode_levels(&scheme.encoding(), &block, n).unwrap();
                assert_eq!(back, levels, "width {width} n {n}");
            }
        }
    }
}
