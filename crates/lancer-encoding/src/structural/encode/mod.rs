//! Writing pages of Lance file versions 2.1 and 2.2.
//!
//! A page holds some rows of one leaf column. They are striped into levels and value slots
//! ([`stripe`]), then laid out the way pylance 14 lays out the same data by default:
//!
//! - no value at all (every slot null): a constant page, with the levels when the kind of
//!   null matters;
//! - (2.2) one value for every slot: a constant page holding it;
//! - strings of few distinct values: a mini-block page of dictionary indices;
//! - values of 256 bytes or more: a full-zip page;
//! - everything else: a mini-block page, values run-length encoded, bit packed or plain.
//!
//! A mini-block chunk's level counts live in 16-bit fields; when a page's rows do not fit,
//! the rows are split over several pages.

mod compress;
mod dictionary;
mod fsst;
mod full_zip;
mod levels;
mod mini_block;
mod slots;
mod stripe;

use arrow_array::{Array, ArrayRef, cast::AsArray};
use arrow_buffer::BooleanBuffer;
use arrow_schema::Field;

use crate::error::{Error, Result};
use crate::page::PageBuffer;
use crate::proto21::{ConstantLayout, PageLayout, page_layout::Layout};
use compress::Scheme;
use levels::LevelScheme;
use slots::{Constant, Slots, constant_value};
use stripe::{LeafPath, Striped, Stripes};

/// The file version pages are written for: 2.1, or 2.2 (pylance 14's default), whose
/// mini-block chunks take 32-bit sizes and which has constant pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StructuralVersion {
    /// Lance file format 2.1.
    V2_1,
    /// Lance file format 2.2.
    V2_2,
}

pub(crate) use StructuralVersion as Version;

/// A chunk's levels do not fit the format's 16-bit fields: the page must hold fewer rows.
#[derive(Debug)]
pub(crate) struct Overflow;

/// A 2.1/2.2 page ready to be written: its layout and buffers, in buffer-index order.
#[derive(Clone, Debug)]
pub struct StructuralEncodedPage {
    /// Rows in the page.
    pub num_rows: u64,
    /// The page's buffers.
    pub buffers: Vec<PageBuffer>,
    /// How the buffers hold the rows (the page encoding's `Any` value).
    pub layout: PageLayout,
}

/// Encodes the rows of `arrays` (arrays of the whole `field`, back to back) for leaf column
/// `leaf` of the field (pre-order; see [`leaf_types`](crate::leaf_types)) as one or more
/// pages (more when the rows do not fit one; none for no rows).
pub fn encode_structural_pages(
    field: &Field,
    leaf: usize,
    arrays: &[ArrayRef],
    version: StructuralVersion,
) -> Result<Vec<StructuralEncodedPage>> {
    let path = LeafPath::new(field, leaf)?;
    let mut pages = Vec::new();
    if arrays.iter().all(|a| a.is_empty()) {
        return Ok(pages);
    }
    encode_rows(&path, arrays.to_vec(), version, &mut pages)?;
    Ok(pages)
}

fn encode_rows(
    path: &LeafPath,
    arrays: Vec<ArrayRef>,
    version: Version,
    pages: &mut Vec<StructuralEncodedPage>,
) -> Result<()> {
    let mut stripes = Stripes::new(path.clone());
    for array in &arrays {
        stripes.push(array)?;
    }
    let name = stripes.leaf_name().to_string();
    let striped = stripes.finish()?;
    let rows = striped.rows;
    match encode_page(&striped, version).map_err(|e| in_column(e, &name))? {
        Ok(page) => {
            pages.push(page);
            Ok(())
        }
        Err(Overflow) if rows > 1 => {
            let (first, second) = split_rows(&arrays, rows / 2);
            encode_rows(path, first, version, pages)?;
            encode_rows(path, second, version, pages)
        }
        Err(Overflow) => Err(Error::InvalidData {
            column: name,
            message: "one row holds more nested items than a Lance page can describe".into(),
        }),
    }
}

fn in_column(error: Error, column: &str) -> Error {
    match error {
        Error::UnsupportedType {
            column: c,
            data_type,
            reason,
        } if c.is_empty() => Error::UnsupportedType {
            column: column.to_string(),
            data_type,
            reason,
        },
        Error::InvalidData { column: c, message } if c.is_empty() => Error::InvalidData {
            column: column.to_string(),
            message,
        },
        other => other,
    }
}

