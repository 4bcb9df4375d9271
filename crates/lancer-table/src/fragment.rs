//! Fragments: rows stored in one or more data files, plus an optional deletion vector.

use std::collections::HashSet;

use lancer_file::{FileVersion, LanceField, LanceSchema};

use crate::error::{Error, Result};
use crate::proto;

/// The largest fragment id a commit hands out or accepts. Ids become the high 32 bits of
/// row addresses, so they must fit in 32 bits; `u32::MAX` itself is kept free because a
/// dataset holding it has no next id (pylance 14 panics computing one).
pub const MAX_FRAGMENT_ID: u64 = u32::MAX as u64 - 1;
/// Longest data file path accepted from outside.
const MAX_PATH_LEN: usize = 1024;

/// A fragment of a dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct Fragment {
    /// Fragment id; 0 for fragments written by workers, assigned at commit.
    pub id: u64,
    /// Data files, each holding a disjoint set of fields.
    pub files: Vec<DataFile>,
    /// Deletion vector, if rows were deleted.
    pub deletion_file: Option<DeletionFile>,
    /// Rows in the data files (deleted ones included); `None` when unknown.
    pub physical_rows: Option<u64>,
    /// Features of newer datasets lancer carries without interpreting (stable row ids,
    /// row version sequences, overlays). Fragments lancer builds never have them.
    pub carried: CarriedParts,
}

/// Parts of a fragment kept verbatim from a manifest lancer did not write.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CarriedParts {
    /// Stable row id sequence.
    pub row_ids: Option<proto::data_fragment::RowIds>,
    /// Last-updated version sequence.
    pub last_updated_at: Option<proto::data_fragment::LastUpdated>,
    /// Created-at version sequence.
    pub created_at: Option<proto::data_fragment::CreatedAt>,
    /// Overlay files.
    pub overlays: Vec<Vec<u8>>,
}

impl CarriedParts {
    /// Whether nothing is carried.
    pub fn is_empty(&self) -> bool {
        self.row_ids.is_none()
            && self.last_updated_at.is_none()
            && self.created_at.is_none()
            && self.overlays.is_empty()
    }
}

/// One data file of a fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataFile {
    /// Path relative to the dataset's `data/` directory.
    pub path: String,
    /// Field ids stored in the file.
    pub fields: Vec<i32>,
    /// For each field, its column index in the file (v2 files).
    pub column_indices: Vec<i32>,
    /// File format major version as a manifest records it (2 for 2.x files).
    pub file_major_version: u32,
    /// File format minor version as a manifest records it.
    pub file_minor_version: u32,
    /// Exact size in bytes; `None` when unknown.
    pub file_size_bytes: Option<u64>,
    /// Base path id; lancer only supports files under the dataset root (`None`).
    pub base_id: Option<u32>,
}

impl DataFile {
    /// A v2 data file holding `fields` in columns `column_indices`.
    pub fn new(
        path: impl Into<String>,
        fields: Vec<i32>,
        column_indices: Vec<i32>,
        version: FileVersion,
        size: u64,
    ) -> Self {
        let (file_major_version, file_minor_version) = version.manifest_numbers();
        DataFile {
            path: path.into(),
            fields,
            column_indices,
            file_major_version,
            file_minor_version,
            file_size_bytes: Some(size),
            base_id: None,
        }
    }

    /// The file format version, if it is a v2 version lancer knows.
    pub fn version(&self) -> Option<FileVersion> {
        FileVersion::from_manifest_numbers(self.file_major_version, self.file_minor_version)
    }
}

/// Kind of deletion vector file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletionFileType {
    /// `.arrow`: an Arrow IPC file of deleted row offsets.
    Array,
    /// `.bin`: a roaring bitmap of deleted row offsets.
    Bitmap,
}

impl DeletionFileType {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            DeletionFileType::Array => "arrow",
            DeletionFileType::Bitmap => "bin",
        }
    }
}

/// A fragment's deletion vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeletionFile {
    /// File kind.
    pub file_type: DeletionFileType,
    /// Version the deletion was computed on.
    pub read_version: u64,
    /// Random id (part of the file name).
    pub id: u64,
    /// Deleted rows; `None` when unknown.
    pub num_deleted_rows: Option<u64>,
    /// Base path id (unsupported when set).
    pub base_id: Option<u32>,
}

