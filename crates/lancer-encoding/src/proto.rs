//! Protobuf messages of the `lance.encodings` package: how a v2.0 page is encoded.
//!
//! Declared by hand with `prost` derive so no `protoc` is needed at build time. Field tags and
//! message names follow Lance's `encodings_v2_0.proto`; the package and message names matter
//! because pages refer to these messages through `google.protobuf.Any` type URLs
//! ([`ARRAY_ENCODING_TYPE_URL`], [`COLUMN_ENCODING_TYPE_URL`]).
//!
//! Messages that only 2.1+ files use (tags 14 to 21 of [`ArrayEncoding`]) are declared too, so a
//! decoder can name them in its error instead of seeing an empty message.

/// `Any` type URL of a v2.0 page encoding, exactly as pylance writes it.
pub const ARRAY_ENCODING_TYPE_URL: &str = "/lance.encodings.ArrayEncoding";
/// `Any` type URL of a v2.0 column encoding, exactly as pylance writes it.
pub const COLUMN_ENCODING_TYPE_URL: &str = "/lance.encodings.ColumnEncoding";

/// A reference to one buffer of a page (or of the column / file).
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Buffer {
    /// Index into the collection chosen by `buffer_type`.
    #[prost(uint32, tag = "1")]
    pub buffer_index: u32,
    /// Which collection: 0 = page, 1 = column, 2 = file.
    #[prost(enumeration = "BufferType", tag = "2")]
    pub buffer_type: i32,
}

/// Where a [`Buffer`] lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum BufferType {
    /// One of the page's own buffers.
    Page = 0,
    /// A column-level buffer.
    Column = 1,
    /// A global (file-level) buffer.
    File = 2,
}

/// Validity wrapper around a value encoding.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Nullable {
    /// Which of the three null shapes the page has.
    #[prost(oneof = "nullable::Nullability", tags = "1, 2, 3")]
    pub nullability: Option<nullable::Nullability>,
}

/// Variants of [`Nullable`].
pub mod nullable {
    use super::ArrayEncoding;

    /// Every value is valid.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NoNull {
        /// The values.
        #[prost(message, optional, boxed, tag = "1")]
        pub values: Option<Box<ArrayEncoding>>,
    }

    /// Every value is null; the page has no buffers.
    #[derive(Clone, Copy, PartialEq, prost::Message)]
    pub struct AllNull {}

    /// Some values are null: a validity bitmap plus every value slot.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SomeNull {
        /// One bit per value, 1 = valid.
        #[prost(message, optional, boxed, tag = "1")]
        pub validity: Option<Box<ArrayEncoding>>,
        /// The values, null slots included.
        #[prost(message, optional, boxed, tag = "2")]
        pub values: Option<Box<ArrayEncoding>>,
    }

    /// The oneof of [`super::Nullable`].
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Nullability {
        /// No nulls.
        #[prost(message, tag = "1")]
        NoNulls(Box<NoNull>),
        /// Some nulls.
        #[prost(message, tag = "2")]
        SomeNulls(Box<SomeNull>),
        /// All nulls.
        #[prost(message, tag = "3")]
        AllNulls(AllNull),
    }
}

/// Offsets page of a list column.
#[derive(Clone, PartialEq, prost::Message)]
pub struct List {
    /// The u64 end offsets, null-adjusted.
    #[prost(message, optional, boxed, tag = "1")]
    pub offsets: Option<Box<ArrayEncoding>>,
    /// Added to the offset of a null list.
    #[prost(uint64, tag = "2")]
    pub null_offset_adjustment: u64,
    /// Number of items referenced by this page.
    #[prost(uint64, tag = "3")]
    pub num_items: u64,
}

/// A fixed-size list (vector): its items, `dimension` per value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FixedSizeList {
    /// Items per list.
    #[prost(uint32, tag = "1")]
    pub dimension: u32,
    /// The flattened items.
    #[prost(message, optional, boxed, tag = "2")]
    pub items: Option<Box<ArrayEncoding>>,
    /// Never set by pylance for 2.0; validity comes from an outer [`Nullable`].
    #[prost(bool, tag = "3")]
    pub has_validity: bool,
}

/// General-purpose buffer compression.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Compression {
    /// Scheme name, e.g. `zstd`.
    #[prost(string, tag = "1")]
    pub scheme: String,
    /// Optional compression level.
    #[prost(int32, optional, tag = "2")]
    pub level: Option<i32>,
}

