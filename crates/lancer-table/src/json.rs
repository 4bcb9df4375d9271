//! Fragment metadata as JSON, in the exact shape of pylance's `FragmentMetadata.to_json()`.
//!
//! Workers hand fragments to the coordinator as JSON, so this is the distributed write's
//! interchange format: lancer and pylance workers and coordinators must read each other's
//! output. Output matches `json.dumps(fragment.to_json())` byte for byte (same keys, same
//! order, Python's `", "` and `": "` separators). Input is hostile: it is parsed leniently
//! where pylance is lenient (missing optional keys, `null` row counts) and then validated
//! strictly ([`Fragment::validate`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::fragment::{CarriedParts, DataFile, DeletionFile, DeletionFileType, Fragment};

#[derive(Serialize, Deserialize)]
struct FragmentJson {
    id: u64,
    files: Vec<FileJson>,
    #[serde(default)]
    overlays: Vec<Value>,
    #[serde(deserialize_with = "present_or_null")]
    physical_rows: Option<u64>,
    #[serde(default)]
    deletion_file: Option<DeletionJson>,
    #[serde(default)]
    row_id_meta: Option<Value>,
    #[serde(default)]
    created_at_version_meta: Option<Value>,
    #[serde(default)]
    last_updated_at_version_meta: Option<Value>,
}

/// `physical_rows` must be present, but may be `null`.
fn present_or_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<u64>, D::Error> {
    Option::<u64>::deserialize(d)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJson {
    fields: Vec<i32>,
    #[serde(default)]
    column_indices: Vec<i32>,
    #[serde(default)]
    file_major_version: u32,
    #[serde(default)]
    file_minor_version: u32,
    #[serde(default)]
    file_size_bytes: Option<u64>,
    #[serde(default)]
    base_id: Option<u32>,
    path: String,
}

#[derive(Serialize, Deserialize)]
struct DeletionJson {
    read_version: u64,
    id: u64,
    file_type: String,
    #[serde(default)]
    num_deleted_rows: Option<u64>,
    #[serde(default)]
    base_id: Option<u32>,
}

/// Python's `json.dumps` layout: `", "` between items and `": "` after keys.
struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }
}

fn python_dumps(value: &impl Serialize) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    value
        .serialize(&mut serializer)
        .expect("fragment JSON always serializes");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

impl From<&Fragment> for FragmentJson {
    fn from(fragment: &Fragment) -> Self {
        FragmentJson {
            id: fragment.id,
            files: fragment
                .files
                .iter()
                .map(|f| FileJson {
                    fields: f.fields.clone(),
                    column_indices: f.column_indices.clone(),
                    file_major_version: f.file_major_version,
                    file_minor_version: f.file_minor_version,
                    file_size_bytes: f.file_size_bytes,
                    base_id: f.base_id,
                    path: f.path.clone(),
                })
                .collect(),
            overlays: Vec::new(),
            physical_rows: fragment.physical_rows,
            deletion_file: fragment.deletion_file.map(|d| DeletionJson {
                read_version: d.read_version,
                id: d.id,
                file_type: match d.file_type {
                    DeletionFileType::Array => "array".to_string(),
                    DeletionFileType::Bitmap => "bitmap".to_string(),
                },
                num_deleted_rows: d.num_deleted_rows,
                base_id: d.base_id,
            }),
            row_id_meta: None,
            created_at_version_meta: None,
            last_updated_at_version_meta: None,
        }
    }
}

impl FragmentJson {
    fn into_fragment(self, label: &str) -> Result<Fragment> {
        if !self.overlays.is_empty() {
            return Err(Error::fragment(
                label,
                "overlays",
                "data overlays are not supported",
            ));
        }
        for (key, value) in [
            ("row_id_meta", &self.row_id_meta),
            ("created_at_version_meta", &self.created_at_version_meta),
            (
                "last_updated_at_version_meta",
                &self.last_updated_at_version_meta,
            ),
        ] {
            if value.as_ref().is_some_and(|v| !v.is_null()) {
                return Err(Error::fragment(
                    label,
                    key,
                    "stable row ids are not supported",
                ));
            }
        }
        let deletion_file = match self.deletion_file {
            None => None,
            Some(d) => Some(DeletionFile {
                file_type: match d.file_type.as_str() {
                    "array" => DeletionFileType::Array,
                    "bitmap" => DeletionFileType::Bitmap,
                    other => {
                        return Err(Error::fragment(
                            label,
                            "deletion_file.file_type",
                            format!("`{other}` is not `array` or `bitmap`"),
                        ));
                    }
                },
                read_version: d.read_version,
                id: d.id,
                num_deleted_rows: d.num_deleted_rows.filter(|n| *n != 0),
                base_id: d.base_id,
            }),
        };
        Ok(Fragment {
            id: self.id,
            files: self
                .files
                .into_iter()
                .map(|f| DataFile {
                    path: f.path,
                    fields: f.fields,
                    column_indices: f.column_indices,
                    file_major_version: f.file_major_version,
                    file_minor_version: f.file_minor_version,
                    file_size_bytes: f.file_size_bytes.filter(|n| *n != 0),
                    base_id: f.base_id,
                })
                .collect(),
            deletion_file,
            physical_rows: self.physical_rows.filter(|n| *n != 0),
            carried: CarriedParts::default(),
        })
    }
}