impl DeletionFile {
    /// Path of the file relative to the dataset root.
    pub fn path(&self, fragment_id: u64) -> String {
        format!(
            "_deletions/{fragment_id}-{}-{}.{}",
            self.read_version,
            self.id,
            self.file_type.extension()
        )
    }
}

impl Fragment {
    /// A new fragment (id 0 until committed) over one data file.
    pub fn new(file: DataFile, physical_rows: u64) -> Self {
        Fragment {
            id: 0,
            files: vec![file],
            deletion_file: None,
            physical_rows: Some(physical_rows),
            carried: CarriedParts::default(),
        }
    }

    /// Rows visible to readers (physical rows minus deleted rows), when known.
    pub fn num_rows(&self) -> Option<u64> {
        let deleted = match &self.deletion_file {
            None => 0,
            Some(d) => d.num_deleted_rows?,
        };
        self.physical_rows.map(|rows| rows.saturating_sub(deleted))
    }

    /// Every field id stored in the fragment's files.
    pub fn field_ids(&self) -> impl Iterator<Item = i32> + '_ {
        self.files.iter().flat_map(|f| f.fields.iter().copied())
    }

    /// Checks the rules every fragment description from outside must follow; errors name
    /// the fragment (`label`) and the field that is wrong.
    pub fn validate(&self, label: &str) -> Result<()> {
        if self.id > MAX_FRAGMENT_ID {
            return Err(Error::fragment(
                label,
                "id",
                format!(
                    "{} is beyond the largest fragment id {MAX_FRAGMENT_ID} (ids are 32 bits, and one must stay free for the next fragment)",
                    self.id
                ),
            ));
        }
        if self.files.is_empty() {
            return Err(Error::fragment(
                label,
                "files",
                "a fragment needs at least one data file",
            ));
        }
        let mut seen_fields = HashSet::new();
        for (i, file) in self.files.iter().enumerate() {
            let at = |name: &str| format!("files[{i}].{name}");
            check_relative_path(&file.path)
                .map_err(|why| Error::fragment(label, at("path"), why))?;
            if file.base_id.is_some() {
                return Err(Error::fragment(
                    label,
                    at("base_id"),
                    "data files under other base paths are not supported",
                ));
            }
            if file.fields.is_empty() {
                return Err(Error::fragment(
                    label,
                    at("fields"),
                    "a data file must hold at least one field",
                ));
            }
            for &id in &file.fields {
                if id < 0 {
                    return Err(Error::fragment(
                        label,
                        at("fields"),
                        format!("field id {id} is negative"),
                    ));
                }
                if !seen_fields.insert(id) {
                    return Err(Error::fragment(
                        label,
                        at("fields"),
                        format!("field id {id} is stored in two files"),
                    ));
                }
            }
            if file.version().is_none() {
                return Err(Error::fragment(
                    label,
                    at("file_major_version"),
                    format!(
                        "file version {}.{} is not a Lance v2 file version lancer supports (legacy files and \
                         descriptions missing the version are refused)",
                        file.file_major_version, file.file_minor_version
                    ),
                ));
            }
            if file.column_indices.len() != file.fields.len() {
                return Err(Error::fragment(
                    label,
                    at("column_indices"),
                    format!(
                        "{} column indices for {} fields; v2 files need exactly one per field",
                        file.column_indices.len(),
                        file.fields.len()
                    ),
                ));
            }
            if let Some(&bad) = file.column_indices.iter().find(|&&c| c < -1) {
                return Err(Error::fragment(
                    label,
                    at("column_indices"),
                    format!("column index {bad} is invalid"),
                ));
            }
        }
        if let Some(deletion) = &self.deletion_file {
            if deletion.base_id.is_some() {
                return Err(Error::fragment(
                    label,
                    "deletion_file.base_id",
                    "deletion files under other base paths are not supported",
                ));
            }
            if let (Some(deleted), Some(rows)) = (deletion.num_deleted_rows, self.physical_rows)
                && deleted > rows
            {
                return Err(Error::fragment(
                    label,
                    "deletion_file.num_deleted_rows",
                    format!("{deleted} deleted rows in a fragment of {rows}"),
                ));
            }
        }
        if self.carried.row_ids.is_some()
            || self.carried.created_at.is_some()
            || self.carried.last_updated_at.is_some()
        {
            return Err(Error::fragment(
                label,
                "row_id_meta",
                "stable row ids are not supported",
            ));
        }
        if !self.carried.overlays.is_empty() {
            return Err(Error::fragment(
                label,
                "overlays",
                "data overlays are not supported",
            ));
        }
        Ok(())
    }

    /// Checks that every field the fragment stores is a field of `schema` (at any depth).
    pub fn validate_fields(&self, label: &str, schema: &LanceSchema) -> Result<()> {
        let known: HashSet<i32> = schema.field_ids().into_iter().collect();
        for (i, file) in self.files.iter().enumerate() {
            if let Some(id) = file.fields.iter().find(|id| !known.contains(id)) {
                return Err(Error::fragment(
                    label,
                    format!("files[{i}].fields"),
                    format!("field id {id} is not in the dataset schema"),
                ));
            }
        }
        Ok(())
    }

    /// The first field of `schema` that no data file of the fragment holds, if any. A field
    /// is held when a file lists it or a field below it: files of version 2.1 and later list
    /// only leaves.
    pub fn first_missing_field<'a>(&self, schema: &'a LanceSchema) -> Option<&'a LanceField> {
        let stored: HashSet<i32> = self.field_ids().collect();
        schema
            .walk()
            .into_iter()
            .find(|field| !field.walk().iter().any(|f| stored.contains(&f.id)))
    }

    /// The first top-level field of `schema` that is not nullable and that no data file
    /// of the fragment holds: readers would have to make up values for it.
    pub fn first_missing_required_field<'a>(
        &self,
        schema: &'a LanceSchema,
    ) -> Option<&'a LanceField> {
        let stored: HashSet<i32> = self.field_ids().collect();
        schema
            .fields
            .iter()
            .find(|field| !field.nullable && !field.walk().iter().any(|f| stored.contains(&f.id)))
    }

    pub(crate) fn from_proto(fragment: proto::DataFragment) -> Fragment {
        Fragment {
            id: fragment.id,
            files: fragment
                .files
                .into_iter()
                .map(DataFile::from_proto)
                .collect(),
            deletion_file: fragment.deletion_file.map(DeletionFile::from_proto),
            physical_rows: (fragment.physical_rows != 0).then_some(fragment.physical_rows),
            carried: CarriedParts {
                row_ids: fragment.row_ids,
                last_updated_at: fragment.last_updated_at,
                created_at: fragment.created_at,
                overlays: fragment.overlays,
            },
        }
    }

    pub(crate) fn to_proto(&self) -> proto::DataFragment {
        proto::DataFragment {
            id: self.id,
            files: self.files.iter().map(DataFile::to_proto).collect(),
            deletion_file: self.deletion_file.map(|d| d.to_proto()),
            physical_rows: self.physical_rows.unwrap_or(0),
            row_ids: self.carried.row_ids.clone(),
            last_updated_at: self.carried.last_updated_at.clone(),
            created_at: self.carried.created_at.clone(),
            overlays: self.carried.overlays.clone(),
        }
    }
}

