//! The compressive encodings of 2.1/2.2 pages, decoded.
//!
//! One encoding tree describes two framings: the value buffers of a mini-block chunk (one or
//! more buffers whose sizes the chunk header gives) and a *block* (one buffer: a chunk's rep
//! or def levels, a page's dictionary, a constant page's levels). Only `Rle` and `Variable`
//! lay the two out differently. Nothing is allocated from a count before the bytes backing
//! it have been found.

use arrow_buffer::BooleanBufferBuilder;

use super::bits::{BLOCK, block_bytes, check_widths, read_uint, read_words, slice, unpack_block};
use super::fsst::{FsstTable, fsst_decompress};
use super::values::{Values, check_offsets};
use crate::error::{Error, Result, corrupt};
use crate::proto21::compressive_encoding::Compression;
use crate::proto21::{BufferCompression, CompressionScheme, CompressiveEncoding};

/// Largest buffer a compressed buffer may declare when decompressed. pylance's chunks and
/// dictionaries are far smaller; the cap keeps a corrupt length from allocating without
/// bound.
const MAX_DECOMPRESSED: u64 = 256 << 20;

/// Largest buffer a compressed buffer of one mini-block chunk may declare.
const MAX_CHUNK_DECOMPRESSED: u64 = 16 << 20;

/// Most values (or levels) one decode may produce, whatever a page's counts say.
pub(crate) const MAX_VALUES_PER_DECODE: usize = crate::decode::MAX_NULL_VALUES_PER_DECODE;

/// Where the encoded values are.
#[derive(Clone, Copy)]
pub(crate) enum Input<'a> {
    /// The value buffers of one mini-block chunk.
    Chunk(&'a [&'a [u8]]),
    /// One block.
    Block(&'a [u8]),
}

impl<'a> Input<'a> {
    /// The most bytes a compressed buffer here may declare: a mini-block chunk holds at
    /// most a few thousand narrow values, a block (a dictionary, levels) up to a page.
    fn decompress_limit(&self) -> u64 {
        match self {
            Input::Chunk(_) => MAX_CHUNK_DECOMPRESSED,
            Input::Block(_) => MAX_DECOMPRESSED,
        }
    }

    fn first(&self) -> Result<&'a [u8]> {
        match self {
            Input::Chunk(buffers) => buffers
                .first()
                .copied()
                .ok_or_else(|| corrupt("a chunk has no value buffer")),
            Input::Block(block) => Ok(block),
        }
    }
}

fn unsupported(what: &str) -> Error {
    Error::UnsupportedEncoding {
        encoding: "2.1/2.2 compressive encoding",
        data_type: arrow_schema::DataType::Null,
        reason: format!("{what} is not decoded by lancer yet"),
    }
}

fn missing(what: &str) -> Error {
    corrupt(format!("{what} is missing its inner encoding"))
}

