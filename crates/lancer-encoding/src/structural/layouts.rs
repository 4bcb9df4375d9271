//! The three page layouts of 2.1/2.2 files, for columns without lists: each yields the
//! page's value slots and, when the page has them, its definition levels.

use super::bits::{read_uint, slice};
use super::compressive::MAX_VALUES_PER_DECODE;
use super::compressive::{ChunkDecoder, Input, decode, decode_levels, to_indices};
use super::values::Values;
use crate::decode::MAX_NULL_VALUES_PER_DECODE;
use crate::error::{Result, corrupt};
use crate::proto21::compressive_encoding::Compression;
use crate::proto21::{ConstantLayout, FullZipLayout, MiniBlockLayout, full_zip_layout};

/// Most items one mini-block chunk may hold. pylance writes at most 4096; the 4-bit size
/// exponent allows 32768.
const MAX_CHUNK_ITEMS: usize = 1 << 15;

/// A decoded page: value slots (one per visible item), and the repetition and definition
/// levels of every item (None when the page has none of that kind).
pub(crate) struct Decoded {
    pub(crate) values: Values,
    pub(crate) rep: Option<Vec<u16>>,
    pub(crate) def: Option<Vec<u16>>,
}

fn align8(at: usize) -> usize {
    at.div_ceil(8) * 8
}

