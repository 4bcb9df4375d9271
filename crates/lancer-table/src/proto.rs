//! Protobuf messages of the table format (`lance.table`): manifests, fragments, transactions.
//!
//! Declared by hand with `prost` derive; tags follow Lance's `table.proto` and
//! `transaction.proto` plus the fields pylance 14 added (manifest tag 23, Merge and Project
//! `preserves_nullability`, fragment overlays). Messages lancer only carries, never reads,
//! are declared as opaque bytes (a length-delimited message and `bytes` share a wire type),
//! so they survive a decode/encode round trip untouched.

use std::collections::BTreeMap;

pub use lancer_file::proto::{Any, Field};

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// A UUID as 16 raw bytes.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Uuid {
    /// The bytes.
    #[prost(bytes = "vec", tag = "1")]
    pub uuid: Vec<u8>,
}

/// One version of a dataset.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Manifest {
    /// The schema, flattened in pre-order.
    #[prost(message, repeated, tag = "1")]
    pub fields: Vec<Field>,
    /// Fragments, sorted by id.
    #[prost(message, repeated, tag = "2")]
    pub fragments: Vec<DataFragment>,
    /// Version number (equals the number in the file name).
    #[prost(uint64, tag = "3")]
    pub version: u64,
    /// Offset of per-version auxiliary data.
    #[prost(uint64, tag = "4")]
    pub version_aux_data: u64,
    /// Arrow schema metadata.
    #[prost(btree_map = "string, bytes", tag = "5")]
    pub schema_metadata: BTreeMap<String, Vec<u8>>,
    /// Offset of the index section in the manifest file.
    #[prost(uint64, optional, tag = "6")]
    pub index_section: Option<u64>,
    /// Commit time.
    #[prost(message, optional, tag = "7")]
    pub timestamp: Option<Timestamp>,
    /// Legacy tag.
    #[prost(string, tag = "8")]
    pub tag: String,
    /// Features a reader must understand.
    #[prost(uint64, tag = "9")]
    pub reader_feature_flags: u64,
    /// Features a writer must understand.
    #[prost(uint64, tag = "10")]
    pub writer_feature_flags: u64,
    /// High-water mark of fragment ids.
    #[prost(uint32, optional, tag = "11")]
    pub max_fragment_id: Option<u32>,
    /// Name of this version's transaction file in `_transactions/`.
    #[prost(string, tag = "12")]
    pub transaction_file: String,
    /// The library that wrote the manifest.
    #[prost(message, optional, tag = "13")]
    pub writer_version: Option<WriterVersion>,
    /// Next unused stable row id.
    #[prost(uint64, tag = "14")]
    pub next_row_id: u64,
    /// Data file format of the table.
    #[prost(message, optional, tag = "15")]
    pub data_format: Option<DataStorageFormat>,
    /// Table configuration.
    #[prost(btree_map = "string, string", tag = "16")]
    pub config: BTreeMap<String, String>,
    /// Extra storage roots.
    #[prost(message, repeated, tag = "18")]
    pub base_paths: Vec<BasePath>,
    /// Free-form table metadata.
    #[prost(btree_map = "string, string", tag = "19")]
    pub table_metadata: BTreeMap<String, String>,
    /// Branch name; absent on main.
    #[prost(string, optional, tag = "20")]
    pub branch: Option<String>,
    /// Offset of the inline transaction, as older Lance writes it.
    #[prost(uint64, optional, tag = "21")]
    pub transaction_section_deprecated: Option<u64>,
    /// Offset of the inline transaction, as pylance 14 writes it.
    #[prost(uint64, optional, tag = "23")]
    pub transaction_section: Option<u64>,
}

/// Tags [`Manifest`] declares; anything else is kept as raw bytes.
pub const MANIFEST_TAGS: &[u32] = &[
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 23,
];

/// Who wrote a manifest.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct WriterVersion {
    /// Library name (`lancer`, `lance`).
    #[prost(string, tag = "1")]
    pub library: String,
    /// Core semver.
    #[prost(string, tag = "2")]
    pub version: String,
    /// Prerelease part.
    #[prost(string, optional, tag = "3")]
    pub prerelease: Option<String>,
    /// Build metadata part.
    #[prost(string, optional, tag = "4")]
    pub build_metadata: Option<String>,
}