/// Decodes `n` values.
pub(crate) fn decode(encoding: &CompressiveEncoding, input: Input<'_>, n: usize) -> Result<Values> {
    let compression = encoding
        .compression
        .as_ref()
        .ok_or_else(|| corrupt("an empty compressive encoding"))?;
    match compression {
        Compression::Flat(flat) => {
            let buffer = decompress_opt(input.first()?, flat.data, input.decompress_limit())?;
            flat_values(&buffer, flat.bits_per_value, n)
        }
        Compression::InlineBitpacking(packing) => {
            let buffer = decompress_opt(input.first()?, packing.values, input.decompress_limit())?;
            inline_bitpacked(&buffer, packing.uncompressed_bits_per_value, n)
        }
        Compression::OutOfLineBitpacking(packing) => {
            let width = match packing
                .values
                .as_deref()
                .and_then(|v| v.compression.as_ref())
            {
                Some(Compression::Flat(flat)) if flat.data.is_none() => flat.bits_per_value,
                Some(_) => {
                    return Err(unsupported(
                        "out-of-line bit packing around a non-flat encoding",
                    ));
                }
                None => return Err(missing("out-of-line bit packing")),
            };
            out_of_line_bitpacked(
                input.first()?,
                packing.uncompressed_bits_per_value,
                width,
                n,
            )
        }
        Compression::Variable(variable) => {
            if variable.values.is_some() {
                return Err(unsupported("compressed variable-width bytes"));
            }
            let offset_bits = match variable
                .offsets
                .as_deref()
                .and_then(|o| o.compression.as_ref())
            {
                Some(Compression::Flat(flat)) if flat.data.is_none() => flat.bits_per_value,
                Some(_) => return Err(unsupported("variable-width offsets that are not flat")),
                None => return Err(missing("variable-width values")),
            };
            match input {
                Input::Chunk(_) => variable_chunk(input.first()?, offset_bits, n),
                Input::Block(block) => variable_block(block, offset_bits, n),
            }
        }
        Compression::Fsst(fsst) => {
            let inner = fsst.values.as_deref().ok_or_else(|| missing("FSST"))?;
            let Values::Variable { offsets, data } = decode(inner, input, n)? else {
                return Err(corrupt("FSST around fixed-width values"));
            };
            fsst_decompress(&fsst.symbol_table, &offsets, &data)
        }
        Compression::Rle(rle) => {
            let value_bits = match rle.values.as_deref().and_then(|v| v.compression.as_ref()) {
                Some(Compression::Flat(flat)) if flat.data.is_none() => flat.bits_per_value,
                _ => return Err(unsupported("run-length encoding of non-flat values")),
            };
            match rle
                .run_lengths
                .as_deref()
                .and_then(|v| v.compression.as_ref())
            {
                Some(Compression::Flat(flat))
                    if flat.data.is_none() && flat.bits_per_value == 8 => {}
                _ => return Err(unsupported("run lengths that are not 8-bit flat")),
            }
            let (values, lengths) = match input {
                Input::Chunk(buffers) => match buffers {
                    [values, lengths, ..] => (*values, *lengths),
                    _ => return Err(corrupt("a run-length chunk needs two buffers")),
                },
                Input::Block(block) => {
                    let size = usize::try_from(read_uint(block, 0, 8)?)
                        .map_err(|_| corrupt("run-length block size overflows"))?;
                    let values = slice(block, 8, size, "run values")?;
                    (values, &block[8 + size..])
                }
            };
            run_length(values, value_bits, lengths, n)
        }
        Compression::General(general) => {
            let inner = general
                .values
                .as_deref()
                .ok_or_else(|| missing("general compression"))?;
            let scheme = general
                .compression
                .ok_or_else(|| missing("general compression"))?;
            let first = decompress(input.first()?, scheme, input.decompress_limit())?;
            match input {
                Input::Block(_) => decode(inner, Input::Block(&first), n),
                Input::Chunk(buffers) => {
                    let mut all: Vec<&[u8]> = Vec::with_capacity(buffers.len());
                    all.push(&first);
                    all.extend_from_slice(&buffers[1..]);
                    decode(inner, Input::Chunk(&all), n)
                }
            }
        }
        Compression::ByteStreamSplit(split) => {
            let bits = match split.values.as_deref().and_then(|v| v.compression.as_ref()) {
                Some(Compression::Flat(flat)) if flat.data.is_none() => flat.bits_per_value,
                _ => return Err(unsupported("byte stream split of non-flat values")),
            };
            byte_stream_split(input.first()?, bits, n)
        }
        Compression::FixedSizeList(list) => {
            let inner = list
                .values
                .as_deref()
                .ok_or_else(|| missing("fixed-size lists"))?;
            let dim = usize::try_from(list.items_per_value)
                .ok()
                .filter(|d| *d > 0)
                .ok_or_else(|| corrupt("fixed-size lists of 0 items"))?;
            // A dimension from the file is not trusted: the items a decode may produce are
            // capped, as for null pages, whatever the encoding below could expand to.
            let items_count = n
                .checked_mul(dim)
                .filter(|count| *count <= MAX_VALUES_PER_DECODE)
                .ok_or_else(|| {
                    corrupt(format!(
                        "{n} fixed-size lists of {dim} items, more than a decode may produce"
                    ))
                })?;
            let (item_validity, rest) = match (list.has_validity, input) {
                (false, input) => (None, input),
                (true, Input::Chunk(buffers)) => {
                    let bitmap = input.first()?;
                    if bitmap.len() < items_count.div_ceil(8) {
                        return Err(corrupt("fixed-size list validity is cut short"));
                    }
                    let mut bits = BooleanBufferBuilder::new(items_count);
                    bits.append_packed_range(0..items_count, bitmap);
                    (Some(bits), Input::Chunk(&buffers[1..]))
                }
                (true, Input::Block(_)) => {
                    return Err(unsupported("fixed-size lists with validity in a block"));
                }
            };
            let items = decode(inner, rest, items_count)?;
            Ok(Values::Lists {
                dim,
                items: Box::new(items),
                item_validity,
            })
        }
        Compression::Constant(_) => Err(unsupported("the constant compressive encoding")),
        Compression::Dictionary(_) => Err(unsupported("the dictionary compressive encoding")),
        Compression::PackedStruct(_) | Compression::VariablePackedStruct(_) => {
            Err(unsupported("packed structs"))
        }
    }
}

