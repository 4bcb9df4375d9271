//! Protobuf messages of the file container (`lance.file.v2`) and of the schema every file
//! embeds (`lance.file`), declared by hand with `prost` derive. Tags follow Lance's
//! `file2.proto` and `file.proto`.

use std::collections::BTreeMap;

/// `google.protobuf.Empty`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Empty {}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Any {
    /// Type URL; only the text after the last `/` names the message.
    #[prost(string, tag = "1")]
    pub type_url: String,
    /// The serialized message.
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// Encoding bytes stored elsewhere in the file (never written by pylance).
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct DeferredEncoding {
    /// Absolute position.
    #[prost(uint64, tag = "1")]
    pub buffer_location: u64,
    /// Length in bytes.
    #[prost(uint64, tag = "2")]
    pub buffer_length: u64,
}

/// Encoding bytes stored inline.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DirectEncoding {
    /// A serialized [`Any`].
    #[prost(bytes = "vec", tag = "1")]
    pub encoding: Vec<u8>,
}

/// Where an encoding description lives.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Encoding {
    /// The location.
    #[prost(oneof = "encoding::Location", tags = "1, 2, 3")]
    pub location: Option<encoding::Location>,
}

/// Variants of [`Encoding`].
pub mod encoding {
    /// The oneof of [`super::Encoding`].
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Location {
        /// Stored elsewhere.
        #[prost(message, tag = "1")]
        Indirect(super::DeferredEncoding),
        /// Stored inline (what pylance writes).
        #[prost(message, tag = "2")]
        Direct(super::DirectEncoding),
        /// No encoding.
        #[prost(message, tag = "3")]
        None(super::Empty),
    }
}

/// One column's metadata: its encoding and its pages, in row order.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ColumnMetadata {
    /// Column-level encoding.
    #[prost(message, optional, tag = "1")]
    pub encoding: Option<Encoding>,
    /// Pages in row order.
    #[prost(message, repeated, tag = "2")]
    pub pages: Vec<column_metadata::Page>,
    /// Column-level buffer positions.
    #[prost(uint64, repeated, tag = "3")]
    pub buffer_offsets: Vec<u64>,
    /// Column-level buffer sizes.
    #[prost(uint64, repeated, tag = "4")]
    pub buffer_sizes: Vec<u64>,
}

/// Nested messages of [`ColumnMetadata`].
pub mod column_metadata {
    /// One page of a column.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Page {
        /// Absolute positions of the page's buffers.
        #[prost(uint64, repeated, tag = "1")]
        pub buffer_offsets: Vec<u64>,
        /// Unpadded sizes of the page's buffers.
        #[prost(uint64, repeated, tag = "2")]
        pub buffer_sizes: Vec<u64>,
        /// Number of values in the page.
        #[prost(uint64, tag = "3")]
        pub length: u64,
        /// The page encoding.
        #[prost(message, optional, tag = "4")]
        pub encoding: Option<super::Encoding>,
        /// Always 0 in 2.0 files.
        #[prost(uint64, tag = "5")]
        pub priority: u64,
    }
}

/// Global buffer 0 of every v2 file: the schema and the row count.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileDescriptor {
    /// The schema.
    #[prost(message, optional, tag = "1")]
    pub schema: Option<Schema>,
    /// Number of top-level rows.
    #[prost(uint64, tag = "2")]
    pub length: u64,
}

/// A schema: all fields flattened in pre-order, plus schema metadata.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Schema {
    /// Fields in depth-first pre-order.
    #[prost(message, repeated, tag = "1")]
    pub fields: Vec<Field>,
    /// Arrow schema metadata.
    #[prost(btree_map = "string, bytes", tag = "5")]
    pub metadata: BTreeMap<String, Vec<u8>>,
}

/// Legacy dictionary location (unused by v2 files).
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Dictionary {
    /// Offset in the file.
    #[prost(int64, tag = "1")]
    pub offset: i64,
    /// Length.
    #[prost(int64, tag = "2")]
    pub length: i64,
}

/// One field of a schema (shared by data files and manifests).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Field {
    /// PARENT=0, REPEATED=1, LEAF=2; pylance leaves it 0.
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    /// Field name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Field id.
    #[prost(int32, tag = "3")]
    pub id: i32,
    /// Parent's id, -1 for top-level fields.
    #[prost(int32, tag = "4")]
    pub parent_id: i32,
    /// Logical type string.
    #[prost(string, tag = "5")]
    pub logical_type: String,
    /// Arrow nullability.
    #[prost(bool, tag = "6")]
    pub nullable: bool,
    /// Legacy encoding hint: NONE=0, PLAIN=1, VAR_BINARY=2, DICTIONARY=3, RLE=4.
    #[prost(int32, tag = "7")]
    pub encoding: i32,
    /// Legacy dictionary location.
    #[prost(message, optional, tag = "8")]
    pub dictionary: Option<Dictionary>,
    /// Deprecated extension name.
    #[prost(string, tag = "9")]
    pub extension_name: String,
    /// Arrow field metadata.
    #[prost(btree_map = "string, bytes", tag = "10")]
    pub metadata: BTreeMap<String, Vec<u8>>,
    /// Unenforced primary key marker.
    #[prost(bool, tag = "12")]
    pub unenforced_primary_key: bool,
}