impl Fragment {
    /// The fragment as `json.dumps(FragmentMetadata.to_json())` would print it.
    ///
    /// ```
    /// use lancer_file::FileVersion;
    /// use lancer_table::{DataFile, Fragment};
    ///
    /// let file = DataFile::new("a.lance", vec![0, 1], vec![0, 1], FileVersion::V2_0, 574);
    /// let json = Fragment::new(file, 3).to_json();
    /// assert!(json.starts_with(r#"{"id": 0, "files": [{"fields": [0, 1], "column_indices": [0, 1]"#));
    /// assert_eq!(Fragment::from_json(&json).unwrap().physical_rows, Some(3));
    /// ```
    pub fn to_json(&self) -> String {
        python_dumps(&FragmentJson::from(self))
    }

    /// Parses one fragment object (what `FragmentMetadata.from_json` takes) and validates it.
    pub fn from_json(text: &str) -> Result<Fragment> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Json(e.to_string()))?;
        fragment_from_value(value, None)
    }
}

/// Several fragments as a JSON array, laid out as Python's `json.dumps` lays out a list.
pub fn fragments_to_json(fragments: &[Fragment]) -> String {
    let objects: Vec<FragmentJson> = fragments.iter().map(FragmentJson::from).collect();
    python_dumps(&objects)
}

