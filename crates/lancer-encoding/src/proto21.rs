//! Protobuf messages of the `lance.encodings21` package: how a 2.1 or 2.2 page is laid out.
//!
//! Declared by hand with `prost` derive (no `protoc`). Files 2.1 and 2.2 both use this
//! package; a page's `Any` has the type URL [`PAGE_LAYOUT_TYPE_URL`]. Tags follow Lance's
//! `encodings_v2_1.proto`, checked against files pylance 14.0.2 writes.

/// `Any` type URL of a 2.1/2.2 page layout, exactly as pylance writes it.
pub const PAGE_LAYOUT_TYPE_URL: &str = "/lance.encodings21.PageLayout";

/// What one nesting layer of a column contributes to its definition levels, innermost first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum RepDefLayer {
    /// Not set (invalid in a file).
    RepdefUnspecified = 0,
    /// A value or struct layer without nulls.
    RepdefAllValidItem = 1,
    /// A list layer without null or empty lists.
    RepdefAllValidList = 2,
    /// A value or struct layer with nulls.
    RepdefNullableItem = 3,
    /// A list layer with null lists (no empty ones).
    RepdefNullableList = 4,
    /// A list layer with empty lists (no null ones).
    RepdefEmptyableList = 5,
    /// A list layer with both null and empty lists.
    RepdefNullAndEmptyList = 6,
}

/// How a page's values, levels and dictionary are arranged.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PageLayout {
    /// The layout.
    #[prost(oneof = "page_layout::Layout", tags = "1, 2, 3, 4")]
    pub layout: Option<page_layout::Layout>,
}

/// Variants of [`PageLayout`].
pub mod page_layout {
    /// The oneof of [`super::PageLayout`].
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Layout {
        /// Small values in independently decodable chunks.
        #[prost(message, tag = "1")]
        MiniBlock(super::MiniBlockLayout),
        /// Every value the same, or every value null.
        #[prost(message, tag = "2")]
        Constant(super::ConstantLayout),
        /// Large values stored one after the other with their levels.
        #[prost(message, tag = "3")]
        FullZip(super::FullZipLayout),
        /// Values stored outside the page (blob columns).
        #[prost(message, tag = "4")]
        Blob(Box<super::BlobLayout>),
    }
}

/// A page cut into chunks of values, each with its own levels.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MiniBlockLayout {
    /// Compression of each chunk's repetition levels (present iff the page has them).
    #[prost(message, optional, tag = "1")]
    pub rep_compression: Option<CompressiveEncoding>,
    /// Compression of each chunk's definition levels (present iff the page has them).
    #[prost(message, optional, tag = "2")]
    pub def_compression: Option<CompressiveEncoding>,
    /// Compression of each chunk's values.
    #[prost(message, optional, tag = "3")]
    pub value_compression: Option<CompressiveEncoding>,
    /// Compression of the page's dictionary, if the values are dictionary indices.
    #[prost(message, optional, tag = "4")]
    pub dictionary: Option<CompressiveEncoding>,
    /// Items in the dictionary.
    #[prost(uint64, tag = "5")]
    pub num_dictionary_items: u64,
    /// The column's layers, innermost first.
    #[prost(enumeration = "RepDefLayer", repeated, tag = "6")]
    pub layers: Vec<i32>,
    /// Value buffers per chunk.
    #[prost(uint64, tag = "7")]
    pub num_buffers: u64,
    /// Depth of the repetition index (0: none).
    #[prost(uint32, tag = "8")]
    pub repetition_index_depth: u32,
    /// Value slots (visible items) in the page.
    #[prost(uint64, tag = "9")]
    pub num_items: u64,
    /// Chunk metadata words and value sizes are u32 (2.2) rather than u16 (2.1).
    #[prost(bool, tag = "10")]
    pub has_large_chunk: bool,
}

/// A page of wide values, each stored with its levels in a control word.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FullZipLayout {
    /// Bits of the control word holding the repetition level.
    #[prost(uint32, tag = "1")]
    pub bits_rep: u32,
    /// Bits of the control word holding the definition level.
    #[prost(uint32, tag = "2")]
    pub bits_def: u32,
    /// Fixed or variable width.
    #[prost(oneof = "full_zip_layout::Details", tags = "3, 4")]
    pub details: Option<full_zip_layout::Details>,
    /// Items (levels), invisible ones included.
    #[prost(uint32, tag = "5")]
    pub num_items: u32,
    /// Items with a value slot.
    #[prost(uint32, tag = "6")]
    pub num_visible_items: u32,
    /// How each value is encoded.
    #[prost(message, optional, tag = "7")]
    pub value_compression: Option<CompressiveEncoding>,
    /// The column's layers, innermost first.
    #[prost(enumeration = "RepDefLayer", repeated, tag = "8")]
    pub layers: Vec<i32>,
}

