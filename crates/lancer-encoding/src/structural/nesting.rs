//! Rebuilding nested Arrow arrays (structs, lists, maps) from repetition and definition
//! levels.
//!
//! A 2.1/2.2 column is one leaf. What lies between the top-level field and that leaf is a
//! chain of struct and list layers, which the page lists innermost first ([`RepDefLayer`]).
//! [`Nesting`] pairs the chain of the Arrow type (top-down) with the page's layers and works
//! out what every definition level means; [`Nesting::assemble`] then walks the items in order
//! and grows each layer's validity and offsets, much as a record is reassembled from Dremel
//! levels.

use std::sync::Arc;

use arrow_array::{ArrayRef, GenericListArray, OffsetSizeTrait, StructArray};
use arrow_buffer::{BooleanBufferBuilder, NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, FieldRef, Fields};

use super::values::{self, Values};
use crate::error::{Result, corrupt};
use crate::proto21::RepDefLayer;

/// One layer above the leaf, top-down.
#[derive(Clone, Debug)]
pub(crate) enum Layer {
    /// A struct with exactly one child on the way to the leaf.
    Struct(FieldRef),
    /// A list (or large list) of `item`.
    List { item: FieldRef, large: bool },
}

/// What a definition level says about an item: the node (top-down index; the leaf is the
/// last) where the item stops, and whether that node is an empty list rather than a null.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stop {
    node: usize,
    empty: bool,
}

/// The layers of a single-leaf type and the meaning of each definition level of a page.
#[derive(Debug)]
pub(crate) struct Nesting {
    layers: Vec<Layer>,
    leaf: DataType,
    /// Indexed by definition level - 1.
    stops: Vec<Stop>,
    /// Top-down indices of the list nodes.
    lists: Vec<usize>,
    /// The highest definition level whose item owns a value slot.
    max_visible_def: u16,
    /// Whether the leaf layer has nulls.
    leaf_nullable: bool,
}

/// Splits a single-leaf type into its layers (top-down) and its leaf type. A map must have
/// been turned into a list of its entries struct first (see `leaves::single_path_types`).
pub(crate) fn split(data_type: &DataType) -> Result<(Vec<Layer>, DataType)> {
    let mut layers = Vec::new();
    let mut current = data_type.clone();
    loop {
        match &current {
            DataType::Struct(fields) => {
                let [child] = &fields.iter().cloned().collect::<Vec<_>>()[..] else {
                    return Err(corrupt(format!(
                        "a leaf's path has a struct of {} fields",
                        fields.len()
                    )));
                };
                layers.push(Layer::Struct(child.clone()));
                current = child.data_type().clone();
            }
            DataType::List(item) | DataType::LargeList(item) => {
                let large = matches!(current, DataType::LargeList(_));
                layers.push(Layer::List {
                    item: item.clone(),
                    large,
                });
                current = item.data_type().clone();
            }
            DataType::Map(..) => {
                return Err(corrupt("a map on a leaf's path was not turned into a list"));
            }
            _ => return Ok((layers, current)),
        }
    }
}

