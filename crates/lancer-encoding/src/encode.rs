//! Arrow arrays to v2.0 pages.
//!
//! The encoder writes the subset of 2.0 encodings pylance itself writes by default: `Flat`
//! values inside a `Nullable` wrapper, `Binary` for strings, `FixedSizeList` for vectors,
//! `Dictionary` for Arrow dictionary arrays, `List` offsets and `SimpleStruct` headers.
//! Fixed-width value buffers are passed through as slices of the Arrow buffers, so they
//! reach the file without an intermediate copy.

use arrow_array::types::{
    Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, PrimitiveArray, make_array, new_null_array,
};
use arrow_buffer::{BooleanBufferBuilder, Buffer};
use arrow_data::ArrayData;
use arrow_schema::DataType;

use crate::columns::fixed_width_bytes;
use crate::error::{Error, Result};
use crate::page::{BufferSet, EncodedPage, PageBuffer};
use crate::proto::{self, ArrayEncoding, array_encoding::Kind};

/// Encodes arrays of a [`ColumnKind::Values`](crate::ColumnKind::Values) column into one page.
///
/// All arrays must have type `data_type`. Their values are laid out back to back, in order.
pub fn encode_values(data_type: &DataType, arrays: &[ArrayRef]) -> Result<EncodedPage> {
    for array in arrays {
        if array.data_type() != data_type {
            return Err(Error::InvalidData {
                column: String::new(),
                message: format!(
                    "page of type {data_type} was given an array of type {}",
                    array.data_type()
                ),
            });
        }
    }
    let parts: Vec<ArrayData> = arrays.iter().map(|a| a.to_data()).collect();
    let num_values = parts.iter().map(ArrayData::len).sum::<usize>() as u64;
    let mut buffers = BufferSet::default();
    let encoding = encode_nullable(data_type, &parts, &mut buffers)?;
    Ok(EncodedPage {
        num_values,
        buffers: buffers.into_inner(),
        encoding,
    })
}

/// Encodes the offsets and validity of list (or large list) arrays into the page of a
/// [`ColumnKind::ListOffsets`](crate::ColumnKind::ListOffsets) column. Items are not touched.
pub fn encode_list_offsets(arrays: &[ArrayRef]) -> Result<EncodedPage> {
    let parts: Vec<ArrayData> = arrays.iter().map(|a| a.to_data()).collect();
    let num_values: usize = parts.iter().map(ArrayData::len).sum();
    let spans: Vec<(Vec<u64>, Option<arrow_buffer::NullBuffer>)> = parts
        .iter()
        .map(|part| Ok((list_ends(part)?, part.nulls().cloned())))
        .collect::<Result<_>>()?;
    let num_items: u64 = spans
        .iter()
        .map(|(ends, _)| ends.last().copied().unwrap_or(0))
        .sum();
    let adjustment = num_items + 1;
    let mut stored = Vec::with_capacity(num_values);
    let mut base = 0u64;
    for (ends, nulls) in &spans {
        for (k, end) in ends.iter().enumerate() {
            let null = nulls.as_ref().is_some_and(|n| n.is_null(k));
            stored.push(base + end + if null { adjustment } else { 0 });
        }
        base += ends.last().copied().unwrap_or(0);
    }
    let mut buffers = BufferSet::default();
    let index = buffers.push(Buffer::from_vec(stored).into());
    let encoding = ArrayEncoding::new(Kind::List(Box::new(proto::List {
        offsets: Some(Box::new(ArrayEncoding::no_nulls(ArrayEncoding::flat(
            64, index,
        )))),
        null_offset_adjustment: adjustment,
        num_items,
    })));
    Ok(EncodedPage {
        num_values: num_values as u64,
        buffers: buffers.into_inner(),
        encoding,
    })
}

/// The page of a [`ColumnKind::StructHeader`](crate::ColumnKind::StructHeader) column.
pub fn encode_struct_header(num_values: u64) -> EncodedPage {
    EncodedPage {
        num_values,
        buffers: Vec::new(),
        encoding: ArrayEncoding::new(Kind::Struct(proto::SimpleStruct {})),
    }
}

/// Cumulative item counts of a list array's values, relative to its first item, no leading 0.
fn list_ends(part: &ArrayData) -> Result<Vec<u64>> {
    let len = part.len();
    let offsets: Vec<i64> = match part.data_type() {
        DataType::List(_) => part.buffer::<i32>(0)[part.offset()..part.offset() + len + 1]
            .iter()
            .map(|&o| o as i64)
            .collect(),
        DataType::LargeList(_) => {
            part.buffer::<i64>(0)[part.offset()..part.offset() + len + 1].to_vec()
        }
        other => {
            return Err(Error::InvalidData {
                column: String::new(),
                message: format!("list offsets page given an array of type {other}"),
            });
        }
    };
    let first = offsets[0];
    Ok(offsets[1..].iter().map(|&o| (o - first) as u64).collect())
}

