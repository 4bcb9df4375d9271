//! Coordinator and reader side: committing operations, opening versions, scanning, and
//! adding columns to a fragment.

use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use arrow_array::ffi_stream::RecordBatchStreamReader;
use arrow_pyarrow::{FromPyArrow, PyArrowType, ToPyArrow};
use arrow_schema::{ArrowError, Schema, SchemaRef};
use futures::StreamExt;
use futures::stream::BoxStream;
use lancer::{
    CommitParams, Dataset, DatasetFragment, Error, ErrorKind, Fragment, OpenParams, Operation,
    Scanner,
};
use pyo3::prelude::*;

use crate::errors::PyResultOf;
use crate::runtime::{block_on, block_on_unlocked};
use crate::schema::LanceSchema;
use crate::write::{PyStorageOptions, store_options};

/// One version of a dataset (the native half of `lancer.LanceDataset`).
#[pyclass(module = "lancer._lancer", frozen, skip_from_py_object)]
pub(crate) struct NativeDataset(pub(crate) Dataset);

/// One fragment of a dataset version (the native half of `lancer.LanceFragment`).
#[pyclass(module = "lancer._lancer", frozen, skip_from_py_object)]
pub(crate) struct NativeFragment(DatasetFragment);

/// Opens the dataset at `uri`, at its latest version or at `version`.
#[pyfunction]
#[pyo3(signature = (uri, version=None, storage_options=None))]
pub(crate) fn open_dataset(
    py: Python<'_>,
    uri: String,
    version: Option<u64>,
    storage_options: PyStorageOptions,
) -> PyResultOf<NativeDataset> {
    let mut params = OpenParams::default().with_storage_options(store_options(storage_options));
    if let Some(version) = version {
        params = params.with_version(version);
    }
    let dataset = block_on(py, async move { Dataset::open_with(&uri, &params).await })?;
    Ok(NativeDataset(dataset))
}

/// The schema argument of an operation: ours (with field ids) or a pyarrow one.
enum SchemaArg {
    Lance(lancer::LanceSchema),
    Arrow(Schema),
    Missing,
}

fn schema_arg(schema: Option<&Bound<'_, PyAny>>) -> PyResult<SchemaArg> {
    Ok(match schema {
        None => SchemaArg::Missing,
        Some(object) if object.is_none() => SchemaArg::Missing,
        Some(object) => match object.cast::<LanceSchema>() {
            Ok(lance) => SchemaArg::Lance(lance.get().0.clone()),
            Err(_) => SchemaArg::Arrow(Schema::from_pyarrow_bound(object)?),
        },
    })
}

