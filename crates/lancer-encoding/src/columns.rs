//! How Arrow fields map onto the columns of a Lance 2.0 file.
//!
//! Every field of the schema, flattened in depth-first pre-order, owns exactly one column:
//! a struct owns a *header* column (one page holding only a length) followed by its
//! children's columns; a list owns an *offsets* column followed by its item's columns; every
//! other supported type (including fixed-size lists of fixed-width values, i.e. vectors, and
//! dictionaries) is a single *values* column.

use arrow_array::{Array, ArrayRef, GenericListArray, OffsetSizeTrait, StructArray};
use arrow_schema::{DataType, Field};

use crate::error::{Error, Result};

/// What a column of a v2.0 file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// Leaf values (primitives, strings, vectors, dictionaries, ...).
    Values,
    /// The offsets of a list or large list; the items live in the following column(s).
    ListOffsets,
    /// The header of a struct: a single page recording how many struct values there are.
    StructHeader,
}

/// Appends the kinds of the columns `data_type` occupies, in pre-order.
pub fn column_kinds(data_type: &DataType, out: &mut Vec<ColumnKind>) {
    match data_type {
        DataType::Struct(children) => {
            out.push(ColumnKind::StructHeader);
            for child in children {
                column_kinds(child.data_type(), out);
            }
        }
        DataType::List(item) | DataType::LargeList(item) => {
            out.push(ColumnKind::ListOffsets);
            column_kinds(item.data_type(), out);
        }
        _ => out.push(ColumnKind::Values),
    }
}

/// Number of columns `data_type` occupies.
pub fn column_count(data_type: &DataType) -> usize {
    let mut kinds = Vec::new();
    column_kinds(data_type, &mut kinds);
    kinds.len()
}

/// Checks that a field (recursively) can be written to a Lance 2.0 file, naming the column
/// and the type when it cannot.
pub fn check_writable(field: &Field) -> Result<()> {
    check_type(field.name(), field.data_type(), Target::V2_0)
}

/// Checks that a field (recursively) can be written to a Lance 2.1 file, or a 2.2 file
/// when `maps` (maps exist from 2.2 on), naming the column and the type when it cannot.
pub fn check_structural_writable(field: &Field, maps: bool) -> Result<()> {
    let target = if maps { Target::V2_2 } else { Target::V2_1 };
    check_type(field.name(), field.data_type(), target)
}

/// The file version a type is checked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    V2_0,
    V2_1,
    V2_2,
}

fn unsupported(column: &str, data_type: &DataType, reason: &str) -> Error {
    Error::UnsupportedType {
        column: column.to_string(),
        data_type: data_type.clone(),
        reason: reason.to_string(),
    }
}

fn check_type(path: &str, data_type: &DataType, target: Target) -> Result<()> {
    use DataType::*;
    match data_type {
        FixedSizeBinary(0) if target != Target::V2_0 => Err(unsupported(
            path,
            data_type,
            "fixed-size binary of no bytes has no 2.1/2.2 encoding",
        )),
        Null
        | Boolean
        | Int8
        | Int16
        | Int32
        | Int64
        | UInt8
        | UInt16
        | UInt32
        | UInt64
        | Float16
        | Float32
        | Float64
        | Date32
        | Date64
        | Time32(_)
        | Time64(_)
        | Timestamp(_, _)
        | Duration(_)
        | Decimal128(_, _)
        | Decimal256(_, _)
        | FixedSizeBinary(_)
        | Utf8
        | LargeUtf8
        | Binary
        | LargeBinary => Ok(()),
        Utf8View | BinaryView => Err(unsupported(
            path,
            data_type,
            "view types are not stored by Lance files; cast to utf8/binary first",
        )),
        Struct(children) => {
            if children.is_empty() && target != Target::V2_0 {
                return Err(unsupported(
                    path,
                    data_type,
                    "a struct without fields has no column in Lance 2.1/2.2 files",
                ));
            }
            for child in children {
                check_type(
                    &format!("{path}.{}", child.name()),
                    child.data_type(),
                    target,
                )?;
            }
            Ok(())
        }
        List(item) | LargeList(item) => {
            check_type(&format!("{path}.{}", item.name()), item.data_type(), target)
        }
        FixedSizeList(item, size) => {
            if *size < 0 {
                return Err(unsupported(path, data_type, "negative list size"));
            }
            if *size == 0 && target != Target::V2_0 {
                return Err(unsupported(
                    path,
                    data_type,
                    "fixed-size lists of no items have no 2.1/2.2 encoding",
                ));
            }
            if !is_vector_item(item.data_type()) {
                return Err(unsupported(
                    path,
                    data_type,
                    "fixed-size lists must hold fixed-width values (numbers, booleans, \
                     fixed-size binary or nested fixed-size lists of those)",
                ));
            }
            Ok(())
        }
        Dictionary(key, value) => {
            if !key.is_dictionary_key_type() {
                return Err(unsupported(
                    path,
                    data_type,
                    "dictionary keys must be integers",
                ));
            }
            if !(fixed_width_bytes(value).is_some()
                || matches!(value.as_ref(), Utf8 | LargeUtf8 | Binary | LargeBinary))
            {
                return Err(unsupported(
                    path,
                    data_type,
                    "dictionary values must be strings, binary or fixed-width values",
                ));
            }
            Ok(())
        }
        Map(entries, _) if target == Target::V2_2 => check_type(
            &format!("{path}.{}", entries.name()),
            entries.data_type(),
            target,
        ),
        Map(_, _) => Err(unsupported(path, data_type, "maps need file version 2.2")),
        Union(_, _) => Err(unsupported(
            path,
            data_type,
            "unions are not supported by Lance",
        )),
        ListView(_) | LargeListView(_) => Err(unsupported(
            path,
            data_type,
            "list views are not supported by Lance; cast to list first",
        )),
        RunEndEncoded(_, _) => Err(unsupported(
            path,
            data_type,
            "run-end encoded arrays are not supported; decode them first",
        )),
        _ => Err(unsupported(
            path,
            data_type,
            "no Lance logical type exists for it",
        )),
    }
}

