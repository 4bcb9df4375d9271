//! A field of a 2.1/2.2 file is stored as one column per leaf. Each column decodes to a
//! *single-leaf* array: the field's type pruned to the path from the top to that leaf (every
//! struct on the way keeps only the child leading there, a map becomes a list of its entries
//! struct). [`leaf_types`] names those types; [`join_leaves`] puts the arrays of all leaves
//! back together into the field's own type.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, GenericListArray, MapArray, OffsetSizeTrait, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, FieldRef, Fields};

use crate::error::{Result, corrupt};

/// The single-leaf type of every leaf of `data_type`, in pre-order (the order of the file's
/// columns). A struct without fields has no leaf.
pub fn leaf_types(data_type: &DataType) -> Vec<DataType> {
    let within = |field: &FieldRef, wrap: &dyn Fn(FieldRef) -> DataType| -> Vec<DataType> {
        leaf_types(field.data_type())
            .into_iter()
            .map(|path| wrap(Arc::new(field.as_ref().clone().with_data_type(path))))
            .collect()
    };
    match data_type {
        DataType::Struct(fields) => fields
            .iter()
            .flat_map(|field| within(field, &|f| DataType::Struct(Fields::from(vec![f]))))
            .collect(),
        DataType::List(item) => within(item, &DataType::List),
        DataType::LargeList(item) => within(item, &DataType::LargeList),
        DataType::Map(entries, _) => within(entries, &DataType::List),
        other => vec![other.clone()],
    }
}

/// Number of leaves (columns in a 2.1/2.2 file) of `data_type`.
pub fn leaf_count(data_type: &DataType) -> usize {
    match data_type {
        DataType::Struct(fields) => fields.iter().map(|f| leaf_count(f.data_type())).sum(),
        DataType::List(item) | DataType::LargeList(item) | DataType::Map(item, _) => {
            leaf_count(item.data_type())
        }
        _ => 1,
    }
}

/// Joins the single-leaf arrays of a field (one per leaf, in pre-order, all of the same
/// rows) into one array of `data_type`. The leaves must agree on every struct's validity and
/// every list's offsets and validity; a disagreement is a corrupt file.
pub fn join_leaves(data_type: &DataType, parts: Vec<ArrayRef>) -> Result<ArrayRef> {
    if let [one] = parts.as_slice()
        && one.data_type() == data_type
    {
        return Ok(one.clone());
    }
    if parts.len() != leaf_count(data_type) {
        return Err(corrupt(format!(
            "{} leaf arrays for a {data_type} field of {} leaves",
            parts.len(),
            leaf_count(data_type)
        )));
    }
    match data_type {
        DataType::Struct(fields) => {
            let structs = parts
                .iter()
                .map(|p| {
                    p.as_any()
                        .downcast_ref::<StructArray>()
                        .ok_or_else(|| shape_error(data_type, p))
                })
                .collect::<Result<Vec<_>>>()?;
            let first = *structs
                .first()
                .ok_or_else(|| corrupt("a struct without leaves cannot be read"))?;
            let nulls = agreed_nulls(structs.iter().map(|s| s.nulls()), first.len())?;
            let mut children = Vec::with_capacity(fields.len());
            let mut at = 0;
            for field in fields {
                let n = leaf_count(field.data_type());
                if n == 0 {
                    return Err(corrupt(format!(
                        "struct field `{}` has no leaves and cannot be read",
                        field.name()
                    )));
                }
                let child_parts = structs[at..at + n]
                    .iter()
                    .map(|s| s.column(0).clone())
                    .collect();
                children.push(join_leaves(field.data_type(), child_parts)?);
                at += n;
            }
            Ok(Arc::new(StructArray::try_new(
                fields.clone(),
                children,
                nulls,
            )?))
        }
        DataType::List(item) => {
            let (offsets, items, nulls) = join_lists::<i32>(data_type, item, &parts)?;
            let list = GenericListArray::<i32>::try_new(item.clone(), offsets, items, nulls)?;
            Ok(Arc::new(list))
        }
        DataType::LargeList(item) => {
            let (offsets, items, nulls) = join_lists::<i64>(data_type, item, &parts)?;
            let list = GenericListArray::<i64>::try_new(item.clone(), offsets, items, nulls)?;
            Ok(Arc::new(list))
        }
        DataType::Map(entries, sorted) => {
            let (offsets, items, nulls) = join_lists::<i32>(data_type, entries, &parts)?;
            let items = items
                .as_any()
                .downcast_ref::<StructArray>()
                .ok_or_else(|| corrupt("map entries that are not a struct"))?
                .clone();
            Ok(Arc::new(MapArray::try_new(
                entries.clone(),
                offsets,
                items,
                nulls,
                *sorted,
            )?))
        }
        _ => Err(corrupt(format!(
            "{} leaf arrays for a {data_type} field",
            parts.len()
        ))),
    }
}