impl Nesting {
    /// Pairs the type's layers with a page's `layers` (innermost first).
    pub(crate) fn new(data_type: &DataType, page_layers: &[i32]) -> Result<Nesting> {
        let (layers, leaf) = split(data_type)?;
        let nodes = layers.len() + 1;
        if page_layers.len() != nodes {
            return Err(corrupt(format!(
                "the page lists {} layers, its column has {nodes}",
                page_layers.len()
            )));
        }
        let lists: Vec<usize> = layers
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(l, Layer::List { .. }))
            .map(|(i, _)| i)
            .collect();
        let innermost_list = lists.last().copied();
        let mut stops = Vec::new();
        let mut max_visible_def = None;
        let mut leaf_nullable = false;
        for (inward, raw) in page_layers.iter().enumerate() {
            let node = nodes - 1 - inward;
            if Some(node) == innermost_list && max_visible_def.is_none() {
                max_visible_def = Some(stops.len() as u16);
            }
            let layer = RepDefLayer::try_from(*raw)
                .map_err(|_| corrupt(format!("unknown layer kind {raw}")))?;
            let is_list = node < layers.len() && matches!(layers[node], Layer::List { .. });
            use RepDefLayer::*;
            let (null, empty) = match (layer, is_list) {
                (RepdefAllValidItem, false) => (false, false),
                (RepdefNullableItem, false) => (true, false),
                (RepdefAllValidList, true) => (false, false),
                (RepdefNullableList, true) => (true, false),
                (RepdefEmptyableList, true) => (false, true),
                (RepdefNullAndEmptyList, true) => (true, true),
                _ => {
                    return Err(corrupt(format!(
                        "layers {page_layers:?}: layer {inward} ({layer:?}) does not fit a {} there",
                        if is_list { "list" } else { "struct or value" }
                    )));
                }
            };
            if inward == 0 {
                leaf_nullable = null;
            }
            if null {
                stops.push(Stop { node, empty: false });
            }
            if empty {
                stops.push(Stop { node, empty: true });
            }
        }
        if stops.len() >= u16::MAX as usize {
            return Err(corrupt("too many definition levels"));
        }
        let max_visible_def = max_visible_def.unwrap_or(stops.len() as u16);
        Ok(Nesting {
            layers,
            leaf,
            stops,
            lists,
            max_visible_def,
            leaf_nullable,
        })
    }

    /// Number of list layers (the highest repetition level).
    pub(crate) fn max_rep(&self) -> u16 {
        self.lists.len() as u16
    }

    /// Whether the column has no struct or list layer at all.
    pub(crate) fn is_flat(&self) -> bool {
        self.layers.is_empty()
    }

    /// The highest definition level whose item owns a value slot; higher levels stand for
    /// null or empty lists (and nulls above them), which own none.
    pub(crate) fn max_visible_def(&self) -> u16 {
        self.max_visible_def
    }

    /// Whether any item can be missing (the page has definition levels).
    pub(crate) fn has_def(&self) -> bool {
        !self.stops.is_empty()
    }

    /// Whether the leaf itself may be null.
    pub(crate) fn leaf_nullable(&self) -> bool {
        self.leaf_nullable
    }

    /// The leaf's type.
    pub(crate) fn leaf(&self) -> &DataType {
        &self.leaf
    }

    /// Rebuilds `rows` rows from the items' levels and the value slots of the visible items.
    /// `rep` is required iff the column has lists, `def` iff it has definition levels (an
    /// absent `def` means every item is valid).
    pub(crate) fn assemble(
        &self,
        values: Values,
        rep: Option<&[u16]>,
        def: Option<&[u16]>,
        rows: usize,
    ) -> Result<ArrayRef> {
        let max_rep = self.max_rep();
        let items = match (rep, def) {
            (Some(r), Some(d)) if r.len() != d.len() => {
                return Err(corrupt("repetition and definition levels differ in number"));
            }
            (Some(r), _) => r.len(),
            (None, Some(d)) => d.len(),
            (None, None) => values.len(),
        };
        if (max_rep > 0) != rep.is_some() {
            return Err(corrupt(if max_rep > 0 {
                "a list column's page without repetition levels"
            } else {
                "a column without lists has repetition levels"
            }));
        }
        let leaf_node = self.layers.len();
        let mut builders: Vec<NodeBuilder> = (0..=leaf_node)
            .map(|node| NodeBuilder::new(node < leaf_node && self.is_list(node), items))
            .collect();
        let mut rows_seen = 0usize;
        for item in 0..items {
            let r = rep.map_or(0, |r| r[item]);
            let d = def.map_or(0, |d| d[item]);
            let start = if max_rep == 0 || r == max_rep {
                rows_seen += 1;
                0
            } else if r > max_rep {
                return Err(corrupt(format!(
                    "repetition level {r} in a column with {max_rep} list layers"
                )));
            } else if rows_seen == 0 {
                return Err(corrupt("the first item of a page does not start a row"));
            } else {
                // The list `max_rep - r` layers from the top goes on: a new element of it.
                self.lists[(max_rep - r - 1) as usize] + 1
            };
            let stop = match d {
                0 => None,
                d => Some(*self.stops.get(d as usize - 1).ok_or_else(|| {
                    corrupt(format!(
                        "definition level {d} in a column with {} kinds of missing item",
                        self.stops.len()
                    ))
                })?),
            };
            if let Some(stop) = stop
                && stop.node < start
            {
                return Err(corrupt(format!(
                    "an item continues a list below layer {} but is missing at layer {}",
                    start, stop.node
                )));
            }
            self.push_item(&mut builders, start, stop);
        }
        if rows_seen != rows {
            return Err(corrupt(format!(
                "the levels hold {rows_seen} rows, the page {rows}"
            )));
        }
        let slots = builders[leaf_node].len;
        if slots != values.len() {
            return Err(corrupt(format!(
                "the levels give {slots} value slots, the page holds {} values",
                values.len()
            )));
        }
        self.build(builders, values)
    }

    fn is_list(&self, node: usize) -> bool {
        matches!(self.layers[node], Layer::List { .. })
    }

    /// Adds one item: entries from node `start` down to where it stops.
    fn push_item(&self, builders: &mut [NodeBuilder], start: usize, stop: Option<Stop>) {
        let leaf = self.layers.len();
        let mut node = start;
        // Past a null, nodes only get placeholders (Arrow needs an entry in every child of a
        // null struct); a list placeholder is an empty null list and ends the item.
        let mut null_above = false;
        loop {
            let child_len = if node < leaf {
                builders[node + 1].len
            } else {
                0
            };
            let here = stop.filter(|s| s.node == node);
            let builder = &mut builders[node];
            if node == leaf {
                builder.push(!null_above && here.is_none(), 0);
                return;
            }
            if builder.list {
                let valid = !null_above && here.is_none_or(|s| s.empty);
                builder.push(valid, child_len);
                if null_above || here.is_some() {
                    return;
                }
            } else {
                let valid = !null_above && here.is_none();
                builder.push(valid, child_len);
                null_above |= !valid;
            }
            node += 1;
        }
    }

    fn build(&self, builders: Vec<NodeBuilder>, values: Values) -> Result<ArrayRef> {
        let mut builders = builders;
        let leaf = builders.pop().expect("a leaf node");
        let mut array = values::to_array(values, leaf.nulls(), &self.leaf)?;
        for (layer, builder) in self.layers.iter().zip(builders).rev() {
            let (nulls, offsets) = builder.finish();
            array = match layer {
                Layer::Struct(child) => Arc::new(StructArray::try_new(
                    Fields::from(vec![child.clone()]),
                    vec![array],
                    nulls,
                )?),
                Layer::List { item, large } => {
                    let mut offsets = offsets;
                    offsets.push(array.len() as u64);
                    if *large {
                        list_array::<i64>(item, &offsets, array, nulls)?
                    } else {
                        list_array::<i32>(item, &offsets, array, nulls)?
                    }
                }
            };
        }
        Ok(array)
    }
}