fn is_vector_item(data_type: &DataType) -> bool {
    match data_type {
        DataType::Boolean => true,
        DataType::FixedSizeList(inner, size) => *size >= 0 && is_vector_item(inner.data_type()),
        other => fixed_width_bytes(other).is_some(),
    }
}

/// Byte width of a fixed-width type stored with `Flat`, or `None` for other types
/// (booleans are bit-packed and are not included).
pub fn fixed_width_bytes(data_type: &DataType) -> Option<usize> {
    use DataType::*;
    Some(match data_type {
        Int8 | UInt8 => 1,
        Int16 | UInt16 | Float16 => 2,
        Int32 | UInt32 | Float32 | Date32 | Time32(_) => 4,
        Int64 | UInt64 | Float64 | Date64 | Time64(_) | Timestamp(_, _) | Duration(_) => 8,
        Decimal128(_, _) => 16,
        Decimal256(_, _) => 32,
        FixedSizeBinary(n) if *n >= 0 => *n as usize,
        _ => return None,
    })
}

/// A piece of one column's data, cut out of a top-level array.
#[derive(Clone, Debug)]
pub enum ColumnSlice {
    /// Values for a [`ColumnKind::Values`] column.
    Values(ArrayRef),
    /// A list or large-list array whose offsets and validity go to a
    /// [`ColumnKind::ListOffsets`] column (its items were shredded separately).
    ListOffsets(ArrayRef),
    /// This many struct values for a [`ColumnKind::StructHeader`] column.
    StructHeader(usize),
}

impl ColumnSlice {
    /// Number of values this slice adds to its column.
    pub fn len(&self) -> usize {
        match self {
            ColumnSlice::Values(a) | ColumnSlice::ListOffsets(a) => a.len(),
            ColumnSlice::StructHeader(n) => *n,
        }
    }

    /// Whether the slice adds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Roughly how many bytes the slice will occupy once encoded; used to size pages.
    pub fn encoded_bytes_estimate(&self) -> usize {
        match self {
            ColumnSlice::Values(a) => values_bytes_estimate(&a.to_data()),
            ColumnSlice::ListOffsets(a) => 8 * a.len(),
            ColumnSlice::StructHeader(_) => 0,
        }
    }
}

fn values_bytes_estimate(data: &arrow_data::ArrayData) -> usize {
    let len = data.len();
    let validity = if data.null_count() > 0 {
        len.div_ceil(8)
    } else {
        0
    };
    let values = match data.data_type() {
        DataType::Boolean => len.div_ceil(8),
        DataType::Utf8 | DataType::Binary => {
            let offsets = &data.buffer::<i32>(0)[data.offset()..data.offset() + len + 1];
            8 * len + (offsets[len] - offsets[0]) as usize
        }
        DataType::LargeUtf8 | DataType::LargeBinary => {
            let offsets = &data.buffer::<i64>(0)[data.offset()..data.offset() + len + 1];
            8 * len + (offsets[len] - offsets[0]) as usize
        }
        DataType::FixedSizeList(_, n) => {
            let n = (*n).max(0) as usize;
            values_bytes_estimate(&data.child_data()[0].slice(data.offset() * n, len * n))
        }
        DataType::Dictionary(key, _) => len * fixed_width_bytes(key).unwrap_or(8),
        other => len * fixed_width_bytes(other).unwrap_or(0),
    };
    validity + values
}