/// Variants of [`FullZipLayout`].
pub mod full_zip_layout {
    /// The oneof of [`super::FullZipLayout`].
    #[derive(Clone, Copy, PartialEq, Eq, prost::Oneof)]
    pub enum Details {
        /// Fixed-width values of this many bits.
        #[prost(uint32, tag = "3")]
        BitsPerValue(u32),
        /// Variable-width values with a length prefix of this many bits.
        #[prost(uint32, tag = "4")]
        BitsPerOffset(u32),
    }
}

/// Every value the same (2.2), or every value null.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ConstantLayout {
    /// The column's layers, innermost first.
    #[prost(enumeration = "RepDefLayer", repeated, tag = "5")]
    pub layers: Vec<i32>,
    /// The value, when it is fixed width and small (2.2).
    #[prost(bytes = "vec", optional, tag = "6")]
    pub inline_value: Option<Vec<u8>>,
    /// Compression of the repetition level buffer (2.2).
    #[prost(message, optional, tag = "7")]
    pub rep_compression: Option<CompressiveEncoding>,
    /// Compression of the definition level buffer (2.2).
    #[prost(message, optional, tag = "8")]
    pub def_compression: Option<CompressiveEncoding>,
    /// Repetition levels stored (2.2).
    #[prost(uint64, tag = "9")]
    pub num_rep_values: u64,
    /// Definition levels stored (2.2).
    #[prost(uint64, tag = "10")]
    pub num_def_values: u64,
}

/// Values stored outside the page.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BlobLayout {
    /// The layout of the blob descriptions.
    #[prost(message, optional, boxed, tag = "1")]
    pub inner_layout: Option<Box<PageLayout>>,
    /// The column's layers, innermost first.
    #[prost(enumeration = "RepDefLayer", repeated, tag = "2")]
    pub layers: Vec<i32>,
}

/// A compression scheme for a whole buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum CompressionScheme {
    /// Not set.
    CompressionAlgorithmUnspecified = 0,
    /// LZ4 block format, after a u32 uncompressed length.
    Lz4 = 1,
    /// A zstd frame, after a u64 uncompressed length.
    Zstd = 2,
}

/// General-purpose compression of a buffer.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct BufferCompression {
    /// The scheme.
    #[prost(enumeration = "CompressionScheme", tag = "1")]
    pub scheme: i32,
    /// The level it was compressed at.
    #[prost(int32, optional, tag = "2")]
    pub level: Option<i32>,
}

/// How a run of values (or levels) is compressed.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CompressiveEncoding {
    /// The encoding.
    #[prost(
        oneof = "compressive_encoding::Compression",
        tags = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13"
    )]
    pub compression: Option<compressive_encoding::Compression>,
}

/// Variants of [`CompressiveEncoding`].
pub mod compressive_encoding {
    use super::*;

    /// The oneof of [`super::CompressiveEncoding`].
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Compression {
        /// Plain values.
        #[prost(message, tag = "1")]
        Flat(Flat),
        /// Offsets plus bytes.
        #[prost(message, tag = "2")]
        Variable(Box<Variable>),
        /// One value for everything.
        #[prost(message, tag = "3")]
        Constant(Constant),
        /// Bit packing with one width for the whole buffer.
        #[prost(message, tag = "4")]
        OutOfLineBitpacking(Box<OutOfLineBitpacking>),
        /// Bit packing with a width per 1024 values.
        #[prost(message, tag = "5")]
        InlineBitpacking(InlineBitpacking),
        /// FSST string compression.
        #[prost(message, tag = "6")]
        Fsst(Box<Fsst>),
        /// Dictionary indices plus items.
        #[prost(message, tag = "7")]
        Dictionary(Box<Dictionary>),
        /// Run-length encoding.
        #[prost(message, tag = "8")]
        Rle(Box<Rle>),
        /// Bytes of each value split into streams.
        #[prost(message, tag = "9")]
        ByteStreamSplit(Box<ByteStreamSplit>),
        /// General-purpose compression around another encoding.
        #[prost(message, tag = "10")]
        General(Box<General>),
        /// Fixed-size lists flattened into their items.
        #[prost(message, tag = "11")]
        FixedSizeList(Box<FixedSizeList>),
        /// Packed fixed-width struct fields.
        #[prost(message, tag = "12")]
        PackedStruct(Box<PackedStruct>),
        /// Packed variable-width struct fields.
        #[prost(message, tag = "13")]
        VariablePackedStruct(VariablePackedStruct),
    }
}

