//! Byte-level helpers for 2.1/2.2 pages: bounds-checked little-endian reads and FastLanes
//! bit unpacking.

use crate::error::{Result, corrupt};

/// Values per FastLanes block.
pub(crate) const BLOCK: usize = 1024;

/// FastLanes' transposed order of 8-row groups.
const ORDER: [usize; 8] = [0, 4, 2, 6, 1, 5, 3, 7];

/// Reads `width` bytes (1, 2, 4 or 8) at `at` as a little-endian integer.
pub(crate) fn read_uint(bytes: &[u8], at: usize, width: usize) -> Result<u64> {
    let end = at
        .checked_add(width)
        .filter(|end| *end <= bytes.len())
        .ok_or_else(|| {
            corrupt(format!(
                "a {width}-byte field at {at} runs past the end of a {}-byte buffer",
                bytes.len()
            ))
        })?;
    let mut value = [0u8; 8];
    value[..width].copy_from_slice(&bytes[at..end]);
    Ok(u64::from_le_bytes(value))
}

/// `bytes[start..start + len]`, or an error naming `what`.
pub(crate) fn slice<'a>(bytes: &'a [u8], start: usize, len: usize, what: &str) -> Result<&'a [u8]> {
    start
        .checked_add(len)
        .filter(|end| *end <= bytes.len())
        .map(|end| &bytes[start..end])
        .ok_or_else(|| {
            corrupt(format!(
                "{what}: {len} bytes at {start} run past the end of a {}-byte buffer",
                bytes.len()
            ))
        })
}

/// Bytes of one packed FastLanes block of `bits`-wide words packed to `width` bits.
pub(crate) fn block_bytes(width: u32) -> usize {
    BLOCK * width as usize / 8
}

/// Checks an uncompressed width (8, 16, 32 or 64 bits) and a packed width within it.
pub(crate) fn check_widths(bits: u64, width: u64) -> Result<(u32, u32)> {
    if !matches!(bits, 8 | 16 | 32 | 64) {
        return Err(corrupt(format!("bit packing of {bits}-bit values")));
    }
    if width > bits {
        return Err(corrupt(format!("{bits}-bit values packed to {width} bits")));
    }
    Ok((bits as u32, width as u32))
}

/// Unpacks one FastLanes block: 1024 values of `bits` bits (8, 16, 32 or 64) packed to
/// `width` bits in `block` (exactly [`block_bytes`]`(width)` bytes), appending the first
/// `take` of them to `out` as `bits / 8`-byte little-endian values.
pub(crate) fn unpack_block(block: &[u8], bits: u32, width: u32, take: usize, out: &mut Vec<u8>) {
    debug_assert_eq!(block.len(), block_bytes(width));
    debug_assert!(take <= BLOCK);
    let value_bytes = (bits / 8) as usize;
    if width == 0 {
        out.resize(out.len() + take * value_bytes, 0);
        return;
    }
    // Two blocks of words per thread, reused: zeroing 16 KiB for every 1024 values cost
    // about a third of unpacking them.
    SCRATCH.with_borrow_mut(|(words, values)| {
        // The packed words, widened once so the loops below are plain arithmetic.
        fill_words(block, value_bytes, words);
        let width = width as usize;
        // One loop per value width, so each row's lanes are a fixed-size array the
        // compiler unrolls and vectorises.
        match bits {
            8 => unpack_rows::<128>(words, values, width),
            16 => unpack_rows::<64>(words, values, width),
            32 => unpack_rows::<32>(words, values, width),
            _ => unpack_rows::<16>(words, values, width),
        }
        append_narrow(&values[..take], value_bytes, out);
    });
}

/// The little-endian unsigned integers of `width` bytes (1, 2, 4 or 8) that make up
/// `bytes`, widened (a trailing partial one is ignored).
pub(crate) fn read_words(bytes: &[u8], width: usize) -> Vec<u64> {
    let mut words = vec![0; bytes.len() / width.max(1)];
    fill_words(bytes, width, &mut words);
    words
}

/// Fills `words` from the `width`-byte little-endian integers of `bytes`, with one loop per
/// word size: a copy of a runtime length would be a call per word.
fn fill_words(bytes: &[u8], width: usize, words: &mut [u64]) {
    fn fill<const N: usize>(bytes: &[u8], words: &mut [u64], read: impl Fn([u8; N]) -> u64) {
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(N)) {
            *word = read(chunk.try_into().expect("N bytes"));
        }
    }
    match width {
        1 => fill::<1>(bytes, words, |b| b[0] as u64),
        2 => fill::<2>(bytes, words, |b| u16::from_le_bytes(b) as u64),
        4 => fill::<4>(bytes, words, |b| u32::from_le_bytes(b) as u64),
        8 => fill::<8>(bytes, words, u64::from_le_bytes),
        _ => {
            for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(width.max(1))) {
                let mut wide = [0u8; 8];
                wide[..width.min(8)].copy_from_slice(&chunk[..width.min(8)]);
                *word = u64::from_le_bytes(wide);
            }
        }
    }
}

