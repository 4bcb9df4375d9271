//! Decoded value slots of a 2.1/2.2 page, before they become an Arrow array.

use std::sync::Arc;

use arrow_array::types::{
    ArrowDictionaryKeyType, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, FixedSizeListArray, NullArray, make_array, new_null_array,
};
use arrow_array::{DictionaryArray, PrimitiveArray};
use arrow_buffer::{BooleanBufferBuilder, Buffer, NullBuffer};
use arrow_data::ArrayDataBuilder;
use arrow_schema::DataType;

use crate::error::{Error, Result, corrupt};

/// Value slots in the order they were decoded.
#[derive(Debug)]
pub(crate) enum Values {
    /// Little-endian values of `width` bytes each.
    Fixed { width: usize, data: Vec<u8> },
    /// One bit per value, LSB first.
    Bits(BooleanBufferBuilder),
    /// Variable-width values: `offsets` (starting at 0, one more than values) into `data`.
    Variable { offsets: Vec<u64>, data: Vec<u8> },
    /// Fixed-size lists of `dim` items, with an optional validity bit per item.
    Lists {
        dim: usize,
        items: Box<Values>,
        item_validity: Option<BooleanBufferBuilder>,
    },
}

impl Values {
    /// Number of value slots.
    pub(crate) fn len(&self) -> usize {
        match self {
            Values::Fixed { width, data } => data.len() / (*width).max(1),
            Values::Bits(bits) => bits.len(),
            Values::Variable { offsets, .. } => offsets.len().saturating_sub(1),
            Values::Lists { dim, items, .. } => items.len() / (*dim).max(1),
        }
    }

    /// Reserves room for `values` more value slots and `bytes` more bytes of values (the
    /// caller bounds both by what the page's bytes can hold).
    pub(crate) fn reserve(&mut self, values: usize, bytes: usize) {
        match self {
            Values::Fixed { width, data } => data.reserve(values.saturating_mul(*width).min(bytes)),
            Values::Variable { offsets, data } => {
                offsets.reserve(values);
                data.reserve(bytes);
            }
            _ => {}
        }
    }

    /// Picks values by index (dictionary decoding) onto the end of `out`.
    pub(crate) fn take_into(&self, indices: &[u64], out: &mut Values) -> Result<()> {
        let len = self.len() as u64;
        if let Some(bad) = indices.iter().find(|i| **i >= len) {
            return Err(corrupt(format!(
                "dictionary index {bad} is past the dictionary's {len} items"
            )));
        }
        match (self, &mut *out) {
            (
                Values::Fixed { width, data },
                Values::Fixed {
                    width: w,
                    data: into,
                },
            ) if width == w => {
                for &i in indices {
                    let at = i as usize * width;
                    into.extend_from_slice(&data[at..at + width]);
                }
                Ok(())
            }
            (
                Values::Variable { offsets, data },
                Values::Variable {
                    offsets: into_offsets,
                    data: into,
                },
            ) => {
                for &i in indices {
                    let (start, end) = (
                        offsets[i as usize] as usize,
                        offsets[i as usize + 1] as usize,
                    );
                    into.extend_from_slice(&data[start..end]);
                    into_offsets.push(into.len() as u64);
                }
                Ok(())
            }
            (Values::Bits(bits), Values::Bits(into)) => {
                for &i in indices {
                    into.append(bits.get_bit(i as usize));
                }
                Ok(())
            }
            (Values::Lists { .. }, _) => Err(corrupt("a dictionary of fixed-size lists")),
            _ => Err(corrupt("a dictionary of other values than its page's")),
        }
    }

