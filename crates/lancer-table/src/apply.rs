//! `(previous manifest, transaction) -> next manifest`: what each operation does to a
//! version (table-format.md 8.5). Pure: the caller supplies the new version number, the
//! time, and for a Restore the manifest being restored.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use lancer_file::{FileVersion, LanceSchema};
use prost::Message;

use crate::error::{Error, Result};
use crate::features;
use crate::fragment::{Fragment, MAX_FRAGMENT_ID};
use crate::listed_once;
use crate::manifest::{DataFormat, Manifest, WRITER_LIBRARY};
use crate::operation::{Operation, Transaction};
use crate::proto;

/// What the commit layer knows about the version being created.
#[derive(Clone, Debug)]
pub struct CommitInfo {
    /// The new version number (previous + 1, or 1 for a new dataset).
    pub version: u64,
    /// Commit time.
    pub timestamp: proto::Timestamp,
    /// For a Restore: the manifest of the version restored.
    pub restored: Option<Manifest>,
}

/// The data file format version every new dataset gets when its files do not say (2.2, as
/// pylance 14).
pub const DEFAULT_FILE_VERSION: FileVersion = FileVersion::V2_2;

/// The largest transaction a manifest carries inline: one that fits with the manifest's
/// tail in the 64 KiB a reader fetches first.
pub const INLINE_TRANSACTION_LIMIT: usize = 32 * 1024;

/// Builds the manifest of the version `transaction` creates on top of `previous` (`None`
/// when the dataset does not exist yet).
pub fn next_manifest(
    previous: Option<&Manifest>,
    transaction: &Transaction,
    info: CommitInfo,
) -> Result<Manifest> {
    let operation = &transaction.operation;
    let name = operation.kind().name();
    let mut next = match previous {
        None => match operation {
            Operation::Overwrite {
                fragments,
                schema,
                config_upsert,
            } => overwrite(&Manifest::empty(0), fragments, schema, config_upsert, true)?,
            _ => {
                return Err(Error::operation(
                    name,
                    "the dataset does not exist yet; only an Overwrite creates one",
                ));
            }
        },
        Some(previous) => {
            features::check_writable(previous)?;
            apply(previous, operation, &info)?
        }
    };
    finish(&mut next, previous, transaction, info)?;
    Ok(next)
}

