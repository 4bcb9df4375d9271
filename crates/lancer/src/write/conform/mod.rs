//! Bringing input to a dataset's Arrow schema.
//!
//! Inputs arrive as their writers made them: Parquet readers name a list's child `element`
//! where Arrow writers say `item`, Polars and DuckDB hand out `string_view` columns and
//! large offsets, DuckDB marks every column non-nullable and writes fixed-size arrays as
//! plain lists. None of that changes a value, so lancer accepts it: a batch is rebuilt with
//! the dataset's types, sharing the input's buffers wherever the layout is the same.
//!
//! What would change a value (another number type, another vector dimension, another time
//! zone, a null into a non-nullable field, a string too long for 32-bit offsets) is refused
//! with the column's path, both types and what to do about it. The check on types runs
//! before any data is read ([`check_conformable`]); the checks on values run per batch
//! ([`conform_batch`]).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, FixedSizeListArray, GenericListArray, MapArray, OffsetSizeTrait, RecordBatch,
    StructArray, UInt64Array, new_null_array,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field, FieldRef, Schema, SchemaRef};

use crate::error::{Error, Result};

/// The schema a new dataset keeps for input of `input`'s schema: view types become their
/// plain counterparts (`string_view` -> `string`, `binary_view` -> `binary`), as pylance
/// stores them; everything else stays as given. Refuses Arrow's JSON extension type, which
/// pylance stores as its own JSON type (JSONB) that lancer does not write.
pub fn storable_schema(input: &Schema) -> Result<Schema> {
    let fields = input
        .fields()
        .iter()
        .map(|f| storable_field(f, f.name()))
        .collect::<Result<Vec<FieldRef>>>()?;
    Ok(Schema::new_with_metadata(fields, input.metadata().clone()))
}

const EXTENSION_NAME: &str = "ARROW:extension:name";

fn storable_field(field: &FieldRef, path: &str) -> Result<FieldRef> {
    if let Some(name @ ("arrow.json" | "lance.json")) =
        field.metadata().get(EXTENSION_NAME).map(String::as_str)
    {
        return Err(Error::unsupported(format!(
            "column `{path}` has the Arrow extension type {name}, which pylance stores as its own JSON type; lancer does not write that yet: cast the column to a string type"
        )));
    }
    let data_type = storable_type(field.data_type(), path)?;
    Ok(if &data_type == field.data_type() {
        field.clone()
    } else {
        Arc::new(field.as_ref().clone().with_data_type(data_type))
    })
}

fn storable_type(data_type: &DataType, path: &str) -> Result<DataType> {
    use DataType::*;
    let child = |field: &FieldRef| storable_field(field, &format!("{path}.{}", field.name()));
    Ok(match data_type {
        Utf8View => Utf8,
        BinaryView => Binary,
        List(item) => List(child(item)?),
        LargeList(item) => LargeList(child(item)?),
        FixedSizeList(item, n) => FixedSizeList(child(item)?, *n),
        Struct(fields) => Struct(fields.iter().map(child).collect::<Result<_>>()?),
        Map(entries, sorted) => Map(child(entries)?, *sorted),
        Dictionary(key, value) => Dictionary(key.clone(), Box::new(storable_type(value, path)?)),
        other => other.clone(),
    })
}

/// Checks that batches of schema `input` can be brought to `target` (a dataset's schema)
/// without changing a value: the same columns by name (in any order), each of a type that
/// differs from the target's only in child field names, field metadata, nullability, view
/// or offset width, or a list that may be a fixed-size list. Values are checked later, by
/// [`conform_batch`].
pub fn check_conformable(input: &Schema, target: &Schema) -> Result<()> {
    for field in target.fields() {
        let Ok(given) = input.field_with_name(field.name()) else {
            return Err(Error::invalid_input(format!(
                "the input has no column `{}`, which the dataset has",
                field.name()
            )));
        };
        check_type(given.data_type(), field.data_type(), field.name())?;
    }
    if let Some(extra) = input
        .fields()
        .iter()
        .find(|f| target.field_with_name(f.name()).is_err())
    {
        return Err(Error::invalid_input(format!(
            "the input has a column `{}` the dataset does not have (add columns with merge_columns)",
            extra.name()
        )));
    }
    let mut names: Vec<&str> = input.fields().iter().map(|f| f.name().as_str()).collect();
    names.sort_unstable();
    if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::invalid_input(format!(
            "the input has two columns named `{}`",
            twice[0]
        )));
    }
    Ok(())
}