/// Commits an operation (`kind` is "overwrite", "append" or "merge") of the fragments given
/// as JSON, built on `read_version` (None: the latest version, or 0 when there is none;
/// a Merge must name its version).
#[pyfunction]
#[pyo3(signature = (uri, kind, fragments, schema=None, read_version=None, storage_options=None, max_retries=None, transaction_id=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn commit(
    py: Python<'_>,
    uri: String,
    kind: &str,
    fragments: Vec<String>,
    schema: Option<&Bound<'_, PyAny>>,
    read_version: Option<u64>,
    storage_options: PyStorageOptions,
    max_retries: Option<u32>,
    transaction_id: Option<String>,
) -> PyResultOf<NativeDataset> {
    let schema =
        schema_arg(schema).map_err(|e| Error::new(ErrorKind::InvalidInput, e.to_string()))?;
    let fragments = fragments
        .iter()
        .map(|json| Fragment::from_json(json))
        .collect::<Result<Vec<_>, _>>()?;
    let options = store_options(storage_options);
    let mut params = CommitParams::default().with_storage_options(options.clone());
    if let Some(id) = transaction_id {
        params = params.with_transaction_id(id);
    }
    if let Some(retries) = max_retries {
        params =
            params.with_commit_options(lancer::CommitOptions::default().with_max_retries(retries));
    }
    let kind = kind.to_string();
    let dataset = block_on(py, async move {
        let open = |version: Option<u64>| {
            let mut open = OpenParams::default().with_storage_options(options.clone());
            if let Some(version) = version {
                open = open.with_version(version);
            }
            let uri = uri.clone();
            async move { Dataset::open_with(&uri, &open).await }
        };
        let read_version = match read_version {
            Some(version) => version,
            None if kind == "merge" => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "a Merge must give the read_version its fragments were made from",
                ));
            }
            None => match open(None).await {
                Ok(dataset) => dataset.version(),
                Err(e) if e.kind() == ErrorKind::NotFound => 0,
                Err(other) => return Err(other),
            },
        };
        let operation = match (kind.as_str(), schema) {
            ("append", _) => Operation::append(fragments),
            ("overwrite", SchemaArg::Lance(schema)) => Operation::overwrite(fragments, schema),
            ("overwrite", SchemaArg::Arrow(schema)) => {
                // View types are stored as their plain types, as write_fragments wrote them.
                let schema = lancer::storable_schema(&schema)?;
                Operation::overwrite(fragments, lancer::LanceSchema::from_arrow(&schema)?)
            }
            ("merge", schema) => {
                let previous = open(Some(read_version)).await?;
                let schema = match schema {
                    SchemaArg::Lance(schema) => schema,
                    SchemaArg::Arrow(arrow) => {
                        merge_schema_for(&previous, &fragments, &arrow).await?
                    }
                    SchemaArg::Missing => lancer::merged_schema(&previous, &fragments).await?,
                };
                Operation::merge(fragments, schema, previous.schema())
            }
            ("project", SchemaArg::Lance(schema)) => Operation::Project { schema },
            ("project", SchemaArg::Arrow(arrow)) => {
                let previous = open(Some(read_version)).await?;
                Operation::Project {
                    schema: lancer::projected_schema(previous.schema(), &arrow)?,
                }
            }
            ("overwrite" | "project", SchemaArg::Missing) => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("{kind} needs the new schema"),
                ));
            }
            (other, _) => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("unknown operation `{other}`"),
                ));
            }
        };
        Dataset::commit(&uri, operation, read_version, &params).await
    })?;
    Ok(NativeDataset(dataset))
}

/// A Merge given a pyarrow schema: the ids come from the dataset and the new files; the
/// caller's schema must name the same columns, with the same types, in the same order.
async fn merge_schema_for(
    previous: &Dataset,
    fragments: &[Fragment],
    arrow: &Schema,
) -> lancer::Result<lancer::LanceSchema> {
    let merged = lancer::merged_schema(previous, fragments).await?;
    let have = merged.to_arrow()?;
    let arrow = &lancer::storable_schema(arrow)?;
    let describe = |schema: &Schema| {
        schema
            .fields()
            .iter()
            .map(|f| format!("{}: {}", f.name(), f.data_type()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let same = have.fields().len() == arrow.fields().len()
        && have
            .fields()
            .iter()
            .zip(arrow.fields())
            .all(|(a, b)| a.name() == b.name() && a.data_type() == b.data_type());
    if !same {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the Merge schema is [{}] but the dataset and the new files hold [{}]",
                describe(arrow),
                describe(&have)
            ),
        ));
    }
    Ok(merged)
}

/// A scan in progress: a Python iterator of pyarrow RecordBatches. Each step waits for the
/// next batch with the GIL released; a failure is raised as a lancer exception (through a
/// C stream, pyarrow would turn it into a generic ArrowInvalid).
#[pyclass(module = "lancer._lancer", frozen, skip_from_py_object)]
pub(crate) struct NativeScan {
    schema: SchemaRef,
    stream: Mutex<Option<BoxStream<'static, lancer::Result<RecordBatch>>>>,
}

impl NativeScan {
    fn start(scanner: Scanner) -> PyResultOf<NativeScan> {
        let schema = scanner.schema()?;
        let stream = scanner.try_into_stream()?;
        Ok(NativeScan {
            schema,
            stream: Mutex::new(Some(stream)),
        })
    }
}