/// `n` levels (u16) of a block.
pub(crate) fn decode_levels(
    encoding: &CompressiveEncoding,
    block: &[u8],
    n: usize,
) -> Result<Vec<u16>> {
    match decode(encoding, Input::Block(block), n)? {
        Values::Fixed { width: 2, data } => Ok(data
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect()),
        _ => Err(corrupt("levels that are not 16-bit values")),
    }
}

/// `n` unsigned integers (dictionary indices).
pub(crate) fn to_indices(values: Values) -> Result<Vec<u64>> {
    match values {
        Values::Fixed {
            width: width @ (1 | 2 | 4 | 8),
            data,
        } => Ok(read_words(&data, width)),
        _ => Err(corrupt("dictionary indices that are not integers")),
    }
}

fn flat_values(buffer: &[u8], bits: u64, n: usize) -> Result<Values> {
    if bits == 1 {
        if buffer.len() < n.div_ceil(8) {
            return Err(corrupt(format!(
                "{n} bits need {} bytes, the buffer has {}",
                n.div_ceil(8),
                buffer.len()
            )));
        }
        let mut out = BooleanBufferBuilder::new(n);
        out.append_packed_range(0..n, buffer);
        return Ok(Values::Bits(out));
    }
    if bits == 0 || !bits.is_multiple_of(8) || bits > 8 * 4096 {
        return Err(unsupported(&format!("flat values of {bits} bits")));
    }
    let width = (bits / 8) as usize;
    let data = slice(
        buffer,
        0,
        n.checked_mul(width)
            .ok_or_else(|| corrupt("value count overflows"))?,
        "flat values",
    )?;
    Ok(Values::Fixed {
        width,
        data: data.to_vec(),
    })
}

fn inline_bitpacked(buffer: &[u8], bits: u64, n: usize) -> Result<Values> {
    check_count(n)?;
    let (bits, _) = check_widths(bits, 0)?;
    let word = (bits / 8) as usize;
    let mut out = Vec::new();
    let (mut at, mut left) = (0usize, n);
    while left > 0 {
        let (_, width) = check_widths(bits as u64, read_uint(buffer, at, word)?)?;
        let block = slice(buffer, at + word, block_bytes(width), "bit-packed block")?;
        let take = left.min(BLOCK);
        unpack_block(block, bits, width, take, &mut out);
        at += word + block.len();
        left -= take;
    }
    Ok(Values::Fixed {
        width: word,
        data: out,
    })
}

