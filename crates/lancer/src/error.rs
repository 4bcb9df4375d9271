use arrow_schema::ArrowError;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the dataset API can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No dataset at the URI (or not the version asked for).
    #[error("{0}")]
    NotFound(String),
    /// A commit failed; see [`lancer_commit::CommitError`] for what each case asks of the
    /// caller.
    #[error(transparent)]
    Commit(#[from] lancer_commit::CommitError),
    /// Worker output that does not match what it claims (missing file, wrong size, other
    /// schema...). Nothing was committed.
    #[error("fragment {fragment}, file `{file}`: {message}")]
    Validation {
        /// Fragment id (or position).
        fragment: String,
        /// Data file path.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// Input the caller gave that cannot be used.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Something lancer does not do (yet), with what to do instead.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// Table metadata problem.
    #[error(transparent)]
    Table(#[from] lancer_table::Error),
    /// Data file problem.
    #[error(transparent)]
    File(#[from] lancer_file::Error),
    /// Arrow problem (e.g. from a user's value function).
    #[error(transparent)]
    Arrow(#[from] ArrowError),
    /// Storage problem.
    #[error("storage: {0}")]
    Store(#[from] object_store::Error),
}