impl DataFile {
    fn from_proto(file: proto::DataFile) -> DataFile {
        DataFile {
            path: file.path,
            fields: file.fields,
            column_indices: file.column_indices,
            file_major_version: file.file_major_version,
            file_minor_version: file.file_minor_version,
            file_size_bytes: (file.file_size_bytes != 0).then_some(file.file_size_bytes),
            base_id: file.base_id,
        }
    }

    fn to_proto(&self) -> proto::DataFile {
        proto::DataFile {
            path: self.path.clone(),
            fields: self.fields.clone(),
            column_indices: self.column_indices.clone(),
            file_major_version: self.file_major_version,
            file_minor_version: self.file_minor_version,
            file_size_bytes: self.file_size_bytes.unwrap_or(0),
            base_id: self.base_id,
        }
    }
}

impl DeletionFile {
    fn from_proto(file: proto::DeletionFile) -> DeletionFile {
        DeletionFile {
            file_type: if file.file_type == 1 {
                DeletionFileType::Bitmap
            } else {
                DeletionFileType::Array
            },
            read_version: file.read_version,
            id: file.id,
            num_deleted_rows: (file.num_deleted_rows != 0).then_some(file.num_deleted_rows),
            base_id: file.base_id,
        }
    }

    fn to_proto(self) -> proto::DeletionFile {
        proto::DeletionFile {
            file_type: match self.file_type {
                DeletionFileType::Array => 0,
                DeletionFileType::Bitmap => 1,
            },
            read_version: self.read_version,
            id: self.id,
            num_deleted_rows: self.num_deleted_rows.unwrap_or(0),
            base_id: self.base_id,
        }
    }
}