fn encode_nullable(
    data_type: &DataType,
    parts: &[ArrayData],
    buffers: &mut BufferSet,
) -> Result<ArrayEncoding> {
    match data_type {
        DataType::Utf8 | DataType::Binary => return Ok(encode_binary::<i32>(parts, buffers)),
        DataType::LargeUtf8 | DataType::LargeBinary => {
            return Ok(encode_binary::<i64>(parts, buffers));
        }
        DataType::Dictionary(key, value) => return encode_dictionary(key, value, parts, buffers),
        DataType::Null => return Ok(ArrayEncoding::all_nulls()),
        _ => {}
    }
    let len: usize = parts.iter().map(ArrayData::len).sum();
    let nulls: usize = parts.iter().map(ArrayData::null_count).sum();
    if nulls == len {
        return Ok(ArrayEncoding::all_nulls());
    }
    if nulls == 0 {
        return Ok(ArrayEncoding::no_nulls(encode_plain(
            data_type, parts, buffers,
        )?));
    }
    let validity = buffers.push(validity_bitmap(parts));
    let values = encode_plain(data_type, parts, buffers)?;
    Ok(ArrayEncoding::some_nulls(
        ArrayEncoding::flat(1, validity),
        values,
    ))
}

fn encode_plain(
    data_type: &DataType,
    parts: &[ArrayData],
    buffers: &mut BufferSet,
) -> Result<ArrayEncoding> {
    if let Some(width) = fixed_width_bytes(data_type) {
        let mut values = PageBuffer::new();
        for part in parts {
            values.push_arrow(
                part.buffers()[0].slice_with_length(part.offset() * width, part.len() * width),
            );
        }
        let index = buffers.push(values);
        return Ok(ArrayEncoding::flat(8 * width as u64, index));
    }
    match data_type {
        DataType::Boolean => {
            let total = parts.iter().map(ArrayData::len).sum();
            let mut bits = BooleanBufferBuilder::new(total);
            for part in parts {
                let values = arrow_buffer::BooleanBuffer::new(
                    part.buffers()[0].clone(),
                    part.offset(),
                    part.len(),
                );
                bits.append_buffer(&values);
            }
            let index = buffers.push(bits.finish().into_inner().into());
            Ok(ArrayEncoding::flat(1, index))
        }
        DataType::FixedSizeList(item, dimension) => {
            let n = *dimension as usize;
            let children: Vec<ArrayData> = parts
                .iter()
                .map(|part| part.child_data()[0].slice(part.offset() * n, part.len() * n))
                .collect();
            let items = encode_nullable(item.data_type(), &children, buffers)?;
            Ok(ArrayEncoding::new(Kind::FixedSizeList(Box::new(
                proto::FixedSizeList {
                    dimension: *dimension as u32,
                    items: Some(Box::new(items)),
                    has_validity: false,
                },
            ))))
        }
        other => Err(Error::UnsupportedType {
            column: String::new(),
            data_type: other.clone(),
            reason: "not a value type of the 2.0 format".to_string(),
        }),
    }
}

/// One bit per value, 1 = valid, LSB first, trailing bits zero.
fn validity_bitmap(parts: &[ArrayData]) -> PageBuffer {
    let total = parts.iter().map(ArrayData::len).sum();
    let mut bits = BooleanBufferBuilder::new(total);
    for part in parts {
        match part.nulls() {
            Some(nulls) => bits.append_buffer(nulls.inner()),
            None => bits.append_n(part.len(), true),
        }
    }
    bits.finish().into_inner().into()
}

/// `Binary{indices: N(Flat(64)), bytes: Flat(8), null_adjustment}`: end offsets relative to
/// the page (no leading zero), with `total + 1` added to the end offset of every null value.
fn encode_binary<O: arrow_array::OffsetSizeTrait>(
    parts: &[ArrayData],
    buffers: &mut BufferSet,
) -> ArrayEncoding {
    let total_len: usize = parts.iter().map(ArrayData::len).sum();
    let spans: Vec<(usize, usize)> = parts
        .iter()
        .map(|part| {
            let offsets = &part.buffer::<O>(0)[part.offset()..part.offset() + part.len() + 1];
            (offsets[0].as_usize(), offsets[part.len()].as_usize())
        })
        .collect();
    let total_bytes: u64 = spans.iter().map(|(a, b)| (b - a) as u64).sum();
    let adjustment = total_bytes + 1;
    let mut ends = Vec::with_capacity(total_len);
    let mut bytes = PageBuffer::new();
    let mut base = 0u64;
    for (part, &(first, last)) in parts.iter().zip(&spans) {
        let offsets = &part.buffer::<O>(0)[part.offset()..part.offset() + part.len() + 1];
        let nulls = part.nulls();
        for (k, end) in offsets[1..].iter().enumerate() {
            let end = base + (end.as_usize() - first) as u64;
            let null = nulls.is_some_and(|n| n.is_null(k));
            ends.push(if null { end + adjustment } else { end });
        }
        if last > first {
            bytes.push_arrow(part.buffers()[1].slice_with_length(first, last - first));
        }
        base += (last - first) as u64;
    }
    let indices = buffers.push(Buffer::from_vec(ends).into());
    let bytes = buffers.push(bytes);
    ArrayEncoding::new(Kind::Binary(Box::new(proto::Binary {
        indices: Some(Box::new(ArrayEncoding::no_nulls(ArrayEncoding::flat(
            64, indices,
        )))),
        bytes: Some(Box::new(ArrayEncoding::flat(8, bytes))),
        null_adjustment: adjustment,
    })))
}

