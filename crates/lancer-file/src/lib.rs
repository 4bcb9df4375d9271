//! Lance v2 data files: the container around lancer-encoding's pages, the Lance schema every
//! file embeds, and a streaming writer and range-reading reader over `object_store`.
//!
//! A file is a run of 64-byte aligned page buffers followed by metadata: the file descriptor
//! (schema with field ids, row count), one `ColumnMetadata` per column, two offset tables
//! and a 40-byte footer ([`format`]). [`FileWriter`] streams batches into such a file,
//! buffering about one page per column; [`FileReader`] opens a file with one read of its
//! tail and then fetches only the pages of the columns and rows asked for.
//!
//! lancer reads and writes file formats 2.0 (footer version 0.3, recorded as 2.0 in
//! manifests), 2.1 and 2.2 (pylance 14's default); [`FileWriterOptions::with_version`]
//! chooses. In 2.1/2.2 files only leaf fields have columns. Files of later versions open
//! (schema, row count, version) but decoding their pages is refused with a clear error.
//!
//! Without the default `store` feature the crate provides only the schema and the metadata
//! parsing ([`parse_metadata`]), with no tokio or object_store in its dependency tree.
#![deny(missing_docs)]

mod error;
pub mod format;
pub mod proto;
mod schema;

#[cfg(feature = "store")]
mod reader;
#[cfg(feature = "store")]
mod writer;

pub use error::{Error, Result};
pub use format::{FileMetadata, FileVersion, MetadataParse, parse_metadata};
pub use schema::{
    FieldEncoding, LanceField, LanceSchema, LegacyFieldParts, MAX_DEPTH, PRIMARY_KEY_METADATA,
    arrow_type_of, logical_type_of,
};

#[cfg(feature = "store")]
pub use reader::{FileReader, Projection, ReadOptions};
#[cfg(feature = "store")]
pub use writer::{FileWriter, FileWriterOptions, WrittenFile};
