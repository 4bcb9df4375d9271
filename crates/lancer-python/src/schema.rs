//! `lancer.LanceSchema`: a dataset schema with Lance field ids.
//!
//! `merge_columns` returns one: the ids it assigned to the new columns must reach the Merge
//! commit unchanged, which a plain pyarrow schema cannot carry. It pickles (as the Lance
//! schema protobuf), so it can be returned from a Ray task or a multiprocessing worker.

use arrow_pyarrow::PyArrowType;
use arrow_schema::Schema;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A dataset schema as Lance stores it: fields with ids, in pre-order.
#[pyclass(
    module = "lancer",
    name = "LanceSchema",
    frozen,
    eq,
    skip_from_py_object
)]
#[derive(Clone, PartialEq)]
pub(crate) struct LanceSchema(pub(crate) lancer::LanceSchema);

/// One field of a [`LanceSchema`], with its id and children (pylance's `LanceField`).
#[pyclass(module = "lancer", name = "LanceField", frozen, skip_from_py_object)]
#[derive(Clone)]
pub(crate) struct LanceField(lancer::LanceField);

#[pymethods]
impl LanceField {
    fn name(&self) -> String {
        self.0.name.clone()
    }

    fn id(&self) -> i32 {
        self.0.id
    }

    fn children(&self) -> Vec<LanceField> {
        self.0.children.iter().cloned().map(LanceField).collect()
    }

    /// The field's metadata (values that are not UTF-8 have their bad bytes replaced).
    fn metadata(&self) -> std::collections::HashMap<String, String> {
        self.0
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    }

    /// The field as a pyarrow field.
    fn to_arrow(&self) -> PyResult<PyArrowType<arrow_schema::Field>> {
        self.0
            .to_arrow()
            .map(PyArrowType)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    fn __repr__(&self) -> String {
        format!("LanceField(name={:?}, id={})", self.0.name, self.0.id)
    }
}

#[pymethods]
impl LanceSchema {
    /// A schema with ids numbered from 0 in pre-order, as a new dataset would give them.
    #[staticmethod]
    fn from_pyarrow(schema: PyArrowType<Schema>) -> PyResult<LanceSchema> {
        let storable =
            lancer::storable_schema(&schema.0).map_err(|e| PyValueError::new_err(e.to_string()))?;
        lancer::LanceSchema::from_arrow(&storable)
            .map(LanceSchema)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The top-level fields.
    fn fields(&self) -> Vec<LanceField> {
        self.0.fields.iter().cloned().map(LanceField).collect()
    }

    /// The field named `name` (top level), if any.
    fn field(&self, name: &str) -> Option<LanceField> {
        self.0.field(name).cloned().map(LanceField)
    }

    /// The same schema as a pyarrow schema (field ids are dropped).
    fn to_pyarrow(&self) -> PyResult<PyArrowType<Schema>> {
        let schema = self
            .0
            .to_arrow()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(PyArrowType(schema))
    }

    /// Top-level field names, in order.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.0.fields.iter().map(|f| f.name.clone()).collect()
    }

    /// Every field id, parents before children.
    #[getter]
    fn field_ids(&self) -> Vec<i32> {
        self.0.field_ids()
    }

    fn __repr__(&self) -> String {
        let fields: Vec<String> = self
            .0
            .walk()
            .iter()
            .map(|f| format!("{}: {} (id {})", f.name, f.logical_type, f.id))
            .collect();
        format!("LanceSchema({})", fields.join(", "))
    }

    /// The Lance schema protobuf, for pickling.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.to_bytes())
    }

    /// Reads what `to_bytes` wrote (checked: a pickle may come from anywhere).
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<LanceSchema> {
        lancer::LanceSchema::from_bytes(data)
            .map(LanceSchema)
            .map_err(|e| PyValueError::new_err(format!("not a valid Lance schema: {e}")))
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        let rebuild = py.get_type::<LanceSchema>().getattr("from_bytes")?;
        Ok((rebuild, (slf.get().to_bytes(py),)))
    }
}
