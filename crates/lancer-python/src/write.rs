//! Worker side: writing fragments, and checking fragment JSON that arrives from workers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use arrow_array::ffi_stream::RecordBatchStreamReader;
use arrow_pyarrow::PyArrowType;
use lancer::{ErrorKind, Fragment, StoreOptions, WriteEvent, WriteParams};
use pyo3::prelude::*;

use crate::errors::{LancerPyError, PyResultOf};
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
/// reader's schema replaces the dataset's (fragments for an Overwrite). `progress`, when
/// given, is called as `progress("begin", None)` before each data file and
/// `progress("complete", fragment_json)` after it; an exception it raises stops the write
/// (its files are removed) and propagates unchanged.
#[pyfunction]
#[pyo3(signature = (reader, uri, *, max_rows_per_file=None, max_bytes_per_file=None, storage_options=None, new_schema=false, data_storage_version=None, progress=None, job=None))]
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
    progress: Option<Py<PyAny>>,
    job: Option<String>,
) -> PyResult<Vec<String>> {
    let mut params = WriteParams::default()
        .with_storage_options(store_options(storage_options))
        .with_new_schema(new_schema);
    if let Some(version) = data_storage_version {
        params = params.with_data_storage_version(
            lancer::parse_data_storage_version(&version).map_err(LancerPyError::from)?,
        );
    }
    if let Some(rows) = max_rows_per_file {
        params = params.with_max_rows_per_file(rows);
    }
    if let Some(bytes) = max_bytes_per_file {
        params = params.with_max_bytes_per_file(bytes);
    }
    if let Some(job) = job {
        params = params.with_job(job);
    }
    let raised: Arc<Mutex<Option<PyErr>>> = Arc::default();
    if let Some(hook) = progress {
        let keep = raised.clone();
        params = params.with_progress(Arc::new(move |event: WriteEvent<'_>| {
            let (kind, text) = match event {
                WriteEvent::FileStarted { .. } => ("begin", None),
                WriteEvent::FileWritten(fragment) => ("complete", Some(fragment.to_json())),
                _ => return Ok(()),
            };
            Python::attach(|py| {
                hook.call1(py, (kind, text)).map(drop).map_err(|error| {
                    let message = format!("the progress hook failed: {error}");
                    *keep.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
                    lancer::Error::new(ErrorKind::InvalidInput, message)
                })
            })
        }));
    }
    let reader = reader.0;
    let written = block_on(py, async move {
        lancer::write_fragments(&uri, reader, &params).await
    });
    match written {
        Ok(fragments) => Ok(fragments.iter().map(Fragment::to_json).collect()),
        Err(error) => {
            let raised = raised.lock().unwrap_or_else(|e| e.into_inner()).take();
            Err(raised.unwrap_or_else(|| LancerPyError::from(error).into()))
        }
    }
}

/// Parses and checks one fragment's JSON (paths inside the dataset, consistent counts) and
/// returns it in pylance's canonical form.
#[pyfunction]
pub(crate) fn normalize_fragment_json(text: &str) -> PyResultOf<String> {
    Ok(Fragment::from_json(text)?.to_json())
}