/// The data file format of a table.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct DataStorageFormat {
    /// Always `lance`.
    #[prost(string, tag = "1")]
    pub file_format: String,
    /// `2.0`, `2.1`, `2.2`, ...
    #[prost(string, tag = "2")]
    pub version: String,
}

/// An extra storage root.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct BasePath {
    /// Id referenced by `base_id`.
    #[prost(uint32, tag = "1")]
    pub id: u32,
    /// Optional name.
    #[prost(string, optional, tag = "2")]
    pub name: Option<String>,
    /// Whether `path` is a dataset root (files under `data/`).
    #[prost(bool, tag = "3")]
    pub is_dataset_root: bool,
    /// Absolute URI.
    #[prost(string, tag = "4")]
    pub path: String,
}

/// The indices of a version (its own section of the manifest file).
#[derive(Clone, PartialEq, prost::Message)]
pub struct IndexSection {
    /// The indices.
    #[prost(message, repeated, tag = "1")]
    pub indices: Vec<IndexMetadata>,
}

/// One secondary index.
#[derive(Clone, PartialEq, prost::Message)]
pub struct IndexMetadata {
    /// Index UUID (also its directory in `_indices/`).
    #[prost(message, optional, tag = "1")]
    pub uuid: Option<Uuid>,
    /// Field ids the index covers.
    #[prost(int32, repeated, tag = "2")]
    pub fields: Vec<i32>,
    /// Index name.
    #[prost(string, tag = "3")]
    pub name: String,
    /// Version the index was built on.
    #[prost(uint64, tag = "4")]
    pub dataset_version: u64,
    /// Roaring bitmap of covered fragment ids.
    #[prost(bytes = "vec", tag = "5")]
    pub fragment_bitmap: Vec<u8>,
    /// Index-type specific details.
    #[prost(message, optional, tag = "6")]
    pub index_details: Option<Any>,
    /// Index format version.
    #[prost(int32, optional, tag = "7")]
    pub index_version: Option<i32>,
    /// Creation time, ms since the epoch.
    #[prost(uint64, optional, tag = "8")]
    pub created_at: Option<u64>,
    /// Base path id.
    #[prost(uint32, optional, tag = "9")]
    pub base_id: Option<u32>,
    /// Index files (opaque).
    #[prost(bytes = "vec", repeated, tag = "10")]
    pub files: Vec<Vec<u8>>,
    /// Covering field ids.
    #[prost(int32, repeated, tag = "11")]
    pub covering_fields: Vec<i32>,
}

/// A fragment: a set of rows stored in one or more data files (one per group of columns).
#[derive(Clone, PartialEq, prost::Message)]
pub struct DataFragment {
    /// Fragment id.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// Data files, each covering a disjoint set of field ids.
    #[prost(message, repeated, tag = "2")]
    pub files: Vec<DataFile>,
    /// Deletion vector.
    #[prost(message, optional, tag = "3")]
    pub deletion_file: Option<DeletionFile>,
    /// Rows in the data files including deleted ones; 0 = unknown.
    #[prost(uint64, tag = "4")]
    pub physical_rows: u64,
    /// Stable row ids.
    #[prost(oneof = "data_fragment::RowIds", tags = "5, 6")]
    pub row_ids: Option<data_fragment::RowIds>,
    /// Last-updated versions per row.
    #[prost(oneof = "data_fragment::LastUpdated", tags = "7, 8")]
    pub last_updated_at: Option<data_fragment::LastUpdated>,
    /// Created-at versions per row.
    #[prost(oneof = "data_fragment::CreatedAt", tags = "9, 10")]
    pub created_at: Option<data_fragment::CreatedAt>,
    /// Data overlay files (unstable; opaque).
    #[prost(bytes = "vec", repeated, tag = "11")]
    pub overlays: Vec<Vec<u8>>,
}

/// The oneofs of [`DataFragment`].
pub mod data_fragment {
    use super::ExternalFile;