fn apply(previous: &Manifest, operation: &Operation, info: &CommitInfo) -> Result<Manifest> {
    let name = operation.kind().name();
    match operation {
        Operation::Overwrite {
            fragments,
            schema,
            config_upsert,
        } => overwrite(previous, fragments, schema, config_upsert, false),
        Operation::Append { fragments } => {
            let mut next = previous.clone();
            let mut added = fragments.clone();
            check_new_fragments(name, &added, &previous.schema)?;
            check_file_versions(name, &added, dataset_version(previous)?)?;
            let mut next_id = previous.next_fragment_id();
            assign_ids(name, &mut added, &mut next_id, false)?;
            // One allocation of the final size: extending a copy of a large list would
            // copy it twice.
            let mut list = Vec::with_capacity(previous.fragments.len() + added.len());
            list.extend(previous.fragments.iter().cloned());
            list.extend(added);
            next.fragments = Arc::new(list);
            Ok(next)
        }
        Operation::Merge {
            fragments, schema, ..
        } => merge(previous, fragments, schema),
        Operation::Delete {
            updated_fragments,
            deleted_fragment_ids,
            ..
        } => {
            let mut next = previous.clone();
            let mut by_id = index_by_id(&next.fragments);
            for fragment in updated_fragments {
                let label = fragment.id.to_string();
                fragment.validate(&label)?;
                let slot = *by_id
                    .get(&fragment.id)
                    .ok_or_else(|| missing(name, fragment.id, previous.version))?;
                check_delete_keeps(
                    &label,
                    &previous.fragments[slot],
                    fragment,
                    previous.version,
                )?;
                Arc::make_mut(&mut next.fragments)[slot] = fragment.clone();
            }
            for id in deleted_fragment_ids {
                if by_id.remove(id).is_none() {
                    return Err(missing(name, *id, previous.version));
                }
            }
            let deleted: HashSet<u64> = deleted_fragment_ids.iter().copied().collect();
            Arc::make_mut(&mut next.fragments).retain(|f| !deleted.contains(&f.id));
            Ok(next)
        }
        Operation::Rewrite { groups } => {
            if !previous.indices()?.is_empty() {
                return Err(Error::operation(
                    name,
                    "rewriting fragments of a dataset with indices is not supported",
                ));
            }
            let mut next = previous.clone();
            let by_id = index_by_id(&previous.fragments);
            let mut removed = HashSet::new();
            let mut next_id = previous.next_fragment_id();
            for group in groups {
                for old in &group.old_fragments {
                    if !by_id.contains_key(&old.id) {
                        return Err(missing(name, old.id, previous.version));
                    }
                    if !removed.insert(old.id) {
                        return Err(Error::operation(
                            name,
                            format!("fragment {} is rewritten twice", old.id),
                        ));
                    }
                }
                let mut new = group.new_fragments.clone();
                check_new_fragments(name, &new, &previous.schema)?;
                check_rewrite_rows(&group.old_fragments, &new, previous, &by_id)?;
                check_file_versions(name, &new, dataset_version(previous)?)?;
                assign_ids(name, &mut new, &mut next_id, false)?;
                let fragments = Arc::make_mut(&mut next.fragments);
                fragments.retain(|f| !removed.contains(&f.id));
                fragments.extend(new);
            }
            Ok(next)
        }
        Operation::Restore { version } => {
            let restored = info
                .restored
                .as_ref()
                .filter(|m| m.version == *version)
                .ok_or_else(|| {
                    Error::operation(name, format!("the manifest of version {version} is needed"))
                })?;
            if *version >= info.version {
                return Err(Error::operation(
                    name,
                    format!("version {version} is not an earlier version"),
                ));
            }
            let mut next = restored.clone();
            // Ids handed out after the restored version stay used: keep the high-water mark.
            next.max_fragment_id = high_water(previous).max(high_water(restored));
            next.unknown_fields = previous.unknown_fields.clone();
            Ok(next)
        }
        Operation::Project { schema } => project(previous, schema),
        Operation::UpdateConfig {
            config,
            table_metadata,
        } => {
            let mut next = previous.clone();
            config.apply(&mut next.config);
            table_metadata.apply(&mut next.table_metadata);
            Ok(next)
        }
        Operation::ReserveFragments { num_fragments } => {
            let mut next = previous.clone();
            let top = previous.next_fragment_id() + u64::from(*num_fragments);
            next.max_fragment_id = Some(
                u32::try_from(top.saturating_sub(1))
                    .map_err(|_| Error::operation(name, "fragment ids would exceed 32 bits"))?,
            )
            .filter(|_| top > 0);
            Ok(next)
        }
        Operation::Other { kind, .. } => Err(Error::operation(
            kind.name(),
            "lancer cannot apply this operation",
        )),
    }
}

fn overwrite(
    previous: &Manifest,
    fragments: &[Fragment],
    schema: &LanceSchema,
    config_upsert: &BTreeMap<String, String>,
    creating: bool,
) -> Result<Manifest> {
    let name = "Overwrite";
    schema.validate()?;
    if schema.fields.is_empty() {
        return Err(Error::operation(name, "the schema has no fields"));
    }
    check_new_fragments(name, fragments, schema)?;
    let version = files_version(name, fragments)?.unwrap_or_else(|| {
        previous
            .data_format
            .as_ref()
            .and_then(DataFormat::file_version)
            .unwrap_or(DEFAULT_FILE_VERSION)
    });
    let mut next = previous.clone();
    next.schema = schema.clone();
    next.index_section = None;
    next.data_format = Some(DataFormat::of(version));
    next.config
        .extend(config_upsert.iter().map(|(k, v)| (k.clone(), v.clone())));
    // A new dataset numbers its fragments from 0; an overwrite continues after every id
    // the dataset ever used, whatever ids the fragments carry.
    let mut next_id = if creating {
        0
    } else {
        previous.next_fragment_id()
    };
    let mut fragments = fragments.to_vec();
    assign_ids(name, &mut fragments, &mut next_id, true)?;
    next.fragments = Arc::new(fragments);
    Ok(next)
}

