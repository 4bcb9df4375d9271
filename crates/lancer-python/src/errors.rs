//! lancer errors as Python exceptions.
//!
//! The exception classes live in `lancer/errors.py` so they can inherit from the built-in
//! exception each case resembles (`FileNotFoundError`, `ValueError`, ...); here each error is
//! only given the class name and the Rust message.

use lancer::{CommitError, Error};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// Result alias for the binding functions.
pub(crate) type PyResultOf<T> = Result<T, LancerPyError>;

/// A lancer error on its way to Python.
pub(crate) struct LancerPyError(Error);

impl From<Error> for LancerPyError {
    fn from(error: Error) -> Self {
        LancerPyError(error)
    }
}

impl From<lancer::CommitError> for LancerPyError {
    fn from(error: lancer::CommitError) -> Self {
        LancerPyError(Error::Commit(error))
    }
}

impl From<lancer_table::Error> for LancerPyError {
    fn from(error: lancer_table::Error) -> Self {
        LancerPyError(Error::Table(error))
    }
}

fn class_name(error: &Error) -> &'static str {
    match error {
        Error::NotFound(_) => "DatasetNotFoundError",
        Error::Commit(CommitError::Conflict { .. }) => "CommitConflictError",
        Error::Commit(CommitError::Rebuild { .. }) => "CommitRebuildError",
        Error::Commit(CommitError::RetriesExhausted { .. }) => "CommitRetriesExhaustedError",
        Error::Commit(CommitError::Invalid(_)) => "InvalidCommitError",
        Error::Validation { .. } | Error::InvalidInput(_) => "InvalidInputError",
        Error::Table(table) => table_class_name(table),
        Error::Unsupported(_) => "UnsupportedError",
        Error::Store(_) => "StorageError",
        Error::File(file) => file_class_name(file),
        _ => "LancerError",
    }
}

fn table_class_name(error: &lancer_table::Error) -> &'static str {
    use lancer_table::Error as TableError;
    match error {
        TableError::UnsupportedFeature { .. } => "UnsupportedError",
        TableError::Schema(file) => file_class_name(file),
        TableError::Corrupt(_) => "LancerError",
        _ => "InvalidInputError",
    }
}

fn file_class_name(error: &lancer_file::Error) -> &'static str {
    use lancer_file::Error as FileError;
    match error {
        FileError::InFile { source, .. } => file_class_name(source),
        FileError::UnsupportedVersion { .. } => "UnsupportedError",
        FileError::InvalidInput(_) => "InvalidInputError",
        FileError::Store(_) | FileError::Io(_) => "StorageError",
        _ => "LancerError",
    }
}

impl From<LancerPyError> for PyErr {
    fn from(LancerPyError(error): LancerPyError) -> PyErr {
        let message = error.to_string();
        Python::attach(|py| {
            let class = py
                .import("lancer.errors")
                .and_then(|module| module.getattr(class_name(&error)));
            match class.map(|class| class.cast_into::<PyType>()) {
                Ok(Ok(class)) => PyErr::from_type(class, message),
                // Only when the Python half of the package is broken or missing.
                _ => PyRuntimeError::new_err(message),
            }
        })
    }
}
