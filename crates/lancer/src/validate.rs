//! Checking worker output before a commit: every data file an operation adds exists, has
//! the size and row count its fragment claims, and holds the fields it claims with the
//! types the schema gives them. Row counts workers left unknown are filled in here.

use std::collections::{HashMap, HashSet};

use lancer_commit::DatasetStore;
use lancer_file::{FileReader, FileVersion, LanceSchema};
use lancer_table::naming::DATA_DIR;
use lancer_table::{CommitInfo, DataFile, Fragment, Operation, Transaction};
use object_store::{ObjectStoreExt, path::Path};

use crate::error::{Error, Result};

fn problem(fragment: &str, file: &DataFile, message: impl Into<String>) -> Error {
    Error::Validation {
        fragment: fragment.to_string(),
        file: file.path.clone(),
        message: message.into(),
    }
}

/// Validates the fragments `transaction` adds (filling unknown row counts and sizes).
pub(crate) async fn validate(store: &DatasetStore, transaction: &mut Transaction) -> Result<()> {
    let base = match transaction.read_version {
        0 => None,
        version => match store.latest_version().await? {
            Some(latest) if version <= latest => Some(store.manifest(version).await?),
            _ => None, // the commit itself refuses a read version that does not exist
        },
    };
    let base = base.as_deref();
    if let (Operation::Merge { .. }, Some(base)) = (&transaction.operation, base) {
        // The commit applies lancer-table's Merge rules (every fragment listed, row counts
        // kept); applying them to the read version first refuses a bad Merge before any data
        // file is opened.
        let info = CommitInfo {
            version: base.version + 1,
            timestamp: Default::default(),
            restored: None,
        };
        lancer_table::next_manifest(Some(base), transaction, info)?;
    }
    match &mut transaction.operation {
        Operation::Append { fragments } => {
            // Without a base version the commit refuses the Append; nothing to check here.
            let Some(base) = base else { return Ok(()) };
            for (i, fragment) in fragments.iter_mut().enumerate() {
                check_fragment(
                    store,
                    &label(i, fragment),
                    fragment,
                    &base.schema,
                    &HashSet::new(),
                    true,
                )
                .await?;
            }
        }
        Operation::Overwrite {
            fragments, schema, ..
        } => {
            for (i, fragment) in fragments.iter_mut().enumerate() {
                check_fragment(
                    store,
                    &label(i, fragment),
                    fragment,
                    schema,
                    &HashSet::new(),
                    true,
                )
                .await?;
            }
        }
        Operation::Merge {
            fragments, schema, ..
        } => {
            let existing: HashSet<i32> = base
                .map(|m| m.schema.field_ids().into_iter().collect())
                .unwrap_or_default();
            for (i, fragment) in fragments.iter_mut().enumerate() {
                let old = base.and_then(|m| m.fragments.iter().find(|f| f.id == fragment.id));
                let old_paths: HashSet<String> = old
                    .map(|f| f.files.iter().map(|d| d.path.clone()).collect())
                    .unwrap_or_default();
                check_fragment(
                    store,
                    &label(i, fragment),
                    fragment,
                    schema,
                    &old_paths,
                    false,
                )
                .await?;
                for file in fragment
                    .files
                    .iter()
                    .filter(|f| !old_paths.contains(&f.path))
                {
                    if let Some(id) = file.fields.iter().find(|id| existing.contains(id)) {
                        return Err(problem(
                            &label(i, fragment),
                            file,
                            format!(
                                "field id {id} already exists in version {}; a Merge may only add new fields",
                                transaction.read_version
                            ),
                        ));
                    }
                }
            }
        }
        Operation::Rewrite { groups } => {
            let schema = base.map(|m| m.schema.clone()).unwrap_or_default();
            for group in groups {
                for (i, fragment) in group.new_fragments.iter_mut().enumerate() {
                    check_fragment(
                        store,
                        &label(i, fragment),
                        fragment,
                        &schema,
                        &HashSet::new(),
                        true,
                    )
                    .await?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn label(position: usize, fragment: &Fragment) -> String {
    if fragment.id == 0 {
        format!("#{position}")
    } else {
        fragment.id.to_string()
    }
}

/// Opens every new data file of `fragment` (those not in `known_paths`) and checks it.
/// With `complete`, the fragment's files together must hold every field of `schema`.
async fn check_fragment(
    store: &DatasetStore,
    label: &str,
    fragment: &mut Fragment,
    schema: &LanceSchema,
    known_paths: &HashSet<String>,
    complete: bool,
) -> Result<()> {
    fragment.validate(label)?;
    fragment.validate_fields(label, schema)?;
    let mut rows = fragment.physical_rows;
    for file in fragment
        .files
        .iter_mut()
        .filter(|f| !known_paths.contains(&f.path))
    {
        let path: Path = store.path(&format!("{DATA_DIR}/{}", file.path));
        let meta = match store.object_store().head(&path).await {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(problem(label, file, "the data file does not exist"));
            }
            Err(e) => return Err(e.into()),
        };
        match file.file_size_bytes {
            Some(size) if size != meta.size => {
                return Err(problem(
                    label,
                    file,
                    format!("the fragment says {size} bytes, the file has {}", meta.size),
                ));
            }
            Some(_) => {}
            None => file.file_size_bytes = Some(meta.size),
        }
        let reader = FileReader::open_with_size(store.object_store().clone(), &path, meta.size)
            .await
            .map_err(|e| {
                problem(
                    label,
                    file,
                    format!("cannot be read as a Lance file: {}", e.root()),
                )
            })?;
        let version = reader.version();
        if FileVersion::from_manifest_numbers(file.file_major_version, file.file_minor_version)
            != Some(version)
        {
            return Err(problem(
                label,
                file,
                format!(
                    "the fragment says file version {}.{}, the file is {version}",
                    file.file_major_version, file.file_minor_version
                ),
            ));
        }
        check_fields(label, file, reader.schema(), schema, version)?;
        match rows {
            Some(expected) if expected != reader.num_rows() => {
                return Err(problem(
                    label,
                    file,
                    format!(
                        "the fragment says {expected} rows, the file has {}",
                        reader.num_rows()
                    ),
                ));
            }
            _ => rows = Some(reader.num_rows()),
        }
    }
    fragment.physical_rows = rows;
    if complete && let Some(field) = fragment.first_missing_field(schema) {
        return Err(Error::Validation {
            fragment: label.to_string(),
            file: fragment
                .files
                .first()
                .map(|f| f.path.clone())
                .unwrap_or_default(),
            message: format!(
                "no data file holds field `{}` (id {}); the fragment's files must cover the dataset schema",
                field.name, field.id
            ),
        });
    }
    Ok(())
}

/// The file holds each field it claims, with the schema's name and type, at the column the
/// fragment names (for 2.0 files, where every field has its own column in pre-order).
fn check_fields(
    label: &str,
    file: &DataFile,
    embedded: &LanceSchema,
    schema: &LanceSchema,
    version: FileVersion,
) -> Result<()> {
    let positions: HashMap<i32, usize> = embedded
        .walk()
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id, i))
        .collect();
    for (i, id) in file.fields.iter().enumerate() {
        let Some(inside) = embedded.field_by_id(*id) else {
            return Err(problem(
                label,
                file,
                format!("the fragment claims field id {id}, which the file does not hold"),
            ));
        };
        let expected = schema
            .field_by_id(*id)
            .expect("checked against the schema before");
        if inside.logical_type != expected.logical_type || inside.name != expected.name {
            return Err(problem(
                label,
                file,
                format!(
                    "field id {id} is `{}` ({}) in the file but `{}` ({}) in the schema",
                    inside.name, inside.logical_type, expected.name, expected.logical_type
                ),
            ));
        }
        if version == FileVersion::V2_0
            && file.column_indices.get(i).copied() != Some(positions[id] as i32)
        {
            return Err(problem(
                label,
                file,
                format!(
                    "field id {id} is column {} of the file, the fragment says {:?}",
                    positions[id],
                    file.column_indices.get(i)
                ),
            ));
        }
    }
    Ok(())
}