fn merge(previous: &Manifest, fragments: &[Fragment], schema: &LanceSchema) -> Result<Manifest> {
    let name = "Merge";
    schema.validate()?;
    let given = index_by_id(fragments);
    if given.len() != fragments.len() {
        return Err(Error::operation(name, "a fragment id is listed twice"));
    }
    let missing_ids: Vec<u64> = previous
        .fragments
        .iter()
        .map(|f| f.id)
        .filter(|id| !given.contains_key(id))
        .collect();
    if !missing_ids.is_empty() {
        return Err(Error::operation(
            name,
            format!(
                "a Merge must list every fragment of version {}; missing fragment ids {missing_ids:?}",
                previous.version
            ),
        ));
    }
    let before = index_by_id(&previous.fragments);
    let version = dataset_version(previous)?;
    let mut merged = Vec::with_capacity(fragments.len());
    for fragment in fragments {
        let label = fragment.id.to_string();
        let Some(&slot) = before.get(&fragment.id) else {
            return Err(Error::operation(
                name,
                format!(
                    "fragment {} is not in version {}; a Merge cannot add fragments",
                    fragment.id, previous.version
                ),
            ));
        };
        let old = &previous.fragments[slot];
        fragment.validate(&label)?;
        let mut fragment = fragment.clone();
        match (old.physical_rows, fragment.physical_rows) {
            (Some(before), Some(after)) if before != after => {
                return Err(Error::operation(
                    name,
                    format!(
                        "fragment {} has {after} rows, but {before} in version {}",
                        fragment.id, previous.version
                    ),
                ));
            }
            (Some(before), None) => fragment.physical_rows = Some(before),
            _ => {}
        }
        check_merge_keeps(&label, old, &fragment, previous.version)?;
        if let Some(field) = fragment.first_missing_required_field(schema) {
            return Err(Error::fragment(
                &label,
                "files",
                format!(
                    "no data file holds `{}` (id {}), which is not nullable; every fragment of a Merge needs it",
                    field.name, field.id
                ),
            ));
        }
        let old_paths: HashSet<&str> = old.files.iter().map(|f| f.path.as_str()).collect();
        for (i, file) in fragment.files.iter().enumerate() {
            if old_paths.contains(file.path.as_str()) {
                continue;
            }
            if let Some(id) = file
                .fields
                .iter()
                .find(|id| schema.field_by_id(**id).is_none())
            {
                return Err(Error::fragment(
                    &label,
                    format!("files[{i}].fields"),
                    format!("field id {id} is not in the new schema"),
                ));
            }
            if let (Some(expected), Some(got)) = (version, file.version())
                && expected != got
            {
                return Err(mixed_versions(name, &label, i, got, expected));
            }
        }
        merged.push(fragment);
    }
    let mut next = previous.clone();
    next.schema = schema.clone();
    next.fragments = Arc::new(merged);
    keep_indices_of(&mut next, schema)?;
    Ok(next)
}