/// The first `at` rows of `arrays` and the rest.
fn split_rows(arrays: &[ArrayRef], at: usize) -> (Vec<ArrayRef>, Vec<ArrayRef>) {
    let (mut first, mut second) = (Vec::new(), Vec::new());
    let mut seen = 0;
    for array in arrays {
        let len = array.len();
        if seen + len <= at {
            first.push(array.clone());
        } else if seen >= at {
            second.push(array.clone());
        } else {
            let cut = at - seen;
            first.push(array.slice(0, cut));
            second.push(array.slice(cut, len - cut));
        }
        seen += len;
    }
    (first, second)
}

/// Roughly how many bytes a single-leaf array (see [`leaf_array`](crate::leaf_array)) will
/// take once encoded: its leaf values plus two bytes per level; used to size pages.
pub fn structural_bytes_estimate(array: &ArrayRef) -> usize {
    use arrow_array::cast::AsArray;
    use arrow_schema::DataType;
    let levels = 2 * array.len();
    match array.data_type() {
        DataType::Struct(_) => match array.as_struct().columns().first() {
            Some(child) => levels + structural_bytes_estimate(child),
            None => levels,
        },
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            let offsets = list.value_offsets();
            let (first, last) = (offsets[0] as usize, offsets[offsets.len() - 1] as usize);
            levels + structural_bytes_estimate(&list.values().slice(first, last - first))
        }
        DataType::LargeList(_) => {
            let list = array.as_list::<i64>();
            let offsets = list.value_offsets();
            let (first, last) = (offsets[0] as usize, offsets[offsets.len() - 1] as usize);
            levels + structural_bytes_estimate(&list.values().slice(first, last - first))
        }
        _ => crate::ColumnSlice::Values(array.clone()).encoded_bytes_estimate(),
    }
}

/// Values this wide or wider go to full-zip pages (pylance's rule).
const WIDE_VALUE_BYTES: usize = 256;

fn encode_page(
    striped: &Striped,
    version: Version,
) -> Result<std::result::Result<StructuralEncodedPage, Overflow>> {
    let values = &striped.values;
    let page = |layout: Layout, buffers: Vec<PageBuffer>| StructuralEncodedPage {
        num_rows: striped.rows as u64,
        buffers,
        layout: PageLayout {
            layout: Some(layout),
        },
    };
    let valid = striped.slot_valid.as_ref();
    if striped.valid_slots() == 0 {
        let (layout, buffers) = constant(striped, None, version);
        return Ok(Ok(page(Layout::Constant(layout), buffers)));
    }
    if values.as_any_dictionary_opt().is_some() {
        let (indices, dictionary) = dictionary::native(values, valid, version)?;
        let scheme = Scheme::choose_indices(&indices);
        return Ok(
            mini_block::mini_block(striped, &indices, &scheme, Some(dictionary), version)
                .map(|(layout, buffers)| page(Layout::MiniBlock(layout), buffers)),
        );
    }
    let request = Request::of(striped)?;
    let slots = Slots::of(values)?;
    if request == Request::Plain {
        return Ok(plain_page(striped, &slots, valid, version).map(|(l, b)| page(l, b)));
    }
    if version == Version::V2_2
        && let Some(value) = constant_value(&slots, valid)
    {
        let (layout, buffers) = constant(striped, Some(value), version);
        return Ok(Ok(page(Layout::Constant(layout), buffers)));
    }
    if let Some((indices, dictionary)) = dictionary::try_dictionary(&slots, valid, version) {
        let scheme = Scheme::choose_indices(&indices);
        return Ok(
            mini_block::mini_block(striped, &indices, &scheme, Some(dictionary), version)
                .map(|(layout, buffers)| page(Layout::MiniBlock(layout), buffers)),
        );
    }
    let wide = is_wide(&slots, valid);
    // Text (not binary) of some size is FSST-compressed, in either layout (pylance's rule).
    let text = matches!(
        values.data_type(),
        arrow_schema::DataType::Utf8 | arrow_schema::DataType::LargeUtf8
    );
    let fsst = match request {
        Request::Fsst => true,
        Request::Auto => text,
        // A general compression replaces FSST, as in pylance.
        Request::General(_) | Request::Plain => false,
    };
    let compressed = fsst
        .then(|| fsst::try_compress(&slots, valid, request == Request::Fsst))
        .flatten();
    if wide {
        let (layout, buffers) = match &compressed {
            Some(c) => full_zip::full_zip(striped, &c.slots, Some(&c.table)),
            None => full_zip::full_zip(striped, &slots, None),
        };
        return Ok(Ok(page(Layout::FullZip(layout), buffers)));
    }
    if let Some(compressed) = compressed {
        let scheme = Scheme::Fsst(std::sync::Arc::new(compressed.table));
        return Ok(
            mini_block::mini_block(striped, &compressed.slots, &scheme, None, version)
                .map(|(layout, buffers)| page(Layout::MiniBlock(layout), buffers)),
        );
    }
    let scheme = match request {
        Request::General(codec) => Scheme::choose_under(&slots, codec),
        _ => Scheme::choose(&slots),
    };
    Ok(
        mini_block::mini_block(striped, &slots, &scheme, None, version)
            .map(|(layout, buffers)| page(Layout::MiniBlock(layout), buffers)),
    )
}

