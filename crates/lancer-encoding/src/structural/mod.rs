//! Decoding pages of Lance file versions 2.1 and 2.2 ("structural" pages).
//!
//! In these versions only leaf fields have columns, and each page says how its values, and
//! the repetition and definition levels standing for list and null structure, are laid out
//! ([`PageLayout`](crate::proto21::PageLayout)): mini-block chunks, full-zip rows, or a
//! constant. This module decodes columns whose type has no lists or structs (every
//! primitive, boolean, string and binary type, fixed-size binary, dictionaries and
//! fixed-size lists of fixed-width values), with every compression pylance 14 writes for
//! them; nested columns are refused with [`Error::UnsupportedEncoding`].

mod bits;
mod compressive;
mod layouts;
mod values;
mod zero_copy;

use arrow_array::ArrayRef;
use arrow_buffer::{BooleanBufferBuilder, NullBuffer};
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
        DataType::FixedSizeList(item, _) => {
            item.data_type().primitive_width().is_some() || *item.data_type() == DataType::Boolean
        }
        DataType::Dictionary(_, value) => structural_type_supported(value),
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

/// Decodes a whole 2.1/2.2 page into an array of `page.num_rows` rows of `data_type`.
pub fn decode_structural_page(page: StructuralPage<'_>, data_type: &DataType) -> Result<ArrayRef> {
    if !structural_type_supported(data_type) {
        return Err(unsupported_type(
            data_type,
            "lancer reads 2.1/2.2 columns without lists or structs so far",
        ));
    }
    let layout = PageLayout::decode(page.layout)
        .map_err(|e| corrupt(format!("bad page layout: {e}")))?
        .layout
        .ok_or_else(|| corrupt("an empty page layout"))?;
    let rows = usize::try_from(page.num_rows).map_err(|_| corrupt("page row count overflows"))?;
    if let Layout::FullZip(zip) = &layout
        && let Some(array) = zero_copy::full_zip(zip, page.buffers, rows, data_type)?
    {
        return Ok(array);
    }
    let buffers: Vec<&[u8]> = page.buffers.iter().map(|b| b.as_ref()).collect();
    let shape = || empty_values(data_type);
    let (layers, decoded) = match &layout {
        Layout::MiniBlock(mini) => (
            &mini.layers,
            Some(layouts::mini_block(mini, &buffers, rows, shape)?),
        ),
        Layout::FullZip(zip) => (&zip.layers, Some(layouts::full_zip(zip, &buffers, rows)?)),
        Layout::Constant(constant) => {
            if rows > MAX_NULL_VALUES_PER_DECODE {
                return Err(corrupt(format!(
                    "a constant page of {rows} rows, more than the {MAX_NULL_VALUES_PER_DECODE} a decode may produce"
                )));
            }
            let decoded = layouts::constant(constant, &buffers, rows, |bytes| {
                inline_value(bytes, data_type)
            })?;
            (&constant.layers, decoded)
        }
        Layout::Blob(_) => {
            return Err(unsupported_type(
                data_type,
                "blob pages are not decoded by lancer yet",
            ));
        }
    };
    let nullable = match layers.as_slice() {
        [layer] if *layer == RepDefLayer::RepdefAllValidItem as i32 => false,
        [layer] if *layer == RepDefLayer::RepdefNullableItem as i32 => true,
        other => {
            return Err(corrupt(format!(
                "layers {other:?} for a column without lists or structs"
            )));
        }
    };
    let Some(Decoded { values, def }) = decoded else {
        if !nullable {
            return Err(corrupt(
                "a constant page without a value in a column without nulls",
            ));
        }
        return Ok(values::all_null(data_type, rows));
    };
    let validity = match def {
        None => None,
        Some(_) if !nullable => {
            return Err(corrupt("definition levels in a column without nulls"));
        }
        Some(levels) => {
            if levels.len() != rows {
                return Err(corrupt(format!(
                    "{} definition levels for {rows} rows",
                    levels.len()
                )));
            }
            let mut bits = BooleanBufferBuilder::new(rows);
            for level in levels {
                match level {
                    0 => bits.append(true),
                    1 => bits.append(false),
                    other => {
                        return Err(corrupt(format!(
                            "definition level {other} in a column without lists or structs"
                        )));
                    }
                }
            }
            Some(NullBuffer::new(bits.finish())).filter(|nulls| nulls.null_count() > 0)
        }
    };
    if values.len() != rows {
        return Err(corrupt(format!(
            "{} values for a page of {rows} rows",
            values.len()
        )));
    }
    values::to_array(values, validity, data_type)
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
