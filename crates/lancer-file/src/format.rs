//! The v2 container: footer, offset tables, and parsing the metadata at the end of a file.
//!
//! ```text
//! data buffers (64-byte aligned, padded with 0x48) | global buffer 0 (FileDescriptor)
//! | ColumnMetadata x num_columns | CMO table | GBO table | footer (40 bytes)
//! ```
//!
//! Parsing is pure: it works on the tail bytes of a file and says how much more of the tail
//! it needs, so it can be fuzzed and used without any storage layer.

use std::ops::Range;

use lancer_encoding::proto::{
    ARRAY_ENCODING_TYPE_URL, ArrayEncoding, COLUMN_ENCODING_TYPE_URL, ColumnEncoding,
};
use lancer_encoding::proto21::PAGE_LAYOUT_TYPE_URL;
use prost::Message;

use crate::error::{Error, Result, corrupt};
use crate::proto;
use crate::schema::LanceSchema;
pub use crate::version::FileVersion;

/// Length of the footer at the end of every v2 file.
pub const FOOTER_LEN: u64 = 40;
/// The magic bytes ending every Lance file.
pub const MAGIC: &[u8; 4] = b"LANC";
/// Alignment of page and global buffers.
pub const PAGE_ALIGNMENT: u64 = 64;
/// Byte used to pad buffers to [`PAGE_ALIGNMENT`] (pylance's choice; readers ignore it).
pub const PADDING_BYTE: u8 = 0x48;

/// The 40-byte footer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footer {
    /// Position of column 0's metadata.
    pub column_meta_start: u64,
    /// Position of the column metadata offset table.
    pub cmo_table_start: u64,
    /// Position of the global buffer offset table.
    pub gbo_table_start: u64,
    /// Number of global buffers.
    pub num_global_buffers: u32,
    /// Number of columns.
    pub num_columns: u32,
    /// Footer major version.
    pub major: u16,
    /// Footer minor version.
    pub minor: u16,
}

impl Footer {
    /// Parses the last 40 bytes of a file.
    pub fn parse(bytes: &[u8]) -> Result<Footer> {
        let bytes: &[u8; 40] = bytes
            .try_into()
            .map_err(|_| corrupt(format!("footer must be 40 bytes, got {}", bytes.len())))?;
        if &bytes[36..40] != MAGIC {
            return Err(Error::NotLance(
                "the file does not end with the magic bytes `LANC`".to_string(),
            ));
        }
        let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        let u16_at = |i: usize| u16::from_le_bytes(bytes[i..i + 2].try_into().expect("2 bytes"));
        Ok(Footer {
            column_meta_start: u64_at(0),
            cmo_table_start: u64_at(8),
            gbo_table_start: u64_at(16),
            num_global_buffers: u32_at(24),
            num_columns: u32_at(28),
            major: u16_at(32),
            minor: u16_at(34),
        })
    }

    /// The footer's 40 bytes.
    pub fn to_bytes(&self) -> [u8; 40] {
        let mut out = [0u8; 40];
        out[0..8].copy_from_slice(&self.column_meta_start.to_le_bytes());
        out[8..16].copy_from_slice(&self.cmo_table_start.to_le_bytes());
        out[16..24].copy_from_slice(&self.gbo_table_start.to_le_bytes());
        out[24..28].copy_from_slice(&self.num_global_buffers.to_le_bytes());
        out[28..32].copy_from_slice(&self.num_columns.to_le_bytes());
        out[32..34].copy_from_slice(&self.major.to_le_bytes());
        out[34..36].copy_from_slice(&self.minor.to_le_bytes());
        out[36..40].copy_from_slice(MAGIC);
        out
    }
}

/// How one page is encoded.
#[derive(Clone, Debug, PartialEq)]
pub enum PageEncoding {
    /// A v2.0 `lance.encodings.ArrayEncoding`.
    V2_0(ArrayEncoding),
    /// A 2.1/2.2 `lance.encodings21.PageLayout`, kept serialized (decoded with the page).
    Structural(Vec<u8>),
    /// Something else (a 2.1+ page layout, a deferred encoding...), kept by name.
    Other(String),
}