/// A copy of `array` that owns exactly its own bytes.
///
/// A slice keeps its whole backing allocation alive (an Arrow IPC batch shares one allocation
/// among all its columns). A writer that queues small slices until a page fills copies them
/// with this, so what it holds is bounded by the page size rather than by its input.
pub fn compact(array: &ArrayRef) -> Result<ArrayRef> {
    let data = array.to_data();
    let mut copy = arrow_data::transform::MutableArrayData::new(vec![&data], false, data.len());
    copy.try_extend(0, 0, data.len())?;
    Ok(arrow_array::make_array(copy.freeze()))
}

/// Cuts `array` (the data of `field`) into one slice per column, in column order, checking the
/// rules a 2.0 file imposes on the data: no nulls in non-nullable fields and no null structs.
pub fn shred(field: &Field, array: &ArrayRef, out: &mut Vec<ColumnSlice>) -> Result<()> {
    shred_at(field.name(), field, array, out)
}

fn shred_at(path: &str, field: &Field, array: &ArrayRef, out: &mut Vec<ColumnSlice>) -> Result<()> {
    if array.data_type() != field.data_type() {
        return Err(Error::InvalidData {
            column: path.to_string(),
            message: format!(
                "the data has type {} but the schema says {}",
                array.data_type(),
                field.data_type()
            ),
        });
    }
    let nulls = array.logical_null_count();
    if nulls > 0 && !field.is_nullable() && !matches!(field.data_type(), DataType::Null) {
        return Err(Error::InvalidData {
            column: path.to_string(),
            message: format!("contains {nulls} null value(s) although the field is not nullable"),
        });
    }
    match field.data_type() {
        DataType::Struct(children) => {
            if nulls > 0 {
                return Err(Error::InvalidData {
                    column: path.to_string(),
                    message: format!(
                        "the struct contains {nulls} null value(s), but Lance file version 2.0 \
                         does not encode struct validity (its children may be null)"
                    ),
                });
            }
            let structs = array
                .as_any()
                .downcast_ref::<StructArray>()
                .expect("type checked above");
            out.push(ColumnSlice::StructHeader(array.len()));
            for (child_field, child) in children.iter().zip(structs.columns()) {
                let child_path = format!("{path}.{}", child_field.name());
                shred_at(&child_path, child_field, child, out)?;
            }
            Ok(())
        }
        DataType::List(item) => shred_list::<i32>(path, item, array, out),
        DataType::LargeList(item) => shred_list::<i64>(path, item, array, out),
        _ => {
            out.push(ColumnSlice::Values(array.clone()));
            Ok(())
        }
    }
}

fn shred_list<O: OffsetSizeTrait>(
    path: &str,
    item: &Field,
    array: &ArrayRef,
    out: &mut Vec<ColumnSlice>,
) -> Result<()> {
    let list = array
        .as_any()
        .downcast_ref::<GenericListArray<O>>()
        .expect("type checked by the caller");
    let offsets = list.value_offsets();
    let first = offsets[0].as_usize();
    let last = offsets[offsets.len() - 1].as_usize();
    out.push(ColumnSlice::ListOffsets(array.clone()));
    let items = list.values().slice(first, last - first);
    shred_at(&format!("{path}.{}", item.name()), item, &items, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::Fields;
    use std::sync::Arc;

    #[test]
    fn columns_follow_pre_order() {
        let inner = DataType::Struct(Fields::from(vec![
            Field::new("b", DataType::Int64, true),
            Field::new("c", DataType::Float64, true),
        ]));
        let nested = DataType::Struct(Fields::from(vec![
            Field::new("a", inner, true),
            Field::new_list("d", Field::new("item", DataType::Int16, true), true),
        ]));
        let mut kinds = Vec::new();
        column_kinds(&nested, &mut kinds);
        use ColumnKind::*;
        assert_eq!(
            kinds,
            vec![
                StructHeader,
                StructHeader,
                Values,
                Values,
                ListOffsets,
                Values
            ]
        );
    }

    #[test]
    fn vectors_are_one_column() {
        let vector =
            DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, true)), 128);
        assert_eq!(column_count(&vector), 1);
    }

    #[test]
    fn unsupported_types_name_the_column() {
        let field = Field::new(
            "s",
            DataType::Struct(Fields::from(vec![Field::new(
                "v",
                DataType::Utf8View,
                true,
            )])),
            true,
        );
        let message = check_writable(&field).unwrap_err().to_string();
        assert!(message.contains("`s.v`"), "{message}");
        assert!(message.contains("Utf8View"), "{message}");
    }
}