fn out_of_line_bitpacked(buffer: &[u8], bits: u64, width: u64, n: usize) -> Result<Values> {
    check_count(n)?;
    let (bits, width) = check_widths(bits, width)?;
    let word = (bits / 8) as usize;
    let packed = block_bytes(width);
    let (full, tail) = (n / BLOCK, n % BLOCK);
    let mut out = Vec::new();
    let mut at = 0usize;
    for _ in 0..full {
        unpack_block(
            slice(buffer, at, packed, "bit-packed block")?,
            bits,
            width,
            BLOCK,
            &mut out,
        );
        at += packed;
    }
    if tail > 0 {
        let rest = &buffer[at.min(buffer.len())..];
        if rest.len() == tail * word {
            // The tail was cheaper to store unpacked. When both forms take the same bytes
            // the writer stores it unpacked, so that length always means raw (as in
            // pylance's reader).
            out.extend_from_slice(rest);
        } else {
            unpack_block(
                slice(rest, 0, packed, "bit-packed tail")?,
                bits,
                width,
                tail,
                &mut out,
            );
        }
    }
    Ok(Values::Fixed {
        width: word,
        data: out,
    })
}

/// Refuses a count of values larger than a decode may produce (packing to 0 bits turns a
/// few bytes into any number of values).
fn check_count(n: usize) -> Result<()> {
    if n > MAX_VALUES_PER_DECODE {
        return Err(corrupt(format!(
            "{n} values, more than the {MAX_VALUES_PER_DECODE} a decode may produce"
        )));
    }
    Ok(())
}

fn offset_width(bits: u64) -> Result<usize> {
    match bits {
        32 => Ok(4),
        64 => Ok(8),
        other => Err(corrupt(format!("{other}-bit string offsets"))),
    }
}

fn read_offsets(buffer: &[u8], at: usize, width: usize, count: usize) -> Result<Vec<u64>> {
    let bytes = slice(
        buffer,
        at,
        count
            .checked_mul(width)
            .ok_or_else(|| corrupt("offset count overflows"))?,
        "string offsets",
    )?;
    Ok(read_words(bytes, width))
}

/// Chunk form: offsets relative to the buffer's start, then the bytes.
fn variable_chunk(buffer: &[u8], offset_bits: u64, n: usize) -> Result<Values> {
    check_count(n)?;
    let width = offset_width(offset_bits)?;
    let offsets = read_offsets(buffer, 0, width, n + 1)?;
    check_offsets(&offsets, buffer.len())?;
    let start = offsets[0];
    if start < ((n + 1) * width) as u64 {
        return Err(corrupt("string bytes overlap their offsets"));
    }
    let data = buffer[start as usize..offsets[n] as usize].to_vec();
    Ok(Values::Variable {
        offsets: offsets.iter().map(|o| o - start).collect(),
        data,
    })
}

/// Block form: `[offset width][bytes start][offsets][bytes]`, offsets relative to the bytes.
fn variable_block(block: &[u8], offset_bits: u64, n: usize) -> Result<Values> {
    check_count(n)?;
    let width = offset_width(offset_bits)?;
    let stated = read_uint(block, 0, width)?;
    if stated != offset_bits {
        return Err(corrupt(format!(
            "a variable-width block says {stated}-bit offsets, its encoding {offset_bits}"
        )));
    }
    let bytes_start = usize::try_from(read_uint(block, width, width)?)
        .map_err(|_| corrupt("variable-width block start overflows"))?;
    let offsets = read_offsets(block, 2 * width, width, n + 1)?;
    let data = block
        .get(bytes_start..)
        .ok_or_else(|| corrupt("variable-width bytes start past the block"))?;
    check_offsets(&offsets, data.len())?;
    let base = offsets[0];
    Ok(Values::Variable {
        data: data[base as usize..offsets[n] as usize].to_vec(),
        offsets: offsets.iter().map(|o| o - base).collect(),
    })
}