/// One page: where its buffers are, how many values it has, how it is encoded.
#[derive(Clone, Debug, PartialEq)]
pub struct PageInfo {
    /// Absolute byte ranges of the page's buffers, in index order.
    pub buffers: Vec<Range<u64>>,
    /// Number of values.
    pub num_values: u64,
    /// The encoding.
    pub encoding: PageEncoding,
}

impl PageInfo {
    /// Each buffer's size in bytes.
    pub fn buffer_sizes(&self) -> Vec<u64> {
        self.buffers.iter().map(|b| b.end - b.start).collect()
    }

    /// Bytes of all its buffers (saturating: the ranges come from the file).
    pub fn bytes(&self) -> u64 {
        self.buffers
            .iter()
            .map(|b| b.end - b.start)
            .fold(0u64, u64::saturating_add)
    }
}

/// One column: its pages in row order.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnInfo {
    /// The pages.
    pub pages: Vec<PageInfo>,
    /// Why the column cannot be decoded (an unsupported column encoding), if it cannot.
    pub unsupported: Option<String>,
}

impl ColumnInfo {
    /// Sum of the page lengths.
    pub fn num_values(&self) -> u64 {
        self.pages.iter().map(|p| p.num_values).sum()
    }
}

/// Everything a reader learns from a file's tail.
#[derive(Clone, Debug)]
pub struct FileMetadata {
    /// Format version.
    pub version: FileVersion,
    /// Number of top-level rows (from the file descriptor).
    pub num_rows: u64,
    /// The embedded schema, with the field ids the writer gave.
    pub schema: LanceSchema,
    /// The columns.
    pub columns: Vec<ColumnInfo>,
    /// Byte ranges of the global buffers (0 is the file descriptor).
    pub global_buffers: Vec<Range<u64>>,
    /// Size of the file.
    pub file_size: u64,
    /// Where the metadata region starts (everything before is data).
    pub metadata_start: u64,
    /// The footer.
    pub footer: Footer,
}

/// Outcome of [`parse_metadata`]: either the metadata, or the position from which the
/// parser needs the tail of the file.
#[derive(Debug)]
pub enum MetadataParse {
    /// Done.
    Parsed(Box<FileMetadata>),
    /// Call again with the bytes from this position to the end of the file.
    NeedFrom(u64),
}

