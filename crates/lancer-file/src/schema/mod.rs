//! The Lance schema: Arrow fields with ids, stored flattened in every data file and manifest.
//!
//! Fields form a tree (struct children, the `item` of a list, the `entries` of a map); on disk
//! they are flattened in depth-first pre-order, each child pointing at its parent's id and
//! top-level fields at -1. Ids are assigned 0, 1, 2, ... in that order when a dataset is
//! created, and never renumbered afterwards.

mod logical_type;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema};

pub use logical_type::{arrow_type_of, logical_type_of};

use crate::error::{Error, Result};
use crate::proto;

/// Deepest nesting accepted from a stored schema; keeps hostile input from exhausting the
/// stack in the recursive conversions.
pub const MAX_DEPTH: usize = 64;
const MAX_FIELDS: usize = 1 << 20;

/// Metadata key pylance uses to mark a field as (unenforced) primary key.
pub const PRIMARY_KEY_METADATA: &str = "lance-schema:unenforced-primary-key";

/// Legacy per-field encoding hint, kept because pylance writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum FieldEncoding {
    /// Structs and the null type.
    None = 0,
    /// Fixed-width values, lists, vectors.
    Plain = 1,
    /// Strings and binary.
    VarBinary = 2,
    /// Dictionaries.
    Dictionary = 3,
}

impl FieldEncoding {
    fn of(data_type: &DataType) -> Self {
        match data_type {
            DataType::Null | DataType::Struct(_) => FieldEncoding::None,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary => {
                FieldEncoding::VarBinary
            }
            DataType::Dictionary(_, _) => FieldEncoding::Dictionary,
            _ => FieldEncoding::Plain,
        }
    }
}

/// One field of a Lance schema, with its children.
#[derive(Clone, Debug, PartialEq)]
pub struct LanceField {
    /// Name (not the dotted path).
    pub name: String,
    /// Field id; -1 until assigned.
    pub id: i32,
    /// Logical type string, e.g. `int64` or `fixed_size_list:float:128`.
    pub logical_type: String,
    /// Arrow nullability.
    pub nullable: bool,
    /// Arrow field metadata (values are UTF-8 text in practice, bytes on disk).
    pub metadata: BTreeMap<String, Vec<u8>>,
    /// Child fields (struct members, list item, map entries).
    pub children: Vec<LanceField>,
    /// Legacy encoding hint as stored (see [`FieldEncoding`]).
    pub encoding: i32,
    /// Marks the field as an unenforced primary key.
    pub unenforced_primary_key: bool,
    /// Fields only legacy files use, kept so rewriting a schema loses nothing.
    pub legacy: LegacyFieldParts,
}

/// Parts of the `Field` message that only the legacy (v1) format uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LegacyFieldParts {
    /// `Field.type` (PARENT/REPEATED/LEAF); pylance leaves it 0.
    pub field_type: i32,
    /// Dictionary stored in the manifest file.
    pub dictionary: Option<proto::Dictionary>,
    /// Deprecated extension name.
    pub extension_name: String,
}

impl LanceField {
    /// Converts an Arrow field (recursively); ids are left at -1.
    pub fn from_arrow(field: &Field) -> Result<Self> {
        let data_type = field.data_type();
        let children = match data_type {
            DataType::Struct(children) => children
                .iter()
                .map(|c| LanceField::from_arrow(c))
                .collect::<Result<_>>()?,
            DataType::List(item) | DataType::LargeList(item) | DataType::Map(item, _) => {
                vec![LanceField::from_arrow(item)?]
            }
            DataType::FixedSizeList(item, _) if matches!(item.data_type(), DataType::Struct(_)) => {
                vec![LanceField::from_arrow(item)?]
            }
            _ => Vec::new(),
        };
        let metadata: BTreeMap<String, Vec<u8>> = field
            .metadata()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
            .collect();
        let unenforced_primary_key = field
            .metadata()
            .get(PRIMARY_KEY_METADATA)
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"));
        Ok(LanceField {
            name: field.name().clone(),
            id: -1,
            logical_type: logical_type_of(data_type)
                .map_err(|e| e.in_field(format!("`{}`", field.name())))?,
            nullable: field.is_nullable(),
            metadata,
            children,
            encoding: FieldEncoding::of(data_type) as i32,
            unenforced_primary_key,
            legacy: LegacyFieldParts::default(),
        })
    }

    /// The Arrow field this Lance field describes.
    pub fn to_arrow(&self) -> Result<Field> {
        let children = self
            .children
            .iter()
            .map(LanceField::to_arrow)
            .collect::<Result<Vec<_>>>()?;
        let data_type = arrow_type_of(&self.logical_type, &children)
            .map_err(|e| e.in_field(format!("`{}` (id {})", self.name, self.id)))?;
        let metadata: HashMap<String, String> = self
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        Ok(Field::new(&self.name, data_type, self.nullable).with_metadata(metadata))
    }