fn run_length(values: &[u8], bits: u64, lengths: &[u8], n: usize) -> Result<Values> {
    check_count(n)?;
    if bits == 0 || !bits.is_multiple_of(8) || bits > 128 {
        return Err(unsupported(&format!("run-length values of {bits} bits")));
    }
    let width = (bits / 8) as usize;
    let runs = lengths.len();
    let run_values = slice(values, 0, runs * width, "run values")?;
    let total: usize = lengths.iter().map(|l| *l as usize).sum();
    if total != n {
        return Err(corrupt(format!(
            "runs cover {total} values, the chunk has {n}"
        )));
    }
    let mut data = Vec::with_capacity(n * width);
    for (value, length) in run_values.chunks_exact(width).zip(lengths) {
        for _ in 0..*length {
            data.extend_from_slice(value);
        }
    }
    Ok(Values::Fixed { width, data })
}

fn byte_stream_split(buffer: &[u8], bits: u64, n: usize) -> Result<Values> {
    if bits == 0 || !bits.is_multiple_of(8) || bits > 128 {
        return Err(unsupported(&format!(
            "byte stream split of {bits}-bit values"
        )));
    }
    let width = (bits / 8) as usize;
    let streams = slice(
        buffer,
        0,
        n.checked_mul(width)
            .ok_or_else(|| corrupt("value count overflows"))?,
        "byte streams",
    )?;
    let mut data = vec![0u8; n * width];
    for (j, stream) in streams.chunks_exact(n.max(1)).enumerate().take(width) {
        for (i, byte) in stream.iter().enumerate() {
            data[i * width + j] = *byte;
        }
    }
    Ok(Values::Fixed { width, data })
}

/// Decodes the value buffers of a page's mini-block chunks, appending each chunk's values
/// to the page's so far: the common encodings (plain, bit packed, variable-width, FSST)
/// write straight into the page's buffers, so a page's values are built in one allocation
/// rather than one per chunk and a copy.
pub(crate) struct ChunkDecoder<'a> {
    encoding: &'a CompressiveEncoding,
    fsst: Option<FsstTable>,
}

/// The offset width of a plain `Variable` encoding.
fn plain_variable_bits(variable: &crate::proto21::Variable) -> Option<u64> {
    if variable.values.is_some() {
        return None;
    }
    match variable
        .offsets
        .as_deref()
        .and_then(|o| o.compression.as_ref())
    {
        Some(Compression::Flat(flat)) if flat.data.is_none() => Some(flat.bits_per_value),
        _ => None,
    }
}