    /// Row id sequence.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum RowIds {
        /// Inline serialized sequence.
        #[prost(bytes = "vec", tag = "5")]
        Inline(Vec<u8>),
        /// Sequence stored in a file.
        #[prost(message, tag = "6")]
        External(ExternalFile),
    }

    /// Last-updated version sequence.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum LastUpdated {
        /// Inline serialized sequence.
        #[prost(bytes = "vec", tag = "7")]
        Inline(Vec<u8>),
        /// Sequence stored in a file.
        #[prost(message, tag = "8")]
        External(ExternalFile),
    }

    /// Created-at version sequence.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum CreatedAt {
        /// Inline serialized sequence.
        #[prost(bytes = "vec", tag = "9")]
        Inline(Vec<u8>),
        /// Sequence stored in a file.
        #[prost(message, tag = "10")]
        External(ExternalFile),
    }
}

/// Part of a file.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ExternalFile {
    /// Path relative to the dataset root.
    #[prost(string, tag = "1")]
    pub path: String,
    /// Offset.
    #[prost(uint64, tag = "2")]
    pub offset: u64,
    /// Size.
    #[prost(uint64, tag = "3")]
    pub size: u64,
}

/// One data file of a fragment.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct DataFile {
    /// Path relative to `data/`.
    #[prost(string, tag = "1")]
    pub path: String,
    /// Field ids stored in the file.
    #[prost(int32, repeated, tag = "2")]
    pub fields: Vec<i32>,
    /// Column index of each field in the file (v2 files).
    #[prost(int32, repeated, tag = "3")]
    pub column_indices: Vec<i32>,
    /// File format major version.
    #[prost(uint32, tag = "4")]
    pub file_major_version: u32,
    /// File format minor version.
    #[prost(uint32, tag = "5")]
    pub file_minor_version: u32,
    /// Exact size; 0 = unknown.
    #[prost(uint64, tag = "6")]
    pub file_size_bytes: u64,
    /// Base path id.
    #[prost(uint32, optional, tag = "7")]
    pub base_id: Option<u32>,
}

/// A fragment's deletion vector.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct DeletionFile {
    /// ARROW_ARRAY = 0, BITMAP = 1.
    #[prost(int32, tag = "1")]
    pub file_type: i32,
    /// Version the deletion was computed on.
    #[prost(uint64, tag = "2")]
    pub read_version: u64,
    /// Random id.
    #[prost(uint64, tag = "3")]
    pub id: u64,
    /// Deleted rows; 0 = unknown.
    #[prost(uint64, tag = "4")]
    pub num_deleted_rows: u64,
    /// Base path id.
    #[prost(uint32, optional, tag = "7")]
    pub base_id: Option<u32>,
}

/// One commit attempt's change, stored in `_transactions/` and inline in the manifest.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Transaction {
    /// Version the change was built on.
    #[prost(uint64, tag = "1")]
    pub read_version: u64,
    /// Hyphenated UUID.
    #[prost(string, tag = "2")]
    pub uuid: String,
    /// Legacy tag.
    #[prost(string, tag = "3")]
    pub tag: String,
    /// Free-form properties.
    #[prost(btree_map = "string, string", tag = "4")]
    pub transaction_properties: BTreeMap<String, String>,
    /// The operation.
    #[prost(
        oneof = "transaction::Operation",
        tags = "100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114"
    )]
    pub operation: Option<transaction::Operation>,
}

/// Operations of a [`Transaction`].
pub mod transaction {
    use std::collections::BTreeMap;

    use super::{BasePath, DataFile, DataFragment, Field, IndexMetadata, Uuid};