    /// The Arrow type of this field.
    pub fn data_type(&self) -> Result<DataType> {
        Ok(self.to_arrow()?.data_type().clone())
    }

    /// This field and its descendants in pre-order.
    pub fn walk(&self) -> Vec<&LanceField> {
        let mut out = Vec::new();
        self.walk_into(&mut out);
        out
    }

    fn walk_into<'a>(&'a self, out: &mut Vec<&'a LanceField>) {
        out.push(self);
        for child in &self.children {
            child.walk_into(out);
        }
    }

    fn walk_mut(&mut self, f: &mut impl FnMut(&mut LanceField)) {
        f(self);
        for child in &mut self.children {
            child.walk_mut(f);
        }
    }

    fn to_proto_into(&self, parent_id: i32, out: &mut Vec<proto::Field>) {
        out.push(proto::Field {
            r#type: self.legacy.field_type,
            name: self.name.clone(),
            id: self.id,
            parent_id,
            logical_type: self.logical_type.clone(),
            nullable: self.nullable,
            encoding: self.encoding,
            dictionary: self.legacy.dictionary,
            extension_name: self.legacy.extension_name.clone(),
            metadata: self.metadata.clone(),
            unenforced_primary_key: self.unenforced_primary_key,
        });
        for child in &self.children {
            child.to_proto_into(self.id, out);
        }
    }

    fn from_proto_leaf(field: &proto::Field) -> Self {
        LanceField {
            name: field.name.clone(),
            id: field.id,
            logical_type: field.logical_type.clone(),
            nullable: field.nullable,
            metadata: field.metadata.clone(),
            children: Vec::new(),
            encoding: field.encoding,
            unenforced_primary_key: field.unenforced_primary_key,
            legacy: LegacyFieldParts {
                field_type: field.r#type,
                dictionary: field.dictionary,
                extension_name: field.extension_name.clone(),
            },
        }
    }
}

/// A Lance schema: top-level fields (each a tree) and schema metadata.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LanceSchema {
    /// Top-level fields in order.
    pub fields: Vec<LanceField>,
    /// Arrow schema metadata.
    pub metadata: BTreeMap<String, Vec<u8>>,
}

impl LanceSchema {
    /// Converts an Arrow schema, assigning ids 0, 1, 2, ... in pre-order (as for a new
    /// dataset).
    pub fn from_arrow(schema: &Schema) -> Result<Self> {
        let mut out = Self::from_arrow_without_ids(schema)?;
        out.assign_ids(0);
        Ok(out)
    }

    /// Converts an Arrow schema, leaving every id at -1.
    pub fn from_arrow_without_ids(schema: &Schema) -> Result<Self> {
        let fields = schema
            .fields()
            .iter()
            .map(|f| LanceField::from_arrow(f))
            .collect::<Result<_>>()?;
        let metadata = schema
            .metadata()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
            .collect();
        Ok(LanceSchema { fields, metadata })
    }

    /// Gives every field an id, counting up from `first` in pre-order.
    pub fn assign_ids(&mut self, first: i32) {
        let mut next = first;
        for field in &mut self.fields {
            field.walk_mut(&mut |f| {
                f.id = next;
                next += 1;
            });
        }
    }

    /// The Arrow schema.
    pub fn to_arrow(&self) -> Result<Schema> {
        let fields = self
            .fields
            .iter()
            .map(LanceField::to_arrow)
            .collect::<Result<Vec<_>>>()?;
        let metadata: HashMap<String, String> = self
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        Ok(Schema::new_with_metadata(fields, metadata))
    }

    /// The Arrow schema, shared.
    pub fn to_arrow_ref(&self) -> Result<Arc<Schema>> {
        Ok(Arc::new(self.to_arrow()?))
    }

    /// Every field (nested included) in pre-order.
    pub fn walk(&self) -> Vec<&LanceField> {
        self.fields.iter().flat_map(LanceField::walk).collect()
    }

    /// All field ids in pre-order.
    pub fn field_ids(&self) -> Vec<i32> {
        self.walk().iter().map(|f| f.id).collect()
    }

    /// The ids of the fields that have a column in a data file of `version`, in column
    /// order: every field in 2.0, only the leaves (fields without children) from 2.1 on.
    /// A manifest's `DataFile.fields` lists exactly these.
    pub fn column_field_ids(&self, version: crate::FileVersion) -> Vec<i32> {
        self.walk()
            .iter()
            .filter(|f| version == crate::FileVersion::V2_0 || f.children.is_empty())
            .map(|f| f.id)
            .collect()
    }