/// Checks that a data file path from outside names a file directly inside `data/`: a plain
/// file name, so no scheme, no `/` (Lance readers escape it: pylance looks for `sub/x.lance`
/// as `data/sub%2Fx.lance`), no `.` or `..`, no backslashes or control characters.
pub fn check_relative_path(path: &str) -> std::result::Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.len() > MAX_PATH_LEN {
        return Err(format!("the path is longer than {MAX_PATH_LEN} bytes"));
    }
    if path.starts_with('/') {
        return Err(format!(
            "`{path}` is absolute; paths are relative to the dataset's data/ directory"
        ));
    }
    if path.contains(':') {
        return Err(format!(
            "`{path}` has a scheme or drive; paths are relative to the dataset's data/ directory"
        ));
    }
    if path.contains('\\') {
        return Err(format!("`{path}` contains a backslash"));
    }
    if path.chars().any(char::is_control) {
        return Err("the path contains control characters".into());
    }
    for component in path.split('/') {
        match component {
            "" => return Err(format!("`{path}` has an empty path component")),
            "." | ".." => return Err(format!("`{path}` escapes the dataset's data/ directory")),
            _ => {}
        }
    }
    if path.contains('/') {
        return Err(format!(
            "`{path}` names a subdirectory; a data file is a file name directly inside data/ (Lance readers \
             do not look into subdirectories)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_held_by_its_leaves() {
        use arrow_schema::{DataType, Field, Fields, Schema};
        let point = Fields::from(vec![Field::new("x", DataType::Int32, true)]);
        let arrow = Schema::new(vec![
            Field::new("s", DataType::Struct(point), true),
            Field::new_list("l", Field::new("item", DataType::Int64, true), true),
        ]);
        // Ids in pre-order: s 0, s.x 1, l 2, l.item 3.
        let schema = LanceSchema::from_arrow(&arrow).unwrap();
        let leaves = DataFile::new("a.lance", vec![1, 3], vec![0, 1], FileVersion::V2_2, 10);
        assert!(
            Fragment::new(leaves, 10)
                .first_missing_field(&schema)
                .is_none()
        );
        let half = DataFile::new("b.lance", vec![1], vec![0], FileVersion::V2_2, 10);
        let missing = Fragment::new(half, 10)
            .first_missing_field(&schema)
            .unwrap();
        assert_eq!(missing.name, "l");
    }

    #[test]
    fn hostile_paths_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x.lance",
            "a/../../x.lance",
            "s3://bucket/x.lance",
            "file:x.lance",
            "C:\\x.lance",
            "a//b.lance",
            "./x.lance",
            "a/.",
            "x\u{0}.lance",
            "a\\..\\b",
            "sub/x.lance",
            "..",
        ] {
            assert!(check_relative_path(bad).is_err(), "{bad:?} accepted");
        }
        for good in [
            "0001101110101110011101108ef15e4571ab8c3f992399178a.lance",
            "replacement0.lance",
            "x..lance",
        ] {
            check_relative_path(good).unwrap();
        }
    }

    #[test]
    fn refusals_name_fragment_and_field() {
        let mut fragment = Fragment::new(
            DataFile::new("x.lance", vec![0, 1], vec![0], FileVersion::V2_0, 10),
            3,
        );
        let message = fragment.validate("3").unwrap_err().to_string();
        assert_eq!(
            message,
            "fragment 3: files[0].column_indices: 1 column indices for 2 fields; v2 files need exactly one per field"
        );
        fragment.files[0].column_indices = vec![0, 1];
        fragment.validate("3").unwrap();
        fragment.files[0].path = "../../etc/passwd".into();
        assert!(
            fragment
                .validate("3")
                .unwrap_err()
                .to_string()
                .starts_with("fragment 3: files[0].path:")
        );
    }
}