/// Unpacks the rows of a block of `BLOCK / LANES`-bit values packed to `width` bits: row
/// `r` of the packed words holds bits `r * width..` of every lane.
fn unpack_rows<const LANES: usize>(words: &[u64; BLOCK], values: &mut [u64; BLOCK], width: usize) {
    let bits = BLOCK / LANES;
    let mask = low_mask(width);
    let lanes = |at: usize| -> &[u64; LANES] {
        words[at * LANES..(at + 1) * LANES]
            .try_into()
            .expect("LANES words")
    };
    for row in 0..bits {
        let bit = row * width;
        let (index, shift) = (bit / bits, bit % bits);
        let target = ORDER[row / 8] * 16 + (row % 8) * 128;
        let destination: &mut [u64; LANES] = (&mut values[target..target + LANES])
            .try_into()
            .expect("LANES values");
        let low = lanes(index);
        if shift + width > bits {
            let high = lanes(index + 1);
            for lane in 0..LANES {
                destination[lane] = ((low[lane] >> shift) | (high[lane] << (bits - shift))) & mask;
            }
        } else {
            for lane in 0..LANES {
                destination[lane] = (low[lane] >> shift) & mask;
            }
        }
    }
}

thread_local! {
    /// Scratch of [`unpack_block`]: the packed words widened, and the unpacked values.
    static SCRATCH: std::cell::RefCell<([u64; BLOCK], [u64; BLOCK])> =
        const { std::cell::RefCell::new(([0; BLOCK], [0; BLOCK])) };
}

/// Appends each of `words` as a `bytes`-byte (1, 2, 4 or 8) little-endian integer.
fn append_narrow(words: &[u64], bytes: usize, out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + words.len() * bytes, 0);
    let target = &mut out[start..];
    match bytes {
        1 => target
            .iter_mut()
            .zip(words)
            .for_each(|(t, w)| *t = *w as u8),
        2 => target
            .chunks_exact_mut(2)
            .zip(words)
            .for_each(|(t, w)| t.copy_from_slice(&(*w as u16).to_le_bytes())),
        4 => target
            .chunks_exact_mut(4)
            .zip(words)
            .for_each(|(t, w)| t.copy_from_slice(&(*w as u32).to_le_bytes())),
        _ => target
            .chunks_exact_mut(8)
            .zip(words)
            .for_each(|(t, w)| t.copy_from_slice(&w.to_le_bytes())),
    }
}

/// The low `width` bits set (`width` up to 64).
fn low_mask(width: usize) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

/// Packs up to 1024 values (zero-padded to a full block) of `bits` bits (8, 16, 32 or 64)
/// to `width` bits each, the mirror of [`unpack_block`]; appends [`block_bytes`]`(width)`
/// bytes to `out`. Values wider than `width` are cut to it.
pub(crate) fn pack_block(values: &[u64], bits: u32, width: u32, out: &mut Vec<u8>) {
    debug_assert!(values.len() <= BLOCK && width <= bits);
    let value_bytes = (bits / 8) as usize;
    let mut padded = [0u64; BLOCK];
    padded[..values.len()].copy_from_slice(values);
    let (bits, width) = (bits as usize, width as usize);
    let lanes = BLOCK / bits;
    let mut words = [0u64; BLOCK];
    if width > 0 {
        let mask = low_mask(width);
        for row in 0..bits {
            let bit = row * width;
            let (index, shift) = (bit / bits, bit % bits);
            let source = ORDER[row / 8] * 16 + (row % 8) * 128;
            let source = &padded[source..source + lanes];
            {
                let low = &mut words[lanes * index..lanes * (index + 1)];
                for (word, value) in low.iter_mut().zip(source) {
                    *word |= (value & mask) << shift;
                }
            }
            if shift + width > bits {
                let high = &mut words[lanes * (index + 1)..lanes * (index + 2)];
                for (word, value) in high.iter_mut().zip(source) {
                    *word |= (value & mask) >> (bits - shift);
                }
            }
        }
    }
    append_narrow(&words[..lanes * width], value_bytes, out);
}

/// Bits needed to hold `value` (0 for 0).
pub(crate) fn bit_width(value: u64) -> u32 {
    64 - value.leading_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpack_mirrors_pack_for_every_width() {
        for bits in [8u32, 16, 32, 64] {
            for width in [0, 1, 3, bits / 2, bits - 1, bits] {
                let mask = if width == 64 {
                    u64::MAX
                } else {
                    (1u64 << width) - 1
                };
                let values: Vec<u64> = (0..1000u64)
                    .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) & mask)
                    .collect();
                let mut block = Vec::new();
                pack_block(&values, bits, width, &mut block);
                assert_eq!(block.len(), block_bytes(width));
                let mut out = Vec::new();
                unpack_block(&block, bits, width, values.len(), &mut out);
                let bytes = (bits / 8) as usize;
                let got: Vec<u64> = out
                    .chunks(bytes)
                    .map(|c| read_uint(c, 0, bytes).unwrap())
                    .collect();
                assert_eq!(got, values, "bits {bits} width {width}");
            }
        }
    }

    #[test]
    fn reads_are_bounds_checked() {
        assert!(read_uint(&[1, 2, 3], 2, 2).is_err());
        assert!(read_uint(&[1, 2, 3], usize::MAX, 2).is_err());
        assert_eq!(read_uint(&[1, 2, 3], 1, 2).unwrap(), 0x0302);
        assert!(slice(&[0; 4], 3, 2, "x").is_err());
    }
}
