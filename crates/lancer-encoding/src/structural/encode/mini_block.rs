//! Mini-block pages: the values cut into chunks of a power-of-two count, each chunk with
//! its own header, level blocks and value buffers; a word per chunk says where it is and
//! how many values it holds, and for list columns a repetition index maps rows to chunks.

use super::compress::Scheme;
use super::levels::LevelScheme;
use super::slots::Slots;
use super::stripe::Striped;
use super::{Overflow, Version};
use crate::page::PageBuffer;
use crate::proto21::{CompressiveEncoding, MiniBlockLayout};

/// Bytes a 2.1 chunk may take (its word has 12 bits for the size in 8-byte units).
const V2_1_MAX_CHUNK: usize = 4096 * 8;
/// Bytes a 2.2 chunk may take (28 bits of 8-byte units).
const V2_2_MAX_CHUNK: usize = (1 << 28) * 8;

/// Levels a chunk aims to stay under (the format allows 65,535, in blocks of at most
/// 65,535 bytes).
const MAX_CHUNK_LEVELS: usize = 4096;

/// Padding inside chunks (pylance writes 0xFE; readers ignore it).
const CHUNK_PAD: u8 = 0xFE;

/// A page dictionary: its encoding, its block and its item count.
pub(crate) struct PageDictionary {
    pub(crate) encoding: CompressiveEncoding,
    pub(crate) block: Vec<u8>,
    pub(crate) items: u64,
}

fn pad8(bytes: &mut Vec<u8>) {
    while !bytes.len().is_multiple_of(8) {
        bytes.push(CHUNK_PAD);
    }
}

/// Writes a mini-block page of `striped`'s levels and `slots` (the values, or dictionary
/// indices) with `scheme`. Fails with [`Overflow`] when a chunk's levels do not fit the
/// format's 16-bit fields; the caller then splits the page.
pub(crate) fn mini_block(
    striped: &Striped,
    slots: &Slots,
    scheme: &Scheme,
    dictionary: Option<PageDictionary>,
    version: Version,
) -> Result<(MiniBlockLayout, Vec<PageBuffer>), Overflow> {
    let large = version == Version::V2_2;
    let rep = striped.rep.as_deref();
    let def = striped.def.as_deref();
    let levels_total = rep.map(<[u16]>::len).or(def.map(<[u16]>::len)).unwrap_or(0);
    let rep_scheme = rep.map(|r| LevelScheme::choose(r, large));
    let def_scheme = def.map(|d| LevelScheme::choose(d, large));
    let visible = |level: usize| def.is_none_or(|d| d[level] <= striped.max_visible_def);
    let value_buffers = scheme.buffers(slots);

    let (mut meta, mut data) = (Vec::new(), Vec::new());
    let mut repetition_index: Vec<(u64, u64)> = Vec::new();
    let mut chunk_starts_row: Vec<bool> = Vec::new();
    let (mut value_start, mut level_start) = (0usize, 0usize);
    while value_start < slots.len() {
        // The chunk's levels: up to its `count`-th visible item (with the invisible items
        // before each), or all that remain for the last chunk. A chunk with many invisible
        // items (empty or null lists) holds fewer values, so its levels stay well inside
        // the chunk's 16-bit fields.
        let levels_until = |count: usize, last: bool| -> usize {
            if levels_total == 0 {
                0
            } else if last {
                levels_total
            } else {
                let mut seen = 0;
                let mut at = level_start;
                while seen < count {
                    if visible(at) {
                        seen += 1;
                    }
                    at += 1;
                }
                at
            }
        };
        let mut count = scheme.chunk_len(slots, value_start);
        let (count, last, level_end) = loop {
            let last = value_start + count == slots.len();
            let level_end = levels_until(count, last);
            if level_end - level_start <= MAX_CHUNK_LEVELS || count <= 2 {
                break (count, last, level_end);
            }
            // The largest power of two below `count` (at least 2).
            count = (1usize << (usize::BITS - 1 - (count - 1).leading_zeros())).max(2);
        };
        let levels = level_start..level_end;
        let level_count = levels.len();
        let rep_block = rep_scheme.map(|s| s.encode(&rep.expect("rep levels")[levels.clone()]));
        let def_block = def_scheme.map(|s| s.encode(&def.expect("def levels")[levels.clone()]));
        let mut values = Vec::with_capacity(value_buffers);
        scheme.encode_chunk(slots, value_start..value_start + count, &mut values);

        if level_count > u16::MAX as usize
            || rep_block
                .as_ref()
                .is_some_and(|b| b.len() > u16::MAX as usize)
            || def_block
                .as_ref()
                .is_some_and(|b| b.len() > u16::MAX as usize)
            || (!large && values.iter().any(|v| v.len() > u16::MAX as usize))
        {
            return Err(Overflow);
        }
        let mut chunk = Vec::new();
        chunk.extend_from_slice(&(level_count as u16).to_le_bytes());
        for block in [&rep_block, &def_block].into_iter().flatten() {
            chunk.extend_from_slice(&(block.len() as u16).to_le_bytes());
        }
        for buffer in &values {
            if large {
                chunk.extend_from_slice(&(buffer.len() as u32).to_le_bytes());
            } else {
                chunk.extend_from_slice(&(buffer.len() as u16).to_le_bytes());
            }
        }
        pad8(&mut chunk);
        for part in [rep_block.as_ref(), def_block.as_ref()]
            .into_iter()
            .flatten()
            .chain(values.iter())
        {
            chunk.extend_from_slice(part);
            pad8(&mut chunk);
        }
        let limit = if large {
            V2_2_MAX_CHUNK
        } else {
            V2_1_MAX_CHUNK
        };
        if chunk.len() > limit {
            return Err(Overflow);
        }
        let log = if last {
            0
        } else {
            count.trailing_zeros() as u64
        };
        let word = (((chunk.len() / 8 - 1) as u64) << 4) | log;
        if large {
            meta.extend_from_slice(&(word as u32).to_le_bytes());
        } else {
            meta.extend_from_slice(&(word as u16).to_le_bytes());
        }
        data.extend_from_slice(&chunk);
        if let Some(rep) = rep {
            let chunk_rep = &rep[levels.clone()];
            repetition_index.push(index_entry(chunk_rep, striped.max_rep));
            chunk_starts_row.push(chunk_rep.first() == Some(&striped.max_rep));
        }
        value_start += count;
        level_start = level_end;
    }
    let mut buffers = vec![PageBuffer::from(meta), PageBuffer::from(data)];
    let mut layout = MiniBlockLayout {
        rep_compression: rep_scheme.map(|s| s.encoding()),
        def_compression: def_scheme.map(|s| s.encoding()),
        value_compression: Some(scheme.encoding(slots)),
        layers: striped.layers.clone(),
        num_buffers: value_buffers as u64,
        num_items: slots.len() as u64,
        has_large_chunk: large,
        ..Default::default()
    };
    if let Some(dictionary) = dictionary {
        layout.dictionary = Some(dictionary.encoding);
        layout.num_dictionary_items = dictionary.items;
        buffers.push(PageBuffer::from(dictionary.block));
    }
    if rep.is_some() {
        finish_index(&mut repetition_index, &chunk_starts_row);
        let mut index = Vec::with_capacity(16 * repetition_index.len());
        for (ended, partial) in repetition_index {
            index.extend_from_slice(&ended.to_le_bytes());
            index.extend_from_slice(&partial.to_le_bytes());
        }
        buffers.push(PageBuffer::from(index));
        layout.repetition_index_depth = 1;
    }
    Ok((layout, buffers))
}

