//! Page dictionaries: the chunks hold indices, the page one block of the distinct values
//! (compressed with LZ4 in 2.2, as pylance does). Strings and binary values of few distinct
//! values get one with u32 indices; Arrow dictionary columns always have one, whose indices
//! are as wide as the column's keys (pylance's reader rebuilds the Arrow dictionary from it
//! and insists on both).

use std::collections::HashMap;

use arrow_array::{Array, ArrayRef, UInt64Array, cast::AsArray};
use arrow_buffer::{BooleanBuffer, Buffer};
use arrow_schema::DataType;

use super::Version;
use super::compress::{encoding, variable};
use super::mini_block::PageDictionary;
use super::slots::Slots;
use crate::error::Result;
use crate::proto21::compressive_encoding::Compression;
use crate::proto21::{BufferCompression, CompressionScheme, General};

/// Fewer values than this are never dictionary encoded.
const MIN_VALUES: usize = 100;
/// At most this many distinct values.
const MAX_ITEMS: usize = 100_000;

/// The page's values as dictionary indices and the dictionary, when that is clearly smaller
/// than the values themselves (pylance's thresholds: at most half the values distinct, and
/// the result under 80% of the plain size).
pub(crate) fn try_dictionary(
    slots: &Slots,
    validity: Option<&BooleanBuffer>,
    version: Version,
) -> Option<(Slots, PageDictionary)> {
    let Slots::Variable { offsets, data } = slots else {
        return None;
    };
    let n = slots.len();
    if n < MIN_VALUES {
        return None;
    }
    let cap = (n / 2).min(MAX_ITEMS);
    let mut index: HashMap<&[u8], u32, ahash::RandomState> =
        HashMap::with_capacity_and_hasher(cap.min(4096), ahash::RandomState::new());
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut indices: Vec<u32> = Vec::with_capacity(n);
    for i in 0..n {
        if validity.is_some_and(|v| !v.value(i)) {
            // A null slot may point at any item; its definition level hides it.
            indices.push(0);
            continue;
        }
        let (start, end) = (offsets.get(i), offsets.get(i + 1));
        let next = items.len() as u32;
        let id = *index.entry(&data[start..end]).or_insert_with(|| {
            items.push((start, end));
            next
        });
        if items.len() > cap {
            return None;
        }
        indices.push(id);
    }
    let plain = offsets.get(n) - offsets.get(0) + 4 * n;
    let item_bytes: usize = items.iter().map(|(s, e)| e - s).sum();
    let index_bits = 32 - (items.len().max(2) as u32 - 1).leading_zeros() as usize;
    let estimate = item_bytes + 4 * items.len() + n * index_bits / 8 + 64;
    if estimate * 10 >= plain * 8 {
        return None;
    }
    let block = variable_block(offsets.bits(), &items, data);
    let words: Vec<u8> = indices.iter().flat_map(|i| i.to_le_bytes()).collect();
    let indices = Slots::Fixed {
        width: 4,
        len: n,
        data: Buffer::from_vec(words),
    };
    let dictionary = finish(
        encoding(variable(offsets.bits())),
        block,
        items.len(),
        version,
    );
    Some((indices, dictionary))
}