/// Values stored back to back at a fixed bit width.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Flat {
    /// 1 for a bitmap, otherwise a multiple of 8.
    #[prost(uint64, tag = "1")]
    pub bits_per_value: u64,
    /// The buffer holding the values. Always written, even when all defaults.
    #[prost(message, optional, tag = "2")]
    pub buffer: Option<Buffer>,
    /// Present when the buffer is compressed.
    #[prost(message, optional, tag = "3")]
    pub compression: Option<Compression>,
}

/// A single repeated value (no v2.0 decoder in pylance).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Constant {
    /// The value's bytes.
    #[prost(bytes = "vec", tag = "1")]
    pub value: Vec<u8>,
}

/// Bit-packed integers.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Bitpacked {
    /// Packed width.
    #[prost(uint64, tag = "1")]
    pub compressed_bits_per_value: u64,
    /// Width once unpacked.
    #[prost(uint64, tag = "2")]
    pub uncompressed_bits_per_value: u64,
    /// The packed bits.
    #[prost(message, optional, tag = "3")]
    pub buffer: Option<Buffer>,
    /// Whether values are signed.
    #[prost(bool, tag = "4")]
    pub signed: bool,
}

/// Bit-packed non-negative integers.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BitpackedForNonNeg {
    /// Packed width.
    #[prost(uint64, tag = "1")]
    pub compressed_bits_per_value: u64,
    /// Width once unpacked.
    #[prost(uint64, tag = "2")]
    pub uncompressed_bits_per_value: u64,
    /// The packed bits.
    #[prost(message, optional, tag = "3")]
    pub buffer: Option<Buffer>,
}

/// 2.1+ mini-block bit packing (declared only to name it in errors).
#[derive(Clone, PartialEq, prost::Message)]
pub struct InlineBitpacking {
    /// Width once unpacked.
    #[prost(uint64, tag = "2")]
    pub uncompressed_bits_per_value: u64,
}

/// 2.1+ bit packing (declared only to name it in errors).
#[derive(Clone, PartialEq, prost::Message)]
pub struct OutOfLineBitpacking {
    /// Width once unpacked.
    #[prost(uint64, tag = "2")]
    pub uncompressed_bits_per_value: u64,
    /// Packed width.
    #[prost(uint64, tag = "3")]
    pub compressed_bits_per_value: u64,
}

/// Header page of a struct column; it has no buffers.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct SimpleStruct {}

/// Variable-width values: u64 end offsets plus the concatenated bytes.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Binary {
    /// End offsets, null-adjusted.
    #[prost(message, optional, boxed, tag = "1")]
    pub indices: Option<Box<ArrayEncoding>>,
    /// The concatenated value bytes.
    #[prost(message, optional, boxed, tag = "2")]
    pub bytes: Option<Box<ArrayEncoding>>,
    /// Added to the end offset of a null value.
    #[prost(uint64, tag = "3")]
    pub null_adjustment: u64,
}

/// 2.1+ variable-width encoding (declared only to name it in errors).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Variable {
    /// Offset width.
    #[prost(uint32, tag = "1")]
    pub bits_per_offset: u32,
}

/// FSST-compressed strings.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Fsst {
    /// The compressed strings as a [`Binary`].
    #[prost(message, optional, boxed, tag = "1")]
    pub binary: Option<Box<ArrayEncoding>>,
    /// The serialized symbol table.
    #[prost(bytes = "vec", tag = "2")]
    pub symbol_table: Vec<u8>,
}

/// Indices into a dictionary of items.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Dictionary {
    /// One index per value.
    #[prost(message, optional, boxed, tag = "1")]
    pub indices: Option<Box<ArrayEncoding>>,
    /// The dictionary items.
    #[prost(message, optional, boxed, tag = "2")]
    pub items: Option<Box<ArrayEncoding>>,
    /// Number of items.
    #[prost(uint32, tag = "3")]
    pub num_dictionary_items: u32,
}

/// A struct of fixed-width children stored row by row in one buffer.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PackedStruct {
    /// One encoding per child, in order.
    #[prost(message, repeated, tag = "1")]
    pub inner: Vec<ArrayEncoding>,
    /// The packed rows.
    #[prost(message, optional, tag = "2")]
    pub buffer: Option<Buffer>,
}

