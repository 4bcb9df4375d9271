//! Striping: the rows of a field, as one leaf column of a 2.1/2.2 file sees them.
//!
//! Each row is walked from the top of the field down to the leaf, through its structs and
//! lists, and becomes *items*: one per leaf value reached, plus one for every null or empty
//! list and for every null that hides a list below it. An item has a repetition level (which
//! list it starts) and a definition level (where it stops being defined); items that reach
//! the leaf, or stop at a null struct with no list below it, own a value slot.
//!
//! Definition levels are first recorded as *codes* that give every layer room for a null and
//! an empty list (`2 * inward + 1` and `+ 2`, `inward` counting layers from the leaf); only
//! once all of a page's rows are striped is it known which kinds occur, and
//! [`Stripes::finish`] renumbers the codes densely and names each layer's kind, as the format
//! wants.

use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, GenericListArray, MapArray, StructArray, UInt32Array, UInt64Array,
    cast::AsArray,
};
use arrow_buffer::{BooleanBuffer, BooleanBufferBuilder};
use arrow_schema::{DataType, Field};

use crate::error::{Error, Result};
use crate::proto21::RepDefLayer;

/// A step from a node of the field's tree to the next one on the way to the leaf.
#[derive(Clone, Copy, Debug)]
enum Step {
    Struct { child: usize },
    List,
    LargeList,
    Map,
}

/// The way from the top of a field to one of its leaves.
#[derive(Clone, Debug)]
pub(crate) struct LeafPath {
    steps: Vec<Step>,
    /// The leaf field's metadata (where a field asks for a compression).
    pub(crate) leaf_metadata: arrow_schema::Metadata,
    /// Per node (the last is the leaf): may it be null; and its dotted name, for errors.
    nullable: Vec<bool>,
    names: Vec<String>,
}

impl LeafPath {
    /// The path to leaf number `leaf` (pre-order) of `field`.
    pub(crate) fn new(field: &Field, leaf: usize) -> Result<LeafPath> {
        let mut path = LeafPath {
            steps: Vec::new(),
            leaf_metadata: field.metadata().clone(),
            nullable: vec![field.is_nullable()],
            names: vec![field.name().clone()],
        };
        let mut remaining = leaf;
        let mut data_type = field.data_type().clone();
        loop {
            let name = path.names.last().cloned().unwrap_or_default();
            let next: Field = match &data_type {
                DataType::Struct(fields) => {
                    let mut chosen = None;
                    for (index, child) in fields.iter().enumerate() {
                        let leaves = super::super::leaf_count(child.data_type());
                        if remaining < leaves {
                            chosen = Some((index, child));
                            break;
                        }
                        remaining -= leaves;
                    }
                    let (index, child) = chosen.ok_or_else(|| Error::InvalidData {
                        column: name.clone(),
                        message: format!("the field has no leaf number {leaf}"),
                    })?;
                    path.steps.push(Step::Struct { child: index });
                    child.as_ref().clone()
                }
                DataType::List(item) => {
                    path.steps.push(Step::List);
                    item.as_ref().clone()
                }
                DataType::LargeList(item) => {
                    path.steps.push(Step::LargeList);
                    item.as_ref().clone()
                }
                DataType::Map(entries, _) => {
                    path.steps.push(Step::Map);
                    entries.as_ref().clone()
                }
                _ if remaining == 0 => return Ok(path),
                _ => {
                    return Err(Error::InvalidData {
                        column: name,
                        message: format!("the field has no leaf number {leaf}"),
                    });
                }
            };
            path.nullable.push(next.is_nullable());
            path.names.push(format!("{name}.{}", next.name()));
            path.leaf_metadata = next.metadata().clone();
            data_type = next.data_type().clone();
        }
    }

    /// Dotted name of the leaf.
    pub(crate) fn leaf_name(&self) -> &str {
        self.names.last().map_or("", String::as_str)
    }

    fn nodes(&self) -> usize {
        self.steps.len() + 1
    }