/// The single-leaf array of leaf `leaf` (pre-order) of `array`: the same rows with every
/// struct keeping only the child that leads to the leaf, and maps as lists of their entries
/// (the inverse of [`join_leaves`]). Nothing is copied.
pub fn leaf_array(array: &ArrayRef, leaf: usize) -> Result<ArrayRef> {
    let retyped = |field: &FieldRef, child: &ArrayRef| -> FieldRef {
        Arc::new(
            field
                .as_ref()
                .clone()
                .with_data_type(child.data_type().clone()),
        )
    };
    Ok(match array.data_type() {
        DataType::Struct(fields) => {
            let structs = array
                .as_any()
                .downcast_ref::<StructArray>()
                .ok_or_else(|| corrupt("a struct array of another type"))?;
            let mut remaining = leaf;
            let mut chosen = None;
            for (index, field) in fields.iter().enumerate() {
                let leaves = leaf_count(field.data_type());
                if remaining < leaves {
                    chosen = Some((index, field));
                    break;
                }
                remaining -= leaves;
            }
            let (index, field) = chosen
                .ok_or_else(|| corrupt(format!("no leaf {leaf} in {}", array.data_type())))?;
            let child = leaf_array(structs.column(index), remaining)?;
            Arc::new(StructArray::try_new(
                Fields::from(vec![retyped(field, &child)]),
                vec![child],
                structs.nulls().cloned(),
            )?)
        }
        DataType::List(item) => prune_list::<i32>(array, item, leaf)?,
        DataType::LargeList(item) => prune_list::<i64>(array, item, leaf)?,
        DataType::Map(entries, _) => {
            let map = array
                .as_any()
                .downcast_ref::<MapArray>()
                .ok_or_else(|| corrupt("a map array of another type"))?;
            let entry_array: ArrayRef = Arc::new(map.entries().clone());
            let child = leaf_array(&entry_array, leaf)?;
            Arc::new(GenericListArray::<i32>::try_new(
                retyped(entries, &child),
                map.offsets().clone(),
                child,
                map.nulls().cloned(),
            )?)
        }
        _ if leaf == 0 => array.clone(),
        other => return Err(corrupt(format!("no leaf {leaf} in {other}"))),
    })
}

/// [`leaf_array`] of a list or large list: the same lists of the pruned items.
fn prune_list<O: OffsetSizeTrait>(
    array: &ArrayRef,
    item: &FieldRef,
    leaf: usize,
) -> Result<ArrayRef> {
    let list = array
        .as_any()
        .downcast_ref::<GenericListArray<O>>()
        .ok_or_else(|| corrupt(format!("a list array that is not {}", array.data_type())))?;
    let child = leaf_array(list.values(), leaf)?;
    let item = Arc::new(
        item.as_ref()
            .clone()
            .with_data_type(child.data_type().clone()),
    );
    Ok(Arc::new(GenericListArray::<O>::try_new(
        item,
        list.offsets().clone(),
        child,
        list.nulls().cloned(),
    )?))
}

type Joined<O> = (OffsetBuffer<O>, ArrayRef, Option<NullBuffer>);

/// The offsets (from 0), items and validity shared by lists of several leaves.
fn join_lists<O: OffsetSizeTrait>(
    data_type: &DataType,
    item: &FieldRef,
    parts: &[ArrayRef],
) -> Result<Joined<O>> {
    let lists = parts
        .iter()
        .map(|p| {
            p.as_any()
                .downcast_ref::<GenericListArray<O>>()
                .ok_or_else(|| shape_error(data_type, p))
        })
        .collect::<Result<Vec<_>>>()?;
    let first = lists[0];
    let base = |l: &GenericListArray<O>| l.value_offsets()[0];
    let rebased: Vec<O> = first
        .value_offsets()
        .iter()
        .map(|o| *o - base(first))
        .collect();
    for other in &lists[1..] {
        let same = other.len() == first.len()
            && other
                .value_offsets()
                .iter()
                .zip(&rebased)
                .all(|(o, r)| *o - base(other) == *r);
        if !same {
            return Err(corrupt(format!(
                "the leaves of a {data_type} field disagree on its lists"
            )));
        }
    }
    let nulls = agreed_nulls(lists.iter().map(|l| l.nulls()), first.len())?;
    let items = lists
        .iter()
        .map(|l| {
            let start = base(l).as_usize();
            let end = l.value_offsets()[l.len()].as_usize();
            l.values().slice(start, end - start)
        })
        .collect();
    let items = join_leaves(item.data_type(), items)?;
    Ok((OffsetBuffer::new(rebased.into()), items, nulls))
}