/// A mini-block page of `rows` rows; `lists` says whether the column has a list layer (and
/// so repetition levels, and items that are not rows).
pub(crate) fn mini_block(
    layout: &MiniBlockLayout,
    buffers: &[&[u8]],
    rows: usize,
    lists: bool,
    shape: impl Fn() -> Values,
) -> Result<Decoded> {
    let has_rep = layout.rep_compression.is_some();
    if has_rep != lists || layout.repetition_index_depth > 1 {
        return Err(corrupt(if lists {
            "a list column's page without single-level repetition"
        } else {
            "a column without lists has repetition levels"
        }));
    }
    let value_encoding = layout
        .value_compression
        .as_ref()
        .ok_or_else(|| corrupt("a mini-block page without a value encoding"))?;
    if !lists && layout.num_items != rows as u64 {
        return Err(corrupt(format!(
            "a mini-block page of {rows} rows has {} items",
            layout.num_items
        )));
    }
    // Value slots: one per row without lists, the visible items with them.
    let items_total = usize::try_from(layout.num_items)
        .map_err(|_| corrupt("mini-block item count overflows"))?;
    let (meta, data) = match buffers {
        [meta, data, ..] => (*meta, *data),
        _ => return Err(corrupt("a mini-block page needs two buffers")),
    };
    let dictionary = match &layout.dictionary {
        None => None,
        Some(encoding) => {
            let block = buffers
                .get(2)
                .ok_or_else(|| corrupt("a dictionary page without its dictionary buffer"))?;
            let items = usize::try_from(layout.num_dictionary_items)
                .ok()
                .filter(|n| *n <= MAX_VALUES_PER_DECODE)
                .ok_or_else(|| corrupt("dictionary size out of range"))?;
            Some(decode(encoding, Input::Block(block), items)?)
        }
    };
    let large = layout.has_large_chunk;
    let word = if large { 4 } else { 2 };
    if meta.len() % word != 0 {
        return Err(corrupt("chunk metadata is not a whole number of words"));
    }
    let num_buffers = usize::try_from(layout.num_buffers)
        .ok()
        .filter(|n| (1..=16).contains(n))
        .ok_or_else(|| corrupt(format!("{} value buffers per chunk", layout.num_buffers)))?;
    let chunk_count = meta.len() / word;
    let has_def = layout.def_compression.is_some();
    // The page's values, each chunk decoded onto the end; room for all of them up front
    // (the bytes of variable-width values are known only roughly: the chunks' bytes, more
    // for FSST, which only reserves address space until they are written).
    let decoder = ChunkDecoder::new(value_encoding)?;
    let mut values = shape();
    let fsst = matches!(value_encoding.compression, Some(Compression::Fsst(_)));
    // A length field is not trusted: what is reserved is bounded by the page's bytes (bit
    // packing may expand further, and then the buffers grow as they are written).
    // Fixed-width values may be bit packed 16 to 1; strings are as long as their bytes,
    // FSST-compressed ones about three times longer.
    let bytes = match &values {
        Values::Fixed { .. } => data.len().saturating_mul(16),
        _ if fsst => data.len().saturating_mul(3),
        _ => data.len(),
    };
    values.reserve(items_total.min(data.len().saturating_mul(2)), bytes);
    let mut def_levels: Vec<u16> = Vec::new();
    let mut rep_levels: Vec<u16> = Vec::new();
    let (mut seen, mut at) = (0usize, 0usize);
    for chunk_index in 0..chunk_count {
        let word_value = read_uint(meta, chunk_index * word, word)?;
        let size = ((word_value >> 4) as usize + 1) * 8;
        let last = chunk_index + 1 == chunk_count;
        let items = if last {
            items_total
                .checked_sub(seen)
                .ok_or_else(|| corrupt("chunks hold more items than the page"))?
        } else {
            1usize << (word_value & 0xF)
        };
        if items > MAX_CHUNK_ITEMS || seen + items > items_total {
            return Err(corrupt(format!(
                "a chunk of {items} items in a page of {items_total}"
            )));
        }
        let chunk = slice(data, at, size, "mini-block chunk")?;
        at += size;
        let levels = read_uint(chunk, 0, 2)? as usize;
        // Level blocks may pack many levels into few bytes: the page's total is capped.
        if rep_levels.len().max(def_levels.len()) + levels > MAX_VALUES_PER_DECODE {
            return Err(corrupt(format!(
                "a page of more than {MAX_VALUES_PER_DECODE} levels"
            )));
        }
        let mut cursor = 2;
        let rep_size = if has_rep {
            cursor += 2;
            Some(read_uint(chunk, cursor - 2, 2)? as usize)
        } else {
            None
        };
        let def_size = if has_def {
            cursor += 2;
            Some(read_uint(chunk, cursor - 2, 2)? as usize)
        } else {
            None
        };
        let size_width = if large { 4 } else { 2 };
        let mut value_sizes = Vec::with_capacity(num_buffers);
        for _ in 0..num_buffers {
            value_sizes.push(read_uint(chunk, cursor, size_width)? as usize);
            cursor += size_width;
        }
        cursor = align8(cursor);
        if let (Some(rep_size), Some(encoding)) = (rep_size, &layout.rep_compression) {
            let block = slice(chunk, cursor, rep_size, "repetition levels")?;
            rep_levels.extend(decode_levels(encoding, block, levels)?);
            cursor = align8(cursor + rep_size);
        }
        if let (Some(def_size), Some(encoding)) = (def_size, &layout.def_compression) {
            if !lists && levels != items {
                return Err(corrupt(format!(
                    "a chunk of {items} items has {levels} levels in a column without lists"
                )));
            }
            let block = slice(chunk, cursor, def_size, "definition levels")?;
            def_levels.extend(decode_levels(encoding, block, levels)?);
            cursor = align8(cursor + def_size);
        }
        let mut value_buffers: Vec<&[u8]> = Vec::with_capacity(num_buffers);
        for value_size in value_sizes {
            value_buffers.push(slice(chunk, cursor, value_size, "chunk values")?);
            cursor = align8(cursor + value_size);
        }
        let before = values.len();
        match &dictionary {
            None => decoder.decode_into(&value_buffers, items, &mut values)?,
            Some(dictionary) => {
                let indices =
                    to_indices(decode(value_encoding, Input::Chunk(&value_buffers), items)?)?;
                if indices.len() != items {
                    return Err(corrupt(format!(
                        "a chunk of {items} items decodes to {} indices",
                        indices.len()
                    )));
                }
                dictionary.take_into(&indices, &mut values)?;
            }
        }
        if values.len() - before != items {
            return Err(corrupt(format!(
                "a chunk of {items} items decodes to {} values",
                values.len() - before
            )));
        }
        seen += items;
    }
    if seen != items_total {
        return Err(corrupt(format!(
            "chunks hold {seen} items, the page {items_total}"
        )));
    }
    Ok(Decoded {
        values,
        rep: has_rep.then_some(rep_levels),
        def: has_def.then_some(def_levels),
    })
}