/// The page dictionary of an Arrow dictionary column's slots, with indices as wide as its
/// keys. Null slots point at item 0; a dictionary larger than the page's slots is cut down
/// to the values they use.
pub(crate) fn native(
    values: &ArrayRef,
    validity: Option<&BooleanBuffer>,
    version: Version,
) -> Result<(Slots, PageDictionary)> {
    let dictionary = values
        .as_any_dictionary_opt()
        .ok_or_else(|| unsupported(values.data_type()))?;
    let DataType::Dictionary(key_type, _) = values.data_type() else {
        return Err(unsupported(values.data_type()));
    };
    let width = crate::columns::fixed_width_bytes(key_type).ok_or_else(|| unsupported(key_type))?;
    let n = values.len();
    let valid = |i: usize| validity.is_none_or(|v| v.value(i));
    let keys = dictionary.normalized_keys();
    let mut items = dictionary.values().clone();
    let mut remap: Option<Vec<u64>> = None;
    if items.len() > n {
        // Keep only the values the slots use, in order of first use.
        let mut new_index = vec![u64::MAX; items.len()];
        let mut used = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            if valid(i) && new_index[*key] == u64::MAX {
                new_index[*key] = used.len() as u64;
                used.push(*key as u64);
            }
        }
        items = arrow_select::take::take(items.as_ref(), &UInt64Array::from(used), None)?;
        remap = Some(new_index);
    }
    let mut words = Vec::with_capacity(n * width);
    for (i, key) in keys.iter().enumerate() {
        let index = match (&remap, valid(i)) {
            (_, false) => 0,
            (Some(remap), true) => remap[*key],
            (None, true) => *key as u64,
        };
        words.extend_from_slice(&index.to_le_bytes()[..width]);
    }
    let indices = Slots::Fixed {
        width,
        len: n,
        data: Buffer::from_vec(words),
    };
    let (plain, block) = match Slots::of(&items)? {
        Slots::Variable { offsets, data } => {
            let ranges: Vec<(usize, usize)> = (0..items.len())
                .map(|i| (offsets.get(i), offsets.get(i + 1)))
                .collect();
            (
                encoding(variable(offsets.bits())),
                variable_block(offsets.bits(), &ranges, &data),
            )
        }
        Slots::Fixed { width, data, .. } => (
            encoding(super::compress::flat(8 * width as u64)),
            data.as_slice().to_vec(),
        ),
        _ => return Err(unsupported(values.data_type())),
    };
    Ok((indices, finish(plain, block, items.len(), version)))
}

fn unsupported(data_type: &DataType) -> crate::Error {
    crate::Error::UnsupportedType {
        column: String::new(),
        data_type: data_type.clone(),
        reason: "dictionaries of these values are not written into 2.1/2.2 files".to_string(),
    }
}

/// A variable-width block: `[offset bits][bytes start][offsets from the bytes][bytes]`.
fn variable_block(offset_bits: u32, items: &[(usize, usize)], data: &[u8]) -> Vec<u8> {
    let width = offset_bits as usize / 8;
    let item_bytes: usize = items.iter().map(|(s, e)| e - s).sum();
    let header = 2 * width + width * (items.len() + 1);
    let mut block = Vec::with_capacity(header + item_bytes);
    block.extend_from_slice(&(offset_bits as u64).to_le_bytes()[..width]);
    block.extend_from_slice(&(header as u64).to_le_bytes()[..width]);
    let mut at = 0u64;
    block.extend_from_slice(&at.to_le_bytes()[..width]);
    for (start, end) in items {
        at += (end - start) as u64;
        block.extend_from_slice(&at.to_le_bytes()[..width]);
    }
    for (start, end) in items {
        block.extend_from_slice(&data[*start..*end]);
    }
    block
}

/// The dictionary block as it is stored: as is in 2.1, LZ4-compressed in 2.2.
fn finish(
    plain: crate::proto21::CompressiveEncoding,
    block: Vec<u8>,
    items: usize,
    version: Version,
) -> PageDictionary {
    let (encoding, block) = match version {
        Version::V2_1 => (plain, block),
        Version::V2_2 => {
            let mut compressed = (block.len() as u32).to_le_bytes().to_vec();
            compressed.extend_from_slice(&lz4_flex::block::compress(&block));
            let general = Compression::General(Box::new(General {
                compression: Some(BufferCompression {
                    scheme: CompressionScheme::Lz4 as i32,
                    level: None,
                }),
                values: Some(Box::new(plain)),
            }));
            (encoding(general), compressed)
        }
    };
    PageDictionary {
        encoding,
        block,
        items: items as u64,
    }
}
