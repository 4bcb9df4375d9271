//! Level blocks: how a page's repetition or definition levels are encoded, one block per
//! mini-block chunk (and per constant page).

use super::super::bits::{BLOCK, bit_width, pack_block};
use super::compress::{Words, encoding, flat, inline_bitpack, run_count, run_length};
use crate::proto21::compressive_encoding::Compression;
use crate::proto21::{CompressiveEncoding, InlineBitpacking, OutOfLineBitpacking, Rle};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structural::compressive::decode_levels;

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
