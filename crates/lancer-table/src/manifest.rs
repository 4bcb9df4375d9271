//! A dataset version: the `Manifest` message and the manifest file around it.
//!
//! ```text
//! [u32 len][IndexSection]      optional, carried verbatim
//! [u32 len][Transaction]       optional inline copy of the version's transaction
//! [u32 len][Manifest]          <- pos
//! [i64 pos][i16 0][i16 2]["LANC"]
//! ```
//!
//! Offsets of the sections inside the file (manifest tags 6, 21 and 23) belong to one file:
//! they are recomputed whenever a manifest is encoded, never copied. Manifest fields lancer
//! does not model are kept as raw bytes and written back.

use std::collections::BTreeMap;
use std::sync::Arc;

use lancer_file::{FileVersion, LanceSchema};
use prost::Message;

use crate::error::{Error, Result};
use crate::fragment::Fragment;
use crate::proto;
use crate::splice::{EncodedCache, SplitMessage};
use crate::wire;

const MAGIC: &[u8; 4] = b"LANC";
const FOOTER_LEN: usize = 16;
/// Footer version numbers pylance writes (readers do not check them).
const FOOTER_VERSION: (i16, i16) = (0, 2);

/// The library name lancer records as manifest writer.
pub const WRITER_LIBRARY: &str = "lancer";

/// The data file format of a table (`lance` / `2.0`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataFormat {
    /// Always `lance` for tables lancer writes.
    pub file_format: String,
    /// `2.0`, `2.1`, `2.2`, ...
    pub version: String,
}

impl DataFormat {
    /// The format of a table whose data files have `version`.
    pub fn of(version: FileVersion) -> Self {
        DataFormat {
            file_format: "lance".to_string(),
            version: version.as_str().to_string(),
        }
    }

    /// The file version, if it is one lancer knows.
    pub fn file_version(&self) -> Option<FileVersion> {
        let (major, minor) = self.version.split_once('.')?;
        FileVersion::from_manifest_numbers(major.parse().ok()?, minor.parse().ok()?)
    }
}

/// One version of a dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// Version number.
    pub version: u64,
    /// The schema (with field ids and schema metadata).
    pub schema: LanceSchema,
    /// Fragments, sorted by id. Shared, so that versions built from this one copy the list
    /// only when they change it (`Arc::make_mut`).
    pub fragments: Arc<Vec<Fragment>>,
    /// High-water mark of fragment ids ever used; `None` if there never was a fragment.
    pub max_fragment_id: Option<u32>,
    /// Data file format.
    pub data_format: Option<DataFormat>,
    /// Table configuration.
    pub config: BTreeMap<String, String>,
    /// Free-form table metadata.
    pub table_metadata: BTreeMap<String, String>,
    /// Reader feature flags.
    pub reader_feature_flags: u64,
    /// Writer feature flags.
    pub writer_feature_flags: u64,
    /// Name of this version's transaction file (in `_transactions/`).
    pub transaction_file: String,
    /// Commit time.
    pub timestamp: Option<proto::Timestamp>,
    /// Who wrote this manifest.
    pub writer_version: Option<proto::WriterVersion>,
    /// Next unused stable row id.
    pub next_row_id: u64,
    /// Extra storage roots (unsupported by lancer; carried).
    pub base_paths: Vec<proto::BasePath>,
    /// Branch (absent on main).
    pub branch: Option<String>,
    /// Offset of per-version aux data (carried).
    pub version_aux_data: u64,
    /// Legacy tag (carried).
    pub tag: String,
    /// The serialized `IndexSection`, carried verbatim.
    pub index_section: Option<Vec<u8>>,
    /// The serialized `Transaction` stored inline in the manifest file.
    pub inline_transaction: Option<Vec<u8>>,
    /// Raw bytes of manifest fields lancer does not model.
    pub unknown_fields: Vec<u8>,
    /// The fragments of the manifest file this one was decoded from (or built from), as
    /// encoded there.
    encoded: EncodedCache,
}

impl Manifest {
    /// An empty manifest (no fields, no fragments) at `version`, as the base of a new dataset.
    pub fn empty(version: u64) -> Self {
        Manifest {
            version,
            schema: LanceSchema::default(),
            fragments: Arc::new(Vec::new()),
            max_fragment_id: None,
            data_format: None,
            config: BTreeMap::new(),
            table_metadata: BTreeMap::new(),
            reader_feature_flags: 0,
            writer_feature_flags: 0,
            transaction_file: String::new(),
            timestamp: None,
            writer_version: None,
            next_row_id: 0,
            base_paths: Vec::new(),
            branch: None,
            version_aux_data: 0,
            tag: String::new(),
            index_section: None,
            inline_transaction: None,
            unknown_fields: Vec::new(),
            encoded: EncodedCache::default(),
        }
    }

    /// Total rows visible in this version (when every fragment's count is known).
    pub fn num_rows(&self) -> Option<u64> {
        self.fragments.iter().map(Fragment::num_rows).sum()
    }