/// Arrow dictionary arrays keep their keys (0-based, at the key width); null keys point at an
/// extra null item appended to the dictionary, as pylance does.
fn encode_dictionary(
    key: &DataType,
    value: &DataType,
    parts: &[ArrayData],
    buffers: &mut BufferSet,
) -> Result<ArrayEncoding> {
    let merged = merge_dictionaries(key, value, parts)?;
    let dictionary_values = make_array(merged.child_data()[0].clone());
    let keys_data = merged
        .clone()
        .into_builder()
        .data_type(key.clone())
        .child_data(vec![])
        .build()?;
    let (keys_data, items) = if keys_data.null_count() > 0 {
        let null_index = dictionary_values.len();
        let items = arrow_select::concat::concat(&[
            dictionary_values.as_ref(),
            new_null_array(value, 1).as_ref(),
        ])?;
        (fill_null_keys(&keys_data, null_index)?, items)
    } else {
        (keys_data, dictionary_values)
    };
    let width = fixed_width_bytes(key).ok_or_else(|| Error::UnsupportedType {
        column: String::new(),
        data_type: key.clone(),
        reason: "dictionary keys must be integers".to_string(),
    })?;
    let mut keys = PageBuffer::new();
    keys.push_arrow(
        keys_data.buffers()[0]
            .slice_with_length(keys_data.offset() * width, keys_data.len() * width),
    );
    let indices = buffers.push(keys);
    let items_encoding = encode_nullable(value, &[items.to_data()], buffers)?;
    Ok(ArrayEncoding::new(Kind::Dictionary(Box::new(
        proto::Dictionary {
            indices: Some(Box::new(ArrayEncoding::no_nulls(ArrayEncoding::flat(
                8 * width as u64,
                indices,
            )))),
            items: Some(Box::new(items_encoding)),
            num_dictionary_items: items.len() as u32,
        },
    ))))
}

/// One dictionary array covering all parts (parts sharing a dictionary are concatenated
/// directly; otherwise Arrow merges the dictionaries).
fn merge_dictionaries(key: &DataType, value: &DataType, parts: &[ArrayData]) -> Result<ArrayData> {
    match parts {
        // A page with no rows, e.g. the items of a list column whose lists were all null or
        // empty: an empty dictionary, written as such.
        [] => Ok(arrow_array::new_empty_array(&DataType::Dictionary(
            Box::new(key.clone()),
            Box::new(value.clone()),
        ))
        .to_data()),
        [one] => Ok(one.clone()),
        many => {
            let arrays: Vec<ArrayRef> = many.iter().map(|p| make_array(p.clone())).collect();
            let refs: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
            Ok(arrow_select::concat::concat(&refs)?.to_data())
        }
    }
}

fn fill_null_keys(keys: &ArrayData, null_index: usize) -> Result<ArrayData> {
    fn fill<K: ArrowPrimitiveType>(keys: &ArrayData, null_index: usize) -> Result<ArrayData>
    where
        K::Native: TryFrom<usize>,
    {
        let replacement = K::Native::try_from(null_index).map_err(|_| Error::InvalidData {
            column: String::new(),
            message: format!(
                "dictionary of {null_index} values plus a null item overflows its {} keys",
                K::DATA_TYPE
            ),
        })?;
        let keys = PrimitiveArray::<K>::from(keys.clone());
        let filled: PrimitiveArray<K> = keys
            .iter()
            .map(|k| Some(k.unwrap_or(replacement)))
            .collect();
        Ok(filled.into_data())
    }
    match keys.data_type() {
        DataType::Int8 => fill::<Int8Type>(keys, null_index),
        DataType::Int16 => fill::<Int16Type>(keys, null_index),
        DataType::Int32 => fill::<Int32Type>(keys, null_index),
        DataType::Int64 => fill::<Int64Type>(keys, null_index),
        DataType::UInt8 => fill::<UInt8Type>(keys, null_index),
        DataType::UInt16 => fill::<UInt16Type>(keys, null_index),
        DataType::UInt32 => fill::<UInt32Type>(keys, null_index),
        DataType::UInt64 => fill::<UInt64Type>(keys, null_index),
        other => Err(Error::UnsupportedType {
            column: String::new(),
            data_type: other.clone(),
            reason: "dictionary keys must be integers".to_string(),
        }),
    }
}