/// A Merge adds data files to a fragment and changes nothing else: every data file of the
/// fragment in the version it lands on stays, as it was, and so does its deletion file. A
/// Merge built on an older version would otherwise bring back deleted rows or drop a
/// column's file; it has to be rebuilt on the version it lands on.
fn check_merge_keeps(label: &str, old: &Fragment, new: &Fragment, version: u64) -> Result<()> {
    for old_file in &old.files {
        let kept = new.files.iter().find(|f| f.path == old_file.path);
        let same = kept.is_some_and(|f| {
            f.fields == old_file.fields
                && f.column_indices == old_file.column_indices
                && f.file_major_version == old_file.file_major_version
                && f.file_minor_version == old_file.file_minor_version
                && f.base_id == old_file.base_id
                && (f.file_size_bytes.is_none()
                    || old_file.file_size_bytes.is_none()
                    || f.file_size_bytes == old_file.file_size_bytes)
        });
        if !same {
            let what = if kept.is_some() { "changes" } else { "drops" };
            return Err(Error::fragment(
                label,
                "files",
                format!(
                    "the Merge {what} data file `{}` of version {version}; a Merge may only add data files \
                     (rebuild it on version {version})",
                    old_file.path
                ),
            ));
        }
    }
    if new.deletion_file != old.deletion_file {
        let describe = |fragment: &Fragment| match &fragment.deletion_file {
            Some(file) => format!("`{}`", file.path(fragment.id)),
            None => "none".to_string(),
        };
        return Err(Error::fragment(
            label,
            "deletion_file",
            format!(
                "the Merge has deletion file {}, version {version} has {}; a Merge must keep the fragment's \
                 deleted rows as they are (rebuild it on version {version})",
                describe(new),
                describe(old)
            ),
        ));
    }
    Ok(())
}

/// A Delete only gives a fragment a (new) deletion file: its data files and row count stay
/// as in the version it lands on.
fn check_delete_keeps(label: &str, old: &Fragment, new: &Fragment, version: u64) -> Result<()> {
    let same_rows = new.physical_rows.is_none() || new.physical_rows == old.physical_rows;
    if new.files != old.files || !same_rows {
        return Err(Error::fragment(
            label,
            "files",
            format!(
                "a Delete may only change the deletion file; the data files or row count differ from version {version}"
            ),
        ));
    }
    if new.deletion_file.is_none() && old.deletion_file.is_some() {
        return Err(Error::fragment(
            label,
            "deletion_file",
            format!(
                "a Delete cannot remove the deletion file of version {version} (the rows would come back)"
            ),
        ));
    }
    Ok(())
}

/// A compaction group's new fragments hold as many rows as its old fragments show (their
/// deleted rows dropped), where both are known: a rewrite neither loses nor repeats rows.
fn check_rewrite_rows(
    old: &[Fragment],
    new: &[Fragment],
    previous: &Manifest,
    by_id: &FastMap<u64, usize>,
) -> Result<()> {
    let before: Option<u64> = old
        .iter()
        .map(|f| {
            by_id
                .get(&f.id)
                .and_then(|slot| previous.fragments[*slot].num_rows())
        })
        .sum();
    let after: Option<u64> = new.iter().map(|f| f.physical_rows).sum();
    match (before, after) {
        (Some(before), Some(after)) if before != after => Err(Error::operation(
            "Rewrite",
            format!(
                "fragments {:?} show {before} rows in version {}, their rewrite holds {after}",
                old.iter().map(|f| f.id).collect::<Vec<_>>(),
                previous.version
            ),
        )),
        _ => Ok(()),
    }
}

fn project(previous: &Manifest, schema: &LanceSchema) -> Result<Manifest> {
    let name = "Project";
    schema.validate()?;
    if schema.fields.is_empty() {
        return Err(Error::operation(
            name,
            "a dataset needs at least one column",
        ));
    }
    for field in schema.walk() {
        if previous.schema.field_by_id(field.id).is_none() {
            return Err(Error::operation(
                name,
                format!(
                    "field `{}` (id {}) is not in version {}",
                    field.name, field.id, previous.version
                ),
            ));
        }
    }
    let kept: HashSet<i32> = schema.field_ids().into_iter().collect();
    let mut next = previous.clone();
    next.schema = schema.clone();
    for fragment in Arc::make_mut(&mut next.fragments) {
        fragment
            .files
            .retain(|file| file.fields.iter().any(|id| kept.contains(id)));
        if fragment.files.is_empty() {
            return Err(Error::operation(
                name,
                format!("fragment {} would keep no data file", fragment.id),
            ));
        }
    }
    keep_indices_of(&mut next, schema)?;
    Ok(next)
}

