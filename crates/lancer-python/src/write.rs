//! Worker side: writing fragments, and checking fragment JSON that arrives from workers.

use std::collections::BTreeMap;

use arrow_array::ffi_stream::RecordBatchStreamReader;
use arrow_pyarrow::PyArrowType;
use lancer::{Fragment, StoreOptions, WriteParams};
use pyo3::prelude::*;

use crate::errors::PyResultOf;
use crate::runtime::block_on;

/// Storage options as a Python dict gives them; a BTreeMap so the order (and with it the
/// store's cache key) does not depend on the dict's insertion order.
pub(crate) type PyStorageOptions = Option<BTreeMap<String, String>>;

pub(crate) fn store_options(options: PyStorageOptions) -> StoreOptions {
    options
        .unwrap_or_default()
        .into_iter()
        .fold(StoreOptions::default(), |all, (key, value)| {
            all.with(key, value)
        })
}

/// Writes the reader's rows as data files of the dataset at `uri` and returns the new
/// fragments as JSON (ids 0 until the coordinator commits them). With `new_schema` the
/// reader's schema replaces the dataset's (fragments for an Overwrite).
#[pyfunction]
#[pyo3(signature = (reader, uri, *, max_rows_per_file=None, max_bytes_per_file=None, storage_options=None, new_schema=false, data_storage_version=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_fragments(
    py: Python<'_>,
    reader: PyArrowType<RecordBatchStreamReader>,
    uri: String,
    max_rows_per_file: Option<usize>,
    max_bytes_per_file: Option<u64>,
    storage_options: PyStorageOptions,
    new_schema: bool,
    data_storage_version: Option<String>,
) -> PyResultOf<Vec<String>> {
    let mut params = WriteParams::default()
        .with_storage_options(store_options(storage_options))
        .with_new_schema(new_schema);
    if let Some(version) = data_storage_version {
        params = params.with_data_storage_version(lancer::parse_data_storage_version(&version)?);
    }
    if let Some(rows) = max_rows_per_file {
        params = params.with_max_rows_per_file(rows);
    }
    if let Some(bytes) = max_bytes_per_file {
        params = params.with_max_bytes_per_file(bytes);
    }
    let reader = reader.0;
    let fragments = block_on(py, async move {
        lancer::write_fragments(&uri, reader, &params).await
    })?;
    Ok(fragments.iter().map(Fragment::to_json).collect())
}

/// Parses and checks one fragment's JSON (paths inside the dataset, consistent counts) and
/// returns it in pylance's canonical form.
#[pyfunction]
pub(crate) fn normalize_fragment_json(text: &str) -> PyResultOf<String> {
    Ok(Fragment::from_json(text)?.to_json())
}