/// Parses a file's metadata from `tail`, the last bytes of a file of `file_size` bytes.
pub fn parse_metadata(tail: &[u8], file_size: u64) -> Result<MetadataParse> {
    if file_size < FOOTER_LEN {
        return Err(Error::NotLance(format!(
            "{file_size} bytes is too small for a Lance file"
        )));
    }
    if (tail.len() as u64) < FOOTER_LEN || tail.len() as u64 > file_size {
        return Err(Error::InvalidInput(format!(
            "tail of {} bytes for a file of {file_size} bytes",
            tail.len()
        )));
    }
    let tail_start = file_size - tail.len() as u64;
    let footer = Footer::parse(&tail[tail.len() - FOOTER_LEN as usize..])?;
    let version = FileVersion::from_footer(footer.major, footer.minor)?;
    let footer_start = file_size - FOOTER_LEN;

    let gbo_len = 16 * footer.num_global_buffers as u64;
    let cmo_len = 16 * footer.num_columns as u64;
    let gbo_end = footer
        .gbo_table_start
        .checked_add(gbo_len)
        .ok_or_else(|| corrupt("global buffer table overflows"))?;
    if gbo_end > footer_start {
        return Err(corrupt(format!(
            "global buffer table ({} entries at {}) runs past the footer at {footer_start}",
            footer.num_global_buffers, footer.gbo_table_start
        )));
    }
    let cmo_end = footer
        .cmo_table_start
        .checked_add(cmo_len)
        .ok_or_else(|| corrupt("column table overflows"))?;
    if cmo_end > footer.gbo_table_start || footer.column_meta_start > footer.cmo_table_start {
        return Err(corrupt(format!(
            "column metadata ({} columns, from {}, table at {}) overlaps the global buffer table at {}",
            footer.num_columns,
            footer.column_meta_start,
            footer.cmo_table_start,
            footer.gbo_table_start
        )));
    }
    if footer.num_global_buffers == 0 {
        return Err(corrupt("the file has no global buffers, so no schema"));
    }
    let need_from = footer.column_meta_start.min(footer.gbo_table_start);
    if need_from < tail_start {
        return Ok(MetadataParse::NeedFrom(need_from));
    }
    let at = |range: Range<u64>| -> &[u8] {
        &tail[(range.start - tail_start) as usize..(range.end - tail_start) as usize]
    };
    let global_buffers = read_table(at(footer.gbo_table_start..gbo_end));
    for (i, buffer) in global_buffers.iter().enumerate() {
        if buffer.start > buffer.end || buffer.end > footer_start {
            return Err(corrupt(format!(
                "global buffer {i} ({buffer:?}) lies outside the file"
            )));
        }
    }
    let descriptor_range = global_buffers[0].clone();
    if descriptor_range.start < tail_start {
        return Ok(MetadataParse::NeedFrom(descriptor_range.start));
    }
    let descriptor = proto::FileDescriptor::decode(at(descriptor_range.clone()))?;
    let schema_proto = descriptor.schema.unwrap_or_default();
    let schema = LanceSchema::from_proto(&schema_proto.fields, schema_proto.metadata)?;

    let column_ranges = read_table(at(footer.cmo_table_start..cmo_end));
    let mut columns = Vec::with_capacity(column_ranges.len());
    let metadata_start = descriptor_range.start.min(footer.column_meta_start);
    for (i, range) in column_ranges.iter().enumerate() {
        if range.start > range.end
            || range.start < footer.column_meta_start
            || range.end > footer.cmo_table_start
        {
            return Err(corrupt(format!(
                "metadata of column {i} ({range:?}) lies outside the metadata region"
            )));
        }
        let column = proto::ColumnMetadata::decode(at(range.clone()))?;
        columns.push(column_info(i, column, metadata_start)?);
    }
    Ok(MetadataParse::Parsed(Box::new(FileMetadata {
        version,
        num_rows: descriptor.length,
        schema,
        columns,
        global_buffers,
        file_size,
        metadata_start,
        footer,
    })))
}

fn read_table(bytes: &[u8]) -> Vec<Range<u64>> {
    bytes
        .chunks_exact(16)
        .map(|entry| {
            let position = u64::from_le_bytes(entry[0..8].try_into().expect("8 bytes"));
            let length = u64::from_le_bytes(entry[8..16].try_into().expect("8 bytes"));
            position..position.saturating_add(length)
        })
        .collect()
}

/// Decodes the `Any` inside an `Encoding.direct`, returning its type URL and value.
fn direct_any(encoding: &Option<proto::Encoding>) -> Result<proto::Any, String> {
    match encoding.as_ref().and_then(|e| e.location.as_ref()) {
        Some(proto::encoding::Location::Direct(direct)) => {
            proto::Any::decode(direct.encoding.as_slice())
                .map_err(|e| format!("bad encoding message: {e}"))
        }
        Some(proto::encoding::Location::Indirect(_)) => {
            Err("deferred (indirect) encodings".to_string())
        }
        Some(proto::encoding::Location::None(_)) | None => Err("missing encoding".to_string()),
    }
}

fn type_name(type_url: &str) -> &str {
    type_url.rsplit('/').next().unwrap_or(type_url)
}

