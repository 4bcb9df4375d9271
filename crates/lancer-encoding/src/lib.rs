//! Lance page encoding and decoding for Arrow arrays: file versions 2.0, 2.1 and 2.2.
//!
//! This crate is the bottom of lancer's stack: pure and synchronous, no IO. It turns Arrow
//! arrays into *pages* (a list of byte buffers plus a protobuf message describing them) and
//! pages back into Arrow arrays, byte-compatible with the Lance data files pylance writes.
//! The file container around the pages (column metadata, footer, schema) lives in
//! `lancer-file`.
//!
//! A Lance 2.0 file gives every field of the flattened schema its own column
//! ([`column_kinds`]): leaf values, list offsets, or a struct header. [`shred`] cuts a
//! top-level Arrow array into one [`ColumnSlice`] per column; the encoders turn a column's
//! slices into a page; the decoders reverse each step for any range of a page.
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{Array, ArrayRef, Int32Array};
//! use arrow_schema::DataType;
//! use lancer_encoding::{PageSource, decode_values, encode_values};
//!
//! let values: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None, Some(3)]));
//! let page = encode_values(&DataType::Int32, &[values.clone()]).unwrap();
//! // The file stores each buffer contiguously; here we just join the chunks.
//! let buffers: Vec<_> = page.buffers.iter().map(|b| b.to_contiguous()).collect();
//! let source = PageSource { encoding: &page.encoding, buffers: &buffers, num_values: page.num_values };
//! let decoded = decode_values(source, 0..3, &DataType::Int32).unwrap();
//! assert_eq!(decoded.as_ref(), values.as_ref());
//! ```
//!
//! Files of versions 2.1 and 2.2 give only leaves columns: each leaf's pages hold the
//! field's rows as repetition and definition levels plus values
//! ([`encode_structural_pages`], [`decode_structural_page`]); a column decodes to its
//! single-leaf array ([`leaf_types`]) and [`join_leaves`] puts a field together again.
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{Array, ArrayRef, Int64Array, StringArray, StructArray};
//! use arrow_schema::{DataType, Field, Fields};
//! use lancer_encoding::{StructuralPage, StructuralVersion, decode_structural_page,
//!     encode_structural_pages, join_leaves, leaf_types};
//! use prost::Message;
//!
//! let fields = Fields::from(vec![
//!     Field::new("id", DataType::Int64, false),
//!     Field::new("name", DataType::Utf8, true),
//! ]);
//! let rows: ArrayRef = Arc::new(StructArray::try_new(fields.clone(), vec![
//!     Arc::new(Int64Array::from(vec![1, 2, 3])),
//!     Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])),
//! ], Some(vec![true, false, true].into())).unwrap());
//! let field = Field::new("person", DataType::Struct(fields), true);
//! let mut leaves = Vec::new();
//! for (leaf, leaf_type) in leaf_types(field.data_type()).iter().enumerate() {
//!     let pages = encode_structural_pages(&field, leaf, &[rows.clone()], StructuralVersion::V2_2).unwrap();
//!     let page = &pages[0];
//!     let layout = page.layout.encode_to_vec();
//!     let buffers: Vec<_> = page.buffers.iter().map(|b| b.to_contiguous()).collect();
//!     let source = StructuralPage { layout: &layout, buffers: &buffers, num_rows: page.num_rows };
//!     leaves.push(decode_structural_page(source, leaf_type).unwrap());
//! }
//! let back = join_leaves(field.data_type(), leaves).unwrap();
//! assert_eq!(back.to_data(), rows.to_data());
//! ```
#![deny(missing_docs)]

#[cfg(target_endian = "big")]
compile_error!(
    "lancer writes little-endian buffers straight from Arrow memory; big-endian targets are not supported"
);

mod columns;
mod decode;
mod encode;
mod error;
mod page;
pub mod proto;
pub mod proto21;
mod structural;

pub use columns::{
    ColumnKind, ColumnSlice, check_structural_writable, check_writable, column_count, column_kinds,
    compact, fixed_width_bytes, shred,
};
pub use decode::{
    ListSlice, MAX_NULL_VALUES_PER_DECODE, PageSource, assemble_list, assemble_struct,
    decode_list_offsets, decode_values, flat_value_bytes, list_item, list_page_items,
};
pub use encode::{encode_list_offsets, encode_struct_header, encode_values};
pub use error::{Error, Result};
pub use page::{EncodedPage, PageBuffer, arrow_to_bytes};
pub use structural::{
    BufferRanges, RowRange, StructuralEncodedPage, StructuralPage, StructuralVersion,
    decode_structural_page, encode_structural_pages, join_leaves, leaf_array, leaf_count,
    leaf_types, structural_bytes_estimate, structural_page_is_fixed_full_zip,
    structural_type_supported,
};