/// A full-zip page of `rows` rows. `visible_def` is the highest definition level that still
/// owns a value slot (higher ones stand for null or empty lists); `lists` says whether the
/// column has a list layer. With `whole` false the data buffer holds only some rows' items
/// (a ranged read), so the layout's item counts do not apply and every item in it is read.
pub(crate) fn full_zip(
    layout: &FullZipLayout,
    buffers: &[&[u8]],
    rows: usize,
    lists: bool,
    visible_def: u16,
    whole: bool,
) -> Result<Decoded> {
    if (layout.bits_rep != 0) != lists {
        return Err(corrupt(if lists {
            "a list column's full-zip page without repetition levels"
        } else {
            "a column without lists has repetition levels"
        }));
    }
    let (items, visible) = if whole {
        (layout.num_items as usize, layout.num_visible_items as usize)
    } else if lists {
        (usize::MAX, usize::MAX)
    } else {
        (rows, rows)
    };
    if !lists && (items != rows || visible != rows) {
        return Err(corrupt(format!(
            "a full-zip page of {rows} rows has {} items",
            layout.num_items
        )));
    }
    let zipped = *buffers
        .first()
        .ok_or_else(|| corrupt("a full-zip page without its data buffer"))?;
    let control_bits = layout.bits_rep as u64 + layout.bits_def as u64;
    let control_bytes = match control_bits {
        0 => 0,
        1..=8 => 1,
        9..=16 => 2,
        17..=32 => 4,
        other => return Err(corrupt(format!("{other}-bit control words"))),
    };
    let def_mask = (1u64 << layout.bits_def) - 1;
    let encoding = layout
        .value_compression
        .as_ref()
        .and_then(|e| e.compression.as_ref())
        .ok_or_else(|| corrupt("a full-zip page without a value encoding"))?;
    // Levels are pushed as control words are read; the capacity is bounded by the bytes.
    let mut rep = (layout.bits_rep > 0).then(|| Vec::with_capacity(items.min(zipped.len())));
    let mut def = (layout.bits_def > 0).then(|| Vec::with_capacity(items.min(zipped.len())));
    let mut at = 0usize;
    // Reads one item's control word; returns its definition level.
    let mut control = |at: &mut usize| -> Result<u16> {
        if control_bytes == 0 {
            return Ok(0);
        }
        let word = read_uint(zipped, *at, control_bytes)?;
        *at += control_bytes;
        let level = (word & def_mask) as u16;
        if let Some(def) = def.as_mut() {
            def.push(level);
        }
        if let Some(rep) = rep.as_mut() {
            rep.push((word >> layout.bits_def) as u16);
        }
        Ok(level)
    };
    let values = match layout.details {
        Some(full_zip_layout::Details::BitsPerValue(bits)) => {
            if bits == 0 || !bits.is_multiple_of(8) {
                return Err(corrupt(format!("full-zip values of {bits} bits")));
            }
            let width = (bits / 8) as usize;
            let packed: std::borrow::Cow<'_, [u8]> = if control_bytes == 0 {
                // No levels: the values are stored back to back already.
                let bytes = items
                    .checked_mul(width)
                    .ok_or_else(|| corrupt("full-zip value count overflows"))?;
                std::borrow::Cow::Borrowed(slice(zipped, 0, bytes, "full-zip values")?)
            } else {
                let mut packed = Vec::with_capacity(visible.min(zipped.len() / width) * width);
                let mut item = 0;
                while item < items && (whole || at < zipped.len()) {
                    item += 1;
                    if control(&mut at)? <= visible_def {
                        packed.extend_from_slice(slice(zipped, at, width, "full-zip value")?);
                        at += width;
                    }
                }
                std::borrow::Cow::Owned(packed)
            };
            let count = packed.len() / width;
            if whole && count != visible {
                return Err(corrupt(format!(
                    "a full-zip page of {visible} visible items holds {count} values"
                )));
            }
            // Each value is encoded on its own; decode them as one buffer.
            let encoding = layout.value_compression.as_ref().expect("checked above");
            match encoding.compression.as_ref() {
                Some(Compression::Flat(_)) => decode(encoding, Input::Block(&packed), count)?,
                Some(Compression::FixedSizeList(list)) => {
                    fixed_size_lists(list, &packed, count, width)?
                }
                _ => return Err(corrupt("full-zip fixed-width values that are not flat")),
            }
        }
        Some(full_zip_layout::Details::BitsPerOffset(bits)) => {
            let length_bytes = match bits {
                32 => 4,
                64 => 8,
                other => return Err(corrupt(format!("{other}-bit full-zip lengths"))),
            };
            // Values are stored as they are, or FSST-compressed one by one.
            let symbols = match encoding {
                Compression::Variable(_) => None,
                Compression::Fsst(fsst) => Some(fsst.symbol_table.as_slice()),
                _ => {
                    return Err(corrupt(
                        "full-zip variable-width values that are neither plain nor FSST",
                    ));
                }
            };
            let mut offsets = Vec::with_capacity(visible.min(zipped.len()) + 1);
            offsets.push(0u64);
            let mut data = Vec::new();
            let mut item = 0;
            while item < items && (whole || at < zipped.len()) {
                item += 1;
                let level = control(&mut at)?;
                if level > visible_def {
                    continue;
                }
                if level == 0 {
                    let length = usize::try_from(read_uint(zipped, at, length_bytes)?)
                        .map_err(|_| corrupt("full-zip value length overflows"))?;
                    at += length_bytes;
                    data.extend_from_slice(slice(zipped, at, length, "full-zip value")?);
                    at += length;
                }
                offsets.push(data.len() as u64);
            }
            if whole && offsets.len() - 1 != visible {
                return Err(corrupt(format!(
                    "a full-zip page of {visible} visible items holds {} values",
                    offsets.len() - 1
                )));
            }
            match symbols {
                None => Values::Variable { offsets, data },
                Some(table) => super::fsst::fsst_decompress(table, &offsets, &data)?,
            }
        }
        None => return Err(corrupt("a full-zip page without a value width")),
    };
    Ok(Decoded { values, rep, def })
}