#[pymethods]
impl NativeScan {
    #[getter]
    fn schema(&self) -> PyArrowType<Schema> {
        PyArrowType(self.schema.as_ref().clone())
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResultOf<Option<PyArrowType<RecordBatch>>> {
        let next = py.detach(|| {
            let mut guard = self.stream.lock().unwrap_or_else(|e| e.into_inner());
            let stream = guard.as_mut()?;
            let next = block_on_unlocked(stream.next());
            if next.is_none() {
                // Finished: drop the stream (and the files it holds open) now.
                *guard = None;
            }
            next
        });
        Ok(next.transpose()?.map(PyArrowType))
    }
}

impl NativeDataset {
    /// Runs a change that commits a new version on this one (`change` gets the dataset and
    /// the commit parameters), with the GIL released.
    fn evolve<F, Fut>(
        &self,
        py: Python<'_>,
        storage_options: PyStorageOptions,
        change: F,
    ) -> PyResultOf<NativeDataset>
    where
        F: FnOnce(Dataset, CommitParams) -> Fut,
        Fut: std::future::Future<Output = lancer::Result<Dataset>> + Send + 'static,
    {
        let params = CommitParams::default().with_storage_options(store_options(storage_options));
        let next = block_on(py, change(self.0.clone(), params))?;
        Ok(NativeDataset(next))
    }
}

#[pymethods]
impl NativeDataset {
    #[getter]
    fn uri(&self) -> &str {
        self.0.uri()
    }

    #[getter]
    fn version(&self) -> u64 {
        self.0.version()
    }

    fn latest_version(&self, py: Python<'_>) -> PyResultOf<u64> {
        let dataset = self.0.clone();
        Ok(block_on(py, async move { dataset.latest_version().await })?)
    }

    /// (version, seconds since the epoch the manifest was written, manifest bytes), oldest first.
    fn versions(&self, py: Python<'_>) -> PyResultOf<Vec<(u64, f64, u64)>> {
        let dataset = self.0.clone();
        let versions = block_on(py, async move { dataset.versions().await })?;
        Ok(versions
            .iter()
            .map(|v| {
                let seconds = v
                    .last_modified
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs_f64())
                    .unwrap_or(0.0);
                (v.version, seconds, v.size)
            })
            .collect())
    }

    fn checkout_version(&self, py: Python<'_>, version: u64) -> PyResultOf<NativeDataset> {
        let dataset = self.0.clone();
        let other = block_on(py, async move { dataset.checkout_version(version).await })?;
        Ok(NativeDataset(other))
    }

    #[getter]
    fn schema(&self) -> PyResultOf<PyArrowType<Schema>> {
        Ok(PyArrowType(self.0.arrow_schema()?.as_ref().clone()))
    }

    #[getter]
    fn lance_schema(&self) -> LanceSchema {
        LanceSchema(self.0.schema().clone())
    }

    /// The data file format version of the dataset ("2.0", ...), if the manifest records it.
    #[getter]
    fn data_storage_version(&self) -> Option<String> {
        let format = self.0.manifest().data_format.as_ref()?;
        Some(format.version.clone())
    }

    fn count_rows(&self) -> PyResultOf<u64> {
        Ok(self.0.count_rows()?)
    }

    fn fragments(&self) -> Vec<NativeFragment> {
        self.0
            .get_fragments()
            .into_iter()
            .map(NativeFragment)
            .collect()
    }

    fn fragment(&self, id: u64) -> Option<NativeFragment> {
        self.0.get_fragment(id).map(NativeFragment)
    }

    /// Every tag: (name, version, manifest bytes, created at, updated at).
    #[allow(clippy::type_complexity)]
    fn tags(
        &self,
        py: Python<'_>,
    ) -> PyResultOf<Vec<(String, u64, u64, Option<String>, Option<String>)>> {
        let dataset = self.0.clone();
        let tags = block_on(py, async move { dataset.tags().await })?;
        Ok(tags
            .into_iter()
            .map(|(name, t)| (name, t.version, t.manifest_size, t.created_at, t.updated_at))
            .collect())
    }

    fn tag_version(&self, py: Python<'_>, name: String) -> PyResultOf<u64> {
        let dataset = self.0.clone();
        Ok(block_on(
            py,
            async move { dataset.tag_version(&name).await },
        )?)
    }

