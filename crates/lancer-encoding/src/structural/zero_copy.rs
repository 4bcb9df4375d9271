//! Pages whose stored bytes already are the Arrow values, handed over without a copy.
//!
//! A full-zip page of fixed-width values without nulls (embedding vectors, typically the
//! bulk of a table's bytes) stores the values back to back, exactly as an Arrow buffer holds
//! them; the array shares the page's buffer.

use std::sync::Arc;

use arrow_array::{ArrayRef, FixedSizeListArray, make_array};
use arrow_buffer::Buffer;
use arrow_data::ArrayDataBuilder;
use arrow_schema::DataType;
use bytes::Bytes;

use crate::error::{Result, corrupt};
use crate::proto21::compressive_encoding::Compression;
use crate::proto21::{FullZipLayout, RepDefLayer, full_zip_layout};

/// The page as an array sharing its buffer, when its layout allows; None otherwise (the
/// general decoder then copies).
pub(crate) fn full_zip(
    layout: &FullZipLayout,
    buffers: &[Bytes],
    rows: usize,
    data_type: &DataType,
) -> Result<Option<ArrayRef>> {
    let Some(full_zip_layout::Details::BitsPerValue(bits)) = layout.details else {
        return Ok(None);
    };
    if layout.bits_rep != 0
        || layout.bits_def != 0
        || layout.layers != [RepDefLayer::RepdefAllValidItem as i32]
        || layout.num_items as usize != rows
        || bits == 0
        || !bits.is_multiple_of(8)
    {
        return Ok(None);
    }
    let width = (bits / 8) as usize;
    // The item type and count per row the stored values must have.
    let (item_type, per_row) = match (
        layout
            .value_compression
            .as_ref()
            .and_then(|e| e.compression.as_ref()),
        data_type,
    ) {
        (Some(Compression::Flat(flat)), data_type)
            if flat.data.is_none() && flat.bits_per_value == bits as u64 =>
        {
            (data_type.clone(), 1)
        }
        (Some(Compression::FixedSizeList(list)), DataType::FixedSizeList(item, dim))
            if !list.has_validity && list.items_per_value == *dim as u64 =>
        {
            match list.values.as_deref().and_then(|v| v.compression.as_ref()) {
                Some(Compression::Flat(flat)) if flat.data.is_none() => {
                    if flat.bits_per_value.checked_mul(list.items_per_value) != Some(bits as u64) {
                        return Err(corrupt("fixed-size list items do not fill their values"));
                    }
                    (item.data_type().clone(), *dim as usize)
                }
                _ => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    let Some(item_width) = item_type.primitive_width() else {
        return Ok(None);
    };
    if item_width * per_row != width {
        return Ok(None);
    }
    let Some(zipped) = buffers.first() else {
        return Err(corrupt("a full-zip page without its data buffer"));
    };
    let bytes = rows
        .checked_mul(width)
        .filter(|b| *b <= zipped.len())
        .ok_or_else(|| {
            corrupt(format!(
                "{rows} full-zip values of {width} bytes do not fit the page"
            ))
        })?;
    if zipped.as_ptr().align_offset(item_width) != 0 {
        // Arrow reads values in place: an unaligned buffer takes the copying path.
        return Ok(None);
    }
    let values = Buffer::from(zipped.slice(..bytes));
    let items = make_array(
        ArrayDataBuilder::new(item_type)
            .len(rows * per_row)
            .add_buffer(values)
            .build()?,
    );
    Ok(Some(match data_type {
        DataType::FixedSizeList(item, dim) => Arc::new(FixedSizeListArray::try_new(
            item.clone(),
            *dim,
            items,
            None,
        )?),
        _ => items,
    }))
}