/// 2.1+ packed struct mini-block (declared only to name it in errors).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PackedStructFixedWidthMiniBlock {
    /// The packed values.
    #[prost(message, optional, boxed, tag = "1")]
    pub flat: Option<Box<ArrayEncoding>>,
    /// Width of each child.
    #[prost(uint32, repeated, tag = "2")]
    pub bits_per_values: Vec<u32>,
}

/// Variable-width values that all have the same length.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FixedSizeBinary {
    /// The bytes.
    #[prost(message, optional, boxed, tag = "1")]
    pub bytes: Option<Box<ArrayEncoding>>,
    /// Width of each value.
    #[prost(uint32, tag = "2")]
    pub byte_width: u32,
}

/// 2.1+ block compression (declared only to name it in errors).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Block {
    /// Scheme name.
    #[prost(string, tag = "1")]
    pub scheme: String,
}

/// 2.1+ run-length encoding (declared only to name it in errors).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Rle {
    /// Value width.
    #[prost(uint64, tag = "1")]
    pub bits_per_value: u64,
}

/// 2.1+ general mini-block compression (declared only to name it in errors).
#[derive(Clone, PartialEq, prost::Message)]
pub struct GeneralMiniBlock {
    /// The wrapped encoding.
    #[prost(message, optional, boxed, tag = "1")]
    pub inner: Option<Box<ArrayEncoding>>,
    /// The compression.
    #[prost(message, optional, tag = "2")]
    pub compression: Option<Compression>,
}

/// 2.1+ byte stream split (declared only to name it in errors).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ByteStreamSplit {
    /// Value width.
    #[prost(uint64, tag = "1")]
    pub bits_per_value: u64,
}

/// The encoding of one page: a tree whose leaves point at the page's buffers.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ArrayEncoding {
    /// Which encoding.
    #[prost(
        oneof = "array_encoding::Kind",
        tags = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21"
    )]
    pub kind: Option<array_encoding::Kind>,
}

/// Variants of [`ArrayEncoding`].
pub mod array_encoding {
    use super::*;

    /// The oneof of [`super::ArrayEncoding`].
    #[allow(missing_docs)]
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Kind {
        #[prost(message, tag = "1")]
        Flat(Flat),
        #[prost(message, tag = "2")]
        Nullable(Box<Nullable>),
        #[prost(message, tag = "3")]
        FixedSizeList(Box<FixedSizeList>),
        #[prost(message, tag = "4")]
        List(Box<List>),
        #[prost(message, tag = "5")]
        Struct(SimpleStruct),
        #[prost(message, tag = "6")]
        Binary(Box<Binary>),
        #[prost(message, tag = "7")]
        Dictionary(Box<Dictionary>),
        #[prost(message, tag = "8")]
        Fsst(Box<Fsst>),
        #[prost(message, tag = "9")]
        PackedStruct(PackedStruct),
        #[prost(message, tag = "10")]
        Bitpacked(Bitpacked),
        #[prost(message, tag = "11")]
        FixedSizeBinary(Box<FixedSizeBinary>),
        #[prost(message, tag = "12")]
        BitpackedForNonNeg(BitpackedForNonNeg),
        #[prost(message, tag = "13")]
        Constant(Constant),
        #[prost(message, tag = "14")]
        InlineBitpacking(InlineBitpacking),
        #[prost(message, tag = "15")]
        OutOfLineBitpacking(OutOfLineBitpacking),
        #[prost(message, tag = "16")]
        Variable(Variable),
        #[prost(message, tag = "17")]
        PackedStructFixedWidthMiniBlock(Box<PackedStructFixedWidthMiniBlock>),
        #[prost(message, tag = "18")]
        Block(Block),
        #[prost(message, tag = "19")]
        Rle(Rle),
        #[prost(message, tag = "20")]
        GeneralMiniBlock(Box<GeneralMiniBlock>),
        #[prost(message, tag = "21")]
        ByteStreamSplit(ByteStreamSplit),
    }