fn check_type(from: &DataType, to: &DataType, path: &str) -> Result<()> {
    use DataType::*;
    match (from, to) {
        _ if from == to => Ok(()),
        // A column of nothing but nulls (Polars types an all-None column `null`).
        (Null, _) => Ok(()),
        (Utf8View | Utf8 | LargeUtf8, Utf8 | LargeUtf8)
        | (BinaryView | Binary | LargeBinary, Binary | LargeBinary) => Ok(()),
        (List(a) | LargeList(a), List(b) | LargeList(b)) => check_child(a, b, path),
        (List(a) | LargeList(a), FixedSizeList(b, _)) => check_child(a, b, path),
        (FixedSizeList(a, n), FixedSizeList(b, m)) if n == m => check_child(a, b, path),
        (FixedSizeList(a, _), List(b) | LargeList(b)) => check_child(a, b, path),
        (Timestamp(u1, Some(a)), Timestamp(u2, Some(b))) if u1 == u2 && is_utc(a) && is_utc(b) => {
            Ok(())
        }
        (Struct(a), Struct(b)) => {
            let mut names: Vec<&str> = a.iter().map(|f| f.name().as_str()).collect();
            names.sort_unstable();
            if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
                return Err(Error::invalid_input(format!(
                    "column `{path}`: the input's struct has two fields named `{}`",
                    twice[0]
                )));
            }
            for field in b {
                match a.iter().find(|f| f.name() == field.name()) {
                    Some(given) => check_type(
                        given.data_type(),
                        field.data_type(),
                        &format!("{path}.{}", field.name()),
                    )?,
                    None => {
                        return Err(Error::invalid_input(format!(
                            "column `{path}`: the input's struct has no field `{}`, which the dataset's has",
                            field.name()
                        )));
                    }
                }
            }
            match a.iter().find(|f| b.iter().all(|t| t.name() != f.name())) {
                Some(extra) => Err(Error::invalid_input(format!(
                    "column `{path}`: the input's struct has a field `{}` the dataset's does not have",
                    extra.name()
                ))),
                None => Ok(()),
            }
        }
        (Map(a, sorted_a), Map(b, sorted_b)) => {
            if *sorted_b && !*sorted_a {
                return Err(mismatch(path, from, to));
            }
            match (a.data_type(), b.data_type()) {
                (Struct(ka), Struct(kb)) if ka.len() == 2 && kb.len() == 2 => {
                    // Keys and values go by position: their names vary between writers
                    // (`key`/`keys`, `value`/`values`).
                    check_type(ka[0].data_type(), kb[0].data_type(), &format!("{path}.key"))?;
                    check_type(
                        ka[1].data_type(),
                        kb[1].data_type(),
                        &format!("{path}.value"),
                    )
                }
                _ => Err(mismatch(path, from, to)),
            }
        }
        (Dictionary(ka, va), Dictionary(kb, vb)) if ka == kb => check_type(va, vb, path),
        _ => Err(mismatch(path, from, to)),
    }
}

/// Names of UTC itself: a timestamp column's instants read the same under any of them
/// (DuckDB hands out `Etc/UTC` where pyarrow and Polars say `UTC`).
fn is_utc(zone: &str) -> bool {
    matches!(
        zone,
        "UTC"
            | "Etc/UTC"
            | "+00:00"
            | "Z"
            | "UCT"
            | "Etc/UCT"
            | "Universal"
            | "Etc/Universal"
            | "Zulu"
            | "Etc/Zulu"
    )
}

fn check_child(from: &Field, to: &Field, path: &str) -> Result<()> {
    check_type(
        from.data_type(),
        to.data_type(),
        &format!("{path}.{}", to.name()),
    )
}

/// The refusal of a type that cannot be brought to the dataset's, with what to do.
fn mismatch(path: &str, from: &DataType, to: &DataType) -> Error {
    use DataType::*;
    let advice = match (from, to) {
        (FixedSizeList(_, n), FixedSizeList(_, m)) => format!(
            "the dataset's vectors have {m} values, the input's {n}; write them to another column or dataset"
        ),
        (Timestamp(u1, a), Timestamp(u2, b)) if u1 == u2 => format!(
            "the time zones differ ({} in the input, {} in the dataset); convert the column's time zone before writing",
            a.as_deref().unwrap_or("none"),
            b.as_deref().unwrap_or("none")
        ),
        (Map(_, false), Map(_, true)) => {
            "the dataset's map keys are sorted, the input's are not".to_string()
        }
        _ if from.is_numeric() && to.is_numeric() => {
            format!("lancer does not change numbers' types; cast the column to {to} before writing")
        }
        _ => format!("cast the column to {to} before writing"),
    };
    Error::invalid_input(format!(
        "column `{path}` has type {from} in the input, {to} in the dataset: {advice}"
    ))
}