    /// The next fragment id to hand out: one above the high-water mark, or above the
    /// largest fragment present when the mark is absent.
    pub fn next_fragment_id(&self) -> u64 {
        let present = self.fragments.iter().map(|f| f.id).max();
        match (self.max_fragment_id, present) {
            (Some(mark), Some(max)) => u64::from(mark).max(max) + 1,
            (Some(mark), None) => u64::from(mark) + 1,
            (None, Some(max)) => max + 1,
            (None, None) => 0,
        }
    }

    /// The largest field id in use: in the schema, or in any data file (ids of dropped
    /// fields stay reserved while a file still holds them).
    pub fn max_field_id(&self) -> i32 {
        let in_files = self
            .fragments
            .iter()
            .flat_map(Fragment::field_ids)
            .max()
            .unwrap_or(-1);
        self.schema.max_field_id().max(in_files)
    }

    /// The indices of this version (decoded from the carried index section).
    pub fn indices(&self) -> Result<Vec<proto::IndexMetadata>> {
        match &self.index_section {
            None => Ok(Vec::new()),
            Some(bytes) => Ok(proto::IndexSection::decode(bytes.as_slice())?.indices),
        }
    }

    /// The inline transaction, if the manifest file carries one.
    pub fn transaction(&self) -> Result<Option<proto::Transaction>> {
        self.inline_transaction
            .as_deref()
            .map(|bytes| proto::Transaction::decode(bytes).map_err(Error::from))
            .transpose()
    }

    /// Decodes a manifest file.
    pub fn decode(bytes: &[u8]) -> Result<Manifest> {
        let (message, footer_start) = manifest_message(bytes)?;
        let split = SplitMessage::of(message)?;
        let pb = proto::Manifest::decode(split.rest.as_slice())?;
        let unknown_fields = wire::unknown_fields(message, proto::MANIFEST_TAGS)?;
        let index_section = pb
            .index_section
            .map(|at| section(bytes, at as i64, footer_start, "index section").map(<[u8]>::to_vec))
            .transpose()?;
        let transaction_at = pb.transaction_section.or(pb.transaction_section_deprecated);
        let inline_transaction = transaction_at
            .map(|at| {
                section(bytes, at as i64, footer_start, "inline transaction").map(<[u8]>::to_vec)
            })
            .transpose()?;
        let schema = LanceSchema::from_proto(&pb.fields, pb.schema_metadata)?;
        let fragments = Arc::new(split.decode_fragments(message)?);
        let encoded = EncodedCache::of(message, &split, &fragments);
        Ok(Manifest {
            version: pb.version,
            schema,
            fragments,
            max_fragment_id: pb.max_fragment_id,
            data_format: pb.data_format.map(|f| DataFormat {
                file_format: f.file_format,
                version: f.version,
            }),
            config: pb.config,
            table_metadata: pb.table_metadata,
            reader_feature_flags: pb.reader_feature_flags,
            writer_feature_flags: pb.writer_feature_flags,
            transaction_file: pb.transaction_file,
            timestamp: pb.timestamp,
            writer_version: pb.writer_version,
            next_row_id: pb.next_row_id,
            base_paths: pb.base_paths,
            branch: pb.branch,
            version_aux_data: pb.version_aux_data,
            tag: pb.tag,
            index_section,
            inline_transaction,
            unknown_fields,
            encoded,
        })
    }

    /// Encodes the manifest file: index section, inline transaction, manifest, footer.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let index_section = self
            .index_section
            .as_ref()
            .map(|bytes| push_section(&mut out, bytes));
        let transaction_section = self
            .inline_transaction
            .as_ref()
            .map(|bytes| push_section(&mut out, bytes));
        let schema = self.schema.to_proto();
        // Everything but the schema's fields (tag 1) and the fragments (tag 2), which are
        // written first, in tag order, as prost would write them in one message.
        let rest = proto::Manifest {
            fields: Vec::new(),
            fragments: Vec::new(),
            version: self.version,
            version_aux_data: self.version_aux_data,
            schema_metadata: schema.metadata,
            index_section,
            timestamp: self.timestamp,
            tag: self.tag.clone(),
            reader_feature_flags: self.reader_feature_flags,
            writer_feature_flags: self.writer_feature_flags,
            max_fragment_id: self.max_fragment_id,
            transaction_file: self.transaction_file.clone(),
            writer_version: self.writer_version.clone(),
            next_row_id: self.next_row_id,
            data_format: self.data_format.as_ref().map(|f| proto::DataStorageFormat {
                file_format: f.file_format.clone(),
                version: f.version.clone(),
            }),
            config: self.config.clone(),
            base_paths: self.base_paths.clone(),
            table_metadata: self.table_metadata.clone(),
            branch: self.branch.clone(),
            transaction_section_deprecated: None,
            transaction_section,
        };
        // Encoded in place: for a large dataset the message is most of the file (about
        // 150 bytes per fragment), so an intermediate copy costs as much as the encoding.
        // The length is patched in once the message is written.
        out.reserve(4 + self.encoded.len_hint() + FOOTER_LEN);
        let position = out.len();
        out.extend_from_slice(&[0; 4]);
        for field in &schema.fields {
            prost::encoding::message::encode(1, field, &mut out);
        }
        self.encoded.encode_fragments(&self.fragments, &mut out);
        rest.encode_raw(&mut out);
        out.extend_from_slice(&self.unknown_fields);
        let message_len = out.len() - position - 4;
        out[position..position + 4].copy_from_slice(&(message_len as u32).to_le_bytes());
        out.extend_from_slice(&(position as i64).to_le_bytes());
        out.extend_from_slice(&FOOTER_VERSION.0.to_le_bytes());
        out.extend_from_slice(&FOOTER_VERSION.1.to_le_bytes());
        out.extend_from_slice(MAGIC);
        out
    }

    /// The manifest file as [`Manifest::encode`] writes it, every fragment encoded anew
    /// (no bytes copied from the file this manifest was decoded from).
    pub fn encode_from_scratch(&self) -> Vec<u8> {
        let mut fresh = self.clone();
        fresh.encoded = EncodedCache::default();
        fresh.encode()
    }
}