/// Parses what workers hand back: a single fragment object, an array of fragment objects,
/// or an array of JSON strings each holding one (a list of `json.dumps(f.to_json())`).
/// Every fragment is validated; errors name its position and the offending field.
pub fn fragments_from_json(text: &str) -> Result<Vec<Fragment>> {
    let value: Value = serde_json::from_str(text).map_err(|e| Error::Json(e.to_string()))?;
    match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(inner) => {
                    let inner: Value = serde_json::from_str(&inner)
                        .map_err(|e| Error::Json(format!("element {i}: {e}")))?;
                    fragment_from_value(inner, Some(i))
                }
                other => fragment_from_value(other, Some(i)),
            })
            .collect(),
        object @ Value::Object(_) => Ok(vec![fragment_from_value(object, None)?]),
        other => Err(Error::Json(format!(
            "expected a fragment object or an array of them, found {}",
            kind(&other)
        ))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn fragment_from_value(value: Value, position: Option<usize>) -> Result<Fragment> {
    let id = value.get("id").cloned();
    let label = match (position, &id) {
        (Some(i), Some(id)) => format!("#{i} (id {id})"),
        (Some(i), None) => format!("#{i}"),
        (None, Some(id)) => format!("id {id}"),
        (None, None) => "without id".to_string(),
    };
    let Value::Object(map) = &value else {
        return Err(Error::fragment(
            &label,
            "(fragment)",
            format!("expected an object, found {}", kind(&value)),
        ));
    };
    for key in ["id", "files", "physical_rows"] {
        if !map.contains_key(key) {
            return Err(Error::fragment(&label, key, "the key is missing"));
        }
    }
    let parsed: FragmentJson = serde_json::from_value(value)
        .map_err(|e| Error::fragment(&label, "(fragment)", e.to_string()))?;
    let fragment = parsed.into_fragment(&label)?;
    fragment.validate(&label)?;
    Ok(fragment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lancer_file::FileVersion;

    /// `json.dumps(f.to_json())` of a fragment pylance 14 wrote (file-format and table-format
    /// references), with a deletion file added.
    const PYLANCE: &str = r#"{"id": 5, "files": [{"fields": [0, 1], "column_indices": [0, 1], "file_major_version": 2, "file_minor_version": 0, "file_size_bytes": 100, "base_id": null, "path": "a.lance"}], "overlays": [], "physical_rows": 10, "deletion_file": {"read_version": 3, "id": 18446744073709551615, "file_type": "bitmap", "num_deleted_rows": 2, "base_id": null}, "row_id_meta": null, "created_at_version_meta": null, "last_updated_at_version_meta": null}"#;

    #[test]
    fn pylance_json_round_trips_byte_for_byte() {
        let fragment = Fragment::from_json(PYLANCE).unwrap();
        assert_eq!(fragment.id, 5);
        assert_eq!(fragment.deletion_file.unwrap().id, u64::MAX);
        assert_eq!(fragment.to_json(), PYLANCE);
    }

    #[test]
    fn lists_of_objects_and_of_strings() {
        let file = DataFile::new("b.lance", vec![0], vec![0], FileVersion::V2_0, 7);
        let fragments = vec![Fragment::new(file.clone(), 1), Fragment::new(file, 2)];
        let text = fragments_to_json(&fragments);
        assert_eq!(fragments_from_json(&text).unwrap(), fragments);
        let strings =
            serde_json::to_string(&fragments.iter().map(Fragment::to_json).collect::<Vec<_>>())
                .unwrap();
        assert_eq!(fragments_from_json(&strings).unwrap(), fragments);
    }

    #[test]
    fn lenient_where_pylance_is() {
        // Missing optional keys, null row count, deletion file without base_id.
        let text = r#"{"id": 0, "files": [{"fields": [0], "column_indices": [0], "file_major_version": 2, "path": "a.lance"}],
                       "physical_rows": null, "deletion_file": {"read_version": 1, "id": 2, "file_type": "array", "num_deleted_rows": 1},
                       "some_future_key": 1}"#;
        let fragment = Fragment::from_json(text).unwrap();
        assert_eq!(fragment.physical_rows, None);
        assert_eq!(fragment.files[0].file_size_bytes, None);
    }

    #[test]
    fn hostile_input_is_refused_naming_fragment_and_field() {
        let base = |file: &str, extra: &str| {
            format!(r#"[{{"id": 0, "files": [{file}], "physical_rows": 3{extra}}}]"#)
        };
        let ok_file = r#"{"fields": [0], "column_indices": [0], "file_major_version": 2, "file_minor_version": 0, "path": "a.lance"}"#;
        let cases = [
            (
                base(&ok_file.replace("a.lance", "../../etc/passwd"), ""),
                "files[0].path",
            ),
            (
                base(&ok_file.replace("a.lance", "/abs.lance"), ""),
                "files[0].path",
            ),
            (
                base(&ok_file.replace("a.lance", "s3://b/a.lance"), ""),
                "files[0].path",
            ),
            (
                base(
                    &ok_file.replace("[0], \"column_indices\"", "[-1], \"column_indices\""),
                    "",
                ),
                "files[0].fields",
            ),
            (
                base(
                    &ok_file.replace("\"column_indices\": [0]", "\"column_indices\": []"),
                    "",
                ),
                "files[0].column_indices",
            ),
            (
                base(
                    &ok_file.replace(", \"path\"", ", \"extra\": 1, \"path\""),
                    "",
                ),
                "(fragment)",
            ),
            (
                base(
                    &ok_file
                        .replace("\"base_id\"", "x")
                        .replace("\"path\"", "\"base_id\": 3, \"path\""),
                    "",
                ),
                "files[0].base_id",
            ),
            (base(ok_file, r#", "overlays": [{"x": 1}]"#), "overlays"),
            (
                base(ok_file, r#", "row_id_meta": {"Inline": [1, 2]}"#),
                "row_id_meta",
            ),
            (
                base(
                    ok_file,
                    r#", "deletion_file": {"read_version": 1, "id": 2, "file_type": "xor", "num_deleted_rows": 1, "base_id": null}"#,
                ),
                "deletion_file.file_type",
            ),
            (
                base(
                    ok_file,
                    r#", "deletion_file": {"read_version": 1, "id": 2, "file_type": "array", "num_deleted_rows": 9, "base_id": null}"#,
                ),
                "deletion_file.num_deleted_rows",
            ),
            (
                r#"[{"id": -1, "files": [], "physical_rows": 1}]"#.to_string(),
                "(fragment)",
            ),
            (
                r#"[{"id": 4294967296, "files": [], "physical_rows": 1}]"#.to_string(),
                "id",
            ),
            (r#"[{"files": [], "physical_rows": 1}]"#.to_string(), "id"),
            (r#"[{"id": 0, "files": []}]"#.to_string(), "physical_rows"),
            (
                r#"[{"id": 0, "files": [], "physical_rows": 1}]"#.to_string(),
                "files",
            ),
            (r#"[7]"#.to_string(), "(fragment)"),
        ];
        for (text, field) in cases {
            let error = fragments_from_json(&text).unwrap_err().to_string();
            assert!(error.starts_with("fragment #0"), "{text}\n=> {error}");
            assert!(
                error.contains(&format!(": {field}:")),
                "{text}\n=> {error} (expected field {field})"
            );
        }
        assert!(fragments_from_json("{").is_err());
        assert!(fragments_from_json("\"x\"").is_err());
    }
}
