//! Decoding pages of Lance file versions 2.1 and 2.2 ("structural" pages).
//!
//! In these versions only leaf fields have columns, and each page says how its values, and
//! the repetition and definition levels standing for list, struct and null structure, are
//! laid out ([`PageLayout`](crate::proto21::PageLayout)): mini-block chunks, full-zip rows,
//! or a constant. A column decodes to a *single-leaf* array ([`leaf_types`]): the field's
//! type pruned to the path down to the column's leaf; [`join_leaves`] joins the columns of a
//! field. Every leaf type pylance 14 writes is decoded (primitives, booleans, strings and
//! binary, fixed-size binary, dictionaries, fixed-size lists of fixed-width values), under
//! any chain of structs, lists, large lists and maps, with every compression pylance 14
//! writes for them.

mod bits;
mod compressive;
mod encode;
mod fsst;
mod layouts;
mod leaves;
mod nesting;
mod ranged;
mod values;
mod zero_copy;

use arrow_array::ArrayRef;
use arrow_buffer::{BooleanBufferBuilder, NullBuffer};
use arrow_schema::DataType;
use bytes::Bytes;
use prost::Message;

use crate::decode::MAX_NULL_VALUES_PER_DECODE;
use crate::error::{Error, Result, corrupt};
use crate::proto21::{PageLayout, page_layout::Layout};
pub use encode::{
    StructuralEncodedPage, StructuralVersion, encode_structural_pages, structural_bytes_estimate,
};
use layouts::Decoded;
pub use leaves::{join_leaves, leaf_array, leaf_count, leaf_types};
use nesting::Nesting;
pub use ranged::{BufferRanges, RowRange, structural_page_is_fixed_full_zip};
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

/// Whether lancer decodes 2.1/2.2 pages of this type (a field's type, or one of its
/// single-leaf types).
pub fn structural_type_supported(data_type: &DataType) -> bool {
    match data_type {
        DataType::Struct(fields) => {
            !fields.is_empty()
                && fields
                    .iter()
                    .all(|f| structural_type_supported(f.data_type()))
        }
        DataType::List(item) | DataType::LargeList(item) | DataType::Map(item, _) => {
            structural_type_supported(item.data_type())
        }
        other => leaf_supported(other),
    }
}

