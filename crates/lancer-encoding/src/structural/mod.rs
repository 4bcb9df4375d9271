//! Decoding pages of Lance file versions 2.1 and 2.2 ("structural" pages).
//!
//! In these versions only leaf fields have columns, and each page says how its values, and
//! the repetition and definition levels standing for list and null structure, are laid out
//! ([`PageLayout`](crate::proto21::PageLayout)): mini-block chunks, full-zip rows, or a
//! constant. This module decodes columns whose leaf has no struct layer and at most one list
//! layer: every primitive, boolean, string and binary type, fixed-size binary, dictionaries
//! and fixed-size lists of fixed-width values, and lists of those; with every compression
//! pylance 14 writes for them. Structs and nested lists are refused with
//! [`Error::UnsupportedEncoding`].

mod bits;
mod compressive;
mod layouts;
mod values;
mod zero_copy;

use std::sync::Arc;

use arrow_array::{ArrayRef, LargeListArray, ListArray};
use arrow_buffer::{BooleanBufferBuilder, NullBuffer, OffsetBuffer};
use arrow_schema::DataType;
use bytes::Bytes;
use prost::Message;

use crate::decode::MAX_NULL_VALUES_PER_DECODE;
use crate::error::{Error, Result, corrupt};
use crate::proto21::{PageLayout, RepDefLayer, page_layout::Layout};
use layouts::Decoded;
use values::Values;

/// One 2.1/2.2 page: its layout message (the `PageLayout` bytes of the page's encoding), its
/// buffers in index order, and its number of rows.
#[derive(Clone, Copy, Debug)]
pub struct StructuralPage<'a> {
    /// The serialized `lance.encodings21.PageLayout`.
    pub layout: &'a [u8],
    /// The page's buffers.
    pub buffers: &'a [Bytes],
    /// Rows in the page.
    pub num_rows: u64,
}

/// Whether lancer decodes 2.1/2.2 pages of this type.
pub fn structural_type_supported(data_type: &DataType) -> bool {
    match data_type {
        DataType::List(item) | DataType::LargeList(item) => leaf_supported(item.data_type()),
        other => leaf_supported(other),
    }
}

/// Types stored as one leaf with no list or struct layer.
fn leaf_supported(data_type: &DataType) -> bool {
    match data_type {
        DataType::FixedSizeList(item, _) => {
            item.data_type().primitive_width().is_some() || *item.data_type() == DataType::Boolean
        }
        DataType::Dictionary(_, value) => leaf_supported(value),
        DataType::FixedSizeBinary(_)
        | DataType::Boolean
        | DataType::Null
        | DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Binary
        | DataType::LargeBinary => true,
        other => other.primitive_width().is_some(),
    }
}

fn unsupported_type(data_type: &DataType, reason: &str) -> Error {
    Error::UnsupportedEncoding {
        encoding: "2.1/2.2 page",
        data_type: data_type.clone(),
        reason: reason.to_string(),
    }
}

/// What the definition levels of a column mean: the leaf's null, and a list's null and empty
/// markers (numbered innermost first, as the layers are listed).
struct Levels {
    list: bool,
    leaf_nullable: bool,
    null_list: Option<u16>,
    empty_list: Option<u16>,
}

impl Levels {
    fn from_layers(layers: &[i32], list: bool) -> Result<Levels> {
        let leaf_nullable = match layers.first() {
            Some(l) if *l == RepDefLayer::RepdefAllValidItem as i32 => false,
            Some(l) if *l == RepDefLayer::RepdefNullableItem as i32 => true,
            _ => {
                return Err(corrupt(format!(
                    "layers {layers:?}: the leaf layer is not an item"
                )));
            }
        };
        let mut next = 1 + leaf_nullable as u16;
        let (mut null_list, mut empty_list) = (None, None);
        match (list, &layers[1..]) {
            (false, []) => {}
            (true, [layer]) => {
                let layer = RepDefLayer::try_from(*layer)
                    .map_err(|_| corrupt(format!("unknown layer {layer}")))?;
                if matches!(
                    layer,
                    RepDefLayer::RepdefNullableList | RepDefLayer::RepdefNullAndEmptyList
                ) {
                    null_list = Some(next);
                    next += 1;
                }
                if matches!(
                    layer,
                    RepDefLayer::RepdefEmptyableList | RepDefLayer::RepdefNullAndEmptyList
                ) {
                    empty_list = Some(next);
                }
                if !matches!(
                    layer,
                    RepDefLayer::RepdefAllValidList
                        | RepDefLayer::RepdefNullableList
                        | RepDefLayer::RepdefEmptyableList
                        | RepDefLayer::RepdefNullAndEmptyList
                ) {
                    return Err(corrupt(format!(
                        "layers {layers:?}: the outer layer is not a list"
                    )));
                }
            }
            _ => {
                return Err(corrupt(format!(
                    "layers {layers:?} for a column with {} list layer",
                    if list { "one" } else { "no" }
                )));
            }
        }
        Ok(Levels {
            list,
            leaf_nullable,
            null_list,
            empty_list,
        })
    }