    fn create_tag(&self, py: Python<'_>, name: String, version: u64) -> PyResultOf<()> {
        let dataset = self.0.clone();
        Ok(block_on(py, async move {
            dataset.create_tag(&name, version).await
        })?)
    }

    fn update_tag(&self, py: Python<'_>, name: String, version: u64) -> PyResultOf<()> {
        let dataset = self.0.clone();
        Ok(block_on(py, async move {
            dataset.update_tag(&name, version).await
        })?)
    }

    fn delete_tag(&self, py: Python<'_>, name: String) -> PyResultOf<()> {
        let dataset = self.0.clone();
        Ok(block_on(
            py,
            async move { dataset.delete_tag(&name).await },
        )?)
    }

    /// A new version with the columns renamed or their nullability changed:
    /// (path, new name, nullable) per change.
    #[pyo3(signature = (alterations, storage_options=None))]
    fn alter_columns(
        &self,
        py: Python<'_>,
        alterations: Vec<(String, Option<String>, Option<bool>)>,
        storage_options: PyStorageOptions,
    ) -> PyResultOf<NativeDataset> {
        let changes: Vec<lancer::ColumnAlteration> = alterations
            .into_iter()
            .map(|(path, name, nullable)| {
                let mut change = lancer::ColumnAlteration::new(path);
                if let Some(name) = name {
                    change = change.rename(name);
                }
                if let Some(nullable) = nullable {
                    change = change.nullable(nullable);
                }
                change
            })
            .collect();
        self.evolve(py, storage_options, |dataset, params| async move {
            dataset.alter_columns(&changes, &params).await
        })
    }

    /// A new version without the columns `names` (a Project commit on this version).
    #[pyo3(signature = (names, storage_options=None))]
    fn drop_columns(
        &self,
        py: Python<'_>,
        names: Vec<String>,
        storage_options: PyStorageOptions,
    ) -> PyResultOf<NativeDataset> {
        self.evolve(py, storage_options, |dataset, params| async move {
            dataset.drop_columns(&names, &params).await
        })
    }

    /// A new version with the columns `reader` holds, one row per visible row.
    #[pyo3(signature = (reader, storage_options=None))]
    fn add_columns_from_reader(
        &self,
        py: Python<'_>,
        reader: PyArrowType<RecordBatchStreamReader>,
        storage_options: PyStorageOptions,
    ) -> PyResultOf<NativeDataset> {
        let reader = reader.0;
        self.evolve(py, storage_options, |dataset, params| async move {
            dataset.add_columns_from_reader(reader, &params).await
        })
    }

    /// A new version with the fields of `schema` added as all-null columns.
    #[pyo3(signature = (schema, storage_options=None))]
    fn add_null_columns(
        &self,
        py: Python<'_>,
        schema: PyArrowType<Schema>,
        storage_options: PyStorageOptions,
    ) -> PyResultOf<NativeDataset> {
        let fields: Vec<arrow_schema::Field> = schema
            .0
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        self.evolve(py, storage_options, |dataset, params| async move {
            dataset.add_null_columns(&fields, &params).await
        })
    }

    /// A new latest version with this version's content.
    #[pyo3(signature = (storage_options=None))]
    fn restore(
        &self,
        py: Python<'_>,
        storage_options: PyStorageOptions,
    ) -> PyResultOf<NativeDataset> {
        self.evolve(py, storage_options, |dataset, params| async move {
            dataset.restore(&params).await
        })
    }

    /// The rows at `offsets` among the version's visible rows, in that order.
    #[pyo3(signature = (offsets, columns=None))]
    fn take(
        &self,
        py: Python<'_>,
        offsets: Vec<u64>,
        columns: Option<Vec<String>>,
    ) -> PyResultOf<PyArrowType<RecordBatch>> {
        let dataset = self.0.clone();
        let batch = block_on(py, async move {
            dataset.take(&offsets, columns.as_deref()).await
        })?;
        Ok(PyArrowType(batch))
    }

