//! lancer errors as Python exceptions.
//!
//! The exception classes live in `lancer/errors.py` so they can inherit from the built-in
//! exception each case resembles (`FileNotFoundError`, `ValueError`, ...); here each error is
//! only given the class name and the Rust message.

use lancer::{Error, ErrorKind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// Result alias for the binding functions.
pub(crate) type PyResultOf<T> = Result<T, LancerPyError>;

/// A lancer error on its way to Python.
pub(crate) struct LancerPyError(Error);

/// Anything the facade's types fail with (its own error, and those of the types it
/// re-exports, which convert into it).
impl<E: Into<Error>> From<E> for LancerPyError {
    fn from(error: E) -> Self {
        LancerPyError(error.into())
    }
}

/// The exception class of each kind of error (in `lancer/errors.py`): the one table.
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "DatasetNotFoundError",
        ErrorKind::InvalidInput => "InvalidInputError",
        ErrorKind::Conflict => "CommitConflictError",
        ErrorKind::Rebuild => "CommitRebuildError",
        ErrorKind::RetriesExhausted => "CommitRetriesExhaustedError",
        ErrorKind::Unsupported => "UnsupportedError",
        ErrorKind::Corrupt => "CorruptDatasetError",
        ErrorKind::Storage => "StorageError",
        _ => "LancerError",
    }
}

impl From<LancerPyError> for PyErr {
    fn from(LancerPyError(error): LancerPyError) -> PyErr {
        let message = error.to_string();
        Python::attach(|py| {
            let class = py
                .import("lancer.errors")
                .and_then(|module| module.getattr(class_name(error.kind())));
            match class.map(|class| class.cast_into::<PyType>()) {
                Ok(Ok(class)) => PyErr::from_type(class, message),
                // Only when the Python half of the package is broken or missing.
                _ => PyRuntimeError::new_err(message),
            }
        })
    }
}
