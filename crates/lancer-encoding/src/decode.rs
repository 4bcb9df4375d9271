//! v2.0 pages back to Arrow arrays.
//!
//! Every decoder takes the page's buffers, the number of values the page holds and the range
//! of values wanted, so a reader can decode a page batch by batch. Buffers are hostile input:
//! every length is checked against the bytes actually present before anything is allocated,
//! and decoded data goes through Arrow's full validation (offsets, UTF-8, dictionary keys).

use std::ops::Range;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, StructArray, UInt64Array, make_array, new_null_array};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, ScalarBuffer};
use arrow_data::{ArrayData, ArrayDataBuilder};
use arrow_schema::{DataType, FieldRef, Fields};
use bytes::Bytes;

use crate::columns::fixed_width_bytes;
use crate::error::{Error, Result, corrupt};
use crate::proto::{self, ArrayEncoding, array_encoding::Kind, nullable::Nullability};

/// Most values an all-null page may produce in one decode call. An all-null page has no
/// buffers, so its length is the only thing backing the allocation; this keeps a corrupt
/// length from allocating without bound. Readers decode in batches far below it.
pub const MAX_NULL_VALUES_PER_DECODE: usize = 1 << 26;

/// One page's raw material: its encoding, its buffers (in index order) and its value count.
#[derive(Clone, Copy, Debug)]
pub struct PageSource<'a> {
    /// The page encoding tree.
    pub encoding: &'a ArrayEncoding,
    /// The page's buffers, indexed by `Buffer.buffer_index`.
    pub buffers: &'a [Bytes],
    /// Number of values in the page.
    pub num_values: u64,
}

impl PageSource<'_> {
    fn check_range(&self, range: &Range<usize>) -> Result<()> {
        if range.start > range.end || range.end as u64 > self.num_values {
            return Err(corrupt(format!(
                "requested values {}..{} of a page holding {}",
                range.start, range.end, self.num_values
            )));
        }
        Ok(())
    }
}

/// Decodes values `range` of a page of a [`Values`](crate::ColumnKind::Values) column as
/// `data_type`.
pub fn decode_values(
    page: PageSource<'_>,
    range: Range<usize>,
    data_type: &DataType,
) -> Result<ArrayRef> {
    page.check_range(&range)?;
    let n = usize::try_from(page.num_values).map_err(|_| corrupt("page length overflows usize"))?;
    let data = decode(page.encoding, page.buffers, n, range, data_type)?;
    Ok(make_array(data))
}

/// For a page of plain fixed-width values (flat, uncompressed, whole bytes per value,
/// possibly marked as having no nulls), the page buffer and the bytes in it that hold
/// values `range`: a reader may fetch only those, and decode them as a page of
/// `range.len()` values with that buffer alone (the others empty). None for any other
/// encoding.
///
/// ```
/// use lancer_encoding::{flat_value_bytes, proto};
/// use proto::array_encoding::Kind;
/// let flat = proto::ArrayEncoding::new(Kind::Flat(proto::Flat {
///     bits_per_value: 64,
///     buffer: Some(proto::Buffer { buffer_index: 0, buffer_type: 0 }),
///     compression: None,
/// }));
/// assert_eq!(flat_value_bytes(&flat, 10..12), Some((0, 80..96)));
/// ```
pub fn flat_value_bytes(
    encoding: &ArrayEncoding,
    range: Range<usize>,
) -> Option<(usize, Range<u64>)> {
    match encoding.kind.as_ref()? {
        Kind::Nullable(nullable) => match nullable.nullability.as_ref()? {
            Nullability::NoNulls(inner) => flat_value_bytes(inner.values.as_deref()?, range),
            _ => None,
        },
        Kind::Flat(flat) => {
            let buffer = flat.buffer?;
            let bits = flat.bits_per_value;
            if flat.compression.is_some()
                || buffer.buffer_type != proto::BufferType::Page as i32
                || bits == 0
                || !bits.is_multiple_of(8)
                || range.start > range.end
            {
                return None;
            }
            let width = bits / 8;
            let start = (range.start as u64).checked_mul(width)?;
            let end = (range.end as u64).checked_mul(width)?;
            Some((buffer.buffer_index as usize, start..end))
        }
        _ => None,
    }
}

/// Offsets and validity of a range of lists, decoded from a list offsets page.
#[derive(Clone, Debug, PartialEq)]
pub struct ListSlice {
    /// `range.len() + 1` item positions relative to the page's first item: list `k` of the
    /// range spans items `offsets[k]..offsets[k + 1]`.
    pub offsets: Vec<u64>,
    /// Which lists are valid (`None` when all are).
    pub validity: Option<NullBuffer>,
}