fn column_info(index: usize, column: proto::ColumnMetadata, data_end: u64) -> Result<ColumnInfo> {
    let unsupported = match direct_any(&column.encoding) {
        Ok(any) if type_url_matches(&any.type_url, COLUMN_ENCODING_TYPE_URL) => {
            match ColumnEncoding::decode(any.value.as_slice()) {
                Ok(ColumnEncoding {
                    kind: Some(lancer_encoding::proto::column_encoding::Kind::Values(_)),
                }) => None,
                Ok(other) => Some(format!("column encoding {other:?}")),
                Err(e) => return Err(corrupt(format!("column {index}: bad column encoding: {e}"))),
            }
        }
        Ok(any) => Some(format!("column encoding `{}`", type_name(&any.type_url))),
        Err(why) => {
            return Err(corrupt(format!(
                "column {index} is missing its encoding ({why})"
            )));
        }
    };
    let mut pages = Vec::with_capacity(column.pages.len());
    for (p, page) in column.pages.into_iter().enumerate() {
        if page.buffer_offsets.len() != page.buffer_sizes.len() {
            return Err(corrupt(format!(
                "column {index} page {p}: {} buffer offsets but {} sizes",
                page.buffer_offsets.len(),
                page.buffer_sizes.len()
            )));
        }
        let mut buffers = Vec::with_capacity(page.buffer_offsets.len());
        for (&position, &size) in page.buffer_offsets.iter().zip(&page.buffer_sizes) {
            let end = position.checked_add(size).filter(|end| *end <= data_end).ok_or_else(|| {
                corrupt(format!(
                    "column {index} page {p}: buffer of {size} bytes at {position} runs past the data region (ends at {data_end})"
                ))
            })?;
            buffers.push(position..end);
        }
        let encoding = match direct_any(&page.encoding) {
            Ok(any) if type_url_matches(&any.type_url, ARRAY_ENCODING_TYPE_URL) => {
                PageEncoding::V2_0(ArrayEncoding::decode(any.value.as_slice()).map_err(|e| {
                    corrupt(format!("column {index} page {p}: bad page encoding: {e}"))
                })?)
            }
            Ok(any) if type_url_matches(&any.type_url, PAGE_LAYOUT_TYPE_URL) => {
                PageEncoding::Structural(any.value)
            }
            Ok(any) => PageEncoding::Other(type_name(&any.type_url).to_string()),
            Err(why) => PageEncoding::Other(why),
        };
        pages.push(PageInfo {
            buffers,
            num_values: page.length,
            encoding,
        });
    }
    Ok(ColumnInfo { pages, unsupported })
}

/// pylance matches type URLs by the text after the last `/` and requires a `/`.
fn type_url_matches(type_url: &str, expected: &str) -> bool {
    type_url.contains('/') && type_name(type_url) == type_name(expected)
}

/// Builds `Encoding.direct(Any{type_url, value})`.
#[cfg(feature = "store")]
pub(crate) fn direct_encoding(type_url: &str, message: &impl Message) -> proto::Encoding {
    let any = proto::Any {
        type_url: type_url.to_string(),
        value: message.encode_to_vec(),
    };
    proto::Encoding {
        location: Some(proto::encoding::Location::Direct(proto::DirectEncoding {
            encoding: any.encode_to_vec(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footer_round_trips() {
        let footer = Footer {
            column_meta_start: 95,
            cmo_table_start: 200,
            gbo_table_start: 216,
            num_global_buffers: 1,
            num_columns: 1,
            major: 0,
            minor: 3,
        };
        assert_eq!(Footer::parse(&footer.to_bytes()).unwrap(), footer);
    }

    #[test]
    fn versions_map_like_pylance() {
        assert_eq!(FileVersion::from_footer(0, 3).unwrap(), FileVersion::V2_0);
        assert_eq!(FileVersion::from_footer(2, 0).unwrap(), FileVersion::V2_0);
        assert_eq!(FileVersion::from_footer(2, 2).unwrap(), FileVersion::V2_2);
        assert!(
            FileVersion::from_footer(0, 2)
                .unwrap_err()
                .to_string()
                .contains("legacy")
        );
        assert!(FileVersion::from_footer(3, 0).is_err());
        assert_eq!(FileVersion::V2_0.manifest_numbers(), (2, 0));
        assert_eq!(FileVersion::V2_0.footer_numbers(), (0, 3));
    }

    #[test]
    fn type_urls_match_by_last_segment() {
        assert!(type_url_matches(
            "/lance.encodings.ArrayEncoding",
            ARRAY_ENCODING_TYPE_URL
        ));
        assert!(type_url_matches(
            "type.googleapis.com/lance.encodings.ArrayEncoding",
            ARRAY_ENCODING_TYPE_URL
        ));
        assert!(!type_url_matches(
            "lance.encodings.ArrayEncoding",
            ARRAY_ENCODING_TYPE_URL
        ));
        assert!(!type_url_matches(
            "/lance.encodings21.PageLayout",
            ARRAY_ENCODING_TYPE_URL
        ));
    }
}