    /// The highest definition level that owns a value slot.
    fn visible_def(&self) -> u16 {
        self.leaf_nullable as u16
    }
}

/// Decodes a whole 2.1/2.2 page into an array of `page.num_rows` rows of `data_type`.
pub fn decode_structural_page(page: StructuralPage<'_>, data_type: &DataType) -> Result<ArrayRef> {
    if !structural_type_supported(data_type) {
        return Err(unsupported_type(
            data_type,
            "lancer reads 2.1/2.2 columns without structs or nested lists so far",
        ));
    }
    let (leaf_type, list_field) = match data_type {
        DataType::List(item) | DataType::LargeList(item) => (item.data_type(), Some(item)),
        other => (other, None),
    };
    let list = list_field.is_some();
    let layout = PageLayout::decode(page.layout)
        .map_err(|e| corrupt(format!("bad page layout: {e}")))?
        .layout
        .ok_or_else(|| corrupt("an empty page layout"))?;
    let rows = usize::try_from(page.num_rows).map_err(|_| corrupt("page row count overflows"))?;
    if !list
        && let Layout::FullZip(zip) = &layout
        && let Some(array) = zero_copy::full_zip(zip, page.buffers, rows, data_type)?
    {
        return Ok(array);
    }
    let layers = match &layout {
        Layout::MiniBlock(mini) => &mini.layers,
        Layout::FullZip(zip) => &zip.layers,
        Layout::Constant(constant) => &constant.layers,
        Layout::Blob(_) => {
            return Err(unsupported_type(
                data_type,
                "blob pages are not decoded by lancer yet",
            ));
        }
    };
    let levels = Levels::from_layers(layers, list)?;
    let buffers: Vec<&[u8]> = page.buffers.iter().map(|b| b.as_ref()).collect();
    let shape = || empty_values(leaf_type);
    let decoded = match &layout {
        Layout::MiniBlock(mini) => Some(layouts::mini_block(mini, &buffers, rows, list, shape)?),
        Layout::FullZip(zip) => Some(layouts::full_zip(
            zip,
            &buffers,
            rows,
            list,
            levels.visible_def(),
        )?),
        Layout::Constant(constant) => {
            if rows > MAX_NULL_VALUES_PER_DECODE {
                return Err(corrupt(format!(
                    "a constant page of {rows} rows, more than the {MAX_NULL_VALUES_PER_DECODE} a decode may produce"
                )));
            }
            layouts::constant(
                constant,
                &buffers,
                rows,
                list,
                levels.visible_def(),
                shape,
                |bytes| inline_value(bytes, leaf_type),
            )?
        }
        Layout::Blob(_) => unreachable!("refused above"),
    };
    let Some(Decoded { values, rep, def }) = decoded else {
        if !levels.leaf_nullable && levels.null_list.is_none() {
            return Err(corrupt(
                "a constant page without a value in a column without nulls",
            ));
        }
        return Ok(values::all_null(data_type, rows));
    };
    match list_field {
        None => {
            let validity = item_validity(def.as_deref(), &levels, rows)?;
            if values.len() != rows {
                return Err(corrupt(format!(
                    "{} values for a page of {rows} rows",
                    values.len()
                )));
            }
            values::to_array(values, validity, data_type)
        }
        Some(item) => {
            let rep = rep.ok_or_else(|| corrupt("a list page without repetition levels"))?;
            assemble_list(data_type, item, values, &rep, def.as_deref(), &levels, rows)
        }
    }
}

/// Validity of value slots from definition levels (0 valid, the leaf's null level null).
fn item_validity(def: Option<&[u16]>, levels: &Levels, count: usize) -> Result<Option<NullBuffer>> {
    let Some(def) = def else { return Ok(None) };
    if def.len() != count {
        return Err(corrupt(format!(
            "{} definition levels for {count} values",
            def.len()
        )));
    }
    if !levels.leaf_nullable && def.iter().any(|d| *d != 0) {
        return Err(corrupt("null values in a column without nulls"));
    }
    let mut bits = BooleanBufferBuilder::new(count);
    for level in def {
        match level {
            0 => bits.append(true),
            1 if levels.leaf_nullable => bits.append(false),
            other => return Err(corrupt(format!("definition level {other} for a value"))),
        }
    }
    Ok(Some(NullBuffer::new(bits.finish())).filter(|nulls| nulls.null_count() > 0))
}