/// Number of items a list offsets page refers to (from its encoding alone, no buffers needed).
pub fn list_page_items(encoding: &ArrayEncoding) -> Result<u64> {
    match &encoding.kind {
        Some(Kind::List(list)) => Ok(list.num_items),
        other => Err(corrupt(format!(
            "list offsets column has a page encoded as {}",
            kind_name(other)
        ))),
    }
}

/// Decodes lists `range` of a [`ListOffsets`](crate::ColumnKind::ListOffsets) page.
pub fn decode_list_offsets(page: PageSource<'_>, range: Range<usize>) -> Result<ListSlice> {
    page.check_range(&range)?;
    let Some(Kind::List(list)) = &page.encoding.kind else {
        return Err(corrupt(format!(
            "list offsets column has a page encoded as {}",
            kind_name(&page.encoding.kind)
        )));
    };
    let n = page.num_values as usize;
    let offsets_encoding = required(&list.offsets, "List.offsets")?;
    let adjustment = list.null_offset_adjustment;
    if adjustment == 0 || adjustment <= list.num_items {
        return Err(corrupt(format!(
            "list page null adjustment {adjustment} must exceed its {} items",
            list.num_items
        )));
    }
    let (first, stored) = stored_ends(offsets_encoding, page.buffers, n, &range)?;
    let (offsets, validity) = resolve_ends(first, &stored, adjustment, list.num_items, "list")?;
    Ok(ListSlice { offsets, validity })
}

/// Builds a list (or large list) array from decoded offsets and its items.
pub fn assemble_list(data_type: &DataType, slice: ListSlice, items: ArrayRef) -> Result<ArrayRef> {
    let large = match data_type {
        DataType::List(_) => false,
        DataType::LargeList(_) => true,
        other => return Err(corrupt(format!("cannot assemble a list of type {other}"))),
    };
    let len = slice.offsets.len().saturating_sub(1);
    let data = ArrayDataBuilder::new(data_type.clone())
        .len(len)
        .add_buffer(arrow_offsets(&slice.offsets, large, "list items")?)
        .nulls(slice.validity)
        .add_child_data(items.to_data())
        .build()?;
    Ok(make_array(data))
}

/// Arrow offsets (i32, or i64 when `large`) relative to the first position.
fn arrow_offsets(positions: &[u64], large: bool, what: &str) -> Result<Buffer> {
    let base = positions.first().copied().unwrap_or(0);
    let relative = positions.iter().map(|p| p - base);
    if large {
        let offsets = relative
            .map(|o| {
                i64::try_from(o).map_err(|_| corrupt(format!("{what} overflow 64-bit offsets")))
            })
            .collect::<Result<Vec<i64>>>()?;
        Ok(Buffer::from_vec(offsets))
    } else {
        let offsets = relative
            .map(|o| {
                i32::try_from(o).map_err(|_| corrupt(format!("{what} overflow 32-bit offsets")))
            })
            .collect::<Result<Vec<i32>>>()?;
        Ok(Buffer::from_vec(offsets))
    }
}

/// Builds a struct array (without validity: 2.0 files do not store struct nulls).
pub fn assemble_struct(fields: &Fields, children: Vec<ArrayRef>, len: usize) -> Result<ArrayRef> {
    Ok(Arc::new(StructArray::try_new_with_length(
        fields.clone(),
        children,
        None,
        len,
    )?))
}

fn kind_name(kind: &Option<Kind>) -> &'static str {
    kind.as_ref().map_or("nothing", Kind::name)
}

fn required<'a>(encoding: &'a Option<Box<ArrayEncoding>>, what: &str) -> Result<&'a ArrayEncoding> {
    encoding
        .as_deref()
        .ok_or_else(|| corrupt(format!("{what} is missing")))
}

fn page_buffer<'a>(buffers: &'a [Bytes], buffer: &Option<proto::Buffer>) -> Result<&'a Bytes> {
    let buffer = buffer.ok_or_else(|| corrupt("Flat.buffer is missing"))?;
    if buffer.buffer_type != proto::BufferType::Page as i32 {
        return Err(Error::UnsupportedEncoding {
            encoding: "Flat",
            data_type: DataType::Null,
            reason: format!(
                "buffer type {} (only page buffers are supported)",
                buffer.buffer_type
            ),
        });
    }
    buffers.get(buffer.buffer_index as usize).ok_or_else(|| {
        corrupt(format!(
            "encoding refers to buffer {} but the page has {}",
            buffer.buffer_index,
            buffers.len()
        ))
    })
}

