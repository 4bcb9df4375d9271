//! Lance v2 data files: the container around lancer-encoding's pages, the Lance schema every
//! file embeds, and a streaming writer and range-reading reader over `object_store`.
//!
//! A file is a run of 64-byte aligned page buffers followed by metadata: the file descriptor
//! (schema with field ids, row count), one `ColumnMetadata` per column, two offset tables
//! and a 40-byte footer ([`format`](mod@format)). [`FileWriter`] streams batches into such a file,
//! buffering about one page per column; [`FileReader`] opens a file with one read of its
//! tail and then fetches only the pages of the columns and rows asked for.
//!
//! lancer reads and writes file formats 2.0 (footer version 0.3, recorded as 2.0 in
//! manifests), 2.1 and 2.2 (pylance 14's default); [`FileWriterOptions::with_version`]
//! chooses. In 2.1/2.2 files only leaf fields have columns. Files of later versions open
//! (schema, row count, version) but decoding their pages is refused with a clear error.
//!
//! Features: `store` (default) adds the reader and writer over `object_store` (and tokio);
//! `pages` (part of `store`) the container parsing (`parse_metadata`) and lancer-encoding's
//! pages with their codecs. With neither, the crate is the Lance schema, the protobuf
//! messages and [`FileVersion`]: what the table layer needs, with no codec, no tokio and no
//! object_store in its tree.
#![deny(missing_docs)]

mod error;
#[cfg(feature = "pages")]
pub mod format;
pub mod proto;
mod schema;
mod version;

#[cfg(feature = "store")]
mod reader;
#[cfg(feature = "store")]
mod writer;

pub use error::{Error, Result};
#[cfg(feature = "pages")]
pub use format::{FileMetadata, MetadataParse, parse_metadata};
pub use schema::{
    FieldEncoding, LanceField, LanceSchema, LegacyFieldParts, MAX_DEPTH, PRIMARY_KEY_METADATA,
    arrow_type_of, logical_type_of,
};
pub use version::FileVersion;

#[cfg(feature = "store")]
pub use reader::{FileReader, Projection, ReadOptions};
#[cfg(feature = "store")]
pub use writer::{FileWriter, FileWriterOptions, WrittenFile};