/// The `Manifest` message of a manifest file, and where the file's footer starts.
fn manifest_message(bytes: &[u8]) -> Result<(&[u8], usize)> {
    if bytes.len() < FOOTER_LEN + 4 {
        return Err(Error::corrupt(format!(
            "manifest file of {} bytes is too small",
            bytes.len()
        )));
    }
    if &bytes[bytes.len() - 4..] != MAGIC {
        return Err(Error::corrupt("manifest file does not end with `LANC`"));
    }
    let footer_start = bytes.len() - FOOTER_LEN;
    let position = i64::from_le_bytes(
        bytes[footer_start..footer_start + 8]
            .try_into()
            .expect("8 bytes"),
    );
    Ok((
        section(bytes, position, footer_start, "manifest")?,
        footer_start,
    ))
}

/// What a version's manifest says besides its fragment list: the schema, the data file
/// version and the feature flags a worker writing new files needs. For a large dataset the
/// fragments are nearly all of the manifest, and [`ManifestHead::decode`] skips them
/// without decoding one.
#[derive(Clone, Debug, PartialEq)]
pub struct ManifestHead {
    /// Version number.
    pub version: u64,
    /// The schema (with field ids and schema metadata).
    pub schema: LanceSchema,
    /// Data file format.
    pub data_format: Option<DataFormat>,
    /// Reader feature flags.
    pub reader_feature_flags: u64,
    /// Writer feature flags.
    pub writer_feature_flags: u64,
    /// How many fragments the version lists.
    pub fragment_count: usize,
}

impl ManifestHead {
    /// Decodes the head of a manifest file: every field but the fragments, which are only
    /// counted.
    pub fn decode(bytes: &[u8]) -> Result<ManifestHead> {
        let (message, _) = manifest_message(bytes)?;
        let split = SplitMessage::of(message)?;
        let fragment_count = split.fragments.len();
        let pb = proto::Manifest::decode(split.rest.as_slice())?;
        Ok(ManifestHead {
            version: pb.version,
            schema: LanceSchema::from_proto(&pb.fields, pb.schema_metadata)?,
            data_format: pb.data_format.map(|f| DataFormat {
                file_format: f.file_format,
                version: f.version,
            }),
            reader_feature_flags: pb.reader_feature_flags,
            writer_feature_flags: pb.writer_feature_flags,
            fragment_count,
        })
    }
}

impl From<&Manifest> for ManifestHead {
    fn from(manifest: &Manifest) -> Self {
        ManifestHead {
            version: manifest.version,
            schema: manifest.schema.clone(),
            data_format: manifest.data_format.clone(),
            reader_feature_flags: manifest.reader_feature_flags,
            writer_feature_flags: manifest.writer_feature_flags,
            fragment_count: manifest.fragments.len(),
        }
    }
}

fn push_section(out: &mut Vec<u8>, message: &[u8]) -> u64 {
    let position = out.len() as u64;
    out.extend_from_slice(&(message.len() as u32).to_le_bytes());
    out.extend_from_slice(message);
    position
}

/// The message of the section whose u32 length sits at `position`, checked to lie before
/// `end`.
fn section<'a>(bytes: &'a [u8], position: i64, end: usize, what: &str) -> Result<&'a [u8]> {
    let start = usize::try_from(position)
        .ok()
        .filter(|p| p.checked_add(4).is_some_and(|e| e <= end))
        .ok_or_else(|| {
            Error::corrupt(format!(
                "{what} position {position} lies outside the manifest file"
            ))
        })?;
    let len = u32::from_le_bytes(bytes[start..start + 4].try_into().expect("4 bytes")) as usize;
    let message_end = (start + 4)
        .checked_add(len)
        .filter(|e| *e <= end)
        .ok_or_else(|| {
            Error::corrupt(format!(
                "{what} of {len} bytes at {start} runs past the footer"
            ))
        })?;
    Ok(&bytes[start + 4..message_end])
}