/// The validity every leaf gives a layer, which must be the same for all of them.
fn agreed_nulls<'a>(
    mut all: impl Iterator<Item = Option<&'a NullBuffer>>,
    len: usize,
) -> Result<Option<NullBuffer>> {
    let first = all.next().flatten().cloned();
    for other in all {
        let same = match (&first, other) {
            (None, None) => true,
            (Some(a), Some(b)) => a == b,
            (Some(a), None) | (None, Some(a)) => a.null_count() == 0,
        };
        if !same {
            return Err(corrupt("the leaves of a field disagree on its nulls"));
        }
    }
    if first.as_ref().is_some_and(|n| n.len() != len) {
        return Err(corrupt("a layer's validity does not match its length"));
    }
    Ok(first)
}

fn shape_error(data_type: &DataType, part: &ArrayRef) -> crate::Error {
    corrupt(format!(
        "a leaf of a {data_type} field decoded as {}",
        part.data_type()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{Int32Builder, MapBuilder, StringBuilder};
    use arrow_array::{Int32Array, StringArray};
    use arrow_schema::Field;

    #[test]
    fn a_struct_splits_into_its_leaves_and_joins_back() {
        let fields = Fields::from(vec![
            Field::new("x", DataType::Int32, true),
            Field::new("y", DataType::Utf8, true),
        ]);
        let data_type = DataType::Struct(fields.clone());
        let types = leaf_types(&data_type);
        assert_eq!(types.len(), 2);
        let x: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None, Some(3)]));
        let y: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, None]));
        let nulls = Some(NullBuffer::from(vec![true, false, true]));
        let whole = StructArray::try_new(fields.clone(), vec![x.clone(), y.clone()], nulls.clone())
            .unwrap();
        let parts: Vec<ArrayRef> = [(0, x), (1, y)]
            .into_iter()
            .map(|(i, child)| {
                let DataType::Struct(f) = &types[i] else {
                    unreachable!()
                };
                Arc::new(StructArray::try_new(f.clone(), vec![child], nulls.clone()).unwrap())
                    as ArrayRef
            })
            .collect();
        let joined = join_leaves(&data_type, parts.clone()).unwrap();
        assert_eq!(joined.as_ref(), &whole as &dyn Array);
        // Leaves disagreeing on the struct's validity is an error.
        let mut bad = parts;
        let DataType::Struct(f) = &types[1] else {
            unreachable!()
        };
        bad[1] = Arc::new(
            StructArray::try_new(
                f.clone(),
                vec![Arc::new(StringArray::from(vec!["a", "b", "c"]))],
                None,
            )
            .unwrap(),
        );
        assert!(join_leaves(&data_type, bad).is_err());
    }

    #[test]
    fn a_map_joins_from_lists_of_its_entries() {
        let mut builder = MapBuilder::new(None, StringBuilder::new(), Int32Builder::new());
        builder.keys().append_value("a");
        builder.values().append_value(1);
        builder.append(true).unwrap();
        builder.append(false).unwrap();
        builder.keys().append_value("b");
        builder.values().append_null();
        builder.keys().append_value("c");
        builder.values().append_value(3);
        builder.append(true).unwrap();
        let map = builder.finish();
        let data_type = map.data_type().clone();
        let types = leaf_types(&data_type);
        assert_eq!(types.len(), 2);
        let entries = map.entries();
        let parts: Vec<ArrayRef> = (0..2)
            .map(|i| {
                let DataType::List(entry_field) = &types[i] else {
                    unreachable!()
                };
                let DataType::Struct(f) = entry_field.data_type() else {
                    unreachable!()
                };
                let entry =
                    StructArray::try_new(f.clone(), vec![entries.column(i).clone()], None).unwrap();
                Arc::new(
                    GenericListArray::<i32>::try_new(
                        entry_field.clone(),
                        map.offsets().clone(),
                        Arc::new(entry),
                        map.nulls().cloned(),
                    )
                    .unwrap(),
                ) as ArrayRef
            })
            .collect();
        let joined = join_leaves(&data_type, parts.clone()).unwrap();
        assert_eq!(joined.as_ref(), &map as &dyn Array);
        // leaf_array is the inverse.
        let map: ArrayRef = Arc::new(map);
        for (i, part) in parts.iter().enumerate() {
            assert_eq!(leaf_array(&map, i).unwrap().as_ref(), part.as_ref());
            assert_eq!(leaf_array(&map, i).unwrap().data_type(), &types[i]);
        }
    }
}