    impl Kind {
        /// The encoding's name, for error messages.
        pub fn name(&self) -> &'static str {
            match self {
                Kind::Flat(_) => "Flat",
                Kind::Nullable(_) => "Nullable",
                Kind::FixedSizeList(_) => "FixedSizeList",
                Kind::List(_) => "List",
                Kind::Struct(_) => "SimpleStruct",
                Kind::Binary(_) => "Binary",
                Kind::Dictionary(_) => "Dictionary",
                Kind::Fsst(_) => "Fsst",
                Kind::PackedStruct(_) => "PackedStruct",
                Kind::Bitpacked(_) => "Bitpacked",
                Kind::FixedSizeBinary(_) => "FixedSizeBinary",
                Kind::BitpackedForNonNeg(_) => "BitpackedForNonNeg",
                Kind::Constant(_) => "Constant",
                Kind::InlineBitpacking(_) => "InlineBitpacking",
                Kind::OutOfLineBitpacking(_) => "OutOfLineBitpacking",
                Kind::Variable(_) => "Variable",
                Kind::PackedStructFixedWidthMiniBlock(_) => "PackedStructFixedWidthMiniBlock",
                Kind::Block(_) => "Block",
                Kind::Rle(_) => "Rle",
                Kind::GeneralMiniBlock(_) => "GeneralMiniBlock",
                Kind::ByteStreamSplit(_) => "ByteStreamSplit",
            }
        }
    }
}

/// `google.protobuf.Empty`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Empty {}

/// Column-level encoding. pylance writes `values` for every 2.0 column.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ColumnEncoding {
    /// Which column encoding.
    #[prost(oneof = "column_encoding::Kind", tags = "1, 2, 3")]
    pub kind: Option<column_encoding::Kind>,
}

/// Variants of [`ColumnEncoding`].
pub mod column_encoding {
    /// The oneof of [`super::ColumnEncoding`].
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Kind {
        /// Plain values (the only kind pylance writes for 2.0).
        #[prost(message, tag = "1")]
        Values(super::Empty),
        /// A zone map index (not written by pylance for 2.0).
        #[prost(message, tag = "2")]
        ZoneIndex(Box<super::ZoneIndex>),
        /// Blob column (not written by pylance for 2.0 by default).
        #[prost(message, tag = "3")]
        Blob(Box<super::Blob>),
    }
}

/// Zone map wrapper (declared to recognise it).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ZoneIndex {
    /// Rows per zone.
    #[prost(uint32, tag = "1")]
    pub rows_per_zone: u32,
    /// Where the zone map lives.
    #[prost(message, optional, tag = "2")]
    pub zone_map_buffer: Option<Buffer>,
    /// The wrapped column encoding.
    #[prost(message, optional, boxed, tag = "3")]
    pub inner: Option<Box<ColumnEncoding>>,
}

/// Blob wrapper (declared to recognise it).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Blob {
    /// The wrapped column encoding.
    #[prost(message, optional, boxed, tag = "1")]
    pub inner: Option<Box<ColumnEncoding>>,
}

impl ArrayEncoding {
    /// Wraps an encoding kind.
    pub fn new(kind: array_encoding::Kind) -> Self {
        Self { kind: Some(kind) }
    }

    /// `Flat` over page buffer `index`.
    pub fn flat(bits_per_value: u64, index: u32) -> Self {
        Self::new(array_encoding::Kind::Flat(Flat {
            bits_per_value,
            buffer: Some(Buffer {
                buffer_index: index,
                buffer_type: BufferType::Page as i32,
            }),
            compression: None,
        }))
    }

    /// `Nullable.no_nulls` around `values`.
    pub fn no_nulls(values: ArrayEncoding) -> Self {
        Self::new(array_encoding::Kind::Nullable(Box::new(Nullable {
            nullability: Some(nullable::Nullability::NoNulls(Box::new(nullable::NoNull {
                values: Some(Box::new(values)),
            }))),
        })))
    }

    /// `Nullable.some_nulls` with a validity bitmap and values.
    pub fn some_nulls(validity: ArrayEncoding, values: ArrayEncoding) -> Self {
        Self::new(array_encoding::Kind::Nullable(Box::new(Nullable {
            nullability: Some(nullable::Nullability::SomeNulls(Box::new(
                nullable::SomeNull {
                    validity: Some(Box::new(validity)),
                    values: Some(Box::new(values)),
                },
            ))),
        })))
    }

    /// `Nullable.all_nulls`.
    pub fn all_nulls() -> Self {
        Self::new(array_encoding::Kind::Nullable(Box::new(Nullable {
            nullability: Some(nullable::Nullability::AllNulls(nullable::AllNull {})),
        })))
    }
}
