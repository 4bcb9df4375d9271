//! Deletion vectors: which row offsets of a fragment are deleted.
//!
//! pylance 14 writes small deletions as an Arrow IPC file of `uint32` offsets (compressed
//! with zstd once it holds 18 or more) and large ones as a serialized roaring bitmap; both
//! are read here, and checked against what the manifest says of them, because a reader
//! that trusts a deletion file over its fragment shows rows that are not there.

use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::types::UInt32Type;
use lancer_commit::DatasetStore;
use object_store::ObjectStoreExt;

use crate::error::{Error, Result};
use lancer_table::{DeletionFileType, Fragment};

/// The deleted row offsets of `fragment` (empty without a deletion file). Refuses a file
/// that is missing, unreadable, lists an offset beyond the fragment's rows, or holds a
/// different number of offsets than the manifest records.
pub(crate) async fn deleted_rows(
    store: &DatasetStore,
    fragment: &Fragment,
) -> Result<HashSet<u32>> {
    let Some(deletion) = &fragment.deletion_file else {
        return Ok(HashSet::new());
    };
    let relative = deletion.path(fragment.id);
    let problem = |why: String| Error::in_data_file(fragment.id.to_string(), relative.clone(), why);
    let path = store.path(&relative);
    let bytes = match store.object_store().get(&path).await {
        Ok(found) => found.bytes().await?,
        Err(object_store::Error::NotFound { .. }) => {
            return Err(problem("the deletion file does not exist".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let corrupt = |why: String| problem(format!("unreadable deletion file: {why}"));
    let deleted: HashSet<u32> = match deletion.file_type {
        DeletionFileType::Array => {
            let reader = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(bytes), None)
                .map_err(|e| corrupt(e.to_string()))?;
            let mut out = HashSet::new();
            for batch in reader {
                let batch = batch.map_err(|e| corrupt(e.to_string()))?;
                let column = batch
                    .column_by_name("row_id")
                    .or_else(|| batch.columns().first())
                    .ok_or_else(|| corrupt("no column".into()))?;
                let offsets = column.as_primitive_opt::<UInt32Type>().ok_or_else(|| {
                    corrupt(format!(
                        "row ids of type {}, expected uint32",
                        column.data_type()
                    ))
                })?;
                out.extend(offsets.iter().flatten());
            }
            out
        }
        DeletionFileType::Bitmap => {
            let bitmap = roaring::RoaringBitmap::deserialize_from(bytes.as_ref())
                .map_err(|e| corrupt(e.to_string()))?;
            bitmap.into_iter().collect()
        }
    };
    if let Some(rows) = fragment.physical_rows
        && let Some(beyond) = deleted.iter().find(|&&offset| u64::from(offset) >= rows)
    {
        return Err(problem(format!(
            "deletes row {beyond}, but the fragment has {rows} rows"
        )));
    }
    if let Some(recorded) = deletion.num_deleted_rows
        && recorded != deleted.len() as u64
    {
        return Err(problem(format!(
            "holds {} deleted rows, the manifest says {recorded}",
            deleted.len()
        )));
    }
    Ok(deleted)
}