    fn list_count(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| !matches!(s, Step::Struct { .. }))
            .count()
    }

    /// Whether node `node` is a list (or map).
    fn is_list(&self, node: usize) -> bool {
        node < self.steps.len() && !matches!(self.steps[node], Step::Struct { .. })
    }

    fn null_code(&self, node: usize) -> u16 {
        2 * (self.nodes() - 1 - node) as u16 + 1
    }
}

const GONE: usize = usize::MAX;

/// The striped rows of one leaf, gathered over the pieces of a page.
pub(crate) struct Stripes {
    path: LeafPath,
    pub(crate) rows: usize,
    /// One per item when the leaf has a list above it.
    rep: Vec<u16>,
    /// Codes (see the module docs), one per item; None while every item is defined.
    def: Option<Vec<u16>>,
    items: usize,
    /// The value slots of every piece, in order.
    values: Vec<ArrayRef>,
    /// Which codes occur.
    used: Vec<bool>,
}

/// A page's levels and value slots, numbered as the format wants.
pub(crate) struct Striped {
    pub(crate) rows: usize,
    pub(crate) rep: Option<Vec<u16>>,
    pub(crate) def: Option<Vec<u16>>,
    /// Innermost first.
    pub(crate) layers: Vec<i32>,
    /// The value slots.
    pub(crate) values: ArrayRef,
    pub(crate) max_rep: u16,
    /// The highest definition level that owns a value slot.
    pub(crate) max_visible_def: u16,
    /// Which value slots hold a value (None when all do): a slot is null when its item
    /// is, at the leaf or at a struct above it, whatever the slot's bytes are.
    pub(crate) slot_valid: Option<BooleanBuffer>,
    /// The leaf field's metadata.
    pub(crate) leaf_metadata: arrow_schema::Metadata,
}

impl Striped {
    /// Value slots that hold a value.
    pub(crate) fn valid_slots(&self) -> usize {
        self.slot_valid
            .as_ref()
            .map_or(self.values.len(), |v| v.count_set_bits())
    }
}

impl Stripes {
    pub(crate) fn new(path: LeafPath) -> Stripes {
        let codes = 2 * path.nodes() + 1;
        Stripes {
            path,
            rows: 0,
            rep: Vec::new(),
            def: None,
            items: 0,
            values: Vec::new(),
            used: vec![false; codes],
        }
    }