/// Fixed-size lists stored value by value: `[item validity bitmap][items]` each.
fn fixed_size_lists(
    list: &crate::proto21::FixedSizeList,
    packed: &[u8],
    rows: usize,
    width: usize,
) -> Result<Values> {
    let dim = list.items_per_value as usize;
    let inner = list
        .values
        .as_deref()
        .ok_or_else(|| corrupt("fixed-size lists without their items' encoding"))?;
    if !list.has_validity {
        let items = decode(inner, Input::Block(packed), rows * dim)?;
        return Ok(Values::Lists {
            dim,
            items: Box::new(items),
            item_validity: None,
        });
    }
    let bitmap = dim.div_ceil(8);
    if width <= bitmap {
        return Err(corrupt(
            "full-zip fixed-size lists too narrow for their validity",
        ));
    }
    let mut validity = arrow_buffer::BooleanBufferBuilder::new(rows * dim);
    let mut items = Vec::with_capacity(rows * (width - bitmap));
    for value in packed.chunks_exact(width) {
        validity.append_packed_range(0..dim, &value[..bitmap]);
        items.extend_from_slice(&value[bitmap..]);
    }
    let items = decode(inner, Input::Block(&items), rows * dim)?;
    Ok(Values::Lists {
        dim,
        items: Box::new(items),
        item_validity: Some(validity),
    })
}

