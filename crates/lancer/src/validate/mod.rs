//! Checking worker output before a commit: every data file an operation adds exists, has
//! the size and row count its fragment claims, and holds the fields it claims with the
//! types the schema gives them. Row counts workers left unknown are filled in here.

use std::collections::{HashMap, HashSet};

use lancer_commit::DatasetStore;
use lancer_file::{FileReader, FileVersion, LanceSchema};
use lancer_table::naming::DATA_DIR;
use lancer_table::{CommitInfo, DataFile, Fragment, Operation, Transaction};
use object_store::{ObjectStoreExt, path::Path};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::read::deletion::deleted_rows;

fn problem(fragment: &str, file: &DataFile, message: impl Into<String>) -> Error {
    Error::in_data_file(fragment.to_string(), file.path.clone(), message.into())
}

/// Validates the fragments `transaction` adds (filling unknown row counts and sizes).
/// `local_root` is the dataset's directory when it is on the local disk, where a data file
/// may be a symbolic link leading out of the dataset.
pub(crate) async fn validate(
    store: &DatasetStore,
    transaction: &mut Transaction,
    local_root: Option<&std::path::Path>,
) -> Result<()> {
    let inside = Inside::new(local_root);
    // A schema the operation brings is checked before any file is compared with it.
    if let Operation::Overwrite { schema, .. } | Operation::Merge { schema, .. } =
        &transaction.operation
    {
        schema.validate()?;
    }
    let base = match transaction.read_version {
        0 => None,
        version => match store.latest_version().await? {
            Some(latest) if version <= latest => match store.manifest(version).await {
                Ok(manifest) => Some(manifest),
                Err(lancer_commit::CommitError::Io(object_store::Error::NotFound { .. })) => {
                    return Err(Error::new(
                        crate::ErrorKind::Rebuild,
                        format!(
                            "version {version}, which this commit was built on, is gone (a cleanup removed it); build the commit on the latest version ({latest})"
                        ),
                    ));
                }
                Err(e) => return Err(e.into()),
            },
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
                    &inside,
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
                    &inside,
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
                    &inside,
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
                        &inside,
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
        Operation::Delete {
            updated_fragments, ..
        } => {
            for fragment in updated_fragments.iter() {
                let label = fragment.id.to_string();
                fragment.validate(&label)?;
                if let Some(deletion) = &fragment.deletion_file {
                    let relative = deletion.path(fragment.id);
                    inside.check(&label, &relative, &relative)?;
                }
                deleted_rows(store, fragment).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// On a local disk, the canonical dataset directory: every file a commit names must
/// resolve inside it, so a symbolic link under `data/` cannot pull in (or expose) a file
/// from elsewhere.
struct Inside(Option<std::path::PathBuf>);

impl Inside {
    fn new(local_root: Option<&std::path::Path>) -> Inside {
        Inside(local_root.and_then(|root| std::fs::canonicalize(root).ok()))
    }

    /// Checks `relative` (to the dataset root); errors name `shown`.
    fn check(&self, label: &str, relative: &str, shown: &str) -> Result<()> {
        let Some(root) = &self.0 else { return Ok(()) };
        let path = root.join(relative);
        let outside = |why: String| Error::in_data_file(label.to_string(), shown.to_string(), why);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_symlink() => {}
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Err(outside("is not a regular file".into())),
            // Missing files are reported by the checks that read them.
            Err(_) => return Ok(()),
        }
        match std::fs::canonicalize(&path) {
            Ok(resolved) if resolved.starts_with(root) && resolved.is_file() => Ok(()),
            Ok(_) => Err(outside(
                "is a symbolic link leading outside the dataset; data files must live in the dataset's data/ directory"
                    .into(),
            )),
            Err(e) => Err(outside(format!("cannot be resolved: {e}"))),
        }
    }
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
    inside: &Inside,
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
        let relative = format!("{DATA_DIR}/{}", file.path);
        inside.check(label, &relative, &file.path)?;
        let path: Path = store.path(&relative);
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
        return Err(Error::in_data_file(
            label.to_string(),
            fragment
                .files
                .first()
                .map(|f| f.path.clone())
                .unwrap_or_default(),
            format!(
                "no data file holds field `{}` (id {}); the fragment's files must cover the dataset schema",
                field.name, field.id
            ),
        ));
    }
    Ok(())
}

/// The file holds each field it claims, with the schema's name and type, at the column the
/// fragment names: the position of the field among the file's columns (every field in
/// pre-order for 2.0, the leaves for 2.1 and later). A wrong index makes Lance readers
/// decode one column's pages as another's.
fn check_fields(
    label: &str,
    file: &DataFile,
    embedded: &LanceSchema,
    schema: &LanceSchema,
    version: FileVersion,
) -> Result<()> {
    let positions: HashMap<i32, usize> = embedded
        .column_field_ids(version)
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    for (i, id) in file.fields.iter().enumerate() {
        let Some(inside) = embedded.field_by_id(*id) else {
            return Err(problem(
                label,
                file,
                format!("the fragment claims field id {id}, which the file does not hold"),
            ));
        };
        // Fields the schema no longer has (dropped columns) are not read.
        let Some(expected) = schema.field_by_id(*id) else {
            continue;
        };
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
        let Some(&position) = positions.get(id) else {
            return Err(problem(
                label,
                file,
                format!(
                    "field id {id} (`{}`) has no column of its own in a {version} file; list the fields below it",
                    inside.name
                ),
            ));
        };
        let claimed = file.column_indices.get(i).copied();
        if claimed != Some(position as i32) {
            return Err(problem(
                label,
                file,
                format!(
                    "field id {id} (`{}`) is column {position} of the file, the fragment says column {}",
                    inside.name,
                    claimed.map_or("none".to_string(), |c| c.to_string())
                ),
            ));
        }
    }
    Ok(())
}

/// A file of a committed version that Lance readers would fail on or misread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProblem {
    /// The fragment's id.
    pub fragment: u64,
    /// The file, relative to the dataset root (`data/...` or `_deletions/...`).
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fragment {} file {}: {}",
            self.fragment, self.file, self.message
        )
    }
}