/// A chunk's entry before the chunks around it are known: rows that end inside it (a row
/// ends where the next one starts), and the levels of the row still open at its end.
fn index_entry(rep: &[u16], max_rep: u16) -> (u64, u64) {
    let ended = rep.iter().skip(1).filter(|r| **r == max_rep).count() as u64;
    let open = match rep.iter().rposition(|r| *r == max_rep) {
        Some(at) => rep.len() - at,
        None => rep.len(),
    };
    (ended, open as u64)
}

/// Settles each chunk's open row: it ends with the chunk if the next chunk starts a row,
/// and the last chunk's row ends with the page.
fn finish_index(index: &mut [(u64, u64)], starts_row: &[bool]) {
    let chunks = index.len();
    for i in 1..chunks {
        if starts_row[i] && index[i - 1].1 > 0 {
            index[i - 1].0 += 1;
            index[i - 1].1 = 0;
        }
    }
    if let Some(last) = index.last_mut() {
        last.0 += 1;
        last.1 = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetition_index_counts_rows_across_chunks() {
        // Rows: [a b] [c d e | f] [g | h] with chunk boundaries at `|`.
        let chunks: [&[u16]; 3] = [&[1, 0, 1, 0, 0], &[0, 1], &[0]];
        let mut index: Vec<_> = chunks.iter().map(|c| index_entry(c, 1)).collect();
        let starts: Vec<bool> = chunks.iter().map(|c| c[0] == 1).collect();
        finish_index(&mut index, &starts);
        // Chunk 0 ends row 0, leaves row 1 open (3 levels); chunk 1 ends row 1, leaves
        // row 2 open; chunk 2 ends row 2 (the page's last).
        assert_eq!(index, vec![(1, 3), (1, 1), (1, 0)]);
        assert_eq!(index.iter().map(|e| e.0).sum::<u64>(), 3);
    }

    #[test]
    fn a_chunk_ending_at_a_row_boundary_closes_its_row() {
        let chunks: [&[u16]; 2] = [&[1, 0, 1], &[1, 1]];
        let mut index: Vec<_> = chunks.iter().map(|c| index_entry(c, 1)).collect();
        finish_index(&mut index, &[true, true]);
        assert_eq!(index, vec![(2, 0), (2, 0)]);
    }
}