/// A list array from the items' repetition levels (1 starts a row) and definition levels.
fn assemble_list(
    data_type: &DataType,
    item: &arrow_schema::FieldRef,
    values: Values,
    rep: &[u16],
    def: Option<&[u16]>,
    levels: &Levels,
    rows: usize,
) -> Result<ArrayRef> {
    debug_assert!(levels.list);
    if def.is_some_and(|d| d.len() != rep.len()) {
        return Err(corrupt("repetition and definition levels differ in number"));
    }
    let mut offsets: Vec<u64> = Vec::with_capacity(rows + 1);
    let mut row_validity = BooleanBufferBuilder::new(rows);
    let mut visible_defs: Vec<u16> = Vec::with_capacity(values.len());
    for (i, r) in rep.iter().enumerate() {
        let d = def.map_or(0, |d| d[i]);
        match r {
            1 => {
                offsets.push(visible_defs.len() as u64);
                row_validity.append(Some(d) != levels.null_list);
            }
            0 if !offsets.is_empty() => {}
            other => {
                return Err(corrupt(format!(
                    "repetition level {other} in a column with one list layer"
                )));
            }
        }
        if Some(d) == levels.null_list || Some(d) == levels.empty_list {
            if *r != 1 {
                return Err(corrupt("a null or empty list that does not start a row"));
            }
            continue;
        }
        visible_defs.push(d);
    }
    offsets.push(visible_defs.len() as u64);
    if offsets.len() - 1 != rows {
        return Err(corrupt(format!(
            "list levels hold {} rows, the page {rows}",
            offsets.len() - 1
        )));
    }
    if visible_defs.len() != values.len() {
        return Err(corrupt(format!(
            "list levels hold {} items, the page {} values",
            visible_defs.len(),
            values.len()
        )));
    }
    let item_nulls = item_validity(
        def.map(|_| visible_defs.as_slice()),
        levels,
        visible_defs.len(),
    )?;
    let items = values::to_array(values, item_nulls, item.data_type())?;
    let nulls = Some(NullBuffer::new(row_validity.finish())).filter(|n| n.null_count() > 0);
    let array: ArrayRef = match data_type {
        DataType::List(_) => {
            let offsets: Vec<i32> = offsets
                .iter()
                .map(|o| i32::try_from(*o))
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| corrupt("list offsets overflow"))?;
            Arc::new(ListArray::try_new(
                item.clone(),
                OffsetBuffer::new(offsets.into()),
                items,
                nulls,
            )?)
        }
        _ => {
            let offsets: Vec<i64> = offsets.iter().map(|o| *o as i64).collect();
            Arc::new(LargeListArray::try_new(
                item.clone(),
                OffsetBuffer::new(offsets.into()),
                items,
                nulls,
            )?)
        }
    };
    Ok(array)
}

/// Value slots of no rows, shaped for `data_type`.
fn empty_values(data_type: &DataType) -> Values {
    match data_type {
        DataType::Boolean => Values::Bits(BooleanBufferBuilder::new(0)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary => {
            Values::Variable {
                offsets: vec![0],
                data: Vec::new(),
            }
        }
        DataType::FixedSizeList(item, dim) => Values::Lists {
            dim: *dim as usize,
            items: Box::new(empty_values(item.data_type())),
            item_validity: None,
        },
        DataType::Dictionary(_, value) => empty_values(value),
        DataType::FixedSizeBinary(width) => Values::Fixed {
            width: *width as usize,
            data: Vec::new(),
        },
        other => Values::Fixed {
            width: other.primitive_width().unwrap_or(0),
            data: Vec::new(),
        },
    }
}

/// The constant of a 2.2 constant page, stored inline.
fn inline_value(bytes: &[u8], data_type: &DataType) -> Result<Values> {
    let value_type = match data_type {
        DataType::Dictionary(_, value) => value.as_ref(),
        other => other,
    };
    match value_type {
        DataType::Boolean => {
            let mut bits = BooleanBufferBuilder::new(1);
            bits.append(bytes.first().is_some_and(|b| b & 1 == 1));
            Ok(Values::Bits(bits))
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary => {
            Ok(Values::Variable {
                offsets: vec![0, bytes.len() as u64],
                data: bytes.to_vec(),
            })
        }
        DataType::FixedSizeList(..) => Err(unsupported_type(
            data_type,
            "constant pages of fixed-size lists are not decoded by lancer yet",
        )),
        _ => Ok(Values::Fixed {
            width: bytes.len(),
            data: bytes.to_vec(),
        }),
    }
}