    /// The largest field id, or -1 for an empty schema.
    pub fn max_field_id(&self) -> i32 {
        self.walk().iter().map(|f| f.id).max().unwrap_or(-1)
    }

    /// The top-level field called `name`.
    pub fn field(&self, name: &str) -> Option<&LanceField> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field (at any depth) with id `id`.
    pub fn field_by_id(&self, id: i32) -> Option<&LanceField> {
        self.walk().into_iter().find(|f| f.id == id)
    }

    /// The schema restricted to the top-level fields whose ids are in `ids`, in schema order.
    pub fn project_ids(&self, ids: &[i32]) -> LanceSchema {
        LanceSchema {
            fields: self
                .fields
                .iter()
                .filter(|f| ids.contains(&f.id))
                .cloned()
                .collect(),
            metadata: self.metadata.clone(),
        }
    }

    /// Checks the invariants every stored schema keeps: ids non-negative and unique, names
    /// present, logical types known and children matching them.
    pub fn validate(&self) -> Result<()> {
        let mut seen = HashSet::new();
        for field in self.walk() {
            if field.id < 0 {
                return Err(Error::Schema(format!(
                    "field `{}` has no id (id {})",
                    field.name, field.id
                )));
            }
            if !seen.insert(field.id) {
                return Err(Error::Schema(format!(
                    "field id {} is used twice (`{}`)",
                    field.id, field.name
                )));
            }
        }
        check_names("the schema", &self.fields)?;
        // A dot in a top-level name reads as a path into a struct: pylance refuses to write
        // such a column and cannot read a dataset that has one.
        if let Some(dotted) = self.fields.iter().find(|f| f.name.contains('.')) {
            return Err(Error::Schema(format!(
                "column `{}` has a `.` in its name, which Lance readers take for a path into a struct; rename it",
                dotted.name
            )));
        }
        for field in self.walk() {
            if field.logical_type == "struct" {
                check_names(&format!("struct `{}`", field.name), &field.children)?;
            }
        }
        for field in &self.fields {
            field.to_arrow()?;
        }
        Ok(())
    }

    /// The flattened protobuf fields (pre-order, parents before children).
    pub fn to_proto(&self) -> proto::Schema {
        let mut fields = Vec::new();
        for field in &self.fields {
            field.to_proto_into(-1, &mut fields);
        }
        proto::Schema {
            fields,
            metadata: self.metadata.clone(),
        }
    }

    /// The schema as the bytes of its protobuf message (`lance.file.Schema`), as data files
    /// embed it: a portable form for pickling or sending.
    pub fn to_bytes(&self) -> Vec<u8> {
        prost::Message::encode_to_vec(&self.to_proto())
    }

    /// Reads what [`to_bytes`](Self::to_bytes) wrote, checked as any input from outside
    /// ([`validate`](Self::validate)).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let message = <proto::Schema as prost::Message>::decode(bytes)
            .map_err(|e| Error::Schema(format!("not a Lance schema: {e}")))?;
        let schema = Self::from_proto(&message.fields, message.metadata)?;
        schema.validate()?;
        Ok(schema)
    }

    /// Rebuilds the tree from flattened protobuf fields, refusing orphans, cycles and
    /// duplicate ids.
    pub fn from_proto(
        fields: &[proto::Field],
        metadata: BTreeMap<String, Vec<u8>>,
    ) -> Result<Self> {
        // Each field records the path of child indices leading to it, so that children can be
        // attached to a parent that has already been placed.
        let mut location: HashMap<i32, Vec<usize>> = HashMap::new();
        let mut top: Vec<LanceField> = Vec::new();
        for field in fields {
            if location.contains_key(&field.id) {
                return Err(Error::Schema(format!(
                    "field id {} is used twice (`{}`)",
                    field.id, field.name
                )));
            }
            let leaf = LanceField::from_proto_leaf(field);
            let path = if field.parent_id == -1 {
                if top.len() >= MAX_FIELDS {
                    return Err(Error::Schema(format!(
                        "schema has more than {MAX_FIELDS} fields"
                    )));
                }
                top.push(leaf);
                vec![top.len() - 1]
            } else {
                let parent_path = location.get(&field.parent_id).ok_or_else(|| {
                    Error::Schema(format!(
                        "field `{}` (id {}) names parent {} which does not precede it",
                        field.name, field.id, field.parent_id
                    ))
                })?;
                let mut parent = &mut top[parent_path[0]];
                for &i in &parent_path[1..] {
                    parent = &mut parent.children[i];
                }
                parent.children.push(leaf);
                let mut path = parent_path.clone();
                path.push(parent.children.len() - 1);
                if path.len() > MAX_DEPTH {
                    return Err(Error::Schema(format!(
                        "field `{}` is nested more than {MAX_DEPTH} levels deep",
                        field.name
                    )));
                }
                path
            };
            location.insert(field.id, path);
        }
        let schema = LanceSchema {
            fields: top,
            metadata,
        };
        for field in schema.walk() {
            if !field.children.is_empty() && !logical_type::has_child_fields(&field.logical_type) {
                return Err(Error::Schema(format!(
                    "field `{}` of type `{}` cannot have child fields",
                    field.name, field.logical_type
                )));
            }
        }
        Ok(schema)
    }
}

