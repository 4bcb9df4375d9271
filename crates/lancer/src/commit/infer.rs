//! The schema a commit needs, read from the data files workers wrote (every Lance file
//! embeds its schema with field ids), for coordinators that only have fragment JSON.

use std::collections::BTreeMap;

use lancer_commit::{DatasetStore, StoreOptions};
use lancer_file::{FileReader, LanceField, LanceSchema};
use lancer_table::Fragment;

use crate::dataset::Dataset;
use crate::error::{Error, Result};

async fn file_schema(
    store: &DatasetStore,
    label: &str,
    fragment: &Fragment,
    index: usize,
) -> Result<LanceSchema> {
    let file = &fragment.files[index];
    lancer_table::check_relative_path(&file.path)
        .map_err(|why| Error::in_data_file(label.to_string(), file.path.clone(), why))?;
    let path = store.path(&format!("{}/{}", lancer_table::naming::DATA_DIR, file.path));
    let reader = FileReader::open(store.object_store().clone(), &path)
        .await
        .map_err(|e| {
            Error::in_data_file(
                label.to_string(),
                file.path.clone(),
                format!("cannot read its schema: {}", e.root()),
            )
        })?;
    Ok(reader.schema().clone())
}

fn describe(fields: &[LanceField]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {} (id {})", f.name, f.logical_type, f.id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Top-level fields of a schema as comparable values (name, type, id, nullability).
fn signature(fields: &[LanceField]) -> Vec<(String, String, i32, bool)> {
    fields
        .iter()
        .map(|f| (f.name.clone(), f.logical_type.clone(), f.id, f.nullable))
        .collect()
}

/// The schema of a new dataset made of `fragments`: what their data files embed. Every
/// fragment must agree; a mismatch between workers names both sides.
pub async fn schema_from_files(
    uri: &str,
    fragments: &[Fragment],
    storage_options: &StoreOptions,
) -> Result<LanceSchema> {
    let store = DatasetStore::open(uri, storage_options)?;
    let mut found: Option<(String, LanceSchema)> = None;
    for (i, fragment) in fragments.iter().enumerate() {
        let label = format!("#{i}");
        let mut fields: BTreeMap<i32, LanceField> = BTreeMap::new();
        let mut metadata = BTreeMap::new();
        for index in 0..fragment.files.len() {
            let schema = file_schema(&store, &label, fragment, index).await?;
            metadata.extend(schema.metadata.clone());
            for field in schema.fields {
                fields.insert(field.id, field);
            }
        }
        let schema = LanceSchema {
            fields: fields.into_values().collect(),
            metadata,
        };
        match &found {
            None => found = Some((label, schema)),
            Some((first, expected)) if signature(&expected.fields) != signature(&schema.fields) => {
                return Err(Error::invalid_input(format!(
                    "the workers wrote different schemas: fragment {first} has [{}] but fragment {label} has [{}]",
                    describe(&expected.fields),
                    describe(&schema.fields)
                )));
            }
            Some(_) => {}
        }
    }
    found
        .map(|(_, schema)| schema)
        .ok_or_else(|| Error::invalid_input("no fragments to take a schema from"))
}

/// The schema after a Merge of `fragments` into `dataset`: its schema plus the fields of the
/// fragments' new data files (files the dataset's fragment does not have). Every fragment
/// must add the same fields.
pub async fn merged_schema(dataset: &Dataset, fragments: &[Fragment]) -> Result<LanceSchema> {
    let store = &dataset.store;
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = fragments.iter().find(|f| !seen.insert(f.id)) {
        return Err(Error::invalid_input(format!(
            "fragment {} is listed twice in the merge",
            twice.id
        )));
    }
    let mut added: Option<(u64, Vec<LanceField>)> = None;
    for fragment in fragments {
        let label = fragment.id.to_string();
        let old = dataset.fragment_metadata(fragment.id).ok_or_else(|| {
            Error::invalid_input(format!(
                "fragment {} is not in version {}",
                fragment.id,
                dataset.version()
            ))
        })?;
        let mut fields = Vec::new();
        for (index, file) in fragment.files.iter().enumerate() {
            if old.files.iter().any(|f| f.path == file.path) {
                continue;
            }
            fields.extend(file_schema(store, &label, fragment, index).await?.fields);
        }
        fields.sort_by_key(|f| f.id);
        match &added {
            None => added = Some((fragment.id, fields)),
            Some((first, expected)) if signature(expected) != signature(&fields) => {
                return Err(Error::invalid_input(format!(
                    "the merge workers added different columns: fragment {first} adds [{}] but fragment {} adds [{}]",
                    describe(expected),
                    fragment.id,
                    describe(&fields)
                )));
            }
            Some(_) => {}
        }
    }
    let mut schema = dataset.schema().clone();
    for field in added.map(|(_, fields)| fields).unwrap_or_default() {
        if schema.field_by_id(field.id).is_some() || schema.field(&field.name).is_some() {
            return Err(Error::invalid_input(format!(
                "the merge adds `{}` (id {}), which collides with an existing field",
                field.name, field.id
            )));
        }
        schema.fields.push(field);
    }
    Ok(schema)
}