/// A constant page of `rows` rows: all null, or one value repeated.
pub(crate) fn constant(
    layout: &ConstantLayout,
    buffers: &[&[u8]],
    rows: usize,
    lists: bool,
    visible_def: u16,
    shape: impl Fn() -> Values,
    scalar: impl Fn(&[u8], bool) -> Result<Values>,
) -> Result<Option<Decoded>> {
    // A page holds a value when it is inline or in a buffer of its own: then the buffers are
    // [value?, rep, def] and the levels raw u16. Without a value (all null) they are
    // [rep, def], raw in 2.1 and compressed with their counts in the layout in 2.2. An absent
    // kind of level is an empty buffer.
    let levels =
        |buffer: &[u8], encoding: &Option<crate::proto21::CompressiveEncoding>, stated: u64| {
            match encoding {
                Some(encoding) => {
                    let count = usize::try_from(stated)
                        .ok()
                        .filter(|n| *n <= MAX_NULL_VALUES_PER_DECODE)
                        .ok_or_else(|| corrupt(format!("{stated} levels in a constant page")))?;
                    decode_levels(encoding, buffer, count)
                }
                None => decode_levels(&flat16(), buffer, buffer.len() / 2),
            }
        };
    let (value_buffer, level_buffers) = match (layout.inline_value.is_some(), buffers) {
        (false, [value]) => (Some(*value), None),
        (false, [value, rep, def]) => (Some(*value), Some((*rep, *def))),
        (_, [rep, def]) => (None, Some((*rep, *def))),
        (true, []) | (false, []) => (None, None),
        _ => {
            return Err(corrupt(format!(
                "a constant page with {} buffers",
                buffers.len()
            )));
        }
    };
    let (rep, def) = match level_buffers {
        None => (None, None),
        Some((rep, def)) => {
            // Next to a value pylance writes raw levels and no compression fields; any field
            // that is set says how its levels are stored.
            let (rep_compression, def_compression) =
                (&layout.rep_compression, &layout.def_compression);
            let rep = (!rep.is_empty())
                .then(|| levels(rep, rep_compression, layout.num_rep_values))
                .transpose()?;
            let def = (!def.is_empty())
                .then(|| levels(def, def_compression, layout.num_def_values))
                .transpose()?;
            (rep, def)
        }
    };
    if rep.is_some() && !lists {
        return Err(corrupt(
            "a constant page of a column without lists has repetition levels",
        ));
    }
    if lists && rep.is_none() && (def.is_some() || layout.inline_value.is_some()) {
        return Err(corrupt(
            "a constant page of a list column without repetition levels",
        ));
    }
    let items = rep.as_ref().map_or(rows, Vec::len);
    let visible = match &def {
        Some(def) => def.iter().filter(|d| **d <= visible_def).count(),
        None => items,
    };
    let value = match (&layout.inline_value, value_buffer) {
        (Some(value), _) => Some(scalar(value, true)?),
        (None, Some(buffer)) => Some(scalar(buffer, false)?),
        (None, None) => None,
    };
    let values = match value {
        Some(value) => value.repeat(visible)?,
        // No value, no levels: every row is null.
        None if rep.is_none() && def.is_none() => return Ok(None),
        // No value but levels: every visible item is a null value.
        None => super::values::zeroed(shape(), visible)?,
    };
    Ok(Some(Decoded { values, rep, def }))
}

fn flat16() -> crate::proto21::CompressiveEncoding {
    crate::proto21::CompressiveEncoding {
        compression: Some(Compression::Flat(crate::proto21::Flat {
            bits_per_value: 16,
            data: None,
        })),
    }
}

/// A constant stored in a buffer: `[u32 buffer count][u32 size per buffer][buffers]`, the
/// buffers of a one-value array: the value's bytes (fixed width), or the offsets `[0, len]`
/// and the bytes.
pub(crate) fn scalar_from_buffers(buffer: &[u8]) -> Result<Values> {
    let count = read_uint(buffer, 0, 4)? as usize;
    if count == 1 {
        // A fixed-width value: its bytes are the one buffer.
        let size = read_uint(buffer, 4, 4)? as usize;
        let value = slice(buffer, 8, size, "constant value")?;
        if value.is_empty() {
            return Err(corrupt("an empty constant value"));
        }
        return Ok(Values::Fixed {
            width: size,
            data: value.to_vec(),
        });
    }
    if count != 2 {
        return Err(corrupt(format!("a constant value of {count} buffers")));
    }
    let offsets_size = read_uint(buffer, 4, 4)? as usize;
    let bytes_size = read_uint(buffer, 8, 4)? as usize;
    let offsets = slice(buffer, 12, offsets_size, "constant value offsets")?;
    let bytes = slice(buffer, 12 + offsets_size, bytes_size, "constant value")?;
    let width = match offsets_size {
        8 => 4,
        16 => 8,
        other => return Err(corrupt(format!("constant value offsets of {other} bytes"))),
    };
    let (start, end) = (
        read_uint(offsets, 0, width)?,
        read_uint(offsets, width, width)?,
    );
    let value = slice(
        bytes,
        start as usize,
        end.saturating_sub(start) as usize,
        "constant value",
    )?;
    Ok(Values::Variable {
        offsets: vec![0, value.len() as u64],
        data: value.to_vec(),
    })
}