/// What [`Dataset::check_files`](crate::Dataset::check_files) found.
#[derive(Clone, Debug, Default)]
pub struct FileCheck {
    /// Data and deletion files looked at.
    pub files: usize,
    /// The problems, in fragment order.
    pub problems: Vec<FileProblem>,
}

/// Opens every data and deletion file of `manifest` and checks it against what the manifest
/// says: size, footer, row count, the columns it claims, and every deleted row.
pub(crate) async fn check_version(
    store: &DatasetStore,
    manifest: &lancer_table::Manifest,
    local_root: Option<&std::path::Path>,
) -> Result<FileCheck> {
    let inside = Inside::new(local_root);
    let mut check = FileCheck::default();
    for fragment in manifest.fragments.iter() {
        let label = fragment.id.to_string();
        for file in &fragment.files {
            check.files += 1;
            let relative = format!("{DATA_DIR}/{}", file.path);
            let mut report = |message: String| {
                check.problems.push(FileProblem {
                    fragment: fragment.id,
                    file: relative.clone(),
                    message,
                })
            };
            if let Err(e) = inside.check(&label, &relative, &file.path) {
                report(reason(e));
                continue;
            }
            let path = store.path(&relative);
            let meta = match store.object_store().head(&path).await {
                Ok(meta) => meta,
                Err(object_store::Error::NotFound { .. }) => {
                    report("does not exist".into());
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            if let Some(size) = file.file_size_bytes
                && size != meta.size
            {
                report(format!("recorded {size} bytes, found {}", meta.size));
                continue;
            }
            let reader =
                match FileReader::open_with_size(store.object_store().clone(), &path, meta.size)
                    .await
                {
                    Ok(reader) => reader,
                    Err(e) => {
                        report(e.root().to_string());
                        continue;
                    }
                };
            if let Some(rows) = fragment.physical_rows
                && reader.num_rows() != rows
            {
                report(format!(
                    "{} rows, the manifest says {rows}",
                    reader.num_rows()
                ));
            }
            let version = reader.version();
            if let Err(e) = check_fields(&label, file, reader.schema(), &manifest.schema, version) {
                report(reason(e));
            }
        }
        if let Some(deletion) = &fragment.deletion_file {
            check.files += 1;
            let relative = deletion.path(fragment.id);
            let found = match inside.check(&label, &relative, &relative) {
                Ok(()) => deleted_rows(store, fragment).await.map(|_| ()),
                Err(e) => Err(e),
            };
            match found {
                Ok(()) => {}
                Err(e) if e.data_file().is_some() => check.problems.push(FileProblem {
                    fragment: fragment.id,
                    file: relative,
                    message: reason(e),
                }),
                Err(e) => return Err(e),
            }
        }
    }
    Ok(check)
}

/// The message of a validation error without the fragment and file it names.
fn reason(error: Error) -> String {
    match error.data_file() {
        Some(_) => error.message().to_string(),
        None => error.to_string(),
    }
}

impl Dataset {
    /// Opens every data and deletion file of this version and checks it against the
    /// manifest (existence, size, footer, row count, the columns each file is said to hold,
    /// every deleted row). Problems are listed, not raised: the caller decides what a
    /// broken file means.
    pub async fn check_files(&self) -> Result<FileCheck> {
        let local_root = lancer_commit::local_dir(&self.uri);
        check_version(&self.store, &self.manifest, local_root.as_deref()).await
    }
}