    /// Stripes the rows of `array` (an array of the whole field) and adds them.
    pub(crate) fn push(&mut self, array: &ArrayRef) -> Result<()> {
        self.rows += array.len();
        if self.path.steps.is_empty() {
            return self.push_flat(array);
        }
        let lists = self.path.list_count() as u16;
        let rows = array.len();
        let mut rep: Vec<u16> = if lists > 0 {
            vec![lists; rows]
        } else {
            Vec::new()
        };
        let mut def: Vec<u16> = vec![0; rows];
        let mut pos: Vec<usize> = (0..rows).collect();
        let mut current = array.clone();
        let mut list_ordinal = 0u16;
        for (node, step) in self.path.steps.clone().into_iter().enumerate() {
            let null_code = self.path.null_code(node);
            let list_below = (node + 1..self.path.nodes()).any(|n| self.path.is_list(n));
            let nulls = current.nulls().cloned();
            match step {
                Step::Struct { child } => {
                    if let Some(nulls) = &nulls {
                        for i in 0..def.len() {
                            if def[i] == 0 && pos[i] != GONE && nulls.is_null(pos[i]) {
                                self.mark_null(node, null_code)?;
                                def[i] = null_code;
                                if list_below {
                                    pos[i] = GONE;
                                    self.mark_pushed_down(node)?;
                                }
                            }
                        }
                    }
                    let structs = current.as_struct_opt().ok_or_else(|| self.shape(node))?;
                    current = structs.column(child).clone();
                }
                Step::List | Step::LargeList | Step::Map => {
                    list_ordinal += 1;
                    let continued = lists - list_ordinal;
                    let (offsets, child) =
                        list_parts(&current, step).ok_or_else(|| self.shape(node))?;
                    let mut next_rep = Vec::with_capacity(def.len());
                    let mut next_def = Vec::with_capacity(def.len());
                    let mut next_pos = Vec::with_capacity(def.len());
                    for i in 0..def.len() {
                        let p = pos[i];
                        if p == GONE || def[i] != 0 {
                            next_rep.push(rep[i]);
                            next_def.push(def[i]);
                            next_pos.push(GONE);
                            continue;
                        }
                        let stop = if nulls.as_ref().is_some_and(|n| n.is_null(p)) {
                            Some(null_code)
                        } else if offsets.is_empty(p) {
                            Some(null_code + 1)
                        } else {
                            None
                        };
                        match stop {
                            Some(code) => {
                                self.mark_null(node, code)?;
                                next_rep.push(rep[i]);
                                next_def.push(code);
                                next_pos.push(GONE);
                            }
                            None => {
                                let (start, end) = offsets.range(p);
                                for j in start..end {
                                    next_rep.push(if j == start { rep[i] } else { continued });
                                    next_def.push(0);
                                    next_pos.push(j);
                                }
                            }
                        }
                    }
                    rep = next_rep;
                    def = next_def;
                    pos = next_pos;
                    current = child;
                }
            }
        }
        let leaf = self.path.nodes() - 1;
        if let Some(nulls) = current.logical_nulls() {
            for i in 0..def.len() {
                if def[i] == 0 && pos[i] != GONE && nulls.is_null(pos[i]) {
                    self.mark_null(leaf, 1)?;
                    def[i] = 1;
                }
            }
        }
        let slots: Vec<usize> = pos.iter().copied().filter(|p| *p != GONE).collect();
        let values = gather(&current, &slots)?;
        let items = def.len();
        if lists > 0 {
            self.rep.extend_from_slice(&rep);
        }
        if def.iter().any(|d| *d != 0) || self.def.is_some() {
            self.def
                .get_or_insert_with(|| vec![0; self.items])
                .extend_from_slice(&def);
        }
        self.items += items;
        self.values.push(values);
        Ok(())
    }

    /// A leaf with nothing above it: one item per row, no repetition.
    fn push_flat(&mut self, array: &ArrayRef) -> Result<()> {
        if let Some(nulls) = array.logical_nulls()
            && nulls.null_count() > 0
        {
            self.mark_null(0, 1)?;
            let def = self.def.get_or_insert_with(|| vec![0; self.items]);
            def.extend(nulls.iter().map(|valid| (!valid) as u16));
        } else if let Some(def) = &mut self.def {
            def.extend(std::iter::repeat_n(0, array.len()));
        }
        self.items += array.len();
        self.values.push(array.clone());
        Ok(())
    }

    /// A null struct is null in every list below it too (pylance pushes a struct's nulls
    /// down to its children): those lists' layers say they may be null even when no item
    /// stops at them, or pylance's reader miscounts the struct's nulls.
    fn mark_pushed_down(&mut self, node: usize) -> Result<()> {
        for below in node + 1..self.path.nodes() {
            if self.path.is_list(below) && self.path.nullable[below] {
                let code = self.path.null_code(below);
                self.used[code as usize] = true;
            }
        }
        Ok(())
    }

    fn mark_null(&mut self, node: usize, code: u16) -> Result<()> {
        let is_empty = code.is_multiple_of(2);
        if !is_empty && !self.path.nullable[node] {
            return Err(Error::InvalidData {
                column: self.path.names[node].clone(),
                message: "the field is not nullable but holds nulls".to_string(),
            });
        }
        self.used[code as usize] = true;
        Ok(())
    }

    fn shape(&self, node: usize) -> Error {
        Error::InvalidData {
            column: self.path.names[node].clone(),
            message: "the array does not have the field's type".to_string(),
        }
    }

