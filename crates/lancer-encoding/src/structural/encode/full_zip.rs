//! Full-zip pages, for wide values (256 bytes or more: embedding vectors, long strings):
//! every item is its control word (repetition and definition level) followed by its value,
//! so one value can be fetched alone through the repetition index of row start offsets.

use arrow_buffer::BooleanBuffer;

use super::super::bits::bit_width;
use super::compress::{encoding, flat, fsst, variable};
use super::slots::Slots;
use super::stripe::Striped;
use crate::page::PageBuffer;
use crate::proto21::compressive_encoding::Compression;
use crate::proto21::{FixedSizeList, FullZipLayout, full_zip_layout};

/// Writes a full-zip page of `striped`'s levels and `slots` (FSST-compressed strings when
/// `fsst_table` is given).
pub(crate) fn full_zip(
    striped: &Striped,
    slots: &Slots,
    fsst_table: Option<&[u8]>,
) -> (FullZipLayout, Vec<PageBuffer>) {
    let rep = striped.rep.as_deref();
    let def = striped.def.as_deref();
    let max = |levels: Option<&[u16]>| levels.and_then(|l| l.iter().copied().max()).unwrap_or(0);
    let (bits_rep, bits_def) = (bit_width(max(rep) as u64), bit_width(max(def) as u64));
    let control_bytes = match bits_rep + bits_def {
        0 => 0,
        1..=8 => 1,
        9..=16 => 2,
        _ => 4,
    };
    let items = rep.map_or(slots.len(), <[u16]>::len);
    let visible = |i: usize| def.is_none_or(|d| d[i] <= striped.max_visible_def);
    let (details, value_compression) = match slots {
        Slots::Variable { offsets, .. } => (
            full_zip_layout::Details::BitsPerOffset(offsets.bits()),
            match fsst_table {
                Some(table) => fsst(table, offsets.bits()),
                None => variable(offsets.bits()),
            },
        ),
        other => {
            let width = other.fixed_value_bytes().expect("fixed-width slots");
            (
                full_zip_layout::Details::BitsPerValue(8 * width as u32),
                fixed_encoding(other),
            )
        }
    };
    let layout = FullZipLayout {
        bits_rep,
        bits_def,
        details: Some(details),
        num_items: items as u32,
        num_visible_items: slots.len() as u32,
        value_compression: Some(encoding(value_compression)),
        layers: striped.layers.clone(),
    };
    // Values without levels, fixed width and no item validity are the Arrow buffer itself.
    if control_bytes == 0
        && let Slots::Fixed { data, .. } = slots
    {
        return (layout, vec![PageBuffer::from(data.clone())]);
    }
    if control_bytes == 0
        && let Slots::Lists {
            items: inner,
            validity: None,
            ..
        } = slots
        && let Slots::Fixed { data, .. } = inner.as_ref()
    {
        return (layout, vec![PageBuffer::from(data.clone())]);
    }
    let mut zipped = Vec::new();
    let mut row_starts: Vec<u64> = Vec::new();
    let mut slot = 0usize;
    for item in 0..items {
        let r = rep.map_or(0, |r| r[item]);
        if rep.is_none_or(|_| r == striped.max_rep) {
            row_starts.push(zipped.len() as u64);
        }
        let d = def.map_or(0, |d| d[item]);
        if control_bytes > 0 {
            let word = ((r as u32) << bits_def) | d as u32;
            zipped.extend_from_slice(&word.to_le_bytes()[..control_bytes]);
        }
        if !visible(item) {
            continue;
        }
        match slots {
            Slots::Variable { offsets, data } => {
                if d == 0 {
                    let (start, end) = (offsets.get(slot), offsets.get(slot + 1));
                    let length = (end - start) as u64;
                    zipped.extend_from_slice(&length.to_le_bytes()[..offsets.bits() as usize / 8]);
                    zipped.extend_from_slice(&data[start..end]);
                }
            }
            other => push_fixed(other, slot, &mut zipped),
        }
        slot += 1;
    }
    let mut buffers = vec![];
    // Variable-width values are found only through the index; fixed-width ones by
    // arithmetic, unless rows hold several items.
    let indexed = matches!(slots, Slots::Variable { .. }) || rep.is_some();
    let index = indexed.then(|| {
        row_starts.push(zipped.len() as u64);
        row_index(&row_starts)
    });
    buffers.push(PageBuffer::from(zipped));
    if let Some(index) = index {
        buffers.push(PageBuffer::from(index));
    }
    (layout, buffers)
}

/// The encoding of one fixed-width value (plain, or a fixed-size list of plain items).
fn fixed_encoding(slots: &Slots) -> Compression {
    match slots {
        Slots::Fixed { width, .. } => flat(8 * *width as u64),
        Slots::Bits(_) => flat(8),
        Slots::Lists {
            dim,
            items,
            validity,
            ..
        } => Compression::FixedSizeList(Box::new(FixedSizeList {
            items_per_value: *dim as u64,
            values: Some(Box::new(encoding(fixed_encoding(items)))),
            has_validity: validity.is_some(),
        })),
        Slots::Variable { .. } => flat(8),
    }
}

/// Appends the bytes of fixed-width value `i`: a fixed-size list's item validity first
/// (when it has one), then its items.
fn push_fixed(slots: &Slots, i: usize, out: &mut Vec<u8>) {
    match slots {
        Slots::Fixed { width, data, .. } => {
            out.extend_from_slice(&data[i * width..(i + 1) * width])
        }
        Slots::Bits(bits) => out.push(bits.value(i) as u8),
        Slots::Lists {
            dim,
            items,
            validity,
            ..
        } => {
            if let Some(validity) = validity {
                push_bits(validity, i * dim, *dim, out);
            }
            match items.as_ref() {
                Slots::Bits(bits) => push_bits(bits, i * dim, *dim, out),
                Slots::Fixed { width, data, .. } => {
                    out.extend_from_slice(&data[i * dim * width..(i + 1) * dim * width])
                }
                nested => {
                    for j in 0..*dim {
                        push_fixed(nested, i * dim + j, out);
                    }
                }
            }
        }
        Slots::Variable { .. } => {}
    }
}

fn push_bits(bits: &BooleanBuffer, start: usize, len: usize, out: &mut Vec<u8>) {
    let mut bytes = vec![0u8; len.div_ceil(8)];
    for j in 0..len {
        if bits.value(start + j) {
            bytes[j / 8] |= 1 << (j % 8);
        }
    }
    out.extend_from_slice(&bytes);
}

/// Row start offsets as the narrowest unsigned integers that hold the largest.
fn row_index(starts: &[u64]) -> Vec<u8> {
    let last = starts.last().copied().unwrap_or(0);
    let width = match last {
        0..=0xFF => 1,
        0x100..=0xFFFF => 2,
        0x1_0000..=0xFFFF_FFFF => 4,
        _ => 8,
    };
    let mut out = Vec::with_capacity(width * starts.len());
    for start in starts {
        out.extend_from_slice(&start.to_le_bytes()[..width]);
    }
    out
}