    #[pyo3(signature = (columns=None, limit=None, batch_size=None, fragment_ids=None, with_row_id=false, with_row_address=false))]
    fn scan(
        &self,
        columns: Option<Vec<String>>,
        limit: Option<u64>,
        batch_size: Option<usize>,
        fragment_ids: Option<Vec<u64>>,
        with_row_id: bool,
        with_row_address: bool,
    ) -> PyResultOf<NativeScan> {
        let mut scanner = self
            .0
            .scan()
            .with_row_id(with_row_id)
            .with_row_address(with_row_address);
        if let Some(columns) = &columns {
            scanner = scanner.project(columns);
        }
        if let Some(limit) = limit {
            scanner = scanner.limit(limit);
        }
        if let Some(rows) = batch_size {
            scanner = scanner.batch_size(rows);
        }
        if let Some(ids) = &fragment_ids {
            scanner = scanner.with_fragments(ids);
        }
        NativeScan::start(scanner)
    }
}

#[pymethods]
impl NativeFragment {
    #[getter]
    fn id(&self) -> u64 {
        self.0.id()
    }

    /// The fragment's metadata as pylance's JSON.
    fn metadata_json(&self) -> String {
        self.0.metadata().to_json()
    }

    /// Visible rows, when the metadata records them.
    fn count_rows(&self) -> Option<u64> {
        self.0.count_rows()
    }

    /// The rows at `offsets` among the fragment's visible rows, in that order.
    #[pyo3(signature = (offsets, columns=None))]
    fn take(
        &self,
        py: Python<'_>,
        offsets: Vec<u64>,
        columns: Option<Vec<String>>,
    ) -> PyResultOf<PyArrowType<RecordBatch>> {
        let fragment = self.0.clone();
        let batch = block_on(py, async move {
            fragment.take(&offsets, columns.as_deref()).await
        })?;
        Ok(PyArrowType(batch))
    }

    #[pyo3(signature = (columns=None, batch_size=None, with_row_id=false, with_row_address=false))]
    fn scan(
        &self,
        columns: Option<Vec<String>>,
        batch_size: Option<usize>,
        with_row_id: bool,
        with_row_address: bool,
    ) -> PyResultOf<NativeScan> {
        let mut scanner = self
            .0
            .scan()
            .with_row_id(with_row_id)
            .with_row_address(with_row_address);
        if let Some(columns) = &columns {
            scanner = scanner.project(columns);
        }
        if let Some(rows) = batch_size {
            scanner = scanner.batch_size(rows);
        }
        NativeScan::start(scanner)
    }

    /// Adds the columns `func` computes from `columns` as a new data file of this fragment;
    /// returns the fragment's new metadata (JSON) and the dataset's new schema. An exception
    /// raised by `func` propagates unchanged.
    #[pyo3(signature = (func, columns, batch_size=1024))]
    fn merge_columns(
        &self,
        py: Python<'_>,
        func: Py<PyAny>,
        columns: Vec<String>,
        batch_size: usize,
    ) -> PyResult<(String, LanceSchema)> {
        let fragment = self.0.clone();
        let raised: Arc<Mutex<Option<PyErr>>> = Arc::default();
        let keep = raised.clone();
        let compute = move |batch: RecordBatch| -> Result<RecordBatch, ArrowError> {
            Python::attach(|py| {
                let result = batch
                    .to_pyarrow(py)
                    .and_then(|argument| func.call1(py, (argument,)))
                    .and_then(|returned| RecordBatch::from_pyarrow_bound(returned.bind(py)));
                result.map_err(|error| {
                    let message = error.to_string();
                    *keep.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
                    ArrowError::ExternalError(message.into())
                })
            })
        };
        let outcome = block_on(py, async move {
            let names: Vec<&str> = columns.iter().map(String::as_str).collect();
            fragment
                .merge_columns_in_batches(compute, &names, batch_size)
                .await
        });
        match outcome {
            Ok((fragment, schema)) => Ok((fragment.to_json(), LanceSchema(schema))),
            Err(error) => {
                let raised = raised.lock().unwrap_or_else(|e| e.into_inner()).take();
                Err(raised.unwrap_or_else(|| crate::errors::LancerPyError::from(error).into()))
            }
        }
    }
}