/// A list array of `items` at `offsets` (absolute, from 0), refusing offsets the offset type
/// cannot hold.
fn list_array<O: OffsetSizeTrait>(
    item: &FieldRef,
    offsets: &[u64],
    items: ArrayRef,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef> {
    let offsets: Vec<O> = offsets
        .iter()
        .map(|o| usize::try_from(*o).ok().and_then(O::from_usize))
        .collect::<Option<_>>()
        .ok_or_else(|| corrupt("list offsets overflow"))?;
    Ok(Arc::new(GenericListArray::<O>::try_new(
        item.clone(),
        OffsetBuffer::new(offsets.into()),
        items,
        nulls,
    )?))
}

/// The entries of one node as items are added: validity, and for a list where each entry's
/// items start in the child.
struct NodeBuilder {
    list: bool,
    len: usize,
    validity: BooleanBufferBuilder,
    any_null: bool,
    offsets: Vec<u64>,
}

impl NodeBuilder {
    fn new(list: bool, items: usize) -> Self {
        // Capacity from the item count, which the levels back with real bytes.
        NodeBuilder {
            list,
            len: 0,
            validity: BooleanBufferBuilder::new(items),
            any_null: false,
            offsets: if list {
                Vec::with_capacity(items + 1)
            } else {
                Vec::new()
            },
        }
    }

    fn push(&mut self, valid: bool, child_len: usize) {
        self.validity.append(valid);
        self.any_null |= !valid;
        if self.list {
            self.offsets.push(child_len as u64);
        }
        self.len += 1;
    }

    fn nulls(self) -> Option<NullBuffer> {
        self.finish().0
    }

    /// The node's validity (None without nulls) and its list start offsets.
    fn finish(mut self) -> (Option<NullBuffer>, Vec<u64>) {
        let nulls = self
            .any_null
            .then(|| NullBuffer::new(self.validity.finish()));
        (nulls, self.offsets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, Int32Array, ListArray};
    use arrow_schema::Field;

    fn int_values(values: &[i32]) -> Values {
        Values::Fixed {
            width: 4,
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    fn list_of(item: DataType) -> DataType {
        DataType::List(Arc::new(Field::new("item", item, true)))
    }

    #[test]
    fn nested_lists_from_the_spec_example() {
        // [[[1,2],[],null], null, [], [[3]]] with layers [1, 6, 6].
        let data_type = list_of(list_of(DataType::Int32));
        let nesting = Nesting::new(&data_type, &[1, 6, 6]).unwrap();
        assert_eq!(nesting.max_rep(), 2);
        assert_eq!(nesting.max_visible_def(), 0);
        let rep = [2, 0, 1, 1, 2, 2, 2];
        let def = [0, 0, 2, 1, 3, 4, 0];
        let array = nesting
            .assemble(int_values(&[1, 2, 3]), Some(&rep), Some(&def), 4)
            .unwrap();
        let lists = array.as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(lists.len(), 4);
        assert!(lists.is_valid(0) && lists.is_null(1) && lists.is_valid(2));
        assert_eq!(lists.value_offsets(), &[0, 3, 3, 3, 4]);
        let inner = lists.values().as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(inner.value_offsets(), &[0, 2, 2, 2, 3]);
        assert!(inner.is_valid(1) && inner.is_null(2));
        let leaves = inner
            .values()
            .as_any()
            .downcast_ref::<Int32Array>()
            .unwrap();
        assert_eq!(leaves.values(), &[1, 2, 3]);
    }

    #[test]
    fn null_structs_own_value_slots() {
        // struct<x: int32> rows [{1}, null, {null}]: layers [3, 3], def [0, 2, 1].
        let data_type =
            DataType::Struct(Fields::from(vec![Field::new("x", DataType::Int32, true)]));
        let nesting = Nesting::new(&data_type, &[3, 3]).unwrap();
        let array = nesting
            .assemble(int_values(&[1, 0, 0]), None, Some(&[0, 2, 1]), 3)
            .unwrap();
        let structs = array.as_any().downcast_ref::<StructArray>().unwrap();
        assert!(structs.is_valid(0) && structs.is_null(1) && structs.is_valid(2));
        let x = structs.column(0);
        assert!(x.is_valid(0) && x.is_null(1) && x.is_null(2));
    }

    #[test]
    fn inconsistent_levels_are_errors() {
        let data_type = list_of(list_of(DataType::Int32));
        let nesting = Nesting::new(&data_type, &[1, 6, 6]).unwrap();
        // The first item must start a row.
        assert!(
            nesting
                .assemble(int_values(&[1]), Some(&[0]), Some(&[0]), 1)
                .is_err()
        );
        // Continuing the inner list while the outer one is null.
        assert!(
            nesting
                .assemble(int_values(&[1]), Some(&[2, 0]), Some(&[0, 3]), 1)
                .is_err()
        );
        // Levels past the layers.
        assert!(
            nesting
                .assemble(int_values(&[]), Some(&[3]), Some(&[0]), 1)
                .is_err()
        );
        assert!(
            nesting
                .assemble(int_values(&[]), Some(&[2]), Some(&[9]), 1)
                .is_err()
        );
        // Layers that do not fit the type.
        assert!(Nesting::new(&data_type, &[1, 1, 6]).is_err());
        assert!(Nesting::new(&data_type, &[1, 6]).is_err());
    }
}