/// `batch` with `target`'s schema: its columns found by name, each brought to the target's
/// type, sharing the input's buffers where the layout is the same. Refuses a batch whose
/// values cannot be kept (nulls in a non-nullable field, a list that does not have a
/// fixed-size list's length, a string beyond 32-bit offsets), naming the column.
pub fn conform_batch(batch: &RecordBatch, target: &SchemaRef) -> Result<RecordBatch> {
    let schema = batch.schema();
    if schema.fields() == target.fields() {
        return Ok(RecordBatch::try_new(
            target.clone(),
            batch.columns().to_vec(),
        )?);
    }
    if let Some(extra) = schema
        .fields()
        .iter()
        .find(|f| target.field_with_name(f.name()).is_err())
    {
        return Err(Error::invalid_input(format!(
            "a batch has a column `{}` the dataset does not have",
            extra.name()
        )));
    }
    let columns = target
        .fields()
        .iter()
        .map(|field| {
            let column = batch.column_by_name(field.name()).ok_or_else(|| {
                Error::invalid_input(format!("a batch has no column `{}`", field.name()))
            })?;
            check_type(column.data_type(), field.data_type(), field.name())?;
            conform_array(column, field, None, field.name())
        })
        .collect::<Result<Vec<_>>>()?;
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        target.clone(),
        columns,
        &options,
    )?)
}

/// One column brought to `to`'s type (a merge key, say), under the rules of
/// [`conform_batch`], after the type check of [`check_conformable`].
pub(crate) fn conform_column(array: &ArrayRef, to: &Field) -> Result<ArrayRef> {
    check_type(array.data_type(), to.data_type(), to.name())?;
    conform_array(array, to, None, to.name())
}

/// `array` as values of `to`. `mask` marks the slots whose ancestors (enclosing structs,
/// the vectors a slot belongs to) are all valid: only those must hold a value when `to` is
/// not nullable.
fn conform_array(
    array: &ArrayRef,
    to: &Field,
    mask: Option<&NullBuffer>,
    path: &str,
) -> Result<ArrayRef> {
    let converted = convert(array, to.data_type(), mask, path)?;
    if !to.is_nullable() {
        let nulls = match (converted.logical_nulls(), mask) {
            (None, _) => 0,
            (Some(own), None) => own.null_count(),
            (Some(own), Some(mask)) => own
                .iter()
                .zip(mask.iter())
                .filter(|(valid, parents_valid)| !valid && *parents_valid)
                .count(),
        };
        if nulls > 0 {
            return Err(Error::invalid_input(format!(
                "column `{path}` holds {nulls} null value(s), but the dataset's field is not nullable"
            )));
        }
    }
    Ok(converted)
}

/// The mask of a struct's or vector's children: valid where the slot's ancestors and the
/// slot itself are, repeated `width` times per slot for a vector's items.
fn child_mask(
    mask: Option<&NullBuffer>,
    own: Option<&NullBuffer>,
    width: usize,
) -> Option<NullBuffer> {
    NullBuffer::union(mask, own).map(|both| if width == 1 { both } else { both.expand(width) })
}

