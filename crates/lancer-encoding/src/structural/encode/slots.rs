//! A page's value slots in the form the encoders read them (sharing the Arrow buffers), and
//! the constant a page's valid slots may all hold.

use arrow_array::{Array, ArrayRef, cast::AsArray};
use arrow_buffer::{BooleanBuffer, Buffer, ScalarBuffer};
use arrow_schema::DataType;

use crate::error::{Error, Result};

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
                let (offsets, data) = variable_parts::<i32>(array);
                Slots::Variable {
                    offsets: Offsets::Small(offsets),
                    data,
                }
            }
            DataType::LargeUtf8 | DataType::LargeBinary => {
                let (offsets, data) = variable_parts::<i64>(array);
                Slots::Variable {
                    offsets: Offsets::Large(offsets),
                    data,
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

/// The offsets (one more than the values, from the array's own offset) and the bytes of a
/// variable-width array, shared rather than copied.
fn variable_parts<O: arrow_buffer::ArrowNativeType>(array: &ArrayRef) -> (ScalarBuffer<O>, Buffer) {
    let data = array.to_data();
    let offsets = ScalarBuffer::<O>::new(data.buffers()[0].clone(), data.offset(), data.len() + 1);
    (offsets, data.buffers()[1].clone())
}

fn unsupported(data_type: &DataType) -> Error {
    Error::UnsupportedType {
        column: String::new(),
        data_type: data_type.clone(),
        reason: "lancer does not write this type into 2.1/2.2 files".to_string(),
    }
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