/// Columns are found by name, so within one schema or struct every name must be present and
/// different (pylance refuses or panics on a dataset with two columns `a`, or one named `""`).
fn check_names(owner: &str, fields: &[LanceField]) -> Result<()> {
    let mut seen = HashSet::new();
    for field in fields {
        if field.name.is_empty() {
            return Err(Error::Schema(format!(
                "{owner} has a column without a name (field id {})",
                field.id
            )));
        }
        if !seen.insert(field.name.as_str()) {
            return Err(Error::Schema(format!(
                "{owner} has two columns named `{}`",
                field.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::Fields;

    #[test]
    fn dotted_top_level_names_are_refused() {
        let dotted = Schema::new(vec![Field::new("a.b", DataType::Int32, true)]);
        let message = LanceSchema::from_arrow(&dotted)
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(message.contains("`a.b` has a `.`"), "{message}");
        // Inside a struct a dot is only a character.
        let nested = Schema::new(vec![Field::new(
            "s",
            DataType::Struct(Fields::from(vec![Field::new("a.b", DataType::Int32, true)])),
            true,
        )]);
        LanceSchema::from_arrow(&nested)
            .unwrap()
            .validate()
            .unwrap();
    }

    fn nested() -> Schema {
        Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new(
                "s",
                DataType::Struct(Fields::from(vec![
                    Field::new(
                        "a",
                        DataType::Struct(Fields::from(vec![Field::new(
                            "b",
                            DataType::Int64,
                            true,
                        )])),
                        true,
                    ),
                    Field::new_list("d", Field::new("item", DataType::Int16, true), true),
                ])),
                true,
            ),
            Field::new("name", DataType::Utf8, true),
        ])
    }

    #[test]
    fn ids_are_pre_order() {
        let schema = LanceSchema::from_arrow(&nested()).unwrap();
        let names: Vec<(&str, i32)> = schema
            .walk()
            .iter()
            .map(|f| (f.name.as_str(), f.id))
            .collect();
        assert_eq!(
            names,
            vec![
                ("id", 0),
                ("s", 1),
                ("a", 2),
                ("b", 3),
                ("d", 4),
                ("item", 5),
                ("name", 6)
            ]
        );
        assert_eq!(schema.max_field_id(), 6);
    }

    #[test]
    fn proto_round_trip_keeps_tree_and_parents() {
        let schema = LanceSchema::from_arrow(&nested()).unwrap();
        let proto = schema.to_proto();
        let parents: Vec<i32> = proto.fields.iter().map(|f| f.parent_id).collect();
        assert_eq!(parents, vec![-1, -1, 1, 2, 1, 4, -1]);
        let back = LanceSchema::from_proto(&proto.fields, proto.metadata.clone()).unwrap();
        assert_eq!(back, schema);
        assert_eq!(back.to_arrow().unwrap(), nested());
    }

    #[test]
    fn orphans_and_duplicates_are_refused() {
        let mut proto = LanceSchema::from_arrow(&nested()).unwrap().to_proto();
        proto.fields[2].parent_id = 42;
        assert!(LanceSchema::from_proto(&proto.fields, Default::default()).is_err());
        let mut proto = LanceSchema::from_arrow(&nested()).unwrap().to_proto();
        proto.fields[1].id = 0;
        assert!(LanceSchema::from_proto(&proto.fields, Default::default()).is_err());
        let mut proto = LanceSchema::from_arrow(&nested()).unwrap().to_proto();
        proto.fields[6].parent_id = 0; // `name` under the int64 `id`
        assert!(LanceSchema::from_proto(&proto.fields, Default::default()).is_err());
    }

    #[test]
    fn primary_key_metadata_sets_the_flag() {
        let field = Field::new("k", DataType::Int64, false).with_metadata(HashMap::from([(
            PRIMARY_KEY_METADATA.to_string(),
            "true".to_string(),
        )]));
        assert!(
            LanceField::from_arrow(&field)
                .unwrap()
                .unenforced_primary_key
        );
    }
}