    /// The page: codes renumbered, layer kinds named, value slots joined.
    pub(crate) fn finish(self) -> Result<Striped> {
        let nodes = self.path.nodes();
        // Dense numbering: the codes that occur, in code order (innermost layer first, a
        // layer's null before its empty list).
        let mut renumber = vec![0u16; self.used.len()];
        let mut next = 0u16;
        let mut layers = Vec::with_capacity(nodes);
        let mut max_visible_def = None;
        let innermost_list = (0..nodes).rev().find(|n| self.path.is_list(*n));
        for inward in 0..nodes {
            let node = nodes - 1 - inward;
            if Some(node) == innermost_list {
                max_visible_def = Some(next);
            }
            let (null, empty) = (2 * inward + 1, 2 * inward + 2);
            let (has_null, has_empty) = (self.used[null], self.used[empty]);
            if has_null {
                next += 1;
                renumber[null] = next;
            }
            if has_empty {
                next += 1;
                renumber[empty] = next;
            }
            use RepDefLayer::*;
            let kind = match (self.path.is_list(node), has_null, has_empty) {
                (false, false, _) => RepdefAllValidItem,
                (false, true, _) => RepdefNullableItem,
                (true, false, false) => RepdefAllValidList,
                (true, true, false) => RepdefNullableList,
                (true, false, true) => RepdefEmptyableList,
                (true, true, true) => RepdefNullAndEmptyList,
            };
            layers.push(kind as i32);
        }
        let def = self.def.map(|mut def| {
            for d in &mut def {
                *d = renumber[*d as usize];
            }
            def
        });
        let values = match self.values.len() {
            1 => self.values.into_iter().next().expect("one"),
            _ => {
                let parts: Vec<&dyn Array> = self.values.iter().map(|v| v.as_ref()).collect();
                arrow_select::concat::concat(&parts)?
            }
        };
        let max_rep = self.path.list_count() as u16;
        let max_visible_def = max_visible_def.unwrap_or(next);
        let slot_valid = def.as_ref().and_then(|def| {
            let bits = if def.iter().all(|d| *d <= max_visible_def) {
                // Every level has a slot (no list hides any): 64 bits at a time.
                BooleanBuffer::collect_bool(def.len(), |i| def[i] == 0)
            } else {
                let mut bits = BooleanBufferBuilder::new(values.len());
                for d in def.iter().filter(|d| **d <= max_visible_def) {
                    bits.append(*d == 0);
                }
                bits.finish()
            };
            (bits.count_set_bits() < bits.len()).then_some(bits)
        });
        Ok(Striped {
            rows: self.rows,
            rep: (max_rep > 0).then_some(self.rep),
            def,
            layers,
            values,
            max_rep,
            max_visible_def,
            slot_valid,
            leaf_metadata: self.path.leaf_metadata.clone(),
        })
    }

    /// Name of the leaf, for errors.
    pub(crate) fn leaf_name(&self) -> &str {
        self.path.leaf_name()
    }
}

/// Offsets of a list-like node, read without copying.
enum Offsets<'a> {
    Small(&'a [i32]),
    Large(&'a [i64]),
}

impl Offsets<'_> {
    fn range(&self, at: usize) -> (usize, usize) {
        match self {
            Offsets::Small(o) => (o[at] as usize, o[at + 1] as usize),
            Offsets::Large(o) => (o[at] as usize, o[at + 1] as usize),
        }
    }

    fn is_empty(&self, at: usize) -> bool {
        let (start, end) = self.range(at);
        start == end
    }
}

/// The offsets and the child (items, or a map's entries struct) of a list-like node.
fn list_parts(array: &ArrayRef, step: Step) -> Option<(Offsets<'_>, ArrayRef)> {
    let any = array.as_any();
    match step {
        Step::List => {
            let list = any.downcast_ref::<GenericListArray<i32>>()?;
            Some((Offsets::Small(list.value_offsets()), list.values().clone()))
        }
        Step::LargeList => {
            let list = any.downcast_ref::<GenericListArray<i64>>()?;
            Some((Offsets::Large(list.value_offsets()), list.values().clone()))
        }
        Step::Map => {
            let map = any.downcast_ref::<MapArray>()?;
            let entries: ArrayRef = Arc::new(map.entries().clone()) as Arc<StructArray>;
            Some((Offsets::Small(map.value_offsets()), entries))
        }
        Step::Struct { .. } => None,
    }
}