    /// Add fragments.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Append {
        /// New fragments (ids unassigned).
        #[prost(message, repeated, tag = "1")]
        pub fragments: Vec<DataFragment>,
    }

    /// Delete rows or whole fragments.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Delete {
        /// Fragments with new deletion files.
        #[prost(message, repeated, tag = "1")]
        pub updated_fragments: Vec<DataFragment>,
        /// Fragments removed entirely.
        #[prost(uint64, repeated, tag = "2")]
        pub deleted_fragment_ids: Vec<u64>,
        /// The filter.
        #[prost(string, tag = "3")]
        pub predicate: String,
    }

    /// Replace the schema and every fragment.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Overwrite {
        /// New fragments.
        #[prost(message, repeated, tag = "1")]
        pub fragments: Vec<DataFragment>,
        /// New schema.
        #[prost(message, repeated, tag = "2")]
        pub schema: Vec<Field>,
        /// Schema metadata (pylance leaves it empty).
        #[prost(btree_map = "string, bytes", tag = "3")]
        pub schema_metadata: BTreeMap<String, Vec<u8>>,
        /// Config keys to set.
        #[prost(btree_map = "string, string", tag = "4")]
        pub config_upsert_values: BTreeMap<String, String>,
        /// Initial base paths.
        #[prost(message, repeated, tag = "5")]
        pub initial_bases: Vec<BasePath>,
    }

    /// Add or remove indices.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct CreateIndex {
        /// New indices.
        #[prost(message, repeated, tag = "1")]
        pub new_indices: Vec<IndexMetadata>,
        /// Removed indices.
        #[prost(message, repeated, tag = "2")]
        pub removed_indices: Vec<IndexMetadata>,
    }

    /// Compaction.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Rewrite {
        /// Deprecated flat list of old fragments.
        #[prost(message, repeated, tag = "1")]
        pub old_fragments: Vec<DataFragment>,
        /// Deprecated flat list of new fragments.
        #[prost(message, repeated, tag = "2")]
        pub new_fragments: Vec<DataFragment>,
        /// Groups of old fragments and the new fragments replacing them.
        #[prost(message, repeated, tag = "3")]
        pub groups: Vec<RewriteGroup>,
        /// Indices remapped by the rewrite.
        #[prost(message, repeated, tag = "4")]
        pub rewritten_indices: Vec<RewrittenIndex>,
    }

    /// One group of a [`Rewrite`].
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RewriteGroup {
        /// Fragments replaced (real ids).
        #[prost(message, repeated, tag = "1")]
        pub old_fragments: Vec<DataFragment>,
        /// Fragments replacing them.
        #[prost(message, repeated, tag = "2")]
        pub new_fragments: Vec<DataFragment>,
    }

    /// An index remapped by a [`Rewrite`].
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RewrittenIndex {
        /// Old index id.
        #[prost(message, optional, tag = "1")]
        pub old_id: Option<Uuid>,
        /// New index id.
        #[prost(message, optional, tag = "2")]
        pub new_id: Option<Uuid>,
        /// New details (opaque `Any`).
        #[prost(bytes = "vec", tag = "3")]
        pub new_index_details: Vec<u8>,
        /// New index version.
        #[prost(uint32, tag = "4")]
        pub new_index_version: u32,
    }

    /// Replace the schema and the whole fragment list (typically adding columns).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Merge {
        /// The complete new fragment list.
        #[prost(message, repeated, tag = "1")]
        pub fragments: Vec<DataFragment>,
        /// The complete new schema.
        #[prost(message, repeated, tag = "2")]
        pub schema: Vec<Field>,
        /// Schema metadata.
        #[prost(btree_map = "string, bytes", tag = "3")]
        pub schema_metadata: BTreeMap<String, Vec<u8>>,
        /// Every added column is nullable (appends may then rebase over this merge).
        #[prost(bool, tag = "4")]
        pub preserves_nullability: bool,
    }

    /// Restore an old version.
    #[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
    pub struct Restore {
        /// The version restored.
        #[prost(uint64, tag = "1")]
        pub version: u64,
    }

    /// Reserve fragment ids.
    #[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
    pub struct ReserveFragments {
        /// How many.
        #[prost(uint32, tag = "1")]
        pub num_fragments: u32,
    }

    /// Row-level update.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Update {
        /// Fragments removed.
        #[prost(uint64, repeated, tag = "1")]
        pub removed_fragment_ids: Vec<u64>,
        /// Fragments changed (real ids).
        #[prost(message, repeated, tag = "2")]
        pub updated_fragments: Vec<DataFragment>,
        /// Fragments added.
        #[prost(message, repeated, tag = "3")]
        pub new_fragments: Vec<DataFragment>,
        /// Fields modified.
        #[prost(uint32, repeated, tag = "4")]
        pub fields_modified: Vec<u32>,
        /// MemWAL merged (opaque).
        #[prost(bytes = "vec", optional, tag = "5")]
        pub mem_wal_to_merge: Option<Vec<u8>>,
        /// Fields whose index bitmaps are preserved.
        #[prost(uint32, repeated, tag = "6")]
        pub fields_for_preserving_frag_bitmap: Vec<u32>,
        /// REWRITE_ROWS = 0, REWRITE_COLUMNS = 1.
        #[prost(int32, tag = "7")]
        pub update_mode: i32,
    }

    /// Drop columns.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Project {
        /// The remaining schema.
        #[prost(message, repeated, tag = "1")]
        pub schema: Vec<Field>,
        /// Every remaining column keeps its nullability.
        #[prost(bool, tag = "2")]
        pub preserves_nullability: bool,
    }

    /// One key of an [`UpdateMap`]; an absent value deletes the key.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct UpdateMapEntry {
        /// Key.
        #[prost(string, tag = "1")]
        pub key: String,
        /// New value, or none to delete.
        #[prost(string, optional, tag = "2")]
        pub value: Option<String>,
    }

    /// Changes to a string map.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct UpdateMap {
        /// Entries to set or delete.
        #[prost(message, repeated, tag = "1")]
        pub update_entries: Vec<UpdateMapEntry>,
        /// Replace the whole map instead of updating it.
        #[prost(bool, tag = "2")]
        pub replace: bool,
    }

    /// Change table configuration and metadata.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct UpdateConfig {
        /// Deprecated upserts.
        #[prost(btree_map = "string, string", tag = "1")]
        pub upsert_values: BTreeMap<String, String>,
        /// Deprecated deletions.
        #[prost(string, repeated, tag = "2")]
        pub delete_keys: Vec<String>,
        /// Deprecated schema metadata (opaque map).
        #[prost(btree_map = "string, string", tag = "3")]
        pub schema_metadata: BTreeMap<String, String>,
        /// Deprecated field metadata (opaque entries).
        #[prost(bytes = "vec", repeated, tag = "4")]
        pub field_metadata: Vec<Vec<u8>>,
        /// Config changes.
        #[prost(message, optional, tag = "6")]
        pub config_updates: Option<UpdateMap>,
        /// Table metadata changes.
        #[prost(message, optional, tag = "7")]
        pub table_metadata_updates: Option<UpdateMap>,
        /// Schema metadata changes.
        #[prost(message, optional, tag = "8")]
        pub schema_metadata_updates: Option<UpdateMap>,
        /// Field metadata changes (opaque entries).
        #[prost(bytes = "vec", repeated, tag = "9")]
        pub field_metadata_updates: Vec<Vec<u8>>,
    }

    /// One replaced data file.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct DataReplacementGroup {
        /// Fragment.
        #[prost(uint64, tag = "1")]
        pub fragment_id: u64,
        /// The new file.
        #[prost(message, optional, tag = "2")]
        pub new_file: Option<DataFile>,
    }

    /// Replace data files of existing fragments.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct DataReplacement {
        /// Replacements.
        #[prost(message, repeated, tag = "1")]
        pub replacements: Vec<DataReplacementGroup>,
    }

    /// The operation oneof.
    #[allow(missing_docs)]
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Operation {
        #[prost(message, tag = "100")]
        Append(Append),
        #[prost(message, tag = "101")]
        Delete(Delete),
        #[prost(message, tag = "102")]
        Overwrite(Overwrite),
        #[prost(message, tag = "103")]
        CreateIndex(CreateIndex),
        #[prost(message, tag = "104")]
        Rewrite(Rewrite),
        #[prost(message, tag = "105")]
        Merge(Merge),
        #[prost(message, tag = "106")]
        Restore(Restore),
        #[prost(message, tag = "107")]
        ReserveFragments(ReserveFragments),
        #[prost(message, tag = "108")]
        Update(Update),
        #[prost(message, tag = "109")]
        Project(Project),
        #[prost(message, tag = "110")]
        UpdateConfig(UpdateConfig),
        #[prost(message, tag = "111")]
        DataReplacement(DataReplacement),
        #[prost(bytes = "vec", tag = "112")]
        UpdateMemWalState(Vec<u8>),
        #[prost(bytes = "vec", tag = "113")]
        Clone(Vec<u8>),
        #[prost(bytes = "vec", tag = "114")]
        UpdateBases(Vec<u8>),
    }
}