    /// Appends `other` (decoded from a later chunk of the same page).
    pub(crate) fn append(&mut self, other: Values) -> Result<()> {
        match (self, other) {
            (
                Values::Fixed { width, data },
                Values::Fixed {
                    width: w,
                    data: more,
                },
            ) if *width == w => {
                data.extend_from_slice(&more);
            }
            (Values::Bits(bits), Values::Bits(mut more)) => {
                let more = more.finish();
                bits.append_buffer(&more);
            }
            (
                Values::Variable { offsets, data },
                Values::Variable {
                    offsets: more,
                    data: bytes,
                },
            ) => {
                let base = *offsets.last().unwrap_or(&0);
                let first = *more.first().unwrap_or(&0);
                offsets.extend(more.iter().skip(1).map(|o| base + (o - first)));
                data.extend_from_slice(&bytes);
            }
            (
                Values::Lists {
                    dim,
                    items,
                    item_validity,
                },
                Values::Lists {
                    dim: d,
                    items: more,
                    item_validity: more_validity,
                },
            ) if *dim == d => {
                let count = more.len();
                items.append(*more)?;
                match (item_validity, more_validity) {
                    (Some(bits), Some(more)) => bits.append_buffer(&more.finish_cloned()),
                    (Some(bits), None) => bits.append_n(count, true),
                    (validity @ None, Some(more)) => {
                        let before = items.len() - count;
                        let mut bits = BooleanBufferBuilder::new(items.len());
                        bits.append_n(before, true);
                        bits.append_buffer(&more.finish_cloned());
                        *validity = Some(bits);
                    }
                    (None, None) => {}
                }
            }
            _ => return Err(corrupt("the chunks of a page decode to different shapes")),
        }
        Ok(())
    }

    /// Drops the first `n` values (a ranged read's values of a row begun before it).
    pub(crate) fn skip(self, n: usize) -> Result<Values> {
        if n > self.len() {
            return Err(corrupt(format!("skipping {n} of {} values", self.len())));
        }
        Ok(match self {
            Values::Fixed { width, mut data } => {
                data.drain(..n * width);
                Values::Fixed { width, data }
            }
            Values::Bits(mut bits) => {
                let all = bits.finish();
                let mut rest = BooleanBufferBuilder::new(all.len() - n);
                rest.append_buffer(&all.slice(n, all.len() - n));
                Values::Bits(rest)
            }
            Values::Variable { offsets, mut data } => {
                let base = offsets[n];
                data.drain(..base as usize);
                Values::Variable {
                    offsets: offsets[n..].iter().map(|o| o - base).collect(),
                    data,
                }
            }
            Values::Lists {
                dim,
                items,
                item_validity,
            } => Values::Lists {
                dim,
                items: Box::new(items.skip(n * dim)?),
                item_validity: item_validity.map(|mut bits| {
                    let all = bits.finish();
                    let mut rest = BooleanBufferBuilder::new(all.len() - n * dim);
                    rest.append_buffer(&all.slice(n * dim, all.len() - n * dim));
                    rest
                }),
            },
        })
    }

    /// The same value repeated `count` times (a constant page), refusing more than
    /// [`MAX_DECODED_BYTES`] in all.
    pub(crate) fn repeat(&self, count: usize) -> Result<Values> {
        if self.len() != 1 {
            return Err(corrupt(format!(
                "a constant page's value decodes to {} values",
                self.len()
            )));
        }
        let total = |width: usize| {
            width
                .checked_mul(count)
                .filter(|bytes| *bytes <= MAX_DECODED_BYTES)
                .ok_or_else(|| {
                    corrupt(format!(
                        "a constant of {width} bytes repeated {count} times is too large to decode"
                    ))
                })
        };
        Ok(match self {
            Values::Fixed { width, data } => {
                total(*width)?;
                Values::Fixed {
                    width: *width,
                    data: data.repeat(count),
                }
            }
            Values::Variable { data, .. } => {
                total(data.len())?;
                let len = data.len() as u64;
                Values::Variable {
                    offsets: (0..=count as u64).map(|i| i * len).collect(),
                    data: data.repeat(count),
                }
            }
            Values::Bits(bits) => {
                let mut out = BooleanBufferBuilder::new(count);
                out.append_n(count, bits.get_bit(0));
                Values::Bits(out)
            }
            Values::Lists { .. } => return Err(corrupt("a constant of fixed-size lists")),
        })
    }
}

/// Most bytes of values one page decode may produce where the page's bytes do not back them
/// (constants, null slots).
pub(crate) const MAX_DECODED_BYTES: usize = 256 << 20;