fn unsupported(kind: &Kind, data_type: &DataType, reason: impl Into<String>) -> Error {
    Error::UnsupportedEncoding {
        encoding: kind.name(),
        data_type: data_type.clone(),
        reason: reason.into(),
    }
}

/// Zero-copy view of `bytes` as an Arrow buffer.
fn arrow_buffer(bytes: Bytes) -> Buffer {
    Buffer::from(bytes)
}

fn decode(
    encoding: &ArrayEncoding,
    buffers: &[Bytes],
    n: usize,
    range: Range<usize>,
    data_type: &DataType,
) -> Result<ArrayData> {
    let Some(kind) = &encoding.kind else {
        return Err(corrupt(format!("page encoding for {data_type} is empty")));
    };
    match kind {
        Kind::Nullable(nullable) => match &nullable.nullability {
            Some(Nullability::NoNulls(inner)) => decode(
                required(&inner.values, "Nullable.values")?,
                buffers,
                n,
                range,
                data_type,
            ),
            Some(Nullability::SomeNulls(inner)) => {
                let validity = decode_bitmap(
                    required(&inner.validity, "Nullable.validity")?,
                    buffers,
                    n,
                    range.clone(),
                )?;
                let values = decode(
                    required(&inner.values, "Nullable.values")?,
                    buffers,
                    n,
                    range,
                    data_type,
                )?;
                with_validity(values, validity)
            }
            Some(Nullability::AllNulls(_)) => all_nulls(data_type, range.len()),
            None => Err(corrupt("Nullable encoding has no variant")),
        },
        Kind::Flat(flat) => decode_flat(flat, buffers, n, range, data_type),
        Kind::FixedSizeList(list) => {
            let DataType::FixedSizeList(item, size) = data_type else {
                return Err(unsupported(
                    kind,
                    data_type,
                    "the schema type is not a fixed-size list",
                ));
            };
            if list.dimension as i64 != *size as i64 || *size < 0 {
                return Err(corrupt(format!(
                    "page stores vectors of {} items, the schema says {size}",
                    list.dimension
                )));
            }
            let dim = *size as usize;
            let item_n = n
                .checked_mul(dim)
                .ok_or_else(|| corrupt("vector page too large"))?;
            let items = decode(
                required(&list.items, "FixedSizeList.items")?,
                buffers,
                item_n,
                range.start * dim..range.end * dim,
                item.data_type(),
            )?;
            Ok(ArrayDataBuilder::new(data_type.clone())
                .len(range.len())
                .add_child_data(items)
                .build()?)
        }
        Kind::Binary(binary) => decode_binary(binary, buffers, n, range, data_type),
        Kind::Dictionary(dictionary) => decode_dictionary(dictionary, buffers, n, range, data_type),
        Kind::List(_) | Kind::Struct(_) => Err(corrupt(format!(
            "{} page found in a column of values ({data_type})",
            kind.name()
        ))),
        other => Err(unsupported(
            other,
            data_type,
            "not implemented for Lance 2.0 pages",
        )),
    }
}

fn all_nulls(data_type: &DataType, len: usize) -> Result<ArrayData> {
    if len > MAX_NULL_VALUES_PER_DECODE && *data_type != DataType::Null {
        return Err(corrupt(format!(
            "all-null page asked for {len} values, more than the {MAX_NULL_VALUES_PER_DECODE} a decode may produce"
        )));
    }
    Ok(new_null_array(data_type, len).to_data())
}

fn with_validity(values: ArrayData, validity: BooleanBuffer) -> Result<ArrayData> {
    let validity = match values.nulls() {
        Some(existing) => existing.inner() & &validity,
        None => validity,
    };
    Ok(values
        .into_builder()
        .nulls(Some(NullBuffer::new(validity)))
        .build()?)
}

fn flat_of<'a>(encoding: &'a ArrayEncoding, what: &str) -> Result<&'a proto::Flat> {
    match &encoding.kind {
        Some(Kind::Flat(flat)) => Ok(flat),
        Some(Kind::Nullable(nullable)) => match &nullable.nullability {
            Some(Nullability::NoNulls(inner)) => {
                flat_of(required(&inner.values, "Nullable.values")?, what)
            }
            _ => Err(corrupt(format!("{what} must not contain nulls"))),
        },
        other => Err(corrupt(format!(
            "{what} is encoded as {}, expected Flat",
            kind_name(other)
        ))),
    }
}