fn convert(
    array: &ArrayRef,
    to: &DataType,
    mask: Option<&NullBuffer>,
    path: &str,
) -> Result<ArrayRef> {
    use DataType::*;
    let from = array.data_type();
    if from == to {
        return Ok(array.clone());
    }
    match (from, to) {
        (Null, _) => Ok(new_null_array(to, array.len())),
        (Utf8View | Utf8 | LargeUtf8, Utf8 | LargeUtf8)
        | (BinaryView | Binary | LargeBinary, Binary | LargeBinary) => {
            arrow_cast::cast(array, to).map_err(|e| {
                Error::invalid_input(format!(
                    "column `{path}` does not fit type {to} (cast it to the large type, or write it to a dataset with one): {e}"
                ))
            })
        }
        (List(_), List(item)) => same_offsets(array.as_list::<i32>(), item, path),
        (LargeList(_), LargeList(item)) => same_offsets(array.as_list::<i64>(), item, path),
        (List(_), LargeList(item)) => relist(array.as_list::<i32>(), item, to, path),
        (LargeList(_), List(item)) => relist(array.as_list::<i64>(), item, to, path),
        (List(_), FixedSizeList(item, n)) => {
            fixed(array.as_list::<i32>(), item, *n, mask, path)
        }
        (LargeList(_), FixedSizeList(item, n)) => {
            fixed(array.as_list::<i64>(), item, *n, mask, path)
        }
        (FixedSizeList(_, n), FixedSizeList(item, m)) if n == m => {
            let list = array.as_fixed_size_list();
            let visible = child_mask(mask, list.nulls(), 1);
            let slots = child_mask(mask, list.nulls(), usize::try_from(*n).unwrap_or(0));
            let values = conform_array(list.values(), item, slots.as_ref(), &child(path, item))?;
            Ok(Arc::new(FixedSizeListArray::try_new(item.clone(), *n, values, visible)?))
        }
        (FixedSizeList(_, n), List(item) | LargeList(item)) => {
            let width = usize::try_from(*n).unwrap_or(0);
            let large = vectors_as_list(array.as_fixed_size_list(), item, width, mask, path)?;
            match to {
                LargeList(_) => Ok(Arc::new(large)),
                _ => narrow_offsets(&large, item, path),
            }
        }
        (Timestamp(u1, Some(a)), Timestamp(u2, Some(b))) if u1 == u2 && is_utc(a) && is_utc(b) => {
            // Only between names of UTC (checked by `check_type`): the instants stay.
            Ok(arrow_cast::cast(array, to)?)
        }
        (Struct(_), Struct(fields)) => {
            let structs = array.as_struct();
            // A struct under a null one is null itself: nothing of it shows, and Arrow wants
            // a non-nullable field's nulls masked by its own struct.
            let visible = child_mask(mask, structs.nulls(), 1);
            let columns = fields
                .iter()
                .map(|field| {
                    let column = structs.column_by_name(field.name()).ok_or_else(|| {
                        mismatch(path, from, to)
                    })?;
                    conform_array(column, field, visible.as_ref(), &child(path, field))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Arc::new(StructArray::try_new(fields.clone(), columns, visible)?))
        }
        (Map(_, _), Map(entries, sorted)) => {
            let map = array.as_map();
            let DataType::Struct(kv) = entries.data_type() else {
                return Err(mismatch(path, from, to));
            };
            let given = map.entries();
            let key = conform_array(given.column(0), &kv[0], None, &format!("{path}.key"))?;
            let value = conform_array(
                given.column(1),
                &kv[1],
                given.nulls(),
                &format!("{path}.value"),
            )?;
            let entries_array = StructArray::try_new(kv.clone(), vec![key, value], None)?;
            Ok(Arc::new(MapArray::try_new(
                entries.clone(),
                map.offsets().clone(),
                entries_array,
                map.nulls().cloned(),
                *sorted,
            )?))
        }
        (Dictionary(_, _), Dictionary(_, value_type)) => {
            let dictionary = array.as_any_dictionary();
            let values = convert(dictionary.values(), value_type, None, path)?;
            Ok(dictionary.with_values(values))
        }
        _ => Err(mismatch(path, from, to)),
    }
}

fn child(path: &str, field: &Field) -> String {
    format!("{path}.{}", field.name())
}

/// A list rebuilt around its conformed items, on its own offsets.
fn same_offsets<O: OffsetSizeTrait>(
    list: &GenericListArray<O>,
    item: &FieldRef,
    path: &str,
) -> Result<ArrayRef> {
    let values = conform_array(list.values(), item, None, &child(path, item))?;
    Ok(Arc::new(GenericListArray::<O>::try_new(
        item.clone(),
        list.offsets().clone(),
        values,
        list.nulls().cloned(),
    )?))
}

/// A list rebuilt around its conformed items with offsets of the other width, as `to`
/// says (`List` or `LargeList`).
fn relist<O: OffsetSizeTrait>(
    list: &GenericListArray<O>,
    item: &FieldRef,
    to: &DataType,
    path: &str,
) -> Result<ArrayRef> {
    let values = conform_array(list.values(), item, None, &child(path, item))?;
    let offsets: Vec<i64> = list.offsets().iter().map(|o| o.as_usize() as i64).collect();
    let large = GenericListArray::<i64>::try_new(
        item.clone(),
        arrow_buffer::OffsetBuffer::new(offsets.into()),
        values,
        list.nulls().cloned(),
    )?;
    match to {
        DataType::LargeList(_) => Ok(Arc::new(large)),
        _ => narrow_offsets(&large, item, path),
    }
}

/// A large list as a list (32-bit offsets), or an error when its items do not fit.
fn narrow_offsets(large: &GenericListArray<i64>, item: &FieldRef, path: &str) -> Result<ArrayRef> {
    let narrow = large
        .offsets()
        .iter()
        .map(|o| i32::try_from(*o))
        .collect::<std::result::Result<Vec<i32>, _>>()
        .map_err(|_| {
            Error::invalid_input(format!(
                "column `{path}` holds more list items than 32-bit offsets can address; write it to a dataset whose column is a large list"
            ))
        })?;
    Ok(Arc::new(GenericListArray::<i32>::try_new(
        item.clone(),
        arrow_buffer::OffsetBuffer::new(narrow.into()),
        large.values().clone(),
        large.nulls().cloned(),
    )?))
}

/// Vectors as a large list: a valid vector is a list of its `width` items, a null vector
/// an empty null list (its slots are not items of anything, so a non-nullable item type
/// does not see them).
fn vectors_as_list(
    list: &FixedSizeListArray,
    item: &FieldRef,
    width: usize,
    mask: Option<&NullBuffer>,
    path: &str,
) -> Result<GenericListArray<i64>> {
    let slots = child_mask(mask, list.nulls(), width);
    let (offsets, values): (Vec<i64>, ArrayRef) = match list.nulls() {
        Some(nulls) if nulls.null_count() > 0 => {
            let mut offsets = Vec::with_capacity(list.len() + 1);
            offsets.push(0i64);
            let mut kept = Vec::new();
            for row in 0..list.len() {
                if nulls.is_valid(row) {
                    kept.extend((0..width).map(|i| (row * width + i) as u64));
                }
                offsets.push(kept.len() as i64);
            }
            let values =
                arrow_select::take::take(list.values().as_ref(), &UInt64Array::from(kept), None)?;
            let slots = slots.map(|mask| {
                // Only valid vectors' slots were kept, and those are what the mask marks.
                let kept_mask: Vec<bool> = (0..list.len())
                    .filter(|row| nulls.is_valid(*row))
                    .flat_map(|row| (0..width).map(move |i| row * width + i))
                    .map(|slot| mask.is_valid(slot))
                    .collect();
                NullBuffer::from(kept_mask)
            });
            let values = conform_array(&values, item, slots.as_ref(), &child(path, item))?;
            (offsets, values)
        }
        _ => {
            let offsets = (0..=list.len()).map(|row| (row * width) as i64).collect();
            let values = conform_array(list.values(), item, slots.as_ref(), &child(path, item))?;
            (offsets, values)
        }
    };
    Ok(GenericListArray::<i64>::try_new(
        item.clone(),
        arrow_buffer::OffsetBuffer::new(offsets.into()),
        values,
        list.nulls().cloned(),
    )?)
}

/// A list whose every non-null row has `size` items as a fixed-size list (DuckDB writes its
/// fixed-size arrays to Parquet as plain lists). A null row becomes a null vector.
fn fixed<O: OffsetSizeTrait>(
    list: &GenericListArray<O>,
    item: &FieldRef,
    size: i32,
    mask: Option<&NullBuffer>,
    path: &str,
) -> Result<ArrayRef> {
    let width = usize::try_from(size).map_err(|_| {
        Error::invalid_input(format!(
            "column `{path}`: negative fixed-size list size {size}"
        ))
    })?;
    let offsets = list.offsets();
    for row in 0..list.len() {
        let length = offsets[row + 1].as_usize() - offsets[row].as_usize();
        if list.is_valid(row) && length != width {
            return Err(Error::invalid_input(format!(
                "column `{path}` row {row} holds {length} values, but the dataset's vectors have {width}; fix the input or write it to another column"
            )));
        }
    }
    let first = offsets[0].as_usize();
    // Every row, null ones too, holding `width` items in place: the items are the vectors.
    let contiguous = (0..=list.len()).all(|row| offsets[row].as_usize() == first + row * width);
    let values = if contiguous {
        list.values().slice(first, list.len() * width)
    } else {
        // Null rows with another length: gather every row's slots, nulls for null rows.
        let indices: UInt64Array = (0..list.len())
            .flat_map(|row| {
                let start = offsets[row].as_usize();
                let valid = list.is_valid(row);
                (0..width).map(move |i| valid.then_some((start + i) as u64))
            })
            .collect();
        if list.values().is_empty() {
            new_null_array(list.values().data_type(), indices.len())
        } else {
            arrow_select::take::take(list.values().as_ref(), &indices, None)?
        }
    };
    // A null vector's slots are nulls; only valid vectors must fill a non-nullable item.
    let slots = child_mask(mask, list.nulls(), width);
    let values = conform_array(&values, item, slots.as_ref(), &child(path, item))?;
    Ok(Arc::new(FixedSizeListArray::try_new(
        item.clone(),
        size,
        values,
        list.nulls().cloned(),
    )?))
}

#[cfg(test)]
mod tests;