/// `count` zeroed slots shaped like `shape` (the value slots of null items).
pub(crate) fn zeroed(shape: Values, count: usize) -> Result<Values> {
    Ok(match shape {
        Values::Fixed { width, .. } => Values::Fixed {
            width,
            data: vec![
                0;
                width
                    .checked_mul(count)
                    .filter(|bytes| *bytes <= MAX_DECODED_BYTES)
                    .ok_or_else(|| corrupt(format!("{count} null slots of {width} bytes")))?
            ],
        },
        Values::Bits(_) => {
            let mut bits = BooleanBufferBuilder::new(count);
            bits.append_n(count, false);
            Values::Bits(bits)
        }
        Values::Variable { .. } => Values::Variable {
            offsets: vec![0; count + 1],
            data: Vec::new(),
        },
        Values::Lists {
            dim,
            items,
            item_validity,
        } => Values::Lists {
            dim,
            items: Box::new(zeroed(
                *items,
                count
                    .checked_mul(dim)
                    .ok_or_else(|| corrupt("null slot count overflows"))?,
            )?),
            item_validity: item_validity.map(|_| {
                let mut bits = BooleanBufferBuilder::new(count * dim);
                bits.append_n(count * dim, false);
                bits
            }),
        },
    })
}

/// Checks that `offsets` are non-decreasing and end inside `data`.
pub(crate) fn check_offsets(offsets: &[u64], data_len: usize) -> Result<()> {
    if offsets.windows(2).any(|w| w[0] > w[1]) {
        return Err(corrupt("string offsets go backwards"));
    }
    if offsets.last().is_some_and(|last| *last > data_len as u64) {
        return Err(corrupt(format!(
            "string offsets point past the {data_len} bytes of data"
        )));
    }
    Ok(())
}

/// Builds the Arrow array of `data_type` from value slots and validity.
pub(crate) fn to_array(
    values: Values,
    validity: Option<NullBuffer>,
    data_type: &DataType,
) -> Result<ArrayRef> {
    let len = values.len();
    if let Some(nulls) = &validity
        && nulls.len() != len
    {
        return Err(corrupt(format!(
            "{} validity bits for {len} values",
            nulls.len()
        )));
    }
    let shape_error = |values: &Values| {
        corrupt(format!(
            "the page's values ({}) cannot be read as {data_type}",
            match values {
                Values::Fixed { width, .. } => format!("{width}-byte values"),
                Values::Bits(_) => "bits".to_string(),
                Values::Variable { .. } => "variable-width values".to_string(),
                Values::Lists { dim, .. } => format!("lists of {dim}"),
            }
        ))
    };
    let array: ArrayRef = match (data_type, values) {
        (DataType::Null, values) => Arc::new(NullArray::new(values.len())),
        (DataType::Boolean, Values::Bits(mut bits)) => {
            Arc::new(BooleanArray::new(bits.finish(), validity))
        }
        (DataType::Utf8 | DataType::Binary, Values::Variable { offsets, data }) => {
            let offsets: Vec<i32> = offsets
                .iter()
                .map(|o| i32::try_from(*o))
                .collect::<Result<_, _>>()
                .map_err(|_| corrupt(format!("{data_type} data over 2 GiB in one page")))?;
            build(
                data_type,
                len,
                vec![Buffer::from_vec(offsets), Buffer::from_vec(data)],
                validity,
            )?
        }
        (DataType::LargeUtf8 | DataType::LargeBinary, Values::Variable { offsets, data }) => {
            let offsets: Vec<i64> = offsets.iter().map(|o| *o as i64).collect();
            build(
                data_type,
                len,
                vec![Buffer::from_vec(offsets), Buffer::from_vec(data)],
                validity,
            )?
        }
        (
            DataType::FixedSizeList(item, dim),
            Values::Lists {
                dim: d,
                items,
                item_validity,
            },
        ) if *dim as usize == d => {
            let item_nulls = item_validity.map(|mut bits| NullBuffer::new(bits.finish()));
            let items = to_array(*items, item_nulls, item.data_type())?;
            Arc::new(FixedSizeListArray::try_new(
                item.clone(),
                *dim,
                items,
                validity,
            )?)
        }
        (DataType::Dictionary(key, value), values) => {
            let values = to_array(values, validity, value)?;
            dictionary_of(key, values)?
        }
        (data_type, Values::Fixed { width, data }) => {
            let expected = data_type.primitive_width().or(match data_type {
                DataType::FixedSizeBinary(w) => usize::try_from(*w).ok(),
                _ => None,
            });
            if expected != Some(width) {
                return Err(shape_error(&Values::Fixed { width, data }));
            }
            build(data_type, len, vec![Buffer::from_vec(data)], validity)?
        }
        (_, values) => return Err(shape_error(&values)),
    };
    Ok(array)
}