fn decode_bitmap(
    encoding: &ArrayEncoding,
    buffers: &[Bytes],
    n: usize,
    range: Range<usize>,
) -> Result<BooleanBuffer> {
    let flat = flat_of(encoding, "validity bitmap")?;
    if flat.bits_per_value != 1 || flat.compression.is_some() {
        return Err(corrupt(format!(
            "validity bitmap has {} bits per value",
            flat.bits_per_value
        )));
    }
    let bytes = page_buffer(buffers, &flat.buffer)?;
    if bytes.len() < n.div_ceil(8) {
        return Err(corrupt(format!(
            "bitmap of {n} values needs {} bytes, the buffer has {}",
            n.div_ceil(8),
            bytes.len()
        )));
    }
    Ok(BooleanBuffer::new(
        arrow_buffer(bytes.clone()),
        range.start,
        range.len(),
    ))
}

fn decode_flat(
    flat: &proto::Flat,
    buffers: &[Bytes],
    n: usize,
    range: Range<usize>,
    data_type: &DataType,
) -> Result<ArrayData> {
    if let Some(compression) = &flat.compression {
        return Err(Error::UnsupportedEncoding {
            encoding: "Flat",
            data_type: data_type.clone(),
            reason: format!("buffer compression `{}`", compression.scheme),
        });
    }
    let bytes = page_buffer(buffers, &flat.buffer)?;
    if *data_type == DataType::Boolean {
        if flat.bits_per_value != 1 {
            return Err(corrupt(format!(
                "boolean page with {} bits per value",
                flat.bits_per_value
            )));
        }
        let values = decode_bitmap(
            &ArrayEncoding::new(Kind::Flat(flat.clone())),
            buffers,
            n,
            range.clone(),
        )?;
        return Ok(ArrayDataBuilder::new(DataType::Boolean)
            .len(range.len())
            .offset(values.offset())
            .add_buffer(values.into_inner())
            .build()?);
    }
    let width = fixed_width_bytes(data_type).ok_or_else(|| Error::UnsupportedEncoding {
        encoding: "Flat",
        data_type: data_type.clone(),
        reason: "the schema type is not fixed-width".to_string(),
    })?;
    if flat.bits_per_value != 8 * width as u64 {
        return Err(corrupt(format!(
            "page stores {} bits per value, {data_type} needs {}",
            flat.bits_per_value,
            8 * width
        )));
    }
    let needed = n
        .checked_mul(width)
        .ok_or_else(|| corrupt("page too large"))?;
    if bytes.len() < needed {
        return Err(corrupt(format!(
            "page of {n} {data_type} values needs {needed} bytes, the buffer has {}",
            bytes.len()
        )));
    }
    let values = bytes.slice(range.start * width..range.end * width);
    Ok(ArrayDataBuilder::new(data_type.clone())
        .len(range.len())
        .add_buffer(arrow_buffer(values))
        .align_buffers(true)
        .build()?)
}

/// Decodes the raw u64 values `[range.start - 1, range.end)` of an offsets-like encoding,
/// returning the value before the range (`None` at the start of the page) and the values in it.
fn stored_ends(
    encoding: &ArrayEncoding,
    buffers: &[Bytes],
    n: usize,
    range: &Range<usize>,
) -> Result<(Option<u64>, ScalarBuffer<u64>)> {
    let from = range.start.saturating_sub(1);
    let data = decode(encoding, buffers, n, from..range.end, &DataType::UInt64)?;
    let values = UInt64Array::from(data);
    if values.null_count() > 0 {
        return Err(corrupt("offsets must not contain nulls"));
    }
    let values = values.values().clone();
    if range.start == 0 {
        Ok((None, values))
    } else {
        Ok((Some(values[0]), values.slice(1, range.len())))
    }
}

/// Turns null-adjusted end offsets into positions and validity, checking that they stay
/// within `limit` and never decrease.
fn resolve_ends(
    previous: Option<u64>,
    stored: &[u64],
    adjustment: u64,
    limit: u64,
    what: &str,
) -> Result<(Vec<u64>, Option<NullBuffer>)> {
    let unadjust = |v: u64| if v >= adjustment { v - adjustment } else { v };
    let start = previous.map_or(0, unadjust);
    let mut offsets = Vec::with_capacity(stored.len() + 1);
    offsets.push(start);
    let mut valid = Vec::with_capacity(stored.len());
    let mut last = start;
    for &value in stored {
        let null = value >= adjustment;
        let end = unadjust(value);
        if end < last || end > limit {
            return Err(corrupt(format!(
                "{what} offset {end} out of order or beyond {limit} (previous {last})"
            )));
        }
        offsets.push(end);
        valid.push(!null);
        last = end;
    }
    if start > limit {
        return Err(corrupt(format!("{what} offset {start} beyond {limit}")));
    }
    let validity = if valid.iter().all(|v| *v) {
        None
    } else {
        Some(NullBuffer::from(valid))
    };
    Ok((offsets, validity))
}