/// The leaf's values at `slots`, without a copy when the slots are one contiguous run.
fn gather(leaf: &ArrayRef, slots: &[usize]) -> Result<ArrayRef> {
    let contiguous = slots.windows(2).all(|w| w[1] == w[0] + 1);
    Ok(match slots.first() {
        None => leaf.slice(0, 0),
        Some(&first) if contiguous => leaf.slice(first, slots.len()),
        Some(_) => {
            let indices: ArrayRef = match u32::try_from(leaf.len()) {
                Ok(_) => Arc::new(UInt32Array::from_iter_values(
                    slots.iter().map(|s| *s as u32),
                )),
                Err(_) => Arc::new(UInt64Array::from_iter_values(
                    slots.iter().map(|s| *s as u64),
                )),
            };
            arrow_select::take::take(leaf.as_ref(), indices.as_ref(), None)?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::types::Int32Type;
    use arrow_array::{Int32Array, ListArray};
    use arrow_buffer::NullBuffer;
    use arrow_schema::Fields;

    fn striped(field: &Field, array: ArrayRef, leaf: usize) -> Striped {
        let mut stripes = Stripes::new(LeafPath::new(field, leaf).unwrap());
        stripes.push(&array).unwrap();
        stripes.finish().unwrap()
    }

    #[test]
    fn nested_lists_give_the_spec_example() {
        let inner = Field::new("item", DataType::Int32, true);
        let outer = DataType::List(Arc::new(Field::new(
            "item",
            DataType::List(Arc::new(inner)),
            true,
        )));
        let field = Field::new("l", outer.clone(), true);
        let inner_lists = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            Some(vec![]),
            None,
            Some(vec![Some(3)]),
        ]);
        // Rows [[[1,2],[],null], null, [], [[3]]].
        let DataType::List(item) = &outer else {
            unreachable!()
        };
        let lists = ListArray::try_new(
            item.clone(),
            arrow_buffer::OffsetBuffer::new(vec![0, 3, 3, 3, 4].into()),
            Arc::new(inner_lists),
            Some(NullBuffer::from(vec![true, false, true, true])),
        )
        .unwrap();
        let page = striped(&field, Arc::new(lists), 0);
        assert_eq!(page.layers, vec![1, 6, 6]);
        assert_eq!(page.rep.unwrap(), vec![2, 0, 1, 1, 2, 2, 2]);
        assert_eq!(page.def.unwrap(), vec![0, 0, 2, 1, 3, 4, 0]);
        let values = page.values.as_any().downcast_ref::<Int32Array>().unwrap();
        assert_eq!(values.values(), &[1, 2, 3]);
        assert_eq!(page.max_visible_def, 0);
    }

    #[test]
    fn null_structs_keep_a_slot_in_each_child() {
        let fields = Fields::from(vec![Field::new("x", DataType::Int32, true)]);
        let field = Field::new("s", DataType::Struct(fields.clone()), true);
        let array = StructArray::try_new(
            fields,
            vec![Arc::new(Int32Array::from(vec![Some(1), Some(7), None]))],
            Some(NullBuffer::from(vec![true, false, true])),
        )
        .unwrap();
        let page = striped(&field, Arc::new(array), 0);
        assert_eq!(page.layers, vec![3, 3]);
        assert_eq!(page.def.unwrap(), vec![0, 2, 1]);
        assert!(page.rep.is_none());
        assert_eq!(page.values.len(), 3);
        assert_eq!(page.max_visible_def, 2);
    }

    #[test]
    fn nulls_in_a_field_that_is_not_nullable_are_refused() {
        let field = Field::new("a", DataType::Int32, false);
        let mut stripes = Stripes::new(LeafPath::new(&field, 0).unwrap());
        let error = stripes
            .push(&(Arc::new(Int32Array::from(vec![Some(1), None])) as ArrayRef))
            .unwrap_err();
        assert!(error.to_string().contains("not nullable"), "{error}");
    }
}
