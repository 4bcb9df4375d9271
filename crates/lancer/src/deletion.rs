//! Deletion vectors: which row offsets of a fragment are deleted.

use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::types::UInt32Type;
use object_store::ObjectStoreExt;

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use lancer_table::{DeletionFileType, Fragment};

/// The deleted row offsets of `fragment` (empty without a deletion file).
pub(crate) async fn deleted_rows(dataset: &Dataset, fragment: &Fragment) -> Result<HashSet<u32>> {
    let Some(deletion) = &fragment.deletion_file else {
        return Ok(HashSet::new());
    };
    let path = dataset.store.path(&deletion.path(fragment.id));
    let bytes = dataset.object_store().get(&path).await?.bytes().await?;
    let corrupt = |why: String| Error::Validation {
        fragment: fragment.id.to_string(),
        file: path.to_string(),
        message: format!("unreadable deletion file: {why}"),
    };
    match deletion.file_type {
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
            Ok(out)
        }
        DeletionFileType::Bitmap => {
            let bitmap = roaring::RoaringBitmap::deserialize_from(bytes.as_ref())
                .map_err(|e| corrupt(e.to_string()))?;
            Ok(bitmap.into_iter().collect())
        }
    }
}