impl<'a> ChunkDecoder<'a> {
    pub(crate) fn new(encoding: &'a CompressiveEncoding) -> Result<ChunkDecoder<'a>> {
        let fsst = match encoding.compression.as_ref() {
            Some(Compression::Fsst(fsst)) => Some(FsstTable::parse(&fsst.symbol_table)?),
            _ => None,
        };
        Ok(ChunkDecoder { encoding, fsst })
    }

    /// Decodes `n` values of one chunk's `buffers` onto the end of `out`.
    pub(crate) fn decode_into(&self, buffers: &[&[u8]], n: usize, out: &mut Values) -> Result<()> {
        let first = || {
            buffers
                .first()
                .copied()
                .ok_or_else(|| corrupt("a chunk has no value buffer"))
        };
        match (self.encoding.compression.as_ref(), &mut *out) {
            (Some(Compression::Flat(flat)), Values::Fixed { width, data })
                if flat.data.is_none() && flat.bits_per_value == 8 * *width as u64 =>
            {
                let bytes = n
                    .checked_mul(*width)
                    .ok_or_else(|| corrupt("value count overflows"))?;
                data.extend_from_slice(slice(first()?, 0, bytes, "flat values")?);
                Ok(())
            }
            (Some(Compression::InlineBitpacking(packing)), Values::Fixed { width, data })
                if packing.values.is_none()
                    && packing.uncompressed_bits_per_value == 8 * *width as u64 =>
            {
                inline_bitpacked_into(first()?, packing.uncompressed_bits_per_value, n, data)
            }
            (Some(Compression::Variable(variable)), Values::Variable { offsets, data })
                if plain_variable_bits(variable).is_some() =>
            {
                let bits = plain_variable_bits(variable).expect("checked");
                variable_chunk_into(first()?, bits, n, offsets, data, None)
            }
            (Some(Compression::Fsst(fsst)), Values::Variable { offsets, data })
                if fsst
                    .values
                    .as_deref()
                    .and_then(|v| match v.compression.as_ref() {
                        Some(Compression::Variable(variable)) => plain_variable_bits(variable),
                        _ => None,
                    })
                    .is_some() =>
            {
                let Some(Compression::Variable(variable)) =
                    fsst.values.as_deref().and_then(|v| v.compression.as_ref())
                else {
                    unreachable!("checked")
                };
                let bits = plain_variable_bits(variable).expect("checked");
                variable_chunk_into(first()?, bits, n, offsets, data, self.fsst.as_ref())
            }
            _ => {
                let decoded = decode(self.encoding, Input::Chunk(buffers), n)?;
                if decoded.len() != n {
                    return Err(corrupt(format!(
                        "a chunk of {n} items decodes to {} values",
                        decoded.len()
                    )));
                }
                out.append(decoded)
            }
        }
    }
}

/// [`inline_bitpacked`], appending to `out`.
fn inline_bitpacked_into(buffer: &[u8], bits: u64, n: usize, out: &mut Vec<u8>) -> Result<()> {
    let (bits, _) = check_widths(bits, 0)?;
    let word = (bits / 8) as usize;
    let (mut at, mut left) = (0usize, n);
    while left > 0 {
        let (_, width) = check_widths(bits as u64, read_uint(buffer, at, word)?)?;
        let block = slice(buffer, at + word, block_bytes(width), "bit-packed block")?;
        let take = left.min(BLOCK);
        unpack_block(block, bits, width, take, out);
        at += word + block.len();
        left -= take;
    }
    Ok(())
}

/// A chunk of variable-width values (offsets from the buffer's start, then the bytes),
/// appended to `offsets` and `data`; each value decompressed with `fsst` when given.
fn variable_chunk_into(
    buffer: &[u8],
    offset_bits: u64,
    n: usize,
    offsets: &mut Vec<u64>,
    data: &mut Vec<u8>,
    fsst: Option<&FsstTable>,
) -> Result<()> {
    check_count(n)?;
    let width = offset_width(offset_bits)?;
    let chunk = read_offsets(buffer, 0, width, n + 1)?;
    check_offsets(&chunk, buffer.len())?;
    if chunk[0] < ((n + 1) * width) as u64 {
        return Err(corrupt("string bytes overlap their offsets"));
    }
    match fsst {
        None => {
            let base = data.len() as u64;
            let start = chunk[0];
            data.extend_from_slice(&buffer[start as usize..chunk[n] as usize]);
            offsets.extend(chunk[1..].iter().map(|o| base + (o - start)));
        }
        Some(table) => {
            for pair in chunk.windows(2) {
                table.decompress_into(&buffer[pair[0] as usize..pair[1] as usize], data)?;
                offsets.push(data.len() as u64);
            }
        }
    }
    Ok(())
}

fn decompress_opt(
    buffer: &[u8],
    compression: Option<BufferCompression>,
    limit: u64,
) -> Result<std::borrow::Cow<'_, [u8]>> {
    match compression {
        None => Ok(std::borrow::Cow::Borrowed(buffer)),
        Some(scheme) => Ok(std::borrow::Cow::Owned(decompress(buffer, scheme, limit)?)),
    }
}