/// A page without any compression (a field asked for none): plain values, in full-zip
/// pages when wide.
fn plain_page(
    striped: &Striped,
    slots: &Slots,
    valid: Option<&BooleanBuffer>,
    version: Version,
) -> std::result::Result<(Layout, Vec<PageBuffer>), Overflow> {
    if is_wide(slots, valid) {
        let (layout, buffers) = full_zip::full_zip(striped, slots, None);
        return Ok((Layout::FullZip(layout), buffers));
    }
    let scheme = Scheme::plain(slots);
    mini_block::mini_block(striped, slots, &scheme, None, version)
        .map(|(layout, buffers)| (Layout::MiniBlock(layout), buffers))
}

/// What a field's `lance-encoding:compression` metadata asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    /// Nothing: lancer chooses, as pylance would.
    Auto,
    /// `none`: plain values.
    Plain,
    /// `fsst`: FSST for any variable-width values.
    Fsst,
    /// `zstd` or `lz4` around each chunk's first buffer.
    General(compress::Codec),
}

/// Field metadata naming the compression, as pylance reads it.
const COMPRESSION_KEY: &str = "lance-encoding:compression";
/// Field metadata giving the compression level.
const COMPRESSION_LEVEL_KEY: &str = "lance-encoding:compression-level";

impl Request {
    fn of(striped: &Striped) -> Result<Request> {
        let metadata = &striped.leaf_metadata;
        let Some(name) = metadata.get(COMPRESSION_KEY) else {
            return Ok(Request::Auto);
        };
        let level = match metadata.get(COMPRESSION_LEVEL_KEY) {
            None => None,
            Some(level) => Some(
                level
                    .trim()
                    .parse::<i32>()
                    .map_err(|_| Error::InvalidData {
                        column: String::new(),
                        message: format!("{COMPRESSION_LEVEL_KEY} `{level}` is not an integer"),
                    })?,
            ),
        };
        Ok(match name.trim().to_ascii_lowercase().as_str() {
            "none" => Request::Plain,
            "fsst" => Request::Fsst,
            "lz4" => Request::General(compress::Codec::Lz4),
            "zstd" => Request::General(compress::Codec::Zstd {
                level: level.unwrap_or(3),
            }),
            other => {
                return Err(Error::InvalidData {
                    column: String::new(),
                    message: format!(
                        "{COMPRESSION_KEY} `{other}` is not one of none, fsst, lz4, zstd"
                    ),
                });
            }
        })
    }
}

/// Whether the page's values are wide enough for a full-zip page.
fn is_wide(slots: &Slots, valid: Option<&BooleanBuffer>) -> bool {
    match slots {
        Slots::Variable { offsets, .. } => (0..slots.len()).any(|i| {
            valid.is_none_or(|v| v.value(i))
                && offsets.get(i + 1) - offsets.get(i) >= WIDE_VALUE_BYTES
        }),
        Slots::Bits(_) => false,
        Slots::Lists { items, .. } if matches!(items.as_ref(), Slots::Bits(_)) => false,
        // Nested fixed-size lists with missing items keep a bitmap per level, which full-zip
        // values do not carry: such pages stay mini-block.
        Slots::Lists { items, .. }
            if matches!(items.as_ref(), Slots::Lists { .. }) && nested_validity(slots) =>
        {
            false
        }
        other => other
            .fixed_value_bytes()
            .is_some_and(|w| w >= WIDE_VALUE_BYTES),
    }
}