fn decode_binary(
    binary: &proto::Binary,
    buffers: &[Bytes],
    n: usize,
    range: Range<usize>,
    data_type: &DataType,
) -> Result<ArrayData> {
    let large = match data_type {
        DataType::Utf8 | DataType::Binary => false,
        DataType::LargeUtf8 | DataType::LargeBinary => true,
        other => {
            return Err(Error::UnsupportedEncoding {
                encoding: "Binary",
                data_type: other.clone(),
                reason: "the schema type is not a string or binary type".to_string(),
            });
        }
    };
    let indices = required(&binary.indices, "Binary.indices")?;
    let bytes_flat = flat_of(required(&binary.bytes, "Binary.bytes")?, "Binary.bytes")?;
    if bytes_flat.bits_per_value != 8 {
        return Err(corrupt(format!(
            "Binary bytes with {} bits per value",
            bytes_flat.bits_per_value
        )));
    }
    if let Some(compression) = &bytes_flat.compression {
        return Err(Error::UnsupportedEncoding {
            encoding: "Binary",
            data_type: data_type.clone(),
            reason: format!("compressed bytes (`{}`)", compression.scheme),
        });
    }
    let bytes = page_buffer(buffers, &bytes_flat.buffer)?;
    if binary.null_adjustment == 0 {
        return Err(corrupt("Binary null adjustment is 0"));
    }
    let (previous, stored) = stored_ends(indices, buffers, n, &range)?;
    let (ends, validity) = resolve_ends(
        previous,
        &stored,
        binary.null_adjustment,
        bytes.len() as u64,
        "string",
    )?;
    let first = ends[0];
    let values = bytes.slice(first as usize..*ends.last().unwrap_or(&first) as usize);
    Ok(ArrayDataBuilder::new(data_type.clone())
        .len(range.len())
        .nulls(validity)
        .add_buffer(arrow_offsets(&ends, large, "strings")?)
        .add_buffer(arrow_buffer(values))
        .build()?)
}

fn decode_dictionary(
    dictionary: &proto::Dictionary,
    buffers: &[Bytes],
    n: usize,
    range: Range<usize>,
    data_type: &DataType,
) -> Result<ArrayData> {
    let items_encoding = required(&dictionary.items, "Dictionary.items")?;
    let indices_encoding = required(&dictionary.indices, "Dictionary.indices")?;
    let num_items = dictionary.num_dictionary_items as usize;
    match data_type {
        DataType::Dictionary(key, value) => {
            let items = decode(items_encoding, buffers, num_items, 0..num_items, value)?;
            let keys = decode(indices_encoding, buffers, n, range, key)?;
            let keys = keys
                .into_builder()
                .data_type(data_type.clone())
                .child_data(vec![items]);
            Ok(keys.build()?)
        }
        _ => {
            // pylance's automatic dictionary for plain strings: 1-based u8 (or wider)
            // indices, 0 meaning null; materialise the values.
            let items = make_array(decode(
                items_encoding,
                buffers,
                num_items,
                0..num_items,
                data_type,
            )?);
            let bits = flat_of(indices_encoding, "Dictionary.indices")?.bits_per_value;
            let index_type = match bits {
                8 => DataType::UInt8,
                16 => DataType::UInt16,
                32 => DataType::UInt32,
                64 => DataType::UInt64,
                other => return Err(corrupt(format!("dictionary indices of {other} bits"))),
            };
            let indices = make_array(decode(indices_encoding, buffers, n, range, &index_type)?);
            let indices = arrow_cast_u64(&indices)?;
            let shifted: UInt64Array = indices
                .iter()
                .map(|i| i.and_then(|i| i.checked_sub(1)))
                .collect();
            let taken = arrow_select::take::take(
                items.as_ref(),
                &shifted,
                Some(arrow_select::take::TakeOptions { check_bounds: true }),
            )?;
            Ok(taken.to_data())
        }
    }
}

fn arrow_cast_u64(array: &ArrayRef) -> Result<UInt64Array> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{UInt8Type, UInt16Type, UInt32Type, UInt64Type};
    Ok(match array.data_type() {
        DataType::UInt8 => array.as_primitive::<UInt8Type>().unary(|v| v as u64),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().unary(|v| v as u64),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().unary(|v| v as u64),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().clone(),
        other => return Err(corrupt(format!("dictionary indices of type {other}"))),
    })
}

/// The field of a list data type's items.
pub fn list_item(data_type: &DataType) -> Option<&FieldRef> {
    match data_type {
        DataType::List(item) | DataType::LargeList(item) => Some(item),
        _ => None,
    }
}