/// One compressed buffer, declaring at most `limit` bytes decompressed.
fn decompress(buffer: &[u8], compression: BufferCompression, limit: u64) -> Result<Vec<u8>> {
    let check = |declared: u64| -> Result<usize> {
        if declared > limit {
            return Err(corrupt(format!(
                "a compressed buffer declares {declared} bytes, more than the {limit} lancer accepts here"
            )));
        }
        Ok(declared as usize)
    };
    match CompressionScheme::try_from(compression.scheme) {
        Ok(CompressionScheme::Lz4) => {
            let size = check(read_uint(buffer, 0, 4)?)?;
            // LZ4 expands a byte to at most 255: a larger declared size is a lie.
            if size > buffer.len().saturating_mul(255) + 16 {
                return Err(corrupt(format!(
                    "an LZ4 block of {} bytes declares {size}",
                    buffer.len()
                )));
            }
            let out = lz4_flex::block::decompress(&buffer[4..], size)
                .map_err(|e| corrupt(format!("bad LZ4 block: {e}")))?;
            if out.len() != size {
                return Err(corrupt(
                    "an LZ4 block decompresses to another size than declared",
                ));
            }
            Ok(out)
        }
        Ok(CompressionScheme::Zstd) => {
            const FRAME: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
            let (size, frame) = if buffer.starts_with(&FRAME) {
                (limit as usize, buffer)
            } else {
                (check(read_uint(buffer, 0, 8)?)?, &buffer[8..])
            };
            zstd::bulk::decompress(frame, size).map_err(|e| corrupt(format!("bad zstd frame: {e}")))
        }
        _ => Err(unsupported(&format!(
            "compression scheme {}",
            compression.scheme
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto21::{Flat, Rle, Variable};

    fn flat(bits: u64) -> CompressiveEncoding {
        CompressiveEncoding {
            compression: Some(Compression::Flat(Flat {
                bits_per_value: bits,
                data: None,
            })),
        }
    }

    #[test]
    fn variable_chunk_from_the_spec_example() {
        // ["a", "bb", null, "", "ccc"] with 32-bit offsets and 0x48 padding.
        let mut buffer = Vec::new();
        for o in [0x18u32, 0x19, 0x1b, 0x1b, 0x1b, 0x1e] {
            buffer.extend_from_slice(&o.to_le_bytes());
        }
        buffer.extend_from_slice(b"abbccc\x48\x48");
        let encoding = CompressiveEncoding {
            compression: Some(Compression::Variable(Box::new(Variable {
                offsets: Some(Box::new(flat(32))),
                values: None,
            }))),
        };
        let Values::Variable { offsets, data } =
            decode(&encoding, Input::Chunk(&[&buffer]), 5).unwrap()
        else {
            panic!("variable")
        };
        assert_eq!(offsets, vec![0, 1, 3, 3, 3, 6]);
        assert_eq!(data, b"abbccc");
    }

    #[test]
    fn run_length_block_from_the_spec_example() {
        // 10 def levels of 2: [u64 size 2][0200][0a].
        let block = [2u8, 0, 0, 0, 0, 0, 0, 0, 2, 0, 10];
        let encoding = CompressiveEncoding {
            compression: Some(Compression::Rle(Box::new(Rle {
                values: Some(Box::new(flat(16))),
                run_lengths: Some(Box::new(flat(8))),
            }))),
        };
        assert_eq!(decode_levels(&encoding, &block, 10).unwrap(), vec![2; 10]);
        assert!(decode_levels(&encoding, &block, 11).is_err());
    }

    #[test]
    fn counts_larger_than_the_bytes_are_errors_not_allocations() {
        let encoding = flat(64);
        assert!(decode(&encoding, Input::Block(&[0; 16]), usize::MAX / 4).is_err());
        let packed = CompressiveEncoding {
            compression: Some(Compression::InlineBitpacking(
                crate::proto21::InlineBitpacking {
                    uncompressed_bits_per_value: 32,
                    values: None,
                },
            )),
        };
        assert!(decode(&packed, Input::Block(&[0; 4]), usize::MAX).is_err());
    }
}