/// Whether fixed-size lists at any depth of `slots` carry item validity.
fn nested_validity(slots: &Slots) -> bool {
    match slots {
        Slots::Lists {
            items, validity, ..
        } => validity.is_some() || nested_validity(items),
        _ => false,
    }
}

/// A constant page: every value slot null (`value` None), or all equal to `value` (2.2).
/// The buffers are the value's (when not inline), then the levels when there are any that
/// matter: rep and def, an empty buffer for an absent kind.
fn constant(
    striped: &Striped,
    value: Option<Constant>,
    version: Version,
) -> (ConstantLayout, Vec<PageBuffer>) {
    let mut layout = ConstantLayout {
        layers: striped.layers.clone(),
        ..Default::default()
    };
    let mut buffers = Vec::with_capacity(3);
    let value = match value {
        None => None,
        Some(Constant::Inline(bytes)) => {
            layout.inline_value = Some(bytes);
            Some(())
        }
        Some(Constant::Buffer(bytes)) => {
            buffers.push(PageBuffer::from(bytes));
            Some(())
        }
    };
    // All null and no layer above the leaf: the layers say it all.
    let flat = striped.layers.len() == 1;
    let needs_levels = match value {
        None => !flat,
        Some(_) => striped.rep.is_some() || striped.def.is_some(),
    };
    if !needs_levels {
        return (layout, buffers);
    }
    let large = version == Version::V2_2;
    for (levels, is_rep) in [
        (striped.rep.as_deref(), true),
        (striped.def.as_deref(), false),
    ] {
        let Some(levels) = levels else {
            buffers.push(PageBuffer::new());
            continue;
        };
        if !large || value.is_some() {
            // 2.1 stores whole-page levels as raw u16, and so does 2.2 next to a value.
            buffers.push(PageBuffer::from(LevelScheme::Flat.encode(levels)));
            continue;
        }
        let scheme = LevelScheme::choose(levels, true);
        buffers.push(PageBuffer::from(scheme.encode(levels)));
        if is_rep {
            layout.rep_compression = Some(scheme.encoding());
            layout.num_rep_values = levels.len() as u64;
        } else {
            layout.def_compression = Some(scheme.encoding());
            layout.num_def_values = levels.len() as u64;
        }
    }
    (layout, buffers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structural::{StructuralPage, decode_structural_page};
    use arrow_array::ListArray;
    use arrow_array::types::Int32Type;
    use prost::Message;
    use std::sync::Arc;

    #[test]
    fn sparse_lists_fit_the_chunks_16_bit_fields() {
        // 200,000 rows, almost all empty lists: levels far outnumber values.
        let lists = ListArray::from_iter_primitive::<Int32Type, _, _>((0..200_000).map(|i| {
            Some(if i % 40_000 == 7 {
                vec![Some(i)]
            } else {
                vec![]
            })
        }));
        let field = Field::new("l", lists.data_type().clone(), true);
        let array: ArrayRef = Arc::new(lists);
        for version in [StructuralVersion::V2_1, StructuralVersion::V2_2] {
            let pages =
                encode_structural_pages(&field, 0, std::slice::from_ref(&array), version).unwrap();
            let mut parts = Vec::new();
            for page in &pages {
                let layout = page.layout.encode_to_vec();
                let buffers: Vec<_> = page.buffers.iter().map(|b| b.to_contiguous()).collect();
                let source = StructuralPage {
                    layout: &layout,
                    buffers: &buffers,
                    num_rows: page.num_rows,
                };
                parts.push(decode_structural_page(source, field.data_type()).unwrap());
            }
            let refs: Vec<&dyn Array> = parts.iter().map(|p| p.as_ref()).collect();
            let back = arrow_select::concat::concat(&refs).unwrap();
            assert_eq!(back.to_data(), array.to_data(), "{version:?}");
        }
    }
}