fn build(
    data_type: &DataType,
    len: usize,
    buffers: Vec<Buffer>,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef> {
    // Decoded bytes live in `Vec<u8>`s, which promise no alignment (an empty one none at
    // all): Arrow copies the rare misaligned buffer.
    let data = ArrayDataBuilder::new(data_type.clone())
        .len(len)
        .buffers(buffers)
        .nulls(nulls)
        .align_buffers(true)
        .build()?;
    Ok(make_array(data))
}

/// A dictionary array of `values` (the file stores the values unpacked): each distinct
/// value once, in order of first appearance.
fn dictionary_of(key: &DataType, values: ArrayRef) -> Result<ArrayRef> {
    fn keyed<K: ArrowDictionaryKeyType>(values: ArrayRef) -> Result<ArrayRef>
    where
        K::Native: TryFrom<usize>,
    {
        let (keys, firsts) = distinct(&values)?;
        let keys: Vec<K::Native> = keys
            .into_iter()
            .map(K::Native::try_from)
            .collect::<Result<_, _>>()
            .map_err(|_| {
                corrupt(format!(
                    "{} distinct values overflow the dictionary's {} keys",
                    firsts.len(),
                    K::DATA_TYPE
                ))
            })?;
        let dictionary = arrow_select::take::take(
            values.as_ref(),
            &arrow_array::UInt64Array::from(firsts),
            None,
        )?;
        let keys = PrimitiveArray::<K>::new(keys.into(), values.logical_nulls());
        Ok(Arc::new(DictionaryArray::<K>::try_new(keys, dictionary)?))
    }
    match key {
        DataType::Int8 => keyed::<Int8Type>(values),
        DataType::Int16 => keyed::<Int16Type>(values),
        DataType::Int32 => keyed::<Int32Type>(values),
        DataType::Int64 => keyed::<Int64Type>(values),
        DataType::UInt8 => keyed::<UInt8Type>(values),
        DataType::UInt16 => keyed::<UInt16Type>(values),
        DataType::UInt32 => keyed::<UInt32Type>(values),
        DataType::UInt64 => keyed::<UInt64Type>(values),
        other => Err(Error::Corrupt(format!("dictionary keys of type {other}"))),
    }
}

/// For each value the index of its distinct value (0 for nulls), and the position of each
/// distinct value's first appearance.
fn distinct(values: &ArrayRef) -> Result<(Vec<usize>, Vec<u64>)> {
    use std::collections::HashMap;
    let data = values.to_data();
    let bytes_of = |i: usize| -> &[u8] {
        let buffers = data.buffers();
        match data.data_type() {
            DataType::Utf8 | DataType::Binary => {
                let offsets = buffers[0].typed_data::<i32>();
                let (start, end) = (offsets[data.offset() + i], offsets[data.offset() + i + 1]);
                &buffers[1].as_slice()[start as usize..end as usize]
            }
            DataType::LargeUtf8 | DataType::LargeBinary => {
                let offsets = buffers[0].typed_data::<i64>();
                let (start, end) = (offsets[data.offset() + i], offsets[data.offset() + i + 1]);
                &buffers[1].as_slice()[start as usize..end as usize]
            }
            data_type => {
                let width = data_type.primitive_width().or(match data_type {
                    DataType::FixedSizeBinary(w) => Some(*w as usize),
                    _ => None,
                });
                let width = width.unwrap_or(0);
                let at = (data.offset() + i) * width;
                &buffers[0].as_slice()[at..at + width]
            }
        }
    };
    if !matches!(
        values.data_type(),
        DataType::Utf8
            | DataType::Binary
            | DataType::LargeUtf8
            | DataType::LargeBinary
            | DataType::FixedSizeBinary(_)
    ) && values.data_type().primitive_width().is_none()
    {
        return Err(corrupt(format!(
            "a dictionary of {} values",
            values.data_type()
        )));
    }
    let mut seen: HashMap<&[u8], usize> = HashMap::new();
    let mut keys = Vec::with_capacity(values.len());
    let mut firsts = Vec::new();
    for i in 0..values.len() {
        if values.is_null(i) {
            keys.push(0);
            continue;
        }
        let next = firsts.len();
        let key = *seen.entry(bytes_of(i)).or_insert_with(|| {
            firsts.push(i as u64);
            next
        });
        keys.push(key);
    }
    Ok((keys, firsts))
}

/// An all-null array of `len` rows.
pub(crate) fn all_null(data_type: &DataType, len: usize) -> ArrayRef {
    new_null_array(data_type, len)
}