/// Drops indices over fields that are no longer in `schema`.
fn keep_indices_of(manifest: &mut Manifest, schema: &LanceSchema) -> Result<()> {
    let Some(bytes) = &manifest.index_section else {
        return Ok(());
    };
    let mut section = proto::IndexSection::decode(bytes.as_slice())?;
    let before = section.indices.len();
    section.indices.retain(|index| {
        index
            .fields
            .iter()
            .all(|id| schema.field_by_id(*id).is_some())
    });
    if section.indices.len() != before {
        manifest.index_section = (!section.indices.is_empty()).then(|| section.encode_to_vec());
    }
    Ok(())
}

fn finish(
    next: &mut Manifest,
    previous: Option<&Manifest>,
    transaction: &Transaction,
    info: CommitInfo,
) -> Result<()> {
    let name = transaction.operation.kind().name();
    listed_once::check_files_listed_once(name, next, previous)?;
    if !next.fragments.is_sorted_by_key(|f| f.id) {
        Arc::make_mut(&mut next.fragments).sort_by_key(|f| f.id);
    }
    if let Some(pair) = next.fragments.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(Error::operation(
            name,
            format!(
                "the commit would produce two fragments with id {}",
                pair[0].id
            ),
        ));
    }
    let mark = next.max_fragment_id.max(previous.and_then(high_water));
    let largest = next.fragments.last().map(|f| f.id);
    next.max_fragment_id = match (mark, largest) {
        (mark, Some(id)) => {
            let id = u32::try_from(id)
                .map_err(|_| Error::operation(name, format!("fragment id {id} exceeds 32 bits")))?;
            Some(mark.map_or(id, |m| m.max(id)))
        }
        (mark, None) => mark,
    };
    if next.data_format.is_none() {
        let version = files_version(name, &next.fragments)?.unwrap_or(DEFAULT_FILE_VERSION);
        next.data_format = Some(DataFormat::of(version));
    }
    next.version = info.version;
    next.timestamp = Some(info.timestamp);
    next.transaction_file = transaction.file_name();
    // A copy inside the manifest only saves a read when it arrives with the manifest's
    // tail; a large one would double the manifest on every reader's path (Lance 7881 stops
    // inlining them too). The `.txn` file always holds it.
    let encoded = transaction.encode()?;
    next.inline_transaction = (encoded.len() <= INLINE_TRANSACTION_LIMIT).then_some(encoded);
    next.writer_version = Some(proto::WriterVersion {
        library: WRITER_LIBRARY.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        prerelease: None,
        build_metadata: None,
    });
    next.tag.clear();
    next.version_aux_data = 0;
    let (reader, writer) = features::required(next)?;
    next.reader_feature_flags = reader;
    next.writer_feature_flags = writer;
    next.schema.validate()?;
    Ok(())
}

/// How errors name a fragment: its id, or its position while it has none yet.
fn label(position: usize, fragment: &Fragment) -> String {
    if fragment.id == 0 {
        format!("#{position}")
    } else {
        fragment.id.to_string()
    }
}

fn high_water(manifest: &Manifest) -> Option<u32> {
    let largest = manifest
        .fragments
        .iter()
        .map(|f| f.id)
        .max()
        .and_then(|id| u32::try_from(id).ok());
    manifest.max_fragment_id.max(largest)
}

/// A map hashed for speed: its keys (file paths, fragment ids) come from the table, and a
/// commit hashes every one of them.
pub(crate) type FastMap<K, V> = HashMap<K, V, ahash::RandomState>;