/// Plain values of a fixed number of bits.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Flat {
    /// Bits per value (1 for bitmaps).
    #[prost(uint64, tag = "1")]
    pub bits_per_value: u64,
    /// Compression of the data buffer, if any.
    #[prost(message, optional, tag = "2")]
    pub data: Option<BufferCompression>,
}

/// Variable-width values: offsets, then bytes.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Variable {
    /// Encoding of the offsets (Flat 32 or 64).
    #[prost(message, optional, boxed, tag = "1")]
    pub offsets: Option<Box<CompressiveEncoding>>,
    /// Compression of the bytes, if any.
    #[prost(message, optional, tag = "2")]
    pub values: Option<BufferCompression>,
}

/// One value for every item.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Constant {
    /// The value.
    #[prost(bytes = "vec", optional, tag = "1")]
    pub value: Option<Vec<u8>>,
}

/// Bit packing with one width for the whole buffer.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OutOfLineBitpacking {
    /// Width of the unpacked values.
    #[prost(uint64, tag = "1")]
    pub uncompressed_bits_per_value: u64,
    /// The packed values (Flat of the packed width).
    #[prost(message, optional, boxed, tag = "3")]
    pub values: Option<Box<CompressiveEncoding>>,
}

/// Bit packing with a width per group of 1024 values.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct InlineBitpacking {
    /// Width of the unpacked values.
    #[prost(uint64, tag = "1")]
    pub uncompressed_bits_per_value: u64,
    /// Compression of the packed buffer, if any.
    #[prost(message, optional, tag = "2")]
    pub values: Option<BufferCompression>,
}

/// FSST-compressed strings.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Fsst {
    /// The serialized symbol table.
    #[prost(bytes = "vec", tag = "1")]
    pub symbol_table: Vec<u8>,
    /// The compressed strings (Variable).
    #[prost(message, optional, boxed, tag = "2")]
    pub values: Option<Box<CompressiveEncoding>>,
}

/// Dictionary indices plus items.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Dictionary {
    /// The indices.
    #[prost(message, optional, boxed, tag = "1")]
    pub indices: Option<Box<CompressiveEncoding>>,
    /// The items.
    #[prost(message, optional, boxed, tag = "2")]
    pub items: Option<Box<CompressiveEncoding>>,
    /// Number of items.
    #[prost(uint32, tag = "3")]
    pub num_dictionary_items: u32,
}

/// Run-length encoding: one value and one length per run.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Rle {
    /// The run values.
    #[prost(message, optional, boxed, tag = "1")]
    pub values: Option<Box<CompressiveEncoding>>,
    /// The run lengths.
    #[prost(message, optional, boxed, tag = "2")]
    pub run_lengths: Option<Box<CompressiveEncoding>>,
}

/// Byte `j` of every value stored together, for each `j`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ByteStreamSplit {
    /// The values (Flat).
    #[prost(message, optional, boxed, tag = "1")]
    pub values: Option<Box<CompressiveEncoding>>,
}

/// General-purpose compression around another encoding.
#[derive(Clone, PartialEq, prost::Message)]
pub struct General {
    /// The compression.
    #[prost(message, optional, tag = "1")]
    pub compression: Option<BufferCompression>,
    /// The encoding inside.
    #[prost(message, optional, boxed, tag = "3")]
    pub values: Option<Box<CompressiveEncoding>>,
}

/// Fixed-size lists flattened into their items.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FixedSizeList {
    /// Items per list.
    #[prost(uint64, tag = "1")]
    pub items_per_value: u64,
    /// The items.
    #[prost(message, optional, boxed, tag = "2")]
    pub values: Option<Box<CompressiveEncoding>>,
    /// Each value carries a validity bitmap of its items.
    #[prost(bool, tag = "3")]
    pub has_validity: bool,
}

/// Packed fixed-width struct fields.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PackedStruct {
    /// Bits of each field.
    #[prost(uint64, repeated, tag = "1")]
    pub bits_per_value: Vec<u64>,
    /// The packed rows.
    #[prost(message, optional, boxed, tag = "2")]
    pub values: Option<Box<CompressiveEncoding>>,
}

/// Packed variable-width struct fields (2.2).
#[derive(Clone, PartialEq, prost::Message)]
pub struct VariablePackedStruct {
    /// One entry per field (kept opaque: lancer does not decode packed structs).
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub fields: Vec<Vec<u8>>,
}