/// Types stored as one leaf.
fn leaf_supported(data_type: &DataType) -> bool {
    match data_type {
        DataType::FixedSizeList(item, _) => match item.data_type() {
            DataType::FixedSizeList(..) => leaf_supported(item.data_type()),
            DataType::Boolean | DataType::FixedSizeBinary(_) => true,
            other => other.primitive_width().is_some(),
        },
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

/// Decodes a whole 2.1/2.2 page into an array of `page.num_rows` rows of `data_type`, the
/// single-leaf type of the page's column ([`leaf_types`]).
pub fn decode_structural_page(page: StructuralPage<'_>, data_type: &DataType) -> Result<ArrayRef> {
    if !structural_type_supported(data_type) || leaf_count(data_type) != 1 {
        return Err(unsupported_type(
            data_type,
            "lancer reads 2.1/2.2 columns of this type only as part of a supported field",
        ));
    }
    let layout = parse_layout(page.layout)?;
    decode_layout(&layout, page.buffers, page.num_rows, data_type, Cut::Whole)
}

/// Which part of a page a decode sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cut {
    /// The whole page.
    Whole,
    /// Some of a mini-block page's chunks; `preamble` when the first begins inside a row
    /// (its levels up to the first row start, and their values, are dropped).
    Chunks { preamble: bool },
    /// Some rows of a full-zip page (the layout's item counts do not apply).
    ZippedRows,
}

/// The layout message of a page.
pub(crate) fn parse_layout(bytes: &[u8]) -> Result<Layout> {
    PageLayout::decode(bytes)
        .map_err(|e| corrupt(format!("bad page layout: {e}")))?
        .layout
        .ok_or_else(|| corrupt("an empty page layout"))
}

/// Decodes `num_rows` rows laid out by `layout` in `buffers`, all or part of a page (`cut`).
pub(crate) fn decode_layout(
    layout: &Layout,
    buffers: &[Bytes],
    num_rows: u64,
    data_type: &DataType,
    cut: Cut,
) -> Result<ArrayRef> {
    let rows = usize::try_from(num_rows).map_err(|_| corrupt("page row count overflows"))?;
    if let Layout::FullZip(zip) = &layout
        && let Some(array) = zero_copy::full_zip(zip, buffers, rows, data_type)?
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
    let nesting = Nesting::new(data_type, layers)?;
    let leaf_type = nesting.leaf().clone();
    let lists = nesting.max_rep() > 0;
    let slices: Vec<&[u8]> = buffers.iter().map(|b| b.as_ref()).collect();
    let shape = || empty_values(&leaf_type);
    let decoded = match &layout {
        Layout::MiniBlock(mini) => Some(layouts::mini_block(mini, &slices, rows, lists, shape)?),
        Layout::FullZip(zip) => Some(layouts::full_zip(
            zip,
            &slices,
            rows,
            lists,
            nesting.max_visible_def(),
            cut != Cut::ZippedRows,
        )?),
        Layout::Constant(constant) => {
            if rows > MAX_NULL_VALUES_PER_DECODE {
                return Err(corrupt(format!(
                    "a constant page of {rows} rows, more than the {MAX_NULL_VALUES_PER_DECODE} a decode may produce"
                )));
            }
            layouts::constant(
                constant,
                &slices,
                rows,
                lists,
                nesting.max_visible_def(),
                shape,
                |bytes, inline| constant_value(bytes, inline, &leaf_type),
            )?
        }
        Layout::Blob(_) => unreachable!("refused above"),
    };
    let Some(Decoded {
        mut values,
        mut rep,
        mut def,
    }) = decoded
    else {
        if !nesting.has_def() {
            return Err(corrupt(
                "a constant page without a value in a column without nulls",
            ));
        }
        return Ok(values::all_null(data_type, rows));
    };
    if cut == (Cut::Chunks { preamble: true }) {
        // Drop the end of the row begun before the first chunk.
        let rep_levels = rep
            .as_mut()
            .ok_or_else(|| corrupt("a row runs over chunks of a page without lists"))?;
        let starts = rep_levels
            .iter()
            .position(|r| *r == nesting.max_rep())
            .ok_or_else(|| corrupt("no row starts in the chunks read"))?;
        let visible = match &def {
            Some(def) => def[..starts]
                .iter()
                .filter(|d| **d <= nesting.max_visible_def())
                .count(),
            None => starts,
        };
        rep_levels.drain(..starts);
        if let Some(def) = def.as_mut() {
            def.drain(..starts);
        }
        values = values.skip(visible)?;
    }
    if nesting.is_flat() {
        let validity = item_validity(def.as_deref(), nesting.leaf_nullable(), rows)?;
        if values.len() != rows {
            return Err(corrupt(format!(
                "{} values for a page of {rows} rows",
                values.len()
            )));
        }
        return values::to_array(values, validity, data_type);
    }
    nesting.assemble(values, rep.as_deref(), def.as_deref(), rows)
}

/// Validity of value slots from definition levels (0 valid, 1 the leaf's null).
fn item_validity(
    def: Option<&[u16]>,
    leaf_nullable: bool,
    count: usize,
) -> Result<Option<NullBuffer>> {
    let Some(def) = def else { return Ok(None) };
    if def.len() != count {
        return Err(corrupt(format!(
            "{} definition levels for {count} values",
            def.len()
        )));
    }
    let mut bits = BooleanBufferBuilder::new(count);
    for level in def {
        match level {
            0 => bits.append(true),
            1 if leaf_nullable => bits.append(false),
            other => return Err(corrupt(format!("definition level {other} for a value"))),
        }
    }
    Ok(Some(NullBuffer::new(bits.finish())).filter(|nulls| nulls.null_count() > 0))
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
        // Null slots hold nothing; one byte apiece keeps them counted.
        DataType::Null => Values::Fixed {
            width: 1,
            data: Vec::new(),
        },
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

/// The constant of a 2.2 constant page, stored inline or in a buffer of its own, checked to
/// be one value of the leaf's type before it is repeated.
fn constant_value(bytes: &[u8], inline: bool, data_type: &DataType) -> Result<Values> {
    let value_type = match data_type {
        DataType::Dictionary(_, value) => value.as_ref(),
        other => other,
    };
    let value = if inline {
        inline_value(bytes, value_type)?
    } else {
        layouts::scalar_from_buffers(bytes)?
    };
    if let Values::Fixed { width, .. } = &value {
        let expected = crate::columns::fixed_width_bytes(value_type);
        if expected != Some(*width) {
            return Err(corrupt(format!(
                "a constant of {width} bytes for {value_type} values"
            )));
        }
    }
    Ok(value)
}

/// The constant of a 2.2 constant page, stored inline.
fn inline_value(bytes: &[u8], value_type: &DataType) -> Result<Values> {
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
            value_type,
            "constant pages of fixed-size lists are not decoded by lancer yet",
        )),
        _ => Ok(Values::Fixed {
            width: bytes.len(),
            data: bytes.to_vec(),
        }),
    }
}