fn index_by_id(fragments: &[Fragment]) -> FastMap<u64, usize> {
    fragments
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id, i))
        .collect()
}

fn missing(operation: &'static str, id: u64, version: u64) -> Error {
    Error::operation(
        operation,
        format!("fragment {id} is not in version {version}"),
    )
}

fn mixed_versions(
    operation: &'static str,
    label: &str,
    file: usize,
    got: FileVersion,
    expected: FileVersion,
) -> Error {
    Error::InvalidFragment {
        fragment: label.to_string(),
        field: format!("files[{file}].file_minor_version"),
        message: format!(
            "{operation}: data file version {got} does not match the dataset's {expected}; lancer does not mix \
             data file versions in one dataset"
        ),
    }
}

/// Validates fragments that are new to the dataset against its schema.
fn check_new_fragments(
    _operation: &'static str,
    fragments: &[Fragment],
    schema: &LanceSchema,
) -> Result<()> {
    for (i, fragment) in fragments.iter().enumerate() {
        let label = label(i, fragment);
        fragment.validate(&label)?;
        fragment.validate_fields(&label, schema)?;
        if let Some(deletion) = &fragment.deletion_file {
            // A deletion file is named after its fragment's id, which a new fragment only
            // gets at commit: the file it names cannot be the one meant.
            return Err(Error::fragment(
                &label,
                "deletion_file",
                format!(
                    "a new fragment cannot carry a deletion file (`{}`); delete rows after the commit",
                    deletion.path(fragment.id)
                ),
            ));
        }
    }
    Ok(())
}

/// The one file version all `fragments` share (`None` if they have no files).
fn files_version(operation: &'static str, fragments: &[Fragment]) -> Result<Option<FileVersion>> {
    let mut found: Option<FileVersion> = None;
    for (i, fragment) in fragments.iter().enumerate() {
        let label = label(i, fragment);
        for (f, file) in fragment.files.iter().enumerate() {
            let Some(version) = file.version() else {
                continue;
            };
            match found {
                None => found = Some(version),
                Some(expected) if expected != version => {
                    return Err(mixed_versions(operation, &label, f, version, expected));
                }
                _ => {}
            }
        }
    }
    Ok(found)
}

/// The dataset's data file version, from `data_format` or else its files.
fn dataset_version(manifest: &Manifest) -> Result<Option<FileVersion>> {
    match &manifest.data_format {
        Some(format) => format.file_version().map(Some).ok_or_else(|| {
            Error::corrupt(format!(
                "unknown data storage version `{}` in version {}",
                format.version, manifest.version
            ))
        }),
        None => files_version("read", &manifest.fragments),
    }
}

fn check_file_versions(
    operation: &'static str,
    fragments: &[Fragment],
    expected: Option<FileVersion>,
) -> Result<()> {
    let Some(expected) = expected else {
        return files_version(operation, fragments).map(|_| ());
    };
    for (i, fragment) in fragments.iter().enumerate() {
        let label = label(i, fragment);
        for (f, file) in fragment.files.iter().enumerate() {
            if let Some(version) = file.version()
                && version != expected
            {
                return Err(mixed_versions(operation, &label, f, version, expected));
            }
        }
    }
    Ok(())
}

/// Gives fragments their final ids: every fragment when `renumber`, otherwise only those
/// still carrying the placeholder 0.
fn assign_ids(
    operation: &'static str,
    fragments: &mut [Fragment],
    next_id: &mut u64,
    renumber: bool,
) -> Result<()> {
    for fragment in fragments.iter_mut() {
        if renumber || fragment.id == 0 {
            fragment.id = *next_id;
            *next_id += 1;
        }
        if fragment.id > MAX_FRAGMENT_ID {
            return Err(Error::operation(
                operation,
                format!("fragment id {} exceeds 32 bits", fragment.id),
            ));
        }
    }
    Ok(())
}
