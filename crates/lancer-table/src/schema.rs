//! Schema changes on top of lancer-file's schema: adding columns (Merge) and dropping them
//! (Project), with field ids assigned as pylance assigns them.

use arrow_schema::Field;
use lancer_file::{LanceField, LanceSchema};

use crate::error::{Error, Result};
use crate::manifest::Manifest;

/// The schema of `manifest` plus `new_fields` (top-level Arrow fields, nested allowed).
///
/// New fields get ids counting up from one above the largest id the dataset uses (in its
/// schema or in any data file, since the ids of dropped fields stay reserved while files
/// hold them), in pre-order. The result depends only on the version and the new fields, so
/// independent workers adding the same columns from the same version agree on every id.
pub fn add_fields(manifest: &Manifest, new_fields: &[Field]) -> Result<LanceSchema> {
    let mut schema = manifest.schema.clone();
    let mut next = manifest.max_field_id() + 1;
    for field in new_fields {
        if schema.field(field.name()).is_some() {
            return Err(Error::operation(
                "Merge",
                format!("column `{}` already exists", field.name()),
            ));
        }
        let mut lance = LanceField::from_arrow(field)?;
        assign(&mut lance, &mut next);
        schema.fields.push(lance);
    }
    schema.validate()?;
    Ok(schema)
}

fn assign(field: &mut LanceField, next: &mut i32) {
    field.id = *next;
    *next += 1;
    for child in &mut field.children {
        assign(child, next);
    }
}

/// The fields of `schema` that `other` does not have (by id): what a Merge adds.
pub fn added_fields<'a>(schema: &'a LanceSchema, other: &LanceSchema) -> Vec<&'a LanceField> {
    schema
        .fields
        .iter()
        .filter(|f| other.field_by_id(f.id).is_none())
        .collect()
}

/// `schema` without the named top-level columns (for a Project).
pub fn drop_fields(schema: &LanceSchema, names: &[&str]) -> Result<LanceSchema> {
    for name in names {
        if schema.field(name).is_none() {
            return Err(Error::operation(
                "Project",
                format!("there is no column `{name}` to drop"),
            ));
        }
    }
    let mut out = schema.clone();
    out.fields.retain(|f| !names.contains(&f.name.as_str()));
    Ok(out)
}
